// Filter compiler: syntax tree → JavaScript closures, once, at configuration load.
//
// Approach (documented choice): every expression node becomes `(ctx) => value` and every
// statement `(ctx) => status`, built bottom-up with the node's static type known, so the
// closure for `net ~ 10.48.0.0/16` is a direct byte comparison against a prefix decoded at
// load time, `source = RTS_BGP` a number comparison, `ifname ~ "*.cali"` a RegExp built
// once; there is no AST walk and no type dispatch per route unless a type is only known at
// run time (function return values), where BIRD's dynamic rules (values.ts) apply.
// Constant subexpressions are folded at load time (errors in them become ConfigErrors).
//
// Control flow (BIRD 1.6 filter.c interpret()): statements return 0 (go on), ACCEPT,
// REJECT or RETURN; `accept`/`reject` inside a called function end the whole filter — a
// statement-level call passes the status up, a call inside an expression throws a
// preallocated halt marker that run() catches. Falling off the end of a filter is
// BIRD's "did not return accept nor reject" runtime error; runtime errors reject the
// route and are reported in FilterResult.error. Parameters and locals live on a stack in
// the per-filter context (`stack[bp + slot]`), so calls allocate nothing.
// Ints are C ints: arithmetic wraps to signed 32 bits, int attributes read as signed and
// are stored unsigned. An absent bgp_path reads as undefined; `.prepend` on it starts an
// empty path (BIRD 1.6 would raise a runtime error; BGP export always has a path).
// `case` tries its arms' label sets in order with the `~` rules (compiled once, like a
// literal set); `unset(attr)` drops an extended attribute (a lock or feature bit: its field).
// Leaves out: ROA, extended communities, `( expression )` set items.

import { errorAt } from '../errors.js';
import type { SourcePos } from '../errors.js';
import { maskHostBits, type Prefix } from '../../src/rib/prefix.js';
import type { AsPathSegment, LargeCommunity } from '../../src/bgp/codec/types.js';
import { copyAttributes } from '../../src/rib/attr-set.js';
import type { Const, Expr, FType, FilterAst, FunctionAst, Stmt, PrefixPattern, SetRange, MaskItem } from './ast.js';
import { ATTRIBUTES } from './attributes.js';
import { metricBit, withBit, withMetric, withoutMetric } from '../../src/rib/krt-metrics.js';
import type { CompiledFilter, FilterAttrs, FilterResult, FilterRoute, FilterKind } from './route.js';
import {
  EMPTY_LIST, FilterRuntimeError, runtime, prefixInPrefix, ipInPrefix, prefixSetMatch, prefixEq, ipCompare,
  compilePattern, pathLen, pathFirst, pathLast, pathPrepend, pathMatch, clistContains, clistAdd, clistDelete,
  lclistContains, lclistAdd, lclistDelete, compareAny, sameAny, formatValue, zeroAddr,
} from './values.js';

const CONTINUE = 0;
const ACCEPT = 1;
const REJECT = 2;
const RETURN = 3;

/** Per-filter evaluation state; one instance per compiled filter, reset on every run. */
export class Ctx {
  route!: FilterRoute;
  attrs!: FilterAttrs;
  /** attrs is this run's private copy (copy on first write). */
  own = false;
  pref = 0;
  readonly stack: unknown[] = [];
  sp = 0;
  bp = 0;
  ret: unknown = undefined;
  buf = '';
}

type E = (c: Ctx) => any;
type S = (c: Ctx) => number;

interface CExpr {
  readonly t: FType;
  readonly f: E;
  /** Present when the value is known at load time. */
  readonly cv?: { readonly v: unknown };
  /** The value may be undefined (BIRD's void). */
  readonly mv: boolean;
}

class Halt {
  constructor(readonly status: number) {}
}
const HALT_ACCEPT = new Halt(ACCEPT);
const HALT_REJECT = new Halt(REJECT);

export interface CompiledFunction {
  readonly name: string;
  readonly ast: FunctionAst;
  /** Parameters + locals. */
  readonly nslots: number;
  body: S | null;
  /** Canonical text (print.ts), filled in by the caller. */
  text: string;
  /** Names of the functions it calls, directly or not. */
  readonly deps: Set<string>;
}

export interface CompileEnv {
  readonly functions: ReadonlyMap<string, CompiledFunction>;
  /** Where `print`/`printn` and messages of `accept "…"`/`reject "…"` go. */
  readonly print: (line: string) => void;
}

const ENUM_TYPES = new Set<FType>(['enum_rts', 'enum_rtd', 'enum_origin']);
const NUMERIC = new Set<FType>(['int', 'pair', 'quad', 'enum_rts', 'enum_rtd', 'enum_origin']);

function constOf(t: FType, v: unknown): CExpr {
  return { t, f: () => v, cv: { v }, mv: v === undefined };
}

function constValue(c: Const): unknown {
  switch (c.t) {
    case 'int':
      return c.v | 0;
    default:
      return c.v;
  }
}

/** Runs a closure built only from constants, at load time. */
function fold(pos: SourcePos, t: FType, f: E): CExpr {
  try {
    return constOf(t, f(null as unknown as Ctx));
  } catch (e) {
    if (e instanceof FilterRuntimeError) throw errorAt(pos, e.message);
    throw e;
  }
}

const typeName = (t: FType): string => t.replace(/^enum_.*/, 'enum');

