// In-process pipeline benchmark: N IPv4 prefixes arrive from one eBGP peer (decoded UPDATEs,
// the ipv4-1m table of bench/propagation.ts) and are re-advertised to another eBGP peer, down to encoded
// UPDATE messages (written to a null sink). Measures Wren's own route processing without
// sockets: Adj-RIB-In, import filter, table, best path, export rules, export filter,
// Adj-RIB-Out grouping and encoding. Run: node --import tsx bench/pipeline.ts [N]
// Profile: node --cpu-prof --import tsx bench/pipeline.ts 1000000 [--decode]
// Live memory of the tables: node --expose-gc --import tsx bench/pipeline.ts 1000000

import { parseConfigText } from '../conf/index.js';
import type { BgpProtocolConfig } from '../conf/model.js';
import { RoutingTable } from '../src/rib/table.js';
import { BgpProtocol } from '../src/bgp/protocol.js';
import { Listener } from '../src/bgp/listener.js';
import { nullLogger } from '../src/log.js';
import { NextHopResolver } from '../src/rib/nexthop.js';
import { InterfaceTable } from '../src/fib/interfaces.js';
import { LinkFlag } from '../src/fib/netlink/link.js';
import { DEFAULT_CODEC_CONTEXT, decodeUpdate, type UpdateMessage } from '../src/bgp/codec/index.js';
import { Afi, IPV4_UNICAST } from '../src/rib/prefix.js';
import { attrSets } from '../src/rib/attr-set.js';
import { encodeTable, generateTable } from './harness/table.js';
import type { Negotiated } from '../src/bgp/negotiate.js';

const N = Number(process.argv[2] ?? 1_000_000);
// --decode: decode each UPDATE inside the measured loop, as a session does (its garbage and
// time included), instead of all of them beforehand.
const decodeInLoop = process.argv.includes('--decode');
const cfg = parseConfigText(`
router id 192.0.2.1;
template bgp t { local as 65000; import all; export all; }
protocol bgp tester from t { neighbor 198.18.0.2 as 65001; }
protocol bgp monitor from t { neighbor 198.18.1.2 as 65002; source address 198.18.1.1; }
`, 'bench.conf', { dialect: 'ipv4' });
const table = new RoutingTable();
// The interfaces of the benchmark lab (bench/harness/lab.ts): a veth to each peer. The
// daemon runs a device protocol, so received routes take its tableView path (gateway and
// interface filled in) here as well.
const ifs = new InterfaceTable();
const up1 = LinkFlag.IFF_UP | LinkFlag.IFF_RUNNING | LinkFlag.IFF_LOWER_UP;
ifs.reconcile(
  [{ index: 2, type: 1, flags: up1, name: 'veth-t' }, { index: 3, type: 1, flags: up1, name: 'veth-m' }],
  [
    { afi: Afi.IPV4, prefixLen: 24, flags: 0, scope: 0, index: 2, address: new Uint8Array([198, 18, 0, 1]), local: new Uint8Array([198, 18, 0, 1]) },
    { afi: Afi.IPV4, prefixLen: 24, flags: 0, scope: 0, index: 3, address: new Uint8Array([198, 18, 1, 1]), local: new Uint8Array([198, 18, 1, 1]) },
  ],
);
const ctx = { table, log: nullLogger, routerId: 0xc0000201, recovering: false, resolver: new NextHopResolver(table), interfaces: () => ifs };
const listener = new Listener({ port: 0 });
const [tester, monitor] = cfg.protocols.map((p) => new BgpProtocol(p as BgpProtocolConfig, ctx, listener)) as [BgpProtocol, BgpProtocol];

let bytesOut = 0, msgsOut = 0;
(monitor.session as unknown as { send(b: Buffer, count?: number): boolean }).send = (b: Buffer, count = 1) => {
  bytesOut += b.length;
  msgsOut += count;
  return true;
};
function up(p: BgpProtocol, id: number) {
  const c = p.config;
  const n = {
    peerAs: c.neighborAs, peerBgpId: id, ebgp: true, holdTime: 90, keepaliveTime: 30, as4: true,
    families: new Set([IPV4_UNICAST]), addPathRx: new Set(), addPathTx: new Set(), routeRefresh: true, enhancedRouteRefresh: false,
    extendedMessage: false, maxMessageLength: 4096, extendedNextHop: new Set(), gracefulRestart: null, llgr: null,
    peerRole: null, peerHostname: null, peerDomain: null, peerCapabilities: [],
    codec: { ...DEFAULT_CODEC_CONTEXT, as4: true, ebgp: true },
  } as unknown as Negotiated;
  (p as unknown as { onEstablished(n: Negotiated): void }).onEstablished(n);
}
up(tester, 2);
up(monitor, 3);

