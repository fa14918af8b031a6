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
// Derived values that best-path needs on every comparison are computed once at interning:
// AS_PATH length (RFC 4271 §9.1.2.2 (a), RFC 5065 §5.3), neighbour AS (the first AS of a
// leading AS_SEQUENCE, for MED comparison, §9.1.2.2 (c)) and CLUSTER_LIST length (RFC 4456
// §9).
//
// Identity: a 32-bit murmur3-style hash over every field (a presence mask first, so
// "absent" differs from 0), chained buckets in typed arrays, and a full field-by-field
// equality check on every hash hit. Lists are compared in order (communities in a different
// order are a different set: correct, merely less sharing). No JSON, no strings built.
//
// Reference counting: `intern` returns the set with one more reference (the caller's);
// `ref` adds one, `unref` drops one and frees the set at zero (its id is then reused: hold a
// reference for as long as you key anything by an id). Refcounts live in a side array, so
// the AttrSet itself stays frozen.
//
// Leaves out: attribute-level sub-interning (AS paths and community lists are shared between
// sets only when a caller hands in frozen ones, see copyBytes below), and copy-on-write edits
// (filters build a new RouteAttributes and intern it).

import type { PathAttributes, NextHop } from '../bgp/codec/types.js';
import { WrenError } from '../bgp/errors.js';

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
}

/** BIRD's AS_PATH_MAXLEN: the path length used for a route without AS_PATH. */
export const AS_PATH_MAXLEN = 10000;

/**
 * One interned, frozen attribute set. Every RouteAttributes field is present as a property
 * (undefined when absent: test with `!== undefined`), which keeps one object shape.
 */
