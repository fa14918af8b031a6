// Command grammar and birdc-style abbreviation expansion, without sockets.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { commandHelp, expandCommand, parseCommand, patternMatch, type SymbolLookup } from '../../src/control/commands.js';
import { encodeLine, formatShortTime, memoryLine, routeInfo } from '../../src/control/format.js';

const symbols: SymbolLookup = { kindOf: (n) => ({ kernel1: 'protocol', master: 'routing table', f: 'filter' })[n] };

describe('expandCommand (birdc cmd_expand)', () => {
  test('abbreviations', () => {
    assert.deepEqual(expandCommand('sh pro'), { ok: true, command: 'show protocols' });
    assert.deepEqual(expandCommand('sh pro al Mesh_1'), { ok: true, command: 'show protocols all Mesh_1' });
    assert.deepEqual(expandCommand('sh ro'), { ok: true, command: 'show route' }, '1.6 gives roa a lower priority');
    assert.deepEqual(expandCommand('sh rou for 10.0.0.1 all'), { ok: true, command: 'show route for 10.0.0.1 all' });
    assert.deepEqual(expandCommand('sh int su'), { ok: true, command: 'show interfaces summary' });
    assert.deepEqual(expandCommand('conf ch'), { ok: true, command: 'configure check' });
    assert.deepEqual(expandCommand('dis "Mesh_*"'), { ok: true, command: 'disable "Mesh_*"' });
    assert.deepEqual(expandCommand('show status'), { ok: true, command: 'show status' });
  });

  test('ambiguous and unknown', () => {
    const a = expandCommand('sh st');
    assert.equal(a.ok, false);
    assert.deepEqual(!a.ok && a.lines, [
      'Ambiguous command, possible expansions are:',
      'show status                                    Show router status',
      'show static [<name>]                           Show details of static protocol',
    ]);
    const r = expandCommand('re Mesh_1');
    assert.equal(!r.ok && r.kind, 'ambiguous');
    assert.deepEqual(expandCommand('frobnicate'), { ok: false, kind: 'unknown', lines: ["No such command. Press `?' for help."] });
    assert.deepEqual(expandCommand('show'), { ok: false, kind: 'unknown', lines: ["No such command. Press `?' for help."] });
  });

  test('? help lists the sub-commands', () => {
    const h = commandHelp('show');
    assert.ok(h.includes('show route ...                                 Show routing table'));
    assert.ok(h.includes('show status                                    Show router status'));
  });
});

describe('parseCommand (server side, strict like 1.6)', () => {
  test('commands', () => {
    assert.deepEqual(parseCommand('show protocols all kernel1', symbols), {
      ok: true,
      command: { kind: 'show-protocols', verbose: true, target: { kind: 'name', name: 'kernel1' } },
    });
    assert.deepEqual(parseCommand('reload in all', symbols), {
      ok: true,
      command: { kind: 'protocol-action', action: 'reload', dir: 'in', target: { kind: 'all' } },
    });
    assert.deepEqual(parseCommand('configure soft "x.cfg" timeout 20', symbols), {
      ok: true,
      command: { kind: 'configure', check: false, soft: true, file: 'x.cfg', timeout: 20 },
    });
    const r = parseCommand('show route 2001:db8:244:1::/122 protocol kernel1', symbols);
    assert.ok(r.ok && r.command.kind === 'show-route');
    assert.equal(r.ok && r.command.kind === 'show-route' && r.command.query.prefix?.len, 122);
  });

  test('errors', () => {
    assert.deepEqual(parseCommand('show route for 2001:db8::1', symbols, 'ipv4'), {
      ok: false,
      code: 9001,
      message: 'This is an IPv4 router, therefore IPv6 addresses are not supported',
    });
    assert.deepEqual(parseCommand('enable', symbols), { ok: false, code: 9001, message: 'syntax error' });
    assert.deepEqual(parseCommand('show route for 300.1.1.1', symbols), { ok: false, code: 9001, message: 'Invalid IP address 300.1.1.1' });
    assert.deepEqual(parseCommand('show route 10.0.0.0/33', symbols), { ok: false, code: 9001, message: 'Invalid prefix length' });
    assert.deepEqual(parseCommand('configure "x', symbols), { ok: false, code: 9001, message: 'Unterminated string' });
    // A syntax error before an over-long symbol wins (lazy lexing, like bison + flex).
    assert.deepEqual(parseCommand(`foo ${'x'.repeat(100)}`, symbols), { ok: false, code: 9001, message: 'syntax error' });
  });

  test('patterns', () => {
    assert.ok(patternMatch('Mesh_*', 'Mesh_192_0_2_12'));
    assert.ok(patternMatch('*_2_1?', 'Mesh_192_0_2_12'));
    assert.ok(!patternMatch('Mesh_*', 'Node_1'));
    assert.ok(patternMatch('*', ''));
  });
});

describe('format details', () => {
  test('reply encoding remembers the last code', () => {
    const mem = { last: 0 };
    assert.equal(encodeLine(mem, 1007, 'a', false), '1007-a\n');
    assert.equal(encodeLine(mem, 1007, 'b', false), ' b\n');
    assert.equal(encodeLine(mem, 1008, 'c', false), '1008-c\n');
    assert.equal(encodeLine(mem, 0, '', true), '0000 \n');
  });

  test('since: time within 20 h, else date', () => {
    const now = new Date(2026, 10, 26, 5, 30, 0);
    assert.equal(formatShortTime(new Date(2026, 10, 25, 9, 30, 1), now), '09:30:01');
    assert.equal(formatShortTime(new Date(2026, 10, 25, 9, 29, 59), now), '2026-11-25');
  });

  test('BGP route info forms', () => {
    const base = { dest: { kind: 'blackhole' as const }, protocol: 'x', since: new Date(), primary: true, preference: 100 };
    assert.equal(routeInfo({ ...base, bgp: { igpMetric: 'unresolvable', originAs: 65001, origin: 'i' } }), ' (100/-) [AS65001i]');
    assert.equal(routeInfo({ ...base, bgp: { suppressed: true, stale: true, igpMetric: 'unknown', origin: '?' } }), ' (100-s/?) [?]');
    assert.equal(routeInfo({ ...base, bgp: {} }), ' (100) []');
    assert.equal(routeInfo(base), ' (100)');
  });

  test('memory sizes scale like print_size', () => {
    assert.equal(memoryLine('Total', 9999), 'Total:            9999  B');
    assert.equal(memoryLine('Total', 10000), 'Total:              10 kB');
    assert.equal(memoryLine('Total', 50 * 1024 * 1024), 'Total:              50 MB');
  });
});
