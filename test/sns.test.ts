import { PublishBatchCommand, SNSClient, type PublishBatchCommandInput, type PublishBatchRequestEntry } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { consoleEventUrl } from '../lambdas/delivery/format';
import { MemoryPublisher } from '../lambdas/delivery/memory-publisher';
import { AlertPublishError } from '../lambdas/delivery/publisher';
import { SnsPublisher, type SnsAlertRecord } from '../lambdas/delivery/sns-publisher';
import { humanAlert } from './support/alerts';

const TOPIC = 'arn:aws:sns:eu-west-1:210987654321:assumerole-watch-alerts';
const ROLE = 'arn:aws:iam::210987654321:role/outbound-eu';
const LIMIT = 262_144;
/** SNS Subject: printable ASCII, starts with a letter, digit or punctuation, under 100 characters. */
const VALID_SUBJECT = /^[\x21-\x7e][\x20-\x7e]{0,98}$/;
/** What must never reach an e-mail raw: controls (other than our own line breaks), bidi and invisible marks, separators, surrogates. */
const UNSAFE_IN_EMAIL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\u2028\u2029\ud800-\udfff]/;

const sns = mockClient(SNSClient);

/** An alert as the engine makes one; `i` varies the alertId and event ID. */
const alert = humanAlert;

/** Answers every entry as published. */
function acceptAll(): void {
  sns.on(PublishBatchCommand).callsFake((input: PublishBatchCommandInput) => ({
    Successful: (input.PublishBatchRequestEntries ?? []).map((e) => ({ Id: e.Id, MessageId: `msg-${e.Id}` })),
    Failed: [],
  }));
}

function entries(): PublishBatchRequestEntry[] {
  return sns.commandCalls(PublishBatchCommand).flatMap((c) => c.args[0].input.PublishBatchRequestEntries ?? []);
}

function body(entry: PublishBatchRequestEntry): { default: SnsAlertRecord; email: string } {
  const message = JSON.parse(entry.Message!) as { default: string; email: string };
  return { default: JSON.parse(message.default) as SnsAlertRecord, email: message.email };
}

/** Size as SNS counts it: message, subject, and each attribute's name, type and value. */
function bytesOf(entry: PublishBatchRequestEntry): number {
  let n = Buffer.byteLength(entry.Message!, 'utf8') + Buffer.byteLength(entry.Subject ?? '', 'utf8');
  for (const [name, v] of Object.entries(entry.MessageAttributes ?? {})) n += Buffer.byteLength(name) + Buffer.byteLength(v.DataType!) + Buffer.byteLength(v.StringValue ?? '');
  return n;
}

beforeEach(() => sns.reset());

