// rtmsg + RTA_* decode/encode: annotated hex fixtures (layouts from linux/rtnetlink.h,
// values as `ip route` would show them) and fast-check round trips of encodeRoute → decodeRoute.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  RouteFlag,
  RouteOp,
  RouteProtocol,
  RouteScope,
  RouteType,
  RTA_TABLE,
  buildRouteDump,
  buildRouteRequest,
  decodeRoute,
  defaultScope,
  encodeRoute,
  routeMessageSize,
  sameNextHops,
  type KernelRoute,
  type NextHop,
} from '../../../src/fib/netlink/route.js';
import { parseMessages } from '../../../src/fib/netlink/message.js';
import { describeAttrs } from '../../../src/fib/netlink/attributes.js';
import { Afi, maskHostBits, parseAddress, parsePrefix } from '../../../src/rib/prefix.js';
import { WrenError } from '../../../src/bgp/errors.js';
import { hex } from './hex.js';

const one = (b: Buffer): KernelRoute => {
  const ms = parseMessages(b);
  assert.equal(ms.length, 1);
  const r = decodeRoute(ms[0]!);
  assert.ok(r);
  return r;
};

describe('decodeRoute: fixtures', () => {
  test('198.18.5.0/24 via 198.18.0.2 dev 3 proto boot metric 1024', () => {
    const r = one(
      hex(`
      4c000000 1800 0200 e8030000 00000000   # nlmsghdr: len 76, RTM_NEWROUTE, NLM_F_MULTI, seq 1000
      02 18 00 00                            # rtmsg: AF_INET, dst_len 24, src_len 0, tos 0
      fe 03 00 01                            #        table main, proto boot, scope universe, RTN_UNICAST
      00000000                               #        rtm_flags
      0800 0f00 fe000000                     # RTA_TABLE 254
      0800 0100 c6120500                     # RTA_DST 198.18.5.0
      0800 0600 00040000                     # RTA_PRIORITY 1024
      0800 0500 c6120002                     # RTA_GATEWAY 198.18.0.2
      0800 0400 03000000                     # RTA_OIF 3
      0800 0b00 05000000                     # RTA_FLOW (realm) 5
    `),
    );
    assert.deepEqual(r, {
      dst: parsePrefix('198.18.5.0/24'),
      tos: 0,
      table: 254,
      protocol: RouteProtocol.RTPROT_BOOT,
      scope: RouteScope.RT_SCOPE_UNIVERSE,
      type: RouteType.RTN_UNICAST,
      flags: 0,
      priority: 1024,
      gateway: parseAddress('198.18.0.2'),
      oif: 3,
      realm: 5,
    });
  });

  test('multipath: nexthop via .2 dev 3, nexthop via .3 dev 4 weight 3 onlink', () => {
    const r = one(
      hex(`
      48000000 1800 0200 01000000 00000000   # len 72
      02 18 00 00  fe 03 00 01  00000000     # AF_INET /24, main, boot, universe, unicast
      0800 0100 c6120600                     # RTA_DST 198.18.6.0
      2400 0900                              # RTA_MULTIPATH, len 36
        1000 00 00 03000000                  #   rtnexthop: len 16, flags 0, hops 0 (weight 1), ifindex 3
        0800 0500 c6120002                   #     RTA_GATEWAY 198.18.0.2
        1000 04 02 04000000                  #   rtnexthop: len 16, RTNH_F_ONLINK, hops 2 (weight 3), ifindex 4
        0800 0500 c6120003                   #     RTA_GATEWAY 198.18.0.3
    `),
    );
    assert.equal(r.gateway, undefined);
    assert.deepEqual(r.multipath, [
      { gateway: parseAddress('198.18.0.2'), oif: 3, flags: 0, weight: 1 },
      { gateway: parseAddress('198.18.0.3'), oif: 4, flags: RouteFlag.RTNH_F_ONLINK, weight: 3 },
    ]);
  });

  test('IPv6 blackhole (the kernel shows it as dev lo) with RTA_PREF', () => {
    const r = one(
      hex(`
      48000000 1800 0200 01000000 00000000   # len 72
      0a 40 00 00  fe 03 00 06  00000000     # AF_INET6 /64, main, boot, universe, RTN_BLACKHOLE
      1400 0100 fd000002 00000000 00000000 00000000   # RTA_DST fd00:2::
      0800 0600 00040000                     # RTA_PRIORITY 1024
      0800 0400 01000000                     # RTA_OIF 1 (lo)
      0500 1400 00 000000                    # RTA_PREF 0 (medium), padded
    `),
    );
    assert.deepEqual(r, {
      dst: parsePrefix('fd00:2::/64'),
      tos: 0,
      table: 254,
      protocol: 3,
      scope: 0,
      type: RouteType.RTN_BLACKHOLE,
      flags: 0,
      priority: 1024,
      oif: 1,
      pref: 0,
    });
  });

  test('default route (no RTA_DST), table 1000 via RTA_TABLE, RTA_VIA inet6 gateway, metrics, IIF', () => {
    const r = one(
      hex(`
      58000000 1800 0000 01000000 00000000   # len 88
      02 00 00 10  fc 04 00 01  04000000     # AF_INET /0, tos 16, table COMPAT, static, universe, unicast, RTNH_F_ONLINK
      0800 0f00 e8030000                     # RTA_TABLE 1000
      1600 1200 0a00 fd000000 00000000 00000000 00000009 0000   # RTA_VIA AF_INET6 fd00::9 (len 22, padded)
      1400 0880                              # RTA_METRICS | NLA_F_NESTED, len 20
        0800 0200 78050000                   #   RTAX_MTU 1400
        0800 0800 50050000                   #   RTAX_ADVMSS 1360
      0800 0300 07000000                     # RTA_IIF 7
    `),
    );
    assert.deepEqual(r, {
      dst: { afi: Afi.IPV4, len: 0, addr: new Uint8Array(4) },
      tos: 16,
      table: 1000,
      protocol: RouteProtocol.RTPROT_STATIC,
      scope: 0,
      type: 1,
      flags: RouteFlag.RTNH_F_ONLINK,
      gateway: parseAddress('fd00::9'),
      metrics: { 2: 1400, 8: 1360 },
      iif: 7,
    });
  });

  test('families other than IPv4/IPv6 are skipped; truncations are malformed', () => {
    const mpls = hex(`1c000000 1800 0200 01000000 00000000 1c 14 00 00 fe 03 00 01 00000000`);
    assert.equal(decodeRoute(parseMessages(mpls)[0]!), undefined);
    const short = hex(`18000000 1800 0200 01000000 00000000 02 18 00 00 fe 03 00 01`);
    assert.throws(() => decodeRoute(parseMessages(short)[0]!), (e: unknown) => e instanceof WrenError && e.code === 'NETLINK_MALFORMED');
    const badDst = hex(`24000000 1800 0200 01000000 00000000 02 18 00 00 fe 03 00 01 00000000 0600 0100 c612 0000`);
    assert.throws(() => decodeRoute(parseMessages(badDst)[0]!), /address of 2 bytes/);
    const longAttr = hex(`24000000 1800 0200 01000000 00000000 02 18 00 00 fe 03 00 01 00000000 0c00 0100 c6120500`);
    assert.throws(() => decodeRoute(parseMessages(longAttr)[0]!), /rta_len 12/);
  });

  test('the RTA table names every row and describeAttrs uses it', () => {
    assert.equal(RTA_TABLE.rows[5]?.name, 'RTA_GATEWAY');
    assert.equal(RTA_TABLE.byName['RTA_MULTIPATH']?.type, 9);
    const b = buildRouteRequest(RouteOp.ADD, 1, { dst: parsePrefix('198.18.1.0/24'), gateway: parseAddress('198.18.0.2'), priority: 7 });
    const m = parseMessages(b)[0]!;
    assert.deepEqual(
      describeAttrs(RTA_TABLE, m.buf, m.start + 12, m.end).map((a) => `${a.name}=${a.value instanceof Uint8Array ? [...a.value].join('.') : a.value}`),
      ['RTA_DST=198.18.1.0', 'RTA_PRIORITY=7', 'RTA_GATEWAY=198.18.0.2'],
    );
  });
});

