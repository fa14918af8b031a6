// OPEN and capabilities: real-world OPENs (BIRD 2 and FRR captured on this machine, a
// GoBGP-shaped one), RFC 4271 §6.2 / RFC 7607 / RFC 6286 errors, malformed capabilities,
// RFC 9072 extended optional parameters.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BgpError } from '../../../src/bgp/errors.js';
import {
  AS_TRANS, type Capability, CapabilityCode, DEFAULT_CODEC_CONTEXT, type OpenMessage, checkHoldTime, decodeMessage, encodeOpen,
} from '../../../src/bgp/codec/index.js';
import { fixture, hex, msg } from './hex.js';

const ctx = DEFAULT_CODEC_CONTEXT;
const decode = (b: Uint8Array) => decodeMessage(b, ctx) as OpenMessage;
const withoutType = ({ type: _t, ...rest }: OpenMessage) => rest;

function openBody(params: string, opts: { version?: string; as?: string; hold?: string; id?: string } = {}): Buffer {
  const p = hex(params);
  return msg(1, Buffer.concat([hex(`${opts.version ?? '04'} ${opts.as ?? 'fde9'} ${opts.hold ?? '005a'} ${opts.id ?? '0a000001'}`), Uint8Array.of(p.length), p]));
}
/** An OPEN with one Capabilities parameter holding `caps`. */
const withCaps = (caps: string) => {
  const c = hex(caps);
  return openBody(Buffer.concat([Uint8Array.of(2, c.length), c]).toString('hex'));
};

function err(b: Uint8Array): BgpError {
  try {
    decode(b);
  } catch (e) {
    assert.ok(e instanceof BgpError, String(e));
    return e;
  }
  assert.fail('expected BgpError');
}

describe('OPEN fixtures', () => {
  test('BIRD 2 OPEN decodes to its capability set and re-encodes byte for byte', () => {
    const raw = fixture('open-bird2');
    const o = decode(raw);
    assert.equal(o.myAs, 64512);
    assert.equal(o.holdTime, 240);
    assert.equal(o.bgpId, 0xc6120001);
    assert.deepEqual(o.capabilities, [
      { code: CapabilityCode.MULTIPROTOCOL, afi: 1, safi: 1 },
      { code: CapabilityCode.MULTIPROTOCOL, afi: 2, safi: 1 },
      { code: CapabilityCode.ROUTE_REFRESH },
      {
        code: CapabilityCode.GRACEFUL_RESTART, restarting: false, notification: false, restartTime: 120,
        families: [{ afi: 1, safi: 1, forwardingPreserved: false }, { afi: 2, safi: 1, forwardingPreserved: false }],
      },
      { code: CapabilityCode.FOUR_OCTET_AS, asn: 64512 },
      { code: CapabilityCode.ENHANCED_ROUTE_REFRESH },
      { code: CapabilityCode.LONG_LIVED_GRACEFUL_RESTART, families: [] },
    ]);
    assert.deepEqual(encodeOpen(withoutType(o)), raw);
  });

  test('FRR OPEN (one parameter per capability) decodes, unknown code 128 kept raw', () => {
    const o = decode(fixture('open-frr'));
    assert.equal(o.holdTime, 180);
    const codes = o.capabilities.map((c) => c.code);
    assert.deepEqual(codes, [1, 1, 128, 2, 70, 65, 6, 69, 73, 64, 71]);
    assert.deepEqual(o.capabilities[2], { code: 128, raw: new Uint8Array(0), unknown: true });
    assert.deepEqual(o.capabilities[7], {
      code: CapabilityCode.ADD_PATH, families: [{ afi: 1, safi: 1, mode: 1 }, { afi: 2, safi: 1, mode: 1 }],
    });
    assert.deepEqual(o.capabilities[8], { code: CapabilityCode.FQDN, hostname: 'wcap', domain: '' });
    assert.deepEqual(o.capabilities[9], { code: CapabilityCode.GRACEFUL_RESTART, restarting: true, notification: true, restartTime: 120, families: [] });
    assert.deepEqual(o.capabilities[10], {
      code: CapabilityCode.LONG_LIVED_GRACEFUL_RESTART,
      families: [{ afi: 1, safi: 1, forwardingPreserved: true, staleTime: 0 }, { afi: 2, safi: 1, forwardingPreserved: true, staleTime: 0 }],
    });
    // Our encoding puts them in one parameter; decoding that gives the same capabilities.
    assert.deepEqual(decode(encodeOpen(withoutType(o))), o);
  });

  test('GoBGP-shaped OPEN: AS_TRANS in My AS, 4-octet AS, extended next hop, GR with F bits', () => {
    const o = decode(fixture('open-gobgp'));
    assert.equal(o.myAs, AS_TRANS);
    assert.deepEqual(o.capabilities.find((c) => c.code === CapabilityCode.FOUR_OCTET_AS), { code: 65, asn: 4200000001 });
    assert.deepEqual(o.capabilities.find((c) => c.code === CapabilityCode.EXTENDED_NEXT_HOP), {
      code: CapabilityCode.EXTENDED_NEXT_HOP, entries: [{ afi: 1, safi: 1, nextHopAfi: 2 }],
    });
    assert.deepEqual(o.capabilities.find((c) => c.code === CapabilityCode.GRACEFUL_RESTART), {
      code: 64, restarting: true, notification: false, restartTime: 120,
      families: [{ afi: 1, safi: 1, forwardingPreserved: true }, { afi: 2, safi: 1, forwardingPreserved: false }],
    });
  });

  test('role, extended message, LLGR stale time (24 bits)', () => {
    const o = decode(withCaps(`
      09 01 03                  # role: customer
      06 00                     # extended message
      47 07 0001 01 80 ffffff   # LLGR IPv4 unicast F=1 stale 16777215
    `));
    assert.deepEqual(o.capabilities, [
      { code: CapabilityCode.BGP_ROLE, role: 3 },
      { code: CapabilityCode.EXTENDED_MESSAGE },
      { code: CapabilityCode.LONG_LIVED_GRACEFUL_RESTART, families: [{ afi: 1, safi: 1, forwardingPreserved: true, staleTime: 0xffffff }] },
    ]);
  });
});

