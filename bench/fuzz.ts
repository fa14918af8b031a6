// Long fuzz run of the BGP codec: ≥ 1,000,000 mutated messages (default; override with
// the first argument), decoded with random contexts. Prints the count, the outcome split and
// the time; exits 1 and prints the inputs if anything but a BgpError was thrown.
//   node --import tsx bench/fuzz.ts [iterations] [seed]
import { fuzz, seeds } from '../test/bgp/codec/fuzz-lib.js';

const iterations = Number(process.argv[2] ?? 1_000_000);
const seed = Number(process.argv[3] ?? Date.now() % 1e9);
const corpus = seeds(400, seed);
const t0 = performance.now();
const r = fuzz(iterations, seed, corpus);
const ms = performance.now() - t0;
console.log(`fuzz: ${r.count} mutations of ${corpus.length} seeds (seed ${seed}) in ${(ms / 1000).toFixed(1)} s ` +
  `(${Math.round(r.count / (ms / 1000))}/s): decoded ${r.decoded}, BgpError ${r.bgpErrors}, other ${r.failures.length}`);
for (const f of r.failures) console.log(`FAIL ${f.input}\n${f.error}\n`);
process.exit(r.failures.length ? 1 : 0);
