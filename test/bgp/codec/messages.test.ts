// NOTIFICATION (RFC 4271 §4.5, RFC 9003), ROUTE-REFRESH (RFC 2918, RFC 7313), KEEPALIVE,
// decodeMessage header checks, and the reader/writer primitives.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BgpError } from '../../../src/bgp/errors.js';
import {
  DEFAULT_CODEC_CONTEXT, type NotificationMessage, type RouteRefreshMessage, decodeMessage, encodeKeepalive,
  encodeNotification, encodeRouteRefresh, encodeShutdownNotification, messageTypeName,
} from '../../../src/bgp/codec/index.js';
import { Reader } from '../../../src/bgp/codec/reader.js';
import { Writer } from '../../../src/bgp/codec/writer.js';
import { hex, msg } from './hex.js';

const ctx = DEFAULT_CODEC_CONTEXT;

function err(fn: () => unknown): BgpError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof BgpError, String(e));
    return e;
  }
  assert.fail('expected BgpError');
}

describe('NOTIFICATION', () => {
  test('annotated fixture: Hold Timer Expired', () => {
    const b = hex(`ffffffffffffffffffffffffffffffff 0015 03   # header, length 21, NOTIFICATION
                   04 00                                     # Hold Timer Expired / 0`);
    assert.deepEqual(encodeNotification(4, 0), b);
    assert.deepEqual(decodeMessage(b, ctx), { type: 3, code: 4, subcode: 0, data: new Uint8Array(0) });
  });
  test('data is carried (Bad Message Length)', () => {
    const b = encodeNotification(1, 2, Uint8Array.of(0x10, 0x01));
    assert.deepEqual(b, msg(3, '01 02 1001'));
    assert.deepEqual((decodeMessage(b, ctx) as NotificationMessage).data, Uint8Array.of(0x10, 0x01));
  });
  test('RFC 9003 shutdown communication round-trips (UTF-8)', () => {
    const text = 'maintenance — back at 14:00 ✓';
    const b = encodeShutdownNotification(2, text);
    const n = decodeMessage(b, ctx) as NotificationMessage;
    assert.deepEqual([n.code, n.subcode, n.shutdownCommunication], [6, 2, text]);
    assert.equal(n.data[0], Buffer.byteLength(text));
    const r = decodeMessage(encodeShutdownNotification(4, 'reset'), ctx) as NotificationMessage;
    assert.equal(r.shutdownCommunication, 'reset');
  });
  test('RFC 9003: text cut to 255 octets on a character boundary', () => {
    const b = encodeShutdownNotification(2, 'é'.repeat(200)); // 400 octets
    const n = decodeMessage(b, ctx) as NotificationMessage;
    assert.equal(n.data[0], 254);
    assert.equal(n.shutdownCommunication, 'é'.repeat(127));
  });
  test('tolerant decode: bad length or bad UTF-8 gives no text and no error', () => {
    for (const data of ['05 6869', 'ff', '02 c328', '']) {
      const n = decodeMessage(msg(3, `06 02 ${data}`), ctx) as NotificationMessage;
      assert.equal(n.shutdownCommunication, undefined, data);
      assert.deepEqual(Buffer.from(n.data), hex(data));
    }
    // Other Cease subcodes never carry one.
    assert.equal((decodeMessage(msg(3, '06 03 02 6869'), ctx) as NotificationMessage).shutdownCommunication, undefined);
  });
});

describe('ROUTE-REFRESH', () => {
  test('annotated fixture: IPv6 unicast, Beginning of RR (RFC 7313)', () => {
    const b = hex(`ffffffffffffffffffffffffffffffff 0017 05   # header, length 23, ROUTE-REFRESH
                   0002 01 01                                # AFI 2, subtype BoRR, SAFI 1`);
    assert.deepEqual(encodeRouteRefresh(2, 1, 1), b);
    assert.deepEqual(decodeMessage(b, ctx), { type: 5, afi: 2, safi: 1, subtype: 1 });
    assert.equal((decodeMessage(encodeRouteRefresh(1, 1), ctx) as RouteRefreshMessage).subtype, 0);
  });
  test('wrong length → 7/1 with the whole message as data (RFC 7313 §5)', () => {
    for (const body of ['0001 00', '0001 00 01 00']) {
      const b = msg(5, body);
      const e = err(() => decodeMessage(b, ctx));
      assert.deepEqual([e.code, e.subcode], [7, 1]);
      assert.deepEqual(Buffer.from(e.data), b);
    }
  });
  test('unknown subtype is returned for the session to ignore', () => {
    assert.equal((decodeMessage(msg(5, '0001 07 01'), ctx) as RouteRefreshMessage).subtype, 7);
  });
});

