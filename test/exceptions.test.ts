/**
 * Per-detector settings (`detectors`): a detector turned off, its own severity floor, and
 * exceptions for accepted traffic, through the real engine (case records), replay (the bundled
 * examples and the CLI's summary) and the Lambda's handler (metrics and logs).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, type CompiledConfig } from '../lambdas/core/config';
import { keys } from '../lambdas/core/keys';
import { keyString } from '../lambdas/core/state';
import { parseRecord } from '../lambdas/core/parse';
import type { ParsedCall } from '../lambdas/core/types';
import { handleBatch } from '../lambdas/detect/handler';
import { MemoryLedger } from '../lambdas/state/memory-ledger';
import { MemoryStore } from '../lambdas/state/memory-store';
import { loadAppConfig } from '../lib/config';
import { CASE_BASE_CONFIG } from './detectors/cases';
import { ADDRESSES, CUSTOMERS, intoOutbound, OUTBOUND_ROLE, outboundSession, outToCustomer, roleSession, sessionCall, type Json } from './support/case-records';
import { cli, tempDir } from './support/cli';
import { processBatch, type BatchResult } from './support/engine';
import { TEST_NOW, testDependencies } from './support/handler';
import { exampleRecords, sqsEvent } from './support/sqs';

const T = '2024-08-01T10:45:22Z';
const EXAMPLES = join(__dirname, '..', 'examples');
/** A role the cases do not expect as a caller of the outbound role: unexpected-caller fires on it. */
const CI_ROLE = 'arn:aws:iam::210987654321:role/ci-runner';
const EXPORTER_ROLE = 'arn:aws:iam::210987654321:role/report-exporter';
/** An IPv6 address outside AWS's ranges and the allow-list (documentation range). */
const V6_ADDRESS = '2001:db8:5::7';

/** An exception of one detector's `exceptions`, valid until 2099 unless `expires` says otherwise. */
const exception = (fields: Record<string, unknown>): Record<string, unknown> => ({ id: 'accepted', reason: 'reviewed and accepted', expires: '2099-01-01', ...fields });

/** The cases' configuration with `detectors` over it. */
const configWith = (detectors: Record<string, unknown>, extra: Record<string, unknown> = {}): CompiledConfig => loadConfig({ ...CASE_BASE_CONFIG, ...extra, detectors });

function parsed(records: readonly unknown[]): ParsedCall[] {
  return records.map((r) => {
    const result = parseRecord(r);
    if (result.kind === 'rejected' || result.kind === 'ignored') throw new Error(`not a call: ${JSON.stringify(result)}`);
    return result;
  });
}

/** One batch of `records` through the engine, in a fresh deployment, at the time of its last record. */
async function run(config: CompiledConfig, records: readonly unknown[], state = new MemoryStore()): Promise<BatchResult> {
  const calls = parsed(records);
  return processBatch(calls, { state, ledger: new MemoryLedger() }, config, { now: () => Math.max(...calls.map((c) => c.eventTime)) });
}

/** The event IDs of a detector's alerts. */
const alerted = (result: BatchResult, detector: string): string[] => result.alerts.filter((a) => a.detector === detector).flatMap((a) => a.evidence.eventIds);
const eventIdOf = (record: Json): string => String(record.eventID);

describe('a detector turned off', () => {
  it('makes no finding and writes none of its state, while the others run', async () => {
    // Given a customer role assumed with a session name that breaks the pattern, from a Tor exit
    const record = outToCustomer({ time: T, sourceIp: ADDRESSES.tor, sessionName: 'manual-test' });
    const extra = { sessionNamePattern: 'ar-sync-[0-9]+' };
    // When session-name is turned off, and when it is on
    const offState = new MemoryStore();
    const off = await run(configWith({ 'session-name': { enabled: false } }, extra), [record], offState);
    const onState = new MemoryStore();
    const on = await run(configWith({}, extra), [record], onState);
    // Then with it off there is no session-name finding and no shapes item, and source-ip still alerts
    const shapes = keyString(keys.sessionNameShapes(OUTBOUND_ROLE));
    expect(on.findings.map((f) => f.detector)).toContain('session-name');
    expect(onState.dump().has(shapes)).toBe(true);
    expect(off.findings.map((f) => f.detector)).not.toContain('session-name');
    expect(offState.dump().has(shapes)).toBe(false);
    expect(alerted(off, 'source-ip')).toEqual([eventIdOf(record)]);
  });
});