describe('encodeRoute: fixtures', () => {
  test('add 198.18.100.0/24 via 198.18.0.2 metric 1024, ACK', () => {
    const b = buildRouteRequest(RouteOp.ADD, 7, { dst: parsePrefix('198.18.100.0/24'), gateway: parseAddress('198.18.0.2'), priority: 1024 });
    assert.deepEqual(
      b,
      hex(`
      34000000 1800 0506 07000000 00000000   # len 52, RTM_NEWROUTE, REQUEST|ACK|EXCL|CREATE, seq 7
      02 18 00 00  fe 0c 00 01  00000000     # AF_INET /24, main, proto bird (12), universe, unicast
      0800 0100 c6126400                     # RTA_DST
      0800 0600 00040000                     # RTA_PRIORITY 1024
      0800 0500 c6120002                     # RTA_GATEWAY
    `),
    );
  });

  test('replace, table 1000, via inet6 gateway onlink, dev 5', () => {
    const b = buildRouteRequest(RouteOp.REPLACE, 8, {
      dst: parsePrefix('198.18.9.0/24'),
      table: 1000,
      gateway: parseAddress('fd00::9'),
      oif: 5,
      flags: RouteFlag.RTNH_F_ONLINK,
    });
    assert.deepEqual(
      b,
      hex(`
      4c000000 1800 0505 08000000 00000000   # len 76, RTM_NEWROUTE, REQUEST|ACK|REPLACE|CREATE
      02 18 00 00  fc 0c 00 01  04000000     # table COMPAT, bird, universe, unicast, RTNH_F_ONLINK
      0800 0100 c6120900                     # RTA_DST
      0800 0f00 e8030000                     # RTA_TABLE 1000
      1600 1200 0a00 fd000000 00000000 00000000 00000009 0000   # RTA_VIA AF_INET6 fd00::9
      0800 0400 05000000                     # RTA_OIF 5
    `),
    );
  });

  test('IPv6 multipath add uses RTA_MULTIPATH', () => {
    const b = buildRouteRequest(RouteOp.ADD, 9, {
      dst: parsePrefix('fd00:1::/64'),
      multipath: [
        { gateway: parseAddress('fd00::2'), oif: 3, flags: 0, weight: 1 },
        { gateway: parseAddress('fd00::3'), oif: 3, flags: 0, weight: 2 },
      ],
    }, 0);
    assert.deepEqual(
      b,
      hex(`
      6c000000 1800 0106 09000000 00000000   # len 108, REQUEST|EXCL|CREATE (no ACK)
      0a 40 00 00  fe 0c 00 01  00000000     # AF_INET6 /64, main, bird, universe, unicast
      1400 0100 fd000001 00000000 00000000 00000000   # RTA_DST fd00:1::
      3c00 0900                              # RTA_MULTIPATH len 60
        1c00 00 00 03000000                  #   rtnexthop len 28, weight 1, dev 3
        1400 0500 fd000000 00000000 00000000 00000002   # RTA_GATEWAY fd00::2
        1c00 00 01 03000000                  #   rtnexthop len 28, weight 2, dev 3
        1400 0500 fd000000 00000000 00000000 00000003   # RTA_GATEWAY fd00::3
    `),
    );
  });

  test('delete is by key: dst, table, protocol, priority; scope NOWHERE, type UNSPEC', () => {
    const b = buildRouteRequest(RouteOp.DELETE, 10, {
      dst: parsePrefix('198.18.100.0/24'),
      gateway: parseAddress('198.18.0.2'),
      type: RouteType.RTN_BLACKHOLE,
      priority: 5,
    });
    assert.deepEqual(
      b,
      hex(`
      2c000000 1900 0500 0a000000 00000000   # len 44, RTM_DELROUTE, REQUEST|ACK
      02 18 00 00  fe 0c ff 00  00000000     # main, bird, scope NOWHERE, RTN_UNSPEC
      0800 0100 c6126400                     # RTA_DST
      0800 0600 05000000                     # RTA_PRIORITY 5
    `),
    );
  });

  test('blackhole/unreachable/prohibit and dev-only routes get their scopes', () => {
    for (const type of [RouteType.RTN_BLACKHOLE, RouteType.RTN_UNREACHABLE, RouteType.RTN_PROHIBIT]) {
      assert.equal(defaultScope({ dst: parsePrefix('10.0.0.0/8'), type }), RouteScope.RT_SCOPE_UNIVERSE);
    }
    assert.equal(defaultScope({ dst: parsePrefix('10.0.0.0/8'), oif: 2 }), RouteScope.RT_SCOPE_LINK);
    assert.equal(defaultScope({ dst: parsePrefix('10.0.0.0/8'), gateway: parseAddress('10.1.1.1') }), RouteScope.RT_SCOPE_UNIVERSE);
    assert.equal(defaultScope({ dst: parsePrefix('10.0.0.1/32'), type: RouteType.RTN_LOCAL }), RouteScope.RT_SCOPE_HOST);
  });

  test('dump request', () => {
    assert.deepEqual(buildRouteDump(3, 10), hex(`1c000000 1a00 0103 03000000 00000000 0a 00 00 00 00 00 00 00 00000000`));
  });

  test('sameNextHops ignores order and compares gateway/oif/onlink/weight', () => {
    const base = { dst: parsePrefix('10.0.0.0/8'), tos: 0, table: 254, protocol: 12, scope: 0, type: 1, flags: 0 };
    const a = { ...base, multipath: [{ gateway: parseAddress('1.1.1.1'), oif: 2, flags: 0, weight: 1 }, { gateway: parseAddress('1.1.1.2'), oif: 2, flags: 0, weight: 1 }] };
    const b = { ...base, multipath: [...a.multipath].reverse() };
    assert.equal(sameNextHops(a, b), true);
    assert.equal(sameNextHops(a, { ...base, gateway: parseAddress('1.1.1.1'), oif: 2 }), false);
    assert.equal(sameNextHops({ ...base, gateway: parseAddress('1.1.1.1'), oif: 2 }, { ...base, gateway: parseAddress('1.1.1.1'), oif: 3 }), false);
    assert.equal(sameNextHops({ ...base, gateway: parseAddress('1.1.1.1'), oif: 2 }, { ...base, gateway: parseAddress('1.1.1.1'), oif: 2, flags: RouteFlag.RTNH_F_ONLINK }), false);
  });
});

