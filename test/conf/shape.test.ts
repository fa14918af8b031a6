// Protocol configurations have one shape per protocol type: the same keys in the same order
// whatever options are set (conf/parser.ts finish), so code reading them sees one hidden
// class, and the JIT warm-up's protocols (src/warmup.ts) the same one as configured ones.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseConfigText } from '../../conf/index.js';

test('every BGP protocol has the same keys in the same order, from the barest to one with every optional setting', () => {
  const cfg = parseConfigText(`
router id 192.0.2.1;
template bgp t { local as 65000; source address 192.0.2.1; }
protocol bgp bare { local as 65000; neighbor 192.0.2.2 as 65001; }
protocol bgp full from t {
  description "all options";
  neighbor 192.0.2.3 as 65000;
  password "secret";
  rr client; rr cluster id 1.1.1.1;
  receive limit 10 action warn; import limit 20; export limit 30 action block;
}
protocol bgp limits_off { local as 65000; neighbor 192.0.2.4 as 65002; import limit off; }
`, 'shape.conf', { dialect: 'ipv4' });
  const [bare, ...others] = cfg.protocols;
  for (const p of others) assert.deepEqual(Object.keys(p), Object.keys(bare!), p.name);
  const full = cfg.protocols[1] as unknown as Record<string, unknown>;
  assert.equal(full.sourceAddress, '192.0.2.1');
  assert.equal(full.password, 'secret');
  assert.deepEqual(full.exportLimit, { limit: 30, action: 'block' });
  assert.equal((bare as unknown as Record<string, unknown>).password, undefined);
  assert.equal((cfg.protocols[2] as unknown as Record<string, unknown>).importLimit, undefined, '`import limit off` is no limit');
});
