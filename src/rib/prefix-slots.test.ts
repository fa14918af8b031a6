// PrefixSlots against a Map keyed by "prefix#pathId" text: adds, findOrAdds, finds and removes of IPv4 and
// IPv6 keys with colliding-looking addresses (few distinct bytes, so probe runs are long and
// backward-shift deletion is exercised), path ids up to 2^32-1, slot reuse and copies.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PrefixSlots } from './prefix-slots.js';
import { Afi, formatPrefix, maskHostBits, type Prefix } from './prefix.js';

const keyOf = (p: Prefix, id: number) => `${formatPrefix(p)}#${id}`;

test('PrefixSlots agrees with a text-keyed Map through adds, removes, copies and clear', () => {
  const ops = fc.sample(
    fc.tuple(fc.boolean(), fc.array(fc.constantFrom(0, 1, 0x80, 0xff, 10), { minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 128 }), fc.constantFrom(0, 1, 7, 0xffffffff), fc.nat(9)),
    { numRuns: 20000, seed: 7 },
  );
  let slots = new PrefixSlots();
  let model = new Map<string, number>(); // key → slot
  for (const [v6, bytes, l, pathId, op] of ops) {
    const afi = v6 ? Afi.IPV6 : Afi.IPV4;
    const addr = Uint8Array.from(v6 ? bytes : bytes.slice(0, 4));
    const len = v6 ? l : l % 33;
    maskHostBits(addr, len);
    const p: Prefix = { afi, len, addr };
    const k = keyOf(p, pathId);
    const found = slots.find(p, pathId);
    assert.equal(found, model.has(k) ? model.get(k) : -1, `find ${k}`);
    if (op >= 3 && op < 6) {
      // findOrAdd: the same slot when present, a new one (added) when not.
      const s = slots.findOrAdd(p, pathId);
      assert.equal(slots.added, found < 0);
      if (found >= 0) assert.equal(s, found);
      else {
        for (const v of model.values()) assert.notEqual(v, s, 'a live slot handed out twice');
        model.set(k, s);
      }
    } else if (op < 3) {
      if (found < 0) {
        const s = slots.add(p, pathId);
        assert.ok(!slots.pfx[s] || slots.pfx[s] === p);
        assert.ok(s < slots.capacity);
        for (const v of model.values()) assert.notEqual(v, s, 'a live slot handed out twice');
        model.set(k, s);
      }
    } else if (op < 9) {
      if (found >= 0) {
        slots.remove(found);
        model.delete(k);
      }
    } else if (model.size > 40) {
      // Now and then: continue on a copy (the original must not share state with it).
      const c = slots.copy();
      slots.clear();
      assert.equal(slots.size, 0);
      slots = c;
    }
    assert.equal(slots.size, model.size);
  }
  for (const [k, s] of model) {
    assert.ok(slots.isLive(s));
    assert.equal(keyOf(slots.pfx[s]!, slots.pathId(s)), k);
  }
  let live = 0;
  for (let s = 0; s < slots.end; s++) if (slots.isLive(s)) live++;
  assert.equal(live, model.size);
});

test('PrefixSlots grows past its initial capacity and keeps every key', () => {
  const slots = new PrefixSlots(4);
  const ps: Prefix[] = [];
  for (let i = 0; i < 5000; i++) {
    const p: Prefix = { afi: Afi.IPV4, len: 24, addr: new Uint8Array([10, (i >> 8) & 255, i & 255, 0]) };
    ps.push(p);
    assert.equal(slots.add(p, 0), i);
  }
  assert.ok(slots.capacity >= 5000);
  ps.forEach((p, i) => assert.equal(slots.find(p, 0), i));
  assert.equal(slots.find(ps[0]!, 1), -1);
  assert.equal(slots.find({ afi: Afi.IPV4, len: 23, addr: ps[0]!.addr }, 0), -1);
});
