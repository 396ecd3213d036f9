import { HttpProblem, type Logger } from '@usher/platform';
import type { ErrorRequestHandler, NextFunction, Request, Response } from 'express';
import { answerFailure, problemAnswer, rendererFor, sendAnswer } from './error-answers.ts';
import { RequestFailure, type Failure } from './failures.ts';

/** Error codes of a store that does not answer (connection refused, dropped, timed out, server shutting down). */
const unreachableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  // PostgreSQL: connection exceptions (class 08) and operator intervention (57P0x).
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '57P01',
  '57P02',
  '57P03',
]);

/** A database or Redis that cannot be reached, as its client reports it: the request may succeed later. */
function isUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, name, message } = error as { code?: unknown; name?: unknown; message?: unknown };
  if (typeof code === 'string' && unreachableCodes.has(code)) return true;
  // knex found no free connection in time; ioredis gave up on a command.
  if (name === 'KnexTimeoutError' || name === 'MaxRetriesPerRequestError') return true;
  if (typeof message === 'string' && /^Connection terminated|^Connection is closed/.test(message)) return true;
  // A refused connection to every address of a host arrives as an AggregateError.
  return error instanceof AggregateError && error.errors.some(isUnavailable);
}

/** The neutral failure of an error nobody claimed: body-parser's errors have a `type`. */
function failureOf(error: unknown): Failure {
  if (error instanceof RequestFailure) return error.failure;
  const type = (error as { type?: unknown } | null)?.type;
  if (type === 'entity.too.large') return { kind: 'body-too-large' };
  if (type === 'entity.parse.failed' || type === 'encoding.unsupported' || type === 'charset.unsupported')
    return { kind: 'malformed-body' };
  if (isUnavailable(error)) return { kind: 'unavailable' };
  return { kind: 'internal' };
}

/**
 * The one place a thrown error becomes a response: the service's own errors through its renderer,
 * platform HttpProblems as themselves, the rest as neutral failures. Never a stack trace; what went
 * wrong inside is logged (with the request id, through the logger's request context).
 */
export function errorResponses(logger: Logger): ErrorRequestHandler {
  return function answerError(error: unknown, req: Request, res: Response, next: NextFunction) {
    if (res.headersSent) {
      // Too late for an answer (a stream already under way): say so in the log and drop the connection.
      logger.error({ err: error }, 'request failed after its answer began');
      next(error);
      return;
    }
    const renderer = rendererFor(req);
    const own = renderer.renderThrown?.(error);
    if (own) return sendAnswer(res, own);
    if (error instanceof HttpProblem) {
      if (error.status >= 500) logger.error({ err: error }, 'request failed');
      return sendAnswer(res, problemAnswer(error));
    }
    const failure = failureOf(error);
    if (failure.kind === 'internal') logger.error({ err: error }, 'request failed');
    else if (failure.kind === 'unavailable') logger.warn({ err: error }, 'a store is unavailable');
    answerFailure(req, res, failure);
  };
}
