// Interned attribute sets (hash-consing): every route in every table points at one shared,
// frozen AttrSet, so a million routes with a few thousand distinct attribute combinations
// store each combination once, compare attributes by identity (`a.attrs === b.attrs`),
// and bucket UPDATEs by a small integer (`AttrSet.id`, update groups). BIRD does the same
// with its cached `rta` (nest/rt-attr.c: "Cached &rta's ... are stored in a hash table to
// make fast lookup possible and they are provided with a use count to allow sharing").
//
// An AttrSet holds the BGP path attributes (RFC 4271 §5 and later, as decoded in
// src/bgp/codec/types.ts) plus the non-BGP attributes a routing table carries, BIRD style:
// where the route goes (dest/gateway/ifname, BIRD's rta dest, gw, iface) and the kernel's
// krt_metric / krt_source / krt_tunnel (BIRD's kernel eattrs; krt_tunnel is Calico's fork),
// krt_prefsrc / krt_realm / krt_scope, and the next hops of a multipath route (BIRD's mpnh).
// Preference, the IGP metric and next-hop reachability are NOT here: they are per route
// (src/rib/route.ts), since a filter sets `preference` per route and next-hop resolution
// changes reachability without changing what the peer sent.
//
// Derived values that best path compares are read off the set when asked: AS_PATH length
// (RFC 4271 §9.1.2.2 (a), RFC 5065 §5.3), neighbour AS (the first AS of a leading
// AS_SEQUENCE, for MED comparison, §9.1.2.2 (c)) and CLUSTER_LIST length (RFC 4456 §9, 0
// without one).
//
// Identity: a 32-bit murmur3-style hash over every field (with a presence mask, so
// "absent" differs from 0), an open-addressed index of ids in a typed array, and a full field-by-field
// equality check on every hash hit. Lists are compared in order (communities in a different
// order are a different set: correct, merely less sharing). No JSON; a string key is built
// only when a new set looks up a pooled hop or IPv6 address that is not among the last few.
//
// Layout: one class (the one place here that is not plain data: its prototype carries the
// getters), one hidden class; the fields that differ from set to set are own properties,
// where the route goes is a pooled object shared by many sets, and the rarely present
// fields sit in two small frozen side objects, all read through getters, so a typical BGP
// set is about a third of the size of an object with all 31 fields (drawn below).
//
// Reference counting: `intern` returns the set with one more reference (the caller's);
// `ref` adds one, `unref` drops one and frees the set at zero (its id is then reused: hold a
// reference for as long as you key anything by an id). Refcounts live in a side array, so
// the AttrSet itself stays frozen.
//
// AS paths are interned too, per table and refcounted ("shared AS paths" below): the sets
// of a table hold each distinct path once.
//
// Leaves out: interning of the other lists (community lists are shared between sets only
// when a caller says which set it derived them from, or hands in frozen ones; addresses come
// from a small pool, see copyBytes below),
// and copy-on-write edits (filters build a new RouteAttributes and intern it).

import type { AsPathSegment, PathAttributes, NextHop } from '../bgp/codec/types.js';
import { WrenError } from '../bgp/errors.js';
import { grown, retire } from './columns.js';
import { addressKey } from './prefix.js';
import { metricsEqual, type KrtMetrics } from './krt-metrics.js';

/** What a route does with packets (BIRD's RTD_*). */
export const enum RouteDest {
  /** `via <gateway> on <ifname>` */
  ROUTER = 1,
  /** `dev <ifname>` */
  DEVICE = 2,
  BLACKHOLE = 3,
  UNREACHABLE = 4,
  PROHIBIT = 5,
  /** Several `via <gateway> on <ifname> weight <w>` (BIRD's RTD_MULTIPATH): see `nextHops`. */
  MULTIPATH = 6,
}

/** One next hop of a RouteDest.MULTIPATH route (BIRD 1.6 `struct mpnh`). */
export interface RouteNextHop {
  /** 4 or 16 bytes. */
  readonly gateway: Uint8Array;
  /** Outgoing interface name ('' while the kernel's ifindex has no known name). */
  readonly ifname: string;
  /** 1..256 (rtnh_hops + 1), as `show route` prints it. */
  readonly weight: number;
}

/**
 * The input to `intern`: BGP path attributes plus the table's own route attributes.
 * `nextHop` is BGP.next_hop whichever way it came: the NEXT_HOP attribute (4 bytes) or the
 * global address of an MP_REACH_NLRI next hop (4 or 16 bytes); `nextHopLinkLocal` is the
 * RFC 2545 link-local part.
 */
export interface RouteAttributes extends PathAttributes {
  readonly nextHopLinkLocal?: Uint8Array;
  readonly dest?: RouteDest;
  /** The resolved gateway (4 or 16 bytes) for RouteDest.ROUTER. */
  readonly gateway?: Uint8Array;
  /** Outgoing interface name. */
  readonly ifname?: string;
  /** krt_metric: kernel route priority (RTA_PRIORITY), unsigned 32-bit. */
  readonly krtMetric?: number;
  /** krt_source: the kernel route's rtm_protocol. */
  readonly krtSource?: number;
  /** krt_tunnel (Calico's BIRD fork): "" or an interface name such as "tunl0". */
  readonly krtTunnel?: string;
  /** The next hops of a RouteDest.MULTIPATH route (at least two, gateway and interface each). */
  readonly nextHops?: readonly RouteNextHop[];
  /** krt_prefsrc: RTA_PREFSRC, the preferred source address (4 or 16 bytes). */
  readonly krtPrefsrc?: Uint8Array;
  /** krt_realm: RTA_FLOW. */
  readonly krtRealm?: number;
  /** krt_scope: rtm_scope, kept when it is not the default one (BIRD 1.6 nl_parse_route). */
  readonly krtScope?: number;
  /** krt_mtu … krt_quickack, the lock and feature bits: RTA_METRICS (see krt-metrics.ts). */
  readonly krtMetrics?: KrtMetrics;
}

/** BIRD's AS_PATH_MAXLEN: the path length used for a route without AS_PATH. */
export const AS_PATH_MAXLEN = 10000;

/**
 * One interned, frozen attribute set. Every RouteAttributes field reads as a property
 * (undefined when absent: test with `!== undefined`); the frequent ones are own properties,
 * the rare ones getters over side objects (layout below, "the set object"). So a spread or
 * Object.keys of a set does NOT see every field: copy one with `copyAttributes`.
 */