class Compiler {
  /** Functions called by the code compiled so far (for fingerprints). */
  readonly calls = new Set<string>();

  constructor(private readonly env: CompileEnv) {}

  expr(e: Expr): CExpr {
    switch (e.k) {
      case 'const':
      case 'constant':
        return constOf(e.c.t, constValue(e.c));
      case 'var': {
        const slot = e.slot;
        return { t: e.type, f: (c) => c.stack[c.bp + slot], mv: true };
      }
      case 'attr':
        return this.attr(e);
      case 'defined': {
        const x = this.expr(e.e);
        if (!x.mv) return constOf('bool', true);
        const f = x.f;
        return { t: 'bool', f: (c) => f(c) !== undefined, mv: false };
      }
      case 'not': {
        const x = this.expr(e.e);
        this.want(e, x, 'bool', "'!' applied on non-boolean");
        const f = x.f;
        const r: CExpr = {
          t: 'bool',
          f: x.t === 'bool' && !x.mv ? (c) => !f(c) : (c) => { const v = f(c); if (typeof v !== 'boolean') runtime("'!' applied on non-boolean"); return !v; },
          mv: false,
        };
        return x.cv ? fold(e, 'bool', r.f) : r;
      }
      case 'bin':
        return this.bin(e);
      case 'member':
        return this.member(e);
      case 'pair': {
        const a = this.int(e.a, 'Can\'t operate with value out of bounds in pair constructor');
        const b = this.int(e.b, 'Can\'t operate with value out of bounds in pair constructor');
        const fa = a.f, fb = b.f;
        const f: E = (c) => {
          const x = fa(c), y = fb(c);
          if (typeof x !== 'number' || typeof y !== 'number') runtime("Can't operate with value of non-integer type in pair constructor");
          if (x >>> 0 > 0xffff || y >>> 0 > 0xffff) runtime("Can't operate with value out of bounds in pair constructor");
          return ((x << 16) | y) >>> 0;
        };
        return a.cv && b.cv ? fold(e, 'pair', f) : { t: 'pair', f, mv: false };
      }
      case 'lc': {
        const a = this.int(e.a, ''), b = this.int(e.b, ''), d = this.int(e.c, '');
        const fa = a.f, fb = b.f, fc = d.f;
        const f: E = (c) => {
          const x = fa(c), y = fb(c), z = fc(c);
          if (typeof x !== 'number' || typeof y !== 'number' || typeof z !== 'number') runtime("Can't operate with value of non-integer type in LC constructor");
          return { global: x >>> 0, local1: y >>> 0, local2: z >>> 0 } satisfies LargeCommunity;
        };
        return a.cv && b.cv && d.cv ? fold(e, 'lc', f) : { t: 'lc', f, mv: false };
      }
      case 'fn2': {
        const a = this.expr(e.a), b = this.expr(e.b);
        const op = this.listOp(e, e.fn, a.t, b);
        const fa = a.f;
        const f: E = (c) => op(fa(c), c);
        return a.cv && b.cv ? fold(e, a.t, f) : { t: a.t, f, mv: false };
      }
      case 'call':
        return this.callExpr(e);
    }
  }

  private int(e: Expr, _msg: string): CExpr {
    const x = this.expr(e);
    this.want(e, x, 'int', 'Integer expression expected');
    return x;
  }

  /** A definite static type mismatch is a load-time error; 'any' is checked at run time. */
  private want(pos: SourcePos, x: CExpr, t: FType, msg: string): void {
    if (x.t !== t && x.t !== 'any' && !(x.cv && x.cv.v === undefined)) throw errorAt(pos, msg);
  }

  private attr(e: Expr & { k: 'attr' }): CExpr {
    const d = ATTRIBUTES.get(e.name)!;
    switch (d.static) {
      case 'net': return { t: 'prefix', f: (c) => c.route.net, mv: false };
      case 'source': return { t: 'enum_rts', f: (c) => c.route.source, mv: false };
      case 'proto': return { t: 'string', f: (c) => c.route.proto, mv: false };
      case 'preference': return { t: 'int', f: (c) => c.pref, mv: false };
      case 'from': return { t: 'ip', f: (c) => c.route.from ?? zeroAddr(c.route.net.afi), mv: false };
      case 'gw': return { t: 'ip', f: (c) => c.route.gw ?? zeroAddr(c.route.net.afi), mv: false };
      case 'ifname': return { t: 'string', f: (c) => c.route.ifname, mv: false };
      case 'dest': return { t: 'enum_rtd', f: (c) => c.route.dest, mv: false };
      default: break;
    }
    if (d.rtax !== undefined) {
      const id = d.rtax, bit = d.bit;
      if (bit !== undefined) return { t: 'bool', f: (c) => metricBit(c.attrs.krtMetrics, id, bit), mv: true };
      return { t: 'int', f: (c) => { const v = c.attrs.krtMetrics?.[id]; return v === undefined ? undefined : v | 0; }, mv: true };
    }
    const key = d.key!;
    const get = GET[key];
    if (d.emptyWhenAbsent) return { t: d.type, f: (c) => get(c.attrs) ?? EMPTY_LIST, mv: false };
    if (d.type === 'int') {
      return { t: 'int', f: (c) => { const v = get(c.attrs) as number | undefined; return v === undefined ? undefined : v | 0; }, mv: true };
    }
    return { t: d.type, f: (c) => get(c.attrs), mv: true };
  }

