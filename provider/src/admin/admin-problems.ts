import { BadRequest, Conflict, HttpProblem } from '@usher/platform';
import type { Context, Next } from 'koa';
import { NameTaken, UnknownName } from '../access/access-store.ts';
import { AccountConflict } from '../accounts/account-changes.ts';
import { RegistrationRejected } from '../accounts/registration.ts';
import { EmailTaken, UnknownUser } from '../accounts/user-store.ts';
import { NoClientSecret, UnknownClient } from '../clients/client-changes.ts';
import { ClientExists } from '../clients/client-store.ts';
import { ClientMetadataRefused } from '../clients/registration-rules.ts';
import { IdentityNotFound, LastSignInMethod } from '../upstreams/identity-store.ts';
import { UnknownReference, type FieldError } from './request-validation.ts';

const field = (name: string, message: string, where = 'body') => ({ errors: [{ field: name, in: where, message }] });

/** What a request holds: its path parameters and its JSON body. */
interface RequestParts {
  params?: Record<string, string | undefined>;
  body?: unknown;
}

/**
 * Where an unknown name or id came from: the path parameter `name` when it holds it, else the body
 * member holding it (or listing it), else the path parameter anyway.
 */
function whereIs(value: string, request: RequestParts, name: string): [string, FieldError['in']] {
  if (request.params?.[name] === value) return [name, 'path'];
  const body = request.body;
  if (body && typeof body === 'object') {
    for (const [member, given] of Object.entries(body)) {
      if (given === value || (Array.isArray(given) && given.includes(value))) return [member, 'body'];
    }
  }
  return [name, 'path'];
}

/** A domain's "not found" as a 404 naming the field, or null for any other error. */
function notFound(error: unknown, request: RequestParts): UnknownReference | null {
  const at = (value: string, fallback: string) =>
    new UnknownReference(error as Error, ...whereIs(value, request, fallback));
  if (error instanceof UnknownName) return at(error.value, error.kind.toLowerCase());
  if (error instanceof UnknownUser) return at(error.ref, 'user_id');
  if (error instanceof UnknownClient) return at(error.clientId, 'client_id');
  if (error instanceof IdentityNotFound) return new UnknownReference(error, 'identity_id', 'path');
  return null;
}

/** The domain's errors as the admin API answers them; the one place that maps them. */
export function asProblem(error: unknown, request: RequestParts = {}): unknown {
  if (error instanceof HttpProblem) return error;
  const missing = notFound(error, request);
  if (missing) return missing;
  if (error instanceof NameTaken) return new Conflict(error.message, field('name', error.message));
  if (error instanceof EmailTaken) return new Conflict(error.message, field('email', error.message));
  if (error instanceof ClientExists) return new Conflict(error.message, field('client_id', error.message));
  // Conflicts with the state of the thing the path names.
  if (error instanceof AccountConflict) {
    return new Conflict(error.message, field(error.field ?? 'user_id', error.message, error.field ? 'body' : 'path'));
  }
  if (error instanceof LastSignInMethod)
    return new Conflict(error.message, field('identity_id', error.message, 'path'));
  if (error instanceof NoClientSecret) return new Conflict(error.message, field('client_id', error.message, 'path'));
  if (error instanceof RegistrationRejected) {
    return new BadRequest(error.message, {
      errors: Object.entries(error.fields).map(([name, message]) => ({ field: name, in: 'body', message })),
    });
  }
  if (error instanceof ClientMetadataRefused) {
    return new HttpProblem(422, 'invalid-client-metadata', 'Unprocessable Content', error.message, {
      extensions: field(error.field, error.message),
    });
  }
  return error;
}

export async function adminProblems(ctx: Context, next: Next) {
  try {
    await next();
  } catch (error) {
    const request = ctx as Context & RequestParts;
    throw asProblem(error, { params: request.params ?? {}, body: (ctx.request as { body?: unknown }).body });
  }
}