describe('OPEN errors (RFC 4271 §6.2)', () => {
  test('version ≠ 4 → 2/1, data = our version as 2 octets', () => {
    const e = err(openBody('', { version: '03' }));
    assert.deepEqual([e.code, e.subcode, [...e.data]], [2, 1, [0, 4]]);
    assert.deepEqual([...err(openBody('', { version: '05' })).data], [0, 4]);
  });
  test('My AS 0 → 2/2 Bad Peer AS (RFC 7607)', () => {
    const e = err(openBody('', { as: '0000' }));
    assert.deepEqual([e.code, e.subcode], [2, 2]);
  });
  test('4-octet AS capability 0 → 2/2 (RFC 7607)', () => {
    const e = err(withCaps('41 04 00000000'));
    assert.deepEqual([e.code, e.subcode], [2, 2]);
  });
  test('hold time 1 and 2 → 2/6; 0 and 3 accepted', () => {
    for (const h of ['0001', '0002']) {
      const e = err(openBody('', { hold: h }));
      assert.deepEqual([e.code, e.subcode], [2, 6]);
    }
    assert.equal(decode(openBody('', { hold: '0000' })).holdTime, 0);
    assert.equal(decode(openBody('', { hold: '0003' })).holdTime, 3);
    assert.throws(() => checkHoldTime(2), (e: unknown) => e instanceof BgpError && e.subcode === 6);
    checkHoldTime(0);
  });
  test('BGP Identifier 0 → 2/3 (RFC 6286 §2.2)', () => {
    const e = err(openBody('', { id: '00000000' }));
    assert.deepEqual([e.code, e.subcode], [2, 3]);
  });
  test('optional parameter other than Capabilities → 2/4', () => {
    const e = err(openBody('01 02 0000'));
    assert.deepEqual([e.code, e.subcode], [2, 4]);
  });
  test('optional parameter overrunning, or Opt Parm Len inconsistent → 2/0', () => {
    assert.deepEqual([err(openBody('02 05 0200')).code, err(openBody('02 05 0200')).subcode], [2, 0]);
    const b = openBody('02 02 0200');
    b[28] = 3; // claims 3 bytes, 4 present
    assert.deepEqual([err(b).code, err(b).subcode], [2, 0]);
    const c = openBody('02');
    assert.equal(err(c).subcode, 0);
  });
  test('capability overrunning its parameter → 2/0', () => {
    assert.equal(err(withCaps('02 00 41 04 0000')).subcode, 0);
  });
  test('each malformed known capability → 2/0 with the capability as data', () => {
    const bad = [
      '01 03 000100', // multiprotocol length 3
      '02 01 00', // route refresh with a value
      '05 05 0001000100', // extended next hop not a multiple of 6
      '06 01 00', // extended message with a value
      '09 02 0000', // role length 2
      '40 01 00', // graceful restart length 1
      '40 05 0078 000101', // graceful restart family truncated
      '41 02 fde8', // 4-octet AS length 2
      '45 03 000101', // ADD-PATH not a multiple of 4
      '46 01 00', // enhanced route refresh with a value
      '47 06 000101800000', // LLGR not a multiple of 7
      '49 03 05 6162', // FQDN hostname overruns
      '49 04 01 61 05 62', // FQDN domain overruns
      '49 00', // FQDN empty
    ];
    for (const c of bad) {
      const e = err(withCaps(c));
      assert.deepEqual([e.code, e.subcode], [2, 0], c);
      assert.deepEqual(Buffer.from(e.data), hex(c), c);
    }
  });
});

