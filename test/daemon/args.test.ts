// The daemon's command line (src/main.ts): the quick parser (node:util) reads every
// ordinary command line exactly as yargs does (and a value attached to its flag as getopt
// does), and hands everything else (help, unknown options, missing values, bad numbers,
// negations) to yargs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { daemonOptions, quickParse, yargsParse } from '../../src/main.js';

const ORDINARY = [
  [],
  ['-R', '-s', '/var/run/calico/bird.ctl', '-d', '-c', '/etc/calico/confd/config/bird.cfg'],
  ['-dR', '-c', 'x.conf'],
  ['-p', '-c', 'a.conf'],
  ['-l'],
  ['-f', '-P', '/run/bird.pid', '-u', 'bird', '-g', 'bird', '-D', '/tmp/debug'],
  ['--ipv6', '-c', 'six.conf'],
  ['--json-logs', '--metrics-port', '9099'],
  ['--metrics-port=9100', '-d'],
  ['--warm-up', '0', '-d'],
  ['--warm-up=30000'],
  ['--version'],
];

for (const prog of ['bird', 'bird6']) {
  for (const argv of ORDINARY) {
    test(`${prog} ${argv.join(' ')}: the quick parser reads it as yargs does`, async () => {
      const quick = quickParse(argv, prog === 'bird6');
      assert.ok(quick !== undefined, 'read without yargs');
      const full = await yargsParse(argv, prog, prog === 'bird6');
      for (const k of ['c', 'd', 'D', 'f', 'g', 'l', 'p', 'P', 'R', 's', 'u', 'ipv6', 'json-logs', 'metrics-port', 'warm-up', 'version'] as const) {
        assert.equal(quick[k], full[k], `option ${k}`);
      }
      assert.deepEqual(daemonOptions(quick, quick.ipv6 === true), daemonOptions(full, full.ipv6 === true));
    });
  }
}

test('a value attached to its flag (-cx.conf) reads as getopt, so BIRD, reads it; yargs took the letters for flags', async () => {
  const quick = quickParse(['-cx.conf', '-dsy.ctl'], false);
  assert.equal(quick?.c, 'x.conf');
  assert.equal(quick?.s, 'y.ctl');
  assert.equal(quick?.d, true);
  await assert.rejects(yargsParse(['-cx.conf'], 'bird', false), /Unknown argument/);
});

test('--warm-up: the JIT warm-up\'s routes, none unless given', () => {
  assert.equal(daemonOptions(quickParse([], false)!, false).warmUp, 0);
  assert.equal(daemonOptions(quickParse(['--warm-up', '12000'], false)!, false).warmUp, 12000);
  assert.equal(daemonOptions(quickParse(['--warm-up', '0'], false)!, false).warmUp, 0);
  assert.equal(daemonOptions(quickParse(['--warm-up=500'], false)!, false).warmUp, 500);
  assert.equal(quickParse(['--warm-up', 'lots'], false), undefined, 'not a number: yargs reports it');
});

test('help, unknown options, missing values, bad numbers, negations and positionals go to yargs', async () => {
  for (const argv of [['--help'], ['-h'], ['-x'], ['-c'], ['--metrics-port', 'abc'], ['--no-ipv6'], ['foo'], ['--metrics-port', '-1']]) {
    assert.equal(quickParse(argv, false), undefined, argv.join(' '));
  }
  await assert.rejects(yargsParse(['-x'], 'bird', false), /Unknown argument/);
  assert.equal((await yargsParse(['--no-ipv6'], 'bird6', true)).ipv6, false);
});
