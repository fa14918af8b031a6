// BGP export and import rules (src/bgp/protocol.ts) on a real table with real channels and
// configurations parsed from BIRD 1.6 text, without sockets: sessions are brought "up" by
// handing each protocol a negotiated result, and what a peer would be sent is read from its
// Adj-RIB-Out. Each rule is checked against the RFC / BIRD behaviour it implements.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText } from '../../conf/index.js';
import type { BgpProtocolConfig, StaticProtocolConfig } from '../../conf/model.js';
import { BgpProtocol } from '../../src/bgp/protocol.js';
import { InterfaceTable } from '../../src/fib/interfaces.js';

import { MessageType, WellKnownCommunity, type PathAttributes, type UpdateMessage } from '../../src/bgp/codec/index.js';
import { UpdateAction } from '../../src/bgp/errors.js';
import { Afi, parseAddress, parsePrefix, formatAddress, type Nlri } from '../../src/rib/prefix.js';
import { intern, RouteDest } from '../../src/rib/attr-set.js';
import { makeRoute, type RouteSource } from '../../src/rib/route.js';
import { detachOnRetire } from '../../src/rib/columns.js';
import { bgpLab, deliver, establish, negotiated } from '../helpers/socketless-bgp.js';

// Every column growth detaches the old column (the daemon never does): code that kept a
// column across a growth would read a detached, empty one.
detachOnRetire(0);

const ROUTER_ID = (192 << 24 | 2 << 8 | 1) >>> 0; // 192.0.2.1

const setup = (peers: string, extra = '', interfaces?: InterfaceTable) => bgpLab(peers, { extra, ...(interfaces ? { interfaces } : {}) });

const up = (p: BgpProtocol, peerRouterId: number, addPath = false) => establish(p, negotiated(p, peerRouterId, { addPath }));

function receive(p: BgpProtocol, prefixes: string[], attrs: PathAttributes, action = UpdateAction.NONE, pathId = 0) {
  const nlri: Nlri[] = prefixes.map((s) => ({ ...parsePrefix(s), pathId }));
  const u: UpdateMessage = { type: MessageType.UPDATE, withdrawn: [], attributes: attrs, nlri, action, errors: [] };
  deliver(p, u);
}

/** What the peer gets (or already got) for a prefix: the queued state, else what was sent. */
const sent = (p: BgpProtocol, prefix: string): PathAttributes | undefined =>
  (p as unknown as { adjRibOut: { current(x: unknown): PathAttributes | undefined } }).adjRibOut.current(parsePrefix(prefix));

const ebgpAttrs = (path: number[], nh = '198.51.100.7'): PathAttributes => ({
  origin: 0, asPath: [{ type: 2, asns: path }], nextHop: new Uint8Array(nh.split('.').map(Number)), med: 50,
});

test('eBGP → eBGP: our AS prepended, MED from the other AS dropped, next hop self, LOCAL_PREF not sent', () => {
  const { bgp } = setup(`
protocol bgp a from t { neighbor 198.51.100.7 as 65001; source address 198.51.100.1; }
protocol bgp b from t { neighbor 203.0.113.9 as 65002; source address 203.0.113.1; }`);
  const a = bgp.get('a')!, b = bgp.get('b')!;
  up(a, 0x0a000001); up(b, 0x0a000002);
  receive(a, ['10.1.0.0/16'], ebgpAttrs([65001, 65010]));
  const got = sent(b, '10.1.0.0/16')!;
  assert.deepEqual(got.asPath, [{ type: 2, asns: [65000, 65001, 65010] }]);
  assert.equal(got.med, undefined);
  assert.equal(formatAddress(got.nextHop!), '203.0.113.1');
  assert.equal(got.localPref, undefined);
  // Never back to where it came from.
  assert.equal(sent(a, '10.1.0.0/16'), undefined);
});