export interface AttrSet extends RouteAttributes {
  /** Small integer, unique among live sets, reused after the set is freed. */
  readonly id: number;
  /** RFC 4271 §9.1.2.2 (a): AS_SET counts 1, confederation segments 0; AS_PATH_MAXLEN if absent. */
  readonly asPathLength: number;
  /** First AS of a leading AS_SEQUENCE, or -1 (then the peer's AS is the neighbour AS). */
  readonly neighbourAs: number;
  /** RFC 4456 §9 (b): number of CLUSTER_LIST entries (0 if absent). */
  readonly clusterListLength: number;
}

export interface AttrSetStats {
  /** Live sets. */
  readonly count: number;
  /** Sum of all reference counts. */
  readonly refs: number;
  /** Rough heap estimate of the live sets, their shared AS paths and the tables (V8 object sizes approximated). */
  readonly bytes: number;
  /** Distinct AS paths held by the live sets (each stored once). */
  readonly paths: number;
}

export type AttrHash = (a: RouteAttributes) => number;

// ---- hashing -------------------------------------------------------------------------------

// murmur3 x86_32 mixing step and finaliser, on 32-bit integers via Math.imul.
function mix(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  // Signed: a small integer to V8 (an unsigned value of 2^31 or more is a heap number,
  // allocated for every hash a non-inlined call returns).
  return (h ^ (h >>> 16)) | 0;
}

