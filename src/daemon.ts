// The daemon: loads the configuration, starts the protocols it names, and keeps them
// running across reloads (SIGHUP) until SIGTERM. Reload follows BIRD 1.6's config_commit
// (contract.md §2): parse everything; on error log `<file>:<line>:<col> <msg>` and keep the
// running config; otherwise match protocols by name — unchanged ⇒ untouched, only filters
// changed ⇒ reconfigured in place (session kept), session options changed ⇒ that protocol
// restarted (Cease "Other configuration change"), removed ⇒ shut down (Cease "Peer
// de-configured"), new ⇒ started.
//
// Protocols (BGP peers, static) connect to the one master table through channels (DESIGN
// §1); the table picks the best route per net and hands changes to every exporting channel.
//
// The control socket (control/server.ts over control/daemon-source.ts) listens once the
// protocols are started; `down` on it shuts down the same way as SIGTERM.
//
// The kernel, device and direct protocols share one interface table (src/fib/interfaces.ts);
// with -R, kernel protocols with `graceful restart` synchronise the kernel table only once the
// GR-capable BGP protocols have recovered (src/fib/kernel.ts RecoveryTracker), and those BGP
// protocols (RFC 4724 §4.1, BIRD gr_wait) send their routes, then End-of-RIB, only then too:
// recovery is over when every `graceful restart on` peer that does GR and is not restarting
// itself (no R bit) has sent End-of-RIB, or after `graceful restart wait`. Until then our
// OPENs carry the R and F bits.
// Metrics (metrics.ts, prom-client) are loaded only with --metrics-port.

import { writeFileSync, rmSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { loadConfig, diffConfigs, ConfigError, type Config } from '../conf/index.js';
import type { ProtocolConfig } from '../conf/model.js';
import { Listener } from './bgp/listener.js';
import { BgpProtocol } from './bgp/protocol.js';
import { StaticProtocol } from './rib/static.js';
import { KernelProtocol, RecoveryTracker, type RecoverySession } from './fib/kernel.js';
import { DeviceProtocol } from './fib/device.js';
import { DirectProtocol } from './fib/direct.js';
import { InterfaceTable } from './fib/interfaces.js';
import { Afi } from './rib/prefix.js';
import { RoutingTable } from './rib/table.js';
import { NextHopResolver } from './rib/nexthop.js';
import { IdleOrderer } from './rib/idle-order.js';
import type { Protocol, ProtocolContext } from './protocol.js';
import { Logger, LogFileError, LogLevel, LogRouter, nullLogger, stderrSink } from './log.js';
import { warmUp, type WarmUpResult } from './warmup.js';
import { loadNative } from './native.js';
import { parseAddress } from './rib/prefix.js';
import { ControlServer } from './control/server.js';
import { DaemonControlSource } from './control/daemon-source.js';
import type { DaemonOptions } from './main.js';

/** `bird -p`: null when the file parses, else the message to print (BIRD's form). */
export function checkConfig(path: string, ipv6 = false): string | null {
  try {
    loadConfig(path, { dialect: ipv6 ? 'ipv6' : 'ipv4' });
    return null;
  } catch (e) {
    return describeConfigFailure(e, path);
  }
}

function describeConfigFailure(e: unknown, path: string): string {
  if (e instanceof ConfigError) return e.format();
  if (e instanceof LogFileError) return e.message;
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err.code === 'string' && err.syscall) {
    return `Unable to open configuration file ${path}: ${err.message.replace(/^[A-Z]+: /, '').replace(/, open .*$/, '')}`;
  }
  throw e;
}

/** BIRD 1.6 without `router id`: the lowest IPv4 address of a non-loopback interface. */
function pickRouterId(): number {
  let best: number | undefined;
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.family !== 'IPv4' || a.internal) continue;
      const b = parseAddress(a.address);
      const n = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
      if (best === undefined || n < best) best = n;
    }
  }
  return best ?? 0;
}

