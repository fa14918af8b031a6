// Recursive-descent parser for the BIRD 1.6 configuration dialect that Calico generates
// (see ../shared/calico/config-subset.md): global statements, templates and protocols
// (kernel, device, direct, static, bgp), named and inline filters, functions with
// parameters and locals, and the filter language subset. One pass, like BIRD 1.6: a
// symbol must be defined before it is used, filters and functions are compiled to
// closures as soon as they are parsed (filter/compile.ts), protocols are finished (BIRD's
// defaults applied, templates merged, unnamed ones named `<type><n>`) at their `}`.
//
// Grammar follows conf/confbase.Y, nest/config.Y, filter/config.Y, proto/bgp/config.Y,
// proto/static/config.Y and sysdep/unix/krt.Y of BIRD 1.6.8, including its operator
// precedence (`&&` and `||` on one level, left-associative) and its error texts where they
// are known ("syntax error", "No such filter.", "You can't call something which is not a
// function. Really.", "Symbol already defined", …). Columns point at the offending token.
// BIRD 2 channel blocks (`ipv4 { import …; export …; };`) are accepted inside protocols.
// Leaves out (error "… is not supported"): tables, pipes, BFD, OSPF & co., ROA,
// extended communities, multipath static routes, `router id from`, the attributes
// `scope`, `cast`, `ifindex`, `bgp_atomic_aggr`, `bgp_aggregator`; `( expression )` set
// items (syntax error).

import { Lexer, Tok } from './lexer.js';
import type { Dialect, LexerHost, Token } from './lexer.js';
import { errorAt } from './errors.js';
import type { SourcePos } from './errors.js';
import { KEYWORDS } from './keywords.js';
import { parsePrefix, parseAddress, formatAddress, formatPrefix } from '../src/rib/prefix.js';
import type { Prefix } from '../src/rib/prefix.js';
import type { Const, Decl, Expr, FType, FilterAst, FunctionAst, MaskItem, PrefixPattern, SetRange, Stmt, BinOp } from './filter/ast.js';
import { DECL_TYPES } from './filter/ast.js';
import { ipCompare } from './filter/values.js';
import { ATTRIBUTES, ENUM_CONSTANTS } from './filter/attributes.js';
import { compileFilter, compileFunction, evalConst } from './filter/compile.js';
import type { CompileEnv, CompiledFunction } from './filter/compile.js';
import type { CompiledFilter } from './filter/route.js';
import { constText, exprText, filterText, functionText, inlineFilterText } from './filter/print.js';
import { ALL_DEBUG_FLAGS, deepFreeze } from './model.js';
import type {
  Config, DebugFlag, FilterConfig, FunctionConfig, InterfacePattern, LogConfig, MissingLladdr, ProtocolConfig, ProtocolType, StaticRoute,
  RouteLimit,
} from './model.js';

export interface ParseOptions {
  /** Reads an included file (default: fs.readFileSync). */
  readFile?(path: string): string;
  /** Lists a directory, for include globs (default: fs.readdirSync). */
  readDir?(path: string): string[];
  /** 'file', 'dir' or undefined (default: fs.statSync). */
  stat?(path: string): 'file' | 'dir' | undefined;
  /** 'ipv4' for `bird`, 'ipv6' for `bird6`; 'auto' (default) takes both address families. */
  dialect?: Dialect;
  /** Output of `print`/`printn` and of `accept "…"`/`reject "…"` messages. Default: stderr. */
  print?(line: string): void;
}

type Sym =
  | { readonly kind: 'protocol' | 'template'; readonly draft: Draft }
  | { readonly kind: 'filter'; readonly filter: CompiledFilter }
  | { readonly kind: 'function'; readonly fn: CompiledFunction }
  | { readonly kind: 'constant'; readonly c: Const }
  | { readonly kind: 'table' };

interface VarInfo {
  readonly slot: number;
  readonly type: FType;
}

interface Scope {
  readonly vars: Map<string, VarInfo>;
  readonly locals: Decl[];
  nslots: number;
}

/** A protocol or template while it is being parsed: only explicitly set options. */
interface Draft {
  readonly type: ProtocolType;
  readonly name: string;
  template?: string;
  opts: Record<string, unknown>;
}

const PROTOCOL_TYPES = new Set<string>(['kernel', 'device', 'direct', 'static', 'bgp']);
const DEFAULT_PREFERENCE: Readonly<Record<ProtocolType, number>> = { kernel: 10, device: 240, direct: 240, static: 200, bgp: 100 };
const UNSUPPORTED_ATTRS = new Set(['scope', 'cast', 'ifindex', 'bgp_atomic_aggr', 'bgp_aggregator', 'bgp_ext_community']);
const SET_TYPES: Readonly<Record<string, FType>> = { prefix: 'prefixset', int: 'intset', pair: 'pairset', ip: 'ipset' };

const ipToU32 = (b: Uint8Array): number => ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;

export class Parser {
  private readonly lex: Lexer;
  private readonly la: Token[] = [];
  private readonly syms = new Map<string, Sym>();
  private readonly functionsByName = new Map<string, CompiledFunction>();
  private readonly env: CompileEnv;
  private scope: Scope | null = null;
  private readonly counters: Record<string, number> = {};
  private last!: Token;

  // Results.
  private routerId: number | undefined;
  private listen: { address?: string; port?: number; v6only: boolean; dual: boolean } = { v6only: false, dual: false };
  private grWait = 240;
  private readonly logs: LogConfig[] = [];
  private debugProtocols: DebugFlag[] = [];
  private readonly timeformat: Record<string, string> = {};
  private readonly constants: Record<string, string> = {};
  private readonly functions: FunctionConfig[] = [];
  private readonly filters: FilterConfig[] = [];
  private readonly protocols: ProtocolConfig[] = [];

  constructor(text: string, fileName: string, host: LexerHost, private readonly dialect: Dialect, print: (line: string) => void) {
    this.lex = new Lexer(text, fileName, host, dialect);
    this.env = { functions: this.functionsByName, print };
    this.syms.set('master', { kind: 'table' });
  }

  // ---- tokens ------------------------------------------------------------------------------

  private peek(i = 0): Token {
    while (this.la.length <= i) this.la.push(this.lex.next());
    return this.la[i]!;
  }

  private next(): Token {
    const t = this.peek();
    this.la.shift();
    this.last = t;
    return t;
  }

  private isKw(t: Token, w: string): boolean {
    return t.kind === Tok.SYM && !t.quoted && t.text === w;
  }

  private isP(t: Token, p: string): boolean {
    return t.kind === Tok.PUNCT && t.text === p;
  }

  private acceptKw(w: string): boolean {
    if (this.isKw(this.peek(), w)) { this.next(); return true; }
    return false;
  }

  private acceptP(p: string): boolean {
    if (this.isP(this.peek(), p)) { this.next(); return true; }
    return false;
  }

  private expectKw(w: string): Token {
    if (!this.isKw(this.peek(), w)) throw this.syntax();
    return this.next();
  }

  private expectP(p: string): Token {
    if (!this.isP(this.peek(), p)) throw this.syntax();
    return this.next();
  }

  private syntax(t: Token = this.peek()) {
    return errorAt(t, 'syntax error');
  }

  /** A symbol token that is not a keyword (quoted symbols never are). */
  private isSymbol(t: Token): boolean {
    return t.kind === Tok.SYM && (t.quoted || !KEYWORDS.has(t.text));
  }

  private expectSymbol(): Token {
    if (!this.isSymbol(this.peek())) throw this.syntax();
    return this.next();
  }

  private defineSym(t: Token, sym: Sym): void {
    if (this.syms.has(t.text)) throw errorAt(t, 'Symbol already defined');
    this.syms.set(t.text, sym);
  }

  private unsupported(t: Token, what: string) {
    return errorAt(t, `${what} is not supported`);
  }

  // ---- constants and values -----------------------------------------------------------

