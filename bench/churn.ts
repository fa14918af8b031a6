// Workload churn benchmark (not a test: prints figures; needs root). Plays Felix on a node:
// workload /32 routes (`<ip>/32 dev cali<x> proto boot metric 1024`, scope link) are added
// and removed at a steady rate through netlink, in batches every few ms, in the namespace
// where the daemon under test runs a Calico-shaped configuration (kernel `learn` +
// `calico_export_to_bgp_peers` towards one iBGP mesh peer, as test/conf/fixtures/
// mesh-node.conf). The peer, in a second namespace joined by a veth, is Wren's own Session
// in a child process (this file with --peer); it records when each prefix is announced and
// withdrawn. Latency = peer receive time − time the route change was in the kernel (both
// CLOCK_MONOTONIC, same machine). Also: the daemon's CPU (utime+stime, % of one core) over
// the churn window, and its RSS.
//
//   node --import tsx bench/churn.ts [--dut wren,bird] [--rate 1000] [--seconds 30]
//                                    [--tick 5] [--lifetime 2] [--ifaces 50]
//   WREN_DUT_PROF=<dir>: CPU profile of the Wren daemon (written when it exits).
//
// --rate R: R route adds per second and (after the first --lifetime seconds) as many deletes
// (each workload route lives --lifetime seconds), spread over one netlink batch every --tick
// ms; every prefix is used once (10.65.0.0 upwards, inside pool 10.64.0.0/12; the local
// block 10.64.0.0/26 is elsewhere, so these are "borrowed" IPs that escape aggregation).
// Wren: the real daemon (scripts/wrend-dev.mjs) with `scan time 2`; BIRD 2: `protocol kernel
// { learn; scan time 2; }` + `protocol bgp` with the same export rule. Namespaces are deleted
// at the end; processes are ended by PID.
// Leaves out: IPv6 workloads, several peers, route reflectors.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const root = new URL('../', import.meta.url).pathname;
const monoMs = (): number => Number(process.hrtime.bigint()) / 1e6;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const NODE_IP = '198.18.0.1';
const PEER_IP = '198.18.0.2';
const AS = 64512;
const BASE = ((10 << 24) | (65 << 16)) >>> 0; // 10.65.0.0

const ipOf = (i: number): string => {
  const v = (BASE + i) >>> 0;
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
};
const indexOf = (a: Uint8Array): number => ((((a[0]! << 24) | (a[1]! << 16) | (a[2]! << 8) | a[3]!) >>> 0) - BASE);

// ---- peer (child process, in the peer namespace) -------------------------------------------

async function runPeer(): Promise<void> {
  const { Session } = await import('../src/bgp/session.js');
  const { IPV4_UNICAST } = await import('../src/rib/prefix.js');
  type Upd = import('../src/bgp/codec/types.js').UpdateMessage;
  const out = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');
  const MAX = 1 << 20;
  const announced = new Float64Array(MAX);
  const withdrawn = new Float64Array(MAX);
  let updates = 0;
  const s = new Session({
    name: 'peer', localAs: AS, peerAs: AS, routerId: 0xc6120002, peerAddress: NODE_IP, localAddress: PEER_IP,
    multihop: 64, holdTime: 240, connectRetryTime: 1, connectDelayTime: 0, errorWaitTime: [1, 2], families: [IPV4_UNICAST], maxMessagesPerTurn: 256,
  });
  s.on('established', () => out({ ev: 'established' }));
  s.on('down', (reason: unknown) => out({ ev: 'down', reason: String(reason) }));
  s.on('update', (u: Upd) => {
    const t = monoMs();
    updates++;
    for (const n of u.withdrawn) {
      const i = indexOf(n.addr);
      if (n.len === 32 && i >= 0 && i < MAX && withdrawn[i] === 0) withdrawn[i] = t;
    }
    for (const n of u.nlri) {
      const i = indexOf(n.addr);
      if (n.len === 32 && i >= 0 && i < MAX && announced[i] === 0) announced[i] = t;
    }
  });
  createInterface({ input: process.stdin }).on('line', (line) => {
    const c = JSON.parse(line) as { cmd: string; file?: string; count?: number };
    if (c.cmd === 'dump') {
      const n = c.count!;
      writeFileSync(c.file!, JSON.stringify({ updates, announced: Array.from(announced.subarray(0, n)), withdrawn: Array.from(withdrawn.subarray(0, n)) }));
      out({ ev: 'dumped' });
    } else if (c.cmd === 'stop') {
      s.stop();
      setTimeout(() => process.exit(0), 200);
    }
  });
  process.stdin.on('end', () => process.exit(0));
  s.start();
}

