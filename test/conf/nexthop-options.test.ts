// Next-hop related `protocol bgp` options of BIRD 1.6 (proto/bgp/config.Y, bgp_check_config):
// `direct` (multihop 0: a single-hop session, also for iBGP, whose default gateway mode is then
// direct), `missing lladdr self|drop|ignore` (default `ignore` for `rs client`, else `self`),
// and `next hop self` / `next hop keep`, each of which clears the other. Defaults, templates,
// errors with file:line:col, the printer's round trip and the reload plan. Also the filter
// side of next hops: writing bgp_next_hop drops the link-local address (BIRD replaces the
// whole 32-octet attribute).

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, diffConfigs, parseConfigText, printConfig } from '../../conf/index.js';
import type { BgpProtocolConfig } from '../../conf/model.js';
import type { FilterAttrs } from '../../conf/index.js';
import { route } from './helpers.js';
import { parseAddress, formatAddress } from '../../src/rib/prefix.js';
import { RouteSource } from '../../conf/filter/route.js';

const quiet = { print: () => {} };
const parse = (body: string, as = 65001, pre = '') =>
  parseConfigText(`router id 192.0.2.1;\n${pre}\nprotocol bgp p {\n  local as 65000;\n  neighbor 192.0.2.2 as ${as};\n${body}\n}\n`, 'bird.conf', quiet);
const bgp = (body: string, as = 65001) => parse(body, as).protocols[0] as BgpProtocolConfig;
const ibgp = (body: string) => bgp(body, 65000);
const error = (body: string, as = 65001): string => {
  try {
    parse(body, as);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.format();
  }
  assert.fail('parsed');
};

describe('direct', () => {
  test('iBGP: multihop 64 and gateway recursive by default; `direct` makes it multihop 0 with gateway direct', () => {
    assert.deepEqual([ibgp('').multihop, ibgp('').gateway], [64, 'recursive']);
    assert.deepEqual([ibgp('direct;').multihop, ibgp('direct;').gateway], [0, 'direct']);
    assert.equal(ibgp('direct; gateway recursive;').gateway, 'recursive', 'an explicit gateway mode stays');
  });

  test('eBGP: already direct; `direct` changes nothing', () => {
    assert.deepEqual([bgp('direct;').multihop, bgp('direct;').gateway], [bgp('').multihop, bgp('').gateway]);
    assert.equal(bgp('direct;').multihop, 0);
  });

  test('`direct` and `multihop` write one option: the last one wins', () => {
    assert.equal(ibgp('direct; multihop 2;').multihop, 2);
    assert.equal(ibgp('multihop 2; direct;').multihop, 0);
    assert.equal(bgp('multihop; direct;').multihop, 0);
    assert.equal(bgp('direct; multihop;').multihop, 64);
  });

  test('errors: `direct` takes no argument; multihop with gateway direct is refused at the closing brace', () => {
    assert.equal(error('direct 2;', 65000), 'bird.conf:6:8 syntax error');
    assert.equal(error('direct; multihop 3; gateway direct;', 65000), 'bird.conf:7:1 Multihop BGP cannot use direct gateway mode');
    assert.equal(ibgp('multihop 3; direct; gateway direct;').gateway, 'direct');
  });

  test('from a template', () => {
    const c = parseConfigText(
      'router id 192.0.2.1;\ntemplate bgp mesh { local as 65000; direct; }\nprotocol bgp a from mesh { neighbor 192.0.2.2 as 65000; }\nprotocol bgp b from mesh { neighbor 192.0.2.3 as 65000; multihop; }\n',
      'bird.conf', quiet,
    );
    const [a, b] = c.protocols as BgpProtocolConfig[];
    assert.deepEqual([a!.multihop, a!.gateway, b!.multihop, b!.gateway], [0, 'direct', 64, 'recursive']);
  });
});

describe('missing lladdr', () => {
  test('defaults: self, ignore for rs client (bgp_check_config)', () => {
    assert.equal(bgp('').missingLladdr, 'self');
    assert.equal(bgp('rs client;').missingLladdr, 'ignore');
    assert.equal(ibgp('').missingLladdr, 'self');
  });

  test('self, drop, ignore; an explicit value beats the rs client default, in any order', () => {
    assert.equal(bgp('missing lladdr self;').missingLladdr, 'self');
    assert.equal(bgp('missing lladdr drop;').missingLladdr, 'drop');
    assert.equal(bgp('missing lladdr ignore;').missingLladdr, 'ignore');
    assert.equal(bgp('missing lladdr self; rs client;').missingLladdr, 'self');
    assert.equal(bgp('rs client; missing lladdr drop;').missingLladdr, 'drop');
    assert.equal(bgp('missing lladdr drop; missing lladdr ignore;').missingLladdr, 'ignore');
  });

  test('bad values and bad syntax: file:line:col syntax error', () => {
    assert.equal(error('missing lladdr keep;'), 'bird.conf:6:16 syntax error');
    assert.equal(error('missing lladdr;'), 'bird.conf:6:15 syntax error');
    assert.equal(error('missing lladdr "self";'), 'bird.conf:6:16 syntax error');
    assert.equal(error('missing self;'), 'bird.conf:6:9 syntax error');
    assert.equal(error('missing lladdr self drop;'), 'bird.conf:6:21 syntax error');
  });
});