// The table of bench/propagation.ts's ipv4-1m scenario (bench/harness/table.ts: realistic
// prefix lengths, count/6 attribute sets, count/20 AS paths), packed into 4096-byte UPDATEs
// and decoded by the session's own decoder, so the Adj-RIB-In holds what a real session
// would (its NLRI objects, one received attribute set per UPDATE group).
const synthetic = generateTable({ afi: Afi.IPV4, count: N, seed: 1, firstAs: 65001 });
const encoded = encodeTable(synthetic, { global: new Uint8Array([198, 18, 0, 2]) });
const rxCtx = { ...DEFAULT_CODEC_CONTEXT, as4: true, ebgp: true };
const updates: UpdateMessage[] = decodeInLoop ? [] : encoded.messages.map((m) => decodeUpdate(m, rxCtx));

const onUpdate = (tester as unknown as { onUpdate(u: UpdateMessage): void }).onUpdate.bind(tester);
// The monitor exports through its update group (src/bgp/update-group.ts), which drains to it.
const group = (monitor as unknown as { group: { drain(): void; out: { pending: number; byteLength: number } } }).group;
const drain = () => group.drain();
// WREN_ALLOC_PROFILE=<file>: a sampling allocation profile of the measured part, collected
// objects included (what the garbage collector had to deal with, by allocation site).
// WREN_ALLOC_PROFILE_OLD=1 leaves out the objects scavenges collected: then the profile
// holds what is live plus what reached the old generation and died there (promoted or
// pretenured garbage, which waits for a major GC and counts in the peak RSS).
const allocProfile = process.env.WREN_ALLOC_PROFILE;
const inspector = allocProfile ? new (await import('node:inspector')).Session() : undefined;
const post = (method: string, params?: object) =>
  new Promise<unknown>((res, rej) => inspector!.post(method, params ?? {}, (e, r) => (e ? rej(e) : res(r))));
if (inspector) {
  inspector.connect();
  await post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: process.env.WREN_ALLOC_PROFILE_OLD !== '1' });
}
const c0 = process.cpuUsage();
const t0 = performance.now();
if (decodeInLoop) for (const m of encoded.messages) onUpdate(decodeUpdate(m, rxCtx));
else for (const u of updates) onUpdate(u);
const t1 = performance.now();
const out = group.out;
while (out.pending > 0) drain();
const t2 = performance.now();
const cpu = process.cpuUsage(c0);
if (inspector) {
  const r = (await post('HeapProfiler.stopSampling')) as { profile: unknown };
  (await import('node:fs')).writeFileSync(allocProfile!, JSON.stringify(r.profile));
}
const mem = process.memoryUsage();
console.log(`prefixes ${N}  updates ${encoded.messages.length}${decodeInLoop ? ' (decoded in the loop)' : ''}`);
console.log(`import+table+export decision: ${(t1 - t0).toFixed(0)} ms  (${(N / (t1 - t0) * 1000 / 1e6).toFixed(2)} M prefixes/s)`);
console.log(`encode to monitor:            ${(t2 - t1).toFixed(0)} ms  (${(N / (t2 - t1) * 1000 / 1e6).toFixed(2)} M prefixes/s), ${msgsOut} messages, ${(bytesOut / 2 ** 20).toFixed(1)} MiB`);
console.log(`total: ${(t2 - t0).toFixed(0)} ms, CPU ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms; heap ${(mem.heapUsed / 2 ** 20).toFixed(0)} MiB, rss ${(mem.rss / 2 ** 20).toFixed(0)} MiB`);
while (table.orderSome(1 << 20) > 0); // the cursor walks settled prefixes only
const first = table.cursor(Afi.IPV4).next(1)[0]?.value.best?.attrs;
console.log(`table: ${JSON.stringify(table.stats())}, first route via ${first?.ifname ?? '(no interface)'}`);
// With --expose-gc: what the tables hold once the input is dropped (live heap and typed arrays).
const gc = (globalThis as { gc?: () => void }).gc;
if (gc !== undefined) {
  updates.length = 0;
  gc();
  const m = process.memoryUsage();
  console.log(`live after a full GC, input dropped: heap ${(m.heapUsed / 2 ** 20).toFixed(0)} MiB, array buffers ${(m.arrayBuffers / 2 ** 20).toFixed(0)} MiB`);
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
  const sets = attrSets.stats();
  console.log(`  typed storage: table (tries + columns) ${mib(table.byteLength)}, tester's Adj-RIB-In (own entries) ${mib(tester.ribStorage.adjRibIn)}, monitor's Adj-RIB-Out ${mib(group.out.byteLength)}; attribute sets ${sets.count} (estimated ${mib(sets.bytes)})`);
  if (process.env.WREN_HEAP_SNAPSHOT) console.log(`heap snapshot: ${(await import('node:v8')).writeHeapSnapshot(process.env.WREN_HEAP_SNAPSHOT)}`);
}
process.exit(0);
