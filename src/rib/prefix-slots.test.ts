// PrefixSlots against a Map keyed by "prefix#pathId" text: adds, findOrAdds, finds and removes of IPv4 and
// IPv6 keys with colliding-looking addresses (few distinct bytes, so probe runs are long and
// backward-shift deletion is exercised), path ids up to 2^32-1, slot reuse and copies; prefixAt
// (keys rebuilt from the stored words), IPv6 keys differing only in their last 96 bits, and the
// IPv6 column allocated only for IPv6 keys.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PrefixSlots } from './prefix-slots.js';
import { Afi, Nlri4, Nlri6, formatPrefix, maskHostBits, parsePrefix, type Prefix } from './prefix.js';
import { detachOnRetire } from './columns.js';

// Every column growth detaches the old column (the daemon never does): code that kept a
// column across a growth would read a detached, empty one.
detachOnRetire(0);

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
        assert.equal(keyOf(slots.prefixAt(s), slots.pathId(s)), k, 'prefixAt gives the key back (by value)');
        assert.equal(slots.prefixAt(s).pathId, pathId);
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
    const q = slots.prefixAt(s);
    assert.equal(keyOf(q, q.pathId), k);
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

/** An IPv6 prefix from its four words. */
const v6 = (w0: number, w1: number, w2: number, w3: number, len: number): Prefix => {
  const addr = new Uint8Array(16);
  [w0, w1, w2, w3].forEach((w, i) => new DataView(addr.buffer).setUint32(i * 4, w >>> 0));
  maskHostBits(addr, len);
  return { afi: Afi.IPV6, len, addr };
};

/** prefixAt(s) equals p with path id `id`: family, length, address bytes, path id; and is an Nlri4/Nlri6. */
function assertAt(slots: PrefixSlots, s: number, p: Prefix, id: number): void {
  const q = slots.prefixAt(s);
  assert.ok(q instanceof (p.afi === Afi.IPV4 ? Nlri4 : Nlri6));
  assert.equal(q.afi, p.afi);
  assert.equal(q.len, p.len);
  assert.deepEqual([...q.addr], [...p.addr], formatPrefix(p));
  assert.equal(q.pathId, id);
  assert.equal(slots.pathId(s), id);
  assert.equal(slots.afi(s), p.afi);
}

test('IPv6 keys that differ only in words 1..3 get their own slots; prefixAt rebuilds them through rehash, copy and remove', () => {
  const slots = new PrefixSlots(4);
  // Same first word, same length, same path id: only the ext words tell them apart.
  const keys: { p: Prefix; id: number }[] = [];
  for (let i = 0; i < 300; i++) {
    const p = v6(0x20010db8, i % 3 === 0 ? i : 0, i % 3 === 1 ? i * 0x10001 : 0, i % 3 === 2 ? -i : 7, 128);
    keys.push({ p, id: i % 5 === 0 ? 0xffffffff : i % 2 });
  }
  const at = keys.map(({ p, id }) => slots.add(p, id)); // grows and rehashes several times
  assert.equal(new Set(at).size, keys.length, 'a slot per key');
  keys.forEach(({ p, id }, i) => {
    assert.equal(slots.find(p, id), at[i]);
    assertAt(slots, at[i]!, p, id);
    assert.equal(slots.find(p, id === 0 ? 1 : 0), -1, 'another path id is another key');
  });
  // An IPv4 key whose address equals an IPv6 key's first word is another key too.
  const four: Prefix = { afi: Afi.IPV4, len: 32, addr: new Uint8Array([0x20, 0x01, 0x0d, 0xb8]) };
  assert.equal(slots.find(four, 0), -1);
  const s4 = slots.add(four, 0);
  assertAt(slots, s4, four, 0);

  const copy = slots.copy();
  // Remove every other key from the original: backward shifts move the rest in the index.
  for (let i = 0; i < keys.length; i += 2) slots.remove(slots.find(keys[i]!.p, keys[i]!.id));
  keys.forEach(({ p, id }, i) => {
    if (i % 2 === 0) assert.equal(slots.find(p, id), -1);
    else {
      assert.equal(slots.find(p, id), at[i]);
      assertAt(slots, at[i]!, p, id);
    }
    // The copy is independent: it still has every key, in the same slots.
    assert.equal(copy.find(p, id), at[i]);
    assertAt(copy, at[i]!, p, id);
    assert.equal(slots.findSlotOf(copy, at[i]!), i % 2 === 0 ? -1 : at[i]);
    if (i % 2 === 1) assert.equal(copy.findSlotOf(slots, at[i]!), at[i]);
  });
  // Freed slots are reused for new keys, and prefixAt shows the new key, not the old one.
  const fresh = v6(0x20010db8, 1, 2, 3, 127);
  const s = slots.add(fresh, 9);
  assert.ok(at.includes(s), 'a freed slot is reused');
  assertAt(slots, s, fresh, 9);
  assert.equal(copy.find(fresh, 9), -1);
  assert.equal(copy.findSlotOf(slots, s), -1);
});