describe('a detector\'s minSeverity', () => {
  // Learning on: only the configured pattern judges session names, not shapes learned a minute ago.
  const extra = { minAlertSeverity: 'medium', learningPeriodDays: 7, sessionNamePattern: 'ar-sync-[0-9]+', roleRegions: { [OUTBOUND_ROLE]: 'eu-west-1' } };
  /** A medium session-name finding (a name off the pattern) and a medium region finding (the outbound role used in us-east-1). */
  const badName = outToCustomer({ time: T, sessionName: 'manual-test' });
  const wrongRegion = outToCustomer({ time: '2024-08-01T10:46:00Z', region: 'us-east-1', account: CUSTOMERS.globex });

  it('alerts both medium findings with the global floor alone', async () => {
    const result = await run(configWith({}, extra), [badName, wrongRegion]);
    expect(alerted(result, 'session-name')).toEqual([eventIdOf(badName)]);
    expect(alerted(result, 'region')).toEqual([eventIdOf(wrongRegion)]);
  });

  it('of high silences that detector\'s medium findings, counted below severity, while another detector\'s medium finding still alerts', async () => {
    // Given session-name's floor at high
    const config = configWith({ 'session-name': { minSeverity: 'high' } }, extra);
    // When both calls are evaluated
    const result = await run(config, [badName, wrongRegion]);
    // Then the session-name finding is counted, not alerted, and region's alerts
    expect(result.findings.filter((f) => f.detector === 'session-name').map((f) => f.severity)).toEqual(['medium']);
    expect(alerted(result, 'session-name')).toEqual([]);
    expect(alerted(result, 'region')).toEqual([eventIdOf(wrongRegion)]);
    expect(result.stats).toMatchObject({ belowSeverity: 1, exempted: 0 });
  });

  it('of low lets that detector\'s low findings through a medium global floor, and only that detector\'s', async () => {
    // Given a low floor for session-name under a global floor of high
    const config = configWith({ 'session-name': { minSeverity: 'low' } }, { ...extra, minAlertSeverity: 'high' });
    // When both medium findings are made
    const result = await run(config, [badName, wrongRegion]);
    // Then session-name alerts and region does not
    expect(alerted(result, 'session-name')).toEqual([eventIdOf(badName)]);
    expect(alerted(result, 'region')).toEqual([]);
  });
});

describe('an exception for a principal', () => {
  const ci = intoOutbound({ time: T, caller: roleSession(CI_ROLE, 'build-4711') });
  const exporter = intoOutbound({ time: '2024-08-01T10:46:00Z', caller: roleSession(EXPORTER_ROLE, 'build-4711') });

  it('silences exactly that principal: the same finding for another principal still alerts', async () => {
    // Given an exception of unexpected-caller for the CI roles, as an analyst writes it (a role ARN pattern)
    const config = configWith({ 'unexpected-caller': { exceptions: [exception({ id: 'ci', principal: 'arn:aws:iam::210987654321:role/ci-*' })] } });
    // When the CI role's session and the exporter's session assume the outbound role
    const result = await run(config, [ci, exporter]);
    // Then both are found, only the exporter alerts, and the CI finding is counted under its exception
    expect(result.findings.filter((f) => f.detector === 'unexpected-caller')).toHaveLength(2);
    expect(alerted(result, 'unexpected-caller')).toEqual([eventIdOf(exporter)]);
    expect(result.stats).toMatchObject({ exempted: 1, exemptions: { 'unexpected-caller/ci': 1 } });
  });

  it('matches a session by its own assumed-role ARN too', async () => {
    const config = configWith({ 'unexpected-caller': { exceptions: [exception({ principal: 'arn:aws:sts::210987654321:assumed-role/ci-runner/build-*' })] } });
    const result = await run(config, [ci, exporter]);
    expect(alerted(result, 'unexpected-caller')).toEqual([eventIdOf(exporter)]);
  });

  it('covers only its own detector: another detector\'s finding on the same call alerts', async () => {
    // Given an exception of source-ip for the CI role, and the CI role's call coming from a Tor exit
    const config = configWith({ 'source-ip': { exceptions: [exception({ principal: CI_ROLE })] } });
    const fromTor = intoOutbound({ time: T, caller: roleSession(CI_ROLE, 'build-4711'), sourceIp: ADDRESSES.tor });
    // When evaluated
    const result = await run(config, [fromTor]);
    // Then source-ip is exempted and unexpected-caller alerts
    expect(alerted(result, 'source-ip')).toEqual([]);
    expect(alerted(result, 'unexpected-caller')).toEqual([eventIdOf(fromTor)]);
    expect(result.stats.exemptions).toEqual({ 'source-ip/accepted': 1 });
  });
});