test('filters read `from`: the neighbour a BGP route came from (import and export), zero for a static route', () => {
  const { bgp } = setup(`
filter from_a { if from = 198.51.100.7 then { bgp_med = 77; accept; } reject; }
filter out_b { if from = 198.51.100.7 || from = 0.0.0.0 then accept; reject; }
protocol static s1 { route 10.9.0.0/16 blackhole; }
protocol bgp a from t { neighbor 198.51.100.7 as 65001; import filter from_a; }
protocol bgp c from t { neighbor 198.51.100.8 as 65003; import all; }
protocol bgp b from t { neighbor 203.0.113.9 as 65002; source address 203.0.113.1; export filter out_b; }`);
  const a = bgp.get('a')!, b = bgp.get('b')!, c = bgp.get('c')!;
  up(a, 1); up(b, 2); up(c, 3);
  receive(a, ['10.1.0.0/16'], ebgpAttrs([65001]));
  receive(c, ['10.3.0.0/16'], ebgpAttrs([65003], '198.51.100.8'));
  assert.ok(sent(b, '10.1.0.0/16'), 'from a: exported');
  assert.equal(sent(c, '10.1.0.0/16')?.med, undefined, 'the import filter matched a (MED 77 set), and MED is not sent to another AS');
  assert.equal(sent(b, '10.3.0.0/16'), undefined, 'from c: rejected by the export filter');
  assert.ok(sent(b, '10.9.0.0/16'), 'a static route: from reads as 0.0.0.0');
});

test('eBGP → iBGP: next hop kept, LOCAL_PREF defaulted to 100 on import and sent, AS path unchanged', () => {
  const { bgp } = setup(`
protocol bgp a from t { neighbor 198.51.100.7 as 65001; }
protocol bgp i from t { neighbor 192.0.2.2 as 65000; source address 192.0.2.1; }`);
  const a = bgp.get('a')!, i = bgp.get('i')!;
  up(a, 1); up(i, 2);
  receive(a, ['10.2.0.0/16'], ebgpAttrs([65001]));
  const got = sent(i, '10.2.0.0/16')!;
  assert.deepEqual(got.asPath, [{ type: 2, asns: [65001] }]);
  assert.equal(formatAddress(got.nextHop!), '198.51.100.7');
  assert.equal(got.localPref, 100);
});

test('iBGP → iBGP is not re-advertised without route reflection (RFC 4271 §9.2, split horizon)', () => {
  const { bgp } = setup(`
protocol bgp i1 from t { neighbor 192.0.2.2 as 65000; }
protocol bgp i2 from t { neighbor 192.0.2.3 as 65000; }`);
  const i1 = bgp.get('i1')!, i2 = bgp.get('i2')!;
  up(i1, 2); up(i2, 3);
  receive(i1, ['10.3.0.0/16'], { origin: 0, asPath: [], nextHop: new Uint8Array([192, 0, 2, 2]), localPref: 100 });
  assert.equal(sent(i2, '10.3.0.0/16'), undefined);
});

test('route reflection: client → non-client and client → client get ORIGINATOR_ID and CLUSTER_LIST (RFC 4456 §6, §7)', () => {
  const { bgp } = setup(`
protocol bgp c1 from t { neighbor 192.0.2.2 as 65000; rr client; rr cluster id 1.1.1.1; }
protocol bgp c2 from t { neighbor 192.0.2.3 as 65000; rr client; rr cluster id 1.1.1.1; }
protocol bgp n from t { neighbor 192.0.2.4 as 65000; }`);
  const c1 = bgp.get('c1')!, c2 = bgp.get('c2')!, n = bgp.get('n')!;
  up(c1, 0x0a000002); up(c2, 0x0a000003); up(n, 0x0a000004);
  receive(c1, ['10.4.0.0/26'], { origin: 0, asPath: [], nextHop: new Uint8Array([192, 0, 2, 2]), localPref: 100 });
  for (const to of [c2, n]) {
    const got = sent(to, '10.4.0.0/26')!;
    assert.equal(got.originatorId, 0x0a000002);
    assert.deepEqual(got.clusterList, [0x01010101]);
    assert.equal(formatAddress(got.nextHop!), '192.0.2.2');
  }
  // From a non-client: to clients only.
  receive(n, ['10.5.0.0/26'], { origin: 0, asPath: [], nextHop: new Uint8Array([192, 0, 2, 4]), localPref: 100 });
  assert.ok(sent(c1, '10.5.0.0/26'));
  assert.ok(sent(c2, '10.5.0.0/26'));
});

