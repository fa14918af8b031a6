// Test helpers for test/native: a scratch network namespace the test process's main thread
// moves into (setns through the addon, so sockets made by the test and processes it spawns
// live there), kernel counters from /proc/net/netstat (per namespace), tcpdump captures,
// and bounded polling. Needs root. Each helper cleans up what it made; processes are
// ended by PID only.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadNative } from '../../src/native.js';

export function sh(cmd: string, ...args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A namespace made by the test; `enter()` moves the main thread into it. */
export class Netns {
  private origFd = -1;
  readonly name: string;
  constructor(suffix: string) {
    this.name = `wren-nat-${process.pid}-${suffix}`;
    sh('ip', 'netns', 'add', this.name);
    sh('ip', '-n', this.name, 'link', 'set', 'lo', 'up');
  }

  enter(): this {
    const native = loadNative();
    this.origFd = openSync('/proc/thread-self/ns/net', 'r');
    const fd = openSync(`/run/netns/${this.name}`, 'r');
    try {
      native.setNetns(fd);
    } finally {
      closeSync(fd);
    }
    return this;
  }

  /** Leaves (if entered) and deletes the namespace. */
  destroy(): void {
    if (this.origFd >= 0) {
      loadNative().setNetns(this.origFd);
      closeSync(this.origFd);
      this.origFd = -1;
    }
    spawnSync('ip', ['netns', 'del', this.name]);
  }
}

/**
 * TcpExt / IpExt / ... counters keyed "TcpExt.TCPMD5Failure", of the current namespace or
 * (with `ns`) of another one, read through `ip netns exec`.
 */
export function netstat(ns?: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const file of ['/proc/net/netstat', '/proc/net/snmp']) {
    const text = ns ? sh('ip', 'netns', 'exec', ns, 'cat', file) : readFileSync(file, 'utf8');
    const lines = text.trim().split('\n');
    for (let i = 0; i + 1 < lines.length; i += 2) {
      const names = lines[i]!.split(/\s+/);
      const values = lines[i + 1]!.split(/\s+/);
      const group = names[0]!.replace(/:$/, '');
      for (let j = 1; j < names.length; j++) out[`${group}.${names[j]}`] = Number(values[j]);
    }
  }
  return out;
}

export async function waitFor(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'wren-native-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** tcpdump on an interface of the current namespace, written to a pcap file. */
export class Capture {
  private proc: ChildProcess | undefined;
  constructor(private readonly file: string) {}

  async start(iface: string, filter: string): Promise<void> {
    const proc = spawn('tcpdump', ['-i', iface, '--immediate-mode', '-U', '-n', '-w', this.file, filter], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.proc = proc;
    let err = '';
    await new Promise<void>((resolve, reject) => {
      proc.stderr!.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('listening on')) resolve();
      });
      proc.once('exit', (code) => reject(new Error(`tcpdump exited ${code}: ${err}`)));
    });
  }

  private read(secret?: string): string {
    const args = ['-r', this.file, '-n', '-v'];
    if (secret) args.push('-M', secret);
    return spawnSync('tcpdump', args, { encoding: 'utf8' }).stdout ?? '';
  }

  /**
   * Waits (bounded) until the packets written so far satisfy `until`, stops tcpdump
   * (SIGINT by PID) and returns `tcpdump -r -v` text, MD5 digests checked with `secret`.
   */
  async stop(secret?: string, until: (pk: string[]) => boolean = () => true): Promise<string> {
    const end = Date.now() + 3000;
    while (!until(packets(this.read(secret))) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    const proc = this.proc;
    if (proc && proc.exitCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGINT');
      await exited;
    }
    this.proc = undefined;
    return this.read(secret);
  }

  kill(): void {
    if (this.proc && this.proc.exitCode === null) this.proc.kill('SIGKILL');
  }
}

/** Lines of `tcpdump -v` output joined per packet (the -v format spans two lines). */
export function packets(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    if (/^\s/.test(line) && out.length) out[out.length - 1] += ' ' + line.trim();
    else out.push(line);
  }
  return out;
}
