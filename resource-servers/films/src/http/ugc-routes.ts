import { requireUser, subjectOf, validate, type InputSchemas, type RouteTable, type ValidInput } from '@usher/kit';
import type { RequestHandler } from 'express';
import { z } from 'zod';
import { contentUserOf, type ContentUser } from '../ugc/content-user.ts';
import type { PageRequest } from '../ugc/paged-list.ts';
import type { UserContent } from '../ugc/user-content.ts';
import type { Answer, OperationId } from './api-types.ts';
import { aliases } from './catalogue-routes.ts';
import { parameter } from './parameter-schemas.ts';

/** Positions and durations are stored as 32-bit integers. */
const maxSeconds = 2 ** 31 - 1;
const secondsMessage = `must be an integer from 0 to ${maxSeconds}`;

// Path and query parameters: smaller pages than the catalogue's (CONTRACTS 3.4).
const film = z.object({ film_id: parameter.uuid() });
const review = z.object({ id: parameter.uuid() });
const paging = z.object({ 'page[number]': parameter.pageNumber(), 'page[size]': parameter.pageSize(100, 10) });

// Bodies.
const likeType = z.literal([0, 1], { error: 'must be 0 (like) or 1 (dislike)' });
const reviewText = z
  .string({ error: 'must be a string of 1 to 5000 characters' })
  .refine((text) => text.trim().length > 0, 'must not be empty')
  .refine((text) => [...text].length <= 5000, 'must be at most 5000 characters')
  // PostgreSQL text cannot hold NUL.
  .refine((text) => !text.includes('\u0000'), 'must not contain NUL characters');
const seconds = z
  .number({ error: secondsMessage })
  .int(secondsMessage)
  .min(0, secondsMessage)
  .max(maxSeconds, secondsMessage);
const bookmarkBody = z.object({ film_id: parameter.uuid() });
const likeBody = z.object({ like_type: likeType });
const newReviewBody = z.object({ film_id: parameter.uuid(), text: reviewText });
const reviewTextBody = z.object({ text: reviewText });
const progressBody = z
  .object({
    position: seconds,
    duration: seconds.nullish(),
    finished: z.boolean({ error: 'must be true or false' }).nullish(),
  })
  .refine((report) => report.duration == null || report.position <= report.duration, {
    message: 'must not exceed duration',
    path: ['position'],
    // Compared only once both are valid: a bad duration is reported once, on itself.
    when: (payload) => payload.issues.length === 0,
  });

/**
 * One user-content operation: a signed-in user (401), then path, query and body validated together
 * (one 422 naming every failure), then the answer the OpenAPI document allows. Per-user answers are
 * never cached, here or on the way.
 */
function endpoint<Op extends OperationId, const S extends InputSchemas>(
  _operation: Op,
  schemas: S,
  handle: (input: ValidInput<S> & { user: ContentUser }) => Promise<Answer<Op>>,
): RequestHandler[] {
  const input = validate(schemas);
  return [
    requireUser(),
    input,
    async function userContentEndpoint(req, res) {
      const answer: { status: number; body?: unknown } = await handle({
        ...input.input(req),
        user: contentUserOf(subjectOf(req)),
      });
      res.set('Cache-Control', 'no-store').status(answer.status);
      if (answer.status === 204) res.end();
      else res.json(answer.body);
    },
  ];
}

const pageOf = (query: z.output<typeof paging>): PageRequest => ({
  number: query['page[number]'],
  size: query['page[size]'],
});

/** `/films/{film_id}…` paths answer under the singular alias too (CONTRACTS 3). */
const filmPaths = (suffix: string) => [`/api/v1/films/:film_id${suffix}`, `${aliases.films}/:film_id${suffix}`];