function mixBytes(h: number, b: Uint8Array): number {
  const n = b.length;
  h = mix(h, n);
  let i = 0;
  for (; i + 4 <= n; i += 4) h = mix(h, (b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!);
  let k = 0;
  for (; i < n; i++) k = (k << 8) | b[i]!;
  return mix(h, k);
}

function mixNums(h: number, a: readonly number[]): number {
  h = mix(h, a.length);
  // `| 0` (mix sees the same 32 bits): a value of 2^31 or more (most communities) would
  // otherwise be passed as a heap number, one allocation per element.
  for (let i = 0; i < a.length; i++) h = mix(h, a[i]! | 0);
  return h;
}

function mixString(h: number, s: string): number {
  h = mix(h, s.length);
  for (let i = 0; i < s.length; i++) h = mix(h, s.charCodeAt(i));
  return h;
}

// Presence bits, one per optional field, in the order the fields are hashed.
const P_ORIGIN = 1 << 0, P_AS_PATH = 1 << 1, P_NEXT_HOP = 1 << 2, P_MED = 1 << 3, P_LOCAL_PREF = 1 << 4;
const P_ATOMIC = 1 << 5, P_AGGREGATOR = 1 << 6, P_COMMUNITIES = 1 << 7, P_ORIGINATOR = 1 << 8;
const P_CLUSTER = 1 << 9, P_EXT_COMM = 1 << 10, P_LARGE_COMM = 1 << 11, P_OTC = 1 << 12, P_UNKNOWN = 1 << 13;
const P_NH_LL = 1 << 14, P_DEST = 1 << 15, P_GATEWAY = 1 << 16, P_IFNAME = 1 << 17, P_KRT_METRIC = 1 << 18;
const P_KRT_SOURCE = 1 << 19, P_KRT_TUNNEL = 1 << 20;
const P_NEXT_HOPS = 1 << 21, P_KRT_PREFSRC = 1 << 22, P_KRT_REALM = 1 << 23, P_KRT_SCOPE = 1 << 24;
const P_KRT_METRICS = 1 << 25;

/** The default hash: every field of a RouteAttributes, signed 32-bit. */
export function hashAttributes(a: RouteAttributes): number {
  // One pass: each present field sets its presence bit and is mixed in; the bits go in last,
  // so that "absent" differs from 0.
  let h = 0x2f1e5a77, m = 0;
  if (a.origin !== undefined) { m |= P_ORIGIN; h = mix(h, a.origin); }
  if (a.asPath !== undefined) {
    m |= P_AS_PATH;
    h = mix(h, a.asPath.length);
    // Indexed loops here and below: a for-of over a frozen array allocates its iterator.
    for (let i = 0; i < a.asPath.length; i++) h = mixNums(mix(h, a.asPath[i]!.type), a.asPath[i]!.asns);
  }
  if (a.nextHop !== undefined) { m |= P_NEXT_HOP; h = mixBytes(h, a.nextHop); }
  if (a.med !== undefined) { m |= P_MED; h = mix(h, a.med | 0); }
  if (a.localPref !== undefined) { m |= P_LOCAL_PREF; h = mix(h, a.localPref | 0); }
  if (a.atomicAggregate !== undefined) { m |= P_ATOMIC; h = mix(h, a.atomicAggregate ? 1 : 0); }
  if (a.aggregator !== undefined) { m |= P_AGGREGATOR; h = mixBytes(mix(h, a.aggregator.asn), a.aggregator.address); }
  if (a.communities !== undefined) { m |= P_COMMUNITIES; h = mixNums(h, a.communities); }
  if (a.originatorId !== undefined) { m |= P_ORIGINATOR; h = mix(h, a.originatorId | 0); }
  if (a.clusterList !== undefined) { m |= P_CLUSTER; h = mixNums(h, a.clusterList); }
  if (a.extCommunities !== undefined) {
    m |= P_EXT_COMM;
    h = mix(h, a.extCommunities.length);
    for (const c of a.extCommunities) h = mixBytes(h, c);
  }
  if (a.largeCommunities !== undefined) {
    m |= P_LARGE_COMM;
    h = mix(h, a.largeCommunities.length);
    for (const c of a.largeCommunities) h = mix(mix(mix(h, c.global), c.local1), c.local2);
  }
  if (a.otc !== undefined) { m |= P_OTC; h = mix(h, a.otc); }
  if (a.unknown !== undefined) {
    m |= P_UNKNOWN;
    h = mix(h, a.unknown.length);
    for (const u of a.unknown) h = mixBytes(mix(mix(h, u.flags), u.type), u.value);
  }
  if (a.nextHopLinkLocal !== undefined) { m |= P_NH_LL; h = mixBytes(h, a.nextHopLinkLocal); }
  if (a.dest !== undefined) { m |= P_DEST; h = mix(h, a.dest); }
  if (a.gateway !== undefined) { m |= P_GATEWAY; h = mixBytes(h, a.gateway); }
  if (a.ifname !== undefined) { m |= P_IFNAME; h = mixString(h, a.ifname); }
  if (a.krtMetric !== undefined) { m |= P_KRT_METRIC; h = mix(h, a.krtMetric); }
  if (a.krtSource !== undefined) { m |= P_KRT_SOURCE; h = mix(h, a.krtSource); }
  if (a.krtTunnel !== undefined) { m |= P_KRT_TUNNEL; h = mixString(h, a.krtTunnel); }
  if (a.nextHops !== undefined) {
    m |= P_NEXT_HOPS;
    h = mix(h, a.nextHops.length);
    for (const nh of a.nextHops) h = mixString(mix(mixBytes(h, nh.gateway), nh.weight), nh.ifname);
  }
  if (a.krtPrefsrc !== undefined) { m |= P_KRT_PREFSRC; h = mixBytes(h, a.krtPrefsrc); }
  if (a.krtRealm !== undefined) { m |= P_KRT_REALM; h = mix(h, a.krtRealm); }
  if (a.krtScope !== undefined) { m |= P_KRT_SCOPE; h = mix(h, a.krtScope); }
  if (a.krtMetrics !== undefined) {
    m |= P_KRT_METRICS;
    for (const k in a.krtMetrics) h = mix(mix(h, Number(k)), a.krtMetrics[Number(k)]!);
  }
  return fmix(mix(h, m));
}

// ---- equality ------------------------------------------------------------------------------

function bytesEq(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function numsEq(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function listEq<T>(a: readonly T[] | undefined, b: readonly T[] | undefined, eq: (x: T, y: T) => boolean): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!eq(a[i]!, b[i]!)) return false;
  return true;
}

// Element comparisons for listEq, made once (an arrow written in the call makes a closure per call).
const nextHopEq = (x: RouteNextHop, y: RouteNextHop): boolean => x.weight === y.weight && x.ifname === y.ifname && bytesEq(x.gateway, y.gateway);
const segmentEq = (x: AsPathSegment, y: AsPathSegment): boolean => x.type === y.type && numsEq(x.asns, y.asns);
type LargeCommunity = NonNullable<RouteAttributes['largeCommunities']>[number];
const largeEq = (x: LargeCommunity, y: LargeCommunity): boolean => x.global === y.global && x.local1 === y.local1 && x.local2 === y.local2;
type RawAttr = NonNullable<RouteAttributes['unknown']>[number];
const rawEq = (x: RawAttr, y: RawAttr): boolean => x.flags === y.flags && x.type === y.type && bytesEq(x.value, y.value);

/** Field-by-field equality of two attribute sets (what interning means by "equal"). */
export function attributesEqual(a: RouteAttributes, b: RouteAttributes): boolean {
  return (
    a.origin === b.origin &&
    a.med === b.med &&
    a.localPref === b.localPref &&
    a.atomicAggregate === b.atomicAggregate &&
    a.originatorId === b.originatorId &&
    a.otc === b.otc &&
    a.dest === b.dest &&
    a.ifname === b.ifname &&
    a.krtMetric === b.krtMetric &&
    a.krtSource === b.krtSource &&
    a.krtTunnel === b.krtTunnel &&
    a.krtRealm === b.krtRealm &&
    a.krtScope === b.krtScope &&
    bytesEq(a.krtPrefsrc, b.krtPrefsrc) &&
    metricsEqual(a.krtMetrics, b.krtMetrics) &&
    listEq(a.nextHops, b.nextHops, nextHopEq) &&
    bytesEq(a.nextHop, b.nextHop) &&
    bytesEq(a.nextHopLinkLocal, b.nextHopLinkLocal) &&
    bytesEq(a.gateway, b.gateway) &&
    listEq(a.asPath, b.asPath, segmentEq) &&
    (a.aggregator === b.aggregator ||
      (a.aggregator !== undefined &&
        b.aggregator !== undefined &&
        a.aggregator.asn === b.aggregator.asn &&
        bytesEq(a.aggregator.address, b.aggregator.address))) &&
    numsEq(a.communities, b.communities) &&
    numsEq(a.clusterList, b.clusterList) &&
    listEq(a.extCommunities, b.extCommunities, bytesEq) &&
    listEq(a.largeCommunities, b.largeCommunities, largeEq) &&
    listEq(a.unknown, b.unknown, rawEq)
  );
}

// ---- derived values ------------------------------------------------------------------------

/**
 * AS_PATH length for best path: RFC 4271 §9.1.2.2 (a) ("an AS_SET counts as 1, no matter
 * how many ASes are in the set"), RFC 5065 §5.3 (confederation segments count 0).
 */
export function asPathLength(path: PathAttributes['asPath']): number {
  if (path === undefined) return AS_PATH_MAXLEN;
  let n = 0;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]!;
    if (seg.type === 2 /* AS_SEQUENCE */) n += seg.asns.length;
    else if (seg.type === 1 /* AS_SET */) n += 1;
  }
  return n;
}

/** BIRD's as_path_get_first: the first AS of a leading, non-empty AS_SEQUENCE, else -1. */
export function firstAs(path: PathAttributes['asPath']): number {
  if (path === undefined || path.length === 0) return -1;
  const s = path[0]!;
  return s.type === 2 && s.asns.length > 0 ? s.asns[0]! : -1;
}

// ---- copying into the set's own form ---------------------------------------------------------

// A set never changes, and nobody may write into anything it holds. The set object and its
// side objects are frozen; its lists are not: Object.freeze on an array costs about 170 ns
// in V8 (a runtime call that rewrites the elements), and a full-table load made four or five
// such calls per UPDATE (4% of its time). The AS path and the communities of a set are
// therefore its own copies (or shared, see below), read-only by type (`readonly number[]`);
// the rare lists in the side objects stay frozen.
//
// Parts of a set are shared wherever that is safe, so that sets which differ in one field
// (a received set and its export form with one more AS) do not each carry copies of the
// rest: AS paths come from the table's pool (below); a list that is the same array as the
// one of `like` (a set the caller derived its attributes from, see intern) or that is
// frozen is taken as it is; addresses (next hops, gateways) come from a small pool of
// shared byte arrays, since a table has few distinct ones.

