// Child processes for conformance tests: one-shot commands (`run`) and long-lived daemons
// (`Proc`), optionally inside a network namespace through `ip netns exec` (which execs the
// command, so the PID we hold is the daemon's own). Output is captured line by line for
// assertions and failure messages. Processes are ended by their PID only (SIGTERM, then
// SIGKILL after a grace period). Leaves out: PTYs, process groups.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, appendFileSync } from 'node:fs';
import { EventEmitter } from 'node:events';

export interface RunOptions {
  /** Network namespace to run in. */
  readonly ns?: string;
  readonly env?: Record<string, string>;
  readonly cwd?: string;
  readonly input?: string;
  /** Kill the command after this long (default 20 s). */
  readonly timeoutMs?: number;
  /** Resolve even on a non-zero exit status instead of throwing. */
  readonly allowFail?: boolean;
}

export interface RunResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number | null;
}

export const inNs = (ns: string | undefined, argv: readonly string[]): string[] =>
  ns ? ['ip', 'netns', 'exec', ns, ...argv] : [...argv];

/** Runs a command to completion; throws with its output on a non-zero status unless allowFail. */
export function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const full = inNs(opts.ns, argv);
  return new Promise((resolve, reject) => {
    const child = spawn(full[0]!, full.slice(1), {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      if (child.pid) safeKill(child.pid, 'SIGKILL');
    }, opts.timeoutMs ?? 20_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${full.join(' ')}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if ((code !== 0 || signal) && !opts.allowFail) {
        reject(new Error(`${full.join(' ')} exited with ${code ?? signal}\nstdout: ${stdout}\nstderr: ${stderr}`));
      } else resolve({ stdout, stderr, code });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(opts.input ?? '');
  });
}

/** Synchronous variant for cleanup paths that must work inside process 'exit' handlers. */
export function runSync(argv: readonly string[]): RunResult {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8', timeout: 10_000 });
  return { stdout: r.stdout ?? '', stderr: r.stderr ?? '', code: r.status };
}

/** Fails (throws) with a clear message when a binary the test needs is not installed. */
export function requireBinary(path: string, pkg: string): string {
  try {
    accessSync(path, constants.X_OK);
    return path;
  } catch {
    throw new Error(`required binary ${path} is missing: install the Debian package '${pkg}' (apt-get install -y ${pkg})`);
  }
}

/** Finds a binary on PATH (or an absolute path) or throws requireBinary's message. */
export function requireOnPath(name: string, pkg: string): string {
  if (name.startsWith('/')) return requireBinary(name, pkg);
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin').split(':').concat(['/usr/sbin', '/sbin'])) {
    try {
      accessSync(`${dir}/${name}`, constants.X_OK);
      return `${dir}/${name}`;
    } catch {
      /* next */
    }
  }
  return requireBinary(name, pkg);
}

export function safeKill(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

export interface ProcOptions {
  readonly ns?: string;
  readonly env?: Record<string, string>;
  readonly cwd?: string;
  /** Short name for messages. */
  readonly name: string;
  /** Also append all output to this file (kept for post-mortem). */
  readonly logFile?: string;
  /** Keep stdin open as a pipe (for line-oriented command input). */
  readonly stdin?: boolean;
}

/**
 * A long-lived child process with captured output. Emits 'line' (text, stream) for every
 * output line and 'exit' (code, signal) once.
 */
export class Proc extends EventEmitter {
  readonly child: ChildProcess;
  readonly name: string;
  readonly pid: number;
  private readonly lines: string[] = [];
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(argv: readonly string[], private readonly opts: ProcOptions) {
    super();
    this.name = opts.name;
    const full = inNs(opts.ns, argv);
    this.child = spawn(full[0]!, full.slice(1), {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    if (this.child.pid === undefined) throw new Error(`cannot start ${opts.name}: ${full.join(' ')}`);
    this.pid = this.child.pid;
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve(this.exitInfo);
        this.emit('exit', code, signal);
      });
    });
    this.child.on('error', (e) => this.record(`[spawn error] ${e.message}`, 'stderr'));
    this.child.stdin?.on('error', () => {});
    for (const stream of ['stdout', 'stderr'] as const) {
      let partial = '';
      this.child[stream]!.setEncoding('utf8').on('data', (d: string) => {
        partial += d;
        let nl: number;
        while ((nl = partial.indexOf('\n')) >= 0) {
          this.record(partial.slice(0, nl), stream);
          partial = partial.slice(nl + 1);
        }
      });
      this.child[stream]!.on('end', () => {
        if (partial) this.record(partial, stream);
        partial = '';
      });
    }
  }

  private record(line: string, stream: 'stdout' | 'stderr'): void {
    this.lines.push(line);
    if (this.opts.logFile) {
      try {
        appendFileSync(this.opts.logFile, line + '\n');
      } catch {
        /* log is best effort */
      }
    }
    this.emit('line', line, stream);
  }

  get running(): boolean {
    return this.exitInfo === null;
  }

  get exitStatus(): { code: number | null; signal: NodeJS.Signals | null } | null {
    return this.exitInfo;
  }

  /** All output lines so far (stdout and stderr interleaved in arrival order). */
  output(): readonly string[] {
    return this.lines;
  }

  tail(n = 40): string {
    return this.lines.slice(-n).join('\n');
  }

  /** Writes one line to stdin (ProcOptions.stdin must be set). */
  writeLine(line: string): void {
    if (!this.child.stdin) throw new Error(`${this.name}: stdin is not a pipe`);
    this.child.stdin.write(line + '\n');
  }

  /** SIGTERM, then SIGKILL after graceMs; resolves when the process has exited. */
  async stop(graceMs = 3000): Promise<void> {
    if (!this.running) return;
    safeKill(this.pid, 'SIGTERM');
    const killer = setTimeout(() => safeKill(this.pid, 'SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(killer);
  }
}
