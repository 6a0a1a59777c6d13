/**
 * session-locations through the engine and the batch runner: which location an alert names and
 * which calls it lists when stolen keys are used before the backend's first call from home, and
 * that redelivery, reordering and a refused publish leave that alert as it is.
 */
import { ADDRESSES, after, outboundSession, outToCustomer, sessionCall, type Json } from './support/case-records';
import { CASE_BASE_CONFIG } from './detectors/cases';
import { loadConfig } from '../lambdas/core/config';
import { parseRecord } from '../lambdas/core/parse';
import type { ParsedCall } from '../lambdas/core/types';
import { runBatch, type StatePorts } from '../lambdas/delivery/batch-runner';
import { MemoryPublisher } from '../lambdas/delivery/memory-publisher';
import { DETECTORS } from '../lambdas/detectors';
import { actorOf, type Alert } from '../lambdas/engine/alerts';
import { StateCache } from '../lambdas/state/cache';
import { DynamoStore } from '../lambdas/state/dynamodb-store';
import { MemoryLedger } from '../lambdas/state/memory-ledger';
import { MemoryStore } from '../lambdas/state/memory-store';
import { freshTable, scanAll, testClient } from './support/dynamodb';
import { processBatch, type BatchResult } from './support/engine';

const config = loadConfig({ ...CASE_BASE_CONFIG, minAlertSeverity: 'medium' });
const T = '2024-08-01T10:45:22Z';
/** AWS EC2 us-east-1 (the region of the vendor's nat-us), not the vendor's. */
const ATTACKER_EC2 = '54.161.20.7';
const ATTACKER_PREFIX = '54.161.20.0/24';
const KALI_AGENT = 'Boto3/1.34.84 md/Botocore#1.34.84 ua/2.0 os/linux#6.1.0-kali9-amd64';
const SESSION = outboundSession('backend-3f1c0b6e', { createdAt: '2024-08-01T10:40:02Z' });

/** The attacker's calls with the stolen session keys, from an EC2 instance, seconds before the backend's. */
const ATTACKER = [
  sessionCall({ time: T, caller: SESSION, eventSource: 'sts.amazonaws.com', eventName: 'GetCallerIdentity', sourceIp: ATTACKER_EC2, userAgent: KALI_AGENT }),
  sessionCall({ time: after(T, 4), caller: SESSION, sourceIp: ATTACKER_EC2, userAgent: KALI_AGENT }),
];
/** The backend's own calls with the same session, from nat-us. */
const BACKEND = [
  outToCustomer({ time: after(T, 9), caller: SESSION, sourceIp: ADDRESSES.natUs }),
  sessionCall({ time: after(T, 70), caller: SESSION, sourceIp: ADDRESSES.natUs }),
];
const idsOf = (records: readonly Json[]): string[] => records.map((r) => r.eventID as string);

function parsed(records: readonly unknown[]): ParsedCall[] {
  return records.map((r) => {
    const result = parseRecord(r);
    if (result.kind === 'rejected' || result.kind === 'ignored') throw new Error(`not a call: ${JSON.stringify(result)}`);
    return result;
  });
}

const deployment = (cache?: StateCache): StatePorts & { state: MemoryStore } => ({ state: new MemoryStore(), ledger: new MemoryLedger(), ...(cache ? { cache } : {}) });

function run(ports: StatePorts, records: readonly unknown[]): Promise<BatchResult> {
  const calls = parsed(records);
  return processBatch(calls, ports, config, { now: () => Math.max(...calls.map((c) => c.eventTime)) });
}

const sessionAlerts = (result: BatchResult): Alert[] => result.alerts.filter((a) => a.detector === 'session-locations');

/** The session-locations alerts of the records delivered batch after batch into one deployment. */
async function alertsOf(batches: readonly (readonly unknown[])[], ports: StatePorts = deployment()): Promise<Alert[]> {
  const alerts: Alert[] = [];
  for (const batch of batches) alerts.push(...sessionAlerts(await run(ports, batch)));
  return alerts;
}

