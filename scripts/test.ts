/**
 * `npm test`: every suite against the machine's real PostgreSQL and Redis, then the provider suites
 * again on the embedded defaults (PGlite + in-process store). Prints one closing line with the totals.
 *   npm test                     both passes
 *   npm test -- --only=embedded  one pass (real | embedded)
 *   npm test -- provider/test/oidc-flows.test.ts   just these files (both passes)
 * The admin UI's component tests (Vitest, jsdom, no stores) run once, after the passes:
 *   npm test -- admin-ui         just them (or name one admin-ui/ test file)
 * TEST_DATABASE_URL and TEST_REDIS_URL point the real pass elsewhere (defaults: 127.0.0.1).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const only = args.find((arg) => arg.startsWith('--only='))?.slice('--only='.length);
const chosen = args.filter((arg) => !arg.startsWith('--'));

function testFiles(folder: string): string[] {
  const dir = path.join(root, folder);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.test.ts'))
    .sort()
    .map((name) => path.join(folder, name));
}

const resourceServers = existsSync(path.join(root, 'resource-servers'))
  ? readdirSync(path.join(root, 'resource-servers')).map((name) => path.join('resource-servers', name, 'test'))
  : [];
const everything = ['contracts/test', 'platform/test', 'provider/test', ...resourceServers, 'test'].flatMap(testFiles);
// Suites whose stores follow USHER_TEST_STORES run a second time on the embedded defaults.
const storeDependent = ['provider/test', ...resourceServers]
  .flatMap(testFiles)
  .filter((file) => !file.endsWith('cli.test.ts'));

function reachable(url: string, fallbackPort: number): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) || fallbackPort });
    socket.setTimeout(2000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

interface PassResult {
  passed: number;
  failed: number;
  exitCode: number;
}

/**
 * Suites that time something on this machine (first start within 15 s) run after the others, on
 * their own, so that a neighbouring suite's load never decides their verdict.
 */
const timed = (file: string) => file === path.join('test', 'start.test.ts');

function runPass(name: string, files: string[], env: Record<string, string>): PassResult {
  const shared = files.filter((file) => !timed(file));
  const alone = files.filter(timed);
  const results = [
    ...(shared.length ? [runFiles(name, shared, env, 2)] : []),
    ...(alone.length ? [runFiles(`${name}, timed suites alone`, alone, env, 1)] : []),
  ];
  return {
    passed: results.reduce((sum, r) => sum + r.passed, 0),
    failed: results.reduce((sum, r) => sum + r.failed, 0),
    exitCode: results.find((r) => r.exitCode !== 0)?.exitCode ?? 0,
  };
}

function runFiles(name: string, files: string[], env: Record<string, string>, concurrency: number): PassResult {
  const tap = path.join(mkdtempSync(path.join(tmpdir(), 'usher-test-report-')), 'report.tap');
  console.log(`\n=== ${name}: ${files.length} test files ===\n`);
  const result = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      `--test-concurrency=${concurrency}`,
      '--test-timeout=180000',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${tap}`,
      ...files,
    ],
    { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } },
  );
  const report = existsSync(tap) ? readFileSync(tap, 'utf8') : '';
  const count = (label: string) => Number(new RegExp(`^# ${label} (\\d+)$`, 'm').exec(report)?.[1] ?? 0);
  return { passed: count('pass'), failed: count('fail') + count('cancelled'), exitCode: result.status ?? 1 };
}

const databaseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const results: PassResult[] = [];
const pick = (files: string[]) =>
  chosen.length ? files.filter((file) => chosen.some((c) => path.normalize(c) === file)) : files;

if (only !== 'embedded') {
  const available = (await reachable(databaseUrl, 5432)) && (await reachable(redisUrl, 6379));
  if (available) {
    // Only admin UI files chosen: no node:test pass to run.
    if (pick(everything).length || !chosen.length)
      results.push(runPass('real PostgreSQL and Redis', pick(everything), { USHER_TEST_STORES: 'real' }));
  } else if (process.env.CI) {
    console.error(
      `PostgreSQL (${databaseUrl}) or Redis (${redisUrl}) is not reachable, and CI must test against them.`,
    );
    process.exit(1);
  } else {
    console.warn(
      `\nSkipping the real-stores pass: PostgreSQL or Redis is not reachable (set TEST_DATABASE_URL / TEST_REDIS_URL).\n`,
    );
  }
}
if (only !== 'real') {
  const files = pick(storeDependent);
  if (files.length)
    results.push(runPass('embedded defaults (PGlite, in-process store)', files, { USHER_TEST_STORES: 'embedded' }));
}

/** The admin UI's Vitest suite; its counts join the total. */
function runAdminUiTests(files: string[]): PassResult {
  const report = path.join(mkdtempSync(path.join(tmpdir(), 'usher-vitest-report-')), 'report.json');
  console.log(
    `\n=== admin UI components (Vitest): ${files.length ? `${files.length} test files` : 'all test files'} ===\n`,
  );
  const vitest = path.join(root, 'node_modules', 'vitest', 'vitest.mjs');
  const result = spawnSync(
    process.execPath,
    [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...files],
    { cwd: path.join(root, 'admin-ui'), stdio: 'inherit', env: process.env },
  );
  const summary = existsSync(report)
    ? (JSON.parse(readFileSync(report, 'utf8')) as { numPassedTests?: number; numFailedTests?: number })
    : {};
  return {
    passed: summary.numPassedTests ?? 0,
    failed: summary.numFailedTests ?? (result.status === 0 ? 0 : 1),
    exitCode: result.status ?? 1,
  };
}

// `npm test -- admin-ui` runs the whole Vitest suite alone; `admin-ui/src/...test.tsx` just that file.
const adminUiChosen = chosen
  .map((file) => path.normalize(file).replace(/[\\/]$/, ''))
  .filter((file) => file === 'admin-ui' || file.startsWith(`admin-ui${path.sep}`));
if (!chosen.length || adminUiChosen.length) {
  results.push(runAdminUiTests(adminUiChosen.map((file) => path.relative('admin-ui', file)).filter(Boolean)));
}

const passed = results.reduce((sum, r) => sum + r.passed, 0);
const failed = results.reduce((sum, r) => sum + r.failed, 0);
const exitCode = results.some((r) => r.exitCode !== 0) || failed > 0 || passed === 0 ? 1 : 0;
console.log(`\nTotal: ${passed} passed, ${failed} failed`);
process.exit(exitCode);
