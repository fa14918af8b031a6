// The whole Wren daemon as a conformance-test peer: `node --import tsx scripts/wrend-dev.mjs
// -f -c <cfg> -s <sock>` started inside a lab namespace (stopped by PID at lab cleanup, like
// every lab process), and read through its control socket with the project's own client
// (src/cli/client.ts): `show protocols` rows, `show route all` parsed from BIRD 1.6's reply
// format (format.ts: route line 1007, `Type:` 1008, attribute lines 1012 and their
// continuations). Also a star topology (one bridge, N nodes on one subnet), which the
// interop tests need and netns.ts leaves out. Leaves out: `show protocols all` details,
// multipath next-hop lines (parsed as the route's `via` list only).

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileSync } from 'node:fs';
import type { Lab } from './netns.js';
import type { Proc } from './process.js';
import { until, FatalError } from './poll.js';
import { ControlClient, decodeReply } from '../../src/cli/client.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * One command on a control socket, in a connection of its own: the raw reply lines
 * (`1007-…`, continuation lines, the final `0000 `). `who` names the daemon in errors.
 */
export async function controlCommand(socket: string, command: string, who = socket): Promise<string[]> {
  const c = await ControlClient.connect(socket);
  try {
    const greeting = await c.greeting();
    if (greeting === null) throw new Error(`${who}: control socket closed before the greeting`);
    const reply = await c.command(command);
    if (reply === null) throw new Error(`${who}: control socket closed during "${command}"`);
    return reply;
  } finally {
    c.close();
  }
}

/** One row of `show protocols`. */
export interface WrenProtocolRow {
  readonly name: string;
  readonly proto: string;
  readonly table: string;
  readonly state: string;
  readonly since: string;
  readonly info: string;
}

/** One route of `show route all` (BIRD 1.6 format). */
export interface WrenRoute {
  readonly prefix: string;
  /** via, dev, blackhole, unreachable, prohibited, multipath. */
  readonly kind: string;
  /** The gateway of a `via` route (and of each multipath next hop). */
  readonly via: readonly string[];
  readonly iface?: string;
  readonly protocol: string;
  /** `from <ip>` (the BGP neighbour a route came from). */
  readonly from?: string;
  readonly primary: boolean;
  /** The `Type:` line. */
  readonly type?: string;
  /** `BGP.as_path` → `65001`, … (empty string for an empty value). */
  readonly attrs: Readonly<Record<string, string>>;
}

const ROUTE_LINE =
  /^(\S+)?\s+(?:via (\S+) on (\S+)|dev (\S+)|(blackhole|unreachable|prohibited|multipath))\s+\[(\S+) [^\]]*?(?: from (\S+))?\](?: ([*!]))?/;

/** Parses the text lines (codes already stripped) of `show route all`. */
export function parseWrenRoutes(lines: readonly string[]): WrenRoute[] {
  const out: { -readonly [K in keyof WrenRoute]: WrenRoute[K] }[] = [];
  let prefix = '';
  for (const line of lines) {
    if (line.startsWith('\t')) {
      const cur = out[out.length - 1];
      if (!cur) continue;
      const body = line.slice(1);
      const mp = /^via (\S+) on \S+ weight/.exec(body);
      if (mp) {
        cur.via = [...cur.via, mp[1]!];
        continue;
      }
      const colon = body.indexOf(':');
      if (colon < 0) continue;
      const key = body.slice(0, colon);
      const value = body.slice(colon + 1).trim();
      if (key === 'Type') cur.type = value;
      else cur.attrs = { ...cur.attrs, [key]: value };
      continue;
    }
    const m = ROUTE_LINE.exec(line);
    if (!m) continue;
    if (m[1]) prefix = m[1];
    out.push({
      prefix,
      kind: m[2] !== undefined ? 'via' : m[4] !== undefined ? 'dev' : m[5]!,
      via: m[2] !== undefined ? [m[2]] : [],
      iface: m[3] ?? m[4],
      protocol: m[6]!,
      from: m[7],
      primary: m[8] === '*',
      attrs: {},
    });
  }
  return out;
}

/** Options of Wrend.start. */
export interface WrendStartOptions {
  /** Program name (argv[0]) the daemon runs under, e.g. `bird6` for the IPv6 daemon. */
  readonly argv0?: string;
}

export class Wrend {
  private constructor(
    readonly lab: Lab,
    readonly ns: string,
    readonly name: string,
    readonly proc: Proc,
    readonly configPath: string,
    readonly socket: string,
  ) {}

