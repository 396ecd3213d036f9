import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import * as oidc from 'openid-client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createLogger, repositoryRoot } from '@usher/platform';
import { loadUiConfig } from '../admin-ui/server/config.ts';
import { createUiServer } from '../admin-ui/server/ui-server.ts';
import {
  createTestStores,
  freePort,
  launchChromium,
  LogCapture,
  type ProviderProcess,
  type ServiceProcess,
  startProviderProcess,
  startServiceProcess,
  type TestStores,
  until,
} from '@usher/test-support';
import { ensureAdminUiAssets } from '../scripts/admin-ui-assets.ts';

const artifacts = path.join(repositoryRoot, 'test-artifacts', 'admin-ui');
const resource = 'http://films.admin-ui.test';
const receiverSecret = randomBytes(24).toString('base64url');
const admin = { email: 'admin@usher.local', password: 'a long and unguessable passphrase' };
const viewer = { email: 'viewer@example.com', password: `popcorn at midnight ${randomBytes(3).toString('hex')}` };
const films = '/api/v1/films?page%5Bsize%5D=1';

/** The provider's own sign-in page, as a person fills it in. */
async function signInAtProvider(page: Page, user: { email: string; password: string }, screenshot?: string) {
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  if (screenshot) await page.screenshot({ path: path.join(artifacts, screenshot), fullPage: true });
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** The access token oidc-client-ts keeps in the tab's session storage. */
function storedAccessToken(page: Page): Promise<string | null> {
  return page.evaluate(() => {
    const key = Object.keys(sessionStorage).find((name) => name.startsWith('oidc.user:'));
    return key ? ((JSON.parse(sessionStorage.getItem(key)!) as { access_token?: string }).access_token ?? null) : null;
  });
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });

