// The lab's checks and fault drills on a running Cluster (cluster.ts), each returning plain
// data for the report and the test:
//   connectivity  — TCP probes between workload namespaces across nodes (probe.ts);
//   readiness     — Calico's readiness probe, liveness rule and calicoctl parser
//                   (test/control/calico-parsers.ts, contract.md §3) against each Wren;
//   torLearned    — the ToR holds every block with the originating node as next hop;
//   killReflector — `kill -9` one route reflector while workloads probe each other and every
//                   client's kernel table is watched (`ip monitor route`);
//   restartNode   — SIGTERM + restart with -R of one node's daemon(s), its kernel watched;
//   hupStorm      — confd re-renders every node's files once a second with SIGHUP;
//   nodeLeaves / nodeJoins — a node removed (its routes must be withdrawn everywhere) or added.
// Times are measured for the report; the test asserts only on outcomes (counts, routes).
//
// Leaves out: BIRD 2's control socket parsing beyond `show protocols` (Calico's parsers
// target BIRD 1.6's format, which only Wren speaks).

import { ControlClient } from '../src/cli/client.js';
import { birdReady, calicoctlRows, getPeers } from '../test/control/calico-parsers.js';
import { Bird, Frr } from '../test/helpers/peers.js';
import { until, sleep } from '../test/helpers/poll.js';
import type { Proc } from '../test/helpers/process.js';
import type { Cluster } from './cluster.js';
import { addNode, type Family, type NodeSpec } from './model.js';
import type { Endpoint, ProbeResult, WatchReport } from './probe.js';

export interface ConnectivityReport {
  readonly pairs: number;
  readonly failed: readonly ProbeResult[];
  /** 'all' pairs, or 'sampled' (each workload to workloads on some other nodes, every node pair covered). */
  readonly mode: 'all' | 'sampled';
}

/** Pairs of workloads on different nodes, every address family; sampled above `limit`. */
export function probePairs(c: Cluster, limit = 6000): { pairs: Array<readonly [Endpoint, Endpoint, string]>; mode: 'all' | 'sampled' } {
  const byNode = c.spec.nodes.filter((n) => n.workloads.length > 0).map((n) => c.endpoints([n]));
  const fams = c.families.length;
  const total = byNode.reduce((s, eps) => s + eps.length, 0);
  const all = byNode.reduce((s, eps) => s + eps.length * (total - eps.length), 0) * fams;
  const mode = all <= limit ? 'all' : 'sampled';
  const pairs: Array<readonly [Endpoint, Endpoint, string]> = [];
  if (mode === 'all') {
    byNode.forEach((eps, i) =>
      eps.forEach((a) => byNode.forEach((others, j) => i !== j && others.forEach((b) => b.addrs.forEach((addr) => pairs.push([a, b, addr]))))),
    );
    return { pairs, mode };
  }
  // Sampled: each workload probes one workload on each of T other nodes, the node offsets
  // rotating with the workload index so that every (source node, target node) pair is
  // covered while the total stays near `limit`.
  const N = byNode.length;
  const T = Math.max(1, Math.min(N - 1, Math.floor(limit / Math.max(1, total * fams))));
  byNode.forEach((eps, i) => {
    eps.forEach((a, k) => {
      for (let t = 0; t < T; t++) {
        const j = (i + 1 + ((k * T + t) % (N - 1))) % N;
        const others = byNode[j]!;
        const b = others[(k + t) % others.length]!;
        for (const addr of b.addrs) pairs.push([a, b, addr]);
      }
    });
  });
  return { pairs, mode };
}

export async function connectivity(c: Cluster): Promise<ConnectivityReport> {
  const { pairs, mode } = probePairs(c);
  const res = await c.prober.probeAll(pairs);
  const failed = res.filter((r) => !r.ok);
  c.mark(`connectivity: ${pairs.length - failed.length}/${pairs.length} workload pairs reachable (${mode})`, failed.length ? 'info' : 'step');
  return { pairs: pairs.length, failed, mode };
}

export interface ReadinessReport {
  /** daemon key → null (ready) or the reason. */
  readonly ready: Map<string, string | null>;
  /** daemon key → the greeting started with "BIRD" and `show status` answered (liveness). */
  readonly live: Map<string, boolean>;
  /** daemon key → calicoctl node status rows. */
  readonly calicoctl: Map<string, string[][]>;
}

/** Liveness as `calico-node --bird-live` sees it through birdcl: greeting text starts with BIRD. */
export async function live(socket: string): Promise<boolean> {
  const cl = await ControlClient.connect(socket);
  try {
    const greet = await cl.greeting();
    const text = greet?.[0]?.slice(5) ?? '';
    const status = await cl.command('show status');
    return text.startsWith('BIRD') && !!status?.some((l) => l.startsWith('0013'));
  } finally {
    cl.close();
  }
}

