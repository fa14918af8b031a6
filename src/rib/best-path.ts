// The decision process: which of a net's candidate routes is best, and why. The order is
// BIRD 1.6's, which is what Calico was built against: nest/rt-table.c rte_better() first
// (protocol preference, then protocol type), then for two BGP routes proto/bgp/attrs.c
// bgp_rte_better(), whose steps follow RFC 4271 §9.1.2 and RFC 4456 §9:
//
//   1  preference            BIRD rte_better: higher protocol preference wins
//   2  protocol type         BIRD rte_better: equal preference, different protocol types
//   3  deterministic MED     BIRD bgp_rte_recalculate: a route beaten inside its
//                            (preference, neighbour AS) group is "suppressed"
//   4  next hop resolvable   RFC 4271 §9.1.2.1
//   4a LLGR stale            RFC 9494: a route carrying LLGR_STALE (65535:6) is least
//                            preferred: it loses to any other BGP route before LOCAL_PREF
//                            or anything else about it is looked at (BIRD 1.6.4+/2
//                            bgp_rte_better: right after resolvability). Not earlier: a
//                            BGP-only test ahead of preference and protocol type would make
//                            the order non-transitive (stale BGP > static > fresh BGP > stale).
//   5  local preference      RFC 4271 §9.1.1 (LOCAL_PREF, BIRD's default_local_pref if absent)
//   6  AS path length        RFC 4271 §9.1.2.2 (a) (BIRD `path metric`, on by default)
//   7  origin                RFC 4271 §9.1.2.2 (b) (absent = INCOMPLETE)
//   8  MED                   RFC 4271 §9.1.2.2 (c): only between routes from the same
//                            neighbour AS, unless `med metric` (always compare)
//   9  eBGP over iBGP        RFC 4271 §9.1.2.2 (d)
//  10  IGP metric            RFC 4271 §9.1.2.2 (e) (BIRD `igp metric`, on by default)
//  11  prefer older          RFC 5004 (BIRD `prefer older`, off by default)
//  12  router id             RFC 4271 §9.1.2.2 (f), RFC 4456 §9 (a): ORIGINATOR_ID if present
//  13  cluster list length   RFC 4456 §9 (b)
//  14  neighbour address     RFC 4271 §9.1.2.2 (g)
//  15  protocol name         Wren: deterministic tie-break (BIRD keeps whichever came first)
//  16  path id               Wren: deterministic tie-break between ADD-PATH paths of one peer
//
// Steps 3–14 compare only two BGP routes (BIRD calls bgp_rte_better only for two routes of
// the same protocol type). Non-BGP routes of the same type and preference fall through to
// 15–16. Step 2 orders types as their default preferences do (direct > static > BGP >
// kernel); BIRD compares protocol-class pointers there, i.e. an arbitrary fixed order.
//
// MED is not a total order (it only compares within a neighbour AS), so a plain pairwise
// fold can depend on arrival order. With `deterministicMed` we do what BIRD and the RFC's
// elimination procedure do: pick the best of each (preference, neighbour AS) group first;
// the rest are suppressed (step 3). Without it BIRD's result depends on the order routes
// arrived in (like Cisco's default); ours must not, so when no candidate beats all the
// others we fold in a canonical order (protocol name, path id) instead — the result is then
// a function of the set alone (reported with the reason "canonical order").
//
// `mergeable` is BIRD's rte_mergable/bgp_rte_mergable (`merge paths` ECMP): equal through
// step 10 (LLGR staleness included), ignoring the tie-breakers 11–16; only BGP routes merge
// (BIRD 1.6's static, kernel and direct protocols have no rte_mergable).
//
// Options: each BGP route carries its protocol's (RouteSource.bgp.options: `path metric`,
// `med metric`, `igp metric`, `prefer older`, `deterministic med`, the default MED and
// LOCAL_PREF), applied as BIRD 1.6's bgp_rte_better applies `new_bgp->cf` / `old_bgp->cf`;
// the options given per call are the fallback for routes without (tests, non-BGP).
//
// Leaves out: AIGP, confederation specifics beyond AS path length. Plain RFC 4724 (GR)
// stale routes are not depreferred (BIRD neither): only LLGR_STALE is.

import type { Route, RouteSourceKind } from './route.js';
import { neighbourAs } from './route.js';

