// Capability negotiation: our OPEN from configuration, and each refusal of the peer's OPEN
// with the RFC's error code (RFC 4271 §6.2, RFC 6793, RFC 6286, RFC 9234), plus the
// negotiated results (hold/keepalive, families, ADD-PATH directions, GR, extended message).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildOpen, negotiate, type LocalSpeaker } from './negotiate.js';
import { BgpError } from './errors.js';
import { AddPathMode, AS_TRANS, BgpRole, CapabilityCode, MessageType, type Capability, type OpenMessage } from './codec/types.js';
import { IPV4_UNICAST, IPV6_UNICAST } from '../rib/prefix.js';

const ID = (a: number, b: number, c: number, d: number) => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;

const local: LocalSpeaker = {
  localAs: 64512, peerAs: 64512, routerId: ID(10, 0, 0, 1), holdTime: 240, families: [IPV4_UNICAST],
};

function peerOpen(over: Partial<OpenMessage> = {}, caps: Capability[] = []): OpenMessage {
  return {
    type: MessageType.OPEN, version: 4, myAs: 64512, holdTime: 90, bgpId: ID(10, 0, 0, 2),
    capabilities: [{ code: CapabilityCode.MULTIPROTOCOL, afi: 1, safi: 1 }, { code: CapabilityCode.FOUR_OCTET_AS, asn: 64512 }, ...caps],
    ...over,
  };
}

function refuses(open: OpenMessage, cfg: LocalSpeaker, subcode: number, data?: number[]) {
  assert.throws(() => negotiate(open, cfg), (e: unknown) => {
    assert.ok(e instanceof BgpError);
    assert.equal(e.code, 2);
    assert.equal(e.subcode, subcode);
    if (data) assert.deepEqual([...e.data], data);
    return true;
  });
}

test('buildOpen: capabilities from configuration; AS_TRANS for a 4-octet AS', () => {
  const o = buildOpen({
    ...local, localAs: 4200000001, families: [IPV4_UNICAST, IPV6_UNICAST], enhancedRouteRefresh: true,
    addPath: new Map([[IPV4_UNICAST, AddPathMode.BOTH]]), gracefulRestart: { restartTime: 120, restarting: true },
    llgr: { staleTime: 3600 }, extendedMessage: true, hostname: 'node1', role: BgpRole.PEER,
  });
  assert.equal(o.myAs, AS_TRANS);
  assert.equal(o.version, 4);
  assert.equal(o.holdTime, 240);
  assert.equal(o.bgpId, ID(10, 0, 0, 1));
  const byCode = (c: number) => o.capabilities.filter((x) => x.code === c);
  assert.deepEqual(byCode(CapabilityCode.MULTIPROTOCOL), [
    { code: CapabilityCode.MULTIPROTOCOL, afi: 1, safi: 1 }, { code: CapabilityCode.MULTIPROTOCOL, afi: 2, safi: 1 },
  ]);
  assert.deepEqual(byCode(CapabilityCode.FOUR_OCTET_AS), [{ code: CapabilityCode.FOUR_OCTET_AS, asn: 4200000001 }]);
  assert.equal(byCode(CapabilityCode.ROUTE_REFRESH).length, 1);
  assert.equal(byCode(CapabilityCode.ENHANCED_ROUTE_REFRESH).length, 1);
  assert.equal(byCode(CapabilityCode.EXTENDED_MESSAGE).length, 1);
  assert.deepEqual(byCode(CapabilityCode.ADD_PATH), [{ code: CapabilityCode.ADD_PATH, families: [{ afi: 1, safi: 1, mode: AddPathMode.BOTH }] }]);
  assert.deepEqual(byCode(CapabilityCode.GRACEFUL_RESTART), [{
    code: CapabilityCode.GRACEFUL_RESTART, restarting: true, notification: false, restartTime: 120,
    families: [{ afi: 1, safi: 1, forwardingPreserved: true }, { afi: 2, safi: 1, forwardingPreserved: true }],
  }]);
  assert.equal(byCode(CapabilityCode.LONG_LIVED_GRACEFUL_RESTART).length, 1);
  assert.deepEqual(byCode(CapabilityCode.FQDN), [{ code: CapabilityCode.FQDN, hostname: 'node1', domain: '' }]);
  assert.deepEqual(byCode(CapabilityCode.BGP_ROLE), [{ code: CapabilityCode.BGP_ROLE, role: BgpRole.PEER }]);
  // Defaults: no GR, no LLGR, no ADD-PATH, route refresh on.
  const d = buildOpen(local);
  assert.deepEqual(d.capabilities.map((c) => c.code), [CapabilityCode.MULTIPROTOCOL, CapabilityCode.ROUTE_REFRESH, CapabilityCode.FOUR_OCTET_AS]);
  assert.equal(d.myAs, 64512);
});