test('loops are withdrawn on import: our AS in the path, our ORIGINATOR_ID, our cluster id', (t) => {
  const { bgp, table } = setup(`
protocol bgp a from t { neighbor 198.51.100.7 as 65001; }
protocol bgp c from t { neighbor 192.0.2.2 as 65000; rr client; rr cluster id 1.1.1.1; }`);
  const a = bgp.get('a')!, c = bgp.get('c')!;
  up(a, 1); up(c, 2);
  receive(a, ['10.6.0.0/16'], ebgpAttrs([65001, 65000, 65010]));
  assert.equal(table.get(parsePrefix('10.6.0.0/16')), undefined);
  receive(c, ['10.7.0.0/16'], { origin: 0, asPath: [], nextHop: new Uint8Array([192, 0, 2, 2]), originatorId: ROUTER_ID });
  assert.equal(table.get(parsePrefix('10.7.0.0/16')), undefined);
  receive(c, ['10.8.0.0/16'], { origin: 0, asPath: [], nextHop: new Uint8Array([192, 0, 2, 2]), clusterList: [0x01010101] });
  assert.equal(table.get(parsePrefix('10.8.0.0/16')), undefined);
  receive(c, ['10.9.0.0/16'], { origin: 0, asPath: [], nextHop: new Uint8Array([192, 0, 2, 2]), clusterList: [0x02020202] });
  assert.ok(table.get(parsePrefix('10.9.0.0/16'))?.best);
  void t;
});

test('`allow local as 1` accepts one occurrence of our AS and refuses two', () => {
  const { bgp, table } = setup(`protocol bgp a from t { neighbor 198.51.100.7 as 65001; allow local as 1; }`);
  const a = bgp.get('a')!;
  up(a, 1);
  receive(a, ['10.10.0.0/16'], ebgpAttrs([65001, 65000]));
  assert.ok(table.get(parsePrefix('10.10.0.0/16'))?.best);
  receive(a, ['10.11.0.0/16'], ebgpAttrs([65001, 65000, 65000]));
  assert.equal(table.get(parsePrefix('10.11.0.0/16')), undefined);
});

test('NO_EXPORT is not sent to eBGP but is to iBGP; NO_ADVERTISE to nobody (RFC 1997)', () => {
  const { bgp } = setup(`
protocol bgp a from t { neighbor 198.51.100.7 as 65001; }
protocol bgp b from t { neighbor 203.0.113.9 as 65002; }
protocol bgp i from t { neighbor 192.0.2.2 as 65000; }`);
  const a = bgp.get('a')!, b = bgp.get('b')!, i = bgp.get('i')!;
  up(a, 1); up(b, 2); up(i, 3);
  receive(a, ['10.12.0.0/16'], { ...ebgpAttrs([65001]), communities: [WellKnownCommunity.NO_EXPORT >>> 0] });
  assert.equal(sent(b, '10.12.0.0/16'), undefined);
  assert.ok(sent(i, '10.12.0.0/16'));
  receive(a, ['10.13.0.0/16'], { ...ebgpAttrs([65001]), communities: [WellKnownCommunity.NO_ADVERTISE >>> 0] });
  assert.equal(sent(b, '10.13.0.0/16'), undefined);
  assert.equal(sent(i, '10.13.0.0/16'), undefined);
});

test('static routes: ORIGIN IGP, empty AS path to iBGP, [our AS] to eBGP, next hop self; the export filter decides', () => {
  const { bgp } = setup(`
protocol bgp i from t { neighbor 192.0.2.2 as 65000; source address 192.0.2.1;
  export filter { if net ~ 10.20.0.0/16 then { bgp_community.add((65000, 7)); accept; } reject; }; }
protocol bgp a from t { neighbor 198.51.100.7 as 65001; source address 198.51.100.1; }`,
  `protocol static { route 10.20.1.0/24 blackhole; route 10.30.0.0/24 blackhole; }`);
  const i = bgp.get('i')!, a = bgp.get('a')!;
  up(i, 2); up(a, 3);
  const toI = sent(i, '10.20.1.0/24')!;
  assert.equal(toI.origin, 0);
  assert.deepEqual(toI.asPath, []);
  assert.equal(formatAddress(toI.nextHop!), '192.0.2.1');
  assert.equal(toI.localPref, 100);
  assert.deepEqual(toI.communities, [(65000 << 16 | 7) >>> 0]);
  assert.equal(sent(i, '10.30.0.0/24'), undefined, 'rejected by the export filter');
  const toA = sent(a, '10.30.0.0/24')!;
  assert.deepEqual(toA.asPath, [{ type: 2, asns: [65000] }]);
  assert.equal(formatAddress(toA.nextHop!), '198.51.100.1');
});

