// BGP capabilities (RFC 5492) as ONE descriptor table, code → {name, decode, encode}:
// Multiprotocol (RFC 4760 §8), Route Refresh (RFC 2918), Extended Next Hop (RFC 8950 §3),
// Extended Message (RFC 8654), BGP Role (RFC 9234 §4.1), Graceful Restart (RFC 4724 §3,
// N bit RFC 8538 §2), 4-octet AS (RFC 6793 §3), ADD-PATH (RFC 7911 §4), Enhanced Route
// Refresh (RFC 7313 §3), Long-Lived GR (RFC 9494 §3), FQDN (draft-walton-bgp-hostname).
// Unknown codes are kept as raw bytes ({code, raw, unknown: true}) so negotiation can
// ignore them (RFC 5492 §3: "a BGP speaker ... MUST ignore capabilities it does not
// understand"). A known capability whose value is malformed (wrong length) is an OPEN
// error: RFC 5492 names no subcode for it, so we send 2/0 (Unspecific, RFC 4271 §6.2),
// as BIRD and GoBGP do; the data is the offending capability TLV.
// Leaves out: negotiation (negotiate.ts) and the legacy pre-standard codes (128, 131...),
// which come back as unknown.

import { BgpError, ErrorCode, OpenSubcode, WrenError } from '../errors.js';
import { rd16, rd32, copyBytes } from './reader.js';
import type { Writer } from './writer.js';
import { type AddPathMode, type BgpRole, type Capability, CapabilityCode } from './types.js';

/** The decoded form of one known capability code. */
export type CapabilityOf<C extends CapabilityCode> = Exclude<Extract<Capability, { code: C }>, { unknown: true }>;

export interface CapabilityDesc {
  readonly name: string;
  /** Decodes the value at b[off, off+len); returns null when it is malformed. */
  decode(b: Uint8Array, off: number, len: number): Capability | null;
  /** Writes the value only (code and length are written by encodeCapability). */
  encode(w: Writer, c: Capability): void;
}

const utf8 = new TextDecoder('utf-8');
const utf8Enc = new TextEncoder();

/** Capabilities with an empty value. */
function empty(code: CapabilityCode, name: string): CapabilityDesc {
  const value = { code } as Capability;
  return { name, decode: (_b, _o, len) => (len === 0 ? value : null), encode: () => {} };
}

