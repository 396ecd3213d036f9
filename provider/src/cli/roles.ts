import type { Domain } from '../domain.ts';
import { parseCommand, positionals, requireOption, type Command } from './arguments.ts';
import { CliError } from './cli-errors.ts';
import { withContext } from './cli-context.ts';
import { eventTypes } from '../security-events/event-types.ts';
import { checkDescription, checkRoleName } from './input-rules.ts';
import { print, printJson } from './output.ts';

const topic = 'roles';

const createOptions = {
  description: { type: 'string' },
  permission: { type: 'string', multiple: true },
} as const;

/** The role and its grants in one transaction: an unknown permission leaves no role behind. */
async function createRole(domain: Domain, name: string, description: string | null, permissions: string[]) {
  return domain.knex.transaction(async (trx) => {
    const role = await domain.access.createRole({ name, description }, trx);
    for (const permission of permissions) await domain.access.grantPermissionToRole(name, permission, trx);
    await domain.audit.record(
      {
        actor: 'cli',
        action: 'role.created',
        targetType: 'role',
        target: role.id,
        data: { name, description, permissions },
      },
      trx,
    );
    return role;
  });
}

const create: Command = async (args) => {
  const { values, positionals: given } = parseCommand(args, createOptions, topic);
  const [name] = positionals(given, ['NAME'], topic);
  checkRoleName(name);
  const description = checkDescription(values.description);
  const permissions = [...new Set(values.permission ?? [])].sort();
  await withContext(async ({ domain }) => {
    const role = await createRole(domain, name, description, permissions);
    printJson({ uuid: role.id, name: role.name, description: role.description, permissions });
  });
};

/** Resolves a user by email for a grant; grants name people by email, the way operators know them. */
export async function requireUserByEmail(domain: Domain, email: string) {
  const user = await domain.users.findByEmail(email);
  if (!user) throw new CliError(`User ${email} not found`);
  return user;
}

const grant: Command = async (args) => {
  const { values, positionals: given } = parseCommand(args, { user: { type: 'string' } }, topic);
  const [role] = positionals(given, ['ROLE'], topic);
  const email = requireOption(values.user, '--user', topic);
  await withContext(async ({ domain, securityEvents }) => {
    const user = await requireUserByEmail(domain, email);
    // Granting twice changes nothing (the store ignores the conflict), so the command is idempotent.
    // The user's current tokens carry stale claims: a claims-change event retires them.
    await securityEvents().withEvents(async (trx, emit) => {
      await domain.access.grantRoleToUser(user.id, role, trx);
      await domain.audit.record(
        { actor: 'cli', action: 'role.granted', targetType: 'user', target: user.id, data: { role } },
        trx,
      );
      await emit({ type: eventTypes.tokenClaimsChange, subject: user.id });
    });
  });
  print(`Granted role ${role} to ${email}`);
};

export const rolesCommands: Record<string, Command> = { create, grant };