test('treat-as-withdraw removes what the peer had announced before (RFC 7606 §2)', () => {
  const { bgp, table } = setup(`protocol bgp a from t { neighbor 198.51.100.7 as 65001; }`);
  const a = bgp.get('a')!;
  up(a, 1);
  receive(a, ['10.40.0.0/16'], ebgpAttrs([65001]));
  assert.ok(table.get(parsePrefix('10.40.0.0/16')));
  receive(a, ['10.40.0.0/16'], ebgpAttrs([65001]), UpdateAction.TREAT_AS_WITHDRAW);
  assert.equal(table.get(parsePrefix('10.40.0.0/16')), undefined);
});

test('best path across peers: higher LOCAL_PREF wins, and the loser takes over when the winner is withdrawn', () => {
  const { bgp, table } = setup(`
protocol bgp i1 from t { neighbor 192.0.2.2 as 65000; }
protocol bgp i2 from t { neighbor 192.0.2.3 as 65000; }`);
  const i1 = bgp.get('i1')!, i2 = bgp.get('i2')!;
  up(i1, 2); up(i2, 3);
  receive(i1, ['10.50.0.0/16'], { origin: 0, asPath: [], nextHop: new Uint8Array([192, 0, 2, 2]), localPref: 100 });
  receive(i2, ['10.50.0.0/16'], { origin: 0, asPath: [], nextHop: new Uint8Array([192, 0, 2, 3]), localPref: 200 });
  const net = table.get(parsePrefix('10.50.0.0/16'))!;
  assert.equal(net.best!.source.name, 'i2');
  const u: UpdateMessage = { type: MessageType.UPDATE, withdrawn: [{ ...parsePrefix('10.50.0.0/16'), pathId: 0 }], attributes: {}, nlri: [], action: UpdateAction.NONE, errors: [] };
  deliver(i2, u);
  assert.equal(table.get(parsePrefix('10.50.0.0/16'))!.best!.source.name, 'i1');
});

test('ADD-PATH (RFC 7911): received path ids are separate candidates; with tx every candidate goes out under its own path id', () => {
  const { bgp, table } = setup(`
protocol bgp c1 from t { neighbor 192.0.2.2 as 65000; rr client; add paths on; }
protocol bgp c2 from t { neighbor 192.0.2.3 as 65000; rr client; add paths on; }
protocol bgp o from t { neighbor 192.0.2.9 as 65000; rr client; add paths on; }`);
  const c1 = bgp.get('c1')!, c2 = bgp.get('c2')!, o = bgp.get('o')!;
  up(c1, 2, true); up(c2, 3, true); up(o, 9, true);
  const attrs = (nh: number, lp: number): PathAttributes => ({ origin: 0, asPath: [], nextHop: new Uint8Array([192, 0, 2, nh]), localPref: lp });
  receive(c1, ['10.60.0.0/24'], attrs(2, 100), UpdateAction.NONE, 1);
  receive(c1, ['10.60.0.0/24'], attrs(22, 100), UpdateAction.NONE, 2);
  receive(c2, ['10.60.0.0/24'], attrs(3, 200), UpdateAction.NONE, 1);
  const net = table.get(parsePrefix('10.60.0.0/24'))!;
  assert.equal(net.routes.length, 3);
  assert.equal(net.best!.source.name, 'c2');
  const queued = () => (o as unknown as { adjRibOut: { queuedChanges(): { nlri: Nlri; want?: PathAttributes }[] } }).adjRibOut.queuedChanges();
  const out = queued().filter((e) => e.want !== undefined && formatAddress(e.nlri.addr) === '10.60.0.0');
  assert.equal(out.length, 3);
  assert.equal(new Set(out.map((e) => e.nlri.pathId)).size, 3, 'distinct path ids');
  assert.deepEqual(out.map((e) => formatAddress(e.want!.nextHop!)).sort(), ['192.0.2.2', '192.0.2.22', '192.0.2.3']);
  // Withdrawing one path withdraws exactly that path downstream.
  const u: UpdateMessage = { type: MessageType.UPDATE, withdrawn: [{ ...parsePrefix('10.60.0.0/24'), pathId: 2 }], attributes: {}, nlri: [], action: UpdateAction.NONE, errors: [] };
  deliver(c1, u);
  assert.equal(table.get(parsePrefix('10.60.0.0/24'))!.routes.length, 2);
  const withdrawn = queued().filter((e) => e.want === undefined);
  assert.equal(withdrawn.length, 1);
});

