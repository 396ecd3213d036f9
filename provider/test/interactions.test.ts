import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oidc from 'openid-client';
import { type RunningProvider, startProvider } from './harness.ts';
import { createTestStores, readForm, type TestStores, UserAgent } from '@usher/test-support';
import { callbackUrl, createUser, createWebClient, discover } from './fixtures.ts';

async function openSignIn(provider: RunningProvider, config: oidc.Configuration, agent = new UserAgent()) {
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: callbackUrl,
    scope: 'openid',
    code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
  });
  const { response } = await agent.follow(url.toString(), provider.url);
  assert.equal(response.status, 200);
  const page = await response.text();
  return { agent, page, form: readForm(page) };
}

/** The same token with its first character changed. */
const tampered = (token: string) => `${token.startsWith('A') ? 'B' : 'A'}${token.slice(1)}`;

describe('interaction pages: sign-in, registration, consent, and their failure modes', () => {
  let stores: TestStores;
  let provider: RunningProvider;
  let config: oidc.Configuration;
  let user: { id: string; email: string; password: string };
  let client: { client_id: string; client_secret?: string };

  before(async () => {
    stores = await createTestStores();
    provider = await startProvider(stores, {
      RATE_LIMIT_SIGNIN_FAILURES_PER_ACCOUNT: '5',
      RATE_LIMIT_REGISTRATIONS_PER_IP: '50',
    });
    client = await createWebClient(provider);
    config = await discover(provider, client.client_id, client.client_secret);
    user = await createUser(provider);
  });

  after(async () => {
    await provider?.stop();
    await stores?.dispose();
  });

  test('the sign-in page is accessible server-rendered HTML with CSRF, no script, and safe headers', async () => {
    const { page, form, agent } = await openSignIn(provider, config);
    assert.match(page, /<html lang="en">/);
    assert.match(page, /<label for="field-email">Email<\/label>/);
    assert.match(page, /<label for="field-password">Password<\/label>/);
    assert.doesNotMatch(page, /<script/);
    assert.ok(form.fields.csrf && form.fields.csrf.length > 20);
    assert.ok(agent.hasCookie('usher.csrf'));
    const response = await agent.request(new URL(form.action, provider.url).toString().replace('/login', ''));
    assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    assert.equal(response.headers.get('x-frame-options'), 'DENY');
    assert.equal(response.headers.get('cache-control'), 'no-store');
  });

  test('wrong password and unknown user get the same answer', async () => {
    const messageOf = (html: string) => /<p class="alert alert-error"[^>]*>([^<]*)<\/p>/.exec(html)?.[1];
    const timings: Record<'wrong' | 'unknown', number[]> = { wrong: [], unknown: [] };
    const messages = new Set<string | undefined>();
    // Alternate the two cases a few times and compare medians: one sample is at the mercy of the machine.
    for (let round = 0; round < 3; round += 1) {
      for (const [kind, email] of [
        ['wrong', user.email],
        ['unknown', 'nobody@example.com'],
      ] as const) {
        const { agent, form } = await openSignIn(provider, config);
        const started = performance.now();
        const { response } = await agent.submit(form.action, provider.url, {
          ...form.fields,
          email,
          password: 'not the password',
        });
        timings[kind].push(performance.now() - started);
        assert.equal(response.status, 401);
        messages.add(messageOf(await response.text()));
      }
    }
    assert.deepEqual([...messages], ['Incorrect email or password.']);
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[1]!;
    const [wrong, unknown] = [median(timings.wrong), median(timings.unknown)];
    // Both pay for one argon2 verification: neither answer is several times faster than the other.
    assert.ok(unknown > wrong / 3 && wrong > unknown / 3, `median timings ${wrong} vs ${unknown}`);
    const attempts = await provider.db.knex('sign_in_attempts').where({ email: 'nobody@example.com' });
    assert.equal(attempts.length, 3);
    assert.equal(attempts[0].result, 'invalid_credentials');
    assert.equal(attempts[0].user_agent, 'usher-test-agent');
    assert.ok(attempts[0].ip_address);
  });

  test('a form without the CSRF token, or with another interaction’s token, is refused', async () => {
    const first = await openSignIn(provider, config);
    const missing = await first.agent.submit(first.form.action, provider.url, {
      email: user.email,
      password: user.password,
    });
    assert.equal(missing.response.status, 403);
    assert.match(await missing.response.text(), /Form expired/);
    const second = await openSignIn(provider, config, first.agent);
    const crossed = await first.agent.submit(second.form.action, provider.url, {
      csrf: first.form.fields.csrf!,
      email: user.email,
      password: user.password,
    });
    assert.equal(crossed.response.status, 403);
    // Another browser (no CSRF cookie) replaying a valid token fails too.
    const stranger = new UserAgent();
    const replay = await stranger.submit(second.form.action, provider.url, {
      ...second.form.fields,
      email: user.email,
      password: user.password,
    });
    assert.notEqual(replay.response.status, 303);
    assert.ok([400, 403].includes(replay.response.status));
  });

  test('a registration form without or with a wrong CSRF token is refused and creates nothing', async () => {
    const first = await openSignIn(provider, config);
    const registerHref = /href="([^"]*\/register)"/.exec(first.page)![1]!;
    const registerPage = await (await first.agent.request(new URL(registerHref, provider.url).toString())).text();
    const form = readForm(registerPage);
    // Another browser's valid token for its own sign-in.
    const other = await openSignIn(provider, config);
    const values = { email: 'csrf.member@example.com', password: 'a fine long passphrase', first_name: 'Eve' };
    for (const csrf of [undefined, tampered(form.fields.csrf!), other.form.fields.csrf!]) {
      const { response } = await first.agent.submit(form.action, provider.url, {
        ...values,
        ...(csrf === undefined ? {} : { csrf }),
      });
      assert.equal(response.status, 403);
      assert.match(await response.text(), /Form expired/);
    }
    assert.equal(await provider.db.knex('users').where({ email: values.email }).first(), undefined);
    assert.equal((await provider.db.knex('sign_in_attempts').where({ email: values.email })).length, 0);
    // The right token still works: the refusals used nothing up.
    const created = await first.agent.submit(form.action, provider.url, { ...form.fields, ...values });
    assert.ok(created.url.startsWith(callbackUrl), created.url);
    assert.ok(await provider.db.knex('users').where({ email: values.email }).first());
  });

  /** Signs `user` in for a new third-party client named `clientName`, up to its consent page. */
  async function signInToThirdParty(clientName: string) {
    const thirdParty = await createWebClient(provider, { client_name: clientName, first_party: false });
    const partner = await discover(provider, thirdParty.client_id, thirdParty.client_secret);
    const { agent, form } = await openSignIn(provider, partner);
    const afterLogin = await agent.submit(form.action, provider.url, {
      ...form.fields,
      email: user.email,
      password: user.password,
    });
    const consentPage = await afterLogin.response.text();
    assert.match(consentPage, /Allow access\?/);
    return { agent, consentPage };
  }

  test('a consent form without or with a wrong CSRF token is refused and grants nothing', async () => {
    const { agent, consentPage } = await signInToThirdParty('Forged partner');
    const consent = readForm(consentPage);
    for (const fields of [{}, { csrf: tampered(consent.fields.csrf!) }]) {
      const { response, url } = await agent.submit(consent.action, provider.url, fields);
      assert.equal(response.status, 403);
      assert.ok(!url.startsWith(callbackUrl));
      assert.match(await response.text(), /Form expired/);
    }
    // Nothing was granted: the interaction still asks for consent, and the right token grants it.
    const page = await agent.request(new URL(consent.action.replace(/\/confirm$/, ''), provider.url).toString());
    assert.match(await page.text(), /Allow access\?/);
    const granted = await agent.submit(consent.action, provider.url, consent.fields);
    assert.ok(granted.url.startsWith(callbackUrl), granted.url);
  });

  test('successful sign-in is recorded with method and result', async () => {
    const { agent, form } = await openSignIn(provider, config);
    const { url } = await agent.submit(form.action, provider.url, {
      ...form.fields,
      email: user.email.toUpperCase(),
      password: user.password,
    });
    assert.ok(url.startsWith(callbackUrl), 'emails are case-insensitive');
    const row = await provider.db.knex('sign_in_attempts').where({ user_id: user.id, result: 'success' }).first();
    assert.equal(row.method, 'password');
  });

  test('repeated failures lock the account with 429 and Retry-After, and the right password waits too', async () => {
    const victim = await createUser(provider);
    let status = 0;
    for (let attempt = 0; attempt < 6; attempt += 1) {
      const { agent, form } = await openSignIn(provider, config);
      const { response } = await agent.submit(form.action, provider.url, {
        ...form.fields,
        email: victim.email,
        password: `wrong ${attempt}`,
      });
      status = response.status;
      if (status === 429) {
        assert.ok(Number(response.headers.get('retry-after')) > 0);
        break;
      }
    }
    assert.equal(status, 429);
    const { agent, form } = await openSignIn(provider, config);
    const { response } = await agent.submit(form.action, provider.url, {
      ...form.fields,
      email: victim.email,
      password: victim.password,
    });
    assert.equal(response.status, 429);
    assert.match(await response.text(), /Too many failed attempts/);
  });

  test('registration enforces the password rules and refuses duplicates, then signs the new user in', async () => {
    const { agent, page } = await openSignIn(provider, config);
    const registerHref = /href="([^"]*\/register)"/.exec(page)![1]!;
    const registerPage = await (await agent.request(new URL(registerHref, provider.url).toString())).text();
    const form = readForm(registerPage);
    const weak = await agent.submit(form.action, provider.url, {
      ...form.fields,
      email: 'new@example.com',
      password: 'password1',
    });
    assert.equal(weak.response.status, 400);
    assert.match(await weak.response.text(), /too common/);
    const short = await agent.submit(form.action, provider.url, {
      ...form.fields,
      email: 'new@example.com',
      password: 'abc',
    });
    assert.match(await short.response.text(), /at least 8 characters/);
    const duplicate = await agent.submit(form.action, provider.url, {
      ...form.fields,
      email: user.email.toUpperCase(),
      password: 'a fine long passphrase',
    });
    assert.equal(duplicate.response.status, 409);
    assert.match(await duplicate.response.text(), /already exists/);
    const created = await agent.submit(form.action, provider.url, {
      ...form.fields,
      email: 'New.Member@example.com',
      password: 'a fine long passphrase',
      first_name: 'Ada',
    });
    assert.ok(created.url.startsWith(callbackUrl), `registration continues the sign-in (${created.url})`);
    const row = await provider.db.knex('users').whereRaw('lower(email) = ?', ['new.member@example.com']).first();
    assert.equal(row.first_name, 'Ada');
    assert.match(row.password_hash, /^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    const roles = await provider.built.domain.access.claimsForUser(row.id, null);
    assert.deepEqual(roles.roles, ['user']);
  });

  test('third-party clients ask for consent; first-party clients skip it', async () => {
    const { agent, consentPage: consent } = await signInToThirdParty('Partner app');
    assert.match(consent, /Partner app/);
    const consentForm = readForm(consent);
    const granted = await agent.submit(consentForm.action, provider.url, consentForm.fields);
    assert.ok(granted.url.startsWith(callbackUrl));
  });

  test('cancelling is a form with the CSRF token that returns access_denied to the client', async () => {
    const { agent, page } = await openSignIn(provider, config);
    assert.doesNotMatch(page, /href="[^"]*\/abort"/, 'no cancel link another site could send the browser to');
    const cancel = readForm(page, 1);
    assert.match(cancel.action, /^\/interaction\/[^/]+\/abort$/);
    assert.ok(cancel.fields.csrf);
    const { url } = await agent.submit(cancel.action, provider.url, cancel.fields);
    assert.equal(new URL(url).searchParams.get('error'), 'access_denied');
  });

  test('a cross-site GET or a POST without the CSRF token does not cancel the sign-in', async () => {
    const { agent, page, form } = await openSignIn(provider, config);
    const cancel = readForm(page, 1);
    const abortUrl = new URL(cancel.action, provider.url).toString();
    const get = await agent.request(abortUrl);
    assert.ok(get.status >= 400 && get.status < 500, `GET /abort answered ${get.status}`);
    assert.equal(get.headers.get('location'), null);
    const missing = await agent.submit(cancel.action, provider.url, {});
    assert.equal(missing.response.status, 403);
    const wrong = await agent.submit(cancel.action, provider.url, { csrf: tampered(form.fields.csrf!) });
    assert.equal(wrong.response.status, 403);
    // The interaction is intact: the user still signs in and the client gets a code.
    const { url } = await agent.submit(form.action, provider.url, {
      ...form.fields,
      email: user.email,
      password: user.password,
    });
    assert.ok(url.startsWith(callbackUrl), url);
    assert.ok(new URL(url).searchParams.get('code'));
  });

  test('an unregistered redirect_uri gets an error page and never a redirect', async () => {
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: 'https://evil.example/steal',
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
    });
    const response = await fetch(url, { redirect: 'manual' });
    assert.equal(response.status, 400);
    assert.equal(response.headers.get('location'), null);
    assert.match(await response.text(), /redirect_uri did not match/);
  });

  test('a public client without PKCE is refused', async () => {
    const spa = await createWebClient(provider, { token_endpoint_auth_method: 'none', client_name: 'SPA' });
    const spaConfig = await discover(provider, spa.client_id);
    const url = oidc.buildAuthorizationUrl(spaConfig, { redirect_uri: callbackUrl, scope: 'openid' });
    const response = await fetch(url, { redirect: 'manual' });
    assert.equal(response.status, 303);
    const location = new URL(response.headers.get('location')!);
    assert.equal(location.searchParams.get('error'), 'invalid_request');
    assert.match(location.searchParams.get('error_description')!, /PKCE/);
    const plain = oidc.buildAuthorizationUrl(spaConfig, {
      redirect_uri: callbackUrl,
      scope: 'openid',
      code_challenge: 'x'.repeat(43),
      code_challenge_method: 'plain',
    });
    const plainResponse = await fetch(plain, { redirect: 'manual' });
    assert.equal(new URL(plainResponse.headers.get('location')!).searchParams.get('error'), 'invalid_request');
  });

  test('malformed requests get 4xx answers, never a 500', async () => {
    const base = provider.url;
    const probes: [string, RequestInit?][] = [
      [
        '/token',
        { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=%%%' },
      ],
      ['/token', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' }],
      [
        '/token',
        {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'x='.padEnd(80_000, 'a'),
        },
      ],
      [
        '/token',
        {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'grant_type=refresh_token&refresh_token=garbage&client_id=nope',
        },
      ],
      ['/auth?client_id=unknown&response_type=code&redirect_uri=x'],
      ['/auth?response_type=%ZZ'],
      ['/interaction/does-not-exist'],
      [
        '/interaction/does-not-exist/login',
        {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'email=a&password=b',
        },
      ],
      [
        '/interaction/x/login',
        { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '%' },
      ],
      ['/me', { headers: { authorization: 'Bearer not-a-token' } }],
      [
        '/token/introspection',
        { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'token=abc' },
      ],
      [
        '/device',
        {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'user_code=AAAA-BBBB',
        },
      ],
      ['/session/end?id_token_hint=garbage'],
      ['/jwks', { method: 'DELETE' }],
    ];
    for (const [path, init] of probes) {
      const response = await fetch(new URL(path, base), { ...init, redirect: 'manual' });
      assert.ok(response.status < 500, `${init?.method ?? 'GET'} ${path} answered ${response.status}`);
      const body = await response.text();
      assert.doesNotMatch(body, /at .*\.(ts|js):\d+/, `no stack trace from ${path}`);
    }
  });

  test('a NUL character in a sign-in or registration form is a 400 page, never a 500', async () => {
    // PostgreSQL text cannot hold U+0000: the form must be refused before it reaches the database.
    const signIn = await openSignIn(provider, config);
    const login = await signIn.agent.submit(signIn.form.action, provider.url, {
      ...signIn.form.fields,
      email: `${user.email}\u0000`,
      password: 'not the password',
    });
    assert.equal(login.response.status, 400);
    assert.match(await login.response.text(), /characters that are not allowed/);
    const registerHref = /href="([^"]*\/register)"/.exec(signIn.page)![1]!;
    const registerPage = await (await signIn.agent.request(new URL(registerHref, provider.url).toString())).text();
    const form = readForm(registerPage);
    const register = await signIn.agent.submit(form.action, provider.url, {
      ...form.fields,
      email: 'nul.member@example.com',
      password: 'a fine long passphrase',
      first_name: 'A\u0000da',
    });
    assert.equal(register.response.status, 400);
    assert.equal(await provider.db.knex('users').where({ email: 'nul.member@example.com' }).first(), undefined);
  });

  test('X-Request-Id is accepted or generated and returned', async () => {
    const given = await fetch(new URL('/healthz', provider.url), { headers: { 'x-request-id': 'abc-123' } });
    assert.equal(given.headers.get('x-request-id'), 'abc-123');
    const generated = await fetch(new URL('/.well-known/openid-configuration', provider.url));
    assert.match(generated.headers.get('x-request-id')!, /^[0-9a-f-]{36}$/);
    assert.ok(provider.logs.text().includes('"requestId":"abc-123"'));
  });

  test('secrets never reach the logs', async () => {
    const { agent, form } = await openSignIn(provider, config);
    await agent.submit(form.action, provider.url, { ...form.fields, email: user.email, password: user.password });
    const logs = provider.logs.text();
    assert.ok(!logs.includes(user.password));
    assert.ok(!logs.includes(client.client_secret!));
  });
});
