import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { z } from 'zod';
import type { Catalogue } from '../catalogue/catalogue.ts';
import { viewerOf, type Viewer } from '../catalogue/subscription-rule.ts';
import type { ResponseCache } from './response-cache.ts';
import { parameter, parseParameters, throwIfInvalid } from './validation.ts';

/** Every catalogue path, as written in the OpenAPI document (a test holds the two together). */
export const cataloguePaths = [
  '/api/v1/films',
  '/api/v1/films/search',
  '/api/v1/films/{film_id}',
  '/api/v1/genres',
  '/api/v1/genres/search',
  '/api/v1/genres/{genre_id}',
  '/api/v1/persons',
  '/api/v1/persons/search',
  '/api/v1/persons/{person_id}',
  '/api/v1/persons/{person_id}/films',
] as const;

/** Older clients used the singular; the aliases behave identically (CONTRACTS 3). */
export const aliases = { films: '/api/v1/film', genres: '/api/v1/genre', persons: '/api/v1/person' } as const;

const page = () => ({ 'page[number]': parameter.pageNumber(), 'page[size]': parameter.pageSize() });
const filmList = {
  ...page(),
  sort: parameter.sort(['imdb_rating', '-imdb_rating', 'title', '-title'] as const),
  'filter[genre]': parameter.uuid().optional(),
  'filter[person]': parameter.uuid().optional(),
};
const genreList = { ...page(), sort: parameter.sort(['name', '-name'] as const) };
const personList = {
  ...page(),
  sort: parameter.sort(['full_name', '-full_name'] as const),
  'filter[film]': parameter.uuid().optional(),
};
const search = { query: parameter.query() };

type Shape = z.ZodRawShape;

/**
 * One catalogue endpoint: path and query parameters validated (one 422 for all failures), the
 * caller's subscription resolved, then the answer served through the response cache.
 */
function endpoint<Q extends Shape, P extends Shape>(
  cache: ResponseCache,
  shapes: { query: Q; path: P },
  answer: (input: {
    query: z.infer<z.ZodObject<Q>>;
    path: z.infer<z.ZodObject<P>>;
    viewer: Viewer;
  }) => Promise<unknown>,
): RequestHandler {
  return async function catalogueEndpoint(req: Request, res: Response) {
    const path = parseParameters('path', req.params, shapes.path);
    const query = parseParameters('query', req.query as Record<string, unknown>, shapes.query);
    throwIfInvalid(path, query);
    const viewer = viewerOf(req.auth?.subject);
    await cache(req, res, viewer.subscriber, query.data, () => answer({ query: query.data, path: path.data, viewer }));
  };
}

const pageOf = (query: { 'page[number]': number; 'page[size]': number }) => ({
  number: query['page[number]'],
  size: query['page[size]'],
});

export function catalogueRouters(catalogue: Catalogue, cache: ResponseCache) {
  const films = Router();
  films.get(
    '/',
    endpoint(cache, { query: filmList, path: {} }, ({ query, viewer }) =>
      catalogue.listFilms(
        { page: pageOf(query), sort: query.sort, genre: query['filter[genre]'], person: query['filter[person]'] },
        viewer,
      ),
    ),
  );
  films.get(
    '/search',
    endpoint(cache, { query: { ...filmList, ...search }, path: {} }, ({ query, viewer }) =>
      catalogue.searchFilms(
        query.query,
        { page: pageOf(query), sort: query.sort, genre: query['filter[genre]'], person: query['filter[person]'] },
        viewer,
      ),
    ),
  );
  films.get(
    '/:film_id',
    endpoint(cache, { query: {}, path: { film_id: parameter.uuid() } }, ({ path, viewer }) =>
      catalogue.film(path.film_id, viewer),
    ),
  );

  const genres = Router();
  genres.get(
    '/',
    endpoint(cache, { query: genreList, path: {} }, ({ query }) =>
      catalogue.listGenres({ page: pageOf(query), sort: query.sort }),
    ),
  );
  genres.get(
    '/search',
    endpoint(cache, { query: { ...genreList, ...search }, path: {} }, ({ query }) =>
      catalogue.searchGenres(query.query, { page: pageOf(query), sort: query.sort }),
    ),
  );
  genres.get(
    '/:genre_id',
    endpoint(cache, { query: {}, path: { genre_id: parameter.uuid() } }, ({ path }) => catalogue.genre(path.genre_id)),
  );

  const persons = Router();
  persons.get(
    '/',
    endpoint(cache, { query: personList, path: {} }, ({ query }) =>
      catalogue.listPersons({ page: pageOf(query), sort: query.sort, film: query['filter[film]'] }),
    ),
  );
  persons.get(
    '/search',
    endpoint(cache, { query: { ...personList, ...search }, path: {} }, ({ query }) =>
      catalogue.searchPersons(query.query, { page: pageOf(query), sort: query.sort, film: query['filter[film]'] }),
    ),
  );
  persons.get(
    '/:person_id',
    endpoint(cache, { query: {}, path: { person_id: parameter.uuid() } }, ({ path, viewer }) =>
      catalogue.person(path.person_id, viewer),
    ),
  );
  persons.get(
    '/:person_id/films',
    endpoint(cache, { query: filmList, path: { person_id: parameter.uuid() } }, ({ path, query, viewer }) =>
      catalogue.personFilms(
        path.person_id,
        { page: pageOf(query), sort: query.sort, genre: query['filter[genre]'] },
        viewer,
      ),
    ),
  );

  const router = Router();
  router.use(['/api/v1/films', aliases.films], films);
  router.use(['/api/v1/genres', aliases.genres], genres);
  router.use(['/api/v1/persons', aliases.persons], persons);
  return router;
}
