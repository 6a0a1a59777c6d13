/**
 * Bad input to replay: each ends with a clear message and a bounded cost,
 * never a hang, an out-of-memory kill or a success code. Inputs that used to hang or eat memory
 * run in a child process, with a timeout (and, where the old code grew without end, a cap on
 * its address space), so a regression fails the test instead of taking the test run down.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { cli, tempDir, writeConfig } from './support/cli';
import { readDocument } from '../cli/inputs';
import { LineSplitter } from '../cli/lines';
import { MAX_LISTED_REJECTIONS, replay } from '../cli/replay';
import { loadConfig } from '../lambdas/core/config';
import type { AlertReservation } from '../lambdas/core/ledger';
import { MemoryLedger } from '../lambdas/state/memory-ledger';
import { MemoryBoundError, MemoryStore } from '../lambdas/state/memory-store';
import { CASE_BASE_CONFIG } from './detectors/cases';
import { ADDRESSES, outboundSession, outToCustomer, sessionCall } from './support/case-records';

/** A megabyte, as the replay options count them. */
const MB = 1024 * 1024;

const ROOT = join(__dirname, '..');
const HOUR_MS = 3_600_000;

interface ChildOptions {
  /** Modules loaded before the command (`node --require`). */
  readonly preload?: readonly string[];
  readonly stdin?: 'ignore' | string;
  /** Caps the child's address space (KB): a read without end is killed at it, not at the machine's. */
  readonly addressSpaceKb?: number;
  readonly timeoutMs?: number;
}

