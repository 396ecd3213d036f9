import { CliError } from '@usher/platform';
import { RegistrationRejected, registerUser } from '../accounts/registration.ts';
import { EmailTaken, type UserRow } from '../accounts/user-store.ts';
import { parseCommand, positionals, requireOption, type Command } from './arguments.ts';
import { withContext } from './cli-context.ts';
import { printJson } from './output.ts';

const topic = 'users';

/** The message an operator needs for a refused account: each field and what is wrong with it. */
export function explainRegistrationFailure(error: unknown, email: string): unknown {
  if (error instanceof RegistrationRejected) {
    return new CliError(
      Object.entries(error.fields)
        .map(([field, problem]) => `${field}: ${problem}`)
        .join('; '),
    );
  }
  if (error instanceof EmailTaken) return new CliError(`User with email ${email} already exists`);
  return error;
}

/** CONTRACTS.md 1.4 User, plus the role names. */
export function userView(user: UserRow, roles: string[]) {
  return { uuid: user.id, email: user.email, first_name: user.first_name, last_name: user.last_name, roles };
}

const createOptions = {
  email: { type: 'string' },
  password: { type: 'string' },
  'first-name': { type: 'string' },
  'last-name': { type: 'string' },
  role: { type: 'string', multiple: true },
} as const;

const create: Command = async (args) => {
  const { values, positionals: given } = parseCommand(args, createOptions, topic);
  positionals(given, [], topic);
  const email = requireOption(values.email, '--email', topic);
  const password = requireOption(values.password, '--password', topic);
  await withContext(async ({ domain }) => {
    // registerUser grants the roles in its transaction: an unknown role leaves no account behind.
    const user = await registerUser(
      domain,
      { email, password, firstName: values['first-name'], lastName: values['last-name'], roles: values.role ?? [] },
      'cli',
    ).catch((error: unknown) => {
      throw explainRegistrationFailure(error, email);
    });
    const { roles } = await domain.access.claimsForUser(user.id, null);
    printJson(userView(user, roles));
  });
};

export const usersCommands: Record<string, Command> = { create };
