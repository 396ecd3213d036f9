import { CliError } from '@usher/platform';
import { clientChanges } from '../clients/client-changes.ts';
import { ClientMetadataRefused } from '../clients/registration-rules.ts';
import { parseCommand, positionals, requireOption, type Command } from './arguments.ts';
import { withContext, type CliContext } from './cli-context.ts';
import { parseClientJson } from './client-metadata.ts';
import { print, printJson } from './output.ts';

const topic = 'clients';

/**
 * The shared client changes, acting as `cli`. The metadata check loads oidc-provider only when a
 * change needs it: it is heavy and warns on import, which no other command needs.
 */
const changesOf = (context: CliContext) =>
  clientChanges(context.changes(), async (metadata) =>
    (await import('./client-validation.ts')).cliClientMetadataProblem(context, metadata),
  );

const create: Command = async (args) => {
  const { values, positionals: given } = parseCommand(args, { json: { type: 'string' } }, topic);
  positionals(given, [], topic);
  const metadata = parseClientJson(requireOption(values.json, '--json', topic));
  await withContext(async (context) => {
    const client = await changesOf(context)
      .create(metadata, [])
      .catch((error: unknown) => {
        throw error instanceof ClientMetadataRefused
          ? new CliError(`Invalid client metadata: ${error.message}`)
          : error;
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
  await withContext((context) => changesOf(context).remove(clientId));
  print(`Client ${clientId} deleted`);
};

export const clientsCommands: Record<string, Command> = { create, list, delete: remove };
