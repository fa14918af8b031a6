// The interface table (BIRD's iface list, nest/iface.c, fed by sysdep/linux/netlink.c
// nl_parse_link / nl_parse_addr): every interface of the namespace by index and by name,
// with its flags and addresses, kept current from rtnetlink — one link and address dump
// at start, then RTM_NEWLINK/DELLINK/NEWADDR/DELADDR events (RTNLGRP_LINK, _IPV4_IFADDR,
// _IPV6_IFADDR). A lost event (ENOBUFS) or an interrupted dump ⇒ dump again and reconcile;
// a slow safety re-dump runs every `scan time` (never more often than asked, at most every 10 minutes).
// One table per daemon, shared by the device, direct and kernel protocols (ifindex ↔ name,
// connected subnets, `show interfaces`); the netlink socket is open while at least one of
// them holds it (acquire/release).
//
// "Up" is BIRD 1.6's IF_UP: administratively up (IFF_UP) — the link state does not matter.
// Calico's fork ignores the addresses of administratively-down interfaces: `addresses()`
// and `connected()` skip them (they are kept and come back with the interface).
// IPv6 link-local addresses are kept like any other: `linkLocal()` gives an interface's own
// (the second next-hop address BGP sends on a single-hop session, RFC 2545 §3) and
// `connectedOn()` places a peer's link-local next hop on one given interface.
//
// Events ('link' and 'addr', see IfaceEvent) are emitted after the table is updated; a
// reconcile after a re-dump emits the differences as events too.
// Leaves out: interface renames as such (seen as a change of name under one index),
// multicast/anycast addresses, IFA_CACHEINFO lifetimes, interfaces in other namespaces.

import { EventEmitter } from 'node:events';
import { NetlinkSocket, NetlinkOption, RtnlGroup, type NetlinkSocketOptions } from './netlink/socket.js';
import { MsgType, NlmFlag, forEachMessage, makeSeq } from './netlink/message.js';
import { dump } from './netlink/batch.js';
import { LinkFlag, buildLinkDump, decodeLink, type KernelLink } from './netlink/link.js';
import { AddrFlag, buildAddrDump, connectedPrefix, decodeAddr, localAddress, type KernelAddr } from './netlink/addr.js';
import { Afi, addressKey, formatPrefix, type Prefix } from '../rib/prefix.js';
import { LogLevel, nullLogger, type Logger } from '../log.js';

export interface IfaceAddr {
  readonly afi: Afi;
  /** The local address. */
  readonly local: Uint8Array;
  readonly prefixLen: number;
  /** The connected prefix: the local address masked, or the peer's address on a point-to-point link. */
  readonly prefix: Prefix;
  /** Point-to-point: the peer address (IFA_ADDRESS ≠ IFA_LOCAL). */
  readonly peer?: Uint8Array;
  readonly flags: number;
  readonly scope: number;
  readonly secondary: boolean;
}

export interface Iface {
  readonly index: number;
  readonly name: string;
  readonly flags: number;
  readonly mtu: number;
  /** BIRD's IF_UP: administratively up. */
  readonly up: boolean;
  /** IFF_LOWER_UP: carrier. */
  readonly linkUp: boolean;
  readonly loopback: boolean;
  readonly kind: string | undefined;
  /** All addresses, also while the interface is down. */
  readonly addrs: readonly IfaceAddr[];
}

export type IfaceEvent =
  | { readonly type: 'link'; readonly change: 'add' | 'remove' | 'up' | 'down' | 'change'; readonly iface: Iface; readonly old?: Iface }
  | { readonly type: 'addr'; readonly change: 'add' | 'remove'; readonly iface: Iface; readonly addr: IfaceAddr };

export interface InterfaceTableOptions {
  readonly log?: Logger;
  /** Opens the netlink socket (tests open it inside a namespace). */
  readonly openSocket?: (groups: number[], options: NetlinkSocketOptions) => NetlinkSocket;
  /** Safety re-dump interval in seconds (raised to at least 600). Default 600. */
  readonly scanTime?: number;
}

const sameAddrKey = (a: IfaceAddr, b: IfaceAddr): boolean =>
  a.afi === b.afi && a.prefixLen === b.prefixLen && bytesEq(a.local, b.local) && bytesEq(a.peer, b.peer);

