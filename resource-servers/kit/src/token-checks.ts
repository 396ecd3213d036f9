import { mkdir } from 'node:fs/promises';
import type { KeyValueStore, Logger } from '@usher/platform';
import { ProviderKeys } from './provider-keys.ts';
import type { ResourceServerConfig } from './resource-server-settings.ts';
import { RevocationList } from './revocation-list.ts';
import { SecurityEventReceiver } from './security-event-receiver.ts';
import { TokenVerifier } from './token-verifier.ts';

/** How a resource server checks bearer tokens: the provider's keys, the revocations it has heard of, the verifier. */
export interface TokenChecks {
  keys: ProviderKeys;
  verifier: TokenVerifier;
  /** Null when the server does not follow the revocation feed (no client configured). */
  revocations: RevocationList | null;
  /** Stops the feed, writes the revocations to disk, stops the keys' refreshes (unless they were given). */
  stop(): Promise<void>;
}

export interface TokenCheckDeps {
  /** With Redis, revocation events also arrive by pub/sub within a second. */
  store: KeyValueStore;
  logger: Logger;
  /** Keys made and stopped elsewhere (tests with short timeouts); by default made from the config. */
  keys?: ProviderKeys;
}

type TrustConfig = Pick<
  ResourceServerConfig,
  'prefix' | 'issuer' | 'providerUrl' | 'resource' | 'keysCacheDir' | 'revocationsFile' | 'feed'
>;

/**
 * The one call that wires token checking: the provider's keys (disk copy first, then the provider,
 * asked every second while it has not answered yet), the revocation feed (events kept on disk, the
 * first poll in the background so a provider that is down does not hold the server up), and the
 * verifier that uses both.
 */
export async function startTokenChecks(config: TrustConfig, deps: TokenCheckDeps): Promise<TokenChecks> {
  const { store, logger } = deps;
  let keys = deps.keys;
  const ownKeys = !keys;
  if (!keys) {
    await mkdir(config.keysCacheDir, { recursive: true });
    keys = new ProviderKeys({
      issuer: config.issuer,
      providerUrl: config.providerUrl,
      cacheDir: config.keysCacheDir,
      logger,
    });
    await keys.start();
  }

  let revocations: RevocationList | null = null;
  let receiver: SecurityEventReceiver | null = null;
  if (config.feed) {
    revocations = new RevocationList({ file: config.revocationsFile });
    await revocations.load();
    receiver = new SecurityEventReceiver({
      issuer: config.issuer,
      keys,
      list: revocations,
      clientId: config.feed.clientId,
      clientSecret: config.feed.clientSecret,
      pollIntervalMs: config.feed.pollIntervalMs,
      store,
      logger,
    });
    receiver.start().catch((error: Error) => logger.warn({ reason: error.message }, 'revocation feed not followed'));
  } else {
    logger.warn(
      `${config.prefix}_CLIENT_ID and ${config.prefix}_CLIENT_SECRET are not set: revoked tokens are honoured until they expire`,
    );
  }

  const verifier = new TokenVerifier({
    issuer: config.issuer,
    audience: config.resource,
    keys,
    logger,
    ...(revocations ? { revocations } : {}),
  });
  const given = keys;
  return {
    keys,
    verifier,
    revocations,
    async stop() {
      await receiver?.stop();
      await revocations?.flush();
      if (ownKeys) given.stop();
    },
  };
}
