/**
 * The detectors know the role checker (`check-role --live`): its probe's deliberate calls page no
 * one, because the session was opened by the configured checker principal (recognised by the
 * access key STS issued it, which every later call of the session carries), not because of any
 * name it chose. The same calls by anyone else alert; what the probe finds is real and alerts,
 * titled as the checker's.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli, tempDir, writeConfig } from './support/cli';
import { ADDRESSES, after, BASTION_ACCOUNT, CUSTOMERS, externalIdOf, intoOutbound, outboundSession, outToCustomer, roleSession, sessionCall, times, type Json } from './support/case-records';
import { CASE_BASE_CONFIG } from './detectors/cases';
import { loadConfig, type CompiledConfig } from '../lambdas/core/config';
import { parseRecord } from '../lambdas/core/parse';
import type { ParsedCall } from '../lambdas/core/types';
import type { StatePorts } from '../lambdas/delivery/batch-runner';
import { MemoryLedger } from '../lambdas/state/memory-ledger';
import { MemoryStore } from '../lambdas/state/memory-store';
import { processBatch, type BatchResult } from './support/engine';

const CHECKER_ROLE = `arn:aws:iam::${BASTION_ACCOUNT}:role/onboarding-role-checker`;
const config = loadConfig({ ...CASE_BASE_CONFIG, roleCheckerArns: [CHECKER_ROLE], sessionNamePattern: 'backend-[0-9a-f]{8}|ar-sync-[0-9]+', volumeMaxCalls: 20, failedAssumeMaxCalls: 2 });
const T = '2024-08-01T10:00:00Z';
/** The checker runs from the CI's address, inside the vendor's egress (nat-us). */
const CI_ADDRESS = ADDRESSES.natUs;
const CHECKER_AGENT = 'assumerole-watch/0.1.0 check-role aws-sdk-js/3.658.1 ua/2.1 os/linux#6.1 lang/js md/nodejs#20.18.0';
const WRONG_EXTERNAL_ID = 'assumerole-watch-probe-not-the-external-id';

/** A principal opens an outbound session; the session's identity carries the key STS issued it. */
function openSession(caller: Json, time: string, sessionName: string): { open: Json; session: Json } {
  const open = intoOutbound({ time, caller, sessionName, sourceIp: CI_ADDRESS, userAgent: CHECKER_AGENT });
  const accessKeyId = (open.responseElements as { credentials: { accessKeyId: string } }).credentials.accessKeyId;
  return { open, session: outboundSession(sessionName, { accessKeyId, createdAt: time }) };
}

/** The probe of one customer role as `check-role --live` runs it: no external ID, a wrong one (both refused), then the right one. */
function probe(session: Json, time: string, account: string = CUSTOMERS.acme, accepts: 'enforced' | 'no-external-id' = 'enforced'): Json[] {
  const common = { caller: session, account, sessionName: 'assumerole-watch-check-role', sourceIp: CI_ADDRESS, userAgent: CHECKER_AGENT, durationSeconds: 900 };
  const refused = { code: 'AccessDenied', keepRequest: true };
  return [
    outToCustomer({ ...common, time, noExternalId: true, ...(accepts === 'enforced' ? { error: refused } : {}) }),
    outToCustomer({ ...common, time: after(time, 1), externalId: WRONG_EXTERNAL_ID, error: refused }),
    outToCustomer({ ...common, time: after(time, 2), externalId: externalIdOf(account) }),
  ];
}

function parsed(records: readonly Json[]): ParsedCall[] {
  return records.flatMap((r) => {
    const p = parseRecord(r);
    return p.kind === 'assume-role' || p.kind === 'session-activity' ? [p] : [];
  });
}

/** Runs the records as one batch per record (the clock at each), on a fresh in-memory store unless given. */
async function run(records: readonly Json[], ports: StatePorts = { state: new MemoryStore(), ledger: new MemoryLedger() }, cfg: CompiledConfig = config): Promise<BatchResult[]> {
  const results: BatchResult[] = [];
  for (const call of parsed(records)) results.push(await processBatch([call], ports, cfg, { now: () => call.eventTime }));
  return results;
}

