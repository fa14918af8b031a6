// PrefixMap against a Map keyed by the prefix text: every IPv4 length (the /24-and-shorter
// map and the per-length maps for /25–/32, whose keys are signed 32-bit) and IPv6.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PrefixMap } from './prefix-map.js';
import { Afi, formatPrefix, maskHostBits, type Prefix } from './prefix.js';

test('PrefixMap agrees with a text-keyed Map through sets, deletes and values()', () => {
  const ops = fc.sample(
    fc.tuple(fc.boolean(), fc.array(fc.constantFrom(0, 1, 0x7f, 0x80, 0xff, 10), { minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 128 }), fc.boolean(), fc.integer()),
    { numRuns: 5000, seed: 11 },
  );
  const m = new PrefixMap<number>();
  const model = new Map<string, number>();
  for (const [v6, bytes, l, del, v] of ops) {
    const afi = v6 ? Afi.IPV6 : Afi.IPV4;
    const addr = Uint8Array.from(v6 ? bytes : bytes.slice(0, 4));
    const len = v6 ? l : l % 33;
    maskHostBits(addr, len);
    const p: Prefix = { afi, len, addr };
    const k = formatPrefix(p);
    if (del) assert.equal(m.delete(p), model.delete(k), k);
    else {
      m.set(p, v);
      model.set(k, v);
    }
    assert.equal(m.get(p), model.get(k), k);
  }
  assert.equal(m.size, model.size);
  assert.deepEqual([...m.values()].sort(), [...model.values()].sort());
  assert.equal([...m.values(Afi.IPV4)].length + [...m.values(Afi.IPV6)].length, model.size);
  // 128.0.0.0/25 and 0.0.0.0/25 differ only in the sign bit of the 32-bit key.
  const a: Prefix = { afi: Afi.IPV4, len: 25, addr: Uint8Array.of(128, 0, 0, 0) };
  const b: Prefix = { afi: Afi.IPV4, len: 25, addr: Uint8Array.of(0, 0, 0, 0) };
  const c: Prefix = { afi: Afi.IPV4, len: 26, addr: Uint8Array.of(128, 0, 0, 0) };
  const pm = new PrefixMap<string>();
  pm.set(a, 'a');
  pm.set(b, 'b');
  pm.set(c, 'c');
  assert.deepEqual([pm.get(a), pm.get(b), pm.get(c)], ['a', 'b', 'c']);
  pm.clear();
  assert.equal(pm.size, 0);
});
