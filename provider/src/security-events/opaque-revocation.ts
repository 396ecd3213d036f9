import { createHash } from 'node:crypto';
import type { Knex } from '@usher/platform';
import type { OpaqueAccessToken } from '../oidc/opaque-tokens.ts';
import { eventTypes } from './event-types.ts';
import type { SecurityEventFeed } from './feed.ts';

/** An opaque token's jti is its value, a bearer credential: the feed names it by digest only. */
const digestOf = (value: string) => createHash('sha256').update(value).digest('base64url');

/**
 * oidc-provider deletes an opaque access token revoked at /token/revocation, which leaves nothing to
 * tell it from a value never issued. A token-revoked event keeps the difference until the token
 * would have expired, so token validation answers "Token has been revoked" (CONTRACTS.md 1.3).
 */
export function createOpaqueRevocations(options: { knex: Knex; feed: SecurityEventFeed }) {
  const { knex, feed } = options;
  return {
    async record(token: OpaqueAccessToken): Promise<void> {
      await feed.withEvents(async (_trx, emit) => {
        await emit({
          type: eventTypes.tokenRevoked,
          subject: token.accountId ?? token.clientId,
          tokenJti: digestOf(token.jti),
          tokenExpiresAt: new Date(token.expiresAt * 1000),
        });
      });
    },

    /** Whether `value` is an opaque access token revoked here (and not yet past its expiry). */
    async isRevoked(value: string): Promise<boolean> {
      const hit = await knex('security_events')
        .where({ event_type: eventTypes.tokenRevoked, token_jti: digestOf(value) })
        .where('expires_at', '>', knex.fn.now())
        .first('id');
      return Boolean(hit);
    },
  };
}

export type OpaqueRevocations = ReturnType<typeof createOpaqueRevocations>;
