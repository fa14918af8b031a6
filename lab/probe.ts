// Real-packet reachability between workload namespaces, from inside the lab process: the
// main thread enters a workload's namespace (setns through Wren's native addon), makes a
// socket there (a socket keeps the namespace it was made in), and leaves again at once,
// with no await in between. Each workload gets a TCP listener that answers every
// connection with its own name; a probe is a TCP connect from one workload's namespace to
// another's address that must read back the expected name — so a packet went there and an
// answer came back, across the nodes' kernel routes. `watch` probes chosen pairs
// repeatedly during a fault and reports failed probes and the longest gap between
// successes per pair. Needs root and the built addon.
//
// Leaves out: UDP/ICMP, throughput.

import { closeSync, openSync } from 'node:fs';
import { createServer, Socket, type Server } from 'node:net';
import { loadNative, type WrenNative } from '../src/native.js';

export const PROBE_PORT = 8007;

export interface Endpoint {
  readonly name: string;
  readonly ns: string;
  readonly addrs: readonly string[];
}

export interface ProbeResult {
  readonly from: string;
  readonly to: string;
  readonly addr: string;
  readonly ok: boolean;
  readonly error?: string;
}

export interface WatchReport {
  readonly probes: number;
  readonly failures: number;
  /** Longest time without a successful probe, per pair "a→b addr" (ms), window edges included. */
  readonly maxGapMs: number;
  readonly worstPair: string;
  readonly failedPairs: readonly string[];
}

export class Prober {
  private readonly native: WrenNative = loadNative();
  private readonly home = openSync('/proc/thread-self/ns/net', 'r');
  private readonly servers = new Map<string, Server>();
  /** Accepted connections not yet closed (a peer whose route vanished never sends its FIN). */
  private readonly accepted = new Set<Socket>();
  private closed = false;

  /** Runs `fn` with the main thread inside `ns` (synchronously). */
  private inNs<T>(ns: string, fn: () => T): T {
    const fd = openSync(`/run/netns/${ns}`, 'r');
    try {
      this.native.setNetns(fd);
      try {
        return fn();
      } finally {
        this.native.setNetns(this.home);
      }
    } finally {
      closeSync(fd);
    }
  }

  /** Starts the answering listener in each endpoint's namespace (dual-stack socket). */
  async serve(eps: readonly Endpoint[]): Promise<void> {
    for (const ep of eps) {
      if (this.servers.has(ep.name)) continue;
      const fd = this.inNs(ep.ns, () => {
        const s = this.native.tcpSocket(6);
        try {
          this.native.bind(s, '::', PROBE_PORT);
        } catch (e) {
          this.native.close(s);
          throw e;
        }
        return s;
      });
      const server = createServer((sock) => {
        this.accepted.add(sock);
        sock.on('error', () => {});
        sock.on('close', () => this.accepted.delete(sock));
        sock.setTimeout(5000, () => sock.destroy());
        sock.end(`${ep.name}\n`);
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ fd }, () => resolve());
      });
      this.servers.set(ep.name, server);
    }
  }

  /** Stops the listener of one endpoint (its workload is going away). */
  unserve(name: string): void {
    this.servers.get(name)?.close();
    this.servers.delete(name);
  }

  /** One TCP connect from `from`'s namespace to `addr`; ok when `to`'s name comes back. */
  probe(from: Endpoint, to: Endpoint, addr: string, timeoutMs = 1000): Promise<ProbeResult> {
    const base = { from: from.name, to: to.name, addr };
    let fd: number;
    try {
      fd = this.inNs(from.ns, () => this.native.tcpSocket(addr.includes(':') ? 6 : 4));
    } catch (e) {
      return Promise.resolve({ ...base, ok: false, error: (e as Error).message });
    }
    return new Promise((resolve) => {
      let done = false;
      let sock: Socket | undefined;
      let wait: ReturnType<WrenNative['waitWritable']> | undefined;
      const finish = (ok: boolean, error?: string): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (sock) sock.destroy();
        else {
          if (wait) this.native.cancelWait(wait);
          this.native.close(fd);
        }
        resolve(ok ? { ...base, ok } : { ...base, ok, error: error ?? 'failed' });
      };
      const timer = setTimeout(() => finish(false, 'timeout'), timeoutMs);
      const connected = (): void => {
        wait = undefined;
        sock = new Socket({ fd, readable: true, writable: true });
        let got = '';
        sock.setEncoding('utf8');
        sock.on('data', (d: string) => {
          got += d;
          const nl = got.indexOf('\n');
          if (nl >= 0) {
            const name = got.slice(0, nl);
            finish(name === to.name, name === to.name ? undefined : `answered by ${name}`);
          }
        });
        sock.on('error', (e) => finish(false, e.message));
        sock.on('end', () => finish(false, `closed after "${got}"`));
      };
      try {
        if (this.native.connect(fd, addr, PROBE_PORT)) connected();
        else {
          wait = this.native.waitWritable(fd, (err) => {
            wait = undefined;
            if (done) return;
            if (err) finish(false, err.code ?? err.message);
            else connected();
          });
        }
      } catch (e) {
        finish(false, (e as { code?: string }).code ?? (e as Error).message);
      }
    });
  }

  /** Runs many probes with bounded concurrency. */
  async probeAll(pairs: ReadonlyArray<readonly [Endpoint, Endpoint, string]>, concurrency = 64, timeoutMs = 2000): Promise<ProbeResult[]> {
    const out: ProbeResult[] = new Array(pairs.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < pairs.length) {
        const i = next++;
        const [a, b, addr] = pairs[i]!;
        out[i] = await this.probe(a, b, addr, timeoutMs);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, pairs.length) }, worker));
    return out;
  }

  /**
   * Probes each pair every `intervalMs` until `stop` resolves; reports failures and the
   * longest gap between successful probes of a pair.
   */
  async watch(pairs: ReadonlyArray<readonly [Endpoint, Endpoint, string]>, stop: Promise<unknown>, intervalMs = 100): Promise<WatchReport> {
    let stopped = false;
    void stop.finally(() => (stopped = true));
    const start = Date.now();
    let probes = 0;
    let failures = 0;
    let maxGap = 0;
    let worst = '';
    const failed = new Set<string>();
    await Promise.all(
      pairs.map(async ([a, b, addr]) => {
        const key = `${a.name}→${b.name} ${addr}`;
        let lastOk = start;
        while (!stopped) {
          const t0 = Date.now();
          const r = await this.probe(a, b, addr, Math.max(intervalMs * 3, 300));
          probes++;
          const now = Date.now();
          if (r.ok) {
            if (now - lastOk > maxGap) [maxGap, worst] = [now - lastOk, key];
            lastOk = now;
          } else {
            failures++;
            failed.add(key);
          }
          const rest = intervalMs - (now - t0);
          if (rest > 0) await new Promise((res) => setTimeout(res, rest));
        }
        const end = Date.now();
        if (end - lastOk > maxGap) [maxGap, worst] = [end - lastOk, key];
      }),
    );
    return { probes, failures, maxGapMs: maxGap, worstPair: worst, failedPairs: [...failed] };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.servers.values()) s.close();
    this.servers.clear();
    for (const s of this.accepted) s.destroy();
    this.accepted.clear();
    closeSync(this.home);
  }
}
