// Broken configurations: each must fail with exactly BIRD's `<file>:<line>:<col> <message>`
// (ConfigError.format()), the column pointing at the offending token, and never with any
// other kind of exception.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../conf/index.js';
import { parseMem } from './helpers.js';

const BGP_OK = 'protocol bgp p { local as 1; neighbor 192.0.2.1 as 2; }\n';

/** [title, files (main is "bird.conf"), expected formatted error, dialect?] */
const CASES: [string, Record<string, string>, string, ('ipv4' | 'ipv6' | 'auto')?][] = [
  ['syntax error: missing semicolon', { 'bird.conf': 'router id 1.2.3.4\nprotocol device {}\n' }, 'bird.conf:2:1 syntax error'],
  ['syntax error: unknown top-level word', { 'bird.conf': 'router id 1.2.3.4;\nfoo bar;\n' }, 'bird.conf:2:1 syntax error'],
  ['unknown symbol in an expression', { 'bird.conf': 'filter f { if nett ~ 10.0.0.0/8 then accept; reject; }\n' }, 'bird.conf:1:15 nett: variable expected.'],
  ['undefined filter', { 'bird.conf': 'protocol kernel { export filter calico_kernel_programming; }\n' }, 'bird.conf:1:33 No such filter.'],
  ['filter referenced before its definition (one pass)', {
    'bird.conf': 'protocol kernel { export filter f; }\nfilter f { accept; }\n',
  }, 'bird.conf:1:33 No such filter.'],
  ['call of a function defined later', {
    'bird.conf': 'function a() { b(); }\nfunction b() { accept; }\n',
  }, "bird.conf:1:16 You can't call something which is not a function. Really."],
  ['duplicate protocol name', { 'bird.conf': `${BGP_OK}protocol bgp p { local as 1; neighbor 192.0.2.2 as 2; }\n` }, 'bird.conf:2:14 Symbol already defined'],
  ['protocol name clashing with a filter', { 'bird.conf': 'filter x { accept; }\nprotocol device x { }\n' }, 'bird.conf:2:17 Symbol already defined'],
  ['bad prefix: host bits set', { 'bird.conf': 'filter f { if net ~ 10.48.7.1/26 then accept; reject; }\n' }, 'bird.conf:1:21 Invalid network prefix: 10.48.7.1/26.'],
  ['bad prefix length in a static route', { 'bird.conf': 'protocol static { route 10.0.0.0/33 blackhole; }\n' }, 'bird.conf:1:34 Invalid prefix length 33'],
  ['static route with host bits', { 'bird.conf': 'protocol static { route 10.0.0.1/8 blackhole; }\n' }, 'bird.conf:1:25 Invalid prefix'],
  ['bad IPv4 address', { 'bird.conf': 'router id 192.0.2.300;\n' }, 'bird.conf:1:11 Invalid IP address 192.0.2.300'],
  ['IPv6 literal in the IPv4 daemon', { 'bird.conf': 'router id 1.1.1.1;\nprotocol bgp p { local as 1; neighbor fd00::1 as 1; }\n' },
    'bird.conf:2:39 This is an IPv4 router, therefore IPv6 addresses are not supported', 'ipv4'],
  ['dotted quad as neighbor in the IPv6 daemon', { 'bird.conf': 'protocol bgp p { local as 1; neighbor 192.0.2.1 as 1; }\n' },
    'bird.conf:1:39 syntax error', 'ipv6'],
  ['missing include', { 'bird.conf': 'router id 1.2.3.4;\ninclude "missing.cfg";\n' },
    'bird.conf:2:1 Unable to open included file ./missing.cfg: No such file or directory'],
  ['missing include in a subdirectory names the resolved path', { 'etc/bird.conf': '  include "frag.conf";\n' },
    'etc/bird.conf:1:1 Unable to open included file etc/frag.conf: No such file or directory'],
  ['include not at the start of a line', { 'bird.conf': 'router id 1.2.3.4; include "x.conf";\n', 'x.conf': '' }, 'bird.conf:1:20 syntax error'],
  ['error inside an included file reports that file', {
    'bird.conf': 'router id 1.2.3.4;\ninclude "frag.conf";\n', 'frag.conf': '# fragment\nprotocol kernel { learn; bogus; }\n',
  }, './frag.conf:2:26 syntax error'],
  ['option of another protocol type', { 'bird.conf': 'protocol bgp p { learn; local as 1; neighbor 192.0.2.1 as 1; }\n' }, 'bird.conf:1:18 syntax error'],
  ['number out of range', { 'bird.conf': 'protocol bgp p { local as 4294967296; neighbor 192.0.2.1 as 1; }\n' }, 'bird.conf:1:27 Number out of range'],
  ['hold time out of range', { 'bird.conf': 'protocol bgp p { local as 1; neighbor 192.0.2.1 as 1; hold time 2; }\n' },
    'bird.conf:1:65 Hold time must be in range 3-65535 or zero'],
  ['keepalive out of range', { 'bird.conf': 'protocol bgp p { local as 1; neighbor 192.0.2.1 as 1; keepalive time 70000; }\n' },
    'bird.conf:1:70 Keepalive time must be in range 1-65535'],
  ['multihop out of range', { 'bird.conf': 'protocol bgp p { local as 1; neighbor 192.0.2.1 as 1; multihop 256; }\n' },
    'bird.conf:1:64 Multihop must be in range 1-255'],
  ['unterminated string', { 'bird.conf': 'protocol bgp p {\n  description "oops;\n}\n' }, 'bird.conf:2:15 Unterminated string'],
  ['unterminated comment', { 'bird.conf': 'router id 1.2.3.4;\n  /* never closed\n' }, 'bird.conf:2:3 Unterminated comment'],
  ['template of the wrong type', {
    'bird.conf': 'template kernel k { learn; }\nprotocol bgp p from k { local as 1; neighbor 192.0.2.1 as 1; }\n',
  }, "bird.conf:2:21 Can't copy configuration from a different protocol type"],
  ['from something that is not a template', { 'bird.conf': 'filter f { accept; }\nprotocol device from f { }\n' },
    'bird.conf:2:22 Template or protocol name expected'],
  ['bgp without neighbor', { 'bird.conf': 'protocol bgp p {\n  local as 1;\n}\n' }, 'bird.conf:3:1 Neighbor must be configured'],
  ['bgp without local as', { 'bird.conf': 'protocol bgp p { neighbor 192.0.2.1 as 1; }\n' }, 'bird.conf:1:43 Local AS number must be set'],
  ['rr client on eBGP', { 'bird.conf': 'protocol bgp p { local as 1; neighbor 192.0.2.1 as 2; rr client; }\n' },
    'bird.conf:1:66 Only internal neighbor can be RR client'],
  ['two neighbors', { 'bird.conf': 'protocol bgp p { local as 1; neighbor 192.0.2.1 as 2; neighbor 192.0.2.2 as 2; }\n' },
    'bird.conf:1:55 Only one neighbor per BGP instance is allowed'],
  ['symbol too long', { 'bird.conf': `protocol device ${'d'.repeat(65)} { }\n` }, 'bird.conf:1:17 Symbol too long'],
  ['unknown character', { 'bird.conf': 'router id 1.2.3.4;\n@\n' }, 'bird.conf:2:1 Unknown character'],
  ['assignment to a non-variable', { 'bird.conf': 'filter f { foo = 1; accept; }\n' }, 'bird.conf:1:12 You may set only variables.'],
  ['read-only attribute', { 'bird.conf': 'filter f { net = 10.0.0.0/8; accept; }\n' }, 'bird.conf:1:12 This static attribute is read-only.'],
  ['wrong number of arguments', { 'bird.conf': 'function g(bool x) { }\nfilter f { g(); accept; }\n' },
    'bird.conf:2:12 Wrong number of arguments for function g.'],
  ['pair constructor out of bounds', { 'bird.conf': 'filter f { bgp_community.add((65536, 1)); accept; }\n' },
    "bird.conf:1:30 Can't operate with value out of bounds in pair constructor"],
  ['invalid prefix pattern range', { 'bird.conf': 'filter f { if net ~ [ 10.0.0.0/8{24,16} ] then accept; reject; }\n' },
    'bird.conf:1:39 Invalid prefix pattern range: {24, 16}.'],
  ['incompatible comparison found at load time', { 'bird.conf': 'filter f { if ifname = 5 then accept; reject; }\n' },
    "bird.conf:1:22 Can't compare values of incompatible types"],
  ['non-boolean condition', { 'bird.conf': 'filter f { if krt_metric then accept; reject; }\n' }, 'bird.conf:1:15 If requires boolean expression'],
  ['keyword used as a protocol name', { 'bird.conf': 'protocol device learn { }\n' }, 'bird.conf:1:17 syntax error'],
  ['unsupported protocol', { 'bird.conf': 'protocol pipe p { }\n' }, 'bird.conf:1:10 Protocol pipe is not supported'],
  ['unsupported statement', { 'bird.conf': 'filter f { quitbird; }\n' }, 'bird.conf:1:12 quitbird is not supported'],
  ['unsupported attribute', { 'bird.conf': 'filter f { if ifindex = 3 then accept; reject; }\n' }, 'bird.conf:1:15 Attribute ifindex is not supported'],
  ['a reversed address range', { 'bird.conf': 'filter f { case gw { 10.0.0.9..10.0.0.1: accept; } reject; }\n' }, 'bird.conf:1:22 Invalid address range in set'],
  ['unterminated quoted symbol', { 'bird.conf': "function 'abc() { }\n" }, 'bird.conf:1:10 Invalid character in apostrophed symbol'],
  ['comparisons do not associate', { 'bird.conf': 'filter f { if 1 < 2 < 3 then accept; reject; }\n' }, 'bird.conf:1:21 syntax error'],
  ['unexpected end of file', { 'bird.conf': 'protocol device {\n  scan time 2;\n' }, 'bird.conf:3:1 syntax error'],
];

