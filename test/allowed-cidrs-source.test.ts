/**
 * A published allow-list (`allowedCidrsSource`): the document's shapes and its bad entries,
 * the merge with the static `allowedCidrs`, a live session across a change of the list, replay
 * reading the list beside its config file (the demo gives the same alerts as with the list
 * inline), and the Lambda reading it from a real S3 API server (s3rver on 127.0.0.1).
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { readConfig } from '../cli/main';
import { replay } from '../cli/replay';
import { parseCidrSource } from '../lambdas/core/cidr-source';
import { loadConfig, withAllowedCidrs, type CompiledConfig } from '../lambdas/core/config';
import { parseIp } from '../lambdas/core/ip';
import { parseRecord } from '../lambdas/core/parse';
import type { ParsedCall } from '../lambdas/core/types';
import { s3AllowedCidrs, type AllowedCidrsSource } from '../lambdas/detect/allowed-cidrs';
import { handleBatch } from '../lambdas/detect/handler';
import type { Alert } from '../lambdas/engine/alerts';
import { MemoryLedger } from '../lambdas/state/memory-ledger';
import { MemoryStore } from '../lambdas/state/memory-store';
import { CASE_BASE_CONFIG } from './detectors/cases';
import { ADDRESSES, after, outboundSession, outToCustomer, sessionCall, type Json } from './support/case-records';
import { cli, tempDir } from './support/cli';
import { processBatch } from './support/engine';
import { testDependencies } from './support/handler';
import { startLocalS3, type LocalS3 } from './support/s3';
import { sqsEvent } from './support/sqs';

const T = '2024-08-01T10:45:22Z';
const groupOf = (config: CompiledConfig, address: string): string | undefined => config.allowedGroups.lookup(parseIp(address)!);

describe('the published document', () => {
  it('reads a plain list, named groups, and a ranges document whose other keys are skipped', () => {
    expect(parseCidrSource('["203.0.113.0/24", "2001:db8::/48"]')).toEqual({ groups: { allowed: ['203.0.113.0/24', '2001:db8::/48'] }, problems: [], cidrs: 2 });
    expect(parseCidrSource('{"nat-eu": ["52.48.10.7/32"], "nat-us": ["3.80.20.11/32"]}').groups).toEqual({ 'nat-eu': ['52.48.10.7/32'], 'nat-us': ['3.80.20.11/32'] });
    const ranges = JSON.stringify({
      version: 3,
      modified: '2026-11-30T08:00:00Z',
      eu: { prefixes_ipv4: ['52.48.10.0/24'], prefixes_ipv6: ['2a05:d018::/36'] },
      us: { prefixes_ipv4: ['3.80.20.0/24'] },
    });
    expect(parseCidrSource(ranges)).toEqual({ groups: { eu: ['52.48.10.0/24', '2a05:d018::/36'], us: ['3.80.20.0/24'] }, problems: [], cidrs: 3 });
  });

  it('reports each bad entry with its position and uses the rest', () => {
    // Given a ranges document with a typo, a bare address, a number and a list that is not one
    const text = JSON.stringify({
      eu: { prefixes_ipv4: ['52.48.10.0/24', '52.48.11.0/33', '52.48.12.0/24', '52.48.13.9', 7], prefixes_ipv6: 'none' },
      us: ['3.80.20.0/24', 'x'],
    });
    // When read
    const { groups, problems } = parseCidrSource(text);
    // Then every bad entry is named where it is, and the good ones are all there
    expect(problems).toEqual([
      'eu.prefixes_ipv4[1]: "52.48.11.0/33" is not a CIDR (like 203.0.113.0/24 or 2001:db8::/48)',
      'eu.prefixes_ipv4[3]: "52.48.13.9" is not a CIDR (like 203.0.113.0/24 or 2001:db8::/48)',
      'eu.prefixes_ipv4[4]: 7 is not a CIDR (like 203.0.113.0/24 or 2001:db8::/48)',
      'eu.prefixes_ipv6: "none" is not a list of CIDRs',
      'us[1]: "x" is not a CIDR (like 203.0.113.0/24 or 2001:db8::/48)',
    ]);
    expect(groups).toEqual({ eu: ['52.48.10.0/24', '52.48.12.0/24'], us: ['3.80.20.0/24'] });
  });

  it.each([
    ['an empty list', '[]'],
    ['an empty object', '{}'],
    ['only metadata', '{"version": 3, "modified": "2026-11-30"}'],
    ['only bad entries', '{"eu": {"prefixes_ipv4": ["52.48.10.0/33"]}}'],
    ['not JSON', 'cidr,group\n52.48.10.0/24,eu'],
    ['a string', '"52.48.10.0/24"'],
  ])('finds no list in %s (the reader keeps its last good copy)', (_what, text) => {
    const parsed = parseCidrSource(text);
    expect(parsed.groups).toBeNull();
    expect(parsed.problems.length).toBeGreaterThan(0);
  });
});

describe('the published list merged with allowedCidrs', () => {
  const base = loadConfig({ ...CASE_BASE_CONFIG, allowedCidrs: { wide: ['52.48.0.0/16'], 'nat-us': ['3.80.20.11/32'] } });

  it('adds the published blocks to the static ones, an address taking the group of its longest matching prefix', () => {
    // Given a published /24 inside the static /16, under another name, and a block of its own
    const merged = withAllowedCidrs(base, { 'nat-eu': ['52.48.10.0/24'], 'nat-ap': ['13.112.0.0/24'] });
    // Then the /24 wins inside it, the /16 outside it, and both lists' other blocks apply
    expect(groupOf(merged, '52.48.10.7')).toBe('nat-eu');
    expect(groupOf(merged, '52.48.99.1')).toBe('wide');
    expect(groupOf(merged, '3.80.20.11')).toBe('nat-us');
    expect(groupOf(merged, '13.112.0.9')).toBe('nat-ap');
    expect(groupOf(merged, ADDRESSES.tor)).toBeUndefined();
    // And the static list's longest prefix wins the same way when it is the more specific one
    expect(groupOf(withAllowedCidrs(base, { eu: ['52.0.0.0/8'] }), '52.48.10.7')).toBe('wide');
  });

  it('compiles once per copy, and goes back to the static list alone without one', () => {
    const copy = { 'nat-eu': ['52.48.10.0/24'] };
    const merged = withAllowedCidrs(base, copy);
    expect(withAllowedCidrs(base, copy)).toBe(merged);
    expect(withAllowedCidrs(merged, copy)).toBe(merged);
    expect(groupOf(withAllowedCidrs(merged, null), '52.48.10.7')).toBe('wide');
    expect(withAllowedCidrs(base, null)).toBe(base);
  });

  it('turns the allow-list on when only the published list has blocks', () => {
    const empty = loadConfig({ ...CASE_BASE_CONFIG, allowedCidrs: {} });
    expect(empty.hasAllowList).toBe(false);
    expect(withAllowedCidrs(empty, { allowed: ['52.48.10.0/24'] }).hasAllowList).toBe(true);
  });
});

describe('a live session across a change of the published list', () => {
  const SESSION = outboundSession('backend-3f1c0b6e', { createdAt: '2024-08-01T10:40:02Z' });
  const base = loadConfig({ ...CASE_BASE_CONFIG, allowedCidrs: { 'nat-us': ['3.80.20.11/32'] }, minAlertSeverity: 'low' });
  const ports = () => ({ state: new MemoryStore(), ledger: new MemoryLedger() });

  async function sessionAlerts(p: ReturnType<typeof ports>, config: CompiledConfig, record: Json): Promise<Alert[]> {
    const call = parseRecord(record) as ParsedCall;
    const result = await processBatch([call], p, config, { now: () => call.eventTime });
    return result.alerts.filter((a) => a.detector === 'session-locations');
  }

  it.each([
    ['its group renamed', { 'nat-a': ['52.48.10.0/24'] }, { 'nat-b': ['52.48.10.0/24'] }],
    ['its block moved to another group', { eu: ['52.48.10.0/24'], us: ['3.80.0.0/16'] }, { us: ['3.80.0.0/16', '52.48.10.0/24'] }],
    ['its block split and relabelled', { 'nat-a': ['52.48.10.0/24'] }, { 'nat-b': ['52.48.10.7/32'], 'nat-c': ['52.48.10.8/32'] }],
  ])('does not alert when the same address is seen under a new group (%s)', async (_what, before, afterChange) => {
    // Given a session seen at home in the list as it was
    const p = ports();
    expect(await sessionAlerts(p, withAllowedCidrs(base, before), sessionCall({ time: T, caller: SESSION, sourceIp: ADDRESSES.natEu }))).toEqual([]);
    // When the list changes and the session calls again from the same address
    const changed = withAllowedCidrs(base, afterChange);
    expect(groupOf(changed, ADDRESSES.natEu)).not.toBe(groupOf(withAllowedCidrs(base, before), ADDRESSES.natEu));
    const relabelled = await sessionAlerts(p, changed, sessionCall({ time: after(T, 60), caller: SESSION, sourceIp: ADDRESSES.natEu }));
    // Then nothing: the session did not move
    expect(relabelled).toEqual([]);
    // And a call from outside the list still alerts, high
    const outside = await sessionAlerts(p, changed, sessionCall({ time: after(T, 120), caller: SESSION, sourceIp: ADDRESSES.tor }));
    expect(outside.map((a) => a.severity)).toEqual(['high']);
    expect(outside[0]!.cause).toContain('185.220.101.0/24, outside allowedCidrs');
  });

  it('still rates a move to another group\'s network medium after the change', async () => {
    // Given a session at home in nat-a, then nat-a renamed nat-b
    const p = ports();
    await sessionAlerts(p, withAllowedCidrs(base, { 'nat-a': ['52.48.10.0/24'] }), sessionCall({ time: T, caller: SESSION, sourceIp: ADDRESSES.natEu }));
    const changed = withAllowedCidrs(base, { 'nat-b': ['52.48.10.0/24'] });
    await sessionAlerts(p, changed, sessionCall({ time: after(T, 60), caller: SESSION, sourceIp: ADDRESSES.natEu }));
    // When the session calls from nat-us, another network
    const moved = await sessionAlerts(p, changed, sessionCall({ time: after(T, 120), caller: SESSION, sourceIp: ADDRESSES.natUs }));
    // Then the second allowed group alerts, medium, as before
    expect(moved.map((a) => a.severity)).toEqual(['medium']);
    expect(moved[0]!.title).toMatch(/^Outbound session used from a second allowed group/);
    expect(moved[0]!.cause).toContain('group:nat-us after group:nat-a, group:nat-b');
  });
});

describe('replay with a published allow-list', () => {
  const EXAMPLES = join(__dirname, '..', 'examples');
  let dir: string;
  beforeEach(() => {
    dir = tempDir('allowed-cidrs-replay-');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** The examples replayed with a config; the alerts' IDs, sorted. */
  async function demoAlerts(config: CompiledConfig): Promise<string[]> {
    const alerts: Alert[] = [];
    await replay({ paths: [join(EXAMPLES, 'AWSLogs')], config, ports: { state: new MemoryStore(), ledger: new MemoryLedger() }, batchSize: 100, onAlert: (a) => alerts.push(a) });
    return alerts.map((a) => a.alertId).sort();
  }

  it('gives the demo the same alerts as the same CIDRs given inline', async () => {
    // Given examples/config.json with its allowedCidrs moved to a file beside a copy of it
    const raw = JSON.parse(readFileSync(join(EXAMPLES, 'config.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(dir, 'egress.json'), JSON.stringify(raw.allowedCidrs));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...raw, allowedCidrs: {}, allowedCidrsSource: 'egress.json', customerRegistry: join(EXAMPLES, 'customer-registry.jsonl') }));
    const lines: string[] = [];
    const published = readConfig(join(dir, 'config.json'), dir, (line) => lines.push(line));
    // When the demo is replayed with each
    const inline = await demoAlerts(readConfig(join(EXAMPLES, 'config.json')));
    const fromFile = await demoAlerts(published);
    // Then the alerts are the same ones
    expect(lines).toContain(`published allow-list ${join(dir, 'egress.json')}: 6 CIDRs in 2 groups`);
    expect(inline.length).toBeGreaterThan(0);
    expect(fromFile).toEqual(inline);
  }, 120_000);

  it('reports bad entries on stderr and uses the rest', async () => {
    writeFileSync(join(dir, 'egress.json'), JSON.stringify({ version: 1, eu: { prefixes_ipv4: ['52.48.10.0/24', '52.48.10.300/32'] } }));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...CASE_BASE_CONFIG, allowedCidrs: {}, allowedCidrsSource: 'egress.json' }));
    writeFileSync(join(dir, 'log.json'), JSON.stringify({ Records: [outToCustomer({ time: T, sourceIp: ADDRESSES.natEu }), outToCustomer({ time: after(T, 5), sourceIp: ADDRESSES.tor })] }));
    const { code, out, err } = await cli(['replay', join(dir, 'log.json'), '--config', join(dir, 'config.json')]);
    expect(err).toContain(`allowedCidrsSource: ${join(dir, 'egress.json')}: eu.prefixes_ipv4[1]: "52.48.10.300/32" is not a CIDR`);
    expect(err).toContain('1 CIDR in 1 group');
    // The listed address is quiet; the other one is outside the list
    expect(out).toContain(ADDRESSES.tor);
    expect(out).not.toContain(ADDRESSES.natEu);
    expect(code).toBe(1);
  });

  it.each([
    ['an S3 URL (the Lambda\'s form)', 's3://vendor-egress/egress.json', undefined, 'allowedCidrsSource: s3://vendor-egress/egress.json is an S3 object, which the Lambda reads'],
    ['a missing file', 'egress.json', undefined, 'allowedCidrsSource: cannot read'],
    ['a file without one usable entry', 'egress.json', '{"version": 1}', 'no usable CIDR'],
  ])('stops with exit 2 naming the key for %s', async (_what, value, text, message) => {
    if (text !== undefined) writeFileSync(join(dir, 'egress.json'), text);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...CASE_BASE_CONFIG, allowedCidrsSource: value }));
    writeFileSync(join(dir, 'log.json'), JSON.stringify({ Records: [outToCustomer({ time: T })] }));
    const { code, err } = await cli(['replay', join(dir, 'log.json'), '--config', join(dir, 'config.json')]);
    expect(code).toBe(2);
    expect(err).toContain(message);
  });
});

