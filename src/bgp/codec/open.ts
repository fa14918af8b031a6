// OPEN (RFC 4271 §4.2) with optional parameters, Capabilities (RFC 5492 §4) and the
// RFC 9072 extended optional parameters form; OPEN error checks of RFC 4271 §6.2.
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   +-+-+-+-+-+-+-+-+
//   |    Version    |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |     My Autonomous System      |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |           Hold Time           |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   |                         BGP Identifier                        |
//   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//   | Opt Parm Len  |  then Optional Parameters: Type (1) | Length (1) | Value
//   +-+-+-+-+-+-+-+-+
//
// RFC 9072 §2 extended form: Opt Parm Len = 255, then Non-Ext OP Type = 255, then a
// 2-octet Extended Opt. Parm. Length, and each parameter has a 2-octet length. We decode
// both; we encode the extended form only when the parameters do not fit in 255 octets or
// the caller asks for it (OpenMessage.extendedParams). All capabilities go in one
// Capabilities parameter (type 2), as BIRD and FRR send them.
//
// Checks made here, at decode (the session needs no second pass for them):
//   version ≠ 4            → 2/1, data = 2 octets: 4, our highest version (RFC 4271 §6.2)
//   My AS = 0, or 4-octet AS capability = 0 → 2/2 Bad Peer AS (RFC 7607 §2)
//   Hold Time 1 or 2       → 2/6 Unacceptable Hold Time (RFC 4271 §6.2; also checkHoldTime)
//   BGP Identifier 0       → 2/3 Bad BGP Identifier (RFC 6286 §2.2)
//   parameter type ≠ 2     → 2/4 Unsupported Optional Parameter (RFC 4271 §6.2)
//   lengths inconsistent, malformed known capability → 2/0 Unspecific
// Left to the session/negotiation: peer AS mismatch (2/2), our own router id (2/3),
// a hold time below a configured minimum, role mismatch (2/11), required capabilities (2/7).

import { BgpError, ErrorCode, OpenSubcode } from '../errors.js';
import { decodeCapabilities, encodeCapability } from './capabilities.js';
import { finishHeader, writeHeader } from './header.js';
import { rd16, rd32, copyBytes } from './reader.js';
import { type Capability, CapabilityCode, MessageType, type OpenMessage } from './types.js';
import { Writer } from './writer.js';

export const BGP_VERSION = 4;
const OPT_PARAM_CAPABILITIES = 2;
const OPT_PARAM_EXTENDED = 255;

function openError(subcode: OpenSubcode, detail: string, data: Uint8Array = new Uint8Array(0)): BgpError {
  return new BgpError(ErrorCode.OPEN_MESSAGE, subcode, data, detail);
}

/** RFC 4271 §4.2: Hold Time is 0 or at least 3 seconds; throws BgpError 2/6 otherwise. */
export function checkHoldTime(holdTime: number): void {
  if (holdTime === 1 || holdTime === 2) {
    throw openError(OpenSubcode.UNACCEPTABLE_HOLD_TIME, `hold time ${holdTime}`);
  }
}

/** Decodes an OPEN; `msg` is the whole message including the 19-byte header. */
export function decodeOpen(msg: Uint8Array): OpenMessage {
  const b = msg;
  const end = b.length;
  const version = b[19]!;
  if (version !== BGP_VERSION) {
    throw openError(OpenSubcode.UNSUPPORTED_VERSION_NUMBER, `version ${version}`, Uint8Array.of(0, BGP_VERSION));
  }
  const myAs = rd16(b, 20);
  const holdTime = rd16(b, 22);
  const bgpId = rd32(b, 24);
  if (myAs === 0) throw openError(OpenSubcode.BAD_PEER_AS, 'My Autonomous System is 0', copyBytes(b, 20, 22));
  checkHoldTime(holdTime);
  if (bgpId === 0) throw openError(OpenSubcode.BAD_BGP_IDENTIFIER, 'BGP Identifier is 0', copyBytes(b, 24, 28));

  let optLen = b[28]!;
  let p = 29;
  let extended = false;
  // RFC 9072 §2: Non-Ext OP Len 255 and Non-Ext OP Type 255 announce the extended form.
  if (optLen === 255 && end > 29 && b[29] === OPT_PARAM_EXTENDED) {
    if (end < 32) throw openError(OpenSubcode.UNSPECIFIC, 'extended optional parameters length truncated');
    optLen = rd16(b, 30);
    p = 32;
    extended = true;
  }
  if (p + optLen !== end) {
    throw openError(OpenSubcode.UNSPECIFIC, `optional parameters length ${optLen} does not match message length ${end}`);
  }
  const hdr = extended ? 3 : 2;
  const capabilities: Capability[] = [];
  while (p < end) {
    if (p + hdr > end) throw openError(OpenSubcode.UNSPECIFIC, 'optional parameter header truncated');
    const type = b[p]!;
    const len = extended ? rd16(b, p + 1) : b[p + 1]!;
    const vstart = p + hdr;
    if (vstart + len > end) throw openError(OpenSubcode.UNSPECIFIC, `optional parameter ${type} overruns the message`);
    if (type !== OPT_PARAM_CAPABILITIES) {
      throw openError(OpenSubcode.UNSUPPORTED_OPTIONAL_PARAMETER, `optional parameter type ${type}`);
    }
    decodeCapabilities(b, vstart, vstart + len, capabilities);
    p = vstart + len;
  }
  for (const c of capabilities) {
    if (c.code === CapabilityCode.FOUR_OCTET_AS && !('unknown' in c) && (c as { asn: number }).asn === 0) {
      throw openError(OpenSubcode.BAD_PEER_AS, '4-octet AS capability carries AS 0');
    }
  }
  const open: OpenMessage = { type: MessageType.OPEN, version, myAs, holdTime, bgpId, capabilities };
  return extended ? { ...open, extendedParams: true } : open;
}

export function encodeOpen(m: Omit<OpenMessage, 'type'>): Buffer {
  const caps = new Writer(256);
  for (const c of m.capabilities) encodeCapability(caps, c);
  const capLen = caps.pos;
  const w = new Writer(64 + capLen);
  writeHeader(w, MessageType.OPEN);
  w.u8(m.version);
  w.u16(m.myAs);
  w.u16(m.holdTime);
  w.u32(m.bgpId);
  const hasParam = m.capabilities.length > 0;
  const extended = m.extendedParams === true || (hasParam && capLen + 2 > 255);
  if (extended) {
    // RFC 9072 §2
    w.u8(255);
    w.u8(OPT_PARAM_EXTENDED);
    w.u16(hasParam ? capLen + 3 : 0);
    if (hasParam) {
      w.u8(OPT_PARAM_CAPABILITIES);
      w.u16(capLen);
      w.bytes(caps.view());
    }
  } else if (hasParam) {
    w.u8(capLen + 2);
    w.u8(OPT_PARAM_CAPABILITIES);
    w.u8(capLen);
    w.bytes(caps.view());
  } else {
    w.u8(0);
  }
  finishHeader(w);
  return w.finish();
}