describe('each matcher of an exception', () => {
  // Four sessions of the outbound role (source-ip reports a session at a place once), each assuming a customer role from outside the allow-list.
  const fromTor = outToCustomer({ time: T, caller: outboundSession('backend-00000001'), sourceIp: ADDRESSES.tor });
  const fromTestNet = outToCustomer({ time: '2024-08-01T10:46:00Z', caller: outboundSession('backend-00000002'), sourceIp: ADDRESSES.external });
  const ciName = outToCustomer({ time: '2024-08-01T10:47:00Z', caller: outboundSession('backend-00000003'), sourceIp: ADDRESSES.tor, sessionName: 'ci-build-1' });
  const toGlobex = outToCustomer({ time: '2024-08-01T10:48:00Z', caller: outboundSession('backend-00000004'), sourceIp: ADDRESSES.tor, account: CUSTOMERS.globex });
  const all = [fromTor, fromTestNet, ciName, toGlobex];

  /** The records source-ip alerts on with one exception of `fields`. */
  async function alertsWith(fields: Record<string, unknown>, records: readonly Json[] = all): Promise<string[]> {
    return alerted(await run(configWith({ 'source-ip': { exceptions: [exception(fields)] } }), records), 'source-ip');
  }

  it('fires on every record without an exception', async () => {
    expect((await alertsWith({ targetAccount: '999999999999' })).sort()).toEqual(all.map(eventIdOf).sort());
  });

  it('sourceCidr alone silences the calls from that block only', async () => {
    expect((await alertsWith({ sourceCidr: '185.220.101.0/24' })).sort()).toEqual([eventIdOf(fromTestNet)]);
  });

  it('sourceCidr takes IPv6 blocks', async () => {
    // Given a call of the outbound session from an IPv6 address outside the allow-list
    const v6 = sessionCall({ caller: outboundSession(), time: T, sourceIp: V6_ADDRESS });
    expect(await alertsWith({ sourceCidr: '2001:db8:4::/48' }, [v6])).toEqual([eventIdOf(v6)]);
    expect(await alertsWith({ sourceCidr: '2001:db8::/32' }, [v6])).toEqual([]);
  });

  it('sessionNamePattern alone silences the AssumeRole calls asking for such a session (whole name)', async () => {
    expect((await alertsWith({ sessionNamePattern: 'ci-.*' })).sort()).toEqual([fromTor, fromTestNet, toGlobex].map(eventIdOf).sort());
    expect((await alertsWith({ sessionNamePattern: 'ci' })).sort()).toEqual(all.map(eventIdOf).sort());
  });

  it('sessionNamePattern matches the calling session\'s name on a call a session makes', async () => {
    // Given S3 calls from a Tor exit by two sessions of the outbound role
    const backend = sessionCall({ caller: outboundSession('backend-7d2e4a10'), time: T, sourceIp: ADDRESSES.tor });
    const stranger = sessionCall({ caller: outboundSession('stranger'), time: '2024-08-01T10:46:00Z', sourceIp: ADDRESSES.tor });
    // Then an exception for backend-* sessions silences the backend's only
    expect(await alertsWith({ sessionNamePattern: 'backend-[0-9a-f]{8}' }, [backend, stranger])).toEqual([eventIdOf(stranger)]);
  });

  it('targetAccount alone silences the calls into that account only', async () => {
    expect((await alertsWith({ targetAccount: CUSTOMERS.acme })).sort()).toEqual([toGlobex].map(eventIdOf));
  });

  it('all matchers must match: a CIDR and an account together silence only the calls from that block into that account', async () => {
    expect((await alertsWith({ sourceCidr: '185.220.101.0/24', targetAccount: CUSTOMERS.acme })).sort()).toEqual([fromTestNet, toGlobex].map(eventIdOf).sort());
    expect((await alertsWith({ sourceCidr: '185.220.101.0/24', targetAccount: CUSTOMERS.acme, sessionNamePattern: 'ci-.*' })).sort()).toEqual([fromTor, fromTestNet, toGlobex].map(eventIdOf).sort());
    expect((await alertsWith({ principal: 'arn:aws:iam::210987654321:role/integration-backend', sourceCidr: '185.220.101.0/24' })).sort()).toEqual(all.map(eventIdOf).sort());
  });

  it('does not cover a call without the fact: a refused AssumeRole that logged no request has no session name', async () => {
    // Given a refused call whose request CloudTrail did not log: no session name is known
    const refused = outToCustomer({ time: T, sourceIp: ADDRESSES.tor, sessionName: 'ci-build-1', error: { code: 'AccessDenied' } });
    expect(await alertsWith({ sessionNamePattern: 'ci-.*' }, [refused])).toEqual([eventIdOf(refused)]);
  });

  it('counts exempted findings per exception in the stats', async () => {
    // Given two exceptions of source-ip, and one of unexpected-caller that matches nothing
    const config = configWith({
      'source-ip': { exceptions: [exception({ id: 'tor-lab', sourceCidr: '185.220.101.0/24' }), exception({ id: 'test-net', sourceCidr: '203.0.113.0/24' })] },
      'unexpected-caller': { exceptions: [exception({ id: 'nobody', principal: EXPORTER_ROLE })] },
    });
    // When all four are evaluated
    const result = await run(config, all);
    // Then each exception's count is its own, and none alerts
    expect(result.stats).toMatchObject({ exempted: 4, exemptions: { 'source-ip/tor-lab': 3, 'source-ip/test-net': 1 } });
    expect(alerted(result, 'source-ip')).toEqual([]);
    expect(result.stats.findings).toBe(result.findings.length);
  });
});