  /** BIRD `expr`: a constant integer expression (option values). */
  private intExpr(): { v: number; pos: Token } {
    const pos = this.peek();
    const e = this.term();
    const c = evalConst(this.env, e);
    if (!c || c.t !== 'int') throw errorAt(pos, 'Integer expression expected');
    return { v: (c.v as number) >>> 0, pos };
  }

  private int(): number {
    return this.intExpr().v;
  }

  private ranged(lo: number, hi: number, msg: string): number {
    const { v, pos } = this.intExpr();
    if (v < lo || v > hi) throw errorAt(pos, msg);
    return v;
  }

  /** BIRD `bool`: on/off/yes/no, an integer, or nothing (= on). */
  private bool(): boolean {
    const t = this.peek();
    if (this.isKw(t, 'on') || this.isKw(t, 'yes')) { this.next(); return true; }
    if (this.isKw(t, 'off') || this.isKw(t, 'no')) { this.next(); return false; }
    if (this.isP(t, ';')) return true;
    return this.int() !== 0;
  }

  /** An IP address literal of this daemon's family. */
  private ipa(): string {
    const t = this.peek();
    if (t.kind === Tok.IP4 && this.dialect !== 'ipv6') { this.next(); return formatAddress(parseAddress(t.text)); }
    if (t.kind === Tok.IP6) {
      this.next();
      try {
        return formatAddress(parseAddress(t.text));
      } catch {
        throw errorAt(t, `Invalid IPv6 address ${t.text}`);
      }
    }
    throw this.syntax();
  }

  /** Router-id style value: a dotted quad or a number. */
  private idval(): number {
    const t = this.peek();
    if (t.kind === Tok.IP4) { this.next(); return ipToU32(parseAddress(t.text)); }
    if (t.kind === Tok.NUM) return this.int();
    throw this.syntax();
  }

  /** `<ip>/<len>` as the nest grammar reads it (static routes): host bits must be zero. */
  private netPrefix(): Prefix {
    const t = this.peek();
    const addr = this.ipa();
    this.expectP('/');
    const { v: len, pos } = this.intExpr();
    const max = addr.includes(':') ? 128 : 32;
    if (len > max) throw errorAt(pos, `Invalid prefix length ${len}`);
    const p = parsePrefix(`${addr}/${len}`);
    if (formatAddress(p.addr) !== addr) throw errorAt(t, 'Invalid prefix');
    return p;
  }

  // ---- top level -------------------------------------------------------------------------

  parse(): Config {
    for (;;) {
      const t = this.peek();
      if (t.kind === Tok.EOF) break;
      if (this.acceptP(';')) continue;
      if (t.kind !== Tok.SYM || t.quoted) throw this.syntax();
      switch (t.text) {
        case 'router': {
          this.next();
          this.expectKw('id');
          if (this.isKw(this.peek(), 'from')) throw this.unsupported(this.peek(), 'router id from');
          this.routerId = this.idval();
          this.expectP(';');
          break;
        }
        case 'listen': this.parseListen(); break;
        case 'log': this.parseLog(); break;
        case 'debug': {
          this.next();
          if (!this.isKw(this.peek(), 'protocols')) throw this.isKw(this.peek(), 'commands') ? this.unsupported(this.peek(), 'debug commands') : this.syntax();
          this.next();
          this.debugProtocols = this.debugMask();
          this.expectP(';');
          break;
        }
        case 'timeformat': this.parseTimeformat(); break;
        case 'graceful': {
          this.next();
          this.expectKw('restart');
          this.expectKw('wait');
          this.grWait = this.int();
          this.expectP(';');
          break;
        }
        case 'define': this.parseDefine(); break;
        case 'function': this.parseFunction(); break;
        case 'filter': this.parseFilterDef(); break;
        case 'template': this.parseProtocol(true); break;
        case 'protocol': this.parseProtocol(false); break;
        case 'table':
        case 'roa':
        case 'mrtdump':
        case 'attribute':
        case 'eval':
          throw this.unsupported(t, t.text);
        default:
          throw this.syntax();
      }
    }
    return deepFreeze({
      routerId: this.routerId,
      listen: this.listen,
      gracefulRestartWait: this.grWait,
      log: this.logs,
      debugProtocols: this.debugProtocols,
      timeformat: this.timeformat,
      constants: this.constants,
      functions: this.functions,
      filters: this.filters,
      protocols: this.protocols,
      files: [...this.lex.files],
    } satisfies Config) as Config;
  }

  private parseListen(): void {
    this.next();
    this.expectKw('bgp');
    for (;;) {
      const t = this.peek();
      if (this.isKw(t, 'address')) { this.next(); this.listen.address = this.ipa(); }
      else if (this.isKw(t, 'port')) { this.next(); this.listen.port = this.ranged(1, 65535, 'Invalid port number'); }
      else if (this.isKw(t, 'v6only')) { this.next(); this.listen.v6only = true; }
      else if (this.isKw(t, 'dual')) { this.next(); this.listen.dual = true; }
      else break;
    }
    this.expectP(';');
  }

  private parseLog(): void {
    this.next();
    const t = this.next();
    let target: string;
    if (t.kind === Tok.STR) target = t.text;
    else if (this.isKw(t, 'stderr')) target = 'stderr';
    else if (this.isKw(t, 'syslog')) {
      target = 'syslog';
      if (this.acceptKw('name')) {
        const n = this.next();
        if (n.kind !== Tok.STR) throw this.syntax(n);
        target = `syslog name ${n.text}`;
      }
    } else throw this.syntax(t);
    let classes: 'all' | string[];
    if (this.acceptKw('all')) classes = 'all';
    else {
      this.expectP('{');
      classes = [];
      const known = ['debug', 'trace', 'info', 'remote', 'warning', 'error', 'auth', 'fatal', 'bug'];
      do {
        const c = this.next();
        if (c.kind !== Tok.SYM || !known.includes(c.text)) throw this.syntax(c);
        classes.push(c.text);
      } while (this.acceptP(','));
      this.expectP('}');
    }
    this.expectP(';');
    this.logs.push({ target, classes });
  }

  private parseTimeformat(): void {
    this.next();
    const which = this.next();
    if (!['route', 'protocol', 'base', 'log'].some((w) => this.isKw(which, w))) throw this.syntax(which);
    const f1 = this.next();
    if (f1.kind !== Tok.STR) throw this.syntax(f1);
    let text = `"${f1.text}"`;
    if (this.peek().kind === Tok.STR) {
      const f2 = this.next();
      text += ` "${f2.text}" ${this.int()}`;
    }
    this.expectP(';');
    this.timeformat[which.text] = text;
  }

  private debugMask(): DebugFlag[] {
    if (this.acceptKw('all')) return [...ALL_DEBUG_FLAGS];
    if (this.acceptKw('off')) return [];
    this.expectP('{');
    const out: DebugFlag[] = [];
    do {
      const t = this.next();
      if (t.kind !== Tok.SYM || !(ALL_DEBUG_FLAGS as readonly string[]).includes(t.text)) throw this.syntax(t);
      if (!out.includes(t.text as DebugFlag)) out.push(t.text as DebugFlag);
    } while (this.acceptP(','));
    this.expectP('}');
    return ALL_DEBUG_FLAGS.filter((f) => out.includes(f));
  }

  private parseDefine(): void {
    this.next();
    const name = this.expectSymbol();
    this.expectP('=');
    const pos = this.peek();
    const e = this.term();
    const c = evalConst(this.env, e);
    if (!c) throw errorAt(pos, 'Constant expression expected');
    const k = this.constFromValue(c.t, c.v, e);
    this.expectP(';');
    this.defineSym(name, { kind: 'constant', c: k });
    this.constants[name.text] = constText(k);
  }

