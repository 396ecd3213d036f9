import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestStores, type TestStores } from '@usher/test-support';
import { startProvider, type RunningProvider } from './harness.ts';
import { createUser } from './fixtures.ts';
import { call, machineToken, userToken } from './admin-fixtures.ts';

describe('changing one’s own email cannot be used to enumerate accounts freely', () => {
  let stores: TestStores;
  let provider: RunningProvider;

  before(async () => {
    stores = await createTestStores();
    provider = await startProvider(stores, { RATE_LIMIT_EMAIL_CHANGES_PER_ACCOUNT: '3' });
  });

  after(async () => {
    await provider?.stop();
    await stores?.dispose();
  });

  test('tries are limited per account, taken address or not, through /users/me and /users/{id}', async () => {
    const me = await createUser(provider);
    const someone = await createUser(provider);
    const { token } = await userToken(provider, me);
    const patch = (path: string, email: string) => call(provider, 'PATCH', path, { token, body: { email } });

    // CONTRACTS.md 1.4 fixes 409 for a taken address: the answer says so, but only so often.
    assert.equal((await patch('/api/v1/users/me', someone.email)).status, 409);
    assert.equal((await patch(`/api/v1/users/${me.id}`, 'free-1@example.com')).status, 200);
    // A change of case only is no probe and spends nothing.
    assert.equal((await patch('/api/v1/users/me', 'FREE-1@example.com')).status, 200);
    assert.equal((await patch('/api/v1/users/me', 'free-2@example.com')).status, 200);

    for (const email of [someone.email, 'free-3@example.com']) {
      const limited = await patch('/api/v1/users/me', email);
      assert.equal(limited.status, 429, email);
      assert.match(limited.headers.get('content-type') ?? '', /^application\/problem\+json/);
      assert.ok(Number(limited.headers.get('retry-after')) > 0);
    }
    assert.equal((await patch(`/api/v1/users/${me.id}`, someone.email)).status, 429, 'one budget for both paths');
    // Names can still be changed.
    const named = await call(provider, 'PATCH', '/api/v1/users/me', { token, body: { first_name: 'Ada' } });
    assert.equal(named.status, 200);
    assert.equal((await provider.built.domain.users.findById(me.id))!.email, 'free-2@example.com');
  });

  test('a refused change to a taken address is audited, naming the caller and the address', async () => {
    const me = await createUser(provider);
    const someone = await createUser(provider);
    const { token } = await userToken(provider, me);
    const refused = await call(provider, 'PATCH', '/api/v1/users/me', { token, body: { email: someone.email } });
    assert.equal(refused.status, 409);
    const audit = await provider.db
      .knex('audit_events')
      .where({ action: 'user.email_change_refused', target: me.id })
      .first();
    assert.ok(audit, 'the probe is in the audit log');
    assert.equal(audit.actor, me.id);
    assert.deepEqual(audit.data, { email: someone.email, reason: 'taken' });
    assert.equal((await provider.built.domain.users.findById(me.id))!.email, me.email.toLowerCase());
  });

  test('administrators changing someone’s email are not counted', async () => {
    const admin = await machineToken(provider, ['permissions_admin']);
    const user = await createUser(provider);
    const taken = await createUser(provider);
    for (let n = 0; n < 5; n += 1) {
      const answer = await call(provider, 'PATCH', `/api/v1/users/${user.id}`, {
        token: admin,
        body: { email: n % 2 ? taken.email : `renamed-${n}@example.com` },
      });
      assert.equal(answer.status, n % 2 ? 409 : 200);
    }
  });
});
