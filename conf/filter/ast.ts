// Syntax tree of the BIRD 1.6 filter language subset (filter/config.Y): what the parser
// produces and what the compiler (compile.ts) and the canonical printer (print.ts) consume.
// Plain readonly data; every node keeps its source position for error messages.
// Leaves out: `case`, ROA checks, extended communities, `unset`, `rta.` prefixes.

import type { SourcePos } from '../errors.js';
import type { Prefix } from '../../src/rib/prefix.js';

/** Value types of the language (BIRD's T_*), as far as the subset needs them. */
export type FType =
  | 'int' | 'bool' | 'string' | 'ip' | 'prefix' | 'pair' | 'quad' | 'lc'
  | 'clist' | 'lclist' | 'path' | 'pathmask'
  | 'enum_rts' | 'enum_rtd' | 'enum_origin'
  | 'prefixset' | 'intset' | 'enumset' | 'pairset' | 'ipset'
  | 'void' | 'any';

/** The declarable types (`int x;`, `bool internal_peer`, …). */
export const DECL_TYPES: Readonly<Record<string, FType>> = {
  int: 'int', bool: 'bool', ip: 'ip', prefix: 'prefix', pair: 'pair', quad: 'quad', lc: 'lc',
  string: 'string', bgpmask: 'pathmask', bgppath: 'path', clist: 'clist', lclist: 'lclist',
};

/** One element of a prefix set: `net{lo,hi}`; `net` alone is `{len,len}`, `+` `{len,max}`, `-` `{0,len}`. */
export interface PrefixPattern {
  readonly net: Prefix;
  readonly lo: number;
  readonly hi: number;
  /** How it was written, for the printer: '', '+', '-' or '{lo,hi}'. */
  readonly form: string;
}

/** An element of an int/enum/pair set: a single value or an inclusive range. */
export interface SetRange {
  readonly lo: number;
  readonly hi: number;
}

/** Path mask item: an ASN, `*` (any sequence) or `?` (any one ASN). */
export type MaskItem = number | '*' | '?';

export type Const =
  | { readonly t: 'int'; readonly v: number }
  | { readonly t: 'bool'; readonly v: boolean }
  | { readonly t: 'string'; readonly v: string }
  | { readonly t: 'ip'; readonly v: Uint8Array }
  | { readonly t: 'quad'; readonly v: number }
  | { readonly t: 'prefix'; readonly v: Prefix }
  | { readonly t: 'enum_rts' | 'enum_rtd' | 'enum_origin'; readonly v: number; readonly name: string }
  | { readonly t: 'prefixset'; readonly v: readonly PrefixPattern[] }
  | { readonly t: 'intset'; readonly v: readonly SetRange[] }
  | { readonly t: 'enumset'; readonly v: readonly { readonly v: number; readonly name: string; readonly t: FType }[] }
  | { readonly t: 'pairset'; readonly v: readonly { readonly a: SetRange; readonly b: SetRange }[] }
  /** `[ 10.0.0.1, 10.0.0.8..10.0.0.15 ]`: addresses and inclusive ranges of one family. */
  | { readonly t: 'ipset'; readonly v: readonly { readonly lo: Uint8Array; readonly hi: Uint8Array }[] }
  | { readonly t: 'pathmask'; readonly v: readonly MaskItem[] };

export type BinOp = '+' | '-' | '*' | '/' | '%' | '=' | '!=' | '<' | '>' | '<=' | '>=' | '~' | '!~' | '&&' | '||';

export type Expr = SourcePos &
  (
    | { readonly k: 'const'; readonly c: Const }
    /** A symbol defined with `define`. */
    | { readonly k: 'constant'; readonly name: string; readonly c: Const }
    | { readonly k: 'var'; readonly name: string; readonly slot: number; readonly type: FType }
    /** Route attribute by BIRD name: `net`, `source`, `bgp_local_pref`, `krt_tunnel`, … */
    | { readonly k: 'attr'; readonly name: string }
    | { readonly k: 'bin'; readonly op: BinOp; readonly l: Expr; readonly r: Expr }
    | { readonly k: 'not'; readonly e: Expr }
    | { readonly k: 'defined'; readonly e: Expr }
    /** `e.len`, `e.ip`, `e.first`, `e.last`, `e.mask(n)` */
    | { readonly k: 'member'; readonly e: Expr; readonly member: 'len' | 'ip' | 'first' | 'last' | 'mask'; readonly arg?: Expr }
    | { readonly k: 'pair'; readonly a: Expr; readonly b: Expr }
    | { readonly k: 'lc'; readonly a: Expr; readonly b: Expr; readonly c: Expr }
    /** `prepend(path, asn)`, `add(clist, x)`, `delete(clist, x)`, `filter(clist, set)` */
    | { readonly k: 'fn2'; readonly fn: 'prepend' | 'add' | 'delete' | 'filter'; readonly a: Expr; readonly b: Expr }
    | { readonly k: 'call'; readonly name: string; readonly args: readonly Expr[] }
  );

export type Stmt = SourcePos &
  (
    | { readonly k: 'if'; readonly cond: Expr; readonly then: readonly Stmt[]; readonly else?: readonly Stmt[] }
    | { readonly k: 'setvar'; readonly name: string; readonly slot: number; readonly type: FType; readonly e: Expr }
    | { readonly k: 'setattr'; readonly name: string; readonly e: Expr }
    /** `attr.add(x)`, `attr.delete(x)`, `attr.filter(x)`, `attr.prepend(x)`, `attr.empty` */
    | { readonly k: 'method'; readonly name: string; readonly method: 'add' | 'delete' | 'filter' | 'prepend' | 'empty'; readonly arg?: Expr }
    | { readonly k: 'accept' | 'reject'; readonly msg: readonly Expr[] }
    | { readonly k: 'return'; readonly e?: Expr }
    | { readonly k: 'print'; readonly args: readonly Expr[]; readonly newline: boolean }
    | { readonly k: 'call'; readonly call: Expr }
    /** `case e { labels: cmds … else: cmds }`: the first arm whose labels (a set) hold e runs. */
    | { readonly k: 'case'; readonly e: Expr; readonly arms: readonly CaseArm[]; readonly else?: readonly Stmt[] }
    /** `unset(attr);` */
    | { readonly k: 'unset'; readonly name: string }
  );

/** One arm of a `case`: its labels as a set constant (ints, pairs, prefixes or enums) and its commands. */
export interface CaseArm {
  readonly labels: Const;
  readonly body: readonly Stmt[];
}

/** A local variable or parameter declaration. */
export interface Decl {
  readonly name: string;
  readonly type: FType;
  /** The type keyword(s) as written (`int`, `prefix set`), for printing. */
  readonly typeText: string;
}

export interface FunctionAst {
  readonly name: string;
  readonly params: readonly Decl[];
  readonly locals: readonly Decl[];
  readonly body: readonly Stmt[];
  readonly pos: SourcePos;
}

export interface FilterAst {
  /** undefined for inline filters. */
  readonly name?: string;
  readonly locals: readonly Decl[];
  readonly body: readonly Stmt[];
  readonly pos: SourcePos;
}
