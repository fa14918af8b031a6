// A Calico cluster in network namespaces (the lab's resource with a lifecycle): a "fabric"
// namespace holding one bridge, one namespace per node whose eth0 is a veth into that bridge
// (198.18.0.0/16, fd00:18::/64), the workloads Felix would create (felix.ts), the ToR (BIRD 2
// or FRR from test/helpers/peers.ts) for the tor topology, and per node and family one BGP
// daemon: Wren (`scripts/wrend-dev.mjs`, started as calico-node starts BIRD:
// `bird -R -s <sock> -d -c <cfg>` with argv[0] `bird`/`bird6`) or, for comparison, BIRD 2
// with the equivalent configuration (bird2-config.ts). Daemons are started and stopped by
// PID; namespaces and processes go away in `Lab.cleanup()` (test/helpers/netns.ts), also on
// failure. Kernel routing tables are read with `ip -j route`, which is the ground truth
// Felix and the workloads see. Every notable step lands in `timeline` for the report.
//
// Leaves out: kube-proxy, policy, more than one ToR.

import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab } from '../test/helpers/netns.js';
import { run, type Proc } from '../test/helpers/process.js';
import { Bird, Frr } from '../test/helpers/peers.js';
import { until, FatalError } from '../test/helpers/poll.js';
import { renderConfd, writeConfd } from './confd.js';
import { renderBird2Node, renderBird2Tor, renderFrrTor } from './bird2-config.js';
import { felixScript, felixTeardownScript, nodeSysctls } from './felix.js';
import type { ClusterSpec, Family, NodeSpec } from './model.js';
import { Prober, type Endpoint } from './probe.js';

const ROOT = new URL('../', import.meta.url).pathname;

export type DaemonKind = 'wren' | 'bird';

export interface KernelRoute {
  readonly dst: string;
  readonly type?: string;
  readonly gateway?: string;
  readonly dev?: string;
  readonly protocol?: string;
  readonly metric?: number;
  readonly nexthops?: ReadonlyArray<{ readonly gateway?: string; readonly dev?: string }>;
}

export interface TimelineEvent {
  /** ms since the cluster was created. */
  readonly t: number;
  readonly label: string;
  readonly kind: 'step' | 'fault' | 'converged' | 'info';
}

interface DaemonHandle {
  readonly proc: Proc;
  readonly socket: string;
  readonly config: string;
  readonly kind: DaemonKind;
  /** Set when the lab stopped it on purpose (a death is otherwise a failure). */
  stopped?: boolean;
}

export interface ClusterOptions {
  readonly daemon: DaemonKind;
  /** Log function for progress lines (default: none). */
  readonly log?: (line: string) => void;
  readonly felixBlackholes?: boolean;
}

export class Cluster {
  spec: ClusterSpec;
  readonly t0 = Date.now();
  readonly timeline: TimelineEvent[] = [];
  fabric = '';
  readonly nodeNs = new Map<string, string>();
  readonly wlNs = new Map<string, string>();
  private readonly daemons = new Map<string, DaemonHandle>();
  private restarts = 0;
  tor?: Bird | Frr;
  torNs = '';
  readonly prober = new Prober();

  constructor(
    readonly lab: Lab,
    spec: ClusterSpec,
    readonly opts: ClusterOptions,
  ) {
    this.spec = spec;
  }

  log(line: string): void {
    this.opts.log?.(line);
  }

  mark(label: string, kind: TimelineEvent['kind'] = 'step'): number {
    const t = Date.now() - this.t0;
    this.timeline.push({ t, label, kind });
    this.log(`[${(t / 1000).toFixed(1).padStart(6)} s] ${label}`);
    return t;
  }

  get families(): Family[] {
    return this.spec.ipv6 ? [4, 6] : [4];
  }

  node(name: string): NodeSpec {
    const n = this.spec.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  }

  /** Creates the fabric, every node with its workloads, and the ToR. Daemons are not started. */
  async build(): Promise<void> {
    this.fabric = await this.lab.ns();
    await this.lab.exec(this.fabric, ['sh', '-ec', 'ip link add br0 type bridge && ip link set br0 up']);
    this.mark('fabric namespace with bridge br0');
    for (const n of this.spec.nodes) await this.addNodeNetwork(n);
    this.mark(`${this.spec.nodes.length} node namespaces, ${this.spec.nodes.reduce((s, n) => s + n.workloads.length, 0)} workloads`);
    if (this.spec.tor) await this.startTor();
    await this.prober.serve(this.endpoints());
  }

