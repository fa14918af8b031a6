// FIB benchmarks for the kernel protocol, Wren beside BIRD 2 in the same run, each in its own
// scratch network namespace (deleted at the end; processes ended by PID). Not a test: prints
// figures. Needs root. Usage:
//   node --import tsx bench/fib.ts [install N...] [idle SECONDS]
//   node --import tsx bench/fib.ts bgp [N...]        (default 1000000)
//   default: install 100000 1000000, idle 60. WREN_ONLY=1: skip BIRD; BENCH_DUTS=bird (or
//   wren, or frr for `bgp`; comma-separated, default wren,bird,frr for `bgp`): only those
//   daemons. BENCH_RUNS=3: repeat each `bgp` measurement. WREN_DUT_PROF=<dir>: CPU
//   profile of the Wren daemon in `bgp` runs (written when it exits).
//
// install N: N IPv4 /32 routes via a gateway on a veth, protocol 12, into the main table.
//   Wren: routes injected straight into the master table as BGP routes (no BGP session: the
//   figure is table → kernel protocol → batched netlink → kernel), in process, sockets in the
//   namespace. Timed from the first injection to the kernel protocol being idle with N routes
//   acknowledged (including the scan after the bulk), checked with a netlink dump; also the
//   time until every write was acknowledged (the routes are in the kernel; comparable with
//   BIRD's figure).
//   BIRD 2: `protocol static` with the N routes + `protocol kernel { ipv4 { export all; }; }`,
//   timed from the first route of ours seen in the kernel to N (dump polled every 50 ms);
//   BIRD's config parse and static import come before the first route and are not counted.
// idle SECONDS: 100k Felix-style routes (`dev caliN proto boot metric 1024`) over 500 veth
//   interfaces; the real daemon (scripts/wrend-dev.mjs, Calico-shaped kernel/device/direct
//   with `scan time 2`) and BIRD 2 (`learn; scan time 2`) each in a namespace holding the
//   same; CPU (utime+stime from /proc) over SECONDS once both have settled (CPU < 2% over
//   2 s, then 30 s more).
// bgp N: the same install end to end — N routes arrive over a real eBGP session from the
//   propagation harness's tester (see bgpInstall), Wren (the real daemon), BIRD 2 and FRR
//   (bgpd + zebra, zebra installing with `proto bgp`, 186) fed the same way, one after the
//   other; CPU and peak RSS of FRR are bgpd's + zebra's.
// Churn latency to a BGP peer: bench/churn.ts.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Namespace, Client } from '../test/fib/netlink/netns.js';
import { RoutingTable } from '../src/rib/table.js';
import { InterfaceTable } from '../src/fib/interfaces.js';
import { KernelProtocol } from '../src/fib/kernel.js';
import { parseConfigText } from '../conf/index.js';
import type { KernelProtocolConfig } from '../conf/model.js';
import { intern, RouteDest } from '../src/rib/attr-set.js';
import { makeRoute, type RouteSource } from '../src/rib/route.js';
import { Afi, parseAddress, type Prefix } from '../src/rib/prefix.js';
import { nullLogger } from '../src/log.js';
import { buildRouteDump, decodeRoute, type KernelRoute } from '../src/fib/netlink/route.js';

const root = new URL('../', import.meta.url).pathname;
const scratch = mkdtempSync(join(tmpdir(), 'wren-bench-fib-'));
const children: ChildProcess[] = [];
const namespaces: Namespace[] = [];
process.on('exit', () => {
  for (const c of children) if (c.exitCode === null && c.pid) try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
  for (const n of namespaces) n.destroy();
  rmSync(scratch, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();

function prefixOf(i: number): Prefix {
  // 10.128.0.0/9 upwards: i → 10.(128 + i>>16).(i>>8 & 255).(i & 255)/32
  return { afi: Afi.IPV4, len: 32, addr: Uint8Array.of(10, 128 + (i >> 16), (i >> 8) & 255, i & 255) };
}

function newNs(): Namespace {
  const ns = new Namespace();
  namespaces.push(ns);
  ns.ip('link', 'add', 'e0', 'type', 'veth', 'peer', 'name', 'e0p');
  ns.ip('addr', 'add', '198.18.0.1/24', 'dev', 'e0');
  ns.ip('link', 'set', 'e0', 'up');
  ns.ip('link', 'set', 'e0p', 'up');
  return ns;
}

async function countOurs(client: Client): Promise<number> {
  for (;;) {
    const r = await client.dump((seq) => buildRouteDump(seq, 2), (m) => {
      const x = decodeRoute(m);
      return x && x.protocol === 12 && x.table === 254 ? 1 : undefined;
    });
    if (!r.interrupted) return r.items.length;
  }
}

function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]); // utime + stime (fields 14, 15)
}
const HZ = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim() || 100);

