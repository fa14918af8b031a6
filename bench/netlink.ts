// Netlink FIB benchmark (run by hand, as root; not a test): in a scratch network namespace
// (wren-nl-<pid>-<n>, deleted at the end) with a veth d0 198.18.0.1/24, install N IPv4 /32
// routes via 198.18.0.2 with Wren's batch writer (src/fib/netlink/batch.ts over
// src/fib/netlink/socket.ts), dump them back and count them (decode every route, keep none),
// then delete them; the same add/delete with `ip -batch`, and `ip route show` for the dump,
// in the same run. Prints the median of RUNS runs of each, and the largest event-loop delay
// seen while the writer drained its queue (after the synchronous enqueue loop). Besides wall
// time it prints CPU time (user + system, i.e. JS + kernel work done inside sendmsg; for
// `ip` via /usr/bin/time), which is less distorted when other work shares the machine.
// The ceiling, in the same run: native/bench/nl-ceiling.c (compiled here with cc), an ideal
// single-threaded C writer of the same routes (128 KiB datagrams, ACK on the last message,
// 8 in flight), run in the namespace; its add/delete times are the kernel's own cost.
// Wren's writer is measured twice: sendmsg on the JS thread, and through the addon's sender
// thread (socket.ts sendQueued, what the kernel protocol uses).
// The /32s come from 10.0.0.0/8 because 1M distinct /32s do not fit in 198.18.0.0/15; they
// exist only inside the isolated namespace and no packet is sent anywhere.
// Run: node --import tsx bench/netlink.ts [N ...]   (default: 100000 1000000)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
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

/** Runs a command under /usr/bin/time; returns wall ms and user+sys CPU ms. */
function timed(argv: string[]): { wall: number; cpu: number } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', 'CPU %U %S', ...argv], { encoding: 'utf8', maxBuffer: 1 << 30 });
  const wall = ms(t0);
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
  const m = /CPU ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
  return { wall, cpu: m ? (Number(m[1]) + Number(m[2])) * 1000 : NaN };
}

const cpuMs = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1000;

