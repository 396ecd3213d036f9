import { parseCommand, positionals, type Command } from './arguments.ts';
import { CliError, UsageError } from './cli-errors.ts';
import { withContext, type CliContext } from './cli-context.ts';
import { eventTypes } from '../security-events/event-types.ts';
import { checkDescription, checkPermissionName, checkResourceIdentifier } from './input-rules.ts';
import { print, printJson } from './output.ts';
import { requireUserByEmail } from './roles.ts';

const topic = 'permissions';

const createOptions = {
  description: { type: 'string' },
  resource: { type: 'string' },
} as const;

const create: Command = async (args) => {
  const { values, positionals: given } = parseCommand(args, createOptions, topic);
  const [name] = positionals(given, ['NAME'], topic);
  checkPermissionName(name);
  const description = checkDescription(values.description);
  const resource = values.resource === undefined ? null : checkResourceIdentifier(values.resource);
  await withContext(async ({ domain }) => {
    const permission = await domain.knex.transaction(async (trx) => {
      const row = await domain.access.createPermission({ name, description, resource }, trx);
      await domain.audit.record(
        {
          actor: 'cli',
          action: 'permission.created',
          targetType: 'permission',
          target: row.id,
          data: { name, description, resource },
        },
        trx,
      );
      return row;
    });
    printJson({
      uuid: permission.id,
      name: permission.name,
      description: permission.description,
      resource: permission.resource,
    });
  });
};

type Grantee = { kind: 'user'; email: string } | { kind: 'client'; clientId: string };

function granteeOf(values: { user?: string | undefined; client?: string | undefined }): Grantee {
  if (values.user !== undefined && values.client === undefined) return { kind: 'user', email: values.user };
  if (values.client !== undefined && values.user === undefined) return { kind: 'client', clientId: values.client };
  throw new UsageError('Give exactly one of --user or --client', topic);
}

/** Grants (idempotently) and records it; answers how the grantee is named in the confirmation. */
async function grantTo({ domain, securityEvents }: CliContext, permission: string, grantee: Grantee): Promise<string> {
  // Current tokens of the grantee carry stale claims: a claims-change event retires them.
  if (grantee.kind === 'user') {
    const user = await requireUserByEmail(domain, grantee.email);
    await securityEvents().withEvents(async (trx, emit) => {
      await domain.access.grantPermissionToUser(user.id, permission, trx);
      await domain.audit.record(
        { actor: 'cli', action: 'permission.granted', targetType: 'user', target: user.id, data: { permission } },
        trx,
      );
      await emit({ type: eventTypes.tokenClaimsChange, subject: user.id });
    });
    return grantee.email;
  }
  if (!(await domain.clients.find(grantee.clientId))) throw new CliError(`Client ${grantee.clientId} not found`);
  await securityEvents().withEvents(async (trx, emit) => {
    await domain.access.grantPermissionToClient(grantee.clientId, permission, trx);
    await emit({ type: eventTypes.tokenClaimsChange, subject: grantee.clientId });
    await domain.audit.record(
      {
        actor: 'cli',
        action: 'permission.granted',
        targetType: 'client',
        target: grantee.clientId,
        data: { permission },
      },
      trx,
    );
  });
  return `client ${grantee.clientId}`;
}

const grant: Command = async (args) => {
  const { values, positionals: given } = parseCommand(
    args,
    { user: { type: 'string' }, client: { type: 'string' } },
    topic,
  );
  const [permission] = positionals(given, ['NAME'], topic);
  const grantee = granteeOf(values);
  const named = await withContext((context) => grantTo(context, permission, grantee));
  print(`Granted permission ${permission} to ${named}`);
};

export const permissionsCommands: Record<string, Command> = { create, grant };
