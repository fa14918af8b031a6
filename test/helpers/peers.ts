// Drivers for the four reference BGP speakers used by the conformance tests, each started
// inside a lab namespace (see netns.ts) and stopped by PID at lab cleanup:
//   BIRD 2   `bird -f -c cfg -s sock -P pid`; state through `birdc -s sock`, parsed from text;
//   FRR      `bgpd -Z -S -f cfg -i pid --vty_socket dir -l addr… -P 0` (no zebra, no vty TCP
//            port, private vty socket dir); state through `vtysh --vty_socket dir … json`;
//   GoBGP    `gobgpd -f cfg.toml --api-hosts 127.0.0.1:50051` (the namespace has its own lo);
//            state through `gobgp … -j` run in the same namespace;
//   ExaBGP   `exabgp cfg` in the foreground with an API process (exabgp-api.py) that turns a
//            command file into API commands and records ExaBGP's JSON events in a file.
// A missing binary makes start() throw with the package to install (tests fail, never skip).
// Leaves out: configuration generation (tests write the daemon's own syntax, which keeps
// each test readable against the daemon's documentation).

import { existsSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Lab } from './netns.js';
import { requireBinary, requireOnPath, type Proc } from './process.js';
import { until, FatalError } from './poll.js';

const HERE = dirname(fileURLToPath(import.meta.url));

// ---- BIRD 2 ------------------------------------------------------------------------------

/** `show protocols all <name>` turned into data. */
export interface BirdProtocol {
  readonly name: string;
  readonly proto: string;
  readonly table: string;
  /** up, start, down, … (the State column). */
  readonly state: string;
  /** The Info column's first part, the BGP state: "Established", "Active", "Passive", … */
  readonly info: string;
  /** The Info column's second part, the last error: "Received: Administrative shutdown", "" if none. */
  readonly lastError: string;
  /**
   * The indented detail lines as a tree: "Key: value" leaves become strings, keys without a
   * value and without children become `true`, keys with children become objects (their own
   * value, if any, under "_").
   */
  readonly details: Record<string, unknown>;
}

/** One route from `show route all`. */
export interface BirdRoute {
  readonly table: string;
  readonly prefix: string;
  /** unicast, blackhole, unreachable, … */
  readonly kind: string;
  readonly protocol: string;
  /** Marked `*` (best). */
  readonly primary: boolean;
  /** `via X on dev` lines, as "X". */
  readonly via: readonly string[];
  /** Attribute lines (`BGP.as_path: 65001 65002`, `Type: BGP univ`) by name. */
  readonly attrs: Readonly<Record<string, string>>;
}

interface TreeNode {
  key: string;
  value: string | undefined;
  children: TreeNode[];
}

function treeToObject(nodes: readonly TreeNode[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const n of nodes) {
    let v: unknown;
    if (n.children.length === 0) v = n.value ?? true;
    else {
      const o = treeToObject(n.children);
      if (n.value !== undefined) o._ = n.value;
      v = o;
    }
    if (!(n.key in out)) out[n.key] = v;
  }
  return out;
}

/** Parses indented "Key: value" lines (BIRD's `show protocols all` details) into a tree. */
export function parseIndentedTree(lines: readonly string[]): Record<string, unknown> {
  const root: TreeNode = { key: '', value: undefined, children: [] };
  const stack: { indent: number; node: TreeNode }[] = [{ indent: -1, node: root }];
  for (const raw of lines) {
    const line = raw.replace(/\t/g, '        ');
    if (!line.trim()) continue;
    const indent = line.length - line.trimStart().length;
    const text = line.trim();
    const colon = text.indexOf(':');
    let key: string;
    let value: string | undefined;
    // "Key: value" (value may itself hold colons: times, addresses) or "Key:" or "Key".
    if (colon > 0 && (colon === text.length - 1 || text[colon + 1] === ' ')) {
      key = text.slice(0, colon).trim();
      value = text.slice(colon + 1).trim() || undefined;
    } else {
      key = text;
      value = undefined;
    }
    while (stack.length > 1 && stack[stack.length - 1]!.indent >= indent) stack.pop();
    const node: TreeNode = { key, value, children: [] };
    stack[stack.length - 1]!.node.children.push(node);
    stack.push({ indent, node });
  }
  return treeToObject(root.children);
}

