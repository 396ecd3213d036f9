import { securityEventsChannel, securityEventsPollPath, securityEventTokenType } from '@usher/contracts';
import { httpFetch, type KeyValueStore, type Logger } from '@usher/platform';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import type { ProviderKeys } from './provider-keys.ts';
import type { RevocationList } from './revocation-list.ts';

export interface ReceiverOptions {
  issuer: string;
  keys: ProviderKeys;
  list: RevocationList;
  /** A confidential client of the provider holding `security_events_receive`. */
  clientId: string;
  clientSecret: string;
  /**
   * RFC 8936 poll endpoint; defaults to the provider's. Like the keys, it is reached at the keys'
   * `providerUrl` when it lies under the public issuer.
   */
  pollUrl?: string;
  pollIntervalMs?: number;
  /** With Redis, events also arrive by pub/sub within a second. */
  store?: KeyValueStore;
  logger?: Logger;
}

/**
 * Receives the provider's revocation feed: polls (RFC 8936, acknowledging what it applied) and, when
 * Redis is configured, listens on pub/sub. Every SET is verified against the provider's keys
 * (`typ: secevent+jwt`, `iss`) before it is applied.
 */
export class SecurityEventReceiver {
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => Promise<void>) | null = null;
  private pendingAcks: string[] = [];
  private polling: Promise<void> | null = null;
  private stopped = false;
  private warned = false;
  lastPollOk = false;

  constructor(private readonly options: ReceiverOptions) {}

  async start(): Promise<void> {
    if (this.options.store?.kind === 'redis') {
      this.unsubscribe = await this.options.store.subscribe(securityEventsChannel, (set) => {
        this.applySet(set).catch(() => {});
      });
    }
    await this.poll().catch(() => {});
    const schedule = () => {
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        this.poll()
          .catch(() => {})
          .finally(schedule);
      }, this.options.pollIntervalMs ?? 5000);
      this.timer.unref();
    };
    schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.unsubscribe?.();
    await this.polling?.catch(() => {});
  }

  /** Verifies one SET and applies it; answers its jti when applied. */
  async applySet(set: string): Promise<string | null> {
    const { kid } = decodeProtectedHeader(set);
    const lookup = await this.options.keys.lookup(kid);
    if (!lookup.found) throw new Error('security event signed with an unknown key');
    const { payload } = await jwtVerify(set, lookup.key, { issuer: this.options.issuer, typ: securityEventTokenType });
    if (typeof payload.events !== 'object' || payload.events === null) throw new Error('security event without events');
    this.options.list.apply(payload.events as Record<string, never>);
    return payload.jti ?? null;
  }

  /** One poll round (repeated while the provider says more is available). */
  poll(): Promise<void> {
    this.polling ??= this.pollRounds().finally(() => {
      this.polling = null;
    });
    return this.polling;
  }

  private async pollRounds(): Promise<void> {
    const url = this.options.keys.reachable(this.options.pollUrl ?? `${this.options.issuer}${securityEventsPollPath}`);
    const auth = Buffer.from(
      `${encodeURIComponent(this.options.clientId)}:${encodeURIComponent(this.options.clientSecret)}`,
    ).toString('base64');
    for (let round = 0; round < 20; round += 1) {
      const ack = [...this.pendingAcks];
      let body: { sets?: Record<string, string>; moreAvailable?: boolean };
      try {
        const response = await httpFetch(url, {
          method: 'POST',
          headers: { authorization: `Basic ${auth}`, 'content-type': 'application/json' },
          body: JSON.stringify({ ack, maxEvents: 200, returnImmediately: true }),
          signal: AbortSignal.timeout(3000),
        });
        if (!response.ok) throw new Error(`poll answered ${response.status}`);
        body = (await response.json()) as typeof body;
        this.pendingAcks = this.pendingAcks.slice(ack.length);
        if (!this.lastPollOk && this.warned) this.options.logger?.info('security event poll resumed');
        this.lastPollOk = true;
      } catch (error) {
        // Said once per outage, not on every poll while the provider is away.
        if (this.lastPollOk || !this.warned) {
          this.options.logger?.warn({ reason: (error as Error).message }, 'security event poll failed');
          this.warned = true;
        }
        this.lastPollOk = false;
        throw error;
      }
      for (const [jti, set] of Object.entries(body.sets ?? {})) {
        try {
          await this.applySet(set);
          this.pendingAcks.push(jti);
        } catch (error) {
          this.options.logger?.warn({ jti, reason: (error as Error).message }, 'security event refused');
        }
      }
      this.options.list.prune();
      if (!body.moreAvailable) return;
    }
  }
}
