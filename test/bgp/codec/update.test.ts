// UPDATE: annotated fixtures, one case per RFC 7606 / RFC 4271 §6.3 rule implemented,
// the RFC 6793 AS4 merge and split, ADD-PATH, End-of-RIB.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { BgpError, UpdateAction, WrenError } from '../../../src/bgp/errors.js';
import {
  AS_TRANS, AsPathSegmentType, type CodecContext, DEFAULT_CODEC_CONTEXT, type UpdateMessage, decodeMessage, encodeEndOfRib,
  encodeAttributeBlock, encodeUpdate, isEndOfRib,
} from '../../../src/bgp/codec/index.js';
import { Afi, IPV4_UNICAST, IPV6_UNICAST, afiSafi, makeNlri, parsePrefix } from '../../../src/rib/prefix.js';
import { fixture, hex, msg } from './hex.js';

const ctx2: CodecContext = DEFAULT_CODEC_CONTEXT;
const ctx4: CodecContext = { ...DEFAULT_CODEC_CONTEXT, as4: true };
const ebgp4: CodecContext = { ...ctx4, ebgp: true };

/** An UPDATE from hex pieces; the two length fields are computed. */
function upd(attrs: string, nlri = '', withdrawn = ''): Buffer {
  const w = hex(withdrawn), a = hex(attrs), n = hex(nlri);
  const body = Buffer.alloc(4 + w.length + a.length + n.length);
  body.writeUInt16BE(w.length, 0);
  w.copy(body, 2);
  body.writeUInt16BE(a.length, 2 + w.length);
  a.copy(body, 4 + w.length);
  n.copy(body, 4 + w.length + a.length);
  return msg(2, body);
}

const dec = (b: Uint8Array, c: CodecContext = ctx4) => decodeMessage(b, c) as UpdateMessage;

function reset(b: Uint8Array, c: CodecContext = ctx4): BgpError {
  try {
    dec(b, c);
  } catch (e) {
    assert.ok(e instanceof BgpError, String(e));
    return e;
  }
  assert.fail('expected a session reset (BgpError)');
}

/** What the decoder makes for a prefix (rib/prefix.ts makeNlri: IPv4 as an Nlri4). */
const nlri = (text: string, pathId = 0) => makeNlri(parsePrefix(text), pathId);

// Well-formed mandatory attributes on a 4-octet session.
const ORIGIN = '40 01 01 00';
const AS_PATH = '40 02 06 02 01 0000fde9'; // AS_SEQUENCE 65001
const NEXT_HOP = '40 03 04 0a000001';
const BASE = `${ORIGIN} ${AS_PATH} ${NEXT_HOP}`;
const NLRI = '18 c0a801'; // 192.168.1.0/24

describe('UPDATE fixtures', () => {
  test('IPv4 UPDATE decodes and re-encodes byte for byte', () => {
    const raw = fixture('update-ipv4');
    const u = dec(raw);
    assert.equal(u.action, UpdateAction.NONE);
    assert.deepEqual(u.attributes, {
      origin: 0,
      asPath: [{ type: 2, asns: [65000, 65001, 4200000001] }],
      nextHop: Uint8Array.of(198, 18, 0, 1),
      med: 100,
      communities: [(65000 << 16 | 100) >>> 0, 0xffffff01],
    });
    assert.deepEqual(u.nlri, [nlri('192.168.1.0/24'), nlri('10.1.0.0/16')]);
    assert.deepEqual(encodeUpdate(u, ctx4), raw);
  });

  test('IPv6 UPDATE: MP_REACH_NLRI with global + link-local next hop, large communities', () => {
    const u = dec(fixture('update-ipv6'));
    assert.equal(u.action, UpdateAction.NONE);
    assert.deepEqual(u.mpReach, {
      afi: Afi.IPV6, safi: 1,
      nextHop: { global: parsePrefix('fd00::1').addr, linkLocal: parsePrefix('fe80::1').addr },
      nlri: [nlri('fd00:0:1::/48'), nlri('fd00:0:2:3::/64')],
    });
    assert.deepEqual(u.attributes.largeCommunities, [{ global: 65000, local1: 1, local2: 2 }, { global: 65000, local1: 3, local2: 4 }]);
    assert.equal(u.attributes.localPref, 100);
    assert.deepEqual(dec(encodeUpdate(u, ctx4)), u);
  });

  test('every decoded byte array is an owned plain Uint8Array, not a view of the message', () => {
    const raw = fixture('update-ipv4');
    const u = dec(raw);
    assert.equal(Object.getPrototypeOf(u.attributes.nextHop), Uint8Array.prototype);
    assert.notEqual(u.nlri[0]!.addr.buffer, raw.buffer);
    raw.fill(0);
    assert.deepEqual(u.nlri[0]!.addr, Uint8Array.of(192, 168, 1, 0));
  });

  test('host bits past the prefix length are cleared', () => {
    const u = dec(upd(BASE, '17 c0a8ff')); // 192.168.255.0/23 with the last bit set
    assert.deepEqual(u.nlri, [nlri('192.168.254.0/23')]);
  });

  test('ADD-PATH (RFC 7911): path identifiers when addPathRx has the family', () => {
    const c = { ...ctx4, addPathRx: new Set([IPV4_UNICAST, IPV6_UNICAST]), addPathTx: new Set([IPV4_UNICAST, IPV6_UNICAST]) };
    const b = upd(BASE, '00000007 18 c0a801  00000009 18 c0a801', '00000003 08 0a');
    const u = dec(b, c);
    assert.deepEqual(u.nlri, [nlri('192.168.1.0/24', 7), nlri('192.168.1.0/24', 9)]);
    assert.deepEqual(u.withdrawn, [nlri('10.0.0.0/8', 3)]);
    assert.deepEqual(encodeUpdate(u, c), b);
    // The same bytes without ADD-PATH are not a valid NLRI field.
    assert.equal(reset(b, ctx4).subcode, 10);
  });
});

