// fast-check arbitraries for codec property tests and the fuzzer: OPENs with every
// capability kind, path attributes, IPv4/IPv6 NLRI with and without ADD-PATH, UPDATEs and
// codec contexts. Generated values are already in the normal form decode produces (host bits
// zero, unknown attributes sorted with the Partial bit, no empty lists), so round-trip
// tests compare with deepEqual directly; `normalForAs2` covers the 2-octet AS rules.
import fc from 'fast-check';
import { Afi, IPV4_UNICAST, IPV6_UNICAST, type Nlri, makeNlri, maskHostBits } from '../../../src/rib/prefix.js';
import {
  type AsPathSegment, type Capability, CapabilityCode, type CodecContext, type MpReach, type MpUnreach, type NextHop,
  type OpenMessage, type PathAttributes,
} from '../../../src/bgp/codec/index.js';

// fast-check 4 makes records with a null prototype by default; decode makes plain objects.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const rec: typeof fc.record = ((model: any, opts?: any) => fc.record(model, { ...opts, noNullPrototype: true })) as any;

const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u8 = fc.integer({ min: 0, max: 255 });
const fam = rec({ afi: u16, safi: u8 });

export const capability: fc.Arbitrary<Capability> = fc.oneof(
  fam.map(({ afi, safi }) => ({ code: CapabilityCode.MULTIPROTOCOL, afi, safi }) as Capability),
  fc.constant({ code: CapabilityCode.ROUTE_REFRESH } as Capability),
  fc.constant({ code: CapabilityCode.ENHANCED_ROUTE_REFRESH } as Capability),
  fc.constant({ code: CapabilityCode.EXTENDED_MESSAGE } as Capability),
  fc.integer({ min: 1, max: 0xffffffff }).map((asn) => ({ code: CapabilityCode.FOUR_OCTET_AS, asn }) as Capability),
  rec({
    restarting: fc.boolean(), notification: fc.boolean(), restartTime: fc.integer({ min: 0, max: 4095 }),
    families: fc.array(rec({ afi: u16, safi: u8, forwardingPreserved: fc.boolean() }), { maxLength: 8 }),
  }).map((g) => ({ code: CapabilityCode.GRACEFUL_RESTART, ...g }) as Capability),
  fc.array(rec({ afi: u16, safi: u8, forwardingPreserved: fc.boolean(), staleTime: fc.integer({ min: 0, max: 0xffffff }) }), { maxLength: 8 })
    .map((families) => ({ code: CapabilityCode.LONG_LIVED_GRACEFUL_RESTART, families }) as Capability),
  fc.array(rec({ afi: u16, safi: u8, mode: fc.integer({ min: 1, max: 3 }) }), { maxLength: 8 })
    .map((families) => ({ code: CapabilityCode.ADD_PATH, families }) as Capability),
  fc.array(rec({ afi: u16, safi: u16, nextHopAfi: u16 }), { maxLength: 8 })
    .map((entries) => ({ code: CapabilityCode.EXTENDED_NEXT_HOP, entries }) as Capability),
  fc.integer({ min: 0, max: 4 }).map((role) => ({ code: CapabilityCode.BGP_ROLE, role }) as Capability),
  rec({ hostname: fc.string({ maxLength: 40 }), domain: fc.string({ maxLength: 40 }) })
    .map((f) => ({ code: CapabilityCode.FQDN, ...f }) as Capability),
  rec({ code: fc.constantFrom(3, 4, 8, 66, 128, 131, 200, 255), raw: fc.uint8Array({ maxLength: 20 }) })
    .map(({ code, raw }) => ({ code, raw, unknown: true }) as Capability),
);

export const open: fc.Arbitrary<OpenMessage> = rec({
  myAs: fc.integer({ min: 1, max: 0xffff }),
  holdTime: fc.oneof(fc.constant(0), fc.integer({ min: 3, max: 0xffff })),
  bgpId: fc.integer({ min: 1, max: 0xffffffff }),
  capabilities: fc.array(capability, { maxLength: 12 }),
  extendedParams: fc.boolean(),
}).map((o) => ({ type: 1, version: 4, ...o }) as OpenMessage);

export function nlriArb(afi: Afi, addPath: boolean): fc.Arbitrary<Nlri> {
  const bits = afi === Afi.IPV4 ? 32 : 128;
  return rec({
    len: fc.integer({ min: 0, max: bits }),
    addr: fc.uint8Array({ minLength: bits / 8, maxLength: bits / 8 }),
    pathId: addPath ? u32 : fc.constant(0),
  }).map(({ len, addr, pathId }) => {
    maskHostBits(addr, len);
    // The form the decoder makes (rib/prefix.ts makeNlri: IPv4 as an Nlri4).
    return makeNlri({ afi, len, addr }, pathId);
  });
}

const asn = (max: number) => fc.integer({ min: 1, max });
function segments(as4: boolean): fc.Arbitrary<AsPathSegment[]> {
  const seg = rec({ type: fc.constantFrom(1, 2), asns: fc.array(asn(0xffffffff), { minLength: 1, maxLength: 12 }) });
  const confed = rec({ type: fc.constantFrom(3, 4), asns: fc.array(asn(as4 ? 0xffffffff : 0xffff), { minLength: 1, maxLength: 5 }) });
  // On 2-octet sessions confederation segments lead the path (they are not in AS4_PATH).
  return fc.tuple(fc.array(confed, { maxLength: 2 }), fc.array(seg, { maxLength: 5 }))
    .map(([c, s]) => [...c, ...s] as AsPathSegment[]);
}

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });

