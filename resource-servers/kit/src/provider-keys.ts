import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { httpFetch, type Logger } from '@usher/platform';
import { importJWK, type JWK } from 'jose';
import { reachableUrl } from './provider-address.ts';

type VerificationKey = Awaited<ReturnType<typeof importJWK>>;

interface CachedKeySet {
  issuer: string;
  /** Where discovery was fetched (absent in copies written before providerUrl existed: the issuer). */
  providerUrl?: string;
  jwksUri: string;
  fetchedAt: number;
  keys: JWK[];
}

export type KeyLookup =
  | { found: true; key: VerificationKey; jwk: JWK }
  /** The provider answered recently and does not publish this kid: the token is not ours. */
  | { found: false; providerReachable: true }
  /** The provider could not be asked (down, hung, or never reached): the kid may still be real. */
  | { found: false; providerReachable: false; reason: string };

export interface ProviderKeysOptions {
  /** The public issuer: tokens must carry it as `iss`, and discovery must name it. */
  issuer: string;
  /**
   * Where this process reaches the provider, when the public issuer does not lead to it (inside a
   * container network). Discovery is fetched from here, and the URLs it publishes under the issuer
   * (the JWKS, the revocation feed) are fetched at the same path here. Defaults to the issuer.
   */
  providerUrl?: string;
  /** Folder for the on-disk copy, so a restart while the provider is down still verifies. */
  cacheDir: string;
  logger?: Logger;
  /** Least time between two fetches triggered by unknown kids (a flood of forged kids costs one fetch). */
  refreshCooldownMs?: number;
  /** Background refresh period: picks up rotations before any token needs them. */
  backgroundRefreshMs?: number;
  /** A fetch slower than this counts as the provider being unreachable (it may be hung). */
  timeoutMs?: number;
  /**
   * Until the first successful fetch, and for at most `startupWindowMs` after start, the provider is
   * asked every `startupRetryMs` instead of once per cooldown: started together with the provider, a
   * resource server would otherwise serve tokens as degraded for a whole cooldown. Defaults 1 s and 30 s.
   */
  startupRetryMs?: number;
  startupWindowMs?: number;
}

/**
 * The provider's signing keys, kept in memory and on disk. Unlike jose's createRemoteJWKSet, the last
 * good keys keep serving however stale they are: a key set is only ever replaced by a newer
 * successful fetch, and nothing on the request path waits for the provider except a kid never seen.
 */
export class ProviderKeys {
  private keys = new Map<string, { jwk: JWK; key: Promise<VerificationKey | null> }>();
  private jwksUri: string | null = null;
  private lastAttempt = 0;
  private lastSuccess = 0;
  private lastFailure: string | null = 'not fetched yet';
  private fetches = 0;
  private inflight: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private startupTimer: NodeJS.Timeout | null = null;
  private startedAt = 0;
  private readonly file: string;
  private readonly cooldown: number;
  private readonly timeout: number;
  /** Where the provider is reached (the issuer unless `providerUrl` says otherwise). */
  readonly providerUrl: string;

  constructor(private readonly options: ProviderKeysOptions) {
    this.providerUrl = (options.providerUrl ?? options.issuer).replace(/\/$/, '');
    const name = createHash('sha256').update(options.issuer).digest('hex').slice(0, 16);
    this.file = path.join(options.cacheDir, `jwks-${name}.json`);
    this.cooldown = options.refreshCooldownMs ?? 30_000;
    this.timeout = options.timeoutMs ?? 2_000;
  }

  /**
   * Loads the disk copy, then tries the provider once without failing when it is down; while it
   * has never answered, asks again every `startupRetryMs` during the start-up window.
   */
  async start(): Promise<void> {
    this.startedAt = Date.now();
    try {
      const cached = JSON.parse(await readFile(this.file, 'utf8')) as CachedKeySet;
      if (cached.issuer === this.options.issuer) {
        this.install(cached.keys);
        // A JWKS address found through another provider address may not be reachable from here.
        if ((cached.providerUrl ?? cached.issuer) === this.providerUrl) this.jwksUri = cached.jwksUri;
        this.options.logger?.info(
          { kids: cached.keys.map((k) => k.kid), fetchedAt: new Date(cached.fetchedAt) },
          'signing keys loaded from disk',
        );
      }
    } catch {
      // no copy yet
    }
    await this.refresh().catch(() => {});
    const period = this.options.backgroundRefreshMs ?? 5 * 60_000;
    this.timer = setInterval(() => void this.refresh().catch(() => {}), period);
    this.timer.unref();
    if (this.inStartup()) {
      this.startupTimer = setInterval(() => {
        if (this.inStartup()) void this.refresh().catch(() => {});
        else this.stopStartupRetries();
      }, this.options.startupRetryMs ?? 1000);
      this.startupTimer.unref();
    }
  }

  stop() {
    if (this.timer) clearInterval(this.timer);
    this.stopStartupRetries();
  }

