/**
 * The customer registry: the export's contract (JSON Lines, digests only), replay reading it
 * beside its config file, and the Lambda reading it from a real S3 API server (s3rver on
 * 127.0.0.1): conditional re-reads, the last good copy kept, a look again on an unknown
 * integration, the metric the alarm watches.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { loadConfig } from '../lambdas/core/config';
import { parseRecord } from '../lambdas/core/parse';
import type { ParsedCall } from '../lambdas/core/types';
import { externalIdSha256, parseCustomerRegistry } from '../lambdas/core/customer-registry';
import { s3CustomerRegistry, type CustomerRegistrySource } from '../lambdas/detect/customer-registry';
import { handleBatch } from '../lambdas/detect/handler';
import { CASE_BASE_CONFIG } from './detectors/cases';
import { customerRole, CUSTOMERS, externalIdOf, outToCustomer, type Json } from './support/case-records';
import { testDependencies } from './support/handler';
import { CASE_REGISTRY, registryLine } from './support/registry';
import { startLocalS3, type LocalS3 } from './support/s3';
import { sqsEvent } from './support/sqs';
import { cli, tempDir } from './support/cli';

const jsonl = (lines: readonly unknown[]): string => lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n');
const T = '2024-08-01T10:45:22Z';

describe('the registry export', () => {
  it('hashes an external ID as the contract says: lowercase hex SHA-256 of its UTF-8 bytes exactly as sent', () => {
    // SHA-256("abc"), FIPS 180-2's test vector; and a non-ASCII ID hashed as UTF-8, not Latin-1
    expect(externalIdSha256('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(externalIdSha256('é')).toBe(createHash('sha256').update(Buffer.from([0xc3, 0xa9])).digest('hex'));
    expect(externalIdSha256('é')).not.toBe(createHash('sha256').update(Buffer.from([0xe9])).digest('hex'));
    expect(externalIdSha256(' abc')).not.toBe(externalIdSha256('abc'));
  });

  it('reports each malformed line with its number and the reason, and uses the rest', () => {
    // Given an export with good lines and one of each kind of mistake
    const good = registryLine('t-0001', CUSTOMERS.acme);
    const text = jsonl([
      good,
      '',
      '{"tenantId": "t-0002", "accountId": 444455556666',
      { ...registryLine('t-0002', CUSTOMERS.globex), roleArn: customerRole(CUSTOMERS.acme) },
      { ...registryLine('t-0003', CUSTOMERS.initech), externalIdSha256: [externalIdOf(CUSTOMERS.initech)] },
      { ...registryLine('t-0004', CUSTOMERS.umbrella), accountId: 135791357913 },
      { ...registryLine('t-0005', '222233334444'), tenantId: '' },
      { ...registryLine('t-0006', '555566667777'), externalIdSha256: [] },
      { ...registryLine('t-0007', '888899990000'), comment: 'unknown fields are ignored', externalIdSha256: [externalIdSha256('x').toUpperCase()] },
    ]);
    // When it is read
    const { registry, problems } = parseCustomerRegistry(text);
    // Then every bad line is named, with its number, and the good ones are there
    expect(problems).toEqual([
      { line: 3, message: expect.stringMatching(/^not JSON/) },
      { line: 4, message: `roleArn "${customerRole(CUSTOMERS.acme)}" is not in accountId ${CUSTOMERS.globex}` },
      { line: 5, message: expect.stringContaining('externalIdSha256[0] ') },
      { line: 6, message: 'accountId 135791357913 is not a 12-digit account ID (a JSON string)' },
      { line: 7, message: 'tenantId "" is not a non-empty string' },
      { line: 8, message: 'externalIdSha256 [] is not a non-empty list of SHA-256 digests' },
    ]);
    expect(problems[2]!.message).toContain('the SHA-256 of the external ID, not the ID itself');
    expect([...registry.accounts.keys()]).toEqual([CUSTOMERS.acme, '888899990000']);
    expect(registry.accounts.get('888899990000')!.externalIdDigests.has(externalIdSha256('x'))).toBe(true);
  });

  it('joins the lines of one account, and names an account two tenants registered', () => {
    // Given a customer with two roles, and an account a second tenant registered too
    const text = jsonl([
      registryLine('t-0001', CUSTOMERS.acme),
      registryLine('t-0001', CUSTOMERS.acme, { roleArn: `arn:aws:iam::${CUSTOMERS.acme}:role/audit/VendorAudit`, externalIds: ['second-id'] }),
      registryLine('t-0002', CUSTOMERS.globex),
      registryLine('t-0099', CUSTOMERS.globex),
    ]);
    // When it is read
    const { registry } = parseCustomerRegistry(`\ufeff${text.replace(/\n/g, '\r\n')}\r\n`);
    // Then acme has both roles (by name, lowercased, without the path) and both IDs, and globex is shared
    const acme = registry.accounts.get(CUSTOMERS.acme)!;
    expect([...acme.roleNames]).toEqual(['vendor-integration', 'vendoraudit']);
    expect(acme.externalIdDigests.size).toBe(2);
    expect(registry.integrations).toBe(4);
    expect(registry.sharedAccounts.map((a) => [a.accountId, a.tenants])).toEqual([[CUSTOMERS.globex, ['t-0002', 't-0099']]]);
  });
});

describe('replay with a customer registry', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('registry-replay-');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** A config (in its own folder) naming the registry, a log of one call into a stranger's account, and the CLI's output. */
  async function run(registry: string | null, lines?: string): Promise<{ code: number; out: string; err: string }> {
    mkdirSync(join(dir, 'config'), { recursive: true });
    if (lines !== undefined) writeFileSync(join(dir, 'config', 'customers.jsonl'), lines);
    writeFileSync(join(dir, 'config', 'detection.json'), JSON.stringify({ ...CASE_BASE_CONFIG, customerRegistry: registry }));
    writeFileSync(join(dir, 'log.json'), JSON.stringify({ Records: [outToCustomer({ time: T, account: '908172635401', externalId: 'vnd-trial-2f1e0d9c8b7a' }), outToCustomer({ time: T, account: CUSTOMERS.globex })] }));
    return cli(['replay', join(dir, 'log.json'), '--config', join(dir, 'config', 'detection.json')]);
  }

  it('reads the registry beside the config file and alerts on an account it does not list', async () => {
    // When replayed from another working directory with a registry path relative to the config
    const { code, out, err } = await run('customers.jsonl', jsonl([...CASE_REGISTRY, '{"oops"']));
    // Then the malformed line is reported with its number, the load is summed up, and the stranger's account alerts
    expect(err).toContain(`customerRegistry: ${join(dir, 'config', 'customers.jsonl')}:5: not JSON`);
    expect(err).toContain('4 integrations in 4 accounts');
    expect(out).toContain('Role assumed in an account that is not a registered customer');
    expect(out).not.toContain(CUSTOMERS.globex);
    expect(code).toBe(1);
  });

  it.each([
    ['an S3 URL (the Lambda\'s form)', 's3://vendor-exports/customers.jsonl', undefined, 'customerRegistry: s3://vendor-exports/customers.jsonl is an S3 object'],
    ['a missing file', 'customers.jsonl', undefined, 'customerRegistry: cannot read'],
    ['a file without one usable line', 'customers.jsonl', 'tenantId,accountId\nt-1,123', 'holds no usable integration line (2 malformed)'],
  ])('stops with exit 2 naming the key for %s', async (_what, value, lines, message) => {
    const { code, err } = await run(value, lines);
    expect(code).toBe(2);
    expect(err).toContain(message);
  });
});