  /**
   * Starts the daemon in the foreground (`-f`) with `config` (BIRD 1.6 dialect) and waits
   * until its control socket answers `show status`. `opts.argv0` runs it under that
   * program name (`bird6`: the IPv6 daemon, as calico-node starts it) through bash's
   * `exec -a`, which keeps the PID the lab holds the daemon's own.
   */
  static async start(lab: Lab, ns: string, name: string, config: string, opts: WrendStartOptions = {}): Promise<Wrend> {
    const configPath = lab.file(`${name}.conf`, config);
    const socket = lab.path(`${name}.ctl`);
    const daemon = [process.execPath, '--import', 'tsx', join(REPO, 'scripts/wrend-dev.mjs'), '-f', '-c', configPath, '-s', socket];
    const argv = opts.argv0 === undefined ? daemon : ['bash', '-c', 'exec -a "$0" "$@"', opts.argv0, ...daemon];
    const proc = lab.spawn(ns, argv, {
      name,
      cwd: REPO,
    });
    const w = new Wrend(lab, ns, name, proc, configPath, socket);
    await until(
      async () => {
        if (!proc.running) throw new FatalError(`${name} exited: ${proc.tail()}`);
        return (await w.text('show status')).some((l) => /Daemon is up and running/.test(l));
      },
      { what: `${name} control socket`, timeoutMs: 30_000, context: () => proc.tail() },
    );
    return w;
  }

  /** One command; the raw reply lines (`1007-…`, continuation lines, the final `0000 `). */
  cmd(command: string): Promise<string[]> {
    return controlCommand(this.socket, command, this.name);
  }

  /** One command; the reply's texts (codes stripped, continuation lines kept as text). */
  async text(command: string): Promise<string[]> {
    return decodeReply(await this.cmd(command))
      .filter((l) => !(l.final && l.code === 0 && l.text === ''))
      .map((l) => l.text);
  }

  /** `show protocols`, rows by name. */
  async protocols(): Promise<Map<string, WrenProtocolRow>> {
    const out = new Map<string, WrenProtocolRow>();
    for (const l of decodeReply(await this.cmd('show protocols'))) {
      if (l.code !== 1002) continue;
      const m = /^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*(.*)$/.exec(l.text);
      if (!m) continue;
      out.set(m[1]!, { name: m[1]!, proto: m[2]!, table: m[3]!, state: m[4]!, since: m[5]!, info: m[6]!.trim() });
    }
    return out;
  }

  /** Waits until every named BGP protocol is up and Established. */
  async waitEstablished(names: readonly string[], timeoutMs = 30_000): Promise<void> {
    await until(
      async () => {
        const rows = await this.protocols();
        return names.every((n) => rows.get(n)?.state === 'up' && /^Established/.test(rows.get(n)!.info));
      },
      { what: `${this.name}: ${names.join(', ')} Established`, timeoutMs, context: async () => `${JSON.stringify([...(await this.protocols()).values()])}\n${this.proc.tail()}` },
    );
  }

  /**
   * `show route all [args]` parsed; [] when the network is not in the table (`8001 Network
   * not in table`).
   */
  async routes(args = ''): Promise<WrenRoute[]> {
    const reply = decodeReply(await this.cmd(`show route ${args} all`.replace(/\s+/g, ' ')));
    const err = reply.find((l) => l.code >= 8000);
    if (err) {
      if (/Network not in table/.test(err.text)) return [];
      throw new Error(`${this.name}: show route ${args} all: ${err.code} ${err.text}`);
    }
    return parseWrenRoutes(reply.filter((l) => l.code >= 1000 && l.code < 2000).map((l) => l.text));
  }

  /** Rewrites the configuration file and asks for a reload (SIGHUP, as calico-node's confd). */
  reload(config: string): void {
    writeFileSync(this.configPath, config);
    process.kill(this.proc.pid, 'SIGHUP');
  }

  log(n = 60): string {
    return this.proc.tail(n);
  }
}

/**
 * A star: one "switch" namespace holding a bridge, and `count` node namespaces, each with
 * one veth into the bridge and the address `${subnet}.${i + 1}/24` (`subnet` like
 * '198.18.20'). Every node reaches every other directly, as Calico nodes on one L2 segment.
 */
export async function star(lab: Lab, subnet: string, count: number): Promise<{ nodes: string[]; addrs: string[] }> {
  const sw = await lab.ns();
  await lab.exec(sw, ['ip', 'link', 'add', 'br0', 'type', 'bridge']);
  await lab.exec(sw, ['ip', 'link', 'set', 'br0', 'up']);
  const nodes: string[] = [];
  const addrs: string[] = [];
  for (let i = 0; i < count; i++) {
    const ns = await lab.ns();
    const addr = `${subnet}.${i + 1}`;
    const { bIf } = await lab.link({ a: ns, b: sw, aIf: 'eth0', aAddrs: [`${addr}/24`], bAddrs: [] });
    await lab.exec(sw, ['ip', 'link', 'set', bIf, 'master', 'br0']);
    nodes.push(ns);
    addrs.push(addr);
  }
  return { nodes, addrs };
}