type Expect = { action: UpdateAction; subcode?: number; attrType?: number; absent?: string };
const soft: [string, string, Expect, CodecContext?][] = [
  // RFC 7606 §7.1 ORIGIN
  ['ORIGIN length 2', `40 01 02 0000 ${AS_PATH} ${NEXT_HOP}`, { action: UpdateAction.TREAT_AS_WITHDRAW, subcode: 5, attrType: 1 }],
  ['ORIGIN value 3', `40 01 01 03 ${AS_PATH} ${NEXT_HOP}`, { action: UpdateAction.TREAT_AS_WITHDRAW, subcode: 6, attrType: 1 }],
  // §7.2 AS_PATH
  ['AS_PATH segment overruns', `${ORIGIN} 40 02 04 02 02 0000 ${NEXT_HOP}`, { action: UpdateAction.TREAT_AS_WITHDRAW, subcode: 11, attrType: 2 }],
  ['AS_PATH zero-length segment', `${ORIGIN} 40 02 02 02 00 ${NEXT_HOP}`, { action: UpdateAction.TREAT_AS_WITHDRAW, subcode: 11, attrType: 2 }],
  ['AS_PATH segment type 5', `${ORIGIN} 40 02 06 05 01 0000fde9 ${NEXT_HOP}`, { action: UpdateAction.TREAT_AS_WITHDRAW, subcode: 11, attrType: 2 }],
  ['AS_PATH trailing octet', `${ORIGIN} 40 02 07 02 01 0000fde9 00 ${NEXT_HOP}`, { action: UpdateAction.TREAT_AS_WITHDRAW, subcode: 11, attrType: 2 }],
  ['AS_PATH with AS 0 (RFC 7607)', `${ORIGIN} 40 02 06 02 01 00000000 ${NEXT_HOP}`, { action: UpdateAction.TREAT_AS_WITHDRAW, subcode: 11, attrType: 2 }],
  // §7.3 NEXT_HOP
  ['NEXT_HOP length 5', `${ORIGIN} ${AS_PATH} 40 03 05 0a00000100`, { action: UpdateAction.TREAT_AS_WITHDRAW, subcode: 5, attrType: 3 }],
  // §7.4 MED
  ['MED length 3', `${BASE} 80 04 03 000001`, { action: UpdateAction.TREAT_AS_WITHDRAW, subcode: 5, attrType: 4 }],
  // §7.5 LOCAL_PREF
  ['LOCAL_PREF length 2 (iBGP)', `${BASE} 40 05 02 0064`, { action: UpdateAction.TREAT_AS_WITHDRAW, subcode: 5, attrType: 5 }],
  ['LOCAL_PREF from eBGP discarded', `${BASE} 40 05 04 00000064`, { action: UpdateAction.ATTRIBUTE_DISCARD, attrType: 5, absent: 'localPref' }, ebgp4],
  // §7.6 ATOMIC_AGGREGATE
  ['ATOMIC_AGGREGATE length 1', `${BASE} 40 06 01 00`, { action: UpdateAction.ATTRIBUTE_DISCARD, subcode: 5, attrType: 6, absent: 'atomicAggregate' }],
  // §7.7 AGGREGATOR
  ['AGGREGATOR length 7', `${BASE} c0 07 07 0000fde9 0a0000`, { action: UpdateAction.ATTRIBUTE_DISCARD, subcode: 5, attrType: 7, absent: 'aggregator' }],
  ['AGGREGATOR 2-octet form on a 4-octet session', `${BASE} c0 07 06 fde9 0a000001`, { action: UpdateAction.ATTRIBUTE_DISCARD, subcode: 5, attrType: 7, absent: 'aggregator' }],
  ['AGGREGATOR AS 0 (RFC 7607)', `${BASE} c0 07 08 00000000 0a000001`, { action: UpdateAction.ATTRIBUTE_DISCARD, attrType: 7, absent: 'aggregator' }],
  // §7.8 COMMUNITIES
  ['COMMUNITIES length 0', `${BASE} c0 08 00`, { action: UpdateAction.TREAT_AS_WITHDRAW, subcode: 5, attrType: 8 }],
  ['COMMUNITIES length 5', `${BASE} c0 08 05 0000000000`, { action: UpdateAction.TREAT_AS_WITHDRAW, subcode: 5, attrType: 8 }],
  // §7.9 ORIGINATOR_ID
  ['ORIGINATOR_ID length 3', `${BASE} 80 09 03 0a0000`, { action: UpdateAction.TREAT_AS_WITHDRAW, subcode: 5, attrType: 9 }],
  ['ORIGINATOR_ID from eBGP discarded', `${BASE} 80 09 04 0a000001`, { action: UpdateAction.ATTRIBUTE_DISCARD, attrType: 9, absent: 'originatorId' }, ebgp4],
  // §7.10 CLUSTER_LIST
  ['CLUSTER_LIST length 6', `${BASE} 80 0a 06 0a0000010a00`, { action: UpdateAction.TREAT_AS_WITHDRAW, subcode: 5, attrType: 10 }],
  ['CLUSTER_LIST from eBGP discarded', `${BASE} 80 0a 04 0a000001`, { action: UpdateAction.ATTRIBUTE_DISCARD, attrType: 10, absent: 'clusterList' }, ebgp4],
  // §7.14 EXTENDED_COMMUNITIES
  ['EXTENDED_COMMUNITIES length 7', `${BASE} c0 10 07 00020000000000`, { action: UpdateAction.TREAT_AS_WITHDRAW, subcode: 5, attrType: 16 }],
  // RFC 8092 §6 LARGE_COMMUNITY
  ['LARGE_COMMUNITY length 11', `${BASE} c0 20 0b 0000000000000000000000`, { action: UpdateAction.TREAT_AS_WITHDRAW, subcode: 5, attrType: 32 }],
  // RFC 9234 §5 OTC
  ['OTC length 3', `${BASE} c0 23 03 000001`, { action: UpdateAction.TREAT_AS_WITHDRAW, subcode: 5, attrType: 35 }],
  // RFC 6793 §6 AS4_PATH / AS4_AGGREGATOR on a 2-octet session
  ['AS4_PATH malformed', `${ORIGIN} 40 02 04 02 01 fde9 ${NEXT_HOP} c0 11 03 02 01 00`, { action: UpdateAction.ATTRIBUTE_DISCARD, subcode: 11, attrType: 17 }, ctx2],
  ['AS4_AGGREGATOR length 6', `${ORIGIN} 40 02 04 02 01 fde9 ${NEXT_HOP} c0 07 06 5ba0 0a000001 c0 12 06 fde9 0a000001`, { action: UpdateAction.ATTRIBUTE_DISCARD, subcode: 5, attrType: 18 }, ctx2],
  // RFC 7606 §3 (c) flags
  ['ORIGIN marked optional', `c0 01 01 00 ${AS_PATH} ${NEXT_HOP}`, { action: UpdateAction.TREAT_AS_WITHDRAW, subcode: 4, attrType: 1 }],
  ['MED marked transitive', `${BASE} c0 04 04 00000001`, { action: UpdateAction.TREAT_AS_WITHDRAW, subcode: 4, attrType: 4 }],
  // §3 (g) duplicates
  ['duplicate MED: first kept', `${BASE} 80 04 04 00000001 80 04 04 00000002`, { action: UpdateAction.ATTRIBUTE_DISCARD, subcode: 1, attrType: 4 }],
  // §3 (d) missing well-known mandatory
  ['missing ORIGIN', `${AS_PATH} ${NEXT_HOP}`, { action: UpdateAction.TREAT_AS_WITHDRAW, subcode: 3, attrType: 1 }],
  ['missing AS_PATH', `${ORIGIN} ${NEXT_HOP}`, { action: UpdateAction.TREAT_AS_WITHDRAW, subcode: 3, attrType: 2 }],
  ['missing NEXT_HOP', `${ORIGIN} ${AS_PATH}`, { action: UpdateAction.TREAT_AS_WITHDRAW, subcode: 3, attrType: 3 }],
  ['no attributes at all', '', { action: UpdateAction.TREAT_AS_WITHDRAW, subcode: 3 }],
  // §4 attribute framing
  ['attribute header truncated (2 octets left)', `${BASE} 80 04`, { action: UpdateAction.TREAT_AS_WITHDRAW, subcode: 1 }],
  ['extended-length header truncated', `${BASE} 90 04 00`, { action: UpdateAction.TREAT_AS_WITHDRAW, subcode: 1 }],
  ['attribute overruns Total Path Attribute Length', `${BASE} 80 04 09 00000001`, { action: UpdateAction.TREAT_AS_WITHDRAW, subcode: 5, attrType: 4 }],
];

