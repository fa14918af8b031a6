// AdjRibOut on its own: what goes on the wire for a sequence of changes (decoded back with
// the session's decoder), the book-keeping behind it (sent/want, reference counts), ADD-PATH
// entries, route refresh, the catch-up walk's epochs and independent copies; the NLRI it hands
// out are rebuilt from its slots' key words (both families, with and without ADD-PATH).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdjRibOut } from '../../src/rib/adj-rib-out.js';
import { RoutingTable } from '../../src/rib/table.js';
import type { RouteSource } from '../../src/rib/route.js';
import { attrSets, intern, type AttrSet } from '../../src/rib/attr-set.js';
import { DEFAULT_CODEC_CONTEXT, decodeUpdate, type CodecContext } from '../../src/bgp/codec/index.js';
import { formatPrefix, parsePrefix, IPV4_UNICAST, IPV6_UNICAST, Afi, type Nlri, type Prefix } from '../../src/rib/prefix.js';
import { detachOnRetire } from '../../src/rib/columns.js';

// Every column growth detaches the old column (the daemon never does): code that kept a
// column across a growth would read a detached, empty one.
detachOnRetire(0);

const ctx: CodecContext = { ...DEFAULT_CODEC_CONTEXT, as4: true, ebgp: true };
const set = (asn: number): AttrSet => intern({ origin: 0, asPath: [{ type: 2, asns: [65000, asn] }], nextHop: new Uint8Array([192, 0, 2, 1]) });
const p = (s: string, pathId = 0): Nlri => ({ ...parsePrefix(s), pathId });

/** The `count` messages back to back in `b` (each length field checked). */
function split(b: Buffer, count: number): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0; off < b.length; ) {
    const len = b.readUInt16BE(off + 16);
    assert.ok(len >= 19 && off + len <= b.length, 'whole messages');
    out.push(b.subarray(off, off + len));
    off += len;
  }
  assert.equal(out.length, count, 'count says how many messages the buffer holds');
  return out;
}

/** Drains everything; returns the UPDATEs decoded: withdrawn and announced prefixes with the first AS after ours. */
function drainAll(out: AdjRibOut, c: CodecContext = ctx) {
  const msgs: Buffer[] = [];
  while (!out.drain((m, count = 1) => (msgs.push(...split(m, count)), true))) { /* slices */ }
  return msgs.map((m) => {
    const u = decodeUpdate(m, c);
    return {
      withdrawn: [...u.withdrawn, ...(u.mpUnreach?.withdrawn ?? [])].map((n) => formatPrefix(n) + (n.pathId ? `#${n.pathId}` : '')),
      nlri: [...u.nlri, ...(u.mpReach?.nlri ?? [])].map((n) => formatPrefix(n) + (n.pathId ? `#${n.pathId}` : '')),
      as: u.attributes.asPath?.[0]?.asns[1],
    };
  });
}

