// Capability negotiation: our OPEN from configuration, and the peer's OPEN checked against
// our configuration into the negotiated session (RFC 4271 §4.2, §6.2; RFC 5492).
//   buildOpen(cfg)          → the OPEN we send: MP (RFC 4760) per configured family (not for
//                             IPv4 unicast with BIRD's `advertise ipv4 off`), route
//                             refresh (RFC 2918), enhanced route refresh (RFC 7313), 4-octet
//                             AS (RFC 6793, unless `enable as4 off`), graceful restart (RFC 4724, R bit when
//                             restarting), LLGR (RFC 9494), ADD-PATH (RFC 7911), extended
//                             message (RFC 8654), extended next hop (RFC 8950), BGP role
//                             (RFC 9234), FQDN (draft-walton-bgp-hostname-capability).
//   negotiate(open, cfg)    → Negotiated, or throws BgpError:
//                             2/1 version ≠ 4 (data: the version we support),
//                             2/2 peer AS ≠ configured (the real AS: the 4-octet capability,
//                                 else My Autonomous System; AS_TRANS handling per RFC 6793),
//                             2/3 BGP Identifier 0, or equal to ours on an iBGP session
//                                 (RFC 6286 §2.2 allows equal ids between eBGP peers),
//                             2/6 hold time 1 or 2 (§4.2), 2/11 role mismatch (RFC 9234 §4.2).
// Hold time = min(ours, theirs); keepalive = configured or hold/3, never above hold/3, at
// least 1 s (0 with hold time 0). Families = the intersection of ours and the peer's MP
// capabilities (a peer with no MP capability at all speaks IPv4 unicast, RFC 4760 §8).
// BIRD 1.6 switches (packets.c bgp_create_open, bgp_parse_capabilities, bgp_rx_open):
//   `enable as4 off`    no 4-octet AS capability; the peer's one is ignored, so its AS is
//                       My Autonomous System and the session is 2-octet (AS_PATH with
//                       AS_TRANS, AS4_PATH beside it, RFC 6793 §4.2.2);
//   `capabilities off`  an OPEN without optional parameters; the peer's capabilities are
//                       ignored ("Ignoring received capabilities"): 2-octet AS, no route
//                       refresh, GR, ADD-PATH, ...; the configured families are used as
//                       they are (BIRD 1.6 runs its one family without negotiating it).
// Leaves out: required capabilities (2/7), minimum hold time, confederations.

import { BgpError, ErrorCode, OpenSubcode } from './errors.js';
import {
  AS_TRANS, AddPathMode, BGP_EXTENDED_MAX_MESSAGE_LENGTH, BGP_MAX_MESSAGE_LENGTH, BgpRole, CapabilityCode,
  type Capability, type CodecContext, type OpenMessage,
} from './codec/types.js';
import { afiSafi, Afi, IPV4_UNICAST, type AfiSafi } from '../rib/prefix.js';