test('hold time = min, keepalive = hold/3 or the configured value (never above hold/3)', () => {
  let n = negotiate(peerOpen({ holdTime: 90 }), local);
  assert.equal(n.holdTime, 90);
  assert.equal(n.keepaliveTime, 30);
  n = negotiate(peerOpen({ holdTime: 300 }), { ...local, holdTime: 9 });
  assert.equal(n.holdTime, 9);
  assert.equal(n.keepaliveTime, 3);
  n = negotiate(peerOpen({ holdTime: 90 }), { ...local, keepaliveTime: 10 });
  assert.equal(n.keepaliveTime, 10);
  n = negotiate(peerOpen({ holdTime: 9 }), { ...local, keepaliveTime: 60 });
  assert.equal(n.keepaliveTime, 3);
  n = negotiate(peerOpen({ holdTime: 3 }), local);
  assert.equal(n.keepaliveTime, 1);
  n = negotiate(peerOpen({ holdTime: 0 }), local);
  assert.deepEqual([n.holdTime, n.keepaliveTime], [0, 0]);
});

test('2/6 unacceptable hold time 1 or 2', () => {
  refuses(peerOpen({ holdTime: 1 }), local, 6);
  refuses(peerOpen({ holdTime: 2 }), local, 6);
});

test('2/1 unsupported version, data = the version we support', () => {
  refuses(peerOpen({ version: 3 }), local, 1, [0, 4]);
});

test('2/2 bad peer AS, with the 4-octet AS capability and AS_TRANS', () => {
  refuses(peerOpen({ myAs: 65001 }, []), { ...local }, 2); // 4-octet cap says 64512 but My AS says 65001
  refuses(peerOpen({}, []), { ...local, peerAs: 65001 }, 2, [0xfc, 0x00]);
  // A 4-octet peer AS: My AS is AS_TRANS, the capability carries the real AS.
  const o = peerOpen({ myAs: AS_TRANS, capabilities: [{ code: CapabilityCode.FOUR_OCTET_AS, asn: 4200000001 }] });
  const n = negotiate(o, { ...local, peerAs: 4200000001 });
  assert.equal(n.peerAs, 4200000001);
  assert.equal(n.ebgp, true);
  assert.equal(n.as4, true);
  refuses(o, { ...local, peerAs: 4200000002 }, 2, [0x5b, 0xa0]);
  // A 2-octet speaker (no capability) really in AS 23456 is just that AS.
  const old = peerOpen({ myAs: AS_TRANS, capabilities: [] });
  assert.equal(negotiate(old, { ...local, peerAs: AS_TRANS }).peerAs, AS_TRANS);
  assert.equal(negotiate(old, { ...local, peerAs: AS_TRANS }).as4, false);
  refuses(old, { ...local, peerAs: 4200000001 }, 2);
});

test('2/3 bad BGP identifier: 0, or ours on iBGP; ours allowed on eBGP (RFC 6286)', () => {
  refuses(peerOpen({ bgpId: 0 }), local, 3);
  refuses(peerOpen({ bgpId: ID(10, 0, 0, 1) }), local, 3, [10, 0, 0, 1]);
  const e = peerOpen({ bgpId: ID(10, 0, 0, 1), myAs: 65001, capabilities: [{ code: CapabilityCode.FOUR_OCTET_AS, asn: 65001 }] });
  assert.equal(negotiate(e, { ...local, peerAs: 65001 }).peerBgpId, ID(10, 0, 0, 1));
});

test('2/11 role mismatch (RFC 9234): wrong pair, conflicting caps, strict without a role', () => {
  const role = (r: BgpRole): Capability => ({ code: CapabilityCode.BGP_ROLE, role: r });
  const cfg = { ...local, role: BgpRole.CUSTOMER };
  assert.equal(negotiate(peerOpen({}, [role(BgpRole.PROVIDER)]), cfg).peerRole, BgpRole.PROVIDER);
  refuses(peerOpen({}, [role(BgpRole.CUSTOMER)]), cfg, 11);
  refuses(peerOpen({}, [role(BgpRole.PROVIDER), role(BgpRole.PEER)]), cfg, 11);
  assert.equal(negotiate(peerOpen(), cfg).peerRole, null);
  refuses(peerOpen(), { ...cfg, strictRole: true }, 11);
  assert.equal(negotiate(peerOpen({}, [role(BgpRole.RS_CLIENT)]), { ...local, role: BgpRole.RS }).peerRole, BgpRole.RS_CLIENT);
});

test('families: intersection; no MP capability means IPv4 unicast', () => {
  const v6 = { ...local, families: [IPV4_UNICAST, IPV6_UNICAST] };
  assert.deepEqual([...negotiate(peerOpen(), v6).families], [IPV4_UNICAST]);
  const both = peerOpen({}, [{ code: CapabilityCode.MULTIPROTOCOL, afi: 2, safi: 1 }]);
  assert.deepEqual([...negotiate(both, v6).families].sort(), [IPV4_UNICAST, IPV6_UNICAST]);
  const noMp = peerOpen({ capabilities: [{ code: CapabilityCode.FOUR_OCTET_AS, asn: 64512 }] });
  assert.deepEqual([...negotiate(noMp, v6).families], [IPV4_UNICAST]);
  const onlyV6 = peerOpen({ capabilities: [{ code: CapabilityCode.MULTIPROTOCOL, afi: 2, safi: 1 }] });
  assert.deepEqual([...negotiate(onlyV6, local).families], []);
});

