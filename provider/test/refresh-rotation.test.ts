import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import { createTestStores, type TestStores } from '@usher/test-support';
import { startProvider, type RunningProvider } from './harness.ts';
import { createUser, createWebClient, discover, filmsResource, signIn } from './fixtures.ts';

interface TokenAnswer {
  status: number;
  body: { refresh_token?: string; access_token?: string; error?: string; error_description?: string };
}

type Client = { client_id: string; client_secret?: string };

/** A refresh grant as a client sends it, with the answer as it sees it (status and JSON body). */
async function refresh(provider: RunningProvider, client: Client, token: string): Promise<TokenAnswer> {
  const response = await fetch(new URL('/token', provider.url), {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token, resource: filmsResource }),
  });
  return { status: response.status, body: (await response.json()) as TokenAnswer['body'] };
}

function assertRefreshed(answer: TokenAnswer, what: string): string {
  assert.equal(answer.status, 200, `${what}: ${JSON.stringify(answer.body)}`);
  assert.ok(answer.body.refresh_token && answer.body.access_token, what);
  return answer.body.refresh_token;
}

function assertRevoked(answer: TokenAnswer, what: string) {
  assert.equal(answer.status, 400, `${what}: ${JSON.stringify(answer.body)}`);
  assert.equal(answer.body.error, 'invalid_grant', what);
}

