import { accountOf, parseDocument, parseExpiration, parseIsoTime, parseRecord, parseText, type ParseResult } from '../lambdas/core/parse';
import type { AssumeRoleCall } from '../lambdas/core/types';
import { fixture, fixtureRecords } from './support/fixtures';
import { seededRandom } from './support/random';

function only(results: ParseResult[]): ParseResult {
  expect(results).toHaveLength(1);
  return results[0]!;
}

function assumeCall(result: ParseResult): AssumeRoleCall {
  if (result.kind !== 'assume-role') throw new Error(`expected an assume-role call, got ${result.kind}${result.kind === 'rejected' ? `: ${result.reason}` : ''}`);
  return result;
}

describe('parsing every public fixture record', () => {
  const records = fixtureRecords();

  it('parses all of them without throwing', () => {
    // Given every record of every fixture source
    expect(records.length).toBeGreaterThan(350);
    // When each is parsed
    const results = records.map((r) => parseRecord(r.record, { file: r.file, line: r.index + 1 }));
    // Then each is a call, an ignored record or a rejection — never an exception
    const kinds = new Set(results.map((r) => r.kind));
    expect([...kinds].sort()).toEqual(['assume-role', 'ignored', 'rejected', 'session-activity']);
    expect(results.filter((r) => r.kind === 'assume-role').length).toBeGreaterThanOrEqual(20);
  });

  it('rejects only the Panther test payloads that lack an eventID, saying so', () => {
    // Given the fixtures; Panther trims some test records down to the fields its rule reads
    const rejected = records
      .map((r) => ({ file: r.file, record: r.record as Record<string, unknown>, result: parseRecord(r.record, { file: r.file, line: r.index + 1 }) }))
      .filter((r) => r.result.kind === 'rejected');
    // Then every rejection is one of those, with the reason and the place
    expect(rejected.length).toBe(10);
    for (const r of rejected) {
      expect(r.file).toMatch(/^panther-analysis\//);
      expect(r.result).toMatchObject({ kind: 'rejected', reason: 'eventID: missing', origin: { file: r.file } });
      expect(r.record.eventID).toBeUndefined();
    }
  });

  it('recovers the role from errorMessage when a denied call has requestParameters null', () => {
    // Given a denied AssumeRole from stratus-red-team (requestParameters: null)
    const record = fixture('stratus-red-team/aws.discovery.ec2-download-user-data.json', (r) => r.eventName === 'AssumeRole' && r.errorCode === 'AccessDenied');
    expect(record.requestParameters).toBeNull();
    // When parsed
    const call = assumeCall(parseRecord(record));
    // Then the role comes from the message
    expect(call.roleArn).toBe('arn:aws:iam::321848314756:role/stratus-red-team-get-usr-data-role');
    expect(call.roleAccountId).toBe('321848314756');
    expect(call.errorCode).toBe('AccessDenied');
    expect(call.roleSessionName).toBeNull();
  });

  it('classifies an anonymised address that is not an IP as invalid, not as an IP', () => {
    // Given a stratus-red-team record whose address was anonymised to "255.18.064.253"
    const record = fixture('stratus-red-team/aws.discovery.ec2-download-user-data.json', (r) => r.sourceIPAddress === '255.18.064.253' && r.eventName === 'AssumeRole');
    // Then the address is kept as text and marked invalid
    expect(assumeCall(parseRecord(record)).source).toEqual({ kind: 'invalid', text: '255.18.064.253' });
  });

  it('reads the console-style expiration "Aug 1, 2024, 11:45:22 AM" as UTC', () => {
    // Given a successful AssumeRole from stratus-red-team
    const record = fixture('stratus-red-team/aws.execution.ec2-launch-unusual-instances.json', (r) => r.eventName === 'AssumeRole');
    // Then the issued session's key, ARN and expiry are parsed
    const call = assumeCall(parseRecord(record));
    expect(call.issuedAccessKeyId).toMatch(/^ASIA/);
    expect(call.issuedSessionArn).toMatch(/^arn:aws:sts::900138736586:assumed-role\//);
    expect(call.expiresAt).toBe(Date.UTC(2024, 7, 1, 11, 45, 22));
  });

  it('tells the two copies of a cross-account AssumeRole apart and links them by sharedEventID', () => {
    // Given both copies from the AWS documentation: the IAM user's and the AWSAccount one
    const full = fixture('aws-docs/awsdocs-sample-records.jsonl', (r) => r.eventName === 'AssumeRole' && (r.userIdentity as Record<string, unknown>).type === 'IAMUser');
    const owner = fixture('aws-docs/awsdocs-sample-records.jsonl', (r) => r.eventName === 'AssumeRole' && (r.userIdentity as Record<string, unknown>).type === 'AWSAccount');
    // When parsed
    const a = assumeCall(parseRecord(full));
    const b = assumeCall(parseRecord(owner));
    // Then they share the sharedEventID; the role owner's copy is marked by recipientAccountId
    expect(a.sharedEventId).toBe(b.sharedEventId);
    expect(a.copy).toBe('owner');
    expect(b.principal).toMatchObject({ type: 'AWSAccount', arn: null, accountId: '777788889999' });
  });

  it('parses SAML and web-identity calls with their providers', () => {
    // Given the repaired federation samples from the AWS documentation
    const saml = assumeCall(parseRecord(fixture('aws-docs/awsdocs-repaired-federation-samples.jsonl', (r) => r.eventName === 'AssumeRoleWithSAML')));
    const web = assumeCall(parseRecord(fixture('aws-docs/awsdocs-repaired-federation-samples.jsonl', (r) => r.eventName === 'AssumeRoleWithWebIdentity')));
    // Then principals without an ARN are typed and the SAML provider is kept
    expect(saml.principal).toMatchObject({ type: 'SAMLUser', arn: null, identityProvider: 'bdGOnTesti4+ExamplexL/jEvs=' });
    expect(saml.providerArn).toBe('arn:aws:iam::444455556666:saml-provider/Shibboleth');
    expect(web.principal.type).toBe('WebIdentityUser');
    expect(web.roleArn).toBe('arn:aws:iam::444455556666:role/FederatedWebIdentityRole');
  });

  it('gives eventVersion 1.0 records, which predate eventID, a stable derived ID', () => {
    // Given a 1.0 record from the AWS documentation (no eventID field)
    const record = fixture('aws-docs/awsdocs-sample-records.jsonl', (r) => r.eventVersion === '1.0' && r.eventID === undefined);
    // When parsed twice
    const first = parseRecord(record);
    const second = parseRecord(structuredClone(record));
    // Then both get the same derived ID
    expect(first.kind).not.toBe('rejected');
    expect((first as { eventId: string }).eventId).toMatch(/^derived-[0-9a-f]{32}$/);
    expect((first as { eventId: string }).eventId).toBe((second as { eventId: string }).eventId);
  });

  it('reads the zone-less times log platforms export ("2024-06-02 20:27:12") as UTC', () => {
    // Given Panther's AWS-service test payload
    const record = fixture('panther-analysis/rules/aws_cloudtrail_rules/role_assumed_by_aws_service.yml');
    // Then its time parses as UTC and its service identity is kept
    const call = assumeCall(parseRecord(record));
    expect(call.eventTime).toBe(Date.UTC(2024, 5, 2, 20, 27, 12));
    expect(call.principal.type).toBe('AWSService');
  });
});

describe('input containers', () => {
  const record = {
    eventVersion: '1.08', eventID: 'e-1', eventTime: '2026-10-07T10:00:00Z', eventSource: 'sts.amazonaws.com', eventName: 'AssumeRole',
    awsRegion: 'eu-west-1', sourceIPAddress: '2001:db8::7', userAgent: 'aws-sdk-go-v2/1.30',
    userIdentity: { type: 'AssumedRole', arn: 'arn:aws:sts::210987654321:assumed-role/integration-backend/task', accountId: '210987654321' },
    requestParameters: { roleArn: 'arn:aws:iam::210987654321:role/outbound-eu', roleSessionName: 'backend-1a2b3c4d', externalId: 'x' },
    responseElements: null,
  };

  it.each([
    ['a single record', JSON.stringify(record)],
    ['a CloudTrail log file', JSON.stringify({ Records: [record] })],
    ['an EventBridge event', JSON.stringify({ version: '0', id: 'x', 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.sts', detail: record })],
    ['an array of records', JSON.stringify([record])],
    ['JSON Lines', `\n${JSON.stringify(record)}\n`],
    ['a pretty-printed log file after a byte-order mark', `\uFEFF${JSON.stringify({ Records: [record] }, null, 2)}\u00A0`],
  ])('accepts %s', (_name, text) => {
    // When the text is parsed
    const call = assumeCall(only(parseText(text)));
    // Then the record comes out typed, with its IPv6 address parsed
    expect(call.eventId).toBe('e-1');
    expect(call.source).toMatchObject({ kind: 'ip', ip: { version: 6 } });
    expect(call.externalId).toBe('x');
  });

  it('accepts an SQS body holding an EventBridge event', () => {
    // Given the body SQS delivers: the EventBridge event as a JSON string
    const body = JSON.stringify({ 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.sts', detail: record });
    // Then it parses like the event
    expect(assumeCall(only(parseText(body))).roleArn).toBe('arn:aws:iam::210987654321:role/outbound-eu');
  });

  it('numbers JSON Lines so a bad line is reported with its line', () => {
    // Given three lines, the second truncated
    const text = [JSON.stringify(record), JSON.stringify(record).slice(0, 40), JSON.stringify({ ...record, eventID: 'e-3' })].join('\n');
    // When parsed
    const results = parseText(text, 'calls.jsonl');
    // Then the good lines parse and the bad one is rejected at calls.jsonl:2
    expect(results.map((r) => r.kind)).toEqual(['assume-role', 'rejected', 'assume-role']);
    expect(results[1]).toMatchObject({ origin: { file: 'calls.jsonl', line: 2 } });
    expect((results[1] as { reason: string }).reason).toMatch(/^not JSON/);
  });
});

describe('bad input gets a typed rejection with a reason', () => {
  const good = { eventID: 'e-9', eventTime: '2026-10-07T10:00:00Z', eventName: 'AssumeRole', eventSource: 'sts.amazonaws.com', userIdentity: { type: 'IAMUser' } };

  it.each([
    ['missing eventID', { ...good, eventID: undefined }, 'eventID: missing'],
    ['numeric eventID', { ...good, eventID: 7 }, 'eventID: expected a string, got a number'],
    ['missing eventTime', { ...good, eventTime: undefined }, 'eventTime: missing'],
    ['eventTime as a number', { ...good, eventTime: 1700000000 }, 'eventTime: expected an ISO 8601 string, got a number'],
    ['eventTime not a time', { ...good, eventTime: 'yesterday' }, 'eventTime: "yesterday" is not an ISO 8601 time'],
    ['userIdentity as a string', { ...good, userIdentity: 'root' }, 'userIdentity: expected an object or null, got a string'],
    ['requestParameters as an array', { ...good, requestParameters: [] }, 'requestParameters: expected an object or null, got an array'],
    ['sourceIPAddress as an object', { ...good, sourceIPAddress: {} }, 'sourceIPAddress: expected a string, got an object'],
  ])('rejects %s', (_name, record, reason) => {
    expect(parseRecord(record, { file: 'f', line: 3 })).toEqual({ kind: 'rejected', reason, eventId: record.eventID === 'e-9' ? 'e-9' : null, origin: { file: 'f', line: 3 } });
  });

  it('rejects a value that is not a record container', () => {
    expect(only(parseDocument(42, null))).toMatchObject({ kind: 'rejected', reason: 'expected a CloudTrail record, log file or EventBridge event, got a number' });
    expect(only(parseDocument({ Records: 'x' }, null))).toMatchObject({ kind: 'rejected', reason: 'Records: expected an array, got a string' });
  });

  it('ignores well-formed records that involve no role session', () => {
    // Given an IAM user's S3 call
    const result = parseRecord({ ...good, eventName: 'ListBuckets', eventSource: 's3.amazonaws.com' });
    // Then it is ignored cheaply, not rejected
    expect(result).toEqual({ kind: 'ignored', eventId: 'e-9', eventTime: Date.UTC(2026, 9, 7, 10) });
  });
});

describe('time formats', () => {
  it.each([
    ['2026-10-07T10:00:00Z', Date.UTC(2026, 9, 7, 10)],
    ['2026-10-07T10:00:00.123Z', Date.UTC(2026, 9, 7, 10, 0, 0, 123)],
    ['2026-10-07T12:00:00+02:00', Date.UTC(2026, 9, 7, 10)],
    ['2026-10-07 10:00:00', Date.UTC(2026, 9, 7, 10)],
  ])('reads %s', (text, ms) => expect(parseIsoTime(text)).toBe(ms));

  it.each(['', '2026-13-45T99:00:00Z', 'Oct 7 2026', '2026-10-07'])('refuses %j', (text) => expect(parseIsoTime(text)).toBeNull());

  it("reads CloudTrail's own form exactly as Date.parse does, edge values included", () => {
    // Given times in CloudTrail's form with every field drawn from around its valid range
    // (months 0–13, days 0–32, hour 24, second 60, years before 1000) and stray characters
    const next = seededRandom(11);
    const pick = (values: readonly string[]): string => values[Math.floor(next() * values.length)]!;
    const pad = (n: number, width: number): string => String(n).padStart(width, '0');
    const texts: string[] = [];
    for (let i = 0; i < 5_000; i++) {
      const year = pick([pad(Math.floor(next() * 10_000), 4), '1970', '2026', '0099', '2O26']);
      const month = pad(Math.floor(next() * 14), 2);
      const day = pad(Math.floor(next() * 33), 2);
      const hour = pick([pad(Math.floor(next() * 26), 2), '24', '1a']);
      const minute = pad(Math.floor(next() * 61), 2);
      const second = pad(Math.floor(next() * 61), 2);
      texts.push(`${year}-${month}-${day}${pick(['T', 'T', ' ', 't'])}${hour}:${minute}:${second}${pick(['Z', 'Z', 'z', '+00:00'])}`);
    }
    // When each is read
    const read = texts.map((t) => parseIsoTime(t));
    // Then each gives what Date.parse gives for it in ISO form (null where that is not a time)
    const expected = texts.map((t) => {
      if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(Z|\+00:00)$/.test(t)) return null;
      const ms = Date.parse(t.replace(' ', 'T'));
      return Number.isFinite(ms) ? ms : null;
    });
    expect(read).toEqual(expected);
    expect(read.filter((ms) => ms !== null).length).toBeGreaterThan(300);
  });

  it.each([
    ['arn:aws:iam::123456789012:role/a', '123456789012'],
    ['arn:aws:sts::123456789012:assumed-role/a/b', '123456789012'],
    ['arn:aws:iam::123456789012', '123456789012'],
    ['arn:aws-cn:iam::123456789012:role/a:b', '123456789012'],
    ['arn:aws:iam::12345678901:role/a', null],
    ['arn:aws:iam::1234567890123:role/a', null],
    ['arn:aws:iam::12345678901x:role/a', null],
    ['arn:aws:iam:123456789012:role/a', null],
    ['arn:aws:iam', null],
    ['', null],
  ])('finds the account in %j', (arn, account) => expect(accountOf(arn)).toBe(account));

  it.each([
    ['Jul 18, 2023, 4:07:39 PM', Date.UTC(2023, 6, 18, 16, 7, 39)],
    ['Oct 2, 2019, 12:12:29 AM', Date.UTC(2019, 9, 2, 0, 12, 29)],
    ['2024-08-01T11:45:22Z', Date.UTC(2024, 7, 1, 11, 45, 22)],
    [1722512722, 1722512722000],
  ])('reads the expiration %j', (value, ms) => expect(parseExpiration(value)).toBe(ms));
});
