// Lexer for the BIRD 1.6 configuration dialect (conf/cf-lex.l of BIRD 1.6.8 and Calico's
// fork). A pull lexer: the parser asks for one token at a time, so errors come out in the
// same order as BIRD's (a syntax error early in a file wins over a bad token later).
//
// Rules kept from cf-lex.l:
//   * `include "<file>";` is recognised only when it begins a line
//     (`^{WHITE}*include{WHITE}*".*"{WHITE}*;`); elsewhere `include` is an ordinary
//     symbol and the parser reports a syntax error. The path is resolved against the
//     directory of the including file (`dirname(file) + "/" + name`), glob patterns
//     (`*?[`) expand in sorted order and may match nothing, nesting stops at depth 8.
//   * `#` comments to end of line, non-nesting `/* … */` comments.
//   * strings `"…"` without escapes and without newlines.
//   * symbols `[A-Za-z_][A-Za-z0-9_]*` or quoted `'…'` (letters, digits, `_ - . :`), max 64
//     characters; quoted symbols are never keywords.
//   * numbers: decimal or `0x` hex, unsigned 32-bit; IPv4 dotted quads; IPv6 literals.
//   * two-character operators `!= !~ <= >= && || [= =] ..`; flex's longest match decides
//     between competing rules (so `fd00::1` is an address, not the symbol `fd00`).
// Dialects: 'ipv4' (the `bird` daemon: IPv6 literals are an error), 'ipv6' (`bird6`: a
// dotted quad is a router-id token), 'auto' (both literal kinds, for tools and tests).
// `else:` of a case statement comes out as `else` and `:` (the parser takes them together).
// Leaves out: the CLI lexer state, VPN route distinguishers.

import { dirname, join } from 'node:path';
import { ConfigError } from './errors.js';
import type { SourcePos } from './errors.js';

export const enum Tok {
  SYM = 1,
  NUM = 2,
  IP4 = 3,
  IP6 = 4,
  STR = 5,
  PUNCT = 6,
  EOF = 7,
}

export interface Token extends SourcePos {
  readonly kind: Tok;
  /** Symbol name, string contents, punctuation, or the literal text of a number/address. */
  readonly text: string;
  /** NUM only: the unsigned value. */
  readonly num: number;
  /** SYM only: written as '…' (never a keyword). */
  readonly quoted: boolean;
}

export type Dialect = 'ipv4' | 'ipv6' | 'auto';

export interface LexerHost {
  /** Reads a whole file; throws (with a Node `code`) when it cannot. */
  readFile(path: string): string;
  /** Lists the entries of a directory (for include globs); throws when it cannot. */
  readDir(path: string): string[];
  /** What the path names, or undefined when nothing (glob matches that are directories are skipped). */
  stat(path: string): 'file' | 'dir' | undefined;
}

const MAX_INCLUDE_DEPTH = 8;
export const SYM_MAX_LEN = 64;

interface FileState {
  readonly file: string;
  readonly text: string;
  pos: number;
  line: number;
  lineStart: number;
  readonly depth: number;
}

const RE_INCLUDE = /[ \t]*include[ \t]*"(.*)"[ \t]*;/y;
const RE_DOTTED = /\d+\.\d+\.\d+\.\d+/y;
const RE_IPV6 = /(?:[0-9a-fA-F]*::|(?:[0-9a-fA-F]*:){3,})(?:\d+\.\d+\.\d+\.\d+|[0-9a-fA-F]*)/y;
const RE_HEX = /0x[0-9a-fA-F]+/y;
const RE_DEC = /\d+/y;
const RE_SYM = /[A-Za-z_][A-Za-z0-9_]*/y;
const TWO_CHAR = new Set(['!=', '!~', '<=', '>=', '&&', '||', '[=', '=]', '..']);
const ONE_CHAR = new Set('={}:;,.()+*/%<>~[]?!|-'.split(''));
const QUOTED_SYM_CHAR = /[A-Za-z0-9_.:-]/;

const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  ELOOP: 'Too many levels of symbolic links',
};

function matchAt(re: RegExp, text: string, pos: number): string | null {
  re.lastIndex = pos;
  const m = re.exec(text);
  return m ? m[0] : null;
}

