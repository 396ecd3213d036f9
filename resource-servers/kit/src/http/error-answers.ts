import { HttpProblem, problemContentType, storeUnavailableProblem } from '@usher/platform';
import type { Application, Request, Response } from 'express';
import type { Failure } from './failures.ts';

/** What a service answers for a failure: status, body, and any headers (`WWW-Authenticate`, `Allow`). */
export interface ErrorAnswer {
  status: number;
  body: unknown;
  /** Default `application/json`. */
  contentType?: string;
  headers?: Record<string, string>;
}

/**
 * How one service writes its errors. `render` answers the kit's neutral failures; `renderThrown`
 * answers the service's own errors (its domain errors), or says `undefined` for "not mine": then a
 * platform HttpProblem answers as itself and anything else is an `internal` failure.
 */
export interface ErrorRenderer {
  render(failure: Failure): ErrorAnswer;
  renderThrown?(error: unknown): ErrorAnswer | undefined;
}

/** An RFC 9457 problem as an answer (problem+json, its headers). */
export function problemAnswer(problem: HttpProblem): ErrorAnswer {
  return { status: problem.status, body: problem.toBody(), contentType: problemContentType, headers: problem.headers };
}

const bearerChallenge = (error: string, description: string) =>
  `Bearer error="${error}", error_description="${description.replace(/"/g, "'")}"`;

/** The kit's own answer to each failure: problem+json, the bodies the kit has always written. */
export function defaultFailureProblem(failure: Failure): HttpProblem {
  switch (failure.kind) {
    case 'unauthenticated': {
      if (!failure.degraded)
        return new HttpProblem(401, 'invalid-token', 'Unauthorized', 'A bearer token is required', {
          headers: { 'WWW-Authenticate': 'Bearer' },
        });
      const detail = 'The token cannot be verified now: the provider is unreachable';
      return new HttpProblem(401, 'invalid-token', 'Unauthorized', detail, {
        headers: { 'WWW-Authenticate': bearerChallenge('invalid_token', detail) },
      });
    }
    case 'invalid-token':
      return new HttpProblem(401, 'invalid-token', 'Unauthorized', failure.reason, {
        headers: { 'WWW-Authenticate': bearerChallenge('invalid_token', failure.reason) },
      });
    case 'forbidden':
      return new HttpProblem(403, 'insufficient-scope', 'Forbidden', 'Not enough permissions', {
        headers: { 'WWW-Authenticate': 'Bearer error="insufficient_scope"' },
      });
    case 'not-found':
      return new HttpProblem(404, 'not-found', 'Not Found', 'Not found');
    case 'method-not-allowed':
      return new HttpProblem(405, 'method-not-allowed', 'Method Not Allowed', 'This path does not take that method', {
        headers: { Allow: failure.allow.join(', ') },
      });
    case 'validation-failed':
      return new HttpProblem(422, 'validation-failed', 'Unprocessable Content', 'Request parameters are invalid', {
        extensions: { errors: failure.errors.map((error) => ({ loc: [error.in, error.name], msg: error.message })) },
      });
    case 'malformed-body':
      return new HttpProblem(400, 'malformed-body', 'Bad Request', 'The request body is not valid JSON');
    case 'body-too-large':
      return new HttpProblem(413, 'payload-too-large', 'Payload Too Large', 'request entity too large');
    case 'unavailable':
      return storeUnavailableProblem();
    case 'internal':
      return new HttpProblem(500, 'internal', 'Internal Server Error', 'An unexpected error occurred');
  }
}

/** Problem+json for every failure: what a service that gives no renderer answers. */
export const problemRenderer: ErrorRenderer = {
  render: (failure) => problemAnswer(defaultFailureProblem(failure)),
};

const renderers = new WeakMap<Application, ErrorRenderer>();

/** Makes `renderer` answer every failure of `app`, including those of requireUser/requirePermission. */
export function useErrorRenderer(app: Application, renderer: ErrorRenderer): void {
  renderers.set(app, renderer);
}

/** The renderer of the app serving `req` (the kit's problem+json when the service set none). */
export function rendererFor(req: Request): ErrorRenderer {
  return renderers.get(req.app) ?? problemRenderer;
}

export function sendAnswer(res: Response, answer: ErrorAnswer): void {
  res
    .status(answer.status)
    .set(answer.headers ?? {})
    .type(answer.contentType ?? 'application/json')
    .json(answer.body);
}

/** Answers `failure` through the service's renderer. */
export function answerFailure(req: Request, res: Response, failure: Failure): void {
  sendAnswer(res, rendererFor(req).render(failure));
}
