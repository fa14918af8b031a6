// rtattr iteration, writers, padding, nested attributes and the descriptor-table machinery.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  NLA_F_NESTED,
  NESTED_U32,
  STRING,
  U16,
  U32,
  U8,
  attrSize,
  attrTable,
  beginNested,
  decodeAttrsInto,
  describeAttrs,
  encodeAttr,
  encodedAttrSize,
  endNested,
  forEachAttr,
  putBytes,
  putString,
  putU16,
  putU32,
  putU8,
  row,
} from '../../../src/fib/netlink/attributes.js';
import { WrenError } from '../../../src/bgp/errors.js';
import { hex } from './hex.js';

describe('rtattr', () => {
  test('writers pad to 4 bytes and zero the padding', () => {
    const buf = Buffer.alloc(64, 0xff);
    let p = putU8(buf, 0, 20, 7);
    p = putU16(buf, p, 21, 0x1234);
    p = putU32(buf, p, 22, 0xdeadbeef);
    p = putString(buf, p, 3, 'eth0');
    p = putBytes(buf, p, 1, Uint8Array.from([1, 2, 3]));
    assert.deepEqual(
      buf.subarray(0, p),
      hex(`
      0500 1400 07 000000          # u8, len 5, 3 bytes padding
      0600 1500 3412 0000          # u16, len 6, 2 bytes padding
      0800 1600 efbeadde           # u32
      0900 0300 65746830 00 000000 # "eth0\\0", len 9
      0700 0100 010203 00          # 3 bytes, len 7
    `),
    );
    const seen: [number, number][] = [];
    forEachAttr(buf, 0, p, (t, vs, ve) => seen.push([t, ve - vs]));
    assert.deepEqual(seen, [[20, 1], [21, 2], [22, 4], [3, 5], [1, 3]]);
  });

  test('nested attributes: begin/end set the outer length; NLA_F_NESTED is masked when reading', () => {
    const buf = Buffer.alloc(64);
    const start = beginNested(buf, 0, 8);
    let p = putU32(buf, start + 4, 2, 1400);
    p = putU32(buf, p, 8, 1360);
    p = endNested(buf, start, p);
    assert.deepEqual(buf.subarray(0, p), hex(`1400 0880 0800 0200 78050000 0800 0800 50050000`));
    const types: number[] = [];
    forEachAttr(buf, 0, p, (t, vs, ve) => {
      types.push(t);
      assert.deepEqual(NESTED_U32.read(buf, vs, ve), { 2: 1400, 8: 1360 });
    });
    assert.deepEqual(types, [8]);
  });

  test('lengths past the end, below the header, or too short for the value are malformed', () => {
    const isMalformed = (e: unknown) => e instanceof WrenError && e.code === 'NETLINK_MALFORMED';
    assert.throws(() => forEachAttr(hex(`0c00 0100 00000000`), 0, 8, () => {}), isMalformed);
    assert.throws(() => forEachAttr(hex(`0200 0100 00000000`), 0, 8, () => {}), isMalformed);
    assert.throws(() => U32.read(hex(`0102`), 0, 2), isMalformed);
    assert.throws(() => U16.read(hex(`01`), 0, 1), isMalformed);
    assert.throws(() => U8.read(hex(``), 0, 0), isMalformed);
  });

  test('a string stops at its NUL', () => {
    assert.equal(STRING.read(hex(`6c6f 00 78 7979`), 0, 5), 'lo');
    assert.equal(STRING.read(hex(`6c6f6c`), 0, 3), 'lol');
  });
});

describe('descriptor tables', () => {
  interface Draft {
    mtu?: number;
    name?: string;
  }
  const T = attrTable<Draft>('TEST', [
    row(4, 'TEST_MTU', U32, (d, v) => (d.mtu = v)),
    row(3, 'TEST_NAME', STRING, (d, v) => (d.name = v)),
    row(9, 'TEST_KNOWN_NOT_KEPT', U32),
  ]);

  test('decodes known rows into the draft, skips the rest', () => {
    const buf = hex(`0800 0400 dc050000  0800 0900 01000000  0800 6300 02000000  0700 0300 643000 00`);
    const d: Draft = {};
    decodeAttrsInto(T, buf, 0, buf.length, d);
    assert.deepEqual(d, { mtu: 1500, name: 'd0' });
    assert.deepEqual(
      describeAttrs(T, buf, 0, buf.length).map((a) => a.name),
      ['TEST_MTU', 'TEST_KNOWN_NOT_KEPT', 'TEST#99', 'TEST_NAME'],
    );
  });

  test('encodeAttr/encodedAttrSize follow the row codec; round trip for random values', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.stringMatching(/^[a-z0-9]{0,20}$/), (mtu, name) => {
        const size = encodedAttrSize(T, 4, mtu) + encodedAttrSize(T, 3, name);
        assert.equal(size, 8 + attrSize(name.length + 1));
        const buf = Buffer.alloc(size);
        const end = encodeAttr(T, buf, encodeAttr(T, buf, 0, 4, mtu), 3, name);
        assert.equal(end, size);
        const d: Draft = {};
        decodeAttrsInto(T, buf, 0, end, d);
        assert.deepEqual(d, { mtu, name });
      }),
    );
  });

  test('duplicate types are refused; nested rows carry NLA_F_NESTED', () => {
    assert.throws(() => attrTable('DUP', [row(1, 'A', U8), row(1, 'B', U8)]), /duplicate/);
    const N = attrTable<{ m?: Readonly<Record<number, number>> }>('N', [row(8, 'N_METRICS', NESTED_U32, (d, v) => (d.m = v), NLA_F_NESTED)]);
    const buf = Buffer.alloc(encodedAttrSize(N, 8, { 2: 9000 }));
    encodeAttr(N, buf, 0, 8, { 2: 9000 });
    assert.equal(buf.readUInt16LE(2), 8 | NLA_F_NESTED);
    const d: { m?: Readonly<Record<number, number>> } = {};
    decodeAttrsInto(N, buf, 0, buf.length, d);
    assert.deepEqual(d.m, { 2: 9000 });
  });
});
