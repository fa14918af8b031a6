// A small logger: levels, child loggers with a name prefix (one per protocol/peer), and
// BIRD-style lines on stderr (`bird: <name>: <msg>`) so operators and Calico's log scraping
// see familiar text. Messages are built lazily by callers that check `enabled(level)` on hot
// paths. Leaves out: syslog, log files, structured output.

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

/** A logger that drops everything (default for library users and tests). */
export const nullLogger = new Logger(() => {}, { level: LogLevel.OFF });

/** Collects lines in memory (for tests). */
export function memoryLogger(level: LogLevel = LogLevel.TRACE): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: new Logger((_l, line) => lines.push(line), { level }), lines };
}
