// BGP protocols on a real table with real channels and configurations parsed from BIRD 1.6
// text, without sockets: a session is brought "up" by handing its protocol a negotiated
// result, and UPDATEs are handed to it as decoded messages. For tests of the import and
// export rules and of the tables behind them.

import { parseConfigText } from '../../conf/index.js';
import type { BgpProtocolConfig, StaticProtocolConfig } from '../../conf/model.js';
import { DEFAULT_CODEC_CONTEXT, type UpdateMessage } from '../../src/bgp/codec/index.js';
import { Listener } from '../../src/bgp/listener.js';
import type { Negotiated } from '../../src/bgp/negotiate.js';
import { BgpProtocol } from '../../src/bgp/protocol.js';
import type { InterfaceTable } from '../../src/fib/interfaces.js';
import { nullLogger, type Logger } from '../../src/log.js';
import { NextHopResolver } from '../../src/rib/nexthop.js';
import { IPV4_UNICAST, type AfiSafi } from '../../src/rib/prefix.js';
import { StaticProtocol } from '../../src/rib/static.js';
import { RoutingTable } from '../../src/rib/table.js';

export const LAB_ROUTER_ID = ((192 << 24) | (2 << 8) | 1) >>> 0; // 192.0.2.1

/**
 * The protocols of `text` (after `router id 192.0.2.1;`, `extra` and a template `t` with
 * `local as 65000; import all; export all;`) on one new table; static protocols started.
 */
export function bgpLab(text: string, opts: { dialect?: 'ipv4' | 'ipv6'; extra?: string; interfaces?: InterfaceTable; log?: Logger } = {}) {
  const cfg = parseConfigText(`
router id 192.0.2.1;
${opts.extra ?? ''}
template bgp t { local as 65000; import all; export all; }
${text}
`, 'test.conf', { dialect: opts.dialect ?? 'ipv4' });
  const table = new RoutingTable();
  const listener = new Listener({ port: 0 });
  const ifs = opts.interfaces;
  const ctx = { table, log: opts.log ?? nullLogger, routerId: LAB_ROUTER_ID, recovering: false, resolver: new NextHopResolver(table), interfaces: () => ifs };
  const bgp = new Map<string, BgpProtocol>();
  const statics = new Map<string, StaticProtocol>();
  for (const p of cfg.protocols) {
    if (p.type === 'bgp') bgp.set(p.name, new BgpProtocol(p as BgpProtocolConfig, ctx, listener));
    if (p.type === 'static') {
      const sp = new StaticProtocol(p as StaticProtocolConfig, ctx);
      statics.set(p.name, sp);
      sp.start();
    }
  }
  return { table, bgp, statics };
}

/**
 * What a session with the configured neighbour would negotiate: 4-octet AS, one family;
 * with `gr`, the peer's graceful restart capability (RFC 4724) for that family, forwarding
 * state preserved, R bit as given.
 */
export function negotiated(p: BgpProtocol, peerRouterId: number, opts: { family?: AfiSafi; addPath?: boolean; gr?: { restartTime: number; restarting: boolean } } = {}): Negotiated {
  const c = p.config;
  const family = opts.family ?? IPV4_UNICAST;
  const ap = new Set<number>(opts.addPath ? [family] : []);
  const ebgp = c.localAs !== c.neighborAs;
  return {
    peerAs: c.neighborAs, peerBgpId: peerRouterId, ebgp, holdTime: 90, keepaliveTime: 30,
    as4: true, families: new Set([family]), addPathRx: ap, addPathTx: ap, routeRefresh: true,
    enhancedRouteRefresh: false, extendedMessage: false, maxMessageLength: 4096, extendedNextHop: new Set(),
    gracefulRestart: opts.gr ? { ...opts.gr, notification: false, families: new Map([[family, { forwardingPreserved: true }]]) } : null, llgr: null, peerRole: null, peerHostname: null, peerDomain: null, peerCapabilities: [],
    codec: { ...DEFAULT_CODEC_CONTEXT, as4: true, ebgp, addPathRx: ap, addPathTx: ap },
  } as unknown as Negotiated;
}

/** The session comes up (the FSM reached Established with `n`). */
export function establish(p: BgpProtocol, n: Negotiated): void {
  (p as unknown as { onEstablished(n: Negotiated): void }).onEstablished(n);
}

/**
 * The session goes down: after a NOTIFICATION sent or received when `notification` (no
 * graceful restart then), else as a dead TCP connection would take it.
 */
export function sessionDown(p: BgpProtocol, reason = 'test', notification = false): void {
  const q = p as unknown as { onDown(reason: string): void; hardDown: boolean };
  if (notification) q.hardDown = true;
  q.onDown(reason);
}

/** End-of-RIB for `family` arrives on the session (RFC 4724 §2). */
export function endOfRib(p: BgpProtocol, family: AfiSafi = IPV4_UNICAST): void {
  (p as unknown as { onEndOfRib(f: AfiSafi): void }).onEndOfRib(family);
}

/** An UPDATE arrives on the session. */
export function deliver(p: BgpProtocol, u: UpdateMessage): void {
  (p as unknown as { onUpdate(u: UpdateMessage): void }).onUpdate(u);
}
