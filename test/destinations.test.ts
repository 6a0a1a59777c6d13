import { Destinations } from '../lambdas/delivery/destinations';
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