// ---- orchestrator -------------------------------------------------------------------------

interface Options {
  duts: string[];
  rate: number;
  seconds: number;
  tickMs: number;
  lifetime: number;
  ifaces: number;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { duts: ['wren', 'bird'], rate: 1000, seconds: 30, tickMs: 5, lifetime: 2, ifaces: 50 };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case '--dut': o.duts = v!.split(','); i++; break;
      case '--rate': o.rate = Number(v); i++; break;
      case '--seconds': o.seconds = Number(v); i++; break;
      case '--tick': o.tickMs = Number(v); i++; break;
      case '--lifetime': o.lifetime = Number(v); i++; break;
      case '--ifaces': o.ifaces = Number(v); i++; break;
      default: throw new Error(`unknown argument ${argv[i]}`);
    }
  }
  return o;
}

const WREN_CONF = `router id ${NODE_IP};
function calico_aggr () {
  if ( net = 10.64.0.0/26 ) then { accept; }
  if ( net ~ 10.64.0.0/26 && krt_metric < 1024 ) then { accept; }
  if ( net ~ 10.64.0.0/26 ) then { reject; }
}
function reject_local_routes () {
  if (defined(ifname)) then { if (ifname ~ "bpf*.cali") then { reject; } }
}
function calico_export_to_bgp_peers(bool internal_peer) {
  if (internal_peer) then {
    if (defined(ifname)) then {
      if ((ifname ~ "*.cali") || (ifname ~ "*.calico")) then { reject; }
    }
  }
  reject_local_routes();
  calico_aggr();
  if (net ~ 10.64.0.0/12) then { accept; }
}
filter calico_kernel_programming {
  if (defined(source) && (source = RTS_BGP) && !defined(krt_metric)) then {
      krt_metric = 1024;
      if (defined(bgp_local_pref)) then { krt_metric = 2147483647 - bgp_local_pref; }
  }
  accept;
}
protocol kernel { learn; persist; scan time 2; import all; export filter calico_kernel_programming; graceful restart; merge paths on; }
protocol device { scan time 2; }
protocol direct { interface -"cali*", -"kube-ipvs*", "*"; }
protocol static { route 10.64.0.0/26 blackhole; }
protocol bgp Mesh_198_18_0_2 {
  description "Connection to BGP peer";
  local as ${AS};
  neighbor ${PEER_IP} as ${AS};
  source address ${NODE_IP};
  gateway recursive;
  add paths on;
  graceful restart;
  connect delay time 2;
  connect retry time 5;
  error wait time 5,30;
  multihop;
  passive on;
  import filter { accept; };
  export filter {
    if (defined(source) && source = RTS_BGP && defined(bgp_local_pref)) then {
      krt_metric = 2147483647 - bgp_local_pref;
    } else {
      if (!defined(krt_metric)) then { krt_metric = 1024; }
      bgp_local_pref = 2147483647 - krt_metric;
    }
    calico_export_to_bgp_peers(true);
    reject;
  };
}
`;

const BIRD_CONF = `router id ${NODE_IP};
protocol device { scan time 2; }
protocol direct { ipv4; interface -"cali*", "*"; }
protocol static { ipv4; route 10.64.0.0/26 blackhole; }
protocol kernel { ipv4 { import all; export none; }; learn; persist; scan time 2; }
protocol bgp Mesh_198_18_0_2 {
  local ${NODE_IP} as ${AS};
  neighbor ${PEER_IP} as ${AS};
  multihop;
  passive on;
  ipv4 {
    import all;
    export filter {
      if (net ~ 10.64.0.0/26 && net.len > 26) then reject;
      if (net ~ 10.64.0.0/12) then accept;
      reject;
    };
  };
}
`;

interface Result {
  dut: string;
  adds: number;
  dels: number;
  announcedSeen: number;
  withdrawnSeen: number;
  addLat: number[];
  delLat: number[];
  cpuPct: number;
  rssMb: number;
  updates: number;
  lateTicks: number;
}

