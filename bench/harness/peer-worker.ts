// A benchmark peer process, started by the orchestrator inside a network namespace with
// `ip netns exec <ns> node --import tsx bench/harness/peer-worker.ts <job.json>`. It speaks
// BGP through Wren's own Session (src/bgp/session.ts) and codec, and talks to the
// orchestrator in JSON lines (protocol.ts). Three roles:
//   tester      pre-encodes the synthetic table (table.ts), connects, and on `go` writes
//               every UPDATE as fast as the socket takes them (send() false → wait for
//               'drain'), then End-of-RIB (RFC 4724 §2); reports the first and last write.
//   monitor     connects, counts the distinct prefixes the DUT holds out to it
//               (counter.ts), reports `done` the moment the count reaches the target, with
//               the first-AS and sampled-attribute checks.
//   rr-clients  C iBGP clients in this one process, one Session per source address; on `go`
//               each announces its blocks (/26 each), `converged` when every client holds
//               every other client's blocks (ORIGINATOR_ID and CLUSTER_LIST checked,
//               RFC 4456 §8); on `withdraw` client 0 withdraws its blocks, `withdrawn` when
//               no other client holds any of them.
// Leaves out: listening (the DUT is configured passive; the workers dial), ADD-PATH send.

import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import {
  type CodecContext, type UpdateMessage, encodeAttributeBlock, packUpdates, packWithdrawals,
} from '../../src/bgp/codec/index.js';
import { Session, type SessionConfig } from '../../src/bgp/session.js';
import { AddPathMode } from '../../src/bgp/codec/types.js';
import { UpdateAction } from '../../src/bgp/errors.js';
import { Afi, IPV4_UNICAST, IPV6_UNICAST, type Nlri, parseAddress } from '../../src/rib/prefix.js';
import { PrefixCounter } from './counter.js';
import {
  type MonitorJob, type PeerEndpoint, type RrChecks, type RrClientsJob, type TesterJob, type WorkerCommand,
  type WorkerEvent, type WorkerJob, ipv4ToU32, monoMs,
} from './protocol.js';
import { RR_BASE, TESTER_CODEC, chunkMessages, encodeTable, generateTable, rrBlock, sampleIndices } from './table.js';

function emit(e: WorkerEvent): void {
  process.stdout.write(JSON.stringify(e) + '\n');
}

function fail(message: string): never {
  emit({ ev: 'error', message });
  process.exit(2);
}

const commandHandlers: ((c: WorkerCommand) => void)[] = [];
createInterface({ input: process.stdin }).on('line', (line) => {
  if (!line.trim()) return;
  const c = JSON.parse(line) as WorkerCommand;
  for (const h of commandHandlers) h(c);
});
// The orchestrator going away ends the worker.
process.stdin.on('end', () => process.exit(0));

function sessionConfig(name: string, p: PeerEndpoint, family: number, extra: Partial<SessionConfig> = {}): SessionConfig {
  return {
    name,
    localAs: p.localAs,
    peerAs: p.peerAs,
    routerId: ipv4ToU32(p.routerId),
    peerAddress: p.peerAddress,
    localAddress: p.localAddress,
    // TTL 64 even for eBGP: plain sockets, no native socket options needed.
    multihop: 64,
    holdTime: 240,
    connectRetryTime: 1,
    connectDelayTime: 0,
    errorWaitTime: [1, 2],
    families: [family],
    maxMessagesPerTurn: 256,
    ...extra,
  };
}

function watchDown(s: Session, name: string): void {
  s.on('down', (reason) => {
    emit({ ev: 'down', name, reason });
    emit({ ev: 'established', count: 0 });
  });
}

function sameCodec(a: CodecContext, b: CodecContext, family: number): boolean {
  return a.as4 === b.as4 && a.addPathTx.has(family) === b.addPathTx.has(family) && a.maxMessageLength >= b.maxMessageLength;
}

// ---- tester ----------------------------------------------------------------------------

function runTester(job: TesterJob): void {
  const t0 = monoMs();
  const table = generateTable(job.table);
  const nextHop = { global: parseAddress(job.nextHop) };
  let enc = encodeTable(table, nextHop);
  let chunks = chunkMessages(enc.messages);
  emit({ ev: 'encoded', messages: enc.messages.length, bytes: enc.bytes, prefixes: enc.prefixes, ms: monoMs() - t0 });
  const family = job.table.afi === Afi.IPV4 ? IPV4_UNICAST : IPV6_UNICAST;
  const s = new Session(sessionConfig('tester', job, family));
  watchDown(s, 'tester');
  s.on('established', (n) => {
    if (!sameCodec(n.codec, TESTER_CODEC, family)) {
      // Re-encode for what was negotiated (still before any timing starts).
      enc = encodeTable(table, nextHop, { ...n.codec, maxMessageLength: 4096 });
      chunks = chunkMessages(enc.messages);
    }
    emit({ ev: 'established', count: 1 });
  });
  let started = false;
  commandHandlers.push((c) => {
    if (c.cmd === 'go' && !started) {
      started = true;
      blast(s, chunks, enc.endOfRib, enc.messages.length);
    } else if (c.cmd === 'stop') {
      s.stop();
      setTimeout(() => process.exit(0), 300);
    }
  });
  s.start();
}