export interface BestPathOptions {
  /** BIRD `deterministic med`: group by neighbour AS first (default off). */
  readonly deterministicMed: boolean;
  /** BIRD `med metric`: compare MED across neighbour ASes (always-compare-med, default off). */
  readonly alwaysCompareMed: boolean;
  /** BIRD `path metric`: compare AS path lengths (default on). */
  readonly comparePathLengths: boolean;
  /** BIRD `igp metric`: compare IGP metrics (default on). */
  readonly igpMetric: boolean;
  /** BIRD `prefer older` (RFC 5004): between eBGP routes, prefer the older (default off). */
  readonly preferOlder: boolean;
  /** BIRD `default bgp_local_pref` for routes without LOCAL_PREF (default 100). */
  readonly defaultLocalPref: number;
  /** BIRD `default bgp_med` for routes without MED (default 0). */
  readonly defaultMed: number;
}

export const DEFAULT_BEST_PATH_OPTIONS: BestPathOptions = Object.freeze({
  deterministicMed: false,
  alwaysCompareMed: false,
  comparePathLengths: true,
  igpMetric: true,
  preferOlder: false,
  defaultLocalPref: 100,
  defaultMed: 0,
});

/** Per-selection state: routes suppressed by deterministic MED. */
export interface DecisionContext {
  readonly suppressed?: ReadonlySet<Route>;
}

/** Negative: a is better; positive: b is better; 0: this step does not decide. */
export type StepCompare = (a: Route, b: Route, opts: BestPathOptions, ctx: DecisionContext) => number;

export interface DecisionStep {
  readonly name: string;
  /** The rule it implements, e.g. 'RFC 4271 §9.1.2.2 (a)'. */
  readonly rule: string;
  readonly compare: StepCompare;
}

const EMPTY_CTX: DecisionContext = Object.freeze({});

const KIND_RANK: Readonly<Record<RouteSourceKind, number>> = { direct: 3, static: 2, bgp: 1, kernel: 0 };

const bothBgp = (a: Route, b: Route): boolean => a.source.bgp !== undefined && b.source.bgp !== undefined;
/** Lower value wins. */
const lower = (x: number, y: number): number => (x < y ? -1 : x > y ? 1 : 0);
/** Higher value wins. */
const higher = (x: number, y: number): number => (x > y ? -1 : x < y ? 1 : 0);

/** RFC 9494 §2.2 LLGR_STALE (65535:6), as codec/communities.ts WellKnownCommunity.LLGR_STALE. */
export const LLGR_STALE_COMMUNITY = 0xffff0006;
/** 1 when the route carries LLGR_STALE (BIRD rte_stale), else 0. */
export const llgrStale = (r: Route): number => {
  const c = r.attrs.communities;
  return c !== undefined && c.includes(LLGR_STALE_COMMUNITY) ? 1 : 0;
};

/**
 * A route's decision options: its BGP protocol's (BIRD 1.6 bgp_rte_better reads
 * `new_bgp->cf` and `old_bgp->cf`), else the table's. Where BIRD tests an option of either
 * route (`path metric`, `med metric`, `prefer older`) the steps below do too; `igp metric`
 * and the defaults apply to each route's own value.
 */
const opt = (r: Route, o: BestPathOptions): BestPathOptions => r.source.bgp?.options ?? o;
const localPref = (r: Route, o: BestPathOptions): number => r.attrs.localPref ?? opt(r, o).defaultLocalPref;
const med = (r: Route, o: BestPathOptions): number => r.attrs.med ?? opt(r, o).defaultMed;
const igp = (r: Route, o: BestPathOptions): number => (opt(r, o).igpMetric ? r.igpMetric : 0);
const comparePaths = (a: Route, b: Route, o: BestPathOptions): boolean => opt(a, o).comparePathLengths || opt(b, o).comparePathLengths;
const compareMeds = (a: Route, b: Route, o: BestPathOptions): boolean =>
  opt(a, o).alwaysCompareMed || opt(b, o).alwaysCompareMed || neighbourAs(a) === neighbourAs(b);
const routerId = (r: Route): number => r.attrs.originatorId ?? r.source.bgp!.routerId;

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return a.length - b.length; // IPv4 before IPv6
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

