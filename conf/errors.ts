// Configuration errors in BIRD's form. BIRD 1.6 reports every parse failure as
// `<file>:<line>:<col> <message>` (sysdep/unix/main.c, `bird -p` and reload) where the
// column is the 1-based start of the token the lexer read last. ConfigError carries the
// same four parts and `format()` returns exactly that line; it never carries a useful stack.
// Leaves out: warnings (BIRD 1.6 has none at parse time).

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** Stable code for callers that switch on error kinds (DESIGN.md §4). */
  readonly code = 'ECONFIG';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly col: number,
    /** The bare BIRD-style message, e.g. `syntax error`. */
    message: string,
  ) {
    super(message);
  }

  /** `<file>:<line>:<col> <message>`, as `bird -p` prints it after `bird: `. */
  format(): string {
    return `${this.file}:${this.line}:${this.col} ${this.message}`;
  }
}

/** A place in the configuration text, for errors raised after lexing. */
export interface SourcePos {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export const errorAt = (pos: SourcePos, message: string): ConfigError =>
  new ConfigError(pos.file, pos.line, pos.col, message);