export class Daemon {
  private config!: Config;
  private routerId = 0;
  private listener!: Listener;
  readonly table = new RoutingTable('master');
  readonly resolver = new NextHopResolver(this.table);
  /** Running protocols by name, in configuration order. */
  readonly protocols = new Map<string, Protocol>();
  readonly startedAt = new Date();
  lastReconfiguration = new Date();
  reloads = 0;
  reloadFailures = 0;
  private stopping = false;
  /** Puts new prefixes into the tries' order while the table is quiet (rib/idle-order.ts). */
  private readonly orderer = new IdleOrderer(this.table);
  private ifaceTable: InterfaceTable | undefined;
  private recovery: RecoveryTracker | undefined;

  /** The interface table (device, direct and kernel protocols share it). */
  get interfaces(): InterfaceTable {
    return (this.ifaceTable ??= new InterfaceTable({ log: this.log.child('interfaces') }));
  }

  /** -R: graceful-restart recovery of the BGP protocols, which the kernel protocol waits for. */
  private get gracefulRecovery(): RecoveryTracker {
    if (!this.recovery) {
      const r = (this.recovery = new RecoveryTracker(this.config.gracefulRestartWait));
      r.onDone(() => this.log.info('Graceful restart done'));
    }
    return this.recovery;
  }

  /**
   * -R recovery still running (RecoveryTracker: some `graceful restart on` peer that does GR
   * has not sent End-of-RIB, and `graceful restart wait` has not run out). The kernel sync
   * and those peers' exports wait for its end.
   */
  get gracefulRecoveryActive(): boolean {
    return this.recovery !== undefined && !this.recovery.done;
  }

  /** The address family of the routes this daemon learns from interfaces and the kernel. */
  private get family(): Afi {
    return this.opts.ipv6 ? Afi.IPV6 : Afi.IPV4;
  }

  constructor(
    readonly opts: DaemonOptions,
    readonly log: Logger,
    /** Where `log` statements send the lines (runDaemon's); none: `log` is not applied. */
    private readonly logRouter?: LogRouter,
  ) {}

  async start(): Promise<void> {
    this.config = this.load();
    this.applyLog(this.config);
    this.orderer.start();
    await this.startProtocols();
    this.log.info('Started');
  }

  /** The running configuration (read-only view for the control socket). */
  get configuration(): Config {
    return this.config;
  }

  /** Our router id, unsigned 32-bit. */
  get routerIdValue(): number {
    return this.routerId;
  }

  /**
   * The JIT warm-up (src/warmup.ts): `routes` synthetic routes through a private table; null
   * when the configuration has no BGP protocol (then there is no route path to warm).
   */
  async warmUp(routes: number): Promise<WarmUpResult | null> {
    if (!this.config.protocols.some((p) => p.type === 'bgp')) return null;
    return warmUp({ ipv6: this.opts.ipv6, routes, context: (table, resolver) => this.context(table, resolver, nullLogger, false) });
  }

  /** shutdown() has begun. */
  get shuttingDown(): boolean {
    return this.stopping;
  }

  /**
   * The control socket's `configure [check] ["file"]`: `check` parses only; otherwise a
   * reload (as SIGHUP). `restarting` when some protocol had to be restarted or shut down
   * (1.6 answers `Reconfiguration in progress` then). Only the daemon's own file can be
   * loaded (`configure "<other file>"` is refused).
   */
  configure(check: boolean, file = this.opts.configFile): { error: string | null; restarting: boolean } {
    if (check) return { error: checkConfig(file, this.opts.ipv6), restarting: false };
    if (file !== this.opts.configFile) return { error: `${file}: reconfiguration from another file is not supported`, restarting: false };
    const before = this.config;
    const error = this.reload();
    if (error !== null) return { error, restarting: false };
    // Listen address / router id changes rebind asynchronously and restart everything.
    if (this.config === before) return { error: null, restarting: true };
    const plan = diffConfigs(before, this.config);
    return { error: null, restarting: plan.protocols.some((s) => s.action === 'restart' || s.action === 'removed') };
  }

  private load(): Config {
    return loadConfig(this.opts.configFile, { dialect: this.opts.ipv6 ? 'ipv6' : 'ipv4' });
  }