describe('refresh token rotation: one write, and the reuse interval', () => {
  let stores: TestStores;
  let provider: RunningProvider;
  let client: Client;
  let user: { id: string; email: string; password: string };

  /** A fresh grant's first refresh token, from a sign-in through the real pages. */
  async function firstRefreshToken(on: RunningProvider = provider): Promise<string> {
    const config = await discover(on, client.client_id, client.client_secret);
    const { tokens } = await signIn(on, config, user, { resource: filmsResource });
    assert.ok(tokens.refresh_token, 'a refresh token is issued');
    return tokens.refresh_token;
  }

  const refreshRow = (id: string) =>
    provider.db.knex('oidc_payloads').where({ model: 'RefreshToken', id }).first('consumed_at', 'rotated_from');

  before(async () => {
    stores = await createTestStores();
    provider = await startProvider(stores);
    await provider.built.domain.resources.create(filmsResource, 'Films');
    client = await createWebClient(provider);
    user = await createUser(provider, { roles: ['subscriber'] });
  });

  after(async () => {
    await provider?.stop();
    await stores?.dispose();
  });

  test('a rotation whose successor cannot be stored consumes nothing: the old token still works', async () => {
    const first = await firstRefreshToken();
    const knex = provider.db.knex;
    // Refuses rotated refresh tokens (the first of a grant has no `rotations`), as a full disk would.
    await knex.raw(
      `CREATE OR REPLACE FUNCTION refuse_rotated_refresh_tokens() RETURNS trigger AS $$
       BEGIN
         IF NEW.model = 'RefreshToken' AND NEW.payload->>'rotations' IS NOT NULL THEN
           RAISE EXCEPTION 'successor refused by the test';
         END IF;
         RETURN NEW;
       END $$ LANGUAGE plpgsql`,
    );
    await knex.raw(
      `CREATE TRIGGER refuse_rotated_refresh_tokens BEFORE INSERT ON oidc_payloads
       FOR EACH ROW EXECUTE FUNCTION refuse_rotated_refresh_tokens()`,
    );
    try {
      const failed = await refresh(provider, client, first);
      assert.ok(failed.status >= 500, `the failed save is the server's fault: ${failed.status}`);
      assert.notEqual(failed.body.error, 'invalid_grant');
      assert.equal((await refreshRow(first))?.consumed_at, null, 'the old token was not consumed');
    } finally {
      await knex.raw('DROP TRIGGER refuse_rotated_refresh_tokens ON oidc_payloads');
      await knex.raw('DROP FUNCTION refuse_rotated_refresh_tokens()');
    }
    // The client retries with the token it holds: a normal rotation, not reuse detection.
    const second = assertRefreshed(await refresh(provider, client, first), 'retry after the failed save');
    assert.notEqual(second, first);
    assertRefreshed(await refresh(provider, client, second), 'the successor works');
  });

  test('the previous token presented again within the interval gets the same successor and a fresh access token', async () => {
    const first = await firstRefreshToken();
    const rotated = await refresh(provider, client, first);
    const second = assertRefreshed(rotated, 'first rotation');
    const row = await refreshRow(second);
    assert.ok(row?.rotated_from, 'the successor names the token it replaced');
    assert.notEqual(row.rotated_from, first, 'by digest, not by value');

    for (const attempt of [1, 2]) {
      const again = await refresh(provider, client, first);
      assert.equal(assertRefreshed(again, `retry ${attempt}`), second, 'the same successor, not a new branch');
      assert.notEqual(again.body.access_token, rotated.body.access_token, 'a fresh access token');
      assert.equal(decodeJwt(again.body.access_token!).sub, user.id);
      assert.equal(decodeJwt(again.body.access_token!).aud, filmsResource);
    }
    assert.equal((await refreshRow(second))?.consumed_at, null, 'the retry did not use up the successor');
    // The stand-in is the token endpoint's only: introspection still reports the used token inactive.
    const config = await discover(provider, client.client_id, client.client_secret);
    assert.equal((await oidc.tokenIntrospection(config, first)).active, false);
    assert.equal((await oidc.tokenIntrospection(config, second)).active, true);

    const third = assertRefreshed(await refresh(provider, client, second), 'the successor rotates as usual');
    assert.notEqual(third, second);
    assertRefreshed(await refresh(provider, client, third), 'and the chain goes on');
  });

  test('an older ancestor revokes the whole grant, even within the interval', async () => {
    const first = await firstRefreshToken();
    const second = assertRefreshed(await refresh(provider, client, first), 'first rotation');
    const third = assertRefreshed(await refresh(provider, client, second), 'second rotation');
    // The immediately previous token still stands for the live one...
    assert.equal(assertRefreshed(await refresh(provider, client, second), 'previous token'), third);
    // ...but the one before it does not: reuse detection revokes the grant, the live token included.
    assertRevoked(await refresh(provider, client, first), 'older ancestor');
    assertRevoked(await refresh(provider, client, third), 'the live token after the revocation');
    assertRevoked(await refresh(provider, client, second), 'the previous token after the revocation');
  });

  test('concurrent uses of one token all get its one successor', async () => {
    const first = await firstRefreshToken();
    const answers = await Promise.all(Array.from({ length: 6 }, () => refresh(provider, client, first)));
    const successors = new Set(answers.map((answer, index) => assertRefreshed(answer, `request ${index}`)));
    assert.equal(successors.size, 1, 'one successor for every request');
    const [successor] = [...successors];
    assert.notEqual(successor, first);
    assertRefreshed(await refresh(provider, client, successor!), 'the successor works');
  });

  test('after the interval, the previous token revokes the whole grant', async () => {
    const short = await startProvider(stores, { REFRESH_TOKEN_REUSE_INTERVAL: '1' });
    try {
      const first = await firstRefreshToken(short);
      const second = assertRefreshed(await refresh(short, client, first), 'first rotation');
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assertRevoked(await refresh(short, client, first), 'reuse after the interval');
      assertRevoked(await refresh(short, client, second), 'the successor after the revocation');
    } finally {
      await short.stop();
    }
  });

  test('with REFRESH_TOKEN_REUSE_INTERVAL=0 any reuse revokes the whole grant', async () => {
    const strict = await startProvider(stores, { REFRESH_TOKEN_REUSE_INTERVAL: '0' });
    try {
      const first = await firstRefreshToken(strict);
      const second = assertRefreshed(await refresh(strict, client, first), 'first rotation');
      assertRevoked(await refresh(strict, client, first), 'immediate reuse');
      assertRevoked(await refresh(strict, client, second), 'the successor after the revocation');
    } finally {
      await strict.stop();
    }
  });
});
