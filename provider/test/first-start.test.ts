import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { defaultAdminEmail, firstStart } from '../src/bootstrap/first-start.ts';
import { type RunningProvider, startProvider } from './harness.ts';
import { createTestStores } from '@usher/test-support';
import { createWebClient, discover, signIn } from './fixtures.ts';

/**
 * The first start of `npm start` on an empty database: `init`, then a superuser from
 * USHER_ADMIN_EMAIL / USHER_ADMIN_PASSWORD or with a generated password printed once. In process,
 * with the same call main.ts makes, on a fresh database per case (first start happens only once).
 */
async function freshProvider(overrides: Record<string, string> = {}) {
  const stores = await createTestStores();
  const provider = await startProvider(stores, overrides, { init: false });
  const printed: string[] = [];
  const start = () => firstStart(provider.config, provider.built.domain, provider.logger, (text) => printed.push(text));
  return { stores, provider, printed, start };
}

/** Signs in through the real pages with the given password and returns the ID token's subject. */
async function signInAs(provider: RunningProvider, email: string, password: string) {
  const client = await createWebClient(provider);
  const config = await discover(provider, client.client_id, client.client_secret);
  const { tokens } = await signIn(provider, config, { email, password });
  return tokens.claims()!.sub;
}

async function usersNamed(provider: RunningProvider, email: string) {
  return provider.db.knex('users').whereRaw('lower(email) = ?', [email.toLowerCase()]);
}

describe('first start with USHER_ADMIN_EMAIL and USHER_ADMIN_PASSWORD', () => {
  const email = 'owner@example.com';
  const password = 'Velvet-Curtain-Matinee-42';
  let fresh: Awaited<ReturnType<typeof freshProvider>>;

  before(async () => {
    fresh = await freshProvider({ USHER_ADMIN_EMAIL: email, USHER_ADMIN_PASSWORD: password });
  });

  after(async () => {
    await fresh?.provider.stop();
    await fresh?.stores.dispose();
  });

  test('runs init and creates that superuser once, even when two instances start together', async () => {
    const { provider, printed, start } = fresh;
    assert.equal(await provider.db.knex('roles').where({ name: 'superuser' }).first(), undefined, 'not yet init');
    await Promise.all([start(), start()]);
    const rows = await usersNamed(provider, email);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].email_verified, true);
    assert.equal((await provider.db.knex('users')).length, 1, 'no generated admin besides');
    assert.deepEqual(printed, [], 'a chosen password is never printed');
    const roles = await provider.db.knex('roles').whereIn('name', ['superuser', 'admin', 'user']).pluck('name');
    assert.deepEqual(roles.sort(), ['admin', 'superuser', 'user']);
    const claims = await provider.built.domain.access.claimsForUser(rows[0].id, null);
    assert.ok(claims.roles.includes('superuser'));
    assert.ok(claims.permissions.includes('all_all'));
    assert.equal(await signInAs(provider, email, password), rows[0].id);
    assert.ok(!provider.logs.text().includes(password));
    await start();
    assert.equal((await provider.db.knex('users')).length, 1, 'a second start changes nothing');
  });
});

describe('first start without USHER_ADMIN_PASSWORD', () => {
  let fresh: Awaited<ReturnType<typeof freshProvider>>;

  before(async () => {
    fresh = await freshProvider();
  });

  after(async () => {
    await fresh?.provider.stop();
    await fresh?.stores.dispose();
  });

  test('generates a password, prints it once (never to the logs), and it signs the superuser in', async () => {
    const { provider, printed, start } = fresh;
    await start();
    assert.equal(printed.length, 1);
    assert.match(printed[0]!, new RegExp(`email: +${defaultAdminEmail.replaceAll('.', '\\.')}\\n`));
    const password = /password: +(\S+)/.exec(printed[0]!)?.[1];
    assert.ok(password && password.length >= 20, 'a long random password');
    assert.ok(!provider.logs.text().includes(password));
    const [row] = await usersNamed(provider, defaultAdminEmail);
    assert.ok(row);
    assert.ok((await provider.built.domain.access.claimsForUser(row.id, null)).roles.includes('superuser'));
    assert.equal(await signInAs(provider, defaultAdminEmail, password), row.id);
    await start();
    assert.equal(printed.length, 1, 'shown only once');
    assert.equal((await provider.db.knex('users')).length, 1);
  });
});
