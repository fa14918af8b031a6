// What every protocol instance is to the daemon (BIRD's `struct proto`): a name, a type,
// a state with the time it was entered, one channel to the master table, and the hooks
// the daemon drives — start, stop, and reconfigure in place when a reload allows it
// (contract.md §2). Concrete protocols: bgp/protocol.ts, rib/static.ts; the kernel,
// device and direct protocols come with the kernel syncer.
//
// States as BIRD 1.6 prints them in `show protocols`: down, start, up, stop.

import { Channel } from './rib/channel.js';
import type { ChannelOwner } from './rib/channel.js';
import type { RoutingTable } from './rib/table.js';
import type { Route, RouteSource } from './rib/route.js';
import type { RouteAttributes } from './rib/attr-set.js';
import type { Prefix } from './rib/prefix.js';
import type { NetEntry } from './rib/table.js';
import type { ProtocolChange } from '../conf/diff.js';
import type { ProtocolConfig } from '../conf/model.js';
import type { Logger } from './log.js';
import type { NextHopResolver } from './rib/nexthop.js';
import type { InterfaceTable } from './fib/interfaces.js';

export type ProtoState = 'down' | 'start' | 'up' | 'stop';

/** What protocols get from the daemon. */
export interface ProtocolContext {
  readonly table: RoutingTable;
  readonly log: Logger;
  /** Our router id, unsigned 32-bit. */
  readonly routerId: number;
  /** Started with -R (graceful-restart recovery). */
  readonly recovering: boolean;
  /** Recursive next-hop resolution over `table` (BGP `gateway recursive`). */
  readonly resolver?: NextHopResolver;
  /** The interface table, when the daemon has one open (BGP `gateway direct` uses it). */
  readonly interfaces?: () => InterfaceTable | undefined;
}

export abstract class Protocol<C extends ProtocolConfig = ProtocolConfig> implements ChannelOwner {
  /** BIRD's protocol type name in `show protocols`: BGP, Static, Kernel, Device, Direct. */
  abstract readonly protoName: string;
  state: ProtoState = 'down';
  since = new Date();
  readonly channel: Channel;
  readonly log: Logger;
  source: RouteSource;

  constructor(
    public config: C,
    protected readonly ctx: ProtocolContext,
    kind: RouteSource['kind'],
  ) {
    this.log = ctx.log.child(config.name);
    this.source = { name: config.name, kind };
    this.channel = new Channel(this, ctx.table, {
      importFilter: config.import,
      exportFilter: config.export,
      preference: config.preference,
      exportMode: this.exportMode(),
      onFilterError: (m) => this.log.error(m),
    });
  }

  get name(): string {
    return this.config.name;
  }

  protected exportMode(): 'best' | 'any' {
    return 'best';
  }

  protected setState(s: ProtoState): void {
    if (s === this.state) return;
    this.state = s;
    this.since = new Date();
    this.log.info(`State changed to ${s}`);
  }

  abstract start(): void;
  /** Orderly shutdown; `reason` is for BGP's Cease subcode. */
  abstract stop(reason?: 'shutdown' | 'removed' | 'restart'): void;

  /** The `info` column of `show protocols` (BGP: its session state). */
  info(): string {
    return '';
  }

  /**
   * Applies a reload that needs no restart (plan action 'reconfigure' or 'reload'). The
   * base re-runs the filters: a changed import filter re-imports what the protocol holds
   * (reimport), a changed export filter re-feeds the export side. Returns false when the
   * protocol cannot apply it in place (the daemon then restarts it).
   */
  reconfigure(next: C, change: ProtocolChange): boolean {
    this.config = next;
    this.channel.importFilter = next.import;
    this.channel.exportFilter = next.export;
    this.channel.preference = next.preference;
    if (change.importChanged) this.reimport();
    if (change.exportChanged) this.channel.refeed();
    return true;
  }

  /** Imports again what the protocol holds, through the (new) import filter. */
  protected reimport(): void {}

  rtNotify(_prefix: Prefix, _pathId: number, _attrs: RouteAttributes | undefined, _route: Route | undefined): void {}

  preexport?(route: Route, net: NetEntry): RouteAttributes | null;
}