  private constFromValue(t: FType, v: unknown, e: Expr): Const {
    if (e.k === 'const') return e.c;
    switch (t) {
      case 'int': return { t: 'int', v: (v as number) >>> 0 };
      case 'bool': return { t: 'bool', v: v as boolean };
      case 'string': return { t: 'string', v: v as string };
      case 'ip': return { t: 'ip', v: v as Uint8Array };
      case 'prefix': return { t: 'prefix', v: v as Prefix };
      case 'quad': return { t: 'quad', v: v as number };
      default: throw errorAt(e, `define of a ${t} value is not supported`);
    }
  }

  // ---- functions and filters ----------------------------------------------------------

  private typeSpec(): { type: FType; text: string } | undefined {
    const t = this.peek();
    if (t.kind !== Tok.SYM || t.quoted) return undefined;
    if (t.text === 'ec' || t.text === 'eclist') throw this.unsupported(t, 'Extended community type');
    const base = DECL_TYPES[t.text];
    if (!base) return undefined;
    this.next();
    if (this.acceptKw('set')) {
      const st = SET_TYPES[t.text];
      if (!st) throw this.unsupported(t, `${t.text} set`);
      return { type: st, text: `${t.text} set` };
    }
    return { type: base, text: t.text };
  }

  private declare(scope: Scope, type: FType, typeText: string, name: Token, local: boolean): VarInfo {
    if (scope.vars.has(name.text)) throw errorAt(name, 'Symbol already defined');
    const v = { slot: scope.nslots++, type };
    scope.vars.set(name.text, v);
    if (local) scope.locals.push({ name: name.text, type, typeText });
    return v;
  }

  /** 1.6 declarations before the body: `int x; prefix p;` */
  private decls(scope: Scope): void {
    for (;;) {
      const ts = this.typeSpec();
      if (!ts) return;
      const name = this.expectSymbol();
      this.declare(scope, ts.type, ts.text, name, true);
      this.expectP(';');
    }
  }

  private parseFunction(): void {
    const kw = this.next();
    const name = this.expectSymbol();
    const scope: Scope = { vars: new Map(), locals: [], nslots: 0 };
    const params: Decl[] = [];
    this.expectP('(');
    if (!this.isP(this.peek(), ')')) {
      do {
        const ts = this.typeSpec();
        if (!ts) throw this.syntax();
        const p = this.expectSymbol();
        this.declare(scope, ts.type, ts.text, p, false);
        params.push({ name: p.text, type: ts.type, typeText: ts.text });
      } while (this.acceptP(';') || this.acceptP(','));
    }
    this.expectP(')');
    // Defined before the body is read (BIRD does the same), so recursion parses.
    const fn: CompiledFunction = {
      name: name.text,
      ast: { name: name.text, params, locals: [], body: [], pos: kw },
      nslots: 0,
      body: null,
      text: '',
      deps: new Set(),
    };
    this.defineSym(name, { kind: 'function', fn });
    this.functionsByName.set(name.text, fn);
    const { locals, body } = this.body(scope);
    const ast: FunctionAst = { name: name.text, params, locals, body, pos: kw };
    const full: CompiledFunction = Object.assign(fn, { ast, nslots: scope.nslots });
    full.text = functionText(ast);
    compileFunction(this.env, full);
    this.functions.push({ name: name.text, params: params.map((p) => ({ name: p.name, type: p.typeText })), text: full.text });
  }

  /** decls '{' cmds '}' with `scope` active. */
  private body(scope: Scope): { locals: Decl[]; body: Stmt[] } {
    const outer = this.scope;
    this.scope = scope;
    try {
      this.decls(scope);
      this.expectP('{');
      const body = this.stmts();
      this.expectP('}');
      return { locals: scope.locals, body };
    } finally {
      this.scope = outer;
    }
  }

  private parseFilterDef(): void {
    const kw = this.next();
    const name = this.expectSymbol();
    if (this.syms.has(name.text)) throw errorAt(name, 'Symbol already defined');
    const scope: Scope = { vars: new Map(), locals: [], nslots: 0 };
    const { locals, body } = this.body(scope);
    const ast: FilterAst = { name: name.text, locals, body, pos: kw };
    const text = filterText(ast);
    const filter = compileFilter(this.env, {
      kind: 'named', name: name.text, text: `filter ${name.quoted ? `'${name.text}'` : name.text}`, ast, nslots: scope.nslots, bodyText: text,
    });
    this.defineSym(name, { kind: 'filter', filter });
    this.filters.push({ name: name.text, text, filter });
  }

  /** After `import`/`export`: `all`, `none`, `filter <name>`, `filter { … }`, `where <expr>`. */
  private imexport(ind: string): CompiledFilter {
    const t = this.peek();
    if (this.acceptKw('all')) return compileFilter(this.env, { kind: 'all', name: 'all', text: 'all' });
    if (this.acceptKw('none')) return compileFilter(this.env, { kind: 'none', name: 'none', text: 'none' });
    if (this.acceptKw('where')) {
      const cond = this.term();
      const ast: FilterAst = {
        locals: [],
        body: [{ k: 'if', cond, then: [{ k: 'accept', msg: [], ...pos(t) }], else: [{ k: 'reject', msg: [], ...pos(t) }], ...pos(t) }],
        pos: t,
      };
      return compileFilter(this.env, { kind: 'where', name: '(unnamed)', text: `where ${exprText(cond)}`, ast });
    }
    if (this.acceptKw('filter')) {
      const n = this.peek();
      if (this.isSymbol(n)) {
        this.next();
        const s = this.syms.get(n.text);
        if (!s || s.kind !== 'filter') throw errorAt(n, 'No such filter.');
        return s.filter;
      }
      const scope: Scope = { vars: new Map(), locals: [], nslots: 0 };
      const { locals, body } = this.body(scope);
      const ast: FilterAst = { locals, body, pos: t };
      return compileFilter(this.env, { kind: 'inline', name: '(unnamed)', text: inlineFilterText(ast, ind), ast, nslots: scope.nslots });
    }
    throw this.syntax();
  }

  // ---- statements -------------------------------------------------------------------------

  private stmts(): Stmt[] {
    const out: Stmt[] = [];
    while (!this.isP(this.peek(), '}')) {
      if (this.peek().kind === Tok.EOF) throw this.syntax();
      const s = this.stmt();
      if (s) out.push(s);
    }
    return out;
  }

  private block(): Stmt[] {
    if (this.acceptP('{')) {
      const b = this.stmts();
      this.expectP('}');
      return b;
    }
    const s = this.stmt();
    return s ? [s] : [];
  }

  private printList(): Expr[] {
    const out: Expr[] = [];
    if (this.isP(this.peek(), ';')) return out;
    do out.push(this.term()); while (this.acceptP(','));
    return out;
  }