test('ADD-PATH per family and direction (RFC 7911 §4)', () => {
  const cfg = { ...local, families: [IPV4_UNICAST, IPV6_UNICAST], addPath: new Map([[IPV4_UNICAST, AddPathMode.BOTH], [IPV6_UNICAST, AddPathMode.RECEIVE]]) };
  const o = peerOpen({}, [
    { code: CapabilityCode.MULTIPROTOCOL, afi: 2, safi: 1 },
    { code: CapabilityCode.ADD_PATH, families: [{ afi: 1, safi: 1, mode: AddPathMode.RECEIVE }, { afi: 2, safi: 1, mode: AddPathMode.BOTH }] },
  ]);
  const n = negotiate(o, cfg);
  assert.deepEqual([...n.addPathRx], [IPV6_UNICAST]);
  assert.deepEqual([...n.addPathTx], [IPV4_UNICAST]);
  assert.equal(n.codec.addPathRx, n.addPathRx);
  assert.equal(n.codec.addPathTx, n.addPathTx);
});

test('route refresh, enhanced, extended message, extended next hop, FQDN', () => {
  const caps: Capability[] = [
    { code: CapabilityCode.ROUTE_REFRESH }, { code: CapabilityCode.ENHANCED_ROUTE_REFRESH }, { code: CapabilityCode.EXTENDED_MESSAGE },
    { code: CapabilityCode.EXTENDED_NEXT_HOP, entries: [{ afi: 1, safi: 1, nextHopAfi: 2 }] },
    { code: CapabilityCode.FQDN, hostname: 'peer1', domain: 'example' },
  ];
  let n = negotiate(peerOpen({}, caps), local);
  assert.deepEqual([n.routeRefresh, n.enhancedRouteRefresh, n.extendedMessage, n.maxMessageLength, n.extendedNextHop.size], [true, false, false, 4096, 0]);
  assert.equal(n.peerHostname, 'peer1');
  n = negotiate(peerOpen({}, caps), { ...local, enhancedRouteRefresh: true, extendedMessage: true, extendedNextHop: true });
  assert.deepEqual([n.routeRefresh, n.enhancedRouteRefresh, n.extendedMessage, n.maxMessageLength], [true, true, true, 65535]);
  assert.deepEqual([...n.extendedNextHop], [IPV4_UNICAST]);
  assert.equal(n.codec.maxMessageLength, 65535);
  n = negotiate(peerOpen(), { ...local, enhancedRouteRefresh: true, extendedMessage: true });
  assert.deepEqual([n.routeRefresh, n.enhancedRouteRefresh, n.extendedMessage, n.maxMessageLength], [false, false, false, 4096]);
});

test('graceful restart and LLGR state of the peer, only when both sides do it', () => {
  const gr: Capability = {
    code: CapabilityCode.GRACEFUL_RESTART, restarting: true, notification: false, restartTime: 120,
    families: [{ afi: 1, safi: 1, forwardingPreserved: true }, { afi: 2, safi: 1, forwardingPreserved: false }],
  };
  const ll: Capability = { code: CapabilityCode.LONG_LIVED_GRACEFUL_RESTART, families: [{ afi: 1, safi: 1, forwardingPreserved: false, staleTime: 3600 }] };
  assert.equal(negotiate(peerOpen({}, [gr, ll]), local).gracefulRestart, null);
  const n = negotiate(peerOpen({}, [gr, ll]), { ...local, gracefulRestart: { restartTime: 120 }, llgr: { staleTime: 60 } });
  assert.ok(n.gracefulRestart);
  assert.equal(n.gracefulRestart.restarting, true);
  assert.equal(n.gracefulRestart.restartTime, 120);
  // IPv6 is not negotiated on this session, so only IPv4 is kept.
  assert.deepEqual([...n.gracefulRestart.families], [[IPV4_UNICAST, { forwardingPreserved: true }]]);
  assert.deepEqual([...n.llgr!.families], [[IPV4_UNICAST, { forwardingPreserved: false, staleTime: 3600 }]]);
});

test('codec context: 4-octet AS only when the peer sent the capability; eBGP flag', () => {
  const n = negotiate(peerOpen({ capabilities: [] }), local);
  assert.equal(n.codec.as4, false);
  assert.equal(n.codec.ebgp, false);
  const e = negotiate(peerOpen({ myAs: 65001, capabilities: [{ code: CapabilityCode.FOUR_OCTET_AS, asn: 65001 }] }), { ...local, peerAs: 65001 });
  assert.equal(e.codec.as4, true);
  assert.equal(e.codec.ebgp, true);
});
