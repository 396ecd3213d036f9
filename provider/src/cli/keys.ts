import { describeFailure } from '@usher/platform';
import { signingAlgorithms } from '../domain.ts';
import { rotateSigningKeys } from '../keys/key-rotation.ts';
import type { SigningKey } from '../keys/key-store.ts';
import { parseCommand, positionals, type Command } from './arguments.ts';
import { withContext } from './cli-context.ts';
import { print, printJson, printTable, printWarning } from './output.ts';

const topic = 'keys';

const keyView = (key: SigningKey) => ({
  kid: key.kid,
  alg: key.alg,
  status: key.status,
  created: key.createdAt.toISOString(),
  activated: key.activatedAt?.toISOString() ?? null,
  publish_until: key.publishUntil?.toISOString() ?? null,
});

const list: Command = async (args) => {
  const { values, positionals: given } = parseCommand(args, { json: { type: 'boolean' } }, topic);
  positionals(given, [], topic);
  await withContext(async ({ config, domain }) => {
    // A fresh installation has no keys until something ensures them; listing nothing would mislead.
    await domain.keys.ensure(signingAlgorithms(config));
    const keys = (await domain.keys.published()).map(keyView);
    if (values.json) return printJson(keys);
    printTable(
      ['KID', 'ALG', 'STATUS', 'CREATED', 'PUBLISH UNTIL'],
      keys.map((key) => [key.kid, key.alg, key.status, key.created, key.publish_until ?? '-']),
    );
  });
};

const rotate: Command = async (args) => {
  const { positionals: given } = parseCommand(args, {}, topic);
  positionals(given, [], topic);
  await withContext(async ({ config, domain, keyValueStore }) => {
    const { activated, retired } = await rotateSigningKeys({
      config,
      domain,
      store: keyValueStore(),
      actor: 'cli',
      unannounced: (error) =>
        printWarning(
          `could not announce the rotation (${describeFailure(error)}); instances follow within ${config.KEY_POLL_INTERVAL_MS} ms by polling`,
        ),
    });
    const algOf = new Map((await domain.keys.published()).map((key) => [key.kid, key.alg]));
    const named = (kids: string[]) => kids.map((kid) => `${kid} (${algOf.get(kid) ?? '?'})`).join(', ') || 'none';
    print(`Rotated signing keys: activated ${named(activated)}; retired ${named(retired)}`);
  });
};

export const keysCommands: Record<string, Command> = { list, rotate };