/** Shared address bytes by value; bounded, so odd input cannot grow it for ever. */
const bytePool = new Map<number | string, Uint8Array>();
const BYTE_POOL_MAX = 4096;

/**
 * The last few pooled arrays copyBytes handed out, most recent first: compared (by identity,
 * then by bytes) before a pool key is made. A set with an IPv6 next hop makes two keys
 * otherwise, an 8-character string each (1.6% of a DUT loading 200k IPv6 routes), and a
 * table's sets share two or three addresses.
 */
const recentBytes: Uint8Array[] = [];
const RECENT_BYTES = 4;

function copyBytes(b: Uint8Array | undefined): Uint8Array | undefined {
  if (b === undefined) return undefined;
  const r = recentBytes;
  for (let i = 0; i < r.length; i++) if (r[i] === b || bytesEq(r[i], b)) return r[i];
  const k = addressKey(b);
  if (k === undefined) return b.slice();
  let hit = bytePool.get(k);
  if (hit === undefined) {
    hit = b.slice();
    if (bytePool.size >= BYTE_POOL_MAX) return hit; // not pooled: never among the recent ones
    bytePool.set(k, hit);
  }
  if (r.length === RECENT_BYTES) r.pop();
  r.unshift(hit);
  return hit;
}

const freezeNums = (a: readonly number[] | undefined): readonly number[] | undefined =>
  a === undefined ? undefined : Object.isFrozen(a) ? a : Object.freeze(a.slice());

/** A set's own list: `a` itself when it is `like`'s (another set's) or frozen, else a copy. */
const ownNums = (a: readonly number[] | undefined, like: readonly number[] | undefined): readonly number[] | undefined =>
  a === undefined ? undefined : a === like || Object.isFrozen(a) ? a : a.slice();

/** The pool's own copy of an AS path (plain arrays, see above). */
function ownPath(p: AsPath): AsPath {
  const out = new Array<AsPathSegment>(p.length);
  for (let i = 0; i < p.length; i++) {
    const s = p[i]!;
    out[i] = { type: s.type, asns: s.asns.slice() };
  }
  return out;
}

// ---- shared AS paths -----------------------------------------------------------------------

// An AS path in a set's own form is the largest part of a typical set: its array, a segment
// object and the segment's AS array, about 170 bytes for a path of three ASes, as much as the
// set object itself. A table has far fewer distinct paths than sets (sets differing only in
// MED, communities or next hop share one; the ipv4-1m table has one path per ~3 sets), so
// each AttrSetTable keeps its paths once, refcounted by the sets that hold them: interned
// like the sets, with the same kind of index (IdIndex). Only a set's creation
// (a miss) and its freeing touch the pool; a hit on an existing set does not.
// Measured with `node --expose-gc --import tsx bench/pipeline.ts 1000000` (231,542 live
// sets, 75,886 distinct paths), live heap after a full GC: 119 MiB with a 31-property object
// per set and a path per set; 92 MiB with the side objects; 62 MiB with shared paths and
// the hash kept a small integer as well. Run time unchanged within the machine's noise.

type AsPath = readonly AsPathSegment[];

// ---- an open-addressed index over small ids (the set table and the path pool) ---------------

/**
 * Ids by their 32-bit hash: open addressing with linear probing, at most half full. A slot
 * holds id + 1 in its low bits (`mask`) and the hash's high bits above them (its tag), 0
 * when empty. The owners probe it inline (`slots`, `mask`; see AttrSetTable.intern):
 * a probe passes another id's slot by the tag alone, without reading the id's object or
 * per-id arrays (each a cache miss in a big table), so a miss costs one cache line where
 * chained buckets read the bucket, the chain and the hash of each id in it. The owners'
 * ids are dense (freed ids are reused first), so their count never passes half the slots
 * and id + 1 always fits below the tag. `hashes`: each id's whole hash, for a rebuild and
 * a removal.
 */
class IdIndex {
  slots = new Int32Array(64);
  mask = 63;
  private hashes = new Int32Array(32);
  /** 1 for an id in the index (a rebuild reads the ids in order, not the old slots). */
  private used = new Uint8Array(32);
  /** Ids below it have been added (and maybe removed since). */
  private top = 0;
  private live = 0;

  /** Adds `id` (not in the index) with hash h. */
  add(id: number, h: number): void {
    if (id >= this.hashes.length) {
      const cap = Math.max(this.hashes.length * 2, id + 1);
      this.hashes = grown(this.hashes, cap);
      this.used = grown(this.used, cap);
    }
    if (++this.live * 2 > this.slots.length || id + 1 > this.mask) this.rebuild(this.slots.length * 2);
    this.hashes[id] = h;
    this.used[id] = 1;
    if (id >= this.top) this.top = id + 1;
    this.place(h, id);
  }

  /** Removes `id` (in the index): backward-shift deletion, so that no probe stops early. */
  remove(id: number): void {
    const slots = this.slots, mask = this.mask;
    let i = this.hashes[id]! & mask;
    while ((slots[i]! & mask) !== id + 1) i = (i + 1) & mask;
    for (let j = (i + 1) & mask; slots[j] !== 0; j = (j + 1) & mask) {
      const home = this.hashes[(slots[j]! & mask) - 1]! & mask;
      // The entry at j may move to i if its home is not in the cyclic range (i, j].
      if (i <= j ? home <= i || home > j : home <= i && home > j) {
        slots[i] = slots[j]!;
        i = j;
      }
    }
    slots[i] = 0;
    this.used[id] = 0;
    this.live--;
  }

  /** Ids in the index (its owner's live ids). */
  get size(): number {
    return this.live;
  }

  /** Bytes of its arrays. */
  get byteLength(): number {
    return this.slots.byteLength + this.hashes.byteLength + this.used.byteLength;
  }

  private place(h: number, id: number): void {
    const slots = this.slots, mask = this.mask;
    let i = h & mask;
    while (slots[i] !== 0) i = (i + 1) & mask;
    slots[i] = (h & ~mask) | (id + 1);
  }

  /** The index again with `size` slots, the ids placed in id order (their hashes read in order). */
  private rebuild(size: number): void {
    retire(this.slots);
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    const used = this.used, hashes = this.hashes;
    for (let id = 0; id < this.top; id++) if (used[id] === 1) this.place(hashes[id]!, id);
  }
}