  /** The node namespace, its eth0 on the bridge, Felix's workloads. */
  async addNodeNetwork(n: NodeSpec): Promise<void> {
    const ns = await this.lab.ns();
    this.nodeNs.set(n.name, ns);
    const port = `p${n.index}`;
    const sh: string[] = [
      `ip netns exec ${ns} sysctl -qw ${nodeSysctls(this.spec.ipv6).join(' ')}`,
      `ip link add eth0 netns ${ns} type veth peer name ${port} netns ${this.fabric}`,
      `ip -n ${this.fabric} link set ${port} master br0 up`,
      `ip -n ${ns} addr add ${n.ip4}/16 dev eth0`,
      ...(n.ip6 ? [`ip -n ${ns} addr add ${n.ip6}/64 dev eth0 nodad`] : []),
      `ip -n ${ns} link set eth0 up`,
    ];
    for (const w of n.workloads) this.wlNs.set(w.name, await this.lab.ns());
    sh.push(felixScript(this.spec, n, ns, this.wlNs, { felixBlackholes: this.opts.felixBlackholes }));
    await run(['sh', '-ec', sh.join('\n')], { timeoutMs: 120_000 });
  }

  private async startTor(): Promise<void> {
    const t = this.spec.tor!;
    this.torNs = await this.lab.ns();
    await run(['sh', '-ec', [
      `ip link add eth0 netns ${this.torNs} type veth peer name tor0 netns ${this.fabric}`,
      `ip -n ${this.fabric} link set tor0 master br0 up`,
      `ip -n ${this.torNs} addr add ${t.ip4}/16 dev eth0`,
      ...(t.ip6 ? [`ip -n ${this.torNs} addr add ${t.ip6}/64 dev eth0 nodad`] : []),
      `ip -n ${this.torNs} link set eth0 up`,
    ].join('\n')]);
    if (t.daemon === 'bird') this.tor = await Bird.start(this.lab, this.torNs, renderBird2Tor(this.spec), 'tor');
    else this.tor = await Frr.start(this.lab, this.torNs, renderFrrTor(this.spec), [t.ip4, ...(t.ip6 ? [t.ip6] : [])], 'tor');
    this.mark(`ToR (${t.daemon === 'bird' ? 'BIRD 2' : 'FRR'}, AS ${t.asn}) started`);
  }

  /** Workload endpoints for the prober. */
  endpoints(nodes: readonly NodeSpec[] = this.spec.nodes): Endpoint[] {
    const out: Endpoint[] = [];
    for (const n of nodes) {
      for (const w of n.workloads) {
        out.push({ name: w.name, ns: this.wlNs.get(w.name)!, addrs: [w.ip4, ...(w.ip6 ? [w.ip6] : [])] });
      }
    }
    return out;
  }

  private key(node: string, f: Family): string {
    return `${node}/v${f}`;
  }

  private nodeDir(node: string): string {
    const d = this.lab.path(`${node}`);
    mkdirSync(d, { recursive: true });
    return d;
  }

  /** Renders (confd) the node's configuration for `f`; returns the main file's path. */
  render(n: NodeSpec, f: Family, comment?: string): string {
    const dir = this.nodeDir(n.name);
    if (this.opts.daemon === 'wren') return writeConfd(dir, renderConfd(this.spec, n, f, comment));
    const path = join(dir, `bird2-v${f}.conf`);
    writeConfd(dir, { main: `bird2-v${f}.conf`, files: [[`bird2-v${f}.conf`, renderBird2Node(this.spec, n, f) + (comment ? `\n# ${comment}\n` : '')]] });
    return path;
  }

  socket(node: string, f: Family): string {
    return join(this.nodeDir(node), f === 4 ? 'bird.ctl' : 'bird6.ctl');
  }

  daemon(node: string, f: Family): DaemonHandle | undefined {
    return this.daemons.get(this.key(node, f));
  }

