// A channel: the only way a protocol talks to a routing table (BIRD's `struct channel`,
// DESIGN.md §1). Import side: the protocol hands in routes; the channel runs the import
// filter, interns the attributes and updates the table (a rejected route withdraws what
// the protocol had there before). Export side: the table announces changes; the channel
// skips the protocol's own routes (BIRD never exports a route back to its source), lets
// the protocol prepare the attributes (BGP's bgp_import_control: next hop, AS path, RR
// attributes, and the "don't send" rules), runs the export filter and hands the result
// to the protocol, which keeps what it exported (Adj-RIB-Out, the kernel's FIB view).
//
// Filters see routes through conf/filter/route.ts's FilterRoute; one reusable object per
// channel, so a filter run allocates nothing unless the filter writes an attribute.
//
// Leaves out: import/export limits (protocols count and act on their own), `import keep
// filtered`, per-channel tables other than "master".

import { RouteSource as Rts, RouteDest as Rtd, type CompiledFilter, type FilterRoute } from '../../conf/filter/route.js';
import { intern, RouteDest, type AttrSet, type RouteAttributes } from './attr-set.js';
import { type Route, type RouteSource, type RouteSourceKind } from './route.js';
import { Afi, type Prefix } from './prefix.js';

/** A full-table feed yields to the event loop after this long (issue: ≤ ~10 ms blocking). */
const FEED_SLICE_MS = 8;
const FEED_BATCH = 256;
import { UpdateResult, type ExportMode, type NetEntry, type RoutingTable, type TableSubscriber } from './table.js';

/** What a channel needs from the protocol that owns it. */
export interface ChannelOwner {
  readonly name: string;
  /** The protocol's current route source (BGP: one per session). */
  readonly source: RouteSource;
  /**
   * Export preparation before the filter (BIRD's import_control / preexport): the
   * attributes the export filter sees, or null when the route must not go to this
   * protocol at all. Absent: the route's own attributes.
   */
  preexport?(route: Route, net: NetEntry): RouteAttributes | null;
  /**
   * A route to announce (attrs after the export filter) or to withdraw (attrs undefined)
   * under `pathId` (0 in 'best' mode; the route's local path id in 'any' mode).
   */
  rtNotify(prefix: Prefix, pathId: number, attrs: RouteAttributes | undefined, route: Route | undefined, net: number): void;
}

/** What Channel.importRoute did with a route. */
export const enum ImportResult {
  /** The import filter rejected it (any candidate it had is withdrawn). */
  REJECTED = 0,
  /** In the table with the attributes as given (the filter wrote none, or `import all`). */
  AS_GIVEN = 1,
  /** In the table with attributes the filter wrote. */
  MODIFIED = 2,
}

export interface ChannelOptions {
  readonly importFilter: CompiledFilter;
  readonly exportFilter: CompiledFilter;
  readonly preference: number;
  /** 'any' for BGP with ADD-PATH tx (every candidate goes out, each with its path id). */
  readonly exportMode?: ExportMode;
  /** Logs filter runtime errors (BIRD logs them and drops the route). */
  readonly onFilterError?: (message: string) => void;
}

/** BIRD's per-channel route counters (`show protocols all`: "Routes:" and "Route change stats"). */
export interface ChannelStats {
  /** Routes of this protocol in the table now. */
  imported: number;
  importUpdatesReceived: number;
  importUpdatesFiltered: number;
  importUpdatesAccepted: number;
  importWithdrawsReceived: number;
  importWithdrawsAccepted: number;
  exportUpdatesReceived: number;
  exportUpdatesFiltered: number;
  exportUpdatesAccepted: number;
  exportWithdrawsReceived: number;
  exportWithdrawsAccepted: number;
}

const RTS_OF: Readonly<Record<RouteSourceKind, Rts>> = {
  bgp: Rts.RTS_BGP,
  static: Rts.RTS_STATIC,
  kernel: Rts.RTS_INHERIT,
  direct: Rts.RTS_DEVICE,
};

/** attr-set's RouteDest (1-based) to the filter language's RTD_* (0-based). */
const rtdOf = (d: RouteDest | undefined): Rtd => (d === undefined ? Rtd.RTD_ROUTER : ((d - 1) as Rtd));

interface MutableFilterRoute {
  net: Prefix;
  source: Rts;
  proto: string;
  preference: number;
  gw: Uint8Array | undefined;
  from: Uint8Array | undefined;
  ifname: string;
  dest: Rtd;
  attrs: RouteAttributes;
}