/** The default hash of a path in the pool. */
function hashPath(p: AsPath): number {
  let h = mix(0x5bd1e995, p.length);
  for (let i = 0; i < p.length; i++) h = mixNums(mix(h, p[i]!.type), p[i]!.asns);
  return fmix(h);
}

class PathPool {
  constructor(private readonly hashFn: (p: AsPath) => number) {}

  private paths: (AsPath | undefined)[] = [];
  private refs = new Int32Array(64);
  private readonly index = new IdIndex();
  private freeIds: number[] = [];
  /** Approximate heap bytes of the live paths (estimateBytes' constants). */
  bytes = 0;

  /** The pooled path equal to `p` (the pool's own copy), with one more reference. */
  acquire(p: AsPath): AsPath {
    const h = this.hashFn(p) | 0;
    const { slots, mask } = this.index, tag = h & ~mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const e = slots[i]!;
      if (e === 0) break;
      if ((e & ~mask) !== tag) continue; // before touching the path: a cache miss saved
      const id = (e & mask) - 1, q = this.paths[id]!;
      if (q === p || listEq(q, p, segmentEq)) {
        this.refs[id]!++;
        return q;
      }
    }
    let id: number;
    if (this.freeIds.length > 0) id = this.freeIds.pop()!;
    else {
      id = this.paths.length;
      this.paths.push(undefined);
      if (id >= this.refs.length) this.refs = grown(this.refs, this.refs.length * 2);
    }
    const q = ownPath(p);
    this.paths[id] = q;
    this.refs[id] = 1;
    this.bytes += pathBytes(q);
    this.index.add(id, h);
    return q;
  }

  /** Drops one reference to a path `acquire` returned; the last one frees it. */
  release(q: AsPath): void {
    const h = this.hashFn(q) | 0;
    const { slots, mask } = this.index, tag = h & ~mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const e = slots[i]!;
      if (e === 0) return;
      const id = (e & mask) - 1;
      if ((e & ~mask) !== tag || this.paths[id] !== q) continue;
      if (--this.refs[id]! > 0) return;
      this.index.remove(id);
      this.paths[id] = undefined;
      this.bytes -= pathBytes(q);
      this.freeIds.push(id);
      return;
    }
  }

  get size(): number {
    return this.index.size;
  }

  /** Bytes of the pool's own arrays. */
  tableBytes(): number {
    return this.index.byteLength + this.refs.byteLength + this.paths.length * SLOT;
  }
}

// ---- the set object ------------------------------------------------------------------------

// Layout (V8 without pointer compression: a 24-byte object header, then 8 bytes per
// in-object property). A BGP route carries ORIGIN, AS_PATH, NEXT_HOP and maybe MED,
// LOCAL_PREF and communities; the table adds dest / gateway / ifname. The id and the fields
// that differ from set to set are own properties, written in one order by one constructor,
// so every set has the same hidden class (and the same frozen one after Object.freeze).
// Everything else sits in frozen side objects read through getters:
//
//   AttrSetObject (24 + 9 * 8 = 96 bytes; a plain object with every field: 24 + 31 * 8 = 272)
//   ┌────┬────────┬────────┬─────┬───────────┬─────────────┬─────┬──────┬─────┐
//   │ id │ origin │ asPath │ med │ localPref │ communities │ hop │ rare │ krt │
//   └────┴────────┴────────┴─────┴───────────┴─────────────┴──┬──┴──┬───┴──┬──┘
//                            Hop (pooled, shared) ◀───────────┘     │      │
//                            RareAttributes | undefined ◀───────────┘      │
//                            KernelAttributes | undefined ◀────────────────┘
//
//   Hop (24 + 4 * 8): nextHop, dest, gateway, ifname: where the route goes. A table has few
//     distinct ones (its peers' addresses, a BGP session's own next hop on export), so they
//     are pooled by value (hopOf) and a set holds one pointer to a shared object.
//   RareAttributes (24 + 9 * 8): atomicAggregate, aggregator, originatorId, clusterList,
//     extCommunities, largeCommunities, otc, unknown, nextHopLinkLocal
//   KernelAttributes (24 + 8 * 8): krtMetric, krtSource, krtTunnel, nextHops, krtPrefsrc,
//     krtRealm, krtScope, krtMetrics (kernel-learned routes and routes a filter gives krt_*
//     attributes)
//
// Two side objects for the absent fields rather than one, so that a kernel export (krt_tunnel
// set by Calico's filter) does not carry nine empty BGP slots, nor an RR-reflected route
// seven empty krt ones. Readers write `set.originatorId` as before: getters on the shared
// prototype, inlined by the optimising compiler (one hidden class, so the access sites stay
// monomorphic). The derived values best path reads (asPathLength, neighbourAs,
// clusterListLength) are getters too, computed from the path or list when asked, as BIRD's
// as_path_getlen is: only a net with several candidates compares them. The hash lives in
// the table's column, not in the set.
// Measured (`node --expose-gc --import tsx bench/pipeline.ts 1000000 --decode`, live heap
// after a full GC with 231,542 sets): 15 own properties → 9: 79 → 69 MiB.
//
// Caution for callers: a spread (`{ ...set }`), Object.keys/entries, for-in, JSON.stringify
// and structuredClone see only own properties, so they miss the getters: copy a set with
// copyAttributes() (then override fields), never with a spread.

interface RareAttributes {
  readonly atomicAggregate: boolean | undefined;
  readonly aggregator: RouteAttributes['aggregator'];
  readonly originatorId: number | undefined;
  readonly clusterList: readonly number[] | undefined;
  readonly extCommunities: RouteAttributes['extCommunities'];
  readonly largeCommunities: RouteAttributes['largeCommunities'];
  readonly otc: number | undefined;
  readonly unknown: RouteAttributes['unknown'];
  readonly nextHopLinkLocal: Uint8Array | undefined;
}

interface KernelAttributes {
  readonly krtMetric: number | undefined;
  readonly krtSource: number | undefined;
  readonly krtTunnel: string | undefined;
  readonly nextHops: readonly RouteNextHop[] | undefined;
  readonly krtPrefsrc: Uint8Array | undefined;
  readonly krtRealm: number | undefined;
  readonly krtScope: number | undefined;
  readonly krtMetrics: KrtMetrics | undefined;
}