  /** One command; null for a declaration without initialiser. */
  private stmt(): Stmt | null {
    const t = this.peek();
    const p = pos(t);
    if (t.kind !== Tok.SYM) throw this.syntax();
    if (!t.quoted) {
      switch (t.text) {
        case 'if': {
          this.next();
          const cond = this.term();
          this.expectKw('then');
          const then = this.block();
          if (this.acceptKw('else')) return { k: 'if', cond, then, else: this.block(), ...p };
          return { k: 'if', cond, then, ...p };
        }
        case 'accept':
        case 'reject': {
          this.next();
          const msg = this.printList();
          this.expectP(';');
          return { k: t.text as 'accept' | 'reject', msg, ...p };
        }
        case 'return': {
          this.next();
          if (this.acceptP(';')) return { k: 'return', ...p };
          const e = this.term();
          this.expectP(';');
          return { k: 'return', e, ...p };
        }
        case 'print':
        case 'printn': {
          this.next();
          const args = this.printList();
          this.expectP(';');
          return { k: 'print', args, newline: t.text === 'print', ...p };
        }
        case 'case':
          return this.caseStmt();
        case 'unset': {
          this.next();
          this.expectP('(');
          const a = this.next();
          const attr = a.kind === Tok.SYM && !a.quoted ? ATTRIBUTES.get(a.text) : undefined;
          if (!attr) throw this.syntax(a);
          // 1.6: only extended attributes (bgp_*, krt_*) can be unset, not the route's own fields.
          if (!attr.key) throw errorAt(a, 'Only extended attributes can be unset');
          this.expectP(')');
          this.expectP(';');
          return { k: 'unset', name: a.text, ...p };
        }
        case 'quitbird':
          throw this.unsupported(t, t.text);
        default:
          break;
      }
      if (DECL_TYPES[t.text] || t.text === 'ec' || t.text === 'eclist') {
        // BIRD 2 style local declaration inside the body: `int x;` / `int x = 5;`
        if (!this.scope) throw this.syntax();
        const ts = this.typeSpec()!;
        const name = this.expectSymbol();
        const v = this.declare(this.scope, ts.type, ts.text, name, true);
        if (this.acceptP('=')) {
          const e = this.term();
          this.expectP(';');
          return { k: 'setvar', name: name.text, slot: v.slot, type: v.type, e, ...p };
        }
        this.expectP(';');
        return null;
      }
      const attr = ATTRIBUTES.get(t.text);
      if (attr) {
        this.next();
        if (this.acceptP('=')) {
          if (!attr.writable) throw errorAt(t, 'This static attribute is read-only.');
          const e = this.term();
          this.expectP(';');
          return { k: 'setattr', name: t.text, e, ...p };
        }
        if (this.acceptP('.')) {
          const m = this.next();
          if (!attr.key) throw this.syntax(m);
          if (this.isKw(m, 'empty')) {
            this.expectP(';');
            return { k: 'method', name: t.text, method: 'empty', ...p };
          }
          if (!['add', 'delete', 'filter', 'prepend'].some((w) => this.isKw(m, w))) throw this.syntax(m);
          this.expectP('(');
          const arg = this.term();
          this.expectP(')');
          this.expectP(';');
          return { k: 'method', name: t.text, method: m.text as 'add' | 'delete' | 'filter' | 'prepend', arg, ...p };
        }
        throw this.syntax();
      }
      if (UNSUPPORTED_ATTRS.has(t.text)) throw this.unsupported(t, `Attribute ${t.text}`);
      if (KEYWORDS.has(t.text)) throw this.syntax();
    }
    // A symbol: function call or variable assignment.
    this.next();
    if (this.isP(this.peek(), '(')) {
      const call = this.callRest(t);
      this.expectP(';');
      return { k: 'call', call, ...p };
    }
    if (this.acceptP('=')) {
      const v = this.scope?.vars.get(t.text);
      if (!v) throw errorAt(t, 'You may set only variables.');
      const e = this.term();
      this.expectP(';');
      return { k: 'setvar', name: t.text, slot: v.slot, type: v.type, e, ...p };
    }
    throw this.syntax();
  }

  /** `name(` already at '(': arguments and checks. */
  private callRest(name: Token): Expr {
    const s = this.syms.get(name.text);
    if (!s || s.kind !== 'function') throw errorAt(name, "You can't call something which is not a function. Really.");
    this.expectP('(');
    const args: Expr[] = [];
    if (!this.isP(this.peek(), ')')) {
      do args.push(this.term()); while (this.acceptP(','));
    }
    this.expectP(')');
    if (args.length !== s.fn.ast.params.length) throw errorAt(name, `Wrong number of arguments for function ${name.text}.`);
    return { k: 'call', name: name.text, args, ...pos(name) };
  }

  // ---- expressions (precedence as in filter/config.Y) ---------------------------------------

  term(): Expr {
    let l = this.cmp();
    for (;;) {
      const t = this.peek();
      if (this.isP(t, '&&') || this.isP(t, '||')) {
        this.next();
        l = { k: 'bin', op: t.text as BinOp, l, r: this.cmp(), ...pos(t) };
      } else return l;
    }
  }

  private cmp(): Expr {
    const l = this.add();
    const t = this.peek();
    if (t.kind === Tok.PUNCT && ['=', '!=', '<', '>', '<=', '>=', '~', '!~'].includes(t.text)) {
      this.next();
      const e: Expr = { k: 'bin', op: t.text as BinOp, l, r: this.add(), ...pos(t) };
      const n = this.peek();
      if (n.kind === Tok.PUNCT && ['=', '!=', '<', '>', '<=', '>=', '~', '!~'].includes(n.text)) throw this.syntax(n);
      return e;
    }
    return l;
  }

  private add(): Expr {
    let l = this.mul();
    for (;;) {
      const t = this.peek();
      if (this.isP(t, '+') || this.isP(t, '-')) {
        this.next();
        l = { k: 'bin', op: t.text as BinOp, l, r: this.mul(), ...pos(t) };
      } else return l;
    }
  }

  private mul(): Expr {
    let l = this.unary();
    for (;;) {
      const t = this.peek();
      if (this.isP(t, '*') || this.isP(t, '/') || this.isP(t, '%')) {
        this.next();
        l = { k: 'bin', op: t.text as BinOp, l, r: this.unary(), ...pos(t) };
      } else return l;
    }
  }

  private unary(): Expr {
    const t = this.peek();
    if (this.isP(t, '!')) {
      this.next();
      return { k: 'not', e: this.unary(), ...pos(t) };
    }
    return this.postfix();
  }

  private postfix(): Expr {
    let e = this.primary();
    while (this.isP(this.peek(), '.')) {
      const dot = this.next();
      const m = this.next();
      if (this.isKw(m, 'len') || this.isKw(m, 'ip') || this.isKw(m, 'first') || this.isKw(m, 'last')) {
        e = { k: 'member', e, member: m.text as 'len' | 'ip' | 'first' | 'last', ...pos(dot) };
      } else if (this.isKw(m, 'mask')) {
        this.expectP('(');
        const arg = this.term();
        this.expectP(')');
        e = { k: 'member', e, member: 'mask', arg, ...pos(dot) };
      } else throw this.syntax(m);
    }
    return e;
  }

  private constExpr(t: Token, c: Const): Expr {
    return { k: 'const', c, ...pos(t) };
  }

  /** An address literal, or a prefix when `/len` follows (host bits must be zero). */
  private addressOrPrefix(t: Token): Expr {
    if (t.kind === Tok.IP4 && this.dialect === 'ipv6') return this.constExpr(t, { t: 'quad', v: ipToU32(parseAddress(t.text)) });
    let addr: Uint8Array;
    try {
      addr = parseAddress(t.text);
    } catch {
      throw errorAt(t, `Invalid IPv6 address ${t.text}`);
    }
    if (!this.isP(this.peek(), '/')) return this.constExpr(t, { t: 'ip', v: addr });
    this.next();
    const lt = this.next();
    if (lt.kind !== Tok.NUM) throw this.syntax(lt);
    const max = addr.length * 8;
    const p = lt.num <= max ? parsePrefix(`${t.text}/${lt.num}`) : undefined;
    if (!p || !sameBytes(p.addr, addr)) {
      throw errorAt(t, `Invalid network prefix: ${formatAddress(addr)}/${lt.num}.`);
    }
    return this.constExpr(t, { t: 'prefix', v: p });
  }

