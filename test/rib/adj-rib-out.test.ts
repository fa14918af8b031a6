// AdjRibOut on its own: what goes on the wire for a sequence of changes (decoded back with
// the session's decoder), the book-keeping behind it (sent/want, reference counts), ADD-PATH
// entries, route refresh, the catch-up walk's epochs and independent copies.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdjRibOut } from '../../src/rib/adj-rib-out.js';
import { attrSets, intern, type AttrSet } from '../../src/rib/attr-set.js';
import { DEFAULT_CODEC_CONTEXT, decodeUpdate, type CodecContext } from '../../src/bgp/codec/index.js';
import { formatPrefix, parsePrefix, IPV4_UNICAST, type Nlri } from '../../src/rib/prefix.js';

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
      withdrawn: u.withdrawn.map((n) => formatPrefix(n) + (n.pathId ? `#${n.pathId}` : '')),
      nlri: u.nlri.map((n) => formatPrefix(n) + (n.pathId ? `#${n.pathId}` : '')),
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
