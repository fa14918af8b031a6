// Property tests of PrefixTrie against a naive reference model (a Map and sorting), both
// families: random sets/deletes/gets, longest match by address and by prefix, subtree
// walks, and cursors stepped between modifications (the semantics in trie.ts's header);
// prefixes returned by value (built from the stored key words, not the objects given to set).

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PrefixTrie } from './trie.js';
import { Afi, Nlri4, Nlri6, formatPrefix, makeNlri, maskHostBits, parsePrefix, parseAddress, type Nlri, type Prefix } from './prefix.js';
import { detachOnRetire } from './columns.js';

// Every column growth detaches the old column (the daemon never does): code that kept a
// column across a growth would read a detached, empty one.
detachOnRetire(0);

// ---- reference model ---------------------------------------------------------------------

const key = (p: Prefix): string => formatPrefix(p);

function cmpPrefix(a: Prefix, b: Prefix): number {
  for (let i = 0; i < a.addr.length; i++) if (a.addr[i] !== b.addr[i]) return a.addr[i]! - b.addr[i]!;
  return a.len - b.len;
}

function covers(outer: Prefix, inner: { addr: Uint8Array; len: number }): boolean {
  if (outer.len > inner.len) return false;
  for (let bit = 0; bit < outer.len; bit++) {
    const i = bit >> 3, m = 0x80 >> (bit & 7);
    if ((outer.addr[i]! & m) !== (inner.addr[i]! & m)) return false;
  }
  return true;
}

class Model {
  m = new Map<string, { prefix: Prefix; value: number }>();
  set(p: Prefix, v: number) { this.m.set(key(p), { prefix: p, value: v }); }
  delete(p: Prefix) { return this.m.delete(key(p)); }
  get(p: Prefix) { return this.m.get(key(p))?.value; }
  sorted(within?: Prefix) {
    return [...this.m.values()].filter((e) => !within || covers(within, e.prefix)).sort((a, b) => cmpPrefix(a.prefix, b.prefix));
  }
  lpm(t: { addr: Uint8Array; len: number }) {
    let best: { prefix: Prefix; value: number } | undefined;
    for (const e of this.m.values()) if (covers(e.prefix, t) && (!best || e.prefix.len > best.prefix.len)) best = e;
    return best;
  }
}

// ---- generators ----------------------------------------------------------------------------

/** Prefixes from a small alphabet of byte values so that they nest and collide often. */
function prefixArb(afi: Afi): fc.Arbitrary<Prefix> {
  const n = afi === Afi.IPV4 ? 4 : 16;
  const byte = fc.constantFrom(0, 1, 0x80, 0xc0, 0xff, 10, 0x20);
  return fc.tuple(fc.array(byte, { minLength: n, maxLength: n }), fc.integer({ min: 0, max: n * 8 })).map(([bytes, len]) => {
    const addr = Uint8Array.from(bytes);
    maskHostBits(addr, len);
    return { afi, len, addr };
  });
}

type Op =
  | { t: 'set'; p: Prefix; v: number }
  | { t: 'del'; p: Prefix }
  | { t: 'get'; p: Prefix }
  | { t: 'lpm'; p: Prefix; asAddr: boolean }
  | { t: 'walk'; p: Prefix | null }
  | { t: 'step'; c: number; n: number };

function opArb(afi: Afi): fc.Arbitrary<Op> {
  const p = prefixArb(afi);
  return fc.oneof(
    { weight: 5, arbitrary: fc.record({ t: fc.constant('set' as const), p, v: fc.integer() }) },
    { weight: 3, arbitrary: fc.record({ t: fc.constant('del' as const), p }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('get' as const), p }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('lpm' as const), p, asAddr: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('walk' as const), p: fc.option(p, { nil: null }) }) },
    { weight: 3, arbitrary: fc.record({ t: fc.constant('step' as const), c: fc.integer({ min: 0, max: 2 }), n: fc.integer({ min: 1, max: 4 }) }) },
  );
}

