// IPv6 link-local next hops as BIRD 1.6 (bird6, Calico's daemon) handles them, on a real table
// with real channels and configurations parsed from BIRD 1.6 text, without sockets (as
// bgp-export.test.ts): sessions are brought "up" by handing each protocol a negotiated result;
// what a peer would be sent is what its update group puts into its Adj-RIB-Out.
//   Import (proto/bgp/packets.c bgp_set_next_hop, nest/rt-table.c rt_update_hostentry):
//     `gateway recursive` — a next hop on a connected network is reached via the link-local
//     address that came with it (32-octet MP_REACH next hop, RFC 2545 §3), on that interface;
//     `gateway direct` — the global next hop if it is on a connected network, the link-local
//     one only when the global one is empty or link-local itself, else the neighbour.
//   Refused on import (bgp_set_next_hop returns 0, bgp_do_rx_update withdraws the UPDATE's
//     prefixes): `gateway recursive` with a link-local or empty global next hop; `gateway
//     direct` with a next hop that is one of our addresses.
//   Export (bgp_start_neighbor local_link, bgp_create_update): our own address goes with our
//     link-local address on single-hop sessions only; a kept next hop keeps its link-local
//     address only towards a single-hop peer on its link; a next hop on that link without one
//     becomes ours (`missing lladdr self`, the default), goes alone (`ignore`) or not at all
//     (`drop`). A filter that writes bgp_next_hop drops the link-local address. `direct`
//     makes an iBGP session single-hop.
// Also the interface-table helpers this needs (connectedOn, linkLocal).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RoutingTable } from '../../src/rib/table.js';
import { BgpProtocol } from '../../src/bgp/protocol.js';
import { LogLevel, memoryLogger, type Logger } from '../../src/log.js';
import { InterfaceTable } from '../../src/fib/interfaces.js';
import { AdjRibOut } from '../../src/rib/adj-rib-out.js';
import { MessageType, type PathAttributes, type UpdateMessage } from '../../src/bgp/codec/index.js';
import { UpdateAction } from '../../src/bgp/errors.js';
import { Afi, IPV4_UNICAST, IPV6_UNICAST, parseAddress, parsePrefix, formatAddress, formatPrefix, type AfiSafi, type Nlri, type Prefix } from '../../src/rib/prefix.js';
import type { AttrSet } from '../../src/rib/attr-set.js';
import { bgpLab, deliver, establish, negotiated } from '../helpers/socketless-bgp.js';

const ROUTER_ID = (192 << 24 | 2 << 8 | 1) >>> 0;

// What each Adj-RIB-Out was last given per prefix (the wire attribute set after the export
// filter and the next-hop rules), recorded from AdjRibOut.set — its public entry point.
const given = new WeakMap<AdjRibOut, Map<string, AttrSet | undefined>>();
const origSet = AdjRibOut.prototype.set;
AdjRibOut.prototype.set = function (this: AdjRibOut, prefix: Prefix, pathId: number, attrs: AttrSet | undefined): void {
  let m = given.get(this);
  if (m === undefined) given.set(this, (m = new Map()));
  m.set(formatPrefix(prefix), attrs);
  origSet.call(this, prefix, pathId, attrs);
};

/** The peer's next hop for a prefix as it would go on the wire: `global` or `global link-local`; undefined if not sent. */
function sentNextHop(p: BgpProtocol, prefix: string): string | undefined {
  const out = (p as unknown as { adjRibOut: AdjRibOut | null }).adjRibOut;
  const a = out === null ? undefined : given.get(out)?.get(prefix);
  if (a === undefined || a.nextHop === undefined) return undefined;
  return a.nextHopLinkLocal ? `${formatAddress(a.nextHop)} ${formatAddress(a.nextHopLinkLocal)}` : formatAddress(a.nextHop);
}

/** An interface table: name → [ifindex, addresses with lengths]. */
function interfaces(spec: Record<string, readonly string[]>): InterfaceTable {
  const ifs = new InterfaceTable();
  let index = 2;
  for (const [name, addrs] of Object.entries(spec)) {
    const i = index++;
    ifs.applyLink({ index: i, name, type: 1, flags: 0x1 | 0x10000 } as never, false);
    for (const s of addrs) {
      const [a, len] = s.split('/') as [string, string];
      const b = parseAddress(a);
      ifs.applyAddr({ afi: b.length === 16 ? Afi.IPV6 : Afi.IPV4, prefixLen: Number(len), flags: 0, scope: a.startsWith('fe80') ? 253 : 0, index: i, address: b, local: b } as never, false);
    }
  }
  return ifs;
}

