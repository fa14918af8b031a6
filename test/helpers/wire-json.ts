// Plain-JSON views of decoded BGP data for the conformance tests: a received UPDATE becomes
// a list of routes with text prefixes, next hops and communities (what a test compares with
// a peer's configuration), and any other value (the negotiated capabilities, a
// NOTIFICATION) is made JSON-safe (byte arrays of 4/16 bytes as addresses, other byte arrays
// as hex, Sets as arrays, Maps as objects). Used by the Wren child process (wren-peer.ts)
// and its driver (wren.ts). Leaves out: anything but unicast IPv4/IPv6.

import { formatAddress, formatPrefix, type Nlri } from '../../src/rib/prefix.js';
import type { PathAttributes, UpdateMessage, AsPathSegment } from '../../src/bgp/codec/types.js';

export interface RouteJson {
  readonly family: 'ipv4' | 'ipv6';
  readonly prefix: string;
  readonly pathId: number;
  readonly nextHop?: string;
  readonly linkLocal?: string;
  readonly origin?: 'igp' | 'egp' | 'incomplete';
  /** AS_SEQUENCE members flattened in order (AS_SETs as nested arrays). */
  readonly asPath?: (number | number[])[];
  readonly med?: number;
  readonly localPref?: number;
  readonly communities?: string[];
  readonly largeCommunities?: string[];
  readonly extCommunities?: string[];
  readonly atomicAggregate?: boolean;
  readonly aggregator?: { asn: number; address: string };
  readonly originatorId?: string;
  readonly clusterList?: string[];
}

export interface UpdateJson {
  /** RFC 7606 action (0 none, 1 attribute discard, 2 treat as withdraw). */
  readonly action: number;
  readonly errors: readonly unknown[];
  readonly announced: RouteJson[];
  readonly withdrawn: { family: 'ipv4' | 'ipv6'; prefix: string; pathId: number }[];
}

const ORIGINS = ['igp', 'egp', 'incomplete'] as const;
const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
const u32ToIp = (v: number): string => `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;

function flattenAsPath(path: readonly AsPathSegment[]): (number | number[])[] {
  const out: (number | number[])[] = [];
  for (const seg of path) {
    // AS_SEQUENCE = 2, AS_CONFED_SEQUENCE = 3: members in order; sets as one nested array.
    if (seg.type === 2 || seg.type === 3) out.push(...seg.asns);
    else out.push([...seg.asns]);
  }
  return out;
}

function attributesJson(a: PathAttributes): Omit<RouteJson, 'family' | 'prefix' | 'pathId' | 'nextHop' | 'linkLocal'> {
  const o: Record<string, unknown> = {};
  if (a.origin !== undefined) o.origin = ORIGINS[a.origin] ?? a.origin;
  if (a.asPath) o.asPath = flattenAsPath(a.asPath);
  if (a.med !== undefined) o.med = a.med;
  if (a.localPref !== undefined) o.localPref = a.localPref;
  if (a.communities) o.communities = a.communities.map((c) => `${c >>> 16}:${c & 0xffff}`);
  if (a.largeCommunities) o.largeCommunities = a.largeCommunities.map((c) => `${c.global}:${c.local1}:${c.local2}`);
  if (a.extCommunities) o.extCommunities = a.extCommunities.map(hex);
  if (a.atomicAggregate) o.atomicAggregate = true;
  if (a.aggregator) o.aggregator = { asn: a.aggregator.asn, address: formatAddress(a.aggregator.address) };
  if (a.originatorId !== undefined) o.originatorId = u32ToIp(a.originatorId);
  if (a.clusterList) o.clusterList = a.clusterList.map(u32ToIp);
  return o;
}

const familyOf = (n: Nlri): 'ipv4' | 'ipv6' => (n.addr.length === 4 ? 'ipv4' : 'ipv6');

export function updateJson(u: UpdateMessage): UpdateJson {
  const attrs = attributesJson(u.attributes);
  const announced: RouteJson[] = [];
  const withdrawn: UpdateJson['withdrawn'] = [];
  for (const n of u.nlri) {
    announced.push({
      family: 'ipv4',
      prefix: formatPrefix(n),
      pathId: n.pathId,
      ...(u.attributes.nextHop ? { nextHop: formatAddress(u.attributes.nextHop) } : {}),
      ...attrs,
    });
  }
  if (u.mpReach) {
    const nh = u.mpReach.nextHop;
    for (const n of u.mpReach.nlri) {
      announced.push({
        family: familyOf(n),
        prefix: formatPrefix(n),
        pathId: n.pathId,
        nextHop: formatAddress(nh.global),
        ...(nh.linkLocal ? { linkLocal: formatAddress(nh.linkLocal) } : {}),
        ...attrs,
      });
    }
  }
  for (const n of u.withdrawn) withdrawn.push({ family: 'ipv4', prefix: formatPrefix(n), pathId: n.pathId });
  if (u.mpUnreach) for (const n of u.mpUnreach.withdrawn) withdrawn.push({ family: familyOf(n), prefix: formatPrefix(n), pathId: n.pathId });
  return { action: u.action, errors: u.errors.map((e) => toJson(e)), announced, withdrawn };
}

/** Makes any decoded value JSON-safe (see the file comment). */
export function toJson(v: unknown, depth = 0): unknown {
  if (depth > 12) return '[deep]';
  if (v === null || v === undefined) return v;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'function') return undefined;
  if (v instanceof Uint8Array) return v.length === 4 || v.length === 16 ? formatAddress(v) : hex(v);
  if (v instanceof Set) return [...v].map((x) => toJson(x, depth + 1));
  if (v instanceof Map) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of v) o[String(k)] = toJson(x, depth + 1);
    return o;
  }
  if (Array.isArray(v)) return v.map((x) => toJson(x, depth + 1));
  if (v instanceof Error) return { name: v.name, message: v.message, ...(toJson({ ...v }, depth + 1) as object) };
  if (typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      const j = toJson(x, depth + 1);
      if (j !== undefined) o[k] = j;
    }
    return o;
  }
  return v;
}