describe('SnsPublisher', () => {
  it('publishes 23 alerts in three PublishBatch calls of at most ten', async () => {
    // Given
    acceptAll();
    const alerts = Array.from({ length: 23 }, (_, i) => alert(i));
    // When
    const result = await new SnsPublisher(new SNSClient({}), TOPIC).publish(alerts);
    // Then
    const calls = sns.commandCalls(PublishBatchCommand);
    expect(calls).toHaveLength(3);
    expect(calls.map((c) => c.args[0].input.PublishBatchRequestEntries!.length).sort()).toEqual([10, 10, 3]);
    for (const c of calls) expect(c.args[0].input.TopicArn).toBe(TOPIC);
    expect(result.accepted.map((a) => a.alertId).sort()).toEqual(alerts.map((a) => a.alertId).sort());
    expect(result.failed).toEqual([]);
    for (const e of entries()) expect(e.Id).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
  });

  it('renders an entry as JSON with a default alert record and an e-mail text', async () => {
    // Given
    acceptAll();
    const a = alert(1);
    // When
    await new SnsPublisher(new SNSClient({}), TOPIC).publish([a]);
    // Then
    const [entry] = entries();
    expect(entry!.MessageStructure).toBe('json');
    expect(entry!.Id).toBe(a.alertId);
    expect(Object.keys(JSON.parse(entry!.Message!) as object).sort()).toEqual(['default', 'email']);
    const { default: record, email } = body(entry!);
    expect(record).toMatchObject({
      schemaVersion: 1,
      alertId: a.alertId,
      detector: 'human-principal',
      severity: 'high',
      cause: a.cause,
      runbook: a.runbook,
      eventIds: a.evidence.eventIds,
      principalArn: a.evidence.principalArn,
      roleArn: ROLE,
      userAgent: a.evidence.userAgent,
      details: { reasons: ['IAM user'], failed: false },
      occurrences: 1,
      truncated: false,
    });
    const eventId = a.evidence.eventIds[0]!;
    expect(record.consoleLinks).toEqual([{ eventId, url: `https://eu-west-1.console.aws.amazon.com/cloudtrail/home?region=eu-west-1#/events/${eventId}` }]);
    expect(email).toContain('Severity:    HIGH');
    expect(email).toContain(a.cause);
    expect(email).toContain(`https://eu-west-1.console.aws.amazon.com/cloudtrail/home?region=eu-west-1#/events/${eventId}`);
    expect(email).toContain(a.runbook);
    expect(email.trimEnd().split('\n').pop()).toBe(`alertId: ${a.alertId}`);
  });

  it('sets the subject and the filter-policy attributes', async () => {
    // Given
    acceptAll();
    // When
    await new SnsPublisher(new SNSClient({}), TOPIC).publish([alert(1), alert(2, { evidence: { roleArn: null } })]);
    // Then
    const [withRole, withoutRole] = entries();
    expect(withRole!.Subject).toBe('[HIGH] human-principal: Human assumed outbound role outbound-eu');
    expect(withRole!.MessageAttributes).toEqual({
      severity: { DataType: 'String', StringValue: 'high' },
      detector: { DataType: 'String', StringValue: 'human-principal' },
      roleArn: { DataType: 'String', StringValue: ROLE },
      alertId: { DataType: 'String', StringValue: alert(1).alertId },
    });
    expect(withoutRole!.MessageAttributes).not.toHaveProperty('roleArn');
  });

  it('keeps the subject to one line of printable ASCII under 100 characters', async () => {
    // Given
    acceptAll();
    const title = `Rôle assumé\r\nBcc: x@example.com \u202e\u001b[31m ${'very long title '.repeat(10)}`;
    // When
    await new SnsPublisher(new SNSClient({}), TOPIC).publish([alert(1, { title })]);
    // Then
    const subject = entries()[0]!.Subject!;
    expect(subject).toMatch(VALID_SUBJECT);
    expect(subject.startsWith('[HIGH] human-principal: Role assume Bcc: x@example.com ??[31m very long')).toBe(true);
    expect(subject.endsWith('...')).toBe(true);
    expect(subject.length).toBeLessThanOrEqual(99);
  });

  it('carries hostile strings exactly in the JSON and escaped in the e-mail', async () => {
    // Given: attacker-chosen text in every field an attacker can influence
    const hostile = [
      'evil\nBcc: soc@example.com\r\nX-Injected: yes',
      '\u001b[31mRED\u001b[0m\u0007',
      '<script>alert(1)</script><img src=x onerror=alert(2)>',
      '**bold** [click](https://evil.example) `rm -rf` # Heading | table |',
      'invoice\u202efdp.exe \u200f\u2066mark\u2069',
      'lone \ud800 high and \udfff low',
      'line\u2028separator\u2029paragraph\u0085next',
    ].join(' ~ ');
    const big = `${hostile}${'A'.repeat(65_536)}`;
    const a = alert(7, {
      title: `Human assumed outbound role ${hostile}`,
      cause: `cause\n${hostile}`,
      dedupKey: `human-principal|${hostile}`,
      evidence: {
        eventIds: [`id-${hostile}`],
        principalArn: `arn:aws:sts::210987654321:assumed-role/outbound-eu/${hostile}`,
        principalType: `AssumedRole${hostile}`,
        userAgent: big,
        sourceIp: hostile,
        sessionKey: hostile,
        roleArn: `${ROLE}${hostile}`,
        details: { sessionName: hostile, reasons: [hostile, 'second'], count: 3 },
      },
    });
    acceptAll();
    // When
    const result = await new SnsPublisher(new SNSClient({}), TOPIC).publish([a]);
    // Then the JSON gives back exactly what went in
    expect(result.accepted).toEqual([{ alertId: a.alertId, messageId: `msg-${a.alertId}`, truncated: false }]);
    const entry = entries()[0]!;
    const { default: record, email } = body(entry);
    expect(record.truncated).toBe(false);
    expect(record.title).toBe(a.title);
    expect(record.cause).toBe(a.cause);
    expect(record.dedupKey).toBe(a.dedupKey);
    expect(record.eventIds).toEqual(a.evidence.eventIds);
    expect(record.principalArn).toBe(a.evidence.principalArn);
    expect(record.principalType).toBe(a.evidence.principalType);
    expect(record.userAgent).toBe(big);
    expect(record.sourceIp).toBe(hostile);
    expect(record.sessionKey).toBe(hostile);
    expect(record.roleArn).toBe(a.evidence.roleArn);
    expect(record.details).toEqual(a.evidence.details);
    // … the message itself is well-formed (lone surrogates travel as JSON escapes)
    expect(entry.Message).not.toMatch(/[\ud800-\udfff]/);
    // … the e-mail shows it without anything a terminal, mail client or bidi renderer would act on
    expect(email).not.toMatch(UNSAFE_IN_EMAIL);
    for (const line of email.split('\n')) expect(line).not.toMatch(/^(Bcc|X-Injected|RED|separator|paragraph|next):?/);
    expect(email).toContain('\\u001b[31mRED');
    expect(email).toContain('\\u202e');
    expect(email).toContain('<script>'); // plain text: shown, not interpreted
    // … the console link encodes the event ID
    expect(record.consoleLinks[0]!.url).toMatch(/^https:\/\/eu-west-1\.console\.aws\.amazon\.com\/cloudtrail\/home\?region=eu-west-1#\/events\/[A-Za-z0-9%._~!*'()-]+$/);
    // … the subject and attributes stay valid
    expect(entry.Subject).toMatch(VALID_SUBJECT);
    expect(entry.MessageAttributes!.roleArn!.StringValue).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ud800-\udfff]/u);
    expect(bytesOf(entry)).toBeLessThanOrEqual(LIMIT);
  });

  it('truncates a 300 KiB alert under the limit and marks it', async () => {
    // Given
    acceptAll();
    const a = alert(3, {
      evidence: {
        eventIds: Array.from({ length: 500 }, (_, i) => `event-${i}-${'x'.repeat(40)}`),
        eventTimes: Array.from({ length: 500 }, () => '2024-08-01T10:00:00Z'),
        userAgent: `\u001b${'U'.repeat(100_000)}`,
        details: { blob: 'B'.repeat(160_000), list: Array.from({ length: 1_000 }, (_, i) => `item-${i}`) },
      },
    });
    expect(Buffer.byteLength(JSON.stringify(a))).toBeGreaterThan(300 * 1024);
    // When
    const result = await new SnsPublisher(new SNSClient({}), TOPIC).publish([a]);
    // Then
    expect(result.accepted).toEqual([{ alertId: a.alertId, messageId: `msg-${a.alertId}`, truncated: true }]);
    const entry = entries()[0]!;
    expect(bytesOf(entry)).toBeLessThanOrEqual(LIMIT);
    const { default: record, email } = body(entry);
    expect(record.truncated).toBe(true);
    expect(record.alertId).toBe(a.alertId);
    expect(record.eventIds.length).toBeLessThan(500);
    expect(record.eventIds[0]).toBe(a.evidence.eventIds[0]);
    expect(record.consoleLinks).toHaveLength(record.eventIds.length);
    expect((record.details.blob as string).length).toBeLessThan(160_000);
    expect(email).toMatch(/truncated to fit the SNS message size limit/);
  });

  it('splits calls so that no call carries more than 256 KiB', async () => {
    // Given: ten alerts of about 100 KiB each
    acceptAll();
    const alerts = Array.from({ length: 10 }, (_, i) => alert(i, { evidence: { details: { blob: 'b'.repeat(100_000) } } }));
    // When
    const result = await new SnsPublisher(new SNSClient({}), TOPIC).publish(alerts);
    // Then
    const calls = sns.commandCalls(PublishBatchCommand);
    expect(calls.length).toBeGreaterThanOrEqual(5);
    for (const c of calls) {
      const total = c.args[0].input.PublishBatchRequestEntries!.reduce((n, e) => n + bytesOf(e), 0);
      expect(total).toBeLessThanOrEqual(LIMIT);
    }
    expect(result.accepted).toHaveLength(10);
    expect(result.accepted.every((a) => !a.truncated)).toBe(true);
  });

  it('reports entries SNS refused by alertId and the rest as accepted', async () => {
    // Given: SNS refuses the second and fourth entries
    sns.on(PublishBatchCommand).callsFake((input: PublishBatchCommandInput) => {
      const all = input.PublishBatchRequestEntries ?? [];
      return {
        Successful: all.filter((_, i) => i % 2 === 0).map((e) => ({ Id: e.Id, MessageId: `msg-${e.Id}` })),
        Failed: all.filter((_, i) => i % 2 === 1).map((e) => ({ Id: e.Id, Code: 'InternalError', Message: 'try again', SenderFault: false })),
      };
    });
    const alerts = [alert(0), alert(1), alert(2), alert(3)];
    // When
    const result = await new SnsPublisher(new SNSClient({}), TOPIC).publish(alerts);
    // Then
    expect(result.accepted.map((a) => a.alertId)).toEqual([alerts[0]!.alertId, alerts[2]!.alertId]);
    expect(result.failed).toEqual([
      { alertId: alerts[1]!.alertId, code: 'InternalError', message: 'try again', senderFault: false },
      { alertId: alerts[3]!.alertId, code: 'InternalError', message: 'try again', senderFault: false },
    ]);
  });

  it('reports an entry the response does not mention as failed', async () => {
    // Given
    sns.on(PublishBatchCommand).resolves({ Successful: [], Failed: [] });
    // When
    const result = await new SnsPublisher(new SNSClient({}), TOPIC).publish([alert(1)]);
    // Then
    expect(result.accepted).toEqual([]);
    expect(result.failed).toEqual([expect.objectContaining({ alertId: alert(1).alertId, code: 'MissingFromResponse' })]);
  });

  it('throws when a PublishBatch call fails as a whole', async () => {
    // Given
    sns.on(PublishBatchCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottledException' }));
    // When
    const publishing = new SnsPublisher(new SNSClient({}), TOPIC).publish([alert(1), alert(2)]);
    // Then
    await expect(publishing).rejects.toBeInstanceOf(AlertPublishError);
    await expect(publishing).rejects.toThrow(/ThrottledException: Rate exceeded/);
  });

  it('throws after the other calls finish, telling what they published', async () => {
    // Given: the first call succeeds, the second fails
    sns.on(PublishBatchCommand)
      .resolvesOnce({ Successful: Array.from({ length: 10 }, (_, i) => ({ Id: alert(i).alertId, MessageId: `m${i}` })) })
      .rejectsOnce(new Error('socket hang up'));
    const alerts = Array.from({ length: 12 }, (_, i) => alert(i));
    // When
    const error = await new SnsPublisher(new SNSClient({}), TOPIC).publish(alerts).catch((e: unknown) => e);
    // Then
    expect(error).toBeInstanceOf(AlertPublishError);
    expect((error as AlertPublishError).partial.accepted).toHaveLength(10);
  });

  it('publishes a repeated alertId once', async () => {
    // Given
    acceptAll();
    // When
    const result = await new SnsPublisher(new SNSClient({}), TOPIC).publish([alert(1), alert(1)]);
    // Then
    expect(entries()).toHaveLength(1);
    expect(result.accepted).toHaveLength(1);
  });

  it('makes no call for no alerts', async () => {
    // When
    const result = await new SnsPublisher(new SNSClient({}), TOPIC).publish([]);
    // Then
    expect(sns.commandCalls(PublishBatchCommand)).toHaveLength(0);
    expect(result).toEqual({ accepted: [], failed: [] });
  });
});

describe('consoleEventUrl', () => {
  it('URL-encodes the event ID', () => {
    expect(consoleEventUrl('us-east-1', 'a/b#c d?e')).toBe('https://us-east-1.console.aws.amazon.com/cloudtrail/home?region=us-east-1#/events/a%2Fb%23c%20d%3Fe');
  });

  it('keeps a region that is not a region name out of the host name', () => {
    expect(consoleEventUrl('evil.example/x', 'id')).toBe('https://console.aws.amazon.com/cloudtrail/home?region=evil.example%2Fx#/events/id');
  });
});

describe('MemoryPublisher', () => {
  it('records the alerts and refuses those it is told to', async () => {
    // Given
    const publisher = new MemoryPublisher((a) => (a.alertId === alert(2).alertId ? { code: 'Refused', message: 'test' } : null));
    // When
    const result = await publisher.publish([alert(1), alert(2)]);
    // Then
    expect(publisher.alerts).toEqual([alert(1), alert(2)]);
    expect(result.accepted.map((a) => a.alertId)).toEqual([alert(1).alertId]);
    expect(result.failed).toEqual([{ alertId: alert(2).alertId, code: 'Refused', message: 'test', senderFault: false }]);
  });
});
