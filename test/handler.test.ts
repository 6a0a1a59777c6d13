import { MemoryPublisher } from '../lambdas/delivery/memory-publisher';
import { dependenciesFromEnvironment } from '../lambdas/detect/environment';
import { handleBatch } from '../lambdas/detect/handler';
import type { Alert } from '../lambdas/engine/alerts';
import { MemoryLedger } from '../lambdas/state/memory-ledger';
import { MemoryStore } from '../lambdas/state/memory-store';
import { TEST_NOW, testDependencies } from './support/handler';
import { eventBridgeEnvelope, exampleRecords, messageIdOf, sqsEvent, sqsMessage, type RawRecord } from './support/sqs';

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

  it('fails a message whose record has no eventTime, and processes the others', async () => {
    // Given an EventBridge event whose record lacks eventTime, between two valid ones
    const deps = testDependencies();
    const good = sqsEvent(records.slice(0, 2)).Records;
    const bad = sqsMessage(JSON.stringify(eventBridgeEnvelope({ ...records[2], eventTime: undefined })), 'no-time-1');
    // When handled
    const { response, summary } = await handleBatch({ Records: [good[0]!, bad, good[1]!] }, deps, 'test');
    // Then the bad one will be retried to the DLQ, and the others went through
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'no-time-1' }]);
    expect(summary.result!.stats.received).toBe(2);
  });

  it('fails a message dated 1970 and one dated a year after its clock, with the reasons, and processes the valid ones', async () => {
    // Given four valid messages of outbound roles, and two copies of an AssumeRole of an outbound role: one dated
    // 1970 (it would end the role's learning period at once), one a year after the clock
    const state = new MemoryStore();
    const deps = testDependencies({ ports: { state, ledger: new MemoryLedger() } });
    const outbound = records.filter((r) => JSON.stringify(r).includes('role/outbound-')).slice(0, 4);
    const good = sqsEvent(outbound).Records;
    const assume = outbound.find((r) => r.eventName === 'AssumeRole')!;
    const epoch = sqsMessage(JSON.stringify(eventBridgeEnvelope({ ...assume, eventID: 'epoch-copy', eventTime: '1970-01-01T00:00:00Z' })), 'epoch-1');
    const ahead = sqsMessage(JSON.stringify(eventBridgeEnvelope({ ...assume, eventID: 'ahead-copy', eventTime: '2027-10-08T00:00:00Z' })), 'ahead-1');
    expect(Date.parse('2027-10-08T00:00:00Z') - TEST_NOW).toBe(365 * 86_400_000);
    // When handled at the test clock
    const { response, summary } = await handleBatch({ Records: [good[0]!, epoch, good[1]!, good[2]!, ahead, good[3]!] }, deps, 'test');
    // Then only those two go back to SQS (and on to the DLQ), logged with their reasons and counted
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'epoch-1' }, { itemIdentifier: 'ahead-1' }]);
    expect(deps.metrics.totals.MessagesRejected).toBe(2);
    const reasons = deps.logger.lines.filter((l) => l.message === 'rejected record').map((l) => (l.extra[0] as { reason: string }).reason);
    expect(reasons).toEqual(['eventTime: 1970-01-01T00:00:00Z is before CloudTrail existed (2013-11)', 'eventTime: 2027-10-08T00:00:00Z is in the future (after 2026-10-09T00:00:00Z)']);
    // And the valid ones went through, and no first-seen time (or anything else) was set from the bad ones
    expect(summary.result!.stats).toMatchObject({ received: 4, relevant: 4 });
    const times = [...state.dump().values()].flatMap((item) => (typeof item.firstSeenAt === 'number' ? [item.firstSeenAt] : []));
    const goodTimes = outbound.map((r) => Date.parse(String(r.eventTime)));
    expect(times.length).toBeGreaterThan(0);
    for (const t of times) expect(t >= Math.min(...goodTimes) && t <= Math.max(...goodTimes)).toBe(true);
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

  /** The variables the construct sets, valid. */
  const ENV = {
    TABLE_NAME: 't',
    ALERT_TOPIC_ARN: 'arn:aws:sns:eu-west-1:210987654321:alerts',
    DETECTION_CONFIG: JSON.stringify({ monitoredRoleArns: ['arn:aws:iam::210987654321:role/outbound-*'] }),
    EVENT_ACCOUNT: '210987654321',
    EVENT_REGIONS: 'eu-west-1,us-east-1',
  };

  it.each(Object.keys(ENV))('fails its cold start naming a missing %s', (name) => {
    const saved = { ...process.env };
    Object.assign(process.env, ENV);
    delete process.env[name];
    try {
      expect(() => dependenciesFromEnvironment()).toThrow(`environment variable ${name} is not set`);
    } finally {
      process.env = saved;
    }
  });

  it('fails its cold start naming an invalid configuration key', () => {
    const saved = { ...process.env };
    Object.assign(process.env, { ...ENV, DETECTION_CONFIG: JSON.stringify({ monitoredRoleArns: ['arn:aws:iam::210987654321:role/outbound-*'], volumeMaxCalls: -1 }) });
    try {
      expect(() => dependenciesFromEnvironment()).toThrow('volumeMaxCalls: -1 is out of range');
    } finally {
      process.env = saved;
    }
  });

  it.each([
    ['EVENT_ACCOUNT', '21098765432', 'environment variable EVENT_ACCOUNT: "21098765432" is not an account ID'],
    ['EVENT_REGIONS', 'eu-west-1,,us-east-1', 'environment variable EVENT_REGIONS: "eu-west-1,,us-east-1" is not a comma-separated list of regions'],
  ])('fails its cold start naming an invalid %s', (name, value, message) => {
    const saved = { ...process.env };
    Object.assign(process.env, { ...ENV, [name]: value });
    try {
      expect(() => dependenciesFromEnvironment()).toThrow(message);
    } finally {
      process.env = saved;
    }
  });

  it('reads the account and regions whose events it accepts from its environment', () => {
    const saved = { ...process.env };
    Object.assign(process.env, ENV);
    try {
      expect(dependenciesFromEnvironment().eventOrigin).toEqual({ account: '210987654321', regions: ['eu-west-1', 'us-east-1'] });
    } finally {
      process.env = saved;
    }
  });
});