  private member(e: Expr & { k: 'member' }): CExpr {
    const x = this.expr(e.e);
    const f = x.f;
    const voidErr = (v: unknown) => v === undefined && runtime(`Can't get .${e.member} of an undefined value`);
    let r: CExpr | undefined;
    if (e.member === 'len') {
      if (x.t === 'prefix') r = { t: 'int', f: (c) => { const v = f(c) as Prefix; voidErr(v); return v.len; }, mv: false };
      else if (x.t === 'path') r = { t: 'int', f: (c) => { const v = f(c) as AsPathSegment[]; voidErr(v); return pathLen(v); }, mv: false };
      else if (x.t === 'clist' || x.t === 'lclist') r = { t: 'int', f: (c) => (f(c) as unknown[]).length, mv: false };
    } else if (e.member === 'ip' && x.t === 'prefix') {
      r = { t: 'ip', f: (c) => { const v = f(c) as Prefix; voidErr(v); return v.addr; }, mv: false };
    } else if (e.member === 'first' && x.t === 'path') {
      r = { t: 'int', f: (c) => { const v = f(c) as AsPathSegment[]; voidErr(v); return pathFirst(v) | 0; }, mv: false };
    } else if (e.member === 'last' && x.t === 'path') {
      r = { t: 'int', f: (c) => { const v = f(c) as AsPathSegment[]; voidErr(v); return pathLast(v) | 0; }, mv: false };
    } else if (e.member === 'mask' && (x.t === 'ip' || x.t === 'any')) {
      // 1.6 'iM': the address with every bit past the first n cleared (n past the width keeps all).
      const n = this.expr(e.arg!);
      this.want(e.arg!, n, 'int', 'Integer expected');
      const fn = n.f;
      r = {
        t: 'ip',
        f: (c) => {
          const len = fn(c), v = f(c) as Uint8Array;
          if (typeof len !== 'number') runtime('Integer expected');
          if (!(v instanceof Uint8Array)) runtime('You can mask only IP addresses');
          return maskAddress(v, len);
        },
        mv: false,
      };
      return x.cv && n.cv ? fold(e, r.t, r.f) : r;
    }
    if (!r) throw errorAt(e, `.${e.member} is not supported on ${typeName(x.t)}`);
    return x.cv ? fold(e, r.t, r.f) : r;
  }

  private bin(e: Expr & { k: 'bin' }): CExpr {
    const l = this.expr(e.l), r = this.expr(e.r);
    let out: CExpr;
    switch (e.op) {
      case '&&':
      case '||': {
        this.want(e.l, l, 'bool', `Can't do boolean ${e.op === '&&' ? 'and' : 'or'} of non-booleans`);
        this.want(e.r, r, 'bool', `Can't do boolean ${e.op === '&&' ? 'and' : 'or'} of non-booleans`);
        const fl = l.f, fr = r.f;
        const chk = (v: unknown) => { if (typeof v !== 'boolean') runtime(`Can't do boolean ${e.op === '&&' ? 'and' : 'or'} of non-booleans`); return v as boolean; };
        const exact = l.t === 'bool' && r.t === 'bool' && !l.mv && !r.mv;
        const f: E = e.op === '&&'
          ? exact ? (c) => fl(c) && fr(c) : (c) => chk(fl(c)) && chk(fr(c))
          : exact ? (c) => fl(c) || fr(c) : (c) => chk(fl(c)) || chk(fr(c));
        out = { t: 'bool', f, mv: false };
        break;
      }
      case '+': case '-': case '*': case '/': case '%': {
        this.want(e.l, l, 'int', `Incompatible types for operation ${e.op}`);
        this.want(e.r, r, 'int', `Incompatible types for operation ${e.op}`);
        out = { t: 'int', f: arith(e.op, l, r), mv: false };
        break;
      }
      case '=': case '!=': case '<': case '>': case '<=': case '>=':
        out = { t: 'bool', f: this.compare(e, l, r), mv: false };
        break;
      case '~': case '!~': {
        const m = this.match(e, l, r);
        out = { t: 'bool', f: e.op === '~' ? m : (c) => !m(c), mv: false };
        break;
      }
    }
    return l.cv && r.cv ? fold(e, out.t, out.f) : out;
  }