describe('RFC 9072 extended optional parameters', () => {
  const caps: Capability[] = [
    { code: CapabilityCode.MULTIPROTOCOL, afi: 1, safi: 1 },
    { code: CapabilityCode.FOUR_OCTET_AS, asn: 4200000001 },
  ];
  test('decodes the extended form', () => {
    const b = msg(1, hex(`
      04 5ba0 005a 0a000001
      ff                    # Non-Ext OP Len 255
      ff                    # Non-Ext OP Type 255
      000b                  # Extended Opt. Parm. Length 11
      02 0008               # Capabilities, 2-octet length 8
        01 04 0001 00 01    #   multiprotocol IPv4 unicast
        02 00               #   route refresh
    `));
    const o = decode(b);
    assert.equal(o.extendedParams, true);
    assert.deepEqual(o.capabilities, [{ code: 1, afi: 1, safi: 1 }, { code: 2 }]);
  });
  test('encodes the extended form when asked, and it round-trips', () => {
    const b = encodeOpen({ version: 4, myAs: AS_TRANS, holdTime: 90, bgpId: 1, capabilities: caps, extendedParams: true });
    assert.equal(b[28], 255);
    assert.equal(b[29], 255);
    assert.equal(b.readUInt16BE(30), b.length - 32);
    assert.deepEqual(decode(b), { type: 1, version: 4, myAs: AS_TRANS, holdTime: 90, bgpId: 1, capabilities: caps, extendedParams: true });
  });
  test('switches to the extended form when the parameters exceed 255 octets', () => {
    const many: Capability[] = Array.from({ length: 70 }, (_, i) => ({ code: CapabilityCode.MULTIPROTOCOL, afi: 1, safi: i + 1 }));
    const b = encodeOpen({ version: 4, myAs: 65001, holdTime: 90, bgpId: 1, capabilities: many });
    assert.equal(b[28], 255);
    const o = decode(b);
    assert.equal(o.capabilities.length, 70);
    assert.deepEqual(o.capabilities, many);
    const small = encodeOpen({ version: 4, myAs: 65001, holdTime: 90, bgpId: 1, capabilities: many.slice(0, 10) });
    assert.equal(small[28], 2 + 60);
  });
  test('OPEN without parameters', () => {
    const b = encodeOpen({ version: 4, myAs: 65001, holdTime: 0, bgpId: 7, capabilities: [] });
    assert.equal(b.length, 29);
    assert.deepEqual(decode(b), { type: 1, version: 4, myAs: 65001, holdTime: 0, bgpId: 7, capabilities: [] });
  });
});
