// ifinfomsg + IFLA_* and ifaddrmsg + IFA_* decoding: annotated hex fixtures (layouts from
// linux/if_link.h and linux/if_addr.h) and fast-check round trips through the test encoders.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  IFLA_TABLE,
  LinkFlag,
  OperState,
  buildLinkDump,
  buildLinkMessage,
  decodeLink,
  isLoopback,
  isRunning,
  isUp,
  type KernelLink,
} from '../../../src/fib/netlink/link.js';
import { AddrFlag, buildAddrDump, buildAddrMessage, connectedPrefix, decodeAddr, localAddress, type KernelAddr } from '../../../src/fib/netlink/addr.js';
import { MsgType, parseMessages } from '../../../src/fib/netlink/message.js';
import { Afi, parseAddress, parsePrefix } from '../../../src/rib/prefix.js';
import { hex } from './hex.js';

describe('links', () => {
  test('RTM_NEWLINK for veth d0: flags, name, MTU, operstate, address, kind; unknown attributes skipped', () => {
    const [m] = parseMessages(
      hex(`
      5c000000 1000 0200 05000000 00000000   # len 92, RTM_NEWLINK, NLM_F_MULTI, seq 5
      00 00 0100                             # ifinfomsg: AF_UNSPEC, pad, ARPHRD_ETHER
      03000000                               #   ifi_index 3
      43100100                               #   ifi_flags UP|BROADCAST|RUNNING|MULTICAST|LOWER_UP
      00000000                               #   ifi_change
      0700 0300 643000 00                    # IFLA_IFNAME "d0"
      0800 0400 dc050000                     # IFLA_MTU 1500
      0500 1000 06 000000                    # IFLA_OPERSTATE UP
      0a00 0100 12233291397a 0000            # IFLA_ADDRESS 12:23:32:91:39:7a
      1000 1280                              # IFLA_LINKINFO | NLA_F_NESTED, len 16
        0900 0100 76657468 00 000000         #   IFLA_INFO_KIND "veth"
      0800 1700 00000000                     # type 23 (IFLA_STATS64, truncated): not in the table
    `),
    );
    const l = decodeLink(m!);
    assert.deepEqual(l, {
      index: 3,
      type: 1,
      flags: LinkFlag.IFF_UP | LinkFlag.IFF_BROADCAST | LinkFlag.IFF_RUNNING | LinkFlag.IFF_MULTICAST | LinkFlag.IFF_LOWER_UP,
      name: 'd0',
      mtu: 1500,
      operState: OperState.IF_OPER_UP,
      address: Uint8Array.from([0x12, 0x23, 0x32, 0x91, 0x39, 0x7a]),
      kind: 'veth',
    });
    assert.equal(isUp(l), true);
    assert.equal(isRunning(l), true);
    assert.equal(isLoopback(l), false);
    assert.equal(IFLA_TABLE.rows[3]?.name, 'IFLA_IFNAME');
  });

  test('dump request', () => {
    assert.deepEqual(buildLinkDump(2), hex(`20000000 1200 0103 02000000 00000000 00000000 00000000 00000000 00000000`));
  });

  test('round trip through buildLinkMessage', () => {
    const linkArb: fc.Arbitrary<KernelLink> = fc.record(
      {
        index: fc.integer({ min: 1, max: 0x7fffffff }),
        type: fc.integer({ min: 0, max: 0xffff }),
        flags: fc.integer({ min: 0, max: 0xffffffff }),
        name: fc.stringMatching(/^[a-z][a-z0-9.@-]{0,14}$/),
        mtu: fc.integer({ min: 0, max: 0xffffffff }),
        operState: fc.integer({ min: 0, max: 6 }),
        kind: fc.constantFrom('veth', 'dummy', 'ipip', 'vxlan', 'wireguard', 'bridge'),
        address: fc.uint8Array({ minLength: 6, maxLength: 6 }),
        master: fc.integer({ min: 0, max: 0xffffffff }),
        link: fc.integer({ min: 0, max: 0xffffffff }),
        carrier: fc.integer({ min: 0, max: 1 }),
      },
      { requiredKeys: ['index', 'type', 'flags', 'name'], noNullPrototype: true },
    );
    fc.assert(
      fc.property(linkArb, (l) => {
        const ms = parseMessages(buildLinkMessage(MsgType.RTM_NEWLINK, 0, 1, l));
        assert.equal(ms.length, 1);
        assert.deepEqual(decodeLink(ms[0]!), l);
      }),
      { numRuns: 300 },
    );
  });
});