  /** Starts the node's daemon for `f` (as calico-node's runit service does: -R, -d, -s, -c). */
  async startDaemon(n: NodeSpec, f: Family): Promise<DaemonHandle> {
    const ns = this.nodeNs.get(n.name)!;
    const config = this.render(n, f);
    const socket = this.socket(n.name, f);
    const name = `${n.name}-${f === 4 ? 'bird' : 'bird6'}-${++this.restarts}`;
    let argv: string[];
    if (this.opts.daemon === 'wren') {
      // `exec -a bird` gives argv[0] = bird / bird6 as runit's `exec bird …` does.
      argv = ['bash', '-c', 'exec -a "$0" "$@"', f === 4 ? 'bird' : 'bird6', process.execPath, '--import', 'tsx', join(ROOT, 'scripts/wrend-dev.mjs'), '-R', '-s', socket, '-d', '-c', config];
    } else {
      argv = ['bird', '-f', '-R', '-s', socket, '-c', config, '-P', join(this.nodeDir(n.name), `bird2-v${f}.pid`)];
    }
    const proc = this.lab.spawn(ns, argv, { name, cwd: ROOT });
    const h: DaemonHandle = { proc, socket, config, kind: this.opts.daemon };
    this.daemons.set(this.key(n.name, f), h);
    return h;
  }

  /** Starts every daemon and waits until each control socket answers. */
  async startAll(nodes: readonly NodeSpec[] = this.spec.nodes): Promise<void> {
    const hs: DaemonHandle[] = [];
    for (const n of nodes) for (const f of this.families) hs.push(await this.startDaemon(n, f));
    await Promise.all(hs.map((h) => this.waitSocket(h)));
  }

  async waitSocket(h: DaemonHandle, timeoutMs = 60_000): Promise<void> {
    await until(
      async () => {
        if (!h.proc.running) throw new FatalError(`${h.proc.name} exited: ${h.proc.tail()}`);
        try {
          readFileSync(h.socket); // a socket cannot be read: ENXIO/EOPNOTSUPP when it exists
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          return code !== 'ENOENT';
        }
        return true;
      },
      { what: `${h.proc.name} control socket`, timeoutMs, intervalMs: 100, context: () => h.proc.tail() },
    );
  }

  /** Stops a daemon by PID with `signal` and waits for it to exit. */
  async stopDaemon(node: string, f: Family, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const h = this.daemons.get(this.key(node, f));
    if (!h || !h.proc.running) return;
    h.stopped = true;
    process.kill(h.proc.pid, signal);
    const timer = setTimeout(() => h.proc.running && process.kill(h.proc.pid, 'SIGKILL'), 10_000);
    await h.proc.exited;
    clearTimeout(timer);
  }

  /** Re-renders every node's configuration (confd after a datastore change) and sends SIGHUP. */
  async rerenderAll(comment?: string, nodes: readonly NodeSpec[] = this.spec.nodes): Promise<void> {
    for (const n of nodes) {
      for (const f of this.families) {
        const h = this.daemon(n.name, f);
        this.render(n, f, comment);
        if (h?.proc.running) process.kill(h.proc.pid, 'SIGHUP');
      }
    }
  }

  /** `ip -j route show proto bird` (protocol 12) of a node, for one family. */
  async kernelRoutes(node: string, f: Family, all = false): Promise<KernelRoute[]> {
    const ns = this.nodeNs.get(node)!;
    const r = await run(['ip', '-n', ns, '-j', `-${f}`, 'route', 'show', ...(all ? [] : ['proto', 'bird'])]);
    return JSON.parse(r.stdout || '[]') as KernelRoute[];
  }

  /**
   * What `node`'s kernel must hold (proto bird): its own block as a blackhole, and every
   * other node's block via that node's address. Returns the differences (empty = converged).
   */
  async kernelDiff(n: NodeSpec, f: Family, spec: ClusterSpec = this.spec): Promise<string[]> {
    const routes = await this.kernelRoutes(n.name, f);
    const byDst = new Map<string, KernelRoute>();
    for (const r of routes) byDst.set(r.dst, r);
    const diff: string[] = [];
    const pool = f === 4 ? '10.244.' : 'fd00:244:';
    for (const m of spec.nodes) {
      const block = f === 4 ? m.block4 : m.block6;
      if (!block) continue;
      const r = byDst.get(block);
      if (m === n || m.name === n.name) {
        if (!r || r.type !== 'blackhole') diff.push(`${block}: want blackhole, have ${r ? JSON.stringify(r) : 'none'}`);
        continue;
      }
      const gw = f === 4 ? m.ip4 : m.ip6!;
      const gws = r ? [r.gateway, ...(r.nexthops ?? []).map((x) => x.gateway)].filter(Boolean) : [];
      if (!r || !gws.includes(gw)) diff.push(`${block}: want via ${gw}, have ${r ? JSON.stringify(r) : 'none'}`);
    }
    const wanted = new Set(spec.nodes.map((m) => (f === 4 ? m.block4 : m.block6)).filter(Boolean));
    for (const r of routes) if (r.dst.startsWith(pool) && !wanted.has(r.dst)) diff.push(`${r.dst}: unexpected ${JSON.stringify(r)}`);
    return diff;
  }