  private compare(e: Expr & { k: 'bin' }, l: CExpr, r: CExpr): E {
    const op = e.op;
    const test = (x: number) => (op === '=' ? x === 0 : op === '!=' ? x !== 0 : op === '<' ? x < 0 : op === '>' ? x > 0 : op === '<=' ? x <= 0 : x >= 0);
    const fl = l.f, fr = r.f;
    const lt = l.t === 'void' ? r.t : l.t, rt = r.t === 'void' ? l.t : r.t;
    if (lt !== 'any' && rt !== 'any' && lt !== rt && !(NUMERIC.has(lt) && NUMERIC.has(rt) && !ENUM_TYPES.has(lt) && !ENUM_TYPES.has(rt))) {
      throw errorAt(e, "Can't compare values of incompatible types");
    }
    if (NUMERIC.has(lt) && NUMERIC.has(rt) && !l.mv && !r.mv) {
      switch (op) {
        case '=': return (c) => fl(c) === fr(c);
        case '!=': return (c) => fl(c) !== fr(c);
        case '<': return (c) => fl(c) < fr(c);
        case '>': return (c) => fl(c) > fr(c);
        case '<=': return (c) => fl(c) <= fr(c);
        case '>=': return (c) => fl(c) >= fr(c);
      }
    }
    if (NUMERIC.has(lt) && NUMERIC.has(rt)) {
      // BIRD 1.6 val_compare: an undefined value is less than anything.
      return (c) => {
        const a = fl(c), b = fr(c);
        return test(a === undefined ? (b === undefined ? 0 : -1) : b === undefined ? 1 : a < b ? -1 : a > b ? 1 : 0);
      };
    }
    if (lt === 'prefix' && rt === 'prefix' && (op === '=' || op === '!=') && !l.mv && !r.mv) {
      return op === '=' ? (c) => prefixEq(fl(c), fr(c)) : (c) => !prefixEq(fl(c), fr(c));
    }
    if (lt === 'ip' && rt === 'ip') {
      return (c) => {
        const a = fl(c), b = fr(c);
        return test(a === undefined || b === undefined ? compareAny(a, b) : ipCompare(a, b));
      };
    }
    if (op === '=' || op === '!=') {
      return op === '=' ? (c) => sameAny(fl(c), fr(c)) : (c) => !sameAny(fl(c), fr(c));
    }
    return (c) => test(compareAny(fl(c), fr(c)));
  }

  private match(e: Expr & { k: 'bin' }, l: CExpr, r: CExpr): E {
    const fl = l.f, fr = r.f;
    const bad = (): never => runtime("'~' applied on unknown type pair");
    const lt = l.t, rt = r.t;
    if (lt === 'any' && r.cv !== undefined) {
      // A value of no static type (a function's result) against a set literal: the set's
      // element type decides, checked when the value comes.
      const et = rt === 'intset' ? 'int' : rt === 'pairset' ? 'pair' : rt === 'prefixset' ? 'prefix' : rt === 'ipset' ? 'ip'
        : rt === 'enumset' ? (r.cv.v as { t: FType }[])[0]?.t : undefined;
      if (et !== undefined) {
        const ok = et === 'prefix' ? (v: unknown) => typeof v === 'object' && v !== null && 'len' in v
          : et === 'ip' ? (v: unknown) => v instanceof Uint8Array : (v: unknown) => typeof v === 'number';
        return this.match(e, { t: et, f: (c) => { const v = fl(c); if (!ok(v)) bad(); return v; }, mv: true }, r);
      }
    }
    if (lt === 'any' || rt === 'any') return (c) => matchAny(fl(c), fr(c));
    if (lt === 'prefix' && rt === 'prefix') {
      if (r.cv) {
        const p = r.cv.v as Prefix;
        return l.mv ? (c) => { const n = fl(c); if (n === undefined) bad(); return prefixInPrefix(n, p); } : (c) => prefixInPrefix(fl(c), p);
      }
      return (c) => { const n = fl(c), p = fr(c); if (n === undefined || p === undefined) bad(); return prefixInPrefix(n, p); };
    }
    if (lt === 'prefix' && rt === 'prefixset') {
      const set = r.cv!.v as PrefixPattern[];
      return (c) => { const n = fl(c); if (n === undefined) bad(); return prefixSetMatch(set, n); };
    }
    if (lt === 'ip' && rt === 'prefix') {
      if (r.cv) {
        const p = r.cv.v as Prefix;
        return (c) => { const a = fl(c); if (a === undefined) bad(); return ipInPrefix(a, p); };
      }
      return (c) => { const a = fl(c), p = fr(c); if (a === undefined || p === undefined) bad(); return ipInPrefix(a, p); };
    }
    if (lt === 'string' && rt === 'string') {
      if (r.cv) {
        const re = compilePattern(r.cv.v as string);
        return (c) => { const s = fl(c); if (s === undefined) bad(); return re.test(s); };
      }
      return (c) => { const s = fl(c), p = fr(c); if (s === undefined || p === undefined) bad(); return patternCached(p).test(s); };
    }
    if (lt === 'pair' && rt === 'clist') return (c) => clistContains(fr(c), fl(c));
    if (lt === 'lc' && rt === 'lclist') return (c) => lclistContains(fr(c), fl(c));
    if (lt === 'path' && rt === 'pathmask') {
      const mask = r.cv!.v as MaskItem[];
      return (c) => { const p = fl(c); if (p === undefined) bad(); return pathMatch(p, mask); };
    }
    if (lt === 'ip' && rt === 'ipset') {
      const set = r.cv!.v as { lo: Uint8Array; hi: Uint8Array }[];
      return (c) => {
        const a = fl(c) as Uint8Array | undefined;
        if (a === undefined) return bad();
        return set.some((x) => ipCompare(x.lo, a) <= 0 && ipCompare(a, x.hi) <= 0);
      };
    }
    if (lt === 'int' && rt === 'intset') {
      const set = r.cv!.v as SetRange[];
      return (c) => { const v = fl(c); if (v === undefined) bad(); return inRanges(set, v); };
    }
    if (ENUM_TYPES.has(lt) && rt === 'enumset') {
      const set = r.cv!.v as { v: number; t: FType }[];
      if (set.some((x) => x.t !== lt)) throw errorAt(e, "'~' applied on unknown type pair");
      const vals = set.map((x) => x.v);
      return (c) => vals.includes(fl(c));
    }
    if (lt === 'pair' && rt === 'pairset') {
      const set = r.cv!.v as { a: SetRange; b: SetRange }[];
      return (c) => inPairSet(set, fl(c));
    }
    if (lt === 'clist' && rt === 'pairset') {
      const set = r.cv!.v as { a: SetRange; b: SetRange }[];
      return (c) => (fl(c) as number[]).some((v) => inPairSet(set, v));
    }
    throw errorAt(e, "'~' applied on unknown type pair");
  }

