import { randomBytes } from 'node:crypto';
import { isUniqueViolation, type Knex } from '@usher/platform';
import type { SecretBox } from '../security/secret-box.ts';
import { needsSecret } from './registration-rules.ts';

/** RFC 7591 client metadata as stored (the secret is kept apart, sealed). */
export type ClientMetadata = Record<string, unknown> & { client_id: string };

export class ClientExists extends Error {
  constructor(clientId: string) {
    super(`Client ${clientId} already exists`);
    this.name = 'ClientExists';
  }
}

interface ClientRow {
  client_id: string;
  metadata: ClientMetadata;
  secret: string | null;
  first_party: boolean;
  created_at: Date;
}

/** Clients live in their own table; oidc-provider reads them through the adapter, briefly cached. */
export function createClientStore(knex: Knex, box: SecretBox, cacheMs = 2000) {
  type Stored = (ClientMetadata & { client_secret?: string }) | undefined;
  const cache = new Map<string, { at: number; value: Stored }>();
  // Reads in flight, so that when an entry runs out under load one query serves every waiting request.
  const loading = new Map<string, Promise<Stored>>();

  /** Drops what is cached or being read for a client: the next find reads the table. */
  function forget(clientId: string) {
    cache.delete(clientId);
    loading.delete(clientId);
  }

  function load(clientId: string): Promise<Stored> {
    const pending = loading.get(clientId);
    if (pending) return pending;
    const read = knex<ClientRow>('clients')
      .where({ client_id: clientId })
      .first()
      .then((row) => {
        const value = row ? toOidc(row) : undefined;
        // Forgotten while it was read (a change committed meanwhile): answer, but do not keep it.
        if (loading.get(clientId) === read) {
          cache.set(clientId, { at: Date.now(), value });
          if (cache.size > 10_000) cache.delete(cache.keys().next().value!);
        }
        return value;
      })
      .finally(() => {
        if (loading.get(clientId) === read) loading.delete(clientId);
      });
    loading.set(clientId, read);
    return read;
  }

  function toOidc(row: ClientRow): ClientMetadata & { client_secret?: string } {
    const metadata: ClientMetadata & { client_secret?: string } = {
      ...row.metadata,
      client_id: row.client_id,
      first_party: row.first_party,
    };
    if (row.secret) metadata.client_secret = box.open(row.secret);
    return metadata;
  }

  return {
    /** Stores a client; generates its id and (for confidential clients) its secret when absent. */
    async create(
      input: Record<string, unknown>,
      trx: Knex = knex,
    ): Promise<ClientMetadata & { client_secret?: string }> {
      const { client_secret: givenSecret, first_party: firstParty, ...rest } = input;
      const clientId =
        typeof rest.client_id === 'string' && rest.client_id ? rest.client_id : randomBytes(16).toString('base64url');
      const secret = needsSecret(rest)
        ? typeof givenSecret === 'string' && givenSecret
          ? givenSecret
          : randomBytes(32).toString('base64url')
        : null;
      try {
        await trx('clients').insert({
          client_id: clientId,
          metadata: JSON.stringify({ ...rest, client_id: clientId }),
          secret: secret === null ? null : box.seal(secret),
          first_party: firstParty === true,
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw new ClientExists(clientId);
        throw error;
      }
      forget(clientId);
      const stored = await this.find(clientId, trx);
      return stored!;
    },

    /** `forUpdate` (inside a transaction) reads past the cache and locks the row until the commit. */
    async find(
      clientId: string,
      trx: Knex = knex,
      options: { forUpdate?: boolean } = {},
    ): Promise<(ClientMetadata & { client_secret?: string }) | undefined> {
      const hit = cache.get(clientId);
      if (hit && !options.forUpdate && Date.now() - hit.at < cacheMs) return hit.value;
      if (trx === knex && !options.forUpdate) return load(clientId);
      const query = trx<ClientRow>('clients').where({ client_id: clientId });
      const row = await (options.forUpdate ? query.forUpdate() : query).first();
      const value = row ? toOidc(row) : undefined;
      // A locked read may see this transaction's own uncommitted change: never cached.
      if (options.forUpdate) return value;
      cache.set(clientId, { at: Date.now(), value });
      if (cache.size > 10_000) cache.delete(cache.keys().next().value!);
      return value;
    },

    async list(trx: Knex = knex): Promise<ClientMetadata[]> {
      const rows = await trx<ClientRow>('clients').orderBy('created_at');
      return rows.map((row) => {
        const { client_secret: _secret, ...metadata } = toOidc(row);
        return metadata;
      });
    },

    /** Replaces a client's metadata (not its id or secret). */
    async update(clientId: string, metadata: Record<string, unknown>, trx: Knex = knex): Promise<boolean> {
      const { client_secret: _secret, first_party: firstParty, ...rest } = metadata;
      const updated = await trx('clients')
        .where({ client_id: clientId })
        .update({
          metadata: JSON.stringify({ ...rest, client_id: clientId }),
          first_party: firstParty === true,
          updated_at: trx.fn.now(),
        });
      forget(clientId);
      return updated > 0;
    },

    async delete(clientId: string, trx: Knex = knex): Promise<boolean> {
      forget(clientId);
      return (await trx('clients').where({ client_id: clientId }).delete()) > 0;
    },

    /** Gives a confidential client a new secret (generated unless given); answers it, or null. */
    async rotateSecret(clientId: string, trx: Knex = knex, given?: string): Promise<string | null> {
      const secret = given ?? randomBytes(32).toString('base64url');
      const updated = await trx('clients')
        .where({ client_id: clientId })
        .whereNotNull('secret')
        .update({ secret: box.seal(secret), updated_at: trx.fn.now() });
      forget(clientId);
      return updated ? secret : null;
    },
  };
}

export type ClientStore = ReturnType<typeof createClientStore>;
