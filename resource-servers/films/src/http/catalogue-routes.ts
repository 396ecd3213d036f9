import { validate, type RouteTable, type ValidInput } from '@usher/kit';
import type { RequestHandler } from 'express';
import { z } from 'zod';
import type { Catalogue } from '../catalogue/catalogue.ts';
import { viewerOf, type Viewer } from '../catalogue/subscription-rule.ts';
import type { OperationId, Reply, ResponseBody } from './api-types.ts';
import { cataloguePage, parameter } from './parameter-schemas.ts';
import type { ResponseCache } from './response-cache.ts';

/** Older clients used the singular; the aliases behave identically (CONTRACTS 3). */
export const aliases = { films: '/api/v1/film', genres: '/api/v1/genre', persons: '/api/v1/person' } as const;

/** `/api/v1/films…` and its singular alias. */
const served = (collection: keyof typeof aliases, suffix = '') => [
  `/api/v1/${collection}${suffix}`,
  `${aliases[collection]}${suffix}`,
];

const filmList = {
  ...cataloguePage(),
  sort: parameter.sort(['imdb_rating', '-imdb_rating', 'title', '-title'] as const),
  'filter[genre]': parameter.uuid().optional(),
  'filter[person]': parameter.uuid().optional(),
};
const genreList = { ...cataloguePage(), sort: parameter.sort(['name', '-name'] as const) };
const personList = {
  ...cataloguePage(),
  sort: parameter.sort(['full_name', '-full_name'] as const),
  'filter[film]': parameter.uuid().optional(),
};
const search = { query: parameter.query() };

interface CatalogueInput {
  params?: z.ZodObject;
  query: z.ZodObject;
}

/**
 * One catalogue operation: path and query parameters validated (one 422 for all failures), the
 * caller's subscription resolved, then the answer (typed by the OpenAPI document) served through the
 * response cache.
 */
function endpoint<Op extends OperationId, S extends CatalogueInput>(
  _operation: Op,
  cache: ResponseCache,
  schemas: S,
  answer: (input: ValidInput<S> & { viewer: Viewer }) => Promise<Reply<ResponseBody<Op>>>,
): RequestHandler[] {
  const input = validate(schemas);
  return [
    input,
    async function catalogueEndpoint(req, res) {
      const { params, query, body } = input.input(req);
      const viewer = viewerOf(req.auth?.subject);
      await cache(req, res, viewer.subscriber, query, () => answer({ params, query, body, viewer }));
    },
  ];
}

const pageOf = (query: { 'page[number]': number; 'page[size]': number }) => ({
  number: query['page[number]'],
  size: query['page[size]'],
});

export function catalogueRoutes(routes: RouteTable, catalogue: Catalogue, cache: ResponseCache): void {
  const films = z.object(filmList);
  const none = z.object({});
  routes.get(
    served('films'),
    ...endpoint('films_list', cache, { query: films }, ({ query, viewer }) =>
      catalogue.listFilms(
        { page: pageOf(query), sort: query.sort, genre: query['filter[genre]'], person: query['filter[person]'] },
        viewer,
      ),
    ),
  );
  routes.get(
    served('films', '/search'),
    ...endpoint('films_search', cache, { query: z.object({ ...filmList, ...search }) }, ({ query, viewer }) =>
      catalogue.searchFilms(
        query.query,
        { page: pageOf(query), sort: query.sort, genre: query['filter[genre]'], person: query['filter[person]'] },
        viewer,
      ),
    ),
  );
  routes.get(
    served('films', '/:film_id'),
    ...endpoint(
      'films_get',
      cache,
      { params: z.object({ film_id: parameter.uuid() }), query: none },
      ({ params, viewer }) => catalogue.film(params.film_id, viewer),
    ),
  );

  routes.get(
    served('genres'),
    ...endpoint('genres_list', cache, { query: z.object(genreList) }, ({ query }) =>
      catalogue.listGenres({ page: pageOf(query), sort: query.sort }),
    ),
  );
  routes.get(
    served('genres', '/search'),
    ...endpoint('genres_search', cache, { query: z.object({ ...genreList, ...search }) }, ({ query }) =>
      catalogue.searchGenres(query.query, { page: pageOf(query), sort: query.sort }),
    ),
  );
  routes.get(
    served('genres', '/:genre_id'),
    ...endpoint('genres_get', cache, { params: z.object({ genre_id: parameter.uuid() }), query: none }, ({ params }) =>
      catalogue.genre(params.genre_id),
    ),
  );

  routes.get(
    served('persons'),
    ...endpoint('persons_list', cache, { query: z.object(personList) }, ({ query }) =>
      catalogue.listPersons({ page: pageOf(query), sort: query.sort, film: query['filter[film]'] }),
    ),
  );
  routes.get(
    served('persons', '/search'),
    ...endpoint('persons_search', cache, { query: z.object({ ...personList, ...search }) }, ({ query }) =>
      catalogue.searchPersons(query.query, { page: pageOf(query), sort: query.sort, film: query['filter[film]'] }),
    ),
  );
  routes.get(
    served('persons', '/:person_id'),
    ...endpoint(
      'persons_get',
      cache,
      { params: z.object({ person_id: parameter.uuid() }), query: none },
      ({ params, viewer }) => catalogue.person(params.person_id, viewer),
    ),
  );
  routes.get(
    served('persons', '/:person_id/films'),
    ...endpoint(
      'persons_films',
      cache,
      { params: z.object({ person_id: parameter.uuid() }), query: films },
      ({ params, query, viewer }) =>
        catalogue.personFilms(
          params.person_id,
          { page: pageOf(query), sort: query.sort, genre: query['filter[genre]'] },
          viewer,
        ),
    ),
  );
}
