// The decoded forms of BGP messages (RFC 4271 §4), capabilities (RFC 5492 and the ones in
// CapabilityCode) and path attributes (RFC 4271 §5 and later). This file is the contract
// between the codec (src/bgp/codec/*), the session and the routing tables: plain readonly
// data, no methods. Numbers are unsigned 32-bit where the wire has 32 bits (ASNs, router
// ids, communities). Addresses are Uint8Array of 4 or 16 bytes, owned (copied out of the
// receive buffer), as in src/rib/prefix.ts.

import type { Afi, AfiSafi, Nlri } from '../../rib/prefix.js';
import type { UpdateAction, UpdateErrorInfo } from '../errors.js';

export const BGP_HEADER_LENGTH = 19;
export const BGP_MAX_MESSAGE_LENGTH = 4096;
/** RFC 8654: with the Extended Message capability, all but OPEN and KEEPALIVE may be this long. */
export const BGP_EXTENDED_MAX_MESSAGE_LENGTH = 65535;
export const AS_TRANS = 23456;

export const enum MessageType {
  OPEN = 1,
  UPDATE = 2,
  NOTIFICATION = 3,
  KEEPALIVE = 4,
  ROUTE_REFRESH = 5,
}

/** What decoding and encoding depend on, from capability negotiation (negotiate.ts). */
export interface CodecContext {
  /** Both sides sent the 4-octet AS capability (RFC 6793): AS_PATH carries 4-octet ASNs. */
  readonly as4: boolean;
  /** Families for which we receive path identifiers (RFC 7911: we said receive, peer said send). */
  readonly addPathRx: ReadonlySet<AfiSafi>;
  /** Families for which we send path identifiers. */
  readonly addPathTx: ReadonlySet<AfiSafi>;
  /** 4096, or 65535 when both sides sent Extended Message (RFC 8654). */
  readonly maxMessageLength: number;
  /** RFC 8950: IPv4 NLRI may carry an IPv6 next hop in MP_REACH_NLRI (both sides agreed). */
  readonly extendedNextHop: ReadonlySet<AfiSafi>;
  /** The session is eBGP: RFC 7606 §7.5/§7.9 discard LOCAL_PREF/ORIGINATOR_ID/CLUSTER_LIST. */
  readonly ebgp: boolean;
}

/** Before OPEN is negotiated, and for tests: 2-octet AS, no ADD-PATH, 4096 bytes. */
export const DEFAULT_CODEC_CONTEXT: CodecContext = {
  as4: false,
  addPathRx: new Set(),
  addPathTx: new Set(),
  maxMessageLength: BGP_MAX_MESSAGE_LENGTH,
  extendedNextHop: new Set(),
  ebgp: false,
};

// ---- Capabilities (RFC 5492; IANA "Capability Codes") --------------------------------

export const enum CapabilityCode {
  MULTIPROTOCOL = 1, // RFC 4760
  ROUTE_REFRESH = 2, // RFC 2918
  EXTENDED_NEXT_HOP = 5, // RFC 8950
  EXTENDED_MESSAGE = 6, // RFC 8654
  BGP_ROLE = 9, // RFC 9234
  GRACEFUL_RESTART = 64, // RFC 4724
  FOUR_OCTET_AS = 65, // RFC 6793
  ADD_PATH = 69, // RFC 7911
  ENHANCED_ROUTE_REFRESH = 70, // RFC 7313
  LONG_LIVED_GRACEFUL_RESTART = 71, // RFC 9494
  FQDN = 73, // draft-walton-bgp-hostname-capability
}

/** RFC 7911 §4 Send/Receive field. */
export const enum AddPathMode {
  RECEIVE = 1,
  SEND = 2,
  BOTH = 3,
}

/** RFC 9234 §4.1 role values. */
export const enum BgpRole {
  PROVIDER = 0,
  RS = 1,
  RS_CLIENT = 2,
  CUSTOMER = 3,
  PEER = 4,
}