function startIn(ns: Namespace, argv: string[], name: string): ChildProcess {
  const c = spawn('ip', ['netns', 'exec', ns.name, ...argv], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let tail = '';
  c.stderr!.setEncoding('utf8').on('data', (d: string) => {
    tail = (tail + d).slice(-4000);
    if (process.env.WREN_BENCH_LOG) appendFileSync(join(process.env.WREN_BENCH_LOG, `${name}.log`), d);
  });
  c.on('exit', (code) => {
    if (code && code !== 0 && code !== 143) process.stderr.write(`${name} exited ${code}: ${tail}\n`);
  });
  children.push(c);
  return c;
}

/** The pid of the real program under `ip netns exec` (exec replaces ip, so it is the child's pid). */
const pidOf = (c: ChildProcess) => c.pid!;

async function stop(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null) return;
  const done = new Promise((r) => c.once('exit', r));
  c.kill('SIGTERM');
  const t = setTimeout(() => c.kill('SIGKILL'), 5000);
  await done;
  clearTimeout(t);
}

// ---- install ------------------------------------------------------------------------------

async function wrenInstall(n: number): Promise<{ seconds: number; rate: number; batches: number; rssMb: number; writtenS: number }> {
  const ns = newNs();
  const cfg = parseConfigText('protocol kernel { export all; }', 'bench.conf', { dialect: 'ipv4', print: () => {} }).protocols[0] as KernelProtocolConfig;
  const table = new RoutingTable('master');
  const open = (g: number[], o: object) => ns.socket(g, o);
  const interfaces = new InterfaceTable({ openSocket: open });
  const kernel = new KernelProtocol(cfg, { table, log: nullLogger, routerId: 1, recovering: false }, { interfaces, openSocket: open, families: [Afi.IPV4] });
  kernel.start();
  while (kernel.state !== 'up') await sleep(5);
  await kernel.settled();
  const source: RouteSource = { name: 'bench', kind: 'bgp', bgp: { address: parseAddress('198.18.0.2'), routerId: 2, peerAs: 64512, localAs: 64512, ebgp: false } };
  const gw = parseAddress('198.18.0.2');
  const attrs = intern({ origin: 0, asPath: [], localPref: 100, nextHop: gw, dest: RouteDest.ROUTER, gateway: gw, ifname: 'e0', krtMetric: 1024 });
  const t0 = now();
  // Injected in slices, as BGP UPDATEs would arrive, so the syncer runs alongside.
  for (let i = 0; i < n; ) {
    const end = Math.min(n, i + 5000);
    for (; i < end; i++) {
      const p = prefixOf(i);
      table.update(p, source, 0, makeRoute({ prefix: p, attrs: intern(attrs), source }));
    }
    await new Promise((r) => setImmediate(r));
  }
  const progress = process.env.WREN_BENCH_DEBUG ? setInterval(() => console.error(JSON.stringify({ t: ((now() - t0) / 1000).toFixed(1), ...kernel.stats, own: kernel.ownCount, w: kernel.writerStats })), 1000) : undefined;
  while (!kernel.written) await sleep(2);
  const writtenS = (now() - t0) / 1000;
  await kernel.settled(2);
  if (progress) clearInterval(progress);
  const seconds = (now() - t0) / 1000;
  const client = new Client(ns);
  const have = await countOurs(client);
  client.close();
  if (have !== n) throw new Error(`wren: ${have} of ${n} routes in the kernel`);
  const rssMb = process.memoryUsage().rss / 1048576;
  if (process.env.WREN_BENCH_DEBUG) {
    const g = (globalThis as { gc?: () => void }).gc;
    const mu = (tag: string) => { g?.(); const u = process.memoryUsage(); console.error(`${tag}: rss ${(u.rss / 1048576).toFixed(0)} MB, heap used ${(u.heapUsed / 1048576).toFixed(0)} MB of ${(u.heapTotal / 1048576).toFixed(0)}, external ${(u.external / 1048576).toFixed(0)} MB`); };
    mu('kernel protocol + table');
    (table as unknown as { hold?: unknown }).hold = kernel; // keep both alive across the measurement
  }
  const batches = kernel.writerStats?.batches ?? 0;
  kernel.config = { ...kernel.config, persist: true }; // leave them; the namespace goes anyway
  kernel.stop();
  ns.destroy();
  return { seconds, rate: n / seconds, batches, rssMb, writtenS };
}

