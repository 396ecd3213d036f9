import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import {
  createTestStores,
  machineToken,
  pastClaimsChangeLead,
  type ProviderProcess,
  registerMachineClient,
  startProviderProcess,
  type TestStores,
} from '@usher/test-support';
import { follow, startHello, until, type HelloProcess } from './hello-process.ts';

const resource = 'http://hello-expiry.kit.test';

describe('an event stream ends when its token expires', () => {
  let stores: TestStores;
  let provider: ProviderProcess;
  let hello: HelloProcess;
  let secret: string;

  before(async () => {
    stores = await createTestStores();
    // Short tokens: three seconds (iat is whole seconds, so a shorter one could expire before it is used).
    provider = await startProviderProcess(stores, {
      ACCESS_TOKEN_TTL: '3',
      USHER_RESOURCE_SERVERS: `Hello=${resource}`,
    });
    secret = registerMachineClient(provider, resource, 'hello-short', []);
    await pastClaimsChangeLead();
    hello = await startHello(provider, stores, resource);
  });

  after(async () => {
    await hello?.stop();
    await provider?.kill();
    await stores?.dispose();
  });

  test('closed at exp, with a last comment saying why', async () => {
    const token = await machineToken(provider, 'hello-short', secret, resource);
    const exp = decodeJwt(token).exp! * 1000;
    const stream = follow(`${hello.url}/ticks`, token);
    await stream.opened;
    await until(() => stream.state.endedAt > 0, 6000, 'the stream’s end');
    console.log(`# the stream ended ${stream.state.endedAt - exp} ms after exp`);
    assert.ok(stream.state.endedAt >= exp - 50, 'not before exp');
    assert.ok(stream.state.endedAt <= exp + 1000, 'at exp, not a poll later');
    assert.match(stream.state.text, /: token expired\n\n$/);
    // Reconnecting with it (still within the verifier's clock leeway) ends at once.
    const again = follow(`${hello.url}/ticks`, token);
    await again.opened;
    await until(() => again.state.endedAt > 0, 1000, 'the second stream’s end');
    assert.equal(again.state.text, ': token expired\n\n');
  });
});
