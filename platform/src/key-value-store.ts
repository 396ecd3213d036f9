import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';
import { StoreUnavailable } from './store-unavailable.ts';

/**
 * The small store interface behind caches, rate limits, short-lived protocol state and pub/sub:
 * Redis when REDIS_URL is set, this process's memory otherwise. Keys are namespaced by `prefix` so
 * that several deployments (or test runs) share one Redis without seeing each other's data.
 *
 * Every Redis call is bounded: it fails with `StoreUnavailable` at once while Redis is known to be
 * unreachable, and within `commandTimeoutMs` otherwise (a silent Redis), so callers can fall back
 * (a cache misses) or answer 503 instead of waiting for Redis to come back.
 */
export interface KeyValueStore {
  readonly kind: 'redis' | 'memory';
  readonly prefix: string;
  /** The raw client, for libraries that speak Redis themselves (rate-limiter-flexible). */
  readonly redis: Redis | null;
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds?: number): Promise<void>;
  del(...keys: string[]): Promise<void>;
  /** Adds to a set whose lifetime is extended to at least `ttlSeconds`. */
  addToSet(key: string, member: string, ttlSeconds: number): Promise<void>;
  setMembers(key: string): Promise<string[]>;
  publish(channel: string, message: string): Promise<void>;
  subscribe(channel: string, listener: (message: string) => void): Promise<() => Promise<void>>;
  /** True when the store answers; false at once while Redis is unreachable, within the command timeout otherwise. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface RedisTimeouts {
  /** The longest any command waits for its answer (REDIS_COMMAND_TIMEOUT_MS). */
  commandTimeoutMs: number;
  /** The longest opening a connection may take (REDIS_CONNECT_TIMEOUT_MS). */
  connectTimeoutMs: number;
}

export const defaultRedisTimeouts: RedisTimeouts = { commandTimeoutMs: 500, connectTimeoutMs: 1000 };

export function openKeyValueStore(
  redisUrl: string | undefined,
  prefix = 'usher:',
  timeouts: Partial<RedisTimeouts> = {},
): KeyValueStore {
  return redisUrl
    ? new RedisStore(redisUrl, prefix, { ...defaultRedisTimeouts, ...timeouts })
    : new MemoryStore(prefix);
}

/**
 * ioredis options that bound every call: a command gets its answer within `commandTimeout` or fails;
 * a connection that receives nothing for as long after a command (`socketTimeout`: a silent Redis)
 * is dropped and reopened, so the store sees it is down; reconnection is retried at least once a
 * second, so a Redis that comes back is used again within about a second. Commands issued while a
 * connection is being opened wait for it (the offline queue), within their timeout.
 */
function boundedOptions(timeouts: RedisTimeouts) {
  return {
    commandTimeout: timeouts.commandTimeoutMs,
    socketTimeout: timeouts.commandTimeoutMs,
    connectTimeout: timeouts.connectTimeoutMs,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 1000),
  };
}

/** ioredis statuses in which Redis is known to be unreachable: between reconnection attempts, or closed. */
const unreachable = new Set(['reconnecting', 'close', 'end']);

class RedisStore implements KeyValueStore {
  readonly kind = 'redis' as const;
  readonly redis: Redis;
  private subscriber: Redis | null = null;
  private readonly listeners = new EventEmitter();

  constructor(
    private readonly url: string,
    readonly prefix: string,
    private readonly timeouts: RedisTimeouts,
  ) {
    this.redis = new Redis(url, { keyPrefix: prefix, lazyConnect: false, ...boundedOptions(timeouts) });
    this.redis.on('error', () => {}); // surfaced through ping() and failed commands
    this.listeners.setMaxListeners(0);
  }

  /**
   * Runs a command, failing at once while Redis is known to be unreachable. Failures of the
   * connection (refused, timed out, dropped) become StoreUnavailable; a reply error (a command Redis
   * refused) stays what it is: that is a bug, not an outage.
   */
  private async call<T>(command: (redis: Redis) => Promise<T>): Promise<T> {
    if (unreachable.has(this.redis.status)) {
      throw new StoreUnavailable('redis', `Redis is unreachable (${this.redis.status})`);
    }
    try {
      return await command(this.redis);
    } catch (error) {
      if ((error as Error).name === 'ReplyError') throw error;
      throw new StoreUnavailable('redis', `Redis did not answer: ${(error as Error).message}`);
    }
  }

  async get(key: string) {
    return this.call((redis) => redis.get(key));
  }

  async set(key: string, value: string, ttlSeconds?: number) {
    await this.call((redis) =>
      ttlSeconds ? redis.set(key, value, 'EX', Math.max(1, Math.ceil(ttlSeconds))) : redis.set(key, value),
    );
  }

