import type { Problem } from './types.ts';

/**
 * A refused or failed API call, read from the RFC 9457 problem+json body: `fields` holds one
 * message per offending field (so forms can show it next to the field), `message` the rest.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fields: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  static from(status: number, body: unknown): ApiError {
    const problem = isProblem(body) ? body : undefined;
    const fields: Record<string, string> = {};
    for (const entry of problem?.errors ?? []) {
      if (!(entry.field in fields)) fields[entry.field] = entry.message;
    }
    const message = problem?.detail ?? problem?.title ?? fallbackMessage(status);
    return new ApiError(status, message, fields);
  }
}

function isProblem(body: unknown): body is Problem {
  return typeof body === 'object' && body !== null && typeof (body as { title?: unknown }).title === 'string';
}

function fallbackMessage(status: number): string {
  if (status === 0) return 'The provider could not be reached. Check your connection and try again.';
  if (status === 401) return 'Your session has ended. Sign in again.';
  if (status === 403) return 'You do not have access to this.';
  if (status === 404) return 'Not found.';
  if (status === 429) return 'Too many requests. Wait a moment and try again.';
  if (status >= 500) return 'The provider had a problem. Try again in a moment.';
  return `The request failed (${status}).`;
}

/** The message to show for anything a call may throw. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  return 'Something went wrong. Try again.';
}