describe('session-locations: a session seen outside the allow-list and at home', () => {
  it('names the outside /24 and lists its calls when stolen keys are used before the backend\'s first call', async () => {
    // Given the attacker's two calls from an EC2 address, then the backend's calls from nat-us, in one batch
    const records = [...ATTACKER, ...BACKEND];
    // When processed
    const alerts = await alertsOf([records]);
    // Then one high alert names the EC2 /24 and lists the attacker's calls, not the backend's
    expect(alerts).toHaveLength(1);
    const [alert] = alerts;
    expect(alert!.severity).toBe('high');
    expect(alert!.cause).toContain(`was used from ${ATTACKER_PREFIX}, outside allowedCidrs (2 calls), before its home group:nat-us`);
    expect(alert!.evidence.eventIds).toEqual(idsOf(ATTACKER));
    expect(alert!.evidence.eventTimes).toEqual([ATTACKER[0]!.eventTime, ATTACKER[1]!.eventTime].map((t) => new Date(t as string).toISOString()));
    expect(alert!.evidence).toMatchObject({ sourceIp: ATTACKER_EC2, userAgent: KALI_AGENT, eventName: 'GetCallerIdentity', targetAccountId: null });
    expect(alert!.evidence.details).toMatchObject({ newLocation: ATTACKER_PREFIX, homeLocation: 'group:nat-us', outsideCalls: 2 });
  });

  it('gives the same alert whether the calls come in one batch, one per batch, shuffled, or through a warm cache', async () => {
    // Given the same calls delivered four ways
    const records = [...ATTACKER, ...BACKEND];
    const shuffled = [BACKEND[1]!, ATTACKER[1]!, BACKEND[0]!, ATTACKER[0]!];
    // When each is processed into its own deployment
    const ways = await Promise.all([
      alertsOf([records]),
      alertsOf(records.map((r) => [r])),
      alertsOf([shuffled]),
      alertsOf(records.map((r) => [r]), deployment(new StateCache())),
    ]);
    // Then each gives one alert with the same identity and the attacker's calls
    const identity = (alerts: Alert[]): unknown => alerts.map((a) => ({ alertId: a.alertId, eventIds: a.evidence.eventIds, cause: a.cause }));
    for (const alerts of ways) {
      expect(alerts.map((a) => a.evidence.eventIds)).toEqual([idsOf(ATTACKER)]);
      expect(identity(alerts)).toEqual(identity(ways[0]!));
    }
  });

  it('changes nothing and alerts nothing when the same events are delivered again, together or one by one', async () => {
    // Given a deployment that alerted on the calls
    const ports = deployment(new StateCache());
    const first = await alertsOf([[...ATTACKER, ...BACKEND]], ports);
    expect(first).toHaveLength(1);
    const before = ports.state.dump();
    // When the batch is delivered again, then each call alone (the backend's first call too)
    const again = await run(ports, [...ATTACKER, ...BACKEND]);
    const singly = await alertsOf([...ATTACKER, ...BACKEND].map((r) => [r]), ports);
    // Then no alert and the same state; the call that found the home gives the same finding again (same alert, so the ledger holds it)
    expect(sessionAlerts(again)).toEqual([]);
    expect(singly).toEqual([]);
    expect(ports.state.dump()).toEqual(before);
    const refound = again.findings.filter((f) => f.detector === 'session-locations');
    expect(refound.map((f) => [`${f.dedupKey}|${actorOf(f.evidence)}`, f.evidence.eventIds])).toEqual([[first[0]!.dedupKey, idsOf(ATTACKER)]]);
  });

  it('sends the alert once, on the retry, when the publisher refused it after the state was written', async () => {
    // Given the backend's first call, after the attacker's, in a batch whose alert the publisher refuses
    const ports = deployment();
    await run(ports, ATTACKER);
    const deps = (publisher: MemoryPublisher) => ({ detectors: DETECTORS, config, clock: { now: () => Date.parse(BACKEND[0]!.eventTime as string) }, ports, publisher });
    const refusing = new MemoryPublisher(() => ({ code: 'Throttling', message: 'Rate exceeded' }));
    const refused = await runBatch({ calls: parsed([BACKEND[0]!]) }, deps(refusing));
    expect(refused.delivered).toEqual([]);
    expect(refused.retryAlerts.map((a) => a.evidence.eventIds)).toEqual([idsOf(ATTACKER)]);
    // When the call is delivered again (its state is written: the home is known)
    const retry = await runBatch({ calls: parsed([BACKEND[0]!]), redeliveredEventIds: idsOf([BACKEND[0]!]) }, deps(new MemoryPublisher()));
    const third = await runBatch({ calls: parsed([BACKEND[0]!]), redeliveredEventIds: idsOf([BACKEND[0]!]) }, deps(new MemoryPublisher()));
    // Then the same alert goes out once
    expect(retry.delivered.map((a) => a.alertId)).toEqual([refused.retryAlerts[0]!.alertId]);
    expect(third.delivered).toEqual([]);
  });

  it('decides from a warm instance\'s cached copy only what the table would decide', async () => {
    // Given two warm instances sharing one table, and a third deployment with no cache as the reference
    const state = new MemoryStore();
    const ledger = new MemoryLedger();
    const x: StatePorts = { state, ledger, cache: new StateCache() };
    const y: StatePorts = { state, ledger, cache: new StateCache() };
    const reference = deployment();
    const steps: [StatePorts, Json][] = [
      [x, ATTACKER[0]!], // x caches the session seen only outside
      [y, BACKEND[0]!], // y finds the home
      [x, ATTACKER[1]!], // x's copy lacks the home: it must read, and keep no call
      [x, BACKEND[0]!], // a redelivery of the call that found the home, on the instance that did not see it
      [y, BACKEND[1]!], // y's copy has the home and an outside location: it reads
    ];
    // When the calls come one per batch to the instances, and in the same order to the reference
    const alerts: Alert[] = [];
    for (const [ports, record] of steps) alerts.push(...sessionAlerts(await run(ports, [record])));
    const expected = await alertsOf(steps.map(([, record]) => [record]), reference);
    // Then the same single alert, and the same table
    expect(alerts.map((a) => [a.alertId, a.evidence.eventIds])).toEqual(expected.map((a) => [a.alertId, a.evidence.eventIds]));
    expect(alerts.map((a) => a.evidence.eventIds)).toEqual([[ATTACKER[0]!.eventID]]);
    expect(state.dump()).toEqual(reference.state.dump());
  });

  it('names the outside location, as before, when the backend came first', async () => {
    // Given the backend's call from nat-us, then the attacker's two calls
    const records = [{ ...BACKEND[0]!, eventTime: after(T, -60) }, ...ATTACKER];
    // When processed one batch each
    const alerts = await alertsOf(records.map((r) => [r]));
    // Then one alert, on the attacker's first call, naming its /24 after the home
    expect(alerts.map((a) => a.evidence.eventIds)).toEqual([[ATTACKER[0]!.eventID]]);
    expect(alerts[0]!.cause).toContain(`was used from ${ATTACKER_PREFIX}, outside allowedCidrs, after group:nat-us`);
  });

  it('lists the first 20 outside calls and counts each call once, redeliveries included', async () => {
    // Given 25 calls from the attacker's address, each delivered twice, then the backend's call
    const calls = Array.from({ length: 25 }, (_, i) => sessionCall({ time: after(T, -300 + i * 10), caller: SESSION, sourceIp: ATTACKER_EC2, eventName: 'ListBuckets', userAgent: `${KALI_AGENT} #${i}` }));
    const ports = deployment();
    await alertsOf([calls, calls.slice().reverse()], ports);
    // When the backend's call comes
    const alerts = await alertsOf([[BACKEND[0]!]], ports);
    // Then the alert lists the first 20 in event-time order and counts 25
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.evidence.eventIds).toEqual(idsOf(calls.slice(0, 20)));
    expect(alerts[0]!.cause).toContain('(25 calls, the first 20 listed)');
  });

  it('rates a second allowed group medium under its own dedup key, apart from an outside location\'s alert', async () => {
    // Given a session at nat-eu, then from the attacker's address, then from nat-us, in one batch
    const records = [
      sessionCall({ time: T, caller: SESSION, sourceIp: ADDRESSES.natEu }),
      sessionCall({ time: after(T, 5), caller: SESSION, sourceIp: ATTACKER_EC2 }),
      sessionCall({ time: after(T, 10), caller: SESSION, sourceIp: ADDRESSES.natUs }),
    ];
    // When processed
    const alerts = await alertsOf([records]);
    // Then the outside location's alert lists only its call, and the move between groups is a medium of its own
    expect(alerts.map((a) => [a.severity, a.evidence.eventIds])).toEqual([
      ['high', [records[1]!.eventID]],
      ['medium', [records[2]!.eventID]],
    ]);
  });
});

describe('session-locations on DynamoDB Local', () => {
  const client = testClient();
  afterAll(() => client.destroy());

  it('gives the attacker-first alert as in memory, and a redelivery changes no item', async () => {
    // Given a DynamoDB table and, as the reference, the in-memory store
    const table = await freshTable(client);
    const ports: StatePorts = { state: new DynamoStore(client, table), ledger: new MemoryLedger(), cache: new StateCache() };
    const records = [...ATTACKER, ...BACKEND];
    const expected = await alertsOf(records.map((r) => [r]));
    // When the calls come one per batch, then all of them again
    const alerts = await alertsOf(records.map((r) => [r]), ports);
    const before = await scanAll(client, table);
    const again = await alertsOf([records, ...records.map((r) => [r])], ports);
    // Then the same alert (the attacker's calls, whatever order the table returns a set in), and the same items
    expect(alerts.map((a) => [a.alertId, a.evidence.eventIds, a.cause])).toEqual(expected.map((a) => [a.alertId, a.evidence.eventIds, a.cause]));
    expect(alerts.map((a) => a.evidence.eventIds)).toEqual([idsOf(ATTACKER)]);
    expect(again).toEqual([]);
    expect(await scanAll(client, table)).toEqual(before);
  }, 30_000);
});
