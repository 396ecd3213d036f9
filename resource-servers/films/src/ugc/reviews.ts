import { NotFound, pagedList, windowOf, type Knex, type PageRequest, type PagedList } from '@usher/platform';
import type { LikeType } from '../data/film-like-queries.ts';
import { createReviewQueries, type ReviewRecord } from '../data/review-queries.ts';
import type { ContentUser } from './content-user.ts';
import { notEnoughPermissions, type FilmAccess } from './film-access.ts';

/**
 * Reviews (CONTRACTS 3.4): readable by every signed-in user who may open the film, changed by their
 * author only, deleted by the author or a moderator.
 */
export function createReviews(knex: Knex, films: FilmAccess) {
  const reviews = createReviewQueries(knex);

  const existing = async (id: string): Promise<ReviewRecord> => {
    const review = await reviews.find(id);
    if (!review) throw new NotFound('review not found');
    return review;
  };

  /** Someone else's review of a film the caller may not open is hidden like the film (3.2). */
  const readable = async (user: ContentUser, id: string): Promise<ReviewRecord> => {
    const review = await existing(id);
    if (review.user_id !== user.id && !(await films.mayOpen(review.film_id, user.viewer))) {
      throw notEnoughPermissions();
    }
    return review;
  };

  return {
    async create(user: ContentUser, filmUuid: string, text: string): Promise<ReviewRecord> {
      const film = await films.openable(filmUuid, user.viewer);
      return reviews.create(user.id, film.uuid, text);
    },

    get: readable,

    async ofFilm(user: ContentUser, filmUuid: string, page: PageRequest): Promise<PagedList<ReviewRecord>> {
      const film = await films.openable(filmUuid, user.viewer);
      return pagedList(page, await reviews.ofFilm(film.uuid, windowOf(page)));
    },

    async own(user: ContentUser, page: PageRequest): Promise<PagedList<ReviewRecord>> {
      return pagedList(page, await reviews.ofUser(user.id, windowOf(page)));
    },

    /** Someone else's review answers like an unknown one: it is not the caller's to edit. */
    async edit(user: ContentUser, id: string, text: string): Promise<ReviewRecord> {
      const review = await reviews.find(id);
      if (!review || review.user_id !== user.id) throw new NotFound('review not found');
      if (!(await films.mayOpen(review.film_id, user.viewer))) throw notEnoughPermissions();
      if (!(await reviews.edit(id, user.id, text))) throw new NotFound('review not found');
      return existing(id);
    },

    async remove(user: ContentUser, id: string): Promise<void> {
      const review = await existing(id);
      if (review.user_id !== user.id && !user.moderator) throw notEnoughPermissions();
      if (!(await reviews.remove(id))) throw new NotFound('review not found');
    },

    async like(user: ContentUser, id: string, likeType: LikeType): Promise<ReviewRecord> {
      const review = await existing(id);
      if (!(await films.mayOpen(review.film_id, user.viewer))) throw notEnoughPermissions();
      if (!(await reviews.like(id, user.id, likeType))) throw new NotFound('review not found');
      return existing(id);
    },

    async unlike(user: ContentUser, id: string): Promise<void> {
      await existing(id);
      if (!(await reviews.unlike(id, user.id))) throw new NotFound('like not found');
    },
  };
}
