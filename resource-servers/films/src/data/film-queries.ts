import type { Knex } from '@usher/platform';

export interface FilmShort {
  uuid: string;
  title: string;
  imdb_rating: number | null;
}

export interface FilmRow extends FilmShort {
  description: string | null;
}

export type FilmSort = 'imdb_rating' | '-imdb_rating' | 'title' | '-title';

export interface FilmListQuery {
  offset: number;
  limit: number;
  sort: FilmSort | undefined;
  genre?: string | undefined;
  person?: string | undefined;
  /** Full-text query: results come by relevance unless `sort` is given. */
  search?: string | undefined;
  /** The subscription rule (CONTRACTS 3.2): only ratings ≤ maxRating, or none. */
  maxRating: number | null;
}

/** Films whose rating is visible to a caller limited to `maxRating` (null rating is always visible). */
export function visibleRating(query: Knex.QueryBuilder, maxRating: number | null, column = 'f.imdb_rating') {
  if (maxRating !== null) {
    query.where((visible) => visible.where(column, '<=', maxRating).orWhereNull(column));
  }
  return query;
}

const tsquery = "websearch_to_tsquery('english', ?)";

/** Title compares in byte order ("C" collation) so both stores order identically. */
function orderFilms(query: Knex.QueryBuilder, sort: FilmSort | undefined, search: string | undefined) {
  switch (sort) {
    case 'imdb_rating':
      return query.orderByRaw('f.imdb_rating asc nulls first, f.uuid asc');
    case '-imdb_rating':
      return query.orderByRaw('f.imdb_rating desc nulls last, f.uuid asc');
    case 'title':
      return query.orderByRaw('f.title collate "C" asc, f.uuid asc');
    case '-title':
      return query.orderByRaw('f.title collate "C" desc, f.uuid asc');
    case undefined:
      if (search !== undefined) {
        // Every title match ranks above every description-only match, then by rank.
        return query.orderByRaw(
          `(to_tsvector('english', f.title) @@ ${tsquery}) desc, ts_rank(f.search, ${tsquery}) desc, f.uuid asc`,
          [search, search],
        );
      }
      return query.orderByRaw('f.imdb_rating desc nulls last, f.title collate "C" asc, f.uuid asc');
  }
}

export function createFilmQueries(knex: Knex) {
  return {
    async list(options: FilmListQuery): Promise<FilmShort[]> {
      const query = knex('films.films as f').select(
        'f.uuid',
        'f.title',
        knex.raw('f.imdb_rating::float8 as imdb_rating'),
      );
      visibleRating(query, options.maxRating);
      if (options.genre !== undefined) {
        query.whereExists((links) =>
          links
            .select(knex.raw('1'))
            .from('films.film_genres as g')
            .whereRaw('g.film_uuid = f.uuid')
            .where('g.genre_uuid', options.genre!),
        );
      }
      if (options.person !== undefined) {
        query.whereExists((links) =>
          links
            .select(knex.raw('1'))
            .from('films.film_persons as p')
            .whereRaw('p.film_uuid = f.uuid')
            .where('p.person_uuid', options.person!),
        );
      }
      if (options.search !== undefined) query.whereRaw(`f.search @@ ${tsquery}`, [options.search]);
      orderFilms(query, options.sort, options.search);
      return (await query.limit(options.limit).offset(options.offset)) as FilmShort[];
    },

    async find(uuid: string): Promise<FilmRow | undefined> {
      return (await knex('films.films')
        .select('uuid', 'title', 'description', knex.raw('imdb_rating::float8 as imdb_rating'))
        .where({ uuid })
        .first()) as FilmRow | undefined;
    },

    async genresOf(uuid: string): Promise<{ uuid: string; name: string }[]> {
      return knex('films.film_genres as fg')
        .join('films.genres as g', 'g.uuid', 'fg.genre_uuid')
        .where('fg.film_uuid', uuid)
        .select('g.uuid', 'g.name')
        .orderByRaw('g.name collate "C", g.uuid');
    },

    async personsOf(uuid: string): Promise<{ uuid: string; full_name: string; role: string }[]> {
      return knex('films.film_persons as fp')
        .join('films.persons as p', 'p.uuid', 'fp.person_uuid')
        .where('fp.film_uuid', uuid)
        .select('p.uuid', 'p.full_name', 'fp.role')
        .orderByRaw('p.full_name collate "C", p.uuid');
    },

    async count(): Promise<number> {
      const row = (await knex('films.films').count<{ count: string }[]>('* as count'))[0];
      return Number(row?.count ?? 0);
    },
  };
}

export type FilmQueries = ReturnType<typeof createFilmQueries>;