const setup = (text: string, ifs: InterfaceTable | undefined, opts: { dialect?: 'ipv4' | 'ipv6'; log?: Logger } = {}) =>
  bgpLab(text, { dialect: opts.dialect ?? 'ipv6', interfaces: ifs, ...(opts.log ? { log: opts.log } : {}) });

const up = (p: BgpProtocol, peerRouterId: number, family: AfiSafi = IPV6_UNICAST) => establish(p, negotiated(p, peerRouterId, { family }));

/** An UPDATE with an MP_REACH_NLRI next hop of 16 octets (`global`) or 32 (`global ll`). */
function receive(p: BgpProtocol, prefixes: string[], nextHop: string, asPath: number[] = []) {
  const [g, ll] = nextHop.split(' ') as [string, string | undefined];
  const nlri: Nlri[] = prefixes.map((s) => ({ ...parsePrefix(s), pathId: 0 }));
  const attributes: PathAttributes = { origin: 0, asPath: asPath.length ? [{ type: 2, asns: asPath }] : [] };
  const u: UpdateMessage = {
    type: MessageType.UPDATE, withdrawn: [], attributes, nlri: [], action: UpdateAction.NONE, errors: [],
    mpReach: { afi: Afi.IPV6, safi: 1, nextHop: ll === undefined ? { global: parseAddress(g) } : { global: parseAddress(g), linkLocal: parseAddress(ll) }, nlri },
  };
  deliver(p, u);
}

/** An IPv4 UPDATE: NLRI with a NEXT_HOP attribute. */
function receive4(p: BgpProtocol, prefixes: string[], nextHop: string, asPath: number[] = []) {
  const nlri: Nlri[] = prefixes.map((s) => ({ ...parsePrefix(s), pathId: 0 }));
  const attributes: PathAttributes = { origin: 0, asPath: asPath.length ? [{ type: 2, asns: asPath }] : [], nextHop: parseAddress(nextHop) };
  const u: UpdateMessage = { type: MessageType.UPDATE, withdrawn: [], attributes, nlri, action: UpdateAction.NONE, errors: [] };
  deliver(p, u);
}

/** Whether the table has a route for the prefix. */
const inTable = (table: RoutingTable, prefix: string): boolean => table.get(parsePrefix(prefix))?.best !== undefined;

/** The table's best route for a prefix as `show route` has it: `via <gateway> on <iface>`. */
function via(table: RoutingTable, prefix: string): string {
  const a = table.get(parsePrefix(prefix))?.best?.attrs;
  assert.ok(a, `${prefix} in the table`);
  return `via ${a.gateway ? formatAddress(a.gateway) : '-'} on ${a.ifname ?? '-'}`;
}

const LAN = { eth0: ['fd00:1::1/64', 'fe80::1/64'], eth1: ['fd00:2::1/64', 'fe80::1/64'] };

// ---- interface table ----------------------------------------------------------------------------

test('interface table: linkLocal is the first fe80::/10 address of an up interface; connectedOn places a link-local address on one interface', () => {
  const ifs = interfaces({ eth0: ['fd00:1::1/64', 'fe80::1/64', 'fe80::99/64'], eth1: ['fd00:2::1/64', 'fe80::7/64'], eth2: ['fd00:3::1/64'] });
  const [e0, e1, e2] = ['eth0', 'eth1', 'eth2'].map((n) => ifs.get(n)!);
  assert.equal(formatAddress(ifs.linkLocal(e0!)!), 'fe80::1');
  assert.equal(formatAddress(ifs.linkLocal(e1!)!), 'fe80::7');
  assert.equal(ifs.linkLocal(e2!), undefined, 'no link-local address');
  // Every interface's fe80::/64 holds fe80::2: connected() picks one; connectedOn() asks about one.
  assert.ok(ifs.connectedOn(e1!, parseAddress('fe80::2')));
  assert.equal(ifs.connectedOn(e2!, parseAddress('fe80::2')), undefined);
  assert.equal(ifs.connectedOn(e0!, parseAddress('fd00:2::5')), undefined, 'a global address of another link');
  assert.equal(formatPrefix(ifs.connectedOn(e0!, parseAddress('fd00:1::5'))!.prefix), 'fd00:1::/64');
  // Down: neither.
  ifs.applyLink({ index: e0!.index, name: 'eth0', type: 1, flags: 0 } as never, false);
  assert.equal(ifs.linkLocal(ifs.get('eth0')!), undefined);
  assert.equal(ifs.connectedOn(ifs.get('eth0')!, parseAddress('fd00:1::5')), undefined);
});

