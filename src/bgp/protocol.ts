// A BGP neighbour as a protocol (BIRD's `protocol bgp`): turns its configuration into a
// Session, keeps it running across reconfigurations, and counts what it hears. This is
// where the routing tables will connect through channels (import/export filters, Adj-RIB-In
// and Adj-RIB-Out); until they exist the protocol is a speaker only: sessions come up,
// UPDATEs are decoded and counted, nothing is re-advertised.
//
// Leaves out (for the routing-table work): routes into a table, export, next hop rules,
// route reflection, End-of-RIB after the initial dump (sent at once here, since we have
// nothing to dump).

import { Session, type SessionConfig } from './session.js';
import type { Negotiated } from './negotiate.js';
import { encodeEndOfRib, AddPathMode, type UpdateMessage } from './codec/index.js';
import { CeaseSubcode } from './errors.js';
import type { Listener } from './listener.js';
import type { BgpProtocolConfig } from '../../conf/model.js';
import { Afi, IPV4_UNICAST, IPV6_UNICAST, type AfiSafi } from '../rib/prefix.js';
import type { Logger } from '../log.js';

export interface RouteCounters {
  /** Prefixes announced to us (NLRI seen in UPDATEs, all families). */
  announced: number;
  /** Prefixes withdrawn from us. */
  withdrawn: number;
  /** UPDATEs that RFC 7606 turned into treat-as-withdraw or attribute-discard. */
  softErrors: number;
}

/** The SessionConfig for a `protocol bgp`, given the router id and the restart flag (-R). */
export function sessionConfigFor(cfg: BgpProtocolConfig, routerId: number, recovering: boolean): SessionConfig {
  const family: AfiSafi = cfg.neighborAddress.includes(':') ? IPV6_UNICAST : IPV4_UNICAST;
  const addPathMode = (cfg.addPathsRx ? AddPathMode.RECEIVE : 0) | (cfg.addPathsTx ? AddPathMode.SEND : 0);
  return {
    name: cfg.name,
    localAs: cfg.localAs,
    peerAs: cfg.neighborAs,
    routerId,
    peerAddress: cfg.neighborAddress,
    peerPort: cfg.neighborPort,
    localAddress: cfg.sourceAddress,
    passive: cfg.passive,
    holdTime: cfg.holdTime,
    keepaliveTime: cfg.keepaliveTimeSet ? cfg.keepaliveTime : undefined,
    connectRetryTime: cfg.connectRetryTime,
    connectDelayTime: cfg.connectDelayTime,
    errorWaitTime: [cfg.errorWaitTimeMin, cfg.errorWaitTimeMax],
    errorForgetTime: cfg.errorForgetTime,
    password: cfg.password,
    ttlSecurity: cfg.ttlSecurity,
    // BIRD: multihop 0 means a directly connected (eBGP) session.
    multihop: cfg.multihop > 0 ? cfg.multihop : undefined,
    families: [family],
    addPath: addPathMode ? new Map([[family, addPathMode as AddPathMode]]) : undefined,
    routeRefresh: cfg.enableRouteRefresh,
    enhancedRouteRefresh: cfg.enableRouteRefresh,
    gracefulRestart:
      cfg.gracefulRestart === 'off'
        ? null
        : { restartTime: cfg.gracefulRestart === 'able' ? cfg.gracefulRestartTime : 0, restarting: recovering && cfg.gracefulRestart === 'able' },
  };
}

export class BgpProtocol {
  readonly session: Session;
  readonly counters: RouteCounters = { announced: 0, withdrawn: 0, softErrors: 0 };
  private readonly log: Logger;

  constructor(
    readonly config: BgpProtocolConfig,
    routerId: number,
    recovering: boolean,
    private readonly listener: Listener,
    logger: Logger,
  ) {
    this.log = logger.child(config.name);
    this.session = new Session(sessionConfigFor(config, routerId, recovering), { logger });
    this.session.on('state', (from, to) => this.log.debug(`BGP state changed from ${from} to ${to}`));
    this.session.on('established', (n: Negotiated) => this.onEstablished(n));
    this.session.on('down', (reason: string) => this.log.info(`State changed to down (${reason})`));
    this.session.on('update', (u: UpdateMessage) => this.onUpdate(u));
  }

  get name(): string {
    return this.config.name;
  }

  start(): void {
    if (this.config.disabled) return;
    this.listener.register(this.session);
    this.session.start();
  }

  /** Shut down with a Cease (BIRD: Administrative shutdown, or Peer de-configured on removal). */
  stop(subcode: CeaseSubcode = CeaseSubcode.ADMINISTRATIVE_SHUTDOWN, text?: string): void {
    this.session.stop(subcode, text);
    this.listener.unregister(this.session);
  }

  private onEstablished(n: Negotiated): void {
    this.log.info('State changed to up');
    // Nothing to dump yet (no table): End-of-RIB at once for every negotiated family.
    for (const f of n.families) this.session.send(encodeEndOfRib(f >> 8, f & 0xff));
  }

  private onUpdate(u: UpdateMessage): void {
    this.counters.announced += u.nlri.length + (u.mpReach?.nlri.length ?? 0);
    this.counters.withdrawn += u.withdrawn.length + (u.mpUnreach?.withdrawn.length ?? 0);
    if (u.action !== 0) this.counters.softErrors++;
  }
}

export const familyOfAddress = (a: string): Afi => (a.includes(':') ? Afi.IPV6 : Afi.IPV4);
