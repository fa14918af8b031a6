// The Calico lab's cluster model: which nodes exist, their addresses, AS numbers, route
// reflector cluster ids, IPAM blocks and workloads, and who peers with whom — the part of
// Calico's datastore (Node, BGPConfiguration, BGPPeer, IPPool, block affinities) that confd
// reads to render bird.cfg/bird6.cfg. Plain readonly data; the renderers (confd.ts,
// bird2-config.ts) and the cluster runner (cluster.ts) read it.
//
// Address plan (inside the lab's namespaces only): nodes 198.18.0.(10+i)/16 and
// fd00:18::a:<i>/64 on a bridge in the fabric namespace, ToR 198.18.0.1 / fd00:18::1;
// workloads from 10.244.0.0/16 in one /26 block per node (10.244.0.0/16 pool), IPv6 from
// fd00:244::/64 in /122 blocks. Peering rules follow confd's bgp_processor.go as described in
// contract.md §5 and config-subset.md §3.5: mesh peers `Mesh_<ip>` with the lexically higher
// address dialling; selector peers `Node_<ip>` (never passive), `rr client` where this node
// has a cluster id and the peer's differs; the ToR as a global peer `Global_<ip>`.
//
// Leaves out: per-node AS numbers, several pools, service advertisement, BGPFilters.

export type Topology = 'mesh' | 'rr' | 'tor';
export type Family = 4 | 6;

export interface WorkloadSpec {
  readonly name: string;
  /** The host-side veth, named like Felix's: `cali` + 11 hex digits. */
  readonly iface: string;
  readonly ip4: string;
  readonly ip6?: string;
}

export interface NodeSpec {
  readonly name: string;
  readonly index: number;
  readonly ip4: string;
  readonly ip6?: string;
  readonly asn: number;
  /** Node.spec.bgp.routeReflectorClusterID. */
  readonly rrClusterId?: string;
  /** The node's IPAM block (absent on nodes without workloads, e.g. reflectors). */
  readonly block4?: string;
  readonly block6?: string;
  readonly workloads: readonly WorkloadSpec[];
}

export interface TorSpec {
  readonly name: string;
  readonly ip4: string;
  readonly ip6?: string;
  readonly asn: number;
  readonly daemon: 'bird' | 'frr';
  readonly password: string;
}

export interface ClusterSpec {
  readonly topology: Topology;
  readonly asn: number;
  readonly nodes: readonly NodeSpec[];
  readonly tor?: TorSpec;
  readonly ipv6: boolean;
  readonly pool4: string;
  readonly pool6: string;
  /** Felix's IPv4/IPv6NormalRoutePriority. */
  readonly normalPriority: number;
  /** BGPConfiguration.bindMode NodeIP: `listen bgp address <node ip>;`. */
  readonly bindNodeIp: boolean;
  /** BGPConfiguration.nodeMeshPassword (mesh topology only). */
  readonly meshPassword?: string;
}

export interface PeerSpec {
  /** Protocol name as confd writes it: Mesh_/Node_/Global_ + address with `.`/`:` → `_`. */
  readonly name: string;
  readonly kind: 'Mesh' | 'Node' | 'Global';
  readonly ip: string;
  readonly asn: number;
  readonly passive: boolean;
  /** `rr client; rr cluster id <id>;` */
  readonly rrClusterId?: string;
  /** BGPPeer ttlSecurity: `ttl security on; multihop <n>;` */
  readonly ttlSecurity?: number;
  readonly password?: string;
  readonly nextHopKeep?: boolean;
  readonly allowLocalAs?: number;
  /** Whether the peer is in our AS (the argument of calico_export_to_bgp_peers). */
  readonly sameAs: boolean;
}

export const NODE_AS = 64512;
export const TOR_AS = 65001;
export const RR_CLUSTER_ID = '244.0.0.1';

export function nodeIp4(i: number): string {
  if (i < 1 || i > 480) throw new RangeError(`node index ${i} out of the lab's address plan (1..480)`);
  return i <= 240 ? `198.18.0.${10 + i}` : `198.18.1.${10 + i - 240}`;
}
export const nodeIp6 = (i: number): string => `fd00:18::a:${i.toString(16)}`;

/** The i-th /26 of 10.244.0.0/16. */
export function block4(i: number): string {
  if (i < 0 || i > 1023) throw new RangeError(`block index ${i} out of 10.244.0.0/16`);
  return `10.244.${i >> 2}.${(i & 3) * 64}/26`;
}
export const block6 = (i: number): string => `fd00:244::${i.toString(16)}:0/122`;

function workloadIp4(block: string, w: number): string {
  const [a, b, c, d] = block.split('/')[0]!.split('.').map(Number) as [number, number, number, number];
  return `${a}.${b}.${c}.${d + 1 + w}`;
}
const workloadIp6 = (i: number, w: number): string => `fd00:244::${i.toString(16)}:${(w + 1).toString(16)}`;

/** Felix names workload interfaces `cali` + the first 11 hex digits of a hash of the endpoint. */
export function caliName(workload: string): string {
  // FNV-1a over the name, stretched to 11 hex digits: deterministic, no crypto needed.
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let k = 0; k < workload.length; k++) {
    const c = workload.charCodeAt(k);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x811c9dc5) >>> 0;
  }
  return `cali${(h1.toString(16).padStart(8, '0') + h2.toString(16).padStart(8, '0')).slice(0, 11)}`;
}

