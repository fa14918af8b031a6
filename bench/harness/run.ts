// One measured run of one scenario against one DUT, in a fresh lab (namespaces, DUT
// process, peer workers) that is torn down afterwards whatever happens.
//
//   eBGP scenarios (ipv4-*, ipv6-*):
//     tester ns  t0 198.18.1.2/24 fd00:1::2/64 ── veth ── d1 198.18.1.1/24 fd00:1::1/64  dut ns
//     monitor ns m0 198.18.2.2/24 fd00:2::2/64 ── veth ── d2 198.18.2.1/24 fd00:2::1/64
//     tester AS 65001 → DUT AS 65000 → monitor AS 65002
//   route-reflector scenarios (rr-*):
//     clients ns c0 198.19.<1+i/200>.<1+i%200>/16 (C addresses) ── veth ── d0 198.19.0.1/16
//     all AS 65000, every client an `rr client`, cluster id 1.1.1.1
//
// Order: DUT up (listening) → monitor established → tester encoded + established → DUT
// CPU sampled → `go` → monitor reaches the target (or the timeout) → CPU and VmHWM read.
// Wall time = monitor's completion − tester's first UPDATE write (both CLOCK_MONOTONIC).
// A timeout is a result ("timeout after N s, monitor held X of Y"), never a crash; so is
// a DUT that dies or a session that goes down.
// Leaves out: warm-up runs (each run is a cold DUT), pinning to CPUs.

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Afi } from '../../src/rib/prefix.js';
import type { MonitorChecks } from './counter.js';
import { type DutName, type DutPeer, type RunningDut, startDut } from './duts.js';
import { BenchLab, type LabProcess } from './lab.js';
import { cpuBetween, cpuSnapshot, peakRssMiB } from './proc-stats.js';
import { type RrChecks, type WorkerEvent, type WorkerJob, monoMs } from './protocol.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const REPO = join(HERE, '..', '..');

export const DUT_AS = 65000;
export const TESTER_AS = 65001;
export const MONITOR_AS = 65002;
export const CLUSTER_ID = '1.1.1.1';

export type Scenario =
  | { readonly kind: 'ebgp'; readonly name: string; readonly afi: Afi; readonly prefixes: number; readonly seed: number }
  | { readonly kind: 'rr'; readonly name: string; readonly clients: number; readonly blocksPerClient: number };

export const SCENARIOS: Readonly<Record<string, Scenario>> = {
  'ipv4-1m': { kind: 'ebgp', name: 'ipv4-1m', afi: Afi.IPV4, prefixes: 1_000_000, seed: 1 },
  'ipv4-100k': { kind: 'ebgp', name: 'ipv4-100k', afi: Afi.IPV4, prefixes: 100_000, seed: 1 },
  'ipv6-200k': { kind: 'ebgp', name: 'ipv6-200k', afi: Afi.IPV6, prefixes: 200_000, seed: 1 },
  'rr-100': { kind: 'rr', name: 'rr-100', clients: 100, blocksPerClient: 10 },
  'rr-500': { kind: 'rr', name: 'rr-500', clients: 500, blocksPerClient: 10 },
};

/** An eBGP scenario of any size (the smoke test uses 2 000 prefixes). */
export function ebgpScenario(afi: Afi, prefixes: number, seed = 1): Scenario {
  return { kind: 'ebgp', name: `${afi === Afi.IPV4 ? 'ipv4' : 'ipv6'}-${prefixes}`, afi, prefixes, seed };
}

