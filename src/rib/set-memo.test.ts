import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SetMemo } from './set-memo.js';

test('SetMemo: an answer per (set, tag); a set with the same index replaces it; clear forgets', () => {
  const m = new SetMemo<{ id: number }, string, number>(8);
  const a = { id: 3 }, b = { id: 11 }, c = { id: 4 };
  assert.equal(m.get(a, 'x'), undefined);
  m.set(a, 'x', 1);
  m.set(c, 'x', 2);
  assert.equal(m.get(a, 'x'), 1);
  assert.equal(m.get(a, 'y'), undefined, 'another tag is another question');
  assert.equal(m.get({ id: 3 }, 'x'), undefined, 'by identity, not by id: a freed id reused is another set');
  m.set(b, 'x', 5); // 11 & 7 === 3
  assert.equal(m.get(a, 'x'), undefined, 'replaced by the set with the same index');
  assert.equal(m.get(b, 'x'), 5);
  assert.equal(m.get(c, 'x'), 2, 'other entries stay');
  m.set(c, 'x', null as unknown as number);
  assert.equal(m.get(c, 'x'), null, 'null is an answer (preexport: do not export)');
  m.clear();
  assert.equal(m.get(b, 'x'), undefined);
  assert.equal(m.get(c, 'x'), undefined);
});