describe('RFC 7606 soft errors: action, subcode, and the NLRI still returned', () => {
  for (const [name, attrs, exp, c] of soft) {
    test(name, () => {
      const u = dec(upd(attrs, NLRI), c ?? ctx4);
      assert.equal(u.action, exp.action);
      const e = u.errors.find((x) => (exp.attrType === undefined || x.attrType === exp.attrType) && (exp.subcode === undefined || x.subcode === exp.subcode));
      assert.ok(e, `errors: ${JSON.stringify(u.errors)}`);
      assert.deepEqual(u.nlri, [nlri('192.168.1.0/24')]);
      if (exp.absent) assert.equal((u.attributes as Record<string, unknown>)[exp.absent], undefined);
    });
  }

  test('attribute discard keeps the rest usable', () => {
    const u = dec(upd(`${BASE} 40 06 01 00 80 04 04 00000005`, NLRI));
    assert.equal(u.action, UpdateAction.ATTRIBUTE_DISCARD);
    assert.equal(u.attributes.med, 5);
    assert.equal(u.attributes.origin, 0);
  });

  test('the NLRI is located from Total Path Attribute Length, not from where parsing stopped', () => {
    // The MED claims 9 octets: parsing stops, yet both prefixes after the field are found.
    const u = dec(upd(`${BASE} 80 04 09 00000001`, `${NLRI} 08 0a`));
    assert.deepEqual(u.nlri, [nlri('192.168.1.0/24'), nlri('10.0.0.0/8')]);
  });

  test('the strongest action wins', () => {
    const u = dec(upd(`${BASE} 40 06 01 00 c0 08 05 0000000000`, NLRI));
    assert.equal(u.action, UpdateAction.TREAT_AS_WITHDRAW);
    assert.equal(u.errors.length, 2);
  });

  test('duplicate attribute: the first occurrence is used', () => {
    assert.equal(dec(upd(`${BASE} 80 04 04 00000001 80 04 04 00000002`, NLRI)).attributes.med, 1);
  });

  test('withdraw-only UPDATE needs no mandatory attributes', () => {
    const u = dec(upd('', '', '08 0a'));
    assert.equal(u.action, UpdateAction.NONE);
    assert.deepEqual(u.withdrawn, [nlri('10.0.0.0/8')]);
  });

  test('MP_REACH_NLRI without NEXT_HOP is complete; without ORIGIN it is withdrawn', () => {
    const reach = '80 0e 1a 0002 01 10 fd000000000000000000000000000001 00 20 fd000001';
    assert.equal(dec(upd(`${ORIGIN} ${AS_PATH} ${reach}`)).action, UpdateAction.NONE);
    const u = dec(upd(`${AS_PATH} ${reach}`));
    assert.equal(u.action, UpdateAction.TREAT_AS_WITHDRAW);
    assert.deepEqual(u.mpReach!.nlri, [nlri('fd00:1::/32')]);
  });

  test('unknown optional transitive kept (with flags), optional non-transitive dropped', () => {
    const u = dec(upd(`${BASE} c0 63 02 abcd 80 64 01 ff e0 65 00`, NLRI));
    assert.equal(u.action, UpdateAction.NONE);
    assert.deepEqual(u.attributes.unknown, [
      { flags: 0xc0, type: 0x63, value: Uint8Array.of(0xab, 0xcd) },
      { flags: 0xe0, type: 0x65, value: new Uint8Array(0) },
    ]);
    // Passed on with the Partial bit set (RFC 4271 §5).
    const again = dec(encodeUpdate(u, ctx4));
    assert.deepEqual(again.attributes.unknown!.map((a) => a.flags), [0xe0, 0xe0]);
  });

  test('attributes go out ordered by type code, unknown ones interleaved at theirs', () => {
    const block = encodeAttributeBlock({
      origin: 0, asPath: [{ type: 2, asns: [65001, 70000] }], nextHop: Uint8Array.of(192, 0, 2, 1), med: 5,
      communities: [0xfde80001], largeCommunities: [{ global: 65001, local1: 1, local2: 2 }], otc: 65001,
      unknown: [
        { flags: 0xc0, type: 40, value: Uint8Array.of(1) },
        { flags: 0xc0, type: 12, value: Uint8Array.of(2) },
        { flags: 0xc0, type: 33, value: new Uint8Array(300) },
      ],
    }, ctx4, false);
    const types: number[] = [];
    for (let p = 0; p < block.length;) {
      types.push(block[p + 1]!);
      p += (block[p]! & 0x10) !== 0 ? 4 + ((block[p + 2]! << 8) | block[p + 3]!) : 3 + block[p + 2]!;
    }
    // NEXT_HOP (3) is left to packUpdates.
    assert.deepEqual(types, [1, 2, 4, 8, 12, 32, 33, 35, 40]);
    const again = dec(upd(`${Buffer.from(block).toString('hex')} ${NEXT_HOP}`, NLRI));
    assert.equal(again.action, UpdateAction.NONE);
    assert.deepEqual(again.attributes.asPath, [{ type: 2, asns: [65001, 70000] }]);
    assert.deepEqual(again.attributes.unknown!.map((a) => [a.type, a.value.length]), [[12, 1], [33, 300], [40, 1]]);
  });

  test('MP family we do not handle is discarded, not an error', () => {
    const u = dec(upd(`${BASE} 80 0f 03 0001 80`, NLRI)); // MP_UNREACH IPv4 flowspec
    assert.equal(u.action, UpdateAction.ATTRIBUTE_DISCARD);
    assert.equal(u.mpUnreach, undefined);
    assert.equal(isEndOfRib(u), null);
  });

  test('AS4_PATH and AS4_AGGREGATOR are ignored on a 4-octet session (RFC 6793 §4.1)', () => {
    const u = dec(upd(`${BASE} c0 11 06 02 01 fa56ea01`, NLRI));
    assert.equal(u.action, UpdateAction.NONE);
    assert.deepEqual(u.attributes.asPath, [{ type: 2, asns: [65001] }]);
  });
});

