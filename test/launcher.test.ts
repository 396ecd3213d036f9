/**
 * The launcher's parts that need no running system: the plan it makes from services.ts (held against
 * the services' own settings schemas), its console style, and its restart backoff. test/start.test.ts
 * runs the whole of `npm start`.
 */
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { providerSettings } from '../provider/src/config.ts';
import { loadFilmsConfig } from '../resource-servers/films/src/config.ts';
import { chooseConsoleStyle, forwardLines, linePrefix } from '../scripts/launcher/console-lines.ts';
import { planLaunch, type PlannedService } from '../scripts/launcher/launch-plan.ts';
import { loadLauncherSettings } from '../scripts/launcher/launcher-settings.ts';
import { RestartBackoff, restartPolicy } from '../scripts/launcher/restart-backoff.ts';
import { services, type ServiceEntry } from '../services.ts';

function planned(plan: PlannedService[], name: string): PlannedService {
  const found = plan.find((service) => service.name === name);
  assert.ok(found, `the plan starts ${name}`);
  return found;
}

test('the plan wires films and the provider together as their settings expect', () => {
  const plan = planLaunch(services, loadLauncherSettings(services, {}), () => 's'.repeat(32));
  const provider = providerSettings.parse(planned(plan, 'provider').env);
  const films = loadFilmsConfig(planned(plan, 'films').env);
  assert.equal(provider.PORT, 3000);
  assert.equal(provider.ISSUER, 'http://localhost:3000');
  assert.equal(films.FILMS_PORT, 3001);
  assert.equal(films.issuer, 'http://localhost:3000', 'films expects the issuer the provider puts in its tokens');
  assert.deepEqual(provider.USHER_RESOURCE_SERVERS, [{ name: 'Films', identifier: films.resource }]);
  assert.deepEqual(provider.USHER_EVENT_RECEIVERS, [
    { clientId: films.FILMS_CLIENT_ID, secret: films.FILMS_CLIENT_SECRET },
  ]);
  assert.equal(films.FILMS_CLIENT_ID, 'films-service');
  assert.equal(provider.USHER_ADMIN_UI_URL, planned(plan, 'admin UI').url);
  assert.equal(planned(plan, 'admin UI').env['PROVIDER_ISSUER'], 'http://localhost:3000');
  assert.deepEqual(
    plan.map((service) => [service.name, service.url, service.readinessUrl]),
    [
      ['provider', 'http://localhost:3000', 'http://127.0.0.1:3000/readyz'],
      ['films', 'http://localhost:3001', 'http://127.0.0.1:3001/readyz'],
      ['admin UI', 'http://localhost:3004', 'http://127.0.0.1:3004/readyz'],
    ],
  );
});

test("the plan follows the user's settings, and keeps the resource servers and receivers they add", () => {
  const settings = loadLauncherSettings(services, {
    PORT: '4000',
    ISSUER: 'http://127.0.0.1:4000',
    FILMS_PORT: '4001',
    FILMS_RESOURCE: 'https://films.example.com',
    USHER_RESOURCE_SERVERS: 'Other=https://other.example.com',
    USHER_EVENT_RECEIVERS: 'other-service:an-other-secret-of-16',
  });
  const secrets = ['first-secret-of-24-chars'];
  const plan = planLaunch(services, settings, () => secrets.shift() ?? assert.fail('one secret per resource server'));
  const provider = providerSettings.parse(planned(plan, 'provider').env);
  const films = loadFilmsConfig(planned(plan, 'films').env);
  assert.equal(films.issuer, 'http://127.0.0.1:4000');
  assert.equal(films.publicUrl, 'http://localhost:4001');
  assert.deepEqual(provider.USHER_RESOURCE_SERVERS, [
    { name: 'Other', identifier: 'https://other.example.com' },
    { name: 'Films', identifier: 'https://films.example.com' },
  ]);
  assert.deepEqual(provider.USHER_EVENT_RECEIVERS, [
    { clientId: 'other-service', secret: 'an-other-secret-of-16' },
    { clientId: 'films-service', secret: 'first-secret-of-24-chars' },
  ]);
});

