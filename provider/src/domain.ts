import type { Knex } from '@usher/platform';
import { createAccessStore } from './access/access-store.ts';
import { createSignInLog } from './accounts/sign-in-log.ts';
import { createUserStore } from './accounts/user-store.ts';
import { createAuditLog } from './audit/audit-log.ts';
import { createClientStore } from './clients/client-store.ts';
import type { ProviderConfig } from './config.ts';
import { createKeyStore, type SigningAlgorithm } from './keys/key-store.ts';
import { createResourceStore } from './resources/resource-store.ts';
import { createSecretBox } from './security/secret-box.ts';
import { createEventStore } from './security-events/event-store.ts';
import { createIdentityStore } from './upstreams/identity-store.ts';

/** The data layer of the provider, built once per process and shared by the HTTP app and the CLI. */
export function createDomain(config: ProviderConfig, knex: Knex) {
  const box = createSecretBox(config.KEY_ENCRYPTION_SECRET);
  const audit = createAuditLog(knex);
  return {
    knex,
    box,
    users: createUserStore(knex),
    signIns: createSignInLog(knex),
    access: createAccessStore(knex),
    clients: createClientStore(knex, box),
    resources: createResourceStore(knex),
    keys: createKeyStore(knex, box),
    audit,
    /** Identities linked at upstreams (Google, OpenID Connect): list and unlink per user. */
    identities: createIdentityStore(knex, audit),
    events: createEventStore(knex, config.ACCESS_TOKEN_TTL + 5 * 60),
  };
}

export type Domain = ReturnType<typeof createDomain>;

/** ID tokens are RS256 (OpenID Connect requires it); access tokens use the configured algorithm. */
export function signingAlgorithms(config: ProviderConfig): SigningAlgorithm[] {
  return [...new Set<SigningAlgorithm>(['RS256', config.ACCESS_TOKEN_ALG])];
}

/** A retired key stays published until everything it signed has expired, plus clock leeway. */
export function keyRetentionSeconds(config: ProviderConfig): number {
  return Math.max(config.ACCESS_TOKEN_TTL, config.ID_TOKEN_TTL) + 5 * 60;
}

/** Channel on which a rotation is announced to every instance (they also poll, so Redis is optional). */
export const keysChangedChannel = 'keys-changed';