/** Shell glob of one path component → RegExp (`*`, `?`, `[...]`). */
function globComponent(pat: string): RegExp {
  let re = '^';
  for (let i = 0; i < pat.length; i++) {
    const c = pat[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pat.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let body = pat.slice(i + 1, end);
        if (body.startsWith('!')) body = '^' + body.slice(1);
        re += '[' + body.replace(/\\/g, '\\\\') + ']';
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(re + '$');
}

export class Lexer {
  private readonly stack: FileState[] = [];
  /** Files still to be read for the current glob include, per stack depth. */
  private readonly pending: { file: string; depth: number; up: number }[][] = [];
  /** Every file read, in order (for `show config` and reload bookkeeping). */
  readonly files: string[] = [];

  constructor(
    text: string,
    file: string,
    private readonly host: LexerHost,
    private readonly dialect: Dialect,
  ) {
    this.stack.push({ file, text, pos: 0, line: 1, lineStart: 0, depth: 0 });
    this.pending.push([]);
    this.files.push(file);
  }

  private err(f: FileState, pos: number, message: string): ConfigError {
    return new ConfigError(f.file, f.line, pos - f.lineStart + 1, message);
  }

  private tok(f: FileState, kind: Tok, start: number, text: string, num = 0, quoted = false): Token {
    return { kind, text, num, quoted, file: f.file, line: f.line, col: start - f.lineStart + 1 };
  }

  /** The next token; EOF once the main file ends. Throws ConfigError on lexical errors. */
  next(): Token {
    for (;;) {
      const f = this.stack[this.stack.length - 1]!;
      const t = f.text;
      // Skip blanks, newlines and comments.
      let p = f.pos;
      for (;;) {
        const c = t[p];
        if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') p++;
        else if (c === '\n') { p++; f.line++; f.lineStart = p; }
        else if (c === '#') { while (p < t.length && t[p] !== '\n') p++; }
        else if (c === '/' && t[p + 1] === '*') {
          const startLine = f.line, startCol = p - f.lineStart + 1;
          p += 2;
          for (;;) {
            if (p >= t.length) throw new ConfigError(f.file, startLine, startCol, 'Unterminated comment');
            if (t[p] === '*' && t[p + 1] === '/') { p += 2; break; }
            if (t[p] === '\n') { f.line++; f.lineStart = p + 1; }
            p++;
          }
        } else break;
      }
      f.pos = p;
      if (p >= t.length) {
        if (this.stack.length === 1) return this.tok(f, Tok.EOF, p, '');
        this.stack.pop();
        this.pending.pop();
        this.enterPending();
        continue;
      }
      // include: only when nothing but blanks precedes it on its line.
      if (t[p] === 'i' && /^[ \t]*$/.test(t.slice(f.lineStart, p))) {
        RE_INCLUDE.lastIndex = f.lineStart;
        const m = RE_INCLUDE.exec(t);
        if (m) {
          const whole = m[0];
          const q1 = whole.indexOf('"');
          const q2 = whole.indexOf('"', q1 + 1);
          const name = whole.slice(q1 + 1, q2);
          f.pos = f.lineStart + whole.length;
          if (name === '') throw this.err(f, f.lineStart, 'Include with empty argument');
          this.include(f, name);
          continue;
        }
      }
      return this.scanToken(f, p);
    }
  }

  private scanToken(f: FileState, p: number): Token {
    const t = f.text;
    const c = t[p]!;
    if (c === '"') {
      let e = p + 1;
      while (e < t.length && t[e] !== '"' && t[e] !== '\n') e++;
      if (e >= t.length || t[e] === '\n') throw this.err(f, p, 'Unterminated string');
      f.pos = e + 1;
      return this.tok(f, Tok.STR, p, t.slice(p + 1, e));
    }
    if (c === "'") {
      let e = p + 1;
      while (e < t.length && t[e] !== "'") {
        if (t[e] === '\n') throw this.err(f, p, 'Unterminated symbol');
        if (!QUOTED_SYM_CHAR.test(t[e]!)) throw this.err(f, p, 'Invalid character in apostrophed symbol');
        e++;
      }
      if (e >= t.length) throw this.err(f, p, 'Unterminated symbol');
      const name = t.slice(p + 1, e);
      if (name.length > SYM_MAX_LEN) throw this.err(f, p, 'Symbol too long');
      f.pos = e + 1;
      return this.tok(f, Tok.SYM, p, name, 0, true);
    }
    // Longest match among the rules that start with a letter or digit (flex semantics,
    // ties resolved by rule order: dotted quad, IPv6, hex, decimal, symbol).
    let best: string | null = null;
    let kind = Tok.SYM as Tok;
    const consider = (s: string | null, k: Tok) => {
      if (s !== null && (best === null || s.length > best.length)) { best = s; kind = k; }
    };
    consider(matchAt(RE_DOTTED, t, p), Tok.IP4);
    consider(matchAt(RE_IPV6, t, p), Tok.IP6);
    consider(matchAt(RE_HEX, t, p), Tok.NUM);
    consider(matchAt(RE_DEC, t, p), Tok.NUM);
    consider(matchAt(RE_SYM, t, p), Tok.SYM);
    if (best !== null) {
      const s: string = best;
      f.pos = p + s.length;
      switch (kind) {
        case Tok.IP4: {
          const bad = s.split('.').some((x) => Number(x) > 255 || x.length > 3);
          if (this.dialect === 'ipv6') {
            if (bad) throw this.err(f, p, `Invalid IPv4 address ${s}`);
          } else if (bad) throw this.err(f, p, `Invalid IP address ${s}`);
          return this.tok(f, Tok.IP4, p, s);
        }
        case Tok.IP6:
          if (this.dialect === 'ipv4') {
            throw this.err(f, p, 'This is an IPv4 router, therefore IPv6 addresses are not supported');
          }
          return this.tok(f, Tok.IP6, p, s);
        case Tok.NUM: {
          const v = s.startsWith('0x') ? parseInt(s.slice(2), 16) : Number(s);
          if (!(v <= 0xffffffff)) throw this.err(f, p, 'Number out of range');
          return this.tok(f, Tok.NUM, p, s, v);
        }
        default:
          if (s.length > SYM_MAX_LEN) throw this.err(f, p, 'Symbol too long');
          return this.tok(f, Tok.SYM, p, s);
      }
    }
    const two = t.slice(p, p + 2);
    if (TWO_CHAR.has(two)) {
      f.pos = p + 2;
      return this.tok(f, Tok.PUNCT, p, two);
    }
    if (ONE_CHAR.has(c)) {
      f.pos = p + 1;
      return this.tok(f, Tok.PUNCT, p, c);
    }
    throw this.err(f, p, 'Unknown character');
  }

  private include(f: FileState, name: string): void {
    const depth = f.depth + 1;
    if (depth > MAX_INCLUDE_DEPTH) throw this.err(f, f.lineStart, 'Max include depth reached');
    const path = name.startsWith('/') ? name : `${dirname(f.file)}/${name}`;
    if (!/[?*[]/.test(name)) {
      this.pending[this.pending.length - 1] = [{ file: path, depth, up: this.stack.length - 1 }];
      this.enterPending();
      return;
    }
    const matches = this.glob(path).filter((p) => this.host.stat(p) === 'file');
    this.pending[this.pending.length - 1] = matches.map((file) => ({ file, depth, up: this.stack.length - 1 }));
    this.enterPending();
  }

  /** Opens the next file queued by an include of the file on top of the stack, if any. */
  private enterPending(): void {
    const queue = this.pending[this.pending.length - 1]!;
    const item = queue.shift();
    if (!item) return;
    const up = this.stack[item.up]!;
    let text: string;
    try {
      text = this.host.readFile(item.file);
    } catch (e) {
      const code = (e as { code?: string }).code ?? '';
      const why = ERRNO_TEXT[code] ?? (e as Error).message;
      throw new ConfigError(up.file, up.line, 1, `Unable to open included file ${item.file}: ${why}`);
    }
    this.stack.push({ file: item.file, text, pos: 0, line: 1, lineStart: 0, depth: item.depth });
    this.pending.push([]);
    this.files.push(item.file);
  }

  /** glob(3) for the patterns BIRD accepts: wildcards in any component, sorted results. */
  private glob(pattern: string): string[] {
    const abs = pattern.startsWith('/');
    const parts = pattern.split('/').filter((x, i) => x !== '' || i === 0);
    let bases = [abs ? '/' : ''];
    for (let i = abs ? 1 : 0; i < parts.length; i++) {
      const comp = parts[i]!;
      const next: string[] = [];
      for (const base of bases) {
        if (!/[?*[]/.test(comp)) {
          next.push(base === '' ? comp : join(base, comp));
          continue;
        }
        let entries: string[];
        try {
          entries = this.host.readDir(base === '' ? '.' : base);
        } catch {
          continue;
        }
        const re = globComponent(comp);
        for (const e of entries.sort()) {
          if (e.startsWith('.') && !comp.startsWith('.')) continue;
          if (re.test(e)) next.push(base === '' ? e : join(base, e));
        }
      }
      bases = next;
    }
    return bases;
  }
}