describe('broken configurations', () => {
  for (const [title, files, expected, dialect] of CASES) {
    test(`${title} → ${expected}`, () => {
      const main = Object.keys(files)[0]!;
      let err: unknown;
      try {
        parseMem(files, main, { dialect: dialect ?? 'auto', print: () => {} });
      } catch (e) {
        err = e;
      }
      assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
      assert.equal(err.format(), expected);
      assert.equal(err.format(), `${err.file}:${err.line}:${err.col} ${err.message}`);
    });
  }

  test('there are at least 20 distinct broken-config cases', () => {
    assert.ok(new Set(CASES.map((c) => c[2].replace(/^\S+ /, ''))).size >= 20);
  });

  test('a missing main file is a ConfigError too', () => {
    assert.throws(() => loadConfig('/nonexistent/wren/bird.conf'), (e: unknown) =>
      e instanceof ConfigError && e.format() === '/nonexistent/wren/bird.conf:1:1 Unable to open configuration file /nonexistent/wren/bird.conf: No such file or directory');
  });

  test('include depth is limited to 8', () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 10; i++) files[`f${i}.conf`] = `include "f${i + 1}.conf";\n`;
    files['f10.conf'] = '';
    assert.throws(() => parseMem(files, 'f0.conf'), (e: unknown) => e instanceof ConfigError && e.format() === './f8.conf:1:1 Max include depth reached');
  });
});
