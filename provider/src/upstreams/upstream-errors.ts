import type { SignInResult } from '../accounts/sign-in-log.ts';

/**
 * Why a sign-in through an upstream did not complete. Each kind knows what the sign-in log records,
 * the HTTP status of the page and what the user is told; none of them changes any account.
 */
export abstract class UpstreamFailure extends Error {
  abstract readonly result: SignInResult;
  abstract readonly status: number;
  abstract userMessage(upstreamName: string): string;
}

/** The user said no at the upstream (`error=access_denied`). */
export class UpstreamCancelled extends UpstreamFailure {
  readonly result = 'cancelled';
  readonly status = 200;
  override name = 'UpstreamCancelled';
  userMessage(upstream: string) {
    return `Signing in with ${upstream} was cancelled. Choose another way to sign in, or try again.`;
  }
}

/** The response does not belong to a flow this browser started, or that flow was already used. */
export class StateMismatch extends UpstreamFailure {
  readonly result = 'state_mismatch';
  readonly status = 400;
  override name = 'StateMismatch';
  userMessage(upstream: string) {
    return `That answer from ${upstream} has expired or was already used. Start signing in again.`;
  }
}

/** The upstream could not be reached, or answered with an error or something we cannot read. */
export class UpstreamUnavailable extends UpstreamFailure {
  readonly result = 'upstream_error';
  readonly status = 502;
  override name = 'UpstreamUnavailable';
  userMessage(upstream: string) {
    return `${upstream} could not complete the sign-in. Try again in a moment, or sign in another way.`;
  }
}

export class UpstreamTimeout extends UpstreamFailure {
  readonly result = 'upstream_timeout';
  readonly status = 504;
  override name = 'UpstreamTimeout';
  userMessage(upstream: string) {
    return `${upstream} did not answer in time. Try again in a moment, or sign in another way.`;
  }
}

export class MissingEmail extends UpstreamFailure {
  readonly result = 'no_email';
  readonly status = 400;
  override name = 'MissingEmail';
  userMessage(upstream: string) {
    return `${upstream} did not share an email address with us, and an account needs one. Allow access to your email address at ${upstream}, or sign in another way.`;
  }
}

/** An unverified upstream email never creates nor links an account (someone else may own it). */
export class UnverifiedEmail extends UpstreamFailure {
  readonly result = 'unverified_email';
  readonly status = 403;
  override name = 'UnverifiedEmail';
  userMessage(upstream: string) {
    return `${upstream} has not verified your email address, so we cannot use it to sign you in. Verify it at ${upstream} first, or sign in with your password.`;
  }
}

const timeoutCodes = new Set([
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** Sorts what an HTTP call to an upstream threw: our own failures pass, timeouts are told apart. */
export function asUpstreamFailure(error: unknown): UpstreamFailure {
  if (error instanceof UpstreamFailure) return error;
  for (let cause = error, depth = 0; cause && depth < 6; depth += 1) {
    const { name, code } = cause as { name?: string; code?: string };
    if (cause instanceof UpstreamFailure) return cause;
    if (name === 'TimeoutError' || (code && timeoutCodes.has(code)))
      return new UpstreamTimeout('upstream call timed out', { cause: error });
    cause =
      (cause as { cause?: unknown; oauthError?: unknown }).cause ?? (cause as { oauthError?: unknown }).oauthError;
  }
  return new UpstreamUnavailable('upstream call failed', { cause: error });
}

/**
 * What lies under a failure, for the logs: names, codes and statuses of the chain of causes, never
 * messages or bodies (which may quote tokens or codes).
 */
export function causeChain(error: unknown): string {
  const links: string[] = [];
  for (let cause = error, depth = 0; cause && depth < 6; depth += 1) {
    const { name, code, statusCode, status, error: oauthCode } = cause as Record<string, unknown>;
    const details = [code, oauthCode, statusCode ?? status].filter((value) => value !== undefined).join(' ');
    links.push(`${typeof name === 'string' ? name : 'object'}${details ? ` (${details})` : ''}`);
    cause = (cause as { cause?: unknown }).cause ?? (cause as { oauthError?: unknown }).oauthError;
  }
  return links.join(' <- ');
}