function pct(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function runOne(dut: string, o: Options, scratch: string, children: ChildProcess[], namespaces: { destroy(): void }[]): Promise<Result> {
  const { Namespace } = await import('../test/fib/netlink/netns.js');
  const { RouteBatchWriter } = await import('../src/fib/netlink/batch.js');
  const { RouteOp, RouteProtocol, RouteType } = await import('../src/fib/netlink/route.js');
  const { NetlinkOption } = await import('../src/fib/netlink/socket.js');
  const { Afi } = await import('../src/rib/prefix.js');

  const node = new Namespace();
  const peer = new Namespace();
  namespaces.push(node, peer);
  node.ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'peer0', 'netns', peer.name);
  node.ip('addr', 'add', `${NODE_IP}/24`, 'dev', 'eth0');
  node.ip('link', 'set', 'eth0', 'up');
  peer.ip('addr', 'add', `${PEER_IP}/24`, 'dev', 'peer0');
  peer.ip('link', 'set', 'peer0', 'up');
  const batch: string[] = [];
  for (let i = 0; i < o.ifaces; i++) batch.push(`link add cali${i} type veth peer name calip${i}`, `link set cali${i} up`, `link set calip${i} up`);
  writeFileSync(join(scratch, 'links.batch'), batch.join('\n') + '\n');
  node.ip('-batch', join(scratch, 'links.batch'));
  const ifindex: number[] = [];
  for (const l of node.ipJson<{ ifname: string; ifindex: number }[]>('link', 'show')) {
    const m = /^cali(\d+)$/.exec(l.ifname);
    if (m) ifindex[Number(m[1])] = l.ifindex;
  }

  // The daemon.
  const conf = join(scratch, `${dut}.conf`);
  writeFileSync(conf, dut === 'wren' ? WREN_CONF : BIRD_CONF);
  const argv = dut === 'wren'
    ? [process.execPath, ...(process.env.WREN_DUT_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.WREN_DUT_PROF}`] : []), '--import', 'tsx', 'scripts/wrend-dev.mjs', '-f', '-c', conf, '-s', join(scratch, `${dut}.ctl`)]
    : ['bird', '-f', '-c', conf, '-s', join(scratch, `${dut}.ctl`)];
  const d = spawn('ip', ['netns', 'exec', node.name, ...argv], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(d);
  let tail = '';
  d.stderr!.setEncoding('utf8').on('data', (x: string) => (tail = (tail + x).slice(-4000)));

  // The peer.
  const p = spawn('ip', ['netns', 'exec', peer.name, process.execPath, '--import', 'tsx', 'bench/churn.ts', '--peer'], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(p);
  const waiters: { ev: string; resolve: () => void }[] = [];
  let down = '';
  createInterface({ input: p.stdout! }).on('line', (line) => {
    const e = JSON.parse(line) as { ev: string; reason?: string };
    if (e.ev === 'down') down = e.reason ?? 'down';
    for (let i = waiters.length - 1; i >= 0; i--) if (waiters[i]!.ev === e.ev) waiters.splice(i, 1)[0]!.resolve();
  });
  const waitEv = (ev: string, ms: number) => new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${dut}: no '${ev}' from the peer within ${ms} ms (${down}) ${tail}`)), ms);
    waiters.push({ ev, resolve: () => { clearTimeout(t); resolve(); } });
  });
  await waitEv('established', 60_000);
  await sleep(3000); // initial exchange, start-up scans

  // Felix: a netlink socket in the node namespace.
  const sock = node.socket([], { receiveBuffer: 1 << 20 });
  sock.setOption(NetlinkOption.NETLINK_CAP_ACK, 1);
  const writer = new RouteBatchWriter({ send: (b) => sock.send(b) });
  sock.on('message', (m: Buffer) => writer.receive(m));
  const route = (i: number) => ({
    dst: { afi: Afi.IPV4, len: 32, addr: Uint8Array.of(10, 65, (i >> 8) & 255, i & 255) },
    type: RouteType.RTN_UNICAST, priority: 1024, table: 254, protocol: RouteProtocol.RTPROT_BOOT, oif: ifindex[i % o.ifaces]!,
  });
  if (o.rate * o.seconds > 65536) throw new Error('at most 65536 distinct workload IPs (10.65.0.0/16)');
  const addT = new Float64Array(o.rate * o.seconds + 1);
  const delT = new Float64Array(o.rate * o.seconds + 1);
  const HZ = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);
  const ticks = () => {
    const f = readFileSync(`/proc/${d.pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return Number(rest[11]) + Number(rest[12]);
  };
  const c0 = ticks();
  const t0 = monoMs();
  let added = 0, deleted = 0, lateTicks = 0;
  const total = o.rate * o.seconds;
  const life = o.lifetime * 1000;
  let failures = 0;
  for (;;) {
    const now = monoMs() - t0;
    const wantAdded = Math.min(total, Math.floor((now / 1000) * o.rate));
    const addFrom = added;
    while (added < wantAdded) writer.enqueue(RouteOp.ADD, route(added++), (e) => { if (e) failures++; });
    const delFrom = deleted;
    while (deleted < added && addT[deleted]! > 0 && now + t0 - addT[deleted]! >= life) writer.enqueue(RouteOp.DELETE, route(deleted++), (e) => { if (e) failures++; });
    void writer.flush(); // sends synchronously: the kernel has applied them when it returns
    const t = monoMs();
    for (let i = addFrom; i < added; i++) addT[i] = t;
    for (let i = delFrom; i < deleted; i++) delT[i] = t;
    if (deleted >= total) break;
    const next = t0 + (Math.floor(now / o.tickMs) + 1) * o.tickMs;
    const wait = next - monoMs();
    if (wait < -o.tickMs) lateTicks++;
    await sleep(Math.max(0, wait));
  }
  const c1 = ticks();
  const churnS = (monoMs() - t0) / 1000;
  await sleep(Math.max(5000, 3000 + 2000)); // let polling daemons catch up (scan time 2)
  const rssMb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${d.pid}/status`, 'utf8'))![1]) / 1024;
  const file = join(scratch, `${dut}-peer.json`);
  const dumped = waitEv('dumped', 30_000);
  p.stdin!.write(JSON.stringify({ cmd: 'dump', file, count: total }) + '\n');
  await dumped;
  const rec = JSON.parse(readFileSync(file, 'utf8')) as { updates: number; announced: number[]; withdrawn: number[] };
  const addLat: number[] = [], delLat: number[] = [];
  let announcedSeen = 0, withdrawnSeen = 0;
  for (let i = 0; i < total; i++) {
    if (rec.announced[i]! > 0) {
      announcedSeen++;
      addLat.push(rec.announced[i]! - addT[i]!);
    }
    if (rec.withdrawn[i]! > 0) {
      withdrawnSeen++;
      delLat.push(rec.withdrawn[i]! - delT[i]!);
    }
  }
  if (failures) process.stderr.write(`${dut}: ${failures} Felix route writes failed\n`);
  p.stdin!.write(JSON.stringify({ cmd: 'stop' }) + '\n');
  sock.close();
  const stop = (c: ChildProcess) => new Promise<void>((r) => {
    if (c.exitCode !== null) return r();
    c.once('exit', () => r());
    c.kill('SIGTERM');
    setTimeout(() => c.exitCode === null && c.kill('SIGKILL'), 5000).unref();
  });
  await Promise.all([stop(p), stop(d)]);
  node.destroy();
  peer.destroy();
  return {
    dut, adds: added, dels: deleted, announcedSeen, withdrawnSeen, addLat, delLat,
    cpuPct: ((c1 - c0) / HZ / churnS) * 100, rssMb, updates: rec.updates, lateTicks,
  };
}