test('gateway recursive: a next hop resolves through the table; no resolving route ⇒ unreachable and not preferred; a new IGP route re-resolves (RFC 4271 §9.1.2.1)', async () => {
  const { bgp, table, statics } = setup(`
protocol bgp i1 from t { neighbor 192.0.2.2 as 65000; gateway recursive; }
protocol bgp i2 from t { neighbor 192.0.2.3 as 65000; gateway recursive; }`,
  `protocol static lan { route 172.16.0.0/16 via 192.0.2.254; }`);
  const i1 = bgp.get('i1')!, i2 = bgp.get('i2')!;
  up(i1, 2); up(i2, 3);
  // i1's next hop is resolvable through the static route; i2's is not, though its LOCAL_PREF is higher.
  receive(i1, ['10.70.0.0/24'], { origin: 0, asPath: [], nextHop: new Uint8Array([172, 16, 1, 1]), localPref: 100 });
  receive(i2, ['10.70.0.0/24'], { origin: 0, asPath: [], nextHop: new Uint8Array([172, 17, 1, 1]), localPref: 300 });
  let net = table.get(parsePrefix('10.70.0.0/24'))!;
  assert.equal(net.best!.source.name, 'i1');
  assert.equal(formatAddress(net.best!.attrs.gateway!), '192.0.2.254', 'gateway of the resolving route');
  const r2 = net.routes.find((r) => r.source.name === 'i2')!;
  assert.equal(r2.reachable, false);
  // An IGP route towards i2's next hop appears: i2's route becomes reachable and wins on LOCAL_PREF.
  const igp = statics.get('lan')!;
  const cfg2 = parseConfigText(`router id 192.0.2.1;\nprotocol static lan { route 172.16.0.0/16 via 192.0.2.254; route 172.17.0.0/16 via 192.0.2.253; }`, 't.conf', { dialect: 'ipv4' });
  igp.reconfigure(cfg2.protocols[0] as StaticProtocolConfig, { name: 'lan', type: 'static', action: 'reconfigure', importChanged: false, exportChanged: false, routesChanged: true });
  await new Promise((r) => setImmediate(r));
  net = table.get(parsePrefix('10.70.0.0/24'))!;
  assert.equal(net.best!.source.name, 'i2');
  assert.equal(net.best!.reachable, true);
  assert.equal(formatAddress(net.best!.attrs.gateway!), '192.0.2.253');
});

test('route limits (BIRD `receive limit` / `import limit`): block refuses new routes beyond the limit, disable shuts the protocol down', () => {
  const { bgp, table } = setup(`
protocol bgp a from t { neighbor 198.51.100.7 as 65001; receive limit 2 action block; }
protocol bgp b from t { neighbor 203.0.113.9 as 65002; import limit 1 action disable; }`);
  const a = bgp.get('a')!, b = bgp.get('b')!;
  up(a, 1); up(b, 2);
  receive(a, ['10.80.0.0/24', '10.80.1.0/24', '10.80.2.0/24'], ebgpAttrs([65001]));
  assert.ok(table.get(parsePrefix('10.80.0.0/24')));
  assert.ok(table.get(parsePrefix('10.80.1.0/24')));
  assert.equal(table.get(parsePrefix('10.80.2.0/24')), undefined, 'blocked');
  assert.equal(a.receivedCount, 2);
  assert.ok(a.limitsHit.has('receive'));
  // A replacement of a route already held is not "new": it still gets through.
  receive(a, ['10.80.1.0/24'], ebgpAttrs([65001, 65009]));
  assert.deepEqual(table.get(parsePrefix('10.80.1.0/24'))!.best!.attrs.asPath, [{ type: 2, asns: [65001, 65009] }]);
  receive(b, ['10.81.0.0/24', '10.81.1.0/24'], ebgpAttrs([65002], '203.0.113.9'));
  assert.equal(b.state, 'down');
  assert.equal(table.get(parsePrefix('10.81.0.0/24')), undefined, 'routes flushed when disabled');
});