describe('an exception\'s expiry', () => {
  it('applies to events before expires and not to events at or after it, judged by event time', async () => {
    // Given an exception for Tor exits that expired at 10:46, and calls at 10:45:22 and 10:46:00
    const config = configWith({ 'source-ip': { exceptions: [exception({ sourceCidr: '185.220.101.0/24', expires: '2024-08-01T12:46:00+02:00' })] } });
    const before = outToCustomer({ time: T, sourceIp: ADDRESSES.tor });
    const at = outToCustomer({ time: '2024-08-01T10:46:00Z', sourceIp: ADDRESSES.tor, account: CUSTOMERS.globex });
    // When evaluated (the engine's clock well after both)
    const calls = parsed([before, at]);
    const result = await processBatch(calls, { state: new MemoryStore(), ledger: new MemoryLedger() }, config, { now: () => Date.parse('2030-01-01T00:00:00Z') });
    // Then the earlier event is exempted and the later one alerts
    expect(alerted(result, 'source-ip')).toEqual([eventIdOf(at)]);
    expect(result.stats.exemptions).toEqual({ 'source-ip/accepted': 1 });
  });

  it('is reported in replay\'s summary: expired before the last replayed event, before now, or not yet, with each exception\'s count', async () => {
    // Given a log of two calls from a Tor exit on 1 August 2024, and three exceptions for them
    const dir = tempDir();
    const records = [outToCustomer({ time: T, sourceIp: ADDRESSES.tor }), outToCustomer({ time: '2024-08-01T11:00:00Z', sourceIp: ADDRESSES.tor, account: CUSTOMERS.globex })];
    writeFileSync(join(dir, 'trail.json'), JSON.stringify({ Records: records }));
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({
        ...CASE_BASE_CONFIG,
        detectors: {
          'source-ip': {
            exceptions: [
              exception({ id: 'ended-in-july', sourceCidr: '185.220.101.0/24', expires: '2024-07-31' }),
              exception({ id: 'ended-since', sourceCidr: '185.220.101.0/24', targetAccount: CUSTOMERS.globex, expires: '2025-01-01' }),
              exception({ id: 'open', sourceCidr: '185.220.0.0/16', expires: '2099-01-01' }),
            ],
          },
        },
      }),
    );
    // When replayed
    const { out, err } = await cli(['replay', join(dir, 'trail.json'), '--config', join(dir, 'config.json'), '--json']);
    // Then the expired exceptions no longer applied where they had ended, the summary says which ended when, with their counts
    expect(out.split('\n').filter((line) => line.includes('"detector":"source-ip"'))).toEqual([]);
    expect(err).toMatch(/exempted 2\n/);
    expect(err).toContain('    source-ip/ended-in-july: 0 exempted; expired 2024-07-31T00:00:00.000Z, before the last replayed event (2024-08-01T11:00:00.000Z): later events were not exempted');
    expect(err).toContain('    source-ip/ended-since: 1 exempted; expired 2025-01-01T00:00:00.000Z, before now (after the last replayed event): it no longer applies to live traffic');
    expect(err).toContain('    source-ip/open: 1 exempted; expires 2099-01-01T00:00:00.000Z');
  });
});

