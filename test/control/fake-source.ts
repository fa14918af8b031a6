// A ControlSource made of plain data: the values of the BIRD 1.6 lab transcripts in
// shared/calico/birdc-protocol.md (node n1 192.0.2.11: mesh peer n2, RR n3, eBGP ToR), so
// golden tests can expect the transcript bytes. Times are local times on 2026-11-26, like
// the transcripts (1.6 prints localtime). Mutable so tests can switch states.

import { formatPrefix, parsePrefix, type Prefix } from '../../src/rib/prefix.js';
import { bgpStatusInfo } from '../../src/control/format.js';
import { CliSyntaxError } from '../../src/control/lexer.js';
import type {
  ConfigureRequest,
  ConfigureResult,
  ControlSource,
  DaemonStatus,
  InterfaceStatus,
  MemoryUsage,
  ProtocolActionResult,
  ProtocolStats,
  ProtocolStatus,
  RouteEntry,
  RouteNet,
  RouteQuery,
  SymbolInfo,
} from '../../src/control/model.js';

/** 2026-11-26 hh:mm:ss local time. */
export const at = (h: number, m: number, s: number): Date => new Date(2026, 10, 26, h, m, s);
export const NOW = at(5, 30, 0);

export const CONFIG_FILE = '/etc/calico/confd/config/bird.cfg';

export function stats(
  imported: number,
  exported: number,
  preferred: number,
  iu: [number, number, number, number, number],
  iw: [number, number, number, number],
  eu: [number, number, number, number],
  ew: [number, number],
): ProtocolStats {
  return {
    importedRoutes: imported,
    exportedRoutes: exported,
    preferredRoutes: preferred,
    importUpdates: { received: iu[0], rejected: iu[1], filtered: iu[2], ignored: iu[3], accepted: iu[4] },
    importWithdraws: { received: iw[0], rejected: iw[1], ignored: iw[2], accepted: iw[3] },
    exportUpdates: { received: eu[0], rejected: eu[1], filtered: eu[2], accepted: eu[3] },
    exportWithdraws: { received: ew[0], accepted: ew[1] },
  };
}

const CAPS = ['refresh', 'enhanced-refresh', 'restart-able', 'llgr-aware', 'AS4', 'add-path-rx', 'add-path-tx'];

export function labProtocols(): ProtocolStatus[] {
  const base = { table: 'master', info: '' } as const;
  return [
    {
      ...base,
      name: 'static1',
      proto: 'Static',
      state: 'up',
      since: at(5, 28, 56),
      preference: 200,
      inputFilter: 'ACCEPT',
      outputFilter: 'REJECT',
      stats: stats(2, 0, 2, [2, 0, 0, 0, 2], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0]),
    },
    {
      ...base,
      name: 'kernel1',
      proto: 'Kernel',
      state: 'up',
      since: at(5, 28, 56),
      preference: 10,
      inputFilter: 'ACCEPT',
      outputFilter: 'calico_kernel_programming',
      stats: stats(2, 4, 2, [2, 0, 0, 0, 2], [0, 0, 0, 0], [8, 3, 1, 4], [0, 0]),
    },
    { ...base, name: 'device1', proto: 'Device', state: 'up', since: at(5, 28, 56), preference: 240, inputFilter: 'ACCEPT', outputFilter: 'REJECT' },
    {
      ...base,
      name: 'direct1',
      proto: 'Direct',
      state: 'up',
      since: at(5, 28, 56),
      preference: 240,
      inputFilter: 'ACCEPT',
      outputFilter: 'REJECT',
      stats: stats(1, 0, 1, [1, 0, 0, 0, 1], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0]),
    },
    {
      ...base,
      name: 'Mesh_192_0_2_12',
      proto: 'BGP',
      state: 'up',
      since: at(5, 28, 58),
      info: bgpStatusInfo(false, 'Established'),
      description: 'Connection to BGP peer',
      preference: 100,
      inputFilter: '(unnamed)',
      outputFilter: '(unnamed)',
      stats: stats(1, 2, 1, [1, 0, 0, 0, 1], [0, 0, 0, 0], [9, 2, 5, 2], [0, 0]),
      bgp: {
        state: 'Established',
        neighborAddress: '192.0.2.12',
        neighborAs: 64512,
        neighborId: '192.0.2.12',
        neighborCaps: CAPS,
        session: ['internal', 'multihop', 'AS4', 'add-path-rx', 'add-path-tx'],
        sourceAddress: '192.0.2.11',
        holdTimer: { remaining: 171, total: 240 },
        keepaliveTimer: { remaining: 51, total: 80 },
      },
    },
    {
      ...base,
      name: 'Global_192_0_2_13',
      proto: 'BGP',
      state: 'up',
      since: at(5, 29, 0),
      info: bgpStatusInfo(false, 'Established'),
      description: 'Connection to BGP peer',
      preference: 100,
      inputFilter: '(unnamed)',
      outputFilter: '(unnamed)',
      stats: stats(1, 2, 0, [1, 0, 0, 0, 1], [0, 0, 0, 0], [9, 2, 5, 2], [0, 0]),
      bgp: {
        state: 'Established',
        neighborAddress: '192.0.2.13',
        neighborAs: 64512,
        neighborId: '192.0.2.13',
        neighborCaps: CAPS,
        session: ['internal', 'multihop', 'AS4', 'add-path-rx', 'add-path-tx'],
        sourceAddress: '192.0.2.11',
        holdTimer: { remaining: 200, total: 240 },
        keepaliveTimer: { remaining: 60, total: 80 },
      },
    },
    {
      ...base,
      name: 'Node_192_0_2_1',
      proto: 'BGP',
      state: 'up',
      since: at(5, 28, 58),
      info: bgpStatusInfo(false, 'Established'),
      description: 'Connection to BGP peer',
      preference: 100,
      inputFilter: '(unnamed)',
      outputFilter: '(unnamed)',
      stats: stats(2, 2, 2, [2, 0, 0, 0, 2], [0, 0, 0, 0], [9, 2, 5, 2], [0, 0]),
      bgp: {
        state: 'Established',
        neighborAddress: '192.0.2.1',
        neighborAs: 65001,
        neighborId: '192.0.2.1',
        neighborCaps: CAPS,
        session: ['external', 'multihop', 'AS4', 'add-path-rx', 'add-path-tx'],
        sourceAddress: '192.0.2.11',
        holdTimer: { remaining: 220, total: 240 },
        keepaliveTimer: { remaining: 70, total: 80 },
      },
    },
  ];
}

