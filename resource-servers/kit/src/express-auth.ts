import { currentRequestId, problemContentType, type Logger } from '@usher/platform';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Counter, type Registry } from 'prom-client';
import { isRejection, outcomeCodes, type Outcome, type Subject } from './outcomes.ts';
import { evaluatePermissionQuery, type PermissionQuery } from '@usher/contracts';
import type { TokenVerifier } from './token-verifier.ts';

export interface RequestAuth {
  subject: Subject | null;
  degraded: boolean;
  outcome: Outcome;
}

declare module 'express-serve-static-core' {
  interface Request {
    auth?: RequestAuth;
    /** The request-scoped logger (carrying the request id), when the service sets one. */
    log?: Logger;
  }
}

export const degradedHeader = 'X-Auth-Degraded';

/** `can(subject, query)`: the permission query of CONTRACTS.md 1.2 against the token's claims. */
export function can(subject: Subject | null | undefined, query: PermissionQuery): boolean {
  return subject ? evaluatePermissionQuery(query, subject.permissions) : false;
}

function problem(res: Response, status: number, title: string, detail: string, challenge: string) {
  res
    .status(status)
    .set('WWW-Authenticate', challenge)
    .type(problemContentType)
    .json({
      type: `https://usher.dev/problems/${status === 401 ? 'invalid-token' : 'insufficient-scope'}`,
      title,
      status,
      detail,
    });
}

function bearerToken(req: Request): string | null | undefined {
  const header = req.get('authorization');
  if (!header) return null;
  const match = /^Bearer\s+([^\s]+)\s*$/i.exec(header);
  return match ? match[1] : undefined;
}

export interface AuthenticateOptions {
  logger?: Logger;
  registry?: Registry;
  /**
   * At most one "serving anonymously" warning per this period, counting the degraded requests since
   * the last one (an outage would otherwise write a line per request). Default 10 s.
   */
  degradedLogIntervalMs?: number;
  /** Answer rejections here (default). Services with their own error body pass a handler. */
  onRejected?: (req: Request, res: Response, outcome: Outcome) => void;
}

/**
 * The request's logger: the service's request-scoped one, else the given logger with the request id
 * of the current request context (platform's runWithRequestId).
 */
function requestLogger(req: Request, logger: Logger | undefined): Logger | undefined {
  if (req.log) return req.log;
  const requestId = currentRequestId();
  return requestId ? logger?.child({ requestId }) : logger;
}

/**
 * One warning per period while degraded, with how many requests were served anonymously since the
 * previous one: the first degraded request is said at once, the rest of an outage in a few lines.
 */
function degradedWarnings(intervalMs: number) {
  let lastLine = 0;
  let unreported = 0;
  return function warnDegraded(log: Logger | undefined, outcome: Outcome) {
    unreported += 1;
    const now = Date.now();
    if (now - lastLine < intervalMs) return;
    log?.warn(
      {
        outcome: outcome.code,
        degraded: true,
        reason: 'reason' in outcome ? outcome.reason : undefined,
        degradedRequests: unreported,
        sinceMs: lastLine ? now - lastLine : 0,
      },
      'serving anonymously: provider keys unavailable',
    );
    lastLine = now;
    unreported = 0;
  };
}

/**
 * Puts the caller on `req.auth`: a verified subject, or anonymous (no token, or degraded). Bad tokens
 * are answered 401 with `WWW-Authenticate: Bearer error="invalid_token"`; degraded responses carry
 * `X-Auth-Degraded: 1`.
 */
export function authenticate(
  verifier: Pick<TokenVerifier, 'verify'>,
  options: AuthenticateOptions = {},
): RequestHandler {
  const outcomes = options.registry
    ? new Counter({
        name: 'usher_token_checks_total',
        help: 'Bearer token checks by outcome code',
        labelNames: ['outcome'] as const,
        registers: [options.registry],
      })
    : null;
  const warnDegraded = degradedWarnings(options.degradedLogIntervalMs ?? 10_000);
  return async function authenticateRequest(req: Request, res: Response, next: NextFunction) {
    try {
      const token = bearerToken(req);
      const outcome: Outcome =
        token === undefined
          ? { code: outcomeCodes.invalid, degraded: false, reason: 'malformed Authorization header' }
          : await verifier.verify(token);
      outcomes?.inc({ outcome: outcome.code });
      // Set for rejections too, so the service's request log line can say why it answered 401.
      req.auth = {
        subject: outcome.code === outcomeCodes.verified ? outcome.subject : null,
        degraded: outcome.degraded,
        outcome,
      };
      if (isRejection(outcome)) {
        requestLogger(req, options.logger)?.info({ outcome: outcome.code }, 'bearer token refused');
        if (options.onRejected) return options.onRejected(req, res, outcome);
        const detail = 'reason' in outcome ? outcome.reason : 'invalid token';
        return problem(
          res,
          401,
          'Unauthorized',
          detail,
          `Bearer error="invalid_token", error_description="${detail.replace(/"/g, "'")}"`,
        );
      }
      if (outcome.degraded) {
        res.set(degradedHeader, '1');
        warnDegraded(requestLogger(req, options.logger), outcome);
      }
      next();
    } catch (error) {
      next(error);
    }
  };
}

/** 401 for anonymous callers, 403 `insufficient_scope` when the token's permissions fail the query. */
export function requirePermission(query: PermissionQuery): RequestHandler {
  return function checkPermission(req: Request, res: Response, next: NextFunction) {
    const subject = req.auth?.subject;
    if (!subject) return problem(res, 401, 'Unauthorized', 'A bearer token is required', 'Bearer');
    if (!can(subject, query)) {
      return problem(res, 403, 'Forbidden', 'Not enough permissions', 'Bearer error="insufficient_scope"');
    }
    next();
  };
}
