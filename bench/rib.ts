// Microbenchmark of the routing-table core (src/rib): the prefix trie at 1M IPv4 prefixes
// with a DFZ-like length distribution (insert, exact lookup, longest match, full walk,
// cursor walk, delete all, and the deferred ordering: settle), a smaller IPv6 run, and attribute interning (1M references
// over ~50k distinct sets, then unref all). Deterministic inputs (a seeded PRNG); every
// figure is the median of 3 runs. Heap is `heapUsed + arrayBuffers` after a forced GC with
// the structure alive, minus the baseline with only the inputs alive.
//
// Run: node --expose-gc --import tsx bench/rib.ts [--n 1000000] [--v6 200000] [--sets 50000] [--runs 3]
// Leaves out: comparisons with BIRD (the daemon-level bench does those).

import { PrefixTrie } from '../src/rib/trie.js';
import { AttrSetTable, type RouteAttributes } from '../src/rib/attr-set.js';
import { Afi, type Prefix } from '../src/rib/prefix.js';
import { AsPathSegmentType, Origin } from '../src/bgp/codec/types.js';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg('n', 1_000_000);
const N6 = arg('v6', 200_000);
const SETS = arg('sets', 50_000);
const RUNS = arg('runs', 3);

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) console.warn('warning: run with --expose-gc for meaningful heap figures');
const heap = (): number => {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers; // typed-array storage lives outside the JS heap
};

/** mulberry32: small, fast, deterministic. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Roughly the IPv4 DFZ: /24 ~60%, /22 ~11%, /23 ~10%, /21 ~5%, /20 ~4%, /16–/19 ~7%, rest ~3%.
const V4_LENGTHS: [number, number][] = [
  [24, 60], [22, 11], [23, 10], [21, 5], [20, 4], [19, 2.5], [18, 1.5], [17, 1], [16, 2], [12, 0.5], [14, 0.5], [15, 0.5], [13, 0.3], [8, 0.05], [25, 0.3], [28, 0.3], [32, 0.35],
];

function pickLen(r: () => number, table: [number, number][]): number {
  const total = table.reduce((s, [, w]) => s + w, 0);
  let x = r() * total;
  for (const [len, w] of table) if ((x -= w) < 0) return len;
  return table[0]![0];
}

function genV4(n: number, seed: number): Prefix[] {
  const r = rng(seed);
  const seen = new Set<number>();
  const out: Prefix[] = [];
  while (out.length < n) {
    const len = pickLen(r, V4_LENGTHS);
    // Unicast-looking space 1.0.0.0–223.255.255.255.
    let a = (Math.floor(r() * 223) + 1) * 0x1000000 + Math.floor(r() * 0x1000000);
    a = len === 0 ? 0 : a - (a % 2 ** (32 - len));
    const k = a * 64 + len;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push({ afi: Afi.IPV4, len, addr: Uint8Array.of(a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255) });
  }
  return out;
}

function genV6(n: number, seed: number): Prefix[] {
  const r = rng(seed);
  const seen = new Set<string>();
  const out: Prefix[] = [];
  const lens: [number, number][] = [[48, 45], [32, 12], [44, 8], [40, 7], [36, 5], [29, 4], [47, 3], [46, 3], [64, 5], [56, 4], [128, 4]];
  while (out.length < n) {
    const len = pickLen(r, lens);
    const addr = new Uint8Array(16);
    addr[0] = 0x20;
    addr[1] = 0x01 + Math.floor(r() * 0x0f);
    for (let i = 2; i < 16; i++) addr[i] = Math.floor(r() * 256);
    for (let i = 0; i < 16; i++) {
      const bits = len - i * 8;
      if (bits < 8) addr[i] = bits <= 0 ? 0 : addr[i]! & (0xff << (8 - bits));
    }
    const k = `${Buffer.from(addr).toString('hex')}/${len}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push({ afi: Afi.IPV6, len, addr });
  }
  return out;
}

function shuffled<T>(a: T[], seed: number): T[] {
  const r = rng(seed);
  const b = a.slice();
  for (let i = b.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [b[i], b[j]] = [b[j]!, b[i]!];
  }
  return b;
}

/** Addresses to look up: 80% inside a random table prefix (random host bits), 20% anywhere. */
function lookupAddrs(prefixes: Prefix[], n: number, seed: number): Uint8Array[] {
  const r = rng(seed);
  const out: Uint8Array[] = [];
  const bytes = prefixes[0]!.addr.length;
  for (let i = 0; i < n; i++) {
    const a = new Uint8Array(bytes);
    for (let j = 0; j < bytes; j++) a[j] = Math.floor(r() * 256);
    if (r() < 0.8) {
      const p = prefixes[Math.floor(r() * prefixes.length)]!;
      for (let bit = 0; bit < p.len; bit++) {
        const byte = bit >> 3, m = 0x80 >> (bit & 7);
        a[byte] = (a[byte]! & ~m) | (p.addr[byte]! & m);
      }
    }
    out.push(a);
  }
  return out;
}

const median = (xs: number[]): number => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const results = new Map<string, number[]>();
const record = (name: string, v: number) => {
  const l = results.get(name) ?? [];
  l.push(v);
  results.set(name, l);
};

