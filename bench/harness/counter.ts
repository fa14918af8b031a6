// The monitor's bookkeeping: which prefixes the DUT currently advertises to us (announce,
// withdraw, RFC 7606 treat-as-withdraw; RFC 7911 path identifiers when ADD-PATH receive
// was negotiated, a prefix then being held while any of its paths is), and checks on the
// attributes it re-advertises: the first AS of every AS_PATH (RFC 4271 §5.1.2: an eBGP
// speaker prepends its own AS) and, for a sample of prefixes, the whole AS path and the
// communities against what the tester sent.
// Leaves out: best-path semantics (the DUT's business), MED (not carried across ASes).

import { type UpdateMessage } from '../../src/bgp/codec/index.js';
import { UpdateAction } from '../../src/bgp/errors.js';
import { Afi, type Nlri, type Prefix, addrWord, formatPrefix } from '../../src/rib/prefix.js';
import { PrefixSlots } from '../../src/rib/prefix-slots.js';
import type { AttrSetSpec, SyntheticTable } from './table.js';

/**
 * A prefix as a Map/Set key: a number for IPv4, a short string for IPv6. Reads the address
 * as words (an NLRI from the codec makes no byte array for it).
 */
export function prefixKey(n: Prefix): number | string {
  if (n.afi === Afi.IPV4) return (addrWord(n, 0) >>> 0) * 64 + n.len;
  let s = String.fromCharCode(n.len);
  for (let w = 0; w < 4; w++) {
    const v = addrWord(n, w);
    s += String.fromCharCode(v >>> 16, v & 0xffff);
  }
  return s;
}

export interface MonitorChecks {
  /** UPDATEs carrying reachable NLRI. */
  updates: number;
  /** …of which the AS_PATH did not start with the expected AS. */
  firstAsBad: number;
  /** Sampled prefixes received (each counted once per announcement). */
  sampled: number;
  sampleBad: number;
  /** UPDATEs the codec flagged treat-as-withdraw or attribute-discard. */
  softErrors: number;
  /** A few human-readable mismatch descriptions. */
  examples: string[];
}

function flatPath(u: UpdateMessage): number[] {
  const out: number[] = [];
  for (const seg of u.attributes.asPath ?? []) for (const a of seg.asns) out.push(a);
  return out;
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class PrefixCounter {
  /**
   * Without ADD-PATH: the held prefixes, in the Adj-RIBs' typed prefix index (the monitor
   * shares the cores with the DUT: a Set of numbers, a heap number per key above 2^31 and a
   * key made per prefix, cost it about 2 µs per prefix). With: prefix → its path ids.
   */
  private readonly plain: PrefixSlots;
  private readonly paths = new Map<number | string, Set<number>>();
  readonly checks: MonitorChecks = { updates: 0, firstAsBad: 0, sampled: 0, sampleBad: 0, softErrors: 0, examples: [] };
  private readonly samples = new Map<number | string, AttrSetSpec>();
  /** The sampled prefixes again, for a quick "not sampled" (most prefixes). */
  private readonly sampled = new PrefixSlots();

  /**
   * @param addPath  ADD-PATH receive negotiated for the family (count distinct prefixes,
   *                 not paths)
   * @param firstAs  the AS every AS_PATH must start with (the DUT's, for eBGP), or null
   * @param prepend  ASes expected in front of the tester's path on sampled prefixes
   * @param expect   how many prefixes are expected (sizes the index)
   */
  constructor(
    readonly addPath: boolean,
    readonly firstAs: number | null = null,
    readonly prepend: readonly number[] = [],
    expect = 1024,
  ) {
    this.plain = new PrefixSlots(addPath ? 16 : expect);
  }

  get size(): number {
    return this.addPath ? this.paths.size : this.plain.size;
  }

  has(n: Nlri): boolean {
    return this.addPath ? this.paths.has(prefixKey(n)) : this.plain.find(n, 0) >= 0;
  }

  /** Registers table prefixes whose attributes are to be checked when they arrive. */
  addSamples(t: SyntheticTable, indices: readonly number[]): void {
    const w = t.width;
    for (const i of indices) {
      const p: Prefix = { afi: t.spec.afi, len: t.lens[i]!, addr: t.addrs.slice(i * w, i * w + w) };
      this.samples.set(prefixKey(p), t.sets[t.setOf[i]!]!);
      this.sampled.findOrAdd(p, 0);
    }
  }

  private note(text: string): void {
    if (this.checks.examples.length < 5) this.checks.examples.push(text);
  }

  announce(n: Nlri): void {
    if (!this.addPath) {
      this.plain.findOrAdd(n, 0);
      return;
    }
    const k = prefixKey(n);
    let ids = this.paths.get(k);
    if (!ids) this.paths.set(k, (ids = new Set()));
    ids.add(n.pathId);
  }

  withdraw(n: Nlri): void {
    if (!this.addPath) {
      const s = this.plain.find(n, 0);
      if (s >= 0) this.plain.remove(s);
      return;
    }
    const k = prefixKey(n);
    const ids = this.paths.get(k);
    if (!ids) return;
    ids.delete(n.pathId);
    if (ids.size === 0) this.paths.delete(k);
  }

  /** Applies one decoded UPDATE (any family). */
  update(u: UpdateMessage): void {
    for (const n of u.withdrawn) this.withdraw(n);
    if (u.mpUnreach) for (const n of u.mpUnreach.withdrawn) this.withdraw(n);
    const reach = u.mpReach ? u.mpReach.nlri : null;
    if (u.nlri.length === 0 && (reach === null || reach.length === 0)) return;
    if (u.action !== UpdateAction.NONE) this.checks.softErrors++;
    if (u.action === UpdateAction.TREAT_AS_WITHDRAW) {
      for (const n of u.nlri) this.withdraw(n);
      if (reach) for (const n of reach) this.withdraw(n);
      return;
    }
    this.checks.updates++;
    if (this.firstAs !== null) {
      const seg = u.attributes.asPath?.[0];
      if (seg === undefined || seg.asns[0] !== this.firstAs) {
        this.checks.firstAsBad++;
        this.note(`AS_PATH ${flatPath(u).join(' ') || '(empty)'} does not start with ${this.firstAs}`);
      }
    }
    const sampling = this.samples.size > 0;
    for (const n of u.nlri) {
      this.announce(n);
      if (sampling) this.checkSample(n, u);
    }
    if (reach) {
      for (const n of reach) {
        this.announce(n);
        if (sampling) this.checkSample(n, u);
      }
    }
  }

  private checkSample(n: Nlri, u: UpdateMessage): void {
    if (this.sampled.find(n, 0) < 0) return;
    const want = this.samples.get(prefixKey(n));
    if (want === undefined) return;
    this.checks.sampled++;
    const got = flatPath(u);
    const expect = [...this.prepend, ...want.asPath];
    const gotComms = [...(u.attributes.communities ?? [])].sort((a, b) => a - b);
    const wantComms = want.communities ?? [];
    if (!sameList(got, expect)) {
      this.checks.sampleBad++;
      this.note(`${formatPrefix(n)}: AS_PATH ${got.join(' ')}, expected ${expect.join(' ')}`);
    } else if (!sameList(gotComms, wantComms)) {
      this.checks.sampleBad++;
      this.note(`${formatPrefix(n)}: communities ${gotComms.join(',')}, expected ${wantComms.join(',')}`);
    }
  }
}
