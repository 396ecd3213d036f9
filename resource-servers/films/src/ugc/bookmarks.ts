import { NotFound, pagedList, windowOf, type Knex, type PageRequest, type PagedList } from '@usher/platform';
import { createBookmarkQueries, type BookmarkRecord } from '../data/bookmark-queries.ts';
import type { ContentUser } from './content-user.ts';
import type { FilmAccess } from './film-access.ts';

/** A user's bookmarks (CONTRACTS 3.4): one per film, only their own. */
export function createBookmarks(knex: Knex, films: FilmAccess) {
  const bookmarks = createBookmarkQueries(knex);
  return {
    /** `added` is false when the film was already bookmarked (answered 200 with the existing one). */
    async add(user: ContentUser, filmUuid: string): Promise<{ bookmark: BookmarkRecord; added: boolean }> {
      const film = await films.openable(filmUuid, user.viewer);
      const { id, created, added } = await bookmarks.add(user.id, film.uuid);
      return { bookmark: { id, film, created }, added };
    },

    async list(user: ContentUser, page: PageRequest): Promise<PagedList<BookmarkRecord>> {
      return pagedList(page, await bookmarks.page(user.id, windowOf(page)));
    },

    /** One's own data can always be removed, even of a film one may no longer open. */
    async remove(user: ContentUser, filmUuid: string): Promise<void> {
      if (await bookmarks.remove(user.id, filmUuid)) return;
      await films.existing(filmUuid);
      throw new NotFound('bookmark not found');
    },

    removeAll: (user: ContentUser) => bookmarks.removeAll(user.id),
  };
}
