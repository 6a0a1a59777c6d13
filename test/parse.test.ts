import { parseExpiration, parseIsoTime } from '../lambdas/core/cloudtrail-time';
import { accountOf, CLOCK_MARGIN_MS, notAfterClock, parseDocument, parseRecord, parseText, type ParseResult } from '../lambdas/core/parse';
import type { AssumeRoleCall, Rejection } from '../lambdas/core/types';
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

  it.each([
    ['a custom source (PutEvents by anyone)', { source: 'custom.forged' }, 'source: "custom.forged" is not an AWS service\'s'],
    ['a source that only looks like AWS', { source: 'Aws.sts' }, 'source: "Aws.sts" is not an AWS service\'s'],
    ['another detail-type', { 'detail-type': 'AWS Console Sign In via CloudTrail' }, 'detail-type: "AWS Console Sign In via CloudTrail" is not "AWS API Call via CloudTrail"'],
    ['a detail-type that is not a string', { 'detail-type': ['AWS API Call via CloudTrail'] }, 'detail-type: an array is not'],
  ])('rejects an EventBridge event with %s wherever it is read, replay included', (_name, over, reason) => {
    // Given an event holding a valid record, in a log a user replays (no deployment account or regions known)
    const text = JSON.stringify({ version: '0', 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.sts', account: '999999999999', region: 'ap-south-1', ...over, detail: record });
    // When parsed
    const result = only(parseText(text, 'events.json'));
    // Then it is rejected with the reason, its record never read
    expect(result.kind).toBe('rejected');
    expect((result as Rejection).reason).toContain(reason);
  });

  it('reads an EventBridge event of any account and region when no deployment is named (replay reads what its user chose)', () => {
    // Given a CloudTrail event from another account and a region of no deployment
    const text = JSON.stringify({ 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.sts', account: '999999999999', region: 'ap-south-1', detail: record });
    // Then it parses like the record
    expect(assumeCall(only(parseText(text))).eventId).toBe('e-1');
  });

  it('quotes a rejected source as printable ASCII, cut', () => {
    // Given a custom source with a line break, a bidi override and 200 more characters
    const text = JSON.stringify({ 'detail-type': 'AWS API Call via CloudTrail', source: `x\n\u202e${'y'.repeat(200)}`, detail: record });
    // When parsed
    const { reason } = only(parseText(text)) as Rejection;
    // Then the reason holds escapes, not the characters, and at most 64 of them
    expect(reason).toMatch(/^source: "x\\n\\u202eyyy+\\u2026" is not/);
    expect(reason).toMatch(/^[\x20-\x7e…]+$/);
    expect(reason.length).toBeLessThan(200);
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

describe('event times outside any plausible time', () => {
  const record = { eventID: 'e-t', eventTime: '2026-10-07T10:00:00Z', eventName: 'AssumeRole', eventSource: 'sts.amazonaws.com', userIdentity: { type: 'IAMUser' } };
  /** The reader's wall clock in these tests. */
  const now = Date.parse('2026-10-08T00:00:00Z');

  it('rejects a record dated before CloudTrail existed, with the reason, whatever the clock', () => {
    // Given a record with a zero epoch for its time (a lost or defaulted timestamp)
    const epoch = { ...record, eventTime: '1970-01-01T00:00:00Z' };
    // When parsed without a clock and with one
    const results = [parseRecord(epoch, { file: 'f', line: 2 }), parseRecord(epoch, { file: 'f', line: 2 }, notAfterClock(now))];
    // Then both times it is rejected saying why, never a call that could set a first-seen time
    for (const result of results) {
      expect(result).toEqual({ kind: 'rejected', reason: 'eventTime: 1970-01-01T00:00:00Z is before CloudTrail existed (2013-11)', eventId: 'e-t', origin: { file: 'f', line: 2 } });
    }
  });

  it("accepts a record from CloudTrail's launch month and rejects one from the month before", () => {
    // Given a record from CloudTrail's launch month (it was released on 13 November 2013)
    const launch = { ...record, eventTime: '2013-11-13T00:00:00Z' };
    // Then it parses, and one from the last second of the month before is rejected
    expect(parseRecord(launch).kind).toBe('assume-role');
    expect(parseRecord({ ...record, eventTime: '2013-10-31T23:59:59Z' })).toMatchObject({ kind: 'rejected', reason: 'eventTime: 2013-10-31T23:59:59Z is before CloudTrail existed (2013-11)' });
  });

  it('rejects a record dated later than the clock plus a day, naming the bound', () => {
    // Given records a year after the reader's clock, and just past the margin
    const yearAhead = { ...record, eventTime: '2027-10-08T00:00:00Z' };
    const justPast = { ...record, eventTime: new Date(now + CLOCK_MARGIN_MS + 1000).toISOString().replace('.000Z', 'Z') };
    // When parsed with the clock's bound
    const options = notAfterClock(now);
    // Then both are rejected with the time and the bound
    expect(parseRecord(yearAhead, { file: 'f', line: 1 }, options)).toEqual({ kind: 'rejected', reason: 'eventTime: 2027-10-08T00:00:00Z is in the future (after 2026-10-09T00:00:00Z)', eventId: 'e-t', origin: { file: 'f', line: 1 } });
    expect(parseRecord(justPast, null, options)).toMatchObject({ kind: 'rejected', reason: 'eventTime: 2026-10-09T00:00:01Z is in the future (after 2026-10-09T00:00:00Z)' });
  });

  it('accepts a record up to a day ahead of the clock (a reader whose clock is behind), and any time without a bound', () => {
    // Given a record 23 hours ahead of the reader's clock, and one a year ahead
    const ahead = { ...record, eventTime: '2026-10-08T23:00:00Z' };
    const yearAhead = { ...record, eventTime: '2027-10-08T00:00:00Z' };
    // Then the first parses with the clock's bound, and both parse when no bound is given
    expect(parseRecord(ahead, null, notAfterClock(now)).kind).toBe('assume-role');
    expect(parseRecord(yearAhead).kind).toBe('assume-role');
  });

  it('applies the bound to every container, to JSON Lines, and to records it would otherwise ignore', () => {
    // Given a log file, an EventBridge event and JSON Lines, each with one good record and one from
    // the future, and an S3 call of no interest dated 1970
    const future = { ...record, eventID: 'e-f', eventTime: '2030-01-01T00:00:00Z' };
    const options = notAfterClock(now);
    const texts = [
      JSON.stringify({ Records: [record, future] }),
      JSON.stringify([record, { 'detail-type': 'AWS API Call via CloudTrail', source: 'aws.sts', detail: future }]),
      `${JSON.stringify(record)}\n${JSON.stringify(future)}\n`,
    ];
    // When parsed with the clock's bound
    // Then the future record is rejected in each, and the good one parses
    for (const text of texts) expect(parseText(text, 'x', 1, options).map((r) => (r.kind === 'rejected' ? r.reason : r.kind))).toEqual(['assume-role', 'eventTime: 2030-01-01T00:00:00Z is in the future (after 2026-10-09T00:00:00Z)']);
    // And a record that would be ignored is rejected too: no result of any kind carries such a time
    expect(parseRecord({ ...record, eventName: 'ListBuckets', eventSource: 's3.amazonaws.com', eventTime: '1970-01-01T00:00:00Z' }).kind).toBe('rejected');
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

describe('what an AssumeRole asked for: session length and session policy', () => {
  /** The IAM User Guide's role-chaining AssumeRole (durationSeconds 3600, no session policy), its request changed. */
  function chained(request: Record<string, unknown> | null): AssumeRoleCall {
    const record = fixture('aws-docs/awsdocs-sample-records.jsonl', (r) => r.eventID === '1917948f-3042-46ec-98e2-62865EXAMPLE');
    const params = request === null ? null : { ...(record.requestParameters as Record<string, unknown>), ...request };
    return assumeCall(parseRecord({ ...record, requestParameters: params }));
  }
  const policy = (statement: unknown): string => JSON.stringify({ Version: '2012-10-17', Statement: statement });

  it('reads the documented sample: 3600 seconds asked for, no session policy', () => {
    // Given the sample as published; when parsed
    const call = chained({});
    // Then it asked for an hour, and for no session policy
    expect(call).toMatchObject({ requestLogged: true, durationSeconds: 3600, sessionPolicyHash: null, sessionPolicyAllowsAll: false, sessionPolicyArns: null });
  });

  it.each([
    [900, 900],
    ['900', 900],
    ['43200', 43200],
    [7200, 7200],
  ])('reads durationSeconds %j as %j seconds (CloudTrail writes a number or a string)', (value, seconds) => {
    expect(chained({ durationSeconds: value }).durationSeconds).toBe(seconds);
  });

  it('takes a logged request without durationSeconds for STS default of 3600 seconds', () => {
    expect(chained({ durationSeconds: undefined }).durationSeconds).toBe(3600);
  });

  it.each([['abc'], ['-900'], ['900.5'], [' 900'], [''], ['1e3'], ['99999999999999'], [-900], [Number.NaN], [true], [{ value: 900 }], [[900]]])(
    'reads a durationSeconds of %j as no duration, not as a number or the default',
    (value) => {
      expect(chained({ durationSeconds: value }).durationSeconds).toBeNull();
    },
  );

  it('knows nothing of the request when a failure nulled requestParameters', () => {
    // Given a denied AssumeRole with requestParameters null; when parsed
    const call = chained(null);
    // Then neither a duration (not even the default) nor a policy is made up
    expect(call).toMatchObject({ requestLogged: false, durationSeconds: null, sessionPolicyHash: null, sessionPolicyAllowsAll: false, sessionPolicyArns: null });
  });

  it('fingerprints the inline policy, never keeping its text', () => {
    // Given a scoped session policy; when parsed
    const text = policy([{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: 'arn:aws:s3:::vendor-sync/*' }]);
    const call = chained({ policy: text });
    // Then a 16-hex-digit fingerprint stands for it, and nothing of the text is in the call
    expect(call.sessionPolicyHash).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.stringify(call)).not.toContain('vendor-sync');
    expect(call.sessionPolicyAllowsAll).toBe(false);
    // and another policy has another fingerprint
    expect(chained({ policy: policy([{ Effect: 'Allow', Action: ['s3:PutObject'], Resource: 'arn:aws:s3:::vendor-sync/*' }]) }).sessionPolicyHash).not.toBe(call.sessionPolicyHash);
  });

  it('gives one fingerprint to one policy whatever its layout', () => {
    // Given the stratus-red-team session policy as CloudTrail logged it (tabs and line breaks), and compact
    const logged = fixture('stratus-red-team/aws.persistence.sts-federation-token.json', (r) => r.eventName === 'GetFederationToken').requestParameters as Record<string, unknown>;
    const compact = JSON.stringify(JSON.parse(logged.policy as string));
    // Then both, and the policy handed over as an object (an export that decoded it), are one policy
    const hashes = [logged.policy, compact, JSON.parse(compact)].map((p) => chained({ policy: p }).sessionPolicyHash);
    expect(new Set(hashes).size).toBe(1);
  });

  it('folds the target account, so a per-tenant policy is one policy for every tenant', () => {
    // Given the same policy scoped to each target's own queue (the sample's role is in 111111111111)
    const scoped = (account: string): string => policy([{ Effect: 'Allow', Action: 'sqs:ReceiveMessage', Resource: `arn:aws:sqs:us-east-2:${account}:vendor-events` }]);
    const own = chained({ policy: scoped('111111111111') });
    // Then it fingerprints alike for its own account, and differently when it names another one
    const other = chained({ policy: scoped('111111111111'), roleArn: 'arn:aws:iam::222222222222:role/JohnRole2' });
    expect(other.sessionPolicyHash).not.toBe(own.sessionPolicyHash);
    expect(chained({ policy: scoped('222222222222'), roleArn: 'arn:aws:iam::222222222222:role/JohnRole2' }).sessionPolicyHash).toBe(own.sessionPolicyHash);
  });

  it.each([
    ['Action "*" (the stratus-red-team policy)', { Effect: 'Allow', Action: '*', Resource: '*' }],
    ['"*" among other actions', [{ Effect: 'Allow', Action: ['s3:GetObject', '*'], Resource: '*' }]],
    ['"*:*"', { Effect: 'Allow', Action: '*:*', Resource: '*' }],
    ['NotAction with Allow', [{ Effect: 'Allow', NotAction: ['iam:*'], Resource: '*' }]],
    ['a second statement after a Deny', [{ Effect: 'Deny', Action: 'iam:*', Resource: '*' }, { Effect: 'Allow', Action: '*', Resource: 'arn:aws:s3:::b/*' }]],
    ['"allow" in lower case', { Effect: 'allow', Action: '*', Resource: '*' }],
  ])('sees a policy allowing every action: %s', (_what, statement) => {
    expect(chained({ policy: policy(statement) }).sessionPolicyAllowsAll).toBe(true);
  });

  it.each([
    ['one service (s3:*)', { Effect: 'Allow', Action: 's3:*', Resource: '*' }],
    ['action prefixes (s3:Get*)', [{ Effect: 'Allow', Action: ['s3:Get*', 'sqs:*'], Resource: '*' }]],
    ['Deny "*"', { Effect: 'Deny', Action: '*', Resource: '*' }],
    ['Deny with NotAction', { Effect: 'Deny', NotAction: 's3:GetObject', Resource: '*' }],
    ['no Statement', undefined],
    ['a Statement of strings', ['*']],
  ])('does not call a policy allowing every action when it has %s', (_what, statement) => {
    expect(chained({ policy: policy(statement) }).sessionPolicyAllowsAll).toBe(false);
  });

  it('fingerprints policy text that is not JSON, or too long or too deep to read, without throwing', () => {
    // Given an unreadable policy, one far beyond STS's 2,048 characters, and nesting bombs (read, and too long to read)
    const bomb = `{"Statement":${'['.repeat(8000)}${']'.repeat(8000)}}`;
    const deeper = `{"Statement":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const long = policy(Array.from({ length: 2000 }, () => ({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' })).concat([{ Effect: 'Allow', Action: '*', Resource: '*' }]));
    // When parsed; then each is a call with a fingerprint and no verdict of "every action"
    for (const text of ['{"Statement": [', 'not a policy', long, bomb, deeper]) {
      const call = chained({ policy: text });
      expect(call.sessionPolicyHash).toMatch(/^[0-9a-f]{16}$/);
      expect(call.sessionPolicyAllowsAll).toBe(false);
    }
  });

  it('lists the managed session policies sorted, once each, one per line', () => {
    // Given policyArns as CloudTrail writes them ({arn} objects), out of order, one twice, and junk
    const arns = [{ arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }, { arn: 'arn:aws:iam::111111111111:policy/vendor-sync' }, { arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }, 'arn:aws:iam::aws:policy/AWSBillingReadOnlyAccess', { arn: 7 }, null, {}];
    // When parsed; then the ARNs are one sorted list
    expect(chained({ policyArns: arns }).sessionPolicyArns).toBe(['arn:aws:iam::111111111111:policy/vendor-sync', 'arn:aws:iam::aws:policy/AWSBillingReadOnlyAccess', 'arn:aws:iam::aws:policy/ReadOnlyAccess'].join('\n'));
  });

  it.each([[[]], ['arn:aws:iam::aws:policy/ReadOnlyAccess'], [{ arn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }], [[{ arn: '' }]]])('reads policyArns %j as no managed session policy', (value) => {
    expect(chained({ policyArns: value }).sessionPolicyArns).toBeNull();
  });
});

describe('the endpoint the client dialled (tlsDetails.clientProvidedHostHeader)', () => {
  /** The IAM User Guide's role-chaining AssumeRole, with `tlsDetails` replaced. */
  function withTls(tlsDetails: unknown): AssumeRoleCall {
    const record = fixture('aws-docs/awsdocs-sample-records.jsonl', (r) => r.eventID === '1917948f-3042-46ec-98e2-62865EXAMPLE');
    return assumeCall(parseRecord({ ...record, tlsDetails }));
  }

  it('keeps the host header of a public fixture record', () => {
    // Given a stratus-red-team record that logged its TLS host; when parsed
    const record = fixture('stratus-red-team/aws.execution.ssm-start-session.json', (r) => (r.tlsDetails as { clientProvidedHostHeader?: string } | undefined)?.clientProvidedHostHeader !== undefined);
    const result = parseRecord({ ...record, userIdentity: { ...(record.userIdentity as object), type: 'AssumedRole' } });
    // Then the call carries it
    expect(result.kind === 'session-activity' && result.hostHeader).toBe('ssm.me-northwest-3r.amazonaws.com');
  });

  it.each([
    ['the global endpoint', { clientProvidedHostHeader: 'sts.amazonaws.com' }, 'sts.amazonaws.com'],
    ['an upper-case regional endpoint (DNS is case-blind)', { clientProvidedHostHeader: 'STS.EU-WEST-1.amazonaws.com' }, 'sts.eu-west-1.amazonaws.com'],
    ['no tlsDetails', undefined, null],
    ['tlsDetails that is not an object', 'TLSv1.3', null],
    ['a host header that is not a string', { clientProvidedHostHeader: 42 }, null],
    ['an empty host header', { clientProvidedHostHeader: '' }, null],
  ])('reads %s without rejecting the record', (_what, tls, host) => {
    expect(withTls(tls).hostHeader).toBe(host);
  });

  it('cuts a host header longer than a DNS name', () => {
    // Given a client that sent a 64 KiB Host header; when parsed
    const call = withTls({ clientProvidedHostHeader: `sts.${'a'.repeat(65_536)}.amazonaws.com` });
    // Then the call keeps at most 253 characters of it
    expect(call.hostHeader).toHaveLength(253);
  });
});
