// A small logger: levels, child loggers with a name prefix (one per protocol/peer), and
// BIRD-style lines on stderr (`bird: <name>: <msg>`) so operators and Calico's log scraping
// see familiar text. Messages are built lazily by callers that check `enabled(level)` on hot
// paths. The configuration's `log` statements (BIRD 1.6: `log stderr|"<file>"|syslog
// all|{ <classes> };`) route the lines by class (LogRouter); without any, every line from
// `info` up goes to stderr. Leaves out: syslog (such a statement is ignored with a warning),
// the `remote` and `auth` classes (Wren files nothing under them).

import { closeSync, openSync, writeSync } from 'node:fs';

export const enum LogLevel {
  TRACE = 0,
  DEBUG = 1,
  INFO = 2,
  WARN = 3,
  ERROR = 4,
  OFF = 5,
}

export type LogSink = (level: LogLevel, line: string) => void;

const LEVEL_NAMES = ['trace', 'debug', 'info', 'warn', 'error', 'off'] as const;

export function parseLogLevel(text: string): LogLevel {
  const i = (LEVEL_NAMES as readonly string[]).indexOf(text.toLowerCase());
  return i < 0 ? LogLevel.INFO : (i as LogLevel);
}

/** Writes `bird: <line>` to stderr (BIRD's own prefix when logging to stderr). */
export const stderrSink: LogSink = (_level, line) => {
  process.stderr.write(`bird: ${line}\n`);
};

export class Logger {
  constructor(
    private readonly sink: LogSink = stderrSink,
    /** Shared, so that changing the root level changes every child. */
    private readonly shared: { level: LogLevel } = { level: LogLevel.INFO },
    readonly prefix = '',
  ) {}

  get level(): LogLevel {
    return this.shared.level;
  }
  set level(l: LogLevel) {
    this.shared.level = l;
  }

  enabled(level: LogLevel): boolean {
    return level >= this.shared.level;
  }

  /** A logger whose lines start with `name: ` (nested children join with `: `). */
  child(name: string): Logger {
    return new Logger(this.sink, this.shared, this.prefix ? `${this.prefix}: ${name}` : name);
  }

  log(level: LogLevel, msg: string): void {
    if (level < this.shared.level) return;
    this.sink(level, this.prefix ? `${this.prefix}: ${msg}` : msg);
  }
  trace(msg: string): void { this.log(LogLevel.TRACE, msg); }
  debug(msg: string): void { this.log(LogLevel.DEBUG, msg); }
  info(msg: string): void { this.log(LogLevel.INFO, msg); }
  warn(msg: string): void { this.log(LogLevel.WARN, msg); }
  error(msg: string): void { this.log(LogLevel.ERROR, msg); }
}

/** A `log` statement's file cannot be opened (the configuration is refused, as BIRD does). */
export class LogFileError extends Error {}

/** BIRD's log class of each level (TRACE .. ERROR). */
const BIRD_CLASSES: readonly string[] = ['trace', 'debug', 'info', 'warning', 'error'];
const classOf = (level: LogLevel): string => BIRD_CLASSES[level] ?? 'info';

/** One `log` statement: 'stderr', 'syslog…' or a file name, and `all` or its classes. */
export interface LogStatement {
  readonly target: string;
  readonly classes: 'all' | readonly string[];
}

interface LogRoute {
  readonly accepts: (level: LogLevel) => boolean;
  readonly write: (level: LogLevel, line: string) => void;
}

/** BIRD 1.6's file line: `2026-11-27 05:40:00 <INFO> name: message`. */
function fileLine(level: LogLevel, line: string): string {
  const d = new Date(), p = (n: number) => String(n).padStart(2, '0');
  const ts = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  return `${ts} <${classOf(level).toUpperCase()}> ${line}\n`;
}

/**
 * The daemon's sink: sends each line to the targets of the configuration's `log` statements
 * whose classes include the line's, or, with no statement, to `stderr` from `info` up (as
 * Wren always did). `-d` (debug) adds the debug and trace lines on stderr either way.
 * Sets the shared level to the lowest class any target takes, so that callers checking
 * `enabled()` build no line nobody writes.
 */
export class LogRouter {
  private routes: readonly LogRoute[] | null = null;
  private files: number[] = [];

  constructor(
    private readonly stderr: LogSink,
    private readonly shared: { level: LogLevel },
    private readonly debug: boolean,
  ) {
    shared.level = debug ? LogLevel.DEBUG : LogLevel.INFO;
  }

  readonly sink: LogSink = (level, line) => {
    if (this.routes === null) {
      this.stderr(level, line);
      return;
    }
    let toStderr = this.debug && level <= LogLevel.DEBUG;
    for (const r of this.routes) {
      if (!r.accepts(level)) continue;
      if (r.write === this.stderr) toStderr = true; // once, however many statements name it
      else r.write(level, line);
    }
    if (toStderr) this.stderr(level, line);
  };

  /**
   * Applies a configuration's `log` statements. Throws (and keeps the routes it had) when a
   * log file cannot be opened, as BIRD rejects such a configuration. Returns warnings.
   */
  configure(statements: readonly LogStatement[]): string[] {
    const warnings: string[] = [];
    if (statements.length === 0) {
      this.replace(null, []);
      return warnings;
    }
    const routes: LogRoute[] = [];
    const files: number[] = [];
    try {
      for (const st of statements) {
        const cs = st.classes;
        const accepts = cs === 'all' ? () => true : (level: LogLevel) => cs.includes(classOf(level));
        if (st.target === 'stderr') routes.push({ accepts, write: this.stderr });
        else if (st.target.startsWith('syslog')) warnings.push(`log ${st.target}: syslog is not supported, ignored`);
        else {
          let fd: number;
          try {
            fd = openSync(st.target, 'a');
          } catch (e) {
            throw new LogFileError(`Unable to open log file \`${st.target}': ${(e as Error).message}`);
          }
          files.push(fd);
          routes.push({ accepts, write: (level, line) => writeSync(fd, fileLine(level, line)) });
        }
      }
    } catch (e) {
      for (const fd of files) closeSync(fd);
      throw e;
    }
    this.replace(routes, files);
    return warnings;
  }

  private replace(routes: readonly LogRoute[] | null, files: number[]): void {
    for (const fd of this.files) closeSync(fd);
    this.routes = routes;
    this.files = files;
    let lowest: LogLevel = this.debug ? LogLevel.DEBUG : LogLevel.OFF;
    if (routes === null) lowest = Math.min(lowest, LogLevel.INFO);
    else for (const r of routes) for (let l = LogLevel.TRACE; l <= LogLevel.ERROR; l++) if (r.accepts(l)) lowest = Math.min(lowest, l);
    this.shared.level = lowest;
  }
}

/** A logger that drops everything (default for library users and tests). */
export const nullLogger = new Logger(() => {}, { level: LogLevel.OFF });

/** Collects lines in memory (for tests). */
export function memoryLogger(level: LogLevel = LogLevel.TRACE): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: new Logger((_l, line) => lines.push(line), { level }), lines };
}
