import assert from 'node:assert/strict';
import { request, type IncomingHttpHeaders } from 'node:http';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { createTestStores, readForm, type TestStores } from '@usher/test-support';
import { startProvider, type RunningProvider } from './harness.ts';
import { callbackUrl, createUser, createWebClient, discover } from './fixtures.ts';

interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A request with headers fetch will not send as given (Host), or an absolute-form target. */
function raw(
  port: number,
  target: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const sent = request(
      { host: '127.0.0.1', port, method: options.method ?? 'GET', path: target, headers: options.headers ?? {} },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () =>
          resolve({ status: answer.statusCode ?? 0, headers: answer.headers, body: Buffer.concat(chunks).toString() }),
        );
      },
    );
    sent.on('error', reject);
    sent.end(options.body);
  });
}

/** Every URL a discovery document names. */
const urlsOf = (discovery: Record<string, unknown>) =>
  Object.entries(discovery).filter((entry): entry is [string, string] => /^https?:/.test(String(entry[1])));

describe('absolute URLs are built from ISSUER, whatever the request says its host is', () => {
  let stores: TestStores;
  let provider: RunningProvider;
  let port: number;

  before(async () => {
    stores = await createTestStores();
    // Behind a trusted proxy, so the forwarded headers are read at all: they must not name hosts either.
    provider = await startProvider(stores, { TRUST_PROXY: 'true' });
    port = provider.config.PORT;
  });

  after(async () => {
    await provider?.stop();
    await stores?.dispose();
  });

  test('discovery names the issuer under a forged Host, forwarded host or absolute request target', async () => {
    const path = '/.well-known/openid-configuration';
    for (const [label, target, headers] of [
      ['Host', path, { host: 'evil.example' }],
      ['X-Forwarded-Host', path, { 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' }],
      ['absolute target', `http://evil.example${path}`, { host: 'evil.example' }],
    ] as const) {
      const answer = await raw(port, target, { headers });
      assert.equal(answer.status, 200, label);
      const discovery = JSON.parse(answer.body) as Record<string, unknown>;
      assert.equal(discovery.issuer, provider.url, label);
      const urls = urlsOf(discovery);
      assert.ok(urls.length >= 8, `${label}: ${urls.length} URLs`);
      for (const [name, url] of urls)
        assert.ok(url.startsWith(`${provider.url}/`) || url === provider.url, `${label}: ${name} ${url}`);
    }
  });

  test('after a sign-in started with Host: evil.example the browser returns to the issuer', async () => {
    const client = await createWebClient(provider);
    const config = await discover(provider, client.client_id, client.client_secret);
    const user = await createUser(provider);
    const jar = new Map<string, string>();
    const send = async (target: string, form?: Record<string, string>) => {
      const answer = await raw(port, target, {
        method: form ? 'POST' : 'GET',
        headers: {
          host: 'evil.example',
          cookie: [...jar].map(([name, value]) => `${name}=${value}`).join('; '),
          ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        ...(form ? { body: new URLSearchParams(form).toString() } : {}),
      });
      for (const cookie of answer.headers['set-cookie'] ?? []) {
        const [pair] = cookie.split(';');
        const at = pair!.indexOf('=');
        jar.set(pair!.slice(0, at), pair!.slice(at + 1));
      }
      return answer;
    };
    const authorization = oidc.buildAuthorizationUrl(config, {
      redirect_uri: callbackUrl,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const started = await send(`${authorization.pathname}${authorization.search}`);
    assert.equal(started.status, 303);
    assert.match(started.headers.location!, /^\/interaction\//);
    const page = await send(started.headers.location!);
    assert.equal(page.status, 200);
    const form = readForm(page.body);
    const signedIn = await send(form.action, { ...form.fields, email: user.email, password: user.password });
    assert.equal(signedIn.status, 303);
    assert.ok(
      signedIn.headers.location!.startsWith(`${provider.url}/auth/`),
      `back to the issuer: ${signedIn.headers.location}`,
    );
    // The rest of the way (the consent step of a first-party client is skipped): every absolute
    // location is the issuer's, until the client's callback.
    let location = signedIn.headers.location!;
    for (let hops = 0; hops < 6 && !location.startsWith(callbackUrl); hops += 1) {
      assert.ok(location.startsWith('/') || location.startsWith(`${provider.url}/`), location);
      const next = await send(location.startsWith('/') ? location : location.slice(provider.url.length));
      assert.equal(next.status, 303);
      location = next.headers.location!;
    }
    assert.ok(location.startsWith(`${callbackUrl}?code=`), location);
  });
});

describe('a public https issuer, reached at an internal address', () => {
  let stores: TestStores;
  let provider: RunningProvider;

  before(async () => {
    stores = await createTestStores();
    provider = await startProvider(stores, { ISSUER: 'https://usher.example.test' });
  });

  after(async () => {
    await provider?.stop();
    await stores?.dispose();
  });

  test('discovery names the public issuer, and cookies are Secure as the browser sees https', async () => {
    const internal = `http://127.0.0.1:${provider.config.PORT}`;
    const discovery = (await (await fetch(`${internal}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    assert.equal(discovery.issuer, 'https://usher.example.test');
    for (const [name, url] of urlsOf(discovery)) {
      assert.ok(url.startsWith('https://usher.example.test'), `${name} ${url}`);
    }
    const client = await createWebClient(provider);
    const authorization = new URL(`${internal}/auth`);
    authorization.search = new URLSearchParams({
      client_id: client.client_id,
      response_type: 'code',
      redirect_uri: callbackUrl,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    }).toString();
    const started = await fetch(authorization, { redirect: 'manual' });
    assert.equal(started.status, 303);
    const cookies = started.headers.getSetCookie();
    assert.ok(cookies.length > 0);
    for (const cookie of cookies) assert.match(cookie, /; secure/i, cookie);
  });
});
