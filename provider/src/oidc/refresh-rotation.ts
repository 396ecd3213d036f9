import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from '@usher/platform';
import type { KoaContextWithOIDC } from 'oidc-provider';

/**
 * What one token request knows about its refresh token's rotation. oidc-provider's refresh grant
 * consumes the presented token, then stores its successor: two writes, so a crash or a failed save
 * between them signs the user out. The refresh token adapter defers the consumption to the
 * successor's save and makes both one statement; and a client that lost the answer (the provider
 * died, the connection dropped) and presents the previous token again within the reuse interval is
 * answered with the same successor instead of having its grant revoked, as Okta's grace period and
 * Auth0's reuse interval do.
 */
interface TokenRequest {
  readonly reuseIntervalSeconds: number;
  /** The refresh token this request's rotation replaces: consumed when its successor is stored. */
  replaced?: string;
  /** The existing successor this request answers with (a retry within the reuse interval). */
  successor?: string;
}

const tokenRequests = new AsyncLocalStorage<TokenRequest>();

/** The reuse interval of the token request in progress; 0 outside one (introspection, revocation). */
export function reuseIntervalSeconds(): number {
  return tokenRequests.getStore()?.reuseIntervalSeconds ?? 0;
}

/** Defers the consumption of `id` to its successor's save; false outside a token request. */
export function deferConsumption(id: string): boolean {
  const request = tokenRequests.getStore();
  if (!request) return false;
  request.replaced = id;
  return true;
}

/** The refresh token whose consumption waits for the successor being saved now, if any. */
export function takeDeferredConsumption(): string | undefined {
  const request = tokenRequests.getStore();
  const replaced = request?.replaced;
  if (request) delete request.replaced;
  return replaced;
}

/** Answers this token request with an existing successor instead of a new rotation. */
export function answerWithSuccessor(id: string): void {
  const request = tokenRequests.getStore();
  if (request) request.successor = id;
}

/**
 * oidc-provider's `rotateRefreshToken`: always, except when the request presented the previous
 * token again and stands for its successor (rotating it would start a second branch of the chain).
 */
export function shouldRotate(): boolean {
  return tokenRequests.getStore()?.successor === undefined;
}

/**
 * Provider middleware: gives every POST /token a rotation scope, and puts the successor into the
 * answer when the request stood for one (oidc-provider answers with the token presented whenever
 * it does not rotate).
 */
export function refreshRotationScope(reuseInterval: number, logger: Logger) {
  return async function refreshRotation(ctx: KoaContextWithOIDC, next: () => Promise<void>) {
    if (ctx.method !== 'POST' || !/^\/token\/?$/.test(ctx.path)) return next();
    const request: TokenRequest = { reuseIntervalSeconds: reuseInterval };
    await tokenRequests.run(request, next);
    const body = ctx.body as { refresh_token?: unknown } | undefined;
    if (request.successor !== undefined && ctx.status === 200 && typeof body?.refresh_token === 'string') {
      body.refresh_token = request.successor;
      logger.info(
        { client_id: ctx.oidc?.client?.clientId },
        'refresh token presented again within the reuse interval: answered with its successor',
      );
    }
  };
}