test('interface table: connected() answers follow every change (its answers are cached between changes)', () => {
  const ifs = interfaces({ eth0: ['198.18.1.1/24'] });
  const addr = parseAddress('198.18.2.7');
  assert.equal(ifs.connected(addr), undefined);
  assert.equal(ifs.connected(addr), undefined, 'asked again: still none');
  const i = ifs.get('eth0')!.index;
  const add = (deleted: boolean) =>
    ifs.applyAddr({ afi: Afi.IPV4, prefixLen: 24, flags: 0, scope: 0, index: i, address: parseAddress('198.18.2.1'), local: parseAddress('198.18.2.1') } as never, deleted);
  add(false);
  assert.equal(ifs.connected(addr)?.iface.name, 'eth0', 'an address added');
  ifs.applyLink({ index: i, name: 'eth0', type: 1, flags: 0 } as never, false);
  assert.equal(ifs.connected(addr), undefined, 'the interface went down');
  ifs.applyLink({ index: i, name: 'eth0', type: 1, flags: 0x1 | 0x10000 } as never, false);
  assert.equal(ifs.connected(addr)?.iface.name, 'eth0', 'up again');
  add(true);
  assert.equal(ifs.connected(addr), undefined, 'the address removed');
});

test('interface table: connected() answers by the address bytes, IPv4 and IPv6, whatever array asks and whatever happens to it after', () => {
  const ifs = interfaces({ eth0: ['198.18.1.1/24', 'fd00:1::1/64'], eth1: ['198.18.2.1/24', 'fd00:2::1/64'] });
  for (const [a, b, none] of [['198.18.1.7', '198.18.2.7', '198.18.3.7'], ['fd00:1::7', 'fd00:2::7', 'fd00:3::7']] as const) {
    // More distinct addresses than the recent answers hold, asked round and round.
    const many = Array.from({ length: 10 }, (_, i) => parseAddress(a.replace(/7$/, String(10 + i))));
    for (let round = 0; round < 3; round++) {
      for (const x of many) assert.equal(ifs.connected(x)?.iface.name, 'eth0', `${a} round ${round}`);
      assert.equal(ifs.connected(parseAddress(b))?.iface.name, 'eth1');
      assert.equal(ifs.connected(parseAddress(none)), undefined);
    }
    // The asker's array changes after the question: the next answer is about its new bytes.
    const buf = parseAddress(a);
    assert.equal(ifs.connected(buf)?.iface.name, 'eth0');
    buf.set(parseAddress(b));
    assert.equal(ifs.connected(buf)?.iface.name, 'eth1', 'the same array, now another address');
    buf.set(parseAddress(none));
    assert.equal(ifs.connected(buf), undefined, 'and one on no link');
  }
});

// ---- import -------------------------------------------------------------------------------------

test('gateway recursive: a next hop on a connected network goes via its link-local address on that interface (BIRD 1.6 rt_update_hostentry)', () => {
  const { bgp, table } = setup(`
protocol static { route fd00:1::/64 via "eth0"; route fd00:9::/64 via fd00:1::7; }
protocol bgp a from t { neighbor fd00:1::2 as 65001; source address fd00:1::1; gateway recursive; }`, interfaces(LAN));
  const a = bgp.get('a')!;
  up(a, 1);
  receive(a, ['fd10:1::/64'], 'fd00:1::2 fe80::2', [65001]);
  receive(a, ['fd10:2::/64'], 'fd00:1::2', [65001]);
  receive(a, ['fd10:3::/64'], 'fd00:9::5 fe80::2', [65001]);
  receive(a, ['fd10:4::/64'], 'fd00:1::3 ::', [65001]);
  assert.equal(via(table, 'fd10:1::/64'), 'via fe80::2 on eth0', 'with a link-local address: via it');
  assert.equal(via(table, 'fd10:2::/64'), 'via fd00:1::2 on eth0', 'without one: via the global address');
  assert.match(via(table, 'fd10:3::/64'), /^via fd00:1::7 on /, 'resolved through a gateway route: that gateway');
  assert.equal(via(table, 'fd10:4::/64'), 'via fd00:1::3 on eth0', 'an all-zero link-local address counts as none');
  // The BGP next hop itself is unchanged (BGP.next_hop shows both addresses).
  const r = table.get(parsePrefix('fd10:1::/64'))!.best!.attrs;
  assert.equal(formatAddress(r.nextHop!), 'fd00:1::2');
  assert.equal(formatAddress(r.nextHopLinkLocal!), 'fe80::2');
});