  /** Never fetched successfully, and still within the start-up window. */
  private inStartup(): boolean {
    return this.lastSuccess === 0 && Date.now() - this.startedAt < (this.options.startupWindowMs ?? 30_000);
  }

  private stopStartupRetries() {
    if (this.startupTimer) clearInterval(this.startupTimer);
    this.startupTimer = null;
  }

  /** Least time between fetches for unknown kids: the start-up retry period until the provider first answers. */
  private currentCooldown(): number {
    return this.inStartup() ? Math.min(this.cooldown, this.options.startupRetryMs ?? 1000) : this.cooldown;
  }

  get status() {
    return {
      kids: [...this.keys.keys()],
      lastSuccess: this.lastSuccess || null,
      lastFailure: this.lastFailure,
      reachable: this.lastFailure === null,
      fetches: this.fetches,
    };
  }

  /** The key for `kid`; an unknown kid triggers one fetch (deduplicated, rate-limited by the cooldown). */
  async lookup(kid: string | undefined): Promise<KeyLookup> {
    if (kid === undefined) return { found: false, providerReachable: true };
    let entry = this.keys.get(kid);
    if (!entry && Date.now() - this.lastAttempt >= this.currentCooldown()) {
      await this.refresh().catch(() => {});
      entry = this.keys.get(kid);
    }
    if (entry) {
      const key = await entry.key;
      // Published but unusable here: nothing it signs can be verified, and asking again will not help.
      return key ? { found: true, key, jwk: entry.jwk } : { found: false, providerReachable: true };
    }
    if (this.lastFailure !== null) return { found: false, providerReachable: false, reason: this.lastFailure };
    return { found: false, providerReachable: true };
  }

  /** `url`, published by the provider, as this process reaches it (see `providerUrl`). */
  reachable(url: string): string {
    return reachableUrl(url, this.options.issuer, this.providerUrl);
  }

  /** Fetches discovery (once) and the JWKS; concurrent callers share one fetch. */
  refresh(): Promise<void> {
    this.inflight ??= this.fetchKeys().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private async fetchJson(url: string): Promise<unknown> {
    const response = await httpFetch(url, {
      signal: AbortSignal.timeout(this.timeout),
      headers: { accept: 'application/json' },
    });
    if (!response.ok) throw new Error(`${url} answered ${response.status}`);
    return response.json();
  }

  private async fetchKeys(): Promise<void> {
    this.lastAttempt = Date.now();
    this.fetches += 1;
    try {
      if (!this.jwksUri) {
        const discovery = (await this.fetchJson(`${this.providerUrl}/.well-known/openid-configuration`)) as {
          issuer?: string;
          jwks_uri?: string;
        };
        // Reaching the provider elsewhere never changes who it must be: a provider that names
        // another issuer is refused, whichever address answered.
        if (discovery.issuer !== this.options.issuer || !discovery.jwks_uri)
          throw new Error('discovery document does not match the issuer');
        this.jwksUri = this.reachable(discovery.jwks_uri);
      }
      const body = (await this.fetchJson(this.jwksUri)) as { keys?: JWK[] };
      if (!Array.isArray(body.keys)) throw new Error('JWKS without keys');
      const keys = body.keys.filter(
        (key) => typeof key.kid === 'string' && !('d' in key) && (key.use === undefined || key.use === 'sig'),
      );
      this.install(keys);
      this.lastSuccess = Date.now();
      this.lastFailure = null;
      await this.persist({
        issuer: this.options.issuer,
        providerUrl: this.providerUrl,
        jwksUri: this.jwksUri,
        fetchedAt: this.lastSuccess,
        keys,
      });
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      // Said once per outage (and per new reason), not once a second while start-up retries run.
      const level = reason === this.lastFailure ? 'debug' : 'warn';
      this.lastFailure = reason;
      this.options.logger?.[level](
        { issuer: this.options.issuer, providerUrl: this.providerUrl, reason },
        'could not fetch the provider keys; keeping the last good ones',
      );
      throw error;
    }
  }

  private install(jwks: JWK[]) {
    const next = new Map<string, { jwk: JWK; key: Promise<VerificationKey | null> }>();
    for (const jwk of jwks) {
      const kid = jwk.kid!;
      const existing = this.keys.get(kid);
      if (existing) {
        next.set(kid, existing);
        continue;
      }
      // A key jose cannot import (no `alg`, an unknown curve) is settled here: left unhandled, its
      // rejection would stop the process.
      const key = importJWK(jwk, jwk.alg).catch((error: unknown) => {
        this.options.logger?.warn({ kid, reason: (error as Error).message }, 'unusable key in the provider JWKS');
        return null;
      });
      next.set(kid, { jwk, key });
    }
    // A successful fetch replaces the set: the provider stops publishing a key only once every
    // token it signed has expired. Failed fetches never get here, so the last good set stays.
    this.keys = next;
  }

  private async persist(set: CachedKeySet) {
    await mkdir(this.options.cacheDir, { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify(set));
    await rename(temporary, this.file);
  }
}