// ---- round trips ---------------------------------------------------------------------------

const addrOf = (n: 4 | 16) => fc.uint8Array({ minLength: n, maxLength: n });
const anyGateway = fc.oneof(addrOf(4), addrOf(16));
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u8 = fc.integer({ min: 0, max: 255 });

const prefixArb = (afi: Afi, minLen = 0) =>
  fc.tuple(addrOf(afi === Afi.IPV4 ? 4 : 16), fc.integer({ min: minLen, max: afi === Afi.IPV4 ? 32 : 128 })).map(([addr, len]) => {
    maskHostBits(addr, len);
    return { afi, len, addr };
  });

const nextHopArb: fc.Arbitrary<NextHop> = fc.record(
  { gateway: anyGateway, oif: fc.integer({ min: 0, max: 0x7fffffff }), flags: u8, weight: fc.integer({ min: 1, max: 256 }) },
  { requiredKeys: ['oif', 'flags', 'weight'], noNullPrototype: true },
);

const routeArb: fc.Arbitrary<KernelRoute> = fc.constantFrom(Afi.IPV4, Afi.IPV6).chain((afi) =>
  fc.record(
    {
      dst: prefixArb(afi),
      src: prefixArb(afi, 1),
      tos: u8,
      table: fc.oneof(fc.integer({ min: 0, max: 255 }), u32),
      protocol: u8,
      scope: u8,
      type: u8,
      flags: u32,
      priority: u32,
      prefsrc: addrOf(afi === Afi.IPV4 ? 4 : 16),
      gateway: anyGateway,
      oif: fc.integer({ min: 1, max: 0x7fffffff }),
      multipath: fc.array(nextHopArb, { minLength: 1, maxLength: 4 }),
      iif: u32,
      metrics: fc.dictionary(fc.constantFrom('1', '2', '3', '7', '8', '10', '11', '17'), u32).map((d) => {
        const out: Record<number, number> = {};
        for (const [k, v] of Object.entries(d)) out[Number(k)] = v;
        return out;
      }),
      pref: u8,
      realm: u32,
    },
    { requiredKeys: ['dst', 'tos', 'table', 'protocol', 'scope', 'type', 'flags'], noNullPrototype: true },
  ),
);

