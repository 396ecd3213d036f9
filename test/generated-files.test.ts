import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const root = path.resolve(import.meta.dirname, '..');
/** Folders that hold no committed source. */
const skipped = new Set(['node_modules', '.git', '.data', 'dist', 'test-artifacts']);

function typeScriptFiles(folder: string): string[] {
  return readdirSync(path.join(root, folder), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(folder, entry.name);
    if (entry.isDirectory()) return skipped.has(entry.name) ? [] : typeScriptFiles(relative);
    return /\.tsx?$/.test(entry.name) ? [relative] : [];
  });
}

test('generated files match their specs (npm run gen)', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/gen.ts', '--check'], {
    cwd: root,
    encoding: 'utf8',
  });
  assert.equal(run.status, 0, `stale generated files:\n${run.stderr}`);
});

test("each spec's generated types exist once, where every side imports them", () => {
  const sources = new Map<string, string[]>();
  for (const file of typeScriptFiles('.')) {
    const spec = /^\/\/ source: (\S+)$/m.exec(readFileSync(path.join(root, file), 'utf8').slice(0, 200))?.[1];
    if (spec) sources.set(spec, [...(sources.get(spec) ?? []), file]);
  }
  assert.deepEqual(sources.get('provider/openapi/admin-api.yaml'), [path.join('contracts', 'src', 'admin-api.ts')]);
  for (const [spec, files] of sources) assert.equal(files.length, 1, `${spec} is generated into ${files.join(', ')}`);
});