test('changes are coalesced per prefix, withdrawals go first, announcements are grouped by attribute set', () => {
  const out = new AdjRibOut(ctx, new Set());
  const a = set(1), b = set(2);
  out.set(p('10.0.0.0/24'), 0, attrSets.ref(a));
  out.set(p('10.0.1.0/24'), 0, attrSets.ref(a));
  out.set(p('10.0.2.0/24'), 0, attrSets.ref(b));
  let u = drainAll(out);
  assert.deepEqual(u.map((x) => [x.as, x.nlri.sort()]).sort(), [[1, ['10.0.0.0/24', '10.0.1.0/24']], [2, ['10.0.2.0/24']]]);
  assert.equal(out.stats.advertised, 3);
  // Flap between drains: only the final state goes out; an unchanged want costs nothing.
  out.set(p('10.0.0.0/24'), 0, undefined);
  out.set(p('10.0.0.0/24'), 0, attrSets.ref(b));
  out.set(p('10.0.1.0/24'), 0, undefined);
  out.set(p('10.0.2.0/24'), 0, attrSets.ref(b));
  u = drainAll(out);
  assert.deepEqual(u[0]!.withdrawn, ['10.0.1.0/24'], 'withdrawals first');
  assert.deepEqual(u.slice(1).map((x) => [x.as, x.nlri]), [[2, ['10.0.0.0/24']]]);
  assert.equal(out.stats.advertised, 2);
  assert.equal(out.advertised(parsePrefix('10.0.1.0/24')).length, 0);
  assert.equal(out.advertised(parsePrefix('10.0.0.0/24'))[0]!.attrs, b);
  // Wanted, then unwanted before it went out: nothing on the wire, nothing held.
  out.set(p('10.9.0.0/24'), 0, attrSets.ref(a));
  out.set(p('10.9.0.0/24'), 0, undefined);
  assert.deepEqual(drainAll(out), []);
  assert.equal(out.holds(p('10.9.0.0/24')), false);
  // References: an advertised entry holds two (what it wants and what it sent), nothing else.
  const ra = attrSets.refcount(a), rb = attrSets.refcount(b);
  out.clear();
  assert.equal(attrSets.refcount(a), ra);
  assert.equal(attrSets.refcount(b), rb - 4);
  assert.equal(attrSets.refcount(b), 1);
  assert.equal(out.stats.advertised, 0);
});

test('a slice with many interleaved sets: one bucket per set in the order of first appearance, slots in queue order; the next slice starts empty', () => {
  const out = new AdjRibOut(ctx, new Set());
  const N = 600; // more buckets, slots and set ids than the grouping starts with room for
  const sets = Array.from({ length: N }, (_, i) => set(1000 + i));
  const slice = () => {
    const want = new Map<number, string[]>();
    for (let i = 0; i < 3000; i++) {
      const k = (i * 7) % N, pfx = `10.${i >> 8}.${i & 255}.0/24`, asn = sets[k]!.asPath![0]!.asns[1]!;
      out.set(p(pfx), 0, attrSets.ref(sets[k]!));
      want.set(asn, [...(want.get(asn) ?? []), pfx]);
    }
    return want;
  };
  for (let round = 0; round < 2; round++) {
    const want = slice();
    out.sliceSize = 4096;
    const u = drainAll(out);
    // Messages of one set are consecutive, sets in order of first appearance, prefixes in queue order.
    const got = new Map<number, string[]>();
    for (const x of u) got.set(x.as!, [...(got.get(x.as!) ?? []), ...x.nlri]);
    assert.deepEqual([...got.keys()], [...want.keys()]);
    assert.deepEqual([...got.entries()], [...want.entries()]);
    assert.equal(new Set(u.map((x) => x.as)).size, N);
    assert.equal(out.stats.advertised, 3000);
    // Round two moves every prefix to another set (k + 1), so no bucket of round one may linger.
    sets.push(sets.shift()!);
  }
  out.clear();
  for (const s of sets) attrSets.unref(s);
});

test('ADD-PATH tx: one entry per path id, each withdrawn on its own; advertised() lists every path', () => {
  const ap = new Set([IPV4_UNICAST]);
  const c: CodecContext = { ...ctx, addPathTx: ap, addPathRx: ap };
  const out = new AdjRibOut(c, ap);
  const a = set(1), b = set(2);
  out.set(p('10.1.0.0/24'), 7, attrSets.ref(a));
  out.set(p('10.1.0.0/24'), 9, attrSets.ref(b));
  let u = drainAll(out, c);
  assert.deepEqual(u.flatMap((x) => x.nlri).sort(), ['10.1.0.0/24#7', '10.1.0.0/24#9']);
  assert.deepEqual(out.advertised(parsePrefix('10.1.0.0/24')).map((x) => x.pathId).sort(), [7, 9]);
  out.set(p('10.1.0.0/24'), 7, undefined);
  u = drainAll(out, c);
  assert.deepEqual(u.flatMap((x) => x.withdrawn), ['10.1.0.0/24#7']);
  assert.deepEqual(out.advertised(parsePrefix('10.1.0.0/24')).map((x) => x.pathId), [9]);
  assert.equal(out.holds(p('10.1.0.0/24', 7)), false);
  assert.equal(out.holds(p('10.1.0.0/24', 9)), true);
});

