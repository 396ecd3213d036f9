import { securityEventsChannel } from '@usher/contracts';
import type { KeyValueStore, Knex, Logger } from '@usher/platform';
import { importJWK, SignJWT, type JWK } from 'jose';
import type { KeyStore, SigningAlgorithm } from '../keys/key-store.ts';
import type { EventStore, NewEvent, SecurityEvent } from './event-store.ts';
import { eventTypes, setType } from './event-types.ts';

function subjectOf(event: SecurityEvent) {
  const user = { format: 'opaque', id: event.subject };
  if (event.eventType === eventTypes.sessionRevoked) {
    return { format: 'complex', user, session: { format: 'opaque', id: event.sessionId } };
  }
  return user;
}

/**
 * The SET claims of an event (RFC 8417), with the CAEP/RISC `subject` and `event_timestamp`, and
 * Usher's `covered_tokens_exp`: the instant by which every token the event covers has expired (the
 * row's expiry: the revoked token's own `exp`, or the longest access-token lifetime from the event
 * on). Receivers keep the event that long and no longer.
 */
export function setClaims(issuer: string, event: SecurityEvent) {
  // Tokens whose iat (whole seconds) is below this are covered; rounding up keeps every token minted
  // before revokedBefore covered.
  const eventTimestamp = Math.ceil((event.revokedBefore ?? event.createdAt).getTime() / 1000);
  const body: Record<string, unknown> = {
    subject: subjectOf(event),
    event_timestamp: eventTimestamp,
    covered_tokens_exp: Math.ceil(event.expiresAt.getTime() / 1000),
  };
  if (event.eventType === eventTypes.tokenRevoked) body.jti = event.tokenJti;
  if (event.data) Object.assign(body, event.data);
  return {
    iss: issuer,
    jti: event.jti,
    iat: Math.floor(event.createdAt.getTime() / 1000),
    txn: event.id,
    events: { [event.eventType]: body },
  };
}

/**
 * Records revocation events (inside the caller's transaction), signs them as SETs with the active
 * access-token key, and announces them on the store's pub/sub after the transaction commits.
 */
export function createSecurityEventFeed(options: {
  knex: Knex;
  issuer: string;
  algorithm: SigningAlgorithm;
  events: EventStore;
  keys: KeyStore;
  store: KeyValueStore;
  logger?: Logger;
}) {
  const { knex, issuer, algorithm, events, keys, store, logger } = options;
  let signingKey: { at: number; kid: string; key: Awaited<ReturnType<typeof importJWK>> } | null = null;
  const signed = new Map<string, string>();

  async function currentKey() {
    if (!signingKey || Date.now() - signingKey.at > 5000) {
      const active = (await keys.published()).find((key) => key.alg === algorithm && key.status === 'active');
      if (!active) throw new Error(`no active ${algorithm} key`);
      signingKey = { at: Date.now(), kid: active.kid, key: await importJWK(active.privateJwk as JWK, algorithm) };
    }
    return signingKey;
  }

  async function sign(event: SecurityEvent): Promise<string> {
    const cached = signed.get(event.jti);
    if (cached) return cached;
    const { kid, key } = await currentKey();
    const jwt = await new SignJWT(setClaims(issuer, event))
      .setProtectedHeader({ alg: algorithm, kid, typ: setType })
      .sign(key);
    if (signed.size > 5000) signed.clear();
    signed.set(event.jti, jwt);
    return jwt;
  }

  return {
    sign,

    /** Fans signed events out on pub/sub; failures are logged (pollers still get them). */
    async announce(recorded: SecurityEvent[]): Promise<void> {
      for (const event of recorded) {
        try {
          await store.publish(securityEventsChannel, await sign(event));
        } catch (error) {
          logger?.warn({ err: error, jti: event.jti }, 'could not announce a security event');
        }
      }
    },

    /** Records events in a transaction of the caller's, then announces them once it has committed. */
    async withEvents<T>(work: (trx: Knex, emit: (event: NewEvent) => Promise<void>) => Promise<T>): Promise<T> {
      const recorded: SecurityEvent[] = [];
      const result = await knex.transaction(async (trx) =>
        work(trx, async (event) => {
          recorded.push(await events.record(event, trx));
        }),
      );
      await this.announce(recorded);
      return result;
    },
  };
}

export type SecurityEventFeed = ReturnType<typeof createSecurityEventFeed>;
