import type { ReactNode } from 'react';
import { MemoryRouter } from 'react-router';
import { createAdminClient, type AdminClient } from '../api/admin-client.ts';
import { ApiProvider } from '../api/api-context.tsx';

export interface Recorded {
  method: string;
  path: string;
  search: string;
  headers: Headers;
  body: unknown;
}

type Route = (request: Recorded) => Response | Promise<Response>;

export const json = (status: number, body: unknown, type = 'application/json') =>
  new Response(status === 204 ? null : JSON.stringify(body), { status, headers: { 'content-type': type } });

export const problem = (status: number, title: string, errors: { field: string; message: string }[] = []) =>
  json(
    status,
    { type: 'about:blank', title, status, ...(errors.length ? { errors } : {}) },
    'application/problem+json',
  );

/**
 * A stand-in for the provider's admin API at the HTTP level: the real client (openapi-fetch, our
 * bearer and error handling) talks to it through `fetch`, and every request is recorded.
 */
export function standInApi(routes: Record<string, Route>) {
  const requests: Recorded[] = [];
  const client: AdminClient = createAdminClient({
    issuer: 'http://provider.test',
    accessToken: async () => 'admin-token',
    async fetch(request) {
      const url = new URL(request.url);
      const path = url.pathname.replace(/^\/api\/v1/, '');
      const text = await request.text();
      const recorded: Recorded = {
        method: request.method,
        path,
        search: url.search,
        headers: request.headers,
        body: text ? JSON.parse(text) : undefined,
      };
      requests.push(recorded);
      const route = routes[`${request.method} ${path}`];
      return route ? route(recorded) : problem(404, `No stand-in for ${request.method} ${path}`);
    },
  });
  return { client, requests };
}

/** Renders `ui` as a page of the app: with the API client and a router at `path`. */
export function AsPage(props: { client: AdminClient; path?: string; children: ReactNode }) {
  return (
    <MemoryRouter initialEntries={[props.path ?? '/']}>
      <ApiProvider client={props.client}>{props.children}</ApiProvider>
    </MemoryRouter>
  );
}
