// Tokens of a control-socket command line, as BIRD 1.6's configuration lexer (conf/cf-lex.l)
// cuts them: symbols ([A-Za-z_][A-Za-z0-9_]* or '…'-quoted), numbers, IPv4/IPv6 addresses,
// "text" strings, single-character punctuation. Keywords are matched case-sensitively by
// the parser (1.6's keyword hash uses strcmp), so `SHOW STATUS` is a syntax error.
// Lazy like flex under bison: a token is cut only when the parser asks for it, so an error
// in a later token ("Symbol too long") is reported only if parsing gets that far.
//
// Leaves out: multi-character operators and comments (filter expressions after `where` and
// inside `filter { … }` are taken as raw text by the parser, not tokenised here).

export type TokenKind = 'sym' | 'num' | 'ip4' | 'ip6' | 'text' | 'char' | 'end';

export interface Token {
  readonly kind: TokenKind;
  /** Symbol name (quotes removed), number digits, address text, string contents, the char. */
  readonly value: string;
  /** Offsets into the line (for slicing raw text). */
  readonly start: number;
  readonly end: number;
}

/** A lexical or grammar error: the reply is `9001 <message>`. */
export class CliSyntaxError extends Error {
  override readonly name = 'CliSyntaxError';
}

/** 1.6 SYM_MAX_LEN. */
export const SYM_MAX_LEN = 64;

// flex picks the longest match; on a tie the earlier rule. Order as in cf-lex.l.
const IPV4 = /\d+\.\d+\.\d+\.\d+/y;
const IPV6 = /(?:[0-9a-fA-F]*::|(?:[0-9a-fA-F]*:){3,})(?:\d+\.\d+\.\d+\.\d+|[0-9a-fA-F]*)/y;
const HEX = /0x[0-9a-fA-F]+/y;
const NUM = /\d+/y;
const SYM = /[A-Za-z_][A-Za-z0-9_]*|'[A-Za-z0-9_.-]*'/y;
const CHAR = /[={}:;,.()+*/%<>~[\]?!|&-]/y;
const TEXT = /"[^"\n]*"/y;
const UNTERMINATED = /"[^"\n]*$/y;

type Rule = readonly [RegExp, TokenKind | 'hex' | 'unterminated'];
const RULES: readonly Rule[] = [
  [IPV4, 'ip4'],
  [IPV6, 'ip6'],
  [HEX, 'hex'],
  [NUM, 'num'],
  [SYM, 'sym'],
  [CHAR, 'char'],
  [TEXT, 'text'],
  [UNTERMINATED, 'unterminated'],
];

export type AddressFamilyMode = 'ipv4' | 'ipv6' | 'both';

export class Lexer {
  private pos = 0;
  private peeked: Token | null = null;

  constructor(readonly line: string, private readonly family: AddressFamilyMode = 'both') {}

  peek(): Token {
    if (!this.peeked) this.peeked = this.cut();
    return this.peeked;
  }

  next(): Token {
    const t = this.peek();
    this.peeked = null;
    return t;
  }

  /** The raw text from `offset` to the end of the line; the lexer moves to the end. */
  restFrom(offset: number): string {
    this.peeked = null;
    this.pos = this.line.length;
    return this.line.slice(offset).trim();
  }

  /** Moves to `offset` (after a raw-text slice), dropping any peeked token. */
  seek(offset: number): void {
    this.peeked = null;
    this.pos = offset;
  }

  private cut(): Token {
    const s = this.line;
    while (this.pos < s.length && (s[this.pos] === ' ' || s[this.pos] === '\t')) this.pos++;
    const start = this.pos;
    if (start >= s.length) return { kind: 'end', value: '', start, end: start };
    let best: Rule | null = null;
    let bestLen = 0;
    for (const rule of RULES) {
      rule[0].lastIndex = start;
      const m = rule[0].exec(s);
      if (m && m[0].length > bestLen) {
        best = rule;
        bestLen = m[0].length;
      }
    }
    if (!best) throw new CliSyntaxError('Unexpected character');
    const text = s.slice(start, start + bestLen);
    this.pos = start + bestLen;
    const end = this.pos;
    switch (best[1]) {
      case 'ip4':
        if (!validIPv4(text)) throw new CliSyntaxError(`Invalid IP address ${text}`);
        if (this.family === 'ipv6') {
          // bird6 lexes a dotted quad as a router-id token, which no CLI rule accepts.
          return { kind: 'char', value: text, start, end };
        }
        return { kind: 'ip4', value: text, start, end };
      case 'ip6':
        if (this.family === 'ipv4') throw new CliSyntaxError('This is an IPv4 router, therefore IPv6 addresses are not supported');
        return { kind: 'ip6', value: text, start, end };
      case 'hex':
        return { kind: 'num', value: String(parseInt(text.slice(2), 16)), start, end };
      case 'num':
        return { kind: 'num', value: text, start, end };
      case 'sym': {
        const name = text.startsWith("'") ? text.slice(1, -1) : text;
        if (name.length > SYM_MAX_LEN) throw new CliSyntaxError('Symbol too long');
        return { kind: 'sym', value: name, start, end };
      }
      case 'char':
        return { kind: 'char', value: text, start, end };
      case 'text':
        return { kind: 'text', value: text.slice(1, -1), start, end };
      case 'unterminated':
        throw new CliSyntaxError('Unterminated string');
    }
    throw new CliSyntaxError('syntax error');
  }
}

function validIPv4(text: string): boolean {
  return text.split('.').every((p) => p.length <= 3 && Number(p) <= 255);
}
