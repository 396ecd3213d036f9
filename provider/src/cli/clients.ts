import { parseCommand, positionals, requireOption, type Command } from './arguments.ts';
import { CliError } from './cli-errors.ts';
import { withContext } from './cli-context.ts';
import { parseClientJson, withCredentials } from './client-metadata.ts';
import { print, printJson } from './output.ts';

const topic = 'clients';

const create: Command = async (args) => {
  const { values, positionals: given } = parseCommand(args, { json: { type: 'string' } }, topic);
  positionals(given, [], topic);
  const metadata = withCredentials(parseClientJson(requireOption(values.json, '--json', topic)));
  // Loaded here only: oidc-provider is heavy and warns on import, which no other command needs.
  const { validateClientMetadata } = await import('./client-validation.ts');
  await withContext(async (context) => {
    await validateClientMetadata(context, metadata);
    const { domain } = context;
    const client = await domain.knex.transaction(async (trx) => {
      const stored = await domain.clients.create(metadata, trx);
      const { client_secret: _secret, ...recorded } = stored;
      await domain.audit.record(
        { actor: 'cli', action: 'client.created', targetType: 'client', target: stored.client_id, data: recorded },
        trx,
      );
      return stored;
    });
    // The only time the secret is shown: it is stored sealed and never listed.
    printJson(client);
  });
};

const list: Command = async (args) => {
  const { positionals: given } = parseCommand(args, {}, topic);
  positionals(given, [], topic);
  await withContext(async ({ domain }) => printJson(await domain.clients.list()));
};

const remove: Command = async (args) => {
  const { positionals: given } = parseCommand(args, {}, topic);
  const [clientId] = positionals(given, ['CLIENT_ID'], topic);
  await withContext(({ domain }) =>
    domain.knex.transaction(async (trx) => {
      if (!(await domain.clients.delete(clientId, trx))) throw new CliError(`Client ${clientId} not found`);
      await domain.audit.record(
        { actor: 'cli', action: 'client.deleted', targetType: 'client', target: clientId },
        trx,
      );
    }),
  );
  print(`Client ${clientId} deleted`);
};

export const clientsCommands: Record<string, Command> = { create, list, delete: remove };