test('gateway direct: the global next hop wins when it is on a connected network; the link-local one only when the global one is empty or link-local (BIRD 1.6 bgp_set_next_hop)', () => {
  const { bgp, table } = setup(`protocol bgp a from t { neighbor fd00:1::2 as 65001; source address fd00:1::1; }`, interfaces(LAN));
  const a = bgp.get('a')!;
  assert.equal(a.config.gateway, 'direct');
  up(a, 1);
  receive(a, ['fd10:1::/64'], 'fd00:1::5 fe80::5', [65001]);
  receive(a, ['fd10:2::/64'], ':: fe80::5', [65001]);
  receive(a, ['fd10:3::/64'], 'fe80::6 fe80::5', [65001]);
  receive(a, ['fd10:4::/64'], 'fd00:77::5 fe80::5', [65001]);
  receive(a, ['fd10:5::/64'], 'fe80::6', [65001]);
  assert.equal(via(table, 'fd10:1::/64'), 'via fd00:1::5 on eth0');
  assert.equal(via(table, 'fd10:2::/64'), 'via fe80::5 on eth0', 'empty global address: the link-local one, on the neighbour\'s interface');
  assert.equal(via(table, 'fd10:3::/64'), 'via fe80::5 on eth0', 'a link-local global address counts as empty');
  assert.equal(via(table, 'fd10:4::/64'), 'via fd00:1::2 on eth0', 'off-link global address: the neighbour');
  assert.equal(via(table, 'fd10:5::/64'), 'via fd00:1::2 on eth0', 'nothing usable: the neighbour');
});

// ---- export -------------------------------------------------------------------------------------

test('our own address as next hop goes with our link-local address on single-hop sessions only (BIRD 1.6 local_link)', () => {
  const ifs = interfaces({ ...LAN, eth2: ['fd00:3::1/64'] });
  const { bgp } = setup(`
protocol static { route fd10:99::/64 blackhole; }
protocol bgp e from t { neighbor fd00:1::2 as 65001; source address fd00:1::1; }
protocol bgp s from t { neighbor fd00:2::2 as 65002; source address fd00:2::1; next hop self; }
protocol bgp m from t { neighbor fd00:1::3 as 65003; source address fd00:1::1; multihop 2; }
protocol bgp n from t { neighbor fd00:3::2 as 65004; source address fd00:3::1; }
protocol bgp i from t { neighbor fd00:2::3 as 65000; source address fd00:2::1; next hop self; }`, ifs);
  for (const [i, n] of ['e', 's', 'm', 'n', 'i'].entries()) up(bgp.get(n)!, i + 1);
  assert.equal(sentNextHop(bgp.get('e')!, 'fd10:99::/64'), 'fd00:1::1 fe80::1', 'single-hop eBGP');
  assert.equal(sentNextHop(bgp.get('s')!, 'fd10:99::/64'), 'fd00:2::1 fe80::1', '`next hop self`, single-hop');
  assert.equal(sentNextHop(bgp.get('m')!, 'fd10:99::/64'), 'fd00:1::1', 'multihop: no link-local address');
  assert.equal(sentNextHop(bgp.get('n')!, 'fd10:99::/64'), 'fd00:3::1', 'the interface has no link-local address');
  assert.equal(sentNextHop(bgp.get('i')!, 'fd10:99::/64'), 'fd00:2::1', 'iBGP (multihop in BIRD 1.6 unless `direct`)');
});