test('findSlotOf finds a key of another index by its words', () => {
  const a = new PrefixSlots(), b = new PrefixSlots();
  const ps = [parsePrefix('10.0.0.0/8'), parsePrefix('10.0.0.0/16'), parsePrefix('fd00::/64'), parsePrefix('fd00:0:0:1::/64')];
  const sa = ps.map((p, i) => a.add(p, i));
  b.add(ps[3]!, 3);
  b.add(ps[0]!, 0);
  b.add(ps[2]!, 1); // another path id
  assert.deepEqual(sa.map((s) => b.findSlotOf(a, s)), [b.find(ps[0]!, 0), -1, -1, b.find(ps[3]!, 3)]);
  assert.ok(b.findSlotOf(a, sa[0]!) >= 0 && b.findSlotOf(a, sa[3]!) >= 0);
});

test('an IPv4-only index allocates no IPv6 column; the first IPv6 key adds 3 words per slot', () => {
  const four = new PrefixSlots(), six = new PrefixSlots();
  for (let i = 0; i < 100; i++) {
    const p: Prefix = { afi: Afi.IPV4, len: 24, addr: new Uint8Array([10, 0, i, 0]) };
    four.add(p, 0);
    six.add(p, 0);
  }
  // 100 → 101 keys: no growth of the slots (capacity 128) nor of the index (half full at 128).
  const cap = four.capacity;
  assert.equal(cap, 128);
  const before = four.byteLength;
  four.add(parsePrefix('10.1.0.0/16'), 0);
  six.add(parsePrefix('fd00::/8'), 0);
  assert.equal(four.byteLength, before, 'an IPv4 key allocates nothing more');
  assert.equal(six.byteLength - before, cap * 3 * 4, 'the IPv6 column: 3 words per slot');
  // Growth keeps the column the size of the slots.
  for (let i = 0; i < 200; i++) six.add(v6(0xfd000000, i, 0, 0, 64), 0);
  assert.ok(six.capacity > cap);
  six.remove(six.find(parsePrefix('fd00::/8'), 0));
  for (let i = 0; i < 200; i++) assertAt(six, six.find(v6(0xfd000000, i, 0, 0, 64), 0), v6(0xfd000000, i, 0, 0, 64), 0);
  // clear() drops the column; IPv4 keys after it do not bring it back.
  six.clear();
  const empty = six.byteLength;
  six.add(parsePrefix('10.0.0.0/8'), 0);
  assert.equal(six.byteLength, empty);
  six.add(parsePrefix('fd00::/8'), 5);
  assert.equal(six.byteLength, empty + six.capacity * 12);
  assertAt(six, six.find(parsePrefix('fd00::/8'), 5), parsePrefix('fd00::/8'), 5);
});

test('IPv6 keys with the same hash, first word, length and path id are told apart by their other words', () => {
  // Find two keys whose 32-bit hashes collide (birthday bound: 2^18 keys make one near certain),
  // so that the probe's hash check passes and only the comparison of words 1..3 separates them.
  const hash = (PrefixSlots as unknown as { hash(k0: number, meta: number, pid: number, w1: number, w2: number, w3: number): number }).hash;
  const meta = 128 | 0x100 | 0x200; // length | V6 | LIVE, as stored
  const seen = new Map<number, number>();
  let pair: [number, number] | undefined;
  const w2Of = (i: number) => Math.imul(i, 0x9e3779b1);
  for (let i = 1; i < 1 << 20 && pair === undefined; i++) {
    const h = hash(0x20010db8, meta, 0, i, w2Of(i), 0);
    const j = seen.get(h);
    if (j === undefined) seen.set(h, i);
    else pair = [j, i];
  }
  assert.ok(pair, 'a hash collision exists among 2^20 keys');
  const [a, b] = pair.map((i) => v6(0x20010db8, i, w2Of(i), 0, 128)) as [Prefix, Prefix];
  const slots = new PrefixSlots();
  const sa = slots.add(a, 0);
  assert.equal(slots.find(b, 0), -1, 'same hash, other words: not found');
  const sb = slots.add(b, 0);
  assert.notEqual(sa, sb);
  assertAt(slots, sa, a, 0);
  assertAt(slots, sb, b, 0);
  const c = slots.copy();
  slots.remove(sa);
  assert.equal(slots.find(a, 0), -1);
  assert.equal(slots.find(b, 0), sb);
  assert.equal(c.find(a, 0), sa);
  assert.equal(c.findSlotOf(slots, sb), sb);
  assert.equal(slots.findSlotOf(c, sa), -1);
});