describe('the Lambda\'s registry in S3', () => {
  const BUCKET = 'vendor-onboarding-exports';
  const KEY = 'registry/customers.jsonl';
  let s3: LocalS3;
  let now: number;
  let source: CustomerRegistrySource;
  const config = loadConfig({ ...CASE_BASE_CONFIG, customerRegistry: `s3://${BUCKET}/${KEY}`, customerRegistryRefreshMinutes: 15 });
  const put = (text: string) => s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: text }));
  const call = (account: string): ParsedCall[] => {
    const parsed = parseRecord(outToCustomer({ time: T, account }));
    return parsed.kind === 'assume-role' ? [parsed] : [];
  };

  beforeAll(async () => {
    s3 = await startLocalS3([BUCKET]);
  });
  afterAll(() => s3.stop());
  beforeEach(async () => {
    await s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: KEY }));
    s3.sent.length = 0;
    now = Date.parse('2026-12-01T09:00:00Z');
    source = s3CustomerRegistry(() => s3.client, config);
  });

  it('reads at cold start, then re-reads with a conditional GET every refresh period, parsing only what changed', async () => {
    // Given the export in S3
    await put(jsonl(CASE_REGISTRY));
    s3.sent.length = 0;
    // When batches come at cold start, a minute later, and after the refresh period
    const first = await source.forBatch([], config, now);
    const soon = await source.forBatch([], config, now + 60_000);
    const later = await source.forBatch([], config, now + 15 * 60_000);
    // Then one GET at cold start, none a minute later, and a 304 after the period (the copy is confirmed, its age back to 0)
    expect(first.reads.map((r) => r.kind)).toEqual(['loaded']);
    expect(first.registry!.accounts.size).toBe(4);
    expect(soon.reads).toEqual([]);
    expect(soon.ageMs).toBe(60_000);
    expect(later.reads.map((r) => r.kind)).toEqual(['unchanged']);
    expect(later.ageMs).toBe(0);
    expect(later.registry).toBe(first.registry);
    expect(s3.sent).toEqual(['GetObjectCommand', 'GetObjectCommand']);
    // When the export changes
    await put(jsonl(CASE_REGISTRY.slice(0, 2)));
    const changed = await source.forBatch([], config, now + 30 * 60_000);
    // Then the new copy replaces the old
    expect(changed.reads.map((r) => r.kind)).toEqual(['loaded']);
    expect(changed.registry!.accounts.size).toBe(2);
  });

  it('keeps the last good copy when the object is deleted or overwritten with nothing usable', async () => {
    // Given a good copy
    await put(jsonl(CASE_REGISTRY));
    const good = (await source.forBatch([], config, now)).registry;
    // When the object disappears, then comes back empty of usable lines
    await s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: KEY }));
    const missing = await source.forBatch([], config, now + 15 * 60_000);
    await put('not,a,registry\n');
    const unusable = await source.forBatch([], config, now + 30 * 60_000);
    // Then each read is reported and the good copy stays, ageing
    expect(missing.reads).toEqual([{ kind: 'failed', error: expect.stringContaining('NoSuchKey'), keptCopy: true }]);
    expect(unusable.reads).toEqual([expect.objectContaining({ kind: 'unusable', keptCopy: true })]);
    expect(unusable.registry).toBe(good);
    expect(unusable.ageMs).toBe(30 * 60_000);
  });

  it('skips the checks without a first good copy, retries every minute, and uses the copy once it is there', async () => {
    // Given no object at cold start
    const cold = await source.forBatch(call('908172635401'), config, now);
    const tooSoon = await source.forBatch([], config, now + 30_000);
    // Then no copy and no second read within the minute
    expect([cold.registry, cold.ageMs, cold.reads.map((r) => r.kind)]).toEqual([null, null, ['failed']]);
    expect(tooSoon.reads).toEqual([]);
    // When the export appears
    await put(jsonl(CASE_REGISTRY));
    const later = await source.forBatch([], config, now + 60_000);
    expect(later.registry!.integrations).toBe(4);
  });

  it('looks again (at most once a minute) when a batch assumes an integration its copy does not know', async () => {
    // Given a copy without umbrella, which the onboarding system then exports
    await put(jsonl(CASE_REGISTRY.slice(0, 3)));
    await source.forBatch([], config, now);
    await put(jsonl(CASE_REGISTRY));
    // When a batch assumes umbrella's role two minutes later (well before the refresh period)
    const onboarded = await source.forBatch(call(CUSTOMERS.umbrella), config, now + 120_000);
    // Then the registry was read again and knows it
    expect(onboarded.reads.map((r) => r.kind)).toEqual(['loaded']);
    expect(onboarded.registry!.accounts.has(CUSTOMERS.umbrella)).toBe(true);
    // And a stranger's account assumed right after does not make it read again within the minute
    s3.sent.length = 0;
    await source.forBatch(call('908172635401'), config, now + 150_000);
    expect(s3.sent).toEqual([]);
  });

  it('runs the handler\'s batches with the copy, logs the load, and emits the age the alarm watches', async () => {
    // Given the export and a function whose configuration names it
    await put(jsonl(CASE_REGISTRY));
    const deps = { ...testDependencies({ config, clock: { now: () => Date.parse(T) + 60_000 } }), customerRegistry: s3CustomerRegistry(() => s3.client, config) };
    const records: Json[] = [outToCustomer({ time: T, account: '908172635401', externalId: 'vnd-trial-2f1e0d9c8b7a' })];
    // When a batch assumes a role in an account the registry does not list
    const { summary } = await handleBatch(sqsEvent(records), deps, 'test');
    // Then target-role alerts, the load is logged and the age is a metric
    expect(summary.result!.delivered.map((a) => [a.detector, a.title])).toEqual([['target-role', 'Role assumed in an account that is not a registered customer']]);
    expect(deps.logger.lines.find((l) => l.message === 'customer registry loaded')?.extra[0]).toMatchObject({ registry: '4 integrations in 4 accounts' });
    expect(deps.metrics.totals.CustomerRegistryAgeSeconds).toBe(0);
    expect(deps.metrics.totals.CustomerRegistryUnavailable).toBeUndefined();
  });

  it('runs without the registry checks, and says so, while no copy could be read', async () => {
    // Given a function whose registry object does not exist
    const deps = { ...testDependencies({ config, clock: { now: () => Date.parse(T) + 60_000 } }), customerRegistry: s3CustomerRegistry(() => s3.client, config) };
    // When a batch assumes a role in an unknown account
    const { summary } = await handleBatch(sqsEvent([outToCustomer({ time: T, account: '908172635401', externalId: 'vnd-trial-2f1e0d9c8b7a' })]), deps, 'test');
    // Then no registry alert (the checks are skipped, not raised on every call), a log line and the metric
    expect(summary.result!.delivered.filter((a) => a.detector === 'target-role')).toEqual([]);
    expect(deps.logger.lines.some((l) => l.level === 'warn' && l.message.startsWith('customer registry unavailable'))).toBe(true);
    expect(deps.logger.lines.some((l) => l.level === 'error' && l.message.startsWith('customer registry read failed'))).toBe(true);
    expect(deps.metrics.totals.CustomerRegistryUnavailable).toBe(1);
    expect(deps.metrics.totals.CustomerRegistryReadFailures).toBe(1);
  });
});