test('a kept next hop keeps its link-local address only towards a single-hop peer on its link; without one there it becomes ours (missing lladdr self)', () => {
  const { bgp } = setup(`
protocol bgp a from t { neighbor fd00:1::2 as 65001; source address fd00:1::1; }
protocol bgp b from t { neighbor fd00:1::3 as 65002; source address fd00:1::1; }
protocol bgp r from t { neighbor fd00:1::4 as 65003; source address fd00:1::1; rs client; }
protocol bgp c from t { neighbor fd00:2::2 as 65004; source address fd00:2::1; }
protocol bgp i from t { neighbor fd00:2::3 as 65000; source address fd00:2::1; }`, interfaces(LAN));
  for (const [i, n] of ['a', 'b', 'r', 'c', 'i'].entries()) up(bgp.get(n)!, i + 1);
  const a = bgp.get('a')!;
  receive(a, ['fd10:1::/64'], 'fd00:1::2 fe80::2', [65001]);
  receive(a, ['fd10:2::/64'], 'fd00:1::2', [65001]);
  // b shares a's link: a's next hop is kept (third party), with a's link-local address.
  assert.equal(sentNextHop(bgp.get('b')!, 'fd10:1::/64'), 'fd00:1::2 fe80::2');
  // ... and without one, our addresses instead (BIRD: a global next hop alone is no use there).
  assert.equal(sentNextHop(bgp.get('b')!, 'fd10:2::/64'), 'fd00:1::1 fe80::1');
  // rs client: `missing lladdr ignore` — the next hop as it is, alone.
  assert.equal(sentNextHop(bgp.get('r')!, 'fd10:2::/64'), 'fd00:1::2');
  assert.equal(sentNextHop(bgp.get('r')!, 'fd10:1::/64'), 'fd00:1::2 fe80::2');
  // Another link: next hop self (eBGP), with our link-local address there.
  assert.equal(sentNextHop(bgp.get('c')!, 'fd10:1::/64'), 'fd00:2::1 fe80::1');
  // iBGP keeps the next hop; the session is multihop: the link-local address stays behind.
  assert.equal(sentNextHop(bgp.get('i')!, 'fd10:1::/64'), 'fd00:1::2');
});

test('route reflection over multihop iBGP: a reflected next hop goes without its link-local address, even to a client on its link (BIRD 1.6 same_iface needs a neighbour entry)', () => {
  const { bgp } = setup(`
protocol bgp c1 from t { neighbor fd00:1::2 as 65000; source address fd00:1::1; rr client; }
protocol bgp c2 from t { neighbor fd00:1::3 as 65000; source address fd00:1::1; rr client; }`, interfaces(LAN));
  const c1 = bgp.get('c1')!, c2 = bgp.get('c2')!;
  up(c1, 2); up(c2, 3);
  receive(c1, ['fd10:1::/64'], 'fd00:1::2 fe80::2');
  assert.equal(sentNextHop(c2, 'fd10:1::/64'), 'fd00:1::2');
});

// ---- next hops BIRD 1.6 refuses on receive (bgp_set_next_hop → forced withdraw) ------------------

test('gateway recursive: a link-local or empty global next hop withdraws the UPDATE\'s prefixes instead of being resolved (BIRD 1.6 bgp_set_next_hop)', () => {
  const ifs = interfaces(LAN);
  const { bgp, table } = setup(`
protocol static { route fd00:1::/64 via "eth0"; route fe80::/64 via "eth0"; }
protocol bgp a from t { neighbor fd00:1::2 as 65001; source address fd00:1::1; gateway recursive; }`, ifs);
  const a = bgp.get('a')!;
  up(a, 1);
  receive(a, ['fd10:1::/64', 'fd10:2::/64'], 'fd00:1::2 fe80::2', [65001]);
  assert.ok(inTable(table, 'fd10:1::/64') && inTable(table, 'fd10:2::/64'));
  // A link-local first address counts as none: nothing to resolve. Even though a route
  // covers fe80::/64, BIRD does not try; the prefixes of the UPDATE are withdrawn.
  receive(a, ['fd10:1::/64', 'fd10:3::/64'], 'fe80::2', [65001]);
  receive(a, ['fd10:2::/64'], ':: fe80::2', [65001]);
  receive(a, ['fd10:4::/64'], 'fe80::3 fe80::2', [65001]);
  for (const p of ['fd10:1::/64', 'fd10:2::/64', 'fd10:3::/64', 'fd10:4::/64']) assert.equal(inTable(table, p), false, p);
  assert.equal(a.receivedCount, 0, 'gone from the Adj-RIB-In as well (BIRD keeps nothing of them)');
  // The session stays up and takes the next good UPDATE.
  receive(a, ['fd10:1::/64'], 'fd00:1::5', [65001]);
  assert.equal(via(table, 'fd10:1::/64'), 'via fd00:1::5 on eth0');
});

