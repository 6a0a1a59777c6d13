/**
 * failed-assume's daily count (slow probing) through the batch runner: one alert per role and
 * day, redelivered batches counted once, a burst that takes the day over kept to one alert.
 */
import { loadConfig } from '../lambdas/core/config';
import { parseRecord } from '../lambdas/core/parse';
import type { ParsedCall } from '../lambdas/core/types';
import type { StatePorts } from '../lambdas/delivery/batch-runner';
import type { Alert } from '../lambdas/engine/alerts';
import { MemoryLedger } from '../lambdas/state/memory-ledger';
import { MemoryStore } from '../lambdas/state/memory-store';
import { CASE_BASE_CONFIG } from './detectors/cases';
import { slowProbes } from './detectors/failed-assume.cases';
import { outboundSession, outToCustomer, times } from './support/case-records';
import { processBatch } from './support/engine';

const LEARNING = loadConfig({ ...CASE_BASE_CONFIG, learningPeriodDays: 7 });

function parsed(records: readonly unknown[]): ParsedCall[] {
  return records.map((r) => {
    const result = parseRecord(r);
    if (result.kind === 'rejected' || result.kind === 'ignored') throw new Error(`not a call: ${JSON.stringify(result)}`);
    return result;
  });
}

/** Runs the records as batches of `size` (in order), marking alerts sent; the failed-assume alerts per batch. */
async function runBatches(ports: StatePorts, batches: readonly (readonly unknown[])[], config = LEARNING): Promise<Alert[][]> {
  const out: Alert[][] = [];
  for (const records of batches) {
    const calls = parsed(records);
    const result = await processBatch(calls, ports, config, { now: () => Math.max(...calls.map((c) => c.eventTime)) });
    await ports.ledger.markSent(result.alerts);
    out.push(result.alerts.filter((a) => a.detector === 'failed-assume'));
  }
  return out;
}

function memory(): StatePorts {
  return { state: new MemoryStore(), ledger: new MemoryLedger() };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));
}

describe('failed-assume: denied calls per role and day', () => {
  it('alerts once for 60 denials over 10 hours by hourly sessions, naming the sessions and targets', async () => {
    // Given 60 denials, 10 minutes apart, each hour from a new outbound session
    const records = slowProbes('2024-08-01T08:00:00Z', 60);
    // When each is delivered in its own batch
    const alerts = (await runBatches(memory(), records.map((r) => [r]))).flat();
    // Then one medium alert, at the 51st, lists the day's nine sessions and its (capped) targets
    expect(alerts).toHaveLength(1);
    const [alert] = alerts;
    expect(alert!.severity).toBe('medium');
    expect(alert!.evidence.eventIds).toEqual([(records[50] as { eventID: string }).eventID]);
    expect(alert!.cause).toContain('51 denied AssumeRole calls by the sessions of "outbound-integration" today (9 sessions, 32+ distinct roles) exceed the daily ceiling of 50');
    expect(alert!.evidence.details.sessionsToday).toHaveLength(9);
    expect(alert!.evidence.details.targetsToday).toHaveLength(10);
  });

  it('counts a redelivered batch once', async () => {
    // Given 50 denials in batches of 10, the third batch delivered twice
    const batches = chunks(slowProbes('2024-08-01T08:00:00Z', 51), 10);
    const redelivered = [...batches.slice(0, 3), batches[2]!, ...batches.slice(3, 5)];
    const ports = memory();
    const before = await runBatches(ports, redelivered);
    // When the 51st distinct denial arrives
    const last = await runBatches(ports, [batches[5]!]);
    // Then nothing fired before it, and it alerts
    expect(before.flat()).toEqual([]);
    expect(last.flat().map((a) => a.severity)).toEqual(['medium']);
  });

  it('keeps a burst that takes the day over its limit to the burst\'s one alert', async () => {
    // Given a learned role (no learning period) that was never denied
    const config = loadConfig({ ...CASE_BASE_CONFIG });
    // When one session is denied into 12 accounts within six minutes (the 10th is also a day's spike)
    const burst = times('2024-08-01T10:00:00Z', 12, 30).map((time, i) => outToCustomer({ time, account: String(600000000000 + i * 1111), error: { code: 'AccessDenied' } }));
    const alerts = (await runBatches(memory(), burst.map((r) => [r]), config)).flat();
    // Then one alert: the burst's, whose cause also gives the day's count
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.severity).toBe('high');
    expect(alerts[0]!.cause).toMatch(/in 15 min .*; 10 denied AssumeRole calls by the sessions of "outbound-integration" today .* busiest denied day/);
  });

  it('keeps attacker-chosen targets and session names bounded in the evidence', async () => {
    // Given 51 slow denials into a role with a 400-character path, by a session with a long name
    const path = `/${'p'.repeat(400)}/`;
    const records = times('2024-08-01T08:00:00Z', 51, 600).map((time, i) =>
      outToCustomer({ time, account: String(600000000000 + i), roleArn: `arn:aws:iam::${600000000000 + i}:role${path}VendorIntegrationRole`, caller: outboundSession(`x${'y'.repeat(63)}`), error: { code: 'AccessDenied' } }),
    );
    // When they are delivered
    const alerts = (await runBatches(memory(), chunks(records, 25))).flat();
    // Then the alert's targets and sessions are each cut to a bounded member
    expect(alerts).toHaveLength(1);
    const listed = [...(alerts[0]!.evidence.details.targetsToday as string[]), ...(alerts[0]!.evidence.details.sessionsToday as string[])];
    expect(listed.length).toBeGreaterThan(0);
    for (const member of listed) expect(member.length).toBeLessThanOrEqual(256);
  });
});