export const CAPABILITIES: Readonly<Record<number, CapabilityDesc>> = {
  //  RFC 4760 §8:  AFI (2) | Reserved (1) | SAFI (1)
  [CapabilityCode.MULTIPROTOCOL]: {
    name: 'multiprotocol',
    decode: (b, o, len) => (len === 4 ? { code: CapabilityCode.MULTIPROTOCOL, afi: rd16(b, o), safi: b[o + 3]! } : null),
    encode: (w, c) => {
      const m = c as CapabilityOf<CapabilityCode.MULTIPROTOCOL>;
      w.u16(m.afi);
      w.u8(0);
      w.u8(m.safi);
    },
  },
  [CapabilityCode.ROUTE_REFRESH]: empty(CapabilityCode.ROUTE_REFRESH, 'route-refresh'),
  //  RFC 8950 §3: repeated { NLRI AFI (2) | NLRI SAFI (2) | Nexthop AFI (2) }
  [CapabilityCode.EXTENDED_NEXT_HOP]: {
    name: 'extended-next-hop',
    decode: (b, o, len) => {
      if (len % 6 !== 0) return null;
      const entries = [];
      for (let p = o; p < o + len; p += 6) entries.push({ afi: rd16(b, p), safi: rd16(b, p + 2), nextHopAfi: rd16(b, p + 4) });
      return { code: CapabilityCode.EXTENDED_NEXT_HOP, entries };
    },
    encode: (w, c) => {
      for (const e of (c as CapabilityOf<CapabilityCode.EXTENDED_NEXT_HOP>).entries) {
        w.u16(e.afi);
        w.u16(e.safi);
        w.u16(e.nextHopAfi);
      }
    },
  },
  [CapabilityCode.EXTENDED_MESSAGE]: empty(CapabilityCode.EXTENDED_MESSAGE, 'extended-message'),
  //  RFC 9234 §4.1: Role (1). Any other length is malformed.
  [CapabilityCode.BGP_ROLE]: {
    name: 'role',
    decode: (b, o, len) => (len === 1 ? { code: CapabilityCode.BGP_ROLE, role: b[o]! as BgpRole } : null),
    encode: (w, c) => w.u8((c as CapabilityOf<CapabilityCode.BGP_ROLE>).role),
  },
  //  RFC 4724 §3 / RFC 8538 §2:
  //    R(1) N(1) reserved(2) | Restart Time (12 bits)
  //    repeated { AFI (2) | SAFI (1) | F(1) reserved(7) }
  [CapabilityCode.GRACEFUL_RESTART]: {
    name: 'graceful-restart',
    decode: (b, o, len) => {
      if (len < 2 || (len - 2) % 4 !== 0) return null;
      const v = rd16(b, o);
      const families = [];
      for (let p = o + 2; p < o + len; p += 4) families.push({ afi: rd16(b, p), safi: b[p + 2]!, forwardingPreserved: (b[p + 3]! & 0x80) !== 0 });
      return {
        code: CapabilityCode.GRACEFUL_RESTART,
        restarting: (v & 0x8000) !== 0,
        notification: (v & 0x4000) !== 0,
        restartTime: v & 0x0fff,
        families,
      };
    },
    encode: (w, c) => {
      const g = c as CapabilityOf<CapabilityCode.GRACEFUL_RESTART>;
      w.u16((g.restarting ? 0x8000 : 0) | (g.notification ? 0x4000 : 0) | (g.restartTime & 0x0fff));
      for (const f of g.families) {
        w.u16(f.afi);
        w.u8(f.safi);
        w.u8(f.forwardingPreserved ? 0x80 : 0);
      }
    },
  },
  //  RFC 6793 §3: the speaker's 4-octet AS number (4).
  [CapabilityCode.FOUR_OCTET_AS]: {
    name: '4-octet-as',
    decode: (b, o, len) => (len === 4 ? { code: CapabilityCode.FOUR_OCTET_AS, asn: rd32(b, o) } : null),
    encode: (w, c) => w.u32((c as CapabilityOf<CapabilityCode.FOUR_OCTET_AS>).asn),
  },
  //  RFC 7911 §4: repeated { AFI (2) | SAFI (1) | Send/Receive (1) }
  [CapabilityCode.ADD_PATH]: {
    name: 'add-path',
    decode: (b, o, len) => {
      if (len % 4 !== 0) return null;
      const families = [];
      for (let p = o; p < o + len; p += 4) families.push({ afi: rd16(b, p), safi: b[p + 2]!, mode: b[p + 3]! as AddPathMode });
      return { code: CapabilityCode.ADD_PATH, families };
    },
    encode: (w, c) => {
      for (const f of (c as CapabilityOf<CapabilityCode.ADD_PATH>).families) {
        w.u16(f.afi);
        w.u8(f.safi);
        w.u8(f.mode);
      }
    },
  },
  [CapabilityCode.ENHANCED_ROUTE_REFRESH]: empty(CapabilityCode.ENHANCED_ROUTE_REFRESH, 'enhanced-route-refresh'),
  //  RFC 9494 §3: repeated { AFI (2) | SAFI (1) | F(1) reserved(7) | Long-lived Stale Time (3) }
  [CapabilityCode.LONG_LIVED_GRACEFUL_RESTART]: {
    name: 'long-lived-graceful-restart',
    decode: (b, o, len) => {
      if (len % 7 !== 0) return null;
      const families = [];
      for (let p = o; p < o + len; p += 7) {
        families.push({
          afi: rd16(b, p),
          safi: b[p + 2]!,
          forwardingPreserved: (b[p + 3]! & 0x80) !== 0,
          staleTime: (b[p + 4]! << 16) | (b[p + 5]! << 8) | b[p + 6]!,
        });
      }
      return { code: CapabilityCode.LONG_LIVED_GRACEFUL_RESTART, families };
    },
    encode: (w, c) => {
      for (const f of (c as CapabilityOf<CapabilityCode.LONG_LIVED_GRACEFUL_RESTART>).families) {
        w.u16(f.afi);
        w.u8(f.safi);
        w.u8(f.forwardingPreserved ? 0x80 : 0);
        w.u24(f.staleTime & 0xffffff);
      }
    },
  },
  //  draft-walton-bgp-hostname-capability §3:
  //    Hostname Length (1) | Hostname | Domain Name Length (1) | Domain Name
  [CapabilityCode.FQDN]: {
    name: 'fqdn',
    decode: (b, o, len) => {
      if (len < 1) return null;
      const hl = b[o]!;
      if (1 + hl + 1 > len) return null;
      const dl = b[o + 1 + hl]!;
      if (2 + hl + dl !== len) return null;
      return {
        code: CapabilityCode.FQDN,
        hostname: utf8.decode(b.subarray(o + 1, o + 1 + hl)),
        domain: utf8.decode(b.subarray(o + 2 + hl, o + 2 + hl + dl)),
      };
    },
    encode: (w, c) => {
      const f = c as CapabilityOf<CapabilityCode.FQDN>;
      const h = utf8Enc.encode(f.hostname), d = utf8Enc.encode(f.domain);
      if (h.length > 255 || d.length > 255 || h.length + d.length > 253) {
        throw new WrenError('CODEC_CAPABILITY_TOO_LONG', 'FQDN capability: hostname and domain exceed 253 bytes');
      }
      w.u8(h.length);
      w.bytes(h);
      w.u8(d.length);
      w.bytes(d);
    },
  },
};

