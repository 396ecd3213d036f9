/**
 * `npm run usher -- <command>`: operator commands against the provider's data. Exit codes: 0 done,
 * 1 refused or failed (one `Error:` line, never a stack trace), 2 malformed command line.
 */
import type { Command } from './arguments.ts';
import { describeFailure, isExpectedFailure, UsageError } from './cli-errors.ts';
import { print } from './output.ts';
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

const isHelp = (arg: string | undefined) => arg === 'help' || arg === '--help' || arg === '-h';

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

async function dispatch(argv: string[]): Promise<void> {
  const [group, subcommand, ...rest] = argv;
  if (group === undefined) throw new UsageError('Missing a command');
  if (isHelp(group)) {
    if (subcommand !== undefined && !topics.includes(subcommand)) throw new UsageError(`Unknown command ${subcommand}`);
    return print(usage(subcommand ?? null));
  }
  if (isHelp(subcommand) || rest.includes('--help')) return print(usage(topics.includes(group) ? group : null));
  const command = await findCommand(group, subcommand);
  await command(rest);
}

async function main(argv: string[]): Promise<number> {
  try {
    await dispatch(argv);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`Error: ${error.message}\n\n${usage(error.topic)}\n`);
      return 2;
    }
    process.stderr.write(`Error: ${isExpectedFailure(error) ? error.message : describeFailure(error)}\n`);
    return 1;
  }
}

// Exit explicitly: a Redis client or pool timer left behind must not keep the command running.
process.exit(await main(process.argv.slice(2)));