/** The decision process, in order (see the file header). */
export const DECISION_STEPS: readonly DecisionStep[] = Object.freeze([
  {
    name: 'preference',
    rule: 'BIRD rte_better: protocol preference',
    compare: (a, b) => higher(a.preference, b.preference),
  },
  {
    name: 'protocol type',
    rule: 'BIRD rte_better: equal preference, different protocol types',
    compare: (a, b) => higher(KIND_RANK[a.source.kind], KIND_RANK[b.source.kind]),
  },
  {
    name: 'deterministic MED',
    rule: 'RFC 4271 §9.1.2.2 (c), BIRD bgp_rte_recalculate: best of each neighbour AS first',
    compare: (a, b, _o, ctx) => {
      const s = ctx.suppressed;
      if (s === undefined || !bothBgp(a, b)) return 0;
      return lower(s.has(a) ? 1 : 0, s.has(b) ? 1 : 0);
    },
  },
  {
    name: 'next hop resolvable',
    rule: 'RFC 4271 §9.1.2.1',
    compare: (a, b) => (bothBgp(a, b) ? higher(a.reachable ? 1 : 0, b.reachable ? 1 : 0) : 0),
  },
  {
    name: 'LLGR stale',
    rule: 'RFC 9494 §4.2: routes with LLGR_STALE are least preferred',
    compare: (a, b) => (bothBgp(a, b) ? lower(llgrStale(a), llgrStale(b)) : 0),
  },
  {
    name: 'local preference',
    rule: 'RFC 4271 §9.1.1, §5.1.5 (LOCAL_PREF)',
    compare: (a, b, o) => (bothBgp(a, b) ? higher(localPref(a, o), localPref(b, o)) : 0),
  },
  {
    name: 'AS path length',
    rule: 'RFC 4271 §9.1.2.2 (a)',
    compare: (a, b, o) => (bothBgp(a, b) && comparePaths(a, b, o) ? lower(a.attrs.asPathLength, b.attrs.asPathLength) : 0),
  },
  {
    name: 'origin',
    rule: 'RFC 4271 §9.1.2.2 (b)',
    compare: (a, b) => (bothBgp(a, b) ? lower(a.attrs.origin ?? 2, b.attrs.origin ?? 2) : 0),
  },
  {
    name: 'MED',
    rule: 'RFC 4271 §9.1.2.2 (c)',
    compare: (a, b, o) => (bothBgp(a, b) && compareMeds(a, b, o) ? lower(med(a, o), med(b, o)) : 0),
  },
  {
    name: 'eBGP over iBGP',
    rule: 'RFC 4271 §9.1.2.2 (d)',
    compare: (a, b) => (bothBgp(a, b) ? higher(a.source.bgp!.ebgp ? 1 : 0, b.source.bgp!.ebgp ? 1 : 0) : 0),
  },
  {
    name: 'IGP metric',
    rule: 'RFC 4271 §9.1.2.2 (e)',
    compare: (a, b, o) => (bothBgp(a, b) ? lower(igp(a, o), igp(b, o)) : 0),
  },
  {
    name: 'prefer older',
    rule: 'RFC 5004 §2',
    compare: (a, b, o) =>
      bothBgp(a, b) && (opt(a, o).preferOlder || opt(b, o).preferOlder) && a.source.bgp!.ebgp && b.source.bgp!.ebgp && routerId(a) !== routerId(b)
        ? lower(a.learnedAt, b.learnedAt)
        : 0,
  },
  {
    name: 'router id',
    rule: 'RFC 4271 §9.1.2.2 (f), RFC 4456 §9 (a)',
    compare: (a, b) => (bothBgp(a, b) ? lower(routerId(a), routerId(b)) : 0),
  },
  {
    name: 'cluster list length',
    rule: 'RFC 4456 §9 (b)',
    compare: (a, b) => (bothBgp(a, b) ? lower(a.attrs.clusterListLength, b.attrs.clusterListLength) : 0),
  },
  {
    name: 'neighbour address',
    rule: 'RFC 4271 §9.1.2.2 (g)',
    compare: (a, b) => (bothBgp(a, b) ? Math.sign(compareBytes(a.source.bgp!.address, b.source.bgp!.address)) : 0),
  },
  {
    name: 'protocol name',
    rule: 'Wren: deterministic tie-break (BIRD keeps the earlier route)',
    compare: (a, b) => (a.source.name < b.source.name ? -1 : a.source.name > b.source.name ? 1 : 0),
  },
  {
    name: 'path id',
    rule: 'Wren: deterministic tie-break between ADD-PATH paths (RFC 7911)',
    compare: (a, b) => lower(a.pathId, b.pathId),
  },
] satisfies DecisionStep[]);