  private primary(): Expr {
    const t = this.next();
    const p = pos(t);
    switch (t.kind) {
      case Tok.NUM: return this.constExpr(t, { t: 'int', v: t.num });
      case Tok.STR: return this.constExpr(t, { t: 'string', v: t.text });
      case Tok.IP4:
      case Tok.IP6: return this.addressOrPrefix(t);
      case Tok.EOF: throw this.syntax(t);
      case Tok.PUNCT:
        if (t.text === '(') {
          const a = this.term();
          if (this.acceptP(')')) return a;
          this.expectP(',');
          const b = this.term();
          if (this.acceptP(')')) return { k: 'pair', a, b, ...p };
          this.expectP(',');
          const c = this.term();
          this.expectP(')');
          return { k: 'lc', a, b, c, ...p };
        }
        if (t.text === '[') return this.set(t);
        if (t.text === '[=') return this.pathMask(t);
        throw this.syntax(t);
      default:
        break;
    }
    // Symbols and keywords.
    if (!t.quoted) {
      if (t.text === 'true' || t.text === 'false') return this.constExpr(t, { t: 'bool', v: t.text === 'true' });
      if (t.text === 'defined') {
        this.expectP('(');
        const e = this.term();
        this.expectP(')');
        return { k: 'defined', e, ...p };
      }
      const en = ENUM_CONSTANTS.get(t.text);
      if (en) return this.constExpr(t, { t: en.t, v: en.v, name: t.text });
      if (ATTRIBUTES.has(t.text)) return { k: 'attr', name: t.text, ...p };
      if (UNSUPPORTED_ATTRS.has(t.text)) throw this.unsupported(t, `Attribute ${t.text}`);
      if (['prepend', 'add', 'delete', 'filter'].includes(t.text)) {
        this.expectP('(');
        const a = this.term();
        this.expectP(',');
        const b = this.term();
        this.expectP(')');
        return { k: 'fn2', fn: t.text as 'prepend' | 'add' | 'delete' | 'filter', a, b, ...p };
      }
      if (KEYWORDS.has(t.text)) throw this.syntax(t);
    }
    if (this.isP(this.peek(), '(')) return this.callRest(t);
    const v = this.scope?.vars.get(t.text);
    if (v) return { k: 'var', name: t.text, slot: v.slot, type: v.type, ...p };
    const s = this.syms.get(t.text);
    if (s && s.kind === 'constant') return { k: 'constant', name: t.text, c: s.c, ...p };
    throw errorAt(t, `${t.text}: variable expected.`);
  }

  /** `[= 65000 * ? 65001 =]` */
  private pathMask(open: Token): Expr {
    const items: MaskItem[] = [];
    for (;;) {
      const t = this.next();
      if (this.isP(t, '=]')) break;
      if (this.isP(t, '*')) items.push('*');
      else if (this.isP(t, '?')) items.push('?');
      else if (t.kind === Tok.NUM) items.push(t.num);
      else {
        const c = this.intConstant(t);
        if (c === undefined) throw this.syntax(t);
        items.push(c);
      }
    }
    return this.constExpr(open, { t: 'pathmask', v: items });
  }

  /** An address item of an IP set (a dotted quad is a router id in the IPv6 dialect: refused). */
  private setAddress(): Uint8Array {
    const t = this.next();
    if (t.kind !== Tok.IP4 && t.kind !== Tok.IP6) throw this.syntax(t);
    const e = this.addressOrPrefix(t);
    if (e.k !== 'const' || e.c.t !== 'ip') throw this.syntax(t);
    return e.c.v;
  }

  private setNumber(): number {
    const t = this.next();
    if (t.kind === Tok.NUM) return t.num;
    const c = this.intConstant(t);
    if (c === undefined) throw this.syntax(t);
    return c;
  }

  /** The value of a `define`d int constant named by `t` (usable in sets and path masks), else undefined. */
  private intConstant(t: Token): number | undefined {
    if (t.kind !== Tok.SYM) return undefined;
    const s = this.syms.get(t.text);
    return s?.kind === 'constant' && s.c.t === 'int' ? s.c.v : undefined;
  }

  private setRange(max: number): SetRange {
    if (this.acceptP('*')) return { lo: 0, hi: max };
    const lo = this.setNumber();
    if (this.acceptP('..')) return { lo, hi: this.setNumber() };
    return { lo, hi: lo };
  }

  /**
   * `case term { labels: cmds … [else: cmds] }` (1.6 filter/config.Y switch_body): labels are
   * set items (numbers and ranges, pairs, prefix patterns, enum constants) up to the `:`;
   * an arm's commands run up to the next label, `else:` or `}`.
   */
  private caseStmt(): Stmt {
    const t = this.next();
    const e = this.term();
    this.expectP('{');
    const arms: { labels: Const; body: Stmt[] }[] = [];
    let otherwise: Stmt[] | undefined;
    while (!this.acceptP('}')) {
      const l = this.peek();
      let body: Stmt[];
      if (this.isKw(l, 'else')) {
        this.next();
        this.expectP(':');
        if (otherwise) throw this.syntax(l);
        body = otherwise = [];
      } else {
        if (!this.caseLabelStart(l)) throw this.syntax(l);
        const labels = this.set(l, ':');
        body = [];
        arms.push({ labels: (labels as Expr & { k: 'const' }).c, body });
      }
      while (!this.isP(this.peek(), '}') && !this.caseLabelStart(this.peek()) && !this.isKw(this.peek(), 'else')) {
        if (this.peek().kind === Tok.EOF) throw this.syntax();
        const s = this.stmt();
        if (s) body.push(s);
      }
    }
    return otherwise ? { k: 'case', e, arms, else: otherwise, ...pos(t) } : { k: 'case', e, arms, ...pos(t) };
  }

  /** A token that begins a case label (never a command: commands begin with a symbol). */
  private caseLabelStart(t: Token): boolean {
    return t.kind === Tok.NUM || t.kind === Tok.IP4 || t.kind === Tok.IP6 || this.isP(t, '(') || (t.kind === Tok.SYM && ENUM_CONSTANTS.has(t.text)) ||
      this.intConstant(t) !== undefined;
  }

  /**
   * `[ … ]`: prefix set, enum set, pair set or int set, decided by the first element. `close`
   * ends the items: `]` for a set literal, `:` for the labels of a case arm.
   */
  private set(open: Token, close = ']'): Expr {
    const first = this.peek();
    if (close === ']' && this.acceptP(']')) return this.constExpr(open, { t: 'intset', v: [] });
    if ((first.kind === Tok.IP4 || first.kind === Tok.IP6) && !this.isP(this.peek(1), '/')) {
      // Addresses and ranges `a..b` (1.6 set_item fipa / fipa '..' fipa).
      const v: { lo: Uint8Array; hi: Uint8Array }[] = [];
      do {
        const lo = this.setAddress();
        const hi = this.acceptP('..') ? this.setAddress() : lo;
        if (hi.length !== lo.length || ipCompare(lo, hi) > 0) throw errorAt(first, 'Invalid address range in set');
        if (v.length && v[0]!.lo.length !== lo.length) throw errorAt(first, 'Addresses of both families in one set');
        v.push({ lo, hi });
      } while (this.acceptP(','));
      this.expectP(close);
      return this.constExpr(open, { t: 'ipset', v });
    }
    if (first.kind === Tok.IP4 || first.kind === Tok.IP6) {
      const v: PrefixPattern[] = [];
      do {
        const t = this.next();
        if (t.kind !== Tok.IP4 && t.kind !== Tok.IP6) throw this.syntax(t);
        const e = this.addressOrPrefix(t);
        if (e.k !== 'const' || e.c.t !== 'prefix') throw this.syntax(this.peek());
        const net = e.c.v;
        const max = net.addr.length * 8;
        let lo = net.len, hi = net.len, form = '';
        if (this.acceptP('+')) { hi = max; form = '+'; }
        else if (this.acceptP('-')) { lo = 0; form = '-'; }
        else if (this.acceptP('{')) {
          lo = this.setNumber();
          this.expectP(',');
          hi = this.setNumber();
          const close = this.expectP('}');
          if (!(lo <= hi && hi <= max)) throw errorAt(close, `Invalid prefix pattern range: {${lo}, ${hi}}.`);
          form = `{${lo},${hi}}`;
        }
        v.push({ net, lo, hi, form });
      } while (this.acceptP(','));
      this.expectP(close);
      return this.constExpr(open, { t: 'prefixset', v });
    }
    if (first.kind === Tok.SYM && ENUM_CONSTANTS.has(first.text)) {
      const v: { v: number; name: string; t: FType }[] = [];
      do {
        const t = this.next();
        const en = t.kind === Tok.SYM ? ENUM_CONSTANTS.get(t.text) : undefined;
        if (!en) throw this.syntax(t);
        v.push({ v: en.v, name: t.text, t: en.t });
      } while (this.acceptP(','));
      this.expectP(close);
      return this.constExpr(open, { t: 'enumset', v });
    }
    if (this.isP(first, '(')) {
      const v: { a: SetRange; b: SetRange }[] = [];
      do {
        this.expectP('(');
        const a = this.setRange(0xffff);
        this.expectP(',');
        const b = this.setRange(0xffff);
        const close = this.expectP(')');
        if (a.hi > 0xffff || b.hi > 0xffff) throw errorAt(close, "Can't operate with value out of bounds in pair constructor");
        v.push({ a, b });
      } while (this.acceptP(','));
      this.expectP(close);
      return this.constExpr(open, { t: 'pairset', v });
    }
    if (first.kind === Tok.NUM || this.intConstant(first) !== undefined) {
      const v: SetRange[] = [];
      do v.push(this.setRange(0xffffffff)); while (this.acceptP(','));
      this.expectP(close);
      return this.constExpr(open, { t: 'intset', v });
    }
    throw this.syntax(first);
  }