  /** The configuration's `log` statements; throws when a log file cannot be opened. */
  private applyLog(config: Config): void {
    if (this.logRouter === undefined) return;
    for (const w of this.logRouter.configure(config.log)) this.log.warn(w);
  }

  private async startProtocols(): Promise<void> {
    this.routerId = this.config.routerId ?? pickRouterId();
    if (!this.routerId) throw new Error('Cannot determine router ID, please configure it manually');
    // BIRD 1.6: `bird` listens on 0.0.0.0, `bird6` on :: with IPV6_V6ONLY (unless `dual`),
    // so both run side by side on port 179 as calico-node runs them.
    const v6 = this.opts.ipv6;
    this.listener = new Listener({
      address: this.config.listen.address ?? (v6 ? '::' : '0.0.0.0'),
      port: this.config.listen.port,
      ipv6Only: v6 && !this.config.listen.dual,
      logger: this.log,
    });
    // BIRD opens the BGP listening socket only when some BGP protocol exists; a listen
    // failure at start is fatal (reported), later ones are logged by addProtocol.
    if (this.config.protocols.some((p) => p.type === 'bgp')) {
      await this.listener.listen();
      this.log.info(`Listening for BGP on ${this.listener.address} port ${this.listener.port}`);
    }
    for (const p of this.config.protocols) this.addProtocol(p);
  }

  /**
   * The protocols' context; the JIT warm-up's protocols get one over their own table and
   * resolver, quiet and not recovering (the same closures: see src/warmup.ts).
   */
  private context(table = this.table, resolver = this.resolver, log = this.log, recovering = this.opts.recover): ProtocolContext {
    return {
      table,
      log,
      routerId: this.routerId,
      recovering,
      resolver,
      interfaces: this.openInterfaces,
    };
  }

  /**
   * The interface table, only once a device/direct/kernel protocol has opened it: a BGP-only
   * daemon runs without. One function for every context (the call sites that use it see one
   * target, the JIT warm-up's protocols included).
   */
  private readonly openInterfaces = (): InterfaceTable | undefined => (this.ifaceTable?.isOpen ? this.ifaceTable : undefined);

  private addProtocol(p: ProtocolConfig): void {
    let proto: Protocol;
    switch (p.type) {
      case 'bgp':
        if (!this.listener.listening) {
          this.listener.listen().then(
            () => this.log.info(`Listening for BGP on ${this.listener.address} port ${this.listener.port}`),
            (e: Error) => this.log.error(`BGP listener: ${e.message}`),
          );
        }
        proto = new BgpProtocol(p, this.context(), this.listener);
        break;
      case 'static':
        proto = new StaticProtocol(p, this.context());
        break;
      case 'kernel': {
        const k = new KernelProtocol(p, this.context(), { interfaces: this.interfaces, families: [this.family] });
        // -R: the kernel table is synchronised once the BGP protocols have recovered.
        if (this.opts.recover && p.gracefulRestart) this.gracefulRecovery.onDone(() => k.recoveryDone());
        else k.recoveryDone();
        proto = k;
        break;
      }
      case 'device':
        proto = new DeviceProtocol(p, this.context(), this.interfaces);
        break;
      case 'direct':
        proto = new DirectProtocol(p, this.context(), this.interfaces, [this.family]);
        break;
    }
    if (p.type === 'bgp' && proto instanceof BgpProtocol) {
      if (this.opts.recover && p.gracefulRestart === 'able' && !p.disabled && !this.gracefulRecovery.done) {
        const tracker = this.gracefulRecovery;
        tracker.watch(p.name, recoveryView(proto));
        proto.deferExportUntil(tracker);
        tracker.onDone(() => proto.recoveryDone());
      } else proto.recoveryDone();
    }
    this.protocols.set(p.name, proto);
    // Each protocol starts its channel's export side itself when it can take routes (BGP:
    // once Established).
    if (!p.disabled) proto.start();
  }

  private removeProtocol(name: string, reason: 'removed' | 'restart'): void {
    const proto = this.protocols.get(name);
    if (!proto) return;
    proto.stop(reason);
    this.protocols.delete(name);
    // A protocol gone from the configuration no longer holds recovery back.
    this.recovery?.unwatch(name);
  }