export function parseBirdProtocol(text: string): BirdProtocol {
  const lines = text.split('\n').filter((l) => !/^BIRD .* ready\.$/.test(l) && !/^\d{4}[- ]/.test(l));
  const headerAt = lines.findIndex((l) => /^Name\s+Proto\s+Table\s+State\s+Since\s+Info/.test(l));
  if (headerAt < 0 || headerAt + 1 >= lines.length) throw new Error(`unexpected birdc output:\n${text}`);
  const row = lines[headerAt + 1]!;
  const m = /^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*(.*)$/.exec(row);
  if (!m) throw new Error(`unexpected protocol row: ${row}`);
  const details = parseIndentedTree(lines.slice(headerAt + 2));
  const [info = '', ...rest] = m[6]!.trim().split(/\s{2,}/);
  return { name: m[1]!, proto: m[2]!, table: m[3]!, state: m[4]!, info, lastError: rest.join('  '), details };
}

export function parseBirdRoutes(text: string): BirdRoute[] {
  const out: BirdRoute[] = [];
  let table = '';
  let prefix = '';
  let cur: { table: string; prefix: string; kind: string; protocol: string; primary: boolean; via: string[]; attrs: Record<string, string> } | null = null;
  const routeHead = /^(\S+)?\s+(unicast|blackhole|unreachable|prohibited|multicast)\s+\[(\S+)[^\]]*\]\s*(\*)?/;
  for (const line of text.split('\n')) {
    if (/^BIRD .* ready\.$/.test(line) || !line.trim()) continue;
    const t = /^Table (\S+):$/.exec(line);
    if (t) {
      table = t[1]!;
      continue;
    }
    const h = routeHead.exec(line);
    if (h && !line.startsWith('\t')) {
      if (h[1]) prefix = h[1];
      cur = { table, prefix, kind: h[2]!, protocol: h[3]!, primary: h[4] === '*', via: [], attrs: {} };
      out.push(cur);
      continue;
    }
    if (!cur) continue;
    const body = line.trim();
    const via = /^via (\S+)/.exec(body);
    if (via) {
      cur.via.push(via[1]!);
      continue;
    }
    const colon = body.indexOf(': ');
    if (colon > 0) cur.attrs[body.slice(0, colon)] = body.slice(colon + 2).trim();
    else if (body.endsWith(':')) cur.attrs[body.slice(0, -1)] = '';
  }
  return out;
}

export class Bird {
  private constructor(
    readonly lab: Lab,
    readonly ns: string,
    readonly proc: Proc,
    readonly socket: string,
    readonly configPath: string,
  ) {}

  /** Starts BIRD with `config` (a `log stderr all;` line is added when the config has no log line). */
  static async start(lab: Lab, ns: string, config: string, name = 'bird'): Promise<Bird> {
    const bird = requireOnPath('bird', 'bird2');
    requireOnPath('birdc', 'bird2');
    const cfg = /^\s*log\s/m.test(config) ? config : `log stderr all;\n${config}`;
    const configPath = lab.file(`${name}.conf`, cfg);
    const socket = lab.path(`${name}.ctl`);
    const proc = lab.spawn(ns, [bird, '-f', '-c', configPath, '-s', socket, '-P', lab.path(`${name}.pid`)], { name });
    const b = new Bird(lab, ns, proc, socket, configPath);
    await until(
      async () => {
        if (!proc.running) throw new FatalError(`bird exited: ${proc.tail()}`);
        return (await b.birdc('show status')).includes('Daemon is up and running');
      },
      { what: `${name} control socket`, timeoutMs: 10_000, context: () => proc.tail() },
    );
    return b;
  }

  async birdc(command: string): Promise<string> {
    const r = await this.lab.exec(this.ns, ['birdc', '-s', this.socket, ...splitWords(command)], { allowFail: true, timeoutMs: 10_000 });
    if (r.code !== 0) throw new Error(`birdc ${command} failed (${r.code}): ${r.stdout}${r.stderr}`);
    return r.stdout;
  }

  async protocol(name: string): Promise<BirdProtocol> {
    return parseBirdProtocol(await this.birdc(`show protocols all ${name}`));
  }