export async function readiness(c: Cluster, nodes: readonly NodeSpec[] = c.spec.nodes): Promise<ReadinessReport> {
  const ready = new Map<string, string | null>();
  const liveM = new Map<string, boolean>();
  const rows = new Map<string, string[][]>();
  for (const n of nodes) {
    for (const f of c.families) {
      const k = `${n.name}/v${f}`;
      const sock = c.socket(n.name, f);
      try {
        ready.set(k, await birdReady(sock, true));
        liveM.set(k, await live(sock));
        rows.set(k, await calicoctlRows(sock));
      } catch (e) {
        ready.set(k, `error: ${(e as Error).message}`);
        liveM.set(k, false);
      }
    }
  }
  return { ready, live: liveM, calicoctl: rows };
}

/** Waits until Calico's readiness probe (young node: all peers Established, no GR) passes everywhere. */
export async function waitReady(c: Cluster, timeoutMs = 60_000): Promise<ReadinessReport> {
  let last: ReadinessReport | undefined;
  await until(
    async () => {
      last = await readiness(c);
      return [...last.ready.values()].every((v) => v === null) && [...last.live.values()].every(Boolean);
    },
    { what: 'Calico readiness and liveness on every node', timeoutMs, intervalMs: 500, context: () => JSON.stringify([...(last?.ready ?? [])].filter(([, v]) => v !== null)) },
  );
  c.mark('readiness + liveness probes pass on every node');
  return last!;
}

/** The ToR's routes for the pool: block → next hops. */
export async function torRoutes(c: Cluster, f: Family): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (c.tor instanceof Bird) {
    for (const r of await c.tor.routes(`table master${f}`)) {
      const nh = r.attrs['BGP.next_hop'];
      if (nh) out.set(r.prefix, [...(out.get(r.prefix) ?? []), ...nh.split(/\s+/)]);
    }
  } else if (c.tor instanceof Frr) {
    const rib = await c.tor.rib(f === 4 ? 'ipv4' : 'ipv6');
    for (const [p, paths] of Object.entries(rib)) {
      out.set(p, paths.flatMap((x: { nexthops?: Array<{ ip: string }> }) => (x.nexthops ?? []).map((h) => h.ip)));
    }
  }
  return out;
}

/** Blocks the ToR is missing (or holds with a wrong next hop); empty = it learned them all. */
export async function torMissing(c: Cluster): Promise<string[]> {
  const miss: string[] = [];
  for (const f of c.families) {
    const have = await torRoutes(c, f);
    for (const n of c.spec.nodes) {
      const b = f === 4 ? n.block4 : n.block6;
      if (!b) continue;
      const nh = have.get(b) ?? [];
      const want = f === 4 ? n.ip4 : n.ip6!;
      if (!nh.includes(want)) miss.push(`${b} (want next hop ${want}, have ${nh.join(',') || 'none'})`);
    }
  }
  return miss;
}

/** `ip monitor route` in a node namespace; lines touching the pool's blocks. */
export class RouteWatch {
  private readonly procs: { node: string; p: Proc }[] = [];
  constructor(private readonly c: Cluster, nodes: readonly string[]) {
    for (const node of nodes) {
      this.procs.push({ node, p: c.lab.spawn(c.nodeNs.get(node)!, ['ip', 'monitor', 'route'], { name: `monitor-${node}-${Date.now()}` }) });
    }
  }
  /** Events for block routes (not workload /32s) per node. */
  async stop(): Promise<Map<string, string[]>> {
    await sleep(300); // let the last events arrive
    const out = new Map<string, string[]>();
    for (const { node, p } of this.procs) {
      await p.stop(1000);
      out.set(node, p.output().filter((l) => /(10\.244\.\S+\/26|fd00:244:\S+\/122)/.test(l)));
    }
    return out;
  }
}

const watchPairs = (c: Cluster): Array<readonly [Endpoint, Endpoint, string]> => {
  // One workload per node to one workload on the next node, every family.
  const nodes = c.spec.nodes.filter((n) => n.workloads.length > 0);
  const pairs: Array<readonly [Endpoint, Endpoint, string]> = [];
  nodes.forEach((n, i) => {
    const m = nodes[(i + 1) % nodes.length]!;
    if (m === n) return;
    const [a] = c.endpoints([n]);
    const [b] = c.endpoints([m]);
    for (const addr of b!.addrs) pairs.push([a!, b!, addr]);
  });
  return pairs;
};

