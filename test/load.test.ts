/**
 * Five Lambda instances (the default reserved concurrency) on one DynamoDB Local table, taking
 * batches from one queue: the state and the alerts come out exactly as one instance leaves them.
 * The throughput under this load is a benchmark figure (`npm run bench`), not a test.
 */
import { loadConfig } from '../lambdas/core/config';
import { freshTable, testClient } from './support/dynamodb';
import { compareConcurrent, massAssumptions, RequestOutcomes } from './support/load';
import { exampleRecords } from './support/sqs';

const client = testClient();
const outcomes = new RequestOutcomes().attach(client);
afterAll(() => client.destroy());

// eslint-disable-next-line @typescript-eslint/no-require-imports
const config = loadConfig({ ...(require('../examples/config.json') as Record<string, unknown>), volumeMaxCalls: 150, volumeMaxTargetAccounts: 100 });
const template = exampleRecords().find((r) => r.eventName === 'AssumeRole' && !r.errorCode && String((r.userIdentity as { arn?: string }).arn).includes(':assumed-role/outbound-'))!;

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
    const result = await compareConcurrent(client, outcomes, [burst, nextHour], config, { instances: 5, batchSize: 20, freshTable: () => freshTable(client) });
    // Then the counters, peaks and first-seen times are the same (TTLs within the calls' span; the
    // target accounts a window keeps past volumeMaxTargetAccounts are a bound, not a count), and so
    // are the alerts, none sent twice
    expect(result.differing).toEqual([]);
    expect(result.ttlsApart).toEqual([]);
    expect(result.alertsApart).toEqual([]);
    expect(result.sentTwice).toEqual([]);
    // (the hot role's burst is over the ceilings; twenty roles sharing it are not)
    expect(result.alone.flatMap((run) => run.alerts).some((a) => a.detector === 'call-volume')).toBe(roles === 1);
  });
});