/** What negotiation needs from a peer's configuration (SessionConfig satisfies it). */
export interface LocalSpeaker {
  readonly localAs: number;
  readonly peerAs: number;
  /** Our BGP Identifier, unsigned 32-bit. */
  readonly routerId: number;
  /** Seconds; default 240. 0 = no keepalives, no hold timer. */
  readonly holdTime?: number;
  readonly keepaliveTime?: number;
  readonly families: readonly AfiSafi[];
  readonly addPath?: ReadonlyMap<AfiSafi, AddPathMode>;
  /** Default true. */
  readonly routeRefresh?: boolean;
  readonly enhancedRouteRefresh?: boolean;
  readonly gracefulRestart?: {
    readonly restartTime: number;
    /** We restarted (`bird -R`): the R bit. */
    readonly restarting?: boolean;
    /** Forwarding state kept for all families (F bit); default = restarting. */
    readonly forwardingPreserved?: boolean;
    /** RFC 8538 N bit. */
    readonly notification?: boolean;
    /** BIRD's `graceful restart aware`: the capability without families (we only help). */
    readonly aware?: boolean;
  } | null;
  /** RFC 9494; `aware`: the capability without families (BIRD's `long lived graceful restart aware`). */
  readonly llgr?: { readonly staleTime: number; readonly aware?: boolean } | null;
  readonly extendedMessage?: boolean;
  /** Offer IPv6 next hops for IPv4 unicast (RFC 8950). */
  readonly extendedNextHop?: boolean;
  readonly hostname?: string;
  readonly domain?: string;
  readonly role?: BgpRole;
  /** RFC 9234 strict mode: a peer without a role capability is a role mismatch. */
  readonly strictRole?: boolean;
  /** BIRD `enable as4`: offer and use 4-octet AS numbers (RFC 6793). Default true. */
  readonly enableAs4?: boolean;
  /** BIRD `advertise ipv4`: the MP capability for IPv4 unicast (RFC 4760 §8: without it, implicit). Default true. */
  readonly advertiseIpv4?: boolean;
  /** BIRD `capabilities`: false = an OPEN without capabilities, and the peer's ignored (RFC 5492 §3). Default (true or undefined): with them (session.ts retries without on 2/4, 2/7 when undefined). */
  readonly capabilities?: boolean;
}

export const DEFAULT_HOLD_TIME = 240;

export interface PeerGracefulRestart {
  readonly restartTime: number;
  /** R bit: the peer has restarted. */
  readonly restarting: boolean;
  /** N bit (RFC 8538). */
  readonly notification: boolean;
  /** Negotiated families the peer preserves across a restart, with its F bit. */
  readonly families: ReadonlyMap<AfiSafi, { readonly forwardingPreserved: boolean }>;
}

export interface PeerLlgr {
  readonly families: ReadonlyMap<AfiSafi, { readonly forwardingPreserved: boolean; readonly staleTime: number }>;
}

export interface Negotiated {
  /** The peer's real AS (from the 4-octet AS capability when present). */
  readonly peerAs: number;
  readonly peerBgpId: number;
  readonly ebgp: boolean;
  /** Negotiated hold time and keepalive interval in seconds (both 0 = none). */
  readonly holdTime: number;
  readonly keepaliveTime: number;
  readonly as4: boolean;
  readonly families: ReadonlySet<AfiSafi>;
  readonly addPathRx: ReadonlySet<AfiSafi>;
  readonly addPathTx: ReadonlySet<AfiSafi>;
  readonly routeRefresh: boolean;
  readonly enhancedRouteRefresh: boolean;
  readonly extendedMessage: boolean;
  readonly maxMessageLength: number;
  readonly extendedNextHop: ReadonlySet<AfiSafi>;
  /** The peer's graceful restart capability, when both sides do graceful restart. */
  readonly gracefulRestart: PeerGracefulRestart | null;
  /** The peer's LLGR capability, when both sides do LLGR. */
  readonly llgr: PeerLlgr | null;
  readonly peerRole: BgpRole | null;
  readonly peerHostname: string | null;
  readonly peerDomain: string | null;
  /** Everything the peer announced, for `show protocols all`. */
  readonly peerCapabilities: readonly Capability[];
  /** What the codec needs for this session. */
  readonly codec: CodecContext;
}

const openError = (subcode: OpenSubcode, detail: string, data?: Uint8Array) =>
  new BgpError(ErrorCode.OPEN_MESSAGE, subcode, data, detail);

const splitFamily = (f: AfiSafi) => ({ afi: f >> 8, safi: f & 0xff });

