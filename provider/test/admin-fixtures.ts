import assert from 'node:assert/strict';
import * as oidc from 'openid-client';
import { type RunningProvider } from './harness.ts';
import { createWebClient, discover, signIn } from './fixtures.ts';

/** A client-credentials client holding `permissions` and an access token of it for the admin API. */
export async function machineToken(provider: RunningProvider, permissions: string[]): Promise<string> {
  const { domain } = provider.built;
  const machine = await domain.clients.create({
    client_name: 'Admin automation',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_post',
  });
  for (const permission of permissions) await domain.access.grantPermissionToClient(machine.client_id, permission);
  const config = await discover(
    provider,
    machine.client_id,
    machine.client_secret!,
    oidc.ClientSecretPost(machine.client_secret!),
  );
  const tokens = await oidc.clientCredentialsGrant(config, { resource: provider.config.adminAudience });
  return tokens.access_token;
}

/** A signed-in user's access token for the admin API (authorization code flow through our pages). */
export async function userToken(provider: RunningProvider, user: { email: string; password: string }) {
  const client = await createWebClient(provider);
  const config = await discover(provider, client.client_id, client.client_secret);
  const { tokens, agent } = await signIn(provider, config, user, { resource: provider.config.adminAudience });
  return { token: tokens.access_token, tokens, agent, config };
}

export interface ApiAnswer<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

/** Calls the API as a client would: JSON in and out, a bearer token when given. */
// Tests read answers as loosely typed JSON; the spec test and assertions pin the shapes.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function call<T = any>(
  provider: RunningProvider,
  method: string,
  path: string,
  options: { token?: string | undefined; body?: unknown; rawBody?: string } = {},
): Promise<ApiAnswer<T>> {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined || options.rawBody !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${provider.url}${path}`, {
    method,
    headers,
    ...(options.rawBody !== undefined
      ? { body: options.rawBody }
      : options.body !== undefined
        ? { body: JSON.stringify(options.body) }
        : {}),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: the raw text
  }
  return { status: response.status, headers: response.headers, body: body as T };
}

/** One bad request: what is sent, the status expected and the field its problem must name. */
export interface BadInputCase {
  method: string;
  path: string;
  status: number;
  field: string;
  body?: unknown;
}

/** Sends each case; every answer is problem+json with that status, naming the field in `errors`. */
export async function expectProblems(provider: RunningProvider, token: string, cases: BadInputCase[]) {
  for (const { method, path, status, field, body } of cases) {
    const label = `${method} ${path} ${body === undefined ? '' : JSON.stringify(body).slice(0, 80)}`;
    const answer = await call<{ status: number; errors?: { field: string }[] }>(provider, method, path, {
      token,
      ...(body === undefined ? {} : { body }),
    });
    assert.equal(answer.status, status, label);
    assert.match(answer.headers.get('content-type') ?? '', /^application\/problem\+json/, label);
    assert.equal(answer.body.status, status, label);
    const fields = (answer.body.errors ?? []).map((error) => error.field);
    assert.ok(fields.includes(field), `${label}: names ${field}, not ${JSON.stringify(fields)}`);
  }
}