describe('addresses', () => {
  test('RTM_NEWADDR 198.18.0.1/24 on d0 (IFA_CACHEINFO ignored)', () => {
    const [m] = parseMessages(
      hex(`
      4c000000 1400 0200 06000000 00000000   # len 76, RTM_NEWADDR, NLM_F_MULTI
      02 18 80 00 03000000                   # ifaddrmsg: AF_INET, /24, IFA_F_PERMANENT, scope universe, index 3
      0800 0100 c6120001                     # IFA_ADDRESS
      0800 0200 c6120001                     # IFA_LOCAL
      0700 0300 643000 00                    # IFA_LABEL "d0"
      0800 0800 80000000                     # IFA_FLAGS
      1400 0600 ffffffff ffffffff 01000000 02000000   # IFA_CACHEINFO
    `),
    );
    const a = decodeAddr(m!)!;
    assert.deepEqual(a, {
      afi: Afi.IPV4,
      prefixLen: 24,
      flags: AddrFlag.IFA_F_PERMANENT,
      scope: 0,
      index: 3,
      address: parseAddress('198.18.0.1'),
      local: parseAddress('198.18.0.1'),
      label: 'd0',
    });
    assert.deepEqual(connectedPrefix(a), parsePrefix('198.18.0.0/24'));
    assert.deepEqual(localAddress(a), parseAddress('198.18.0.1'));
  });

  test('IFA_FLAGS supersedes the 8-bit ifa_flags (IPv6, NOPREFIXROUTE)', () => {
    const [m] = parseMessages(
      hex(`
      34000000 1400 0200 06000000 00000000   # len 52
      0a 40 80 00 03000000                   # AF_INET6, /64, PERMANENT, universe, index 3
      1400 0100 fd000000 00000000 00000000 00000001   # IFA_ADDRESS fd00::1
      0800 0800 80020000                     # IFA_FLAGS PERMANENT | NOPREFIXROUTE
    `),
    );
    const a = decodeAddr(m!)!;
    assert.equal(a.flags, AddrFlag.IFA_F_PERMANENT | AddrFlag.IFA_F_NOPREFIXROUTE);
    assert.deepEqual(connectedPrefix(a), parsePrefix('fd00::/64'));
  });

  test('other families are skipped; dump request', () => {
    assert.equal(decodeAddr(parseMessages(hex(`18000000 1400 0200 01000000 00000000 11 00 00 00 01000000`))[0]!), undefined);
    assert.deepEqual(buildAddrDump(4, 2), hex(`18000000 1600 0103 04000000 00000000 02 00 00 00 00000000`));
  });

  test('round trip through buildAddrMessage', () => {
    const labelArb = fc.stringMatching(/^[a-z0-9:]{0,15}$/); // built once: costly to build per sample
    const addrArb: fc.Arbitrary<KernelAddr> = fc.constantFrom(Afi.IPV4, Afi.IPV6).chain((afi) => {
      const a = fc.uint8Array({ minLength: afi === Afi.IPV4 ? 4 : 16, maxLength: afi === Afi.IPV4 ? 4 : 16 });
      return fc.record(
        {
          afi: fc.constant(afi),
          prefixLen: fc.integer({ min: 0, max: afi === Afi.IPV4 ? 32 : 128 }),
          flags: fc.integer({ min: 0, max: 0xffffffff }),
          scope: fc.integer({ min: 0, max: 255 }),
          index: fc.integer({ min: 1, max: 0xffffffff }),
          address: a,
          local: a,
          label: labelArb,
          broadcast: a,
        },
        { requiredKeys: ['afi', 'prefixLen', 'flags', 'scope', 'index'], noNullPrototype: true },
      );
    });
    fc.assert(
      fc.property(addrArb, (a) => {
        assert.deepEqual(decodeAddr(parseMessages(buildAddrMessage(MsgType.RTM_NEWADDR, 0, 1, a))[0]!), a);
      }),
      { numRuns: 300 },
    );
  });
});
