import type { KeyValueStore, Logger } from '@usher/platform';
import type { Context } from 'koa';
import type { UserRow } from '../accounts/user-store.ts';
import type { ChangeContext } from '../audit/change-context.ts';
import type { ProviderConfig } from '../config.ts';
import type { Domain } from '../domain.ts';
import type { Throttle } from '../security/throttle.ts';
import type { ProviderHolder } from '../oidc/provider-holder.ts';
import type { SecurityEventFeed } from '../security-events/feed.ts';
import { callerOf, type AdminAuth } from './admin-auth.ts';
import type { TokenVerifier } from './bearer-tokens.ts';
import { UnknownReference, userIdParam } from './request-validation.ts';

/** What the admin API's route files share. */
export interface AdminDeps {
  config: ProviderConfig;
  domain: Domain;
  feed: SecurityEventFeed;
  holder: ProviderHolder;
  throttle: Throttle;
  store: KeyValueStore;
  logger: Logger;
  auth: AdminAuth;
  verify: TokenVerifier;
}

/** Every admin route is mounted here (CONTRACTS.md 1.4: base /api/v1). */
export const apiBase = '/api/v1';

export type RouteContext = Context & { params: Record<string, string> };

export { jsonBody } from './json-body.ts';

/** The change context of a request: the caller is the actor of every audit record. */
export function changeContextOf(deps: AdminDeps, ctx: Context): ChangeContext {
  return { domain: deps.domain, feed: deps.feed, actor: callerOf(ctx).actor };
}

/** The user named by `:user_id` (400 when malformed, 404 when unknown). */
export async function pathUser(deps: AdminDeps, ctx: RouteContext): Promise<UserRow> {
  const user = await deps.domain.users.findById(userIdParam(ctx.params.user_id));
  if (!user) throw new UnknownReference(`User ${ctx.params.user_id} not found`, 'user_id', 'path');
  return user;
}
