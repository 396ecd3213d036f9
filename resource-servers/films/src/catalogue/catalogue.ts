import { Forbidden, NotFound, type Knex } from '@usher/platform';
import { createFilmQueries, type FilmShort, type FilmSort } from '../data/film-queries.ts';
import { createGenreQueries, type Genre, type GenreShort, type GenreSort } from '../data/genre-queries.ts';
import { createPersonQueries, type PersonShort, type PersonSort } from '../data/person-queries.ts';
import { maxRatingFor, mayOpen, type Viewer } from './subscription-rule.ts';

export interface Page {
  number: number;
  size: number;
}

export interface Film extends FilmShort {
  description: string | null;
  genre: GenreShort[];
  actors: PersonShort[];
  writers: PersonShort[];
  directors: PersonShort[];
}

export interface Person extends PersonShort {
  roles: string[];
  films: FilmShort[];
}

export interface FilmListParams {
  page: Page;
  sort?: FilmSort | undefined;
  genre?: string | undefined;
  person?: string | undefined;
}

export interface GenreListParams {
  page: Page;
  sort?: GenreSort | undefined;
}

export interface PersonListParams {
  page: Page;
  sort?: PersonSort | undefined;
  film?: string | undefined;
}

/** Offsets past this are certainly past the last page: answered without asking the database. */
const maxOffset = 1e12;

const window = (page: Page) => ({ offset: page.number * page.size, limit: page.size });

/** A page with no item is 404 with the list's fixed text (CONTRACTS 3.1). */
async function nonEmpty<T>(page: Page, what: string, load: () => Promise<T[]>): Promise<T[]> {
  const items = page.number * page.size > maxOffset ? [] : await load();
  if (!items.length) throw new NotFound(`${what} not found`);
  return items;
}

/** Catalogue reads with the subscription rule applied before paging. */
export function createCatalogue(knex: Knex) {
  const films = createFilmQueries(knex);
  const genres = createGenreQueries(knex);
  const persons = createPersonQueries(knex);

  const listFilms = (params: FilmListParams & { search?: string }, viewer: Viewer) =>
    nonEmpty(params.page, 'films', () =>
      films.list({
        ...window(params.page),
        sort: params.sort,
        genre: params.genre,
        person: params.person,
        search: params.search,
        maxRating: maxRatingFor(viewer),
      }),
    );

  return {
    listFilms: (params: FilmListParams, viewer: Viewer) => listFilms(params, viewer),
    searchFilms: (query: string, params: FilmListParams, viewer: Viewer) =>
      listFilms({ ...params, search: query }, viewer),

    async film(uuid: string, viewer: Viewer): Promise<Film> {
      const row = await films.find(uuid);
      if (!row) throw new NotFound('film not found');
      if (!mayOpen(viewer, row.imdb_rating)) {
        throw new Forbidden('Not enough permissions', { 'WWW-Authenticate': 'Bearer error="insufficient_scope"' });
      }
      const [genre, people] = await Promise.all([films.genresOf(uuid), films.personsOf(uuid)]);
      const withRole = (role: string) =>
        people.filter((person) => person.role === role).map(({ uuid, full_name }) => ({ uuid, full_name }));
      return {
        uuid: row.uuid,
        title: row.title,
        imdb_rating: row.imdb_rating,
        description: row.description,
        genre,
        actors: withRole('actor'),
        writers: withRole('writer'),
        directors: withRole('director'),
      };
    },

    listGenres: (params: GenreListParams) =>
      nonEmpty(params.page, 'genres', () => genres.list({ ...window(params.page), sort: params.sort })),
    searchGenres: (query: string, params: GenreListParams) =>
      nonEmpty(params.page, 'genres', () => genres.list({ ...window(params.page), sort: params.sort, search: query })),

    async genre(uuid: string): Promise<Genre> {
      const genre = await genres.find(uuid);
      if (!genre) throw new NotFound('genre not found');
      return genre;
    },

    listPersons: (params: PersonListParams) =>
      nonEmpty(params.page, 'persons', () =>
        persons.list({ ...window(params.page), sort: params.sort, film: params.film }),
      ),
    searchPersons: (query: string, params: PersonListParams) =>
      nonEmpty(params.page, 'persons', () =>
        persons.list({ ...window(params.page), sort: params.sort, film: params.film, search: query }),
      ),

    async person(uuid: string, viewer: Viewer): Promise<Person> {
      const person = await persons.find(uuid);
      if (!person) throw new NotFound('person not found');
      const [roles, filmsOf] = await Promise.all([persons.rolesOf(uuid), persons.filmsOf(uuid, maxRatingFor(viewer))]);
      return { ...person, roles, films: filmsOf };
    },

    async personFilms(uuid: string, params: FilmListParams, viewer: Viewer): Promise<FilmShort[]> {
      if (!(await persons.find(uuid))) throw new NotFound('person not found');
      return listFilms({ ...params, person: uuid }, viewer);
    },

    countFilms: () => films.count(),
  };
}

export type Catalogue = ReturnType<typeof createCatalogue>;
