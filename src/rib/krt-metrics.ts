// Kernel route metrics (RTA_METRICS) as BIRD 1.6 carries them: one integer attribute per
// RTAX_* member below RTAX_CC_ALGO (sysdep/linux/krt-sys.h KRT_METRICS_MAX 0x10), learned
// from alien routes (nl_parse_route) and written back for the routes we install
// (nl_send_route). Filters name them krt_mtu … krt_quickack; the RTAX_LOCK bit field is
// krt_lock_<metric> and the RTAX_FEATURES one krt_feature_ecn / krt_feature_allfrag, both
// bool (sysdep/linux/netlink.Y). `show route all` prints `Kernel.<name>: <value>`, the lock as
// `Kernel.lock: mtu …` and the features as `Kernel.features: ecn …` (krt_sys_get_attr).
//
// A set of metrics is a frozen record RTAX id → unsigned 32-bit value, its keys ascending
// (integer keys iterate in order), the same shape the netlink codec decodes and encodes.
// Leaves out: RTAX_CC_ALGO (a string) and RTAX_FASTOPEN_NO_COOKIE, as 1.6 does.

export type KrtMetrics = Readonly<Record<number, number>>;

/** RTAX ids BIRD 1.6 keeps: 1 (RTAX_LOCK) … 15 (RTAX_QUICKACK). */
export const KRT_METRICS_MAX = 16;
export const RTAX_LOCK = 1;
export const RTAX_FEATURES = 12;

/** 1.6 krt_metrics_names: the name of each RTAX id (the filter attribute is `krt_<name>`). */
export const METRIC_NAMES: readonly (string | undefined)[] = [
  undefined, 'lock', 'mtu', 'window', 'rtt', 'rttvar', 'sstresh', 'cwnd', 'advmss',
  'reordering', 'hoplimit', 'initcwnd', 'features', 'rto_min', 'initrwnd', 'quickack',
];

/** 1.6 krt_features_names: bits of RTAX_FEATURES (RTAX_FEATURE_ECN 1 << 0, _ALLFRAG 1 << 3). */
export const FEATURE_NAMES: readonly (string | undefined)[] = ['ecn', undefined, undefined, 'allfrag'];

/** The metrics BIRD 1.6 keeps from a decoded RTA_METRICS (ids 1–15), or undefined if none. */
export function learnedMetrics(m: KrtMetrics | undefined): KrtMetrics | undefined {
  if (m === undefined) return undefined;
  let out: Record<number, number> | undefined;
  for (const k of Object.keys(m)) {
    const id = Number(k);
    if (id < 1 || id >= KRT_METRICS_MAX) continue;
    (out ??= {})[id] = m[id]! >>> 0;
  }
  return out === undefined ? undefined : Object.freeze(out);
}

/** The ids whose bit of RTAX_LOCK 1.6 names (`krt_lock_mtu` … `krt_lock_hoplimit`, `krt_lock_rto_min`). */
export const LOCK_NAMED: ReadonlySet<number> = new Set([2, 3, 4, 5, 6, 7, 8, 9, 10, 13]);

/** A mutable copy of `m` without metric `skip`. */
function copyWithout(m: KrtMetrics | undefined, skip: number): Record<number, number> {
  const out: Record<number, number> = {};
  if (m !== undefined) for (const k of Object.keys(m)) if (Number(k) !== skip) out[Number(k)] = m[Number(k)]!;
  return out;
}

/** A copy of `m` with metric `id` set to `value` (a filter's `krt_mtu = 1400`). */
export function withMetric(m: KrtMetrics | undefined, id: number, value: number): KrtMetrics {
  const out = copyWithout(m, id);
  out[id] = value >>> 0;
  return Object.freeze(out);
}

/** A copy of `m` without metric `id` (1.6 `unset(krt_mtu)`); undefined when none is left. */
export function withoutMetric(m: KrtMetrics, id: number): KrtMetrics | undefined {
  const out = copyWithout(m, id);
  return Object.keys(out).length ? Object.freeze(out) : undefined;
}

