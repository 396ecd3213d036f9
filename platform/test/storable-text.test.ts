import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unstorableCharacterIn } from '../src/index.ts';

test('NUL and unpaired surrogates are what PostgreSQL cannot store; any well-formed text is fine', () => {
  assert.equal(unstorableCharacterIn('a\u0000b'), 'nul');
  assert.equal(unstorableCharacterIn('\u0000'), 'nul');
  assert.equal(unstorableCharacterIn('a\ud800b'), 'unpaired-surrogate');
  assert.equal(unstorableCharacterIn('\udc00'), 'unpaired-surrogate');
  assert.equal(unstorableCharacterIn('\ud83d'), 'unpaired-surrogate', 'half of an emoji');
  for (const fine of ['', 'plain', 'été', '😀', '\ufffd', '\u0001\u001f\u007f', '%00']) {
    assert.equal(unstorableCharacterIn(fine), null, JSON.stringify(fine));
  }
});
