import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { cli, tempDir, writeConfig } from './support/cli';
import { ADDRESSES, outboundSession, outToCustomer, sessionCall } from './support/case-records';
import { CASE_BASE_CONFIG } from './detectors/cases';
import { writeCorpus } from '../cli/generate';
import { readConfig } from '../cli/main';
import { replay, TimeHeap, type ReplayReport } from '../cli/replay';
import type { ParsedCall } from '../lambdas/core/types';
import { seededRandom } from './support/random';
import type { Alert } from '../lambdas/engine/alerts';
import { loadConfig } from '../lambdas/core/config';
import { MemoryLedger } from '../lambdas/state/memory-ledger';
import { MemoryStore } from '../lambdas/state/memory-store';
import type { StateUpdate } from '../lambdas/core/state';

const ROOT = join(__dirname, '..');

/** A call from the outbound session in nat-eu, then the same session from another /24. */
function stolenSession(): { first: Record<string, unknown>; second: Record<string, unknown> } {
  const session = outboundSession('backend-5e5e5e5e');
  return {
    first: outToCustomer({ time: '2024-08-01T10:00:00Z', caller: session }) as Record<string, unknown>,
    second: sessionCall({ time: '2024-08-01T10:20:00Z', caller: session, sourceIp: ADDRESSES.external }) as Record<string, unknown>,
  };
}

