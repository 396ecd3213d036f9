import { CliError, UsageError } from '@usher/platform';
import { isInitialized } from '../access/bootstrap.ts';
import { superuserPermission, superuserRole } from '../access/permission-names.ts';
import { accountChanges } from '../accounts/account-changes.ts';
import { registerUser } from '../accounts/registration.ts';
import { passwordProblem } from '../accounts/password-policy.ts';
import { UnknownUser } from '../accounts/user-store.ts';
import type { Domain } from '../domain.ts';
import { parseCommand, positionals, type Command } from './arguments.ts';
import { withContext, type CliContext } from './cli-context.ts';
import { print } from './output.ts';
import { ask, askSecret, isInteractive } from './prompt.ts';
import { explainRegistrationFailure } from './users.ts';

const topic = 'superuser';

export const superuserOptions = {
  email: { type: 'string' },
  password: { type: 'string' },
  'first-name': { type: 'string' },
  'last-name': { type: 'string' },
} as const;

export interface SuperuserDetails {
  email: string | undefined;
  password: string | undefined;
  firstName: string | undefined;
  lastName: string | undefined;
}

type SuperuserValues = Partial<Record<keyof typeof superuserOptions, string>>;

/** What is missing must be asked for, which needs a terminal; checked before anything changes. */
function requireUnlessInteractive(values: SuperuserValues, options: (keyof SuperuserValues)[], where: string) {
  if (isInteractive()) return;
  const missing = options.find((option) => values[option] === undefined);
  if (missing) throw new UsageError(`Missing --${missing} (not a terminal, so it cannot be asked for)`, where);
}

export function superuserDetails(values: SuperuserValues, where: string): SuperuserDetails {
  requireUnlessInteractive(values, ['email', 'password'], where);
  return {
    email: values.email,
    password: values.password,
    firstName: values['first-name'],
    lastName: values['last-name'],
  };
}

/** Asks twice, and again while the policy refuses it, so a typo never becomes the password. */
async function askNewPassword(email: string): Promise<string> {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const password = await askSecret('Password: ');
    const problem = passwordProblem(password, { email });
    if (problem) {
      process.stderr.write(`${problem}\n`);
      continue;
    }
    if ((await askSecret('Password (again): ')) === password) return password;
    process.stderr.write('Passwords do not match\n');
  }
  throw new CliError('No acceptable password given');
}

async function requireEmailFree(domain: Domain, email: string): Promise<void> {
  if (await domain.users.findByEmail(email)) throw new CliError(`User with email ${email} already exists`);
}

/** Shared by `superuser create` and `init --with-superuser`. */
export async function createSuperuser({ db, domain }: CliContext, details: SuperuserDetails): Promise<void> {
  if (!(await isInitialized(db.knex))) throw new CliError('Run "init" first: roles and permissions are missing.');
  const email = details.email ?? (await ask('Email: '));
  // Checked before the password prompt so nobody types a password for nothing.
  await requireEmailFree(domain, email);
  const password = details.password ?? (await askNewPassword(email));
  const input = {
    email,
    password,
    firstName: details.firstName,
    lastName: details.lastName,
    emailVerified: true,
    roles: [superuserRole],
  };
  await registerUser(domain, input, 'cli').catch((error: unknown) => {
    throw explainRegistrationFailure(error, email);
  });
  print('Superuser created!');
}

const create: Command = async (args) => {
  const { values, positionals: given } = parseCommand(args, superuserOptions, topic);
  positionals(given, [], topic);
  const details = superuserDetails(values, topic);
  await withContext((context) => createSuperuser(context, details));
};

type DeleteOutcome = 'deleted' | 'absent';

/** Deletes the account only if it holds all_all, checked in the deletion's own transaction. */
async function deleteIfSuperuser({ domain, changes }: CliContext, email: string): Promise<DeleteOutcome> {
  try {
    await accountChanges(changes()).remove({ email }, async (user, trx) => {
      const { permissions } = await domain.access.claimsForUser(user.id, null, trx);
      if (!permissions.includes(superuserPermission)) throw new CliError(`User ${email} is not superuser`);
    });
    return 'deleted';
  } catch (error) {
    if (error instanceof UnknownUser) return 'absent';
    throw error;
  }
}

const remove: Command = async (args) => {
  const { values, positionals: given } = parseCommand(args, { email: superuserOptions.email }, topic);
  positionals(given, [], topic);
  requireUnlessInteractive(values, ['email'], topic);
  const email = values.email ?? (await ask('Email: '));
  const outcome = await withContext((context) => deleteIfSuperuser(context, email));
  // Absent is not a failure (CONTRACTS.md 1.2): the end state is what was asked for.
  print(outcome === 'deleted' ? 'Superuser deleted' : `Superuser ${email} not found`);
};

export const superuserCommands: Record<string, Command> = { create, delete: remove };