describe('the detect handler on what reaches its queue', () => {
  /** A real outbound call of the examples, as EventBridge delivers it, with some envelope fields replaced. */
  const outbound = records.find((r) => r.eventName === 'AssumeRole' && JSON.stringify(r).includes('role/outbound-') && r.awsRegion === 'eu-west-1')!;
  const event = (over: Record<string, unknown>, record: RawRecord = outbound): string => JSON.stringify({ ...eventBridgeEnvelope(record), ...over });

  it('alerts nothing on an incident put on the bus with PutEvents under a custom source and another account, and fails, logs and counts each event', async () => {
    // Given the events of a labelled incident (the metrics test sees it alert once), forged: a custom source, account 999999999999
    const deps = testDependencies();
    const forged = incident('01-human-principal').map((r, i) => sqsMessage(event({ source: 'custom.forged', account: '999999999999' }, r), `forged-${i}`));
    // When handled
    const { response, summary } = await handleBatch({ Records: forged }, deps, 'test');
    // Then nothing was processed or published, and every message goes back to SQS (and on to the DLQ), logged and counted
    expect(summary.published).toBe(0);
    expect(summary.result).toBeNull();
    expect(response.batchItemFailures).toHaveLength(forged.length);
    expect(deps.metrics.totals.MessagesRejected).toBe(forged.length);
    const reasons = deps.logger.lines.filter((l) => l.message === 'rejected record').map((l) => (l.extra[0] as { reason: string }).reason);
    expect(new Set(reasons)).toEqual(new Set(['source: "custom.forged" is not an AWS service\'s (only AWS can put events whose source begins with "aws.")']));
  });

  it.each([
    ['a custom source', () => event({ source: 'custom.forged' }), 'source: "custom.forged" is not an AWS service\'s'],
    ['no source', () => event({ source: undefined }), 'source: missing is not an AWS service\'s'],
    ['another detail-type', () => event({ 'detail-type': 'AWS Console Sign In via CloudTrail' }), 'detail-type: "AWS Console Sign In via CloudTrail" is not "AWS API Call via CloudTrail"'],
    ['another account', () => event({ account: '999999999999' }), 'account: "999999999999" is not this deployment\'s account 210987654321'],
    ['a region outside the deployment', () => event({ region: 'ap-south-1' }), 'region: "ap-south-1" is not one of this deployment\'s regions (eu-west-1, us-east-1)'],
    ['a bare CloudTrail record', () => JSON.stringify(outbound), 'expected an EventBridge event of a CloudTrail API call, got an object without detail'],
    ['a CloudTrail log file', () => JSON.stringify({ Records: [outbound] }), 'expected an EventBridge event of a CloudTrail API call, got a CloudTrail log file'],
    ['an array of events', () => JSON.stringify([eventBridgeEnvelope(outbound)]), 'expected an EventBridge event of a CloudTrail API call, got an array'],
  ])('rejects a message holding %s, naming the reason, and processes the rest of the batch', async (_what, body, reason) => {
    // Given a valid event, then the odd message
    const deps = testDependencies();
    const good = sqsEvent(records.slice(0, 1)).Records[0]!;
    // When handled
    const { response, summary } = await handleBatch({ Records: [good, sqsMessage(body(), 'odd-1')] }, deps, 'test');
    // Then only the odd message is failed, with its reason logged, and counted
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'odd-1' }]);
    expect(deps.metrics.totals.MessagesRejected).toBe(1);
    const logged = deps.logger.lines.filter((l) => l.message === 'rejected record').map((l) => (l.extra[0] as { reason: string }).reason);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain(reason);
    expect(summary.result!.stats.received).toBe(1);
  });

  it('accepts events of its account from each of the deployment\'s regions, forwarded ones included', async () => {
    // Given an outbound call recorded in the home region and one recorded in us-east-1 (forwarded: it keeps its region)
    const deps = testDependencies();
    const forwarded = records.find((r) => r.awsRegion === 'us-east-1' && JSON.stringify(r).includes('role/outbound-'))!;
    // When handled
    const { response, summary } = await handleBatch(sqsEvent([outbound, forwarded]), deps, 'test');
    // Then both are processed and nothing is rejected
    expect(response.batchItemFailures).toEqual([]);
    expect(deps.metrics.totals.MessagesRejected).toBe(0);
    expect(summary.result!.stats.received).toBe(2);
  });
});