test('gateway direct: a next hop that is one of our addresses withdraws the UPDATE\'s prefixes (BIRD 1.6: neighbour of SCOPE_HOST)', () => {
  const ifs = interfaces({ ...LAN, lo: ['fd00:99::1/128'] });
  const { bgp, table } = setup(`protocol bgp a from t { neighbor fd00:1::2 as 65001; source address fd00:1::1; }`, ifs);
  const a = bgp.get('a')!;
  assert.equal(a.config.gateway, 'direct');
  up(a, 1);
  receive(a, ['fd10:1::/64'], 'fd00:1::5', [65001]);
  assert.equal(via(table, 'fd10:1::/64'), 'via fd00:1::5 on eth0');
  receive(a, ['fd10:1::/64', 'fd10:2::/64'], 'fd00:1::1 fe80::5', [65001]);
  assert.equal(inTable(table, 'fd10:1::/64'), false, 'our address on the neighbour\'s link: the earlier route is withdrawn too');
  assert.equal(inTable(table, 'fd10:2::/64'), false);
  receive(a, ['fd10:3::/64'], 'fd00:2::1', [65001]);
  assert.equal(inTable(table, 'fd10:3::/64'), false, 'our address on another interface');
  receive(a, ['fd10:4::/64'], 'fd00:99::1', [65001]);
  assert.equal(inTable(table, 'fd10:4::/64'), false, 'our address on lo');
  receive(a, ['fd10:5::/64'], ':: fe80::1', [65001]);
  assert.equal(inTable(table, 'fd10:5::/64'), false, 'no global address, our link-local one on the neighbour\'s interface');
  assert.equal(a.receivedCount, 0);
  // Not ours: accepted as before.
  receive(a, ['fd10:6::/64'], 'fd00:1::1:0 fe80::5', [65001]);
  receive(a, ['fd10:7::/64'], ':: fe80::5', [65001]);
  assert.equal(via(table, 'fd10:6::/64'), 'via fd00:1::1:0 on eth0');
  assert.equal(via(table, 'fd10:7::/64'), 'via fe80::5 on eth0');
  // An interface that is down has no addresses (BIRD if_connected): its old address is not ours.
  ifs.applyLink({ index: ifs.get('eth1')!.index, name: 'eth1', type: 1, flags: 0 } as never, false);
  receive(a, ['fd10:3::/64'], 'fd00:2::1', [65001]);
  assert.equal(via(table, 'fd10:3::/64'), 'via fd00:1::2 on eth0', 'off-link now: via the neighbour');
});

test('gateway direct over IPv4: NEXT_HOP = our own address withdraws the prefixes; the session stays', () => {
  const ifs = interfaces({ eth0: ['198.18.1.1/24'], eth1: ['198.18.2.1/24'] });
  const { bgp, table } = setup(`protocol bgp a from t { neighbor 198.18.1.2 as 65001; source address 198.18.1.1; }`, ifs, { dialect: 'ipv4' });
  const a = bgp.get('a')!;
  up(a, 1, IPV4_UNICAST);
  receive4(a, ['10.1.0.0/16'], '198.18.1.7', [65001]);
  assert.equal(via(table, '10.1.0.0/16'), 'via 198.18.1.7 on eth0');
  receive4(a, ['10.1.0.0/16', '10.2.0.0/16'], '198.18.1.1', [65001]);
  receive4(a, ['10.3.0.0/16'], '198.18.2.1', [65001]);
  for (const p of ['10.1.0.0/16', '10.2.0.0/16', '10.3.0.0/16']) assert.equal(inTable(table, p), false, p);
  assert.equal(a.receivedCount, 0);
  receive4(a, ['10.2.0.0/16'], '198.18.1.8', [65001]);
  assert.equal(via(table, '10.2.0.0/16'), 'via 198.18.1.8 on eth0', 'the next UPDATE is taken as usual');
});

test('an IPv4 NEXT_HOP of 0.0.0.0 withdraws the UPDATE\'s prefixes in both gateway modes (RFC 7606 §7.3 treat-as-withdraw)', () => {
  for (const gw of ['direct', 'recursive']) {
    const ifs = interfaces({ eth0: ['198.18.1.1/24'] });
    const { bgp, table } = setup(`protocol bgp a from t { neighbor 198.18.1.2 as 65001; source address 198.18.1.1; gateway ${gw}; }`, ifs, { dialect: 'ipv4' });
    const a = bgp.get('a')!;
    up(a, 1, IPV4_UNICAST);
    receive4(a, ['10.1.0.0/16'], '198.18.1.7', [65001]);
    assert.equal(a.receivedCount, 1);
    receive4(a, ['10.1.0.0/16', '10.2.0.0/16'], '0.0.0.0', [65001]);
    for (const p of ['10.1.0.0/16', '10.2.0.0/16']) assert.equal(inTable(table, p), false, `${gw}: ${p}`);
    assert.equal(a.receivedCount, 0, `${gw}: nothing kept in the Adj-RIB-In`);
  }
});

