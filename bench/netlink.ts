// Netlink FIB benchmark (run by hand, as root; not a test): in a scratch network namespace
// (wren-nl-<pid>-<n>, deleted at the end) with a veth d0 198.18.0.1/24, install N IPv4 /32
// routes via 198.18.0.2 with Wren's batch writer (src/fib/netlink/batch.ts over
// src/fib/netlink/socket.ts), dump them back and count them (decode every route, keep none),
// then delete them; the same add/delete with `ip -batch`, and `ip route show` for the dump,
// in the same run. Prints the median of RUNS runs of each, and the largest event-loop delay
// seen while the writer drained its queue (after the synchronous enqueue loop).
// The /32s come from 10.0.0.0/8 because 1M distinct /32s do not fit in 198.18.0.0/15; they
// exist only inside the isolated namespace and no packet is sent anywhere.
// Run: node --import tsx bench/netlink.ts [N ...]   (default: 100000 1000000)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Client, Namespace } from '../test/fib/netlink/netns.js';
import { AddressFamily, RouteOp, RouteProtocol, buildRouteDump, decodeRoute, type RouteInput } from '../src/fib/netlink/route.js';
import { Afi, parseAddress } from '../src/rib/prefix.js';

const RUNS = 3;
const sizes = process.argv.slice(2).map(Number).filter((n) => n > 0);
if (!sizes.length) sizes.push(100_000, 1_000_000);

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

const gw = parseAddress('198.18.0.2');
function routes(n: number): RouteInput[] {
  const out: RouteInput[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const v = 0x0a000000 + 1 + i;
    out[i] = { dst: { afi: Afi.IPV4, len: 32, addr: Uint8Array.of(v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255) }, gateway: gw };
  }
  return out;
}

function ipText(rs: readonly RouteInput[], verb: string): string {
  const lines: string[] = new Array(rs.length);
  for (let i = 0; i < rs.length; i++) {
    const a = rs[i]!.dst.addr;
    lines[i] = `route ${verb} ${a[0]}.${a[1]}.${a[2]}.${a[3]}/32${verb === 'add' ? ' via 198.18.0.2' : ''} proto bird`;
  }
  return lines.join('\n') + '\n';
}