describe('assumerole-watch replay', () => {
  it('reports a truncated and a wrong-typed record with file:line and reason, and processes the rest', async () => {
    // Given JSON Lines with a good call, a truncated line, a wrong-typed record, and a call from elsewhere
    const dir = tempDir('arw-replay-');
    const { first, second } = stolenSession();
    const lines = [JSON.stringify(first), JSON.stringify(second).slice(0, 120), JSON.stringify({ ...second, eventID: 'typed', eventTime: 1722507600 }), JSON.stringify(second)];
    writeFileSync(join(dir, 'calls.jsonl'), `${lines.join('\n')}\n`);
    // When replayed
    const { code, out, err } = await cli(['replay', join(dir, 'calls.jsonl'), '--config', writeConfig(dir), '--json']);
    // Then both bad lines are reported with place and reason, and the good ones still alert
    expect(err).toMatch(new RegExp(`rejected 1× not JSON: .* at ${join(dir, 'calls.jsonl')}:2`));
    expect(err).toContain(`rejected 1× eventTime: expected an ISO 8601 string, got a number at ${join(dir, 'calls.jsonl')}:3`);
    expect(err).toContain('rejected 2');
    const alerts = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(alerts.map((a) => a.detector)).toEqual(['session-locations']);
    expect(alerts[0]).toMatchObject({ eventIds: [second.eventID], sourceIp: ADDRESSES.external, roleArn: expect.stringContaining('outbound'), principalArn: expect.any(String), sessionKey: expect.stringMatching(/^ASIA/) });
    expect(code).toBe(1);
  });

  it('replays CloudTrail files in event-time order across regions, walking directories', async () => {
    // Given the S3 layout with the later events in eu-west-1 (first by path) and the earliest in
    // us-east-1, further apart than the reorder window
    const dir = tempDir('arw-replay-');
    const { first, second } = stolenSession();
    const third = { ...second, eventID: 'third', eventTime: '2024-08-01T12:30:00Z' };
    const write = (region: string, stamp: string, records: unknown[]): void => {
      const folder = join(dir, 'AWSLogs', '210987654321', 'CloudTrail', region, '2024', '08', '01');
      mkdirSync(folder, { recursive: true });
      writeFileSync(join(folder, `210987654321_CloudTrail_${region}_${stamp}_abc.json.gz`), gzipSync(JSON.stringify({ Records: records })));
    };
    write('eu-west-1', '20240801T1230Z', [second, third]);
    write('us-east-1', '20240801T1000Z', [first]);
    // When the directory is replayed
    const { code, out } = await cli(['replay', dir, '--config', writeConfig(dir), '--json', '--reorder-minutes', '1', '--batch-size', '1']);
    // Then the second location is the later event, as in event time
    const alert = JSON.parse(out.trim()) as { detector: string; eventIds: string[] };
    expect(alert).toMatchObject({ detector: 'session-locations', eventIds: [second.eventID] });
    expect(code).toBe(1);
  });

  it('puts records that arrive out of order back in event-time order within the reorder window', async () => {
    // Given the later call before the earlier one in one file
    const dir = tempDir('arw-replay-');
    const { first, second } = stolenSession();
    writeFileSync(join(dir, 'calls.json'), JSON.stringify({ Records: [second, first] }));
    // When replayed
    const { out } = await cli(['replay', join(dir, 'calls.json'), '--config', writeConfig(dir), '--json', '--batch-size', '1']);
    // Then the alert is on the later event
    expect(JSON.parse(out.trim())).toMatchObject({ eventIds: [second.eventID] });
  });

  it('exits 0 with no alerts and prints a readable listing', async () => {
    const dir = tempDir('arw-replay-');
    writeFileSync(join(dir, 'calls.json'), JSON.stringify([stolenSession().first]));
    const { code, out, err } = await cli(['replay', join(dir, 'calls.json'), '--config', writeConfig(dir)]);
    expect(code).toBe(0);
    expect(out).toMatch(/^time\s+SEVERITY\s+detector\s+title\n$/);
    expect(err).toContain('replayed 1 records in 1 files');
  });

  it.each([
    [['replay'], 'replay needs at least one path'],
    [['replay', 'x', '--frobnicate'], 'unknown option --frobnicate'],
    [['replay', 'x', '--batch-size', '0'], '--batch-size takes a whole number'],
    [['explode'], 'unknown command "explode"'],
  ])('exits 2 on the usage error %j', async (argv, message) => {
    const { code, err } = await cli(argv);
    expect(code).toBe(2);
    expect(err).toContain(message);
  });

  it('exits 2 naming a path it cannot read, after replaying the rest', async () => {
    const dir = tempDir('arw-replay-');
    writeFileSync(join(dir, 'broken.json.gz'), 'not gzip');
    const { code, err } = await cli(['replay', join(dir, 'missing'), join(dir, 'broken.json.gz'), '--config', writeConfig(dir)]);
    expect(code).toBe(2);
    expect(err).toContain(`unreadable: ${join(dir, 'missing')}: no such file or directory`);
    expect(err).toContain(`unreadable: ${join(dir, 'broken.json.gz')}:`);
  });

  it('exits 2 when the configuration is invalid, naming the key', async () => {
    const dir = tempDir('arw-replay-');
    const { code, err } = await cli(['replay', dir, '--config', writeConfig(dir, { allowedCidrs: ['10.0.0.0/33'] })]);
    expect(code).toBe(2);
    expect(err).toContain('allowedCidrs[0]: "10.0.0.0/33" is not a CIDR');
  });

  it('reads the context of a cdk.json, ignoring deployment keys and feature flags', async () => {
    const dir = tempDir('arw-replay-');
    writeFileSync(join(dir, 'cdk.json'), JSON.stringify({ app: 'npx ts-node bin/app.ts', context: { ...CASE_BASE_CONFIG, homeRegion: 'eu-west-1', '@aws-cdk/core:newStyleStackSynthesis': true } }));
    writeFileSync(join(dir, 'calls.json'), JSON.stringify([stolenSession().first]));
    const { code } = await cli(['replay', join(dir, 'calls.json'), '--config', join(dir, 'cdk.json')]);
    expect(code).toBe(0);
  });

  it('reads JSON Lines from stdin when given -', () => {
    // Given the two calls on stdin of the real command
    const dir = tempDir('arw-replay-');
    const { first, second } = stolenSession();
    // When the process runs
    const result = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsx'), [join(ROOT, 'cli', 'run.ts'), 'replay', '-', '--config', writeConfig(dir), '--json'], {
      input: `${JSON.stringify(first)}\n${JSON.stringify(second)}\n`,
      encoding: 'utf8',
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    // Then it alerts and exits 1
    expect(result.status).toBe(1);
    expect(JSON.parse(result.stdout.trim())).toMatchObject({ detector: 'session-locations' });
  });

  it('gives the same report and alerts whether a reader thread parses the files ahead or not', async () => {
    // Given the examples beside a corrupt gzip file, a bad JSON file, a JSON Lines file and a
    // path that vanished, interleaved in the file order
    const dir = tempDir('arw-replay-');
    const { first, second } = stolenSession();
    mkdirSync(join(dir, 'logs'));
    writeFileSync(join(dir, 'logs', 'a_20241001T0000Z_broken.json.gz'), 'not gzip');
    writeFileSync(join(dir, 'logs', 'b_20241001T0000Z_bad.json'), '{"Records": [{"eventID": 1}, ');
    writeFileSync(join(dir, 'logs', 'c_20241001T0000Z_lines.jsonl'), `${JSON.stringify(first)}\n${JSON.stringify(second)}\n`);
    writeFileSync(join(dir, 'logs', 'd_20241001T0000Z_calls.json.gz'), gzipSync(JSON.stringify({ Records: [first, { ...second, eventID: 'typed', eventTime: 7 }] })));
    const paths = [join(ROOT, 'examples', 'AWSLogs'), join(dir, 'logs'), join(dir, 'vanished')];
    const config = loadConfig(JSON.parse(readFileSync(join(ROOT, 'examples', 'config.json'), 'utf8')) as Record<string, unknown>);
    const run = async (readerThread: boolean): Promise<{ report: ReplayReport; alerts: Alert[] }> => {
      const alerts: Alert[] = [];
      const report = await replay({ paths, config, ports: { state: new MemoryStore(), ledger: new MemoryLedger() }, readerThread, onAlert: (a) => alerts.push(a) });
      return { report, alerts };
    };
    // When replayed with the reader thread and without
    const threaded = await run(true);
    const inline = await run(false);
    // Then both see the same records, rejections (with file and line), unreadable files and alerts
    expect(threaded.report.records).toBeGreaterThan(4_900);
    expect(threaded.report).toEqual(inline.report);
    expect(threaded.alerts).toEqual(inline.alerts);
    expect(threaded.report.unreadable.map((u) => u.path).sort()).toEqual([join(dir, 'logs', 'a_20241001T0000Z_broken.json.gz'), join(dir, 'vanished')]);
    expect(threaded.report.rejected.map((r) => r.reason)).toEqual(expect.arrayContaining([expect.stringMatching(/^not JSON/), expect.stringMatching(/^eventTime: expected an ISO 8601 string/)]));
  });
});