export type Capability =
  | { readonly code: CapabilityCode.MULTIPROTOCOL; readonly afi: number; readonly safi: number }
  | { readonly code: CapabilityCode.ROUTE_REFRESH }
  | { readonly code: CapabilityCode.ENHANCED_ROUTE_REFRESH }
  | { readonly code: CapabilityCode.EXTENDED_MESSAGE }
  | { readonly code: CapabilityCode.FOUR_OCTET_AS; readonly asn: number }
  | {
      readonly code: CapabilityCode.GRACEFUL_RESTART;
      /** R bit: the sender has restarted. */
      readonly restarting: boolean;
      /** N bit (RFC 8538): graceful restart also for NOTIFICATIONs. */
      readonly notification: boolean;
      /** Restart Time in seconds (12 bits). */
      readonly restartTime: number;
      readonly families: readonly { readonly afi: number; readonly safi: number; readonly forwardingPreserved: boolean }[];
    }
  | {
      readonly code: CapabilityCode.LONG_LIVED_GRACEFUL_RESTART;
      readonly families: readonly {
        readonly afi: number;
        readonly safi: number;
        readonly forwardingPreserved: boolean;
        /** Long-lived stale time in seconds (24 bits). */
        readonly staleTime: number;
      }[];
    }
  | {
      readonly code: CapabilityCode.ADD_PATH;
      readonly families: readonly { readonly afi: number; readonly safi: number; readonly mode: AddPathMode }[];
    }
  | {
      readonly code: CapabilityCode.EXTENDED_NEXT_HOP;
      readonly entries: readonly { readonly afi: number; readonly safi: number; readonly nextHopAfi: number }[];
    }
  | { readonly code: CapabilityCode.BGP_ROLE; readonly role: BgpRole }
  | { readonly code: CapabilityCode.FQDN; readonly hostname: string; readonly domain: string }
  /** Any capability code we do not model (and malformed known ones are errors, not this). */
  | { readonly code: number; readonly raw: Uint8Array; readonly unknown: true };

// ---- Messages --------------------------------------------------------------------------

export interface OpenMessage {
  readonly type: MessageType.OPEN;
  /** Always 4 on the wire we send; anything else received is an OPEN error. */
  readonly version: number;
  /** The 2-octet My Autonomous System field (AS_TRANS when the real AS needs 4 octets). */
  readonly myAs: number;
  readonly holdTime: number;
  /** BGP Identifier as an unsigned 32-bit number. */
  readonly bgpId: number;
  /** All capabilities from all Capabilities optional parameters, in wire order. */
  readonly capabilities: readonly Capability[];
  /** Encode with RFC 9072 extended optional parameters length even if short enough. */
  readonly extendedParams?: boolean;
}

export const enum Origin {
  IGP = 0,
  EGP = 1,
  INCOMPLETE = 2,
}

export const enum AsPathSegmentType {
  AS_SET = 1,
  AS_SEQUENCE = 2,
  AS_CONFED_SEQUENCE = 3,
  AS_CONFED_SET = 4,
}

export interface AsPathSegment {
  readonly type: AsPathSegmentType;
  readonly asns: readonly number[];
}

export interface Aggregator {
  readonly asn: number;
  /** 4 bytes. */
  readonly address: Uint8Array;
}

/** An attribute the codec does not model, kept to pass on (optional transitive) or drop. */
export interface RawAttribute {
  readonly flags: number;
  readonly type: number;
  readonly value: Uint8Array;
}

export interface LargeCommunity {
  readonly global: number;
  readonly local1: number;
  readonly local2: number;
}

/**
 * Path attributes of one UPDATE (RFC 4271 §5). MP_REACH/MP_UNREACH are not here: they
 * are decoded into the UpdateMessage. AS_PATH is always the 4-octet view: with a 2-octet
 * session the codec merges AS4_PATH into it (RFC 6793 §4.2.3) when decoding, and splits it
 * into AS_PATH + AS4_PATH when encoding (likewise AGGREGATOR/AS4_AGGREGATOR).
 */
