import { problemContentType, type Logger } from '@usher/platform';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Counter, type Registry } from 'prom-client';
import { isRejection, outcomeCodes, type Outcome, type Subject } from './outcomes.ts';
import { evaluatePermissionQuery, type PermissionQuery } from './permission-query.ts';
import type { TokenVerifier } from './token-verifier.ts';

export interface RequestAuth {
  subject: Subject | null;
  degraded: boolean;
  outcome: Outcome;
}

declare module 'express-serve-static-core' {
  interface Request {
    auth?: RequestAuth;
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
  /** Answer rejections here (default). Services with their own error body pass a handler. */
  onRejected?: (req: Request, res: Response, outcome: Outcome) => void;
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
  return async function authenticateRequest(req: Request, res: Response, next: NextFunction) {
    try {
      const token = bearerToken(req);
      const outcome: Outcome =
        token === undefined
          ? { code: outcomeCodes.invalid, degraded: false, reason: 'malformed Authorization header' }
          : await verifier.verify(token);
      outcomes?.inc({ outcome: outcome.code });
      if (isRejection(outcome)) {
        options.logger?.info({ outcome: outcome.code }, 'bearer token refused');
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
        options.logger?.warn(
          { outcome: outcome.code, reason: 'reason' in outcome ? outcome.reason : undefined },
          'serving anonymously: provider keys unavailable',
        );
      }
      req.auth = {
        subject: outcome.code === outcomeCodes.verified ? outcome.subject : null,
        degraded: outcome.degraded,
        outcome,
      };
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