  /** `show route all [args]` parsed, e.g. routes('protocol p4') or routes('table master6'). */
  async routes(args = ''): Promise<BirdRoute[]> {
    return parseBirdRoutes(await this.birdc(`show route all ${args}`.trim()));
  }

  /** Rewrites the configuration file and runs `configure`. */
  async reconfigure(config: string): Promise<string> {
    const cfg = /^\s*log\s/m.test(config) ? config : `log stderr all;\n${config}`;
    writeFileSync(this.configPath, cfg);
    return this.birdc('configure');
  }

  log(): string {
    return this.proc.tail(80);
  }
}

/** Splits a birdc/vtysh command into words, keeping "quoted strings" whole (with the quotes). */
function splitWords(cmd: string): string[] {
  return cmd.match(/"[^"]*"|\S+/g) ?? [];
}

// ---- FRR bgpd ----------------------------------------------------------------------------

export class Frr {
  private constructor(
    readonly lab: Lab,
    readonly ns: string,
    readonly proc: Proc,
    readonly vtyDir: string,
  ) {}

  /**
   * Starts bgpd without zebra. `listen` are the addresses it accepts connections on (it
   * listens on none else); `config` is bgpd configuration (a header with `frr defaults
   * traditional` and `log stdout` is added when missing).
   */
  static async start(lab: Lab, ns: string, config: string, listen: readonly string[], name = 'frr'): Promise<Frr> {
    const bgpd = requireBinary('/usr/lib/frr/bgpd', 'frr');
    requireOnPath('vtysh', 'frr');
    let cfg = config;
    if (!/^frr defaults/m.test(cfg)) cfg = `frr defaults traditional\n${cfg}`;
    if (!/^log /m.test(cfg)) cfg = `log stdout informational\n${cfg}`;
    if (!/^hostname /m.test(cfg)) cfg = `hostname ${name}\n${cfg}`;
    const configPath = lab.file(`${name}.conf`, cfg);
    const vtyDir = lab.path(`${name}-vty`);
    await lab.exec(ns, ['mkdir', '-p', vtyDir]);
    const argv = [bgpd, '-Z', '-S', '-f', configPath, '-i', lab.path(`${name}.pid`), '--vty_socket', vtyDir, '-P', '0'];
    for (const a of listen) argv.push('-l', a);
    const proc = lab.spawn(ns, argv, { name });
    const f = new Frr(lab, ns, proc, vtyDir);
    await until(
      async () => {
        if (!proc.running) throw new FatalError(`bgpd exited: ${proc.tail()}`);
        return existsSync(join(vtyDir, 'bgpd.vty')) && (await f.vtysh('show bgp summary json')).includes('{');
      },
      { what: `${name} vty socket`, timeoutMs: 10_000, context: () => proc.tail() },
    );
    return f;
  }

  /** Runs vtysh with each argument as a `-c` command; returns stdout. */
  async vtysh(...commands: string[]): Promise<string> {
    const argv = ['vtysh', '--vty_socket', this.vtyDir];
    for (const c of commands) argv.push('-c', c);
    const r = await this.lab.exec(this.ns, argv, { allowFail: true, timeoutMs: 10_000 });
    if (r.code !== 0) throw new Error(`vtysh ${commands.join(' / ')} failed (${r.code}): ${r.stdout}${r.stderr}`);
    return r.stdout;
  }

  async json<T = any>(command: string): Promise<T> {
    const out = await this.vtysh(command);
    try {
      return JSON.parse(out) as T;
    } catch {
      throw new Error(`vtysh ${command}: not JSON: ${out.slice(0, 500)}`);
    }
  }

  /** One entry of `show bgp neighbors <addr> json`. */
  async neighbor(address: string): Promise<any> {
    const all = await this.json<Record<string, any>>(`show bgp neighbors ${address} json`);
    return all[address];
  }

  /** `show bgp <afi> unicast json` routes: prefix → paths. */
  async rib(afi: 'ipv4' | 'ipv6'): Promise<Record<string, any[]>> {
    const j = await this.json<{ routes?: Record<string, any[]> }>(`show bgp ${afi} unicast json`);
    return j.routes ?? {};
  }