// ---- a filter that writes bgp_next_hop ----------------------------------------------------------

test('an export filter writing bgp_next_hop drops the link-local address: on the link, `missing lladdr` applies (BIRD 1.6: the attribute is replaced whole)', () => {
  const { bgp } = setup(`
protocol bgp a from t { neighbor fd00:1::2 as 65001; source address fd00:1::1; }
protocol bgp b from t { neighbor fd00:1::3 as 65002; source address fd00:1::1; export filter { bgp_next_hop = fd00:1::9; accept; }; }
protocol bgp r from t { neighbor fd00:1::4 as 65003; source address fd00:1::1; rs client; export filter { bgp_next_hop = fd00:1::9; accept; }; }
protocol bgp k from t { neighbor fd00:1::5 as 65004; source address fd00:1::1; export filter { bgp_next_hop = bgp_next_hop; accept; }; }
protocol bgp q from t { neighbor fd00:1::6 as 65005; source address fd00:1::1; export filter { bgp_local_pref = 7; accept; }; }`, interfaces(LAN));
  for (const [i, n] of ['a', 'b', 'r', 'k', 'q'].entries()) up(bgp.get(n)!, i + 1);
  receive(bgp.get('a')!, ['fd10:1::/64'], 'fd00:1::2 fe80::2', [65001]);
  // Before the filter the kept next hop had a's link-local address; after it, none: ours instead.
  assert.equal(sentNextHop(bgp.get('b')!, 'fd10:1::/64'), 'fd00:1::1 fe80::1');
  assert.equal(sentNextHop(bgp.get('r')!, 'fd10:1::/64'), 'fd00:1::9', 'rs client (`missing lladdr ignore`): the filter\'s address alone');
  assert.equal(sentNextHop(bgp.get('k')!, 'fd10:1::/64'), 'fd00:1::1 fe80::1', 'writing the same address drops it too');
  assert.equal(sentNextHop(bgp.get('q')!, 'fd10:1::/64'), 'fd00:1::2 fe80::2', 'writing another attribute keeps it');
});

test('an import filter writing bgp_next_hop drops the link-local address of the route in the table; the gateway stays as received', () => {
  const { bgp, table } = setup(`
protocol static { route fd00:1::/64 via "eth0"; }
protocol bgp a from t { neighbor fd00:1::2 as 65001; source address fd00:1::1; gateway recursive; import filter { if net = fd10:1::/64 then bgp_next_hop = fd00:1::2; accept; }; }`, interfaces(LAN));
  const a = bgp.get('a')!;
  up(a, 1);
  receive(a, ['fd10:1::/64', 'fd10:2::/64'], 'fd00:1::2 fe80::2', [65001]);
  const r1 = table.get(parsePrefix('fd10:1::/64'))!.best!.attrs;
  const r2 = table.get(parsePrefix('fd10:2::/64'))!.best!.attrs;
  assert.equal(formatAddress(r1.nextHop!), 'fd00:1::2');
  assert.equal(r1.nextHopLinkLocal, undefined);
  assert.equal(formatAddress(r2.nextHopLinkLocal!), 'fe80::2', 'not written: kept');
  assert.equal(via(table, 'fd10:1::/64'), 'via fe80::2 on eth0', 'resolved before the filter ran (BIRD bgp_set_next_hop)');
});

// ---- `direct` and `missing lladdr` ---------------------------------------------------------------

