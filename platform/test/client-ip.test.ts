import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { clientIp, compileTrust, type TrustProxy } from '../src/index.ts';

/** The rules a request is read under: the server answers what each says the caller is. */
const rules: Record<string, TrustProxy> = {
  none: false,
  all: true,
  oneHop: 1,
  twoHops: 2,
  loopback: ['loopback'],
  loopbackAndTen: ['127.0.0.1', '10.0.0.0/8'],
  otherProxy: ['192.0.2.10'],
};

async function listen(host: string): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const answer = Object.fromEntries(Object.entries(rules).map(([name, rule]) => [name, clientIp(req, rule)]));
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(answer));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  return { server, port: (server.address() as AddressInfo).port };
}

describe('clientIp over real HTTP requests', () => {
  let v4: { server: Server; port: number };

  before(async () => {
    v4 = await listen('127.0.0.1');
  });

  after(async () => {
    v4.server.closeAllConnections();
    await new Promise((resolve) => v4.server.close(resolve));
  });

  const ask = async (port: number, forwardedFor?: string, host = '127.0.0.1') => {
    const response = await fetch(`http://${host}:${port}/`, {
      headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
    });
    return (await response.json()) as Record<keyof typeof rules, string>;
  };

  test('without X-Forwarded-For every rule answers the socket’s peer', async () => {
    const answer = await ask(v4.port);
    for (const address of Object.values(answer)) assert.equal(address, '127.0.0.1');
  });

  test('an untrusted peer’s header is never read', async () => {
    const answer = await ask(v4.port, '203.0.113.7');
    assert.equal(answer.none, '127.0.0.1');
    assert.equal(answer.otherProxy, '127.0.0.1', 'the peer is not the listed proxy');
  });

  test('trusting every proxy takes the leftmost address, as Koa’s app.proxy does', async () => {
    const answer = await ask(v4.port, '203.0.113.7, 10.1.2.3');
    assert.equal(answer.all, '203.0.113.7');
  });

  test('a number of hops reads that many entries from the right, never further', async () => {
    const answer = await ask(v4.port, '198.51.100.1, 203.0.113.7, 10.1.2.3');
    assert.equal(answer.oneHop, '10.1.2.3');
    assert.equal(answer.twoHops, '203.0.113.7');
    const short = await ask(v4.port, '203.0.113.7');
    assert.equal(short.twoHops, '203.0.113.7', 'a shorter chain ends at its leftmost entry');
  });

  test('a list of proxies is walked from the right to the first address not on it', async () => {
    // A client that writes its own header first cannot choose its address: 10.1.2.3 appended the
    // real one (203.0.113.7), and 203.0.113.7 is no trusted proxy, so its claim is ignored.
    const answer = await ask(v4.port, '198.51.100.99, 203.0.113.7, 10.1.2.3');
    assert.equal(answer.loopbackAndTen, '203.0.113.7');
    assert.equal(answer.loopback, '10.1.2.3', 'only loopback is trusted: 10.1.2.3 is the caller');
  });

  test('an entry that is no address stops the walk at the proxy that passed it on', async () => {
    const answer = await ask(v4.port, 'not-an-ip, 10.1.2.3');
    assert.equal(answer.all, '10.1.2.3');
    const empty = await ask(v4.port, '');
    assert.equal(empty.all, '127.0.0.1');
  });

  test('ports and brackets in entries are dropped; IPv4-mapped entries are normalised', async () => {
    const answer = await ask(v4.port, '203.0.113.7:5150');
    assert.equal(answer.all, '203.0.113.7');
    assert.equal((await ask(v4.port, '[2001:db8::1]:443')).all, '2001:db8::1');
    assert.equal((await ask(v4.port, '::ffff:203.0.113.7')).all, '203.0.113.7');
  });

  test('an IPv4 peer of a dual-stack server is its IPv4 address, and matches IPv4 ranges', async (t) => {
    const dual = await listen('::').catch(() => null);
    if (!dual) return t.skip('no IPv6 on this machine');
    try {
      const answer = await ask(dual.port, '203.0.113.7');
      assert.equal(answer.none, '127.0.0.1', 'not ::ffff:127.0.0.1');
      assert.equal(answer.loopbackAndTen, '203.0.113.7', '::ffff:127.0.0.1 is the trusted 127.0.0.1');
    } finally {
      dual.server.closeAllConnections();
      await new Promise((resolve) => dual.server.close(resolve));
    }
  });
});

describe('compileTrust', () => {
  test('refuses a list entry that is no address, range or name, naming it', () => {
    for (const bad of ['proxy.example', '10.0.0.0/33', '10.0.0.0/8/1', '::1/abc', '']) {
      assert.throws(
        () => compileTrust([bad]),
        (error: Error) => error.message.includes(`"${bad}"`),
      );
    }
    assert.throws(() => compileTrust(-1), /whole number/);
  });

  test('ranges of both families and the named ones match what they name', () => {
    const isTrusted = compileTrust(['uniquelocal', '2001:db8::/32', '198.51.100.5']);
    assert.equal(isTrusted('172.20.0.1', 0), true);
    assert.equal(isTrusted('fd12::1', 0), true);
    assert.equal(isTrusted('2001:db8:1::1', 0), true);
    assert.equal(isTrusted('198.51.100.5', 0), true);
    assert.equal(isTrusted('198.51.100.6', 0), false);
    assert.equal(isTrusted('8.8.8.8', 0), false);
  });
});