describe('session resets (BgpError) with code, subcode and data', () => {
  test('Withdrawn Routes Length overruns → 3/1', () => {
    const b = upd('', '', '08 0a');
    b.writeUInt16BE(50, 19);
    assert.deepEqual([reset(b).code, reset(b).subcode], [3, 1]);
  });
  test('Total Path Attribute Length overruns → 3/1', () => {
    const b = upd(BASE, NLRI);
    b.writeUInt16BE(200, 21);
    assert.deepEqual([reset(b).code, reset(b).subcode], [3, 1]);
  });
  test('NLRI prefix length 33 → 3/10', () => {
    assert.deepEqual([reset(upd(BASE, '21 0a000000 00')).code, reset(upd(BASE, '21 0a000000 00')).subcode], [3, 10]);
  });
  test('NLRI prefix overrunning the message → 3/10', () => {
    assert.equal(reset(upd(BASE, '18 0a00')).subcode, 10);
  });
  test('withdrawn prefix length 40 → 3/10', () => {
    assert.equal(reset(upd('', '', '28 0a000000 00')).subcode, 10);
  });
  test('unrecognized well-known attribute → 3/2 with the attribute as data', () => {
    const e = reset(upd(`${BASE} 40 63 02 abcd`, NLRI));
    assert.deepEqual([e.code, e.subcode], [3, 2]);
    assert.deepEqual(Buffer.from(e.data), hex('40 63 02 abcd'));
  });
  test('duplicate MP_REACH_NLRI → 3/1', () => {
    const r = '80 0e 1a 0002 01 10 fd000000000000000000000000000001 00 20 fd000001';
    assert.equal(reset(upd(`${BASE} ${r} ${r}`)).subcode, 1);
  });
  test('duplicate MP_UNREACH_NLRI → 3/1', () => {
    assert.equal(reset(upd('80 0f 03 000201 80 0f 03 000201')).subcode, 1);
  });
  test('MP_REACH_NLRI too short → 3/9 with the attribute as data', () => {
    const e = reset(upd(`${BASE} 80 0e 04 0002 01 10`));
    assert.deepEqual([e.code, e.subcode], [3, 9]);
    assert.deepEqual(Buffer.from(e.data), hex('80 0e 04 0002 01 10'));
  });
  test('MP_REACH_NLRI next hop length 5 for IPv6 → 3/9', () => {
    assert.equal(reset(upd(`${BASE} 80 0e 0b 0002 01 05 0102030405 00 00`)).subcode, 9);
  });
  test('MP_REACH_NLRI next hop overrunning → 3/9', () => {
    assert.equal(reset(upd(`${BASE} 80 0e 06 0002 01 10 0102`)).subcode, 9);
  });
  test('MP_REACH_NLRI prefix length 129 → 3/10', () => {
    assert.equal(reset(upd(`${BASE} 80 0e 16 0002 01 10 fd000000000000000000000000000001 00 81 00`)).subcode, 10);
  });
  test('MP_UNREACH_NLRI too short → 3/9; bad prefix → 3/10', () => {
    assert.equal(reset(upd('80 0f 02 0002')).subcode, 9);
    assert.equal(reset(upd('80 0f 05 0002 01 40 fd')).subcode, 10);
  });
  test('RFC 8950: IPv4 NLRI with IPv6 next hop only when extended next hop was negotiated', () => {
    const a = `${ORIGIN} ${AS_PATH} 80 0e 1b 0001 01 10 fd000000000000000000000000000001 00 18 c0a801 08 0a`;
    assert.equal(reset(upd(a)).subcode, 9);
    const u = dec(upd(a), { ...ctx4, extendedNextHop: new Set([IPV4_UNICAST]) });
    assert.equal(u.action, UpdateAction.NONE);
    assert.deepEqual(u.mpReach!.nlri, [nlri('192.168.1.0/24'), nlri('10.0.0.0/8')]);
    assert.deepEqual(u.mpReach!.nextHop, { global: parsePrefix('fd00::1').addr });
  });
  test('a flag conflict on MP_REACH_NLRI still reads its NLRI (treat-as-withdraw)', () => {
    const u = dec(upd(`${ORIGIN} ${AS_PATH} c0 0e 1a 0002 01 10 fd000000000000000000000000000001 00 20 fd000001`));
    assert.equal(u.action, UpdateAction.TREAT_AS_WITHDRAW);
    assert.deepEqual(u.mpReach!.nlri, [nlri('fd00:1::/32')]);
  });
});

