import { randomUUID } from 'node:crypto';
import { readWindow, type Knex, type PageWindow, type RowsPage } from '@usher/platform';
import type { LikeType } from './film-like-queries.ts';

const foreignKeyViolation = '23503';

export interface ReviewRecord {
  id: string;
  film_id: string;
  user_id: string;
  text: string;
  created: Date;
  updated: Date;
  likes: number;
  dislikes: number;
}

export function createReviewQueries(knex: Knex) {
  const likesOf = (likeType: LikeType, name: string) =>
    knex.raw(
      `(select count(*) from films.review_likes rl where rl.review_id = r.id and rl.like_type = ${likeType})::int as ${name}`,
    );
  const columns = [
    'r.id',
    'r.film_uuid as film_id',
    'r.user_id',
    'r.text',
    'r.created',
    'r.updated',
    likesOf(0, 'likes'),
    likesOf(1, 'dislikes'),
  ];
  // Lists show the reviews of films still in the catalogue.
  const listed = () =>
    knex('films.reviews as r').whereExists((film) =>
      film.select(knex.raw('1')).from('films.films as f').whereRaw('f.uuid = r.film_uuid'),
    );

  const find = async (id: string): Promise<ReviewRecord | undefined> =>
    (await knex('films.reviews as r').where('r.id', id).first(columns)) as ReviewRecord | undefined;

  return {
    find,

    async create(userId: string, filmUuid: string, text: string): Promise<ReviewRecord> {
      const id = randomUUID();
      await knex('films.reviews').insert({ id, user_id: userId, film_uuid: filmUuid, text });
      return (await find(id))!;
    },

    /** Changes the text of the author's review; false when there is no such review of theirs. */
    async edit(id: string, userId: string, text: string): Promise<boolean> {
      const changed = await knex('films.reviews')
        .where({ id, user_id: userId })
        .update({ text, updated: knex.fn.now() });
      return changed > 0;
    },

    async remove(id: string): Promise<boolean> {
      return (await knex('films.reviews').where({ id }).delete()) > 0;
    },

    ofFilm: (filmUuid: string, window: PageWindow): Promise<RowsPage<ReviewRecord>> =>
      readWindow<ReviewRecord>(listed().where('r.film_uuid', filmUuid), columns, 'r.seq desc', window),

    ofUser: (userId: string, window: PageWindow): Promise<RowsPage<ReviewRecord>> =>
      readWindow<ReviewRecord>(listed().where('r.user_id', userId), columns, 'r.seq desc', window),

    /** One like per user and review: a new one replaces the old. False when the review is gone. */
    async like(id: string, userId: string, likeType: LikeType): Promise<boolean> {
      try {
        await knex('films.review_likes')
          .insert({ review_id: id, user_id: userId, like_type: likeType })
          .onConflict(['review_id', 'user_id'])
          .merge({ like_type: likeType, created: knex.fn.now() });
        return true;
      } catch (error) {
        // Deleted since it was read: the foreign key refuses the like.
        if ((error as { code?: unknown }).code === foreignKeyViolation) return false;
        throw error;
      }
    },

    async unlike(id: string, userId: string): Promise<boolean> {
      return (await knex('films.review_likes').where({ review_id: id, user_id: userId }).delete()) > 0;
    },
  };
}

export type ReviewQueries = ReturnType<typeof createReviewQueries>;