const alertsOf = (results: readonly BatchResult[]) => results.flatMap((r) => r.alerts);
const detectorsOf = (results: readonly BatchResult[]) => [...new Set(alertsOf(results).map((a) => a.detector))].sort();

describe('the role checker', () => {
  it('probes a customer role that enforces its external ID without an alert', async () => {
    // Given the checker principal opening an outbound session and probing a customer role
    const { open, session } = openSession(roleSession(CHECKER_ROLE, 'ci-onboarding-42'), T, 'assumerole-watch-check-role');
    // When the calls are processed
    const results = await run([open, ...probe(session, after(T, 5))]);
    // Then nothing alerts: its refused calls, its session name and its client are the probe's own
    expect(alertsOf(results)).toEqual([]);
  });

  it('probes every customer in a row without a burst alert, and leaves the backend\'s count as it was', async () => {
    // Given the checker running through 30 customers (90 calls, over volumeMaxCalls 20), and then the backend's ordinary calls
    const { open, session } = openSession(roleSession(CHECKER_ROLE, 'nightly-recheck'), T, 'assumerole-watch-check-role');
    const accounts = Array.from({ length: 30 }, (_, i) => String(300000000000 + i));
    const probes = accounts.flatMap((account, i) => probe(session, after(T, 10 + 3 * i), account));
    const backend = times(after(T, 200), 15, 2).map((time) => outToCustomer({ time }));
    // When processed
    const results = await run([open, ...probes, ...backend]);
    // Then no burst and no denied-burst alert: the checker's calls were not counted
    expect(detectorsOf(results)).not.toContain('call-volume');
    expect(detectorsOf(results)).not.toContain('failed-assume');
    // And the backend's 15 calls stay under the ceiling of 20 they would cross with the checker's counted
    expect(alertsOf(results)).toEqual([]);
  });

  it('alerts on the same calls made by anyone else, whatever name and client they borrow', async () => {
    // Given the same calls with the checker's session name and user agent, from a session another principal opened
    const intruder = openSession(roleSession(`arn:aws:iam::${BASTION_ACCOUNT}:role/ci-deployer`, 'ci-onboarding-42'), T, 'assumerole-watch-check-role');
    const backendHeld = openSession(roleSession(`arn:aws:iam::${BASTION_ACCOUNT}:role/integration-backend`, '3f1c0b6e9a2d4c7f8e5b1a0d9c8e7f6a'), T, 'assumerole-watch-check-role');
    // When each is processed
    const byIntruder = await run([intruder.open, ...probe(intruder.session, after(T, 5))]);
    const byBackend = await run([backendHeld.open, ...probe(backendHeld.session, after(T, 5))]);
    // Then an unexpected principal opening the outbound role alerts, and so does the probe's pattern from the backend's own session
    expect(detectorsOf(byIntruder)).toContain('unexpected-caller');
    expect(detectorsOf(byBackend)).toEqual(expect.arrayContaining(['failed-assume', 'session-name']));
    for (const a of [...alertsOf(byIntruder), ...alertsOf(byBackend)]) expect(a.title).not.toContain('role checker');
  });

  it('alerts on a customer role that accepted no external ID, titled as the checker\'s', async () => {
    // Given a customer role that lets the checker in without an external ID
    const { open, session } = openSession(roleSession(CHECKER_ROLE, 'ci-onboarding-43'), T, 'assumerole-watch-check-role');
    // When the probe runs
    const results = await run([open, ...probe(session, after(T, 5), CUSTOMERS.globex, 'no-external-id')]);
    // Then external-id alerts: a true finding, whoever found it, with the checker named
    const alerts = alertsOf(results);
    expect(alerts.map((a) => a.detector)).toEqual(['external-id']);
    expect(alerts[0]!.title).toMatch(/\(made by the role checker\)$/);
    expect(alerts[0]!.evidence.details.roleChecker).toBe(CHECKER_ROLE);
  });

  it('still alerts when the checker\'s session is used from a second place, titled as the checker\'s', async () => {
    // Given the checker's session, then the same access key used from an address outside the egress
    const { open, session } = openSession(roleSession(CHECKER_ROLE, 'ci-onboarding-44'), T, 'assumerole-watch-check-role');
    const stolen = sessionCall({ time: after(T, 60), caller: session, sourceIp: ADDRESSES.tor });
    // When processed
    const results = await run([open, ...probe(session, after(T, 5)), stolen]);
    // Then the copied session alerts as any would, with the checker named
    const alerts = alertsOf(results);
    expect(alerts.map((a) => a.detector)).toContain('session-locations');
    for (const a of alerts) expect(a.title).toMatch(/\(made by the role checker\)$/);
  });

  it('recognises the checker the same way from a store read once a batch (a table) as from one read as asked', async () => {
    // Given a store that only loads, as DynamoDB does, and the probe in one batch after the session's opening
    const state = new MemoryStore();
    Object.defineProperty(state, 'readThrough', { value: undefined });
    const ports = { state, ledger: new MemoryLedger() };
    const { open, session } = openSession(roleSession(CHECKER_ROLE, 'ci-onboarding-45'), T, 'assumerole-watch-check-role');
    await run([open], ports);
    // When the probe's three calls are one batch
    const calls = parsed(probe(session, after(T, 5)));
    const result = await processBatch(calls, ports, config, { now: () => calls[2]!.eventTime });
    // Then nothing alerts there either
    expect(result.alerts).toEqual([]);
    expect(result.stats.relevant).toBe(3);
  });

  it('makes no difference without roleCheckerArns: the probe alerts as anyone\'s', async () => {
    // Given the configuration without a role checker
    const plain = loadConfig({ ...CASE_BASE_CONFIG, sessionNamePattern: 'backend-[0-9a-f]{8}|ar-sync-[0-9]+', failedAssumeMaxCalls: 2 });
    const { open, session } = openSession(roleSession(CHECKER_ROLE, 'ci-onboarding-46'), T, 'assumerole-watch-check-role');
    // When the probe runs
    const results = await run([open, ...probe(session, after(T, 5))], undefined, plain);
    // Then its principal is unexpected and its refused probes a burst
    expect(detectorsOf(results)).toEqual(expect.arrayContaining(['unexpected-caller', 'failed-assume']));
  });

  it('replays the probe\'s own calls from a log file without an alert, and the same calls by another principal with alerts', async () => {
    // Given a CloudTrail file of the probe of two customers by the checker, and one of the same calls by a CI role that is not the checker
    const dir = tempDir('arw-role-checker-');
    const config = writeConfig(dir, { roleCheckerArns: [CHECKER_ROLE], sessionNamePattern: 'backend-[0-9a-f]{8}|ar-sync-[0-9]+', failedAssumeMaxCalls: 2 });
    const checker = openSession(roleSession(CHECKER_ROLE, 'ci-onboarding-47'), T, 'assumerole-watch-check-role');
    const other = openSession(roleSession(`arn:aws:iam::${BASTION_ACCOUNT}:role/ci-deployer`, 'ci-onboarding-47'), T, 'assumerole-watch-check-role');
    const write = (name: string, records: readonly Json[]): string => {
      const file = join(dir, name);
      writeFileSync(file, JSON.stringify({ Records: records }));
      return file;
    };
    const byChecker = write('checker.json', [checker.open, ...probe(checker.session, after(T, 5)), ...probe(checker.session, after(T, 20), CUSTOMERS.initech)]);
    const byOther = write('other.json', [other.open, ...probe(other.session, after(T, 5)), ...probe(other.session, after(T, 20), CUSTOMERS.initech)]);
    // When each is replayed
    const quiet = await cli(['replay', byChecker, '--config', config, '--json']);
    const loud = await cli(['replay', byOther, '--config', config, '--json']);
    // Then the checker's replay prints no alert and exits 0; the other's alerts (exit 1)
    expect(quiet.out.trim()).toBe('');
    expect(quiet.err).toMatch(/relevant 7\b/);
    expect(quiet.code).toBe(0);
    const detectors = loud.out.trim().split('\n').map((l) => (JSON.parse(l) as { detector: string }).detector);
    expect(detectors).toEqual(expect.arrayContaining(['unexpected-caller', 'failed-assume', 'session-name']));
    expect(loud.code).toBe(1);
  });
});