test('gateway direct (BIRD GW_DIRECT): an on-link next hop is the gateway with its interface; an off-link one goes via the neighbour', () => {
  const ifs = new InterfaceTable();
  ifs.applyLink({ index: 2, name: 'eth0', type: 1, flags: 0x1 | 0x10000 } as never, false);
  ifs.applyAddr({ afi: Afi.IPV4, prefixLen: 24, flags: 0, scope: 0, index: 2, address: parseAddress('198.51.100.1'), local: parseAddress('198.51.100.1') } as never, false);
  const { bgp, table } = setup(`protocol bgp a from t { neighbor 198.51.100.7 as 65001; }`, '', ifs);
  const a = bgp.get('a')!;
  up(a, 1);
  receive(a, ['10.90.0.0/24'], ebgpAttrs([65001], '198.51.100.9'));
  receive(a, ['10.91.0.0/24'], ebgpAttrs([65001], '203.0.113.50'));
  const on = table.get(parsePrefix('10.90.0.0/24'))!.best!.attrs;
  assert.equal(formatAddress(on.gateway!), '198.51.100.9');
  assert.equal(on.ifname, 'eth0');
  const off = table.get(parsePrefix('10.91.0.0/24'))!.best!.attrs;
  assert.equal(formatAddress(off.gateway!), '198.51.100.7', 'via the neighbour');
  assert.equal(off.ifname, 'eth0');
  assert.equal(formatAddress(off.nextHop!), '203.0.113.50', 'BGP next hop unchanged');
});

test('single-hop eBGP keeps a third-party next hop on the neighbour\'s own interface, else next hop self (BIRD 1.6 bgp_update_attrs)', () => {
  const ifs = new InterfaceTable();
  ifs.applyLink({ index: 2, name: 'lan0', type: 1, flags: 0x1 | 0x10000 } as never, false);
  ifs.applyAddr({ afi: Afi.IPV4, prefixLen: 24, flags: 0, scope: 0, index: 2, address: parseAddress('198.51.100.1'), local: parseAddress('198.51.100.1') } as never, false);
  ifs.applyLink({ index: 3, name: 'wan0', type: 1, flags: 0x1 | 0x10000 } as never, false);
  ifs.applyAddr({ afi: Afi.IPV4, prefixLen: 24, flags: 0, scope: 0, index: 3, address: parseAddress('203.0.113.1'), local: parseAddress('203.0.113.1') } as never, false);
  const { bgp } = setup(`
protocol bgp a from t { neighbor 198.51.100.7 as 65001; source address 198.51.100.1; }
protocol bgp b from t { neighbor 198.51.100.8 as 65002; source address 198.51.100.1; }
protocol bgp c from t { neighbor 203.0.113.9 as 65003; source address 203.0.113.1; }
protocol bgp m from t { neighbor 198.51.100.10 as 65004; source address 198.51.100.1; multihop 2; }`, '', ifs);
  const [a, b, c, m] = ['a', 'b', 'c', 'm'].map((n) => bgp.get(n)!) as [BgpProtocol, BgpProtocol, BgpProtocol, BgpProtocol];
  up(a, 1); up(b, 2); up(c, 3); up(m, 4);
  receive(a, ['10.92.0.0/24'], ebgpAttrs([65001], '198.51.100.7'));
  assert.equal(formatAddress(sent(b, '10.92.0.0/24')!.nextHop!), '198.51.100.7', 'same LAN: the route\'s own next hop');
  assert.equal(formatAddress(sent(c, '10.92.0.0/24')!.nextHop!), '203.0.113.1', 'other interface: self');
  assert.equal(formatAddress(sent(m, '10.92.0.0/24')!.nextHop!), '198.51.100.1', 'multihop: self');
});

