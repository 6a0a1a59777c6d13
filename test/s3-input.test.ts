/**
 * Replay straight from a trail's bucket, against a real S3 API server (s3rver on 127.0.0.1): the
 * code under test builds its own client through the default credential chain (the server's keys
 * in the environment) and an endpoint, as a user's run would.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { replay, type ReplayOptions, type ReplayReport } from '../cli/replay';
import { DEFAULT_INPUT_LIMITS, type InputFile } from '../cli/inputs';
import { S3Reader, s3Client } from '../cli/s3-input';
import { loadConfig } from '../lambdas/core/config';
import type { Alert } from '../lambdas/engine/alerts';
import { MemoryLedger } from '../lambdas/state/memory-ledger';
import { MemoryStore } from '../lambdas/state/memory-store';
import { CASE_BASE_CONFIG } from './detectors/cases';
import { outboundSession, outToCustomer, sessionCall, ADDRESSES } from './support/case-records';
import { startLocalS3, type LocalS3 } from './support/s3';
import { cli } from './support/cli';

const ROOT = join(__dirname, '..');
const EXAMPLES = join(ROOT, 'examples', 'AWSLogs');
const ACCOUNT = '210987654321';
const ORG = 'o-a1b2c3d4e5';
/** The wall clock these replays run at: the day after the examples. */
const WALL_CLOCK = Date.parse('2026-10-08T00:00:00Z');
const BUCKET = 'org-trail-logs';
const PLAIN = 'account-trail-logs';
const OTHER = 'other-bucket';

/** Every file under a folder, as paths relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(join(dir, f)).isFile()).sort();
}

const config = loadConfig(JSON.parse(readFileSync(join(ROOT, 'examples', 'config.json'), 'utf8')) as Record<string, unknown>);

/** A replay of `paths` with the examples' configuration; its report and alerts. */
async function run(paths: readonly string[], extra: Partial<ReplayOptions> = {}): Promise<{ report: ReplayReport; alerts: Alert[] }> {
  const alerts: Alert[] = [];
  const report = await replay({ paths, config, ports: { state: new MemoryStore(), ledger: new MemoryLedger() }, wallClock: { now: () => WALL_CLOCK }, onAlert: (a) => alerts.push(a), ...extra });
  return { report, alerts };
}

/** The counts two replays of the same records agree on, whatever the files are called. */
function counts(r: ReplayReport): Record<string, unknown> {
  return { files: r.files, records: r.records, relevant: r.relevant, ignored: r.ignored, duplicates: r.duplicates, late: r.late, rejectedTotal: r.rejectedTotal, alerts: r.alerts, alertsByDetector: r.alertsByDetector, findings: r.findings, first: r.firstEventTime, last: r.lastEventTime };
}