/** The model of a cursor: the last prefix returned; next(n) = first n live entries after it. */
class ModelCursor {
  last: Prefix | undefined;
  done = false;
  constructor(readonly within: Prefix | undefined) {}
  next(model: Model, n: number): Prefix[] {
    if (this.done) return [];
    const after = model.sorted(this.within).filter((e) => !this.last || cmpPrefix(e.prefix, this.last) > 0);
    const out = after.slice(0, n).map((e) => e.prefix);
    if (out.length) this.last = out[out.length - 1];
    if (out.length < n) this.done = true;
    return out;
  }
}

function runOps(afi: Afi, ops: Op[], withins: (Prefix | null)[]): void {
  // Blocks of 4 nodes: the order splits and merges its blocks all the time.
  const trie = new PrefixTrie<number>(afi, 4, 4);
  const model = new Model();
  const cursors = withins.map((w) => trie.cursor(w ?? undefined));
  const mcursors = withins.map((w) => new ModelCursor(w ?? undefined));
  const visited = withins.map(() => new Set<string>());
  for (const op of ops) {
    switch (op.t) {
      case 'set': trie.set(op.p, op.v); model.set(op.p, op.v); break;
      case 'del': assert.equal(trie.delete(op.p), model.delete(op.p), `delete ${key(op.p)}`); break;
      case 'get':
        assert.equal(trie.get(op.p), model.get(op.p), `get ${key(op.p)}`);
        assert.equal(trie.has(op.p), model.get(op.p) !== undefined);
        break;
      case 'lpm': {
        const target = op.asAddr ? op.p.addr : op.p;
        const want = model.lpm(op.asAddr ? { addr: op.p.addr, len: op.p.addr.length * 8 } : op.p);
        const got = trie.longestMatchEntry(target);
        assert.equal(got && key(got.prefix), want && key(want.prefix), `lpm ${key(op.p)} asAddr=${op.asAddr}`);
        assert.equal(trie.longestMatch(target), want?.value);
        break;
      }
      case 'walk': {
        const got: string[] = [];
        trie.walk((p, v) => got.push(`${key(p)}=${v}`), op.p ?? undefined);
        const want = model.sorted(op.p ?? undefined).map((e) => `${key(e.prefix)}=${e.value}`);
        assert.deepEqual(got, want, `walk ${op.p ? key(op.p) : 'all'}`);
        break;
      }
      case 'step': {
        const got = cursors[op.c]!.next(op.n).map((e) => key(e.prefix));
        const want = mcursors[op.c]!.next(model, op.n).map(key);
        assert.deepEqual(got, want, `cursor ${op.c} next(${op.n})`);
        assert.equal(cursors[op.c]!.done, mcursors[op.c]!.done);
        for (const k of got) {
          assert.ok(!visited[op.c]!.has(k), `cursor visited ${k} twice`);
          visited[op.c]!.add(k);
        }
        break;
      }
    }
    assert.equal(trie.size, model.m.size);
  }
  // Final full comparison, and the structure shrinks back when everything is deleted.
  assert.deepEqual(trie.entries().map((e) => key(e.prefix)), model.sorted().map((e) => key(e.prefix)));
  for (const e of model.sorted()) assert.ok(trie.delete(e.prefix));
  assert.equal(trie.size, 0);
  assert.deepEqual(trie.entries(), []);
  assert.equal(trie.nodeCount, 0, 'no node remains after deleting everything and a walk (which sweeps the dead)');
  assert.equal(trie.pendingCount, 0);
}

