import { UsageError } from '@usher/platform';
import { accessChanges } from '../access/access-changes.ts';
import { parseCommand, parseNamedCreate, positionals, type Command } from './arguments.ts';
import { withContext } from './cli-context.ts';
import { checkPermissionName, checkResourceIdentifier } from './input-rules.ts';
import { print, printJson } from './output.ts';

const topic = 'permissions';

const create: Command = async (args) => {
  const { name, description, values } = parseNamedCreate(
    args,
    { resource: { type: 'string' } },
    topic,
    checkPermissionName,
  );
  const resource = values.resource === undefined ? null : checkResourceIdentifier(values.resource);
  await withContext(async ({ changes }) => {
    const permission = await accessChanges(changes()).createPermission({ name, description, resource });
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

const grant: Command = async (args) => {
  const { values, positionals: given } = parseCommand(
    args,
    { user: { type: 'string' }, client: { type: 'string' } },
    topic,
  );
  const [permission] = positionals(given, ['NAME'], topic);
  const grantee = granteeOf(values);
  // Granting twice changes nothing, so the command is idempotent.
  await withContext(({ changes }) => {
    const access = accessChanges(changes());
    return grantee.kind === 'user'
      ? access.grantPermissionToUser({ email: grantee.email }, permission)
      : access.grantPermissionToClient(grantee.clientId, permission);
  });
  print(
    `Granted permission ${permission} to ${grantee.kind === 'user' ? grantee.email : `client ${grantee.clientId}`}`,
  );
};

export const permissionsCommands: Record<string, Command> = { create, grant };