test('resendAll queues everything sent again; a walk skips what the drain sent after it began; copies are independent', () => {
  const out = new AdjRibOut(ctx, new Set());
  const a = set(1), b = set(2);
  for (let i = 0; i < 100; i++) out.set(p(`10.2.${i}.0/24`), 0, attrSets.ref(a));
  drainAll(out);
  out.resendAll(1);
  assert.equal(out.pending, 100);
  assert.equal(drainAll(out).flatMap((x) => x.nlri).length, 100);
  assert.equal(out.stats.advertised, 100);

  const walk = out.sentWalk();
  out.set(p('10.2.0.0/24'), 0, attrSets.ref(b)); // changed after the walk began …
  drainAll(out); // … and sent by the group's own stream
  const walked: string[] = [];
  while (!walk.done) walk.step((m, count = 1) => (walked.push(...split(m, count).flatMap((x) => decodeUpdate(x, ctx).nlri.map(formatPrefix))), true), 7);
  assert.equal(walked.length, 99);
  assert.ok(!walked.includes('10.2.0.0/24'), 'not sent twice');

  const c = out.copy();
  c.set(p('10.2.1.0/24'), 0, undefined);
  assert.equal(drainAll(c).flatMap((x) => x.withdrawn).length, 1);
  assert.equal(c.stats.advertised, 99);
  assert.equal(out.stats.advertised, 100, 'the original is untouched');
  assert.equal(out.advertised(parsePrefix('10.2.1.0/24')).length, 1);
  assert.deepEqual(out.sentNlri().length, 100);
  c.clear();
  out.clear();
});

