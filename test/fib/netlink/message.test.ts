// nlmsghdr framing, NLMSG_ERROR with NETLINK_EXT_ACK TLVs, NLMSG_DONE, flags: annotated hex
// fixtures written from linux/netlink.h, plus malformed input.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MsgType,
  NlmFlag,
  RequestFlags,
  buildError,
  buildMessage,
  decodeDone,
  decodeError,
  errnoName,
  forEachMessage,
  isDumpInterrupted,
  isMultipart,
  makeSeq,
  msgTypeName,
  parseMessages,
  NetlinkRequestError,
} from '../../../src/fib/netlink/message.js';
import { WrenError } from '../../../src/bgp/errors.js';
import { ascii, hex } from './hex.js';

describe('nlmsghdr framing', () => {
  // Two messages in one datagram; the first has a 5-byte payload padded to 8.
  const datagram = hex(`
    15000000  # nlmsg_len 21 (16 + 5)
    1800      # nlmsg_type RTM_NEWROUTE
    0200      # nlmsg_flags NLM_F_MULTI
    01000000  # nlmsg_seq 1
    39300000  # nlmsg_pid 12345
    0102030405 000000   # payload, then 3 bytes of padding
    14000000  # nlmsg_len 20
    0300      # NLMSG_DONE
    1200      # NLM_F_MULTI | NLM_F_DUMP_INTR
    01000000  # seq 1
    39300000  # pid
    00000000  # status 0
  `);

  test('walks aligned messages and exposes header fields and payload bounds', () => {
    const ms = parseMessages(datagram);
    assert.equal(ms.length, 2);
    const [a, b] = ms as [(typeof ms)[0], (typeof ms)[0]];
    assert.deepEqual([a.type, a.flags, a.seq, a.pid, a.start, a.end], [24, NlmFlag.MULTI, 1, 12345, 16, 21]);
    assert.deepEqual([...a.buf.subarray(a.start, a.end)], [1, 2, 3, 4, 5]);
    assert.equal(b.type, MsgType.NLMSG_DONE);
    assert.equal(b.start, 40);
    assert.equal(isMultipart(a), true);
    assert.equal(isDumpInterrupted(a), false);
    assert.equal(isDumpInterrupted(b), true);
    assert.equal(decodeDone(b), 0);
    assert.equal(msgTypeName(a.type), 'RTM_NEWROUTE');
  });

  test('visit returning false stops the walk', () => {
    let n = 0;
    forEachMessage(datagram, () => {
      n++;
      return false;
    });
    assert.equal(n, 1);
  });

  test('a length beyond the datagram or below the header is malformed', () => {
    const bad = Buffer.from(datagram);
    bad.writeUInt32LE(200, 0);
    assert.throws(() => parseMessages(bad), (e: unknown) => e instanceof WrenError && e.code === 'NETLINK_MALFORMED');
    bad.writeUInt32LE(8, 0);
    assert.throws(() => parseMessages(bad), (e: unknown) => e instanceof WrenError && e.code === 'NETLINK_MALFORMED');
  });

  test('buildMessage writes the header and pads', () => {
    const m = buildMessage(MsgType.RTM_GETROUTE, RequestFlags.DUMP, 0x01020304, Buffer.from([2]));
    assert.deepEqual(m, hex(`11000000 1a00 0103 04030201 00000000 02 000000`));
  });

  test('NLMSG_DONE status carries a dump failure', () => {
    const [m] = parseMessages(hex(`14000000 0300 0200 07000000 00000000 f9ffffff`)); // -7
    assert.equal(decodeDone(m!), 7);
  });
});