describe('the Lambda\'s published allow-list in S3', () => {
  const BUCKET = 'vendor-egress';
  const KEY = 'lists/egress.json';
  let s3: LocalS3;
  let now: number;
  let source: AllowedCidrsSource;
  const config = loadConfig({ ...CASE_BASE_CONFIG, allowedCidrsSource: `s3://${BUCKET}/${KEY}`, allowedCidrsRefreshMinutes: 15 });
  const put = (doc: unknown) => s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: typeof doc === 'string' ? doc : JSON.stringify(doc) }));
  const LIST = { 'nat-ext': { prefixes_ipv4: ['203.0.113.0/24'] }, version: 7 };

  beforeAll(async () => {
    s3 = await startLocalS3([BUCKET]);
  });
  afterAll(() => s3.stop());
  beforeEach(async () => {
    await s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: KEY }));
    s3.sent.length = 0;
    now = Date.parse('2026-12-01T09:00:00Z');
    source = s3AllowedCidrs(() => s3.client, config);
  });

  it('reads at cold start, re-reads with a conditional GET every refresh period, and reports what a change added and removed', async () => {
    await put(LIST);
    s3.sent.length = 0;
    const first = await source.forBatch(now);
    const soon = await source.forBatch(now + 60_000);
    const later = await source.forBatch(now + 15 * 60_000);
    expect(first.reads.map((r) => r.kind)).toEqual(['loaded']);
    expect(first.cidrs).toEqual({ 'nat-ext': ['203.0.113.0/24'] });
    expect(first.change).toBeNull();
    expect(soon.reads).toEqual([]);
    expect(soon.ageMs).toBe(60_000);
    expect(later.reads.map((r) => r.kind)).toEqual(['unchanged']);
    expect(later.ageMs).toBe(0);
    expect(later.cidrs).toBe(first.cidrs);
    expect(s3.sent).toEqual(['GetObjectCommand', 'GetObjectCommand']);
    // When a block moves to another group and one is added
    await put({ 'nat-new': { prefixes_ipv4: ['203.0.113.0/24', '198.51.100.0/24'] } });
    const changed = await source.forBatch(now + 30 * 60_000);
    expect(changed.change).toEqual({ added: ['nat-new 198.51.100.0/24', 'nat-new 203.0.113.0/24'], removed: ['nat-ext 203.0.113.0/24'] });
  });

  it('keeps the last good copy when the object is deleted or overwritten with nothing usable', async () => {
    await put(LIST);
    const good = (await source.forBatch(now)).cidrs;
    await s3.client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: KEY }));
    const missing = await source.forBatch(now + 15 * 60_000);
    await put('{}');
    const unusable = await source.forBatch(now + 30 * 60_000);
    expect(missing.reads).toEqual([{ kind: 'failed', error: expect.stringContaining('NoSuchKey'), keptCopy: true }]);
    expect(unusable.reads).toEqual([expect.objectContaining({ kind: 'unusable', keptCopy: true })]);
    expect(unusable.cidrs).toBe(good);
    expect(unusable.change).toBeNull();
    expect(unusable.ageMs).toBe(30 * 60_000);
  });

  it('applies the copy in the handler\'s batches, logs the load and a change, and emits the age the alarm watches', async () => {
    // Given the list in S3 and a function whose configuration names it
    await put(LIST);
    let clock = Date.parse(T) + 60_000;
    const deps = { ...testDependencies({ config, clock: { now: () => clock } }), allowedCidrs: s3AllowedCidrs(() => s3.client, config) };
    // When a batch assumes from an address only the published list holds
    const { summary } = await handleBatch(sqsEvent([outToCustomer({ time: T, sourceIp: ADDRESSES.external })]), deps, 'test');
    // Then it is allowed: no source-ip alert, the load is logged, the age is a metric
    expect(summary.result!.delivered.filter((a) => a.detector === 'source-ip')).toEqual([]);
    expect(deps.logger.lines.find((l) => l.message === 'published allow-list loaded')?.extra[0]).toMatchObject({ allowList: '1 CIDR in 1 group' });
    expect(deps.metrics.totals.AllowedCidrsAgeSeconds).toBe(0);
    expect(deps.metrics.totals.AllowedCidrsUnavailable).toBeUndefined();
    // When the list changes and the refresh period passes
    await put({ 'nat-ext': ['203.0.113.0/24', '198.51.100.0/24'] });
    clock += 15 * 60_000;
    await handleBatch(sqsEvent([outToCustomer({ time: after(T, 600), sourceIp: ADDRESSES.external })]), deps, 'test');
    // Then the change is logged with what it added, and counted
    expect(deps.logger.lines.find((l) => l.message === 'published allow-list changed')?.extra[0]).toMatchObject({ added: ['nat-ext 198.51.100.0/24'], removed: [] });
    expect(deps.metrics.totals.AllowedCidrsChanges).toBe(1);
  });

  it('applies allowedCidrs alone, and says so, while no copy could be read', async () => {
    const deps = { ...testDependencies({ config, clock: { now: () => Date.parse(T) + 60_000 } }), allowedCidrs: s3AllowedCidrs(() => s3.client, config) };
    const { summary } = await handleBatch(sqsEvent([outToCustomer({ time: T, sourceIp: ADDRESSES.external }), outToCustomer({ time: after(T, 1), sourceIp: ADDRESSES.natEu })]), deps, 'test');
    // The address only the missing list holds alerts; the static list's does not
    expect(summary.result!.delivered.filter((a) => a.detector === 'source-ip').map((a) => a.evidence.sourceIp)).toEqual([ADDRESSES.external]);
    expect(deps.logger.lines.some((l) => l.level === 'warn' && l.message === 'published allow-list unavailable: allowedCidrs alone applies until a good copy is read')).toBe(true);
    expect(deps.logger.lines.some((l) => l.level === 'error' && l.message.startsWith('published allow-list read failed'))).toBe(true);
    expect(deps.metrics.totals.AllowedCidrsUnavailable).toBe(1);
    expect(deps.metrics.totals.AllowedCidrsReadFailures).toBe(1);
  });

  it('logs each bad entry of the object and uses the rest', async () => {
    await put({ eu: { prefixes_ipv4: ['203.0.113.0/24', '203.0.113.0/40'] } });
    const deps = { ...testDependencies({ config, clock: { now: () => Date.parse(T) + 60_000 } }), allowedCidrs: s3AllowedCidrs(() => s3.client, config) };
    await handleBatch(sqsEvent([outToCustomer({ time: T })]), deps, 'test');
    expect(deps.logger.lines.filter((l) => l.message === 'published allow-list problem').map((l) => (l.extra[0] as { problem: string }).problem)).toEqual([
      `s3://${BUCKET}/${KEY}: eu.prefixes_ipv4[1]: "203.0.113.0/40" is not a CIDR (like 203.0.113.0/24 or 2001:db8::/48)`,
    ]);
    expect(deps.metrics.totals.AllowedCidrsAgeSeconds).toBe(0);
  });
});