/** The real command in a child process; `status` is null when it was killed (a hang, or out of memory). */
function command(args: readonly string[], o: ChildOptions = {}): { status: number | null; stdout: string; stderr: string } {
  const node = [process.execPath, '--require', require.resolve('tsx/cjs'), ...(o.preload ?? []).flatMap((p) => ['--require', p]), join(ROOT, 'cli', 'run.ts'), ...args];
  const [file, ...argv] = o.addressSpaceKb === undefined ? node : ['/bin/sh', '-c', `ulimit -v ${o.addressSpaceKb} && exec "$@"`, 'sh', ...node];
  const result = spawnSync(file!, argv, {
    input: o.stdin === 'ignore' ? undefined : o.stdin,
    stdio: [o.stdin === 'ignore' || o.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    encoding: 'utf8',
    timeout: o.timeoutMs ?? 30_000,
    killSignal: 'SIGKILL',
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Enough address space for a replay of a few records (Node reserves some), far from what a read without end takes. */
const ADDRESS_SPACE_KB = 1_500_000;

/** A call from the outbound session in nat-eu, then the same session from another /24: one session-locations alert. */
function stolenSession(): Record<string, unknown>[] {
  const session = outboundSession('backend-5e5e5e5e');
  return [
    outToCustomer({ time: '2024-08-01T10:00:00Z', caller: session }) as Record<string, unknown>,
    sessionCall({ time: '2024-08-01T10:20:00Z', caller: session, sourceIp: ADDRESSES.external }) as Record<string, unknown>,
  ];
}

/** A CloudTrail log file of the stolen session: replaying it alone alerts once (exit 1). */
function writeStolenSession(dir: string, name = 'calls.json'): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify({ Records: stolenSession() }));
  return file;
}

/** A valid, empty CloudTrail log file padded with `mb` megabytes of whitespace, gzipped: a few kilobytes that inflate to `mb`. */
function gzipBomb(mb: number): Buffer {
  return gzipSync(Buffer.concat([Buffer.from('{"Records":['), Buffer.alloc(mb * MB, ' '), Buffer.from(']}')]));
}

/**
 * `count` distinct outbound sessions, one call each, `everyMs` apart from 2024-08-01T10:00Z, as
 * JSON Lines: one record built, the others copies with their own session name, access key,
 * event ID and time (building each takes a few milliseconds).
 */
function sessionsJsonl(count: number, everyMs: number): string {
  const time0 = '2024-08-01T10:00:00Z';
  const record = sessionCall({ time: time0, caller: outboundSession('flood-00000000') }) as { eventID: string; userIdentity: { accessKeyId: string } };
  const template = JSON.stringify(record);
  const key = record.userIdentity.accessKeyId;
  return Array.from({ length: count }, (_, i) => {
    const tag = i.toString(16).padStart(8, '0');
    const time = new Date(Date.parse(time0) + i * everyMs).toISOString().replace(/\.\d+Z$/, 'Z');
    return template
      .replaceAll('flood-00000000', `flood-${tag}`)
      .replaceAll(key, `ASIA${tag.toUpperCase()}${key.slice(12)}`)
      .replaceAll(record.eventID, `${tag}-0000-4000-8000-${record.eventID.slice(-12)}`)
      .replaceAll(time0, time);
  }).join('\n');
}

describe('replay inputs that never end (FIFOs, devices, symlink loops)', () => {
  it('walks a directory holding two symlinks to itself once, reading its log file once', () => {
    // Given a directory with the stolen session's log file and two links back to itself
    const dir = tempDir('arw-bounds-');
    const logs = join(dir, 'logs');
    mkdirSync(logs);
    writeStolenSession(logs);
    symlinkSync(logs, join(logs, 'again'));
    symlinkSync(logs, join(logs, 'and-again'));
    // When it is replayed
    const { status, stdout, stderr } = command(['replay', logs, '--config', writeConfig(dir), '--json']);
    // Then it ends, with the one alert of the one file read once
    expect(stderr).toContain('replayed 2 records in 1 files');
    expect(stdout.trim().split('\n')).toHaveLength(1);
    expect(status).toBe(1);
  });

  it('reports a FIFO among the inputs, named or in a directory, as not a regular file and exits 2 after replaying the rest', () => {
    // Given the stolen session's log file beside a FIFO no one writes to, and a directory holding another
    const dir = tempDir('arw-bounds-');
    const calls = writeStolenSession(dir);
    const fifo = join(dir, 'named.json');
    const walked = join(dir, 'walked');
    mkdirSync(walked);
    expect(spawnSync('mkfifo', [fifo, join(walked, 'inside.json.gz')]).status).toBe(0);
    // When they are replayed
    const { status, stdout, stderr } = command(['replay', calls, fifo, walked, '--config', writeConfig(dir), '--json']);
    // Then both FIFOs are named as unreadable, the file is replayed, and the exit code says input was unreadable
    expect(stderr).toContain(`unreadable: ${fifo}: not a regular file (a FIFO)`);
    expect(stderr).toContain(`unreadable: ${join(walked, 'inside.json.gz')}: not a regular file (a FIFO)`);
    expect(JSON.parse(stdout.trim())).toMatchObject({ detector: 'session-locations' });
    expect(status).toBe(2);
  });

  it('reports /dev/zero given as an input as a character device, without reading it', () => {
    // Given /dev/zero beside a log file
    const dir = tempDir('arw-bounds-');
    // When replayed, in a process that could not hold what reading /dev/zero would take
    const { status, stderr } = command(['replay', writeStolenSession(dir), '/dev/zero', '--config', writeConfig(dir)], { addressSpaceKb: ADDRESS_SPACE_KB });
    // Then it is named, and the exit code says input was unreadable
    expect(stderr).toContain('unreadable: /dev/zero: not a regular file (a character device)');
    expect(status).toBe(2);
  });

  it('refuses --config /dev/zero as not a regular file, exit 2', () => {
    const dir = tempDir('arw-bounds-');
    const { status, stderr } = command(['replay', writeStolenSession(dir), '--config', '/dev/zero'], { addressSpaceKb: ADDRESS_SPACE_KB });
    expect(stderr).toContain('cannot read configuration /dev/zero: not a regular file (a character device)');
    expect(status).toBe(2);
  });

  it('reports a log file larger than --max-file-mb as unreadable, naming the option, and replays the rest', async () => {
    // Given a 2 MB log file (valid, padded) beside the stolen session's
    const dir = tempDir('arw-bounds-');
    const large = join(dir, 'large.json');
    writeFileSync(large, `{"Records":[${' '.repeat(2 * MB)}]}`);
    // When replayed with a 1 MB cap
    const { code, out, err } = await cli(['replay', writeStolenSession(dir), large, '--config', writeConfig(dir), '--json', '--max-file-mb', '1']);
    // Then the large one is named with the cap, the other alerts, and the exit code says input was unreadable
    expect(err).toContain(`unreadable: ${large}: larger than 1 MB (--max-file-mb)`);
    expect(JSON.parse(out.trim())).toMatchObject({ detector: 'session-locations' });
    expect(code).toBe(2);
  });
});

describe('replay of gzip files that inflate past the cap', () => {
  it('stops inflating a log file at --max-file-mb and reports it, replaying the rest, exit 2', async () => {
    // Given a 3 MB gzip bomb (a valid, empty log file padded with whitespace) beside the stolen session's file
    const dir = tempDir('arw-bounds-');
    const bomb = join(dir, '210987654321_CloudTrail_eu-west-1_20240801T1000Z_bomb.json.gz');
    writeFileSync(bomb, gzipBomb(3));
    // When replayed with a 1 MB cap
    const { code, out, err } = await cli(['replay', writeStolenSession(dir), bomb, '--config', writeConfig(dir), '--json', '--max-file-mb', '1']);
    // Then the bomb is unreadable with its reason, never a silent empty file, and the rest alerts
    expect(err).toContain(`unreadable: ${bomb}: inflates to more than 1 MB (--max-file-mb)`);
    expect(JSON.parse(out.trim())).toMatchObject({ detector: 'session-locations' });
    expect(code).toBe(2);
  });

  it('throws with the cap when a document inflates past it, and reads one that fits', () => {
    const dir = tempDir('arw-bounds-');
    const bomb = join(dir, 'bomb.json.gz');
    writeFileSync(bomb, gzipBomb(3));
    const limits = { maxFileBytes: 1 * MB, maxLineBytes: 1 * MB };
    expect(() => readDocument({ path: bomb, display: bomb }, {}, limits)).toThrow('inflates to more than 1 MB (--max-file-mb)');
    expect(readDocument({ path: bomb, display: bomb }, {}, { ...limits, maxFileBytes: 4 * MB })).toEqual([]);
  });
});

describe('replay of lines over the cap, and errors nothing caught', () => {
  it('ends a JSON Lines file at a line over --max-line-mb, naming file and line, after replaying the lines before it', async () => {
    // Given the stolen session's two calls, then a 3 MB line, then another call
    const dir = tempDir('arw-bounds-');
    const [first, second] = stolenSession();
    const file = join(dir, 'calls.jsonl');
    writeFileSync(file, `${JSON.stringify(first)}\n${JSON.stringify(second)}\n{"x":"${'x'.repeat(3 * MB)}"}\n${JSON.stringify({ ...second, eventID: 'after' })}\n`);
    // When replayed with a 1 MB line cap
    const { code, out, err } = await cli(['replay', file, '--config', writeConfig(dir), '--json', '--max-line-mb', '1']);
    // Then the two calls before it alert, the file is unreadable from line 3 with the cap named, exit 2
    expect(err).toContain(`unreadable: ${file}: line 3 is longer than 1 MB (--max-line-mb)`);
    expect(err).toContain('replayed 2 records');
    expect(JSON.parse(out.trim())).toMatchObject({ detector: 'session-locations', eventIds: [second!.eventID] });
    expect(code).toBe(2);
  });

  it('splits lines however the chunks cut them (multi-byte characters, \\r\\n, blank lines), up to a line of exactly the cap', () => {
    // Given text with blank lines, CRLF ends, characters of 2 to 4 bytes and a last line without a newline
    const lines = ['{"a":"é"}', '', '{"b":"日本"}\r', '{"c":"🙂🙂"}', '', '', 'x'.repeat(40), 'tail'];
    const bytes = Buffer.from(lines.join('\n'));
    for (let size = 1; size <= 13; size++) {
      // When it arrives in chunks of every size from 1 to 13 bytes
      const splitter = new LineSplitter(40);
      const out: Parameters<LineSplitter['push']>[1] = [];
      for (let at = 0; at < bytes.length; at += size) splitter.push(bytes.subarray(at, at + size), out);
      splitter.end(out);
      // Then each line comes out once, whole, without its \r
      expect(out).toEqual(lines.map((l) => l.replace(/\r$/, '')));
    }
    // And a line one byte over the cap ends the output
    const splitter = new LineSplitter(40);
    const out: Parameters<LineSplitter['push']>[1] = [];
    splitter.push(Buffer.from(`ok\n${'x'.repeat(41)}\nnever`), out);
    splitter.end(out);
    expect(out).toHaveLength(2);
    expect(out[0]).toBe('ok');
    expect(typeof out[1]).toBe('symbol');
  });

  it('ends stdin that is one endless line (a JSON string that never closes) at --max-line-mb, exit 2', () => {
    // Given an endless line on stdin that begins as JSON (/dev/zero's bytes alone are skipped as
    // not JSON at their first byte: test/replay-inputs.test.ts)
    const dir = tempDir('arw-bounds-');
    const config = writeConfig(dir);
    // When replayed (through a shell, which pipes it from /dev/zero)
    const node = [process.execPath, '--require', require.resolve('tsx/cjs'), join(ROOT, 'cli', 'run.ts'), 'replay', '-', '--config', config, '--max-line-mb', '1'];
    const result = spawnSync('/bin/sh', ['-c', `{ printf '{"x":"'; tr '\\0' x < /dev/zero; } | "$@"`, 'sh', ...node], {
      encoding: 'utf8',
      timeout: 30_000,
      killSignal: 'SIGKILL',
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    // Then it stops at the first megabyte of the line, naming it
    expect(result.stderr).toContain('unreadable: <stdin>: line 1 is longer than 1 MB (--max-line-mb)');
    expect(result.status).toBe(2);
  });

  it.each([
    ['an exception thrown where nothing catches it', 'setImmediate(() => { throw new Error("thrown where nothing catches it"); });'],
    ['a promise rejected where nothing awaits it', 'setImmediate(() => { Promise.reject(new Error("thrown where nothing catches it")); });'],
  ])('exits 2 with the error, never 1 (alerts found), on %s', (_, code) => {
    // Given a module that fails, loaded before the command runs a replay with no alerts
    const dir = tempDir('arw-bounds-');
    const preload = join(dir, 'fail-soon.js');
    writeFileSync(preload, code);
    writeFileSync(join(dir, 'calls.json'), JSON.stringify({ Records: [stolenSession()[0]] }));
    // When the command runs
    const { status, stderr } = command(['replay', join(dir, 'calls.json'), '--config', writeConfig(dir)], { preload: [preload] });
    // Then it says so and exits 2
    expect(stderr).toContain('assumerole-watch: internal error: Error: thrown where nothing catches it');
    expect(status).toBe(2);
  });
});

describe('replay memory, however many sessions are live', () => {
  it('stops when more state items are live than --max-state-items, saying which bound and how to raise it', async () => {
    // Given 1,500 distinct sessions within two hours (each keeps two items for 13 hours)
    const dir = tempDir('arw-bounds-');
    const file = join(dir, 'flood.jsonl');
    writeFileSync(file, sessionsJsonl(1_500, 4_800));
    // When replayed with room for 1,000 items
    const { code, err } = await cli(['replay', file, '--config', writeConfig(dir), '--max-state-items', '1000']);
    // Then it stops, naming the bound and how to raise it, with the summary of what it replayed; exit 2
    expect(err).toMatch(/replay stopped at 2024-08-01T1\d:\d\d:\d\d\.000Z: more than 1000 state items are live in memory \(not past their TTL\), the --max-state-items bound/);
    expect(err).toContain('Raise it with --max-state-items N');
    expect(err).toContain('--store dynamodb');
    expect(err).toMatch(/replayed \d+ records/);
    expect(code).toBe(2);
  });

  it('replays to the end when sessions expire by event time faster than they fill the bound', async () => {
    // Given 1,500 distinct sessions, one every 40 minutes (about 20 live at a time, for 13 hours each)
    const dir = tempDir('arw-bounds-');
    const file = join(dir, 'spread.jsonl');
    writeFileSync(file, sessionsJsonl(1_500, 40 * 60_000));
    const state = new MemoryStore({ maxItems: 1_000 });
    // When replayed with room for 1,000 items: 3,000 session items in all
    const report = await replay({ paths: [file], config: loadConfig(CASE_BASE_CONFIG), ports: { state, ledger: new MemoryLedger({ maxAlerts: 1_000 }) }, wallClock: { now: () => Date.parse('2026-01-01T00:00:00Z') } });
    // Then every call went through, and the store holds what a TTL table would: the last 13
    // hours' sessions and those of the last batch (100 calls, 66 hours here), two items each
    expect(report.stopped).toBeNull();
    expect(report.relevant).toBe(1_500);
    expect(state.size().items).toBeLessThan(300);
  });

  it('throws the bound from a commit that leaves more live items than it may hold, after dropping expired ones', async () => {
    // Given a store for 100 items holding 100 that expire at 12:00, read at 11:00
    const store = new MemoryStore({ maxItems: 100 });
    const noon = Date.parse('2024-08-01T12:00:00Z');
    const items = (prefix: string, n: number, expiresAt: number): { key: { pk: string; sk: string }; set: { v: number }; expiresAt: number }[] =>
      Array.from({ length: n }, (_, i) => ({ key: { pk: `${prefix}${i}`, sk: 's' }, set: { v: i }, expiresAt: expiresAt / 1000 }));
    await store.load([], noon - HOUR_MS);
    await store.commit(items('a', 100, noon));
    // When 50 more are committed before noon, the bound is reached; after noon, the expired make room
    await expect(store.commit(items('b', 50, noon + 10 * HOUR_MS))).rejects.toThrow(MemoryBoundError);
    await store.load([], noon + 60_000);
    await store.commit(items('c', 40, noon + 10 * HOUR_MS));
    // Then only the live items remain
    expect(store.size().items).toBe(90);
  });

  it('keeps a sent alert without its payload or event pointers, and forgets it past the ledger TTL', async () => {
    // Given 200 alerts reserved and sent at 10:00
    const ledger = new MemoryLedger({ maxAlerts: 300 });
    const t = Date.parse('2024-08-01T10:00:00Z');
    const reservation = (i: number, at: number): AlertReservation => ({ alertId: `a${i}`, dedupKey: `k${i}`, eventTime: at, windowMs: HOUR_MS, eventIds: [`e${i}`], payload: 'x'.repeat(1000) });
    const first = Array.from({ length: 200 }, (_, i) => reservation(i, t));
    expect(await ledger.reserve(first, 'replay', t)).toEqual(first.map(() => 'send'));
    await ledger.markSent(first);
    // Then they still suppress a second alert in their window, hold no pointers, and are gone 16 days later
    expect(await ledger.reserve([{ ...reservation(0, t + 60_000), alertId: 'other' }], 'replay', t + 60_000)).toEqual(['suppressed']);
    expect(ledger.size()).toEqual({ alerts: 200, eventPointers: 0 });
    await ledger.reserve([reservation(999, t + 16 * 24 * HOUR_MS)], 'replay', t + 16 * 24 * HOUR_MS);
    expect(ledger.size().alerts).toBe(1);
  });

  it('throws the bound when more alerts are live than the ledger may hold', async () => {
    const ledger = new MemoryLedger({ maxAlerts: 100 });
    const t = Date.parse('2024-08-01T10:00:00Z');
    const reservations = Array.from({ length: 101 }, (_, i) => ({ alertId: `a${i}`, dedupKey: `k${i}`, eventTime: t, windowMs: HOUR_MS, eventIds: [`e${i}`], payload: '{}' }));
    await expect(ledger.reserve(reservations, 'replay', t)).rejects.toThrow(MemoryBoundError);
  });

  it('lets the earliest calls through when the reorder buffer is full, and counts them and the late ones', async () => {
    // Given 100 calls of one hour in reverse time order, and a buffer of 10
    const dir = tempDir('arw-bounds-');
    const file = join(dir, 'reversed.jsonl');
    writeFileSync(file, sessionsJsonl(100, 30_000).split('\n').reverse().join('\n'));
    // When replayed
    const report = await replay({ paths: [file], config: loadConfig(CASE_BASE_CONFIG), ports: { state: new MemoryStore(), ledger: new MemoryLedger() }, maxReorderEvents: 10 });
    // Then all go through; 90 left before their window had passed, and the 89 after the first of those were late
    expect(report.relevant).toBe(100);
    expect(report.releasedEarly).toBe(90);
    expect(report.late).toBe(89);
  });

  it('lists the first rejected records and counts the rest', async () => {
    // Given 1,500 lines that are not JSON
    const dir = tempDir('arw-bounds-');
    const file = join(dir, 'garbage.jsonl');
    writeFileSync(file, Array.from({ length: 1_500 }, (_, i) => `not json ${i}`).join('\n'));
    // When replayed
    const report = await replay({ paths: [file], config: loadConfig(CASE_BASE_CONFIG), ports: { state: new MemoryStore(), ledger: new MemoryLedger() } });
    // Then all are counted, and the report holds a bounded list of them
    expect(report.rejectedTotal).toBe(1_500);
    expect(report.rejected).toHaveLength(MAX_LISTED_REJECTIONS);
  });
});