export function userContentRoutes(routes: RouteTable, content: UserContent): void {
  const { bookmarks, likes, reviews, watching } = content;

  routes.post(
    '/api/v1/bookmarks',
    ...endpoint('bookmarks_add', { body: bookmarkBody }, async ({ user, body }) => {
      const { bookmark, added } = await bookmarks.add(user, body.film_id);
      return { status: added ? 201 : 200, body: bookmark };
    }),
  );
  routes.get(
    '/api/v1/bookmarks',
    ...endpoint('bookmarks_list', { query: paging }, async ({ user, query }) => ({
      status: 200,
      body: await bookmarks.list(user, pageOf(query)),
    })),
  );
  routes.delete(
    '/api/v1/bookmarks',
    ...endpoint('bookmarks_clear', {}, async ({ user }) => {
      await bookmarks.removeAll(user);
      return { status: 204 };
    }),
  );
  routes.delete(
    '/api/v1/bookmarks/:film_id',
    ...endpoint('bookmarks_remove', { params: film }, async ({ user, params }) => {
      await bookmarks.remove(user, params.film_id);
      return { status: 204 };
    }),
  );

  routes.put(
    filmPaths('/like'),
    ...endpoint('film_like_put', { params: film, body: likeBody }, async ({ user, params, body }) => ({
      status: 200,
      body: await likes.put(user, params.film_id, body.like_type),
    })),
  );
  routes.delete(
    filmPaths('/like'),
    ...endpoint('film_like_remove', { params: film }, async ({ user, params }) => {
      await likes.remove(user, params.film_id);
      return { status: 204 };
    }),
  );
  routes.get(
    filmPaths('/likes'),
    ...endpoint('film_likes_count', { params: film }, async ({ user, params }) => ({
      status: 200,
      body: await likes.counts(user, params.film_id),
    })),
  );
  routes.get(
    '/api/v1/film-likes',
    ...endpoint('film_likes_list', { query: paging }, async ({ user, query }) => ({
      status: 200,
      body: await likes.list(user, pageOf(query)),
    })),
  );

  routes.post(
    '/api/v1/reviews',
    ...endpoint('reviews_create', { body: newReviewBody }, async ({ user, body }) => ({
      status: 201,
      body: await reviews.create(user, body.film_id, body.text),
    })),
  );
  routes.get(
    '/api/v1/reviews',
    ...endpoint('reviews_own', { query: paging }, async ({ user, query }) => ({
      status: 200,
      body: await reviews.own(user, pageOf(query)),
    })),
  );
  routes.get(
    '/api/v1/reviews/film/:film_id',
    ...endpoint('reviews_of_film', { params: film, query: paging }, async ({ user, params, query }) => ({
      status: 200,
      body: await reviews.ofFilm(user, params.film_id, pageOf(query)),
    })),
  );
  routes.get(
    '/api/v1/reviews/:id',
    ...endpoint('reviews_get', { params: review }, async ({ user, params }) => ({
      status: 200,
      body: await reviews.get(user, params.id),
    })),
  );
  routes.put(
    '/api/v1/reviews/:id',
    ...endpoint('reviews_edit', { params: review, body: reviewTextBody }, async ({ user, params, body }) => ({
      status: 200,
      body: await reviews.edit(user, params.id, body.text),
    })),
  );
  routes.delete(
    '/api/v1/reviews/:id',
    ...endpoint('reviews_delete', { params: review }, async ({ user, params }) => {
      await reviews.remove(user, params.id);
      return { status: 204 };
    }),
  );
  routes.post(
    '/api/v1/reviews/:id/likes',
    ...endpoint('review_like_put', { params: review, body: likeBody }, async ({ user, params, body }) => ({
      status: 200,
      body: await reviews.like(user, params.id, body.like_type),
    })),
  );
  routes.delete(
    '/api/v1/reviews/:id/likes',
    ...endpoint('review_like_remove', { params: review }, async ({ user, params }) => {
      await reviews.unlike(user, params.id);
      return { status: 204 };
    }),
  );

  routes.put(
    filmPaths('/progress'),
    ...endpoint('progress_report', { params: film, body: progressBody }, async ({ user, params, body }) => ({
      status: 200,
      body: await watching.report(user, params.film_id, body),
    })),
  );
  routes.get(
    filmPaths('/progress'),
    ...endpoint('progress_get', { params: film }, async ({ user, params }) => ({
      status: 200,
      body: await watching.progress(user, params.film_id),
    })),
  );
  routes.get(
    '/api/v1/progress/unfinished',
    ...endpoint('progress_unfinished', { query: paging }, async ({ user, query }) => ({
      status: 200,
      body: await watching.unfinished(user, pageOf(query)),
    })),
  );
  routes.get(
    '/api/v1/history',
    ...endpoint('history_list', { query: paging }, async ({ user, query }) => ({
      status: 200,
      body: await watching.history(user, pageOf(query)),
    })),
  );
  routes.delete(
    '/api/v1/history',
    ...endpoint('history_clear', {}, async ({ user }) => {
      await watching.clearHistory(user);
      return { status: 204 };
    }),
  );
}
