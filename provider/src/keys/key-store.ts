import { createHash } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { Knex } from '@usher/platform';
import type { SecretBox } from '../security/secret-box.ts';

export type SigningAlgorithm = 'RS256' | 'ES256' | 'PS256' | 'EdDSA';
export type KeyStatus = 'next' | 'active' | 'retired';

export interface SigningKey {
  kid: string;
  alg: SigningAlgorithm;
  status: KeyStatus;
  publicJwk: JWK;
  privateJwk: JWK;
  createdAt: Date;
  activatedAt: Date | null;
  publishUntil: Date | null;
}

interface KeyRow {
  kid: string;
  alg: SigningAlgorithm;
  status: KeyStatus;
  public_jwk: JWK;
  private_jwk: string;
  created_at: Date;
  activated_at: Date | null;
  publish_until: Date | null;
}

async function generate(alg: SigningAlgorithm): Promise<{ kid: string; publicJwk: JWK; privateJwk: JWK }> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true, modulusLength: 2048 });
  const publicJwk = await exportJWK(publicKey);
  const privateJwk = await exportJWK(privateKey);
  // RFC 7638 thumbprint-style kid: stable and unique without a counter.
  const kid = createHash('sha256').update(JSON.stringify(publicJwk)).digest('base64url').slice(0, 22);
  return {
    kid,
    publicJwk: { ...publicJwk, kid, alg, use: 'sig' },
    privateJwk: { ...privateJwk, kid, alg, use: 'sig' },
  };
}

const statusOrder: Record<KeyStatus, number> = { active: 0, next: 1, retired: 2 };

/**
 * Signing keys in the database. For every algorithm in use there is one `active` key (signs), one
 * `next` key (published, not yet signing) and any number of `retired` keys (published until the last
 * token they signed has expired). Rotation promotes next to active and retires the active key.
 */
export function createKeyStore(knex: Knex, box: SecretBox) {
  const fromRow = (row: KeyRow): SigningKey => ({
    kid: row.kid,
    alg: row.alg,
    status: row.status,
    publicJwk: row.public_jwk,
    privateJwk: JSON.parse(box.open(row.private_jwk)) as JWK,
    createdAt: row.created_at,
    activatedAt: row.activated_at,
    publishUntil: row.publish_until,
  });

  async function insert(trx: Knex, alg: SigningAlgorithm, status: KeyStatus) {
    const key = await generate(alg);
    await trx('signing_keys').insert({
      kid: key.kid,
      alg,
      status,
      public_jwk: JSON.stringify(key.publicJwk),
      private_jwk: box.seal(JSON.stringify(key.privateJwk)),
      activated_at: status === 'active' ? trx.fn.now() : null,
    });
  }

  /** Serialises key changes across processes and instances. */
  const lock = (trx: Knex) => trx.raw('lock table signing_keys in share row exclusive mode');

  return {
    /** Makes sure each algorithm has an active and a next key (first start, or a new algorithm). */
    async ensure(algorithms: SigningAlgorithm[]): Promise<void> {
      await knex.transaction(async (trx) => {
        await lock(trx);
        for (const alg of algorithms) {
          const statuses = await trx('signing_keys')
            .where({ alg })
            .whereIn('status', ['active', 'next'])
            .pluck('status');
          if (!statuses.includes('active')) await insert(trx, alg, 'active');
          if (!statuses.includes('next')) await insert(trx, alg, 'next');
        }
      });
    },

    /**
     * Promotes every next key, retires the active ones until `retainSeconds` from now (the longest
     * lifetime of anything they signed), generates new next keys and drops keys no longer published.
     * `within` runs in the rotation's transaction (its audit record), so both commit or neither.
     */
    async rotate(
      retainSeconds: number,
      within?: (trx: Knex, result: { activated: string[]; retired: string[] }) => Promise<void>,
    ): Promise<{ activated: string[]; retired: string[] }> {
      return knex.transaction(async (trx) => {
        await lock(trx);
        const algorithms = await trx('signing_keys').whereIn('status', ['active', 'next']).distinct('alg').pluck('alg');
        const activated: string[] = [];
        const retired: string[] = [];
        for (const alg of algorithms as SigningAlgorithm[]) {
          const rows = await trx<KeyRow>('signing_keys').where({ alg }).whereIn('status', ['active', 'next']);
          for (const row of rows.filter((r) => r.status === 'active')) {
            await trx('signing_keys')
              .where({ kid: row.kid })
              .update({
                status: 'retired',
                retired_at: trx.fn.now(),
                publish_until: trx.raw(`now() + (? || ' seconds')::interval`, [retainSeconds]),
              });
            retired.push(row.kid);
          }
          const next = rows.find((r) => r.status === 'next');
          if (next) {
            await trx('signing_keys').where({ kid: next.kid }).update({ status: 'active', activated_at: trx.fn.now() });
            activated.push(next.kid);
          } else {
            await insert(trx, alg, 'active');
          }
          await insert(trx, alg, 'next');
        }
        await trx('signing_keys').where({ status: 'retired' }).where('publish_until', '<', trx.fn.now()).delete();
        await within?.(trx, { activated, retired });
        return { activated, retired };
      });
    },

    /** Published keys: active first (oidc-provider signs with the first match), then next, then retired. */
    async published(): Promise<SigningKey[]> {
      const rows = await knex<KeyRow>('signing_keys')
        .where((q) => q.whereIn('status', ['active', 'next']).orWhere('publish_until', '>', knex.fn.now()))
        .orderBy('created_at', 'desc');
      return rows.map(fromRow).sort((a, b) => statusOrder[a.status] - statusOrder[b.status]);
    },

    /** A cheap fingerprint of the published set, polled by every instance to follow rotations. */
    async version(): Promise<string> {
      const rows = await knex('signing_keys')
        .where((q) => q.whereIn('status', ['active', 'next']).orWhere('publish_until', '>', knex.fn.now()))
        .orderBy('kid')
        .select('kid', 'status');
      return rows.map((row) => `${row.kid}:${row.status}`).join(',');
    },
  };
}

export type KeyStore = ReturnType<typeof createKeyStore>;