  // ---- protocols -------------------------------------------------------------------------

  private parseProtocol(isTemplate: boolean): void {
    this.next();
    const typeTok = this.next();
    if (typeTok.kind !== Tok.SYM || typeTok.quoted || !PROTOCOL_TYPES.has(typeTok.text)) {
      if (typeTok.kind === Tok.SYM && ['pipe', 'bfd', 'ospf', 'rip', 'radv', 'babel'].includes(typeTok.text)) {
        throw this.unsupported(typeTok, `Protocol ${typeTok.text}`);
      }
      throw this.syntax(typeTok);
    }
    const type = typeTok.text as ProtocolType;
    let name: string;
    if (this.isSymbol(this.peek())) {
      const n = this.next();
      name = n.text;
      const draft: Draft = { type, name, opts: {} };
      this.defineSym(n, { kind: isTemplate ? 'template' : 'protocol', draft });
    } else {
      // cf_default_name(): `<type><n>`, skipping names already taken.
      let s: string;
      do s = `${type}${(this.counters[type] = (this.counters[type] ?? 0) + 1)}`; while (this.syms.has(s));
      name = s;
      this.syms.set(name, { kind: isTemplate ? 'template' : 'protocol', draft: { type, name, opts: {} } });
    }
    const draft = (this.syms.get(name) as { draft: Draft }).draft;
    draft.opts.debug = [...this.debugProtocols];
    if (this.acceptKw('from')) {
      const f = this.next();
      const s = f.kind === Tok.SYM ? this.syms.get(f.text) : undefined;
      if (!s || (s.kind !== 'template' && s.kind !== 'protocol')) throw errorAt(f, 'Template or protocol name expected');
      if (s.draft.type !== type) throw errorAt(f, "Can't copy configuration from a different protocol type");
      draft.template = f.text;
      draft.opts = copyOpts(s.draft.opts);
    }
    this.expectP('{');
    for (;;) {
      const t = this.peek();
      if (this.isP(t, '}')) break;
      if (this.acceptP(';')) continue;
      if (t.kind === Tok.EOF) throw this.syntax(t);
      this.protoItem(draft, t);
    }
    const close = this.next();
    if (!isTemplate) this.protocols.push(this.finish(draft, close));
  }

  private protoItem(d: Draft, t: Token): void {
    const o = d.opts;
    if (t.kind !== Tok.SYM || t.quoted) throw this.syntax(t);
    // Options common to all protocols.
    switch (t.text) {
      case 'description': {
        this.next();
        const s = this.next();
        if (s.kind !== Tok.STR) throw this.syntax(s);
        o.description = s.text;
        return this.end();
      }
      case 'debug':
        this.next();
        o.debug = this.debugMask();
        return this.end();
      case 'disabled':
        this.next();
        o.disabled = this.bool();
        return this.end();
      case 'preference':
        this.next();
        o.preference = this.ranged(0, 0xffff, 'Invalid preference');
        return this.end();
      case 'import':
      case 'export': {
        this.next();
        const n = this.peek();
        if (this.acceptKw('limit')) {
          o[`${t.text}Limit`] = this.routeLimit();
          return this.end();
        }
        if (this.isKw(n, 'keep')) throw this.unsupported(n, `${t.text} ${n.text}`);
        o[t.text] = this.imexport('  ');
        return this.end();
      }
      case 'receive':
        this.next();
        this.expectKw('limit');
        o.receiveLimit = this.routeLimit();
        return this.end();
      case 'table':
        throw this.unsupported(t, 'table');
      case 'ipv4':
      case 'ipv6':
        if (d.type !== 'bgp' || this.isP(this.peek(1), '{')) return this.channel(d);
        break;
      default:
        break;
    }
    switch (d.type) {
      case 'kernel': return this.kernelItem(o, t);
      case 'device': return this.deviceItem(o, t);
      case 'direct': return this.directItem(o, t);
      case 'static': return this.staticItem(o, t);
      case 'bgp': return this.bgpItem(o, t);
    }
  }

  private end(): void {
    this.expectP(';');
  }

  /** BIRD 2 channel block: `ipv4 { import …; export …; };` */
  private channel(d: Draft): void {
    const kw = this.next();
    if (this.dialect === 'ipv4' && kw.text === 'ipv6') throw this.syntax(kw);
    if (this.dialect === 'ipv6' && kw.text === 'ipv4') throw this.syntax(kw);
    this.expectP('{');
    for (;;) {
      const t = this.peek();
      if (this.acceptP('}')) break;
      if (this.acceptP(';')) continue;
      if (this.isKw(t, 'import') || this.isKw(t, 'export')) {
        this.next();
        const n = this.peek();
        if (this.isKw(n, 'limit') || this.isKw(n, 'keep')) throw this.unsupported(n, `${t.text} ${n.text}`);
        d.opts[t.text] = this.imexport('  ');
        this.end();
      } else if (t.kind === Tok.SYM && !t.quoted && ['table', 'preference', 'receive', 'next', 'gateway', 'add'].includes(t.text)) {
        throw this.unsupported(t, `Channel option ${t.text}`);
      } else throw this.syntax(t);
    }
    this.acceptP(';');
  }

  private kernelItem(o: Record<string, unknown>, t: Token): void {
    this.next();
    switch (t.text) {
      case 'learn': o.learn = this.bool(); break;
      case 'persist': o.persist = this.bool(); break;
      case 'scan': this.expectKw('time'); o.scanTime = this.int(); break;
      case 'device': this.expectKw('routes'); o.deviceRoutes = this.bool(); break;
      case 'kernel': this.expectKw('table'); o.kernelTable = this.int(); break;
      case 'graceful': this.expectKw('restart'); o.gracefulRestart = this.bool(); break;
      case 'merge':
        this.expectKw('paths');
        o.mergePaths = this.bool();
        if (this.acceptKw('limit')) o.mergePathsLimit = this.int();
        break;
      default: throw this.syntax(t);
    }
    this.end();
  }

  private deviceItem(o: Record<string, unknown>, t: Token): void {
    this.next();
    switch (t.text) {
      case 'scan': this.expectKw('time'); o.scanTime = this.int(); break;
      case 'primary': throw this.unsupported(t, 'primary');
      default: throw this.syntax(t);
    }
    this.end();
  }

  private directItem(o: Record<string, unknown>, t: Token): void {
    this.next();
    switch (t.text) {
      case 'interface': {
        const list = [...((o.interfaces as InterfacePattern[] | undefined) ?? [])];
        do {
          const negated = this.acceptP('-');
          const s = this.next();
          if (s.kind !== Tok.STR) throw this.syntax(s);
          if (this.peek().kind === Tok.IP4 || this.peek().kind === Tok.IP6) throw this.unsupported(this.peek(), 'Interface pattern with a prefix');
          list.push({ pattern: s.text, negated });
        } while (this.acceptP(','));
        o.interfaces = list;
        break;
      }
      case 'check': this.expectKw('link'); o.checkLink = this.bool(); break;
      default: throw this.syntax(t);
    }
    this.end();
  }