  async del(...keys: string[]) {
    if (keys.length) await this.call((redis) => redis.del(...keys));
  }

  async addToSet(key: string, member: string, ttlSeconds: number) {
    const ttl = Math.max(1, Math.ceil(ttlSeconds));
    await this.call((redis) => redis.multi().sadd(key, member).expire(key, ttl, 'GT').expire(key, ttl, 'NX').exec());
  }

  async setMembers(key: string) {
    return this.call((redis) => redis.smembers(key));
  }

  async publish(channel: string, message: string) {
    await this.call((redis) => redis.publish(this.prefix + channel, message));
  }

  async subscribe(channel: string, listener: (message: string) => void) {
    const full = this.prefix + channel;
    if (!this.subscriber) {
      // No command timeout here: subscriptions are waited for only as long as settleWithin allows
      // (below), and are renewed on every reconnection (the 'ready' handler).
      const subscriber = new Redis(this.url, {
        maxRetriesPerRequest: null,
        connectTimeout: this.timeouts.connectTimeoutMs,
        retryStrategy: boundedOptions(this.timeouts).retryStrategy,
        autoResubscribe: false,
      });
      this.subscriber = subscriber;
      subscriber.on('error', () => {});
      // Resubscribed here rather than by ioredis, whose own resubscription leaves its promise
      // unhandled: a Redis that drops again (or a close) before answering would be an unhandled
      // rejection, which ends a Node process.
      subscriber.on('ready', () => {
        const channels = this.listeners.eventNames().map(String);
        if (channels.length) subscriber.subscribe(...channels).catch(() => {});
      });
      subscriber.on('message', (name: string, message: string) => this.listeners.emit(name, message));
    }
    if (this.listeners.listenerCount(full) === 0) await settleWithin(this.subscriber.subscribe(full), 2000);
    this.listeners.on(full, listener);
    return async () => {
      this.listeners.off(full, listener);
      if (this.listeners.listenerCount(full) === 0 && this.subscriber) {
        await settleWithin(this.subscriber.unsubscribe(full), 2000);
      }
    };
  }

  async ping() {
    if (this.redis.status !== 'ready') return false;
    try {
      return (await this.call((redis) => redis.ping())) === 'PONG';
    } catch {
      return false;
    }
  }

  async close() {
    this.subscriber?.disconnect();
    // QUIT would wait in the offline queue forever while Redis is unreachable.
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis.disconnect());
    else this.redis.disconnect();
  }
}

/**
 * Waits for a Redis command at most `ms`: with Redis down, ioredis keeps (un)subscriptions queued and
 * applies them on reconnect, so start-up and shutdown must not wait for Redis to come back.
 */
async function settleWithin(command: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([
      command.then(
        () => undefined,
        () => undefined,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

interface Entry {
  value: string | Set<string>;
  expiresAt: number | null;
}

class MemoryStore implements KeyValueStore {
  readonly kind = 'memory' as const;
  readonly redis = null;
  private readonly entries = new Map<string, Entry>();
  private readonly channels = new EventEmitter();
  private readonly sweeper: NodeJS.Timeout;

  constructor(readonly prefix: string) {
    this.channels.setMaxListeners(0);
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt !== null && entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private sweep() {
    const now = Date.now();
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt !== null && entry.expiresAt <= now) this.entries.delete(key);
    }
  }

  async get(key: string) {
    const entry = this.live(key);
    return typeof entry?.value === 'string' ? entry.value : null;
  }

  async set(key: string, value: string, ttlSeconds?: number) {
    this.entries.set(key, { value, expiresAt: ttlSeconds ? Date.now() + ttlSeconds * 1000 : null });
  }

  async del(...keys: string[]) {
    for (const key of keys) this.entries.delete(key);
  }

  async addToSet(key: string, member: string, ttlSeconds: number) {
    const expiresAt = Date.now() + ttlSeconds * 1000;
    const entry = this.live(key);
    if (entry && entry.value instanceof Set) {
      entry.value.add(member);
      entry.expiresAt = Math.max(entry.expiresAt ?? 0, expiresAt);
    } else {
      this.entries.set(key, { value: new Set([member]), expiresAt });
    }
  }

  async setMembers(key: string) {
    const entry = this.live(key);
    return entry?.value instanceof Set ? [...entry.value] : [];
  }

  async publish(channel: string, message: string) {
    this.channels.emit(channel, message);
  }

  async subscribe(channel: string, listener: (message: string) => void) {
    this.channels.on(channel, listener);
    return async () => {
      this.channels.off(channel, listener);
    };
  }

  async ping() {
    return true;
  }

  async close() {
    clearInterval(this.sweeper);
    this.entries.clear();
    this.channels.removeAllListeners();
  }
}
