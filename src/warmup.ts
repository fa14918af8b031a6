// JIT warm-up at start: a few thousand synthetic routes through the daemon's own BGP code —
// real sessions over loopback TCP, into a private routing table and out again to an eBGP
// and an iBGP peer, then withdrawn — so that V8 has compiled the route path before the
// first real table arrives.
//
// Why: V8 runs a function in its interpreter and baseline tiers until it is hot, then
// compiles it with TurboFan on helper threads. A daemon that meets its first big table cold
// does that compiling during the load: the compile threads take a core of a two-core node
// for the first ~0.4 s of it, while the main thread runs slow code. Measured on the
// benchmark (bench/propagation.ts, session 12) by letting the tester send 30,000 other
// routes and withdraw them before the timed table: ipv4-100k took ×0.62 the wall time and
// ×0.57 the CPU of a cold daemon, ipv4-1m ×0.95 and ×0.90 (an upper bound: that warmed the
// harness's own Node peers as well).
//
// Fidelity is the point: V8 keeps optimised code only while the objects it meets have the
// shapes, and the calls the targets, it saw while compiling. An earlier in-process trial
// that called the protocol's methods directly with hand-made sessions and contexts was
// thrown away at the first real UPDATE (dozens of "wrong map" / "wrong call target"
// deoptimisations). So nothing here is a stand-in: the protocols are BgpProtocol from a
// configuration the daemon's parser reads, with the daemon's own context factory (its
// closures) over a private table and resolver; the peers are the same Session class over
// real sockets; the UPDATEs are encoded by the codec and decoded by the session's reader.
// Only the accepting side differs: each warm-up protocol gets connections from its own
// loopback server (one per protocol, so that all peers can be the one loopback address
// that an IPv6 host has) instead of the daemon's listener.
//
// Best effort and bounded: it runs after the daemon has started (real sessions and the
// control socket do not wait for it), gives up after a timeout, and any failure (no
// loopback in a network namespace, say) is logged at debug level and changes nothing.
// Everything it made is gone afterwards: the sessions closed, the routes withdrawn from the
// private table, their attribute sets released.
//
// Off by default (`--warm-up N` turns it on): it pays only where a big first load comes —
// a route reflector, a node with a full table from its ToR — and it costs every daemon
// memory. Measured with the daemon idle and one BGP protocol configured (VmHWM / VmRSS 4 s
// after start, session 12): 59 / 59 MiB without; with 4,000 routes 72 / 68 MiB, 12,000
// 74 / 70 MiB, 30,000 82 / 80 MiB: V8's young generation grown to its limit and the heap
// behind the compiled code, which a node that never sees a big load would never need.
// Benchmark with `--warm-up 12000` against none (bench/README.md, paired rounds): ipv4-100k
// wall ×0.78, ipv6-200k ×0.91, ipv4-1m ×0.98; rr-500 CPU ×0.8.

import net from 'node:net';
import { parseConfigText } from '../conf/index.js';
import type { BgpProtocolConfig } from '../conf/model.js';
import { BgpProtocol, sessionConfigFor } from './bgp/protocol.js';
import { Listener } from './bgp/listener.js';
import { Session } from './bgp/session.js';
import {
  type CodecContext, type PathAttributes, type UpdateMessage, DEFAULT_CODEC_CONTEXT, encodeAttributeBlock, packUpdates, packWithdrawals,
} from './bgp/codec/index.js';
import { Afi, IPV4_UNICAST, IPV6_UNICAST, Nlri4, Nlri6, type Nlri, parseAddress } from './rib/prefix.js';
import { RoutingTable } from './rib/table.js';
import { NextHopResolver } from './rib/nexthop.js';
import type { ProtocolContext } from './protocol.js';

export interface WarmUpOptions {
  /** The IPv6 daemon (`bird6`): IPv6 routes over ::1; otherwise IPv4 over 127.0.0.1. */
  readonly ipv6: boolean;
  /**
   * Routes to send (each announced, re-advertised to both peers, then withdrawn); at most
   * MAX_WARM_UP_ROUTES (the UPDATEs are encoded up front).
   */
  readonly routes: number;
  /** The daemon's protocol context for a private table and resolver (see Daemon.context). */
  readonly context: (table: RoutingTable, resolver: NextHopResolver) => ProtocolContext;
  /** Give up after this long (ms). */
  readonly timeoutMs?: number;
}

export interface WarmUpResult {
  readonly routes: number;
  readonly ms: number;
  /** Prefixes the eBGP and the iBGP peer were sent, announced and withdrawn. */
  readonly received: readonly Counts[];
}

/** More routes add nothing (12,000 already warm the path) but memory and start-up time. */
export const MAX_WARM_UP_ROUTES = 100_000;

/** Our AS in the warm-up; the feeding peer's and the eBGP peer's (private ASNs). */
const LOCAL_AS = 64512, FEED_AS = 64513, EBGP_AS = 64514;
/**
 * `source address`, our next hop to the eBGP peer: not the session's loopback address, which
 * is the peer's as well (a route via the peer itself is never announced to it).
 */
