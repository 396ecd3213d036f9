import { readWindow, type Knex, type PageWindow, type RowsPage } from '@usher/platform';
import { joinCatalogueFilm } from './catalogue-film-columns.ts';

/** 0 like, 1 dislike (CONTRACTS 3.4). */
export type LikeType = 0 | 1;

export interface FilmLikeRecord {
  film_id: string;
  like_type: LikeType;
  created: Date;
}

export function createFilmLikeQueries(knex: Knex) {
  const columns = ['l.film_uuid as film_id', 'l.like_type', 'l.created'];
  return {
    /** One like per user and film: a new one replaces the old (and takes a new time and place in the list). */
    async put(userId: string, filmUuid: string, likeType: LikeType): Promise<FilmLikeRecord> {
      const rows = (await knex('films.film_likes')
        .insert({ user_id: userId, film_uuid: filmUuid, like_type: likeType })
        .onConflict(['user_id', 'film_uuid'])
        .merge({
          like_type: likeType,
          created: knex.fn.now(),
          seq: knex.raw("nextval('films.user_content_seq')"),
        })
        .returning(['film_uuid as film_id', 'like_type', 'created'])) as FilmLikeRecord[];
      return rows[0]!;
    },

    async remove(userId: string, filmUuid: string): Promise<boolean> {
      return (await knex('films.film_likes').where({ user_id: userId, film_uuid: filmUuid }).delete()) > 0;
    },

    async page(userId: string, window: PageWindow): Promise<RowsPage<FilmLikeRecord>> {
      const query = joinCatalogueFilm(knex('films.film_likes as l').where('l.user_id', userId), 'l.film_uuid');
      return readWindow<FilmLikeRecord>(query, columns, 'l.seq desc', window);
    },

    async counts(filmUuid: string): Promise<{ likes: number; dislikes: number }> {
      const row = (await knex('films.film_likes')
        .where({ film_uuid: filmUuid })
        .first(
          knex.raw('count(*) filter (where like_type = 0)::int as likes'),
          knex.raw('count(*) filter (where like_type = 1)::int as dislikes'),
        )) as { likes: number; dislikes: number };
      return { likes: Number(row.likes), dislikes: Number(row.dislikes) };
    },
  };
}

export type FilmLikeQueries = ReturnType<typeof createFilmLikeQueries>;
