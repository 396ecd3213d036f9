import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createCookieSigner } from '../src/security/cookie-signer.ts';

// Signatures that Keygrip (Koa's default) makes for these secrets: cookies signed before the switch
// to our signer must stay valid.
const keygripSignatures = { newSecret: 'B9o_v2HvnsGA2pFNgIGW8QJ34dg', oldSecret: 'W2YhG-FVdFmCUWftpnrsSTi14VI' };
const data = '_interaction=abc123';

describe('cookie signer (Keygrip-compatible, constant-time)', () => {
  const signer = createCookieSigner(['new-secret', 'old-secret']);

  test('signs with the first secret exactly as Keygrip does', () => {
    assert.equal(signer.sign(data), keygripSignatures.newSecret);
  });

  test('verifies with every secret and says which one (rotation)', () => {
    assert.equal(signer.index(data, keygripSignatures.newSecret), 0);
    assert.equal(signer.index(data, keygripSignatures.oldSecret), 1);
    assert.equal(signer.verify(data, keygripSignatures.oldSecret), true);
  });

  test('refuses a wrong, truncated, extended or empty signature, and other data', () => {
    const good = keygripSignatures.newSecret;
    for (const digest of [`${good.slice(0, -1)}A`, good.slice(0, -1), `${good}A`, '', 'not a signature']) {
      assert.equal(signer.index(data, digest), -1, JSON.stringify(digest));
    }
    assert.equal(signer.verify('_interaction=abc124', good), false);
  });

  test('needs at least one secret', () => {
    assert.throws(() => createCookieSigner([]), /at least one cookie secret/);
  });
});
