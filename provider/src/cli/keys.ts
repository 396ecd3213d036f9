import type { KeyValueStore } from '@usher/platform';
import { keyRetentionSeconds, keysChangedChannel, signingAlgorithms } from '../domain.ts';
import type { SigningKey } from '../keys/key-store.ts';
import { parseCommand, positionals, type Command } from './arguments.ts';
import { describeFailure } from './cli-errors.ts';
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

/** Redis subscribers swap keys at once; without the message they still follow by polling. */
async function announceRotation(store: KeyValueStore, pollMs: number): Promise<void> {
  try {
    await store.publish(keysChangedChannel, 'rotated');
  } catch (error) {
    printWarning(
      `could not announce the rotation (${describeFailure(error)}); instances follow within ${pollMs} ms by polling`,
    );
  }
}

const rotate: Command = async (args) => {
  const { positionals: given } = parseCommand(args, {}, topic);
  positionals(given, [], topic);
  await withContext(async ({ config, domain, keyValueStore }) => {
    await domain.keys.ensure(signingAlgorithms(config));
    const { activated, retired } = await domain.keys.rotate(keyRetentionSeconds(config));
    // rotate() runs its own transaction under a table lock, so the record follows it.
    await domain.audit.record({
      actor: 'cli',
      action: 'keys.rotated',
      targetType: 'signing_keys',
      data: { activated, retired },
    });
    await announceRotation(keyValueStore(), config.KEY_POLL_INTERVAL_MS);
    const algOf = new Map((await domain.keys.published()).map((key) => [key.kid, key.alg]));
    const named = (kids: string[]) => kids.map((kid) => `${kid} (${algOf.get(kid) ?? '?'})`).join(', ') || 'none';
    print(`Rotated signing keys: activated ${named(activated)}; retired ${named(retired)}`);
  });
};

export const keysCommands: Record<string, Command> = { list, rotate };