describe('RFC 6793: 2-octet sessions', () => {
  test('AS4_PATH merged into AS_PATH, AS4_AGGREGATOR replaces AGGREGATOR AS_TRANS', () => {
    const u = dec(upd(`
      ${ORIGIN}
      40 02 08 02 03 fde9 5ba0 5ba0            # AS_PATH: 65001 AS_TRANS AS_TRANS
      ${NEXT_HOP}
      c0 07 06 5ba0 0a000001                   # AGGREGATOR AS_TRANS 10.0.0.1
      c0 11 0a 02 02 fa56ea01 fa56ea02         # AS4_PATH: 4200000001 4200000002
      c0 12 08 fa56ea03 0a000001               # AS4_AGGREGATOR 4200000003
    `, NLRI), ctx2);
    assert.equal(u.action, UpdateAction.NONE);
    assert.deepEqual(u.attributes.asPath, [{ type: 2, asns: [65001, 4200000001, 4200000002] }]);
    assert.deepEqual(u.attributes.aggregator, { asn: 4200000003, address: Uint8Array.of(10, 0, 0, 1) });
  });
  test('AGGREGATOR with a real 2-octet AS: AS4_PATH and AS4_AGGREGATOR ignored', () => {
    const u = dec(upd(`${ORIGIN} 40 02 04 02 01 5ba0 ${NEXT_HOP} c0 07 06 fde9 0a000001 c0 11 06 02 01 fa56ea01 c0 12 08 fa56ea03 0a000001`, NLRI), ctx2);
    assert.deepEqual(u.attributes.asPath, [{ type: 2, asns: [AS_TRANS] }]);
    assert.deepEqual(u.attributes.aggregator, { asn: 65001, address: Uint8Array.of(10, 0, 0, 1) });
  });
  test('AS4_PATH longer than AS_PATH is ignored', () => {
    const u = dec(upd(`${ORIGIN} 40 02 04 02 01 5ba0 ${NEXT_HOP} c0 11 0a 02 02 fa56ea01 fa56ea02`, NLRI), ctx2);
    assert.deepEqual(u.attributes.asPath, [{ type: 2, asns: [AS_TRANS] }]);
  });
  test('confederation segments in AS4_PATH are dropped (RFC 6793 §6)', () => {
    const u = dec(upd(`${ORIGIN} 40 02 04 02 01 5ba0 ${NEXT_HOP} c0 11 0c 03 01 fa56ea09 02 01 fa56ea01`, NLRI), ctx2);
    assert.deepEqual(u.attributes.asPath, [{ type: 2, asns: [4200000001] }]);
  });
  test('encode splits into AS_PATH with AS_TRANS + AS4_PATH, and AGGREGATOR + AS4_AGGREGATOR', () => {
    const attributes = {
      origin: 0, asPath: [{ type: 2, asns: [65001, 4200000001] }, { type: 1, asns: [65002, 4200000002] }],
      nextHop: Uint8Array.of(10, 0, 0, 1), aggregator: { asn: 4200000003, address: Uint8Array.of(10, 0, 0, 2) },
    } as const;
    const b = encodeUpdate({ attributes, nlri: [nlri('10.0.0.0/8')] }, ctx2);
    assert.ok(b.includes(hex('40 02 0c 02 02 fde9 5ba0 01 02 fdea 5ba0')), 'AS_PATH with AS_TRANS');
    assert.ok(b.includes(hex('c0 11 14 02 02 0000fde9 fa56ea01 01 02 0000fdea fa56ea02')), 'AS4_PATH');
    assert.ok(b.includes(hex('c0 07 06 5ba0 0a000002')), 'AGGREGATOR AS_TRANS');
    assert.ok(b.includes(hex('c0 12 08 fa56ea03 0a000002')), 'AS4_AGGREGATOR');
    const u = dec(b, ctx2);
    assert.deepEqual(u.attributes, attributes);
  });
  test('no AS4_PATH when every AS fits in 2 octets', () => {
    const b = encodeUpdate({ attributes: { origin: 0, asPath: [{ type: 2, asns: [65001] }], nextHop: Uint8Array.of(1, 2, 3, 4) } }, ctx2);
    assert.ok(!b.includes(hex('c0 11')));
  });
});

