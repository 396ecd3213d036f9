import { HttpProblem, problemContentType, type KeyValueStore, type Logger } from '@usher/platform';
import type { Request, Response } from 'express';
import type { CatalogueVersion } from '../catalogue/catalogue-version.ts';
import type { Metrics } from '../ops/metrics.ts';

interface CachedAnswer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** Canonical path: aliases (`/api/v1/film`) and trailing slashes share their canonical entry. */
export function canonicalPath(path: string): string {
  const trimmed = path.length > 1 ? path.replace(/\/+$/, '') : path;
  return trimmed.replace(/^\/api\/v1\/(film|genre|person)(?=\/|$)/, '/api/v1/$1s');
}

/**
 * Catalogue answers (200, and the 403/404 the catalogue decides) cached in the key-value store for
 * the TTL, keyed by generation, subscriber flag, method, canonical path and the sorted validated
 * parameters. 422s are not cached: they are answered before the cache is consulted.
 */
export function createResponseCache(deps: {
  store: KeyValueStore;
  version: CatalogueVersion;
  ttlSeconds: number;
  metrics: Metrics;
  logger: Logger;
}) {
  const send = (res: Response, answer: CachedAnswer, state: 'HIT' | 'MISS') => {
    res.status(answer.status).set(answer.headers).set('X-Cache', state);
    if (answer.status >= 400) res.type(problemContentType);
    res.json(answer.body);
  };

  return async function serveCached(
    req: Request,
    res: Response,
    subscriber: boolean,
    parameters: Record<string, unknown>,
    compute: () => Promise<unknown>,
  ): Promise<void> {
    const query = Object.entries(parameters)
      .filter(([, value]) => value !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`)
      .join('&');
    const generation = await deps.version.current();
    const key = `films:cache:${generation}:${subscriber ? 's' : 'p'}:${req.method} ${canonicalPath(req.baseUrl + req.path)}?${query}`;
    // A store that cannot answer (Redis down or silent) fails within its bound: the answer comes from
    // the database, and is not offered to the store that just failed.
    let storeFailed = false;
    const hit = await deps.store.get(key).catch((error: unknown) => {
      storeFailed = true;
      deps.logger.warn({ reason: (error as Error).message }, 'cache read failed; answering from the database');
      return null;
    });
    if (hit) {
      deps.metrics.cache.inc({ result: 'hit' });
      return send(res, JSON.parse(hit) as CachedAnswer, 'HIT');
    }
    deps.metrics.cache.inc({ result: 'miss' });
    let answer: CachedAnswer;
    try {
      answer = { status: 200, headers: {}, body: await compute() };
    } catch (error) {
      if (!(error instanceof HttpProblem) || error.status >= 500) throw error;
      answer = { status: error.status, headers: error.headers, body: error.toBody() };
    }
    if (!storeFailed) {
      await deps.store.set(key, JSON.stringify(answer), deps.ttlSeconds).catch((error: unknown) => {
        deps.logger.warn({ reason: (error as Error).message }, 'cache write failed');
      });
    }
    send(res, answer, 'MISS');
  };
}

export type ResponseCache = ReturnType<typeof createResponseCache>;
