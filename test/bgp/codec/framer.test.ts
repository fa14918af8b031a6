// Framer: split-buffer framing (every cut offset, one-byte chunks, random cuts), zero-copy,
// and the RFC 4271 §6.1 header errors with their data.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BgpError } from '../../../src/bgp/errors.js';
import {
  DEFAULT_CODEC_CONTEXT, Framer, encodeKeepalive, encodeNotification, encodeOpen, encodeRouteRefresh, encodeUpdate,
  CapabilityCode,
} from '../../../src/bgp/codec/index.js';
import { Afi } from '../../../src/rib/prefix.js';
import { hex, msg } from './hex.js';

const stream: Buffer[] = [
  encodeOpen({ version: 4, myAs: 65001, holdTime: 90, bgpId: 0x0a000001, capabilities: [{ code: CapabilityCode.ROUTE_REFRESH }] }),
  encodeKeepalive(),
  encodeUpdate(
    {
      attributes: { origin: 0, asPath: [{ type: 2, asns: [65001] }], nextHop: Uint8Array.of(10, 0, 0, 1) },
      nlri: [{ afi: Afi.IPV4, len: 24, addr: Uint8Array.of(10, 1, 2, 0), pathId: 0 }],
    },
    DEFAULT_CODEC_CONTEXT,
  ),
  encodeRouteRefresh(1, 1),
  encodeNotification(6, 2),
  encodeKeepalive(),
];
const all = Buffer.concat(stream);

function drain(f: Framer): Buffer[] {
  const out: Buffer[] = [];
  for (let m = f.next(); m !== null; m = f.next()) out.push(Buffer.from(m));
  return out;
}

function errorOf(fn: () => unknown): BgpError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof BgpError, `expected BgpError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a BgpError');
}

describe('Framer', () => {
  test('one push of several messages yields them in order, as views of the chunk', () => {
    const f = new Framer();
    f.push(all);
    const first = f.next()!;
    assert.equal(first.buffer, all.buffer, 'zero-copy: same ArrayBuffer');
    const rest = drain(f);
    assert.deepEqual([Buffer.from(first), ...rest], stream);
    assert.equal(f.buffered, 0);
  });

  test('a stream cut at every offset (two chunks) yields the same messages', () => {
    for (let cut = 0; cut <= all.length; cut++) {
      const f = new Framer();
      const got: Buffer[] = [];
      f.push(all.subarray(0, cut));
      got.push(...drain(f));
      f.push(all.subarray(cut));
      got.push(...drain(f));
      assert.deepEqual(got, stream, `cut at ${cut}`);
      assert.equal(f.buffered, 0);
    }
  });

  test('one byte at a time', () => {
    const f = new Framer();
    const got: Buffer[] = [];
    for (let i = 0; i < all.length; i++) {
      f.push(all.subarray(i, i + 1));
      got.push(...drain(f));
    }
    assert.deepEqual(got, stream);
  });

  test('hundreds of chunks pending, messages across their boundaries: all of them, in order', () => {
    // Buffer.alloc, never the shared pool (Node 24's 64 KiB pool would hold the framer's copies too).
    const joined = Buffer.concat(Array.from({ length: 60 }, () => all));
    const many = Buffer.alloc(joined.length);
    joined.copy(many);
    const want = Array.from({ length: 60 }, () => stream).flat();
    for (const size of [7, 37, 19, 4096]) {
      const f = new Framer();
      for (let o = 0; o < many.length; o += size) f.push(many.subarray(o, o + size));
      assert.equal(f.buffered, many.length);
      const raw: Buffer[] = [];
      for (let m = f.next(); m !== null; m = f.next()) raw.push(m);
      assert.deepEqual(raw.map((m) => Buffer.from(m)), want, `chunks of ${size}`);
      assert.equal(f.buffered, 0);
      // Messages within a chunk are views of it; those across chunks were copied out.
      const views = raw.filter((m) => m.buffer === many.buffer).length;
      assert.ok(views < raw.length && (size < 23 || views > 0), `${views} views of ${raw.length}`);
      // Interleaved pushes and reads after the lot: still in step.
      f.push(all.subarray(0, 10));
      assert.equal(f.next(), null);
      f.push(all.subarray(10));
      assert.deepEqual(drain(f), stream);
    }
  });

  test('random cuts (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: all.length }), { maxLength: 12 }), (cuts) => {
        const points = [0, ...cuts.sort((a, b) => a - b), all.length];
        const f = new Framer();
        const got: Buffer[] = [];
        for (let i = 1; i < points.length; i++) {
          f.push(all.subarray(points[i - 1], points[i]));
          got.push(...drain(f));
        }
        assert.deepEqual(got, stream);
      }),
      { numRuns: 300 },
    );
  });

  test('partial tail is kept and counted', () => {
    const f = new Framer();
    f.push(all.subarray(0, stream[0]!.length + 5));
    assert.equal(drain(f).length, 1);
    assert.equal(f.buffered, 5);
    assert.equal(f.next(), null);
  });

  test('bad marker → 1/1 Connection Not Synchronized', () => {
    const bad = Buffer.from(encodeKeepalive());
    bad[3] = 0;
    const f = new Framer();
    f.push(bad);
    const e = errorOf(() => f.next());
    assert.deepEqual([e.code, e.subcode, e.data.length], [1, 1, 0]);
  });

  test('length below 19 or above the maximum → 1/2 with the length as data', () => {
    for (const len of [0, 18, 4097]) {
      const b = Buffer.from(encodeKeepalive());
      b.writeUInt16BE(len, 16);
      b[18] = 2;
      const f = new Framer();
      f.push(b);
      const e = errorOf(() => f.next());
      assert.deepEqual([e.code, e.subcode, [...e.data]], [1, 2, [len >> 8, len & 0xff]], `length ${len}`);
    }
  });

  test('RFC 8654: 65535-byte UPDATE accepted with extended message, OPEN above 4096 still refused', () => {
    const big = msg(2, Buffer.concat([hex('0000 0000'), Buffer.alloc(5000, 0)]));
    const f = new Framer(65535);
    f.push(big);
    assert.equal(f.next()!.length, big.length);
    const open = msg(1, Buffer.alloc(5000, 0));
    const g = new Framer();
    g.setMaxMessageLength(65535);
    g.push(open);
    const e = errorOf(() => g.next());
    assert.deepEqual([e.code, e.subcode, [...e.data]], [1, 2, [open.length >> 8, open.length & 0xff]]);
  });

  test('per-type minimum lengths and KEEPALIVE exactly 19 → 1/2', () => {
    const cases: [number, number][] = [[1, 28], [2, 22], [3, 20], [4, 20]];
    for (const [type, len] of cases) {
      const f = new Framer();
      f.push(msg(type, Buffer.alloc(len - 19)));
      const e = errorOf(() => f.next());
      assert.deepEqual([e.code, e.subcode, [...e.data]], [1, 2, [0, len]], `type ${type} length ${len}`);
    }
  });

  test('unknown type → 1/3 with the type as data', () => {
    for (const type of [0, 6, 255]) {
      const f = new Framer();
      f.push(msg(type, Buffer.alloc(4)));
      const e = errorOf(() => f.next());
      assert.deepEqual([e.code, e.subcode, [...e.data]], [1, 3, [type]]);
    }
  });

  test('header is checked before the body arrives', () => {
    const f = new Framer();
    const b = msg(9, Buffer.alloc(100));
    f.push(b.subarray(0, 19));
    assert.throws(() => f.next(), (e: unknown) => e instanceof BgpError && e.subcode === 3);
  });
});