describe('End-of-RIB (RFC 4724 §2)', () => {
  test('IPv4 unicast: empty UPDATE', () => {
    const b = encodeEndOfRib(1, 1);
    assert.deepEqual(b, msg(2, '0000 0000'));
    assert.equal(isEndOfRib(dec(b)), IPV4_UNICAST);
  });
  test('IPv6 unicast: empty MP_UNREACH_NLRI', () => {
    const b = encodeEndOfRib(2, 1);
    assert.deepEqual(b, msg(2, '0000 0006 80 0f 03 0002 01'));
    assert.equal(isEndOfRib(dec(b)), IPV6_UNICAST);
    assert.equal(isEndOfRib(dec(b)), afiSafi(2, 1));
  });
  test('not End-of-RIB: withdrawals, NLRI, or attributes present', () => {
    assert.equal(isEndOfRib(dec(upd('', '', '08 0a'))), null);
    assert.equal(isEndOfRib(dec(upd(BASE, NLRI))), null);
    assert.equal(isEndOfRib(dec(upd(ORIGIN))), null);
    assert.equal(isEndOfRib(dec(upd('80 0f 05 0002 01 08 fd'))), null);
  });
});

describe('encodeUpdate limits', () => {
  test('too big for the session → WrenError CODEC_MESSAGE_TOO_BIG; fits with extended message', () => {
    const many = Array.from({ length: 1200 }, (_, i) => nlri(`10.${i >> 8}.${i & 255}.0/24`));
    assert.throws(() => encodeUpdate({ attributes: { origin: 0 }, nlri: many }, ctx4), (e: unknown) => e instanceof WrenError && e.code === 'CODEC_MESSAGE_TOO_BIG');
    const big = encodeUpdate({ attributes: { origin: 0 }, nlri: many }, { ...ctx4, maxMessageLength: 65535 });
    assert.equal(dec(big, { ...ctx4, maxMessageLength: 65535 }).nlri.length, 1200);
  });
  test('attribute values over 255 octets use the extended length form', () => {
    const communities = Array.from({ length: 100 }, (_, i) => i + 1);
    const b = encodeUpdate({ attributes: { communities } }, ctx4);
    assert.ok(b.includes(hex('d0 08 0190')));
    assert.deepEqual(dec(b).attributes.communities, communities);
  });
  test('AS_PATH length is right in both forms: short, over 255 octets, segments split at 255 ASNs', () => {
    for (const [count, ctx, flagsTypeLen] of [
      [3, ctx4, '40 02 0e'], // 2 + 3 * 4
      [63, ctx4, '40 02 fe'], // 2 + 63 * 4 = 254
      [64, ctx4, '50 02 0102'], // 258: extended
      [300, ctx4, '50 02 04b4'], // 2 + 255 * 4 + 2 + 45 * 4 = 1204
      [300, ctx2, '50 02 025c'], // 2-octet ASNs: 2 + 255 * 2 + 2 + 45 * 2 = 604
    ] as const) {
      const asns = Array.from({ length: count }, (_, i) => 64512 + (i % 1000));
      const b = encodeUpdate({ attributes: { origin: 0, asPath: [{ type: AsPathSegmentType.AS_SEQUENCE, asns }] } }, ctx);
      assert.ok(b.includes(hex(flagsTypeLen)), `${count} ASNs: ${flagsTypeLen}`);
      const back = dec(b, ctx).attributes.asPath!;
      assert.deepEqual(back.flatMap((s) => s.asns), asns);
      assert.deepEqual(back.map((s) => s.asns.length), count > 255 ? [255, count - 255] : [count]);
    }
  });
});