export interface FaultReport {
  readonly name: string;
  readonly watch?: WatchReport;
  /** Kernel route events (block routes) per watched node during the fault. */
  readonly routeEvents: Map<string, string[]>;
  /** Whether every node's kernel matched the expected routes at the end. */
  readonly converged: boolean;
  readonly notes: string[];
}

/** kill -9 one reflector: routes stay via the other, probes keep succeeding. */
export async function killReflector(c: Cluster, holdMs = 8000): Promise<FaultReport> {
  const rr = c.spec.nodes.find((n) => n.rrClusterId);
  if (!rr) throw new Error('no route reflector in this topology');
  const clients = c.spec.nodes.filter((n) => !n.rrClusterId).map((n) => n.name);
  const watch = new RouteWatch(c, clients);
  let stop!: () => void;
  const stopped = new Promise<void>((r) => (stop = r));
  const w = c.prober.watch(watchPairs(c), stopped, 100);
  await sleep(500);
  c.mark(`kill -9 ${rr.name} (reflector)`, 'fault');
  for (const f of c.families) await c.stopDaemon(rr.name, f, 'SIGKILL');
  // Clients notice when the TCP connection goes (RST on the next keepalive or hold timer);
  // either way their kernel routes must not move.
  await sleep(holdMs);
  stop();
  const report = await w;
  const events = await watch.stop();
  const diff = await c.clusterDiff(c.spec.nodes.filter((n) => n !== rr));
  c.mark(`${rr.name} down for ${holdMs / 1000} s: ${report.failures} failed probes of ${report.probes}, longest gap ${report.maxGapMs} ms`, 'info');
  // The reflector comes back (runit restarts it, with -R) and every session re-forms.
  for (const f of c.families) await c.waitSocket(await c.startDaemon(rr, f));
  await waitSessions(c, c.spec.nodes);
  c.mark(`${rr.name} back, every session Established again`, 'converged');
  return { name: `kill -9 ${rr.name}`, watch: report, routeEvents: events, converged: diff.size === 0, notes: [...diff].map(([k, v]) => `${k}: ${v.join('; ')}`) };
}

/** SIGTERM a node's daemon(s) and start them again with -R; its kernel table must not flap. */
export async function restartNode(c: Cluster, name: string): Promise<FaultReport> {
  const n = c.node(name);
  const watch = new RouteWatch(c, [name]);
  let stop!: () => void;
  const stopped = new Promise<void>((r) => (stop = r));
  const pairs = watchPairs(c).filter(([a]) => a.name.startsWith(`${name}-`));
  const w = c.prober.watch(pairs, stopped, 100);
  await sleep(300);
  c.mark(`restart ${name}'s daemon (SIGTERM, then -R)`, 'fault');
  for (const f of c.families) await c.stopDaemon(name, f, 'SIGTERM');
  for (const f of c.families) await c.waitSocket(await c.startDaemon(n, f));
  const { at } = await c.waitConverged(`${name} back, cluster converged`);
  await waitSessions(c, [n]);
  stop();
  const report = await w;
  const events = await watch.stop();
  void at;
  return { name: `restart ${name} with -R`, watch: report, routeEvents: events, converged: true, notes: [] };
}

/** Waits until every BGP protocol of the nodes' daemons is Established (Wren: Calico's parser). */
export async function waitSessions(c: Cluster, nodes: readonly NodeSpec[], timeoutMs = 60_000): Promise<void> {
  for (const n of nodes) {
    for (const f of c.families) {
      await until(async () => (await sessions(c, n, f)).every((s) => s.state === 'Established'), { what: `${n.name}/v${f} sessions Established`, timeoutMs, intervalMs: 250 });
    }
  }
}

export interface SessionState {
  readonly name: string;
  readonly state: string;
  readonly since: string;
}

/** BGP sessions of one daemon: Wren through Calico's `show protocols` parser, BIRD 2 through birdc. */
export async function sessions(c: Cluster, n: NodeSpec, f: Family): Promise<SessionState[]> {
  const sock = c.socket(n.name, f);
  if (c.opts.daemon === 'wren') {
    const cl = await ControlClient.connect(sock);
    try {
      return (await getPeers(cl, f === 6)).map((p) => ({ name: `${p.peerType}_${p.peerIP}`, state: p.bgpState, since: p.since }));
    } finally {
      cl.close();
    }
  }
  const r = await c.lab.exec(c.nodeNs.get(n.name)!, ['birdc', '-s', sock, 'show', 'protocols'], { allowFail: true });
  return r.stdout
    .split('\n')
    .map((l) => l.split(/\s+/))
    .filter((f2) => f2[1] === 'BGP')
    .map((f2) => ({ name: f2[0]!, state: f2[5] ?? '', since: f2[4] ?? '' }));
}

