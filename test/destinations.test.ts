import { EventBridgeClient, PutEventsCommand, type PutEventsCommandInput } from '@aws-sdk/client-eventbridge';
import { BatchImportFindingsCommand, SecurityHubClient } from '@aws-sdk/client-securityhub';
import { PublishBatchCommand, SNSClient, type PublishBatchCommandInput } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { Destinations } from '../lambdas/delivery/destinations';
import { SnsPublisher } from '../lambdas/delivery/sns-publisher';
import { publisherFromEnvironment } from '../lambdas/detect/environment';
import { MemoryPublisher } from '../lambdas/delivery/memory-publisher';
import { AlertPublishError, type AlertPublisher } from '../lambdas/delivery/publisher';
import { handleBatch } from '../lambdas/detect/handler';
import type { Alert } from '../lambdas/engine/alerts';
import { MemoryLedger } from '../lambdas/state/memory-ledger';
import { MemoryStore } from '../lambdas/state/memory-store';
import { testDependencies } from './support/handler';
import { exampleRecords, messageIdOf, sqsEvent } from './support/sqs';

/** A minimal alert; `i` varies its identity, `severity` its level. */
function alert(i: number, severity: Alert['severity'] = 'high'): Alert {
  return {
    detector: 'source-ip',
    severity,
    title: `alert ${i}`,
    cause: 'test',
    runbook: 'test',
    dedupKey: `source-ip|${i}`,
    alertId: `alert-${i}`,
    occurrences: 1,
    attack: [],
    evidence: { eventIds: [`e${i}`], eventTimes: ['2026-10-07T10:00:00Z'], eventName: 'AssumeRole', principalArn: null, principalType: 'AWSAccount', roleArn: null, targetAccountId: null, sourceIp: '203.0.113.9', sessionKey: null, userAgent: null, awsRegion: 'eu-west-1', details: {} },
  } as Alert;
}

/** A publisher that refuses while `down()` says so. */
function flaky(down: () => boolean, code = 'InternalError'): MemoryPublisher {
  return new MemoryPublisher(() => (down() ? { code, message: 'unavailable' } : null));
}

describe('several destinations as one publisher', () => {
  it('accepts an alert once every destination took it', async () => {
    // Given SNS and Security Hub, both up
    const sns = new MemoryPublisher();
    const hub = new MemoryPublisher();
    const destinations = new Destinations([{ name: 'sns', publisher: sns }, { name: 'securityhub', publisher: hub }]);
    // When two alerts are published
    const result = await destinations.publish([alert(1), alert(2)]);
    // Then both are accepted, each destination got each once
    expect(result.accepted.map((a) => a.alertId)).toEqual(['alert-1', 'alert-2']);
    expect(result.failed).toEqual([]);
    expect(sns.alerts.map((a) => a.alertId)).toEqual(['alert-1', 'alert-2']);
    expect(hub.alerts.map((a) => a.alertId)).toEqual(['alert-1', 'alert-2']);
  });

  it('fails an alert one destination refused, naming it, and reports where it did go', async () => {
    // Given Security Hub refusing
    const destinations = new Destinations([{ name: 'sns', publisher: new MemoryPublisher() }, { name: 'securityhub', publisher: flaky(() => true, 'InvalidInputException') }]);
    // When an alert is published
    const result = await destinations.publish([alert(1)]);
    // Then it failed for Security Hub, and SNS is recorded as reached
    expect(result.accepted).toEqual([]);
    expect(result.failed).toEqual([{ alertId: 'alert-1', code: 'InvalidInputException', message: 'securityhub: InvalidInputException: unavailable', senderFault: false, destinations: ['securityhub'] }]);
    expect(result.reached).toEqual([{ alertId: 'alert-1', destinations: ['sns'] }]);
  });

  it('does not send an alert again to a destination an earlier attempt reached', async () => {
    // Given SNS reached by an earlier attempt
    const sns = new MemoryPublisher();
    const hub = new MemoryPublisher();
    const destinations = new Destinations([{ name: 'sns', publisher: sns }, { name: 'securityhub', publisher: hub }]);
    // When the alert is published again with that knowledge
    const result = await destinations.publish([alert(1)], { reached: new Map([['alert-1', ['sns']]]) });
    // Then only Security Hub gets it, and it is delivered
    expect(sns.alerts).toEqual([]);
    expect(hub.alerts.map((a) => a.alertId)).toEqual(['alert-1']);
    expect(result.accepted.map((a) => a.alertId)).toEqual(['alert-1']);
  });

  it('gives a chat channel only the alerts at or above its threshold, and counts the others delivered', async () => {
    // Given a channel for high alerts beside SNS
    const chat = new MemoryPublisher();
    const destinations = new Destinations([{ name: 'sns', publisher: new MemoryPublisher() }, { name: 'chat-high', publisher: chat, accepts: (a) => a.severity === 'high' || a.severity === 'critical' }]);
    // When a medium and a high alert are published
    const result = await destinations.publish([alert(1, 'medium'), alert(2, 'high')]);
    // Then the channel got the high one, and both are delivered
    expect(chat.alerts.map((a) => a.alertId)).toEqual(['alert-2']);
    expect(result.accepted.map((a) => a.alertId)).toEqual(['alert-1', 'alert-2']);
  });

  it('refuses what a destination whose call failed did not confirm, keeping what it did', async () => {
    // Given an EventBridge publisher whose second call failed after the first went through
    const partial: AlertPublisher = {
      async publish() {
        throw new AlertPublishError('1 of 2 PutEvents calls failed (ThrottlingException)', { accepted: [{ alertId: 'alert-1', messageId: null, truncated: false }], failed: [] });
      },
    };
    const destinations = new Destinations([{ name: 'eventbridge', publisher: partial }]);
    // When two alerts are published
    const result = await destinations.publish([alert(1), alert(2)]);
    // Then the confirmed one is accepted and the other refused with the call's error, never thrown
    expect(result.accepted.map((a) => a.alertId)).toEqual(['alert-1']);
    expect(result.failed).toMatchObject([{ alertId: 'alert-2', code: 'CallFailed', destinations: ['eventbridge'] }]);
    expect(result.failed[0]!.message).toContain('ThrottlingException');
  });

  it('publishes an alert given twice once', async () => {
    const sns = new MemoryPublisher();
    const result = await new Destinations([{ name: 'sns', publisher: sns }]).publish([alert(1), alert(1)]);
    expect(sns.alerts).toHaveLength(1);
    expect(result.accepted).toHaveLength(1);
  });

  it('refuses no destinations, or one name twice', () => {
    expect(() => new Destinations([])).toThrow('at least one destination');
    expect(() => new Destinations([{ name: 'sns', publisher: new MemoryPublisher() }, { name: 'sns', publisher: new MemoryPublisher() }])).toThrow('"sns" is given twice');
  });
});

