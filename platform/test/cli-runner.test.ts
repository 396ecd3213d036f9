import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { describe, test } from 'node:test';
import {
  CliError,
  ConfigError,
  createProgressBar,
  executeCli,
  repositoryRoot,
  UsageError,
  type CliProgram,
} from '../src/index.ts';

/**
 * The CLI runner (platform/src/cli-runner.ts): exit codes, help, one-line errors, stacks only when
 * asked, and an exit that nothing left running can hold up; and the progress bar (progress-bar.ts)
 * at a terminal and in a log.
 */

function captured() {
  let text = '';
  return {
    write(chunk: string) {
      text += chunk;
      return true;
    },
    get text() {
      return text;
    },
  };
}

async function execute(program: CliProgram, argv: string[], debug = false) {
  const stdout = captured();
  const stderr = captured();
  const code = await executeCli(program, argv, { stdout, stderr, debug });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

const usage = (topic: string | null) => (topic ? `usage of ${topic}` : 'usage of everything');

/** Runs `command` as the whole program: help is the runner's, the rest is what it throws or returns. */
const programOf = (command: (argv: string[]) => Promise<number | void>, topics?: string[]): CliProgram => ({
  usage,
  ...(topics ? { topics } : {}),
  run: command,
});

describe('exit codes and errors', () => {
  test('0 when done, or the code the command answers', async () => {
    assert.deepEqual(
      await execute(
        programOf(async () => {}),
        ['go'],
      ),
      { code: 0, stdout: '', stderr: '' },
    );
    assert.equal(
      (
        await execute(
          programOf(async () => 1),
          ['go'],
        )
      ).code,
      1,
    );
  });

  test('a failure is one Error line and exit 1, its stack only when debugging', async () => {
    assert.deepEqual(
      await execute(
        programOf(async () => {
          throw new CliError('User nobody@example.com not found');
        }),
        ['go'],
      ),
      { code: 1, stdout: '', stderr: 'Error: User nobody@example.com not found\n' },
    );
    const crash = programOf(async () => {
      throw new TypeError('cannot read properties of undefined');
    });
    assert.equal((await execute(crash, ['go'])).stderr, 'Error: cannot read properties of undefined\n');
    const debugged = await execute(crash, ['go'], true);
    assert.equal(debugged.code, 1);
    assert.match(debugged.stderr, /^Error: cannot read properties of undefined\nTypeError: .*\n\s+at /);
  });

  test('messages of several lines, and errors without a message, still make one line', async () => {
    const failing = (error: unknown) =>
      programOf(async () => {
        throw error;
      });
    const config = new ConfigError(['DATABASE_URL: must be a postgres:// URL', 'PORT: too big']);
    assert.equal(
      (await execute(failing(config), [])).stderr,
      'Error: Invalid configuration: DATABASE_URL: must be a postgres:// URL; PORT: too big\n',
    );
    const refused = Object.assign(new Error('connect ECONNREFUSED ::1:5432'), { code: 'ECONNREFUSED' });
    assert.equal(
      (await execute(failing(new AggregateError([refused, new Error('other')])), [])).stderr,
      'Error: connect ECONNREFUSED ::1:5432\n',
    );
    assert.equal(
      (await execute(failing(Object.assign(new Error(''), { code: 'ECONNRESET' })), [])).stderr,
      'Error: ECONNRESET\n',
    );
    assert.equal((await execute(failing('a string'), [])).stderr, 'Error: a string\n');
  });

  test('a malformed command line is exit 2 with the message and the usage of its topic', async () => {
    const missing = programOf(async () => {
      throw new UsageError('Missing --password', 'superuser');
    });
    assert.deepEqual(await execute(missing, ['superuser', 'create']), {
      code: 2,
      stdout: '',
      stderr: 'Error: Missing --password\n\nusage of superuser\n',
    });
    // parseArgs's own errors (an unknown option) are usage errors too.
    const strict = programOf(async (argv) => void parseArgs({ args: argv, options: {} }));
    const unknown = await execute(strict, ['--bogus']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^Error: Unknown option '--bogus'.*\n\nusage of everything\n$/s);
  });
});

describe('help', () => {
  const ran: string[][] = [];
  const program = programOf(async (argv) => void ran.push(argv), ['users', 'keys']);

  test('help, --help and -h print the usage on stdout with exit 0, and run nothing', async () => {
    for (const argv of [['help'], ['--help'], ['-h']]) {
      assert.deepEqual(await execute(program, argv), { code: 0, stdout: 'usage of everything\n', stderr: '' });
    }
    for (const argv of [
      ['help', 'users'],
      ['users', '--help'],
      ['users', 'create', '--email', 'x', '--help'],
      ['users', '-h'],
    ]) {
      assert.deepEqual(
        await execute(program, argv),
        { code: 0, stdout: 'usage of users\n', stderr: '' },
        argv.join(' '),
      );
    }
    assert.equal((await execute(program, ['init', '--help'])).stdout, 'usage of everything\n', 'not a topic: all');
    assert.deepEqual(ran, []);
  });

  test('help about an unknown topic is a usage error; a program without topics shows all', async () => {
    assert.deepEqual(await execute(program, ['help', 'nothing']), {
      code: 2,
      stdout: '',
      stderr: 'Error: Unknown command nothing\n\nusage of everything\n',
    });
    const plain = programOf(async () => {});
    assert.equal((await execute(plain, ['help', 'import'])).stdout, 'usage of everything\n');
    assert.equal((await execute(plain, ['import', '--help'])).stdout, 'usage of everything\n');
  });
});

describe('as a process', () => {
  const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', path.join(import.meta.dirname, 'cli-program.ts'), ...args],
        // No stdin at all: a command must never wait for one.
        { cwd: repositoryRoot, env: { ...process.env, DEBUG: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });

  test('exit codes, one-line errors, stacks with --debug or DEBUG, and no timer can hold the exit', async () => {
    const [ok, fail, debugFlag, debugEnv, usageError, escaped] = await Promise.all([
      run(['ok']),
      run(['fail']),
      run(['fail', '--debug']),
      run(['fail'], { DEBUG: '1' }),
      run(['nonsense']),
      run(['escape']),
    ]);
    assert.deepEqual([ok.code, ok.stdout, ok.stderr], [0, 'done\n', '']);
    assert.deepEqual([fail.code, fail.stdout, fail.stderr], [1, '', 'Error: boom\n']);
    for (const debugged of [debugFlag, debugEnv]) {
      assert.equal(debugged.code, 1);
      assert.match(debugged.stderr, /^Error: boom\nError: boom\n\s+at /);
    }
    assert.deepEqual(
      [usageError.code, usageError.stderr],
      [2, 'Error: unknown command "nonsense"\n\nUsage: cli-program ok|fail|escape|usage\n'],
    );
    // Node's own handling would print a stack; and had the runner not exited, the command would end with 0.
    assert.deepEqual([escaped.code, escaped.stderr], [1, 'Error: escaped\n']);
  });
});

describe('progress bar', () => {
  const stream = (isTTY: boolean) => Object.assign(captured(), { isTTY });

  test('at a terminal: a bar redrawn in place, cleared for a message, ended by done', async () => {
    const terminal = stream(true);
    const bar = createProgressBar({ stream: terminal, total: { bytes: 1000 }, unit: 'films', verb: 'imported' });
    bar.advance(250);
    bar.items(3);
    assert.equal(terminal.text, `\r[${'#'.repeat(8)}${'.'.repeat(22)}] 25% 0 films`, 'drawn at once, then held back');
    bar.interrupt();
    assert.ok(terminal.text.endsWith('\r\x1b[K'));
    await new Promise((resolve) => setTimeout(resolve, 60));
    bar.advance(750);
    assert.ok(terminal.text.endsWith(`\r[${'#'.repeat(30)}] 100% 3 films`));
    bar.done();
    assert.ok(terminal.text.endsWith('100% 3 films\n'));
    assert.doesNotMatch(terminal.text, /imported/, 'no plain lines at a terminal');
  });

  test('in a log: a plain line every so many items, nothing else', () => {
    const log = stream(false);
    const rows = createProgressBar({ stream: log, total: { items: 2500 }, unit: 'rows', every: 1000 });
    for (let row = 0; row < 2500; row += 1) rows.advance(1);
    rows.interrupt();
    rows.done();
    assert.equal(log.text, 'processed 1000 rows\nprocessed 2000 rows\n');

    const file = stream(false);
    const films = createProgressBar({ stream: file, total: { bytes: 10 }, unit: 'films', verb: 'imported', every: 2 });
    films.advance(5);
    assert.equal(file.text, '', 'bytes are not films');
    films.items(2);
    films.items(3);
    films.items(4);
    assert.equal(file.text, 'imported 2 films\nimported 4 films\n');
  });
});
