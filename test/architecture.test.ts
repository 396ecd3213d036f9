import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';

const root = path.resolve(import.meta.dirname, '..');

function sources(folder: string): string[] {
  const dir = path.join(root, folder);
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sources(path.join(folder, name));
    return name.endsWith('.ts') ? [path.join(folder, name)] : [];
  });
}

const importsOf = (file: string) =>
  [...readFileSync(path.join(root, file), 'utf8').matchAll(/(?:from|import\()\s*'([^']+)'/g)].map((match) => match[1]!);

test('only provider/src/oidc/ imports oidc-provider', () => {
  const offenders = sources('provider/src')
    .filter((file) => !file.startsWith(path.join('provider', 'src', 'oidc')))
    .filter((file) => importsOf(file).includes('oidc-provider'));
  assert.deepEqual(offenders, []);
});

test('the platform package knows no service', () => {
  const offenders = sources('platform/src').filter((file) =>
    importsOf(file).some(
      (spec) => spec.includes('provider/') || spec.startsWith('@usher/') || spec.includes('resource-servers'),
    ),
  );
  assert.deepEqual(offenders, []);
});

test('nothing reads process.env except config loaders and entry points', () => {
  const allowed = new Set([path.join('platform', 'src', 'config.ts'), path.join('provider', 'src', 'config.ts')]);
  const offenders = [...sources('platform/src'), ...sources('provider/src')]
    .filter((file) => !allowed.has(file))
    .filter((file) => /process\.env\b/.test(readFileSync(path.join(root, file), 'utf8')));
  assert.deepEqual(offenders, []);
});

test('file names are kebab-case and no grab-bag modules exist', () => {
  const files = [...sources('platform/src'), ...sources('provider/src')];
  for (const file of files) {
    const base = path.basename(file, '.ts');
    assert.match(base, /^[a-z0-9]+(-[a-z0-9]+)*$/, `${file} is kebab-case`);
    assert.ok(!['utils', 'helpers', 'misc', 'common'].includes(base), `${file} names what it is`);
  }
});