  /** `show bgp <afi> unicast <prefix> json`: the detailed paths (aspath, community, …), [] if none. */
  async route(afi: 'ipv4' | 'ipv6', prefix: string): Promise<any[]> {
    const j = await this.json<{ paths?: any[] }>(`show bgp ${afi} unicast ${prefix} json`);
    return j.paths ?? [];
  }

  /** Runs configuration commands under `configure terminal`. */
  async configure(...lines: string[]): Promise<string> {
    return this.vtysh('configure terminal', ...lines);
  }

  log(): string {
    return this.proc.tail(80);
  }
}

// ---- GoBGP ---------------------------------------------------------------------------------

export class Gobgp {
  private constructor(
    readonly lab: Lab,
    readonly ns: string,
    readonly proc: Proc,
    readonly apiPort: number,
  ) {}

  /** Starts gobgpd with a TOML configuration; the gRPC API listens on the namespace's own lo. */
  static async start(lab: Lab, ns: string, toml: string, name = 'gobgp', apiPort = 50051): Promise<Gobgp> {
    const gobgpd = requireOnPath('gobgpd', 'gobgpd');
    requireOnPath('gobgp', 'gobgpd');
    const configPath = lab.file(`${name}.toml`, toml);
    const proc = lab.spawn(
      ns,
      [gobgpd, '-f', configPath, '-p', '--api-hosts', `127.0.0.1:${apiPort}`, '--pprof-disable'],
      { name },
    );
    const g = new Gobgp(lab, ns, proc, apiPort);
    await until(
      async () => {
        if (!proc.running) throw new FatalError(`gobgpd exited: ${proc.tail()}`);
        return (await g.cli(['global'])).includes('AS:');
      },
      { what: `${name} gRPC API`, timeoutMs: 10_000, context: () => proc.tail() },
    );
    return g;
  }

  async cli(args: readonly string[]): Promise<string> {
    const r = await this.lab.exec(this.ns, ['gobgp', '-u', '127.0.0.1', '-p', String(this.apiPort), ...args], {
      allowFail: true,
      timeoutMs: 10_000,
    });
    if (r.code !== 0) throw new Error(`gobgp ${args.join(' ')} failed (${r.code}): ${r.stdout}${r.stderr}`);
    return r.stdout;
  }

  async json<T = any>(args: readonly string[]): Promise<T> {
    const out = await this.cli([...args, '-j']);
    try {
      return JSON.parse(out) as T;
    } catch {
      throw new Error(`gobgp ${args.join(' ')}: not JSON: ${out.slice(0, 500)}`);
    }
  }

  /** `gobgp neighbor -j` entry for one address (undefined if unknown). */
  async neighbor(address: string): Promise<any> {
    const all = await this.json<any[]>(['neighbor']);
    return all.find((n) => n?.conf?.neighbor_address === address || n?.state?.neighbor_address === address);
  }

  /** GoBGP's session_state 6 is ESTABLISHED. */
  async established(address: string): Promise<boolean> {
    const n = await this.neighbor(address);
    return n?.state?.session_state === 6;
  }

  /**
   * The "Neighbor capabilities" section of `gobgp neighbor <addr>` as name → status text
   * ("advertised and received", "advertised", "received").
   */
  async capabilities(address: string): Promise<Record<string, string>> {
    const text = await this.cli(['neighbor', address]);
    const out: Record<string, string> = {};
    let inCaps = false;
    for (const line of text.split('\n')) {
      if (/^\s*Neighbor capabilities:/.test(line)) {
        inCaps = true;
        continue;
      }
      if (!inCaps) continue;
      if (/^\s{0,2}\S/.test(line)) break; // back to a top-level section
      const m = /^ {4}(\S[^:]*):\s*(.*)$/.exec(line);
      if (m) out[m[1]!.trim()] = m[2]!.trim();
    }
    return out;
  }

  /** Global RIB for a family: prefix → paths. */
  async rib(afi: 'ipv4' | 'ipv6'): Promise<Record<string, any[]>> {
    return (await this.json<Record<string, any[]> | null>(['global', 'rib', '-a', afi])) ?? {};
  }