for (const afi of [Afi.IPV4, Afi.IPV6]) {
  const fam = afi === Afi.IPV4 ? 'IPv4' : 'IPv6';
  describe(`PrefixTrie ${fam} against a reference model`, () => {
    test('random operations, walks and cursors resumed across modifications', () => {
      fc.assert(
        fc.property(
          fc.array(opArb(afi), { minLength: 1, maxLength: 150, size: 'max' }),
          fc.array(fc.option(prefixArb(afi), { nil: null, freq: 2 }), { minLength: 3, maxLength: 3 }),
          (ops, withins) => runOps(afi, ops, withins),
        ),
        { numRuns: 400 },
      );
    });
  });
}

describe('PrefixTrie examples', () => {
  test('exact, longest match and order', () => {
    // Values are 32-bit integers (the table stores net numbers): here the index of each name.
    const names = ['10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24', '0.0.0.0/0', '192.168.0.0/16', '10.0.0.0/16'];
    const t = new PrefixTrie<number>(Afi.IPV4);
    names.forEach((s, i) => t.set(parsePrefix(s), i));
    const name = (v: number | undefined) => (v === undefined ? undefined : names[v]);
    assert.equal(t.size, 6);
    assert.equal(name(t.get(parsePrefix('10.1.0.0/16'))), '10.1.0.0/16');
    assert.equal(t.get(parsePrefix('10.2.0.0/16')), undefined);
    assert.equal(name(t.longestMatch(parseAddress('10.1.2.3'))), '10.1.2.0/24');
    assert.equal(name(t.longestMatch(parseAddress('10.1.3.3'))), '10.1.0.0/16');
    assert.equal(name(t.longestMatch(parseAddress('11.0.0.1'))), '0.0.0.0/0');
    assert.equal(name(t.longestMatch(parsePrefix('10.1.2.0/23'))), '10.1.0.0/16');
    assert.deepEqual(t.entries().map((e) => name(e.value)), [
      '0.0.0.0/0', '10.0.0.0/8', '10.0.0.0/16', '10.1.0.0/16', '10.1.2.0/24', '192.168.0.0/16',
    ]);
    assert.deepEqual(t.entries(parsePrefix('10.1.0.0/16')).map((e) => name(e.value)), ['10.1.0.0/16', '10.1.2.0/24']);
    assert.ok(t.delete(parsePrefix('0.0.0.0/0')));
    assert.equal(t.longestMatch(parseAddress('11.0.0.1')), undefined);
  });

  test('cursor: added behind not revisited, added ahead visited, removed ahead skipped', () => {
    const t = new PrefixTrie<number>(Afi.IPV6);
    for (let i = 0; i < 10; i++) t.set(parsePrefix(`fd00:${i}::/32`), i);
    const c = t.cursor(parsePrefix('fd00::/16'));
    assert.deepEqual(c.next(3).map((e) => e.value), [0, 1, 2]);
    t.set(parsePrefix('fd00:1:1::/48'), 100); // behind
    t.set(parsePrefix('fd00:5:1::/48'), 500); // ahead
    t.delete(parsePrefix('fd00:4::/32')); // ahead
    t.delete(parsePrefix('fd00:2::/32')); // the cursor's own position
    assert.deepEqual(c.next(4).map((e) => e.value), [3, 5, 500, 6]);
    assert.deepEqual(c.next(10).map((e) => e.value), [7, 8, 9]);
    assert.ok(c.done);
    t.set(parsePrefix('fd00:ff::/32'), 1);
    assert.deepEqual(c.next(10), [], 'a finished cursor stays finished');
  });

  test('20k random prefixes: exact index and trie agree through growth and deletions', () => {
    const t = new PrefixTrie<number>(Afi.IPV4, 4);
    const model = new Model();
    const r = fc.sample(fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 })), { numRuns: 20000, seed: 42 });
    const ps = r.map(([a, len]) => {
      const addr = Uint8Array.of(a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255);
      maskHostBits(addr, len);
      return { afi: Afi.IPV4, len, addr } as Prefix;
    });
    ps.forEach((p, i) => { t.set(p, i); model.set(p, i); });
    ps.forEach((p, i) => { if (i % 2) assert.equal(t.delete(p), model.delete(p)); });
    assert.equal(t.size, model.m.size);
    for (const p of ps) assert.equal(t.get(p), model.get(p));
    assert.deepEqual(t.entries().map((e) => e.value), model.sorted().map((e) => e.value));
    for (const p of ps.slice(0, 200)) {
      const a = p.addr.slice(); a[3] = a[3]! | 1;
      assert.equal(t.longestMatch(a), model.lpm({ addr: a, len: 32 })?.value);
    }
  });

  test('batches ordered late: a second batch lands among the first\'s nodes, pending deletes, both families', () => {
    for (const afi of [Afi.IPV4, Afi.IPV6]) {
      const t = new PrefixTrie<number>(afi, 4, 8);
      const model = new Model();
      const bytes = afi === Afi.IPV4 ? 4 : 16;
      const r = fc.sample(fc.tuple(fc.array(fc.constantFrom(0, 1, 0x80, 0xfe, 10), { minLength: bytes, maxLength: bytes }), fc.integer({ min: 0, max: bytes * 8 })), { numRuns: 3000, seed: 7 });
      const ps = r.map(([b, len]) => {
        const addr = Uint8Array.from(b);
        maskHostBits(addr, len);
        return { afi, len, addr } as Prefix;
      });
      // Round 1 orders a batch; round 2's batch lands among its nodes (blocks of 8 split).
      ps.slice(0, 1500).forEach((p, i) => { t.set(p, i); model.set(p, i); });
      assert.deepEqual(t.entries().map((e) => e.value), model.sorted().map((e) => e.value));
      ps.slice(1500).forEach((p, i) => { t.set(p, 1500 + i); model.set(p, 1500 + i); });
      ps.forEach((p, i) => { if (i % 3 === 0) assert.equal(t.delete(p), model.delete(p)); });
      assert.equal(t.size, model.m.size);
      assert.deepEqual(t.entries().map((e) => e.value), model.sorted().map((e) => e.value));
      for (const p of ps.slice(0, 300)) assert.equal(t.longestMatch(p), model.lpm(p)?.value);
    }
  });

  test('walk refuses modification from its callback', () => {
    const t = new PrefixTrie<number>(Afi.IPV4);
    t.set(parsePrefix('10.0.0.0/8'), 1);
    t.set(parsePrefix('11.0.0.0/8'), 2);
    assert.throws(() => t.walk((p) => t.delete(p)), { code: 'ERR_RIB_WALK_MODIFIED' });
  });

  test('wrong family is a typed error', () => {
    const t = new PrefixTrie<number>(Afi.IPV4);
    assert.throws(() => t.set(parsePrefix('fd00::/8'), 1), { code: 'ERR_RIB_FAMILY' });
  });
});

