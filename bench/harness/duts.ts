// Devices under test: configuration generation and start-up for Wren, BIRD 2, FRR bgpd
// and GoBGP, each run in the DUT namespace as one foreground process whose PID is the
// daemon's own (ip netns exec execs it), so procfs figures are the daemon's:
//   wren   `node --import tsx scripts/wrend-dev.mjs -f -c cfg -s sock [--ipv6]` (BIRD 1.6
//          dialect; `-f`, not `-d`: debug logging per route would be measured too), or
//          `node bin/wrend.js …` from the compiled build with StartOptions.wrenBuild
//   bird   `bird -f -c cfg -s sock -P pid` (BIRD 2 channels)
//   frr    `/usr/lib/frr/bgpd -Z -S -n -f cfg -i pid --vty_socket dir -P 0`: no zebra, no
//          privilege drop, no kernel, no vty TCP port, a private vty socket directory
//   gobgp  `gobgpd -f cfg.toml -l warn -p --api-hosts 127.0.0.1:50151 --pprof-disable`
// Every DUT peer is passive (the workers dial), import/export everything, eBGP without
// RFC 8212 default-deny, MRAI 0 where the daemon has one, route reflection with one
// cluster id. Ready = something listens on TCP port 179 in the namespace.
// Leaves out: tuning beyond defaults (each daemon as packaged, with the options above).

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Afi } from '../../src/rib/prefix.js';
import { type BenchLab, type LabProcess, run } from './lab.js';
import { DAEMON_NODE_FLAGS } from '../../src/shims.js';

export const DUT_NAMES = ['wren', 'bird', 'frr', 'gobgp'] as const;
export type DutName = (typeof DUT_NAMES)[number];

export interface DutPeer {
  /** Protocol / neighbor name ([a-z0-9_]). */
  readonly name: string;
  readonly address: string;
  readonly as: number;
  readonly rrClient?: boolean;
}

export interface DutSetup {
  readonly as: number;
  readonly routerId: string;
  readonly afi: Afi;
  readonly peers: readonly DutPeer[];
  /** Route reflector cluster id (dotted quad) when some peers are RR clients. */
  readonly clusterId?: string;
}

export interface RunningDut {
  readonly name: DutName;
  readonly proc: LabProcess;
  readonly pid: number;
}

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const GOBGP_API_PORT = 50151;

// ---- configurations (pure) -------------------------------------------------------------

export function birdConfig(s: DutSetup): string {
  const ch = s.afi === Afi.IPV4 ? 'ipv4' : 'ipv6';
  const out = [
    'log stderr { warning, error, fatal, bug };',
    `router id ${s.routerId};`,
    'protocol device { scan time 60; }',
  ];
  for (const p of s.peers) {
    const ibgp = p.as === s.as;
    out.push(
      `protocol bgp ${p.name} {`,
      `  local as ${s.as};`,
      `  neighbor ${p.address} as ${p.as};`,
      '  passive on;',
      // iBGP sessions are multihop by default in BIRD 2; the clients are on-link.
      ...(ibgp ? ['  direct;'] : []),
      ...(p.rrClient ? ['  rr client;', `  rr cluster id ${s.clusterId};`] : []),
      `  ${ch} { import all; export all; };`,
      '}',
    );
  }
  return out.join('\n') + '\n';
}

export function frrConfig(s: DutSetup): string {
  const af = s.afi === Afi.IPV4 ? 'ipv4' : 'ipv6';
  const out = [
    'frr defaults traditional',
    'hostname dut',
    'log stdout warnings',
    '!',
    `router bgp ${s.as}`,
    ` bgp router-id ${s.routerId}`,
    ' no bgp ebgp-requires-policy',
    ' no bgp default ipv4-unicast',
    ' no bgp network import-check',
  ];
  if (s.clusterId) out.push(` bgp cluster-id ${s.clusterId}`);
  const rr = s.peers.filter((p) => p.rrClient);
  if (rr.length) {
    out.push(' neighbor RRC peer-group', ` neighbor RRC remote-as ${s.as}`, ' neighbor RRC passive', ' neighbor RRC advertisement-interval 0');
  }
  for (const p of s.peers) {
    if (p.rrClient) {
      out.push(` neighbor ${p.address} peer-group RRC`);
      continue;
    }
    out.push(` neighbor ${p.address} remote-as ${p.as}`, ` neighbor ${p.address} passive`, ` neighbor ${p.address} advertisement-interval 0`);
  }
  out.push(` address-family ${af} unicast`);
  if (rr.length) out.push('  neighbor RRC activate', '  neighbor RRC route-reflector-client');
  for (const p of s.peers) if (!p.rrClient) out.push(`  neighbor ${p.address} activate`);
  out.push(' exit-address-family', '!');
  return out.join('\n') + '\n';
}

export function gobgpConfig(s: DutSetup): string {
  const family = s.afi === Afi.IPV4 ? 'ipv4-unicast' : 'ipv6-unicast';
  const out = ['[global.config]', `  as = ${s.as}`, `  router-id = "${s.routerId}"`, '  port = 179', ''];
  for (const p of s.peers) {
    out.push(
      '[[neighbors]]',
      '  [neighbors.config]',
      `    neighbor-address = "${p.address}"`,
      `    peer-as = ${p.as}`,
      '  [neighbors.transport.config]',
      '    passive-mode = true',
    );
    if (p.rrClient) {
      out.push('  [neighbors.route-reflector.config]', '    route-reflector-client = true', `    route-reflector-cluster-id = "${s.clusterId}"`);
    }
    out.push('  [[neighbors.afi-safis]]', '    [neighbors.afi-safis.config]', `      afi-safi-name = "${family}"`, '');
  }
  return out.join('\n');
}