async function birdInstall(n: number): Promise<{ seconds: number; rate: number; toFirst: number }> {
  const ns = newNs();
  const conf = join(scratch, `bird-install-${n}.conf`);
  const lines = ['router id 198.18.0.1;', 'protocol device {}', 'protocol kernel { ipv4 { export all; }; }', 'protocol static { ipv4;'];
  for (let i = 0; i < n; i++) {
    const a = prefixOf(i).addr;
    lines.push(`route ${a.join('.')}/32 via 198.18.0.2;`);
  }
  lines.push('}');
  writeFileSync(conf, lines.join('\n'));
  const client = new Client(ns);
  const t0 = now();
  const bird = startIn(ns, ['bird', '-f', '-c', conf, '-s', join(scratch, `bird-install-${n}.ctl`)], 'bird');
  let first = 0;
  for (;;) {
    const c = await countOurs(client);
    if (c > 0 && first === 0) first = now();
    if (c >= n) break;
    if (bird.exitCode !== null) throw new Error('bird exited');
    await sleep(50);
  }
  const done = now();
  client.close();
  await stop(bird);
  ns.destroy();
  const seconds = (done - first) / 1000;
  return { seconds, rate: n / Math.max(seconds, 0.001), toFirst: (first - t0) / 1000 };
}

// ---- install over BGP --------------------------------------------------------------------------

/** The DUT's routes (proto 12, or `proto` — FRR's zebra uses 186 — main table) in a namespace, counted from a dump without decoding them. */
async function countOursFast(client: Client, proto = 12): Promise<number> {
  for (;;) {
    const r = await client.dump((seq) => buildRouteDump(seq, 2), (m) => (m.type === 24 && m.buf[m.start + 5] === proto && m.buf[m.start + 4] === 254 ? 1 : undefined));
    if (!r.interrupted) return r.items.length;
  }
}

type Dut = 'wren' | 'bird' | 'frr';

/** FRR: zebra (FIB) and bgpd in `ns`, private sockets and pid files under the scratch directory. */
function startFrr(ns: Namespace): { procs: ChildProcess[]; wait: () => Promise<void> } {
  const dir = join(scratch, `frr-${ns.name}`);
  mkdirSync(dir, { recursive: true });
  chmodSync(scratch, 0o711); // FRR's daemons drop to the frr user
  chmodSync(dir, 0o777);
  const zconf = join(dir, 'zebra.conf');
  const bconf = join(dir, 'bgpd.conf');
  writeFileSync(zconf, 'hostname frr-dut\nlog stdout warnings\n');
  writeFileSync(bconf, `frr defaults traditional
hostname frr-dut
log stdout warnings
router bgp 65000
 bgp router-id 198.18.1.1
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor 198.18.1.2 remote-as 65001
 neighbor 198.18.1.2 passive
 address-family ipv4 unicast
  neighbor 198.18.1.2 activate
 exit-address-family
`);
  const zsock = join(dir, 'zserv.api');
  const zebra = startIn(ns, ['/usr/lib/frr/zebra', '-f', zconf, '-i', join(dir, 'zebra.pid'), '-z', zsock, '--vty_socket', dir, '-s', String(128 << 20)], 'zebra');
  const procs = [zebra];
  const wait = async () => {
    for (let i = 0; i < 200 && !existsSync(zsock); i++) await sleep(50);
    if (!existsSync(zsock)) throw new Error('zebra: no zserv socket');
    procs.push(startIn(ns, ['/usr/lib/frr/bgpd', '-f', bconf, '-i', join(dir, 'bgpd.pid'), '-z', zsock, '--vty_socket', dir, '-l', '198.18.1.1'], 'bgpd'));
  };
  return { procs, wait };
}

