/**
 * Which input shapes replay reads, by their content and not only their name: JSON Lines named
 * `.log` or nothing, gzip of any name (and on stdin), documents run together or printed over
 * lines, log platforms' exports; and what it passes over with the reason (a README, a CSV, a
 * configuration file, an Elastic Common Schema export) without counting rejected records.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { tempDir } from './support/cli';
import { ADDRESSES, outboundSession, outToCustomer, sessionCall } from './support/case-records';
import { CASE_BASE_CONFIG } from './detectors/cases';
import { replay, type ReplayOptions, type ReplayReport } from '../cli/replay';
import { readDocument } from '../cli/inputs';
import { loadConfig } from '../lambdas/core/config';
import { ECS_REASON, parseRecord } from '../lambdas/core/parse';
import type { Alert } from '../lambdas/engine/alerts';
import { MemoryLedger } from '../lambdas/state/memory-ledger';
import { MemoryStore } from '../lambdas/state/memory-store';

const ROOT = join(__dirname, '..');
const WALL_CLOCK = Date.parse('2026-01-01T00:00:00Z');

/** A call from the outbound session in nat-eu, then the same session from another /24: one session-locations alert. */
function stolenSession(): [Record<string, unknown>, Record<string, unknown>] {
  const session = outboundSession('backend-5e5e5e5e');
  return [
    outToCustomer({ time: '2024-08-01T10:00:00Z', caller: session }) as Record<string, unknown>,
    sessionCall({ time: '2024-08-01T10:20:00Z', caller: session, sourceIp: ADDRESSES.external }) as Record<string, unknown>,
  ];
}

/** The two calls as JSON Lines. */
function jsonl(records: readonly unknown[]): string {
  return `${records.map((r) => JSON.stringify(r)).join('\n')}\n`;
}

/** A replay of `paths` with the cases' configuration. */
async function run(paths: readonly string[], extra: Partial<ReplayOptions> = {}): Promise<{ report: ReplayReport; alerts: Alert[] }> {
  const alerts: Alert[] = [];
  const report = await replay({ paths, config: loadConfig(CASE_BASE_CONFIG), ports: { state: new MemoryStore(), ledger: new MemoryLedger() }, wallClock: { now: () => WALL_CLOCK }, onAlert: (a) => alerts.push(a), ...extra });
  return { report, alerts };
}

