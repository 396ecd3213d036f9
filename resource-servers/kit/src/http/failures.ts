import type { PermissionQuery } from '@usher/contracts';
import type { RejectionCode } from '../outcomes.ts';

/** One failing input: where it was (`path`, `query`, `body`), its wire name, and what is wrong with it. */
export interface FieldError {
  in: 'path' | 'query' | 'body';
  name: string;
  message: string;
}

/**
 * What went wrong, in the kit's neutral words: no status, no body. Each service's renderer turns a
 * failure into its own answer (films: problem+json; files: problem+json with an `error` code;
 * messenger: `{"message": "<code>"}`), so the kit never fixes a contract's error shape.
 */
export type Failure =
  /** No verified subject where one is needed: no token, or a token served anonymously because the keys are unavailable. */
  | { kind: 'unauthenticated'; degraded: boolean }
  /** The bearer token was refused (bad, expired or revoked): never served as anonymous. */
  | { kind: 'invalid-token'; code: RejectionCode; reason: string }
  /** A verified subject whose permissions fail the route's query. */
  | { kind: 'forbidden'; query: PermissionQuery }
  /** No route has this path. */
  | { kind: 'not-found' }
  /** A route has this path, not with this method; `allow` lists the methods it has. */
  | { kind: 'method-not-allowed'; allow: string[] }
  /** Parameters or body fields that fail their schema, path first, then query, then body. */
  | { kind: 'validation-failed'; errors: FieldError[] }
  /** A body that cannot be read as what its content type says (malformed JSON). */
  | { kind: 'malformed-body' }
  /** A body over the service's limit. */
  | { kind: 'body-too-large' }
  /** A store the request needs does not answer (database down): try again later. */
  | { kind: 'unavailable' }
  /** Anything else: the details go to the log, never to the client. */
  | { kind: 'internal' };

export type FailureKind = Failure['kind'];

/** A failure thrown from a handler or middleware; the service's renderer answers it. */
export class RequestFailure extends Error {
  constructor(readonly failure: Failure) {
    super(failure.kind);
    this.name = 'RequestFailure';
  }
}