/** Index of a step by name, for callers that test "decided at or before step X". */
export const STEP_INDEX: ReadonlyMap<string, number> = new Map(DECISION_STEPS.map((s, i) => [s.name, i]));

export interface Comparison {
  /** -1: a is better, 1: b is better, 0: equal in every step (the same route). */
  readonly winner: -1 | 0 | 1;
  /** The step that decided, or 'equal'. */
  readonly step: string;
  /** Index into DECISION_STEPS, or DECISION_STEPS.length when equal. */
  readonly index: number;
}

const EQUAL: Comparison = Object.freeze({ winner: 0, step: 'equal', index: DECISION_STEPS.length });
// One frozen result per (step, winner): comparisons allocate nothing.
const RESULTS: readonly (readonly [Comparison, Comparison])[] = DECISION_STEPS.map((s, i) => [
  Object.freeze({ winner: -1 as const, step: s.name, index: i }),
  Object.freeze({ winner: 1 as const, step: s.name, index: i }),
]);

/** Runs the steps in order; the first that decides names the winner. */
export function compareRoutes(
  a: Route,
  b: Route,
  opts: BestPathOptions = DEFAULT_BEST_PATH_OPTIONS,
  ctx: DecisionContext = EMPTY_CTX,
): Comparison {
  if (a === b) return EQUAL;
  const steps = DECISION_STEPS;
  for (let i = 0; i < steps.length; i++) {
    const c = steps[i]!.compare(a, b, opts, ctx);
    if (c !== 0) return c < 0 ? RESULTS[i]![0] : RESULTS[i]![1];
  }
  return EQUAL;
}

export interface Selection {
  readonly best: Route | undefined;
  /** Why `best` won: the step that decided against its closest rival, 'only route', 'no route', or 'canonical order'. */
  readonly reason: string;
  /** The rule of that step ('' for the special reasons). */
  readonly rule: string;
  /** Routes suppressed by deterministic MED (undefined when the option is off or nothing was). */
  readonly suppressed: ReadonlySet<Route> | undefined;
}

const NO_ROUTE: Selection = Object.freeze({ best: undefined, reason: 'no route', rule: '', suppressed: undefined });

/**
 * Deterministic MED, lower level (BIRD bgp_rte_recalculate): the BGP candidates grouped by
 * (preference, neighbour AS); all but each group's best are suppressed. Within a group every
 * step is a total order (the MED step always applies there), so a fold finds the best.
 */
export function suppressedByMed(candidates: readonly Route[], opts: BestPathOptions): Set<Route> | undefined {
  let groups: Map<number, Route> | undefined;
  let suppressed: Set<Route> | undefined;
  for (const r of candidates) {
    if (r.source.bgp === undefined) continue;
    const key = r.preference * 4294967296 + neighbourAs(r);
    groups ??= new Map();
    const cur = groups.get(key);
    if (cur === undefined) {
      groups.set(key, r);
      continue;
    }
    suppressed ??= new Set();
    if (compareRoutes(r, cur, opts).winner < 0) {
      suppressed.add(cur);
      groups.set(key, r);
    } else suppressed.add(r);
  }
  return suppressed;
}

/**
 * Deterministic MED for a net: the table's option, or that of any BGP candidate's protocol
 * (BIRD runs bgp_rte_recalculate for the routes of a protocol with `deterministic med`;
 * protocols that disagree on it are a configuration BIRD's result depends on arrival for).
 */
function deterministicMed(candidates: readonly Route[], opts: BestPathOptions): boolean {
  if (opts.deterministicMed) return true;
  for (let i = 0; i < candidates.length; i++) if (candidates[i]!.source.bgp?.options?.deterministicMed) return true;
  return false;
}

