import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';

/**
 * The small store interface behind caches, rate limits, short-lived protocol state and pub/sub:
 * Redis when REDIS_URL is set, this process's memory otherwise. Keys are namespaced by `prefix` so
 * that several deployments (or test runs) share one Redis without seeing each other's data.
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
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export function openKeyValueStore(redisUrl: string | undefined, prefix = 'usher:'): KeyValueStore {
  return redisUrl ? new RedisStore(redisUrl, prefix) : new MemoryStore(prefix);
}

class RedisStore implements KeyValueStore {
  readonly kind = 'redis' as const;
  readonly redis: Redis;
  private subscriber: Redis | null = null;
  private readonly listeners = new EventEmitter();

  constructor(
    private readonly url: string,
    readonly prefix: string,
  ) {
    this.redis = new Redis(url, { keyPrefix: prefix, maxRetriesPerRequest: 2, lazyConnect: false });
    this.redis.on('error', () => {}); // surfaced through ping() and failed commands
    this.listeners.setMaxListeners(0);
  }

  async get(key: string) {
    return this.redis.get(key);
  }

  async set(key: string, value: string, ttlSeconds?: number) {
    if (ttlSeconds) await this.redis.set(key, value, 'EX', Math.max(1, Math.ceil(ttlSeconds)));
    else await this.redis.set(key, value);
  }

  async del(...keys: string[]) {
    if (keys.length) await this.redis.del(...keys);
  }

  async addToSet(key: string, member: string, ttlSeconds: number) {
    const ttl = Math.max(1, Math.ceil(ttlSeconds));
    await this.redis.multi().sadd(key, member).expire(key, ttl, 'GT').expire(key, ttl, 'NX').exec();
  }

  async setMembers(key: string) {
    return this.redis.smembers(key);
  }

  async publish(channel: string, message: string) {
    await this.redis.publish(this.prefix + channel, message);
  }

  async subscribe(channel: string, listener: (message: string) => void) {
    const full = this.prefix + channel;
    if (!this.subscriber) {
      this.subscriber = new Redis(this.url, { maxRetriesPerRequest: null });
      this.subscriber.on('error', () => {});
      this.subscriber.on('message', (name: string, message: string) => this.listeners.emit(name, message));
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
    try {
      return (await this.redis.ping()) === 'PONG';
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