describe('round trips', () => {
  test('encodeRoute(ADD/REPLACE) → decodeRoute is the identity; the size is exact', () => {
    fc.assert(
      fc.property(routeArb, fc.constantFrom(RouteOp.ADD, RouteOp.REPLACE), fc.integer({ min: 0, max: 16 }).map((k) => k * 4), (r, op, at) => {
        const size = routeMessageSize(op, r);
        const buf = Buffer.alloc(at + size + 8, 0xee);
        const end = encodeRoute(buf, at, op, 42, r);
        assert.equal(end - at, size);
        assert.equal(buf[end], 0xee, 'wrote past the computed size');
        const ms = parseMessages(buf.subarray(at, end));
        assert.equal(ms.length, 1);
        assert.equal(ms[0]!.seq, 42);
        assert.deepEqual(decodeRoute(ms[0]!), r);
      }),
      { numRuns: 500 },
    );
  });

  test('many routes packed in one buffer decode back in order', () => {
    fc.assert(
      fc.property(fc.array(routeArb, { minLength: 1, maxLength: 30 }), (rs) => {
        const buf = Buffer.alloc(rs.reduce((n, r) => n + routeMessageSize(RouteOp.REPLACE, r), 0));
        let off = 0;
        rs.forEach((r, i) => (off = encodeRoute(buf, off, RouteOp.REPLACE, i, r)));
        assert.equal(off, buf.length);
        const back = parseMessages(buf);
        assert.deepEqual(back.map((m) => m.seq), rs.map((_, i) => i));
        assert.deepEqual(back.map((m) => decodeRoute(m)), rs);
      }),
      { numRuns: 100 },
    );
  });

  test('decodeRoute never throws anything but NETLINK_MALFORMED on corrupted messages', () => {
    fc.assert(
      fc.property(routeArb, fc.array(fc.tuple(fc.nat(), u8), { minLength: 1, maxLength: 6 }), (r, flips) => {
        const b = buildRouteRequest(RouteOp.ADD, 1, r);
        for (const [pos, v] of flips) {
          const p = 16 + (pos % Math.max(1, b.length - 16));
          b[p] = v;
        }
        try {
          decodeRoute(parseMessages(b)[0]!);
        } catch (e) {
          assert.ok(e instanceof WrenError && e.code === 'NETLINK_MALFORMED', String(e));
        }
      }),
      { numRuns: 1000 },
    );
  });
});
