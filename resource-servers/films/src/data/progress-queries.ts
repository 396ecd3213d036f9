import { readWindow, type Knex, type PageWindow, type RowsPage } from '@usher/platform';
import {
  catalogueFilmColumns,
  filmShortOf,
  joinCatalogueFilm,
  type CatalogueFilmColumns,
} from './catalogue-film-columns.ts';
import type { FilmShort } from './film-queries.ts';

export interface ProgressInput {
  position: number;
  duration: number | null;
  finished: boolean;
}

export interface ProgressRecord extends ProgressInput {
  film: FilmShort;
  updated: Date;
}

export interface HistoryRecord {
  film: FilmShort;
  position: number;
  watched_at: Date;
}

type ProgressRow = CatalogueFilmColumns & ProgressInput & { updated: Date };
type HistoryRow = CatalogueFilmColumns & { position: number; watched_at: Date };

/** Viewing progress (one row per user and film) and the watch history (one row per report). */
export function createProgressQueries(knex: Knex) {
  const progressColumns = ['p.position', 'p.duration', 'p.finished', 'p.updated', ...catalogueFilmColumns(knex)];
  const progressOf = (userId: string) =>
    joinCatalogueFilm(knex('films.progress as p').where('p.user_id', userId), 'p.film_uuid');
  const toProgress = ({ position, duration, finished, updated, ...film }: ProgressRow): ProgressRecord => ({
    film: filmShortOf(film),
    position,
    duration,
    finished,
    updated,
  });

  return {
    /** Records a report: the film's progress is replaced and the history gains a line, together. */
    async report(userId: string, filmUuid: string, input: ProgressInput): Promise<void> {
      await knex.transaction(async (trx) => {
        await trx('films.progress')
          .insert({ user_id: userId, film_uuid: filmUuid, ...input })
          .onConflict(['user_id', 'film_uuid'])
          .merge({ ...input, updated: trx.fn.now(), seq: trx.raw("nextval('films.user_content_seq')") });
        await trx('films.watch_history').insert({ user_id: userId, film_uuid: filmUuid, position: input.position });
      });
    },

    async find(userId: string, filmUuid: string): Promise<ProgressRecord | undefined> {
      const row = (await progressOf(userId).where('p.film_uuid', filmUuid).first(progressColumns)) as
        ProgressRow | undefined;
      return row && toProgress(row);
    },

    /** Unfinished films, most recently watched first. */
    async unfinished(userId: string, window: PageWindow): Promise<RowsPage<ProgressRecord>> {
      const query = progressOf(userId).where('p.finished', false);
      const page = await readWindow<ProgressRow>(query, progressColumns, 'p.seq desc', window);
      return { rows: page.rows.map(toProgress), total: page.total };
    },

    async history(userId: string, window: PageWindow): Promise<RowsPage<HistoryRecord>> {
      const query = joinCatalogueFilm(knex('films.watch_history as h').where('h.user_id', userId), 'h.film_uuid');
      const columns = ['h.position', 'h.watched_at', ...catalogueFilmColumns(knex)];
      const page = await readWindow<HistoryRow>(query, columns, 'h.id desc', window);
      return {
        rows: page.rows.map(({ position, watched_at, ...film }) => ({ film: filmShortOf(film), position, watched_at })),
        total: page.total,
      };
    },

    async clearHistory(userId: string): Promise<void> {
      await knex('films.watch_history').where({ user_id: userId }).delete();
    },
  };
}

export type ProgressQueries = ReturnType<typeof createProgressQueries>;