async function main(): Promise<void> {
  const ns = new Namespace();
  const dir = mkdtempSync(join(tmpdir(), 'wren-bench-nl-'));
  const client = (() => {
    ns.ip('link', 'add', 'd0', 'type', 'veth', 'peer', 'name', 'd1');
    ns.ip('addr', 'add', '198.18.0.1/24', 'dev', 'd0');
    ns.ip('link', 'set', 'd0', 'up');
    ns.ip('link', 'set', 'd1', 'up');
    return new Client(ns);
  })();
  const countBird = async (): Promise<{ count: number; ms: number }> => {
    let count = 0;
    const t0 = process.hrtime.bigint();
    const r = await client.dump(
      (seq) => buildRouteDump(seq, AddressFamily.AF_INET),
      (m) => {
        const x = decodeRoute(m);
        if (x && x.protocol === RouteProtocol.RTPROT_BIRD && x.table === 254) count++;
        return undefined;
      },
    );
    if (r.interrupted) throw new Error('dump interrupted');
    return { count, ms: ms(t0) };
  };
  const ipCount = (): number => {
    const r = spawnSync('ip', ['-n', ns.name, '-4', 'route', 'show', 'proto', 'bird'], { encoding: 'utf8', maxBuffer: 1 << 30 });
    return r.stdout.split('\n').filter(Boolean).length;
  };

  console.log(`netlink FIB benchmark: ${process.version}, kernel ${spawnSync('uname', ['-r'], { encoding: 'utf8' }).stdout.trim()}, median of ${RUNS}`);
  try {
    for (const n of sizes) {
      const rs = routes(n);
      const add: number[] = [];
      const del: number[] = [];
      const dump: number[] = [];
      const lag: number[] = [];
      let batches = 0;
      for (let run = 0; run < RUNS; run++) {
        const w = client.writer;
        const b0 = w.stats.batches;
        const h = monitorEventLoopDelay({ resolution: 5 });
        let t0 = process.hrtime.bigint();
        for (const r of rs) w.enqueue(RouteOp.ADD, r);
        h.enable(); // the caller's enqueue loop above is not the writer's doing
        let res = await w.flush();
        add.push(ms(t0));
        h.disable();
        lag.push(h.max / 1e6);
        batches = w.stats.batches - b0;
        if (res.failures.length) throw new Error(`add: ${res.failures.length} failures, first ${res.failures[0]!.error.code}`);
        const c = await countBird();
        if (c.count !== n) throw new Error(`dump counted ${c.count}, expected ${n}`);
        dump.push(c.ms);
        t0 = process.hrtime.bigint();
        for (const r of rs) w.enqueue(RouteOp.DELETE, r);
        res = await w.flush();
        del.push(ms(t0));
        if (res.failures.length) throw new Error(`delete: ${res.failures.length} failures`);
      }
      if (ipCount() !== 0) throw new Error('routes left after delete');

      const addFile = join(dir, 'add.txt');
      const delFile = join(dir, 'del.txt');
      writeFileSync(addFile, ipText(rs, 'add'));
      writeFileSync(delFile, ipText(rs, 'del'));
      const ipAdd: number[] = [];
      const ipDel: number[] = [];
      const ipShow: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        let t0 = process.hrtime.bigint();
        let r = spawnSync('ip', ['-n', ns.name, '-batch', addFile], { encoding: 'utf8' });
        ipAdd.push(ms(t0));
        if (r.status !== 0) throw new Error(`ip -batch add: ${r.stderr}`);
        t0 = process.hrtime.bigint();
        const shown = ipCount();
        ipShow.push(ms(t0));
        if (shown !== n) throw new Error(`ip route show counted ${shown}`);
        t0 = process.hrtime.bigint();
        r = spawnSync('ip', ['-n', ns.name, '-batch', delFile], { encoding: 'utf8' });
        ipDel.push(ms(t0));
        if (r.status !== 0) throw new Error(`ip -batch del: ${r.stderr}`);
      }

      const rate = (t: number[]): string => `${fmt((n / median(t)) * 1000)} routes/s`;
      console.log(`\n${fmt(n)} /32 routes via a gateway on a veth (${batches} datagrams per pass, ${fmt(n / batches)} routes each)`);
      console.log(`  wren add     ${median(add).toFixed(0).padStart(7)} ms  ${rate(add)}   [${add.map((x) => x.toFixed(0)).join(', ')}]  max event-loop delay ${median(lag).toFixed(1)} ms`);
      console.log(`  wren dump    ${median(dump).toFixed(0).padStart(7)} ms  ${rate(dump)}   [${dump.map((x) => x.toFixed(0)).join(', ')}]  (decode all, count proto 12)`);
      console.log(`  wren delete  ${median(del).toFixed(0).padStart(7)} ms  ${rate(del)}   [${del.map((x) => x.toFixed(0)).join(', ')}]`);
      console.log(`  ip -batch add ${median(ipAdd).toFixed(0).padStart(6)} ms  ${rate(ipAdd)}   [${ipAdd.map((x) => x.toFixed(0)).join(', ')}]`);
      console.log(`  ip route show ${median(ipShow).toFixed(0).padStart(6)} ms  ${rate(ipShow)}   [${ipShow.map((x) => x.toFixed(0)).join(', ')}]  (text to a pipe, line count)`);
      console.log(`  ip -batch del ${median(ipDel).toFixed(0).padStart(6)} ms  ${rate(ipDel)}   [${ipDel.map((x) => x.toFixed(0)).join(', ')}]`);
      console.log(`  add speed-up over ip -batch: ${(median(ipAdd) / median(add)).toFixed(2)}x; rss ${fmt(process.memoryUsage().rss / 1e6)} MB`);
    }
  } finally {
    client.close();
    ns.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