test('NLRI are rebuilt from the stored words: IPv4 and IPv6, path ids with and without ADD-PATH, walks, copies and comparisons', () => {
  const set6 = (asn: number): AttrSet =>
    intern({ origin: 0, asPath: [{ type: 2, asns: [65000, asn] }], nextHop: parsePrefix('fd00::1').addr });
  const text = (n: Nlri) => `${formatPrefix(n)}#${n.pathId}`;
  const sorted = (l: readonly Nlri[]) => l.map(text).sort();
  // Plain Prefixes (no pathId field) and NLRI carrying another path id than the one set.
  const v4: Prefix[] = [parsePrefix('10.3.0.0/16'), p('10.3.1.0/24', 5), parsePrefix('10.3.2.128/25')];
  const v6: Prefix[] = [parsePrefix('fd00:1::/32'), p('fd00:1:0:0:1::/80', 5), parsePrefix('fd00:1::1:2:3:4/128')];

  // Without ADD-PATH: every NLRI goes out with path id 0, whatever the caller's object carried.
  const plain = new AdjRibOut(ctx, new Set());
  const a4 = set(1), a6 = set6(1);
  for (const x of v4) plain.set(x, 5, attrSets.ref(a4));
  for (const x of v6) plain.set(x, 5, attrSets.ref(a6));
  assert.deepEqual(sorted(plain.queuedChanges().map((c) => c.nlri)), [...v4, ...v6].map((x) => `${formatPrefix(x)}#0`).sort());
  const u = drainAll(plain);
  assert.deepEqual(u.flatMap((x) => x.nlri).sort(), [...v4, ...v6].map(formatPrefix).sort());
  assert.deepEqual(sorted(plain.sentNlri()), [...v4, ...v6].map((x) => `${formatPrefix(x)}#0`).sort());

  // With ADD-PATH tx for both families: the path id set, up to 2^32 - 1, and the family filters.
  const ap = new Set([IPV4_UNICAST, IPV6_UNICAST]);
  const c: CodecContext = { ...ctx, addPathTx: ap, addPathRx: ap };
  const out = new AdjRibOut(c, ap);
  const ids = [1, 0xffffffff, 0x80000000];
  v4.forEach((x, i) => out.set(x, ids[i]!, attrSets.ref(a4)));
  v6.forEach((x, i) => out.set(x, ids[i]!, attrSets.ref(a6)));
  out.set(v6[0]!, 2, attrSets.ref(a6)); // a second path for one IPv6 prefix
  const want = [...v4.map((x, i) => `${formatPrefix(x)}#${ids[i]}`), ...v6.map((x, i) => `${formatPrefix(x)}#${ids[i]}`), `${formatPrefix(v6[0]!)}#2`].sort();
  assert.deepEqual(sorted(out.queuedChanges().map((q) => q.nlri)), want);
  assert.deepEqual(drainAll(out, c).flatMap((x) => x.nlri).sort(), want);
  assert.deepEqual(sorted(out.sentNlri()), want);
  assert.deepEqual(out.advertised(v6[0]!).map((x) => x.pathId).sort(), [1, 2]);
  assert.equal(out.holds(p('fd00:1::/32', 2)), true);
  assert.equal(out.holds(p('fd00:1::/32', 3)), false);

  // A walk of one family sends that family only, with the stored path ids.
  const walked = (o: AdjRibOut, afi?: Afi): string[] => {
    const w = o.sentWalk(afi);
    const got: string[] = [];
    while (!w.done) {
      w.step((m, count = 1) => {
        for (const x of split(m, count)) {
          const d = decodeUpdate(x, c);
          for (const n of [...d.nlri, ...(d.mpReach?.nlri ?? [])]) got.push(text(n));
        }
        return true;
      }, 2);
    }
    return got.sort();
  };
  assert.deepEqual(walked(out, Afi.IPV6), want.filter((x) => x.includes(':')));
  assert.deepEqual(walked(out, Afi.IPV4), want.filter((x) => !x.includes(':')));

  // A copy holds the same (sameSentFrom compares by key words), until one side changes.
  const copy = out.copy();
  assert.equal(copy.sameSentFrom(out, 0, 100), -1);
  assert.equal(out.sameSentFrom(copy, 0, 100), -1);
  copy.set(v6[0]!, 2, undefined);
  drainAll(copy, c);
  assert.deepEqual(copy.advertised(v6[0]!).map((x) => x.pathId), [1], 'the copy has its own ADD-PATH lists');
  assert.deepEqual(out.advertised(v6[0]!).map((x) => x.pathId).sort(), [1, 2]);
  assert.equal(out.sameSentFrom(copy, 0, 100), -2);
  // Another index with equal first words but other IPv6 words is not the same.
  const other = new AdjRibOut(c, ap);
  v4.forEach((x, i) => other.set(x, ids[i]!, attrSets.ref(a4)));
  v6.forEach((x, i) => other.set(i === 2 ? parsePrefix('fd00:1::1:2:3:5/128') : x, ids[i]!, attrSets.ref(a6)));
  other.set(v6[0]!, 2, attrSets.ref(a6));
  drainAll(other, c);
  assert.equal(other.stats.advertised, out.stats.advertised);
  assert.equal(out.sameSentFrom(other, 0, 100), -2);

  // Route refresh of one family queues exactly that family's entries again.
  out.resendAll(Afi.IPV6);
  assert.deepEqual(sorted(out.queuedChanges().map((q) => q.nlri)), want.filter((x) => x.includes(':')));
  // Withdrawals carry the path ids too; removed entries leave their ADD-PATH lists.
  drainAll(out, c);
  v6.forEach((x, i) => out.set(x, ids[i]!, undefined));
  assert.deepEqual(drainAll(out, c).flatMap((x) => x.withdrawn).sort(), v6.map((x, i) => `${formatPrefix(x)}#${ids[i]}`).sort());
  assert.deepEqual(out.advertised(v6[0]!).map((x) => x.pathId), [2]);
  assert.deepEqual(out.advertised(v6[1]!), []);
  for (const o of [plain, out, copy, other]) o.clear();
});

