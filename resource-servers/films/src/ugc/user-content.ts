import type { Knex } from '@usher/platform';
import { createBookmarks } from './bookmarks.ts';
import { createFilmAccess } from './film-access.ts';
import { createFilmLikes } from './film-likes.ts';
import { createReviews } from './reviews.ts';
import { createWatching } from './watching.ts';

/** Everything users create around the catalogue (CONTRACTS 3.4), over one database. */
export function createUserContent(knex: Knex) {
  const films = createFilmAccess(knex);
  return {
    bookmarks: createBookmarks(knex, films),
    likes: createFilmLikes(knex, films),
    reviews: createReviews(knex, films),
    watching: createWatching(knex, films),
  };
}

export type UserContent = ReturnType<typeof createUserContent>;
