import { accessChanges } from '../access/access-changes.ts';
import { parseCommand, parseNamedCreate, positionals, requireOption, type Command } from './arguments.ts';
import { withContext } from './cli-context.ts';
import { checkRoleName } from './input-rules.ts';
import { print, printJson } from './output.ts';

const topic = 'roles';

const create: Command = async (args) => {
  const permission = { type: 'string', multiple: true } as const;
  const { name, description, values } = parseNamedCreate(args, { permission }, topic, checkRoleName);
  const permissions = [...new Set(values.permission ?? [])].sort();
  await withContext(async ({ changes }) => {
    // The role and its grants are one transaction: an unknown permission leaves no role behind.
    const role = await accessChanges(changes()).createRole({ name, description, permissions });
    printJson({ uuid: role.id, name: role.name, description: role.description, permissions });
  });
};

const grant: Command = async (args) => {
  const { values, positionals: given } = parseCommand(args, { user: { type: 'string' } }, topic);
  const [role] = positionals(given, ['ROLE'], topic);
  const email = requireOption(values.user, '--user', topic);
  // Granting twice changes nothing, so the command is idempotent.
  await withContext(({ changes }) => accessChanges(changes()).grantRoleToUser({ email }, role));
  print(`Granted role ${role} to ${email}`);
};

export const rolesCommands: Record<string, Command> = { create, grant };