test('gateway recursive through an ECMP route (a learned kernel multipath default): the BGP route becomes multipath over the same next hops (BIRD 1.6)', () => {
  const { bgp, table } = setup(`protocol bgp i1 from t { neighbor 192.0.2.2 as 65000; gateway recursive; }`);
  const i1 = bgp.get('i1')!;
  up(i1, 2);
  const kernel: RouteSource = { name: 'kernel1', kind: 'kernel' };
  const attrs = intern({
    dest: RouteDest.MULTIPATH,
    nextHops: [{ gateway: parseAddress('192.0.2.251'), ifname: 'tor1', weight: 1 }, { gateway: parseAddress('192.0.2.252'), ifname: 'tor2', weight: 1 }],
  });
  table.update(parsePrefix('0.0.0.0/0'), kernel, 0, makeRoute({ prefix: parsePrefix('0.0.0.0/0'), attrs, source: kernel }));
  receive(i1, ['10.71.0.0/24'], { origin: 0, asPath: [], nextHop: new Uint8Array([172, 30, 1, 1]), localPref: 100 });
  const best = table.get(parsePrefix('10.71.0.0/24'))!.best!;
  assert.equal(best.reachable, true);
  assert.equal(best.attrs.dest, RouteDest.MULTIPATH);
  assert.deepEqual(best.attrs.nextHops!.map((h) => [formatAddress(h.gateway), h.ifname, h.weight]), [['192.0.2.251', 'tor1', 1], ['192.0.2.252', 'tor2', 1]]);
  assert.equal(formatAddress(best.attrs.nextHop!), '172.30.1.1', 'BGP next hop unchanged');
});

test('an UPDATE that repeats a route changes nothing (BIRD rte_same): same route and time, nothing queued for export; a change replaces it', () => {
  const { bgp, table } = setup(`
protocol bgp a from t { neighbor 198.51.100.7 as 65001; source address 198.51.100.1; }
protocol bgp b from t { neighbor 203.0.113.9 as 65002; source address 203.0.113.1; }`);
  const a = bgp.get('a')!, b = bgp.get('b')!;
  up(a, 0x0a000001); up(b, 0x0a000002);
  receive(a, ['10.1.0.0/16'], ebgpAttrs([65001, 65010]));
  const first = table.get(parsePrefix('10.1.0.0/16'))!.best!;
  assert.ok(first.learnedAt > 0, 'a BGP route carries the time it was learned');
  const out = (b as unknown as { adjRibOut: { queuedChanges(): unknown[]; drain(send: () => boolean): boolean } }).adjRibOut;
  while (!out.drain(() => true)) { /* slices */ }
  receive(a, ['10.1.0.0/16'], ebgpAttrs([65001, 65010]));
  // The table makes Route views on demand: the same route is an equal view (attributes object and time included).
  assert.deepEqual(table.get(parsePrefix('10.1.0.0/16'))!.best, first, 'the same route');
  assert.equal(out.queuedChanges().length, 0, 'nothing to send');
  receive(a, ['10.1.0.0/16'], ebgpAttrs([65001, 65011]));
  const next = table.get(parsePrefix('10.1.0.0/16'))!.best!;
  assert.notEqual(next.attrs, first.attrs);
  assert.deepEqual(next.attrs.asPath, [{ type: 2, asns: [65001, 65011] }]);
  assert.equal(out.queuedChanges().length, 1);
});

test('per-protocol decision options from the configuration apply (BIRD 1.6 bgp_rte_better): `med metric` compares MED across neighbour ASes; `prefer older` keeps the older eBGP route', async () => {
  const attrs = (first: number, med: number, nh: string): PathAttributes => ({
    origin: 0, asPath: [{ type: 2, asns: [first, 65100] }], nextHop: parseAddress(nh), med,
  });
  for (const medMetric of [false, true]) {
    const { bgp, table } = setup(`
protocol bgp a from t { neighbor 198.51.100.7 as 65001; source address 198.51.100.1; med metric ${medMetric ? 'on' : 'off'}; }
protocol bgp b from t { neighbor 198.51.100.8 as 65002; source address 198.51.100.1; med metric ${medMetric ? 'on' : 'off'}; }`);
    const a = bgp.get('a')!, b = bgp.get('b')!;
    up(a, 0x0a000001); up(b, 0x0a000002);
    receive(a, ['10.40.0.0/16'], attrs(65001, 200, '198.51.100.7'));
    receive(b, ['10.40.0.0/16'], attrs(65002, 10, '198.51.100.8'));
    const net = table.get(parsePrefix('10.40.0.0/16'))!;
    // Off: MEDs of different neighbour ASes are not compared; the lower router id (a) wins.
    assert.equal(net.best!.source.name, medMetric ? 'b' : 'a', `med metric ${medMetric}`);
    assert.equal(net.reason, medMetric ? 'MED' : 'router id');
  }
  for (const preferOlder of [false, true]) {
    const { bgp, table } = setup(`
protocol bgp a from t { neighbor 198.51.100.7 as 65001; source address 198.51.100.1; prefer older ${preferOlder ? 'on' : 'off'}; }
protocol bgp b from t { neighbor 198.51.100.8 as 65001; source address 198.51.100.1; prefer older ${preferOlder ? 'on' : 'off'}; }`);
    const a = bgp.get('a')!, b = bgp.get('b')!;
    up(a, 0x0a000009); up(b, 0x0a000002);
    receive(a, ['10.41.0.0/16'], attrs(65001, 0, '198.51.100.7'));
    // Route times are whole seconds (BIRD 1.6): the second route must come at least one later.
    await new Promise((r) => setTimeout(r, 1100));
    receive(b, ['10.41.0.0/16'], attrs(65001, 0, '198.51.100.8'));
    const net = table.get(parsePrefix('10.41.0.0/16'))!;
    assert.equal(net.best!.source.name, preferOlder ? 'a' : 'b', `prefer older ${preferOlder}`);
    assert.equal(net.reason, preferOlder ? 'prefer older' : 'router id');
  }
});