  /** Kernel differences on every node (running daemons only unless `nodes` is given). */
  async clusterDiff(nodes: readonly NodeSpec[] = this.spec.nodes): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    await Promise.all(
      nodes.flatMap((n) =>
        this.families.map(async (f) => {
          const d = await this.kernelDiff(n, f);
          if (d.length) out.set(`${n.name}/v${f}`, d);
        }),
      ),
    );
    return out;
  }

  /**
   * Polls until every node's kernel holds exactly the expected routes; returns the time
   * (ms since t0) at which each node first converged and the overall time.
   */
  async waitConverged(what: string, timeoutMs = 120_000, nodes: readonly NodeSpec[] = this.spec.nodes): Promise<{ at: number; perNode: Map<string, number> }> {
    const perNode = new Map<string, number>();
    let last = new Map<string, string[]>();
    await until(
      async () => {
        for (const h of this.daemons.values()) if (!h.proc.running && !h.stopped) throw new FatalError(`${h.proc.name} died: ${h.proc.tail()}`);
        last = await this.clusterDiff(nodes);
        const now = Date.now() - this.t0;
        for (const n of nodes) if (![...last.keys()].some((k) => k.startsWith(`${n.name}/`)) && !perNode.has(n.name)) perNode.set(n.name, now);
        return last.size === 0;
      },
      {
        what,
        timeoutMs,
        intervalMs: 100,
        context: () => [...last].slice(0, 6).map(([k, v]) => `${k}: ${v.slice(0, 4).join('; ')}`).join('\n'),
      },
    );
    const at = this.mark(what, 'converged');
    return { at, perNode };
  }

  /** VmRSS (kB) of every running daemon. */
  memory(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [k, h] of this.daemons) {
      if (!h.proc.running) continue;
      try {
        const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${h.proc.pid}/status`, 'utf8'));
        if (m) out.set(k, Number(m[1]));
      } catch {
        /* exited meanwhile */
      }
    }
    return out;
  }

  /** Removes a node: its daemons stop (SIGTERM), Felix removes its workloads, confd re-renders the others. */
  async removeNode(name: string): Promise<NodeSpec> {
    const n = this.node(name);
    for (const f of this.families) {
      await this.stopDaemon(name, f, 'SIGTERM');
    }
    for (const w of n.workloads) this.prober.unserve(w.name);
    await run(['sh', '-ec', felixTeardownScript(n, this.nodeNs.get(name)!)]);
    this.spec = { ...this.spec, nodes: this.spec.nodes.filter((x) => x.name !== name) };
    if (this.tor) await this.reconfigureTor();
    await this.rerenderAll(`node ${name} removed`);
    return n;
  }

  /** Adds a node that is already in `spec`: network, workloads, daemons; re-renders the others. */
  async joinNode(spec: ClusterSpec, n: NodeSpec): Promise<void> {
    this.spec = spec;
    await this.addNodeNetwork(n);
    await this.prober.serve(this.endpoints([n]));
    if (this.tor) await this.reconfigureTor();
    await this.startAll([n]);
    await this.rerenderAll(`node ${n.name} joined`, spec.nodes.filter((x) => x !== n));
  }

  private async reconfigureTor(): Promise<void> {
    if (this.tor instanceof Bird) await this.tor.reconfigure(renderBird2Tor(this.spec));
    else if (this.tor instanceof Frr) {
      const lines = renderFrrTor(this.spec).split('\n').filter(Boolean);
      await this.tor.configure(...lines.map((l) => l.trim()));
    }
  }

  close(): void {
    this.prober.close();
  }
}