describe('replay from S3', () => {
  let s3: LocalS3;
  let endpoint: string;
  const saved = { ...process.env };
  const put = (bucket: string, key: string, body: Buffer | string): Promise<unknown> => s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  /** The requests the server received for ListObjectsV2: the prefix and whether it was delimited. */
  const listings = (): { bucket: string; prefix: string; delimited: boolean }[] =>
    s3.requests.filter((r) => r.method === 'GET' && r.query['list-type'] === '2').map((r) => ({ bucket: r.path.slice(1).split('/')[0]!, prefix: r.query.prefix ?? '', delimited: r.query.delimiter === '/' }));
  /** The keys the server was asked for with GetObject. */
  const fetched = (): string[] => s3.requests.filter((r) => r.method === 'GET' && r.query['list-type'] === undefined && r.path.split('/').length > 2).map((r) => r.path.slice(1).split('/').slice(1).join('/'));

  beforeAll(async () => {
    s3 = await startLocalS3([BUCKET, PLAIN, OTHER]);
    endpoint = s3.endpoint;
    // The code under test finds credentials through the SDK's default chain, as a user's run does.
    process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
    process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
    process.env.AWS_REGION = 'eu-west-1';
    delete process.env.AWS_PROFILE;
    // The demo's files: under an organization trail's layout in one bucket, under a trail prefix and an account trail's layout in the other.
    const files = filesUnder(EXAMPLES);
    for (let i = 0; i < files.length; i += 32) {
      await Promise.all(
        files.slice(i, i + 32).flatMap((f) => {
          const body = readFileSync(join(EXAMPLES, f));
          return [put(BUCKET, `AWSLogs/${ORG}/${f}`, body), put(PLAIN, `trail-prefix/AWSLogs/${f}`, body)];
        }),
      );
    }
  }, 120_000);
  afterAll(async () => {
    process.env = saved;
    await s3.stop();
  });
  beforeEach(() => {
    s3.requests.length = 0;
    s3.denied.clear();
  });

  it('gives the same report and alerts from an organization trail\'s bucket and a plain one as from the same files on disk', async () => {
    // Given the demo's files on disk, and the same files in both buckets
    const local = await run([EXAMPLES]);
    // When the buckets are replayed from their roots
    const org = await run([`s3://${BUCKET}/`], { s3Endpoint: endpoint });
    const plain = await run([`s3://${PLAIN}`], { s3Endpoint: endpoint });
    // Then each sees the same records and gives the same alerts, in the same order
    expect(local.report.files).toBe(802);
    expect(local.alerts.length).toBeGreaterThan(10);
    for (const remote of [org, plain]) {
      expect(remote.report.unreadable).toEqual([]);
      expect(counts(remote.report)).toEqual(counts(local.report));
      expect(remote.alerts).toEqual(local.alerts);
    }
  }, 180_000);

  it('gives the same alerts through the command line, s3:// with --s3-endpoint and --from/--to, as the same files on disk', async () => {
    // Given the last day of the demo, on disk and in the organization trail's bucket
    const day = ['--from', '2026-10-07', '--to', '2026-10-07', '--config', join(ROOT, 'examples', 'config.json'), '--json'];
    // When both are replayed by the command
    const local = await cli(['replay', EXAMPLES, ...day]);
    const remote = await cli(['replay', `s3://${BUCKET}/AWSLogs/`, '--s3-endpoint', endpoint, ...day]);
    // Then the same alerts come out, with the same exit code
    const ids = (out: string): string[] => out.split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { alertId: string }).alertId);
    expect(remote.code).toBe(local.code);
    expect(ids(local.out).length).toBeGreaterThan(5);
    expect(ids(remote.out)).toEqual(ids(local.out));
    expect(remote.err).not.toContain('unreadable');
  });

  it('lists only the days asked for, never a whole bucket, and fetches only their objects', async () => {
    // Given the organization trail's bucket, holding 5 to 7 October
    // When 6 October alone is replayed
    const remote = await run([`s3://${BUCKET}/`], { s3Endpoint: endpoint, from: '2026-10-06', to: '2026-10-06' });
    // Then every listing of everything under a prefix (no delimiter) is of that day's folder, and
    // no listing reaches another day
    const lists = listings();
    const days = lists.map((l) => /\/(\d{4})\/(\d{2})\/(\d{2})\/$/.exec(l.prefix)?.slice(1).join('-')).filter((d) => d !== undefined);
    expect(new Set(days)).toEqual(new Set(['2026-10-06']));
    for (const l of lists.filter((x) => !x.delimited)) expect(l.prefix).toMatch(/\/2026\/10\/06\/$/);
    // And the account's other folders are not listed: straight from the account to CloudTrail/
    expect(lists.map((l) => l.prefix)).not.toContain(`AWSLogs/${ORG}/${ACCOUNT}/`);
    // And only that day's objects were fetched: the day's files of both regions
    const expected = filesUnder(EXAMPLES).filter((f) => f.includes('/2026/10/06/'));
    expect(fetched().sort()).toEqual(expected.map((f) => `AWSLogs/${ORG}/${f}`).sort());
    expect(remote.report.files).toBe(expected.length);
    // And the replay is the same as of the same day's files on disk (filtered by the date in their names)
    const local = await run([EXAMPLES], { from: '2026-10-06', to: '2026-10-06' });
    expect(counts(remote.report)).toEqual(counts(local.report));
    expect(remote.alerts).toEqual(local.alerts);
  });

  it('starts from a prefix inside the layout, and from part of a folder name', async () => {
    // Given the organization trail's bucket
    // When one region is replayed, and the days of one region whose folder begins "0" (all of October's)
    const region = await run([`s3://${BUCKET}/AWSLogs/${ORG}/${ACCOUNT}/CloudTrail/us-east-1/`], { s3Endpoint: endpoint, from: '2026-10-07' });
    const partial = await run([`s3://${BUCKET}/AWSLogs/${ORG}/${ACCOUNT}/CloudTrail/eu-west-1/2026/10/0`], { s3Endpoint: endpoint, to: '2026-10-05' });
    // Then each reads just those objects
    const all = filesUnder(EXAMPLES);
    expect(region.report.files).toBe(all.filter((f) => f.includes('us-east-1/2026/10/07/')).length);
    expect(partial.report.files).toBe(all.filter((f) => f.includes('eu-west-1/2026/10/05/')).length);
    expect(region.report.records).toBeGreaterThan(0);
  });

  it('walks a prefix outside the layout and keeps the files whose name dates them in range, and those without a date', async () => {
    // Given copies of three days' log files in a flat export folder, beside a JSON Lines file with no date in its name
    const all = filesUnder(EXAMPLES).filter((f) => f.includes('eu-west-1'));
    for (const f of all) await put(OTHER, `exports/flat/${f.split('/').pop()}`, readFileSync(join(EXAMPLES, f)));
    const [first, second] = [outToCustomer({ time: '2026-10-06T10:00:00Z', caller: outboundSession('backend-5e5e5e5e') }), sessionCall({ time: '2026-10-06T10:20:00Z', caller: outboundSession('backend-5e5e5e5e'), sourceIp: ADDRESSES.external })];
    await put(OTHER, 'exports/calls.jsonl.gz', gzipSync(`${JSON.stringify(first)}\n${JSON.stringify(second)}\n`));
    // When the folder is replayed for 6 October
    const remote = await run([`s3://${OTHER}/exports/`], { s3Endpoint: endpoint, from: '2026-10-06', to: '2026-10-06' });
    // Then the day's files and the undated one are read, the other days' are not fetched
    const day = all.filter((f) => f.includes('/2026/10/06/'));
    expect(remote.report.files).toBe(day.length + 1);
    expect(fetched().filter((k) => k.includes('_20261005T') || k.includes('_20261007T'))).toEqual([]);
    expect(remote.report.unreadable).toEqual([]);
  });

  it('reports a missing bucket and a denied object by name as unreadable, and replays the rest', async () => {
    // Given a denied object among the organization trail's 7 October files
    const denied = filesUnder(EXAMPLES).find((f) => f.includes('eu-west-1/2026/10/07/'))!;
    s3.denied.add(`${BUCKET}/AWSLogs/${ORG}/${denied}`);
    // When that day and a bucket that does not exist are replayed
    const remote = await run([`s3://${BUCKET}/AWSLogs/`, 's3://no-such-bucket-here/AWSLogs/'], { s3Endpoint: endpoint, from: '2026-10-07', to: '2026-10-07' });
    // Then both are named, with S3's reason, and the other files of the day are replayed
    expect(remote.report.unreadable).toEqual(
      expect.arrayContaining([
        { path: 's3://no-such-bucket-here/AWSLogs/', reason: expect.stringMatching(/^NoSuchBucket: /) },
        { path: `s3://${BUCKET}/AWSLogs/${ORG}/${denied}`, reason: 'AccessDenied: Access Denied' },
      ]),
    );
    expect(remote.report.unreadable).toHaveLength(2);
    expect(remote.report.files).toBe(filesUnder(EXAMPLES).filter((f) => f.includes('/2026/10/07/')).length);
    expect(remote.report.records).toBeGreaterThan(0);
  });

  it('refuses an object over --max-file-mb by its size, naming it, without reading it', async () => {
    // Given a 2 MB object named as a log file
    await put(OTHER, 'big/210987654321_CloudTrail_eu-west-1_20261006T1000Z_big.json', `{"Records":[${' '.repeat(2 * 1024 * 1024)}]}`);
    // When replayed with a 1 MB cap
    const remote = await run([`s3://${OTHER}/big/`], { s3Endpoint: endpoint, limits: { ...DEFAULT_INPUT_LIMITS, maxFileBytes: 1024 * 1024 } });
    // Then it is unreadable with the cap named
    expect(remote.report.unreadable).toEqual([{ path: `s3://${OTHER}/big/210987654321_CloudTrail_eu-west-1_20261006T1000Z_big.json`, reason: 'larger than 1 MB (--max-file-mb)' }]);
  });

  it('reaches the server through the SDK\'s own AWS_ENDPOINT_URL_S3, without the option', async () => {
    // Given the endpoint in the environment only
    process.env.AWS_ENDPOINT_URL_S3 = endpoint;
    try {
      // When one day of one region is replayed
      const remote = await run([`s3://${BUCKET}/AWSLogs/${ORG}/${ACCOUNT}/CloudTrail/eu-west-1/2026/10/05/`]);
      // Then its files are read
      expect(remote.report.unreadable).toEqual([]);
      expect(remote.report.files).toBe(filesUnder(EXAMPLES).filter((f) => f.includes('eu-west-1/2026/10/05/')).length);
    } finally {
      delete process.env.AWS_ENDPOINT_URL_S3;
    }
  });

  it('holds at most the bytes it may fetch ahead, fetching the next object as each is taken', async () => {
    // Given ten 10 KB objects
    const files: InputFile[] = [];
    for (let i = 0; i < 10; i++) {
      const key = `window/f${i}_20261006T10${String(i).padStart(2, '0')}Z_x.json`;
      await put(OTHER, key, JSON.stringify({ Records: [], pad: 'x'.repeat(10_000) }));
      files.push({ path: `s3://${OTHER}/${key}`, display: key, stamp: '', object: { bucket: OTHER, key, size: 10_000 } });
    }
    s3.requests.length = 0;
    const reader = new S3Reader(await s3Client({ endpoint }), files, DEFAULT_INPUT_LIMITS, 16, 35_000);
    try {
      // When the engine is at the first
      expect(await (reader.prepare(0, {}) as Promise<unknown>)).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Then it and the three after it are fetched (35 KB holds three ahead), not all ten
      expect(fetched()).toHaveLength(4);
      // When it moves to the second
      expect(await (reader.prepare(1, {}) as Promise<unknown>)).toEqual([]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      // Then one more is fetched
      expect(fetched()).toHaveLength(5);
    } finally {
      reader.close();
    }
  });
});

describe('S3 URLs and days', () => {
  it.each([
    [{ paths: ['s3://'] }, 'expected s3://BUCKET/PREFIX'],
    [{ paths: ['s3://Bad_Bucket/x'] }, 'expected s3://BUCKET/PREFIX'],
    [{ paths: ['s3://bucket/'], from: '2026-10-32' }, '--from takes a date as YYYY-MM-DD (UTC), got "2026-10-32"'],
    [{ paths: ['s3://bucket/'], from: '2026-10-07', to: '2026-10-06' }, '--from 2026-10-07 is after --to 2026-10-06'],
  ])('refuses %j as a usage error before listing anything', async (options, message) => {
    await expect(replay({ config: loadConfig(CASE_BASE_CONFIG), ports: { state: new MemoryStore(), ledger: new MemoryLedger() }, ...options })).rejects.toMatchObject({ name: 'UsageError', message: expect.stringContaining(message) });
  });

});