  private staticItem(o: Record<string, unknown>, t: Token): void {
    this.next();
    switch (t.text) {
      case 'route': {
        const net = this.netPrefix();
        let r: StaticRoute;
        const k = this.next();
        if (this.isKw(k, 'via')) {
          const v = this.peek();
          if (v.kind === Tok.STR) { this.next(); r = { net, kind: 'device', iface: v.text }; }
          else r = { net, kind: 'via', via: this.ipa() };
          if (this.isKw(this.peek(), 'weight') || this.isKw(this.peek(), 'via')) throw this.unsupported(this.peek(), 'Multipath static route');
        } else if (this.isKw(k, 'recursive')) r = { net, kind: 'recursive', via: this.ipa() };
        else if (this.isKw(k, 'blackhole') || this.isKw(k, 'drop')) r = { net, kind: 'blackhole' };
        else if (this.isKw(k, 'unreachable')) r = { net, kind: 'unreachable' };
        else if (this.isKw(k, 'prohibit')) r = { net, kind: 'prohibit' };
        else if (this.isKw(k, 'multipath')) throw this.unsupported(k, 'Multipath static route');
        else throw this.syntax(k);
        o.routes = [...((o.routes as StaticRoute[] | undefined) ?? []), r];
        break;
      }
      case 'check': this.expectKw('link'); o.checkLink = this.bool(); break;
      case 'igp': throw this.unsupported(t, 'igp table');
      default: throw this.syntax(t);
    }
    this.end();
  }

  private bgpItem(o: Record<string, unknown>, t: Token): void {
    this.next();
    switch (t.text) {
      case 'local': {
        if (!this.isKw(this.peek(), 'as')) o.sourceAddress = this.ipa();
        this.expectKw('as');
        o.localAs = this.int();
        break;
      }
      case 'neighbor': {
        if (o.neighborAddress !== undefined) throw errorAt(t, 'Only one neighbor per BGP instance is allowed');
        o.neighborAddress = this.ipa();
        if (this.acceptKw('port')) o.neighborPort = this.ranged(1, 65535, 'Invalid port number');
        this.expectKw('as');
        o.neighborAs = this.int();
        break;
      }
      case 'source': this.expectKw('address'); o.sourceAddress = this.ipa(); break;
      case 'multihop':
        o.multihop = this.isP(this.peek(), ';') ? 64 : this.ranged(1, 255, 'Multihop must be in range 1-255');
        break;
      // BIRD 1.6 `direct;`: a directly connected session (multihop 0), also for iBGP.
      case 'direct': o.multihop = 0; break;
      case 'missing': {
        this.expectKw('lladdr');
        const k = this.next();
        if (this.isKw(k, 'self') || this.isKw(k, 'drop') || this.isKw(k, 'ignore')) o.missingLladdr = k.text;
        else throw this.syntax(k);
        break;
      }
      case 'ttl': this.expectKw('security'); o.ttlSecurity = this.bool(); break;
      case 'passive': o.passive = this.bool(); break;
      case 'password': {
        const s = this.next();
        if (s.kind !== Tok.STR) throw this.syntax(s);
        o.password = s.text;
        break;
      }
      case 'next': {
        this.expectKw('hop');
        const k = this.next();
        // BIRD 1.6 config.Y: each one clears the other (the last one written wins).
        if (this.isKw(k, 'self')) { o.nextHopSelf = true; o.nextHopKeep = false; }
        else if (this.isKw(k, 'keep')) { o.nextHopKeep = true; o.nextHopSelf = false; }
        else throw this.syntax(k);
        break;
      }
      case 'gateway': {
        const k = this.next();
        if (this.isKw(k, 'direct') || this.isKw(k, 'recursive')) o.gateway = k.text;
        else throw this.syntax(k);
        break;
      }
      case 'add': {
        this.expectKw('paths');
        if (this.acceptKw('rx')) { o.addPathsRx = true; o.addPathsTx = false; }
        else if (this.acceptKw('tx')) { o.addPathsRx = false; o.addPathsTx = true; }
        else { const b = this.bool(); o.addPathsRx = b; o.addPathsTx = b; }
        break;
      }
      case 'rr': {
        if (this.acceptKw('client')) o.rrClient = true;
        else { this.expectKw('cluster'); this.expectKw('id'); o.rrClusterId = this.idval(); }
        break;
      }
      case 'rs': this.expectKw('client'); o.rsClient = true; break;
      case 'allow': {
        this.expectKw('local');
        this.expectKw('as');
        o.allowLocalAs = this.isP(this.peek(), ';') ? Infinity : this.int();
        break;
      }
      case 'graceful': {
        this.expectKw('restart');
        if (this.acceptKw('time')) o.gracefulRestartTime = this.ranged(0, 4095, 'Graceful restart time must be in range 0-4095');
        else if (this.acceptKw('aware')) o.gracefulRestart = 'aware';
        else o.gracefulRestart = this.bool() ? 'able' : 'off';
        break;
      }
      case 'long': {
        // BIRD 1.6.4+ / 2: `long lived graceful restart [on|off|aware]`, `long lived stale time n`.
        this.expectKw('lived');
        if (this.acceptKw('stale')) {
          this.expectKw('time');
          o.longLivedStaleTime = this.ranged(0, 0xffffff, 'Long-lived stale time must be in range 0-16777215');
        } else {
          this.expectKw('graceful');
          this.expectKw('restart');
          if (this.acceptKw('aware')) o.longLivedGracefulRestart = 'aware';
          else o.longLivedGracefulRestart = this.bool() ? 'able' : 'off';
        }
        break;
      }
      case 'hold': this.expectKw('time'); o.holdTime = this.holdTime('Hold time must be in range 3-65535 or zero'); break;
      case 'startup':
        this.expectKw('hold');
        this.expectKw('time');
        o.startupHoldTime = this.holdTime('Startup hold time must be in range 3-65535 or zero');
        break;
      case 'keepalive': this.expectKw('time'); o.keepaliveTime = this.ranged(1, 65535, 'Keepalive time must be in range 1-65535'); break;
      case 'connect': {
        const k = this.next();
        if (this.isKw(k, 'delay')) { this.expectKw('time'); o.connectDelayTime = this.int(); }
        else if (this.isKw(k, 'retry')) { this.expectKw('time'); o.connectRetryTime = this.int(); }
        else throw this.syntax(k);
        break;
      }
      case 'start': this.expectKw('delay'); this.expectKw('time'); o.connectDelayTime = this.int(); break;
      case 'error': {
        const k = this.next();
        if (this.isKw(k, 'wait')) {
          this.expectKw('time');
          const min = this.int();
          this.expectP(',');
          const { v: max, pos: p } = this.intExpr();
          if (min > max) throw errorAt(p, 'Invalid error wait time');
          o.errorWaitTimeMin = min;
          o.errorWaitTimeMax = max;
        } else if (this.isKw(k, 'forget')) { this.expectKw('time'); o.errorForgetTime = this.int(); }
        else throw this.syntax(k);
        break;
      }
      case 'default': {
        const k = this.next();
        if (this.isKw(k, 'bgp_local_pref')) o.defaultLocalPref = this.int();
        else if (this.isKw(k, 'bgp_med')) o.defaultMed = this.int();
        else throw this.syntax(k);
        break;
      }
      case 'interpret': this.expectKw('communities'); o.interpretCommunities = this.bool(); break;
      case 'enable': {
        const k = this.next();
        if (this.isKw(k, 'route')) { this.expectKw('refresh'); o.enableRouteRefresh = this.bool(); }
        else if (this.isKw(k, 'as4')) o.enableAs4 = this.bool();
        else throw this.syntax(k);
        break;
      }
      case 'capabilities': o.capabilities = this.bool(); break;
      case 'advertise': this.expectKw('ipv4'); o.advertiseIpv4 = this.bool(); break;
      case 'deterministic': this.expectKw('med'); o.deterministicMed = this.bool(); break;
      case 'igp': {
        if (this.isKw(this.peek(), 'table')) throw this.unsupported(this.peek(), 'igp table');
        this.expectKw('metric');
        o.igpMetric = this.bool();
        break;
      }
      case 'prefer': this.expectKw('older'); o.preferOlder = this.bool(); break;
      case 'med': this.expectKw('metric'); o.medMetric = this.bool(); break;
      case 'path': this.expectKw('metric'); o.pathMetric = this.bool(); break;
      case 'disable': this.expectKw('after'); this.expectKw('error'); o.disableAfterError = this.bool(); break;
      case 'interface': throw this.unsupported(t, 'interface in protocol bgp');
      default: throw this.syntax(t);
    }
    this.end();
  }

