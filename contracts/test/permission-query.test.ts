import assert from 'node:assert/strict';
import { test } from 'node:test';
import { evaluatePermissionQuery, InvalidPermissionQuery, parsePermissionQuery } from '../src/index.ts';

test('any/all semantics, nesting, empty lists and all_all', () => {
  const held = ['perm_1', 'perm_3'];
  const check = (query: unknown) => evaluatePermissionQuery(parsePermissionQuery(query), held);
  assert.equal(check({ any: ['perm_1', { all: ['perm_2', 'perm_3'] }] }), true);
  assert.equal(check({ all: ['perm_1', { all: ['perm_2', 'perm_3'] }] }), false);
  assert.equal(check({ all: ['perm_1', { any: ['perm_2', 'perm_3'] }] }), true);
  assert.equal(check({ any: [] }), false);
  assert.equal(check({ all: [] }), true);
  assert.equal(check({ any: ['nope'] }), false);
  assert.equal(evaluatePermissionQuery(parsePermissionQuery({ all: ['anything', { any: [] }] }), ['all_all']), true);
});

test('malformed queries are refused with a reason', () => {
  for (const bad of [
    'perm_1',
    null,
    [],
    {},
    { any: 'perm_1' },
    { any: [], all: [] },
    { none: [] },
    { any: [1] },
    { any: ['has space'] },
    { any: ['x'.repeat(81)] },
  ]) {
    assert.throws(() => parsePermissionQuery(bad), InvalidPermissionQuery, JSON.stringify(bad));
  }
  let deep: unknown = 'p';
  for (let i = 0; i < 40; i += 1) deep = { any: [deep] };
  assert.throws(() => parsePermissionQuery(deep), /nests at most/);
  assert.throws(() => parsePermissionQuery({ any: Array.from({ length: 2000 }, () => 'p') }), /at most 1000/);
});