export interface RunResult {
  readonly dut: DutName;
  readonly scenario: string;
  /** 'ok', 'timeout', or 'failed' (DUT died, session down, set-up error). */
  readonly status: 'ok' | 'timeout' | 'failed';
  /** Why not ok, in words. */
  readonly detail?: string;
  /** First UPDATE written → monitor (or every client) holding all prefixes, seconds. */
  readonly wallS?: number;
  /** RR only: client 0's withdrawal written → no other client holding its blocks, seconds. */
  readonly withdrawS?: number;
  /** DUT CPU seconds over the measured phase (both phases for RR). */
  readonly cpuS?: number;
  /** …of which its main thread's (the whole DUT for a single-threaded one). */
  readonly mainThreadCpuS?: number;
  /** Busy CPU seconds of the whole machine over the same phase, all cores (see proc-stats)… */
  readonly machineCpuS?: number;
  /** …and per second of that phase: how many cores were busy on average. */
  readonly machineCores?: number;
  readonly peakRssMiB?: number;
  /** With `lingerS`: peak RSS and CPU since the first UPDATE, read that long after the end. */
  readonly lingerPeakRssMiB?: number;
  readonly lingerCpuS?: number;
  /** Prefixes held at the end vs. the target (RR: clients complete vs. clients). */
  readonly held?: number;
  /** What RunOptions.during measured. */
  readonly during?: unknown;
  readonly target?: number;
  /** Tester: first to last UPDATE write, seconds; messages and bytes sent. */
  readonly sendS?: number;
  /** Monitor: first UPDATE written by the tester → first UPDATE at the monitor, seconds. */
  readonly firstS?: number;
  /** Monitor's own CPU seconds while counting (near wallS means the monitor was the limit). */
  readonly monitorCpuS?: number;
  readonly messages?: number;
  readonly checks?: MonitorChecks | RrChecks;
}

/** A peer worker process and its event stream. */
class Worker {
  readonly events: WorkerEvent[] = [];
  private waiters: (() => void)[] = [];
  constructor(readonly proc: LabProcess) {
    proc.onLine = (line) => {
      let e: WorkerEvent;
      try {
        e = JSON.parse(line) as WorkerEvent;
      } catch {
        e = { ev: 'log', text: line };
      }
      this.events.push(e);
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
    };
    void proc.exited.then(() => {
      const w = this.waiters;
      this.waiters = [];
      for (const f of w) f();
    });
  }

  send(cmd: string): void {
    this.proc.write(JSON.stringify({ cmd }));
  }

  last<K extends WorkerEvent['ev']>(ev: K): Extract<WorkerEvent, { ev: K }> | undefined {
    for (let i = this.events.length - 1; i >= 0; i--) if (this.events[i]!.ev === ev) return this.events[i] as Extract<WorkerEvent, { ev: K }>;
    return undefined;
  }

  /**
   * Sessions that go down before the measured phase restart by themselves (set-up waits for
   * all to be up at once); from `measuring()` on, a session going down fails the run.
   */
  private downsFrom = Infinity;

  measuring(): void {
    this.downsFrom = this.events.length;
  }

  problem(): string | null {
    const err = this.last('error');
    if (err) return `${this.proc.name}: ${err.message}`;
    for (let i = this.downsFrom; i < this.events.length; i++) {
      const e = this.events[i]!;
      if (e.ev === 'down') return `${this.proc.name}: session ${e.name} down: ${e.reason}`;
    }
    if (!this.proc.running) return `${this.proc.name} exited (${this.proc.exitText}): ${this.proc.tail(5)}`;
    return null;
  }

  /** Resolves when pred() holds; rejects on timeout, worker problem, or `abort()` returning text. */
  async until(pred: () => boolean, timeoutMs: number, what: string, abort: () => string | null = () => null): Promise<void> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      if (pred()) return;
      const p = this.problem() ?? abort();
      if (p) throw new RunFailure(p);
      const left = end - Date.now();
      if (left <= 0) throw new RunTimeout(`${what}: no result after ${Math.round(timeoutMs / 1000)} s`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 500));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}

class RunFailure extends Error {}
class RunTimeout extends Error {}