/**
 * A copy of `m` with one bit of the bit field `id` (RTAX_LOCK, RTAX_FEATURES) set or cleared;
 * an absent field counts as 0 (1.6 FI_EA_SET for EAF_TYPE_BITFIELD).
 */
export function withBit(m: KrtMetrics | undefined, id: number, bit: number, on: boolean): KrtMetrics {
  const old = m?.[id] ?? 0;
  return withMetric(m, id, on ? old | (1 << bit) : old & ~(1 << bit));
}

/** Bit `bit` of the bit field `id`, undefined when the field is absent (1.6 reads it as void). */
export function metricBit(m: KrtMetrics | undefined, id: number, bit: number): boolean | undefined {
  const v = m?.[id];
  return v === undefined ? undefined : (v & (1 << bit)) !== 0;
}

/** Two decoded RTA_METRICS equal in the ids 1.6 keeps (learnedMetrics), without building either. */
export function sameLearnedMetrics(a: KrtMetrics | undefined, b: KrtMetrics | undefined): boolean {
  if (a === b) return true;
  for (let id = 1; id < KRT_METRICS_MAX; id++) if (a?.[id] !== b?.[id]) return false;
  return true;
}

export function metricsEqual(a: KrtMetrics | undefined, b: KrtMetrics | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined) return false;
  const ka = Object.keys(a), kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (let i = 0; i < ka.length; i++) {
    if (ka[i] !== kb[i] || a[Number(ka[i])] !== b[Number(kb[i])]) return false;
  }
  return true;
}

/** Each metric as [id, value], ids ascending. */
export function metricEntries(m: KrtMetrics): [number, number][] {
  return Object.keys(m).map((k) => [Number(k), m[Number(k)]!]);
}

/**
 * What the kernel keeps of metrics we write, for comparing what it reports with what we
 * want: zeros are not kept (the kernel dumps only non-zero metrics), and it clamps RTAX_MTU
 * to 65535 − 15, RTAX_ADVMSS to 65535 − 40 and RTAX_HOPLIMIT to 255 (ip_metrics_convert).
 */
export function kernelKept(m: KrtMetrics | undefined): Map<number, number> {
  const out = new Map<number, number>();
  if (m === undefined) return out;
  for (const [id, v0] of metricEntries(m)) {
    let v = v0 >>> 0;
    if (v === 0) continue;
    if (id === 2) v = Math.min(v, 65535 - 15);
    else if (id === 8) v = Math.min(v, 65535 - 40);
    else if (id === 10) v = Math.min(v, 255);
    out.set(id, v);
  }
  return out;
}

/** Whether the kernel's report `have` holds the metrics `want` (see kernelKept). */
export function sameKernelMetrics(have: KrtMetrics | undefined, want: KrtMetrics | undefined): boolean {
  if (have === want) return true;
  const h = kernelKept(have), w = kernelKept(want);
  if (h.size !== w.size) return false;
  for (const [id, v] of w) if (h.get(id) !== v) return false;
  return true;
}

function bitNames(v: number, names: readonly (string | undefined)[], min: number, max: number): string {
  let data = v >>> 0;
  const out: string[] = [];
  for (let i = min; i < max; i++) {
    if (data & (1 << i) && names[i] !== undefined) {
      out.push(names[i]!);
      data = (data & ~(1 << i)) >>> 0;
    }
  }
  if (data) out.push(data.toString(16).padStart(8, '0'));
  return out.join(' ');
}

/** `show route all` lines of the metrics, as 1.6's krt_sys_get_attr formats them, in id order. */
export function metricLines(m: KrtMetrics): { name: string; value: string }[] {
  return metricEntries(m).map(([id, v]) => {
    if (id === RTAX_LOCK) return { name: 'Kernel.lock', value: bitNames(v, METRIC_NAMES, 2, KRT_METRICS_MAX) };
    if (id === RTAX_FEATURES) return { name: 'Kernel.features', value: bitNames(v, FEATURE_NAMES, 0, FEATURE_NAMES.length) };
    return { name: `Kernel.${METRIC_NAMES[id]}`, value: String(v >>> 0) };
  });
}