/** A time as a datetime-local field takes it (local time, to the minute). */
function localMinute(time: number): string {
  const date = new Date(time);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/**
 * The admin UI end to end: the real provider (a process, as `npm start` runs it, registering the
 * UI's public client from USHER_ADMIN_UI_URL), films (a process too, with its demo catalogue)
 * following its revocation feed, the UI server with the built app, and Debian's Chromium. Every
 * page is photographed into test-artifacts/admin-ui.
 */
describe('the admin UI in Chromium', () => {
  let stores: TestStores;
  let filmStores: TestStores;
  let stateDir: string;
  let provider: ProviderProcess;
  let filmsApp: ServiceProcess;
  let uiServer: Server;
  let uiUrl: string;
  let cinemaCallback: Server;
  let cinemaCallbackUrl: string;
  let browser: Browser;
  let adminContext: BrowserContext;
  let adminPage: Page;
  let viewerContext: BrowserContext;
  let cinema: oidc.Configuration;
  let viewerTokens: { access: string; refresh: string };
  let firstAdminToken: string | null = null;
  /** The admin API as the UI's signed-in administrator sees it (the tab's own token). */
  const adminApi = async (route: string) =>
    fetch(`${provider.url}/api/v1${route}`, {
      headers: { authorization: `Bearer ${await storedAccessToken(adminPage)}` },
    });
  const uiLogs = new LogCapture();
  const consoleErrors: string[] = [];

  before(async () => {
    await mkdir(artifacts, { recursive: true });
    const [built, uiPort, filmsPort] = await Promise.all([ensureAdminUiAssets(), freePort(), freePort()]);
    if (built) console.log('# built admin-ui/dist');
    uiUrl = `http://127.0.0.1:${uiPort}`;
    stateDir = await mkdtemp(path.join(tmpdir(), 'usher-admin-ui-'));
    stores = await createTestStores();
    filmStores = await createTestStores();
    provider = await startProviderProcess(stores, {
      USHER_RESOURCE_SERVERS: `Films=${resource}`,
      USHER_EVENT_RECEIVERS: `films-service:${receiverSecret}`,
      USHER_ADMIN_UI_URL: uiUrl,
      // Short-lived tokens, so the UI's silent renewal (a minute before expiry) happens during the test.
      ACCESS_TOKEN_TTL: '75',
    });
    filmsApp = await startServiceProcess({
      entry: path.join('resource-servers', 'films', 'src', 'main.ts'),
      url: `http://127.0.0.1:${filmsPort}`,
      env: {
        ...filmStores.env,
        FILMS_PORT: String(filmsPort),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        PROVIDER_ISSUER: provider.url,
        FILMS_RESOURCE: resource,
        FILMS_SEED: 'true',
        FILMS_CLIENT_ID: 'films-service',
        FILMS_CLIENT_SECRET: receiverSecret,
        FILMS_EVENTS_POLL_MS: '300',
        FILMS_STATE_DIR: stateDir,
      },
    });

    const config = loadUiConfig({
      ADMIN_UI_PORT: String(uiPort),
      ADMIN_UI_PUBLIC_URL: uiUrl,
      PROVIDER_ISSUER: provider.url,
      LOG_LEVEL: 'info',
    });
    uiServer = createUiServer(config, createLogger({ service: 'admin-ui', destination: uiLogs }));
    await new Promise<void>((resolve) => uiServer.listen(uiPort, '127.0.0.1', resolve));

    // The viewer watches films through a public web client of the cinema.
    cinemaCallback = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end('<!doctype html><title>Cinema</title><h1>Back at the cinema</h1>');
    });
    await new Promise<void>((resolve) => cinemaCallback.listen(0, '127.0.0.1', resolve));
    cinemaCallbackUrl = `http://127.0.0.1:${(cinemaCallback.address() as { port: number }).port}/callback`;
    const client = provider.cli(
      'clients',
      'create',
      '--json',
      JSON.stringify({
        client_id: 'cinema-web',
        client_name: 'Cinema web',
        redirect_uris: [cinemaCallbackUrl],
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'none',
        first_party: true,
      }),
    );
    assert.equal(client.status, 0, client.stderr);
    const user = provider.cli('users', 'create', '--email', viewer.email, '--password', viewer.password);
    assert.equal(user.status, 0, user.stderr);
    cinema = await oidc.discovery(new URL(provider.url), 'cinema-web', undefined, oidc.None(), {
      execute: [oidc.allowInsecureRequests],
    });

    browser = await launchChromium();
    adminContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    viewerContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    adminPage = await adminContext.newPage();
    adminPage.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
  });

  after(async () => {
    await browser?.close();
    uiServer?.closeAllConnections();
    uiServer?.close();
    cinemaCallback?.close();
    await filmsApp?.kill();
    await provider?.kill();
    await stores?.dispose();
    await filmStores?.dispose();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  test('the UI server serves the app with a strict CSP and its runtime config', async () => {
    const page = await fetch(`${uiUrl}/users/some-id`);
    assert.equal(page.status, 200);
    const csp = page.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, new RegExp(`connect-src 'self' ${provider.url}`));
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    const config = (await (await fetch(`${uiUrl}/config.json`)).json()) as Record<string, string>;
    assert.deepEqual(config, { issuer: provider.url, clientId: 'usher-admin', adminAudience: `${provider.url}/api` });
    assert.equal((await fetch(`${uiUrl}/healthz`)).status, 200);
    assert.equal((await fetch(`${uiUrl}/readyz`)).status, 200);
    assert.equal((await fetch(`${uiUrl}/assets/missing.js`)).status, 404);
    assert.equal((await fetch(`${uiUrl}/..%2f..%2fpackage.json`)).status, 404, 'nothing outside dist is served');
    assert.equal((await fetch(`${uiUrl}/users`, { method: 'POST' })).status, 405);
    // The provider lets only the UI's origin call the admin API from a browser.
    const preflight = (origin: string) =>
      fetch(`${provider.url}/api/v1/users`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });
    const allowed = await preflight(uiUrl);
    assert.equal(allowed.status, 204);
    assert.equal(allowed.headers.get('access-control-allow-origin'), uiUrl);
    assert.match(allowed.headers.get('access-control-allow-headers') ?? '', /Authorization/);
    assert.equal(allowed.headers.get('access-control-allow-credentials'), null);
    const foreign = await preflight('http://evil.example');
    assert.equal(foreign.headers.get('access-control-allow-origin'), null);
  });

  test('an administrator signs in through the provider’s sign-in page and lands on the users', async () => {
    await adminPage.goto(`${uiUrl}/users`);
    await adminPage.getByRole('heading', { name: 'Usher admin' }).waitFor();
    await shot(adminPage, 'sign-in');
    await adminPage.getByRole('button', { name: 'Sign in' }).click();
    await signInAtProvider(adminPage, admin, 'provider-sign-in.png');
    await adminPage.waitForURL(`${uiUrl}/users`);
    await adminPage.getByRole('heading', { name: 'Users' }).waitFor();
    await adminPage.getByRole('link', { name: viewer.email }).waitFor();
    assert.match((await adminPage.getByRole('navigation', { name: 'Users pages' }).textContent()) ?? '', /of 2/);
    await shot(adminPage, 'users');
    firstAdminToken = await storedAccessToken(adminPage);
    assert.ok(firstAdminToken);
    assert.equal(decodeJwt(firstAdminToken).aud, `${provider.url}/api`, 'a token for the admin API');
    // The top of the page, as the README shows it (docs/admin-ui-users.png is a copy).
    await adminPage.screenshot({
      path: path.join(artifacts, 'users-readme.png'),
      clip: { x: 0, y: 0, width: 1280, height: 380 },
    });
  });

  test('a role with a new permission, given to a viewer: films refuses the old token once the revocation arrives, the next token carries it', async () => {
    // The viewer signs in to the cinema and watches with a films token.
    const viewerPage = await viewerContext.newPage();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    await viewerPage.goto(
      oidc
        .buildAuthorizationUrl(cinema, {
          redirect_uri: cinemaCallbackUrl,
          scope: 'openid email offline_access',
          prompt: 'consent',
          resource,
          state,
          code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
          code_challenge_method: 'S256',
        })
        .toString(),
    );
    await signInAtProvider(viewerPage, viewer);
    await viewerPage.waitForURL((url) => url.toString().startsWith(cinemaCallbackUrl));
    const tokens = await oidc.authorizationCodeGrant(cinema, new URL(viewerPage.url()), {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    await viewerPage.close();
    assert.ok(tokens.refresh_token, 'the cinema got a refresh token');
    viewerTokens = { access: tokens.access_token, refresh: tokens.refresh_token };
    assert.ok(!(decodeJwt(viewerTokens.access).permissions as string[]).includes('films_preview'));
    assert.equal((await filmsApp.get(films, viewerTokens.access)).status, 200);

    // The administrator creates the permission…
    await adminPage.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Permissions' }).click();
    await adminPage.getByRole('heading', { name: 'Permissions' }).waitFor();
    await adminPage.getByRole('cell', { name: 'pro_read', exact: true }).waitFor();
    await adminPage.getByRole('button', { name: 'Create permission' }).click();
    await adminPage.getByText('Name is required.').waitFor();
    await adminPage.getByLabel('Name').fill('films preview');
    await adminPage.getByRole('button', { name: 'Create permission' }).click();
    await adminPage.getByText('Use 1–80 letters, digits or _ . : - (no spaces).').waitFor();
    await shot(adminPage, 'permissions-validation');
    await adminPage.getByLabel('Name').fill('films_preview');
    await adminPage.getByLabel('Description').fill('Early access to premieres');
    await adminPage.getByRole('button', { name: 'Create permission' }).click();
    await adminPage.getByRole('cell', { name: 'films_preview', exact: true }).waitFor();
    // …a second time is refused by the API, next to the field.
    await adminPage.getByLabel('Name').fill('films_preview');
    await adminPage.getByRole('button', { name: 'Create permission' }).click();
    const taken = adminPage.locator('.field-error').filter({ hasText: /films_preview/ });
    await taken.waitFor();
    assert.equal(await adminPage.getByLabel('Name').getAttribute('aria-invalid'), 'true');
    await shot(adminPage, 'permissions');

    // …a role holding it…
    await adminPage.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Roles' }).click();
    await adminPage.getByRole('heading', { name: 'Roles' }).waitFor();
    await adminPage.getByLabel('Name').fill('critic');
    await adminPage.getByLabel('Description').fill('Reviews premieres early');
    await adminPage.getByRole('button', { name: 'Create role' }).click();
    await adminPage.getByRole('link', { name: 'critic' }).waitFor();
    await shot(adminPage, 'roles');
    await adminPage.getByRole('link', { name: 'critic' }).click();
    await adminPage.getByRole('heading', { name: 'Role critic' }).waitFor();
    await adminPage.getByLabel('Permission to add').selectOption('films_preview');
    await adminPage.getByRole('button', { name: 'Add permission' }).click();
    await adminPage.getByRole('cell', { name: 'films_preview', exact: true }).waitFor();
    await shot(adminPage, 'role-detail');

    // …and gives the role to the viewer.
    await adminPage.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Users' }).click();
    await adminPage.getByRole('searchbox', { name: 'Search users' }).fill('viewer');
    await adminPage.getByRole('button', { name: 'Search' }).click();
    await adminPage.waitForURL(/q=viewer/);
    await adminPage.getByRole('link', { name: viewer.email }).click();
    await adminPage.getByRole('heading', { name: viewer.email }).waitFor();
    await adminPage.getByLabel('Role to add').selectOption('critic');
    const granted = Date.now();
    await adminPage.getByRole('button', { name: 'Add role' }).click();
    await adminPage.getByText(/Role critic granted/).waitFor();
    await adminPage
      .getByRole('cell', { name: /films_preview/ })
      .first()
      .waitFor();

    // Films refuses the old token once the revocation reaches it…
    const delay = await until(async () => (await filmsApp.get(films, viewerTokens.access)).status === 401, 10_000, 100);
    console.log(
      `# films refused the viewer's old token ${Date.now() - granted} ms after the grant (${delay} ms polling)`,
    );
    const refused = await filmsApp.get(films, viewerTokens.access);
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/);

    // …and the viewer's next token (after the claims change's lead time) carries the permission.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, granted + 3000 - Date.now())));
    const next = await oidc.refreshTokenGrant(cinema, viewerTokens.refresh, { resource });
    const claims = decodeJwt(next.access_token);
    assert.ok((claims.permissions as string[]).includes('films_preview'), JSON.stringify(claims));
    assert.ok((claims.roles as string[]).includes('critic'));
    assert.equal((await filmsApp.get(films, next.access_token)).status, 200);
    assert.equal((await filmsApp.get(films, viewerTokens.access)).status, 401, 'the old token stays refused');

    // The user page explains the grant and previews the claims.
    await adminPage.getByLabel('Permission', { exact: true }).fill('films_preview');
    await adminPage.getByRole('button', { name: 'Explain' }).click();
    await adminPage.getByText(/granted by the role critic/).waitFor();
    await adminPage.getByRole('cell', { name: 'Films', exact: true }).waitFor();
    await shot(adminPage, 'user-detail');
  });

  test('clients, keys (rotation asks first) and the audit log', async () => {
    const nav = adminPage.getByRole('navigation', { name: 'Sections' });
    await nav.getByRole('link', { name: 'Clients' }).click();
    await adminPage.getByRole('heading', { name: 'Clients' }).waitFor();
    await adminPage.getByRole('row', { name: /^Usher admin usher-admin public first party/ }).waitFor();
    await adminPage.getByRole('row', { name: /^Cinema web cinema-web public/ }).waitFor();
    await shot(adminPage, 'clients');

    // Editing a client: the provider's own metadata rules answer at the field they name…
    await adminPage.getByRole('button', { name: 'Edit cinema-web' }).click();
    const settings = adminPage.getByRole('form', { name: 'Settings of cinema-web' });
    await settings.getByLabel('Post-logout redirect URIs').fill('https://cinema.example/#bye');
    await settings.getByRole('button', { name: 'Save settings' }).click();
    await settings.getByText('post_logout_redirect_uris must not contain fragments').waitFor();
    assert.equal(await settings.getByLabel('Post-logout redirect URIs').getAttribute('aria-invalid'), 'true');
    await shot(adminPage, 'client-edit-refused');
    // …then new settings and a permission are stored.
    await settings.getByLabel('Name', { exact: true }).fill('Cinema on the web');
    await settings.getByLabel('Post-logout redirect URIs').fill('https://cinema.example/');
    await settings.getByRole('button', { name: 'Save settings' }).click();
    await settings.getByText('Settings of cinema-web saved.').waitFor();
    const clientGrants = adminPage.getByRole('region', { name: 'Permissions' });
    await clientGrants.getByLabel('Permission to add').selectOption('films_preview');
    await clientGrants.getByRole('button', { name: 'Add permission' }).click();
    await clientGrants.getByRole('button', { name: 'Remove films_preview' }).waitFor();
    await adminPage.getByRole('row', { name: /^Cinema on the web cinema-web .*films_preview/ }).waitFor();
    await shot(adminPage, 'client-edit');
    const stored = (await (await adminApi('/clients/cinema-web')).json()) as Record<string, unknown>;
    assert.equal(stored.client_name, 'Cinema on the web');
    assert.deepEqual(stored.post_logout_redirect_uris, ['https://cinema.example/']);
    assert.deepEqual(stored.permissions, ['films_preview']);
    await adminPage.getByRole('button', { name: 'Close the editor' }).click();

    await nav.getByRole('link', { name: 'Keys' }).click();
    await adminPage.getByRole('heading', { name: 'Signing keys' }).waitFor();
    await adminPage.getByRole('table', { name: 'Signing keys' }).waitFor();
    const activeBefore = await adminPage.getByRole('row').filter({ hasText: 'active' }).allTextContents();
    await adminPage.getByRole('button', { name: 'Rotate keys' }).click();
    const dialog = adminPage.getByRole('alertdialog', { name: 'Rotate the signing keys?' });
    await dialog.waitFor();
    await shot(adminPage, 'keys-rotate-confirm');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    await adminPage.getByRole('button', { name: 'Rotate keys' }).click();
    await dialog.getByRole('button', { name: 'Rotate now' }).click();
    await adminPage.getByText(/^Rotated:/).waitFor();
    const activeAfter = await adminPage.getByRole('row').filter({ hasText: 'active' }).allTextContents();
    assert.notDeepEqual(activeAfter, activeBefore, 'another key is active');
    await shot(adminPage, 'keys');

    await nav.getByRole('link', { name: 'Audit log' }).click();
    await adminPage.getByRole('heading', { name: 'Audit log' }).waitFor();
    await adminPage.getByRole('table', { name: 'Audit events' }).waitFor();
    await shot(adminPage, 'audit');

    // Time filters: Until must come after Since; a window around now holds the client change above.
    const filters = adminPage.getByRole('form', { name: 'Filter events' });
    const day = 24 * 3600_000;
    await filters.getByLabel('Since').fill(localMinute(Date.now() - day));
    await filters.getByLabel('Until').fill(localMinute(Date.now() - day - 3600_000));
    await filters.getByRole('button', { name: 'Filter', exact: true }).click();
    await filters.getByText('Until must be after Since.').waitFor();
    await shot(adminPage, 'audit-time-refused');
    await filters.getByLabel('Until').fill(localMinute(Date.now() + day));
    await filters.getByLabel('Action', { exact: true }).fill('client.*');
    await filters.getByRole('button', { name: 'Filter', exact: true }).click();
    await adminPage.waitForURL(/since=.*until=/);
    await adminPage.getByRole('cell', { name: 'client.updated' }).first().waitFor();
    await shot(adminPage, 'audit-time');
    await filters.getByLabel('Until').fill(localMinute(Date.now() - day + 3600_000));
    await filters.getByRole('button', { name: 'Filter', exact: true }).click();
    await adminPage.getByText('No events match.').waitFor();
  });

  test('a user’s profile is edited (a taken address is refused at the field), then the user is deleted', async () => {
    const dora = { email: 'dora@example.com', password: `maps and a backpack ${randomBytes(3).toString('hex')}` };
    const made = provider.cli('users', 'create', '--email', dora.email, '--password', dora.password);
    assert.equal(made.status, 0, made.stderr);
    await adminPage.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Users' }).click();
    await adminPage.getByRole('searchbox', { name: 'Search users' }).fill('dora');
    await adminPage.getByRole('button', { name: 'Search' }).click();
    await adminPage.getByRole('link', { name: dora.email }).click();
    await adminPage.getByRole('heading', { name: dora.email }).waitFor();
    const userId = new URL(adminPage.url()).pathname.split('/').at(-1)!;

    const profile = adminPage.getByRole('form', { name: 'Profile' });
    await profile.getByLabel('Email').fill(viewer.email);
    await profile.getByRole('button', { name: 'Save profile' }).click();
    await profile.getByText(`An account with email ${viewer.email} already exists`).waitFor();
    assert.equal(await profile.getByLabel('Email').getAttribute('aria-invalid'), 'true');
    await shot(adminPage, 'user-profile-taken');
    await profile.getByLabel('Email').fill('dora.explorer@example.com');
    await profile.getByLabel('First name').fill('Dora');
    await profile.getByRole('button', { name: 'Save profile' }).click();
    await profile.getByText('Profile saved. The new address is not verified yet.').waitFor();
    await adminPage.getByRole('heading', { name: 'dora.explorer@example.com' }).waitFor();
    const saved = (await (await adminApi(`/users/${userId}`)).json()) as Record<string, unknown>;
    assert.equal(saved.email, 'dora.explorer@example.com');
    assert.equal(saved.first_name, 'Dora');

    await adminPage.getByRole('button', { name: 'Delete user' }).click();
    const dialog = adminPage.getByRole('alertdialog', { name: 'Delete dora.explorer@example.com?' });
    await dialog.waitFor();
    await shot(adminPage, 'user-delete-confirm');
    await dialog.getByRole('button', { name: 'Delete user' }).click();
    await adminPage.waitForURL(`${uiUrl}/users`);
    await adminPage.getByText('User dora.explorer@example.com deleted.').waitFor();
    assert.equal((await adminApi(`/users/${userId}`)).status, 404);
    await shot(adminPage, 'user-deleted');
  });

  test('a signed-in user without admin rights sees "no access"', async () => {
    // The viewer's provider session from the cinema carries over: no second password.
    const page = await viewerContext.newPage();
    await page.goto(uiUrl);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'No access' }).waitFor();
    assert.match((await page.locator('main').textContent()) ?? '', new RegExp(viewer.email));
    await shot(page, 'no-access');
    // The API agrees: the viewer's admin-audience token is refused.
    const token = await storedAccessToken(page);
    const answer = await fetch(`${provider.url}/api/v1/users`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(answer.status, 403);
    await page.close();
  });

  test('the UI renews its token silently (refresh token, same audience) and keeps working', async () => {
    await until(async () => (await storedAccessToken(adminPage)) !== firstAdminToken, 30_000, 100);
    const renewed = decodeJwt((await storedAccessToken(adminPage))!);
    assert.equal(renewed.aud, `${provider.url}/api`);
    assert.ok((renewed.permissions as string[]).includes('all_all'));
    await adminPage.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Users' }).click();
    await adminPage.getByRole('link', { name: viewer.email }).waitFor();
  });

  test('signing out goes through the provider and back to the start page', async () => {
    await adminPage.getByRole('button', { name: 'Sign out' }).click();
    await adminPage.getByRole('button', { name: 'Yes, sign me out' }).click();
    await adminPage.waitForURL(`${uiUrl}/`);
    await adminPage.getByRole('button', { name: 'Sign in' }).waitFor();
    await shot(adminPage, 'signed-out');
    assert.ok(!uiLogs.text().includes('access_token'), 'the UI server never sees tokens');
    assert.deepEqual(
      consoleErrors.filter((text) => /Content Security Policy|Refused to/.test(text)),
      [],
      'the app runs within its CSP',
    );
  });
});
