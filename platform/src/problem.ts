import { STATUS_CODES } from 'node:http';
import { isStoreUnavailable, storeRetryAfterSeconds } from './store-unavailable.ts';

/**
 * RFC 9457 problem details. Every non-OAuth error of every service is one of these, turned into a
 * response in exactly one place per HTTP framework.
 */
export const problemContentType = 'application/problem+json';

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  [extension: string]: unknown;
}

const typeBase = 'https://usher.dev/problems/';

export class HttpProblem extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly extensions: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    slug: string,
    title: string,
    detail?: string,
    options: { extensions?: Record<string, unknown>; headers?: Record<string, string> } = {},
  ) {
    super(detail ?? title);
    this.name = 'HttpProblem';
    this.status = status;
    this.type = typeBase + slug;
    this.title = title;
    this.extensions = options.extensions ?? {};
    this.headers = options.headers ?? {};
  }

  toBody(): ProblemBody {
    return {
      type: this.type,
      title: this.title,
      status: this.status,
      detail: this.message,
      ...this.extensions,
    };
  }
}

export class BadRequest extends HttpProblem {
  constructor(detail: string, extensions?: Record<string, unknown>) {
    super(400, 'bad-request', 'Bad Request', detail, extensions ? { extensions } : {});
  }
}

export class Unauthorized extends HttpProblem {
  constructor(detail = 'Authentication is required', headers?: Record<string, string>) {
    super(401, 'unauthorized', 'Unauthorized', detail, headers ? { headers } : {});
  }
}

export class Forbidden extends HttpProblem {
  constructor(detail = 'Not enough permissions', headers?: Record<string, string>) {
    super(403, 'forbidden', 'Forbidden', detail, headers ? { headers } : {});
  }
}

export class NotFound extends HttpProblem {
  constructor(detail = 'Not found') {
    super(404, 'not-found', 'Not Found', detail);
  }
}

export class Conflict extends HttpProblem {
  constructor(detail: string, extensions?: Record<string, unknown>) {
    super(409, 'conflict', 'Conflict', detail, extensions ? { extensions } : {});
  }
}

export class TooManyRequests extends HttpProblem {
  constructor(retryAfterSeconds: number, detail = 'Too many requests, try again later') {
    super(429, 'too-many-requests', 'Too Many Requests', detail, {
      headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
    });
  }
}

export class ServiceUnavailable extends HttpProblem {
  constructor(detail = 'Service unavailable', retryAfterSeconds?: number) {
    super(
      503,
      'service-unavailable',
      'Service Unavailable',
      detail,
      retryAfterSeconds === undefined
        ? {}
        : { headers: { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) } },
    );
  }
}

/** The answer to a request a store that is down could not serve: 503, come back after Retry-After. */
export function storeUnavailableProblem(): ServiceUnavailable {
  return new ServiceUnavailable(
    'A store this service depends on is not answering; try again shortly',
    storeRetryAfterSeconds,
  );
}

/**
 * Turns anything thrown into a problem: a store that is down becomes a 503 with Retry-After (a
 * client should come back, not report a bug); other unknown errors a bare 500 with no internals.
 */
export function toProblem(error: unknown): HttpProblem {
  if (error instanceof HttpProblem) return error;
  if (isStoreUnavailable(error)) return storeUnavailableProblem();
  const status = (error as { status?: unknown; expose?: unknown } | null)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const message = (error as Error).message;
    // Type and title follow the status: a framework's 404 or 413 is not a "Bad Request".
    const title = STATUS_CODES[status] ?? 'Bad Request';
    return new HttpProblem(status, title.toLowerCase().replace(/[^a-z0-9]+/g, '-'), title, message);
  }
  return new HttpProblem(500, 'internal', 'Internal Server Error', 'An unexpected error occurred');
}
