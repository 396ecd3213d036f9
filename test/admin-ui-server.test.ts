import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '@usher/platform';
import { loadUiConfig } from '../admin-ui/server/config.ts';
import { createUiServer } from '../admin-ui/server/ui-server.ts';

/** The admin UI's own server over a hand-made build folder: what it serves, caches and refuses. */
describe('the admin UI server', () => {
  let dist: string;
  let server: Server;
  let url: string;

  before(async () => {
    dist = await mkdtemp(path.join(tmpdir(), 'usher-ui-dist-'));
    await mkdir(path.join(dist, 'assets'));
    await writeFile(path.join(dist, 'index.html'), '<!doctype html><title>first build</title>');
    await writeFile(path.join(dist, 'assets', 'app-1234.js'), 'console.log(1)');
    const config = loadUiConfig({ ADMIN_UI_DIST_DIR: dist, PROVIDER_ISSUER: 'http://127.0.0.1:9' });
    server = createUiServer(config, createLogger({ service: 'admin-ui', level: 'silent' }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  after(async () => {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
    await rm(dist, { recursive: true, force: true });
  });

  test('app routes get index.html, re-read after a rebuild; hashed assets are immutable', async () => {
    const first = await fetch(`${url}/users/42`);
    assert.equal(first.status, 200);
    assert.match(await first.text(), /first build/);
    assert.equal(first.headers.get('cache-control'), 'no-cache');
    await writeFile(path.join(dist, 'index.html'), '<!doctype html><title>second build</title>');
    assert.match(await (await fetch(`${url}/`)).text(), /second build/);
    const asset = await fetch(`${url}/assets/app-1234.js`);
    assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.match(asset.headers.get('content-security-policy') ?? '', /connect-src 'self' http:\/\/127\.0\.0\.1:9/);
  });

  test('runtime config names the provider, the client and the admin audience', async () => {
    assert.deepEqual(await (await fetch(`${url}/config.json`)).json(), {
      issuer: 'http://127.0.0.1:9',
      clientId: 'usher-admin',
      adminAudience: 'http://127.0.0.1:9/api',
    });
  });

  test('bad requests get problems, never a file outside the build or a 500', async () => {
    assert.equal((await fetch(`${url}/%E0%A4%A`)).status, 400);
    assert.equal((await fetch(`${url}/assets/..%2F..%2Fetc%2Fpasswd.js`)).status, 404);
    assert.equal((await fetch(`${url}/missing.js`)).status, 404);
    const post = await fetch(`${url}/`, { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
  });
});