function startWorker(lab: BenchLab, ns: string, name: string, job: WorkerJob): Worker {
  const jobFile = lab.file(`${name}.json`, JSON.stringify(job));
  const proc = lab.spawn(ns, [process.execPath, '--import', 'tsx', join(HERE, 'peer-worker.ts'), jobFile], { name, cwd: REPO, stdin: true });
  return new Worker(proc);
}

function dutProblem(dut: RunningDut | null): () => string | null {
  return () => (dut && !dut.proc.running ? `DUT ${dut.name} exited (${dut.proc.exitText}): ${dut.proc.tail(10)}` : null);
}

export interface RunOptions {
  /** Seconds from `go` until the run counts as timed out. */
  readonly timeoutS: number;
  /** Progress lines (to stderr). */
  readonly log?: (line: string) => void;
  /** Wren from the compiled build (bin/wrend.js) rather than the sources through tsx. */
  readonly wrenBuild?: boolean;
  /** Full-table runs: seconds to wait after the end before reading peak RSS and CPU again. */
  readonly lingerS?: number;
  /**
   * Runs beside the measured phase (eBGP scenarios): started at `go`, stopped when the
   * monitor is done; what its stop function returns lands in RunResult.during.
   */
  readonly during?: (ctx: { readonly dut: DutName; readonly netns: string; readonly pid: number; readonly controlSocket: string }) => () => Promise<unknown>;
}

export function defaultTimeoutS(s: Scenario): number {
  return s.kind === 'ebgp' ? 60 + Math.ceil(s.prefixes / 4000) : 60 + s.clients / 2;
}

export async function runOnce(dut: DutName, scenario: Scenario, opts: RunOptions): Promise<RunResult> {
  const lab = new BenchLab(`${scenario.name}-${dut}`);
  const log = opts.log ?? (() => {});
  try {
    return scenario.kind === 'ebgp' ? await runEbgp(lab, dut, scenario, opts, log) : await runRr(lab, dut, scenario, opts, log);
  } catch (e) {
    return { dut, scenario: scenario.name, status: 'failed', detail: (e as Error).message };
  } finally {
    await lab.cleanup();
  }
}