describe('the detect handler on messages that share an ID', () => {
  const [first, second] = records.filter((r) => JSON.stringify(r).includes('role/outbound-')).slice(0, 2) as [RawRecord, RawRecord];

  it('processes the calls of both messages of a batch with the same message ID', async () => {
    // Given two messages of one batch with one message ID and different events
    const deps = testDependencies();
    const batch = { Records: [sqsMessage(JSON.stringify(eventBridgeEnvelope(first)), 'shared-1'), sqsMessage(JSON.stringify(eventBridgeEnvelope(second)), 'shared-1')] };
    // When handled
    const { response, summary } = await handleBatch(batch, deps, 'test');
    // Then both calls were processed and nothing is retried
    expect(summary.result!.stats.received).toBe(2);
    expect(response.batchItemFailures).toEqual([]);
  });

  it('fails the shared ID when either message is malformed, and still processes the other\'s call', async () => {
    // Given a valid event and a truncated body under one message ID, in both orders
    for (const order of [[0, 1], [1, 0]]) {
      const deps = testDependencies();
      const messages = [sqsMessage(JSON.stringify(eventBridgeEnvelope(first)), 'shared-2'), sqsMessage('{"detail": "trunc', 'shared-2')];
      // When handled
      const { response, summary } = await handleBatch({ Records: order.map((i) => messages[i]!) }, deps, 'test');
      // Then the ID is retried once, and the valid call went through
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'shared-2' }]);
      expect(summary.result!.stats.received).toBe(1);
    }
  });
});
