import { HttpProblem, isStoreUnavailable, type Logger } from '@usher/platform';
import type { ErrorRequestHandler, NextFunction, Request, Response } from 'express';
import { answerFailure, problemAnswer, rendererFor, sendAnswer } from './error-answers.ts';
import { RequestFailure, type Failure } from './failures.ts';

/** The neutral failure of an error nobody claimed: body-parser's errors have a `type`. */
function failureOf(error: unknown): Failure {
  if (error instanceof RequestFailure) return error.failure;
  const type = (error as { type?: unknown } | null)?.type;
  if (type === 'entity.too.large') return { kind: 'body-too-large' };
  if (type === 'entity.parse.failed' || type === 'encoding.unsupported' || type === 'charset.unsupported')
    return { kind: 'malformed-body' };
  if (isStoreUnavailable(error)) return { kind: 'unavailable' };
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
    // An outage's symptom, not a bug: a warning without a stack.
    else if (failure.kind === 'unavailable')
      logger.warn({ reason: (error as Error).message }, 'a store is unavailable');
    answerFailure(req, res, failure);
  };
}