export class Channel implements TableSubscriber {
  importFilter: CompiledFilter;
  exportFilter: CompiledFilter;
  preference: number;
  readonly exportMode: ExportMode;
  readonly stats: ChannelStats = {
    imported: 0,
    importUpdatesReceived: 0, importUpdatesFiltered: 0, importUpdatesAccepted: 0,
    importWithdrawsReceived: 0, importWithdrawsAccepted: 0,
    exportUpdatesReceived: 0, exportUpdatesFiltered: 0, exportUpdatesAccepted: 0,
    exportWithdrawsReceived: 0, exportWithdrawsAccepted: 0,
  };
  private exporting = false;
  private feedGeneration = 0;
  private feedsRunning = 0;
  private readonly fr: MutableFilterRoute = {
    net: undefined as unknown as Prefix, source: Rts.RTS_DUMMY, proto: '', preference: 0,
    gw: undefined, from: undefined, ifname: '', dest: Rtd.RTD_ROUTER, attrs: {},
  };
  private readonly onFilterError: (message: string) => void;

  constructor(
    readonly owner: ChannelOwner,
    readonly table: RoutingTable,
    opts: ChannelOptions,
  ) {
    this.importFilter = opts.importFilter;
    this.exportFilter = opts.exportFilter;
    this.preference = opts.preference;
    this.exportMode = opts.exportMode ?? 'best';
    this.onFilterError = opts.onFilterError ?? (() => {});
  }

  // ---- import -----------------------------------------------------------------------------

  /**
   * A route from the protocol: import filter, then the table. Returns whether the filter
   * rejected it, or accepted it with `attrs` as given or with attributes it wrote. `tag`
   * goes with the table's candidate (RoutingTable.put; undefined keeps the old one).
   */
  importRoute(
    prefix: Prefix,
    pathId: number,
    attrs: RouteAttributes,
    extra: { reachable?: boolean; igpMetric?: number; learnedAt?: number } = {},
    tag?: number,
  ): ImportResult {
    const st = this.stats;
    st.importUpdatesReceived++;
    const source = this.owner.source;
    let out = attrs, preference = this.preference;
    // `import all` changes nothing: no filter run (a full table is a million of them).
    if (this.importFilter.kind !== 'all') {
      const fr = this.filterRoute(prefix, source, this.preference, attrs);
      const res = this.importFilter.run(fr as FilterRoute);
      if (res.error !== undefined) this.onFilterError(res.error);
      if (!res.accepted) {
        st.importUpdatesFiltered++;
        this.withdrawQuiet(prefix, pathId);
        return ImportResult.REJECTED;
      }
      out = res.attrs as RouteAttributes;
      preference = res.preference;
    }
    st.importUpdatesAccepted++;
    const set: AttrSet = intern(out);
    // No Route object: the table keeps routes in columns (rib/table.ts).
    const r = this.table.put(prefix, source, pathId, set, preference, extra.reachable ?? true, extra.igpMetric ?? 0, extra.learnedAt ?? 0, tag);
    if (r === UpdateResult.ADDED) st.imported++;
    // An AttrSet given, and a filter that wrote attributes back to the same values: as given.
    return out === attrs || set === attrs ? ImportResult.AS_GIVEN : ImportResult.MODIFIED;
  }

  /** The protocol withdraws its route for `prefix` / `pathId`. */
  withdrawRoute(prefix: Prefix, pathId: number): void {
    this.stats.importWithdrawsReceived++;
    if (this.withdrawQuiet(prefix, pathId)) this.stats.importWithdrawsAccepted++;
  }

  private withdrawQuiet(prefix: Prefix, pathId: number): boolean {
    if (this.table.remove(prefix, this.owner.source, pathId) !== UpdateResult.REMOVED) return false;
    this.stats.imported--;
    return true;
  }

  /** Withdraws every route this protocol put in the table (protocol down). */
  flushImports(): void {
    this.table.flush(this.owner.source);
    this.stats.imported = 0;
  }

  /**
   * Withdraws every route of `source` (a session that went down) in time slices, so that
   * dropping a full table does not block the event loop (BIRD prunes tables in the
   * background too). The owner may get a new source at once; the old one's routes leave the
   * table as the slices run.
   */
  flushSource(source: RouteSource): void {
    const step = () => {
      const deadline = performance.now() + FEED_SLICE_MS;
      for (;;) {
        const k = this.table.flushSome(source, 256);
        if (source === this.owner.source) this.stats.imported -= k;
        if (k === 0) return;
        if (performance.now() >= deadline) break;
      }
      setImmediate(step);
    };
    if (source !== this.owner.source) this.stats.imported = 0;
    step();
  }

  // ---- export -----------------------------------------------------------------------------

  /**
   * Starts exporting: subscribes to the table (live changes flow at once) and feeds what it
   * holds now in time slices; `done` runs when the feed has passed the whole table. Without
   * `feed` the owner already has the table's state (an update group split off another).
   */
  startExport(done?: () => void, feed = true): void {
    if (this.exporting) return;
    this.exporting = true;
    this.table.subscribe(this);
    if (feed) this.refeed(done);
    else done?.();
  }