  /** The operation behind `.add(x)`, `.delete(x)`, `.filter(x)`, `.prepend(x)` and `add(l, x)`…. */
  private listOp(pos: SourcePos, fn: string, lt: FType, arg: CExpr): (list: any, c: Ctx) => unknown {
    const fa = arg.f;
    const at = arg.t;
    if (lt === 'path' && fn === 'prepend') {
      this.want(pos, arg, 'int', "Can't prepend non-integer");
      return (l, c) => pathPrepend(l, fa(c));
    }
    if (lt === 'clist') {
      if (fn === 'add' && (at === 'pair' || at === 'quad' || at === 'int')) return (l, c) => clistAdd(l, fa(c));
      if (fn === 'add' && at === 'clist') return (l, c) => (fa(c) as number[]).reduce<readonly number[]>((acc, v) => clistAdd(acc, v), l);
      if (fn === 'delete' && (at === 'pair' || at === 'quad' || at === 'int')) return (l, c) => { const v = fa(c) >>> 0; return clistDelete(l, (x) => x === v); };
      if (fn === 'delete' && at === 'pairset') { const set = arg.cv!.v as { a: SetRange; b: SetRange }[]; return (l) => clistDelete(l, (x) => inPairSet(set, x)); }
      if (fn === 'filter' && at === 'pairset') { const set = arg.cv!.v as { a: SetRange; b: SetRange }[]; return (l) => clistDelete(l, (x) => !inPairSet(set, x)); }
    }
    if (lt === 'lclist') {
      if (fn === 'add' && at === 'lc') return (l, c) => lclistAdd(l, fa(c));
      if (fn === 'delete' && at === 'lc') return (l, c) => lclistDelete(l, fa(c));
    }
    if (lt === 'any' || at === 'any') {
      return (l, c) => {
        const v = fa(c);
        if (fn === 'prepend') return pathPrepend(l, v);
        if (typeof v === 'number') return fn === 'add' ? clistAdd(l ?? EMPTY_LIST, v) : clistDelete(l ?? EMPTY_LIST, (x) => x === v >>> 0);
        if (typeof v === 'object' && v !== null && 'local1' in v) return fn === 'add' ? lclistAdd(l ?? EMPTY_LIST, v) : lclistDelete(l ?? EMPTY_LIST, v);
        return runtime(`Can't ${fn} this value`);
      };
    }
    throw errorAt(pos, `${fn} of ${typeName(at)} to ${typeName(lt)} is not supported`);
  }

  private callArgs(e: Expr & { k: 'call' }): { fn: CompiledFunction; args: E[] } {
    const fn = this.env.functions.get(e.name)!;
    this.calls.add(e.name);
    for (const d of fn.deps) this.calls.add(d);
    const args = e.args.map((a, i) => {
      const x = this.expr(a);
      const pt = fn.ast.params[i]!.type;
      if (x.t !== pt && x.t !== 'any' && x.t !== 'void' && pt !== 'any') {
        throw errorAt(a, `Argument ${i + 1} of function ${e.name} has incompatible type`);
      }
      return x.f;
    });
    return { fn, args };
  }

  /** Runs a function body with its frame on the context stack; returns its status. */
  private invoker(e: Expr & { k: 'call' }): S {
    const { fn, args } = this.callArgs(e);
    const n = args.length, slots = fn.nslots;
    return (c) => {
      const base = c.sp;
      const st = c.stack;
      for (let i = 0; i < n; i++) { st[base + i] = args[i]!(c); c.sp = base + i + 1; }
      for (let j = n; j < slots; j++) st[base + j] = undefined;
      c.sp = base + slots;
      const obp = c.bp;
      c.bp = base;
      c.ret = undefined;
      const s = fn.body!(c);
      c.bp = obp;
      c.sp = base;
      return s;
    };
  }

  private callExpr(e: Expr & { k: 'call' }): CExpr {
    const inv = this.invoker(e);
    return {
      t: 'any',
      f: (c) => {
        const s = inv(c);
        if (s === ACCEPT) throw HALT_ACCEPT;
        if (s === REJECT) throw HALT_REJECT;
        return c.ret;
      },
      mv: true,
    };
  }

  // ---- statements ----------------------------------------------------------------------

  block(ss: readonly Stmt[]): S {
    const fs = ss.map((s) => this.stmt(s));
    if (fs.length === 0) return () => CONTINUE;
    if (fs.length === 1) return fs[0]!;
    if (fs.length === 2) { const a = fs[0]!, b = fs[1]!; return (c) => a(c) || b(c); }
    if (fs.length === 3) { const a = fs[0]!, b = fs[1]!, d = fs[2]!; return (c) => a(c) || b(c) || d(c); }
    return (c) => {
      for (let i = 0; i < fs.length; i++) { const r = fs[i]!(c); if (r !== CONTINUE) return r; }
      return CONTINUE;
    };
  }

