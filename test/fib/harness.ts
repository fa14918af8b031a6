// In-process harness for the kernel-side protocols against a real kernel: a scratch
// network namespace (test/fib/netlink/netns.ts, deleted at the end) whose netlink sockets the
// protocols open through `openSocket`, a master RoutingTable, and the kernel / device /
// direct / static protocols built from configuration text exactly as the daemon builds
// them (conf/index.ts parseConfigText). BGP routes are injected into the table directly
// with a BGP route source, as a BGP protocol would import them (the real-BGP end-to-end
// checks are in calico.test.ts). Needs root. Ends no processes.
import { Namespace } from './netlink/netns.js';
import { parseConfigText } from '../../conf/index.js';
import type { ProtocolConfig } from '../../conf/model.js';
import { RoutingTable } from '../../src/rib/table.js';
import { NextHopResolver } from '../../src/rib/nexthop.js';
import { StaticProtocol } from '../../src/rib/static.js';
import { KernelProtocol } from '../../src/fib/kernel.js';
import { DeviceProtocol } from '../../src/fib/device.js';
import { DirectProtocol } from '../../src/fib/direct.js';
import { InterfaceTable } from '../../src/fib/interfaces.js';
import { intern, type RouteAttributes } from '../../src/rib/attr-set.js';
import { makeRoute, type RouteSource } from '../../src/rib/route.js';
import { Afi, formatPrefix, parseAddress, parsePrefix } from '../../src/rib/prefix.js';
import { nullLogger, Logger, LogLevel } from '../../src/log.js';
import type { Protocol, ProtocolContext } from '../../src/protocol.js';
import type { NetlinkSocketOptions } from '../../src/fib/netlink/socket.js';

export { Namespace };

export const debugLogger = (): Logger =>
  process.env.WREN_TEST_LOG ? new Logger((_l, line) => process.stderr.write(`[fib] ${line}\n`), { level: LogLevel.DEBUG }) : nullLogger;

export interface RigOptions {
  readonly recovering?: boolean;
  readonly family?: Afi;
  /** Event socket buffer (small values provoke ENOBUFS). */
  readonly receiveBuffer?: number;
}

/** Protocols of one configuration running against one namespace's kernel. */
export class Rig {
  readonly table = new RoutingTable('master');
  readonly resolver = new NextHopResolver(this.table);
  readonly interfaces: InterfaceTable;
  readonly protocols = new Map<string, Protocol>();
  readonly log = debugLogger();

  constructor(
    readonly ns: Namespace,
    config: string,
    readonly opts: RigOptions = {},
  ) {
    const open = (groups: number[], o: NetlinkSocketOptions) => ns.socket(groups, o);
    this.interfaces = new InterfaceTable({ log: this.log.child('interfaces'), openSocket: open });
    const cfg = parseConfigText(config, 'test.conf', { dialect: opts.family === Afi.IPV6 ? 'ipv6' : 'ipv4', print: () => {} });
    const family = opts.family ?? Afi.IPV4;
    for (const p of cfg.protocols) {
      const proto = this.build(p, open, family);
      if (proto) this.protocols.set(p.name, proto);
    }
  }

  private build(p: ProtocolConfig, open: (g: number[], o: NetlinkSocketOptions) => ReturnType<Namespace['socket']>, family: Afi): Protocol | undefined {
    const ctx: ProtocolContext = { table: this.table, log: this.log, routerId: 0xc0000214, recovering: this.opts.recovering ?? false, resolver: this.resolver };
    switch (p.type) {
      case 'kernel':
        return new KernelProtocol(p, ctx, {
          interfaces: this.interfaces,
          openSocket: open,
          families: [family],
          ...(this.opts.receiveBuffer ? { receiveBuffer: this.opts.receiveBuffer } : {}),
        });
      case 'device':
        return new DeviceProtocol(p, ctx, this.interfaces);
      case 'direct':
        return new DirectProtocol(p, ctx, this.interfaces, [family]);
      case 'static':
        return new StaticProtocol(p, ctx);
      default:
        return undefined;
    }
  }

  start(): void {
    for (const p of this.protocols.values()) p.start();
  }

  stop(): void {
    for (const p of this.protocols.values()) p.stop('shutdown');
  }

  get kernel(): KernelProtocol {
    for (const p of this.protocols.values()) if (p instanceof KernelProtocol) return p;
    throw new Error('no kernel protocol');
  }

  get direct(): DirectProtocol {
    for (const p of this.protocols.values()) if (p instanceof DirectProtocol) return p;
    throw new Error('no direct protocol');
  }

  /** Routes of the table for a prefix: [{source, kind, attrs, best}] */
  routes(prefix: string) {
    const net = this.table.get(parsePrefix(prefix));
    return (net?.routes ?? []).map((r) => ({ proto: r.source.name, kind: r.source.kind, preference: r.preference, attrs: r.attrs, best: r === net!.best }));
  }

  /** Every prefix the table has from `kind`. */
  prefixesOf(kind: string): string[] {
    const out: string[] = [];
    this.table.walk((net) => {
      if (net.routes.some((r) => r.source.kind === kind)) out.push(formatPrefix(net.prefix));
    });
    return out;
  }
}

let peerCount = 0;

/** A fake BGP peer feeding the table directly (what BgpProtocol's import would do). */
export class FakeBgpPeer {
  readonly source: RouteSource;

  constructor(
    readonly rig: Rig,
    address: string,
    opts: { ebgp?: boolean; routerId?: number; as?: number } = {},
  ) {
    peerCount++;
    this.source = {
      name: `Mesh_${address.replace(/[.:]/g, '_')}`,
      kind: 'bgp',
      bgp: { address: parseAddress(address), routerId: opts.routerId ?? 0x0a000000 + peerCount, peerAs: opts.as ?? 64512, localAs: 64512, ebgp: opts.ebgp ?? false },
    };
  }

  /** Announces `prefix` with BGP next hop `nextHop`, resolved through the table (gateway recursive). */
  announce(prefix: string, nextHop: string, extra: Partial<RouteAttributes> = {}): void {
    const p = parsePrefix(prefix);
    const nh = parseAddress(nextHop);
    const res = this.rig.resolver.resolve(nh, { nextHopChanged: () => {} });
    const attrs = intern({ origin: 0, asPath: [], localPref: 100, nextHop: nh, dest: res.dest, gateway: res.gateway, ifname: res.ifname, ...extra });
    this.rig.table.update(p, this.source, 0, makeRoute({ prefix: p, attrs, source: this.source, reachable: res.reachable, igpMetric: res.igpMetric }));
  }

  withdraw(prefix: string): void {
    this.rig.table.update(parsePrefix(prefix), this.source, 0, undefined);
  }
}

/** `ip -j route show` rows for a prefix in the main table (both families). */
export function kernelRoutes(ns: Namespace, prefix: string): any[] {
  const v6 = prefix.includes(':');
  return ns.ipJson<any[]>(v6 ? '-6' : '-4', '-d', 'route', 'show', 'table', 'main', 'exact', prefix);
}