describe('KEEPALIVE and decodeMessage header checks', () => {
  test('KEEPALIVE is 19 octets and decodes', () => {
    assert.deepEqual(encodeKeepalive(), hex('ffffffffffffffffffffffffffffffff 0013 04'));
    assert.deepEqual(decodeMessage(encodeKeepalive(), ctx), { type: 4 });
  });
  test('KEEPALIVE with a body → 1/2', () => {
    const e = err(() => decodeMessage(msg(4, '00'), ctx));
    assert.deepEqual([e.code, e.subcode, [...e.data]], [1, 2, [0, 20]]);
  });
  test('length field disagreeing with the buffer → 1/2', () => {
    const b = Buffer.concat([encodeKeepalive(), Buffer.of(0)]);
    assert.equal(err(() => decodeMessage(b, ctx)).subcode, 2);
    assert.equal(err(() => decodeMessage(Buffer.alloc(5, 0xff), ctx)).subcode, 2);
  });
  test('bad marker → 1/1, bad type → 1/3', () => {
    const k = encodeKeepalive();
    k[0] = 0xfe;
    assert.deepEqual([err(() => decodeMessage(k, ctx)).code, err(() => decodeMessage(k, ctx)).subcode], [1, 1]);
    assert.deepEqual([...err(() => decodeMessage(msg(7, ''), ctx)).data], [7]);
  });
  test('messageTypeName', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 9].map(messageTypeName), ['OPEN', 'UPDATE', 'NOTIFICATION', 'KEEPALIVE', 'ROUTE-REFRESH', 'UNKNOWN(9)']);
  });
});

describe('Reader and Writer', () => {
  test('reads big-endian values and throws the caller’s error on overrun', () => {
    const r = Reader.of(hex('01 0203 040506 0708090a ffffffff'), 2, 0);
    assert.deepEqual([r.u8(), r.u16(), r.u24(), r.u32(), r.u32()], [1, 0x0203, 0x040506, 0x0708090a, 0xffffffff]);
    assert.equal(r.atEnd, true);
    const e = err(() => r.u8());
    assert.deepEqual([e.code, e.subcode], [2, 0]);
  });
  test('sub-reader is confined to its slice and carries its own error', () => {
    const r = Reader.of(hex('02 aabb cc'), 3, 1);
    const n = r.u8();
    const s = r.sub(n, 3, 5);
    assert.equal(s.u16(), 0xaabb);
    assert.equal(err(() => s.u8()).subcode, 5);
    assert.equal(r.u8(), 0xcc);
    const copy = Reader.of(hex('0102'), 1, 2).bytes(2);
    assert.equal(Object.getPrototypeOf(copy), Uint8Array.prototype);
    assert.equal(err(() => Reader.of(hex('01'), 1, 2).view(2)).subcode, 2);
  });
  test('writer grows and back-patches lengths', () => {
    const w = new Writer(2);
    w.u8(1);
    const at = w.reserve(2);
    for (let i = 0; i < 300; i++) w.u8(i & 0xff);
    assert.equal(w.patch(at, 2), 300);
    w.u24(0x010203);
    w.u32(0xfffffffe);
    const out = w.finish();
    assert.equal(out.length, 1 + 2 + 300 + 3 + 4);
    assert.equal(out.readUInt16BE(1), 300);
    assert.deepEqual([...out.subarray(-7)], [1, 2, 3, 0xff, 0xff, 0xff, 0xfe]);
  });
});
