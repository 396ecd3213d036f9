import { randomUUID } from 'node:crypto';
import { readWindow, type Knex, type PageWindow, type RowsPage } from '@usher/platform';
import {
  catalogueFilmColumns,
  filmShortOf,
  joinCatalogueFilm,
  type CatalogueFilmColumns,
} from './catalogue-film-columns.ts';
import type { FilmShort } from './film-queries.ts';

export interface BookmarkRecord {
  id: string;
  film: FilmShort;
  created: Date;
}

type BookmarkRow = CatalogueFilmColumns & { id: string; created: Date };

export function createBookmarkQueries(knex: Knex) {
  const ofUser = (userId: string) =>
    joinCatalogueFilm(knex('films.bookmarks as b').where('b.user_id', userId), 'b.film_uuid');
  const columns = ['b.id', 'b.created', ...catalogueFilmColumns(knex)];
  const toRecord = (row: BookmarkRow): BookmarkRecord => ({ id: row.id, film: filmShortOf(row), created: row.created });

  return {
    /** Bookmarks the film once; `added` is false when it already was (the existing one is answered). */
    async add(userId: string, filmUuid: string): Promise<{ id: string; created: Date; added: boolean }> {
      const inserted = (await knex('films.bookmarks')
        .insert({ id: randomUUID(), user_id: userId, film_uuid: filmUuid })
        .onConflict(['user_id', 'film_uuid'])
        .ignore()
        .returning(['id', 'created'])) as { id: string; created: Date }[];
      if (inserted[0]) return { ...inserted[0], added: true };
      const existing = (await knex('films.bookmarks')
        .where({ user_id: userId, film_uuid: filmUuid })
        .first('id', 'created')) as { id: string; created: Date };
      return { ...existing, added: false };
    },

    async page(userId: string, window: PageWindow): Promise<RowsPage<BookmarkRecord>> {
      const page = await readWindow<BookmarkRow>(ofUser(userId), columns, 'b.seq desc', window);
      return { rows: page.rows.map(toRecord), total: page.total };
    },

    async remove(userId: string, filmUuid: string): Promise<boolean> {
      return (await knex('films.bookmarks').where({ user_id: userId, film_uuid: filmUuid }).delete()) > 0;
    },

    async removeAll(userId: string): Promise<void> {
      await knex('films.bookmarks').where({ user_id: userId }).delete();
    },
  };
}

export type BookmarkQueries = ReturnType<typeof createBookmarkQueries>;
