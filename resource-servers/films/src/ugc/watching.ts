import { NotFound, pagedList, windowOf, type Knex, type PageRequest, type PagedList } from '@usher/platform';
import { createProgressQueries, type HistoryRecord, type ProgressRecord } from '../data/progress-queries.ts';
import type { ContentUser } from './content-user.ts';
import type { FilmAccess } from './film-access.ts';

/** What a player reports: seconds; `duration` unknown when absent. */
export interface ProgressReport {
  position: number;
  duration?: number | null | undefined;
  finished?: boolean | null | undefined;
}

/** Share of the duration past which a film counts as watched (CONTRACTS 3.4). */
export const finishedShare = 0.95;

/** Finished when the player says so, or when the position reaches 95% of a known, non-zero duration. */
export function isFinished(report: ProgressReport): boolean {
  const duration = report.duration ?? null;
  return report.finished === true || (duration !== null && duration > 0 && report.position >= duration * finishedShare);
}

/** Viewing progress, the unfinished list and the watch history (CONTRACTS 3.4). */
export function createWatching(knex: Knex, films: FilmAccess) {
  const progress = createProgressQueries(knex);

  const find = async (user: ContentUser, filmUuid: string): Promise<ProgressRecord> => {
    const found = await progress.find(user.id, filmUuid);
    if (!found) throw new NotFound('progress not found');
    return found;
  };

  return {
    /** Replaces the film's progress and appends the report to the history. */
    async report(user: ContentUser, filmUuid: string, report: ProgressReport): Promise<ProgressRecord> {
      const film = await films.openable(filmUuid, user.viewer);
      await progress.report(user.id, film.uuid, {
        position: report.position,
        duration: report.duration ?? null,
        finished: isFinished(report),
      });
      return find(user, film.uuid);
    },

    async progress(user: ContentUser, filmUuid: string): Promise<ProgressRecord> {
      const film = await films.openable(filmUuid, user.viewer);
      return find(user, film.uuid);
    },

    async unfinished(user: ContentUser, page: PageRequest): Promise<PagedList<ProgressRecord>> {
      return pagedList(page, await progress.unfinished(user.id, windowOf(page)));
    },

    async history(user: ContentUser, page: PageRequest): Promise<PagedList<HistoryRecord>> {
      return pagedList(page, await progress.history(user.id, windowOf(page)));
    },

    clearHistory: (user: ContentUser) => progress.clearHistory(user.id),
  };
}