  private stmt(s: Stmt): S {
    switch (s.k) {
      case 'if': {
        const cond = this.expr(s.cond);
        this.want(s.cond, cond, 'bool', 'If requires boolean expression');
        const t = this.block(s.then);
        const el = s.else ? this.block(s.else) : null;
        const f = cond.f;
        if (cond.t === 'bool' && !cond.mv) return el ? (c) => (f(c) ? t(c) : el(c)) : (c) => (f(c) ? t(c) : CONTINUE);
        return (c) => {
          const v = f(c);
          if (typeof v !== 'boolean') runtime('If requires boolean expression');
          return v ? t(c) : el ? el(c) : CONTINUE;
        };
      }
      case 'setvar': {
        const x = this.expr(s.e);
        if (x.t !== s.type && x.t !== 'any' && x.t !== 'void') throw errorAt(s, 'Assigning to variable of incompatible type');
        const f = x.f, slot = s.slot;
        return (c) => { c.stack[c.bp + slot] = f(c); return CONTINUE; };
      }
      case 'setattr':
        return this.setAttr(s);
      case 'method': {
        const d = ATTRIBUTES.get(s.name)!;
        const key = d.key!;
        let op: (l: any, c: Ctx) => unknown;
        if (s.method === 'empty') {
          op = () => EMPTY_LIST;
        } else {
          op = this.listOp(s, s.method, d.type, this.expr(s.arg!));
        }
        const get = GET[key];
        const read: E = d.emptyWhenAbsent ? (c) => get(c.attrs) ?? EMPTY_LIST : (c) => get(c.attrs);
        return (c) => {
          const old = read(c);
          const v = op(old, c);
          if (v !== old) writeAttr(c, key, v);
          return CONTINUE;
        };
      }
      case 'accept':
      case 'reject': {
        const code = s.k === 'accept' ? ACCEPT : REJECT;
        if (s.msg.length === 0) return () => code;
        const pr = this.printer(s.msg, true);
        return (c) => { pr(c); return code; };
      }
      case 'return': {
        if (!s.e) return () => RETURN;
        const f = this.expr(s.e).f;
        return (c) => { c.ret = f(c); return RETURN; };
      }
      case 'print':
        { const pr = this.printer(s.args, s.newline); return (c) => { pr(c); return CONTINUE; }; }
      case 'call': {
        const inv = this.invoker(s.call as Expr & { k: 'call' });
        return (c) => { const r = inv(c); return r === RETURN ? CONTINUE : r; };
      }
      case 'case':
        return this.caseStmt(s);
      case 'unset': {
        const d = ATTRIBUTES.get(s.name)!;
        if (d.rtax !== undefined) {
          // The whole metric, or the whole bit field of a lock/feature bit (1.6 removes the eattr).
          const id = d.rtax;
          return (c) => { const m = c.attrs.krtMetrics; if (m?.[id] !== undefined) writeAttr(c, 'krtMetrics', withoutMetric(m, id)); return CONTINUE; };
        }
        const key = d.key!, get = GET[key];
        return (c) => { if (get(c.attrs) !== undefined) writeAttr(c, key, undefined); return CONTINUE; };
      }
    }
  }

  /**
   * `case`: the value is computed once, then the arms' label sets are tried in order with the
   * `~` rules; the first that holds it runs (no fall-through), else the `else:` arm, else
   * nothing. The value sits in one slot of this closure: matching finishes before any arm's
   * commands run, so a recursive call from an arm cannot disturb it.
   */
  private caseStmt(s: Stmt & { k: 'case' }): S {
    const x = this.expr(s.e);
    const f = x.f;
    let cur: unknown;
    const held: CExpr = { t: x.t, f: () => cur, mv: x.mv };
    const at = { file: s.file, line: s.line, col: s.col };
    const tests = s.arms.map((arm) => {
      const labels: Expr = { k: 'const', c: arm.labels, ...at };
      return this.match({ k: 'bin', op: '~', l: s.e, r: labels, ...at }, held, this.expr(labels));
    });
    const bodies = s.arms.map((arm) => this.block(arm.body));
    const otherwise = s.else ? this.block(s.else) : null;
    return (c) => {
      cur = f(c);
      let i = 0;
      while (i < tests.length && !tests[i]!(c)) i++;
      cur = undefined;
      if (i < bodies.length) return bodies[i]!(c);
      return otherwise ? otherwise(c) : CONTINUE;
    };
  }

  private printer(args: readonly Expr[], newline: boolean): (c: Ctx) => void {
    const xs = args.map((a) => this.expr(a));
    const sink = this.env.print;
    return (c) => {
      for (const x of xs) c.buf += formatValue(x.f(c), x.t);
      if (newline) { sink(c.buf); c.buf = ''; }
    };
  }

