import { Router, type Request, type RequestHandler, type Response } from 'express';
import { z } from 'zod';
import { contentUserOf, type ContentUser } from '../ugc/content-user.ts';
import type { PageRequest } from '../ugc/paged-list.ts';
import type { UserContent } from '../ugc/user-content.ts';
import { aliases } from './catalogue-routes.ts';
import { parseBody } from './request-body.ts';
import { requireUser } from './require-user.ts';
import { parameter, parseParameters, throwIfInvalid } from './validation.ts';

/** Every user-content operation, as written in the OpenAPI document (a test holds the two together). */
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

/** Positions and durations are stored as 32-bit integers. */
const maxSeconds = 2 ** 31 - 1;
const secondsMessage = `must be an integer from 0 to ${maxSeconds}`;
const maxPageSize = 100;
const pageSizeMessage = `must be an integer from 1 to ${maxPageSize}`;

// Path and query parameters.
const none = {};
const film = { film_id: parameter.uuid() };
const review = { id: parameter.uuid() };
const paging = {
  'page[number]': parameter.pageNumber(),
  // Smaller pages than the catalogue's (CONTRACTS 3.4).
  'page[size]': z
    .string({ error: pageSizeMessage })
    .regex(/^\d+$/, pageSizeMessage)
    .transform(Number)
    .refine((size) => size >= 1 && size <= maxPageSize, pageSizeMessage)
    .default(10),
};

// Bodies.
const noBody = z.object({});
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

type Shape = z.ZodRawShape;
type BodySchema = z.ZodType<Record<string, unknown>>;

interface Answer {
  status: 200 | 201 | 204;
  body?: unknown;
}

const ok = (body: unknown): Answer => ({ status: 200, body });
const noContent: Answer = { status: 204 };

/**
 * One user-content endpoint: a signed-in user (401), then path, query and body validated together
 * (one 422 naming every failure), then the answer. Per-user answers are never cached, here or on the way.
 */
function endpoint<P extends Shape, Q extends Shape, B extends BodySchema>(
  shapes: { path: P; query: Q; body: B },
  handle: (input: {
    user: ContentUser;
    path: z.infer<z.ZodObject<P>>;
    query: z.infer<z.ZodObject<Q>>;
    body: z.infer<B>;
  }) => Promise<Answer>,
): RequestHandler {
  return async function userContentEndpoint(req: Request, res: Response) {
    const user = contentUserOf(requireUser(req));
    const path = parseParameters('path', req.params, shapes.path);
    const query = parseParameters('query', req.query as Record<string, unknown>, shapes.query);
    const body = parseBody(req.body, shapes.body);
    throwIfInvalid(path, query, body);
    const answer = await handle({ user, path: path.data, query: query.data, body: body.data });
    res.set('Cache-Control', 'no-store').status(answer.status);
    if (answer.status === 204) res.end();
    else res.json(answer.body);
  };
}

const pageOf = (query: z.infer<z.ZodObject<typeof paging>>): PageRequest => ({
  number: query['page[number]'],
  size: query['page[size]'],
});

/** `/films/{film_id}…` paths answer under the singular alias too (CONTRACTS 3). */
const filmPaths = (suffix: string) => [`/api/v1/films/:film_id${suffix}`, `${aliases.films}/:film_id${suffix}`];