/**
 * N prefixes of the propagation harness's synthetic table (bench/harness/table.ts) sent by its
 * tester (bench/harness/peer-worker.ts, Wren's Session) over eBGP to the daemon, which
 * installs them in its namespace's kernel (`protocol kernel { export all; }`). Timed from the
 * tester's first UPDATE write to the kernel holding N routes of ours (dump counted every
 * 200 ms: ±0.2 s). Same for BIRD 2 (`ipv4 { export all; }`).
 */
async function bgpInstall(dut: Dut, n: number): Promise<{ seconds: number; rate: number; cpuS: number; hwmMb: number; tSent: number }> {
  const dns = new Namespace();
  const tns = new Namespace();
  namespaces.push(dns, tns);
  dns.ip('link', 'add', 'd1', 'type', 'veth', 'peer', 'name', 't0', 'netns', tns.name);
  dns.ip('addr', 'add', '198.18.1.1/24', 'dev', 'd1');
  dns.ip('link', 'set', 'd1', 'up');
  tns.ip('addr', 'add', '198.18.1.2/24', 'dev', 't0');
  tns.ip('link', 'set', 't0', 'up');
  const conf = join(scratch, `bgp-${dut}.conf`);
  const proto = dut === 'frr' ? 186 : 12;
  writeFileSync(conf, dut === 'wren'
    ? `router id 198.18.1.1;
protocol device { scan time 10; }
protocol kernel { export all; }
protocol bgp tester { local as 65000; neighbor 198.18.1.2 as 65001; passive on; import all; export none; }
`
    : `router id 198.18.1.1;
protocol device {}
protocol kernel { ipv4 { export all; }; }
protocol bgp tester { local 198.18.1.1 as 65000; neighbor 198.18.1.2 as 65001; passive on; ipv4 { import all; export none; }; }
`);
  const argv = dut === 'wren'
    ? [process.execPath, ...(process.env.WREN_DUT_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.WREN_DUT_PROF}`] : []), '--import', 'tsx', 'scripts/wrend-dev.mjs', '-f', '-c', conf, '-s', join(scratch, `bgp-${dut}.ctl`)]
    : ['bird', '-f', '-c', conf, '-s', join(scratch, `bgp-${dut}.ctl`)];
  let dutProcs: ChildProcess[];
  if (dut === 'frr') {
    const f = startFrr(dns);
    await f.wait();
    dutProcs = f.procs;
  } else dutProcs = [startIn(dns, argv, dut)];
  const d = dutProcs[dutProcs.length - 1]!;
  const cpuAll = () => dutProcs.reduce((a, c) => a + cpuTicks(pidOf(c)), 0);
  const job = join(scratch, `tester-${dut}.json`);
  writeFileSync(job, JSON.stringify({
    role: 'tester', localAs: 65001, peerAs: 65000, routerId: '198.18.1.2', localAddress: '198.18.1.2', peerAddress: '198.18.1.1',
    table: { afi: Afi.IPV4, count: n, seed: 1, firstAs: 65001 }, nextHop: '198.18.1.2',
  }));
  const t = spawn('ip', ['netns', 'exec', tns.name, process.execPath, '--import', 'tsx', 'bench/harness/peer-worker.ts', job], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(t);
  const events = new Map<string, Record<string, number>>();
  let buf = '';
  t.stdout!.setEncoding('utf8').on('data', (x: string) => {
    buf += x;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const e = JSON.parse(buf.slice(0, i)) as { ev: string } & Record<string, number>;
      buf = buf.slice(i + 1);
      if (e.ev !== 'established' || e.count) events.set(e.ev, e);
    }
  });
  const until = async (what: string, f: () => boolean, ms: number) => {
    const t0 = now();
    while (!f()) {
      if (now() - t0 > ms) throw new Error(`${dut}: ${what} did not happen within ${ms} ms`);
      if (dutProcs.some((c) => c.exitCode !== null)) throw new Error(`${dut} exited`);
      await sleep(20);
    }
  };
  await until('tester encoded and established', () => events.has('encoded') && events.has('established'), 180_000);
  await sleep(1000);
  const client = new Client(dns);
  const base = await countOursFast(client, proto);
  const c0 = cpuAll();
  t.stdin!.write('{"cmd":"go"}\n');
  let done = 0;
  for (;;) {
    const c = await countOursFast(client, proto);
    if (c - base >= n) {
      done = Number(process.hrtime.bigint()) / 1e6;
      break;
    }
    if (dutProcs.some((c) => c.exitCode !== null)) throw new Error(`${dut} exited`);
    await sleep(200);
  }
  const c1 = cpuAll();
  client.close();
  await until('tester sent', () => events.has('sent'), 60_000);
  const sent = events.get('sent')!;
  const hwmMb = dutProcs.reduce((a, c) => a + Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pidOf(c)}/status`, 'utf8'))![1]) / 1024, 0);
  t.stdin!.write('{"cmd":"stop"}\n');
  for (const c of dutProcs.slice().reverse()) await stop(c);
  if (t.exitCode === null) t.kill('SIGTERM');
  dns.destroy();
  tns.destroy();
  const seconds = (done - sent.t0!) / 1000;
  return { seconds, rate: n / seconds, cpuS: (c1 - c0) / HZ, hwmMb, tSent: (sent.t1! - sent.t0!) / 1000 };
}