  private setAttr(s: Stmt & { k: 'setattr' }): S {
    const d = ATTRIBUTES.get(s.name)!;
    const x = this.expr(s.e);
    const f = x.f;
    if (d.static === 'preference') {
      this.want(s.e, x, 'int', "Can't set preference to non-integer");
      return (c) => {
        const v = f(c);
        if (typeof v !== 'number') runtime("Can't set preference to non-integer");
        if (v >>> 0 > 0xffff) runtime('Setting preference value out of bounds');
        c.pref = v;
        return CONTINUE;
      };
    }
    const key = d.key!;
    const t = d.type === 'enum_origin' ? 'enum_origin' : d.type;
    const msg = `Setting ${typeName(t)} attribute to non-${typeName(t)} value`;
    if (x.t !== t && x.t !== 'any' && !(t === 'quad' && x.t === 'ip')) throw errorAt(s, msg);
    if (d.rtax !== undefined) {
      // RTA_METRICS members: one record, rewritten whole (1.6 FI_EA_SET; a bit keeps the others).
      const id = d.rtax, bit = d.bit;
      if (bit !== undefined) {
        return (c) => {
          const v = f(c);
          if (typeof v !== 'boolean') runtime('Setting bit in bitfield attribute to non-bool value');
          writeAttr(c, 'krtMetrics', withBit(c.attrs.krtMetrics, id, bit, v));
          return CONTINUE;
        };
      }
      return (c) => { const v = f(c); if (typeof v !== 'number') runtime(msg); writeAttr(c, 'krtMetrics', withMetric(c.attrs.krtMetrics, id, v)); return CONTINUE; };
    }
    if (t === 'int') {
      return (c) => { const v = f(c); if (typeof v !== 'number') runtime(msg); writeAttr(c, key, v >>> 0); return CONTINUE; };
    }
    return (c) => { const v = f(c); if (v === undefined) runtime(msg); writeAttr(c, key, v); return CONTINUE; };
  }
}

// Attribute access with a fixed property name per closure (monomorphic property loads and
// stores instead of keyed ones), and copies with one fixed shape.
type MutableAttrs = { -readonly [K in keyof FilterAttrs]: any };
const GET: Readonly<Record<keyof FilterAttrs, (a: FilterAttrs) => any>> = {
  origin: (a) => a.origin,
  asPath: (a) => a.asPath,
  nextHop: (a) => a.nextHop,
  med: (a) => a.med,
  localPref: (a) => a.localPref,
  communities: (a) => a.communities,
  largeCommunities: (a) => a.largeCommunities,
  originatorId: (a) => a.originatorId,
  clusterList: (a) => a.clusterList,
  krtMetric: (a) => a.krtMetric,
  krtSource: (a) => a.krtSource,
  krtTunnel: (a) => a.krtTunnel,
  krtPrefsrc: (a) => a.krtPrefsrc,
  krtRealm: (a) => a.krtRealm,
  krtScope: (a) => a.krtScope,
  krtMetrics: (a) => a.krtMetrics,
};
const SET: Readonly<Record<keyof FilterAttrs, (a: MutableAttrs, v: any) => void>> = {
  origin: (a, v) => { a.origin = v; },
  asPath: (a, v) => { a.asPath = v; },
  // BIRD 1.6: writing bgp_next_hop replaces the whole attribute, so the link-local address a
  // received IPv6 next hop carried beside the global one (RFC 2545 §3) is gone with it.
  nextHop: (a, v) => {
    a.nextHop = v;
    const l = a as { nextHopLinkLocal?: Uint8Array };
    if (l.nextHopLinkLocal !== undefined) l.nextHopLinkLocal = undefined;
  },
  med: (a, v) => { a.med = v; },
  localPref: (a, v) => { a.localPref = v; },
  communities: (a, v) => { a.communities = v; },
  largeCommunities: (a, v) => { a.largeCommunities = v; },
  originatorId: (a, v) => { a.originatorId = v; },
  clusterList: (a, v) => { a.clusterList = v; },
  krtMetric: (a, v) => { a.krtMetric = v; },
  krtSource: (a, v) => { a.krtSource = v; },
  krtTunnel: (a, v) => { a.krtTunnel = v; },
  krtPrefsrc: (a, v) => { a.krtPrefsrc = v; },
  krtRealm: (a, v) => { a.krtRealm = v; },
  krtScope: (a, v) => { a.krtScope = v; },
  krtMetrics: (a, v) => { a.krtMetrics = v; },
};
// The copy keeps every field of the route's attributes, also those a filter cannot name
// (AGGREGATOR, extended communities, unknown transitive attributes, the table's own
// dest/gateway/ifname), so a filter that writes one attribute loses nothing else.
const copyAttrs = (a: FilterAttrs): MutableAttrs => copyAttributes(a) as MutableAttrs;

/** `ip.mask(n)`: a copy of the address with the bits past the first n cleared. */
function maskAddress(a: Uint8Array, n: number): Uint8Array {
  const out = a.slice();
  maskHostBits(out, n);
  return out;
}

function writeAttr(c: Ctx, key: keyof FilterAttrs, v: unknown): void {
  if (!c.own) {
    c.attrs = copyAttrs(c.attrs);
    c.own = true;
  }
  SET[key](c.attrs as MutableAttrs, v);
}

