// Canonical text of filter code: one statement per line, two-space indentation, every `if`
// branch braced, parentheses only where BIRD 1.6's precedence needs them
// (`&&`/`||` share the lowest level and associate left; comparisons do not associate; then
// `+ -`, `* / %`, `!`, `.`), addresses and prefixes in normal form. Equal text ⇔ equal
// code, which is what the reload plan compares; the output parses back to the same tree.
// Leaves out: comments and the original layout.

import { formatAddress, formatPrefix } from '../../src/rib/prefix.js';
import { symbolText } from '../keywords.js';
import type { Const, Decl, Expr, FilterAst, FunctionAst, Stmt, PrefixPattern } from './ast.js';

const PREC: Readonly<Record<string, number>> = {
  '&&': 1, '||': 1,
  '=': 2, '!=': 2, '<': 2, '>': 2, '<=': 2, '>=': 2, '~': 2, '!~': 2,
  '+': 3, '-': 3,
  '*': 4, '/': 4, '%': 4,
};

const quad = (n: number) => `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;

function patternText(p: PrefixPattern): string {
  const max = p.net.addr.length * 8;
  const base = formatPrefix(p.net);
  if (p.lo === p.net.len && p.hi === p.net.len) return base;
  if (p.lo === p.net.len && p.hi === max) return `${base}+`;
  if (p.lo === 0 && p.hi === p.net.len) return `${base}-`;
  return `${base}{${p.lo},${p.hi}}`;
}

const range = (r: { lo: number; hi: number }, max: number) =>
  r.lo === 0 && r.hi === max ? '*' : r.lo === r.hi ? String(r.lo) : `${r.lo}..${r.hi}`;

export function constText(c: Const): string {
  switch (c.t) {
    case 'int': return String(c.v);
    case 'bool': return c.v ? 'true' : 'false';
    case 'string': return `"${c.v}"`;
    case 'ip': return formatAddress(c.v);
    case 'quad': return quad(c.v);
    case 'prefix': return formatPrefix(c.v);
    case 'enum_rts': case 'enum_rtd': case 'enum_origin': return c.name;
    case 'prefixset': return `[ ${c.v.map(patternText).join(', ')} ]`;
    case 'intset': return `[ ${c.v.map((r) => range(r, 0xffffffff)).join(', ')} ]`;
    case 'enumset': return `[ ${c.v.map((x) => x.name).join(', ')} ]`;
    case 'pairset': return `[ ${c.v.map((x) => `(${range(x.a, 0xffff)},${range(x.b, 0xffff)})`).join(', ')} ]`;
    case 'pathmask': return `[= ${c.v.join(' ')} =]`;
    case 'ipset': return `[ ${c.v.map((x) => (x.lo === x.hi ? formatAddress(x.lo) : `${formatAddress(x.lo)}..${formatAddress(x.hi)}`)).join(', ')} ]`;
  }
}

function wrap(s: string, prec: number, min: number): string {
  return prec < min ? `(${s})` : s;
}

export function exprText(e: Expr, min = 0): string {
  switch (e.k) {
    case 'const': return constText(e.c);
    case 'constant': return symbolText(e.name);
    case 'var': return symbolText(e.name);
    case 'attr': return e.name;
    case 'bin': {
      const p = PREC[e.op]!;
      const assoc = p !== 2;
      // `a || b && c` is `(a || b) && c` in BIRD; mixed logic operators get parentheses anyway.
      const mixed = (x: Expr) => p === 1 && x.k === 'bin' && PREC[x.op] === 1 && x.op !== e.op;
      const l = exprText(e.l, assoc ? p : p + 1);
      return wrap(`${mixed(e.l) ? `(${l})` : l} ${e.op} ${exprText(e.r, p + 1)}`, p, min);
    }
    case 'not': return wrap(`!${exprText(e.e, 5)}`, 5, min);
    case 'defined': return `defined(${exprText(e.e)})`;
    case 'member':
      return `${exprText(e.e, 6)}.${e.member}${e.member === 'mask' ? `(${exprText(e.arg!)})` : ''}`;
    case 'pair': return `(${exprText(e.a)}, ${exprText(e.b)})`;
    case 'lc': return `(${exprText(e.a)}, ${exprText(e.b)}, ${exprText(e.c)})`;
    case 'fn2': return `${e.fn}(${exprText(e.a)}, ${exprText(e.b)})`;
    case 'call': return `${symbolText(e.name)}(${e.args.map((a) => exprText(a)).join(', ')})`;
  }
}

function blockLines(ss: readonly Stmt[], ind: string, out: string[]): void {
  for (const s of ss) stmtLines(s, ind, out);
}

function stmtLines(s: Stmt, ind: string, out: string[]): void {
  switch (s.k) {
    case 'if':
      out.push(`${ind}if ${exprText(s.cond)} then {`);
      blockLines(s.then, ind + '  ', out);
      if (s.else) {
        out.push(`${ind}} else {`);
        blockLines(s.else, ind + '  ', out);
      }
      out.push(`${ind}}`);
      return;
    case 'setvar': out.push(`${ind}${symbolText(s.name)} = ${exprText(s.e)};`); return;
    case 'setattr': out.push(`${ind}${s.name} = ${exprText(s.e)};`); return;
    case 'method':
      out.push(s.method === 'empty' ? `${ind}${s.name}.empty;` : `${ind}${s.name}.${s.method}(${exprText(s.arg!)});`);
      return;
    case 'accept':
    case 'reject':
      out.push(`${ind}${s.k}${s.msg.length ? ' ' + s.msg.map((m) => exprText(m)).join(', ') : ''};`);
      return;
    case 'return': out.push(`${ind}return${s.e ? ' ' + exprText(s.e) : ''};`); return;
    case 'print': out.push(`${ind}${s.newline ? 'print' : 'printn'} ${s.args.map((a) => exprText(a)).join(', ')};`); return;
    case 'call': out.push(`${ind}${exprText(s.call)};`); return;
    case 'case':
      out.push(`${ind}case ${exprText(s.e)} {`);
      for (const arm of s.arms) {
        // The labels as a set literal's items: the text between its brackets.
        out.push(`${ind}  ${constText(arm.labels).slice(2, -2)}:`);
        blockLines(arm.body, ind + '    ', out);
      }
      if (s.else) {
        out.push(`${ind}  else:`);
        blockLines(s.else, ind + '    ', out);
      }
      out.push(`${ind}}`);
      return;
    case 'unset': out.push(`${ind}unset(${s.name});`); return;
  }
}

const declLines = (ds: readonly Decl[], ind: string): string[] => ds.map((d) => `${ind}${d.typeText} ${symbolText(d.name)};`);

/** `{ … }` body of a filter or function, lines indented by `ind`, braces included. */
export function bodyText(locals: readonly Decl[], body: readonly Stmt[], ind: string): string {
  const out = declLines(locals, ind);
  out.push(`${ind}{`);
  blockLines(body, ind + '  ', out);
  out.push(`${ind}}`);
  return out.join('\n');
}

export function functionText(f: FunctionAst): string {
  const params = f.params.map((p) => `${p.typeText} ${symbolText(p.name)}`).join('; ');
  return `function ${symbolText(f.name)}(${params})\n${bodyText(f.locals, f.body, '')}`;
}

export function filterText(f: FilterAst): string {
  return `filter ${symbolText(f.name!)}\n${bodyText(f.locals, f.body, '')}`;
}

/** Inline filter as it appears after `import`/`export`: `filter {` … `}` at indentation `ind`. */
export function inlineFilterText(f: FilterAst, ind: string): string {
  const out = ['filter', ...declLines(f.locals, ind + '  ')];
  const head = out.length > 1 ? out.join('\n') + `\n${ind}{` : 'filter {';
  const lines: string[] = [];
  blockLines(f.body, ind + '  ', lines);
  return [head, ...lines, `${ind}}`].join('\n');
}
