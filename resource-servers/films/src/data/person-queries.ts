import type { Knex } from '@usher/platform';
import { visibleRating, type FilmShort } from './film-queries.ts';

export interface PersonShort {
  uuid: string;
  full_name: string;
}

export type PersonSort = 'full_name' | '-full_name';

export interface PersonListQuery {
  offset: number;
  limit: number;
  sort: PersonSort | undefined;
  film?: string | undefined;
  search?: string | undefined;
}

const tsquery = "websearch_to_tsquery('english', ?)";
const roleOrder = ['actor', 'writer', 'director'];

export function createPersonQueries(knex: Knex) {
  return {
    async list(options: PersonListQuery): Promise<PersonShort[]> {
      const query = knex('films.persons as p').select('p.uuid', 'p.full_name');
      if (options.film !== undefined) {
        query.whereExists((links) =>
          links
            .select(knex.raw('1'))
            .from('films.film_persons as fp')
            .whereRaw('fp.person_uuid = p.uuid')
            .where('fp.film_uuid', options.film!),
        );
      }
      if (options.search !== undefined) query.whereRaw(`p.search @@ ${tsquery}`, [options.search]);
      if (options.sort === '-full_name') query.orderByRaw('p.full_name collate "C" desc, p.uuid asc');
      else if (options.sort === 'full_name' || options.search === undefined)
        query.orderByRaw('p.full_name collate "C" asc, p.uuid asc');
      else query.orderByRaw(`ts_rank(p.search, ${tsquery}) desc, p.uuid asc`, [options.search]);
      return (await query.limit(options.limit).offset(options.offset)) as PersonShort[];
    },

    async find(uuid: string): Promise<PersonShort | undefined> {
      return (await knex('films.persons').select('uuid', 'full_name').where({ uuid }).first()) as
        PersonShort | undefined;
    },

    /** The person's roles across the whole catalogue, in the order actor, writer, director. */
    async rolesOf(uuid: string): Promise<string[]> {
      const rows = (await knex('films.film_persons').distinct('role').where({ person_uuid: uuid })) as {
        role: string;
      }[];
      const held = new Set(rows.map((row) => row.role));
      return roleOrder.filter((role) => held.has(role));
    },

    /** The person's films visible under `maxRating`, in the default film order. */
    async filmsOf(uuid: string, maxRating: number | null): Promise<FilmShort[]> {
      const query = knex('films.films as f')
        .select('f.uuid', 'f.title', knex.raw('f.imdb_rating::float8 as imdb_rating'))
        .whereExists((links) =>
          links
            .select(knex.raw('1'))
            .from('films.film_persons as fp')
            .whereRaw('fp.film_uuid = f.uuid')
            .where('fp.person_uuid', uuid),
        );
      visibleRating(query, maxRating);
      return (await query.orderByRaw(
        'f.imdb_rating desc nulls last, f.title collate "C" asc, f.uuid asc',
      )) as FilmShort[];
    },
  };
}

export type PersonQueries = ReturnType<typeof createPersonQueries>;