test('Adj-RIB-In: routes that went in as received are the table candidates themselves; rejected and rewritten ones are kept as received and return when the filter changes', () => {
  const peer = (imp: string) => `protocol bgp a from t { neighbor 198.51.100.7 as 65001; import ${imp}; }`;
  const filtered = peer(`filter { if net ~ [ 10.90.1.0/24 ] then reject; if net ~ [ 10.90.2.0/24 ] then bgp_med = 7; if net ~ [ 10.90.3.0/24 ] then preference = 50; accept; }`);
  const { bgp, table } = setup(filtered);
  const a = bgp.get('a')!;
  const own = () => (a as unknown as { adjRibIn: { ownEntries: number } }).adjRibIn.ownEntries;
  const cfgOf = (text: string) => parseConfigText(`router id 192.0.2.1;\ntemplate bgp t { local as 65000; import all; export all; }\n${text}`, 'test.conf', { dialect: 'ipv4' }).protocols[0] as BgpProtocolConfig;
  up(a, 1);
  const nets = ['10.90.0.0/24', '10.90.1.0/24', '10.90.2.0/24', '10.90.3.0/24'];
  receive(a, nets, ebgpAttrs([65001]));
  assert.equal(a.receivedCount, 4);
  assert.equal(table.get(parsePrefix('10.90.1.0/24')), undefined, 'rejected');
  assert.equal(table.get(parsePrefix('10.90.2.0/24'))!.best!.attrs.med, 7, 'rewritten');
  assert.equal(table.get(parsePrefix('10.90.3.0/24'))!.best!.preference, 50);
  // Only the rejected and the rewritten route need an entry of their own.
  assert.equal(own(), 2);
  // `import all`: the re-import starts from the routes as received.
  assert.ok(a.reconfigure(cfgOf(peer('all')), { name: 'a', type: 'bgp', action: 'reload', importChanged: true, exportChanged: false, routesChanged: false } as never));
  for (const n of nets) assert.equal(table.get(parsePrefix(n))!.best!.attrs.med, 50, n);
  assert.equal(table.get(parsePrefix('10.90.3.0/24'))!.best!.preference, 100);
  assert.equal(own(), 0);
  assert.equal(a.receivedCount, 4);
  // And back: the same two entries again, from the table's candidates.
  assert.ok(a.reconfigure(cfgOf(filtered), { name: 'a', type: 'bgp', action: 'reload', importChanged: true, exportChanged: false, routesChanged: false } as never));
  assert.equal(table.get(parsePrefix('10.90.1.0/24')), undefined);
  assert.equal(table.get(parsePrefix('10.90.2.0/24'))!.best!.attrs.med, 7);
  assert.equal(own(), 2);
  assert.equal(a.receivedCount, 4);
  // A rejected route announced again, then withdrawn: nothing left anywhere.
  receive(a, ['10.90.1.0/24'], ebgpAttrs([65001, 65002]));
  assert.equal(a.receivedCount, 4);
  deliver(a, { type: MessageType.UPDATE, withdrawn: nets.map((s) => ({ ...parsePrefix(s), pathId: 0 })), attributes: {}, nlri: [], action: UpdateAction.NONE, errors: [] });
  assert.equal(a.receivedCount, 0);
  assert.equal(own(), 0);
  assert.equal(table.stats().routes, 0);
});