  /** SIGHUP / `configure`: returns the error text when the new file is rejected. */
  reload(): string | null {
    this.log.info('Reconfiguring');
    let next: Config;
    try {
      next = this.load();
      this.applyLog(next);
    } catch (e) {
      this.reloadFailures++;
      const msg = describeConfigFailure(e, this.opts.configFile);
      this.log.error(msg);
      return msg;
    }
    const plan = diffConfigs(this.config, next);
    if (plan.listenChanged || plan.routerIdChanged) {
      // A new listen address or router id touches every session: BIRD restarts them all.
      this.log.info('Listen address or router id changed: restarting all protocols');
      void this.rebind(next);
      return null;
    }
    const byName = new Map(next.protocols.map((p) => [p.name, p]));
    for (const step of plan.protocols) {
      const cfg = byName.get(step.name);
      const running = this.protocols.get(step.name);
      switch (step.action) {
        case 'removed':
          this.log.info(`${step.name}: Shutting down (removed from configuration)`);
          this.removeProtocol(step.name, 'removed');
          break;
        case 'added':
          if (cfg) this.addProtocol(cfg);
          break;
        case 'restart':
          this.log.info(`${step.name}: Restarting protocol`);
          this.removeProtocol(step.name, 'restart');
          if (cfg) this.addProtocol(cfg);
          break;
        case 'reload':
        case 'reconfigure':
          if (running && cfg) {
            if (step.action === 'reload') this.log.info(`${step.name}: Reloading protocol`);
            if (!running.reconfigure(cfg, step)) {
              this.removeProtocol(step.name, 'restart');
              this.addProtocol(cfg);
            } else this.log.info(`${step.name}: Reconfigured`);
          }
          break;
        case 'unchanged':
          break;
      }
    }
    this.config = next;
    this.reloads++;
    this.lastReconfiguration = new Date();
    this.log.info('Reconfigured');
    return null;
  }

  private async rebind(next: Config): Promise<void> {
    for (const name of [...this.protocols.keys()]) this.removeProtocol(name, 'restart');
    await this.listener.close();
    this.config = next;
    this.reloads++;
    this.lastReconfiguration = new Date();
    await this.startProtocols();
  }

  async shutdown(): Promise<void> {
    this.stopping = true;
    this.orderer.stop();
    this.log.info('Shutting down');
    for (const p of this.protocols.values()) p.stop('shutdown');
    this.protocols.clear();
    await this.listener?.close();
  }
}

/**
 * The session as -R recovery watches it: a peer that is restarting itself (R bit, RFC 4724
 * §4.1) is not waited for, like one without the GR capability (BIRD peer_gr_ready).
 */
function recoveryView(proto: BgpProtocol): RecoverySession {
  type Established = (n: { readonly families: ReadonlySet<number>; readonly gracefulRestart: unknown }) => void;
  return {
    on(event: 'established' | 'endOfRib', l: (...args: never[]) => void): unknown {
      if (event === 'endOfRib') return proto.session.on('endOfRib', l as (f: number) => void);
      const listener = l as Established;
      return proto.session.on('established', (n) =>
        listener({ families: n.families, gracefulRestart: n.gracefulRestart !== null && !n.gracefulRestart.restarting ? n.gracefulRestart : null }),
      );
    },
  } as RecoverySession;
}

/**
 * glibc's default mmap threshold, held there (native/src/addon.c): a column or index of the
 * routing tables that grows is freed whole (rib/columns.ts), and that memory goes back to
 * the system only if it was mmap()ed. Left to itself, glibc raises the threshold to the
 * size of each such block freed, and the next generation of columns came from its heap
 * arenas and stayed resident after being freed: ipv4-1m peak RSS 209 -> 200 MiB
 * (bench/README.md).
 */
const MMAP_THRESHOLD = 128 * 1024;

