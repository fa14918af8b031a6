// The direct protocol (BIRD 1.6 nest/rt-dev.c): one route per connected subnet of every up
// interface its `interface` patterns accept, `dev <ifname>` (RouteDest.DEVICE), preference
// 240, source kind 'direct' (RTS_DEVICE). Patterns are shell-style (`*`, `?`), tried in
// order; the first match decides, a `-` pattern excludes, no match excludes (BIRD's
// iface_patt_find), no patterns at all accepts every interface. Like 1.6 (dev_ifa_notify)
// it skips secondary addresses and addresses of host or link scope (127/8, ::1, fe80::/10).
// Interfaces and addresses come from the shared interface table's events; a subnet held by
// two interfaces is announced for the first and moves to the other when the first goes.
// Only the daemon's address family is announced (`bird` IPv4, `bird6` IPv6) when the
// daemon says which.
// Leaves out: `check link` (BIRD 2), per-interface preference.

import { Protocol, type ProtocolContext } from '../protocol.js';
import { RouteDest, type RouteAttributes } from '../rib/attr-set.js';
import type { Afi, Prefix } from '../rib/prefix.js';
import type { DirectProtocolConfig, InterfacePattern } from '../../conf/model.js';
import type { ProtocolChange } from '../../conf/diff.js';
import type { IfaceAddr, IfaceEvent, InterfaceTable } from './interfaces.js';
import { classifiable, prefixKey, type PKey } from './kernel-routes.js';

/** Shell-style match (BIRD's patmatch: `*` any string, `?` any character). */
export function patmatch(pattern: string, text: string): boolean {
  let p = 0, t = 0, starP = -1, starT = 0;
  while (t < text.length) {
    const c = pattern[p];
    if (c === '*') {
      starP = p++;
      starT = t;
    } else if (c !== undefined && (c === '?' || c === text[t])) {
      p++;
      t++;
    } else if (starP >= 0) {
      p = starP + 1;
      t = ++starT;
    } else return false;
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

/** The `interface` list decision: first match decides; no match ⇒ excluded; no list ⇒ all. */
export function interfaceAccepted(patterns: readonly InterfacePattern[], name: string): boolean {
  if (patterns.length === 0) return true;
  for (const p of patterns) if (patmatch(p.pattern, name)) return !p.negated;
  return false;
}

/** 1.6 dev_ifa_notify: primary addresses of more than link scope only. */
export function directEligible(a: IfaceAddr): boolean {
  if (a.secondary) return false;
  return classifiable({ afi: a.afi, len: a.local.length * 8, addr: a.local });
}

interface Held {
  readonly prefix: Prefix;
  /** Interfaces holding the subnet, once per address, in arrival order; the first one is announced. */
  owners: string[];
}

export class DirectProtocol extends Protocol<DirectProtocolConfig> {
  readonly protoName = 'Direct';
  private readonly held = new Map<PKey, Held>();
  private running = false;
  private readonly onLink = (e: IfaceEvent) => this.ifaceEvent(e);
  private readonly onAddr = (e: IfaceEvent) => this.ifaceEvent(e);

  constructor(
    config: DirectProtocolConfig,
    ctx: ProtocolContext,
    readonly interfaces: InterfaceTable,
    private readonly families?: readonly Afi[],
  ) {
    super(config, ctx, 'direct');
  }

  start(): void {
    this.setState('start');
    this.running = true;
    this.interfaces.on('addr', this.onAddr);
    this.interfaces.on('link', this.onLink);
    this.interfaces.acquire().then(
      () => {
        if (!this.running) return;
        this.setState('up');
        this.announceAll();
      },
      (e: Error) => this.log.error(`cannot read interfaces: ${e.message}`),
    );
  }

  stop(): void {
    if (this.running) {
      this.interfaces.off('addr', this.onAddr);
      this.interfaces.off('link', this.onLink);
      this.interfaces.release();
    }
    this.running = false;
    this.held.clear();
    this.channel.flushImports();
    this.setState('down');
  }

  override reconfigure(next: DirectProtocolConfig, change: ProtocolChange): boolean {
    const patternsChanged = JSON.stringify(next.interfaces) !== JSON.stringify(this.config.interfaces);
    super.reconfigure(next, change);
    if (patternsChanged && !change.importChanged) this.reimport();
    return true;
  }

  protected override reimport(): void {
    this.held.clear();
    this.channel.flushImports();
    if (this.state === 'up') this.announceAll();
  }

  /** Routes announced now, for tests and `show`. */
  get routeCount(): number {
    return this.held.size;
  }

  private announceAll(): void {
    for (const iface of this.interfaces.list()) {
      for (const a of this.interfaces.addresses(iface)) this.addrAdded(iface.name, a);
    }
  }

  private wanted(ifname: string, a: IfaceAddr): boolean {
    if (this.families && !this.families.includes(a.afi)) return false;
    return directEligible(a) && interfaceAccepted(this.config.interfaces, ifname);
  }

  private ifaceEvent(e: IfaceEvent): void {
    if (this.state !== 'up') return;
    if (e.type === 'addr') {
      if (e.change === 'add') this.addrAdded(e.iface.name, e.addr);
      else this.addrRemoved(e.iface.name, e.addr);
    } else if (e.change === 'change' && e.old && e.old.name !== e.iface.name) {
      // Renamed: the patterns may judge it differently now.
      for (const a of this.interfaces.addresses(e.old)) this.addrRemoved(e.old.name, a);
      for (const a of this.interfaces.addresses(e.iface)) this.addrAdded(e.iface.name, a);
    }
  }

  private attrs(ifname: string): RouteAttributes {
    return { dest: RouteDest.DEVICE, ifname };
  }

  private addrAdded(ifname: string, a: IfaceAddr): void {
    if (!this.wanted(ifname, a)) return;
    const k = prefixKey(a.prefix);
    const h = this.held.get(k);
    if (h === undefined) {
      this.held.set(k, { prefix: a.prefix, owners: [ifname] });
      this.channel.importRoute(a.prefix, 0, this.attrs(ifname));
    } else h.owners.push(ifname);
  }

  private addrRemoved(ifname: string, a: IfaceAddr): void {
    const k = prefixKey(a.prefix);
    const h = this.held.get(k);
    if (h === undefined) return;
    const i = h.owners.indexOf(ifname);
    if (i < 0) return;
    h.owners.splice(i, 1);
    if (h.owners.length === 0) {
      this.held.delete(k);
      this.channel.withdrawRoute(h.prefix, 0);
    } else if (i === 0) this.channel.importRoute(h.prefix, 0, this.attrs(h.owners[0]!));
  }
}
