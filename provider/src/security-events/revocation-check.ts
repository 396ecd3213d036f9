import type { Knex } from '@usher/platform';
import { subjectWideEventTypes } from '@usher/contracts';
import { eventTypes } from './event-types.ts';

export interface TokenIdentity {
  subject: string;
  sessionId: string | null;
  jti: string | null;
  /** `iat`, in whole seconds. */
  issuedAt: number;
}

/**
 * Whether the revocation feed covers a token, by the rules resource servers apply (the kit's
 * revocation list): its jti, its session, or its subject from an instant on. The provider's own
 * APIs check their callers the same way, against the table rather than a copy.
 */
export function createRevocationCheck(knex: Knex) {
  return async function isRevoked(token: TokenIdentity): Promise<boolean> {
    const hit = await knex('security_events')
      .where('subject', token.subject)
      .where('expires_at', '>', knex.fn.now())
      .where((q) => {
        if (token.jti) q.orWhere((w) => w.where('event_type', eventTypes.tokenRevoked).where('token_jti', token.jti!));
        if (token.sessionId) {
          q.orWhere((w) => w.where('event_type', eventTypes.sessionRevoked).where('session_id', token.sessionId!));
        }
        // event_timestamp is revoked_before rounded up to whole seconds (see feed.ts setClaims).
        q.orWhere((w) =>
          w
            .whereIn('event_type', subjectWideEventTypes)
            .whereRaw('ceil(extract(epoch from revoked_before)) > ?', [token.issuedAt]),
        );
      })
      .first('id');
    return Boolean(hit);
  };
}

export type RevocationCheck = ReturnType<typeof createRevocationCheck>;