/** Wren's BIRD 1.6 dialect (one file per family, as bird/bird6). */
export function wrenConfig(s: DutSetup): string {
  // A device protocol as in BIRD's configuration above (and Calico's): the interface table
  // then feeds next-hop resolution as it does in production. The same log classes as BIRD's
  // (before session 11 Wren logged every session's state changes, 3,000 lines in rr-500).
  const out = ['log stderr { warning, error, fatal, bug };', `router id ${s.routerId};`, 'protocol device { scan time 60; }', ''];
  for (const p of s.peers) {
    out.push(
      `protocol bgp ${p.name} {`,
      `  local as ${s.as};`,
      `  neighbor ${p.address} as ${p.as};`,
      '  passive on;',
      ...(p.rrClient ? ['  rr client;', `  rr cluster id ${s.clusterId};`] : []),
      '  import all;',
      '  export all;',
      '}',
    );
  }
  return out.join('\n') + '\n';
}

// ---- start-up ----------------------------------------------------------------------------

function need(path: string, pkg: string): string {
  if (!existsSync(path)) throw new Error(`${path} not found: apt-get install -y ${pkg}`);
  return path;
}

async function which(bin: string, pkg: string): Promise<string> {
  const r = await run(['sh', '-c', `command -v ${bin}`], { allowFail: true });
  const p = r.stdout.trim();
  if (r.code !== 0 || !p) throw new Error(`${bin} not found: apt-get install -y ${pkg}`);
  return p;
}

async function waitListening(ns: string, proc: LabProcess, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (!proc.running) throw new Error(`${proc.name} exited (${proc.exitText}) before listening:\n${proc.tail()}`);
    const r = await run(['ss', '-Hltn', 'sport = :179'], { ns, allowFail: true });
    if (r.code === 0 && r.stdout.trim() !== '') return;
    if (Date.now() > end) throw new Error(`${proc.name} not listening on port 179 after ${timeoutMs} ms:\n${proc.tail()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface StartOptions {
  /** Run Wren from the compiled build (`node bin/wrend.js`, after `npm run build`) instead of tsx. */
  readonly wrenBuild?: boolean;
}

export async function startDut(name: DutName, lab: BenchLab, ns: string, s: DutSetup, opts: StartOptions = {}): Promise<RunningDut> {
  let proc: LabProcess;
  switch (name) {
    case 'bird': {
      const bird = await which('bird', 'bird2');
      const cfg = lab.file('bird.conf', birdConfig(s));
      proc = lab.spawn(ns, [bird, '-f', '-c', cfg, '-s', lab.path('bird.ctl'), '-P', lab.path('bird.pid')], { name: 'dut-bird' });
      break;
    }
    case 'frr': {
      const bgpd = need('/usr/lib/frr/bgpd', 'frr');
      const cfg = lab.file('frr.conf', frrConfig(s));
      const vty = lab.path('frr-vty');
      await run(['mkdir', '-p', vty]);
      proc = lab.spawn(ns, [bgpd, '-Z', '-S', '-n', '-f', cfg, '-i', lab.path('frr.pid'), '--vty_socket', vty, '-P', '0'], { name: 'dut-frr' });
      break;
    }
    case 'gobgp': {
      const gobgpd = await which('gobgpd', 'gobgpd');
      const cfg = lab.file('gobgp.toml', gobgpConfig(s));
      proc = lab.spawn(
        ns,
        [gobgpd, '-f', cfg, '-t', 'toml', '-l', 'warn', '-p', '--api-hosts', `127.0.0.1:${GOBGP_API_PORT}`, '--pprof-disable'],
        { name: 'dut-gobgp' },
      );
      break;
    }
    case 'wren': {
      const cfg = lab.file('wren.conf', wrenConfig(s));
      // WREN_DUT_ROOT: another checkout's build as the DUT (A/B of two commits under one harness).
      const root = process.env.WREN_DUT_ROOT ?? REPO;
      if (opts.wrenBuild && !existsSync(join(root, 'dist', 'src', 'main.js'))) throw new Error(`no Wren build in ${root}: run npm run build first`);
      const entry = opts.wrenBuild ? [join(root, 'bin', 'wrend.js')] : ['--import', 'tsx', join(root, 'scripts', 'wrend-dev.mjs')];
      const prof = process.env.WREN_DUT_PROF ? [`--cpu-prof`, `--cpu-prof-dir=${process.env.WREN_DUT_PROF}`] : [];
      const extra = process.env.WREN_DUT_ARGS ? process.env.WREN_DUT_ARGS.split(' ').filter(Boolean) : [];
      const nodeArgs = process.env.WREN_DUT_NODE_ARGS ? process.env.WREN_DUT_NODE_ARGS.split(' ').filter(Boolean) : [];
      // WREN_DUT_NODE: another Node.js binary for the DUT (the harness itself keeps its own).
      const argv = [process.env.WREN_DUT_NODE ?? process.execPath, ...DAEMON_NODE_FLAGS, ...nodeArgs, ...prof, ...entry, '-f', '-c', cfg, '-s', lab.path('wren.ctl'), ...extra];
      if (s.afi === Afi.IPV6) argv.push('--ipv6');
      proc = lab.spawn(ns, argv, { name: 'dut-wren', cwd: root });
      break;
    }
  }
  await waitListening(ns, proc, name === 'wren' ? 60_000 : 20_000);
  return { name, proc, pid: proc.pid };
}