describe('records dated outside any plausible time', () => {
  /** The wall clock these replays run at: the day after the examples. */
  const WALL_CLOCK = Date.parse('2026-10-08T00:00:00Z');

  /** The examples' first AssumeRole of outbound-eu by the backend: the benign call a stray copy would be of. */
  function firstBackendCall(): Record<string, unknown> {
    const folder = join(ROOT, 'examples', 'AWSLogs', '210987654321', 'CloudTrail', 'eu-west-1', '2026', '10', '05');
    const records = readdirSync(folder)
      .sort()
      .flatMap((f) => (JSON.parse(gunzipSync(readFileSync(join(folder, f))).toString('utf8')) as { Records: Record<string, unknown>[] }).Records);
    const call = records.find((r) => r.eventName === 'AssumeRole' && JSON.stringify(r.requestParameters).includes('role/outbound-eu'));
    if (!call) throw new Error('no AssumeRole of outbound-eu in the examples');
    return call;
  }

  it('rejects a 1970 record and one a year ahead of the wall clock, listing them, and still gives exactly the labelled alerts', async () => {
    // Given the examples beside a copy of a benign call dated 1970 (which would end outbound-eu's
    // learning period at once) in a log file, and one dated a year after the wall clock in JSON Lines
    const dir = tempDir('arw-replay-');
    const call = firstBackendCall();
    writeFileSync(join(dir, 'epoch.json'), JSON.stringify({ Records: [{ ...call, eventID: 'epoch-copy', eventTime: '1970-01-01T00:00:00Z' }] }));
    writeFileSync(join(dir, 'ahead.jsonl'), `\n${JSON.stringify({ ...call, eventID: 'ahead-copy', eventTime: '2027-10-08T00:00:00Z' })}\n`);
    const labels = JSON.parse(readFileSync(join(ROOT, 'examples', 'labels.json'), 'utf8')) as { detector: string; eventIds: string[] }[];
    // As the demo reads it: with the customer registry it names.
    const config = readConfig(join(ROOT, 'examples', 'config.json'));
    for (const readerThread of [true, false]) {
      // When replayed, with the log files parsed on the reader thread and inline
      const alerts: Alert[] = [];
      const report = await replay({
        paths: [join(ROOT, 'examples', 'AWSLogs'), dir],
        config,
        ports: { state: new MemoryStore(), ledger: new MemoryLedger() },
        readerThread,
        wallClock: { now: () => WALL_CLOCK },
        onAlert: (a) => alerts.push(a),
      });
      // Then both records are listed as rejected, with file, line and reason
      expect(report.rejected).toEqual([
        { kind: 'rejected', reason: 'eventTime: 2027-10-08T00:00:00Z is in the future (after 2026-10-09T00:00:00Z)', eventId: 'ahead-copy', origin: { file: join(dir, 'ahead.jsonl'), line: 2 } },
        { kind: 'rejected', reason: 'eventTime: 1970-01-01T00:00:00Z is before CloudTrail existed (2013-11)', eventId: 'epoch-copy', origin: { file: join(dir, 'epoch.json'), line: 1 } },
      ]);
      // And the alerts are the labelled incidents', one each, as without them
      expect(alerts.map((a) => a.detector).sort()).toEqual(labels.map((l) => l.detector).sort());
      for (const label of labels) expect(alerts.filter((a) => a.evidence.eventIds.some((id) => label.eventIds.includes(id))).map((a) => a.detector)).toEqual([label.detector]);
      expect(report.lastEventTime).toBeLessThan(WALL_CLOCK);
    }
  }, 60_000);
});