function timeOps(name: string, ops: number, fn: () => void): void {
  const t0 = process.hrtime.bigint();
  fn();
  const ns = Number(process.hrtime.bigint() - t0);
  record(`${name} (ops/s)`, (ops * 1e9) / ns);
}

let sink = 0;

function trieRun(label: string, afi: Afi, prefixes: Prefix[], order: Prefix[], addrs: Uint8Array[]): void {
  const base = heap();
  const t = new PrefixTrie<number>(afi);
  timeOps(`${label} insert`, prefixes.length, () => {
    for (let i = 0; i < prefixes.length; i++) t.set(prefixes[i]!, i);
  });
  record(`${label} heap (MB)`, (heap() - base) / 2 ** 20);
  // Ordering the load for walks (deferred until one is needed, or the table is idle).
  timeOps(`${label} settle`, prefixes.length, () => {
    t.settleSome(Infinity);
  });
  record(`${label} heap ordered (MB)`, (heap() - base) / 2 ** 20);
  record(`${label} nodes`, t.nodeCount);
  timeOps(`${label} exact get`, order.length, () => {
    let s = 0;
    for (let i = 0; i < order.length; i++) s += t.get(order[i]!)!;
    sink += s;
  });
  timeOps(`${label} longest match`, addrs.length, () => {
    let s = 0;
    for (let i = 0; i < addrs.length; i++) if (t.longestMatch(addrs[i]!) !== undefined) s++;
    sink += s;
  });
  timeOps(`${label} walk`, prefixes.length, () => {
    let s = 0;
    t.walk(() => s++);
    if (s !== prefixes.length) throw new Error('walk count');
  });
  timeOps(`${label} cursor next(1000)`, prefixes.length, () => {
    const c = t.cursor();
    let s = 0;
    for (;;) {
      const b = c.next(1000);
      s += b.length;
      if (b.length < 1000) break;
    }
    if (s !== prefixes.length) throw new Error('cursor count');
  });
  timeOps(`${label} delete all`, order.length, () => {
    for (let i = 0; i < order.length; i++) t.delete(order[i]!);
  });
  timeOps(`${label} settle after delete`, order.length, () => {
    t.settleSome(Infinity);
  });
  if (t.size !== 0) throw new Error('delete all');
}

/** The attribute sets of a mid-size network: ~SETS distinct paths/communities/MEDs. */
function attrInputs(distinct: number, copies: number, seed: number): RouteAttributes[] {
  const r = rng(seed);
  const protos: { asPath: number[]; med: number; comms: number[]; nh: number }[] = [];
  for (let i = 0; i < distinct; i++) {
    const len = 1 + Math.floor(r() * 6);
    const asPath = [65000 + (i % 40)];
    for (let j = 1; j < len; j++) asPath.push(1 + Math.floor(r() * 64000));
    asPath.push(i); // makes each distinct
    protos.push({ asPath, med: Math.floor(r() * 3) * 10, comms: r() < 0.5 ? [0xfde80000 + (i % 7)] : [], nh: i % 16 });
  }
  // `copies` fresh objects per distinct set: interning never sees the same input object twice in a row.
  const out: RouteAttributes[] = [];
  for (let c = 0; c < copies; c++)
    for (const p of protos)
      out.push({
        origin: Origin.IGP,
        asPath: [{ type: AsPathSegmentType.AS_SEQUENCE, asns: p.asPath.slice() }],
        nextHop: Uint8Array.of(192, 0, 2, 1 + p.nh),
        med: p.med,
        localPref: 100,
        communities: p.comms.slice(),
      });
  return shuffled(out, seed + 1);
}

function internRun(inputs: RouteAttributes[], total: number): void {
  const base = heap();
  const t = new AttrSetTable();
  const held = new Array<ReturnType<AttrSetTable['intern']>>(total);
  timeOps(`intern ${total} refs`, total, () => {
    for (let i = 0; i < total; i++) held[i] = t.intern(inputs[i % inputs.length]!);
  });
  const st = t.stats();
  record('intern live sets', st.count);
  record('intern stats() bytes (MB)', st.bytes / 2 ** 20);
  record('intern heap incl. 1M-slot holder (MB)', (heap() - base) / 2 ** 20);
  timeOps(`unref ${total} refs`, total, () => {
    for (let i = 0; i < total; i++) t.unref(held[i]!);
  });
  if (t.size !== 0) throw new Error('unref all');
}

const v4 = genV4(N, 1);
const v4order = shuffled(v4, 2);
const v4addrs = lookupAddrs(v4, N, 3);
const v6 = N6 > 0 ? genV6(N6, 4) : [];
const v6order = shuffled(v6, 5);
const v6addrs = N6 > 0 ? lookupAddrs(v6, N6, 6) : [];
const inputs = attrInputs(SETS, 2, 7);

for (let run = 0; run < RUNS; run++) {
  trieRun(`IPv4 ${N}`, Afi.IPV4, v4, v4order, v4addrs);
  if (N6 > 0) trieRun(`IPv6 ${N6}`, Afi.IPV6, v6, v6order, v6addrs);
  internRun(inputs, 1_000_000);
}

console.log(`node ${process.version}, median of ${RUNS} runs`);
for (const [name, xs] of results) {
  const m = median(xs);
  console.log(`${name.padEnd(44)} ${m >= 1000 ? Math.round(m).toLocaleString('en-US') : m.toFixed(1)}`);
}
if (sink === 0.5) console.log(sink);
