import { AsyncLocalStorage } from 'node:async_hooks';
import { statement, type KeyValueStore, type Knex, type Statement } from '@usher/platform';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { ClientStore } from '../clients/client-store.ts';
import { RefreshTokenAdapter, rotationStatements } from './refresh-token-adapter.ts';

/**
 * Short-lived models that may live in Redis when it is configured: they expire within minutes and
 * are never looked up by uid or user code. Everything else is durable in PostgreSQL (refresh tokens
 * must be: their rotation is one SQL statement, see refresh-token-adapter.ts).
 */
const volatileModels = new Set(['Interaction', 'ReplayDetection', 'PushedAuthorizationRequest', 'AuthorizationCode']);

interface PayloadRow {
  payload: AdapterPayload;
  consumed_at: Date | null;
}

function withConsumed(row: PayloadRow | undefined): AdapterPayload | undefined {
  if (!row) return undefined;
  if (row.consumed_at) return { ...row.payload, consumed: Math.floor(row.consumed_at.getTime() / 1000) };
  return row.payload;
}

export interface AdapterDeps {
  knex: Knex;
  store: KeyValueStore;
  clients: ClientStore;
}

const protocolTransaction = new AsyncLocalStorage<Knex>();

/**
 * Runs `work` with every durable protocol write (and read) of this async context inside `trx`, so a
 * change oidc-provider makes and what we record about it (a sign-out and its revocation event)
 * commit or roll back together.
 */
export function inProtocolTransaction<T>(trx: Knex, work: () => Promise<T>): Promise<T> {
  return protocolTransaction.run(trx, work);
}

interface PayloadStatements {
  upsert: Statement<never>;
  findById: Statement<PayloadRow>;
}

/** Every protocol request reads or writes a payload by id: prepared statements, not the query builder. */
function payloadStatements(knex: Knex): PayloadStatements {
  return {
    upsert: statement(
      knex,
      'usher_payload_upsert',
      `insert into oidc_payloads (model, id, payload, grant_id, uid, user_code, expires_at)
       values ($1, $2, $3, $4, $5, $6, $7)
       on conflict (model, id) do update set payload = excluded.payload, grant_id = excluded.grant_id,
         uid = excluded.uid, user_code = excluded.user_code, expires_at = excluded.expires_at`,
    ),
    findById: statement(
      knex,
      'usher_payload_find',
      `select payload, consumed_at from oidc_payloads
       where model = $1 and id = $2 and (expires_at is null or expires_at > now())
       limit 1`,
    ),
  };
}

/** One JSONB table for every model, with expiry and the indexes oidc-provider looks up by. */
class PostgresAdapter implements Adapter {
  constructor(
    private readonly model: string,
    private readonly root: Knex,
    private readonly statements: PayloadStatements,
  ) {}

  /** The request's protocol transaction when there is one, else the pool. */
  private get knex(): Knex {
    return protocolTransaction.getStore() ?? this.root;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number) {
    await this.statements.upsert(
      [
        this.model,
        id,
        JSON.stringify(payload),
        payload.grantId ?? null,
        payload.uid ?? null,
        payload.userCode ?? null,
        expiresIn ? new Date(Date.now() + expiresIn * 1000) : null,
      ],
      protocolTransaction.getStore(),
    );
  }

  private async live(where: Record<string, string>): Promise<PayloadRow | undefined> {
    return (await this.knex('oidc_payloads')
      .where({ model: this.model, ...where })
      .where((q) => q.whereNull('expires_at').orWhere('expires_at', '>', this.knex.fn.now()))
      .first('payload', 'consumed_at')) as PayloadRow | undefined;
  }

  async find(id: string) {
    const [row] = await this.statements.findById([this.model, id], protocolTransaction.getStore());
    return withConsumed(row);
  }

  async findByUid(uid: string) {
    return withConsumed(await this.live({ uid }));
  }

  async findByUserCode(userCode: string) {
    return withConsumed(await this.live({ user_code: userCode }));
  }

  async consume(id: string) {
    await this.knex('oidc_payloads').where({ model: this.model, id }).update({ consumed_at: this.knex.fn.now() });
  }

  async destroy(id: string) {
    await this.knex('oidc_payloads').where({ model: this.model, id }).delete();
  }

  async revokeByGrantId(grantId: string) {
    await this.knex('oidc_payloads').where({ model: this.model, grant_id: grantId }).delete();
  }
}

/** Short-lived models in the key-value store, with a per-grant index for revocation. */
class VolatileAdapter implements Adapter {
  constructor(
    private readonly model: string,
    private readonly store: KeyValueStore,
  ) {}

  private key(id: string) {
    return `oidc:${this.model}:${id}`;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn: number) {
    const ttl = expiresIn || 3600;
    await this.store.set(this.key(id), JSON.stringify(payload), ttl);
    if (payload.grantId) await this.store.addToSet(`oidc:grant:${payload.grantId}`, this.key(id), ttl);
  }

  async find(id: string) {
    const value = await this.store.get(this.key(id));
    return value ? (JSON.parse(value) as AdapterPayload) : undefined;
  }

  async findByUid(): Promise<undefined> {
    return undefined;
  }

  async findByUserCode(): Promise<undefined> {
    return undefined;
  }

  async consume(id: string) {
    const payload = await this.find(id);
    if (!payload) return;
    const ttl = payload.exp ? payload.exp - Math.floor(Date.now() / 1000) : 60;
    payload.consumed = Math.floor(Date.now() / 1000);
    await this.store.set(this.key(id), JSON.stringify(payload), Math.max(1, ttl));
  }

  async destroy(id: string) {
    await this.store.del(this.key(id));
  }

  async revokeByGrantId(grantId: string) {
    const index = `oidc:grant:${grantId}`;
    await this.store.del(...(await this.store.setMembers(index)), index);
  }
}

/** Clients come from the clients table (managed by the CLI and admin API), never registered here. */
class ClientAdapter implements Adapter {
  constructor(private readonly clients: ClientStore) {}
  async find(id: string) {
    // Inside a protocol transaction (a sign-out) the lookup joins it: on the embedded database a
    // query outside an open transaction waits for that transaction to end.
    return (await this.clients.find(id, protocolTransaction.getStore())) as AdapterPayload | undefined;
  }
  async upsert() {
    throw new Error('clients are managed through the CLI and the admin API');
  }
  async findByUid(): Promise<undefined> {
    return undefined;
  }
  async findByUserCode(): Promise<undefined> {
    return undefined;
  }
  async consume() {}
  async destroy() {}
  async revokeByGrantId() {}
}

export function createAdapterFactory({ knex, store, clients }: AdapterDeps) {
  const useVolatile = store.kind === 'redis';
  const statements = payloadStatements(knex);
  const rotation = rotationStatements(knex);
  return (model: string): Adapter => {
    if (model === 'Client') return new ClientAdapter(clients);
    if (useVolatile && volatileModels.has(model)) return new VolatileAdapter(model, store);
    const rows = new PostgresAdapter(model, knex, statements);
    if (model === 'RefreshToken') return new RefreshTokenAdapter(rows, rotation, () => protocolTransaction.getStore());
    return rows;
  };
}

/** Removes rows that expired over an hour ago; every instance may run it. */
export async function purgeExpiredPayloads(knex: Knex): Promise<number> {
  return knex('oidc_payloads').where('expires_at', '<', knex.raw(`now() - interval '1 hour'`)).delete();
}