  /** Adj-RIB-In of one neighbor: prefix → paths. */
  async adjIn(address: string, afi: 'ipv4' | 'ipv6'): Promise<Record<string, any[]>> {
    return (await this.json<Record<string, any[]> | null>(['neighbor', address, 'adj-in', '-a', afi])) ?? {};
  }

  log(): string {
    return this.proc.tail(80);
  }
}

// ---- ExaBGP --------------------------------------------------------------------------------

/**
 * The name of the API process the driver declares; a neighbor uses it with e.g.
 *   api { processes [ wrenapi ]; receive { parsed; update; notification; refresh; } neighbor-changes; }
 */
export const EXABGP_API = 'wrenapi';

export class Exabgp {
  private constructor(
    readonly lab: Lab,
    readonly ns: string,
    readonly proc: Proc,
    readonly commandFile: string,
    readonly eventFile: string,
  ) {}

  /**
   * Starts ExaBGP in the foreground with `config` (neighbor blocks); the driver prepends the
   * `process wrenapi` block (JSON encoder).
   */
  static async start(lab: Lab, ns: string, config: string, name = 'exabgp'): Promise<Exabgp> {
    const exabgp = requireOnPath('exabgp', 'exabgp');
    const python = requireOnPath('python3', 'python3');
    const commandFile = lab.file(`${name}.cmd`, '');
    const eventFile = lab.file(`${name}.events`, '');
    const api = join(HERE, 'exabgp-api.py');
    const cfg = `process ${EXABGP_API} {\n  run ${python} ${api} ${commandFile} ${eventFile};\n  encoder json;\n}\n\n${config}`;
    const configPath = lab.file(`${name}.conf`, cfg);
    const proc = lab.spawn(ns, [exabgp, configPath], {
      name,
      env: {
        'exabgp.daemon.daemonize': 'false',
        'exabgp.daemon.user': 'root',
        'exabgp.daemon.drop': 'false',
        'exabgp.log.destination': 'stdout',
        'exabgp.log.level': 'INFO',
        'exabgp.api.cli': 'false',
        'exabgp.api.ack': 'false',
        'exabgp.tcp.delay': '0',
      },
    });
    const x = new Exabgp(lab, ns, proc, commandFile, eventFile);
    await until(
      () => {
        if (!proc.running) throw new FatalError(`exabgp exited: ${proc.tail()}`);
        return proc.output().some((l) => /loaded new configuration successfully/.test(l));
      },
      { what: `${name} start-up`, timeoutMs: 15_000, context: () => proc.tail() },
    );
    return x;
  }

  /** Sends one API command ("announce route 10.0.0.0/24 next-hop self", "neighbor X teardown 2"). */
  send(command: string): void {
    appendFileSync(this.commandFile, command + '\n');
  }

  /** All JSON events received so far (ExaBGP's JSON encoder, one object per line). */
  events(): any[] {
    const out: any[] = [];
    for (const line of readFileSync(this.eventFile, 'utf8').split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line));
      } catch {
        /* a line being written */
      }
    }
    return out;
  }

  /** The last neighbor state event ("connected", "up", "down") for a peer address. */
  state(peer: string): string | undefined {
    let s: string | undefined;
    for (const e of this.events()) if (e.type === 'state' && e.neighbor?.address?.peer === peer) s = e.neighbor.state;
    return s;
  }

  /** Received UPDATE announcements for a peer, flattened: one entry per NLRI. */
  announcements(peer: string): { family: string; nexthop: string; nlri: string; pathId?: string; attribute: any }[] {
    const out: { family: string; nexthop: string; nlri: string; pathId?: string; attribute: any }[] = [];
    for (const e of this.events()) {
      if (e.type !== 'update' || e.neighbor?.address?.peer !== peer) continue;
      const u = e.neighbor?.message?.update;
      if (!u?.announce) continue;
      for (const [family, byNh] of Object.entries<any>(u.announce)) {
        for (const [nexthop, list] of Object.entries<any[]>(byNh)) {
          for (const item of list) {
            out.push({ family, nexthop, nlri: item.nlri, pathId: item['path-information'], attribute: u.attribute ?? {} });
          }
        }
      }
    }
    return out;
  }

  log(): string {
    return this.proc.tail(80);
  }
}