export function capabilityName(code: number): string {
  return CAPABILITIES[code]?.name ?? `unknown-${code}`;
}

/**
 * Decodes the capabilities in one Capabilities optional parameter (RFC 5492 §4),
 * appending to `out`:
 *
 *   +------------------------------+
 *   | Capability Code (1 octet)    |
 *   | Capability Length (1 octet)  |
 *   | Capability Value (variable)  |
 *   +------------------------------+  ... repeated
 */
export function decodeCapabilities(b: Uint8Array, off: number, end: number, out: Capability[]): void {
  let p = off;
  while (p < end) {
    if (p + 2 > end) throw malformed(b.subarray(p, end), 'capability header truncated');
    const code = b[p]!, len = b[p + 1]!;
    if (p + 2 + len > end) throw malformed(b.subarray(p, end), `capability ${code} overruns its parameter`);
    const desc = CAPABILITIES[code];
    if (desc) {
      const c = desc.decode(b, p + 2, len);
      if (c === null) throw malformed(b.subarray(p, p + 2 + len), `malformed ${desc.name} capability (length ${len})`);
      out.push(c);
    } else {
      out.push({ code, raw: copyBytes(b, p + 2, p + 2 + len), unknown: true });
    }
    p += 2 + len;
  }
}

function malformed(tlv: Uint8Array, detail: string): BgpError {
  return new BgpError(ErrorCode.OPEN_MESSAGE, OpenSubcode.UNSPECIFIC, copyBytes(tlv, 0, tlv.length), detail);
}

/** Writes one capability TLV. Throws WrenError if the value exceeds 255 bytes. */
export function encodeCapability(w: Writer, c: Capability): void {
  w.u8(c.code);
  const at = w.reserve(1);
  if ('unknown' in c && c.unknown) w.bytes(c.raw);
  else {
    const desc = CAPABILITIES[c.code];
    if (!desc) throw new WrenError('CODEC_UNKNOWN_CAPABILITY', `capability ${c.code} has no encoder and no raw value`);
    desc.encode(w, c);
  }
  const len = w.pos - at - 1;
  if (len > 255) throw new WrenError('CODEC_CAPABILITY_TOO_LONG', `capability ${c.code} value is ${len} bytes (max 255)`);
  w.patch(at, 1);
}