describe('next hop self / keep', () => {
  test('each clears the other (BIRD 1.6 config.Y): the last one written wins, also over a template', () => {
    assert.deepEqual([bgp('next hop self; next hop keep;').nextHopSelf, bgp('next hop self; next hop keep;').nextHopKeep], [false, true]);
    assert.deepEqual([bgp('next hop keep; next hop self;').nextHopSelf, bgp('next hop keep; next hop self;').nextHopKeep], [true, false]);
    const c = parseConfigText(
      'router id 192.0.2.1;\ntemplate bgp t { local as 65000; next hop self; }\nprotocol bgp a from t { neighbor 192.0.2.2 as 65000; next hop keep; }\n',
      'bird.conf', quiet,
    );
    const a = c.protocols[0] as BgpProtocolConfig;
    assert.deepEqual([a.nextHopSelf, a.nextHopKeep], [false, true]);
  });
});

describe('printing and reloading', () => {
  test('printed and parsed back unchanged', () => {
    for (const [body, as] of [
      ['direct;', 65000], ['', 65000], ['direct;', 65001], ['missing lladdr drop;', 65001], ['rs client;', 65001],
      ['rs client; missing lladdr self;', 65001], ['direct; missing lladdr ignore; next hop keep;', 65000],
    ] as const) {
      const c = parse(body, as);
      const printed = printConfig(c);
      const b = c.protocols[0] as BgpProtocolConfig;
      assert.match(printed, new RegExp(`  missing lladdr ${b.missingLladdr};`));
      if (as === 65000) assert.equal(printed.includes('  direct;'), b.multihop === 0, body);
      const again = parseConfigText(printed, 'again.conf', quiet).protocols[0] as BgpProtocolConfig;
      assert.deepEqual([again.multihop, again.gateway, again.missingLladdr, again.nextHopKeep], [b.multihop, b.gateway, b.missingLladdr, b.nextHopKeep], body);
      assert.equal(printConfig(parseConfigText(printed, 'again.conf', quiet)), printed);
    }
  });

  test('a changed option restarts the session on reload; the default written out changes nothing', () => {
    const action = (a: string, b: string, as = 65001) => diffConfigs(parse(a, as), parse(b, as)).protocols[0]!.action;
    assert.equal(action('', 'missing lladdr drop;'), 'restart');
    assert.equal(action('', 'missing lladdr self;'), 'unchanged');
    assert.equal(action('rs client;', 'rs client; missing lladdr ignore;'), 'unchanged');
    assert.equal(action('', 'direct;', 65000), 'restart');
    assert.equal(action('', 'direct;', 65001), 'unchanged');
  });
});

describe('bgp_next_hop written by a filter', () => {
  const filterOf = (body: string) =>
    (parseConfigText(`router id 192.0.2.1;\nfilter f { ${body} }\nprotocol bgp p { local as 65000; neighbor fd00:1::2 as 65001; import filter f; }\n`, 'bird.conf', { ...quiet, dialect: 'ipv6' })
      .protocols[0] as BgpProtocolConfig).import;
  type WithLl = FilterAttrs & { nextHopLinkLocal?: Uint8Array };
  const rx: WithLl = { origin: 0, nextHop: parseAddress('fd00:1::2'), localPref: 100, nextHopLinkLocal: parseAddress('fe80::2') };
  const run = (body: string) => filterOf(body).run(route({ net: 'fd10:1::/64', source: RouteSource.RTS_BGP, attrs: rx }));

  test('a write drops the link-local address beside it, even of the same address; the input is not touched', () => {
    for (const body of ['bgp_next_hop = fd00:1::9; accept;', 'bgp_next_hop = bgp_next_hop; accept;']) {
      const r = run(body);
      assert.equal(r.accepted, true);
      assert.equal((r.attrs as WithLl).nextHopLinkLocal, undefined, body);
      assert.notEqual(r.attrs.nextHop, undefined);
    }
    assert.equal(formatAddress(run('bgp_next_hop = fd00:1::9; accept;').attrs.nextHop!), 'fd00:1::9');
    assert.equal(formatAddress(rx.nextHopLinkLocal!), 'fe80::2');
  });

  test('other writes, reads and no writes keep it', () => {
    assert.equal(formatAddress((run('bgp_local_pref = 5; accept;').attrs as WithLl).nextHopLinkLocal!), 'fe80::2');
    assert.equal(run('if bgp_next_hop = fd00:1::2 then accept; reject;').attrs, rx);
  });
});
