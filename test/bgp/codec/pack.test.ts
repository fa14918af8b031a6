// UPDATE packing: one shared attribute block, as few messages as fit the session limit,
// every prefix carried once and in order; withdrawals likewise.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { WrenError } from '../../../src/bgp/errors.js';
import {
  type CodecContext, DEFAULT_CODEC_CONTEXT, type PathAttributes, type UpdateMessage, decodeMessage, encodeAttributeBlock,
  packUpdates, packWithdrawals, packUpdateRun, packWithdrawalRun, MessageBuffer, NlriRun, putNlriWords, NLRI_MAX_BYTES,
} from '../../../src/bgp/codec/index.js';
import { putNlri } from '../../../src/bgp/codec/nlri.js';
import { Afi, IPV4_UNICAST, IPV6_UNICAST, Nlri4, Nlri6, addrWord, makeNlri, type Nlri } from '../../../src/rib/prefix.js';
import fc from 'fast-check';

const ctx: CodecContext = { ...DEFAULT_CODEC_CONTEXT, as4: true };
const attrs: PathAttributes = {
  origin: 0, asPath: [{ type: 2, asns: [65001, 4200000001] }], med: 10, communities: [1, 2, 3],
};

function v4(n: number, pathId = 0): Nlri[] {
  return Array.from({ length: n }, (_, i) => makeNlri({ afi: Afi.IPV4, len: 24, addr: Uint8Array.of(10, (i >> 8) & 255, i & 255, 0) }, pathId));
}
function v6(n: number): Nlri[] {
  return Array.from({ length: n }, (_, i) => {
    const addr = new Uint8Array(16);
    addr[0] = 0xfd;
    addr[4] = i >> 8;
    addr[5] = i & 255;
    return makeNlri({ afi: Afi.IPV6, len: 48, addr }, 0);
  });
}

function decodeAll(msgs: Buffer[], c: CodecContext): UpdateMessage[] {
  return msgs.map((m) => {
    assert.ok(m.length <= c.maxMessageLength, `message of ${m.length} bytes`);
    return decodeMessage(m, c) as UpdateMessage;
  });
}

describe('packUpdates', () => {
  test('IPv4, NEXT_HOP in the block: 2000 prefixes in the fewest 4096-byte messages', () => {
    const block = encodeAttributeBlock({ ...attrs, nextHop: Uint8Array.of(10, 0, 0, 1) }, ctx);
    const list = v4(2000);
    const msgs = packUpdates(block, Afi.IPV4, null, list, ctx);
    const perMsg = Math.floor((4096 - 23 - block.length) / 4);
    assert.equal(msgs.length, Math.ceil(2000 / perMsg));
    const us = decodeAll(msgs, ctx);
    assert.deepEqual(us.flatMap((u) => u.nlri), list);
    for (const u of us) {
      assert.equal(u.action, 0);
      assert.deepEqual(u.attributes, { ...attrs, nextHop: Uint8Array.of(10, 0, 0, 1) });
    }
  });

  test('IPv4 with the next hop as an argument; duplicate next hop refused', () => {
    const block = encodeAttributeBlock(attrs, ctx);
    const msgs = packUpdates(block, Afi.IPV4, { global: Uint8Array.of(192, 0, 2, 1) }, v4(10), ctx);
    assert.equal(msgs.length, 1);
    const [u] = decodeAll(msgs, ctx);
    assert.deepEqual(u!.attributes.nextHop, Uint8Array.of(192, 0, 2, 1));
    assert.equal(u!.action, 0);
    const withNh = encodeAttributeBlock({ ...attrs, nextHop: Uint8Array.of(1, 1, 1, 1) }, ctx);
    assert.throws(() => packUpdates(withNh, Afi.IPV4, { global: Uint8Array.of(1, 1, 1, 1) }, v4(1), ctx), (e: unknown) => e instanceof WrenError);
  });

  test('IPv6: MP_REACH_NLRI first, global + link-local next hop, 65535 with extended message', () => {
    const nextHop = { global: new Uint8Array(16).fill(0xfd), linkLocal: Uint8Array.of(0xfe, 0x80, ...new Array(14).fill(1)) };
    const block = encodeAttributeBlock(attrs, ctx);
    const list = v6(5000);
    const c = { ...ctx, maxMessageLength: 65535 };
    const msgs = packUpdates(block, Afi.IPV6, nextHop, list, c);
    assert.equal(msgs.length, 1 + Math.floor((5000 * 7) / 65535));
    const us = decodeAll(msgs, c);
    assert.deepEqual(us.flatMap((u) => u.mpReach!.nlri), list);
    for (const u of us) {
      assert.deepEqual(u.mpReach!.nextHop, nextHop);
      assert.deepEqual(u.attributes, attrs);
      assert.equal(u.action, 0);
      assert.equal(u.nlri.length, 0);
    }
    assert.equal(msgs[0]![24], 14, 'MP_REACH_NLRI is the first attribute');
    assert.throws(() => packUpdates(block, Afi.IPV6, null, list, c), (e: unknown) => e instanceof WrenError);
  });

  test('RFC 8950: IPv4 prefixes with an IPv6 next hop go in MP_REACH_NLRI', () => {
    const c = { ...ctx, extendedNextHop: new Set([IPV4_UNICAST]) };
    const msgs = packUpdates(encodeAttributeBlock(attrs, c), Afi.IPV4, { global: new Uint8Array(16).fill(0xfd) }, v4(3), c);
    const [u] = decodeAll(msgs, c);
    assert.equal(u!.mpReach!.afi, Afi.IPV4);
    assert.deepEqual(u!.mpReach!.nlri, v4(3));
  });

  test('ADD-PATH path identifiers when addPathTx has the family', () => {
    const c = { ...ctx, addPathTx: new Set([IPV4_UNICAST]), addPathRx: new Set([IPV4_UNICAST]) };
    const list = v4(1500, 42);
    const msgs = packUpdates(encodeAttributeBlock({ ...attrs, nextHop: Uint8Array.of(1, 2, 3, 4) }, c), Afi.IPV4, null, list, c);
    assert.deepEqual(decodeAll(msgs, c).flatMap((u) => u.nlri), list);
  });

  test('a block too large for even one prefix → WrenError', () => {
    const huge = encodeAttributeBlock({ ...attrs, communities: Array.from({ length: 1100 }, (_, i) => i) }, ctx);
    assert.throws(() => packUpdates(huge, Afi.IPV4, { global: Uint8Array.of(1, 1, 1, 1) }, v4(1), ctx), (e: unknown) => e instanceof WrenError && e.code === 'CODEC_MESSAGE_TOO_BIG');
    assert.deepEqual(packUpdates(huge, Afi.IPV4, null, [], ctx), []);
  });
});

