// Summaries of benchmark runs: per DUT the median of the successful runs' wall time, CPU
// seconds (all threads, and the main thread's), peak RSS (and withdrawal time for the RR
// scenarios), the machine's busy cores, the ratios of the medians
// to BIRD's, and a plain-text table. Pure functions over RunResult lists.
// Leaves out: statistics beyond the median (the machine is shared; medians only).

import type { DutName } from './duts.js';
import type { RunResult } from './run.js';

export function median(xs: readonly number[]): number | undefined {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1]! + v[m]!) / 2;
}

export interface DutSummary {
  readonly dut: DutName;
  readonly runs: number;
  readonly ok: number;
  readonly wallS?: number;
  readonly withdrawS?: number;
  readonly cpuS?: number;
  readonly mainThreadCpuS?: number;
  readonly peakRssMiB?: number;
  /** Busy cores of the whole machine over the measured phase (DUT, tester, monitor, the rest). */
  readonly machineCores?: number;
  /** Ratios of this DUT's medians to BIRD's (undefined without a BIRD median). */
  readonly wallVsBird?: number;
  readonly cpuVsBird?: number;
  readonly rssVsBird?: number;
  /** Why runs were not ok, deduplicated. */
  readonly problems: readonly string[];
}

export function summarize(results: readonly RunResult[], duts: readonly DutName[]): DutSummary[] {
  const base = new Map<DutName, Omit<DutSummary, 'wallVsBird' | 'cpuVsBird' | 'rssVsBird'>>();
  for (const dut of duts) {
    const rs = results.filter((r) => r.dut === dut);
    const ok = rs.filter((r) => r.status === 'ok');
    const s: { -readonly [K in keyof DutSummary]?: DutSummary[K] } = {
      dut,
      runs: rs.length,
      ok: ok.length,
      problems: [...new Set(rs.filter((r) => r.status !== 'ok').map((r) => `${r.status}: ${r.detail ?? ''}`.trim()))],
    };
    const w = median(ok.map((r) => r.wallS ?? NaN));
    const wd = median(ok.map((r) => r.withdrawS ?? NaN));
    const c = median(ok.map((r) => r.cpuS ?? NaN));
    const mt = median(ok.map((r) => r.mainThreadCpuS ?? NaN));
    const m = median(ok.map((r) => r.peakRssMiB ?? NaN));
    const mc = median(ok.map((r) => r.machineCores ?? NaN));
    if (w !== undefined) s.wallS = w;
    if (wd !== undefined) s.withdrawS = wd;
    if (c !== undefined) s.cpuS = c;
    if (mt !== undefined) s.mainThreadCpuS = mt;
    if (m !== undefined) s.peakRssMiB = m;
    if (mc !== undefined) s.machineCores = mc;
    base.set(dut, s as DutSummary);
  }
  const bird = base.get('bird');
  const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 ? a / b : undefined);
  return duts.map((dut) => {
    const s = base.get(dut)!;
    const out: { -readonly [K in keyof DutSummary]?: DutSummary[K] } = { ...s };
    const wv = ratio(s.wallS, bird?.wallS), cv = ratio(s.cpuS, bird?.cpuS), rv = ratio(s.peakRssMiB, bird?.peakRssMiB);
    if (wv !== undefined) out.wallVsBird = wv;
    if (cv !== undefined) out.cpuVsBird = cv;
    if (rv !== undefined) out.rssVsBird = rv;
    return out as DutSummary;
  });
}

const f = (x: number | undefined, digits: number, suffix = ''): string => (x === undefined ? '—' : x.toFixed(digits) + suffix);

export function formatTable(summaries: readonly DutSummary[], rr: boolean): string {
  const head = ['DUT', 'ok/runs', 'wall s', ...(rr ? ['withdraw s'] : []), 'CPU s', 'main thread s', 'peak RSS MiB', 'cores busy', 'wall ×BIRD', 'CPU ×BIRD', 'RSS ×BIRD'];
  const rows = summaries.map((s) => [
    s.dut,
    `${s.ok}/${s.runs}`,
    f(s.wallS, 2),
    ...(rr ? [f(s.withdrawS, 3)] : []),
    f(s.cpuS, 2),
    f(s.mainThreadCpuS, 2),
    f(s.peakRssMiB, 1),
    f(s.machineCores, 2),
    f(s.wallVsBird, 2),
    f(s.cpuVsBird, 2),
    f(s.rssVsBird, 2),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) => '| ' + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ') + ' |';
  const out = [line(head), '|' + widths.map((w, i) => (i === 0 ? ':' : '-') + '-'.repeat(w) + (i === 0 ? '-' : ':')).join('|') + '|'];
  for (const r of rows) out.push(line(r));
  const notes = summaries.flatMap((s) => s.problems.map((p) => `  ${s.dut}: ${p}`));
  if (notes.length) out.push('', 'Not ok:', ...notes);
  return out.join('\n');
}

/** One line per run, for the log. */
export function formatRun(r: RunResult): string {
  const parts = [`${r.dut} ${r.scenario}: ${r.status}`];
  if (r.wallS !== undefined) parts.push(`wall ${r.wallS.toFixed(3)} s`);
  if (r.withdrawS !== undefined) parts.push(`withdraw ${r.withdrawS.toFixed(3)} s`);
  if (r.cpuS !== undefined && Number.isFinite(r.cpuS)) parts.push(`CPU ${r.cpuS.toFixed(2)} s`);
  if (r.mainThreadCpuS !== undefined) parts.push(`main thread ${r.mainThreadCpuS.toFixed(2)} s`);
  if (r.peakRssMiB !== undefined && Number.isFinite(r.peakRssMiB)) parts.push(`RSS ${r.peakRssMiB.toFixed(1)} MiB`);
  if (r.lingerPeakRssMiB !== undefined) parts.push(`after lingering: RSS ${r.lingerPeakRssMiB.toFixed(1)} MiB, CPU ${r.lingerCpuS!.toFixed(2)} s`);
  if (r.held !== undefined) parts.push(`held ${r.held}/${r.target}`);
  if (r.sendS !== undefined) parts.push(`tester sent ${r.messages} UPDATEs in ${r.sendS.toFixed(2)} s`);
  if (r.firstS !== undefined) parts.push(`first at monitor after ${r.firstS.toFixed(3)} s`);
  if (r.monitorCpuS !== undefined) parts.push(`monitor CPU ${r.monitorCpuS.toFixed(2)} s`);
  if (r.machineCpuS !== undefined) parts.push(`machine busy ${r.machineCpuS.toFixed(2)} s (${r.machineCores!.toFixed(2)} cores)`);
  const c = r.checks;
  if (c && 'firstAsBad' in c) parts.push(`checks: first-AS bad ${c.firstAsBad}/${c.updates}, samples bad ${c.sampleBad}/${c.sampled}`);
  if (c && 'originatorBad' in c) parts.push(`checks: ORIGINATOR_ID bad ${c.originatorBad}, CLUSTER_LIST bad ${c.clusterListBad} of ${c.announcements}, own reflected ${c.ownReflected}`);
  if (c && c.examples.length) parts.push(`e.g. ${c.examples[0]}`);
  if (r.detail) parts.push(`(${r.detail.split('\n')[0]})`);
  return parts.join(', ');
}
