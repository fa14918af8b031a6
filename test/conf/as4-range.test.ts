// BIRD 1.6 bgp_check_config: without the AS4 capability (`enable as4 off`, or `capabilities
// off`) a neighbour AS above 65535 cannot be spoken, and the configuration is refused with
// "Neighbor AS number out of range (AS4 not available)" at the end of the protocol. BIRD has
// no such check for the local AS (its OPEN carries AS_TRANS). Also the `capabilities` option
// as the model keeps it: set or not (unset = on, with the retry without capabilities of
// src/bgp/session.ts), the printer's round trip of both, and what a reload does.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, diffConfigs, parseConfigText, printConfig } from '../../conf/index.js';
import type { BgpProtocolConfig } from '../../conf/model.js';

const quiet = { print: () => {} };
const text = (body: string, neighborAs: number, localAs = 65000) =>
  `router id 192.0.2.1;\nprotocol bgp p {\n  local as ${localAs};\n  neighbor 192.0.2.1 as ${neighborAs};\n${body}\n}\n`;
const parse = (body: string, neighborAs: number, localAs = 65000) => parseConfigText(text(body, neighborAs, localAs), 'bird.conf', quiet);
const bgp = (body: string, neighborAs: number, localAs = 65000) => parse(body, neighborAs, localAs).protocols[0] as BgpProtocolConfig;
const error = (body: string, neighborAs: number, localAs = 65000): string => {
  try {
    parse(body, neighborAs, localAs);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.format();
  }
  assert.fail('parsed');
};

const OUT_OF_RANGE = 'Neighbor AS number out of range (AS4 not available)';

describe('neighbor AS above 65535 without AS4', () => {
  test('enable as4 off + neighbor as 70000: error at the closing brace', () => {
    assert.equal(error('  enable as4 off;', 70000), `bird.conf:6:1 ${OUT_OF_RANGE}`);
  });

  test('capabilities off + neighbor as 70000: the same error (no capabilities, no AS4)', () => {
    assert.equal(error('  capabilities off;', 70000), `bird.conf:6:1 ${OUT_OF_RANGE}`);
  });

  test('the limit is 65535: accepted with enable as4 off', () => {
    const p = bgp('  enable as4 off;', 65535);
    assert.deepEqual([p.neighborAs, p.enableAs4], [65535, false]);
    assert.equal(error('  enable as4 off;', 65536), `bird.conf:6:1 ${OUT_OF_RANGE}`);
  });

  test('enable as4 on (and the default) accept 70000 and 4-octet ASes', () => {
    assert.equal(bgp('  enable as4 on;', 70000).neighborAs, 70000);
    assert.equal(bgp('', 70000).neighborAs, 70000);
    assert.equal(bgp('  capabilities on;', 4200000001).neighborAs, 4200000001);
  });

  test('no check for the local AS (BIRD 1.6 sends AS_TRANS)', () => {
    const p = bgp('  enable as4 off;', 65001, 70000);
    assert.deepEqual([p.localAs, p.neighborAs], [70000, 65001]);
  });

  test('options from a template count; the error points at the protocol that uses it', () => {
    const src = 'router id 192.0.2.1;\ntemplate bgp t { local as 65000; enable as4 off; }\nprotocol bgp a from t { neighbor 192.0.2.2 as 65001; }\nprotocol bgp b from t {\n  neighbor 192.0.2.3 as 70000;\n}\n';
    try {
      parseConfigText(src, 'bird.conf', quiet);
      assert.fail('parsed');
    } catch (e) {
      assert.ok(e instanceof ConfigError, String(e));
      assert.equal(e.format(), `bird.conf:6:1 ${OUT_OF_RANGE}`);
    }
    // A later `enable as4 on` in the protocol lifts it.
    const ok = parseConfigText(src.replace('as 70000;', 'as 70000; enable as4 on;'), 'bird.conf', quiet);
    assert.equal((ok.protocols[1] as BgpProtocolConfig).neighborAs, 70000);
  });
});

describe('capabilities: set or not', () => {
  test('unset: on, not set; `capabilities on` / `off`: set', () => {
    assert.deepEqual([bgp('', 65001).capabilities, bgp('', 65001).capabilitiesSet], [true, false]);
    assert.deepEqual([bgp('  capabilities on;', 65001).capabilities, bgp('  capabilities on;', 65001).capabilitiesSet], [true, true]);
    assert.deepEqual([bgp('  capabilities off;', 65001).capabilities, bgp('  capabilities off;', 65001).capabilitiesSet], [false, true]);
  });

  test('the printer keeps the difference through a round trip', () => {
    for (const body of ['', '  capabilities on;', '  capabilities off;']) {
      const once = parse(body, 65001);
      const printed = printConfig(once);
      const again = parseConfigText(printed, 'again.conf', quiet);
      const [a, b] = [once.protocols[0] as BgpProtocolConfig, again.protocols[0] as BgpProtocolConfig];
      assert.deepEqual([b.capabilities, b.capabilitiesSet], [a.capabilities, a.capabilitiesSet], `body ${JSON.stringify(body)}`);
      assert.equal(printConfig(again), printed);
    }
    assert.doesNotMatch(printConfig(parse('', 65001)), /^\s*capabilities on;/m);
    assert.match(printConfig(parse('  capabilities on;', 65001)), /^\s*capabilities on;/m);
  });

  test('reload: unset → `capabilities on` restarts the protocol (BIRD compares 2 with 1)', () => {
    const action = (a: string, b: string) => diffConfigs(parse(a, 65001), parse(b, 65001)).protocols[0]!.action;
    assert.equal(action('', '  capabilities on;'), 'restart');
    assert.equal(action('  capabilities on;', '  capabilities on;'), 'unchanged');
    assert.equal(action('', ''), 'unchanged');
  });
});
