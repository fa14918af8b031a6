// Bounded polling and JSON-subset matching for tests that watch real daemons converge.
// `until` re-evaluates a condition until it holds or a deadline passes, then fails with a
// message that names what was awaited and the last value/error seen. `holdsFalse` is the
// inverse for "must never happen within a window" checks (wrong MD5 key, GTSM). `subsetDiff`
// compares an actual JSON-like value against an expected shape. Leaves out: any notion of
// wall-time assertions (a timeout here is a failure to converge, never a performance check).

import { inspect } from 'node:util';

export interface UntilOptions {
  /** Give up after this long (default 15 s). */
  readonly timeoutMs?: number;
  /** Pause between attempts (default 200 ms). */
  readonly intervalMs?: number;
  /** What is awaited, for the failure message. */
  readonly what: string;
  /** Extra context for the failure message (e.g. a daemon's log tail), built only on failure. */
  readonly context?: () => string | Promise<string>;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const show = (v: unknown): string => inspect(v, { depth: 6, breakLength: 120, maxStringLength: 2000 });

/** Thrown from an `until` condition to stop waiting at once (e.g. the daemon exited). */
export class FatalError extends Error {
  override readonly name = 'FatalError';
}

/**
 * Polls `fn` until it returns a truthy value (which is returned) or the deadline passes.
 * Exceptions thrown by `fn` count as "not yet" and are reported if the wait times out.
 */
export async function until<T>(fn: () => T | Promise<T>, opts: UntilOptions): Promise<NonNullable<T>> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const intervalMs = opts.intervalMs ?? 200;
  const deadline = Date.now() + timeoutMs;
  let last: unknown = undefined;
  let lastError: unknown = undefined;
  for (;;) {
    try {
      last = await fn();
      lastError = undefined;
      if (last) return last as NonNullable<T>;
    } catch (e) {
      if (e instanceof FatalError) throw e;
      lastError = e;
    }
    if (Date.now() >= deadline) break;
    await sleep(intervalMs);
  }
  let msg = `timed out after ${timeoutMs} ms waiting for ${opts.what}`;
  if (lastError !== undefined) msg += `\nlast error: ${lastError instanceof Error ? lastError.message : show(lastError)}`;
  else msg += `\nlast value: ${show(last)}`;
  if (opts.context) {
    try {
      msg += `\n--- context ---\n${await opts.context()}`;
    } catch (e) {
      msg += `\n(context unavailable: ${String(e)})`;
    }
  }
  throw new Error(msg);
}

/**
 * Checks `fn` repeatedly for `forMs` and fails as soon as it returns truthy: for things that
 * must not happen (a session with the wrong key reaching Established).
 */
export async function holdsFalse(
  fn: () => unknown | Promise<unknown>,
  opts: { readonly forMs: number; readonly intervalMs?: number; readonly what: string },
): Promise<void> {
  const deadline = Date.now() + opts.forMs;
  for (;;) {
    const v = await fn();
    if (v) throw new Error(`${opts.what} happened (value ${show(v)}) but must not within ${opts.forMs} ms`);
    if (Date.now() >= deadline) return;
    await sleep(opts.intervalMs ?? 250);
  }
}

/**
 * Polls `fn` until `subsetDiff(value, expected)` is empty; returns the matching value.
 * On timeout, the failure shows the differences of the last attempt.
 */
export async function untilMatches<T>(
  fn: () => T | Promise<T>,
  expected: unknown,
  opts: UntilOptions,
): Promise<T> {
  let lastDiff: string[] = [];
  let lastValue: T | undefined;
  try {
    await until(async () => {
      lastValue = await fn();
      lastDiff = subsetDiff(lastValue, expected);
      return lastDiff.length === 0;
    }, opts);
  } catch (e) {
    const base = e instanceof Error ? e.message : String(e);
    throw new Error(`${base}\ndifferences:\n  ${lastDiff.join('\n  ')}`);
  }
  return lastValue as T;
}

/** Marks an expected array whose elements may match actual elements in any order. */
export interface Unordered {
  readonly __unordered: readonly unknown[];
  /** When true the actual array may hold extra elements. */
  readonly allowExtra: boolean;
}
export const unordered = (items: readonly unknown[], allowExtra = false): Unordered => ({ __unordered: items, allowExtra });
const isUnordered = (v: unknown): v is Unordered =>
  typeof v === 'object' && v !== null && '__unordered' in v && Array.isArray((v as Unordered).__unordered);

/** Marks an expected key that must be absent (or undefined) in the actual object. */
export const ABSENT: unique symbol = Symbol('absent');

/**
 * JSON-subset comparison; returns human-readable differences (empty = match).
 * - objects: every expected key must match (extra actual keys are fine); ABSENT means missing;
 * - arrays: same length, element-wise subset match (use `unordered()` for any order);
 * - RegExp: tested against String(actual);
 * - function: a predicate on the actual value;
 * - anything else: strict equality (numbers, strings, booleans, null).
 */
export function subsetDiff(actual: unknown, expected: unknown, path = '$'): string[] {
  if (expected === ABSENT) return actual === undefined ? [] : [`${path}: expected absent, got ${show(actual)}`];
  if (expected instanceof RegExp) {
    return typeof actual === 'string' || typeof actual === 'number'
      ? expected.test(String(actual)) ? [] : [`${path}: ${show(actual)} does not match ${expected}`]
      : [`${path}: expected a string matching ${expected}, got ${show(actual)}`];
  }
  if (typeof expected === 'function') {
    let ok = false;
    try {
      ok = Boolean((expected as (a: unknown) => unknown)(actual));
    } catch {
      ok = false;
    }
    return ok ? [] : [`${path}: predicate ${expected.name || 'anonymous'} failed on ${show(actual)}`];
  }
  if (isUnordered(expected)) {
    if (!Array.isArray(actual)) return [`${path}: expected an array, got ${show(actual)}`];
    const used = new Set<number>();
    const out: string[] = [];
    expected.__unordered.forEach((want, i) => {
      const j = actual.findIndex((a, k) => !used.has(k) && subsetDiff(a, want).length === 0);
      if (j < 0) out.push(`${path}: no element matches expected[${i}] ${show(want)}`);
      else used.add(j);
    });
    if (!expected.allowExtra && out.length === 0 && actual.length !== expected.__unordered.length) {
      out.push(`${path}: ${actual.length - used.size} unexpected extra element(s): ${show(actual.filter((_, k) => !used.has(k)))}`);
    }
    return out;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${path}: expected an array, got ${show(actual)}`];
    if (actual.length !== expected.length) {
      return [`${path}: expected ${expected.length} element(s), got ${actual.length}: ${show(actual)}`];
    }
    return expected.flatMap((e, i) => subsetDiff(actual[i], e, `${path}[${i}]`));
  }
  if (typeof expected === 'object' && expected !== null) {
    if (typeof actual !== 'object' || actual === null) return [`${path}: expected an object, got ${show(actual)}`];
    const out: string[] = [];
    for (const key of Object.keys(expected)) {
      out.push(...subsetDiff((actual as Record<string, unknown>)[key], (expected as Record<string, unknown>)[key], `${path}.${key}`));
    }
    return out;
  }
  return Object.is(actual, expected) ? [] : [`${path}: expected ${show(expected)}, got ${show(actual)}`];
}

/** Throws an AssertionError-like Error listing the differences when `actual` does not contain `expected`. */
export function assertSubset(actual: unknown, expected: unknown, message = 'value does not match'): void {
  const diff = subsetDiff(actual, expected);
  if (diff.length) throw new Error(`${message}:\n  ${diff.join('\n  ')}\nactual: ${show(actual)}`);
}
