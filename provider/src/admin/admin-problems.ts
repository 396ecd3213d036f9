import { BadRequest, Conflict, HttpProblem, NotFound } from '@usher/platform';
import type { Context, Next } from 'koa';
import { NameTaken, UnknownName } from '../access/access-store.ts';
import { AccountConflict } from '../accounts/account-changes.ts';
import { RegistrationRejected } from '../accounts/registration.ts';
import { EmailTaken, UnknownUser } from '../accounts/user-store.ts';
import { ClientMetadataRefused, NoClientSecret, UnknownClient } from '../clients/client-changes.ts';
import { ClientExists } from '../clients/client-store.ts';
import { IdentityNotFound, LastSignInMethod } from '../upstreams/identity-store.ts';

const field = (name: string, message: string, where = 'body') => ({ errors: [{ field: name, in: where, message }] });

/** The domain's errors as the admin API answers them; the one place that maps them. */
export function asProblem(error: unknown): unknown {
  if (error instanceof HttpProblem) return error;
  if (error instanceof UnknownName || error instanceof UnknownUser || error instanceof UnknownClient) {
    return new NotFound(error.message);
  }
  if (error instanceof IdentityNotFound) return new NotFound(error.message);
  if (error instanceof NameTaken) return new Conflict(error.message, field('name', error.message));
  if (error instanceof EmailTaken) return new Conflict(error.message, field('email', error.message));
  if (error instanceof ClientExists) return new Conflict(error.message, field('client_id', error.message));
  if (error instanceof AccountConflict || error instanceof LastSignInMethod || error instanceof NoClientSecret) {
    return new Conflict(error.message);
  }
  if (error instanceof RegistrationRejected) {
    return new BadRequest(error.message, {
      errors: Object.entries(error.fields).map(([name, message]) => ({ field: name, in: 'body', message })),
    });
  }
  if (error instanceof ClientMetadataRefused) {
    return new HttpProblem(422, 'invalid-client-metadata', 'Unprocessable Content', error.message);
  }
  return error;
}

export async function adminProblems(_ctx: Context, next: Next) {
  try {
    await next();
  } catch (error) {
    throw asProblem(error);
  }
}
