// The common two-namespace topology of the conformance tests: namespace W runs Wren (one
// child process per session), namespace P runs the reference peer, joined by one veth pair.
//   W 198.18.0.1/24 fd00::1/64  ── veth ──  P 198.18.0.2/24 fd00::2/64
// Extra Wren addresses (198.18.0.3, .5, …) can be added for tests that run several sessions
// at once. Also the shared numbers (Wren's 4-octet ASN, hold time) and small conversions.

import type { Lab } from './netns.js';
import type { SessionJson } from './wren-protocol.js';

export const W4 = '198.18.0.1';
export const P4 = '198.18.0.2';
export const W6 = 'fd00::1';
export const P6 = 'fd00::2';
/** Wren's AS: needs 4 octets, so every session exercises RFC 6793. */
export const WREN_AS = 4200000001;
/** Hold time 9 s ⇒ keepalive every 3 s. */
export const HOLD_TIME = 9;

export const ipToU32 = (ip: string): number => ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0) >>> 0;

export interface TwoNodes {
  readonly wns: string;
  readonly pns: string;
  readonly wIf: string;
  readonly pIf: string;
}

export async function twoNodes(lab: Lab): Promise<TwoNodes> {
  const wns = await lab.ns();
  const pns = await lab.ns();
  const { aIf, bIf } = await lab.link({
    a: wns,
    b: pns,
    aIf: 'wren0',
    bIf: 'peer0',
    aAddrs: [`${W4}/24`, `${W6}/64`],
    bAddrs: [`${P4}/24`, `${P6}/64`],
  });
  return { wns, pns, wIf: aIf, pIf: bIf };
}

/** A Wren session towards the peer with the defaults of these tests. */
export function wrenSession(over: Partial<SessionJson> & Pick<SessionJson, 'name' | 'peerAs' | 'peerAddress' | 'families'>): SessionJson {
  const v6 = over.peerAddress.includes(':');
  return {
    localAs: WREN_AS,
    routerId: ipToU32(W4),
    localAddress: v6 ? W6 : W4,
    holdTime: HOLD_TIME,
    keepaliveTime: HOLD_TIME / 3,
    connectRetryTime: 2,
    connectDelayTime: 0,
    errorWaitTime: [1, 2],
    routeRefresh: true,
    enhancedRouteRefresh: true,
    gracefulRestart: { restartTime: 120 },
    ...over,
  };
}

/** Builds a raw BGP message: 16-byte marker, length, type, body (hex). */
export function rawMessage(type: number, bodyHex: string, marker = 'ff'.repeat(16)): string {
  const len = 19 + bodyHex.length / 2;
  return marker + len.toString(16).padStart(4, '0') + type.toString(16).padStart(2, '0') + bodyHex;
}

/** Raw IPv4 UPDATE body: withdrawn (hex), path attributes (hex), NLRI (hex). */
export function rawUpdateBody(withdrawnHex: string, attrsHex: string, nlriHex: string): string {
  const h16 = (n: number) => n.toString(16).padStart(4, '0');
  return h16(withdrawnHex.length / 2) + withdrawnHex + h16(attrsHex.length / 2) + attrsHex + nlriHex;
}

/** One IPv4 NLRI in hex (with a 4-octet path id when addPath). */
export function nlriHex(prefix: string, addPathId?: number): string {
  const [addr, lenText] = prefix.split('/');
  const len = Number(lenText);
  const bytes = addr!.split('.').map(Number).slice(0, Math.ceil(len / 8));
  const id = addPathId === undefined ? '' : addPathId.toString(16).padStart(8, '0');
  return id + len.toString(16).padStart(2, '0') + bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
}
