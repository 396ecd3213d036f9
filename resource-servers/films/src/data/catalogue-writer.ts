import type { Knex } from '@usher/platform';

export interface FilmRecord {
  uuid: string;
  title: string;
  description: string | null;
  imdb_rating: number | null;
  genre: { uuid: string; name: string; description?: string | null | undefined }[];
  actors: { uuid: string; full_name: string }[];
  writers: { uuid: string; full_name: string }[];
  directors: { uuid: string; full_name: string }[];
}

/** Rows per multi-row insert: one statement per batch, one JSON parameter per statement. */
export const batchSize = 500;

const roles = [
  ['actors', 'actor'],
  ['writers', 'writer'],
  ['directors', 'director'],
] as const;

/** `insert … select from json_to_recordset(?)`: a whole batch in one statement and one parameter. */
async function insertRows(
  trx: Knex.Transaction,
  table: string,
  columns: string,
  rows: object[],
  conflict: string,
): Promise<void> {
  if (!rows.length) return;
  const names = columns
    .split(',')
    .map((column) => column.trim().split(' ')[0])
    .join(', ');
  await trx.raw(
    `insert into ${table} (${names}) select ${names} from json_to_recordset(?::json) as x(${columns}) ${conflict}`,
    [JSON.stringify(rows)],
  );
}

/** Writes catalogue rows: genres and persons are created or matched by uuid; a film's links are replaced. */
export function createCatalogueWriter(trx: Knex.Transaction) {
  return {
    async clear(): Promise<void> {
      await trx.raw('truncate films.film_persons, films.film_genres, films.films, films.genres, films.persons');
    },

    /** Upserts one batch of films (callers keep batches at `batchSize` or below). */
    async writeBatch(films: FilmRecord[]): Promise<void> {
      if (!films.length) return;
      const genres = new Map<
        string,
        { uuid: string; name: string; description: string | null; has_description: boolean }
      >();
      const persons = new Map<string, { uuid: string; full_name: string }>();
      const filmGenres = new Map<string, { film_uuid: string; genre_uuid: string }>();
      const filmPersons = new Map<string, { film_uuid: string; person_uuid: string; role: string }>();
      const filmRows = new Map<string, Omit<FilmRecord, 'genre' | 'actors' | 'writers' | 'directors'>>();
      for (const film of films) {
        filmRows.set(film.uuid, {
          uuid: film.uuid,
          title: film.title,
          description: film.description,
          imdb_rating: film.imdb_rating,
        });
        for (const genre of film.genre) {
          const known = genres.get(genre.uuid);
          const hasDescription = genre.description !== undefined;
          if (!known || (hasDescription && !known.has_description)) {
            genres.set(genre.uuid, {
              uuid: genre.uuid,
              name: genre.name,
              description: genre.description ?? null,
              has_description: hasDescription,
            });
          }
          filmGenres.set(`${film.uuid}/${genre.uuid}`, { film_uuid: film.uuid, genre_uuid: genre.uuid });
        }
        for (const [field, role] of roles) {
          for (const person of film[field]) {
            persons.set(person.uuid, person);
            filmPersons.set(`${film.uuid}/${person.uuid}/${role}`, {
              film_uuid: film.uuid,
              person_uuid: person.uuid,
              role,
            });
          }
        }
      }
      // A genre given without a description keeps the one it has.
      const described = [...genres.values()].filter((genre) => genre.has_description);
      const bare = [...genres.values()].filter((genre) => !genre.has_description);
      const genreColumns = 'uuid uuid, name text, description text';
      await insertRows(
        trx,
        'films.genres',
        genreColumns,
        described,
        'on conflict (uuid) do update set name = excluded.name, description = excluded.description',
      );
      await insertRows(
        trx,
        'films.genres',
        genreColumns,
        bare,
        'on conflict (uuid) do update set name = excluded.name',
      );
      await insertRows(
        trx,
        'films.persons',
        'uuid uuid, full_name text',
        [...persons.values()],
        'on conflict (uuid) do update set full_name = excluded.full_name',
      );
      await insertRows(
        trx,
        'films.films',
        'uuid uuid, title text, description text, imdb_rating numeric',
        [...filmRows.values()],
        `on conflict (uuid) do update set title = excluded.title, description = excluded.description,
           imdb_rating = excluded.imdb_rating`,
      );
      const uuids = [...filmRows.keys()];
      await trx('films.film_genres').whereIn('film_uuid', uuids).delete();
      await trx('films.film_persons').whereIn('film_uuid', uuids).delete();
      await insertRows(trx, 'films.film_genres', 'film_uuid uuid, genre_uuid uuid', [...filmGenres.values()], '');
      await insertRows(
        trx,
        'films.film_persons',
        'film_uuid uuid, person_uuid uuid, role text',
        [...filmPersons.values()],
        '',
      );
    },
  };
}
