/**
 * The CLI as an operator runs it: a real child process (no TTY) against a throw-away PostgreSQL
 * database, plus one run on the embedded default. Every spawn costs a tsx start-up, so independent
 * calls run side by side and each test checks several things at once.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { providerSettings } from '../src/config.ts';
import { eventTypes } from '../src/security-events/event-types.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const serverUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const strongPassword = 'Velvet-Curtain-Matinee-42';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The parent's environment without any provider setting, so nothing leaks in from the shell. */
function cleanEnv(settings: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CI: '1', NO_COLOR: '1', FORCE_COLOR: '0' };
  for (const name of Object.keys(providerSettings.shape)) delete env[name];
  return { ...env, ...settings };
}

function usher(env: NodeJS.ProcessEnv, ...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'provider/src/cli/main.ts', ...args], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function expectExit(run: Run, code: number, what: string): Run {
  assert.equal(run.code, code, `${what}: exit ${run.code}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  return run;
}

function json<T>(run: Run): T {
  return JSON.parse(run.stdout) as T;
}

function databaseUrl(name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

interface KeyView {
  kid: string;
  alg: string;
  status: string;
  publish_until: string | null;
}

describe('usher CLI on a PostgreSQL server', () => {
  const name = `usher_cli_${randomBytes(6).toString('hex')}`;
  const server = new pg.Client({ connectionString: serverUrl });
  let db: pg.Client;
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  const run = (...args: string[]) => usher(env, ...args);
  const count = async (sql: string, values: unknown[] = []) =>
    Number((await db.query<{ n: string }>(`select count(*) as n from ${sql}`, values)).rows[0]?.n);

  before(async () => {
    await server.connect();
    await server.query(`create database ${name}`);
    db = new pg.Client({ connectionString: databaseUrl(name) });
    await db.connect();
    dataDir = await mkdtemp(path.join(tmpdir(), 'usher-cli-'));
    env = cleanEnv({ DATABASE_URL: databaseUrl(name), USHER_DATA_DIR: dataDir });
  });

  after(async () => {
    await db?.end();
    await server.query(`drop database if exists ${name} with (force)`);
    await server.end();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('refuses before init, answers usage errors with 2, and init is idempotent', async () => {
    const [early, missing, badJson, help] = await Promise.all([
      run('superuser', 'create', '--email', 'early@example.com', '--password', strongPassword),
      run('superuser', 'create', '--email', 'early@example.com'),
      run('clients', 'create', '--json', '{not json'),
      run('--help'),
    ]);
    assert.match(expectExit(early, 1, 'create before init').stderr, /^Error: Run "init" first/);
    assert.match(expectExit(missing, 2, 'missing password').stderr, /--password/);
    assert.match(expectExit(badJson, 1, 'bad json').stderr, /^Error: Invalid --json: /);
    for (const command of [
      'init',
      'superuser delete',
      'roles grant',
      'permissions grant',
      'clients list',
      'keys rotate',
    ]) {
      assert.ok(expectExit(help, 0, 'help').stdout.includes(command), `help mentions ${command}`);
    }

    for (let time = 0; time < 2; time += 1) {
      assert.equal(expectExit(await run('init'), 0, 'init').stdout, 'App initialization done.\n');
    }
    assert.equal(await count(`provider.roles where name = any($1)`, [['superuser', 'admin', 'user']]), 3);
    assert.equal(await count('provider.users'), 0);
  });

  test('init --with-superuser creates the superuser after init; its options need the flag', async () => {
    const created = await run('init', '--with-superuser', '--email', 'first@example.com', '--password', strongPassword);
    assert.equal(
      expectExit(created, 0, 'init --with-superuser').stdout,
      'App initialization done.\nSuperuser created!\n',
    );
    const roles = await db.query<{ name: string; email_verified: boolean }>(
      `select r.name, u.email_verified from provider.users u
         join provider.user_roles ur on ur.user_id = u.id join provider.roles r on r.id = ur.role_id
        where u.email = 'first@example.com'`,
    );
    assert.ok(roles.rows.some((row) => row.name === 'superuser'));
    assert.equal(roles.rows[0]?.email_verified, true);

    const [again, withoutFlag] = await Promise.all([
      run('init', '--with-superuser', '--email', 'FIRST@example.com', '--password', strongPassword),
      run('init', '--email', 'other@example.com'),
    ]);
    assert.match(
      expectExit(again, 1, 'init twice, same superuser').stderr,
      /User with email FIRST@example.com already exists/,
    );
    assert.equal(again.stdout, 'App initialization done.\n', 'init itself stays idempotent');
    assert.match(expectExit(withoutFlag, 2, 'options without --with-superuser').stderr, /need --with-superuser/);
    assert.equal(await count(`provider.users where lower(email) in ('first@example.com', 'other@example.com')`), 1);
  });

  test('superuser create: success, duplicate email, weak password', async () => {
    const created = await run('superuser', 'create', '--email', 'root@example.com', '--password', strongPassword);
    assert.equal(expectExit(created, 0, 'superuser create').stdout, 'Superuser created!\n');

    const [duplicate, weak] = await Promise.all([
      run('superuser', 'create', '--email', 'ROOT@example.com', '--password', strongPassword),
      run('superuser', 'create', '--email', 'weak@example.com', '--password', 'password'),
    ]);
    assert.match(expectExit(duplicate, 1, 'duplicate').stderr, /User with email ROOT@example.com already exists/);
    assert.match(expectExit(weak, 1, 'weak password').stderr, /^Error: password: /);
    assert.equal(await count(`provider.users where email = 'weak@example.com'`), 0);
    const verified = await db.query(`select email_verified from provider.users where email = 'root@example.com'`);
    assert.equal(verified.rows[0]?.email_verified, true);
  });

  test('users create with roles; superuser delete: absent, not superuser, deleted', async () => {
    const [user, absent] = await Promise.all([
      run(
        'users',
        'create',
        '--email',
        'viewer@example.com',
        '--password',
        strongPassword,
        '--first-name',
        'Ada',
        '--role',
        'subscriber',
      ),
      run('superuser', 'delete', '--email', 'nobody@example.com'),
    ]);
    const view = json<Record<string, unknown>>(expectExit(user, 0, 'users create'));
    assert.equal(view.email, 'viewer@example.com');
    assert.equal(view.first_name, 'Ada');
    assert.equal(view.last_name, null);
    assert.deepEqual(view.roles, ['subscriber', 'user']);
    assert.match(String(view.uuid), /^[0-9a-f-]{36}$/);
    assert.equal(expectExit(absent, 0, 'delete absent').stdout, 'Superuser nobody@example.com not found\n');

    const rootId = (await db.query<{ id: string }>(`select id from provider.users where email = 'root@example.com'`))
      .rows[0]?.id;
    const [notSuper, deleted] = await Promise.all([
      run('superuser', 'delete', '--email', 'viewer@example.com'),
      run('superuser', 'delete', '--email', 'root@example.com'),
    ]);
    assert.match(expectExit(notSuper, 1, 'delete non-superuser').stderr, /User viewer@example.com is not superuser/);
    assert.equal(expectExit(deleted, 0, 'delete superuser').stdout, 'Superuser deleted\n');
    assert.equal(await count(`provider.users where email = 'root@example.com'`), 0);
    assert.equal(await count(`provider.users where email = 'viewer@example.com'`), 1);
    assert.equal(await count(`provider.audit_events where actor = 'cli' and action = 'user.deleted'`), 1);
    // The admin API's deletion: resource servers are told the account is gone.
    assert.equal(
      await count(`provider.security_events where event_type = $1 and subject = $2`, [
        eventTypes.accountPurged,
        rootId,
      ]),
      1,
    );
  });

  test('roles create with an unknown permission creates nothing', async () => {
    const refused = await run('roles', 'create', 'editors', '--permission', 'pro_read', '--permission', 'no_such');
    assert.match(expectExit(refused, 1, 'unknown permission').stderr, /Permission no_such not found/);
    assert.equal(await count(`provider.roles where name = 'editors'`), 0);
  });

  test('permissions, roles, clients and resources: create, grant, list, delete', async () => {
    const service = {
      client_id: 'billing',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    };
    const [permission, role, client, invalid, resource] = await Promise.all([
      run(
        'permissions',
        'create',
        'films:write',
        '--description',
        'Edit the catalogue',
        '--resource',
        'https://films.example/api',
      ),
      run('roles', 'create', 'editors', '--description', 'Catalogue editors', '--permission', 'pro_read'),
      run('clients', 'create', '--json', JSON.stringify(service)),
      run('clients', 'create', '--json', JSON.stringify({ client_id: 'broken', redirect_uris: ['not a url'] })),
      run('resources', 'create', 'https://films.example/api', '--name', 'Films'),
    ]);
    const permissionView = json<Record<string, unknown>>(expectExit(permission, 0, 'permissions create'));
    assert.deepEqual(
      { ...permissionView, uuid: typeof permissionView.uuid },
      { uuid: 'string', name: 'films:write', description: 'Edit the catalogue', resource: 'https://films.example/api' },
    );
    const roleView = json<Record<string, unknown>>(expectExit(role, 0, 'roles create'));
    assert.deepEqual(
      [roleView.name, roleView.description, roleView.permissions],
      ['editors', 'Catalogue editors', ['pro_read']],
    );
    const clientView = json<Record<string, unknown>>(expectExit(client, 0, 'clients create'));
    assert.equal(clientView.client_id, 'billing');
    assert.equal(typeof clientView.client_secret, 'string', 'the secret is shown once');
    assert.match(
      expectExit(invalid, 1, 'invalid redirect_uri').stderr,
      /^Error: Invalid client metadata: redirect_uris/m,
    );
    assert.equal(await count(`provider.clients where client_id = 'broken'`), 0);
    const resourceView = json<Record<string, unknown>>(expectExit(resource, 0, 'resources create'));
    assert.deepEqual([resourceView.identifier, resourceView.name], ['https://films.example/api', 'Films']);

    const [toUser, toClient, roleGrant] = await Promise.all([
      run('permissions', 'grant', 'films:write', '--user', 'viewer@example.com'),
      run('permissions', 'grant', 'films:write', '--client', 'billing'),
      run('roles', 'grant', 'editors', '--user', 'viewer@example.com'),
    ]);
    assert.equal(
      expectExit(toUser, 0, 'grant to user').stdout,
      'Granted permission films:write to viewer@example.com\n',
    );
    assert.equal(
      expectExit(toClient, 0, 'grant to client').stdout,
      'Granted permission films:write to client billing\n',
    );
    assert.equal(expectExit(roleGrant, 0, 'grant role').stdout, 'Granted role editors to viewer@example.com\n');
    // The admin API's changes: audited with before and after, and the grantee's tokens retired.
    const audited = await db.query<{ data: { before: string[]; after: string[] } }>(
      `select data from provider.audit_events where actor = 'cli' and action = 'role.granted'`,
    );
    assert.deepEqual(audited.rows[0]?.data.after, ['editors', 'subscriber', 'user']);
    assert.ok(
      (await count(`provider.security_events where event_type = $1 and subject = 'billing'`, [
        eventTypes.tokenClaimsChange,
      ])) >= 1,
      'the client is told its tokens carry stale permissions',
    );

    const [again, noUser, noClient] = await Promise.all([
      run('roles', 'grant', 'editors', '--user', 'VIEWER@example.com'),
      run('permissions', 'grant', 'films:write', '--user', 'nobody@example.com'),
      run('permissions', 'grant', 'films:write', '--client', 'nope'),
    ]);
    assert.equal(expectExit(again, 0, 'grant again').stdout, 'Granted role editors to VIEWER@example.com\n');
    assert.equal(await count(`provider.audit_events where action = 'role.granted'`), 1, 'nothing changed twice');
    assert.equal(expectExit(noUser, 1, 'unknown user').stderr, 'Error: User nobody@example.com not found\n');
    assert.equal(expectExit(noClient, 1, 'unknown client').stderr, 'Error: Client nope not found\n');
    assert.equal(
      await count(
        `provider.user_permissions up join provider.users u on u.id = up.user_id where u.email = 'viewer@example.com'`,
      ),
      1,
    );
    assert.equal(await count(`provider.client_permissions where client_id = 'billing'`), 1);

    const listed = json<Record<string, unknown>[]>(expectExit(await run('clients', 'list'), 0, 'clients list'));
    assert.deepEqual(
      listed.map((entry) => entry.client_id),
      ['billing'],
    );
    assert.ok(
      listed.every((entry) => !('client_secret' in entry)),
      'no secret in the list',
    );

    assert.equal(
      expectExit(await run('clients', 'delete', 'billing'), 0, 'clients delete').stdout,
      'Client billing deleted\n',
    );
    assert.equal(await count(`provider.clients`), 0);
    assert.equal(await count(`provider.audit_events where action = 'client.deleted' and target = 'billing'`), 1);
  });

  test('keys rotate activates the next key and keeps the old one published as retired', async () => {
    const listKeys = async () => json<KeyView[]>(expectExit(await run('keys', 'list', '--json'), 0, 'keys list'));
    const activeOf = (keys: KeyView[]) =>
      new Map(keys.filter((key) => key.status === 'active').map((key) => [key.alg, key.kid]));
    const beforeRotation = await listKeys();
    const oldActive = activeOf(beforeRotation);
    assert.deepEqual([...oldActive.keys()].sort(), ['ES256', 'RS256']);

    const rotated = expectExit(await run('keys', 'rotate'), 0, 'keys rotate');
    assert.match(rotated.stdout, /^Rotated signing keys: activated .+ \((ES256|RS256)\)/);

    const afterRotation = await listKeys();
    const newActive = activeOf(afterRotation);
    for (const [alg, kid] of oldActive) {
      assert.notEqual(newActive.get(alg), kid, `${alg} has a new active key`);
      const old = afterRotation.find((key) => key.kid === kid);
      assert.equal(old?.status, 'retired', `old ${alg} key stays published as retired`);
      assert.ok(old?.publish_until, 'a retired key says until when it is published');
      const promoted = beforeRotation.find((key) => key.alg === alg && key.status === 'next');
      assert.equal(newActive.get(alg), promoted?.kid, `the published next ${alg} key is what signs now`);
    }
  });

  test('clients create: the registration rules of the admin API (secrets, public clients)', async () => {
    const machine = { grant_types: ['client_credentials'], response_types: [], redirect_uris: [] };
    const create = (metadata: Record<string, unknown>) => run('clients', 'create', '--json', JSON.stringify(metadata));
    const strong = randomBytes(24).toString('base64url'); // 32 characters
    const [short, patterned, publicMachine, supplied, generated] = await Promise.all([
      create({ ...machine, client_id: 'short-secret', client_secret: 'abc' }),
      create({ ...machine, client_id: 'patterned-secret', client_secret: 'ab'.repeat(20) }),
      create({ ...machine, client_id: 'public-machine', token_endpoint_auth_method: 'none' }),
      create({ ...machine, client_id: 'supplied-secret', client_secret: strong }),
      create({ ...machine, client_id: 'generated-secret' }),
    ]);
    assert.match(
      expectExit(short, 1, 'short secret').stderr,
      /^Error: Invalid client metadata: client_secret must be at least 32 characters/,
    );
    assert.match(
      expectExit(patterned, 1, 'patterned secret').stderr,
      /^Error: Invalid client metadata: client_secret is too predictable/,
    );
    assert.match(
      expectExit(publicMachine, 1, 'public client with client_credentials').stderr,
      /^Error: Invalid client metadata: grant_types must not include client_credentials/,
    );
    assert.equal(json<{ client_secret: string }>(expectExit(supplied, 0, 'supplied secret')).client_secret, strong);
    const made = json<{ client_secret: string }>(expectExit(generated, 0, 'generated secret')).client_secret;
    assert.equal(made.length, 43, 'generated: 32 random bytes');
    assert.equal(
      await count(`provider.clients where client_id = any($1)`, [
        ['short-secret', 'patterned-secret', 'public-machine'],
      ]),
      0,
    );
  });
});

describe('usher CLI on the embedded database', () => {
  test('init twice and superuser create with no DATABASE_URL', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'usher-cli-embedded-'));
    const env = cleanEnv({ USHER_DATA_DIR: dataDir });
    try {
      for (let time = 0; time < 2; time += 1) {
        assert.equal(expectExit(await usher(env, 'init'), 0, 'embedded init').stdout, 'App initialization done.\n');
      }
      const created = await usher(
        env,
        'superuser',
        'create',
        '--email',
        'root@example.com',
        '--password',
        strongPassword,
      );
      assert.equal(expectExit(created, 0, 'embedded superuser create').stdout, 'Superuser created!\n');
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