describe('PrefixTrie returns prefixes built from its key words', () => {
  /** q is a new Nlri4/Nlri6 equal to p by value: family, length, address bytes, path id 0. */
  function assertSame(q: Prefix, p: Prefix): void {
    assert.ok(q instanceof (p.afi === Afi.IPV4 ? Nlri4 : Nlri6), 'an Nlri4 / Nlri6');
    assert.equal(q.afi, p.afi);
    assert.equal(q.len, p.len);
    assert.deepEqual([...q.addr], [...p.addr], formatPrefix(p));
    assert.equal((q as Nlri).pathId, 0);
  }

  for (const [fam, afi, texts, addr] of [
    ['IPv4', Afi.IPV4, ['0.0.0.0/0', '10.0.0.0/8', '10.1.0.0/16', '10.1.2.128/25', '255.255.255.255/32', '192.0.2.0/24'], '10.1.2.200'],
    ['IPv6', Afi.IPV6, ['::/0', 'fd00::/8', 'fd00:1:2:3::/64', 'fd00:1:2:3:4:5:6:0/112', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128', '2001:db8::/32'], 'fd00:1:2:3:4:5:6:7'],
  ] as const) {
    test(`${fam}: walk, cursor (and its position) and longestMatchEntry give equal prefixes, not the objects set`, () => {
      const t = new PrefixTrie<number>(afi, 4);
      // Half the keys as NLRI objects with a path id (the codec's), half as plain Prefixes.
      const given: Prefix[] = texts.map((x, i) => (i % 2 === 0 ? parsePrefix(x) : makeNlri(parsePrefix(x), 77)));
      given.forEach((p, i) => t.set(p, i));
      const sorted = [...given].sort((a, b) => {
        for (let i = 0; i < a.addr.length; i++) if (a.addr[i] !== b.addr[i]) return a.addr[i]! - b.addr[i]!;
        return a.len - b.len;
      });
      const walked: [Prefix, number][] = [];
      t.walk((p, v) => walked.push([p, v]));
      assert.equal(walked.length, given.length);
      walked.forEach(([q, v], i) => {
        assertSame(q, sorted[i]!);
        assert.equal(v, given.indexOf(sorted[i]!));
        assert.ok(!given.includes(q), 'the object given to set is not kept');
      });
      const c = t.cursor();
      const got: Prefix[] = [];
      for (;;) {
        const step = c.next(4);
        step.forEach((e) => got.push(e.prefix));
        if (step.length > 0) assertSame(c.position!, step[step.length - 1]!.prefix);
        if (c.done) break;
        // Resume by key after a change: the position is re-sought from its words.
        t.set(parsePrefix(texts[0]!), 0);
        t.delete(parsePrefix(texts[0]!));
        t.set(given[0]!, 0);
      }
      assert.equal(got.length, given.length);
      got.forEach((q, i) => assertSame(q, sorted[i]!));
      const e = t.longestMatchEntry(parseAddress(addr))!;
      assertSame(e.prefix, given[3]!);
      assert.equal(e.value, 3);
      assertSame(t.longestMatchEntry(given[2]!)!.prefix, given[2]!);
      assertSame(t.longestMatchEntry(makeNlri(given[2]!, 5))!.prefix, given[2]!);
      // The root (/0) and a full-length key come back right too.
      assertSame(t.longestMatchEntry(parsePrefix(texts[5]!))!.prefix, given[5]!);
      t.delete(given[5]!);
      assertSame(t.longestMatchEntry(parsePrefix(texts[5]!))!.prefix, given[0]!);
    });
  }
});

test('getOrSet: the value of a present prefix (unchanged), else sets it; index growth, walks and longest match agree', () => {
  for (const afi of [Afi.IPV4, Afi.IPV6]) {
    const trie = new PrefixTrie<number>(afi, 16);
    const model = new Map<string, number>();
    const rnd = lcg(7);
    for (let i = 0; i < 20000; i++) {
      const bytes = new Uint8Array(afi === Afi.IPV4 ? 4 : 16);
      // Few distinct prefixes, so that many calls find one present.
      bytes[0] = 10;
      bytes[1] = Math.floor(rnd() * 64);
      bytes[2] = Math.floor(rnd() * 64);
      const len = 8 + Math.floor(rnd() * 17);
      const p = { afi, len, addr: bytes };
      for (let b = len; b < bytes.length * 8; b++) bytes[b >> 3]! &= ~(0x80 >> (b & 7));
      const k = `${bytes.join('.')}/${len}`;
      const had = model.get(k);
      assert.equal(trie.getOrSet(p, i), had);
      if (had === undefined) model.set(k, i);
    }
    assert.equal(trie.size, model.size);
    const walked = new Map<string, number>();
    trie.walk((p, v) => walked.set(`${p.addr.join('.')}/${p.len}`, v));
    assert.deepEqual(walked, model);
    const probe = new Uint8Array(afi === Afi.IPV4 ? 4 : 16);
    probe[0] = 10;
    probe[1] = 5;
    probe[2] = 9;
    const lm = trie.longestMatchEntry(probe);
    let best: [string, number] | undefined;
    for (const [k, v] of model) {
      const [a, l] = k.split('/');
      const ab = a!.split('.').map(Number);
      let ok = true;
      for (let b = 0; b < Number(l); b++) if (((ab[b >> 3]! >> (7 - (b & 7))) & 1) !== ((probe[b >> 3]! >> (7 - (b & 7))) & 1)) ok = false;
      if (ok && (best === undefined || Number(l) > Number(best[0].split('/')[1]))) best = [k, v];
    }
    assert.equal(lm?.value, best?.[1]);
  }
});

/** A seeded linear congruential generator: numbers in [0, 1), the same run for a seed. */
function lcg(seed: number): () => number {
  return () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
}

/** A random prefix of `afi` under 10/8: second octet below `spread`, length 8..24, host bits zero. */
function prefixUnder10(afi: Afi, rnd: () => number, spread: number): Prefix {
  const addr = new Uint8Array(afi === Afi.IPV4 ? 4 : 16);
  addr[0] = 10;
  addr[1] = Math.floor(rnd() * spread);
  addr[2] = Math.floor(rnd() * 256);
  const len = 8 + Math.floor(rnd() * 17);
  maskHostBits(addr, len);
  return { afi, len, addr };
}

/** The model's longest prefix covering `addr` (the model keyed by formatPrefix). */
function modelLongestMatch(model: ReadonlyMap<string, number>, afi: Afi, addr: Uint8Array): string | undefined {
  let best: string | undefined, bestLen = -1;
  for (const k of model.keys()) {
    const m = parsePrefix(k);
    const masked = addr.slice();
    maskHostBits(masked, m.len);
    if (m.len > bestLen && formatPrefix({ afi, len: m.len, addr: masked }) === k) {
      best = k;
      bestLen = m.len;
    }
  }
  return best;
}

test('settleSome orders pending prefixes and sweeps dead ones in slices between inserts and deletes; walks and longest match stay right', () => {
  for (const afi of [Afi.IPV4, Afi.IPV6]) {
    const trie = new PrefixTrie<number>(afi, 16, 16);
    const model = new Map<string, number>();
    const rnd = lcg(11);
    const random = (): Prefix => prefixUnder10(afi, rnd, 32);
    let sliced = 0;
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 300; i++) {
        const p = random();
        const k = formatPrefix(p);
        if (rnd() < 0.2 && model.has(k)) {
          assert.equal(trie.delete(p), true);
          model.delete(k);
        } else if (trie.getOrSet(p, round * 1000 + i) === undefined) model.set(k, round * 1000 + i);
      }
      // Settle part of what is pending, sometimes nothing, sometimes all of it.
      const before = trie.pendingCount;
      const max = [0, 50, 1000, Infinity][round % 4]!;
      const left = trie.settleSome(max);
      assert.equal(left, trie.pendingCount);
      assert.ok(left <= before && left >= before - max, `${before} pending, ${max} asked, ${left} left`);
      if (left < before) sliced++;
      if (round % 5 === 4) {
        // A walk settles the rest and sees exactly the model.
        const walked = new Map<string, number>();
        trie.walk((p, v) => walked.set(formatPrefix(p), v));
        assert.deepEqual(walked, model);
        assert.equal(trie.pendingCount, 0);
      }
    }
    assert.ok(sliced > 10);
    assert.equal(trie.size, model.size);
    // Longest match over the final state, against the model.
    for (let i = 0; i < 200; i++) {
      const q = random();
      const e = trie.longestMatchEntry(q.addr);
      assert.equal(e === undefined ? undefined : formatPrefix(e.prefix), modelLongestMatch(model, afi, q.addr));
    }
  }
});

