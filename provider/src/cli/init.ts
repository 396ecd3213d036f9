import { UsageError } from '@usher/platform';
import { initializeAccess } from '../access/bootstrap.ts';
import { parseCommand, positionals, type Command } from './arguments.ts';
import { withContext } from './cli-context.ts';
import { print } from './output.ts';
import { createSuperuser, superuserDetails, superuserOptions } from './superuser.ts';

const topic = 'init';

const initOptions = { 'with-superuser': { type: 'boolean' }, ...superuserOptions } as const;

/** Creates the fixed permissions and roles (idempotent), then optionally the first superuser. */
export const runInit: Command = async (args) => {
  const { values, positionals: given } = parseCommand(args, initOptions, topic);
  positionals(given, [], topic);
  const { 'with-superuser': withSuperuser, ...superuserValues } = values;
  if (!withSuperuser && Object.keys(superuserValues).length) {
    throw new UsageError('Superuser options need --with-superuser', topic);
  }
  // Validated before init runs, so a script missing --password changes nothing.
  const superuser = withSuperuser ? superuserDetails(superuserValues, topic) : null;
  await withContext(async (context) => {
    await initializeAccess(context.db.knex, context.domain.access);
    print('App initialization done.');
    if (superuser) await createSuperuser(context, superuser);
  });
};