function rareAttributes(a: RouteAttributes): RareAttributes | undefined {
  if (
    a.atomicAggregate === undefined && a.aggregator === undefined && a.originatorId === undefined &&
    a.clusterList === undefined && a.extCommunities === undefined && a.largeCommunities === undefined &&
    a.otc === undefined && a.unknown === undefined && a.nextHopLinkLocal === undefined
  ) return undefined;
  // Every property written, in one order: one hidden class for all of them.
  return Object.freeze({
    atomicAggregate: a.atomicAggregate,
    aggregator: a.aggregator === undefined ? undefined : Object.freeze({ asn: a.aggregator.asn, address: a.aggregator.address.slice() }),
    originatorId: a.originatorId,
    clusterList: freezeNums(a.clusterList),
    extCommunities: a.extCommunities === undefined ? undefined : Object.freeze(a.extCommunities.map((c) => c.slice())),
    largeCommunities: a.largeCommunities === undefined ? undefined : Object.freeze(a.largeCommunities.map((c) => Object.freeze({ global: c.global, local1: c.local1, local2: c.local2 }))),
    otc: a.otc,
    unknown: a.unknown === undefined ? undefined : Object.freeze(a.unknown.map((u) => Object.freeze({ flags: u.flags, type: u.type, value: u.value.slice() }))),
    nextHopLinkLocal: copyBytes(a.nextHopLinkLocal),
  });
}

function kernelAttributes(a: RouteAttributes): KernelAttributes | undefined {
  if (
    a.krtMetric === undefined && a.krtSource === undefined && a.krtTunnel === undefined && a.nextHops === undefined &&
    a.krtPrefsrc === undefined && a.krtRealm === undefined && a.krtScope === undefined && a.krtMetrics === undefined
  ) return undefined;
  return Object.freeze({
    krtMetric: a.krtMetric,
    krtSource: a.krtSource,
    krtTunnel: a.krtTunnel,
    nextHops: a.nextHops === undefined ? undefined : Object.freeze(a.nextHops.map((nh) => Object.freeze({ gateway: nh.gateway.slice(), ifname: nh.ifname, weight: nh.weight }))),
    krtPrefsrc: copyBytes(a.krtPrefsrc),
    krtRealm: a.krtRealm,
    krtScope: a.krtScope,
    krtMetrics: a.krtMetrics === undefined || Object.isFrozen(a.krtMetrics) ? a.krtMetrics : Object.freeze({ ...a.krtMetrics }),
  });
}

interface Hop {
  readonly nextHop: Uint8Array | undefined;
  readonly dest: RouteDest | undefined;
  readonly gateway: Uint8Array | undefined;
  readonly ifname: string | undefined;
}

const NO_HOP: Hop = Object.freeze({ nextHop: undefined, dest: undefined, gateway: undefined, ifname: undefined });
/**
 * Shared Hops by value. Bounded, and emptied when full rather than closed to new ones: a
 * daemon that runs for months sees gateways come and go (Calico nodes joining and leaving),
 * and Hops made after a clear are shared again. Sets keep the Hops they have (equality is
 * by value, so two sets never need the same Hop object).
 */
const hopPool = new Map<string, Hop>();
const HOP_POOL_MAX = 4096;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function hexKey(b: Uint8Array | undefined): string {
  if (b === undefined) return '-';
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX[b[i]!]!;
  return s;
}

/**
 * The Hops hopOf gave last, most recent first: sets made one after another mostly share a
 * few (a full-table load alternates between the received next hop and the export's own).
 */
const recentHops: Hop[] = [NO_HOP, NO_HOP, NO_HOP, NO_HOP];

/** The shared Hop of a's next hop, dest, gateway and interface (made only on a set's creation). */
function hopOf(a: RouteAttributes): Hop {
  if (a.nextHop === undefined && a.dest === undefined && a.gateway === undefined && a.ifname === undefined) return NO_HOP;
  const r = recentHops;
  for (let i = 0; i < r.length; i++) {
    const h = r[i]!;
    if (h.dest === a.dest && h.ifname === a.ifname && bytesEq(h.nextHop, a.nextHop) && bytesEq(h.gateway, a.gateway)) return h;
  }
  const h = pooledHop(a);
  r.pop();
  r.unshift(h);
  return h;
}

function pooledHop(a: RouteAttributes): Hop {
  // The interface name last: it is the one free-form part.
  const key = `${hexKey(a.nextHop)}/${a.dest ?? '-'}/${hexKey(a.gateway)}/${a.ifname === undefined ? '-' : '=' + a.ifname}`;
  const hit = hopPool.get(key);
  if (hit !== undefined) return hit;
  if (hopPool.size >= HOP_POOL_MAX) hopPool.clear();
  const h: Hop = Object.freeze({ nextHop: copyBytes(a.nextHop), dest: a.dest, gateway: copyBytes(a.gateway), ifname: a.ifname });
  hopPool.set(key, h);
  return h;
}

/** The one class of interned sets (not exported: sets come only from AttrSetTable.intern). */
class AttrSetObject implements AttrSet {
  // `declare`: no class-field initialisers; the constructor writes each property once, in order.
  declare readonly id: number;
  declare readonly origin: RouteAttributes['origin'];
  declare readonly asPath: RouteAttributes['asPath'];
  declare readonly med: number | undefined;
  declare readonly localPref: number | undefined;
  declare readonly communities: readonly number[] | undefined;
  declare private readonly hop: Hop;
  declare private readonly rare: RareAttributes | undefined;
  declare private readonly krt: KernelAttributes | undefined;

  /**
   * `asPath`: a's AS path from the table's PathPool (undefined when a has none); `like`: a set
   * whose lists a's may be (shared, not copied).
   */
  constructor(a: RouteAttributes, id: number, asPath: AsPath | undefined, like: AttrSet | undefined) {
    this.id = id;
    this.origin = a.origin;
    this.asPath = asPath;
    this.med = a.med;
    this.localPref = a.localPref;
    this.communities = ownNums(a.communities, like?.communities);
    this.hop = hopOf(a);
    this.rare = rareAttributes(a);
    this.krt = kernelAttributes(a);
    Object.freeze(this);
  }