describe('decoded next hops', () => {
  test('a next hop that repeats is one shared array (read-only); another one is its own copy; the receive buffer is never referenced', () => {
    const enc = (nh: number[]) => encodeUpdate({ attributes: { origin: 0, asPath: [], nextHop: Uint8Array.from(nh) }, nlri: [makeNlri(parsePrefix('10.0.0.0/24'), 0)] }, ctx4);
    const b1 = enc([192, 0, 2, 1]), b2 = enc([192, 0, 2, 1]), b3 = enc([192, 0, 2, 2]);
    const n1 = dec(b1).attributes.nextHop!, n2 = dec(b2).attributes.nextHop!, n3 = dec(b3).attributes.nextHop!;
    assert.equal(n1, n2, 'the same array');
    assert.notEqual(n1, n3);
    assert.deepEqual([...n1], [192, 0, 2, 1]);
    assert.deepEqual([...n3], [192, 0, 2, 2]);
    assert.notEqual(n1.buffer, b2.buffer, 'a copy, not a view of the message');
    b2.fill(0);
    assert.deepEqual([...n1], [192, 0, 2, 1]);
    // Four are remembered: after four others, the first comes back as a new array with the same bytes.
    for (let i = 3; i < 7; i++) dec(enc([192, 0, 2, i]));
    const again = dec(enc([192, 0, 2, 1])).attributes.nextHop!;
    assert.notEqual(again, n1);
    assert.deepEqual([...again], [192, 0, 2, 1]);
    // MP_REACH next hops (global and link-local) likewise.
    const addr = (t: string) => parsePrefix(t).addr;
    const v6 = (ll: string) => encodeUpdate({ attributes: { origin: 0, asPath: [] }, mpReach: { afi: Afi.IPV6, safi: 1, nextHop: { global: addr('fd00::1'), linkLocal: addr(ll) }, nlri: [nlri('fd00:1::/32')] } }, ctx4);
    const m1 = dec(v6('fe80::1')).mpReach!.nextHop, m2 = dec(v6('fe80::2')).mpReach!.nextHop;
    assert.equal(m1.global, m2.global);
    assert.notEqual(m1.linkLocal, m2.linkLocal);
    assert.deepEqual(m2.linkLocal, addr('fe80::2'));
  });
});
