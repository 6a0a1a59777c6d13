import { ADDRESSES, CUSTOMERS, intoOutbound, outToCustomer, retimed, sessionCall, outboundSession, times, iamUser } from './support/case-records';
import { CASE_BASE_CONFIG } from './detectors/cases';
import { loadConfig } from '../lambdas/core/config';
import type { StatePorts as EnginePorts } from '../lambdas/delivery/batch-runner';
import { processBatch, type BatchResult } from './support/engine';
import { parseRecord } from '../lambdas/core/parse';
import type { Finding, ParsedCall } from '../lambdas/core/types';
import { fold } from '../lambdas/engine/alerts';
import { MemoryLedger } from '../lambdas/state/memory-ledger';
import { MemoryStore } from '../lambdas/state/memory-store';
import { keyString, type StateUpdate } from '../lambdas/core/state';

const config = loadConfig({ ...CASE_BASE_CONFIG, minAlertSeverity: 'medium', volumeMaxCalls: 5 });
const T = '2024-08-01T10:00:00Z';

function parsed(records: unknown[]): ParsedCall[] {
  return records.map((r) => {
    const result = parseRecord(r);
    if (result.kind === 'rejected' || result.kind === 'ignored') throw new Error(`not a call: ${JSON.stringify(result)}`);
    return result;
  });
}

/** A memory store with its alert ledger; one per simulated deployment. */
class Deployment {
  readonly state = new MemoryStore();
  readonly ledger = new MemoryLedger();
}

async function run(ports: EnginePorts, records: unknown[]): Promise<BatchResult> {
  const calls = parsed(records);
  const result = await processBatch(calls, ports, config, { now: () => Math.max(...calls.map((c) => c.eventTime)) });
  await ports.ledger.markSent(result.alerts);
  return result;
}

/** Six calls out of the outbound role within a minute: one over the ceiling of 5. */
function burst(): unknown[] {
  return times(T, 6, 10).map((time, i) => outToCustomer({ time, account: Object.values(CUSTOMERS)[i % 4] }));
}

/** A batch that touches the same counters and sessions many times (`hour` hours after T). */
function busyBatch(hour = 0): ReturnType<typeof outToCustomer>[] {
  const start = new Date(Date.parse(T) + hour * 3_600_000).toISOString();
  return [
    ...times(start, 20, 5).map((time, i) => outToCustomer({ time, account: Object.values(CUSTOMERS)[i % 4] })),
    ...times(start, 5, 7).map((time) => sessionCall({ time, caller: outboundSession(), eventName: 'GetCallerIdentity', eventSource: 'sts.amazonaws.com' })),
  ];
}

