// The benchmark's network lab: namespaces named `wb<pid>-<n>-<role>`, veth pairs between
// them with addresses from 198.18.0.0/15 and fd00::/8 (IPv6 `nodad`), extra addresses added
// in one `ip -batch`, a scratch directory, and the processes started inside namespaces.
// Cleanup always runs — from the caller's finally, and as a last resort synchronously on
// process exit, SIGINT and SIGTERM: it ends only the processes this lab started, by PID
// (SIGTERM, then SIGKILL), then deletes only the namespaces it created.
// Leaves out: bridges (every peer namespace has its own veth to the DUT namespace).

import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion (inside `ns` when given); throws on a non-zero exit unless allowFail. */
export function run(argv: readonly string[], opts: { ns?: string; allowFail?: boolean; input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  const full = opts.ns ? ['ip', 'netns', 'exec', opts.ns, ...argv] : [...argv];
  return new Promise((resolve, reject) => {
    const child = execFile(full[0]!, full.slice(1), { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? Number((err as NodeJS.ErrnoException).code) : 1) : 0;
      if (code !== 0 && !opts.allowFail) reject(new Error(`${full.join(' ')} failed (${code}): ${stderr || stdout || err?.message}`));
      else resolve({ code, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** A long-lived process started by the lab; its output goes to a log file and a short tail. */
export class LabProcess {
  readonly pid: number;
  private readonly lines: string[] = [];
  private partial = '';
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  readonly exited: Promise<void>;
  private readonly log: WriteStream;
  /** Called with each stdout line when set (workers' JSON events). */
  onLine: ((line: string) => void) | null = null;

  constructor(readonly name: string, readonly child: ChildProcess, logFile: string) {
    if (child.pid === undefined) throw new Error(`${name}: spawn failed`);
    this.pid = child.pid;
    this.log = createWriteStream(logFile);
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (d: string) => this.take(d, true));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => this.take(d, false));
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve();
      });
      child.once('error', () => resolve());
    });
  }

  private take(d: string, stdout: boolean): void {
    this.log.write(d);
    if (!stdout || this.onLine === null) {
      for (const l of d.split('\n')) if (l) this.remember(l);
      return;
    }
    const text = this.partial + d;
    const parts = text.split('\n');
    this.partial = parts.pop()!;
    for (const l of parts) if (l) this.onLine(l);
  }

  private remember(l: string): void {
    this.lines.push(l);
    if (this.lines.length > 200) this.lines.splice(0, this.lines.length - 200);
  }

  get running(): boolean {
    return this.exitInfo === null && this.child.exitCode === null && this.child.signalCode === null;
  }

  get exitText(): string {
    const e = this.exitInfo;
    return e === null ? 'running' : e.signal ? `killed by ${e.signal}` : `exit code ${e.code}`;
  }

  tail(n = 20): string {
    return this.lines.slice(-n).join('\n');
  }

  write(line: string): void {
    if (this.child.stdin && !this.child.stdin.destroyed) this.child.stdin.write(line + '\n');
  }

  /** SIGTERM, then SIGKILL after `graceMs`; by PID, only this process. */
  async stop(graceMs = 3000): Promise<void> {
    if (this.running) {
      safeKill(this.pid, 'SIGTERM');
      const t = setTimeout(() => safeKill(this.pid, 'SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(t);
    }
    this.log.end();
  }
}

export function safeKill(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

const liveLabs = new Set<BenchLab>();
let hooksInstalled = false;

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const l of liveLabs) l.cleanupSync();
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      for (const l of liveLabs) l.cleanupSync();
      process.exit(sig === 'SIGINT' ? 130 : 143);
    });
  }
}

let counter = 0;

export class BenchLab {
  readonly id: string;
  readonly dir: string;
  private readonly namespaces: string[] = [];
  private readonly procs: LabProcess[] = [];
  private cleaned = false;

  constructor(label: string) {
    installHooks();
    this.id = `wb${process.pid}-${++counter}`;
    this.dir = mkdtempSync(join(tmpdir(), `${this.id}-${label}-`));
    liveLabs.add(this);
  }

  /** Creates namespace `<id>-<role>` with lo up. */
  async netns(role: string): Promise<string> {
    const name = `${this.id}-${role}`;
    await run(['ip', 'netns', 'add', name]);
    this.namespaces.push(name);
    await run(['ip', '-n', name, 'link', 'set', 'lo', 'up']);
    return name;
  }

  /** A veth pair created straight into the two namespaces, addresses assigned, both up. */
  async veth(a: string, aIf: string, aAddrs: readonly string[], b: string, bIf: string, bAddrs: readonly string[]): Promise<void> {
    await run(['ip', 'link', 'add', 'name', aIf, 'netns', a, 'type', 'veth', 'peer', 'name', bIf, 'netns', b]);
    for (const [ns, ifname, addrs] of [[a, aIf, aAddrs], [b, bIf, bAddrs]] as const) {
      await this.addAddresses(ns, ifname, addrs);
      await run(['ip', '-n', ns, 'link', 'set', ifname, 'up']);
    }
  }

  /** Adds many addresses at once (`ip -batch`). */
  async addAddresses(ns: string, ifname: string, addrs: readonly string[]): Promise<void> {
    if (addrs.length === 0) return;
    const lines = addrs.map((x) => `addr add ${x} dev ${ifname}${x.includes(':') ? ' nodad' : ''}`).join('\n') + '\n';
    await run(['ip', '-n', ns, '-batch', '-'], { input: lines });
  }

  file(name: string, content: string): string {
    const p = join(this.dir, name);
    writeFileSync(p, content);
    return p;
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  /** Starts `argv` inside `ns` (ip netns exec execs it: the PID is the program's own). */
  spawn(ns: string, argv: readonly string[], opts: { name: string; cwd?: string; env?: Record<string, string>; stdin?: boolean }): LabProcess {
    if (this.cleaned) throw new Error(`lab ${this.id} already cleaned up`);
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], {
      cwd: opts.cwd,
      env: { ...process.env, ...(opts.env ?? {}) },
      stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    const p = new LabProcess(opts.name, child, join(this.dir, `${opts.name}.out`));
    this.procs.push(p);
    return p;
  }

  async cleanup(): Promise<void> {
    if (this.cleaned) return;
    this.cleaned = true;
    await Promise.all(this.procs.map((p) => p.stop().catch(() => {})));
    for (const ns of this.namespaces) await run(['ip', 'netns', 'del', ns], { allowFail: true });
    liveLabs.delete(this);
    if (process.env.WREN_KEEP_LAB !== '1') rmSync(this.dir, { recursive: true, force: true });
  }

  cleanupSync(): void {
    if (this.cleaned) return;
    this.cleaned = true;
    for (const p of this.procs) if (p.running) safeKill(p.pid, 'SIGKILL');
    for (const ns of this.namespaces) spawnSync('ip', ['netns', 'del', ns]);
    liveLabs.delete(this);
    if (process.env.WREN_KEEP_LAB !== '1') rmSync(this.dir, { recursive: true, force: true });
  }
}