describe('the detect handler with several destinations', () => {
  const records = exampleRecords();
  const labels = require('../examples/labels.json') as { id: string; eventIds: string[] }[];
  const label = labels.find((l) => l.id === '01-human-principal')!;
  const last = Math.max(...records.filter((r) => label.eventIds.includes(String(r.eventID))).map((r) => Date.parse(String(r.eventTime))));
  const batch = records.filter((r) => Date.parse(String(r.eventTime)) <= last && Date.parse(String(r.eventTime)) > last - 3 * 3_600_000);

  it('retries an alert Security Hub refused without sending it to SNS again', async () => {
    // Given SNS up and Security Hub down
    let hubDown = true;
    const sns = new MemoryPublisher();
    const hub = flaky(() => hubDown);
    const deps = testDependencies({ ports: { state: new MemoryStore(), ledger: new MemoryLedger() }, publisher: new Destinations([{ name: 'sns', publisher: sns }, { name: 'securityhub', publisher: hub }]) });
    // When the first attempt runs
    const first = await handleBatch(sqsEvent(batch), deps, 'attempt-1');
    // Then SNS has the alert, and its messages go back to SQS for Security Hub
    expect(sns.alerts.map((a) => a.detector)).toEqual(['human-principal']);
    const failed = new Set(first.response.batchItemFailures.map((f) => f.itemIdentifier));
    expect(failed.size).toBeGreaterThan(0);
    expect(first.summary.publishFailed).toBe(1);
    // And the refusal is counted against Security Hub, not SNS
    expect(deps.metrics.totals['DestinationRefusals|destination=securityhub']).toBe(1);
    expect(deps.metrics.totals['DestinationRefusals|destination=sns']).toBeUndefined();
    // When SQS redelivers them with Security Hub back
    hubDown = false;
    const second = await handleBatch(sqsEvent(batch.filter((r) => failed.has(messageIdOf(r))), 2), deps, 'attempt-2');
    // Then Security Hub gets the alert, SNS nothing more, and nothing is left to retry
    expect(second.response.batchItemFailures).toEqual([]);
    expect(hub.alerts.slice(-1).map((a) => a.detector)).toEqual(['human-principal']);
    expect(sns.alerts).toHaveLength(1);
    expect(second.summary.published).toBe(1);
    // And a third delivery of the same events sends nothing anywhere
    const sent = hub.alerts.length;
    const third = await handleBatch(sqsEvent(batch, 3), deps, 'attempt-3');
    expect(third.summary.published).toBe(0);
    expect(sns.alerts).toHaveLength(1);
    expect(hub.alerts).toHaveLength(sent);
  });
});