export function attributes(as4: boolean, withNextHop: boolean): fc.Arbitrary<PathAttributes> {
  return rec(
    {
      origin: fc.constantFrom(0, 1, 2),
      asPath: segments(as4),
      nextHop: bytes(4),
      med: u32,
      localPref: u32,
      atomicAggregate: fc.constant(true),
      aggregator: rec({ asn: asn(0xffffffff), address: bytes(4) }),
      communities: fc.array(u32, { minLength: 1, maxLength: 10 }),
      originatorId: u32,
      clusterList: fc.array(u32, { minLength: 1, maxLength: 5 }),
      extCommunities: fc.array(bytes(8), { minLength: 1, maxLength: 5 }),
      largeCommunities: fc.array(rec({ global: u32, local1: u32, local2: u32 }), { minLength: 1, maxLength: 5 }),
      otc: u32,
      unknown: fc.uniqueArray(rec({ type: fc.constantFrom(11, 12, 20, 21, 99, 128, 240, 255), value: fc.uint8Array({ maxLength: 300 }) }), {
        minLength: 1, maxLength: 3, selector: (a) => a.type,
      }).map((list) => list.sort((a, b) => a.type - b.type).map((a) => ({ flags: 0xe0, ...a }))),
    },
    { requiredKeys: withNextHop ? ['origin', 'asPath', 'nextHop'] : ['origin', 'asPath'] } as any,
  ) as fc.Arbitrary<PathAttributes>;
}

export const context: fc.Arbitrary<CodecContext> = rec({
  as4: fc.boolean(),
  addPathRx: fc.subarray([IPV4_UNICAST, IPV6_UNICAST]).map((x) => new Set(x)),
  addPathTx: fc.subarray([IPV4_UNICAST, IPV6_UNICAST]).map((x) => new Set(x)),
  maxMessageLength: fc.constantFrom(4096, 65535),
  extendedNextHop: fc.subarray([IPV4_UNICAST]).map((x) => new Set(x)),
  ebgp: fc.boolean(),
});

export interface UpdateCase {
  ctx: CodecContext;
  withdrawn: Nlri[];
  attributes?: PathAttributes;
  nlri: Nlri[];
  mpReach?: MpReach;
  mpUnreach?: MpUnreach;
}

const nextHop6: fc.Arbitrary<NextHop> = fc.oneof(
  bytes(16).map((global) => ({ global })),
  fc.tuple(bytes(16), bytes(16)).map(([global, linkLocal]) => ({ global, linkLocal })),
);

/** An UPDATE (and the symmetric context it is encoded and decoded with). */
export const update: fc.Arbitrary<UpdateCase> = rec({
  as4: fc.boolean(), ap4: fc.boolean(), ap6: fc.boolean(), enh: fc.boolean(),
}).chain(({ as4, ap4, ap6, enh }) => {
  const set = (a: boolean, b: boolean) => new Set([...(a ? [IPV4_UNICAST] : []), ...(b ? [IPV6_UNICAST] : [])]);
  const ctx: CodecContext = {
    as4, addPathRx: set(ap4, ap6), addPathTx: set(ap4, ap6), maxMessageLength: 65535,
    extendedNextHop: new Set(enh ? [IPV4_UNICAST] : []), ebgp: false,
  };
  const mpReach: fc.Arbitrary<MpReach> = fc.oneof(
    rec({ nextHop: nextHop6, nlri: fc.array(nlriArb(Afi.IPV6, ap6), { maxLength: 30 }) }).map((m) => ({ afi: Afi.IPV6, safi: 1, ...m })),
    rec({ nextHop: enh ? fc.oneof(bytes(4).map((global) => ({ global })), nextHop6) : bytes(4).map((global) => ({ global })), nlri: fc.array(nlriArb(Afi.IPV4, ap4), { maxLength: 30 }) })
      .map((m) => ({ afi: Afi.IPV4, safi: 1, ...m })),
  );
  const mpUnreach: fc.Arbitrary<MpUnreach> = fc.oneof(
    fc.array(nlriArb(Afi.IPV6, ap6), { maxLength: 30 }).map((withdrawn) => ({ afi: Afi.IPV6, safi: 1, withdrawn })),
    fc.array(nlriArb(Afi.IPV4, ap4), { maxLength: 30 }).map((withdrawn) => ({ afi: Afi.IPV4, safi: 1, withdrawn })),
  );
  return rec({
    withdrawn: fc.array(nlriArb(Afi.IPV4, ap4), { maxLength: 30 }),
    nlri: fc.array(nlriArb(Afi.IPV4, ap4), { maxLength: 30 }),
    mpReach: fc.option(mpReach, { nil: undefined }),
    mpUnreach: fc.option(mpUnreach, { nil: undefined }),
    attrsWithNh: attributes(as4, true),
    attrsWithoutNh: attributes(as4, false),
  }).map(({ withdrawn, nlri, mpReach, mpUnreach, attrsWithNh, attrsWithoutNh }) => {
    const c: UpdateCase = { ctx, withdrawn, nlri };
    if (nlri.length > 0) c.attributes = attrsWithNh;
    else if (mpReach) c.attributes = attrsWithoutNh;
    if (mpReach) c.mpReach = mpReach;
    if (mpUnreach) c.mpUnreach = mpUnreach;
    return c;
  });
});
