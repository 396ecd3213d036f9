import createClient, { type Client } from 'openapi-fetch';
import { ApiError } from './api-error.ts';
import type { paths } from '@usher/contracts/admin-api';

export type AdminClient = Client<paths>;

export interface AdminClientOptions {
  /** The provider's issuer URL; the API lives under /api/v1. */
  issuer: string;
  /** The current access token (for the admin audience), or null when signed out. */
  accessToken: () => Promise<string | null>;
  /** Gets a fresh access token (refresh token grant); null when that is not possible. */
  renew?: () => Promise<string | null>;
  /** Called when the provider refuses the token (401, after one renewal) or the user's rights (403). */
  onRefused?: (status: 401 | 403) => void;
  fetch?: (request: Request) => Promise<Response>;
}

/** The typed admin API client (openapi-fetch over the generated types), sending the bearer token. */
export function createAdminClient(options: AdminClientOptions): AdminClient {
  const baseFetch = options.fetch ?? ((request: Request) => globalThis.fetch(request));
  const send = (request: Request, token: string | null) => {
    // Bearer tokens only: no cookies go to the provider's API, so nothing can be forged cross-site.
    const outgoing = new Request(request, { credentials: 'omit' });
    if (token) outgoing.headers.set('Authorization', `Bearer ${token}`);
    return baseFetch(outgoing);
  };
  return createClient<paths>({
    baseUrl: `${options.issuer.replace(/\/$/, '')}/api/v1`,
    async fetch(request: Request) {
      const spare = request.clone();
      let response = await send(request, await options.accessToken());
      // A token revoked since it was issued (e.g. a role change of this admin): renew once, retry.
      if (response.status === 401 && options.renew) {
        const token = await options.renew();
        if (token) response = await send(spare, token);
      }
      if (response.status === 401 || response.status === 403) options.onRefused?.(response.status);
      return response;
    },
  });
}

/**
 * The data of an openapi-fetch result, or an ApiError built from its problem+json body. Network
 * failures (fetch rejects) become an ApiError with status 0.
 */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch {
    throw ApiError.from(0, undefined);
  }
  if (!result.response.ok) throw ApiError.from(result.response.status, result.error);
  return result.data as T;
}