function bytesEq(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** An IfaceAddr from a kernel address message, undefined if it has no address. */
export function ifaceAddr(a: KernelAddr): IfaceAddr | undefined {
  const local = localAddress(a);
  if (local === undefined) return undefined;
  const peer = a.local !== undefined && a.address !== undefined && !bytesEq(a.local, a.address) ? a.address : undefined;
  const prefix = connectedPrefix(peer ? { ...a, address: peer } : { ...a, address: local, local });
  if (prefix === undefined) return undefined;
  const out: { -readonly [K in keyof IfaceAddr]: IfaceAddr[K] } = {
    afi: a.afi,
    local: Uint8Array.from(local),
    prefixLen: a.prefixLen,
    prefix,
    flags: a.flags,
    scope: a.scope,
    secondary: (a.flags & AddrFlag.IFA_F_SECONDARY) !== 0,
  };
  if (peer) out.peer = Uint8Array.from(peer);
  return out;
}

function ifaceOf(l: KernelLink, addrs: readonly IfaceAddr[]): Iface {
  return {
    index: l.index,
    name: l.name,
    flags: l.flags,
    mtu: l.mtu ?? 0,
    up: (l.flags & LinkFlag.IFF_UP) !== 0,
    linkUp: (l.flags & LinkFlag.IFF_LOWER_UP) !== 0,
    loopback: (l.flags & LinkFlag.IFF_LOOPBACK) !== 0,
    kind: l.kind,
    addrs,
  };
}

function covers(p: Prefix, a: Uint8Array): boolean {
  const pa = p.addr; // once: an Nlri4 / Nlri6 makes a new array at each read
  if (pa.length !== a.length) return false;
  const full = p.len >> 3, rest = p.len & 7;
  for (let i = 0; i < full; i++) if (pa[i] !== a[i]) return false;
  return rest === 0 || ((pa[full]! ^ a[full]!) & (0xff << (8 - rest)) & 0xff) === 0;
}

export class InterfaceTable extends EventEmitter {
  private readonly byIndex = new Map<number, Iface>();
  /** connected() answers (null: none) by address, until the next change. */
  private readonly connectedMemo = new Map<number | string, { iface: Iface; addr: IfaceAddr } | null>();
  /**
   * The last few connected() answers, most recent first, found by comparing the address
   * bytes before the memo's key is made (for IPv6 a 16-character string per call: 3.6% of a
   * DUT's main thread loading 200k IPv6 routes, which ask about two or three addresses).
   */
  private readonly recent: { readonly addr: Uint8Array; readonly found: { iface: Iface; addr: IfaceAddr } | null }[] = [];
  private readonly byName = new Map<string, Iface>();
  private readonly log: Logger;
  private readonly openSocket: (groups: number[], options: NetlinkSocketOptions) => NetlinkSocket;
  private sock: NetlinkSocket | undefined;
  private users = 0;
  private readyPromise: Promise<void> | undefined;
  private readonly nextSeq = makeSeq(0x49000000);
  /** Events received while a dump runs, applied after it. */
  private queued: { msgType: number; link?: KernelLink; addr?: KernelAddr }[] | null = null;
  private dumping = false;
  private dumpAgain = false;
  private scanTimer: NodeJS.Timeout | undefined;
  private scanSeconds: number;
  /** Counters for tests and `show`. */
  readonly stats = { dumps: 0, overruns: 0, events: 0 };

  constructor(opts: InterfaceTableOptions = {}) {
    super();
    this.log = opts.log ?? nullLogger;
    this.openSocket = opts.openSocket ?? ((groups, o) => {
      const s = new NetlinkSocket(o);
      s.open(groups);
      return s;
    });
    this.scanSeconds = Math.max(600, opts.scanTime ?? 600);
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /** Takes a reference; the first one opens the socket and dumps. Resolves once the table is filled. */
  acquire(): Promise<void> {
    this.users++;
    if (this.users === 1) this.readyPromise = this.open();
    return this.readyPromise!;
  }

  /** Drops a reference; the last one closes the socket (the table keeps its last contents). */
  release(): void {
    if (this.users === 0) return;
    if (--this.users > 0) return;
    this.close();
  }

  /** Resolves when the first dump is done (immediately if nobody acquired the table). */
  get ready(): Promise<void> {
    return this.readyPromise ?? Promise.resolve();
  }

  get isOpen(): boolean {
    return this.sock !== undefined;
  }

  /** The safety re-dump interval (device protocol's `scan time`, at least 600 s). */
  setScanTime(seconds: number): void {
    this.scanSeconds = Math.max(600, seconds);
    if (this.scanTimer) this.armScan();
  }

  private async open(): Promise<void> {
    const s = this.openSocket([RtnlGroup.RTNLGRP_LINK, RtnlGroup.RTNLGRP_IPV4_IFADDR, RtnlGroup.RTNLGRP_IPV6_IFADDR], { receiveBuffer: 4 << 20 });
    try {
      s.setOption(NetlinkOption.NETLINK_CAP_ACK, 1);
    } catch {
      /* old kernels: full echoes in errors, harmless */
    }
    this.sock = s;
    s.on('message', (d: Buffer) => this.onMessage(d));
    s.on('overrun', () => {
      this.stats.overruns++;
      this.log.debug('interface events lost (ENOBUFS): dumping again');
      void this.redump();
    });
    s.on('error', (e: Error) => this.log.error(`netlink (interfaces): ${e.message}`));
    await this.redump();
    this.armScan();
  }

  private close(): void {
    if (this.scanTimer) clearInterval(this.scanTimer);
    this.scanTimer = undefined;
    const s = this.sock;
    this.sock = undefined;
    s?.close();
    this.readyPromise = undefined;
  }

  private armScan(): void {
    if (this.scanTimer) clearInterval(this.scanTimer);
    this.scanTimer = setInterval(() => void this.redump(), this.scanSeconds * 1000);
    this.scanTimer.unref();
  }

  // ---- netlink --------------------------------------------------------------------------------

  private onMessage(d: Buffer): void {
    forEachMessage(d, (m) => {
      if (m.flags & NlmFlag.MULTI) return; // parts of our dumps (the dump collector takes them)
      let ev: { msgType: number; link?: KernelLink; addr?: KernelAddr } | undefined;
      if (m.type === MsgType.RTM_NEWLINK || m.type === MsgType.RTM_DELLINK) ev = { msgType: m.type, link: decodeLink(m) };
      else if (m.type === MsgType.RTM_NEWADDR || m.type === MsgType.RTM_DELADDR) {
        const a = decodeAddr(m);
        if (a) ev = { msgType: m.type, addr: a };
      }
      if (!ev) return;
      this.stats.events++;
      if (this.queued) this.queued.push(ev);
      else this.applyEvent(ev);
    });
  }

  private applyEvent(ev: { msgType: number; link?: KernelLink; addr?: KernelAddr }): void {
    if (ev.link) this.applyLink(ev.link, ev.msgType === MsgType.RTM_DELLINK);
    else if (ev.addr) this.applyAddr(ev.addr, ev.msgType === MsgType.RTM_DELADDR);
  }

  /** Dumps links and addresses and reconciles; coalesces concurrent requests. */
  async redump(): Promise<void> {
    if (this.dumping) {
      this.dumpAgain = true;
      return;
    }
    this.dumping = true;
    try {
      do {
        this.dumpAgain = false;
        const s = this.sock;
        if (!s) return;
        this.queued = [];
        const links = await dump(s, buildLinkDump, decodeLink, this.nextSeq);
        if (!this.sock) return;
        const addrs = await dump(s, (seq) => buildAddrDump(seq), decodeAddr, this.nextSeq);
        if (links.interrupted || addrs.interrupted) {
          this.dumpAgain = true;
          continue;
        }
        this.stats.dumps++;
        this.reconcile(links.items, addrs.items.filter((a): a is KernelAddr => a !== undefined));
        const q = this.queued;
        this.queued = null;
        for (const ev of q) this.applyEvent(ev);
      } while (this.dumpAgain && this.sock);
    } catch (e) {
      this.log.error(`interface dump failed: ${(e as Error).message}`);
    } finally {
      this.queued = null;
      this.dumping = false;
    }
  }

  /** Makes the table equal to a full dump, emitting the differences. */
  reconcile(links: readonly KernelLink[], addrs: readonly KernelAddr[]): void {
    const seen = new Set<number>();
    for (const l of links) {
      seen.add(l.index);
      this.applyLink(l, false);
    }
    for (const idx of [...this.byIndex.keys()]) {
      if (!seen.has(idx)) {
        const i = this.byIndex.get(idx)!;
        this.applyLink({ index: idx, name: i.name, flags: i.flags, type: 0 }, true);
      }
    }
    const want = new Map<number, IfaceAddr[]>();
    for (const a of addrs) {
      const ia = ifaceAddr(a);
      if (!ia || !this.byIndex.has(a.index)) continue;
      let list = want.get(a.index);
      if (!list) want.set(a.index, (list = []));
      list.push(ia);
    }
    for (const [idx, iface] of [...this.byIndex]) {
      const w = want.get(idx) ?? [];
      for (const old of iface.addrs) if (!w.some((x) => sameAddrKey(x, old))) this.removeAddr(idx, old);
      for (const n of w) this.addAddr(idx, n);
    }
  }

  // ---- state changes (public for tests and fake kernels) -----------------------------------

  /** Every change of the table: cached answers are void. */
  private changed(): void {
    if (this.connectedMemo.size > 0) this.connectedMemo.clear();
    this.recent.length = 0;
  }

  applyLink(l: KernelLink, deleted: boolean): void {
    const old = this.byIndex.get(l.index);
    if (deleted) {
      if (!old) return;
      this.changed();
      this.byIndex.delete(l.index);
      if (this.byName.get(old.name) === old) this.byName.delete(old.name);
      for (const a of old.addrs) this.emitEvent({ type: 'addr', change: 'remove', iface: old, addr: a });
      this.emitEvent({ type: 'link', change: 'remove', iface: old });
      return;
    }
    const name = l.name || old?.name || '';
    const next = ifaceOf({ ...l, name }, old?.addrs ?? []);
    if (old && old.name === next.name && old.flags === next.flags && old.mtu === next.mtu && old.kind === next.kind) return;
    this.changed();
    this.byIndex.set(l.index, next);
    if (old && old.name !== next.name && this.byName.get(old.name) === old) this.byName.delete(old.name);
    this.byName.set(next.name, next);
    if (!old) {
      this.emitEvent({ type: 'link', change: 'add', iface: next });
      return;
    }
    // Addresses follow the administrative state (the fork ignores them while down).
    if (old.up && !next.up) {
      for (const a of next.addrs) this.emitEvent({ type: 'addr', change: 'remove', iface: next, addr: a });
      this.emitEvent({ type: 'link', change: 'down', iface: next, old });
    } else if (!old.up && next.up) {
      this.emitEvent({ type: 'link', change: 'up', iface: next, old });
      for (const a of next.addrs) this.emitEvent({ type: 'addr', change: 'add', iface: next, addr: a });
    } else this.emitEvent({ type: 'link', change: 'change', iface: next, old });
  }

  applyAddr(a: KernelAddr, deleted: boolean): void {
    const ia = ifaceAddr(a);
    if (!ia) return;
    if (deleted) this.removeAddr(a.index, ia);
    else this.addAddr(a.index, ia);
  }

  private addAddr(index: number, ia: IfaceAddr): void {
    const iface = this.byIndex.get(index);
    if (!iface) return;
    const i = iface.addrs.findIndex((x) => sameAddrKey(x, ia));
    if (i >= 0 && iface.addrs[i]!.flags === ia.flags && iface.addrs[i]!.scope === ia.scope) return;
    const addrs = i >= 0 ? iface.addrs.map((x, k) => (k === i ? ia : x)) : [...iface.addrs, ia];
    const next = { ...iface, addrs };
    this.changed();
    this.byIndex.set(index, next);
    this.byName.set(next.name, next);
    if (i < 0 && next.up) this.emitEvent({ type: 'addr', change: 'add', iface: next, addr: ia });
  }

  private removeAddr(index: number, ia: IfaceAddr): void {
    const iface = this.byIndex.get(index);
    if (!iface) return;
    const i = iface.addrs.findIndex((x) => sameAddrKey(x, ia));
    if (i < 0) return;
    const gone = iface.addrs[i]!;
    const next = { ...iface, addrs: iface.addrs.filter((_x, k) => k !== i) };
    this.changed();
    this.byIndex.set(index, next);
    this.byName.set(next.name, next);
    if (next.up) this.emitEvent({ type: 'addr', change: 'remove', iface: next, addr: gone });
  }

  private emitEvent(e: IfaceEvent): void {
    if (this.log.enabled(LogLevel.TRACE)) {
      this.log.trace(e.type === 'link' ? `${e.iface.name}: link ${e.change}` : `${e.iface.name}: address ${formatPrefix(e.addr.prefix)} ${e.change}`);
    }
    this.emit(e.type, e);
  }

  // ---- queries ----------------------------------------------------------------------------------

  get(name: string): Iface | undefined {
    return this.byName.get(name);
  }

  byIdx(index: number): Iface | undefined {
    return this.byIndex.get(index);
  }

  nameOf(index: number): string | undefined {
    return this.byIndex.get(index)?.name;
  }

  /** ifindex of an existing interface (any state), undefined if there is none of that name. */
  indexOf(name: string): number | undefined {
    return this.byName.get(name)?.index;
  }

  list(): Iface[] {
    return [...this.byIndex.values()].sort((a, b) => a.index - b.index);
  }

  get size(): number {
    return this.byIndex.size;
  }

  /** Addresses of an up interface (none while it is administratively down). */
  addresses(iface: Iface): readonly IfaceAddr[] {
    return iface.up ? iface.addrs : [];
  }

  /**
   * The up interface whose connected subnet holds `addr` (most specific subnet wins; host
   * and link-scope addresses count, secondary ones too): `gateway direct` next hops and
   * `show route` interface names.
   */
  connected(addr: Uint8Array): { iface: Iface; addr: IfaceAddr } | undefined {
    // Asked per received attribute set and per export preparation (a full table: 166k times)
    // with a handful of distinct addresses, while a Calico node has hundreds of interfaces:
    // answers are kept until the table changes.
    const r = this.recent;
    for (let i = 0; i < r.length; i++) if (bytesEq(r[i]!.addr, addr)) return r[i]!.found ?? undefined;
    const key = addressKey(addr);
    if (key === undefined) return this.scanConnected(addr); // not an address: nothing to keep
    let found = this.connectedMemo.get(key);
    if (found === undefined) {
      found = this.scanConnected(addr) ?? null;
      if (this.connectedMemo.size >= CONNECTED_MEMO_MAX) this.connectedMemo.clear();
      this.connectedMemo.set(key, found);
    }
    if (r.length === CONNECTED_RECENT) r.pop();
    r.unshift({ addr: addr.slice(), found });
    return found ?? undefined;
  }

  private scanConnected(addr: Uint8Array): { iface: Iface; addr: IfaceAddr } | undefined {
    let best: { iface: Iface; addr: IfaceAddr } | undefined;
    for (const iface of this.byIndex.values()) {
      if (!iface.up) continue;
      for (const a of iface.addrs) {
        if (a.local.length !== addr.length) continue;
        if (best && best.addr.prefix.len >= a.prefix.len) continue;
        if (covers(a.prefix, addr) || (a.peer !== undefined && bytesEq(a.peer, addr))) best = { iface, addr: a };
      }
    }
    return best;
  }

  /**
   * BIRD 1.6 neigh_find2 with an interface: the address of up interface `iface` whose connected
   * subnet holds `addr` (most specific wins) — how a link-local next hop, which every
   * interface's fe80::/64 holds, is placed on one given link.
   */
  connectedOn(iface: Iface, addr: Uint8Array): IfaceAddr | undefined {
    const cur = this.byIndex.get(iface.index);
    if (cur === undefined || !cur.up) return undefined;
    let best: IfaceAddr | undefined;
    for (const a of cur.addrs) {
      if (a.local.length !== addr.length) continue;
      if (best && best.prefix.len >= a.prefix.len) continue;
      if (covers(a.prefix, addr) || (a.peer !== undefined && bytesEq(a.peer, addr))) best = a;
    }
    return best;
  }

  /**
   * The interface's IPv6 link-local address (fe80::/10), the first one it lists (BIRD 1.6
   * bgp_start_neighbor: the first address of link scope), undefined without one or while the
   * interface is down.
   */
  linkLocal(iface: Iface): Uint8Array | undefined {
    const cur = this.byIndex.get(iface.index);
    if (cur === undefined || !cur.up) return undefined;
    for (const a of cur.addrs) if (isLinkLocal6(a.local)) return a.local;
    return undefined;
  }
}

/** An IPv6 link-local unicast address (fe80::/10, RFC 4291 §2.5.6). */
export const isLinkLocal6 = (a: Uint8Array): boolean => a.length === 16 && a[0] === 0xfe && (a[1]! & 0xc0) === 0x80;

/** connected()'s cache holds at most this many addresses (then starts afresh). */
const CONNECTED_MEMO_MAX = 1024;
/** Addresses connected() compares by bytes before it asks its cache. */
const CONNECTED_RECENT = 4;