describe('packWithdrawals', () => {
  test('IPv4 in Withdrawn Routes', () => {
    const list = v4(3000);
    const msgs = packWithdrawals(Afi.IPV4, list, ctx);
    assert.equal(msgs.length, Math.ceil(3000 / Math.floor((4096 - 23) / 4)));
    const us = decodeAll(msgs, ctx);
    assert.deepEqual(us.flatMap((u) => u.withdrawn), list);
    for (const u of us) assert.deepEqual([u.action, u.nlri.length, u.attributes], [0, 0, {}]);
  });
  test('IPv6 in MP_UNREACH_NLRI, with ADD-PATH', () => {
    const c = { ...ctx, addPathTx: new Set([IPV6_UNICAST]), addPathRx: new Set([IPV6_UNICAST]) };
    const list = v6(2000).map((n, i) => makeNlri(n, i));
    const us = decodeAll(packWithdrawals(Afi.IPV6, list, c), c);
    assert.deepEqual(us.flatMap((u) => u.mpUnreach!.withdrawn), list);
  });
});

describe('prefixes in wire form (NlriRun, putNlriWords)', () => {
  test('putNlriWords writes what putNlri writes, for any length, family and path id', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.boolean(), fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { minLength: 4, maxLength: 4 }), fc.nat(128), fc.nat(), (v6, addPath, w, rawLen, pathId) => {
        const len = v6 ? rawLen : rawLen % 33;
        const n = v6 ? new Nlri6(w[0]!, w[1]!, w[2]!, w[3]!, len, pathId) : new Nlri4(w[0]!, len, pathId);
        const a = new Uint8Array(NLRI_MAX_BYTES), b = new Uint8Array(NLRI_MAX_BYTES);
        const ea = putNlri(a, 0, n, addPath);
        const eb = putNlriWords(b, 0, addPath, pathId, len, w[0]!, v6 ? w[1]! : 0, v6 ? w[2]! : 0, v6 ? w[3]! : 0);
        assert.equal(eb, ea);
        assert.deepEqual(b.subarray(0, eb), a.subarray(0, ea));
      }),
      { numRuns: 2000 },
    );
  });

  test('packUpdateRun and packWithdrawalRun make the messages packUpdates and packWithdrawals make', () => {
    const ctx = { ...DEFAULT_CODEC_CONTEXT, as4: true };
    const block = encodeAttributeBlock({ origin: 0, asPath: [{ type: 2, asns: [65001] }], nextHop: new Uint8Array([192, 0, 2, 1]) }, ctx);
    const nlri: Nlri[] = [];
    for (let i = 0; i < 3000; i++) nlri.push(makeNlri({ afi: Afi.IPV4, len: 8 + (i % 25), addr: new Uint8Array([10, i >> 8, i & 255, 0]) }, 0));
    const run = new NlriRun();
    for (const n of nlri) {
      const at = run.reserve();
      run.commit(putNlriWords(run.bytes, at, false, 0, n.len, addrWord(n, 0), 0, 0, 0));
    }
    assert.equal(run.count, 3000);
    // Into one buffer, back to back (a small start: it grows), the same bytes as one Buffer each.
    const out = new MessageBuffer(1024);
    packUpdateRun(block, Afi.IPV4, null, run, ctx, out);
    const updates = packUpdates(block, Afi.IPV4, null, nlri, ctx);
    assert.ok(updates.length > 1, 'several messages');
    assert.equal(out.count, updates.length);
    packWithdrawalRun(Afi.IPV4, run, ctx, out);
    const withdrawals = packWithdrawals(Afi.IPV4, nlri, ctx);
    assert.equal(out.count, updates.length + withdrawals.length);
    assert.deepEqual(out.take(), Buffer.concat([...updates, ...withdrawals]));
    assert.equal(out.count, 0);
    assert.equal(out.take().length, 0, 'empty after take');
  });
});