describe('replaying the bundled examples', () => {
  /** The examples' configuration in a scratch folder, the customer registry named by its absolute path. */
  function examplesConfig(detectors: Record<string, unknown>): string {
    const raw = require('../examples/config.json') as Record<string, unknown>;
    const file = join(tempDir(), 'config.json');
    writeFileSync(file, JSON.stringify({ ...raw, customerRegistry: join(EXAMPLES, 'customer-registry.jsonl'), detectors }));
    return file;
  }

  /** The alerts (JSON records) of a replay of the examples with `detectors`. */
  async function replayed(detectors: Record<string, unknown>): Promise<{ alerts: { detector: string }[]; err: string }> {
    const { out, err } = await cli(['replay', join(EXAMPLES, 'AWSLogs'), '--config', examplesConfig(detectors), '--json']);
    return { alerts: out.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { detector: string }), err };
  }

  it('with source-ip turned off prints no source-ip alert and every other alert unchanged', async () => {
    // Given the demo as it runs, and the same with source-ip turned off
    const all = await replayed({});
    const off = await replayed({ 'source-ip': { enabled: false } });
    // Then the source-ip alerts (its two incidents) are gone and the others are the same, byte for byte
    expect(all.alerts.filter((a) => a.detector === 'source-ip')).toHaveLength(2);
    expect(off.alerts.filter((a) => a.detector === 'source-ip')).toEqual([]);
    expect(off.alerts).toEqual(all.alerts.filter((a) => a.detector !== 'source-ip'));
    expect(off.err).not.toContain('exceptions (findings exempted by each)');
  }, 120_000);
});

