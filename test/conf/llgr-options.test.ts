// `long lived graceful restart [on|off|aware]` and `long lived stale time n` in `protocol bgp`
// (RFC 9494; BIRD 1.6.4+ and 2 syntax): defaults as BIRD's bgp_postconfig sets them (aware
// with graceful restart, off without), the check that LLGR needs graceful restart, the range
// of the stale time, templates, the printer's round trip, and the reload plan (a change
// restarts the session, as every session option does).

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, diffConfigs, parseConfigText, printConfig } from '../../conf/index.js';
import type { BgpProtocolConfig } from '../../conf/model.js';

const quiet = { print: () => {} };
const parse = (body: string, pre = '') =>
  parseConfigText(`router id 192.0.2.1;\n${pre}\nprotocol bgp p {\n  local as 65000;\n  neighbor 192.0.2.2 as 65001;\n${body}\n}\n`, 'bird.conf', quiet);
const bgp = (body: string, pre = '') => parse(body, pre).protocols[0] as BgpProtocolConfig;
const error = (body: string): string => {
  try {
    parse(body);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.format();
  }
  assert.fail('parsed');
};

describe('long lived graceful restart options', () => {
  test('defaults: aware and 3600 s with graceful restart (aware or on), off without it', () => {
    assert.deepEqual([bgp('').longLivedGracefulRestart, bgp('').longLivedStaleTime], ['aware', 3600]);
    assert.equal(bgp('graceful restart on;').longLivedGracefulRestart, 'aware');
    assert.equal(bgp('graceful restart aware;').longLivedGracefulRestart, 'aware');
    assert.equal(bgp('graceful restart off;').longLivedGracefulRestart, 'off');
  });

  test('on / yes / bare → able, off / no → off, aware', () => {
    assert.equal(bgp('long lived graceful restart on;').longLivedGracefulRestart, 'able');
    assert.equal(bgp('long lived graceful restart yes;').longLivedGracefulRestart, 'able');
    assert.equal(bgp('long lived graceful restart;').longLivedGracefulRestart, 'able');
    assert.equal(bgp('long lived graceful restart off;').longLivedGracefulRestart, 'off');
    assert.equal(bgp('long lived graceful restart no;').longLivedGracefulRestart, 'off');
    assert.equal(bgp('long lived graceful restart on;\n long lived graceful restart aware;').longLivedGracefulRestart, 'aware');
    assert.equal(bgp('long lived stale time 86400;').longLivedStaleTime, 86400);
    assert.equal(bgp('long lived stale time 0;').longLivedStaleTime, 0);
    assert.equal(bgp('long lived stale time 16777215;').longLivedStaleTime, 16777215);
  });

  test('graceful restart off with LLGR on or aware is refused at the closing brace (BIRD bgp_postconfig)', () => {
    assert.equal(error('graceful restart off; long lived graceful restart on;'), 'bird.conf:7:1 Long-lived graceful restart requires basic graceful restart');
    assert.equal(error('graceful restart off; long lived graceful restart aware;'), 'bird.conf:7:1 Long-lived graceful restart requires basic graceful restart');
    assert.equal(bgp('graceful restart off; long lived graceful restart off;').longLivedGracefulRestart, 'off');
  });

  test('stale time out of the 24-bit range, and bad syntax', () => {
    assert.equal(error('long lived stale time 16777216;'), 'bird.conf:6:23 Long-lived stale time must be in range 0-16777215');
    assert.match(error('long lived restart on;'), /^bird\.conf:6:12 syntax error$/);
    assert.match(error('long graceful restart on;'), /^bird\.conf:6:6 syntax error$/);
  });

  test('templates pass the options on', () => {
    const p = bgp('', 'template bgp t { long lived graceful restart on; long lived stale time 120; }').longLivedGracefulRestart;
    assert.equal(p, 'aware', 'not from a template the protocol does not use');
    const c = parseConfigText(
      'router id 192.0.2.1;\ntemplate bgp t { local as 65000; long lived graceful restart on; long lived stale time 120; }\nprotocol bgp p from t { neighbor 192.0.2.2 as 65001; }\n',
      'bird.conf', quiet,
    );
    const b = c.protocols[0] as BgpProtocolConfig;
    assert.deepEqual([b.longLivedGracefulRestart, b.longLivedStaleTime], ['able', 120]);
  });

  test('printed and parsed back unchanged', () => {
    for (const body of ['', 'long lived graceful restart on; long lived stale time 99;', 'graceful restart off;', 'long lived graceful restart off;']) {
      const c = parse(body);
      const printed = printConfig(c);
      const b = c.protocols[0] as BgpProtocolConfig;
      assert.match(printed, new RegExp(`long lived graceful restart ${b.longLivedGracefulRestart === 'able' ? 'on' : b.longLivedGracefulRestart};`));
      assert.match(printed, new RegExp(`long lived stale time ${b.longLivedStaleTime};`));
      assert.equal(printConfig(parseConfigText(printed, 'again.conf', quiet)), printed);
    }
  });

  test('a changed LLGR option restarts the session on reload; an identical one changes nothing', () => {
    const a = parse('long lived graceful restart on;');
    assert.equal(diffConfigs(a, parse('long lived graceful restart on;')).protocols[0]!.action, 'unchanged');
    assert.equal(diffConfigs(a, parse('long lived graceful restart aware;')).protocols[0]!.action, 'restart');
    assert.equal(diffConfigs(a, parse('long lived graceful restart on; long lived stale time 10;')).protocols[0]!.action, 'restart');
    // The default written out is the same configuration.
    assert.equal(diffConfigs(parse(''), parse('long lived graceful restart aware; long lived stale time 3600;')).protocols[0]!.action, 'unchanged');
  });
});
