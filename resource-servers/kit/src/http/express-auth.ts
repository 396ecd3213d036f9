import { evaluatePermissionQuery, type PermissionQuery } from '@usher/contracts';
import type { Logger } from '@usher/platform';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Counter, type Registry } from 'prom-client';
import { isRejection, outcomeCodes, type Outcome, type Subject } from '../outcomes.ts';
import type { TokenVerifier } from '../token-verifier.ts';
import { answerFailure } from './error-answers.ts';
import { RequestFailure } from './failures.ts';

export interface RequestAuth {
  subject: Subject | null;
  degraded: boolean;
  outcome: Outcome;
}

declare module 'express-serve-static-core' {
  interface Request {
    auth?: RequestAuth;
    /** A request-scoped logger, when a service sets one (the kit's lines go through it). */
    log?: Logger;
  }
}

export const degradedHeader = 'X-Auth-Degraded';

/** `can(subject, query)`: the permission query of CONTRACTS.md 1.2 against the token's claims. */
export function can(subject: Subject | null | undefined, query: PermissionQuery): boolean {
  return subject ? evaluatePermissionQuery(query, subject.permissions) : false;
}

function bearerToken(req: Request): string | null | undefined {
  const header = req.get('authorization');
  if (!header) return null;
  const match = /^Bearer\s+([^\s]+)\s*$/i.exec(header);
  return match ? match[1] : undefined;
}

export interface AuthenticateOptions {
  /** Where the kit's lines go when the request has no `req.log`; the request id comes from the logger's request context. */
  logger?: Logger;
  /** `usher_token_checks_total{outcome}` is registered here. */
  registry?: Registry;
  /**
   * At most one "serving anonymously" warning per this period, counting the degraded requests since
   * the last one (an outage would otherwise write a line per request). Default 10 s.
   */
  degradedLogIntervalMs?: number;
  /** Answer rejections yourself; by default they are the `invalid-token` failure, through the app's renderer. */
  onRejected?: (req: Request, res: Response, outcome: Outcome) => void;
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
 * are answered 401 (the `invalid-token` failure); degraded responses carry `X-Auth-Degraded: 1`.
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
      // Set for rejections too, so the request log line can say why it answered 401.
      req.auth = {
        subject: outcome.code === outcomeCodes.verified ? outcome.subject : null,
        degraded: outcome.degraded,
        outcome,
      };
      const log = req.log ?? options.logger;
      if (isRejection(outcome)) {
        log?.info({ outcome: outcome.code }, 'bearer token refused');
        if (options.onRejected) return options.onRejected(req, res, outcome);
        return answerFailure(req, res, { kind: 'invalid-token', code: outcome.code, reason: outcome.reason });
      }
      if (outcome.degraded) {
        res.set(degradedHeader, '1');
        warnDegraded(log, outcome);
      }
      next();
    } catch (error) {
      next(error);
    }
  };
}

/**
 * The request's verified subject, or the `unauthenticated` failure (thrown): for handlers that need
 * a signed-in caller, a degraded anonymous one included (it cannot be told from a stranger).
 */
export function subjectOf(req: Request): Subject {
  const subject = req.auth?.subject;
  if (subject) return subject;
  throw new RequestFailure({ kind: 'unauthenticated', degraded: req.auth?.degraded ?? false });
}

/** A verified subject, else 401 through the app's renderer. */
export function requireUser(): RequestHandler {
  return function checkUser(req: Request, res: Response, next: NextFunction) {
    if (req.auth?.subject) return next();
    answerFailure(req, res, { kind: 'unauthenticated', degraded: req.auth?.degraded ?? false });
  };
}

/** 401 for anonymous callers, 403 (`forbidden`) when the token's permissions fail the query. */
export function requirePermission(query: PermissionQuery): RequestHandler {
  return function checkPermission(req: Request, res: Response, next: NextFunction) {
    const subject = req.auth?.subject;
    if (!subject) return answerFailure(req, res, { kind: 'unauthenticated', degraded: req.auth?.degraded ?? false });
    if (!can(subject, query)) return answerFailure(req, res, { kind: 'forbidden', query });
    next();
  };
}
