import { CliError } from '@usher/platform';
import type { ResourceServerRow } from '../resources/resource-store.ts';
import { parseCommand, positionals, requireOption, type Command } from './arguments.ts';
import { withContext } from './cli-context.ts';
import { checkResourceIdentifier } from './input-rules.ts';
import { printJson } from './output.ts';

const topic = 'resources';

const view = (row: ResourceServerRow) => ({ uuid: row.id, identifier: row.identifier, name: row.name });

const create: Command = async (args) => {
  const { values, positionals: given } = parseCommand(args, { name: { type: 'string' } }, topic);
  const [identifier] = positionals(given, ['URI'], topic);
  checkResourceIdentifier(identifier);
  const name = requireOption(values.name, '--name', topic).trim();
  if (!name || name.length > 255) throw new CliError('Invalid --name: 1..255 characters');
  await withContext(async ({ domain }) => {
    const resource = await domain.knex.transaction(async (trx) => {
      const row = await domain.resources.create(identifier, name, trx);
      await domain.audit.record(
        { actor: 'cli', action: 'resource.created', targetType: 'resource', target: identifier, data: { name } },
        trx,
      );
      return row;
    });
    printJson(view(resource));
  });
};

const list: Command = async (args) => {
  const { positionals: given } = parseCommand(args, {}, topic);
  positionals(given, [], topic);
  await withContext(async ({ domain }) => printJson((await domain.resources.list()).map(view)));
};

export const resourcesCommands: Record<string, Command> = { create, list };