export function userContentRouter(content: UserContent): Router {
  const { bookmarks, likes, reviews, watching } = content;
  const router = Router();

  router.post(
    '/api/v1/bookmarks',
    endpoint({ path: none, query: none, body: bookmarkBody }, async ({ user, body }) => {
      const { bookmark, added } = await bookmarks.add(user, body.film_id);
      return { status: added ? 201 : 200, body: bookmark };
    }),
  );
  router.get(
    '/api/v1/bookmarks',
    endpoint({ path: none, query: paging, body: noBody }, async ({ user, query }) =>
      ok(await bookmarks.list(user, pageOf(query))),
    ),
  );
  router.delete(
    '/api/v1/bookmarks',
    endpoint({ path: none, query: none, body: noBody }, async ({ user }) => {
      await bookmarks.removeAll(user);
      return noContent;
    }),
  );
  router.delete(
    '/api/v1/bookmarks/:film_id',
    endpoint({ path: film, query: none, body: noBody }, async ({ user, path }) => {
      await bookmarks.remove(user, path.film_id);
      return noContent;
    }),
  );

  router.put(
    filmPaths('/like'),
    endpoint({ path: film, query: none, body: likeBody }, async ({ user, path, body }) =>
      ok(await likes.put(user, path.film_id, body.like_type)),
    ),
  );
  router.delete(
    filmPaths('/like'),
    endpoint({ path: film, query: none, body: noBody }, async ({ user, path }) => {
      await likes.remove(user, path.film_id);
      return noContent;
    }),
  );
  router.get(
    filmPaths('/likes'),
    endpoint({ path: film, query: none, body: noBody }, async ({ user, path }) =>
      ok(await likes.counts(user, path.film_id)),
    ),
  );
  router.get(
    '/api/v1/film-likes',
    endpoint({ path: none, query: paging, body: noBody }, async ({ user, query }) =>
      ok(await likes.list(user, pageOf(query))),
    ),
  );

  router.post(
    '/api/v1/reviews',
    endpoint({ path: none, query: none, body: newReviewBody }, async ({ user, body }) => ({
      status: 201,
      body: await reviews.create(user, body.film_id, body.text),
    })),
  );
  router.get(
    '/api/v1/reviews',
    endpoint({ path: none, query: paging, body: noBody }, async ({ user, query }) =>
      ok(await reviews.own(user, pageOf(query))),
    ),
  );
  router.get(
    '/api/v1/reviews/film/:film_id',
    endpoint({ path: film, query: paging, body: noBody }, async ({ user, path, query }) =>
      ok(await reviews.ofFilm(user, path.film_id, pageOf(query))),
    ),
  );
  router.get(
    '/api/v1/reviews/:id',
    endpoint({ path: review, query: none, body: noBody }, async ({ user, path }) =>
      ok(await reviews.get(user, path.id)),
    ),
  );
  router.put(
    '/api/v1/reviews/:id',
    endpoint({ path: review, query: none, body: reviewTextBody }, async ({ user, path, body }) =>
      ok(await reviews.edit(user, path.id, body.text)),
    ),
  );
  router.delete(
    '/api/v1/reviews/:id',
    endpoint({ path: review, query: none, body: noBody }, async ({ user, path }) => {
      await reviews.remove(user, path.id);
      return noContent;
    }),
  );
  router.post(
    '/api/v1/reviews/:id/likes',
    endpoint({ path: review, query: none, body: likeBody }, async ({ user, path, body }) =>
      ok(await reviews.like(user, path.id, body.like_type)),
    ),
  );
  router.delete(
    '/api/v1/reviews/:id/likes',
    endpoint({ path: review, query: none, body: noBody }, async ({ user, path }) => {
      await reviews.unlike(user, path.id);
      return noContent;
    }),
  );

  router.put(
    filmPaths('/progress'),
    endpoint({ path: film, query: none, body: progressBody }, async ({ user, path, body }) =>
      ok(await watching.report(user, path.film_id, body)),
    ),
  );
  router.get(
    filmPaths('/progress'),
    endpoint({ path: film, query: none, body: noBody }, async ({ user, path }) =>
      ok(await watching.progress(user, path.film_id)),
    ),
  );
  router.get(
    '/api/v1/progress/unfinished',
    endpoint({ path: none, query: paging, body: noBody }, async ({ user, query }) =>
      ok(await watching.unfinished(user, pageOf(query))),
    ),
  );
  router.get(
    '/api/v1/history',
    endpoint({ path: none, query: paging, body: noBody }, async ({ user, query }) =>
      ok(await watching.history(user, pageOf(query))),
    ),
  );
  router.delete(
    '/api/v1/history',
    endpoint({ path: none, query: none, body: noBody }, async ({ user }) => {
      await watching.clearHistory(user);
      return noContent;
    }),
  );

  return router;
}
