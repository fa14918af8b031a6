// The codec fuzzer, shared by fuzz.test.ts (~20k mutations) and bench/fuzz.ts (≥ 1M):
// valid seed messages (fixtures and fast-check samples of every message type) are mutated
// (bit flips, byte changes, truncation, length-field edits, insertions, deletions, splices)
// and decoded with random contexts. Anything thrown that is not a BgpError is a bug; a
// decoded UPDATE must also re-encode without throwing anything but WrenError.
import fc from 'fast-check';
import { BgpError, WrenError } from '../../../src/bgp/errors.js';
import {
  type CodecContext, Framer, decodeMessage, encodeEndOfRib, encodeKeepalive, encodeNotification, encodeOpen,
  encodeRouteRefresh, encodeShutdownNotification, encodeUpdate,
} from '../../../src/bgp/codec/index.js';
import { IPV4_UNICAST, IPV6_UNICAST } from '../../../src/rib/prefix.js';
import { open, update } from './arbitraries.js';
import { fixture } from './hex.js';

/** mulberry32: small, fast, deterministic. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function seeds(count = 200, seed = 1): Buffer[] {
  const out: Buffer[] = ['open-bird2', 'open-frr', 'open-gobgp', 'update-ipv4', 'update-ipv6'].map(fixture);
  out.push(encodeKeepalive(), encodeNotification(1, 2, Uint8Array.of(0, 18)), encodeShutdownNotification(2, 'bye ✓'));
  out.push(encodeRouteRefresh(1, 1), encodeRouteRefresh(2, 1, 2), encodeEndOfRib(1, 1), encodeEndOfRib(2, 1));
  for (const o of fc.sample(open, { numRuns: count / 4, seed })) {
    const { type: _t, ...rest } = o;
    const b = encodeOpen(rest);
    if (b.length <= 4096) out.push(b);
  }
  for (const u of fc.sample(update, { numRuns: count, seed })) {
    const b = encodeUpdate(u, u.ctx);
    if (b.length <= 8192) out.push(b);
  }
  return out;
}

const sets = [new Set<number>(), new Set([IPV4_UNICAST]), new Set([IPV6_UNICAST]), new Set([IPV4_UNICAST, IPV6_UNICAST])];

export function randomContext(r: () => number): CodecContext {
  const pick = () => sets[Math.floor(r() * 4)]!;
  return {
    as4: r() < 0.5, addPathRx: pick(), addPathTx: pick(), maxMessageLength: r() < 0.5 ? 4096 : 65535,
    extendedNextHop: r() < 0.5 ? sets[0]! : sets[1]!, ebgp: r() < 0.5,
  };
}

export function mutate(src: Buffer, r: () => number): Buffer {
  let b = Buffer.from(src);
  const rounds = 1 + Math.floor(r() * 3);
  for (let k = 0; k < rounds; k++) {
    const pos = Math.floor(r() * b.length);
    switch (Math.floor(r() * 8)) {
      case 0: // bit flip
        b[pos] = b[pos]! ^ (1 << Math.floor(r() * 8));
        break;
      case 1: // byte change
        b[pos] = Math.floor(r() * 256);
        break;
      case 2: // interesting byte
        b[pos] = [0, 1, 0x7f, 0x80, 0xfe, 0xff, 32, 33, 128, 129][Math.floor(r() * 10)]!;
        break;
      case 3: // truncation (keep the header length field consistent half of the time)
        b = b.subarray(0, Math.max(19, pos));
        if (r() < 0.5) b.writeUInt16BE(b.length, 16);
        break;
      case 4: { // length-field edit inside the body (any 1- or 2-octet field)
        const p = 19 + Math.floor(r() * Math.max(1, b.length - 20));
        if (p + 1 < b.length) b.writeUInt16BE((b.readUInt16BE(p) + Math.floor(r() * 9) - 4) & 0xffff, p);
        break;
      }
      case 5: { // insertion
        const ins = Buffer.from(Array.from({ length: 1 + Math.floor(r() * 8) }, () => Math.floor(r() * 256)));
        b = Buffer.concat([b.subarray(0, pos), ins, b.subarray(pos)]);
        if (r() < 0.8) b.writeUInt16BE(Math.min(0xffff, b.length), 16);
        break;
      }
      case 6: { // deletion
        const n = 1 + Math.floor(r() * 8);
        b = Buffer.concat([b.subarray(0, Math.max(19, pos)), b.subarray(Math.max(19, pos) + n)]);
        if (r() < 0.8) b.writeUInt16BE(b.length, 16);
        break;
      }
      case 7: // header length edit
        b.writeUInt16BE((b.length + Math.floor(r() * 9) - 4) & 0xffff, 16);
        break;
    }
  }
  return b;
}

export interface FuzzResult {
  count: number;
  decoded: number;
  bgpErrors: number;
  failures: { input: string; error: string }[];
}

export function fuzz(iterations: number, seed = 12345, corpus: Buffer[] = seeds()): FuzzResult {
  const r = rng(seed);
  const res: FuzzResult = { count: 0, decoded: 0, bgpErrors: 0, failures: [] };
  for (let i = 0; i < iterations; i++) {
    const input = mutate(corpus[Math.floor(r() * corpus.length)]!, r);
    const ctx = randomContext(r);
    res.count++;
    try {
      const m = decodeMessage(input, ctx);
      res.decoded++;
      if (m.type === 2) {
        try {
          encodeUpdate(m, ctx);
        } catch (e) {
          if (!(e instanceof WrenError)) throw e;
        }
      }
    } catch (e) {
      if (e instanceof BgpError) res.bgpErrors++;
      else if (res.failures.length < 20) res.failures.push({ input: input.toString('hex'), error: e instanceof Error ? e.stack ?? e.message : String(e) });
    }
    // The framer sees the same bytes too: it may only throw BgpError.
    if ((i & 15) === 0) {
      const f = new Framer(ctx.maxMessageLength);
      f.push(input);
      try {
        while (f.next() !== null);
      } catch (e) {
        if (!(e instanceof BgpError) && res.failures.length < 20) res.failures.push({ input: input.toString('hex'), error: String(e) });
      }
    }
  }
  return res;
}