test('`direct` makes an iBGP session single-hop: our link-local address goes with next hop self, kept next hops on the link keep theirs, gateway direct', () => {
  const { bgp, table } = setup(`
protocol static { route fd10:99::/64 blackhole; }
protocol bgp e from t { neighbor fd00:1::2 as 65001; source address fd00:1::1; }
protocol bgp i from t { neighbor fd00:1::3 as 65000; source address fd00:1::1; direct; next hop self; }
protocol bgp j from t { neighbor fd00:1::4 as 65000; source address fd00:1::1; direct; }
protocol bgp m from t { neighbor fd00:1::5 as 65000; source address fd00:1::1; }`, interfaces(LAN));
  for (const [k, n] of ['e', 'i', 'j', 'm'].entries()) up(bgp.get(n)!, k + 1);
  const [i, j, m] = ['i', 'j', 'm'].map((n) => bgp.get(n)!);
  assert.deepEqual([i!.config.multihop, i!.config.gateway, m!.config.multihop, m!.config.gateway], [0, 'direct', 64, 'recursive']);
  assert.equal(sentNextHop(i!, 'fd10:99::/64'), 'fd00:1::1 fe80::1', 'single-hop: with our link-local address');
  assert.equal(sentNextHop(m!, 'fd10:99::/64'), 'fd00:1::1', 'multihop iBGP: without');
  receive(bgp.get('e')!, ['fd10:1::/64'], 'fd00:1::2 fe80::2', [65001]);
  assert.equal(sentNextHop(j!, 'fd10:1::/64'), 'fd00:1::2 fe80::2', 'kept next hop on the peer\'s link: with its link-local address');
  assert.equal(sentNextHop(m!, 'fd10:1::/64'), 'fd00:1::2');
  // Received over the direct iBGP session: gateway direct (BIRD's default for multihop 0).
  receive(j!, ['fd10:5::/64'], ':: fe80::4');
  assert.equal(via(table, 'fd10:5::/64'), 'via fe80::4 on eth0');
});

test('`missing lladdr`: self puts our addresses, ignore sends the next hop alone, drop skips the route and logs (BIRD 1.6 bgp_create_update)', () => {
  const mem = memoryLogger(LogLevel.ERROR);
  const { bgp } = setup(`
protocol bgp a from t { neighbor fd00:1::2 as 65001; source address fd00:1::1; }
protocol bgp s from t { neighbor fd00:1::3 as 65002; source address fd00:1::1; missing lladdr self; }
protocol bgp g from t { neighbor fd00:1::4 as 65003; source address fd00:1::1; missing lladdr ignore; }
protocol bgp d from t { neighbor fd00:1::5 as 65004; source address fd00:1::1; missing lladdr drop; }
protocol bgp r from t { neighbor fd00:1::6 as 65005; source address fd00:1::1; rs client; missing lladdr drop; }
protocol bgp x from t { neighbor fd00:2::2 as 65006; source address fd00:2::1; missing lladdr drop; }`, interfaces(LAN), { log: mem.logger });
  for (const [i, n] of ['a', 's', 'g', 'd', 'r', 'x'].entries()) up(bgp.get(n)!, i + 1);
  const a = bgp.get('a')!;
  receive(a, ['fd10:1::/64'], 'fd00:1::2 fe80::2', [65001]);
  receive(a, ['fd10:2::/64', 'fd10:3::/64'], 'fd00:1::2', [65001]);
  const sent = (n: string, p: string) => sentNextHop(bgp.get(n)!, p);
  assert.equal(sent('s', 'fd10:2::/64'), 'fd00:1::1 fe80::1');
  assert.equal(sent('g', 'fd10:2::/64'), 'fd00:1::2');
  assert.equal(sent('d', 'fd10:2::/64'), undefined, 'drop: not sent');
  assert.equal(sent('d', 'fd10:3::/64'), undefined);
  assert.equal(sent('r', 'fd10:2::/64'), undefined, 'an explicit option beats the rs client default');
  assert.equal(sent('d', 'fd10:1::/64'), 'fd00:1::2 fe80::2', 'with a link-local address: sent');
  assert.equal(sent('x', 'fd10:2::/64'), 'fd00:2::1 fe80::1', 'off the link: next hop self (eBGP), drop does not apply');
  assert.equal(mem.lines.filter((l) => l === 'd: Missing link-local next hop address, skipping corresponding routes').length, 1, 'once per attribute set');
  assert.ok(mem.lines.includes('r: Missing link-local next hop address, skipping corresponding routes'));
  // Skipped, not withdrawn: the peer keeps what it had (BIRD frees the prefix from its bucket).
  receive(a, ['fd10:1::/64'], 'fd00:1::2', [65001]);
  assert.equal(sent('d', 'fd10:1::/64'), 'fd00:1::2 fe80::2', 'the earlier announcement stands');
  assert.equal(sent('s', 'fd10:1::/64'), 'fd00:1::1 fe80::1');
});
