// Test-side driver of a Wren child process (test/conformance/wren-peer.ts) running one BGP
// session inside a lab namespace. It keeps what the child reports: the state, the
// negotiated capabilities, an Adj-RIB-In built from the received UPDATEs (cleared when the
// session goes down), End-of-RIB markers, keepalive and UPDATE counts, NOTIFICATIONs; and it
// sends commands (announce, withdraw, refresh, stop, raw bytes) and awaits their replies.
// Leaves out: best-path selection (one session, one path per prefix and path id).

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Lab } from './netns.js';
import type { Proc } from './process.js';
import { until, FatalError } from './poll.js';
import type { RouteJson } from './wire-json.js';
import { EVENT_PREFIX, type CommandBody, type Family, type RouteSpec, type WrenPeerConfig } from './wren-protocol.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CHILD = join(REPO, 'test', 'conformance', 'wren-peer.ts');

export interface WrenEvent {
  readonly ev: string;
  readonly [k: string]: any;
}

export class WrenPeer {
  readonly events: WrenEvent[] = [];
  state = 'Idle';
  /** The last 'established' event's negotiated object (JSON form), null before. */
  negotiated: any = null;
  establishedCount = 0;
  /** Routes received with our own AS in the AS_PATH (not put in `rib`). */
  looped = 0;
  updates = 0;
  readonly rib = new Map<string, RouteJson>();
  readonly endOfRib = new Set<Family>();
  readonly notificationsReceived: any[] = [];
  readonly notificationsSent: any[] = [];
  readonly routeRefreshes: any[] = [];
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: any) => void; reject: (e: Error) => void }>();

  private constructor(
    readonly name: string,
    readonly proc: Proc,
    readonly localAs: number,
  ) {
    proc.on('line', (line: string, stream: string) => {
      if (stream === 'stdout' && line.startsWith(EVENT_PREFIX)) this.onEvent(JSON.parse(line.slice(EVENT_PREFIX.length)));
    });
    proc.on('exit', (code: number | null, signal: string | null) => {
      for (const p of this.pending.values()) p.reject(new Error(`${name} exited (${code ?? signal}) before replying\n${proc.tail()}`));
      this.pending.clear();
    });
  }

  /** Starts the child in `ns` and waits until it reports 'ready' (session started). */
  static async start(lab: Lab, ns: string, config: WrenPeerConfig): Promise<WrenPeer> {
    const name = `wren-${config.session.name}`;
    const proc = lab.spawn(ns, [process.execPath, '--import', 'tsx', CHILD, JSON.stringify(config)], {
      name,
      cwd: REPO,
      stdin: true,
    });
    const w = new WrenPeer(name, proc, config.session.localAs);
    await until(
      () => {
        const fatal = w.events.find((e) => e.ev === 'fatal');
        if (fatal) throw new FatalError(`${name} failed to start: ${fatal.error}`);
        if (!proc.running) throw new FatalError(`${name} exited: ${proc.tail()}`);
        return w.events.some((e) => e.ev === 'ready');
      },
      { what: `${name} ready`, timeoutMs: 20_000, context: () => proc.tail() },
    );
    return w;
  }

  private onEvent(e: WrenEvent): void {
    this.events.push(e);
    switch (e.ev) {
      case 'state':
        this.state = String(e.to);
        if (e.to !== 'Established' && e.from === 'Established') {
          this.rib.clear();
          this.endOfRib.clear();
        }
        break;
      case 'established':
        this.state = 'Established';
        this.negotiated = e.negotiated;
        this.establishedCount++;
        break;
      case 'down':
        this.rib.clear();
        this.endOfRib.clear();
        break;
      case 'update':
        this.updates++;
        for (const w of e.withdrawn as { family: string; prefix: string; pathId: number }[]) {
          this.rib.delete(`${w.family} ${w.prefix} ${w.pathId}`);
        }
        for (const r of e.announced as RouteJson[]) {
          const key = `${r.family} ${r.prefix} ${r.pathId}`;
          // RFC 7606 treat-as-withdraw: the NLRI are withdrawn, not installed. RFC 4271
          // §9.1.2: a route whose AS_PATH holds our own AS is a loop (FRR and GoBGP echo
          // our routes back; a receiver drops them): kept apart, not in the RIB.
          if (e.action === 2) this.rib.delete(key);
          else if (r.asPath?.flat().includes(this.localAs)) {
            this.rib.delete(key);
            this.looped++;
          } else this.rib.set(key, r);
        }
        break;
      case 'endOfRib':
        this.endOfRib.add(e.family as Family);
        break;
      case 'routeRefresh':
        this.routeRefreshes.push(e.message);
        break;
      case 'notificationReceived':
        this.notificationsReceived.push(e.notification);
        break;
      case 'notificationSent':
        this.notificationsSent.push(e.notification);
        break;
      case 'reply': {
        const p = this.pending.get(e.id as number);
        if (!p) break;
        this.pending.delete(e.id as number);
        if (e.ok) p.resolve(e.result);
        else p.reject(new Error(`${this.name}: command ${e.id} failed: ${e.error}`));
        break;
      }
    }
  }

  /** Sends one command and resolves with the child's result. */
  command(body: CommandBody): Promise<any> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (!this.proc.running) {
        reject(new Error(`${this.name} is not running\n${this.proc.tail()}`));
        return;
      }
      this.pending.set(id, { resolve, reject });
      this.proc.writeLine(JSON.stringify({ ...body, id }));
    });
  }

  announce(route: RouteSpec): Promise<any> {
    return this.command({ cmd: 'announce', route });
  }
  withdraw(route: RouteSpec): Promise<any> {
    return this.command({ cmd: 'withdraw', route });
  }
  sendEndOfRib(family: Family): Promise<any> {
    return this.command({ cmd: 'endOfRib', family });
  }
  refresh(family: Family): Promise<any> {
    return this.command({ cmd: 'refresh', family });
  }
  raw(hex: string): Promise<any> {
    return this.command({ cmd: 'raw', hex });
  }
  stop(subcode?: number, text?: string): Promise<any> {
    return this.command({ cmd: 'stop', ...(subcode !== undefined ? { subcode } : {}), ...(text !== undefined ? { text } : {}) });
  }
  /** { state, stats: SessionStats } from the child. */
  stats(): Promise<any> {
    return this.command({ cmd: 'stats' });
  }
  /** KEEPALIVEs received so far (SessionStats.keepalivesIn). */
  async keepalivesIn(): Promise<number> {
    return Number((await this.stats()).stats.keepalivesIn);
  }

  /** Received routes (optionally of one family), sorted by prefix then path id. */
  routes(family?: Family): RouteJson[] {
    return [...this.rib.values()]
      .filter((r) => !family || r.family === family)
      .sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : a.pathId - b.pathId));
  }

  route(prefix: string, pathId?: number): RouteJson | undefined {
    return this.routes().find((r) => r.prefix === prefix && (pathId === undefined || r.pathId === pathId));
  }

  async waitEstablished(timeoutMs = 20_000): Promise<void> {
    await until(() => this.state === 'Established', { what: `${this.name} Established`, timeoutMs, context: () => this.log() });
  }

  /** The child's last output lines and the last events, for failure messages. */
  log(): string {
    const evs = this.events
      .slice(-15)
      .map((e) => JSON.stringify(e).slice(0, 400))
      .join('\n');
    return `${this.proc.tail(30)}\n--- last events ---\n${evs}`;
  }
}