describe('the destinations the function reads from its environment', () => {
  const ENV = {
    TABLE_NAME: 't',
    ALERT_TOPIC_ARN: 'arn:aws:sns:eu-west-1:210987654321:alerts',
    DETECTION_CONFIG: JSON.stringify({ monitoredRoleArns: ['arn:aws:iam::210987654321:role/outbound-*'] }),
    EVENT_ACCOUNT: '210987654321',
    EVENT_REGIONS: 'eu-west-1',
    ALERT_EVENT_BUS: 'arn:aws:events:eu-west-1:210987654321:event-bus/soc-alerts',
    ALERT_EVENT_DETAIL: 'ocsf',
    SECURITY_HUB_PRODUCT_ARN: 'arn:aws:securityhub:eu-west-1:210987654321:product/210987654321/default',
    CHAT_TOPICS: JSON.stringify([{ topicArn: 'arn:aws:sns:eu-west-1:210987654321:chat-high', minSeverity: 'high' }]),
  };
  const sns = mockClient(SNSClient);
  const events = mockClient(EventBridgeClient);
  const hub = mockClient(SecurityHubClient);
  let saved: NodeJS.ProcessEnv;

  beforeEach(() => {
    saved = { ...process.env };
    sns.reset();
    events.reset();
    hub.reset();
    sns.on(PublishBatchCommand).callsFake((input: PublishBatchCommandInput) => ({ Successful: (input.PublishBatchRequestEntries ?? []).map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}` })), Failed: [] }));
    events.on(PutEventsCommand).callsFake((input: PutEventsCommandInput) => ({ FailedEntryCount: 0, Entries: (input.Entries ?? []).map((_, i) => ({ EventId: `ev-${i}` })) }));
    hub.on(BatchImportFindingsCommand).resolves({ SuccessCount: 1, FailedCount: 0, FailedFindings: [] });
  });
  afterEach(() => {
    process.env = saved;
  });

  it('sends one alert to SNS, the bus (as OCSF), Security Hub and the chat topic of its threshold, with the alertId in each', async () => {
    // Given every destination configured
    Object.assign(process.env, ENV);
    const publisher = publisherFromEnvironment();
    expect((publisher as Destinations).names).toEqual(['sns', 'eventbridge', 'securityhub', 'chat-high']);
    // When a high alert is published
    const result = await publisher.publish([alert(7, 'high')]);
    // Then every destination took it
    expect(result.accepted.map((a) => a.alertId)).toEqual(['alert-7']);
    const topics = sns.commandCalls(PublishBatchCommand).map((c) => c.args[0].input.TopicArn).sort();
    expect(topics).toEqual(['arn:aws:sns:eu-west-1:210987654321:alerts', 'arn:aws:sns:eu-west-1:210987654321:chat-high']);
    const chat = sns.commandCalls(PublishBatchCommand).find((c) => c.args[0].input.TopicArn!.endsWith('chat-high'))!.args[0].input.PublishBatchRequestEntries![0]!;
    expect(chat.MessageStructure).toBeUndefined();
    expect(JSON.parse(chat.Message!)).toMatchObject({ version: '1.0', source: 'custom', id: 'alert-7' });
    const entry = events.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!;
    expect(entry).toMatchObject({ Source: 'assumerole-watch', DetailType: 'AssumeRole Watch Alert', EventBusName: ENV.ALERT_EVENT_BUS });
    expect(JSON.parse(entry.Detail!)).toMatchObject({ class_uid: 2004, finding_info: { uid: 'alert-7' } });
    const finding = hub.commandCalls(BatchImportFindingsCommand)[0]!.args[0].input.Findings![0]!;
    expect(finding).toMatchObject({ Id: 'alert-7', ProductArn: ENV.SECURITY_HUB_PRODUCT_ARN, AwsAccountId: '210987654321' });
  });

  it('keeps a medium alert out of a chat channel for high alerts', async () => {
    Object.assign(process.env, ENV);
    const result = await publisherFromEnvironment().publish([alert(8, 'medium')]);
    expect(result.accepted.map((a) => a.alertId)).toEqual(['alert-8']);
    expect(sns.commandCalls(PublishBatchCommand).map((c) => c.args[0].input.TopicArn)).toEqual(['arn:aws:sns:eu-west-1:210987654321:alerts']);
  });

  it('is SNS alone when no other destination is configured', () => {
    Object.assign(process.env, { ...ENV, ALERT_EVENT_BUS: '', SECURITY_HUB_PRODUCT_ARN: '', CHAT_TOPICS: '' });
    expect(publisherFromEnvironment()).toBeInstanceOf(SnsPublisher);
  });

  it.each([
    ['ALERT_EVENT_DETAIL', 'asff', 'environment variable ALERT_EVENT_DETAIL: "asff" is neither record nor ocsf'],
    ['SECURITY_HUB_PRODUCT_ARN', 'arn:aws:securityhub:eu-west-1:210987654321:product/111122223333/default', 'environment variable SECURITY_HUB_PRODUCT_ARN: "arn:aws:securityhub:eu-west-1:210987654321:product/111122223333/default" is not the account\'s own product ARN'],
    ['CHAT_TOPICS', '[{"topicArn": "x"}]', 'environment variable CHAT_TOPICS: expected [{"topicArn": "arn:…", "minSeverity": "low|medium|high|critical"}]'],
    ['CHAT_TOPICS', '[', 'environment variable CHAT_TOPICS is not JSON'],
  ])('fails its cold start naming an invalid %s', (name, value, message) => {
    Object.assign(process.env, { ...ENV, [name]: value });
    expect(() => publisherFromEnvironment()).toThrow(message);
  });
});
