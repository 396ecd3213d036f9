import { NotFound, pagedList, windowOf, type Knex, type PageRequest, type PagedList } from '@usher/platform';
import { createFilmLikeQueries, type FilmLikeRecord, type LikeType } from '../data/film-like-queries.ts';
import type { ContentUser } from './content-user.ts';
import type { FilmAccess } from './film-access.ts';

export interface FilmLikeCounts {
  film_id: string;
  likes: number;
  dislikes: number;
}

/** Likes and dislikes of films (CONTRACTS 3.4): one per user and film; counts are public. */
export function createFilmLikes(knex: Knex, films: FilmAccess) {
  const likes = createFilmLikeQueries(knex);
  return {
    async put(user: ContentUser, filmUuid: string, likeType: LikeType): Promise<FilmLikeRecord> {
      const film = await films.openable(filmUuid, user.viewer);
      return likes.put(user.id, film.uuid, likeType);
    },

    /** One's own data can always be removed, even of a film one may no longer open. */
    async remove(user: ContentUser, filmUuid: string): Promise<void> {
      if (await likes.remove(user.id, filmUuid)) return;
      await films.existing(filmUuid);
      throw new NotFound('like not found');
    },

    async list(user: ContentUser, page: PageRequest): Promise<PagedList<FilmLikeRecord>> {
      return pagedList(page, await likes.page(user.id, windowOf(page)));
    },

    async counts(user: ContentUser, filmUuid: string): Promise<FilmLikeCounts> {
      const film = await films.openable(filmUuid, user.viewer);
      return { film_id: film.uuid, ...(await likes.counts(film.uuid)) };
    },
  };
}
