/**
 * Five Lambda instances (the default reserved concurrency) on one DynamoDB Local table, taking
 * batches from one queue: the state and the alerts come out exactly as one instance leaves them.
 * The throughput under this load is a benchmark figure (`npm run bench`), not a test.
 */
import { loadConfig } from '../lambdas/core/config';
import { freshTable, testClient } from './support/dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { canonical, massAssumptions, RequestOutcomes, runInstances, stateOf } from './support/load';
import { exampleRecords } from './support/sqs';

const client = testClient();
const outcomes = new RequestOutcomes().attach(client);
afterAll(() => client.destroy());

// eslint-disable-next-line @typescript-eslint/no-require-imports
const config = loadConfig({ ...(require('../examples/config.json') as Record<string, unknown>), volumeMaxCalls: 150, volumeMaxTargetAccounts: 100 });
const template = exampleRecords().find((r) => r.eventName === 'AssumeRole' && !r.errorCode && String((r.userIdentity as { arn?: string }).arn).includes(':assumed-role/outbound-'))!;

/**
 * Items as compared across runs: a window's kept target accounts cut at the bound the detector
 * keeps them to (volumeMaxTargetAccounts + 1).
 */
function capped(items: Map<string, Record<string, AttributeValue>>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [id, item] of items) {
    const accounts = item.accounts?.SS;
    const kept = accounts && accounts.length >= config.volumeMaxTargetAccounts + 1 ? { ...item, accounts: { N: String(config.volumeMaxTargetAccounts + 1) } } : item;
    out.set(id, canonical(kept));
  }
  return out;
}

describe.each([
  ['one hot role', 1],
  ['many roles', 20],
])('five concurrent instances, %s', (_name, roles) => {
  it('leave the same state and send the same alerts, each once, as one instance', async () => {
    // Given 240 assumptions into distinct accounts within a minute (over volumeMaxCalls and
    // volumeMaxTargetAccounts for one role), and an hour later each role's calls going on
    const burst = massAssumptions(template, 240, roles);
    const nextHour = massAssumptions(template, roles, roles, Date.parse(String(burst[0]!.eventTime)) + 3_600_000, 240);
    // When five instances process them in batches of 20, and one instance does on its own table
    const [many, one] = [await freshTable(client), await freshTable(client)];
    const run = async (table: string, instances: number) => {
      const first = await runInstances(client, outcomes, table, burst, config, { instances, batchSize: 20 });
      const later = await runInstances(client, outcomes, table, nextHour, config, { instances, batchSize: 20 });
      return [...first.alerts, ...later.alerts];
    };
    const concurrent = { alerts: await run(many, 5) };
    const alone = { alerts: await run(one, 1) };
    // Then the counters, peaks and first-seen times are the same (TTLs within the calls' span; the
    // target accounts a window keeps past volumeMaxTargetAccounts are a bound, not a count), and so
    // are the alerts, none sent twice
    const [left, right] = [await stateOf(client, many), await stateOf(client, one)];
    expect(capped(left.items)).toEqual(capped(right.items));
    const spanSeconds = (Date.parse(String(nextHour[nextHour.length - 1]!.eventTime)) - Date.parse(String(burst[0]!.eventTime))) / 1000;
    for (const [id, ttl] of left.ttls) expect([id, Math.abs(ttl - right.ttls.get(id)!) <= spanSeconds]).toEqual([id, true]);
    const key = (a: { detector: string; dedupKey: string }): string => `${a.detector} ${a.dedupKey}`;
    expect(concurrent.alerts.map(key).sort()).toEqual(alone.alerts.map(key).sort());
    expect(new Set(concurrent.alerts.map((a) => a.alertId)).size).toBe(concurrent.alerts.length);
    // (the hot role's burst is over the ceilings; twenty roles sharing it are not)
    expect(alone.alerts.some((a) => a.detector === 'call-volume')).toBe(roles === 1);
  });
});