  stopExport(): void {
    if (!this.exporting) return;
    this.exporting = false;
    this.feedGeneration++;
    this.table.unsubscribe(this);
  }

  get isExporting(): boolean {
    return this.exporting;
  }

  /** A feed is walking the table. */
  get feeding(): boolean {
    return this.feedsRunning > 0;
  }

  /**
   * Runs the export side again over the whole table (peer up, export filter changed, route
   * refresh). The walk uses the table's resumable cursor in slices of at most FEED_SLICE_MS,
   * yielding to the event loop between them (DESIGN.md §3 step 8). Changes made while it
   * runs reach the channel through the subscription, so a net the walk visits again gets the
   * same (current) answer; a newer refeed supersedes an older one.
   */
  refeed(done?: () => void): void {
    if (!this.exporting) return;
    const gen = ++this.feedGeneration;
    const cursors = [this.table.cursor(Afi.IPV4), this.table.cursor(Afi.IPV6)];
    this.feedsRunning++;
    const step = () => {
      if (gen !== this.feedGeneration) {
        this.feedsRunning--;
        return;
      }
      const deadline = performance.now() + FEED_SLICE_MS;
      while (cursors.length > 0) {
        const batch = cursors[0]!.next(FEED_BATCH);
        for (const { value: net } of batch) {
          if (this.exportMode === 'any') for (const r of net.routes) this.tableChanged(net, r, r);
          else if (net.best) this.tableChanged(net, net.best, net.best);
        }
        if (cursors[0]!.done) cursors.shift();
        if (performance.now() >= deadline) break;
      }
      if (cursors.length > 0) {
        setImmediate(step);
        return;
      }
      this.feedsRunning--;
      done?.();
    };
    step();
  }

  /** From the table: `now` replaces `old` (see TableSubscriber). */
  tableChanged(net: NetEntry, now: Route | undefined, old: Route | undefined): void {
    const st = this.stats;
    const own = this.owner.source;
    const prefix = net.prefix;
    const pathId = this.exportMode === 'any' ? localPathId(now ?? old!) : 0;
    if (now === undefined || now.source === own) {
      // Gone, or our own route won: withdraw whatever we exported for this net.
      if (old !== undefined && old.source !== own) {
        st.exportWithdrawsReceived++;
        st.exportWithdrawsAccepted++;
        this.owner.rtNotify(prefix, pathId, undefined, undefined, net.id);
      }
      return;
    }
    st.exportUpdatesReceived++;
    const prepared = this.owner.preexport ? this.owner.preexport(now, net) : now.attrs;
    let out: RouteAttributes | undefined;
    if (prepared !== null) {
      if (this.exportFilter.kind === 'all') out = prepared;
      else {
        const fr = this.filterRoute(prefix, now.source, now.preference, prepared);
        const res = this.exportFilter.run(fr as FilterRoute);
        if (res.error !== undefined) this.onFilterError(res.error);
        if (res.accepted) out = res.attrs as RouteAttributes;
      }
    }
    if (out === undefined) st.exportUpdatesFiltered++;
    else st.exportUpdatesAccepted++;
    this.owner.rtNotify(prefix, pathId, out, now, net.id);
  }

  private filterRoute(prefix: Prefix, source: RouteSource, preference: number, attrs: RouteAttributes): MutableFilterRoute {
    const fr = this.fr;
    const kind = source.kind;
    fr.net = prefix;
    fr.source = RTS_OF[kind];
    fr.proto = source.name;
    fr.preference = preference;
    fr.gw = attrs.gateway ?? (kind === 'bgp' ? attrs.nextHop : undefined);
    fr.from = source.bgp?.address;
    fr.ifname = attrs.ifname ?? '';
    fr.dest = rtdOf(attrs.dest);
    fr.attrs = attrs;
    return fr;
  }
}

// ---- local path ids (RFC 7911 send side) ------------------------------------------------------

const pathIds = new WeakMap<RouteSource, Map<number, number>>();
let nextPathId = 1;

/**
 * The path identifier we send for a route in 'any' mode: one per (source, received path
 * id), stable for as long as the source lives (BIRD uses its route source ids the same way).
 */
export function localPathId(r: Route): number {
  let m = pathIds.get(r.source);
  if (m === undefined) pathIds.set(r.source, (m = new Map()));
  let id = m.get(r.pathId);
  if (id === undefined) {
    id = nextPathId;
    nextPathId = nextPathId >= 0xffffffff ? 1 : nextPathId + 1;
    m.set(r.pathId, id);
  }
  return id;
}