describe('the engine', () => {
  it('alerts once when a burst crosses the ceiling', async () => {
    // Given a fresh store
    const store = new Deployment();
    // When six calls arrive in one batch
    const result = await run(store, burst());
    // Then one call-volume alert
    expect(result.alerts.map((a) => a.detector)).toEqual(['call-volume']);
    expect(result.stats).toMatchObject({ received: 6, relevant: 6, duplicates: 0, alerts: 1 });
  });

  it('changes nothing and alerts nothing when the same batch is delivered again', async () => {
    // Given a batch already processed
    const store = new Deployment();
    await run(store, burst());
    const before = store.state.dump();
    // When it is delivered again
    const again = await run(store, burst());
    // Then the state is identical and there is no second alert
    expect(again.alerts).toEqual([]);
    expect(store.state.dump()).toEqual(before);
  });

  it('counts an event delivered twice in one batch once', async () => {
    // Given five calls, one of them twice: still at the ceiling, not over it
    const calls = burst().slice(0, 5);
    // When processed
    const result = await run(new Deployment(), [...calls, calls[2]]);
    // Then the copy is a duplicate and nothing crosses the ceiling of 5
    expect(result.stats.duplicates).toBe(1);
    expect(result.alerts).toEqual([]);
  });

  it('gives the same alerts and state for a shuffled batch', async () => {
    // Given the burst in order and reversed
    const a = new Deployment();
    const b = new Deployment();
    const inOrder = await run(a, burst());
    const reversed = await run(b, burst().reverse());
    // Then alerts and state agree
    expect(reversed.alerts).toEqual(inOrder.alerts);
    expect(b.state.dump()).toEqual(a.state.dump());
  });

  it('treats both copies of a cross-account call (one sharedEventID) as one call', async () => {
    // Given the caller's copy and the role owner's copy of one call into the outbound role
    const caller = intoOutbound({ time: T, caller: iamUser('mallory', '999988887777'), userAgent: 'aws-cli/2.17.20' });
    const owner = { ...(caller as Record<string, unknown>), eventID: 'owner-copy', recipientAccountId: '210987654321', userIdentity: { type: 'AWSAccount', accountId: '999988887777', principalId: 'AIDAEXAMPLE' } };
    // When both arrive, the owner's first
    const result = await run(new Deployment(), [owner, { ...(caller as Record<string, unknown>), recipientAccountId: '999988887777' }]);
    // Then one is a duplicate, and the alert names the caller from the richer copy
    expect(result.stats.duplicates).toBe(1);
    const human = result.alerts.filter((a) => a.detector === 'human-principal');
    expect(human).toHaveLength(1);
    expect(human[0]!.evidence.principalArn).toBe('arn:aws:iam::999988887777:user/mallory');
  });

  it('does not read or write state for calls that involve no monitored role', async () => {
    // Given an IAM user's call to some other role and an unrelated session's S3 call
    const store = new Deployment();
    const other = intoOutbound({ time: T, roleArn: 'arn:aws:iam::210987654321:role/reporting' });
    const s3 = sessionCall({ time: T, caller: outboundSession('x', {}, 'arn:aws:iam::210987654321:role/reporting') });
    // When processed
    const result = await run(store, [other, s3]);
    // Then both are ignored and the store was not touched
    expect(result.stats).toMatchObject({ ignored: 2, relevant: 0 });
    expect(store.state.consumption().requests).toBe(0);
    expect(store.state.size().items).toBe(0);
  });

  it('reads state once and writes each item once per batch', async () => {
    // Given a store that records every commit
    const store = new Deployment();
    const commits: StateUpdate[][] = [];
    const commit = store.state.commit.bind(store.state);
    store.state.commit = async (updates) => {
      commits.push([...updates]);
      return commit(updates);
    };
    const load = jest.spyOn(store.state, 'load');
    const readThrough = jest.spyOn(store.state, 'readThrough');
    // When a batch touches the same counters and sessions many times
    await run(store, busyBatch());
    // Then one read (the store is in this process: read as the detectors ask), one commit, and no key twice in it
    expect(readThrough).toHaveBeenCalledTimes(1);
    expect(load).not.toHaveBeenCalled();
    expect(commits).toHaveLength(1);
    const keys = commits[0]!.map((u) => keyString(u.key));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('loads every key a batch reads at once from a store across the network, and finds what reading through finds', async () => {
    // Given a store that only loads (a table), and one in this process
    const remote = new Deployment();
    const local = new Deployment();
    Object.defineProperty(remote.state, 'readThrough', { value: undefined });
    const load = jest.spyOn(remote.state, 'load');
    // When both run the same batches
    const first = await run(remote, busyBatch());
    const again = await run(remote, busyBatch(1));
    const localFirst = await run(local, busyBatch());
    const localAgain = await run(local, busyBatch(1));
    // Then the table is read with one load a batch, and both give the same findings and state
    expect(load).toHaveBeenCalledTimes(2);
    expect(again.findings).toEqual(localAgain.findings);
    expect(first.findings).toEqual(localFirst.findings);
    expect(remote.state.dump()).toEqual(local.state.dump());
  });

  it('keeps each finding\'s evidence as it was when found, though later calls in the batch change the same state', async () => {
    // Given one outbound session used from its NAT, then from two other places, in one batch
    const session = outboundSession('backend-7a7a7a7a');
    const records = [ADDRESSES.natEu, ADDRESSES.awsElsewhere, ADDRESSES.tor].map((sourceIp, i) => sessionCall({ time: `2024-08-01T10:0${i}:00Z`, caller: session, sourceIp }));
    // When processed together
    const result = await run(new Deployment(), records);
    // Then the second call's finding lists only the first place, the third's the first two
    const previous = result.findings.filter((f) => f.detector === 'session-locations').map((f) => f.evidence.details.previousLocations);
    expect(previous).toEqual([['group:nat-eu'], ['group:nat-eu', '34.245.1.0/24']]);
  });

  it('suppresses a repeat of the same finding within suppressionMinutes, by event time', async () => {
    // Given a human assumption that alerted
    const store = new Deployment();
    const first = intoOutbound({ time: T, caller: iamUser('alice') });
    expect((await run(store, [first])).alerts).toHaveLength(1);
    // When the same person does it again 30 minutes later, then 2 hours later
    const soon = await run(store, [retimed(first, '2024-08-01T10:30:00Z')]);
    const later = await run(store, [retimed(first, '2024-08-01T12:00:00Z')]);
    // Then the first repeat is suppressed and the second alerts
    expect(soon.alerts).toEqual([]);
    expect(soon.stats.suppressed).toBe(1);
    expect(later.alerts).toHaveLength(1);
  });

  it('folds findings with one dedup key in one batch into one alert listing their events', async () => {
    // Given three calls from one outside address in one batch
    const records = times(T, 3, 60).map((time) => outToCustomer({ time, sourceIp: ADDRESSES.tor }));
    // When processed
    const result = await run(new Deployment(), records);
    // Then one source-ip alert carries all three events
    const alerts = result.alerts.filter((a) => a.detector === 'source-ip');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.occurrences).toBe(3);
    expect(alerts[0]!.evidence.eventIds).toHaveLength(3);
  });

  it('keeps an alert\'s event IDs and times in step when folded findings share an event', () => {
    // Given two findings of one key, the second listing the first's event again and a new one
    const finding = (ids: string[], eventTimes: string[]): Finding => ({
      detector: 'call-volume', severity: 'high', title: 't', cause: 'c', runbook: 'r', dedupKey: 'k', scope: 'role', attack: [],
      evidence: { eventIds: ids, eventTimes, eventName: 'AssumeRole', principalArn: null, principalType: 'AWSAccount', roleArn: null, targetAccountId: null, sourceIp: null, sessionKey: null, userAgent: null, awsRegion: 'eu-west-1', details: {} },
    });
    // When folded
    const [folded] = fold([finding(['e1'], ['2026-10-07T10:00:00Z']), finding(['e1', 'e2'], ['2026-10-07T10:00:00Z', '2026-10-07T10:05:00Z'])], 3_600_000);
    // Then each event is listed once, with its own time
    expect(folded!.alert.evidence.eventIds).toEqual(['e1', 'e2']);
    expect(folded!.alert.evidence.eventTimes).toEqual(['2026-10-07T10:00:00Z', '2026-10-07T10:05:00Z']);
    expect(folded!.alert.occurrences).toBe(2);
  });

  it('counts findings below minAlertSeverity without alerting', async () => {
    // Given a config that alerts only on critical findings
    const strict = loadConfig({ ...CASE_BASE_CONFIG, minAlertSeverity: 'critical' });
    const calls = parsed([intoOutbound({ time: T, caller: iamUser('alice') })]);
    // When a high finding is made
    const result = await processBatch(calls, new Deployment(), strict, { now: () => Date.parse(T) });
    // Then it is counted, not alerted
    expect(result.stats).toMatchObject({ findings: 1, belowSeverity: 1, alerts: 0 });
  });
});
