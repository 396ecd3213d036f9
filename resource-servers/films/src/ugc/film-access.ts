import { Forbidden, NotFound, type Knex } from '@usher/platform';
import { mayOpen, type Viewer } from '../catalogue/subscription-rule.ts';
import { createFilmQueries, type FilmShort } from '../data/film-queries.ts';

export const notEnoughPermissions = () =>
  new Forbidden('Not enough permissions', { 'WWW-Authenticate': 'Bearer error="insufficient_scope"' });

/**
 * The film a user-content request names: unknown is 404 `film not found`, then a film the caller
 * may not open (CONTRACTS 3.2) is 403, in that order (3.1).
 */
export function createFilmAccess(knex: Knex) {
  const films = createFilmQueries(knex);

  const existing = async (uuid: string): Promise<FilmShort> => {
    const film = await films.find(uuid);
    if (!film) throw new NotFound('film not found');
    return { uuid: film.uuid, title: film.title, imdb_rating: film.imdb_rating };
  };

  return {
    existing,

    async openable(uuid: string, viewer: Viewer): Promise<FilmShort> {
      const film = await existing(uuid);
      if (!mayOpen(viewer, film.imdb_rating)) throw notEnoughPermissions();
      return film;
    },

    /** Whether the film may be opened; a film no longer in the catalogue has no rating to hide it. */
    async mayOpen(uuid: string, viewer: Viewer): Promise<boolean> {
      const film = await films.find(uuid);
      return !film || mayOpen(viewer, film.imdb_rating);
    },
  };
}

export type FilmAccess = ReturnType<typeof createFilmAccess>;