test('longest match over a big unordered load leaves it unordered; same answers as after ordering', () => {
  for (const afi of [Afi.IPV4, Afi.IPV6]) {
    const trie = new PrefixTrie<number>(afi, 16);
    const model = new Map<string, number>();
    const rnd = lcg(5);
    for (let i = 0; model.size < 20000; i++) {
      const p = prefixUnder10(afi, rnd, 64);
      if (trie.getOrSet(p, i) === undefined) model.set(formatPrefix(p), i);
    }
    // Odd values are refused by `accept`: the match goes on to a shorter prefix.
    const accept = (v: number) => v % 2 === 0;
    // Addresses (host bits set too), so that matches of every length are asked for.
    const queries = Array.from({ length: 300 }, () => {
      const a = prefixUnder10(afi, rnd, 64).addr;
      a[3] = Math.floor(rnd() * 256);
      return a;
    });
    const pending = trie.pendingCount;
    assert.ok(pending > 16384);
    const before = queries.map((a) => [trie.longestMatchEntry(a), trie.longestMatchEntry(a, accept)]);
    assert.equal(trie.pendingCount, pending, 'nothing ordered');
    trie.settleSome(Infinity);
    const after = queries.map((a) => [trie.longestMatchEntry(a), trie.longestMatchEntry(a, accept)]);
    const key = (e: { prefix: Prefix; value: number } | undefined) => (e === undefined ? '-' : `${formatPrefix(e.prefix)}=${e.value}`);
    assert.deepEqual(before.map((x) => x.map(key)), after.map((x) => x.map(key)));
    assert.ok(before.some(([e]) => e !== undefined), 'some queries match');
    assert.ok(before.some(([e, a]) => key(e) !== key(a)), 'accept changes some answers');
  }
});