export async function runDaemon(opts: DaemonOptions, prog: string): Promise<number> {
  const shared = { level: LogLevel.INFO };
  const router = new LogRouter(opts.jsonLogs ? jsonSink(prog) : stderrSink, shared, opts.debug === true);
  const log = new Logger(router.sink, shared);
  try {
    loadNative().fixMmapThreshold(MMAP_THRESHOLD);
  } catch (e) {
    log.warn(`malloc tuning skipped: ${(e as Error).message}`);
  }
  const daemon = new Daemon(opts, log, router);
  // Signals are ours from the start: one that came while the daemon was starting (runit and
  // confd send them at any time) is acted on once it is up, instead of killing the process.
  let onStop: ((why: string) => void) | null = null;
  let stopAsked: string | null = null;
  let started = false;
  let reloadAsked = false;
  const signalStop = (why: string) => (onStop !== null ? onStop(why) : (stopAsked ??= why));
  process.on('SIGHUP', () => (started ? daemon.reload() : (reloadAsked = true)));
  process.once('SIGTERM', () => signalStop('Got SIGTERM, shutting down'));
  process.once('SIGINT', () => signalStop('Got SIGINT, shutting down'));
  try {
    await daemon.start();
  } catch (e) {
    if (e instanceof ConfigError) {
      log.error(e.format());
      return 1;
    }
    const err = e as NodeJS.ErrnoException;
    log.error(err.code === 'ENOENT' && err.syscall === 'open' ? `Unable to open configuration file ${opts.configFile}: No such file or directory` : err.message);
    return 1;
  }
  let stopping = false;
  let metrics: { close(): Promise<void> } | null = null;
  let finish: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => (finish = resolve));
  const stop = (why: string) => {
    if (stopping) return;
    stopping = true;
    log.info(why);
    daemon
      .shutdown()
      .then(() => control.close())
      .then(() => metrics?.close())
      .finally(() => {
        source.close();
        if (opts.pidFile) rmSync(opts.pidFile, { force: true });
        // Let the Cease NOTIFICATIONs flush before the sockets go away.
        setTimeout(() => finish(0), 100);
      });
  };
  const source = new DaemonControlSource(daemon, { onDown: () => stop('Shutdown requested') });
  const control = new ControlServer(opts.socketPath, source, { family: opts.ipv6 ? 'ipv6' : 'ipv4' });
  onStop = stop;
  started = true;
  if (stopAsked !== null) stop(stopAsked);
  else if (reloadAsked) daemon.reload();
  if (opts.pidFile) writeFileSync(opts.pidFile, `${process.pid}\n`);
  try {
    await control.listen();
  } catch (e) {
    // BIRD cannot run without its control socket either.
    log.error(`Cannot create control socket ${opts.socketPath}: ${(e as Error).message}`);
    source.close();
    await daemon.shutdown();
    if (opts.pidFile) rmSync(opts.pidFile, { force: true });
    return 1;
  }
  // Stopped while the socket was being bound: close it now that it exists.
  if (stopping) await control.close();
  // Prometheus metrics, off unless asked for; a port that cannot be bound is logged, not fatal.
  if (opts.metricsPort !== undefined && !stopping) {
    // Loaded only when asked for: prom-client alone adds about 10 MB to the resident set.
    const { startMetricsServer, daemonMetricsSource } = await import('./metrics.js');
    metrics = await startMetricsServer(daemonMetricsSource(daemon), opts.metricsPort).catch((e: Error) => {
      log.error(`Cannot serve metrics on 127.0.0.1:${opts.metricsPort}: ${e.message}`);
      return null;
    });
  }
  // JIT warm-up (src/warmup.ts), in the background: nothing waits for it.
  if ((opts.warmUp ?? 0) > 0 && !stopping) {
    daemon.warmUp(opts.warmUp!).then(
      (r) => r && log.debug(`JIT warm-up: ${r.routes} routes in ${r.ms} ms`),
      (e: Error) => log.debug(`JIT warm-up skipped: ${e.message}`),
    );
  }
  return done;
}

function jsonSink(prog: string) {
  const names = ['trace', 'debug', 'info', 'warn', 'error'];
  return (level: LogLevel, line: string) => {
    process.stderr.write(JSON.stringify({ time: new Date().toISOString(), prog, level: names[level] ?? 'info', msg: line }) + '\n');
  };
}