/** Counts session establishments in a daemon's log (Wren prints one line per establishment). */
function establishments(c: Cluster, n: NodeSpec, f: Family): number {
  const h = c.daemon(n.name, f);
  if (!h) return 0;
  return h.proc.output().filter((l) => /BGP session established/.test(l)).length;
}

/**
 * "Since" columns of the same event: equal, or (BIRD prints times converted from a
 * monotonic clock at print time, contract.md §8) within a second of each other.
 */
function sameSince(a: string, b: string): boolean {
  if (a === b) return true;
  const ms = (t: string): number | null => {
    const m = /^(\d\d):(\d\d):(\d\d)(?:\.(\d+))?$/.exec(t);
    return m ? ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000 + Number((m[4] ?? '0').padEnd(3, '0').slice(0, 3)) : null;
  };
  const x = ms(a);
  const y = ms(b);
  return x !== null && y !== null && Math.abs(x - y) <= 1000;
}

export interface HupStormReport {
  readonly seconds: number;
  readonly hups: number;
  /** Sessions that were re-established (or left Established) during the storm. */
  readonly flapped: readonly string[];
  readonly converged: boolean;
}

/** confd re-renders every node's files once a second (content changes) and sends SIGHUP. */
export async function hupStorm(c: Cluster, seconds = 10): Promise<HupStormReport> {
  const nodes = c.spec.nodes.filter((n) => c.daemon(n.name, 4)?.proc.running);
  const before = new Map<string, SessionState[]>();
  const estBefore = new Map<string, number>();
  for (const n of nodes) {
    for (const f of c.families) {
      before.set(`${n.name}/v${f}`, await sessions(c, n, f));
      estBefore.set(`${n.name}/v${f}`, establishments(c, n, f));
    }
  }
  c.mark(`SIGHUP storm: ${seconds} re-renders, one per second, on every node`, 'fault');
  let hups = 0;
  for (let s = 0; s < seconds; s++) {
    await c.rerenderAll(`render ${s + 1} at ${new Date().toISOString()}`, nodes);
    hups += nodes.length * c.families.length;
    await sleep(1000);
  }
  await sleep(2000);
  const flapped: string[] = [];
  for (const n of nodes) {
    for (const f of c.families) {
      const k = `${n.name}/v${f}`;
      const now = await sessions(c, n, f);
      for (const s of before.get(k)!) {
        const x = now.find((y) => y.name === s.name);
        if (!x || x.state !== 'Established' || !sameSince(x.since, s.since)) flapped.push(`${k} ${s.name}: ${s.state} since ${s.since} → ${x ? `${x.state} since ${x.since}` : 'gone'}`);
      }
      if (c.opts.daemon === 'wren' && establishments(c, n, f) !== estBefore.get(k)) flapped.push(`${k}: ${establishments(c, n, f) - estBefore.get(k)!} new session establishment(s) in the log`);
    }
  }
  const diff = await c.clusterDiff(nodes);
  c.mark(`SIGHUP storm over: ${hups} reloads, ${flapped.length} session flaps`, flapped.length ? 'info' : 'step');
  return { seconds, hups, flapped, converged: diff.size === 0 };
}

/** The last plain node leaves (daemons stopped, workloads gone, others re-rendered). */
export async function nodeLeaves(c: Cluster, name?: string): Promise<{ node: string; withdrawnAt: number; startedAt: number }> {
  const n = name ? c.node(name) : [...c.spec.nodes].reverse().find((x) => !x.rrClusterId)!;
  const startedAt = c.mark(`${n.name} leaves the cluster`, 'fault');
  await c.removeNode(n.name);
  const { at } = await c.waitConverged(`${n.name}'s routes withdrawn everywhere`);
  return { node: n.name, withdrawnAt: at, startedAt };
}

/** A new node joins: returns when every kernel (its own included) has every block. */
export async function nodeJoins(c: Cluster, workloads: number): Promise<{ node: string; startedAt: number; convergedAt: number }> {
  const spec = addNode(c.spec, workloads);
  const n = spec.nodes[spec.nodes.length - 1]!;
  const startedAt = c.mark(`${n.name} joins (network, ${workloads} workloads, daemon, confd re-render elsewhere)`, 'fault');
  await c.joinNode(spec, n);
  const { at } = await c.waitConverged(`${n.name} joined, cluster converged`);
  return { node: n.name, startedAt, convergedAt: at };
}
