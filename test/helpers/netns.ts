// A test "lab": network namespaces named uniquely per run (`wren-<pid>-<n>`), veth pairs
// between them with addresses from 198.18.0.0/15 and fd00::/8 (IPv6 with `nodad`, usable at
// once), `lo` up, a scratch directory for configs/sockets/logs, and the processes started
// inside. Cleanup always runs: from node:test's after() and, as a last resort, synchronously
// from process 'exit'. It ends only the processes this lab started, by PID, then deletes only
// the namespaces it created. Leaves out: bridges, routing between more than two namespaces.

import { after } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Proc, run, runSync, safeKill, requireOnPath, type RunOptions, type RunResult } from './process.js';

let counter = 0;

export interface LinkSpec {
  readonly a: string;
  readonly b: string;
  /** Interface names inside a and b (default veth-<n>a / veth-<n>b). */
  readonly aIf?: string;
  readonly bIf?: string;
  /** Addresses with prefix length, e.g. ['198.18.0.1/24', 'fd00::1/64']. */
  readonly aAddrs: readonly string[];
  readonly bAddrs: readonly string[];
}

export interface SpawnOptions {
  readonly name: string;
  readonly env?: Record<string, string>;
  readonly cwd?: string;
  readonly stdin?: boolean;
}

export class Lab {
  readonly id: string;
  /** Scratch directory (configs, sockets, logs); removed at cleanup unless WREN_KEEP_LAB=1. */
  readonly dir: string;
  private readonly namespaces: string[] = [];
  private readonly procs: Proc[] = [];
  private links = 0;
  private cleaned = false;
  private readonly exitHook = (): void => this.cleanupSync();

  constructor(readonly label: string) {
    this.id = `wren-${process.pid}-${++counter}`;
    this.dir = mkdtempSync(join(tmpdir(), `${this.id}-${label}-`));
    process.on('exit', this.exitHook);
  }

  /** Creates a namespace with `lo` up; returns its name. */
  async ns(): Promise<string> {
    requireOnPath('ip', 'iproute2');
    const name = `${this.id}-${this.namespaces.length}`;
    await run(['ip', 'netns', 'add', name]);
    this.namespaces.push(name);
    await run(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
    return name;
  }

  /** Creates a veth pair directly inside the two namespaces and assigns the addresses. */
  async link(spec: LinkSpec): Promise<{ aIf: string; bIf: string }> {
    const n = this.links++;
    const aIf = spec.aIf ?? `veth${n}a`;
    const bIf = spec.bIf ?? `veth${n}b`;
    await run(['ip', 'link', 'add', 'name', aIf, 'netns', spec.a, 'type', 'veth', 'peer', 'name', bIf, 'netns', spec.b]);
    for (const [ns, ifname, addrs] of [
      [spec.a, aIf, spec.aAddrs],
      [spec.b, bIf, spec.bAddrs],
    ] as const) {
      for (const addr of addrs) {
        const v6 = addr.includes(':');
        await run(['ip', '-n', ns, 'addr', 'add', addr, 'dev', ifname, ...(v6 ? ['nodad'] : [])]);
      }
      await run(['ip', '-n', ns, 'link', 'set', ifname, 'up']);
    }
    return { aIf, bIf };
  }

  /** Adds one more address to an interface (e.g. a second local address for a second session). */
  async addAddress(ns: string, ifname: string, addr: string): Promise<void> {
    await run(['ip', '-n', ns, 'addr', 'add', addr, 'dev', ifname, ...(addr.includes(':') ? ['nodad'] : [])]);
  }

  /** Runs a command to completion inside `ns`. */
  exec(ns: string, argv: readonly string[], opts: Omit<RunOptions, 'ns'> = {}): Promise<RunResult> {
    return run(argv, { ...opts, ns });
  }

  /** Starts a long-lived process inside `ns`; the lab stops it at cleanup. */
  spawn(ns: string, argv: readonly string[], opts: SpawnOptions): Proc {
    if (this.cleaned) throw new Error(`lab ${this.id} already cleaned up`);
    const p = new Proc(argv, { ...opts, ns, logFile: join(this.dir, `${opts.name}.out`) });
    this.procs.push(p);
    return p;
  }

  /** Writes a file into the scratch directory; returns its path. */
  file(name: string, content: string): string {
    const p = join(this.dir, name);
    writeFileSync(p, content);
    return p;
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  /** Stops every process (by PID), deletes the namespaces, removes the scratch directory. */
  async cleanup(): Promise<void> {
    if (this.cleaned) return;
    this.cleaned = true;
    process.off('exit', this.exitHook);
    await Promise.all(this.procs.map((p) => p.stop(2000).catch(() => {})));
    for (const ns of this.namespaces) await run(['ip', 'netns', 'del', ns], { allowFail: true });
    if (process.env.WREN_KEEP_LAB !== '1') rmSync(this.dir, { recursive: true, force: true });
  }

  private cleanupSync(): void {
    if (this.cleaned) return;
    this.cleaned = true;
    for (const p of this.procs) if (p.running) safeKill(p.pid, 'SIGKILL');
    for (const ns of this.namespaces) runSync(['ip', 'netns', 'del', ns]);
    if (process.env.WREN_KEEP_LAB !== '1') rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Creates a lab whose cleanup is registered with node:test's after() in the current suite
 * (call it at the top of a test file or inside describe()).
 */
export function createLab(label: string): Lab {
  if (process.getuid && process.getuid() !== 0) {
    throw new Error('conformance tests need root (network namespaces, daemons on port 179)');
  }
  const lab = new Lab(label);
  after(() => lab.cleanup());
  return lab;
}