/** §3.4 "BGP session not up" (n2 after -R with its RR unreachable). */
export function globalDown(): ProtocolStatus {
  return {
    name: 'Global_192_0_2_13',
    proto: 'BGP',
    table: 'master',
    state: 'start',
    since: at(5, 29, 52),
    info: bgpStatusInfo(false, 'Active', 'Socket: Connection refused'),
    description: 'Connection to BGP peer',
    preference: 100,
    inputFilter: '(unnamed)',
    outputFilter: '(unnamed)',
    grRecovery: { pending: true, waiting: false },
    stats: stats(0, 0, 0, [0, 0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0]),
    bgp: {
      state: 'Active',
      neighborAddress: '192.0.2.13',
      neighborAs: 64512,
      connectDelay: { remaining: 2, total: 2 },
      lastError: 'Socket: Connection refused',
    },
  };
}

const bgpAttrs = (nextHop: string, localPref: number, path = ''): { name: string; value: string }[] => [
  { name: 'BGP.origin', value: 'IGP' },
  { name: 'BGP.as_path', value: path },
  { name: 'BGP.next_hop', value: nextHop },
  { name: 'BGP.local_pref', value: String(localPref) },
];

/** §3.5 `show route` on n1, in the transcript's (hash) order. */
export function labRoutes(): RouteNet[] {
  const tor = (prefix: string): RouteNet => ({
    prefix,
    routes: [
      {
        dest: { kind: 'router', gateway: '192.0.2.1', iface: 'eth0' },
        protocol: 'Node_192_0_2_1',
        since: at(5, 29, 0),
        primary: true,
        preference: 100,
        bgp: { igpMetric: 0, originAs: 65001, origin: 'i' },
        type: 'BGP unicast univ',
        attributes: bgpAttrs('192.0.2.1', 100, '65001'),
      },
    ],
  });
  const staticBh = (prefix: string): RouteNet => ({
    prefix,
    routes: [{ dest: { kind: 'blackhole' }, protocol: 'static1', since: at(5, 28, 56), primary: true, preference: 200, type: 'static unicast univ', attributes: [] }],
  });
  const workload = (prefix: string, iface: string): RouteNet => ({
    prefix,
    routes: [
      {
        dest: { kind: 'device', iface },
        protocol: 'kernel1',
        since: at(5, 28, 57),
        primary: true,
        preference: 10,
        type: 'inherit unicast univ',
        attributes: [
          { name: 'Kernel.source', value: '3' },
          { name: 'Kernel.metric', value: '1024' },
        ],
      },
    ],
  });
  const mesh: RouteEntry = {
    dest: { kind: 'router', gateway: '192.0.2.12', iface: 'eth0' },
    protocol: 'Mesh_192_0_2_12',
    since: at(5, 28, 58),
    primary: true,
    preference: 100,
    bgp: { igpMetric: 0, origin: 'i' },
    type: 'BGP unicast univ',
    attributes: bgpAttrs('192.0.2.12', 2147482623),
  };
  const reflected: RouteEntry = {
    dest: { kind: 'router', gateway: '192.0.2.12', iface: 'eth0' },
    protocol: 'Global_192_0_2_13',
    since: at(5, 29, 0),
    from: '192.0.2.13',
    primary: false,
    preference: 100,
    bgp: { igpMetric: 0, origin: 'i' },
    type: 'BGP unicast univ',
    attributes: [
      ...bgpAttrs('192.0.2.12', 2147482623),
      { name: 'BGP.originator_id', value: '192.0.2.12' },
      { name: 'BGP.cluster_list', value: '244.0.0.1' },
    ],
  };
  return [
    tor('198.51.100.0/24'),
    staticBh('10.96.0.0/12'),
    tor('203.0.113.0/24'),
    {
      prefix: '192.0.2.0/24',
      routes: [{ dest: { kind: 'device', iface: 'eth0' }, protocol: 'direct1', since: at(5, 28, 56), primary: true, preference: 240 }],
    },
    workload('10.244.1.6/32', 'cali1112'),
    workload('10.244.1.5/32', 'cali1111'),
    { prefix: '10.244.2.0/26', routes: [mesh, reflected] },
    staticBh('10.244.1.0/26'),
  ];
}