  get nextHop(): Uint8Array | undefined {
    return this.hop.nextHop;
  }
  get dest(): RouteDest | undefined {
    return this.hop.dest;
  }
  get gateway(): Uint8Array | undefined {
    return this.hop.gateway;
  }
  get ifname(): string | undefined {
    return this.hop.ifname;
  }
  get asPathLength(): number {
    return asPathLength(this.asPath);
  }
  get neighbourAs(): number {
    return firstAs(this.asPath);
  }

  get clusterListLength(): number {
    const r = this.rare;
    return r === undefined || r.clusterList === undefined ? 0 : r.clusterList.length;
  }

  get atomicAggregate(): boolean | undefined {
    const r = this.rare;
    return r === undefined ? undefined : r.atomicAggregate;
  }
  get aggregator(): RouteAttributes['aggregator'] {
    const r = this.rare;
    return r === undefined ? undefined : r.aggregator;
  }
  get originatorId(): number | undefined {
    const r = this.rare;
    return r === undefined ? undefined : r.originatorId;
  }
  get clusterList(): readonly number[] | undefined {
    const r = this.rare;
    return r === undefined ? undefined : r.clusterList;
  }
  get extCommunities(): RouteAttributes['extCommunities'] {
    const r = this.rare;
    return r === undefined ? undefined : r.extCommunities;
  }
  get largeCommunities(): RouteAttributes['largeCommunities'] {
    const r = this.rare;
    return r === undefined ? undefined : r.largeCommunities;
  }
  get otc(): number | undefined {
    const r = this.rare;
    return r === undefined ? undefined : r.otc;
  }
  get unknown(): RouteAttributes['unknown'] {
    const r = this.rare;
    return r === undefined ? undefined : r.unknown;
  }
  get nextHopLinkLocal(): Uint8Array | undefined {
    const r = this.rare;
    return r === undefined ? undefined : r.nextHopLinkLocal;
  }

  get krtMetric(): number | undefined {
    const k = this.krt;
    return k === undefined ? undefined : k.krtMetric;
  }
  get krtSource(): number | undefined {
    const k = this.krt;
    return k === undefined ? undefined : k.krtSource;
  }
  get krtTunnel(): string | undefined {
    const k = this.krt;
    return k === undefined ? undefined : k.krtTunnel;
  }
  get nextHops(): readonly RouteNextHop[] | undefined {
    const k = this.krt;
    return k === undefined ? undefined : k.nextHops;
  }
  get krtPrefsrc(): Uint8Array | undefined {
    const k = this.krt;
    return k === undefined ? undefined : k.krtPrefsrc;
  }
  get krtRealm(): number | undefined {
    const k = this.krt;
    return k === undefined ? undefined : k.krtRealm;
  }
  get krtScope(): number | undefined {
    const k = this.krt;
    return k === undefined ? undefined : k.krtScope;
  }
  get krtMetrics(): KrtMetrics | undefined {
    const k = this.krt;
    return k === undefined ? undefined : k.krtMetrics;
  }

  /** Heap bytes of the side objects (see estimateBytes; the Hop is shared, counted in none). */
  sideBytes(): number {
    return (this.rare === undefined ? 0 : OBJ + 9 * SLOT) + (this.krt === undefined ? 0 : OBJ + 8 * SLOT);
  }
}

/** Own properties of an AttrSetObject (the layout drawn above). */
const SET_SLOTS = 9;

// Approximate V8 heap bytes (64-bit, no pointer compression): object header (map,
// properties, elements) and 8-byte slots; a JSArray (header + length) plus its backing store
// header; a Uint8Array with its ArrayBuffer object (the bytes themselves are off the heap).
const OBJ = 24, SLOT = 8, ARR = 48, TYPED = 96, STR = 16;
const nums = (a: readonly number[] | undefined): number => (a === undefined ? 0 : ARR + a.length * SLOT);

/** Addresses from the shared pool cost the set nothing of its own. */
function typed(u: Uint8Array | undefined): number {
  if (u === undefined) return 0;
  for (let i = 0; i < recentBytes.length; i++) if (recentBytes[i] === u) return 0;
  const k = addressKey(u);
  return k !== undefined && bytePool.get(k) === u ? 0 : TYPED + u.length;
}

/** Approximate heap bytes of a pooled AS path: its array, segment objects and AS arrays. */
function pathBytes(path: AsPath): number {
  let b = ARR + path.length * SLOT;
  for (let i = 0; i < path.length; i++) b += OBJ + 2 * SLOT + nums(path[i]!.asns);
  return b;
}

/**
 * Approximate heap bytes of one set: its object, its side objects and what hangs off them,
 * except its AS path (counted once in the table's PathPool). Lists taken over from the
 * caller (communities shared with another set) are counted in each set that holds them,
 * so this is an upper bound where sets share parts.
 */
function estimateBytes(s: AttrSetObject): number {
  let b = OBJ + SET_SLOTS * SLOT + s.sideBytes();
  b += typed(s.nextHopLinkLocal);
  if (s.aggregator) b += OBJ + 2 * SLOT + typed(s.aggregator.address);
  b += nums(s.communities) + nums(s.clusterList);
  if (s.extCommunities) b += ARR + s.extCommunities.length * (SLOT + TYPED + 8);
  if (s.largeCommunities) b += ARR + s.largeCommunities.length * (SLOT + OBJ + 3 * SLOT);
  if (s.unknown) for (const u of s.unknown) b += SLOT + OBJ + 3 * SLOT + typed(u.value);
  if (s.krtTunnel !== undefined) b += STR + s.krtTunnel.length;
  b += typed(s.krtPrefsrc);
  if (s.krtMetrics) b += OBJ + Object.keys(s.krtMetrics).length * 2 * SLOT;
  if (s.nextHops) for (const nh of s.nextHops) b += SLOT + OBJ + 3 * SLOT + TYPED + nh.gateway.length + STR + nh.ifname.length;
  return b;
}

// ---- the table -----------------------------------------------------------------------------

/**
 * The interning table. One per daemon is the normal case (`attrSets` below); tests make
 * their own, e.g. with a forced-collision hash.
 */
export class AttrSetTable {
  private readonly hashFn: AttrHash;
  /** Sets by id (undefined for free ids). */
  private sets: (AttrSet | undefined)[] = [];
  private refs = new Int32Array(64);
  /** Ids by hash (most probes of a full-table load are misses: see IdIndex). */
  private readonly index = new IdIndex();
  private freeIds: number[] = [];
  private totalRefs = 0;
  private totalBytes = 0;
  private readonly paths: PathPool;

