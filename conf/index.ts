// Public API of the configuration language: load and parse BIRD 1.6-dialect files into
// the typed model (model.ts) with filters compiled to closures, print the model
// canonically, and plan a reload between two models. Everything the daemon needs from
// conf/ is exported here; the modules behind it are free to change.
// Leaves out: watching files (the daemon reloads on SIGHUP).

import { readFileSync, readdirSync, statSync } from 'node:fs';
import { Parser } from './parser.js';
import { ConfigError as ConfigErrorImpl } from './errors.js';
import type { ParseOptions } from './parser.js';
import type { Config } from './model.js';

export { ConfigError } from './errors.js';
export { printConfig } from './print.js';
export { diffConfigs } from './diff.js';
export type { ReloadPlan, ProtocolChange, ReloadAction } from './diff.js';
export type { ParseOptions } from './parser.js';
export type { Dialect } from './lexer.js';
export type {
  Config, ProtocolConfig, ProtocolType, ProtocolBase, BgpProtocolConfig, KernelProtocolConfig, DeviceProtocolConfig,
  DirectProtocolConfig, StaticProtocolConfig, StaticRoute, InterfacePattern, GracefulRestartMode, DebugFlag,
  ListenConfig, LogConfig, FunctionConfig, FilterConfig,
} from './model.js';
export { formatRouterId } from './model.js';
export type { CompiledFilter, FilterRoute, FilterResult, FilterAttrs, FilterKind } from './filter/route.js';
export { RouteSource, RouteDest } from './filter/route.js';

const fsHost = {
  readFile: (p: string) => readFileSync(p, 'utf8'),
  readDir: (p: string) => readdirSync(p),
  stat: (p: string): 'file' | 'dir' | undefined => {
    try {
      return statSync(p).isDirectory() ? 'dir' : 'file';
    } catch {
      return undefined;
    }
  },
};

const stderrPrint = (line: string) => {
  process.stderr.write(`bird: ${line}\n`);
};

/**
 * Parses configuration text. `fileName` is used in error messages and to resolve
 * `include` (relative to its directory). Throws ConfigError.
 */
export function parseConfigText(text: string, fileName = 'bird.conf', opts: ParseOptions = {}): Config {
  const host = {
    readFile: opts.readFile ?? fsHost.readFile,
    readDir: opts.readDir ?? fsHost.readDir,
    stat: opts.stat ?? (opts.readFile ? (p: string) => { try { opts.readFile!(p); return 'file' as const; } catch { return undefined; } } : fsHost.stat),
  };
  return new Parser(text, fileName, host, opts.dialect ?? 'auto', opts.print ?? stderrPrint).parse();
}

/**
 * Reads and parses a configuration file (BIRD's `-c`). A main file that cannot be read
 * is reported as `<path>:1:1 Unable to open configuration file <path>: <reason>`.
 */
export function loadConfig(path: string, opts: ParseOptions = {}): Config {
  let text: string;
  try {
    text = (opts.readFile ?? fsHost.readFile)(path);
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === 'ENOENT' ? 'No such file or directory' : code === 'EACCES' ? 'Permission denied' : (e as Error).message;
    throw new ConfigErrorImpl(path, 1, 1, `Unable to open configuration file ${path}: ${why}`);
  }
  return parseConfigText(text, path, opts);
}