async function main(): Promise<void> {
  if (process.argv.includes('--peer')) return runPeer();
  const o = parseArgs(process.argv.slice(2));
  const scratch = mkdtempSync(join(tmpdir(), 'wren-churn-'));
  const children: ChildProcess[] = [];
  const namespaces: { destroy(): void }[] = [];
  process.on('exit', () => {
    for (const c of children) if (c.exitCode === null && c.pid) try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
    for (const n of namespaces) n.destroy();
    rmSync(scratch, { recursive: true, force: true });
  });
  console.log(`churn: ${o.rate} workload /32 adds/s and as many deletes (lifetime ${o.lifetime} s), batches every ${o.tickMs} ms over ${o.ifaces} cali interfaces, ${o.seconds} s; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  for (const dut of o.duts) {
    const r = await runOne(dut, o, scratch, children, namespaces);
    const f = (x: number) => (Number.isNaN(x) ? '-' : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(1)} ms`);
    console.log(`  ${dut.padEnd(5)} announce p50 ${f(pct(r.addLat, 50))} p99 ${f(pct(r.addLat, 99))} max ${f(pct(r.addLat, 100))} (${r.announcedSeen}/${r.adds} seen) | ` +
      `withdraw p50 ${f(pct(r.delLat, 50))} p99 ${f(pct(r.delLat, 99))} max ${f(pct(r.delLat, 100))} (${r.withdrawnSeen}/${r.dels} seen) | ` +
      `CPU ${r.cpuPct.toFixed(1)}% of a core, RSS ${r.rssMb.toFixed(0)} MB, ${r.updates} UPDATEs, ${r.lateTicks} late ticks`);
  }
  console.log(`  load average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
}

main().then(
  () => { if (!process.argv.includes('--peer')) process.exit(0); },
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
