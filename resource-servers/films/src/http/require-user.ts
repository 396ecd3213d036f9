import { HttpProblem } from '@usher/platform';
import type { Subject } from '@usher/kit';
import type { Request } from 'express';

/** 401 in the kit's shape (problem+json, `invalid_token` challenge) for content that needs a user. */
function unauthorized(detail: string): HttpProblem {
  return new HttpProblem(401, 'invalid-token', 'Unauthorized', detail, {
    headers: { 'WWW-Authenticate': `Bearer error="invalid_token", error_description="${detail}"` },
  });
}

/**
 * The verified subject of the request. User content needs a signed-in user (CONTRACTS 3.4): no token
 * is 401, and so is a token served as anonymous because the provider's keys are unavailable.
 */
export function requireUser(req: Request): Subject {
  const subject = req.auth?.subject;
  if (subject) return subject;
  if (req.auth?.degraded) throw unauthorized('The token cannot be verified now: the provider is unreachable');
  throw unauthorized('A bearer token is required');
}
