import { EventBridgeClient, PutEventsCommand, type PutEventsCommandInput, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { publishedRecord, type PublishedAlertRecord } from '../lambdas/delivery/alert-record';
import { EventBridgePublisher, recordDetail } from '../lambdas/delivery/eventbridge-publisher';
import { AlertPublishError } from '../lambdas/delivery/publisher';
import type { Alert } from '../lambdas/engine/alerts';
import { humanAlert, type AlertOverrides } from './support/alerts';

const ACCOUNT = '210987654321';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/outbound-eu`;
const BUS = `arn:aws:events:eu-west-1:${ACCOUNT}:event-bus/soc`;
/** "The total entry size must be less than 256KB." */
const LIMIT = 256 * 1024;

const eventBridge = mockClient(EventBridgeClient);

/** An alert as the engine makes one, about a customer account; `i` varies the alertId and event ID. */
function alert(i = 0, over: AlertOverrides = {}): Alert {
  return humanAlert(i, { ...over, evidence: { targetAccountId: '123456789012', ...over.evidence } });
}

/** Answers every entry with an event ID. */
function acceptAll(): void {
  eventBridge.on(PutEventsCommand).callsFake((input: PutEventsCommandInput) => ({ FailedEntryCount: 0, Entries: (input.Entries ?? []).map((_, i) => ({ EventId: `event-${i}` })) }));
}

function entries(): PutEventsRequestEntry[] {
  return eventBridge.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);
}

function detail(entry: PutEventsRequestEntry): PublishedAlertRecord {
  return JSON.parse(entry.Detail!) as PublishedAlertRecord;
}

/** Entry size as the EventBridge User Guide computes it: Time 14 bytes, then Source, DetailType, Detail and each resource in UTF-8. */
function sizeOf(entry: PutEventsRequestEntry): number {
  const utf8 = (s: string | undefined): number => Buffer.byteLength(s ?? '', 'utf8');
  return (entry.Time ? 14 : 0) + utf8(entry.Source) + utf8(entry.DetailType) + utf8(entry.Detail) + (entry.Resources ?? []).reduce((n, r) => n + utf8(r), 0);
}

function publisher(render?: (alert: Alert, truncated: boolean) => object): EventBridgePublisher {
  return new EventBridgePublisher(new EventBridgeClient({}), { eventBusName: BUS, ...(render ? { render } : {}) });
}

beforeEach(() => eventBridge.reset());

describe('EventBridgePublisher', () => {
  it('puts an alert as an event of our source and detail type, with the alert record as its detail', async () => {
    // Given
    acceptAll();
    const a = alert(1, { evidence: { eventTimes: ['2024-08-01T10:00:00Z', '2024-08-01T10:02:00Z'] } });
    // When
    const result = await publisher().publish([a]);
    // Then
    const [entry] = entries();
    expect(entry).toMatchObject({ Source: 'assumerole-watch', DetailType: 'AssumeRole Watch Alert', Resources: [ROLE], EventBusName: BUS });
    expect(entry!.Time).toEqual(new Date('2024-08-01T10:00:00Z'));
    expect(detail(entry!)).toEqual(JSON.parse(JSON.stringify(publishedRecord(a, false))));
    expect(detail(entry!)).toMatchObject({ schemaVersion: 1, alertId: a.alertId, detector: 'human-principal', truncated: false });
    expect(detail(entry!).consoleLinks[0]!.url).toBe(`https://eu-west-1.console.aws.amazon.com/cloudtrail/home?region=eu-west-1#/events/${a.evidence.eventIds[0]}`);
    expect(result).toEqual({ accepted: [{ alertId: a.alertId, messageId: 'event-0', truncated: false }], failed: [] });
  });

  it('gives the default detail as the same record SNS delivers', () => {
    // Given
    const a = alert(2);
    // When / Then
    expect(recordDetail(a, true)).toEqual(publishedRecord(a, true));
  });

  it('puts the detail the render function gives, telling it whether the alert was shortened', async () => {
    // Given a renderer of its own (as the OCSF rendering is)
    acceptAll();
    const seen: boolean[] = [];
    const render = (a: Alert, truncated: boolean): object => {
      seen.push(truncated);
      return { class_uid: 2004, finding_info: { uid: a.alertId }, truncated };
    };
    // When
    await publisher(render).publish([alert(1)]);
    // Then
    expect(JSON.parse(entries()[0]!.Detail!)).toEqual({ class_uid: 2004, finding_info: { uid: alert(1).alertId }, truncated: false });
    expect(seen).toEqual([false]);
  });

  it('puts 23 alerts in three calls of at most ten', async () => {
    // Given
    acceptAll();
    const alerts = Array.from({ length: 23 }, (_, i) => alert(i));
    // When
    const result = await publisher().publish(alerts);
    // Then
    const calls = eventBridge.commandCalls(PutEventsCommand);
    expect(calls.map((c) => c.args[0].input.Entries!.length).sort((x, y) => x - y)).toEqual([3, 10, 10]);
    expect(result.accepted.map((a) => a.alertId).sort()).toEqual(alerts.map((a) => a.alertId).sort());
  });

  it('shortens an alert with a 300 KB session name under the limit, marks it, and still puts it', async () => {
    // Given
    acceptAll();
    const sessionName = `s${'N'.repeat(300 * 1024)}`;
    const a = alert(3, { evidence: { principalArn: `arn:aws:sts::${ACCOUNT}:assumed-role/outbound-eu/${sessionName}`, principalType: 'AssumedRole', details: { sessionName } } });
    // When
    const result = await publisher().publish([a]);
    // Then
    expect(result.accepted).toEqual([{ alertId: a.alertId, messageId: 'event-0', truncated: true }]);
    const [entry] = entries();
    expect(sizeOf(entry!)).toBeLessThan(LIMIT);
    const record = detail(entry!);
    expect(record.truncated).toBe(true);
    expect(record.alertId).toBe(a.alertId);
    expect(record.principalArn!.startsWith(`arn:aws:sts::${ACCOUNT}:assumed-role/outbound-eu/sNNN`)).toBe(true);
    expect(record.principalArn!.endsWith('…')).toBe(true);
    expect(entry!.Resources).toEqual([ROLE]);
  });

  it('tells the render function the alert it gets was shortened', async () => {
    // Given a renderer, and an alert too large for it whole
    acceptAll();
    const render = (a: Alert, truncated: boolean): object => ({ uid: a.alertId, agent: a.evidence.userAgent, truncated });
    const a = alert(4, { evidence: { userAgent: 'U'.repeat(300 * 1024) } });
    // When
    await publisher(render).publish([a]);
    // Then
    const body = JSON.parse(entries()[0]!.Detail!) as { agent: string; truncated: boolean };
    expect(body.truncated).toBe(true);
    expect(body.agent.length).toBeLessThan(300 * 1024);
  });

  it('splits calls so that the entries of a call total less than 256 KB', async () => {
    // Given ten alerts of about 100 KB each
    acceptAll();
    const alerts = Array.from({ length: 10 }, (_, i) => alert(i, { evidence: { details: { blob: 'b'.repeat(100_000) } } }));
    // When
    const result = await publisher().publish(alerts);
    // Then
    const calls = eventBridge.commandCalls(PutEventsCommand);
    expect(calls.length).toBeGreaterThanOrEqual(5);
    for (const c of calls) expect(c.args[0].input.Entries!.reduce((n, e) => n + sizeOf(e), 0)).toBeLessThan(LIMIT);
    expect(result.accepted).toHaveLength(10);
    expect(result.accepted.every((a) => !a.truncated)).toBe(true);
  });

  it('reports an entry EventBridge refused by alertId, and the others as accepted', async () => {
    // Given EventBridge refuses the second entry as malformed and throttles the fourth
    eventBridge.on(PutEventsCommand).callsFake((input: PutEventsCommandInput) => ({
      FailedEntryCount: 2,
      Entries: (input.Entries ?? []).map((_, i) =>
        i === 1 ? { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' } : i === 3 ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' } : { EventId: `event-${i}` },
      ),
    }));
    const alerts = [alert(0), alert(1), alert(2), alert(3)];
    // When
    const result = await publisher().publish(alerts);
    // Then
    expect(result.accepted.map((a) => a.alertId)).toEqual([alerts[0]!.alertId, alerts[2]!.alertId]);
    expect(result.failed).toEqual([
      { alertId: alerts[1]!.alertId, code: 'MalformedDetail', message: 'Detail is malformed.', senderFault: true },
      { alertId: alerts[3]!.alertId, code: 'ThrottlingException', message: 'Rate exceeded', senderFault: false },
    ]);
  });

  it('reports an entry the response does not account for as failed', async () => {
    // Given a result with neither an event ID nor an error
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'event-0' }, {}] });
    // When
    const result = await publisher().publish([alert(0), alert(1)]);
    // Then
    expect(result.accepted.map((a) => a.alertId)).toEqual([alert(0).alertId]);
    expect(result.failed).toEqual([expect.objectContaining({ alertId: alert(1).alertId, code: 'MissingFromResponse', senderFault: false })]);
  });

  it('trusts no result when the response does not match the request', async () => {
    // Given one result for two entries, and a failure count that the results do not show
    eventBridge.on(PutEventsCommand).resolvesOnce({ FailedEntryCount: 0, Entries: [{ EventId: 'event-0' }] }).resolvesOnce({ FailedEntryCount: 1, Entries: [{ EventId: 'event-0' }, { EventId: 'event-1' }] });
    // When
    const short = await publisher().publish([alert(0), alert(1)]);
    const miscounted = await publisher().publish([alert(2), alert(3)]);
    // Then every entry is reported unconfirmed, to be retried
    for (const result of [short, miscounted]) {
      expect(result.accepted).toEqual([]);
      expect(result.failed.map((f) => f.code)).toEqual(['MissingFromResponse', 'MissingFromResponse']);
    }
  });

  it('throws after the other calls finish when a call fails as a whole, telling what they put', async () => {
    // Given the first call succeeds, the second is rejected
    eventBridge.on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 0, Entries: Array.from({ length: 10 }, (_, i) => ({ EventId: `event-${i}` })) })
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const alerts = Array.from({ length: 12 }, (_, i) => alert(i));
    // When
    const error = await publisher().publish(alerts).catch((e: unknown) => e);
    // Then
    expect(error).toBeInstanceOf(AlertPublishError);
    expect((error as AlertPublishError).message).toMatch(/1 of 2 PutEvents calls failed \(ThrottlingException: Rate exceeded\)/);
    expect((error as AlertPublishError).partial.accepted).toHaveLength(10);
  });

  it('puts a repeated alertId once', async () => {
    // Given
    acceptAll();
    // When
    const result = await publisher().publish([alert(1), alert(1)]);
    // Then
    expect(entries()).toHaveLength(1);
    expect(result.accepted).toHaveLength(1);
  });

  it('carries attacker text exactly in the detail, and never a forged role ARN as the resource', async () => {
    // Given attacker text in every field an attacker can reach
    acceptAll();
    const hostile = 'evil\nBcc: soc@example.com \u001b[31mRED \u202efdp.exe \u2028 <script>x</script> lone \ud800 high';
    const a = alert(7, {
      title: `Human assumed outbound role ${hostile}`,
      cause: `cause ${hostile}`,
      evidence: { roleArn: `${ROLE}${hostile}`, principalArn: `arn:aws:sts::${ACCOUNT}:assumed-role/outbound-eu/${hostile}`, userAgent: hostile, sourceIp: hostile, sessionKey: hostile, details: { sessionName: hostile } },
    });
    // When
    await publisher().publish([a]);
    // Then the detail parses back to exactly what went in
    const [entry] = entries();
    const record = detail(entry!);
    expect(record.title).toBe(a.title);
    expect(record.cause).toBe(a.cause);
    expect(record.roleArn).toBe(a.evidence.roleArn);
    expect(record.principalArn).toBe(a.evidence.principalArn);
    expect(record.userAgent).toBe(hostile);
    expect(record.details).toEqual({ sessionName: hostile });
    // … with no separator, bidi or lone surrogate raw in the text
    expect(entry!.Detail).not.toMatch(/[\u2028\u202e\ud800-\udfff\u001b]/);
    // … and the forged ARN is not offered as the event's resource
    expect(entry).not.toHaveProperty('Resources');
  });

  it('reports an alert its renderer throws on, and puts the others', async () => {
    // Given a renderer that fails on one alert
    acceptAll();
    const render = (a: Alert): object => {
      if (a.alertId === alert(1).alertId) throw new TypeError('no OCSF class for this detector');
      return { uid: a.alertId };
    };
    // When
    const result = await publisher(render).publish([alert(0), alert(1)]);
    // Then
    expect(result.accepted.map((a) => a.alertId)).toEqual([alert(0).alertId]);
    expect(result.failed).toEqual([{ alertId: alert(1).alertId, code: 'RenderFailed', message: 'TypeError: no OCSF class for this detector', senderFault: true }]);
  });

  it('makes no call, and no client, for no alerts', async () => {
    // Given a publisher that builds its client when first needed
    let built = 0;
    const lazy = new EventBridgePublisher(() => {
      built += 1;
      return new EventBridgeClient({});
    }, { eventBusName: 'default' });
    // When
    const result = await lazy.publish([]);
    // Then
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(0);
    expect(built).toBe(0);
    expect(result).toEqual({ accepted: [], failed: [] });
  });
});