function covers(net: Prefix, addr: Prefix): boolean {
  if (net.afi !== addr.afi || net.len > addr.len) return false;
  for (let bit = 0; bit < net.len; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    if ((net.addr[byte]! & mask) !== (addr.addr[byte]! & mask)) return false;
  }
  return true;
}

export interface FakeCalls {
  actions: string[];
  configures: ConfigureRequest[];
  downs: number;
  queries: RouteQuery[];
}

export class FakeSource implements ControlSource {
  statusValue: DaemonStatus = {
    version: 'v0.3.3+birdv1.6.8',
    routerId: '192.0.2.11',
    serverTime: at(5, 29, 18),
    lastReboot: at(5, 28, 56),
    lastReconfiguration: at(5, 28, 56),
    gracefulRestart: null,
    shuttingDown: false,
  };
  protocolList: ProtocolStatus[] = labProtocols();
  routeNets: RouteNet[] | null = labRoutes();
  symbolList: SymbolInfo[] = [
    { name: 'calico_kernel_programming', kind: 'filter' },
    { name: 'master', kind: 'routing table' },
    { name: 'bgp_template', kind: 'protocol template' },
    { name: 'calico_aggr', kind: 'function' },
  ];
  ifaces: InterfaceStatus[] = [];
  memoryRows: MemoryUsage[] = [];
  configureResult: (req: ConfigureRequest) => ConfigureResult = () => ({ file: CONFIG_FILE, kind: 'committed', outcome: 'done' });
  disabled = new Set<string>();
  readonly calls: FakeCalls = { actions: [], configures: [], downs: 0, queries: [] };

  status(): DaemonStatus {
    return this.statusValue;
  }
  protocols(): readonly ProtocolStatus[] {
    return this.protocolList;
  }
  /** When set, routes() refuses the query the way a `where` that does not compile does. */
  routesError: string | null = null;
  routes(q: RouteQuery): Iterable<RouteNet> | null {
    this.calls.queries.push(q);
    if (this.routesError !== null) throw new CliSyntaxError(this.routesError);
    if (!this.routeNets) return null;
    let nets = this.routeNets;
    if (q.prefix) {
      const want = formatPrefix(q.prefix);
      nets = nets.filter((n) => n.prefix === want);
    } else if (q.for) {
      const target = q.for;
      let best: RouteNet | undefined;
      let bestLen = -1;
      for (const n of nets) {
        const p = parsePrefix(n.prefix);
        if (covers(p, target) && p.len > bestLen) {
          best = n;
          bestLen = p.len;
        }
      }
      nets = best ? [best] : [];
    }
    return nets;
  }
  interfaces(): readonly InterfaceStatus[] {
    return this.ifaces;
  }
  symbols(): readonly SymbolInfo[] {
    return this.symbolList;
  }
  async configure(req: ConfigureRequest): Promise<ConfigureResult> {
    this.calls.configures.push(req);
    return this.configureResult(req);
  }
  private act(kind: string, name: string, r: ProtocolActionResult): ProtocolActionResult {
    this.calls.actions.push(`${kind} ${name}`);
    return r;
  }
  enable(name: string): ProtocolActionResult {
    if (!this.disabled.has(name)) return this.act('enable', name, 'already-enabled');
    this.disabled.delete(name);
    return this.act('enable', name, 'enabled');
  }
  disable(name: string): ProtocolActionResult {
    if (this.disabled.has(name)) return this.act('disable', name, 'already-disabled');
    this.disabled.add(name);
    return this.act('disable', name, 'disabled');
  }
  restart(name: string): ProtocolActionResult {
    return this.act('restart', name, this.disabled.has(name) ? 'already-disabled' : 'restarted');
  }
  down(): void {
    this.calls.downs++;
  }
  memory(): readonly MemoryUsage[] {
    return this.memoryRows;
  }
}