async function main(): Promise<void> {
  const ns = new Namespace();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      ns.destroy();
      process.exit(130);
    });
  }
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
      const addCpu: number[] = [];
      const delCpu: number[] = [];
      let batches = 0;
      const cAdd: number[] = [];
      const cDel: number[] = [];
      const qAdd: number[] = [];
      const qAddCpu: number[] = [];
      const ceiling = join(dir, 'nl-ceiling');
      const cc = spawnSync('cc', ['-O2', '-o', ceiling, new URL('../native/bench/nl-ceiling.c', import.meta.url).pathname], { encoding: 'utf8' });
      for (let run = 0; run < RUNS && cc.status === 0; run++) {
        const r = spawnSync('ip', ['netns', 'exec', ns.name, ceiling, String(n)], { encoding: 'utf8' });
        const a = /add ([\d.]+) (\d+)/.exec(r.stdout), d = /del ([\d.]+) (\d+)/.exec(r.stdout);
        if (!a || !d || a[2] !== '0' || d[2] !== '0') throw new Error(`nl-ceiling: ${r.stdout} ${r.stderr}`);
        cAdd.push(Number(a[1]));
        cDel.push(Number(d[1]));
      }
      // Wren's writer through the sender thread.
      {
        const q = new Client(ns);
        const sock = q.socket;
        const threaded = sock.startSendThread();
        if (threaded) {
          const { RouteBatchWriter } = await import('../src/fib/netlink/batch.js');
          const { makeSeq } = await import('../src/fib/netlink/message.js');
          const qw = new RouteBatchWriter({ send: (b) => sock.send(b), queueSend: (b, id) => sock.sendQueued(b, id), nextSeq: makeSeq(0x51000000), maxBatchBytes: 128 << 10, maxInFlight: 8 });
          sock.on('message', (d: Buffer) => qw.receive(d));
          sock.on('sendError', (id: number, e: Error & { code?: string }) => qw.sendFailed(id, e.code ?? 'ESEND', e.message));
          for (let run = 0; run < RUNS; run++) {
            const c0 = process.cpuUsage();
            const t0 = process.hrtime.bigint();
            for (const r of rs) qw.enqueue(RouteOp.ADD, r);
            let res = await qw.flush();
            qAdd.push(ms(t0));
            qAddCpu.push(cpuMs(process.cpuUsage(c0)));
            if (res.failures.length) throw new Error(`queued add: ${res.failures.length} failures, first ${res.failures[0]!.error.code}`);
            for (const r of rs) qw.enqueue(RouteOp.DELETE, r);
            res = await qw.flush();
            if (res.failures.length) throw new Error(`queued delete: ${res.failures.length} failures`);
          }
        }
        q.close();
      }
      for (let run = 0; run < RUNS; run++) {
        const w = client.writer;
        const b0 = w.stats.batches;
        const h = monitorEventLoopDelay({ resolution: 5 });
        let c0 = process.cpuUsage();
        let t0 = process.hrtime.bigint();
        for (const r of rs) w.enqueue(RouteOp.ADD, r);
        h.enable(); // the caller's enqueue loop above is not the writer's doing
        let res = await w.flush();
        add.push(ms(t0));
        addCpu.push(cpuMs(process.cpuUsage(c0)));
        h.disable();
        lag.push(h.max / 1e6);
        batches = w.stats.batches - b0;
        if (res.failures.length) throw new Error(`add: ${res.failures.length} failures, first ${res.failures[0]!.error.code}`);
        const c = await countBird();
        if (c.count !== n) throw new Error(`dump counted ${c.count}, expected ${n}`);
        dump.push(c.ms);
        c0 = process.cpuUsage();
        t0 = process.hrtime.bigint();
        for (const r of rs) w.enqueue(RouteOp.DELETE, r);
        res = await w.flush();
        del.push(ms(t0));
        delCpu.push(cpuMs(process.cpuUsage(c0)));
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
      const ipAddCpu: number[] = [];
      const ipDelCpu: number[] = [];
      for (let run = 0; run < RUNS; run++) {
        let r = timed(['ip', '-n', ns.name, '-batch', addFile]);
        ipAdd.push(r.wall);
        ipAddCpu.push(r.cpu);
        const t0 = process.hrtime.bigint();
        const shown = ipCount();
        ipShow.push(ms(t0));
        if (shown !== n) throw new Error(`ip route show counted ${shown}`);
        r = timed(['ip', '-n', ns.name, '-batch', delFile]);
        ipDel.push(r.wall);
        ipDelCpu.push(r.cpu);
      }

      const rate = (t: number[]): string => `${fmt((n / median(t)) * 1000)}/s`.padStart(12);
      const row = (name: string, wall: number[], cpu?: number[], note = ''): void =>
        console.log(
          `  ${name.padEnd(14)} wall ${median(wall).toFixed(0).padStart(6)} ms ${rate(wall)}` +
            (cpu ? `   cpu ${median(cpu).toFixed(0).padStart(6)} ms ${rate(cpu)}` : ''.padEnd(32)) +
            `   runs [${wall.map((x) => x.toFixed(0)).join(', ')}]${note}`,
        );
      console.log(`\n${fmt(n)} /32 routes via a gateway on a veth (${batches} datagrams per pass, ${fmt(n / batches)} routes each)`);
      if (cAdd.length) row('C ideal add', cAdd, undefined, '  (native/bench/nl-ceiling.c: the kernel\'s cost)');
      if (cDel.length) row('C ideal del', cDel);
      if (qAdd.length) row('wren add, thrd', qAdd, qAddCpu, '  (sender thread; cpu = this process, both threads)');
      row('wren add', add, addCpu, `  max event-loop delay ${median(lag).toFixed(1)} ms`);
      row('wren dump', dump, undefined, '  (decode every route, count proto 12)');
      row('wren delete', del, delCpu);
      row('ip -batch add', ipAdd, ipAddCpu);
      row('ip route show', ipShow, undefined, '  (text to a pipe, count lines)');
      row('ip -batch del', ipDel, ipDelCpu);
      console.log(
        `  wren vs ip -batch, add: ${(median(ipAdd) / median(add)).toFixed(2)}x wall, ${(median(ipAddCpu) / median(addCpu)).toFixed(2)}x cpu; ` +
          `load average ${loadavg()[0]!.toFixed(1)}; rss ${fmt(process.memoryUsage().rss / 1e6)} MB`,
      );
    }
  } finally {
    client.close();
    ns.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
