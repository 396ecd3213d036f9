import { isUniqueViolation, type Knex } from '@usher/platform';

export interface ResourceServerRow {
  id: string;
  identifier: string;
  name: string;
  created_at: Date;
}

export class ResourceExists extends Error {
  constructor(identifier: string) {
    super(`Resource server ${identifier} already exists`);
    this.name = 'ResourceExists';
  }
}

/**
 * Resource servers that may receive JWT access tokens (RFC 8707 resource indicators). Looked up on
 * every token request, so kept in memory for a moment.
 */
export function createResourceStore(knex: Knex, cacheMs = 2000) {
  let cached: { at: number; rows: Map<string, ResourceServerRow> } | null = null;
  // One read at a time: when the cache runs out under load, every request waits for the same query.
  let loading: Promise<Map<string, ResourceServerRow>> | null = null;

  function load(): Promise<Map<string, ResourceServerRow>> {
    loading ??= knex<ResourceServerRow>('resource_servers')
      .select('*')
      .then((rows) => {
        const map = new Map(rows.map((row) => [row.identifier, row]));
        cached = { at: Date.now(), rows: map };
        return map;
      })
      .finally(() => {
        loading = null;
      });
    return loading;
  }

  return {
    async create(identifier: string, name: string, trx: Knex = knex): Promise<ResourceServerRow> {
      try {
        const [row] = await trx<ResourceServerRow>('resource_servers').insert({ identifier, name }).returning('*');
        cached = null;
        return row!;
      } catch (error) {
        if (isUniqueViolation(error)) throw new ResourceExists(identifier);
        throw error;
      }
    },

    /** Creates or renames; used by services that register themselves on start. */
    async upsert(identifier: string, name: string, trx: Knex = knex): Promise<void> {
      await trx('resource_servers').insert({ identifier, name }).onConflict('identifier').merge(['name']);
      cached = null;
    },

    async find(identifier: string): Promise<ResourceServerRow | undefined> {
      const rows = cached && Date.now() - cached.at <= cacheMs ? cached.rows : await load();
      return rows.get(identifier);
    },

    async list(trx: Knex = knex): Promise<ResourceServerRow[]> {
      return trx<ResourceServerRow>('resource_servers').orderBy('identifier');
    },

    async delete(identifier: string, trx: Knex = knex): Promise<boolean> {
      cached = null;
      return (await trx('resource_servers').where({ identifier }).delete()) > 0;
    },
  };
}

export type ResourceStore = ReturnType<typeof createResourceStore>;