/** Our OPEN (without the type field, as encodeOpen takes it). */
export function buildOpen(cfg: LocalSpeaker): Omit<OpenMessage, 'type'> {
  const base = {
    version: 4 as const,
    myAs: cfg.localAs > 0xffff ? AS_TRANS : cfg.localAs,
    holdTime: cfg.holdTime ?? DEFAULT_HOLD_TIME,
    bgpId: cfg.routerId >>> 0,
  };
  // BIRD 1.6 BSS_CONNECT_NOCAP: "Skipping capabilities".
  if (cfg.capabilities === false) return { ...base, capabilities: [] };
  const caps: Capability[] = [];
  for (const f of cfg.families) {
    if (f === IPV4_UNICAST && cfg.advertiseIpv4 === false) continue;
    caps.push({ code: CapabilityCode.MULTIPROTOCOL, ...splitFamily(f) });
  }
  if (cfg.routeRefresh !== false) caps.push({ code: CapabilityCode.ROUTE_REFRESH });
  if (cfg.enhancedRouteRefresh) caps.push({ code: CapabilityCode.ENHANCED_ROUTE_REFRESH });
  if (cfg.extendedMessage) caps.push({ code: CapabilityCode.EXTENDED_MESSAGE });
  if (cfg.extendedNextHop && cfg.families.includes(IPV4_UNICAST)) {
    caps.push({ code: CapabilityCode.EXTENDED_NEXT_HOP, entries: [{ afi: Afi.IPV4, safi: 1, nextHopAfi: Afi.IPV6 }] });
  }
  if (cfg.role !== undefined) caps.push({ code: CapabilityCode.BGP_ROLE, role: cfg.role });
  const gr = cfg.gracefulRestart;
  if (gr) {
    const forwardingPreserved = gr.forwardingPreserved ?? gr.restarting === true;
    caps.push({
      code: CapabilityCode.GRACEFUL_RESTART,
      restarting: gr.restarting === true,
      notification: gr.notification === true,
      restartTime: Math.min(gr.restartTime, 4095),
      families: gr.aware ? [] : cfg.families.map((f) => ({ ...splitFamily(f), forwardingPreserved })),
    });
  }
  if (cfg.enableAs4 !== false) caps.push({ code: CapabilityCode.FOUR_OCTET_AS, asn: cfg.localAs >>> 0 });
  const addPath = cfg.families
    .filter((f) => cfg.addPath?.get(f))
    .map((f) => ({ ...splitFamily(f), mode: cfg.addPath!.get(f)! }));
  if (addPath.length) caps.push({ code: CapabilityCode.ADD_PATH, families: addPath });
  if (cfg.llgr) {
    const staleTime = Math.min(cfg.llgr.staleTime, 0xffffff);
    const forwardingPreserved = gr?.forwardingPreserved ?? gr?.restarting === true;
    caps.push({
      code: CapabilityCode.LONG_LIVED_GRACEFUL_RESTART,
      families: cfg.llgr.aware ? [] : cfg.families.map((f) => ({ ...splitFamily(f), forwardingPreserved, staleTime })),
    });
  }
  if (cfg.hostname) caps.push({ code: CapabilityCode.FQDN, hostname: cfg.hostname, domain: cfg.domain ?? '' });
  return { ...base, capabilities: caps };
}

/** RFC 9234 §4.2 Table 2: the allowed (local, remote) role pairs. */
function rolesMatch(local: BgpRole, remote: BgpRole): boolean {
  switch (local) {
    case BgpRole.PROVIDER: return remote === BgpRole.CUSTOMER;
    case BgpRole.CUSTOMER: return remote === BgpRole.PROVIDER;
    case BgpRole.RS: return remote === BgpRole.RS_CLIENT;
    case BgpRole.RS_CLIENT: return remote === BgpRole.RS;
    case BgpRole.PEER: return remote === BgpRole.PEER;
    default: return false;
  }
}

// Narrowing helpers over the Capability union (unknown capabilities carry `unknown: true`).
type Cap<C extends CapabilityCode> = Extract<Capability, { readonly code: C }> & { readonly unknown?: never };
function caps<C extends CapabilityCode>(list: readonly Capability[], code: C): Cap<C>[] {
  return list.filter((c) => c.code === code && !('unknown' in c)) as Cap<C>[];
}

