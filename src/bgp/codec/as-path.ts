// AS_PATH (RFC 4271 §4.3 / §5.1.2) in its 2- and 4-octet forms, AS4_PATH and the RFC 6793
// transition: on a 2-octet session, decode merges AS4_PATH into AS_PATH and AS4_AGGREGATOR
// into AGGREGATOR (RFC 6793 §4.2.3); encode maps ASNs above 65535 to AS_TRANS and adds
// AS4_PATH / AS4_AGGREGATOR (RFC 6793 §4.2.2). Everything above the codec sees the
// 4-octet path only. Also the path length of RFC 4271 §9.1.2.2 a) (AS_SET counts 1,
// confederation segments count 0: RFC 5065 §5.3).
//
//   Segment:  Type (1: AS_SET=1 AS_SEQUENCE=2 AS_CONFED_SEQUENCE=3 AS_CONFED_SET=4)
//             Count (1, number of ASNs, ≥ 1)
//             ASNs (Count × 2 or 4 octets)
//
// Malformed (RFC 7606 §7.2): unknown segment type, zero count, a segment overrunning the
// attribute, a trailing fragment, or AS 0 (RFC 7607 §2). decodeAsPath returns null for
// those; the attribute table decides the action. Leaves out: confederation membership
// checks and the eBGP first-AS check (protocol.ts).

import { AS_TRANS, type AsPathSegment, AsPathSegmentType } from './types.js';
import { type Writer, wr16, wr32 } from './writer.js';

/** Decodes a path from b[off, off+len) with `size`-octet ASNs; null if malformed. */
export function decodeAsPath(b: Uint8Array, off: number, len: number, size: 2 | 4): AsPathSegment[] | null {
  const end = off + len;
  const out: AsPathSegment[] = [];
  let p = off;
  while (p < end) {
    if (p + 2 > end) return null;
    const type = b[p]!, count = b[p + 1]!;
    if (type < AsPathSegmentType.AS_SET || type > AsPathSegmentType.AS_CONFED_SET || count === 0) return null;
    p += 2;
    if (p + count * size > end) return null;
    const asns = new Array<number>(count);
    if (size === 4) {
      for (let i = 0; i < count; i++, p += 4) {
        const asn = ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
        if (asn === 0) return null;
        asns[i] = asn;
      }
    } else {
      for (let i = 0; i < count; i++, p += 2) {
        const asn = (b[p]! << 8) | b[p + 1]!;
        if (asn === 0) return null;
        asns[i] = asn;
      }
    }
    out.push({ type: type as AsPathSegmentType, asns });
  }
  return out;
}

const isConfed = (t: AsPathSegmentType): boolean =>
  t === AsPathSegmentType.AS_CONFED_SEQUENCE || t === AsPathSegmentType.AS_CONFED_SET;

/** RFC 4271 §9.1.2.2 a): AS_SET counts 1, confederation segments 0 (RFC 5065 §5.3). */
export function asPathLength(path: readonly AsPathSegment[]): number {
  let n = 0;
  for (let i = 0; i < path.length; i++) {
    const s = path[i]!;
    if (s.type === AsPathSegmentType.AS_SEQUENCE) n += s.asns.length;
    else if (s.type === AsPathSegmentType.AS_SET) n += 1;
  }
  return n;
}

/** Writes the segments with `size`-octet ASNs (2: ASNs > 65535 become AS_TRANS). */
export function writeAsPath(w: Writer, path: readonly AsPathSegment[], size: 2 | 4, skipConfed = false): void {
  // Indexed loops: paths are frozen arrays, and a for-of over one allocates its iterator.
  for (let k = 0; k < path.length; k++) {
    const s = path[k]!;
    if (skipConfed && isConfed(s.type)) continue;
    // A segment holds at most 255 ASNs: longer ones are split.
    for (let i = 0; i < s.asns.length; i += 255) {
      const n = Math.min(255, s.asns.length - i);
      // Room for the whole segment at once, then plain stores.
      w.ensure(2 + size * n);
      const b = w.buf;
      let p = w.pos;
      b[p++] = s.type;
      b[p++] = n;
      for (let j = i; j < i + n; j++) {
        const asn = s.asns[j]!;
        if (size === 4) {
          wr32(b, p, asn);
          p += 4;
        } else {
          wr16(b, p, asn > 0xffff ? AS_TRANS : asn);
          p += 2;
        }
      }
      w.pos = p;
    }
  }
}

/** The octets writeAsPath writes for `path` (segments of more than 255 ASNs split). */
export function asPathWireLength(path: readonly AsPathSegment[], size: 2 | 4, skipConfed = false): number {
  let n = 0;
  for (let k = 0; k < path.length; k++) {
    const s = path[k]!;
    if (skipConfed && isConfed(s.type)) continue;
    n += 2 * Math.ceil(s.asns.length / 255) + size * s.asns.length;
  }
  return n;
}

/** True when a 2-octet session needs AS4_PATH to carry this path (RFC 6793 §4.2.2). */
export function needsAs4Path(path: readonly AsPathSegment[]): boolean {
  for (let k = 0; k < path.length; k++) {
    const s = path[k]!;
    if (isConfed(s.type)) continue;
    for (let i = 0; i < s.asns.length; i++) if (s.asns[i]! > 0xffff) return true;
  }
  return false;
}

/**
 * RFC 6793 §6: confederation segments are invalid in AS4_PATH; a NEW speaker "MUST discard
 * these path segments ... and continue processing".
 */
export function stripConfed(path: AsPathSegment[]): AsPathSegment[] {
  for (const s of path) if (isConfed(s.type)) return path.filter((x) => !isConfed(x.type));
  return path;
}

/**
 * RFC 6793 §4.2.3: reconstruct the 4-octet path from AS_PATH and AS4_PATH. If AS_PATH is
 * shorter than AS4_PATH, AS4_PATH is ignored. Otherwise the leading
 * (len(AS_PATH) − len(AS4_PATH)) ASNs of AS_PATH are kept (counted as in §9.1.2.2 a),
 * confederation segments kept whole, as they never appear in AS4_PATH) and AS4_PATH is
 * appended; an AS_SEQUENCE meeting an AS_SEQUENCE is joined when it fits one segment.
 */
export function mergeAs4Path(asPath: readonly AsPathSegment[], as4Path: readonly AsPathSegment[]): readonly AsPathSegment[] {
  const n = asPathLength(asPath), m = asPathLength(as4Path);
  if (n < m) return asPath;
  let need = n - m;
  const out: AsPathSegment[] = [];
  for (const s of asPath) {
    if (isConfed(s.type)) out.push(s);
    else if (need === 0) continue;
    else if (s.type === AsPathSegmentType.AS_SET) {
      out.push(s);
      need -= 1;
    } else {
      const take = Math.min(need, s.asns.length);
      out.push(take === s.asns.length ? s : { type: s.type, asns: s.asns.slice(0, take) });
      need -= take;
    }
  }
  const kept = out.length;
  for (const s of as4Path) out.push(s);
  // Join the kept AS_SEQUENCE and the first AS4_PATH AS_SEQUENCE at the seam, when one fits.
  const last = out[kept - 1], first = out[kept];
  if (
    kept > 0 && first && last!.type === AsPathSegmentType.AS_SEQUENCE && first.type === AsPathSegmentType.AS_SEQUENCE &&
    last!.asns.length + first.asns.length <= 255
  ) {
    out.splice(kept - 1, 2, { type: AsPathSegmentType.AS_SEQUENCE, asns: [...last!.asns, ...first.asns] });
  }
  return out;
}
