import type { Knex } from '@usher/platform';
import { defaultUserRole } from '../access/bootstrap.ts';
import type { Domain } from '../domain.ts';
import { hashPassword } from './password-hasher.ts';
import { passwordProblem } from './password-policy.ts';
import type { UserRow } from './user-store.ts';

export interface RegistrationInput {
  email: string;
  password: string;
  firstName?: string | null | undefined;
  lastName?: string | null | undefined;
  emailVerified?: boolean;
  roles?: string[];
}

export type FieldErrors = Record<string, string>;

export class RegistrationRejected extends Error {
  constructor(readonly fields: FieldErrors) {
    super(Object.values(fields).join('; '));
    this.name = 'RegistrationRejected';
  }
}

const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function registrationProblems(input: RegistrationInput): FieldErrors {
  const errors: FieldErrors = {};
  const email = input.email.trim();
  if (!email) errors.email = 'Enter your email address';
  else if (email.length > 320 || !emailPattern.test(email)) errors.email = 'Enter a valid email address';
  const password = passwordProblem(input.password, { email });
  if (password) errors.password = password;
  if (input.firstName && input.firstName.length > 100) errors.first_name = 'At most 100 characters';
  if (input.lastName && input.lastName.length > 100) errors.last_name = 'At most 100 characters';
  return errors;
}

/**
 * Creates a password account with the default role (and any extra roles) in one transaction.
 * Throws RegistrationRejected for bad input and EmailTaken for a duplicate.
 */
export async function registerUser(
  domain: Domain,
  input: RegistrationInput,
  actor: string | null,
  trx?: Knex,
): Promise<UserRow> {
  const problems = registrationProblems(input);
  if (Object.keys(problems).length) throw new RegistrationRejected(problems);
  const passwordHash = await hashPassword(input.password);
  const work = async (tx: Knex) => {
    const user = await domain.users.create(
      {
        email: input.email.trim(),
        passwordHash,
        firstName: input.firstName?.trim() || null,
        lastName: input.lastName?.trim() || null,
        emailVerified: input.emailVerified ?? false,
      },
      tx,
    );
    const roles = new Set([...(input.roles ?? [])]);
    if (await tx('roles').where({ name: defaultUserRole }).first()) roles.add(defaultUserRole);
    for (const role of roles) await domain.access.grantRoleToUser(user.id, role, tx);
    await domain.audit.record(
      {
        actor: actor ?? user.id,
        action: 'user.created',
        targetType: 'user',
        target: user.id,
        data: { email: user.email, roles: [...roles] },
      },
      tx,
    );
    return user;
  };
  return trx ? work(trx) : domain.knex.transaction(work);
}
