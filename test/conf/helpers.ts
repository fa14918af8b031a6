// Shared helpers for the conf/ tests: fixture paths, in-memory file systems, routes.

import { fileURLToPath } from 'node:url';
import { dirname, join, posix } from 'node:path';
import { parsePrefix, parseAddress } from '../../src/rib/prefix.js';
import { parseConfigText } from '../../conf/index.js';
import type { Config, FilterRoute, FilterAttrs, ParseOptions } from '../../conf/index.js';
import { RouteDest, RouteSource } from '../../conf/filter/route.js';

export const HERE = dirname(fileURLToPath(import.meta.url));
export const FIXTURES = join(HERE, 'fixtures');
export const GOLDEN = join(HERE, 'golden');

/** Fixture name → [main file, dialect]. */
export const EXAMPLES: readonly (readonly [string, string, 'ipv4' | 'ipv6'])[] = [
  ['mesh-node', 'mesh-node.conf', 'ipv4'],
  ['route-reflector', 'route-reflector.conf', 'ipv4'],
  ['include-split', 'include-split/main.conf', 'ipv4'],
  ['tor-ebgp', 'tor-ebgp.conf', 'ipv4'],
  ['ipv6-node', 'ipv6-node.conf', 'ipv6'],
];

/** Parses text with an in-memory file system (for include tests and broken configs). */
export function parseMem(files: Record<string, string>, main: string, opts: ParseOptions = {}): Config {
  const readFile = (p: string) => {
    const k = posix.normalize(p);
    if (!(k in files)) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    return files[k]!;
  };
  const readDir = (d: string) => {
    const pre = d === '.' ? '' : d.replace(/^\.\//, '') + '/';
    return Object.keys(files).filter((k) => k.startsWith(pre) && !k.slice(pre.length).includes('/')).map((k) => k.slice(pre.length));
  };
  return parseConfigText(files[main]!, main, { readFile, readDir, stat: (p) => (posix.normalize(p) in files ? 'file' : undefined), ...opts });
}

export interface RouteSpec {
  net: string;
  source?: RouteSource;
  proto?: string;
  preference?: number;
  gw?: string;
  ifname?: string;
  dest?: RouteDest;
  attrs?: FilterAttrs;
}

export function route(s: RouteSpec): FilterRoute {
  return {
    net: parsePrefix(s.net),
    source: s.source ?? RouteSource.RTS_INHERIT,
    proto: s.proto ?? 'kernel1',
    preference: s.preference ?? 10,
    ...(s.gw ? { gw: parseAddress(s.gw) } : {}),
    ifname: s.ifname ?? '',
    dest: s.dest ?? RouteDest.RTD_DEVICE,
    attrs: s.attrs ?? {},
  };
}

export const ip = parseAddress;