describe('the reorder buffer', () => {
  it('gives calls back by event time, ties in the order they came, however pushes and pops interleave', () => {
    // Given 20,000 calls with times from a small range (many ties), pushed in random order with pops between
    const next = seededRandom(21);
    const heap = new TimeHeap();
    const pushed: { time: number; n: number }[] = [];
    const popped: { time: number; n: number }[] = [];
    const call = (time: number, n: number): ParsedCall => ({ eventTime: time, eventId: String(n) }) as ParsedCall;
    const take = (): void => {
      const c = heap.pop();
      popped.push({ time: c.eventTime, n: Number(c.eventId) });
    };
    for (let n = 0; n < 20_000; n++) {
      const time = Math.floor(next() * 500);
      heap.push(call(time, n));
      pushed.push({ time, n });
      if (next() < 0.3) take();
    }
    while (heap.size > 0) take();
    // Then every call comes out once, and each pop is the earliest (then first-pushed) of those still in
    expect(popped).toHaveLength(pushed.length);
    const order = (a: { time: number; n: number }, b: { time: number; n: number }): number => a.time - b.time || a.n - b.n;
    // Replaying the pushes and pops against a sorted list gives the same sequence
    const expected: { time: number; n: number }[] = [];
    const pending: { time: number; n: number }[] = [];
    const next2 = seededRandom(21);
    for (let n = 0; n < 20_000; n++) {
      const time = Math.floor(next2() * 500);
      pending.push({ time, n });
      if (next2() < 0.3) {
        pending.sort(order);
        expected.push(pending.shift()!);
      }
    }
    expected.push(...pending.sort(order));
    expect(popped).toEqual(expected);
  });
});

describe('the embedded store keeping a batch\'s own items', () => {
  /** A store that always applies the updates itself, as one in another process must. */
  class ApplyingStore extends MemoryStore {
    override async commit(updates: readonly StateUpdate[]): Promise<void> {
      await super.commit(updates);
    }
  }

  it('keeps every string set sorted as it grows, a few members or many at a time', async () => {
    // Given a set that gains random members over 300 commits of 1 to 400 members each
    const next = seededRandom(5);
    const store = new MemoryStore();
    const key = { pk: 'p', sk: 's' };
    const expected = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const members = Array.from({ length: 1 + Math.floor(next() * (next() < 0.1 ? 400 : 8)) }, () => Math.floor(next() * 1e9).toString(36));
      members.forEach((m) => expected.add(m));
      // When each is committed
      await store.commit([{ key, addToSet: { events: members }, expiresAt: 2e9 }]);
      // Then the stored set is every member once, in order
      const events = (await store.load([key], 0)).get('p\u0000s')?.events;
      expect(events).toEqual([...expected].sort());
    }
  });

  it('ends with the same table and alerts as applying every update', async () => {
    // Given the examples and three more days of generated traffic with its incidents
    const dir = tempDir('arw-replay-');
    await writeCorpus(dir, { days: 3, customers: 40, seed: 9 });
    const config = loadConfig(JSON.parse(readFileSync(join(ROOT, 'examples', 'config.json'), 'utf8')) as Record<string, unknown>);
    const run = async (state: MemoryStore): Promise<{ alerts: Alert[]; table: Map<string, unknown> }> => {
      const alerts: Alert[] = [];
      await replay({ paths: [join(ROOT, 'examples', 'AWSLogs'), dir], config, ports: { state, ledger: new MemoryLedger() }, onAlert: (a) => alerts.push(a) });
      return { alerts, table: state.dump() };
    };
    // When replayed into a store that keeps the batches' items, and into one that applies each update
    const kept = await run(new MemoryStore());
    const applied = await run(new ApplyingStore());
    // Then the tables and the alerts are the same
    expect(kept.table.size).toBeGreaterThan(100);
    expect(kept.alerts.length).toBeGreaterThan(10);
    expect(kept.table).toEqual(applied.table);
    expect(kept.alerts).toEqual(applied.alerts);
  });
});

