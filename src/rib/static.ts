// The static protocol (BIRD's `protocol static`): routes from the configuration —
// blackhole, unreachable, prohibit, `via <gateway>`, recursive `via <ip>` and device
// routes — imported with preference 200 through the import filter. A reload that changes
// only the route list announces and withdraws the difference (BIRD static_reconfigure).
//
// Leaves out: gateway reachability checks against interfaces (BIRD withdraws a `via`
// route whose gateway is not on a connected network; that needs the device protocol, which
// comes with the kernel syncer), multipath static routes, `check link`.

import { Protocol, type ProtocolContext } from '../protocol.js';
import { RouteDest, type RouteAttributes } from './attr-set.js';
import { parseAddress, formatPrefix } from './prefix.js';
import type { StaticProtocolConfig, StaticRoute } from '../../conf/model.js';
import type { ProtocolChange } from '../../conf/diff.js';

const DEST: Readonly<Record<string, RouteDest>> = {
  blackhole: RouteDest.BLACKHOLE,
  unreachable: RouteDest.UNREACHABLE,
  prohibit: RouteDest.PROHIBIT,
};

export function staticAttributes(r: StaticRoute): RouteAttributes {
  switch (r.kind) {
    case 'via':
    case 'recursive':
      return { dest: RouteDest.ROUTER, gateway: parseAddress(r.via) };
    case 'device':
      return { dest: RouteDest.DEVICE, ifname: r.iface };
    default:
      return { dest: DEST[r.kind]! };
  }
}

const keyOf = (r: StaticRoute): string => `${formatPrefix(r.net)} ${JSON.stringify(staticAttributes(r), (_k, v) => (v instanceof Uint8Array ? Array.from(v) : v))}`;

export class StaticProtocol extends Protocol<StaticProtocolConfig> {
  readonly protoName = 'Static';

  constructor(config: StaticProtocolConfig, ctx: ProtocolContext) {
    super(config, ctx, 'static');
  }

  start(): void {
    this.setState('up');
    for (const r of this.config.routes) this.channel.importRoute(r.net, 0, staticAttributes(r));
  }

  stop(): void {
    this.channel.flushImports();
    this.setState('down');
  }

  override reconfigure(next: StaticProtocolConfig, change: ProtocolChange): boolean {
    const before = new Map(this.config.routes.map((r) => [keyOf(r), r]));
    const after = new Map(next.routes.map((r) => [keyOf(r), r]));
    super.reconfigure(next, change);
    if (change.importChanged) return true; // reimport() already announced the new list
    for (const [k, r] of before) if (!after.has(k) && !next.routes.some((n) => formatPrefix(n.net) === formatPrefix(r.net))) this.channel.withdrawRoute(r.net, 0);
    for (const [k, r] of after) if (!before.has(k)) this.channel.importRoute(r.net, 0, staticAttributes(r));
    return true;
  }

  protected override reimport(): void {
    this.channel.flushImports();
    for (const r of this.config.routes) this.channel.importRoute(r.net, 0, staticAttributes(r));
  }
}