/** The real command with `input` on stdin; its exit code and output. */
function command(args: readonly string[], input: string | Buffer, timeoutMs = 30_000): { status: number | null; stdout: string; stderr: string } {
  const dir = tempDir('arw-inputs-');
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify(CASE_BASE_CONFIG));
  const result = spawnSync(process.execPath, ['--require', require.resolve('tsx/cjs'), join(ROOT, 'cli', 'run.ts'), ...args, '--config', config], {
    input,
    encoding: 'utf8',
    timeout: timeoutMs,
    killSignal: 'SIGKILL',
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('inputs read by their content', () => {
  it('reads JSON Lines named .log, and with no extension at all, in a walked directory', async () => {
    // Given the first call in a .log file and the second in a file without extension
    const dir = tempDir('arw-inputs-');
    const [first, second] = stolenSession();
    writeFileSync(join(dir, 'first.log'), jsonl([first]));
    writeFileSync(join(dir, 'second'), jsonl([second]));
    // When the directory is replayed
    const { report, alerts } = await run([dir]);
    // Then both are read, and the session is seen from its second place
    expect(report.records).toBe(2);
    expect(report.skipped).toEqual([]);
    expect(alerts.map((a) => a.detector)).toEqual(['session-locations']);
  });

  it('inflates gzip by its magic bytes, whatever the name, and refuses a .gz name that holds no gzip', async () => {
    // Given a gzipped log file named .json, gzipped JSON Lines named .log, and a .gz that is plain text
    const dir = tempDir('arw-inputs-');
    const [first, second] = stolenSession();
    writeFileSync(join(dir, 'a_20240801T1000Z_x.json'), gzipSync(JSON.stringify({ Records: [first] })));
    writeFileSync(join(dir, 'b.log'), gzipSync(jsonl([second])));
    writeFileSync(join(dir, 'c.jsonl.gz'), jsonl([{ ...second, eventID: 'plain' }]));
    // When replayed
    const { report, alerts } = await run([dir]);
    // Then the gzip files are read, and the plain .gz is unreadable with the reason
    expect(report.records).toBe(2);
    expect(report.unreadable).toEqual([{ path: join(dir, 'c.jsonl.gz'), reason: 'not gzip, though its name ends .gz' }]);
    expect(alerts).toHaveLength(1);
  });

  it('reads every document of a file holding several run together on one line, as zcat gives them', async () => {
    // Given two CloudTrail log files' documents, one after the other without a newline
    const dir = tempDir('arw-inputs-');
    const [first, second] = stolenSession();
    writeFileSync(join(dir, 'all.json'), `${JSON.stringify({ Records: [first] })}${JSON.stringify({ Records: [second] })}`);
    // When replayed
    const { report, alerts } = await run([join(dir, 'all.json')]);
    // Then both records are read, none rejected
    expect(report.records).toBe(2);
    expect(report.rejectedTotal).toBe(0);
    expect(alerts).toHaveLength(1);
  });

  it('reads documents printed over several lines one after another (jq .), and rejects a broken one alone', async () => {
    // Given three pretty-printed documents: the first call, one cut short, the second call
    const dir = tempDir('arw-inputs-');
    const [first, second] = stolenSession();
    const broken = JSON.stringify({ Records: [{ ...first, eventID: 'cut' }] }, null, 2).split('\n').slice(0, 12).join('\n');
    writeFileSync(join(dir, 'pretty.json'), [JSON.stringify({ Records: [first] }, null, 2), broken, JSON.stringify(second, null, 2)].join('\n'));
    // When replayed
    const { report, alerts } = await run([join(dir, 'pretty.json')]);
    // Then the two whole documents are read and the cut one is one rejection, at the line it begins
    const firstLines = JSON.stringify({ Records: [first] }, null, 2).split('\n').length;
    expect(report.records).toBe(3);
    expect(report.rejected).toEqual([{ kind: 'rejected', reason: expect.stringMatching(/^not JSON: the document begun on line \d+ does not end before line \d+$/), eventId: null, origin: { file: join(dir, 'pretty.json'), line: firstLines + 1 } }]);
    expect(alerts).toHaveLength(1);
  });

  it('costs a truncated JSON Lines line that line alone, whether it stops inside a string or between fields', async () => {
    // Given JSON Lines with a line cut inside a string and one cut after an object opened, between good lines
    const dir = tempDir('arw-inputs-');
    const [first, second] = stolenSession();
    const text = JSON.stringify(second);
    const lines = [JSON.stringify(first), text.slice(0, text.indexOf('"userIdentity"') + 20), `${text.slice(0, text.indexOf('"userIdentity"') + 16)}{`, JSON.stringify(second)];
    writeFileSync(join(dir, 'calls.log'), `${lines.join('\n')}\n`);
    // When replayed
    const { report, alerts } = await run([join(dir, 'calls.log')]);
    // Then lines 2 and 3 are rejected, each at its own line, and the last is read
    expect(report.rejected.map((r) => r.origin?.line)).toEqual([2, 3]);
    expect(report.records).toBe(4);
    expect(alerts).toHaveLength(1);
  });

  it('skips what is not CloudTrail in a walked directory with the reason, counting no rejected record', async () => {
    // Given a log file beside a README, a CSV, a configuration file, a registry export, a JSON
    // array of other objects, a hidden file and a hidden directory
    const dir = tempDir('arw-inputs-');
    const [first, second] = stolenSession();
    writeFileSync(join(dir, 'calls_20240801T1000Z_x.json'), JSON.stringify({ Records: [first, second] }));
    writeFileSync(join(dir, 'README.md'), '# Trail exports\n\nCopied from the bucket.\n');
    writeFileSync(join(dir, 'events.csv'), 'eventTime,eventName\n2024-08-01T10:00:00Z,AssumeRole\n');
    writeFileSync(join(dir, 'config.json'), JSON.stringify(CASE_BASE_CONFIG, null, 2));
    writeFileSync(join(dir, 'customers.jsonl'), '{"tenantId":"acme","accountId":"111122223333"}\n');
    writeFileSync(join(dir, 'labels.json'), JSON.stringify([{ detector: 'x', eventIds: ['e'] }]));
    writeFileSync(join(dir, '.DS_Store'), Buffer.from([0, 0, 0, 1, 66, 117, 100, 49]));
    mkdirSync(join(dir, '.git'));
    writeFileSync(join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    // When the directory is replayed
    const { report, alerts } = await run([dir]);
    // Then each is skipped with its reason; only the log file's records are read
    expect(report.records).toBe(2);
    expect(report.rejectedTotal).toBe(0);
    expect(report.unreadable).toEqual([]);
    expect(new Map(report.skipped.map((s) => [s.path.slice(dir.length + 1), s.reason]))).toEqual(
      new Map([
        ['.DS_Store', 'hidden (its name begins with a dot): not walked'],
        ['.git', 'hidden (its name begins with a dot): not walked'],
        ['README.md', 'not JSON: it begins "# Trail exports\\n\\nCopied "'],
        ['events.csv', 'not JSON: it begins "eventTime,eventName\\n2024"'],
        ['config.json', expect.stringMatching(/^not CloudTrail: an object without Records, eventID, eventTime or detail \(keys "monitoredRoleArns"/)],
        ['customers.jsonl', 'not CloudTrail: an object without Records, eventID, eventTime or detail (keys "tenantId", "accountId")'],
        ['labels.json', 'not CloudTrail: an object without Records, eventID, eventTime or detail (keys "detector", "eventIds")'],
      ]),
    );
    expect(report.skippedTotal).toBe(7);
    expect(alerts).toHaveLength(1);
  });

  it('skips a binary file at its first bytes, before the line cap could make it unreadable', async () => {
    // Given 3 MB without a newline (an archive) beside a log file, and a 1 MB line cap
    const dir = tempDir('arw-inputs-');
    writeFileSync(join(dir, 'backup.tar'), Buffer.concat([Buffer.from('PK\u0003\u0004'), Buffer.alloc(3 * 1024 * 1024, 7)]));
    writeFileSync(join(dir, 'calls.json'), JSON.stringify({ Records: stolenSession() }));
    // When replayed
    const { report } = await run([dir], { limits: { maxFileBytes: 1024 * 1024, maxLineBytes: 1024 * 1024 } });
    // Then it is skipped as not JSON, and nothing is unreadable
    expect(report.skipped).toEqual([{ path: join(dir, 'backup.tar'), reason: expect.stringMatching(/^not JSON: it begins "PK/) }]);
    expect(report.unreadable).toEqual([]);
    expect(report.records).toBe(2);
  });

  it('gives the same report whether the reader thread parses the files or not, skipped ones included', async () => {
    // Given 70 log files (enough for the reader thread), a configuration file and a README among them
    const dir = tempDir('arw-inputs-');
    const [first, second] = stolenSession();
    for (let i = 0; i < 70; i++) writeFileSync(join(dir, `f${String(i).padStart(2, '0')}_20240801T10${String(i % 60).padStart(2, '0')}Z_x.json`), JSON.stringify({ Records: [{ ...first, eventID: `e-${i}` }] }));
    writeFileSync(join(dir, 'z_20240801T1030Z_last.json'), JSON.stringify({ Records: [second] }));
    writeFileSync(join(dir, 'config.json'), JSON.stringify(CASE_BASE_CONFIG));
    writeFileSync(join(dir, 'README'), 'notes\n');
    // When replayed with the reader thread and without
    const threaded = await run([dir], { readerThread: true });
    const inline = await run([dir], { readerThread: false });
    // Then both skip the same two files and see the same records
    expect(threaded.report.skipped.map((s) => s.path).sort()).toEqual([join(dir, 'README'), join(dir, 'config.json')]);
    expect(threaded.report).toEqual(inline.report);
    expect(threaded.alerts).toEqual(inline.alerts);
  });
});

describe('log platforms\' exports', () => {
  it('reads raw CloudTrail records exported by Logstash with @timestamp in place of eventTime, and OpenSearch search hits', async () => {
    // Given the first call as Logstash's CloudTrail codec leaves it, and the second as an OpenSearch hit
    const dir = tempDir('arw-inputs-');
    const [first, second] = stolenSession();
    const { eventTime, ...rest } = first;
    const logstash = { ...rest, '@timestamp': `${String(eventTime).slice(0, -1)}.000Z`, '@version': '1', tags: ['cloudtrail'] };
    const hit = { _index: 'cloudtrail-2024.08.01', _id: 'x', _score: 1, _source: second };
    writeFileSync(join(dir, 'export.ndjson'), jsonl([logstash, hit]));
    // When replayed
    const { report, alerts } = await run([dir]);
    // Then both are read as CloudTrail records
    expect(report.rejected).toEqual([]);
    expect(report.relevant).toBe(2);
    expect(alerts.map((a) => a.detector)).toEqual(['session-locations']);
  });

  it('leaves @timestamp unread by the Lambda\'s parsing: only replay asks for it', () => {
    // Given a record dated only by @timestamp
    const { eventTime, ...rest } = stolenSession()[0];
    // When parsed as the Lambda parses, and as replay does
    const lambda = parseRecord({ ...rest, '@timestamp': eventTime });
    const offline = parseRecord({ ...rest, '@timestamp': eventTime }, null, { logExport: true });
    // Then the Lambda rejects it, replay reads it
    expect(lambda).toMatchObject({ kind: 'rejected', reason: 'eventTime: missing' });
    expect(offline.kind).toBe('assume-role');
  });

  it('skips an export mapped to Elastic Common Schema, and rejects an ECS document among raw records, with the reason', async () => {
    // Given an ECS export (Elastic's AWS integration) and raw records followed by one ECS document
    const dir = tempDir('arw-inputs-');
    const [first, second] = stolenSession();
    const ecs = { '@timestamp': '2024-08-01T10:00:00.000Z', ecs: { version: '8.11.0' }, event: { action: 'AssumeRole', provider: 'sts.amazonaws.com' }, cloud: { account: { id: '210987654321' } }, aws: { cloudtrail: { event_version: '1.08' } } };
    const flat = { '@timestamp': '2024-08-01T10:00:00.000Z', 'event.action': 'AssumeRole', 'cloud.account.id': '210987654321', 'aws.cloudtrail.event_version': '1.08' };
    writeFileSync(join(dir, 'elastic.ndjson'), jsonl([ecs, ecs]));
    writeFileSync(join(dir, 'mixed.jsonl'), jsonl([first, second, flat]));
    // When replayed
    const { report } = await run([dir]);
    // Then the ECS export is skipped whole, and the ECS line among raw records rejected, both with the reason
    expect(report.skipped).toEqual([{ path: join(dir, 'elastic.ndjson'), reason: ECS_REASON }]);
    expect(report.rejected).toEqual([{ kind: 'rejected', reason: ECS_REASON, eventId: null, origin: { file: join(dir, 'mixed.jsonl'), line: 3 } }]);
    expect(ECS_REASON).toMatch(/^mapped to Elastic Common Schema .*; export the raw CloudTrail records/);
  });
});

describe('stdin', () => {
  it('reads gzip on stdin (cat f.json.gz | replay -)', () => {
    // Given a gzipped CloudTrail log file on stdin
    const input = gzipSync(JSON.stringify({ Records: stolenSession() }));
    // When replayed
    const { status, stdout } = command(['replay', '-', '--json'], input);
    // Then it alerts
    expect(JSON.parse(stdout.trim())).toMatchObject({ detector: 'session-locations' });
    expect(status).toBe(1);
  });

  it('reads several CloudTrail documents on stdin, each whole, once rejected as one', () => {
    // Given two log files' documents on stdin, the second printed over several lines
    const [first, second] = stolenSession();
    const input = `${JSON.stringify({ Records: [first] })}\n${JSON.stringify({ Records: [second] }, null, 2)}\n`;
    // When replayed
    const { status, stdout, stderr } = command(['replay', '-', '--json'], input);
    // Then both records are read and the session alerts
    expect(stderr).toContain('replayed 2 records');
    expect(stderr).toContain('rejected 0');
    expect(JSON.parse(stdout.trim())).toMatchObject({ detector: 'session-locations' });
    expect(status).toBe(1);
  });

  it('skips /dev/zero on stdin as not JSON at its first byte, exit 2 (nothing read)', () => {
    // Given /dev/zero on stdin
    const dir = tempDir('arw-inputs-');
    writeFileSync(join(dir, 'config.json'), JSON.stringify(CASE_BASE_CONFIG));
    const node = [process.execPath, '--require', require.resolve('tsx/cjs'), join(ROOT, 'cli', 'run.ts'), 'replay', '-', '--config', join(dir, 'config.json')];
    // When replayed, in a process that could not hold much of it
    const result = spawnSync('/bin/sh', ['-c', 'ulimit -v 1500000 && exec "$@" < /dev/zero', 'sh', ...node], { encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL', env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } });
    // Then it ends at once, nothing read, exit 2
    expect(result.stderr).toContain('replayed 0 records');
    expect(result.status).toBe(2);
  });

  it('refuses stdin named twice (replay - -) as a usage error', async () => {
    // When stdin is named twice
    const replayed = run(['-', '-']);
    // Then it is a usage error, before anything is read
    await expect(replayed).rejects.toMatchObject({ name: 'UsageError', message: '- (stdin) is given twice; it can be read once' });
  });
});

describe('what the report tells the caller for its exit code', () => {
  it('says whether any record touched a monitored role', async () => {
    // Given the stolen session's calls, and the same calls with another account's roles
    const dir = tempDir('arw-inputs-');
    writeFileSync(join(dir, 'ours.json'), JSON.stringify({ Records: stolenSession() }));
    const theirs = JSON.parse(JSON.stringify(stolenSession()).replaceAll('210987654321', '999988887777')) as unknown[];
    writeFileSync(join(dir, 'theirs.json'), JSON.stringify({ Records: theirs }));
    // When each is replayed
    const ours = await run([join(dir, 'ours.json')]);
    const other = await run([join(dir, 'theirs.json')]);
    // Then the first matched a monitored role and the second did not, though both were read
    expect(ours.report.matchedMonitoredRole).toBe(true);
    expect(other.report.records).toBe(2);
    expect(other.report.matchedMonitoredRole).toBe(false);
  });

  it('counts records read and rejected apart from skipped files', async () => {
    // Given a file of rejected records and a README
    const dir = tempDir('arw-inputs-');
    writeFileSync(join(dir, 'bad.jsonl'), '{"eventID":"a"}\n{"eventID":"b"}\n');
    writeFileSync(join(dir, 'README'), 'notes\n');
    // When replayed
    const { report } = await run([dir]);
    // Then two records were read, both rejected, and one file skipped
    expect({ records: report.records, rejected: report.rejectedTotal, skipped: report.skippedTotal }).toEqual({ records: 2, rejected: 2, skipped: 1 });
  });

  it('reads a document file whole through the same parser the reader thread uses', () => {
    // Given a .json file holding two documents run together
    const dir = tempDir('arw-inputs-');
    const [first, second] = stolenSession();
    writeFileSync(join(dir, 'two.json'), `${JSON.stringify({ Records: [first] })}${JSON.stringify({ Records: [second] })}`);
    // When read as the reader thread reads it
    const results = readDocument({ path: join(dir, 'two.json'), display: 'two.json' });
    // Then both records come out, each at line 1
    expect(results.map((r) => [r.kind, r.kind === 'rejected' ? r.origin?.line : r.eventId])).toEqual([
      ['assume-role', first.eventID],
      ['session-activity', second.eventID],
    ]);
  });
});