function makeNode(index: number, name: string, workloads: number, ipv6: boolean, rrClusterId?: string): NodeSpec {
  if (workloads > 62) throw new RangeError('at most 62 workloads per node (one /26 block)');
  const b4 = workloads > 0 ? block4(index) : undefined;
  const b6 = workloads > 0 && ipv6 ? block6(index) : undefined;
  const wls: WorkloadSpec[] = [];
  for (let w = 0; w < workloads; w++) {
    const wl = `${name}-w${w}`;
    wls.push({ name: wl, iface: caliName(wl), ip4: workloadIp4(b4!, w), ...(ipv6 ? { ip6: workloadIp6(index, w) } : {}) });
  }
  return {
    name,
    index,
    ip4: nodeIp4(index),
    ...(ipv6 ? { ip6: nodeIp6(index) } : {}),
    asn: NODE_AS,
    ...(rrClusterId ? { rrClusterId } : {}),
    ...(b4 ? { block4: b4 } : {}),
    ...(b6 ? { block6: b6 } : {}),
    workloads: wls,
  };
}

export interface ClusterOptions {
  readonly topology: Topology;
  /** Nodes hosting workloads (for rr: the clients; the two reflectors come on top). */
  readonly nodes: number;
  readonly workloads: number;
  readonly ipv6?: boolean;
  readonly torDaemon?: 'bird' | 'frr';
  /** Number of route reflectors in the rr topology (default 2). */
  readonly reflectors?: number;
  /**
   * BGPConfiguration bindMode NodeIP (default: on for rr, and wherever IPv6 runs beside
   * IPv4 — see the lab README for why).
   */
  readonly bindNodeIp?: boolean;
}

export function buildCluster(o: ClusterOptions): ClusterSpec {
  const ipv6 = o.ipv6 ?? o.topology === 'tor';
  const nodes: NodeSpec[] = [];
  let index = 1;
  if (o.topology === 'rr') {
    for (let r = 0; r < (o.reflectors ?? 2); r++) nodes.push(makeNode(index++, `rr-${r + 1}`, 0, ipv6, RR_CLUSTER_ID));
  }
  for (let n = 0; n < o.nodes; n++) nodes.push(makeNode(index++, `node-${n + 1}`, o.workloads, ipv6));
  return {
    topology: o.topology,
    asn: NODE_AS,
    nodes,
    ...(o.topology === 'tor'
      ? { tor: { name: 'tor', ip4: '198.18.0.1', ...(ipv6 ? { ip6: 'fd00:18::1' } : {}), asn: TOR_AS, daemon: o.torDaemon ?? 'bird', password: 'tor-secret' } }
      : {}),
    ipv6,
    pool4: '10.244.0.0/16',
    pool6: 'fd00:244::/64',
    normalPriority: 1024,
    bindNodeIp: o.bindNodeIp ?? (o.topology === 'rr' || ipv6),
    ...(o.topology === 'mesh' ? { meshPassword: 'mesh-secret' } : {}),
  };
}

/** A new node (as when a machine joins): next free index, same shape as the others. */
export function addNode(c: ClusterSpec, workloads: number): ClusterSpec {
  const index = Math.max(...c.nodes.map((n) => n.index)) + 1;
  const count = c.nodes.filter((n) => !n.rrClusterId).length;
  return { ...c, nodes: [...c.nodes, makeNode(index, `node-${count + 1}`, workloads, c.ipv6)] };
}

export function removeNode(c: ClusterSpec, name: string): ClusterSpec {
  return { ...c, nodes: c.nodes.filter((n) => n.name !== name) };
}

export const peerName = (kind: PeerSpec['kind'], ip: string): string => `${kind}_${ip.replace(/[.:]/g, '_')}`;

const addrOf = (n: { ip4: string; ip6?: string }, f: Family): string | undefined => (f === 4 ? n.ip4 : n.ip6);

/** The BGP peers confd renders for `node` in family `f`, sorted by name as confd sorts them. */
export function peersOf(c: ClusterSpec, node: NodeSpec, f: Family): PeerSpec[] {
  const me = addrOf(node, f);
  if (!me) return [];
  const out: PeerSpec[] = [];
  if (c.topology === 'mesh') {
    for (const other of c.nodes) {
      const ip = addrOf(other, f);
      if (other === node || !ip || other.rrClusterId) continue;
      out.push({
        name: peerName('Mesh', ip),
        kind: 'Mesh',
        ip,
        asn: other.asn,
        passive: ip > me, // plain string comparison, as confd does
        ...(c.meshPassword ? { password: c.meshPassword } : {}),
        sameAs: true,
      });
    }
  } else if (c.topology === 'rr') {
    // BGPPeer {nodeSelector: all(), peerSelector: has(routeReflectorClusterID)}, both directions.
    for (const other of c.nodes) {
      const ip = addrOf(other, f);
      if (other === node || !ip) continue;
      if (!node.rrClusterId && !other.rrClusterId) continue; // clients do not peer with each other
      const rrClient = node.rrClusterId && other.rrClusterId !== node.rrClusterId ? node.rrClusterId : undefined;
      out.push({ name: peerName('Node', ip), kind: 'Node', ip, asn: other.asn, passive: false, ...(rrClient ? { rrClusterId: rrClient } : {}), sameAs: true });
    }
  } else if (c.tor) {
    const ip = addrOf(c.tor, f);
    if (ip) {
      out.push({
        name: peerName('Global', ip),
        kind: 'Global',
        ip,
        asn: c.tor.asn,
        passive: false,
        ttlSecurity: 1,
        password: c.tor.password,
        nextHopKeep: true,
        allowLocalAs: 1,
        sameAs: false,
      });
    }
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Every block a node should reach (all blocks of the cluster), per family. */
export function blocks(c: ClusterSpec, f: Family): string[] {
  return c.nodes.map((n) => (f === 4 ? n.block4 : n.block6)).filter((b): b is string => b !== undefined);
}
