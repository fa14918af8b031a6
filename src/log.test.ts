// Logger: level filtering shared by children, `name: ` prefixes, BIRD-style stderr sink.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Logger, LogLevel, memoryLogger, parseLogLevel } from './log.js';

test('levels filter; children share the level and prefix their name', () => {
  const { logger, lines } = memoryLogger(LogLevel.INFO);
  const peer = logger.child('Mesh_10_0_0_2');
  peer.debug('hidden');
  peer.info('Connected');
  logger.warn('root line');
  peer.child('rx').error('bad');
  assert.deepEqual(lines, ['Mesh_10_0_0_2: Connected', 'root line', 'Mesh_10_0_0_2: rx: bad']);
  logger.level = LogLevel.DEBUG;
  assert.equal(peer.enabled(LogLevel.DEBUG), true);
  peer.debug('now shown');
  assert.equal(lines.at(-1), 'Mesh_10_0_0_2: now shown');
});

test('parseLogLevel and the default stderr sink format', () => {
  assert.equal(parseLogLevel('DEBUG'), LogLevel.DEBUG);
  assert.equal(parseLogLevel('nonsense'), LogLevel.INFO);
  const got: string[] = [];
  const orig = process.stderr.write.bind(process.stderr);
  (process.stderr as { write: unknown }).write = (s: string) => (got.push(s), true);
  try {
    new Logger().child('kernel1').warn('Netlink: overflow');
  } finally {
    (process.stderr as { write: unknown }).write = orig;
  }
  assert.deepEqual(got, ['bird: kernel1: Netlink: overflow\n']);
});