describe('the Lambda', () => {
  const records = exampleRecords().filter((r) => JSON.stringify(r).includes('role/outbound-')).slice(0, 4);
  const raw = require('../examples/config.json') as Record<string, unknown>;
  /** The examples' keys (without the registry: the handler tests' S3 is not here) with `detectors`. */
  const lambdaConfig = (detectors: Record<string, unknown>): CompiledConfig => {
    const { customerRegistry: _, ...keys } = raw;
    return loadConfig({ ...keys, detectors });
  };

  it('emits ExpiredExceptions with every batch, and logs each expired exception once per instance', async () => {
    // Given two exceptions that ended before the function's clock and one that has not
    const config = lambdaConfig({
      'source-ip': { exceptions: [exception({ id: 'old-lab', sourceCidr: '198.51.100.0/24', expires: '2026-01-01' }), exception({ id: 'open', sourceCidr: '198.51.100.0/24' })] },
      region: { exceptions: [exception({ id: 'migration', targetAccount: '111122223333', expires: new Date(TEST_NOW - 1000).toISOString() })] },
    });
    const deps = testDependencies({ config });
    // When two batches are handled
    await handleBatch(sqsEvent(records.slice(0, 2)), deps, 'test');
    await handleBatch(sqsEvent(records.slice(2, 4)), deps, 'test');
    // Then the metric counts 2 in each batch, and each is logged once, with its id and reason
    expect(deps.metrics.totals.ExpiredExceptions).toBe(4);
    const warnings = deps.logger.lines.filter((l) => l.level === 'warn' && l.message.startsWith('detector exception expired'));
    expect(warnings.map((l) => (l.extra[0] as { exception: string }).exception)).toEqual(['source-ip/old-lab', 'region/migration']);
    expect(warnings[0]!.extra[0]).toMatchObject({ expires: '2026-01-01', reason: 'reviewed and accepted' });
  });

  it('emits ExpiredExceptions 0 without exceptions', async () => {
    const deps = testDependencies({ config: lambdaConfig({}) });
    await handleBatch(sqsEvent(records.slice(0, 2)), deps, 'test');
    expect(deps.metrics.totals.ExpiredExceptions).toBe(0);
    expect(deps.metrics.totals.ExemptedFindings).toBe(0);
  });

  it('counts exempted findings in ExemptedFindings and the batch log, and publishes none of them', async () => {
    // Given the source-ip incident of the examples, and an exception for its caller's address
    const labels = require('../examples/labels.json') as { id: string; eventIds: string[] }[];
    const all = exampleRecords();
    const incident = all.filter((r) => labels.find((l) => l.id === '03-source-ip')!.eventIds.includes(String(r.eventID)));
    const address = String(incident[0]!.sourceIPAddress);
    const deps = testDependencies({ config: lambdaConfig({ 'source-ip': { exceptions: [exception({ id: 'lab', sourceCidr: address.includes(':') ? `${address}/128` : `${address}/32` })] } }) });
    // When the incident's records are handled
    const { summary } = await handleBatch(sqsEvent(incident), deps, 'test');
    // Then no source-ip alert is published, and its findings are counted under the exception, in the metric and the log
    const exempted = summary.result!.findings.filter((f) => f.detector === 'source-ip').length;
    expect(exempted).toBeGreaterThan(0);
    expect(summary.result!.delivered.filter((a) => a.detector === 'source-ip')).toEqual([]);
    expect(summary.result!.stats.exemptions).toEqual({ 'source-ip/lab': exempted });
    expect(deps.metrics.totals.ExemptedFindings).toBe(exempted);
    const done = deps.logger.lines.find((l) => l.message === 'batch done')!;
    expect(done.extra[0]).toMatchObject({ exempted, exemptions: { 'source-ip/lab': exempted } });
  });
});

describe('the Lambda\'s environment', () => {
  it('stops `cdk synth` naming DETECTION_CONFIG and the detectors key when many exceptions make it too large', () => {
    // Given forty exceptions with long reasons
    const exceptions = Array.from({ length: 40 }, (_, i) => exception({ id: `partner-${i}`, sourceCidr: `198.51.${i}.0/24`, reason: `partner ${i} egress, reviewed by the security team` }));
    // When the CDK app reads the context
    let message = '';
    try {
      loadAppConfig({ ...CASE_BASE_CONFIG, homeRegion: 'eu-west-1', detectors: { 'source-ip': { exceptions } } });
    } catch (e) {
      message = (e as Error).message;
    }
    // Then it is refused, naming the variable and the key
    expect(message).toMatch(/DETECTION_CONFIG: the detection configuration is \d+ bytes as JSON/);
    expect(message).toMatch(/shorten the largest keys \(detectors \(\d+ bytes\)/);
  });
});
