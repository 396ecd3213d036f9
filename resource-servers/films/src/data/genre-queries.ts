import type { Knex } from '@usher/platform';

export interface GenreShort {
  uuid: string;
  name: string;
}

export interface Genre extends GenreShort {
  description: string | null;
}

export type GenreSort = 'name' | '-name';

export interface GenreListQuery {
  offset: number;
  limit: number;
  sort: GenreSort | undefined;
  search?: string | undefined;
}

const tsquery = "websearch_to_tsquery('english', ?)";

export function createGenreQueries(knex: Knex) {
  return {
    async list(options: GenreListQuery): Promise<GenreShort[]> {
      const query = knex('films.genres').select('uuid', 'name');
      if (options.search !== undefined) query.whereRaw(`search @@ ${tsquery}`, [options.search]);
      if (options.sort === '-name') query.orderByRaw('name collate "C" desc, uuid asc');
      else if (options.sort === 'name' || options.search === undefined)
        query.orderByRaw('name collate "C" asc, uuid asc');
      else query.orderByRaw(`ts_rank(search, ${tsquery}) desc, uuid asc`, [options.search]);
      return (await query.limit(options.limit).offset(options.offset)) as GenreShort[];
    },

    async find(uuid: string): Promise<Genre | undefined> {
      return (await knex('films.genres').select('uuid', 'name', 'description').where({ uuid }).first()) as
        Genre | undefined;
    },
  };
}

export type GenreQueries = ReturnType<typeof createGenreQueries>;