/** Checks the peer's OPEN against our configuration; throws BgpError (code 2) on refusal. */
export function negotiate(open: OpenMessage, cfg: LocalSpeaker): Negotiated {
  if (open.version !== 4) {
    throw openError(OpenSubcode.UNSUPPORTED_VERSION_NUMBER, `version ${open.version}`, Uint8Array.of(0, 4));
  }
  // `capabilities off`: BIRD 1.6 bgp_parse_options ignores what the peer announced.
  const withCaps = cfg.capabilities !== false;
  const peerCaps = withCaps ? open.capabilities : [];
  // `enable as4 off`: the peer's 4-octet AS capability is not used (BIRD keeps advertised_as
  // from My Autonomous System and as4_session = enable_as4 && peer_as4_support).
  const as4Cap = cfg.enableAs4 !== false ? caps(peerCaps, CapabilityCode.FOUR_OCTET_AS)[0] : undefined;
  const as4 = as4Cap !== undefined;
  const peerAs = as4Cap ? as4Cap.asn >>> 0 : open.myAs;
  const myAsField = Uint8Array.of(open.myAs >> 8, open.myAs & 0xff);
  if (peerAs !== cfg.peerAs >>> 0) {
    throw openError(OpenSubcode.BAD_PEER_AS, `expected AS ${cfg.peerAs >>> 0}, peer says ${peerAs}`, myAsField);
  }
  // RFC 6793 §4.1: a 2-octet-representable AS must also be in My Autonomous System.
  if (as4 && peerAs <= 0xffff && open.myAs !== peerAs && open.myAs !== AS_TRANS) {
    throw openError(OpenSubcode.BAD_PEER_AS, `My Autonomous System ${open.myAs} contradicts 4-octet AS ${peerAs}`, myAsField);
  }
  const ebgp = (cfg.localAs >>> 0) !== peerAs;
  const idBytes = Uint8Array.of(open.bgpId >>> 24, (open.bgpId >>> 16) & 0xff, (open.bgpId >>> 8) & 0xff, open.bgpId & 0xff);
  if (open.bgpId === 0 || (!ebgp && open.bgpId >>> 0 === cfg.routerId >>> 0)) {
    throw openError(OpenSubcode.BAD_BGP_IDENTIFIER, `BGP Identifier ${open.bgpId >>> 0}`, idBytes);
  }
  if (open.holdTime === 1 || open.holdTime === 2) {
    throw openError(OpenSubcode.UNACCEPTABLE_HOLD_TIME, `hold time ${open.holdTime}`);
  }

  // RFC 9234 §4.2: roles.
  const roles = caps(peerCaps, CapabilityCode.BGP_ROLE);
  const peerRole = roles.length ? roles[0]!.role : null;
  if (roles.some((r) => r.role !== peerRole)) throw openError(OpenSubcode.ROLE_MISMATCH, 'conflicting BGP Role capabilities');
  if (cfg.role !== undefined) {
    if (peerRole === null) {
      if (cfg.strictRole) throw openError(OpenSubcode.ROLE_MISMATCH, 'peer sent no BGP Role (strict mode)');
    } else if (!rolesMatch(cfg.role, peerRole)) {
      throw openError(OpenSubcode.ROLE_MISMATCH, `local role ${cfg.role}, peer role ${peerRole}`);
    }
  }

  const ourHold = cfg.holdTime ?? DEFAULT_HOLD_TIME;
  const holdTime = Math.min(ourHold, open.holdTime);
  let keepaliveTime = 0;
  if (holdTime > 0) {
    const third = Math.floor(holdTime / 3);
    keepaliveTime = Math.max(1, cfg.keepaliveTime ? Math.min(cfg.keepaliveTime, third) : third);
  }

  // Families: intersection with the peer's MP capabilities.
  const mp = caps(peerCaps, CapabilityCode.MULTIPROTOCOL);
  const peerFamilies = new Set<AfiSafi>(mp.length ? mp.map((c) => afiSafi(c.afi, c.safi)) : [IPV4_UNICAST]);
  const families = new Set<AfiSafi>(withCaps ? cfg.families.filter((f) => peerFamilies.has(f)) : cfg.families);

  // RFC 7911 §4: per family, we receive path ids when we said receive and they said send.
  const addPathRx = new Set<AfiSafi>();
  const addPathTx = new Set<AfiSafi>();
  const peerAddPath = new Map<AfiSafi, AddPathMode>();
  for (const c of caps(peerCaps, CapabilityCode.ADD_PATH)) {
    for (const f of c.families) peerAddPath.set(afiSafi(f.afi, f.safi), f.mode);
  }
  for (const f of families) {
    const ours = cfg.addPath?.get(f) ?? 0;
    const theirs = peerAddPath.get(f) ?? 0;
    if (ours & AddPathMode.RECEIVE && theirs & AddPathMode.SEND) addPathRx.add(f);
    if (ours & AddPathMode.SEND && theirs & AddPathMode.RECEIVE) addPathTx.add(f);
  }

  const has = (code: CapabilityCode) => peerCaps.some((c) => c.code === code && !('unknown' in c));
  const routeRefresh = cfg.routeRefresh !== false && has(CapabilityCode.ROUTE_REFRESH);
  const enhancedRouteRefresh = routeRefresh && cfg.enhancedRouteRefresh === true && has(CapabilityCode.ENHANCED_ROUTE_REFRESH);
  const extendedMessage = cfg.extendedMessage === true && has(CapabilityCode.EXTENDED_MESSAGE);
  const maxMessageLength = extendedMessage ? BGP_EXTENDED_MAX_MESSAGE_LENGTH : BGP_MAX_MESSAGE_LENGTH;

  const extendedNextHop = new Set<AfiSafi>();
  if (cfg.extendedNextHop && families.has(IPV4_UNICAST)) {
    for (const c of caps(peerCaps, CapabilityCode.EXTENDED_NEXT_HOP)) {
      if (c.entries.some((e) => e.afi === Afi.IPV4 && e.safi === 1 && e.nextHopAfi === Afi.IPV6)) extendedNextHop.add(IPV4_UNICAST);
    }
  }

  let gracefulRestart: PeerGracefulRestart | null = null;
  const grCap = caps(peerCaps, CapabilityCode.GRACEFUL_RESTART)[0];
  if (grCap && cfg.gracefulRestart) {
    const fams = new Map<AfiSafi, { forwardingPreserved: boolean }>();
    for (const f of grCap.families) {
      const k = afiSafi(f.afi, f.safi);
      if (families.has(k)) fams.set(k, { forwardingPreserved: f.forwardingPreserved });
    }
    gracefulRestart = { restartTime: grCap.restartTime, restarting: grCap.restarting, notification: grCap.notification, families: fams };
  }
  let llgr: PeerLlgr | null = null;
  const llgrCap = caps(peerCaps, CapabilityCode.LONG_LIVED_GRACEFUL_RESTART)[0];
  if (llgrCap && cfg.llgr) {
    const fams = new Map<AfiSafi, { forwardingPreserved: boolean; staleTime: number }>();
    for (const f of llgrCap.families) {
      const k = afiSafi(f.afi, f.safi);
      if (families.has(k)) fams.set(k, { forwardingPreserved: f.forwardingPreserved, staleTime: f.staleTime });
    }
    llgr = { families: fams };
  }
  const fqdn = caps(peerCaps, CapabilityCode.FQDN)[0];

  return {
    peerAs, peerBgpId: open.bgpId >>> 0, ebgp, holdTime, keepaliveTime, as4, families, addPathRx, addPathTx,
    routeRefresh, enhancedRouteRefresh, extendedMessage, maxMessageLength, extendedNextHop, gracefulRestart, llgr,
    peerRole, peerHostname: fqdn ? fqdn.hostname : null, peerDomain: fqdn ? fqdn.domain : null,
    peerCapabilities: peerCaps,
    codec: { as4, addPathRx, addPathTx, maxMessageLength, extendedNextHop, ebgp },
  };
}