  /** `hash`, `pathHash`: other hash functions (tests force collisions with constant ones). */
  constructor(options: { hash?: AttrHash; pathHash?: (p: readonly AsPathSegment[]) => number } = {}) {
    this.hashFn = options.hash ?? hashAttributes;
    this.paths = new PathPool(options.pathHash ?? hashPath);
  }

  /**
   * The shared set equal to `a`, with one more reference (the caller's). `like`: a set that
   * `a` was derived from (BGP export preparation, a filter), whose lists `a` may still hold:
   * a new set shares those instead of copying them.
   */
  intern(a: RouteAttributes, like?: AttrSet): AttrSet {
    // Already one of ours (a filter that changed nothing hands the set back): one more
    // reference, no hashing.
    const id = (a as { id?: unknown }).id;
    if (typeof id === 'number' && this.sets[id] === a) {
      this.refs[id]!++;
      this.totalRefs++;
      return a as AttrSet;
    }
    // Signed: a small integer for V8 (an unsigned one above 2^31 would be a boxed double).
    const h = this.hashFn(a) | 0;
    const sets = this.sets, { slots, mask } = this.index, tag = h & ~mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const e = slots[i]!;
      if (e === 0) break;
      if ((e & ~mask) !== tag) continue;
      const id = (e & mask) - 1, s = sets[id]!;
      if (s === a || attributesEqual(s, a)) {
        this.refs[id]!++;
        this.totalRefs++;
        return s;
      }
    }
    return this.insert(a, h, like);
  }

  private insert(a: RouteAttributes, h: number, like: AttrSet | undefined): AttrSet {
    let id: number;
    if (this.freeIds.length > 0) id = this.freeIds.pop()!;
    else {
      id = this.sets.length;
      this.sets.push(undefined);
      if (id >= this.refs.length) this.refs = grown(this.refs, this.refs.length * 2);
    }
    const s = new AttrSetObject(a, id, a.asPath === undefined ? undefined : this.paths.acquire(a.asPath), like);
    this.sets[id] = s;
    this.refs[id] = 1;
    this.totalRefs++;
    this.totalBytes += estimateBytes(s);
    this.index.add(id, h);
    return s;
  }

  /** One more reference to a live set; returns it. */
  ref(s: AttrSet): AttrSet {
    this.check(s);
    this.refs[s.id]!++;
    this.totalRefs++;
    return s;
  }

  /** Drops one reference; at zero the set leaves the table and its id becomes free. */
  unref(s: AttrSet): void {
    this.check(s);
    const id = s.id;
    this.totalRefs--;
    if (--this.refs[id]! > 0) return;
    this.index.remove(id);
    this.sets[id] = undefined;
    if (s.asPath !== undefined) this.paths.release(s.asPath);
    // The same estimate as at insert: a set never changes, nor does whether its parts are
    // pooled (the pools only grow), so no column keeps it.
    this.totalBytes -= estimateBytes(s as AttrSetObject);
    this.freeIds.push(id);
  }

  private check(s: AttrSet): void {
    if (this.sets[s.id] !== s) {
      throw new WrenError('ERR_ATTR_SET_FREED', `attribute set ${s.id} is not live in this table (freed, or from another table)`);
    }
  }

  refcount(s: AttrSet): number {
    return this.sets[s.id] === s ? this.refs[s.id]! : 0;
  }

  /** The live set with this id. */
  get(id: number): AttrSet | undefined {
    return this.sets[id];
  }

  get size(): number {
    return this.index.size;
  }

  stats(): AttrSetStats {
    const table = this.index.byteLength + this.refs.byteLength + this.sets.length * SLOT;
    const paths = this.paths.bytes + this.paths.tableBytes();
    return { count: this.index.size, refs: this.totalRefs, bytes: Math.round(this.totalBytes + table + paths), paths: this.paths.size };
  }
}

/** The daemon's table. */
export const attrSets = new AttrSetTable();
export const intern = (a: RouteAttributes, like?: AttrSet): AttrSet => attrSets.intern(a, like);
export const ref = (s: AttrSet): AttrSet => attrSets.ref(s);
export const unref = (s: AttrSet): void => attrSets.unref(s);
export const stats = (): AttrSetStats => attrSets.stats();

/**
 * A mutable copy of the attributes of a set (or any RouteAttributes) for code that edits a
 * few fields and interns the result (BGP export preparation, filters): every field written,
 * in one order, so that all copies share one hidden class with the properties inside the
 * object. Never `{ ...set }`: a spread copies only a set's own properties, so it would lose
 * every rare attribute (they are getters, see "the set object") and copy the id, hash,
 * derived values and side objects instead.
 */
export function copyAttributes(a: RouteAttributes): { -readonly [K in keyof RouteAttributes]: RouteAttributes[K] } {
  return {
    origin: a.origin,
    asPath: a.asPath,
    nextHop: a.nextHop,
    med: a.med,
    localPref: a.localPref,
    atomicAggregate: a.atomicAggregate,
    aggregator: a.aggregator,
    communities: a.communities,
    originatorId: a.originatorId,
    clusterList: a.clusterList,
    extCommunities: a.extCommunities,
    largeCommunities: a.largeCommunities,
    otc: a.otc,
    unknown: a.unknown,
    nextHopLinkLocal: a.nextHopLinkLocal,
    dest: a.dest,
    gateway: a.gateway,
    ifname: a.ifname,
    krtMetric: a.krtMetric,
    krtSource: a.krtSource,
    krtTunnel: a.krtTunnel,
    nextHops: a.nextHops,
    krtPrefsrc: a.krtPrefsrc,
    krtRealm: a.krtRealm,
    krtScope: a.krtScope,
    krtMetrics: a.krtMetrics,
  };
}

/** Convenience: RouteAttributes for a BGP route from decoded attributes and an MP next hop. */
export function bgpRouteAttributes(attrs: PathAttributes, mpNextHop?: NextHop): RouteAttributes {
  if (mpNextHop === undefined) return attrs;
  // copyAttributes, not a spread: `attrs` may be an interned set (rare fields are getters).
  const a = copyAttributes(attrs);
  a.nextHop = mpNextHop.global;
  if (mpNextHop.linkLocal !== undefined) a.nextHopLinkLocal = mpNextHop.linkLocal;
  return a;
}