test('a new resource server is one manifest entry: the provider registers it and its feed client', () => {
  const files: ServiceEntry = {
    name: 'files',
    entry: 'resource-servers/files/src/main.ts',
    port: { setting: 'FILES_PORT', default: 3002 },
    publicUrlSetting: 'FILES_PUBLIC_URL',
    schema: 'files',
    resourceServer: {
      name: 'Files',
      resourceSetting: 'FILES_RESOURCE',
      feedClient: { id: 'files-service', idSetting: 'FILES_CLIENT_ID', secretSetting: 'FILES_CLIENT_SECRET' },
    },
    launchEnv: (launch) => ({ PROVIDER_ISSUER: launch.url('provider') }),
    readiness: '/readyz',
  };
  const withFiles = [...services, files];
  const plan = planLaunch(withFiles, loadLauncherSettings(withFiles, {}), () => 'a-secret-for-this-start');
  const provider = providerSettings.parse(planned(plan, 'provider').env);
  assert.deepEqual(
    provider.USHER_RESOURCE_SERVERS?.map((server) => `${server.name}=${server.identifier}`),
    ['Films=http://localhost:3001', 'Files=http://localhost:3002'],
  );
  assert.deepEqual(
    provider.USHER_EVENT_RECEIVERS?.map((receiver) => receiver.clientId),
    ['films-service', 'files-service'],
  );
  assert.deepEqual(planned(plan, 'files').env, {
    FILES_PORT: '3002',
    FILES_PUBLIC_URL: 'http://localhost:3002',
    FILES_RESOURCE: 'http://localhost:3002',
    FILES_CLIENT_ID: 'files-service',
    FILES_CLIENT_SECRET: 'a-secret-for-this-start',
    PROVIDER_ISSUER: 'http://localhost:3000',
  });
});

test('at a terminal the services log pretty lines behind coloured names; elsewhere JSON behind plain ones', () => {
  const style = (terminal: boolean, logFormat?: 'json' | 'pretty', noColor = false) =>
    chooseConsoleStyle({ terminal, logFormat, noColor });
  assert.deepEqual(style(true), { serviceLogFormat: 'pretty', colour: true });
  assert.deepEqual(style(true, undefined, true), { serviceLogFormat: 'pretty', colour: false }, 'NO_COLOR');
  assert.deepEqual(style(true, 'json'), { serviceLogFormat: undefined, colour: false });
  assert.deepEqual(style(false), { serviceLogFormat: undefined, colour: false });
  assert.deepEqual(style(false, 'pretty'), { serviceLogFormat: undefined, colour: false });

  assert.equal(linePrefix('films', 1, false), '[films] ');
  const coloured = services.map((service, index) => linePrefix(service.name, index, true));
  assert.equal(new Set(coloured).size, services.length, 'one colour per service');
  assert.equal(coloured[1], '\u001b[35m[films]\u001b[39m ');
});

test('service output goes out line by line behind the prefix; without colours, colour codes are taken out', async () => {
  const copy = async (colour: boolean, ...chunks: string[]) => {
    const input = new PassThrough();
    const output = new PassThrough();
    let text = '';
    output.on('data', (chunk: Buffer) => (text += chunk.toString()));
    forwardLines(input, output, '[films] ', colour);
    for (const chunk of chunks) input.write(chunk);
    input.end();
    await new Promise((resolve) => input.once('end', resolve));
    return text;
  };
  const red = '\u001b[31mERROR\u001b[39m';
  assert.equal(await copy(false, 'one\ntw', 'o\nlast words'), '[films] one\n[films] two\n[films] last words\n');
  assert.equal(await copy(false, `${red} boom\n`), '[films] ERROR boom\n');
  assert.equal(await copy(true, `${red} boom\n`), `[films] ${red} boom\n`);
});

test('restarts wait 0.5 s, doubling to 30 s, and from 0.5 s again once the service stayed up a while', () => {
  let now = 0;
  const backoff = new RestartBackoff(restartPolicy, () => now);
  const waits: number[] = [];
  for (let crash = 0; crash < 9; crash += 1) {
    backoff.ready(); // each restart became ready, briefly
    now += 1000;
    const next = backoff.crashed();
    assert.ok(next.restart);
    waits.push(next.delayMs);
  }
  assert.deepEqual(waits, [500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  backoff.ready();
  now += restartPolicy.stableAfterMs;
  assert.deepEqual(backoff.crashed(), { restart: true, delayMs: 500 });
});

test('a service that crashes four times in a row before becoming ready is given up on', () => {
  const backoff = new RestartBackoff(restartPolicy, () => 0);
  assert.deepEqual(backoff.crashed(), { restart: true, delayMs: 500 });
  assert.deepEqual(backoff.crashed(), { restart: true, delayMs: 1000 });
  backoff.ready(); // a restart that became ready starts the count afresh
  assert.deepEqual(backoff.crashed(), { restart: true, delayMs: 2000 });
  assert.deepEqual(backoff.crashed(), { restart: true, delayMs: 4000 });
  assert.deepEqual(backoff.crashed(), { restart: true, delayMs: 8000 });
  assert.deepEqual(backoff.crashed(), { restart: true, delayMs: 16_000 });
  assert.deepEqual(backoff.crashed(), { restart: false, crashesBeforeReady: 4 });
});