const SELF_V4 = '192.0.2.1', SELF_V6 = '2001:db8::1';
/** A next hop that is on no network of ours: routes go via the neighbour (tableView). */
const NEXT_HOP_V4 = '192.0.2.66', NEXT_HOP_V6 = '2001:db8::66';

export async function warmUp(o: WarmUpOptions): Promise<WarmUpResult> {
  const t0 = performance.now();
  const routes = Math.min(o.routes, MAX_WARM_UP_ROUTES);
  const loop = o.ipv6 ? '::1' : '127.0.0.1';
  const family = o.ipv6 ? IPV6_UNICAST : IPV4_UNICAST;
  const afi = o.ipv6 ? Afi.IPV6 : Afi.IPV4;
  const cfg = parseConfigText(
    [
      'router id 192.0.2.1;',
      `template bgp wu { local as ${LOCAL_AS}; passive on; source address ${o.ipv6 ? SELF_V6 : SELF_V4}; }`,
      `protocol bgp wu_feed from wu { neighbor ${loop} as ${FEED_AS}; import all; export none; }`,
      `protocol bgp wu_ebgp from wu { neighbor ${loop} as ${EBGP_AS}; import none; export all; }`,
      `protocol bgp wu_ibgp from wu { neighbor ${loop} as ${LOCAL_AS}; import none; export all; }`,
    ].join('\n'),
    'warm-up.conf',
    { dialect: o.ipv6 ? 'ipv6' : 'ipv4' },
  );
  const table = new RoutingTable();
  const resolver = new NextHopResolver(table);
  const ctx = o.context(table, resolver);
  // Each protocol registers with a listener that never listens: connections come from its own server below.
  const protos = cfg.protocols.map((p) => new BgpProtocol(p as BgpProtocolConfig, ctx, new Listener({ port: 0 })));
  const servers: net.Server[] = [];
  const peers: Session[] = [];
  let timer: NodeJS.Timeout | undefined;
  try {
    for (const p of protos) p.start();
    const ports = await Promise.all(protos.map((p) => serve(loop, p, servers)));
    // The peers: sessions of the same class, from configurations the same parser and
    // sessionConfigFor make, so that the session code meets one configuration shape.
    const peerCfg = parseConfigText(
      [
        'router id 192.0.2.2;',
        'template bgp wp { connect delay time 0; connect retry time 1; error wait time 1,2; multihop; }',
        `protocol bgp wu_feed_peer from wp { local as ${FEED_AS}; neighbor ${loop} port ${ports[0]} as ${LOCAL_AS}; }`,
        `protocol bgp wu_ebgp_peer from wp { local as ${EBGP_AS}; neighbor ${loop} port ${ports[1]} as ${LOCAL_AS}; }`,
        `protocol bgp wu_ibgp_peer from wp { local as ${LOCAL_AS}; neighbor ${loop} port ${ports[2]} as ${LOCAL_AS}; }`,
      ].join('\n'),
      'warm-up-peers.conf',
      { dialect: o.ipv6 ? 'ipv6' : 'ipv4' },
    );
    for (const [i, c] of peerCfg.protocols.entries()) {
      const s = new Session(sessionConfigFor(c as BgpProtocolConfig, 0xc0000202 + i, false), { logger: ctx.log });
      peers.push(s);
      s.start();
    }
    const [feed, ...sinks] = peers as [Session, Session, Session];
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${o.timeoutMs ?? 10_000} ms`)), o.timeoutMs ?? 10_000);
    });
    const seen = sinks.map((s) => countRoutes(s));
    const run = async (): Promise<void> => {
      await Promise.all(peers.map((s) => established(s)));
      const { announce, withdraw, count } = syntheticRoutes(afi, routes, feed.negotiated!.codec);
      await sendAll(feed, announce);
      await Promise.all(seen.map((c) => c.until((n) => n.announced >= count)));
      await sendAll(feed, withdraw);
      await Promise.all(seen.map((c) => c.until((n) => n.withdrawn >= count)));
    };
    const running = run();
    // Once the timeout has won, the sessions close under run(): its rejection then is no news.
    running.catch(() => {});
    await Promise.race([running, timeout]);
    return { routes, ms: Math.round(performance.now() - t0), received: seen.map((c) => ({ ...c.counts })) };
  } finally {
    clearTimeout(timer);
    for (const s of peers) s.stop();
    for (const p of protos) p.stop('shutdown');
    for (const s of servers) s.close();
  }
}

/** A loopback server whose connections go to protocol p's session; resolves to its port. */
function serve(host: string, p: BgpProtocol, servers: net.Server[]): Promise<number> {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    p.session.acceptIncoming(socket);
  });
  servers.push(server);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve((server.address() as net.AddressInfo).port));
  });
}

function established(s: Session): Promise<void> {
  if (s.state === 'Established') return Promise.resolve();
  return new Promise((resolve) => s.once('established', () => resolve()));
}

/** Sends the messages as fast as the socket takes them. */
function sendAll(s: Session, messages: readonly Buffer[]): Promise<void> {
  return new Promise((resolve, reject) => {
    let i = 0;
    const pump = (): void => {
      if (s.state !== 'Established') {
        s.off('drain', pump);
        reject(new Error(`${s.cfg.name}: session ${s.state}`));
        return;
      }
      while (i < messages.length) if (!s.send(messages[i++]!)) return;
      s.off('drain', pump);
      resolve();
    };
    s.on('drain', pump);
    pump();
  });
}

export interface Counts {
  announced: number;
  withdrawn: number;
}

/** Counts the prefixes a peer receives; until(cond) resolves once cond holds. */
function countRoutes(s: Session): { readonly counts: Counts; until(cond: (n: Counts) => boolean): Promise<void> } {
  const n: Counts = { announced: 0, withdrawn: 0 };
  const waiting: { cond: (n: Counts) => boolean; resolve: () => void }[] = [];
  s.on('update', (u: UpdateMessage) => {
    n.announced += u.nlri.length + (u.mpReach?.nlri.length ?? 0);
    n.withdrawn += u.withdrawn.length + (u.mpUnreach?.withdrawn.length ?? 0);
    for (let i = waiting.length - 1; i >= 0; i--) {
      if (!waiting[i]!.cond(n)) continue;
      waiting[i]!.resolve();
      waiting.splice(i, 1);
    }
  });
  return {
    counts: n,
    until: (cond) => (cond(n) ? Promise.resolve() : new Promise((resolve) => waiting.push({ cond, resolve }))),
  };
}

/**
 * `count` distinct prefixes in UPDATEs of 1–12 prefixes each, every UPDATE with attributes
 * of its own as a full table has them: an AS path of 1–6 private ASNs (a third 4-octet),
 * each ORIGIN, MED on half, 1–3 communities on two in five; then their withdrawals.
 * Deterministic (a fixed seed), inside 10.0.0.0/8 or 2001:db8::/32.
 */
export function syntheticRoutes(afi: Afi, count: number, ctx: CodecContext): { announce: Buffer[]; withdraw: Buffer[]; count: number } {
  let seed = 0x2545f491;
  const rnd = (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 4294967296;
  };
  const v6 = afi === Afi.IPV6;
  const nextHop = { global: parseAddress(v6 ? NEXT_HOP_V6 : NEXT_HOP_V4) };
  const seen = new Set<string>();
  const all: Nlri[] = [];
  const announce: Buffer[] = [];
  const tx: CodecContext = { ...DEFAULT_CODEC_CONTEXT, ...ctx, maxMessageLength: 4096 };
  while (all.length < count) {
    const asns = [FEED_AS];
    for (let i = Math.floor(rnd() * 6); i > 0; i--) asns.push(rnd() < 0.3 ? 4200000000 + Math.floor(rnd() * 90000000) : 64515 + Math.floor(rnd() * 1000));
    const a: { -readonly [K in keyof PathAttributes]: PathAttributes[K] } = { origin: Math.floor(rnd() * 3), asPath: [{ type: 2, asns }] };
    if (rnd() < 0.5) a.med = Math.floor(rnd() * 1000);
    if (rnd() < 0.4) {
      const c: number[] = [];
      for (let i = 1 + Math.floor(rnd() * 3); i > 0; i--) c.push(((LOCAL_AS << 16) | Math.floor(rnd() * 200)) >>> 0);
      a.communities = c;
    }
    const list: Nlri[] = [];
    for (let k = 1 + Math.floor(rnd() * 12); k > 0 && all.length + list.length < count; ) {
      const n = v6 ? prefix6(rnd) : prefix4(rnd);
      const key = `${n.len}/${v6 ? (n as Nlri6).w1 : (n as Nlri4).v4}`;
      if (seen.has(key)) continue;
      seen.add(key);
      list.push(n);
      k--;
    }
    all.push(...list);
    announce.push(...packUpdates(encodeAttributeBlock(a, tx, false), afi, nextHop, list, tx));
  }
  return { announce, withdraw: packWithdrawals(afi, all, tx), count: all.length };
}

/** 10.0.0.0/8: /16 to /24, most /24. */
function prefix4(rnd: () => number): Nlri4 {
  const len = rnd() < 0.6 ? 24 : 16 + Math.floor(rnd() * 8);
  const addr = (0x0a000000 | Math.floor(rnd() * 0x1000000)) & (~0 << (32 - len));
  return new Nlri4(addr | 0, len, 0);
}

/** 2001:db8::/32: /40 to /64, most /48. */
function prefix6(rnd: () => number): Nlri6 {
  const len = rnd() < 0.6 ? 48 : 40 + Math.floor(rnd() * 25);
  return new Nlri6(0x20010db8, Math.floor(rnd() * 4294967296) & (len === 64 ? ~0 : ~0 << (64 - len)), 0, 0, len, 0);
}