test('id columns and the queue: references held exactly, growth past the initial sizes, part-drained copies, a drained queue reused', () => {
  const out = new AdjRibOut(ctx, new Set());
  out.sliceSize = 1000;
  const a = set(11), b = set(12);
  const ra = attrSets.refcount(a), rb = attrSets.refcount(b);
  const N = 20000; // past every initial column size and past the size a drained queue keeps
  const q = (i: number) => p(`10.${64 + (i >> 8)}.${i & 255}.0/24`);
  for (let i = 0; i < N; i++) out.set(q(i), 0, attrSets.ref(i % 3 === 0 ? b : a));
  assert.equal(out.pending, N);
  const nb = Math.ceil(N / 3);
  assert.equal(attrSets.refcount(a), ra + (N - nb), 'one reference per wanted entry');
  assert.equal(attrSets.refcount(b), rb + nb);
  assert.ok(out.byteLength >= N * (4 + 4 + 4 + 1 + 4), `byteLength ${out.byteLength} counts sent, want, queue, queued, epochs`);
  // Two slices out, then a copy: it continues with exactly the rest of the queue.
  let msgs = 0;
  assert.equal(out.drain((_m, count = 1) => ((msgs += count), true), 2), false);
  assert.equal(out.pending, N - 2000);
  assert.equal(out.stats.advertised, 2000);
  const c = out.copy();
  assert.equal(c.pending, N - 2000);
  assert.deepEqual(c.queuedChanges().slice(0, 3).map((x) => [formatPrefix(x.nlri), x.want]), [2000, 2001, 2002].map((i) => [formatPrefix(q(i)), i % 3 === 0 ? b : a]));
  // Sent entries hold one more reference (sent and want), and the copy doubles everything.
  const sentB = Math.ceil(2000 / 3);
  assert.equal(attrSets.refcount(b), rb + 2 * (nb + sentB));
  assert.equal(attrSets.refcount(a), ra + 2 * (N - nb + (2000 - sentB)));
  assert.equal(out.current(q(0)), b);
  assert.equal(out.current(q(1)), a);
  // Everything out on both; what each holds is the same.
  drainAll(out);
  drainAll(c);
  assert.equal(out.pending, 0);
  assert.equal(out.stats.advertised, N);
  assert.equal(c.stats.advertised, N);
  assert.equal(out.sameSentFrom(c, 0, N), -1);
  assert.equal(out.advertised(parsePrefix('10.64.3.0/24'))[0]!.attrs, b);
  // The drained queue takes new changes (a copy made when nothing is queued too).
  const idle = out.copy();
  for (const o of [out, idle]) {
    o.set(q(5), 0, attrSets.ref(b));
    o.set(q(6), 0, undefined);
    const u = drainAll(o);
    assert.deepEqual(u.flatMap((x) => x.withdrawn), [formatPrefix(q(6))]);
    assert.deepEqual(u.flatMap((x) => x.nlri), [formatPrefix(q(5))]);
    assert.equal(o.current(q(5)), b);
    assert.equal(o.current(q(6)), undefined);
    assert.equal(o.holds(q(6)), false);
  }
  assert.equal(out.sameSentFrom(idle, 0, N), -1);
  assert.equal(out.sameSentFrom(c, 0, N), -2);
  for (const o of [out, c, idle]) o.clear();
  assert.equal(attrSets.refcount(a), ra, 'clear drops every reference');
  assert.equal(attrSets.refcount(b), rb);
});

