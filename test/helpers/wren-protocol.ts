// The line protocol between a conformance test and its Wren child process
// (test/conformance/wren-peer.ts): the child's configuration (JSON in argv), the commands
// the test writes to the child's stdin (one JSON object per line) and the events the child
// prints on stdout (EVENT_PREFIX + one JSON object per line). Types only, shared by both ends.

export const EVENT_PREFIX = '@wren ';

export type Family = 'ipv4' | 'ipv6';

/** SessionConfig of src/bgp/session.ts in JSON form (families and ADD-PATH by name). */
export interface SessionJson {
  name: string;
  localAs: number;
  peerAs: number;
  /** BGP identifier as an unsigned 32-bit number. */
  routerId: number;
  peerAddress: string;
  peerPort?: number;
  localAddress?: string;
  passive?: boolean;
  holdTime?: number;
  keepaliveTime?: number;
  connectRetryTime?: number;
  connectDelayTime?: number;
  errorWaitTime?: [number, number];
  delayOpenTime?: number;
  password?: string;
  ttlSecurity?: boolean;
  multihop?: number;
  families: Family[];
  addPath?: Partial<Record<Family, 'receive' | 'send' | 'both'>>;
  routeRefresh?: boolean;
  enhancedRouteRefresh?: boolean;
  gracefulRestart?: { restartTime: number; restarting?: boolean } | null;
  llgr?: { staleTime: number } | null;
  extendedMessage?: boolean;
  hostname?: string;
  role?: number;
}

export interface WrenPeerConfig {
  session: SessionJson;
  /** Accept the peer's connection on this address (a Listener); with session.passive, only that. */
  listen?: { address: string; port?: number };
}

/** Routes to announce or withdraw in one UPDATE (all prefixes of one family). */
export interface RouteSpec {
  prefixes: string[];
  nextHop?: string;
  linkLocal?: string;
  pathId?: number;
  origin?: 'igp' | 'egp' | 'incomplete';
  asPath?: number[];
  med?: number;
  localPref?: number;
  /** "asn:value" */
  communities?: string[];
  /** "global:local1:local2" */
  largeCommunities?: string[];
}

export type WrenCommand = { id: number } & (
  | { cmd: 'announce'; route: RouteSpec }
  | { cmd: 'withdraw'; route: RouteSpec }
  | { cmd: 'endOfRib'; family: Family }
  | { cmd: 'refresh'; family: Family }
  /** Raw bytes written on the session's socket (for malformed-message tests). */
  | { cmd: 'raw'; hex: string }
  | { cmd: 'stop'; subcode?: number; text?: string }
  | { cmd: 'start' }
  | { cmd: 'stats' }
  | { cmd: 'exit' }
);

/** Distributive Omit, so each command variant keeps its own fields. */
export type CommandBody = WrenCommand extends infer C ? (C extends WrenCommand ? Omit<C, 'id'> : never) : never;
