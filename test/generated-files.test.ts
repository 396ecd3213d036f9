import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';

const root = path.resolve(import.meta.dirname, '..');

test('generated files match their specs (npm run gen)', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/gen.ts', '--check'], {
    cwd: root,
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, `stale generated files:\n${run.stderr}`);
});