export interface PathAttributes {
  readonly origin?: Origin;
  readonly asPath?: readonly AsPathSegment[];
  /** NEXT_HOP (4 bytes) for IPv4 NLRI outside MP_REACH. */
  readonly nextHop?: Uint8Array;
  readonly med?: number;
  readonly localPref?: number;
  readonly atomicAggregate?: boolean;
  readonly aggregator?: Aggregator;
  /** RFC 1997 communities, each `asn << 16 | value` as an unsigned 32-bit number. */
  readonly communities?: readonly number[];
  /** RFC 4456. */
  readonly originatorId?: number;
  readonly clusterList?: readonly number[];
  /** RFC 4360, each 8 bytes. */
  readonly extCommunities?: readonly Uint8Array[];
  /** RFC 8092. */
  readonly largeCommunities?: readonly LargeCommunity[];
  /** RFC 9234 Only To Customer. */
  readonly otc?: number;
  /** Unknown optional transitive attributes (decoded: Partial bit set on re-advertisement). */
  readonly unknown?: readonly RawAttribute[];
}

/** Next hop as carried in MP_REACH_NLRI (RFC 4760 §3; RFC 2545 §3 for IPv6 link-local). */
export interface NextHop {
  /** 4 or 16 bytes. */
  readonly global: Uint8Array;
  /** IPv6 link-local next hop, 16 bytes, when the length was 32. */
  readonly linkLocal?: Uint8Array;
}

export interface MpReach {
  readonly afi: Afi;
  readonly safi: number;
  readonly nextHop: NextHop;
  readonly nlri: readonly Nlri[];
}

export interface MpUnreach {
  readonly afi: Afi;
  readonly safi: number;
  readonly withdrawn: readonly Nlri[];
}

export interface UpdateMessage {
  readonly type: MessageType.UPDATE;
  /** IPv4 unicast withdrawn routes (RFC 4271 §4.3). */
  readonly withdrawn: readonly Nlri[];
  readonly attributes: PathAttributes;
  /** IPv4 unicast NLRI from the end of the message. */
  readonly nlri: readonly Nlri[];
  readonly mpReach?: MpReach;
  readonly mpUnreach?: MpUnreach;
  /**
   * RFC 7606 outcome of decoding: NONE, ATTRIBUTE_DISCARD (the bad attributes were dropped;
   * use the rest), or TREAT_AS_WITHDRAW (every NLRI in `nlri` and `mpReach` is to be
   * withdrawn). SESSION_RESET is never here: it is thrown as BgpError.
   */
  readonly action: UpdateAction;
  readonly errors: readonly UpdateErrorInfo[];
}

export interface NotificationMessage {
  readonly type: MessageType.NOTIFICATION;
  readonly code: number;
  readonly subcode: number;
  readonly data: Uint8Array;
  /**
   * RFC 9003 shutdown communication (Cease / Administrative Shutdown or Reset), decoded as
   * UTF-8 when the data holds a valid one.
   */
  readonly shutdownCommunication?: string;
}

export interface KeepaliveMessage {
  readonly type: MessageType.KEEPALIVE;
}

/** RFC 7313 §3.2 Message Subtype. */
export const enum RouteRefreshSubtype {
  NORMAL = 0,
  BEGIN_OF_RR = 1,
  END_OF_RR = 2,
}

export interface RouteRefreshMessage {
  readonly type: MessageType.ROUTE_REFRESH;
  readonly afi: number;
  readonly safi: number;
  readonly subtype: RouteRefreshSubtype;
}

export type BgpMessage = OpenMessage | UpdateMessage | NotificationMessage | KeepaliveMessage | RouteRefreshMessage;