// ---- idle -----------------------------------------------------------------------------------

function felixNs(routes: number, ifaces: number): Namespace {
  const ns = newNs();
  const batch: string[] = [];
  for (let i = 0; i < ifaces; i++) {
    batch.push(`link add cali${i} type veth peer name calip${i}`);
    batch.push(`link set cali${i} up`);
    batch.push(`link set calip${i} up`);
  }
  for (let i = 0; i < routes; i++) {
    const a = prefixOf(i).addr;
    batch.push(`route add ${a.join('.')}/32 dev cali${i % ifaces} proto boot metric 1024`);
  }
  const f = join(scratch, `felix-${ns.name}.batch`);
  writeFileSync(f, batch.join('\n') + '\n');
  ns.ip('-batch', f);
  return ns;
}

async function idle(seconds: number): Promise<void> {
  const ROUTES = 100_000, IFACES = 500;
  console.log(`\nidle: ${ROUTES} Felix-style routes over ${IFACES} veth interfaces, CPU over ${seconds} s after settling`);
  const nsW = felixNs(ROUTES, IFACES);
  const nsB = felixNs(ROUTES, IFACES);
  const wconf = join(scratch, 'wren-idle.conf');
  writeFileSync(wconf, `router id 198.18.0.1;
protocol kernel { learn; persist; scan time 2; import all; export none; graceful restart; merge paths on; }
protocol device { scan time 2; }
protocol direct { interface -"cali*", -"kube-ipvs*", "*"; }
`);
  const bconf = join(scratch, 'bird-idle.conf');
  writeFileSync(bconf, `router id 198.18.0.1;
protocol device { scan time 2; }
protocol direct { ipv4; interface -"cali*", "*"; }
protocol kernel { ipv4 { import all; export none; }; learn; persist; scan time 2; }
`);
  const wren = startIn(nsW, [process.execPath, '--import', 'tsx', 'scripts/wrend-dev.mjs', '-f', '-c', wconf, '-s', join(scratch, 'wren-idle.ctl')], 'wren');
  const bird = startIn(nsB, ['bird', '-f', '-c', bconf, '-s', join(scratch, 'bird-idle.ctl')], 'bird');
  // Settle: wait until CPU use over 2 s drops below 2% of a core (or 60 s).
  const settle = async (c: ChildProcess) => {
    const t0 = Date.now();
    await sleep(3000);
    for (;;) {
      const a = cpuTicks(pidOf(c));
      await sleep(2000);
      const b = cpuTicks(pidOf(c));
      if ((b - a) / HZ / 2 < 0.02 || Date.now() - t0 > 60_000) return;
    }
  };
  await Promise.all([settle(wren), settle(bird)]);
  // V8's memory reducer runs a few major GCs in the first half minute after a load: not idle cost.
  await sleep(30_000);
  const w0 = cpuTicks(pidOf(wren)), b0 = cpuTicks(pidOf(bird));
  await sleep(seconds * 1000);
  const w1 = cpuTicks(pidOf(wren)), b1 = cpuTicks(pidOf(bird));
  const rss = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
  const pct = (d: number) => ((d / HZ / seconds) * 100).toFixed(3);
  console.log(`  Wren  : ${pct(w1 - w0)}% of a core (${w1 - w0} ticks at ${HZ} Hz), RSS ${rss(pidOf(wren)).toFixed(0)} MB`);
  console.log(`  BIRD 2: ${pct(b1 - b0)}% of a core (${b1 - b0} ticks), RSS ${rss(pidOf(bird)).toFixed(0)} MB`);
  await Promise.all([stop(wren), stop(bird)]);
  nsW.destroy();
  nsB.destroy();
}