function blast(s: Session, messages: readonly Buffer[], endOfRib: Buffer, count: number): void {
  if (s.state !== 'Established') fail(`tester: session ${s.state} at go`);
  let i = 0;
  let first = 0;
  const pump = (): void => {
    while (i < messages.length) {
      if (i === 0) first = monoMs();
      const ok = s.send(messages[i++]!);
      if (!ok) {
        if (s.state !== 'Established') fail(`tester: session ${s.state} while sending`);
        return; // queued; continue on 'drain'
      }
    }
    s.off('drain', pump);
    s.send(endOfRib);
    emit({ ev: 'sent', t0: first, t1: monoMs(), messages: count });
  };
  s.on('drain', pump);
  pump();
}

// ---- monitor ---------------------------------------------------------------------------

function runMonitor(job: MonitorJob): void {
  const family = job.table.afi === Afi.IPV4 ? IPV4_UNICAST : IPV6_UNICAST;
  const table = generateTable(job.table);
  const addPath = job.addPath ? new Map([[family, AddPathMode.RECEIVE]]) : undefined;
  const s = new Session(sessionConfig('monitor', job, family, addPath ? { addPath } : {}));
  watchDown(s, 'monitor');
  let counter = new PrefixCounter(false, job.firstAs, job.prepend, job.target);
  const samples = sampleIndices(table.spec.count);
  counter.addSamples(table, samples);
  let done = false;
  s.on('established', (n) => {
    counter = new PrefixCounter(n.codec.addPathRx.has(family), job.firstAs, job.prepend, job.target);
    counter.addSamples(table, samples);
    emit({ ev: 'established', count: 1 });
  });
  let tFirst = 0;
  let cpu0 = process.cpuUsage();
  s.on('update', (u: UpdateMessage) => {
    if (tFirst === 0) {
      tFirst = monoMs();
      cpu0 = process.cpuUsage();
    }
    counter.update(u);
    if (!done && counter.size >= job.target) {
      done = true;
      const cpu = process.cpuUsage(cpu0);
      emit({ ev: 'done', t: monoMs(), tFirst, cpuS: (cpu.user + cpu.system) / 1e6, held: counter.size, checks: counter.checks });
    }
  });
  const timer = setInterval(() => emit({ ev: 'progress', held: counter.size }), 1000);
  commandHandlers.push((c) => {
    if (c.cmd === 'status') emit({ ev: 'status', held: counter.size, checks: counter.checks });
    else if (c.cmd === 'stop') {
      clearInterval(timer);
      s.stop();
      setTimeout(() => process.exit(0), 300);
    }
  });
  s.start();
}

// ---- route-reflector clients -------------------------------------------------------------