async function runEbgp(
  lab: BenchLab, dut: DutName, sc: Extract<Scenario, { kind: 'ebgp' }>, opts: RunOptions, log: (l: string) => void,
): Promise<RunResult> {
  const v4 = sc.afi === Afi.IPV4;
  const tns = await lab.netns('tester');
  const dns = await lab.netns('dut');
  const mns = await lab.netns('monitor');
  await lab.veth(tns, 't0', ['198.18.1.2/24', 'fd00:1::2/64'], dns, 'd1', ['198.18.1.1/24', 'fd00:1::1/64']);
  await lab.veth(mns, 'm0', ['198.18.2.2/24', 'fd00:2::2/64'], dns, 'd2', ['198.18.2.1/24', 'fd00:2::1/64']);
  const tAddr = v4 ? '198.18.1.2' : 'fd00:1::2', tDut = v4 ? '198.18.1.1' : 'fd00:1::1';
  const mAddr = v4 ? '198.18.2.2' : 'fd00:2::2', mDut = v4 ? '198.18.2.1' : 'fd00:2::1';

  const peers: DutPeer[] = [
    { name: 'tester', address: tAddr, as: TESTER_AS },
    { name: 'monitor', address: mAddr, as: MONITOR_AS },
  ];
  const d = await startDut(dut, lab, dns, { as: DUT_AS, routerId: '198.18.1.1', afi: sc.afi, peers }, opts);
  const dead = dutProblem(d);
  const table = { afi: sc.afi, count: sc.prefixes, seed: sc.seed, firstAs: TESTER_AS };
  const base = { scenario: sc.name, dut, target: sc.prefixes } as const;

  const monitor = startWorker(lab, mns, 'monitor', {
    role: 'monitor', localAs: MONITOR_AS, peerAs: DUT_AS, routerId: '198.18.2.2', localAddress: mAddr, peerAddress: mDut,
    table, target: sc.prefixes, firstAs: DUT_AS, prepend: [DUT_AS], addPath: false,
  });
  const tester = startWorker(lab, tns, 'tester', {
    role: 'tester', localAs: TESTER_AS, peerAs: DUT_AS, routerId: '198.18.1.2', localAddress: tAddr, peerAddress: tDut,
    table, nextHop: tAddr,
  });
  try {
    const up = (w: Worker) => (w.last('established')?.count ?? 0) >= 1;
    await monitor.until(() => up(monitor), 90_000, 'monitor session', dead);
    await tester.until(() => up(tester) && tester.last('encoded') !== undefined && up(monitor), 180_000, 'tester encode + session', dead);
  } catch (e) {
    return { ...base, status: 'failed', detail: (e as Error).message };
  }
  const enc = tester.last('encoded')!;
  log(`  ${dut}: sessions up, ${enc.messages} UPDATEs (${(enc.bytes / 1048576).toFixed(1)} MiB) ready; go`);

  const cpu0 = cpuSnapshot(d.pid);
  const goAt = monoMs();
  tester.measuring();
  monitor.measuring();
  tester.send('go');
  const stopDuring = opts.during?.({ dut, netns: dns, pid: d.pid, controlSocket: lab.path(`${dut}.ctl`) });
  let status: RunResult['status'] = 'ok';
  let detail: string | undefined;
  try {
    await monitor.until(() => monitor.last('done') !== undefined, opts.timeoutS * 1000, 'monitor', () => tester.problem() ?? dead());
  } catch (e) {
    status = e instanceof RunTimeout ? 'timeout' : 'failed';
    detail = (e as Error).message;
  }
  const during = stopDuring ? await stopDuring() : undefined;
  const alive = d.proc.running;
  const cpu = alive ? cpuBetween(cpu0, cpuSnapshot(d.pid)) : { cpuS: NaN };
  const rss = alive ? peakRssMiB(d.pid) : NaN;
  const done = monitor.last('done');
  const sent = tester.last('sent');
  let held: number;
  let checks: MonitorChecks | undefined;
  if (done) {
    held = done.held;
    checks = done.checks;
  } else {
    const before = monitor.events.length;
    monitor.send('status');
    await monitor.until(() => monitor.events.length > before && monitor.last('status') !== undefined, 5000, 'monitor status').catch(() => {});
    const st = monitor.last('status');
    held = st?.held ?? monitor.last('progress')?.held ?? 0;
    checks = st?.checks as MonitorChecks | undefined;
    if (status === 'timeout') detail = `timeout after ${opts.timeoutS} s, monitor held ${held} of ${sc.prefixes}`;
  }
  const t0 = sent?.t0 ?? goAt;
  let linger: { lingerPeakRssMiB: number; lingerCpuS: number } | undefined;
  if (alive && status === 'ok' && (opts.lingerS ?? 0) > 0) {
    await new Promise((r) => setTimeout(r, opts.lingerS! * 1000));
    if (d.proc.running) linger = { lingerPeakRssMiB: peakRssMiB(d.pid), lingerCpuS: cpuSnapshot(d.pid).dut - cpu0.dut };
  }
  tester.send('stop');
  monitor.send('stop');
  return {
    ...base,
    status,
    ...(detail !== undefined ? { detail } : {}),
    ...(done ? { wallS: (done.t - t0) / 1000, firstS: (done.tFirst - t0) / 1000, monitorCpuS: done.cpuS } : {}),
    ...cpu,
    peakRssMiB: rss,
    ...(linger ?? {}),
    held,
    ...(sent ? { sendS: (sent.t1 - sent.t0) / 1000, messages: sent.messages } : {}),
    ...(checks ? { checks } : {}),
    ...(during !== undefined ? { during } : {}),
  };
}