test('a load of several sort runs is ordered in slices, merged across runs, with deletes and re-adds on the way', () => {
  for (const afi of [Afi.IPV4, Afi.IPV6]) {
    const trie = new PrefixTrie<number>(afi, 16);
    const model = new Model();
    const rnd = lcg(23);
    // 50k prefixes (four runs of 16384) under few first words: IPv6 runs have long stretches
    // of equal first words, which the merge orders by the whole key.
    const ps: Prefix[] = [];
    for (let i = 0; ps.length < 50000; i++) {
      const addr = new Uint8Array(afi === Afi.IPV4 ? 4 : 16);
      addr[0] = 10;
      addr[1] = Math.floor(rnd() * 4);
      for (let b = 2; b < addr.length; b++) addr[b] = Math.floor(rnd() * 256);
      const len = afi === Afi.IPV4 ? 16 + Math.floor(rnd() * 17) : 32 + Math.floor(rnd() * 97);
      maskHostBits(addr, len);
      const p = { afi, len, addr };
      if (trie.getOrSet(p, i) === undefined) {
        model.set(p, i);
        ps.push(p);
      }
    }
    // Ordered alone, the load is merged across its runs in preorder: every node appended.
    const alone = new PrefixTrie<number>(afi, 16);
    ps.forEach((p, i) => alone.set(p, i));
    while (alone.settleSome(3000) > 0);
    assert.equal(alone.searchedCount, 0, 'a sorted load is appended, never searched for');
    assert.equal(alone.size, ps.length);
    let slices = 0;
    for (let round = 0; trie.pendingCount > 0; round++) {
      trie.settleSome(3000);
      slices++;
      if (round >= 40) continue;
      // Between the first slices: a delete of a pending or ordered prefix, and a set (a new
      // prefix again when it was deleted before).
      const p = ps[(round * 7919) % ps.length]!;
      assert.equal(trie.delete(p), model.delete(p));
      const q = ps[(round * 104729) % ps.length]!;
      trie.set(q, round);
      model.set(q, round);
    }
    assert.ok(slices > 10, `${slices} slices`);
    assert.deepEqual(trie.entries().map((e) => `${key(e.prefix)}=${e.value}`), model.sorted().map((e) => `${key(e.prefix)}=${e.value}`));
  }
});