// ---- main -------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let sizes = [100_000, 1_000_000];
  let idleSeconds = 60;
  let doInstall = true, doIdle = true;
  if (args[0] === 'bgp') {
    const bsizes = args.slice(1).map(Number).filter((x) => x > 0);
    console.log(`install over BGP: N prefixes of the synthetic table, eBGP tester → daemon → its kernel; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    const runs = Math.max(1, Number(process.env.BENCH_RUNS ?? 1));
    const names: Record<Dut, string> = { wren: 'Wren  ', bird: 'BIRD 2', frr: 'FRR   ' };
    for (const n of bsizes.length ? bsizes : [1_000_000]) {
      for (let run = 0; run < runs; run++) {
        for (const dut of (process.env.BENCH_DUTS ?? 'wren,bird,frr').split(',') as Dut[]) {
          if (process.env.WREN_ONLY && dut !== 'wren') continue;
          const r = await bgpInstall(dut, n);
          console.log(`  N=${n}  ${names[dut]}: ${r.seconds.toFixed(2)} s, ${Math.round(r.rate).toLocaleString('en')} routes/s BGP in → kernel (tester wrote for ${r.tSent.toFixed(2)} s; daemon CPU ${r.cpuS.toFixed(1)} s, peak RSS ${r.hwmMb.toFixed(0)} MB; load ${loadavg()[0]!.toFixed(1)})`);
        }
      }
    }
    console.log(`  load average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    return;
  }
  if (args.length) {
    doInstall = args[0] === 'install';
    doIdle = args.includes('idle');
    const k = args.indexOf('idle');
    if (doInstall) sizes = args.slice(1, k < 0 ? undefined : k).map(Number).filter((x) => x > 0);
    if (k >= 0 && args[k + 1]) idleSeconds = Number(args[k + 1]);
  }
  if (doInstall) {
    console.log('install: N IPv4 /32 routes via a gateway, proto 12, into a namespace\'s main table');
    for (const n of sizes) {
      const duts = (process.env.BENCH_DUTS ?? 'wren,bird').split(',');
      if (duts.includes('wren')) {
        const w = await wrenInstall(n);
        console.log(`  N=${n}  Wren  : ${w.seconds.toFixed(2)} s, ${Math.round(w.rate).toLocaleString('en')} routes/s to idle; all written and acknowledged after ${w.writtenS.toFixed(2)} s = ${Math.round(n / w.writtenS).toLocaleString('en')} routes/s (${w.batches} netlink batches, process RSS ${w.rssMb.toFixed(0)} MB; routes injected into the table in process)`);
      }
      if (process.env.WREN_ONLY || !duts.includes('bird')) continue;
      const b = await birdInstall(n);
      console.log(`  N=${n}  BIRD 2: ${b.seconds.toFixed(2)} s, ${Math.round(b.rate).toLocaleString('en')} routes/s (first route after ${b.toFirst.toFixed(2)} s: config + static import, not counted)`);
    }
  }
  if (doIdle) await idle(idleSeconds);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