export interface AttrSet extends RouteAttributes {
  /** Small integer, unique among live sets, reused after the set is freed. */
  readonly id: number;
  readonly hash: number;
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
  /** Rough heap estimate of the live sets and the table (V8 object sizes approximated). */
  readonly bytes: number;
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
  return (h ^ (h >>> 16)) >>> 0;
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
  for (let i = 0; i < a.length; i++) h = mix(h, a[i]!);
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

function presence(a: RouteAttributes): number {
  let m = 0;
  if (a.origin !== undefined) m |= P_ORIGIN;
  if (a.asPath !== undefined) m |= P_AS_PATH;
  if (a.nextHop !== undefined) m |= P_NEXT_HOP;
  if (a.med !== undefined) m |= P_MED;
  if (a.localPref !== undefined) m |= P_LOCAL_PREF;
  if (a.atomicAggregate !== undefined) m |= P_ATOMIC;
  if (a.aggregator !== undefined) m |= P_AGGREGATOR;
  if (a.communities !== undefined) m |= P_COMMUNITIES;
  if (a.originatorId !== undefined) m |= P_ORIGINATOR;
  if (a.clusterList !== undefined) m |= P_CLUSTER;
  if (a.extCommunities !== undefined) m |= P_EXT_COMM;
  if (a.largeCommunities !== undefined) m |= P_LARGE_COMM;
  if (a.otc !== undefined) m |= P_OTC;
  if (a.unknown !== undefined) m |= P_UNKNOWN;
  if (a.nextHopLinkLocal !== undefined) m |= P_NH_LL;
  if (a.dest !== undefined) m |= P_DEST;
  if (a.gateway !== undefined) m |= P_GATEWAY;
  if (a.ifname !== undefined) m |= P_IFNAME;
  if (a.krtMetric !== undefined) m |= P_KRT_METRIC;
  if (a.krtSource !== undefined) m |= P_KRT_SOURCE;
  if (a.krtTunnel !== undefined) m |= P_KRT_TUNNEL;
  if (a.nextHops !== undefined) m |= P_NEXT_HOPS;
  if (a.krtPrefsrc !== undefined) m |= P_KRT_PREFSRC;
  if (a.krtRealm !== undefined) m |= P_KRT_REALM;
  if (a.krtScope !== undefined) m |= P_KRT_SCOPE;
  return m;
}

/** The default hash: every field of a RouteAttributes, unsigned 32-bit. */
export function hashAttributes(a: RouteAttributes): number {
  let h = mix(0x2f1e5a77, presence(a));
  if (a.origin !== undefined) h = mix(h, a.origin);
  if (a.asPath !== undefined) {
    h = mix(h, a.asPath.length);
    // Indexed loops here and below: a for-of over a frozen array allocates its iterator.
    for (let i = 0; i < a.asPath.length; i++) h = mixNums(mix(h, a.asPath[i]!.type), a.asPath[i]!.asns);
  }
  if (a.nextHop !== undefined) h = mixBytes(h, a.nextHop);
  if (a.med !== undefined) h = mix(h, a.med);
  if (a.localPref !== undefined) h = mix(h, a.localPref);
  if (a.atomicAggregate !== undefined) h = mix(h, a.atomicAggregate ? 1 : 0);
  if (a.aggregator !== undefined) h = mixBytes(mix(h, a.aggregator.asn), a.aggregator.address);
  if (a.communities !== undefined) h = mixNums(h, a.communities);
  if (a.originatorId !== undefined) h = mix(h, a.originatorId);
  if (a.clusterList !== undefined) h = mixNums(h, a.clusterList);
  if (a.extCommunities !== undefined) {
    h = mix(h, a.extCommunities.length);
    for (const c of a.extCommunities) h = mixBytes(h, c);
  }
  if (a.largeCommunities !== undefined) {
    h = mix(h, a.largeCommunities.length);
    for (const c of a.largeCommunities) h = mix(mix(mix(h, c.global), c.local1), c.local2);
  }
  if (a.otc !== undefined) h = mix(h, a.otc);
  if (a.unknown !== undefined) {
    h = mix(h, a.unknown.length);
    for (const u of a.unknown) h = mixBytes(mix(mix(h, u.flags), u.type), u.value);
  }
  if (a.nextHopLinkLocal !== undefined) h = mixBytes(h, a.nextHopLinkLocal);
  if (a.dest !== undefined) h = mix(h, a.dest);
  if (a.gateway !== undefined) h = mixBytes(h, a.gateway);
  if (a.ifname !== undefined) h = mixString(h, a.ifname);
  if (a.krtMetric !== undefined) h = mix(h, a.krtMetric);
  if (a.krtSource !== undefined) h = mix(h, a.krtSource);
  if (a.krtTunnel !== undefined) h = mixString(h, a.krtTunnel);
  if (a.nextHops !== undefined) {
    h = mix(h, a.nextHops.length);
    for (const nh of a.nextHops) h = mixString(mix(mixBytes(h, nh.gateway), nh.weight), nh.ifname);
  }
  if (a.krtPrefsrc !== undefined) h = mixBytes(h, a.krtPrefsrc);
  if (a.krtRealm !== undefined) h = mix(h, a.krtRealm);
  if (a.krtScope !== undefined) h = mix(h, a.krtScope);
  return fmix(h);
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
    listEq(a.nextHops, b.nextHops, (x, y) => x.weight === y.weight && x.ifname === y.ifname && bytesEq(x.gateway, y.gateway)) &&
    bytesEq(a.nextHop, b.nextHop) &&
    bytesEq(a.nextHopLinkLocal, b.nextHopLinkLocal) &&
    bytesEq(a.gateway, b.gateway) &&
    listEq(a.asPath, b.asPath, (x, y) => x.type === y.type && numsEq(x.asns, y.asns)) &&
    (a.aggregator === b.aggregator ||
      (a.aggregator !== undefined &&
        b.aggregator !== undefined &&
        a.aggregator.asn === b.aggregator.asn &&
        bytesEq(a.aggregator.address, b.aggregator.address))) &&
    numsEq(a.communities, b.communities) &&
    numsEq(a.clusterList, b.clusterList) &&
    listEq(a.extCommunities, b.extCommunities, bytesEq) &&
    listEq(a.largeCommunities, b.largeCommunities, (x, y) => x.global === y.global && x.local1 === y.local1 && x.local2 === y.local2) &&
    listEq(a.unknown, b.unknown, (x, y) => x.flags === y.flags && x.type === y.type && bytesEq(x.value, y.value))
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

// ---- copying into the frozen form ----------------------------------------------------------

// Parts of a set are shared wherever that is safe, so that sets which differ in one field
// (a received set and its export form with one more AS) do not each carry copies of the
// rest: arrays that are frozen already (another set's, or built frozen by the export code)
// are taken as they are, and addresses (next hops, gateways) come from a small pool of
// shared byte arrays, since a table has few distinct ones. Nobody may write into a set's
// byte arrays.

/** Shared address bytes by value; bounded, so odd input cannot grow it for ever. */
const bytePool = new Map<number | string, Uint8Array>();
const BYTE_POOL_MAX = 4096;

function poolKey(b: Uint8Array): number | string | undefined {
  if (b.length === 4) return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  if (b.length !== 16) return undefined;
  let s = '';
  for (let i = 0; i < 16; i += 2) s += String.fromCharCode((b[i]! << 8) | b[i + 1]!);
  return s;
}

function copyBytes(b: Uint8Array | undefined): Uint8Array | undefined {
  if (b === undefined) return undefined;
  const k = poolKey(b);
  if (k === undefined) return b.slice();
  const hit = bytePool.get(k);
  if (hit !== undefined) return hit;
  const c = b.slice();
  if (bytePool.size < BYTE_POOL_MAX) bytePool.set(k, c);
  return c;
}

const freezeNums = (a: readonly number[] | undefined): readonly number[] | undefined =>
  a === undefined ? undefined : Object.isFrozen(a) ? a : Object.freeze(a.slice());

/** An AS path in the frozen form: the given one when it is frozen through and through. */
function freezePath(p: PathAttributes['asPath']): PathAttributes['asPath'] {
  if (p === undefined) return undefined;
  if (Object.isFrozen(p) && p.every((s) => Object.isFrozen(s) && Object.isFrozen(s.asns))) return p;
  return Object.freeze(p.map((s) => Object.freeze({ type: s.type, asns: Object.isFrozen(s.asns) ? s.asns : Object.freeze(s.asns.slice()) })));
}

function build(a: RouteAttributes, id: number, hash: number): AttrSet {
  // Every property is written, in one order, so all sets share one hidden class.
  const set: AttrSet = {
    id,
    hash,
    origin: a.origin,
    asPath: freezePath(a.asPath),
    nextHop: copyBytes(a.nextHop),
    med: a.med,
    localPref: a.localPref,
    atomicAggregate: a.atomicAggregate,
    aggregator: a.aggregator === undefined ? undefined : Object.freeze({ asn: a.aggregator.asn, address: a.aggregator.address.slice() }),
    communities: freezeNums(a.communities),
    originatorId: a.originatorId,
    clusterList: freezeNums(a.clusterList),
    extCommunities: a.extCommunities === undefined ? undefined : Object.freeze(a.extCommunities.map((c) => c.slice())),
    largeCommunities: a.largeCommunities === undefined ? undefined : Object.freeze(a.largeCommunities.map((c) => Object.freeze({ global: c.global, local1: c.local1, local2: c.local2 }))),
    otc: a.otc,
    unknown: a.unknown === undefined ? undefined : Object.freeze(a.unknown.map((u) => Object.freeze({ flags: u.flags, type: u.type, value: u.value.slice() }))),
    nextHopLinkLocal: copyBytes(a.nextHopLinkLocal),
    dest: a.dest,
    gateway: copyBytes(a.gateway),
    ifname: a.ifname,
    krtMetric: a.krtMetric,
    krtSource: a.krtSource,
    krtTunnel: a.krtTunnel,
    nextHops: a.nextHops === undefined ? undefined : Object.freeze(a.nextHops.map((nh) => Object.freeze({ gateway: nh.gateway.slice(), ifname: nh.ifname, weight: nh.weight }))),
    krtPrefsrc: copyBytes(a.krtPrefsrc),
    krtRealm: a.krtRealm,
    krtScope: a.krtScope,
    asPathLength: asPathLength(a.asPath),
    neighbourAs: firstAs(a.asPath),
    clusterListLength: a.clusterList === undefined ? 0 : a.clusterList.length,
  };
  return Object.freeze(set);
}

/** Approximate V8 heap bytes of one set (object header + slots, arrays, typed arrays, strings). */
const OBJ = 16, SLOT = 8, ARR = 16, TYPED = 96, STR = 16;
const typed = (u: Uint8Array | undefined): number => (u === undefined ? 0 : TYPED + u.length);
const nums = (a: readonly number[] | undefined): number => (a === undefined ? 0 : ARR + a.length * SLOT);

function estimateBytes(s: AttrSet): number {
  let b = OBJ + 31 * SLOT;
  const path = s.asPath;
  if (path) {
    b += ARR + path.length * SLOT;
    for (let i = 0; i < path.length; i++) b += OBJ + 2 * SLOT + nums(path[i]!.asns);
  }
  b += typed(s.nextHop) + typed(s.nextHopLinkLocal) + typed(s.gateway);
  if (s.aggregator) b += OBJ + 2 * SLOT + typed(s.aggregator.address);
  b += nums(s.communities) + nums(s.clusterList);
  if (s.extCommunities) b += ARR + s.extCommunities.length * (SLOT + TYPED + 8);
  if (s.largeCommunities) b += ARR + s.largeCommunities.length * (SLOT + OBJ + 3 * SLOT);
  if (s.unknown) for (const u of s.unknown) b += SLOT + OBJ + 3 * SLOT + typed(u.value);
  if (s.ifname !== undefined) b += STR + s.ifname.length;
  if (s.krtTunnel !== undefined) b += STR + s.krtTunnel.length;
  b += typed(s.krtPrefsrc);
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
  /** Next id in the same bucket, -1 at the end. */
  private chain = new Int32Array(64);
  private bytesOf = new Float64Array(64);
  private buckets = new Int32Array(64).fill(-1);
  private mask = 63;
  private freeIds: number[] = [];
  private live = 0;
  private totalRefs = 0;
  private totalBytes = 0;

  constructor(options: { hash?: AttrHash } = {}) {
    this.hashFn = options.hash ?? hashAttributes;
  }

  /** The shared set equal to `a`, with one more reference (the caller's). */
  intern(a: RouteAttributes): AttrSet {
    // Already one of ours (a filter that changed nothing hands the set back): one more
    // reference, no hashing.
    const id = (a as { id?: unknown }).id;
    if (typeof id === 'number' && this.sets[id] === a) {
      this.refs[id]!++;
      this.totalRefs++;
      return a as AttrSet;
    }
    const h = this.hashFn(a) >>> 0;
    const sets = this.sets;
    for (let id = this.buckets[h & this.mask]!; id !== -1; id = this.chain[id]!) {
      const s = sets[id]!;
      if (s.hash === h && (s === a || attributesEqual(s, a))) {
        this.refs[id]!++;
        this.totalRefs++;
        return s;
      }
    }
    return this.insert(a, h);
  }

  private insert(a: RouteAttributes, h: number): AttrSet {
    let id: number;
    if (this.freeIds.length > 0) id = this.freeIds.pop()!;
    else {
      id = this.sets.length;
      this.sets.push(undefined);
      if (id >= this.refs.length) this.growIds(this.refs.length * 2);
    }
    const s = build(a, id, h);
    this.sets[id] = s;
    this.refs[id] = 1;
    this.totalRefs++;
    const bytes = estimateBytes(s);
    this.bytesOf[id] = bytes;
    this.totalBytes += bytes;
    this.live++;
    const b = h & this.mask;
    this.chain[id] = this.buckets[b]!;
    this.buckets[b] = id;
    if (this.live > this.buckets.length) this.rehash(this.buckets.length * 2);
    return s;
  }

  private growIds(cap: number): void {
    const refs = new Int32Array(cap), chain = new Int32Array(cap), bytesOf = new Float64Array(cap);
    refs.set(this.refs);
    chain.set(this.chain);
    bytesOf.set(this.bytesOf);
    this.refs = refs;
    this.chain = chain;
    this.bytesOf = bytesOf;
  }

  private rehash(size: number): void {
    const buckets = new Int32Array(size).fill(-1);
    const mask = size - 1;
    for (let id = 0; id < this.sets.length; id++) {
      const s = this.sets[id];
      if (s === undefined) continue;
      const b = s.hash & mask;
      this.chain[id] = buckets[b]!;
      buckets[b] = id;
    }
    this.buckets = buckets;
    this.mask = mask;
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
    // Unlink from its bucket chain.
    const b = s.hash & this.mask;
    let prev = -1;
    for (let cur = this.buckets[b]!; cur !== -1; prev = cur, cur = this.chain[cur]!) {
      if (cur !== id) continue;
      if (prev === -1) this.buckets[b] = this.chain[cur]!;
      else this.chain[prev] = this.chain[cur]!;
      break;
    }
    this.sets[id] = undefined;
    this.totalBytes -= this.bytesOf[id]!;
    this.live--;
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
    return this.live;
  }

  stats(): AttrSetStats {
    const table = this.buckets.byteLength + this.refs.byteLength + this.chain.byteLength + this.bytesOf.byteLength + this.sets.length * 8;
    return { count: this.live, refs: this.totalRefs, bytes: Math.round(this.totalBytes + table) };
  }
}

/** The daemon's table. */
export const attrSets = new AttrSetTable();
export const intern = (a: RouteAttributes): AttrSet => attrSets.intern(a);
export const ref = (s: AttrSet): AttrSet => attrSets.ref(s);
export const unref = (s: AttrSet): void => attrSets.unref(s);
export const stats = (): AttrSetStats => attrSets.stats();

/**
 * A mutable copy of the attributes of a set (or any RouteAttributes) for code that edits a
 * few fields and interns the result (BGP export preparation): every field written, in
 * build()'s order, so that all copies share one hidden class with the properties inside the
 * object. `{ ...set }` would also copy the derived fields and put most properties out of
 * line, at about twice the size.
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
  };
}

/** Convenience: RouteAttributes for a BGP route from decoded attributes and an MP next hop. */
export function bgpRouteAttributes(attrs: PathAttributes, mpNextHop?: NextHop): RouteAttributes {
  if (mpNextHop === undefined) return attrs;
  return mpNextHop.linkLocal === undefined
    ? { ...attrs, nextHop: mpNextHop.global }
    : { ...attrs, nextHop: mpNextHop.global, nextHopLinkLocal: mpNextHop.linkLocal };
}