describe('NLMSG_ERROR', () => {
  const text = 'Nexthop has invalid gateway';
  // ENETUNREACH for seq 1005, capped request header, ext-ack message + offset.
  const datagram = hex(`
    4c000000  # nlmsg_len 76
    0200      # NLMSG_ERROR
    0003      # NLM_F_CAPPED | NLM_F_ACK_TLVS
    ed030000  # seq 1005
    34120000  # pid 0x1234
    9bffffff  # error = -101 (ENETUNREACH)
    34000000 1800 0506 ed030000 00000000   # the request's header: len 52, RTM_NEWROUTE, REQUEST|ACK|EXCL|CREATE, seq 1005
    2000 0100 ${ascii(text)} 00            # NLMSGERR_ATTR_MSG (len 32: 4 + 27 + NUL)
    0800 0200 2c000000                     # NLMSGERR_ATTR_OFFS 44
  `);

  test('decodes errno, the request header and the ext-ack TLVs', () => {
    const [m] = parseMessages(datagram);
    const e = decodeError(m!);
    assert.deepEqual(e, {
      errno: 101,
      code: 'ENETUNREACH',
      seq: 1005,
      requestType: MsgType.RTM_NEWROUTE,
      requestFlags: NlmFlag.REQUEST | NlmFlag.ACK | NlmFlag.EXCL | NlmFlag.CREATE,
      message: text,
      offset: 44,
    });
    const err = new NetlinkRequestError(e);
    assert.equal(err.code, 'ENETUNREACH');
    assert.equal(err.errno, 101);
    assert.match(err.message, /RTM_NEWROUTE seq 1005: ENETUNREACH \(Nexthop has invalid gateway\)/);
  });

  test('an uncapped error echoes the whole request before the TLVs', () => {
    const e = decodeError(
      parseMessages(
        hex(`
      34000000 0200 0002 05000000 00000000   # len 52, NLMSG_ERROR, NLM_F_ACK_TLVS only
      efffffff                               # -17 EEXIST
      18000000 1800 0506 05000000 00000000   # request header: len 24
      02200000 00000000                      # its 8 payload bytes (echoed)
      0800 0500 03000000                     # NLMSGERR_ATTR_MISS_TYPE 3
    `),
      )[0]!,
    );
    assert.equal(e.code, 'EEXIST');
    assert.equal(e.missingType, 3);
    assert.equal(e.message, undefined);
  });

  test('an ACK is error 0 with no code', () => {
    const e = decodeError(parseMessages(hex(`24000000 0200 0001 09000000 00000000 00000000 2c000000 1900 0500 09000000 00000000`))[0]!);
    assert.equal(e.errno, 0);
    assert.equal(e.code, '');
    assert.equal(e.seq, 9);
    assert.equal(e.requestType, MsgType.RTM_DELROUTE);
  });

  test('buildError round-trips through decodeError', () => {
    const b = buildError(3, { type: MsgType.RTM_DELROUTE, flags: RequestFlags.DELETE, seq: 77 }, { message: 'No such process', offset: 28 });
    const e = decodeError(parseMessages(b)[0]!);
    assert.deepEqual(e, { errno: 3, code: 'ESRCH', seq: 77, requestType: 25, requestFlags: 1, message: 'No such process', offset: 28 });
  });

  test('a truncated error payload is malformed', () => {
    assert.throws(() => decodeError(parseMessages(hex(`18000000 0200 0000 01000000 00000000 efffffff 00000000`))[0]!), /malformed/);
  });

  test('errno names come from the OS table', () => {
    assert.equal(errnoName(17), 'EEXIST');
    assert.equal(errnoName(2), 'ENOENT');
    assert.equal(errnoName(0), '');
    assert.equal(errnoName(4242), 'errno 4242');
  });
});

test('request flag sets', () => {
  assert.equal(RequestFlags.DUMP, 0x301);
  assert.equal(RequestFlags.ADD, 0x601);
  assert.equal(RequestFlags.REPLACE, 0x501);
  assert.equal(RequestFlags.DELETE, 0x1);
});

test('makeSeq counts up, wraps past 2^32 - 1 and skips 0', () => {
  const s = makeSeq(0xfffffffe);
  assert.deepEqual([s(), s(), s()], [0xffffffff, 1, 2]);
});