function arith(op: string, l: CExpr, r: CExpr): E {
  const fl = l.f, fr = r.f;
  const get = (c: Ctx, f: E): number => {
    const v = f(c);
    if (typeof v !== 'number') runtime(v === undefined ? "Can't operate with values of type void" : `Incompatible types for operation ${op}`);
    return v;
  };
  const checked = l.mv || r.mv || l.t !== 'int' || r.t !== 'int';
  switch (op) {
    case '+': return checked ? (c) => (get(c, fl) + get(c, fr)) | 0 : (c) => (fl(c) + fr(c)) | 0;
    case '-': return checked ? (c) => (get(c, fl) - get(c, fr)) | 0 : (c) => (fl(c) - fr(c)) | 0;
    case '*': return (c) => Math.imul(get(c, fl), get(c, fr));
    case '/': return (c) => { const a = get(c, fl), b = get(c, fr); if (b === 0) runtime('Division by zero'); return (a / b) | 0; };
    default: return (c) => { const a = get(c, fl), b = get(c, fr); if (b === 0) runtime('Division by zero'); return (a % b) | 0; };
  }
}

function inRanges(set: readonly SetRange[], v: number): boolean {
  for (let i = 0; i < set.length; i++) if (v >= set[i]!.lo && v <= set[i]!.hi) return true;
  return false;
}

function inPairSet(set: readonly { a: SetRange; b: SetRange }[], v: number): boolean {
  const a = v >>> 16, b = v & 0xffff;
  for (let i = 0; i < set.length; i++) {
    const e = set[i]!;
    if (a >= e.a.lo && a <= e.a.hi && b >= e.b.lo && b <= e.b.hi) return true;
  }
  return false;
}

const patternCache = new Map<string, RegExp>();
function patternCached(p: string): RegExp {
  let re = patternCache.get(p);
  if (!re) {
    re = compilePattern(p);
    if (patternCache.size > 1000) patternCache.clear();
    patternCache.set(p, re);
  }
  return re;
}

/** `~` when a type is known only at run time. */
function matchAny(a: any, b: any): boolean {
  if (a === undefined || b === undefined) return runtime("'~' applied on unknown type pair");
  const isPfx = (v: any) => typeof v === 'object' && v !== null && 'afi' in v && 'len' in v;
  if (isPfx(b)) {
    if (isPfx(a)) return prefixInPrefix(a, b);
    if (a instanceof Uint8Array) return ipInPrefix(a, b);
  }
  if (typeof a === 'string' && typeof b === 'string') return patternCached(b).test(a);
  if (typeof a === 'number' && Array.isArray(b)) return clistContains(b, a);
  if (typeof a === 'object' && a !== null && 'local1' in a && Array.isArray(b)) return lclistContains(b, a);
  return runtime("'~' applied on unknown type pair");
}

// ---- public entry points -------------------------------------------------------------------

/** Compiles a function body; `fn.body` is set so later callers (and recursion) can run it. */
export function compileFunction(env: CompileEnv, fn: CompiledFunction): void {
  const comp = new Compiler(env);
  fn.body = comp.block(fn.ast.body);
  for (const d of comp.calls) fn.deps.add(d);
}

export interface FilterSource {
  readonly kind: FilterKind;
  readonly name: string;
  readonly text: string;
  /** For 'named' and 'inline': the filter; for 'where': a one-statement body built by the parser. */
  readonly ast?: FilterAst;
  /** Number of local variable slots. */
  readonly nslots?: number;
  /** Text that defines the behaviour (a named filter's whole definition); defaults to `text`. */
  readonly bodyText?: string;
}

function result(accepted: boolean, attrs: FilterAttrs, preference: number, error?: string): FilterResult {
  return error === undefined ? { accepted, attrs, preference } : { accepted, attrs, preference, error };
}

export function compileFilter(env: CompileEnv, src: FilterSource): CompiledFilter {
  if (src.kind === 'all' || src.kind === 'none') {
    const accepted = src.kind === 'all';
    return {
      kind: src.kind, name: src.name, text: src.text, fingerprint: src.text,
      run: (route) => result(accepted, route.attrs, route.preference),
    };
  }
  const comp = new Compiler(env);
  const body = comp.block(src.ast!.body);
  const nslots = src.nslots ?? 0;
  const fingerprint = [src.bodyText ?? src.text, ...[...comp.calls].sort().map((n) => env.functions.get(n)!.text)].join('\n');
  const ctx = new Ctx();
  const label = src.kind === 'named' ? src.name : '(unnamed)';
  const run = (route: FilterRoute): FilterResult => {
    ctx.route = route;
    ctx.attrs = route.attrs;
    ctx.own = false;
    ctx.pref = route.preference;
    ctx.sp = nslots;
    ctx.bp = 0;
    ctx.buf = '';
    for (let i = 0; i < nslots; i++) ctx.stack[i] = undefined;
    let st: number;
    try {
      st = body(ctx);
    } catch (e) {
      if (e instanceof Halt) st = e.status;
      else if (e instanceof FilterRuntimeError) return result(false, route.attrs, route.preference, `Filter ${label}: ${e.message}`);
      else throw e;
    }
    if (st === ACCEPT) return result(true, ctx.attrs, ctx.pref);
    if (st === REJECT) return result(false, route.attrs, route.preference);
    return result(false, route.attrs, route.preference, `Filter ${label} did not return accept nor reject. Make up your mind`);
  };
  return { kind: src.kind, name: src.name, text: src.text, fingerprint, run };
}

/** Evaluates a constant expression at load time (option values, `define`). */
export function evalConst(env: CompileEnv, e: Expr): { t: FType; v: unknown } | undefined {
  const x = new Compiler(env).expr(e);
  return x.cv ? { t: x.t, v: x.cv.v } : undefined;
}