  private holdTime(msg: string): number {
    const { v, pos: p } = this.intExpr();
    if ((v !== 0 && v < 3) || v > 65535) throw errorAt(p, msg);
    return v;
  }

  /** `<number> | off [action warn|block|restart|disable]` after `import|receive|export limit` (nest/config.Y). */
  private routeLimit(): RouteLimit | null {
    if (this.acceptKw('off')) return null;
    const limit = this.ranged(0, 0xffffffff, 'Invalid route limit');
    let action: RouteLimit['action'] = 'disable';
    if (this.acceptKw('action')) {
      const a = this.next();
      if (!['warn', 'block', 'restart', 'disable'].some((w) => this.isKw(a, w))) throw this.syntax(a);
      action = a.text as RouteLimit['action'];
    }
    return { limit, action };
  }

  /** BIRD's defaults and per-protocol checks (bgp_check_config) at the closing brace. */
  private finish(d: Draft, close: Token): ProtocolConfig {
    const o = d.opts;
    const g = <T>(k: string, def: T): T => (o[k] === undefined ? def : (o[k] as T));
    const all = compileFilter(this.env, { kind: 'all', name: 'all', text: 'all' });
    const none = compileFilter(this.env, { kind: 'none', name: 'none', text: 'none' });
    const base = {
      name: d.name,
      ...(d.template !== undefined ? { template: d.template } : {}),
      ...(o.description !== undefined ? { description: o.description as string } : {}),
      debug: g<DebugFlag[]>('debug', []),
      disabled: g('disabled', false),
      preference: g('preference', DEFAULT_PREFERENCE[d.type]),
      import: g<CompiledFilter>('import', all),
      export: g<CompiledFilter>('export', none),
      ...(o.receiveLimit ? { receiveLimit: o.receiveLimit as RouteLimit } : {}),
      ...(o.importLimit ? { importLimit: o.importLimit as RouteLimit } : {}),
      ...(o.exportLimit ? { exportLimit: o.exportLimit as RouteLimit } : {}),
    };
    switch (d.type) {
      case 'kernel':
        return {
          ...base, type: 'kernel',
          learn: g('learn', false), persist: g('persist', false), scanTime: g('scanTime', 60),
          deviceRoutes: g('deviceRoutes', false), kernelTable: g('kernelTable', 254),
          gracefulRestart: g('gracefulRestart', false), mergePaths: g('mergePaths', false),
          mergePathsLimit: g('mergePathsLimit', 16),
        };
      case 'device':
        return { ...base, type: 'device', scanTime: g('scanTime', 60) };
      case 'direct':
        return { ...base, type: 'direct', interfaces: g<InterfacePattern[]>('interfaces', []) };
      case 'static':
        return { ...base, type: 'static', routes: g<StaticRoute[]>('routes', []), checkLink: g('checkLink', false) };
      case 'bgp': {
        if (o.localAs === undefined) throw errorAt(close, 'Local AS number must be set');
        if (o.neighborAddress === undefined) throw errorAt(close, 'Neighbor must be configured');
        const localAs = o.localAs as number, neighborAs = o.neighborAs as number;
        const internal = localAs === neighborAs;
        // BIRD bgp_check_config: a 4-octet neighbour AS needs the AS4 capability (not one
        // for the local AS: BIRD 1.6 sends AS_TRANS in the OPEN for it).
        if (!(g('capabilities', true) && g('enableAs4', true)) && neighborAs > 0xffff) {
          throw errorAt(close, 'Neighbor AS number out of range (AS4 not available)');
        }
        if (g('rrClient', false) && !internal) throw errorAt(close, 'Only internal neighbor can be RR client');
        if (g('rsClient', false) && internal) throw errorAt(close, 'Only external neighbor can be RS client');
        const multihop = g('multihop', internal ? 64 : 0);
        if (multihop && o.gateway === 'direct') throw errorAt(close, 'Multihop BGP cannot use direct gateway mode');
        const holdTime = g('holdTime', 240);
        const gracefulRestart = g<'off' | 'aware' | 'able'>('gracefulRestart', 'aware');
        // BIRD bgp_postconfig: LLGR defaults to aware with graceful restart, off without it.
        const longLivedGracefulRestart = g<'off' | 'aware' | 'able'>('longLivedGracefulRestart', gracefulRestart === 'off' ? 'off' : 'aware');
        if (gracefulRestart === 'off' && longLivedGracefulRestart !== 'off') throw errorAt(close, 'Long-lived graceful restart requires basic graceful restart');
        return {
          ...base, type: 'bgp',
          localAs, neighborAddress: o.neighborAddress as string, neighborPort: g('neighborPort', 179), neighborAs, internal,
          ...(o.sourceAddress !== undefined ? { sourceAddress: o.sourceAddress as string } : {}),
          multihop, ttlSecurity: g('ttlSecurity', false), passive: g('passive', false),
          ...(o.password !== undefined ? { password: o.password as string } : {}),
          nextHopSelf: g('nextHopSelf', false), nextHopKeep: g('nextHopKeep', false),
          gateway: g<'direct' | 'recursive'>('gateway', multihop ? 'recursive' : 'direct'),
          addPathsRx: g('addPathsRx', false), addPathsTx: g('addPathsTx', false),
          rrClient: g('rrClient', false),
          ...(o.rrClusterId !== undefined ? { rrClusterId: o.rrClusterId as number } : {}),
          rsClient: g('rsClient', false), allowLocalAs: g('allowLocalAs', 0),
          missingLladdr: g<MissingLladdr>('missingLladdr', g('rsClient', false) ? 'ignore' : 'self'),
          gracefulRestart,
          gracefulRestartTime: g('gracefulRestartTime', 120),
          longLivedGracefulRestart, longLivedStaleTime: g('longLivedStaleTime', 3600),
          holdTime, startupHoldTime: g('startupHoldTime', 240),
          keepaliveTime: g('keepaliveTime', Math.floor(holdTime / 3)), keepaliveTimeSet: o.keepaliveTime !== undefined,
          connectDelayTime: g('connectDelayTime', 5), connectRetryTime: g('connectRetryTime', 120),
          errorWaitTimeMin: g('errorWaitTimeMin', 60), errorWaitTimeMax: g('errorWaitTimeMax', 300),
          errorForgetTime: g('errorForgetTime', 300),
          defaultLocalPref: g('defaultLocalPref', 100), defaultMed: g('defaultMed', 0),
          interpretCommunities: g('interpretCommunities', true), enableRouteRefresh: g('enableRouteRefresh', true),
          enableAs4: g('enableAs4', true), capabilities: g('capabilities', true), capabilitiesSet: o.capabilities !== undefined, advertiseIpv4: g('advertiseIpv4', true),
          deterministicMed: g('deterministicMed', false), igpMetric: g('igpMetric', true), preferOlder: g('preferOlder', false),
          medMetric: g('medMetric', false), pathMetric: g('pathMetric', true), disableAfterError: g('disableAfterError', false),
        };
      }
    }
  }
}

function copyOpts(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k] = Array.isArray(v) ? [...v] : v;
  return out;
}

function pos(t: SourcePos): SourcePos {
  return { file: t.file, line: t.line, col: t.col };
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Canonical text of a prefix, re-exported for the printer. */
export const prefixText = formatPrefix;
