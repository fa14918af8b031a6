// Logger: level filtering shared by children, `name: ` prefixes, BIRD-style stderr sink, and
// the `log` statements' routing (LogRouter) to stderr and files by class.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger, LogFileError, LogLevel, LogRouter, memoryLogger, parseLogLevel } from './log.js';

/** A router whose stderr is an array, and a logger on it. */
function routed(debug = false) {
  const stderr: string[] = [];
  const shared = { level: LogLevel.INFO };
  const router = new LogRouter((level, line) => stderr.push(`${level} ${line}`), shared, debug);
  return { stderr, router, log: new Logger(router.sink, shared).child('p1') };
}

const all = (log: Logger) => {
  log.trace('t');
  log.debug('d');
  log.info('i');
  log.warn('w');
  log.error('e');
};

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

test('log statements: none sends info and up to stderr; -d adds debug', () => {
  const a = routed();
  all(a.log);
  assert.deepEqual(a.stderr, ['2 p1: i', '3 p1: w', '4 p1: e']);
  const b = routed(true);
  all(b.log);
  assert.deepEqual(b.stderr, ['1 p1: d', '2 p1: i', '3 p1: w', '4 p1: e']);
});

test('log stderr { warning, error, fatal, bug } keeps only those classes, and nothing below is even built', () => {
  const a = routed();
  assert.deepEqual(a.router.configure([{ target: 'stderr', classes: ['warning', 'error', 'fatal', 'bug'] }]), []);
  assert.equal(a.log.enabled(LogLevel.INFO), false, 'callers checking enabled() skip info lines');
  all(a.log);
  assert.deepEqual(a.stderr, ['3 p1: w', '4 p1: e']);
  // -d still shows debug lines on stderr (BIRD's debug output is not a log class).
  const b = routed(true);
  b.router.configure([{ target: 'stderr', classes: ['warning'] }]);
  all(b.log);
  assert.deepEqual(b.stderr, ['1 p1: d', '3 p1: w']);
  // Back to no statement (a reload that removed them): info and up again.
  a.router.configure([]);
  a.stderr.length = 0;
  all(a.log);
  assert.deepEqual(a.stderr, ['2 p1: i', '3 p1: w', '4 p1: e']);
});

test('log "<file>" appends BIRD-style lines by class; an unopenable file is refused and the old routes stay', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wren-log-'));
  try {
    const a = routed();
    const file = join(dir, 'bird.log'), infoFile = join(dir, 'info.log');
    const warnings = a.router.configure([
      { target: file, classes: 'all' },
      { target: infoFile, classes: ['info'] },
      { target: 'syslog name "bird"', classes: 'all' },
    ]);
    assert.deepEqual(warnings, ['log syslog name "bird": syslog is not supported, ignored']);
    all(a.log);
    assert.deepEqual(a.stderr, [], 'no stderr statement: nothing on stderr');
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, 5);
    assert.match(lines[0]!, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d <TRACE> p1: t$/);
    assert.match(lines[3]!, / <WARNING> p1: w$/);
    assert.match(readFileSync(infoFile, 'utf8'), /^\S+ \S+ <INFO> p1: i\n$/);
    assert.throws(() => a.router.configure([{ target: join(dir, 'no', 'such', 'dir.log'), classes: 'all' }]), (e: Error) => e instanceof LogFileError && /^Unable to open log file `.*dir\.log': /.test(e.message));
    // -d: debug lines on stderr and in a file that takes every class; stderr named twice writes once.
    const b = routed(true);
    const debugFile = join(dir, 'debug.log');
    b.router.configure([{ target: debugFile, classes: 'all' }, { target: 'stderr', classes: ['debug', 'error'] }, { target: 'stderr', classes: 'all' }]);
    all(b.log);
    assert.deepEqual(b.stderr, ['0 p1: t', '1 p1: d', '2 p1: i', '3 p1: w', '4 p1: e']);
    assert.equal(readFileSync(debugFile, 'utf8').trimEnd().split('\n').length, 5);
    b.router.configure([]);
    a.log.warn('after the refused one');
    assert.match(readFileSync(file, 'utf8'), /<WARNING> p1: after the refused one\n$/, 'the routes it had are kept');
    a.router.configure([]); // closes the files
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
