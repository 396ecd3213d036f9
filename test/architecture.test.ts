import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { findBreaches, packagesOf, rules, type Breach, type RuleName, type SourceFile } from './architecture-walls.ts';

const root = path.resolve(import.meta.dirname, '..');
/** Never the project's code: installed packages, build output, local data, test output. */
const skipped = new Set(['node_modules', 'dist', 'coverage', 'test-artifacts']);

/** Every code file and package.json of the tree, as the walls read them. */
function treeFiles(folder = ''): SourceFile[] {
  return readdirSync(path.join(root, folder), { withFileTypes: true }).flatMap((entry) => {
    const relative = folder ? `${folder}/${entry.name}` : entry.name;
    if (entry.isDirectory()) return entry.name.startsWith('.') || skipped.has(entry.name) ? [] : treeFiles(relative);
    if (!/\.(ts|tsx|js|mjs|cjs)$/.test(entry.name) && entry.name !== 'package.json') return [];
    return [{ path: relative, text: readFileSync(path.join(root, relative), 'utf8') }];
  });
}

const tree = treeFiles();
const report = (breaches: Breach[]) =>
  breaches.map((breach) => `${breach.file}: ${rules[breach.rule]} (${breach.detail})`).join('\n');

describe('the architecture walls', () => {
  test('cover every package, every resource server found by listing resource-servers/', () => {
    const resourceServers = readdirSync(path.join(root, 'resource-servers'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `resource-servers/${entry.name}`);
    const expected = ['admin-ui', 'contracts', 'platform', 'provider', 'test-support', ...resourceServers].sort();
    assert.deepEqual(packagesOf(tree), expected);
  });

  test('hold in the tree as it is', () => {
    const breaches = findBreaches(tree);
    assert.equal(breaches.length, 0, `\n${report(breaches)}`);
  });

  /** A planted file, and the one wall it must be reported under (by rule and by file). */
  const planted: { what: string; file: SourceFile; rule: RuleName }[] = [
    {
      what: 'a resource server importing provider/src',
      file: {
        path: 'resource-servers/films/src/catalogue/planted.ts',
        text: "import { loadProviderConfig } from '../../../../provider/src/config.ts';\nexport const x = loadProviderConfig;\n",
      },
      rule: 'resourceServers',
    },
    {
      what: 'a new resource server (a folder not yet in the tree) importing another by name',
      file: {
        path: 'resource-servers/messenger/src/planted.ts',
        text: "import type { FilmsApp } from '@usher/films';\nexport type X = FilmsApp;\n",
      },
      rule: 'resourceServers',
    },
    {
      what: 'a kit file importing a service',
      file: {
        path: 'resource-servers/kit/src/planted.ts',
        text: "import { buildApp } from '../../films/src/app.ts';\nexport const x = buildApp;\n",
      },
      rule: 'kit',
    },
    {
      what: 'a kit file importing the provider by name',
      file: { path: 'resource-servers/kit/src/planted-too.ts', text: "export * from '@usher/provider';\n" },
      rule: 'kit',
    },
    {
      what: "a test importing the provider's test harness",
      file: {
        path: 'resource-servers/films/test/planted.test.ts',
        text: "import { startProvider } from '../../../provider/test/harness.ts';\nvoid startProvider;\n",
      },
      rule: 'tests',
    },
    {
      what: "a root test importing a package's test helper",
      file: {
        path: 'test/planted.test.ts',
        text: "const { startFilms } = await import('../resource-servers/films/test/films-harness.ts');\nvoid startFilms;\n",
      },
      rule: 'tests',
    },
    {
      what: 'a stray process.env in a non-config module',
      file: {
        path: 'resource-servers/films/src/http/planted.ts',
        text: "export const port = Number(process.env['FILMS_PORT'] ?? 3001);\n",
      },
      rule: 'processEnv',
    },
    {
      what: 'process.env taken apart in a non-config module',
      file: {
        path: 'provider/src/ops/planted.ts',
        text: "const { env } = process;\nexport const level = env['LOG_LEVEL'];\n",
      },
      rule: 'processEnv',
    },
    {
      what: 'contracts importing an npm package',
      file: { path: 'contracts/src/planted.ts', text: "import { z } from 'zod';\nexport const x = z;\n" },
      rule: 'contracts',
    },
    {
      what: 'platform importing an @usher package',
      file: {
        path: 'platform/src/planted.ts',
        text: "import { securityEventsChannel } from '@usher/contracts';\nexport const x = securityEventsChannel;\n",
      },
      rule: 'platform',
    },
    {
      what: 'the provider importing the kit',
      file: {
        path: 'provider/src/security-events/planted.ts',
        text: "import { RevocationList } from '@usher/kit';\nexport const x = RevocationList;\n",
      },
      rule: 'provider',
    },
    {
      what: "admin-ui importing the provider's source",
      file: {
        path: 'admin-ui/src/api/planted.ts',
        text: "import type { paths } from '../../../provider/src/admin/api-schema.ts';\nexport type X = paths;\n",
      },
      rule: 'adminUi',
    },
    {
      what: 'admin-ui importing contracts for more than types',
      file: {
        path: 'admin-ui/src/auth/planted.ts',
        text: "import { superuserPermission } from '@usher/contracts';\nexport const x = superuserPermission;\n",
      },
      rule: 'adminUi',
    },
    {
      what: 'test-support importing the provider',
      file: {
        path: 'test-support/src/planted.ts',
        text: "import { buildApp } from '../../provider/src/app.ts';\nexport const x = buildApp;\n",
      },
      rule: 'testSupport',
    },
    {
      what: 'service code importing test-support',
      file: {
        path: 'resource-servers/films/src/planted.ts',
        text: "import { until } from '@usher/test-support';\nexport const x = until;\n",
      },
      rule: 'testSupportOnlyInTests',
    },
    {
      what: "a package reaching another's source by path",
      file: {
        path: 'provider/src/planted.ts',
        text: "import { openDatabase } from '../../platform/src/database.ts';\nexport const x = openDatabase;\n",
      },
      rule: 'byName',
    },
    {
      what: 'oidc-provider outside provider/src/oidc',
      file: {
        path: 'provider/src/admin/planted.ts',
        text: "import type { KoaContextWithOIDC } from 'oidc-provider';\nexport type X = KoaContextWithOIDC;\n",
      },
      rule: 'oidcProvider',
    },
    {
      what: 'a file name that is not kebab-case',
      file: { path: 'resource-servers/kit/src/tokenCheck.ts', text: 'export const x = 1;\n' },
      rule: 'kebabCase',
    },
    {
      what: 'a grab-bag module',
      file: { path: 'admin-ui/src/utils.ts', text: 'export const x = 1;\n' },
      rule: 'grabBag',
    },
  ];

  for (const { what, file, rule } of planted)
    test(`report ${what}`, () => {
      const breaches = findBreaches([...tree, file]);
      assert.deepEqual(
        breaches.map((breach) => [breach.rule, breach.file]),
        [[rule, file.path]],
        `\n${report(breaches)}`,
      );
    });

  test('read code, not comments: a path or process.env named in a comment is no breach', () => {
    const file = {
      path: 'resource-servers/films/src/planted.ts',
      text: "// import x from '../../../provider/src/app.ts', reads process.env.X\nexport const x = 'process.env';\n",
    };
    assert.deepEqual(findBreaches([...tree, file]), []);
  });
});
