// Codec throughput benchmark (run by hand: `npm run bench:codec`; not a test).
// Builds a deterministic synthetic table — 1M IPv4 prefixes with a realistic length mix
// (~60 % /24, ~35 % /16–/23, a few shorter) over ~50k distinct attribute sets (AS paths of
// 1–8 ASNs, communities on ~40 % of sets, large communities on some), and 200k IPv6 prefixes
// (/32–/64, mostly /48) over ~10k sets — packs each set's prefixes with packUpdates (one
// encodeAttributeBlock per set), then decodes every message with decodeMessage.
// Prints the median of 5 runs of each as prefixes/s.
import {
  type CodecContext, DEFAULT_CODEC_CONTEXT, type PathAttributes, type UpdateMessage, decodeMessage, encodeAttributeBlock,
  packUpdates,
} from '../src/bgp/codec/index.js';
import { Afi, type Nlri, maskHostBits } from '../src/rib/prefix.js';
import { rng } from '../test/bgp/codec/fuzz-lib.js';

const RUNS = 5;
const ctx: CodecContext = { ...DEFAULT_CODEC_CONTEXT, as4: true };

function attrSets(n: number, r: () => number, v6: boolean): PathAttributes[] {
  const out: PathAttributes[] = [];
  for (let i = 0; i < n; i++) {
    const len = 1 + Math.floor(r() * 8);
    const asns = Array.from({ length: len }, () => 1 + Math.floor(r() * 400_000));
    const a: { -readonly [K in keyof PathAttributes]: PathAttributes[K] } = {
      origin: r() < 0.9 ? 0 : 2,
      asPath: [{ type: 2, asns }],
      med: r() < 0.3 ? Math.floor(r() * 1000) : undefined,
      localPref: 100,
    };
    if (a.med === undefined) delete a.med;
    if (!v6) a.nextHop = Uint8Array.of(198, 18, (i >> 8) & 255, i & 255);
    if (r() < 0.4) a.communities = Array.from({ length: 1 + Math.floor(r() * 6) }, () => Math.floor(r() * 0xffffffff));
    if (r() < 0.1) a.largeCommunities = [{ global: asns[0]!, local1: 1, local2: Math.floor(r() * 1000) }];
    out.push(a);
  }
  return out;
}

function v4Length(r: () => number): number {
  const x = r();
  if (x < 0.6) return 24;
  if (x < 0.95) return 16 + Math.floor(r() * 8);
  return 8 + Math.floor(r() * 8);
}
function v6Length(r: () => number): number {
  const x = r();
  if (x < 0.5) return 48;
  if (x < 0.8) return 33 + Math.floor(r() * 15);
  return 49 + Math.floor(r() * 16);
}

interface Table {
  afi: Afi;
  groups: { block: Uint8Array; attrs: PathAttributes; nlri: Nlri[] }[];
  prefixes: number;
}

function buildTable(afi: Afi, prefixes: number, sets: number, seed: number): Table {
  const r = rng(seed);
  const attrs = attrSets(sets, r, afi === Afi.IPV6);
  const buckets: Nlri[][] = attrs.map(() => []);
  for (let i = 0; i < prefixes; i++) {
    const addr = new Uint8Array(afi === Afi.IPV4 ? 4 : 16);
    if (afi === Afi.IPV4) {
      addr[0] = 1 + Math.floor(r() * 222);
      addr[1] = Math.floor(r() * 256);
      addr[2] = Math.floor(r() * 256);
    } else {
      addr[0] = 0x20;
      addr[1] = 0x01 + Math.floor(r() * 4);
      for (let k = 2; k < 8; k++) addr[k] = Math.floor(r() * 256);
    }
    const len = afi === Afi.IPV4 ? v4Length(r) : v6Length(r);
    maskHostBits(addr, len);
    // Skewed: a few sets carry many prefixes, most carry a handful.
    const s = Math.floor(sets * Math.pow(r(), 2));
    buckets[s]!.push({ afi, len, addr, pathId: 0 });
  }
  return { afi, groups: attrs.map((a, i) => ({ block: new Uint8Array(0), attrs: a, nlri: buckets[i]! })), prefixes };
}

const nextHop6 = { global: Uint8Array.of(0xfd, 0, ...new Array(13).fill(0), 1), linkLocal: Uint8Array.of(0xfe, 0x80, ...new Array(13).fill(0), 1) };

function encodeAll(t: Table): Buffer[] {
  const out: Buffer[] = [];
  for (const g of t.groups) {
    if (g.nlri.length === 0) continue;
    const block = encodeAttributeBlock(g.attrs, ctx);
    const msgs = packUpdates(block, t.afi, t.afi === Afi.IPV6 ? nextHop6 : null, g.nlri, ctx);
    for (const m of msgs) out.push(m);
  }
  return out;
}

function decodeAll(msgs: Buffer[]): number {
  let n = 0;
  for (const m of msgs) {
    const u = decodeMessage(m, ctx) as UpdateMessage;
    n += u.nlri.length + (u.mpReach ? u.mpReach.nlri.length : 0);
  }
  return n;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

function bench(name: string, t: Table): string[] {
  const enc: number[] = [], dec: number[] = [];
  let msgs: Buffer[] = [];
  let bytes = 0;
  for (let run = 0; run < RUNS; run++) {
    let t0 = performance.now();
    msgs = encodeAll(t);
    enc.push(t.prefixes / ((performance.now() - t0) / 1000));
    t0 = performance.now();
    const n = decodeAll(msgs);
    dec.push(n / ((performance.now() - t0) / 1000));
    if (n !== t.prefixes) throw new Error(`decoded ${n} prefixes, expected ${t.prefixes}`);
  }
  for (const m of msgs) bytes += m.length;
  const fmt = (x: number) => `${(x / 1e6).toFixed(2)} M/s`;
  return [name, String(t.prefixes), String(msgs.length), `${(bytes / 1048576).toFixed(1)} MiB`, fmt(median(enc)), fmt(median(dec))];
}

const rows = [['table', 'prefixes', 'messages', 'bytes', 'encode (median of 5)', 'decode (median of 5)']];
let t0 = performance.now();
const v4 = buildTable(Afi.IPV4, 1_000_000, 50_000, 1);
const v6 = buildTable(Afi.IPV6, 200_000, 10_000, 2);
console.log(`built tables in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
t0 = performance.now();
rows.push(bench('IPv4 unicast', v4));
rows.push(bench('IPv6 unicast', v6));
const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
console.log(`node ${process.version}, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