/** The best route of a net and the reason (see the file header for the order). */
export function selectBest(candidates: readonly Route[], opts: BestPathOptions = DEFAULT_BEST_PATH_OPTIONS): Selection {
  const n = candidates.length;
  if (n === 0) return NO_ROUTE;
  if (n === 1) return { best: candidates[0], reason: 'only route', rule: '', suppressed: undefined };
  const suppressed = deterministicMed(candidates, opts) ? suppressedByMed(candidates, opts) : undefined;
  const ctx: DecisionContext = suppressed ? { suppressed } : EMPTY_CTX;

  let best = candidates[0]!;
  for (let i = 1; i < n; i++) if (compareRoutes(candidates[i]!, best, opts, ctx).winner < 0) best = candidates[i]!;

  // The reason is the step that beat the closest rival (the latest deciding step). If some
  // rival beats `best`, the relation has a cycle (MED without deterministic MED).
  let closest = -1;
  for (let i = 0; i < n; i++) {
    const c = candidates[i]!;
    if (c === best) continue;
    const r = compareRoutes(best, c, opts, ctx);
    if (r.winner > 0) return canonical(candidates, opts, ctx, suppressed);
    if (r.index > closest) closest = r.index;
  }
  const step = DECISION_STEPS[closest];
  return { best, reason: step ? step.name : 'equal', rule: step ? step.rule : '', suppressed };
}

function canonical(candidates: readonly Route[], opts: BestPathOptions, ctx: DecisionContext, suppressed: Set<Route> | undefined): Selection {
  const sorted = candidates.slice().sort(
    (a, b) => (a.source.name < b.source.name ? -1 : a.source.name > b.source.name ? 1 : a.pathId - b.pathId),
  );
  let best = sorted[0]!;
  for (let i = 1; i < sorted.length; i++) if (compareRoutes(sorted[i]!, best, opts, ctx).winner < 0) best = sorted[i]!;
  return { best, reason: 'canonical order', rule: 'RFC 4271 §9.1.2.2 (c): MED is not transitive without deterministic MED', suppressed };
}

/**
 * BIRD rte_mergable + bgp_rte_mergable (1.6): may `other` join `best` in an ECMP route
 * (`merge paths on`)? Equal in every step up to and including the IGP metric; the
 * tie-breakers (prefer older, router id, cluster list, neighbour address, name, path id)
 * are ignored.
 */
export function mergeable(
  best: Route,
  other: Route,
  opts: BestPathOptions = DEFAULT_BEST_PATH_OPTIONS,
  suppressed?: ReadonlySet<Route>,
): boolean {
  if (best.preference !== other.preference) return false;
  if (best.source.kind !== other.source.kind || !bothBgp(best, other)) return false;
  if (suppressed !== undefined && suppressed.has(best) !== suppressed.has(other)) return false;
  if (!other.reachable) return false;
  if (llgrStale(best) !== llgrStale(other)) return false;
  if (localPref(best, opts) !== localPref(other, opts)) return false;
  if (comparePaths(best, other, opts) && best.attrs.asPathLength !== other.attrs.asPathLength) return false;
  if ((best.attrs.origin ?? 2) !== (other.attrs.origin ?? 2)) return false;
  if (compareMeds(best, other, opts) && med(best, opts) !== med(other, opts)) return false;
  if (best.source.bgp!.ebgp !== other.source.bgp!.ebgp) return false;
  if (igp(best, opts) !== igp(other, opts)) return false;
  return true;
}

/**
 * The routes of an ECMP (merged) route: `best` first, then the mergeable others in decision
 * order, at most `limit` in all (BIRD `merge paths on limit N`; 16 by default).
 */
export function mergedPaths(candidates: readonly Route[], selection: Selection, opts: BestPathOptions = DEFAULT_BEST_PATH_OPTIONS, limit = 16): Route[] {
  const best = selection.best;
  if (best === undefined) return [];
  const others = candidates.filter((c) => c !== best && mergeable(best, c, opts, selection.suppressed));
  // Order by the tie-breakers only: they are total orders, unlike MED between the others.
  const from = STEP_INDEX.get('prefer older')!;
  others.sort((a, b) => {
    for (let i = from; i < DECISION_STEPS.length; i++) {
      const c = DECISION_STEPS[i]!.compare(a, b, opts, EMPTY_CTX);
      if (c !== 0) return c;
    }
    return 0;
  });
  return [best, ...others].slice(0, Math.max(1, limit));
}
