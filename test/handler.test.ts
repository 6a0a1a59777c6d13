import { MemoryPublisher } from '../lambdas/delivery/memory-publisher';
import { dependenciesFromEnvironment } from '../lambdas/detect/environment';
import { handleBatch } from '../lambdas/detect/handler';
import type { Alert } from '../lambdas/engine/alerts';
import { MemoryLedger } from '../lambdas/state/memory-ledger';
import { MemoryStore } from '../lambdas/state/memory-store';
import { testDependencies } from './support/handler';
import { exampleRecords, messageIdOf, sqsEvent, sqsMessage, type RawRecord } from './support/sqs';

const records = exampleRecords();
const labels = require('../examples/labels.json') as { id: string; detector: string; eventIds: string[] }[];

/** The records around one labelled incident: its session's earlier calls and the incident. */
function incident(id: string): RawRecord[] {
  const label = labels.find((l) => l.id === id)!;
  const last = Math.max(...records.filter((r) => label.eventIds.includes(String(r.eventID))).map((r) => Date.parse(String(r.eventTime))));
  return records.filter((r) => Date.parse(String(r.eventTime)) <= last && Date.parse(String(r.eventTime)) > last - 3 * 3_600_000);
}

describe('the detect handler', () => {
  it('fails only a message that is not JSON, processes the others, and counts it', async () => {
    // Given a batch with a poison message in the middle
    const deps = testDependencies();
    const good = sqsEvent(records.slice(0, 4)).Records;
    const poison = sqsMessage('{"Records": [', 'poison-1');
    // When handled
    const { response, summary } = await handleBatch({ Records: [good[0]!, good[1]!, poison, good[2]!, good[3]!] }, deps, 'test');
    // Then only the poison message goes back to SQS (and on to the DLQ), and it is logged and counted
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'poison-1' }]);
    expect(summary.rejectedMessages).toBe(1);
    expect(deps.metrics.totals.MessagesRejected).toBe(1);
    expect(deps.logger.lines.some((l) => l.level === 'warn' && l.message === 'rejected record')).toBe(true);
    expect(summary.result!.stats.received).toBe(4);
  });

  it('processes the valid records of a message that also holds a bad one, and fails the message', async () => {
    // Given one message whose body is a log file with a good record and a record without eventTime
    const deps = testDependencies();
    const body = JSON.stringify({ Records: [records[0], { ...records[1], eventTime: undefined }] });
    // When handled
    const { response, summary } = await handleBatch({ Records: [sqsMessage(body, 'mixed-1')] }, deps, 'test');
    // Then the good record went through and the message will be retried to the DLQ
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'mixed-1' }]);
    expect(summary.result!.stats.received).toBe(1);
  });

  it('sends each alert exactly once when SNS fails and then succeeds, also for a detector that fires only once', async () => {
    // Given three incidents, one of them session-locations (stateful: a retry alone would not find it again)
    const batch = incident('04-session-locations');
    let down = true;
    const publisher = new MemoryPublisher(() => (down ? { code: 'InternalError', message: 'SNS is down' } : null));
    const deps = testDependencies({ publisher });
    // When the first attempt cannot publish
    const first = await handleBatch(sqsEvent(batch), deps, 'attempt-1');
    const failed = new Set(first.response.batchItemFailures.map((f) => f.itemIdentifier));
    // Then the incidents' messages are retried
    const label = labels.find((l) => l.id === '04-session-locations')!;
    expect(failed.has(messageIdOf(records.find((r) => r.eventID === label.eventIds[0])!))).toBe(true);
    expect(first.summary.published).toBe(0);
    // When SQS redelivers them and SNS is back
    down = false;
    const given = publisher.alerts.length;
    const second = await handleBatch(sqsEvent(batch.filter((r) => failed.has(messageIdOf(r))), 2), deps, 'attempt-2');
    // Then each alert is published once, the stateful one recovered from the ledger, and nothing is left to retry
    expect(second.response.batchItemFailures).toEqual([]);
    expect(publisher.alerts.slice(given).map((a: Alert) => a.detector).sort()).toEqual(['session-locations', 'source-ip', 'unexpected-caller']);
    expect(second.summary.recovered).toBeGreaterThanOrEqual(1);
  });

  it('fails the messages of a batch whose state cannot be written, so SQS retries them', async () => {
    // Given a store that fails to commit
    const state = new MemoryStore();
    state.commit = async () => {
      throw new Error('ProvisionedThroughputExceededException');
    };
    const deps = testDependencies({ ports: { state, ledger: new MemoryLedger() } });
    const batch = sqsEvent(incident('01-human-principal').slice(-5));
    // When handled
    const { response } = await handleBatch(batch, deps, 'test');
    // Then every message with a relevant call is retried and the failure is counted
    expect(response.batchItemFailures.length).toBeGreaterThan(0);
    expect(deps.metrics.totals.BatchFailures).toBe(1);
  });

  it('emits the metrics the dashboards and the silence alarm use', async () => {
    const deps = testDependencies();
    await handleBatch(sqsEvent(incident('01-human-principal')), deps, 'test');
    expect(deps.metrics.totals.AssumeRoleEvents).toBeGreaterThan(0);
    expect(deps.metrics.totals.EventsRelevant).toBeGreaterThan(0);
    expect(deps.metrics.totals.AlertsPublished).toBe(1);
  });

  it.each(['TABLE_NAME', 'ALERT_TOPIC_ARN', 'DETECTION_CONFIG'])('fails its cold start naming a missing %s', (name) => {
    const saved = { ...process.env };
    Object.assign(process.env, { TABLE_NAME: 't', ALERT_TOPIC_ARN: 'arn:aws:sns:eu-west-1:210987654321:alerts', DETECTION_CONFIG: JSON.stringify({ monitoredRoleArns: ['arn:aws:iam::210987654321:role/outbound-*'] }) });
    delete process.env[name];
    try {
      expect(() => dependenciesFromEnvironment()).toThrow(`environment variable ${name} is not set`);
    } finally {
      process.env = saved;
    }
  });

  it('fails its cold start naming an invalid configuration key', () => {
    const saved = { ...process.env };
    Object.assign(process.env, { TABLE_NAME: 't', ALERT_TOPIC_ARN: 'arn:aws:sns:eu-west-1:210987654321:alerts', DETECTION_CONFIG: JSON.stringify({ monitoredRoleArns: ['arn:aws:iam::210987654321:role/outbound-*'], volumeMaxCalls: -1 }) });
    try {
      expect(() => dependenciesFromEnvironment()).toThrow('volumeMaxCalls: -1 is out of range');
    } finally {
      process.env = saved;
    }
  });
});