test('keyed by the table\'s net numbers: an entry pins its net, a withdrawn net stays invisible until the withdrawal is out, a route back meanwhile takes the same number', () => {
  const table = new RoutingTable();
  const src: RouteSource = { name: 's', kind: 'static' };
  const other: RouteSource = { name: 'o', kind: 'static' };
  const a = set(1), b = set(2);
  const put = (s: string, from = src, attrs = a) => table.put(parsePrefix(s), from, 0, attrSets.ref(attrs), 100, true, 0, 0);
  // An Adj-RIB-Out fed by the table, as an update group's channel feeds it.
  const out = new AdjRibOut(ctx, new Set(), table);
  table.subscribe({ exportMode: 'best', tableChanged: (net, now) => out.set(net.prefix, 0, now === undefined ? undefined : attrSets.ref(now.attrs), net.id) });
  put('10.0.0.0/8');
  put('10.1.0.0/16');
  const nh6 = new Uint8Array(16);
  nh6.set([0xfd, 0, 0, 9], 0);
  nh6[15] = 1;
  put('fd00:1::/64', src, intern({ origin: 0, asPath: [{ type: 2, asns: [65000, 6] }], nextHop: nh6 }));
  const n16 = table.netId(parsePrefix('10.1.0.0/16'));
  assert.ok(n16 >= 0);
  assert.deepEqual(drainAll(out).flatMap((u) => u.nlri).sort(), ['10.0.0.0/8', '10.1.0.0/16', 'fd00:1::/64']);
  assert.equal(out.stats.advertised, 3);
  // The /16 goes: the table no longer shows it, but keeps its number for the queued withdrawal.
  table.remove(parsePrefix('10.1.0.0/16'), src, 0);
  assert.equal(table.get(parsePrefix('10.1.0.0/16')), undefined);
  assert.equal(table.stats().nets, 2);
  assert.equal(formatPrefix(table.longestMatch(new Uint8Array([10, 1, 2, 3]))!.prefix), '10.0.0.0/8', 'longest match skips the kept net');
  const walked: string[] = [];
  table.walk((net) => walked.push(formatPrefix(net.prefix)));
  assert.deepEqual(walked, ['10.0.0.0/8', 'fd00:1::/64']);
  assert.deepEqual(table.cursor(Afi.IPV4).next(1).map((e) => formatPrefix(e.prefix)), ['10.0.0.0/8']);
  const c = table.cursor(Afi.IPV4);
  assert.equal(c.next(5).length, 1);
  assert.equal(table.netId(parsePrefix('10.1.0.0/16')), n16, 'kept while the Adj-RIB-Out holds it');
  // Back from another source before the withdrawal went out: the same net, one announcement.
  put('10.1.0.0/16', other, b);
  assert.equal(table.netId(parsePrefix('10.1.0.0/16')), n16);
  assert.equal(table.stats().nets, 3);
  let u = drainAll(out);
  assert.deepEqual(u.map((x) => [x.withdrawn, x.nlri, x.as]), [[[], ['10.1.0.0/16'], 2]], 'coalesced: the new route only');
  // Gone again, then the withdrawal goes out: the net leaves the table, its number is free.
  table.remove(parsePrefix('10.1.0.0/16'), other, 0);
  assert.equal(table.netId(parsePrefix('10.1.0.0/16')), n16);
  u = drainAll(out);
  assert.deepEqual(u.flatMap((x) => x.withdrawn), ['10.1.0.0/16']);
  assert.equal(table.netId(parsePrefix('10.1.0.0/16')), -1, 'unpinned after the withdrawal: freed');
  assert.equal(out.stats.advertised, 2);
  // A net nobody pinned leaves at once; an IPv6 net's prefix comes back from the table's words.
  table.remove(parsePrefix('fd00:1::/64'), src, 0);
  assert.deepEqual(drainAll(out).flatMap((x) => x.withdrawn), ['fd00:1::/64']);
  assert.equal(table.netId(parsePrefix('fd00:1::/64')), -1);
  // A copy pins again; clearing one leaves the other's nets in place.
  table.remove(parsePrefix('10.0.0.0/8'), src, 0);
  const copy = out.copy();
  out.clear();
  assert.equal(table.netId(parsePrefix('10.0.0.0/8')) >= 0, true, 'the copy still holds it');
  assert.deepEqual(drainAll(copy).flatMap((x) => x.withdrawn), ['10.0.0.0/8']);
  assert.equal(table.netId(parsePrefix('10.0.0.0/8')), -1);
  assert.deepEqual(table.stats(), { nets: 0, routes: 0 });
});
