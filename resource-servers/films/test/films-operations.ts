/** The catalogue paths of CONTRACTS 3.1, as the OpenAPI document writes them (every one a GET). */
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

/** The user-content operations of CONTRACTS 3.4, as the OpenAPI document writes them. */
export const userContentOperations = [
  ['post', '/api/v1/bookmarks'],
  ['get', '/api/v1/bookmarks'],
  ['delete', '/api/v1/bookmarks'],
  ['delete', '/api/v1/bookmarks/{film_id}'],
  ['put', '/api/v1/films/{film_id}/like'],
  ['delete', '/api/v1/films/{film_id}/like'],
  ['get', '/api/v1/films/{film_id}/likes'],
  ['get', '/api/v1/film-likes'],
  ['post', '/api/v1/reviews'],
  ['get', '/api/v1/reviews'],
  ['get', '/api/v1/reviews/film/{film_id}'],
  ['get', '/api/v1/reviews/{id}'],
  ['put', '/api/v1/reviews/{id}'],
  ['delete', '/api/v1/reviews/{id}'],
  ['post', '/api/v1/reviews/{id}/likes'],
  ['delete', '/api/v1/reviews/{id}/likes'],
  ['put', '/api/v1/films/{film_id}/progress'],
  ['get', '/api/v1/films/{film_id}/progress'],
  ['get', '/api/v1/progress/unfinished'],
  ['get', '/api/v1/history'],
  ['delete', '/api/v1/history'],
] as const;
