import type { Knex } from '@usher/platform';
import { claimsChangeLeadSeconds } from '../access/claims-cache.ts';
import { eventTypes, type EventType } from './event-types.ts';

export interface SecurityEvent {
  id: string;
  jti: string;
  eventType: EventType;
  subject: string | null;
  sessionId: string | null;
  tokenJti: string | null;
  revokedBefore: Date | null;
  data: Record<string, unknown> | null;
  createdAt: Date;
  expiresAt: Date;
}

interface Row {
  id: string;
  jti: string;
  event_type: EventType;
  subject: string | null;
  session_id: string | null;
  token_jti: string | null;
  revoked_before: Date | null;
  data: Record<string, unknown> | null;
  created_at: Date;
  expires_at: Date;
}

const fromRow = (row: Row): SecurityEvent => ({
  id: String(row.id),
  jti: row.jti,
  eventType: row.event_type,
  subject: row.subject,
  sessionId: row.session_id,
  tokenJti: row.token_jti,
  revokedBefore: row.revoked_before,
  data: row.data,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
});

export type NewEvent =
  | { type: typeof eventTypes.sessionRevoked; subject: string; sessionId: string }
  | { type: typeof eventTypes.tokenRevoked; subject: string; tokenJti: string; tokenExpiresAt: Date }
  | {
      type:
        | typeof eventTypes.tokenClaimsChange
        | typeof eventTypes.credentialChange
        | typeof eventTypes.accountDisabled
        | typeof eventTypes.accountPurged;
      subject: string;
      data?: Record<string, unknown>;
    };

/**
 * The revocation feed's storage. `record` runs inside the transaction of the change that causes the
 * event, so a change and its event commit (or roll back) together. `retainSeconds` is the longest
 * access-token lifetime plus leeway: once it has passed, no token the event covers is still valid.
 */
export function createEventStore(knex: Knex, retainSeconds: number) {
  return {
    async record(event: NewEvent, trx: Knex = knex): Promise<SecurityEvent> {
      const expiresAt =
        event.type === eventTypes.tokenRevoked ? event.tokenExpiresAt : new Date(Date.now() + retainSeconds * 1000);
      const [row] = await trx<Row>('security_events')
        .insert({
          event_type: event.type,
          subject: event.subject,
          session_id: event.type === eventTypes.sessionRevoked ? event.sessionId : null,
          token_jti: event.type === eventTypes.tokenRevoked ? event.tokenJti : null,
          // Reaches past the token endpoint's claims cache: tokens minted from a stale entry are covered.
          revoked_before:
            event.type === eventTypes.tokenRevoked
              ? null
              : trx.raw(`now() + (? || ' seconds')::interval`, [claimsChangeLeadSeconds]),
          data: 'data' in event && event.data ? JSON.stringify(event.data) : null,
          expires_at: expiresAt,
        } as never)
        .returning('*');
      return fromRow(row as Row);
    },

    /** Live events this receiver has not acknowledged, oldest first. */
    async pending(receiver: string, limit: number): Promise<{ events: SecurityEvent[]; more: boolean }> {
      const rows = (await knex('security_events as e')
        .where('e.expires_at', '>', knex.fn.now())
        .whereNotExists(knex('security_event_acks as a').whereRaw('a.event_id = e.id').where('a.receiver', receiver))
        .orderBy('e.id')
        .limit(limit + 1)
        .select('e.*')) as Row[];
      return { events: rows.slice(0, limit).map(fromRow), more: rows.length > limit };
    },

    async acknowledge(receiver: string, jtis: string[]): Promise<void> {
      const valid = jtis.filter((jti) => /^[0-9a-f-]{36}$/i.test(jti));
      if (!valid.length) return;
      const ids = await knex('security_events').whereIn('jti', valid).pluck('id');
      if (!ids.length) return;
      await knex('security_event_acks')
        .insert(ids.map((id) => ({ receiver, event_id: id })))
        .onConflict(['receiver', 'event_id'])
        .ignore();
    },

    async purgeExpired(): Promise<number> {
      return knex('security_events').where('expires_at', '<', knex.fn.now()).delete();
    },
  };
}

export type EventStore = ReturnType<typeof createEventStore>;