function runRrClients(job: RrClientsJob): void {
  const C = job.clients.length;
  const B = job.blocksPerClient;
  const want = (C - 1) * B;
  const clusterId = ipv4ToU32(job.clusterId);
  const ids = job.clients.map(ipv4ToU32);
  const checks: RrChecks = { announcements: 0, originatorBad: 0, clusterListBad: 0, ownReflected: 0, foreign: 0, examples: [] };
  const note = (t: string) => {
    if (checks.examples.length < 5) checks.examples.push(t);
  };
  const ctx: CodecContext = { ...TESTER_CODEC, ebgp: false };

  interface Client {
    readonly i: number;
    readonly s: Session;
    readonly held: Uint8Array;
    othersHeld: number;
    zeroHeld: number;
    announce: Buffer[];
    withdraw: Buffer[];
  }
  let established = 0;
  let complete = 0;
  let zeroHolders = 0;
  let phase: 'idle' | 'announce' | 'withdraw' | 'done' = 'idle';
  let tGo = 0, tWithdraw = 0;
  const clients: Client[] = [];

  for (let i = 0; i < C; i++) {
    const addr = job.clients[i]!;
    const s = new Session(sessionConfig(`c${i}`, {
      localAs: job.as, peerAs: job.as, routerId: addr, localAddress: addr, peerAddress: job.dutAddress,
    }, IPV4_UNICAST, { connectRetryTime: 2 }));
    const nlri: Nlri[] = [];
    for (let k = 0; k < B; k++) nlri.push(rrBlock(i * B + k));
    const block = encodeAttributeBlock({ origin: 0, asPath: [], localPref: 100 }, ctx);
    const c: Client = {
      i, s, held: new Uint8Array(C * B), othersHeld: 0, zeroHeld: 0,
      announce: packUpdates(block, Afi.IPV4, { global: parseAddress(addr) }, nlri, ctx),
      withdraw: packWithdrawals(Afi.IPV4, nlri, ctx),
    };
    clients.push(c);
    s.on('established', () => {
      established++;
      emit({ ev: 'established', count: established });
    });
    s.on('down', (reason) => {
      established--;
      emit({ ev: 'down', name: `c${i}`, reason });
      emit({ ev: 'established', count: established });
    });
    s.on('update', (u: UpdateMessage) => onUpdate(c, u));
  }

  function blockOf(n: Nlri): number {
    const a = n.addr;
    const v = (((a[0]! << 24) | (a[1]! << 16) | (a[2]! << 8) | a[3]!) >>> 0) - RR_BASE;
    if (n.len !== 26 || v < 0 || (v & 63) !== 0) return -1;
    const b = v / 64;
    return b < C * B ? b : -1;
  }

  function drop(c: Client, n: Nlri): void {
    const b = blockOf(n);
    if (b < 0 || !c.held[b]) return;
    c.held[b] = 0;
    const wasComplete = c.othersHeld === want;
    c.othersHeld--;
    if (wasComplete) complete--;
    if (Math.floor(b / B) === 0) {
      c.zeroHeld--;
      if (c.zeroHeld === 0 && c.i !== 0) {
        zeroHolders--;
        if (phase === 'withdraw' && zeroHolders === 0) {
          phase = 'done';
          emit({ ev: 'withdrawn', t0: tWithdraw, t: monoMs(), checks });
        }
      }
    }
  }

  function onUpdate(c: Client, u: UpdateMessage): void {
    for (const n of u.withdrawn) drop(c, n);
    if (u.nlri.length === 0) return;
    if (u.action === UpdateAction.TREAT_AS_WITHDRAW) {
      for (const n of u.nlri) drop(c, n);
      return;
    }
    const origin = u.attributes.originatorId;
    const cl = u.attributes.clusterList;
    for (const n of u.nlri) {
      const b = blockOf(n);
      if (b < 0) {
        checks.foreign++;
        continue;
      }
      const owner = Math.floor(b / B);
      if (owner === c.i) {
        checks.ownReflected++;
        continue;
      }
      checks.announcements++;
      if (origin !== ids[owner]) {
        checks.originatorBad++;
        note(`c${c.i}: block ${b} from c${owner} with ORIGINATOR_ID ${origin}`);
      }
      if (cl === undefined || !cl.includes(clusterId)) {
        checks.clusterListBad++;
        note(`c${c.i}: block ${b} CLUSTER_LIST ${cl?.join(',') ?? '(none)'}`);
      }
      if (c.held[b]) continue;
      c.held[b] = 1;
      c.othersHeld++;
      if (owner === 0) {
        if (c.zeroHeld === 0) zeroHolders++;
        c.zeroHeld++;
      }
      if (c.othersHeld === want) {
        complete++;
        if (phase === 'announce' && complete === C) {
          phase = 'idle';
          emit({ ev: 'converged', t0: tGo, t: monoMs(), checks });
        }
      }
    }
  }

  const timer = setInterval(() => emit({ ev: 'progress', held: complete }), 1000);
  commandHandlers.push((cmd) => {
    if (cmd.cmd === 'go') {
      if (established !== C) fail(`rr-clients: ${established} of ${C} established at go`);
      phase = 'announce';
      tGo = monoMs();
      for (const c of clients) for (const m of c.announce) c.s.send(m);
    } else if (cmd.cmd === 'withdraw') {
      phase = 'withdraw';
      tWithdraw = monoMs();
      for (const m of clients[0]!.withdraw) clients[0]!.s.send(m);
    } else if (cmd.cmd === 'status') {
      emit({ ev: 'status', held: complete, checks, complete });
    } else if (cmd.cmd === 'stop') {
      clearInterval(timer);
      for (const c of clients) c.s.stop();
      setTimeout(() => process.exit(0), 500);
    }
  });
  for (const c of clients) c.s.start();
}

// ---- main --------------------------------------------------------------------------------

const jobFile = process.argv[2];
if (jobFile === undefined) fail('usage: peer-worker.ts <job.json>');
const job = JSON.parse(readFileSync(jobFile, 'utf8')) as WorkerJob;
process.on('uncaughtException', (e) => fail(`uncaught: ${e.stack ?? String(e)}`));
switch (job.role) {
  case 'tester': runTester(job); break;
  case 'monitor': runMonitor(job); break;
  case 'rr-clients': runRrClients(job); break;
}
