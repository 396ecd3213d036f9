/**
 * `npm run usher -- <command>`: operator commands against the provider's data. Exit codes: 0 done,
 * 1 refused or failed (one `Error:` line, never a stack trace), 2 malformed command line; `help`
 * and `--help` print the usage (platform's CLI runner).
 */
import { runCli, UsageError, type CliProgram } from '@usher/platform';
import type { Command } from './arguments.ts';
import { topics, usage } from './usage.ts';

/** Groups load on demand: `help` should not pay for oidc-provider, knex and argon2. */
const groups: Record<string, () => Promise<Record<string, Command>>> = {
  superuser: async () => (await import('./superuser.ts')).superuserCommands,
  users: async () => (await import('./users.ts')).usersCommands,
  roles: async () => (await import('./roles.ts')).rolesCommands,
  permissions: async () => (await import('./permissions.ts')).permissionsCommands,
  clients: async () => (await import('./clients.ts')).clientsCommands,
  resources: async () => (await import('./resources.ts')).resourcesCommands,
  keys: async () => (await import('./keys.ts')).keysCommands,
};

async function findCommand(group: string, subcommand: string | undefined): Promise<Command> {
  if (group === 'init') {
    const { runInit } = await import('./init.ts');
    return (args) => runInit(subcommand === undefined ? args : [subcommand, ...args]);
  }
  const load = groups[group];
  if (!load) throw new UsageError(`Unknown command ${group}`);
  if (subcommand === undefined) throw new UsageError(`Missing a ${group} command`, group);
  const command = (await load())[subcommand];
  if (!command) throw new UsageError(`Unknown command ${group} ${subcommand}`, group);
  return command;
}

const usher: CliProgram = {
  usage,
  topics,
  async run([group, subcommand, ...rest]) {
    if (group === undefined) throw new UsageError('Missing a command');
    const command = await findCommand(group, subcommand);
    await command(rest);
  },
};

await runCli(usher);