/** Client i's address: 198.19.<1 + i/200>.<1 + i%200>. */
export function rrClientAddress(i: number): string {
  return `198.19.${1 + Math.floor(i / 200)}.${1 + (i % 200)}`;
}

async function runRr(
  lab: BenchLab, dut: DutName, sc: Extract<Scenario, { kind: 'rr' }>, opts: RunOptions, log: (l: string) => void,
): Promise<RunResult> {
  const cns = await lab.netns('clients');
  const dns = await lab.netns('dut');
  const addrs = Array.from({ length: sc.clients }, (_, i) => rrClientAddress(i));
  await lab.veth(cns, 'c0', [`${addrs[0]}/16`], dns, 'd0', ['198.19.0.1/16']);
  await lab.addAddresses(cns, 'c0', addrs.slice(1).map((a) => `${a}/16`));
  const peers: DutPeer[] = addrs.map((a, i) => ({ name: `c${i}`, address: a, as: DUT_AS, rrClient: true }));
  const d = await startDut(dut, lab, dns, { as: DUT_AS, routerId: '198.19.0.1', afi: Afi.IPV4, peers, clusterId: CLUSTER_ID }, opts);
  const dead = dutProblem(d);
  const base = { scenario: sc.name, dut, target: sc.clients } as const;
  const w = startWorker(lab, cns, 'clients', {
    role: 'rr-clients', as: DUT_AS, dutAddress: '198.19.0.1', clients: addrs, blocksPerClient: sc.blocksPerClient, clusterId: CLUSTER_ID,
  });
  try {
    await w.until(() => (w.last('established')?.count ?? 0) >= sc.clients, 60_000 + sc.clients * 200, 'client sessions', dead);
  } catch (e) {
    const n = w.last('established')?.count ?? 0;
    return { ...base, status: 'failed', detail: `${(e as Error).message} (${n} of ${sc.clients} established)` };
  }
  log(`  ${dut}: ${sc.clients} client sessions up; go`);
  const cpu0 = cpuSnapshot(d.pid);
  w.measuring();
  w.send('go');
  let status: RunResult['status'] = 'ok';
  let detail: string | undefined;
  let withdrawS: number | undefined;
  try {
    await w.until(() => w.last('converged') !== undefined, opts.timeoutS * 1000, 'reflection', dead);
    w.send('withdraw');
    await w.until(() => w.last('withdrawn') !== undefined, opts.timeoutS * 1000, 'withdrawal', dead);
    const wd = w.last('withdrawn')!;
    withdrawS = (wd.t - wd.t0) / 1000;
  } catch (e) {
    status = e instanceof RunTimeout ? 'timeout' : 'failed';
    detail = (e as Error).message;
  }
  const alive = d.proc.running;
  const cpu = alive ? cpuBetween(cpu0, cpuSnapshot(d.pid)) : { cpuS: NaN };
  const rss = alive ? peakRssMiB(d.pid) : NaN;
  const conv = w.last('converged');
  const before = w.events.length;
  w.send('status');
  await w.until(() => w.events.length > before && w.last('status') !== undefined, 5000, 'clients status').catch(() => {});
  const st = w.last('status');
  // Clients complete: all of them at convergence (after the withdrawal only client 0 is).
  const held = conv ? sc.clients : st?.held ?? w.last('progress')?.held ?? 0;
  if (status === 'timeout') {
    detail = conv
      ? `withdrawal: timeout after ${opts.timeoutS} s`
      : `timeout after ${opts.timeoutS} s, ${held} of ${sc.clients} clients held all others' routes`;
  }
  w.send('stop');
  return {
    ...base,
    status,
    ...(detail !== undefined ? { detail } : {}),
    ...(conv ? { wallS: (conv.t - conv.t0) / 1000 } : {}),
    ...(withdrawS !== undefined ? { withdrawS } : {}),
    ...cpu,
    peakRssMiB: rss,
    held,
    ...(st ? { checks: st.checks } : {}),
  };
}
