import type { Knex } from '@usher/platform';
import type { FilmShort } from './film-queries.ts';

/** A user-content row joined to its catalogue film (alias `f`), read as flat columns. */
export interface CatalogueFilmColumns {
  film_uuid: string;
  film_title: string;
  film_rating: number | null;
}

/** Joins the catalogue film of `column`: rows whose film left the catalogue drop out. */
export function joinCatalogueFilm(query: Knex.QueryBuilder, column: string): Knex.QueryBuilder {
  return query.join('films.films as f', 'f.uuid', column);
}

export const catalogueFilmColumns = (knex: Knex) => [
  'f.uuid as film_uuid',
  'f.title as film_title',
  knex.raw('f.imdb_rating::float8 as film_rating'),
];

export const filmShortOf = (row: CatalogueFilmColumns): FilmShort => ({
  uuid: row.film_uuid,
  title: row.film_title,
  imdb_rating: row.film_rating,
});
