/**
 * Hostile strings in every field an attacker chooses (session names, user agents, error codes and
 * messages, source addresses, role ARNs, external IDs, event names, regions, event IDs), driven
 * through the whole path: records that make detectors fire → handler → SNS (faked at the SDK
 * boundary), the `replay` CLI to a terminal, and the DynamoDB state and ledger.
 */
import type { PublishBatchRequestEntry } from '@aws-sdk/client-sns';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SNS_MAX_MESSAGE_BYTES, type SnsAlertRecord } from '../lambdas/delivery/sns-publisher';
import { main, type Io } from '../cli/main';
import { handleBatch } from '../lambdas/detect/handler';
import { ADDRESSES, assumeRole, CUSTOMERS, iamUser, intoOutbound, OUTBOUND_ROLE, outboundSession, outToCustomer, roleSession, sessionCall, type Json } from './support/case-records';
import { CASE_BASE_CONFIG } from './detectors/cases';
import { loadConfig } from '../lambdas/core/config';
import { freshTable, scanAll, testClient } from './support/dynamodb';
import { UNSAFE_TEXT, VALID_SUBJECT } from './support/fuzz';
import { dynamoDependencies, FakeSns, testDependencies, TestClock } from './support/handler';
import { sqsEvent } from './support/sqs';

/** One of each kind of trouble. */
const PARTS = {
  newlines: 'evil\nBcc: soc@example.com\r\nX-Injected: yes\r',
  ansi: '\u001b[31mRED\u001b[0m \u001b]0;pwned\u0007 \u001b[2J\u001b[H',
  controls: 'nul\u0000 bell\u0007 bs\u0008 del\u007f nel\u0085 csi\u009b31m osc\u009d',
  html: '<script>alert(1)</script><img src=x onerror=alert(2)>&amp;',
  markdown: '**bold** [click](https://evil.example) `rm -rf /` # Heading | a | b |',
  bidi: 'invoice\u202efdp.exe \u202a\u202b\u202c\u202d \u200e\u200f \u2066\u2067\u2068mark\u2069 \u061c',
  zeroWidth: 'zero\u200bwidth\u200cnon\u200djoiner\u2060word\ufeffbom\u00adshy',
  surrogates: 'lone \ud800 high, \udfff low, \ud83d\ude00 pair',
  tags: 'ascii\u{e0041}\u{e0042}smuggled\u{e007f}',
  separators: 'line\u2028separator\u2029paragraph',
  spaces: 'x\u00a0Severity:\u2003LOW\u3000ideographic\u200ahair\u202fnarrow\u205fmath\u1680ogham',
};
const HOSTILE = Object.values(PARTS).join(' ~ ');
/** 64 KiB of the same. */
const BIG = HOSTILE.repeat(Math.ceil(65_536 / HOSTILE.length)).slice(0, 65_536);
/** What may go into an event ID (256 characters at most). */
const ID_PART = HOSTILE.slice(0, 200);

const CONFIG = loadConfig({ ...CASE_BASE_CONFIG, sessionNamePattern: 'ar-sync-[0-9]+', failedAssumeMaxCalls: 2 });
const T0 = Date.parse('2024-08-01T10:00:00Z');
const at = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString().replace('.000Z', 'Z');
/** The external IDs are secrets: none of them may appear anywhere (alerts hold fingerprints). */
const SECRET = 'SECRET-XID';

/**
 * Records that make every detector that reads attacker text fire, with `h` in each such field.
 * `tag` keeps event IDs apart between variants.
 */
function hostileRecords(h: string, tag: string): Json[] {
  const oneLine = h.replace(/[\n\r\u2028\u2029]/g, ' '); // `outbound-*` does not match line breaks
  const id = (kind: string): Json => ({ eventID: `${kind}-${tag}-${ID_PART}` });
  const located = outboundSession(`loc-${h}`);
  return [
    // human-principal and source-ip: an IAM user with a hostile name, agent, session name, address and region
    intoOutbound({
      time: at(0),
      caller: iamUser(`mallory${h}`),
      roleArn: `arn:aws:iam::210987654321:role/outbound-${oneLine}`,
      userAgent: `aws-cli/2.17.20 ${h}`,
      sessionName: h,
      sourceIp: h,
      region: h,
      extra: { ...id('human'), vpcEndpointId: h },
    }),
    // session-name: a customer role with a hostile name, assumed with a hostile session name and external ID
    outToCustomer({
      time: at(1),
      caller: outboundSession(`backend-${h}`),
      roleArn: `arn:aws:iam::${CUSTOMERS.acme}:role/vendor-${h}`,
      sessionName: `${h}@evil.example`,
      externalId: `${SECRET}-${h}`,
      userAgent: h,
      extra: id('name'),
    }),
    // failed-assume (and unexpected-caller, source-ip): denied twice, with hostile error code and message
    ...[0, 1].map((i) =>
      assumeRole({
        time: at(2 + i),
        caller: roleSession(`arn:aws:iam::999988887777:role/prober-${oneLine}`, `s-${h}`),
        roleArn: OUTBOUND_ROLE,
        userAgent: h,
        sourceIp: ADDRESSES.tor,
        error: { code: `AccessDenied${h}`, message: `User: ${h} is not authorized to perform: sts:AssumeRole on resource: ${OUTBOUND_ROLE} ${h}` },
        extra: id(`denied${i}`),
      }),
    ),
    // session-locations: the session's first call from nat-eu, then any call, with a hostile name and source, from elsewhere
    outToCustomer({ time: at(4), caller: located, externalId: `${SECRET}-plain-${tag}`, extra: id('first') }),
    sessionCall({ time: at(5), caller: located, sourceIp: ADDRESSES.external, eventName: `List${h}`, eventSource: `s3${oneLine}.amazonaws.com`, userAgent: h, region: h, extra: id('second') }),
    // external-id: a hostile customer role assumed without an external ID
    outToCustomer({ time: at(6), account: CUSTOMERS.globex, roleArn: `arn:aws:iam::${CUSTOMERS.globex}:role/vendor-${h}`, noExternalId: true, extra: id('noxid') }),
    // unexpected-caller: a hostile role's session, and a principal of a hostile type
    intoOutbound({ time: at(7), caller: roleSession(`arn:aws:iam::210987654321:role/other-${oneLine}`, `sess-${h}`), userAgent: `aws-sdk-js/3 ${h}`, extra: id('other') }),
    intoOutbound({ time: at(8), caller: { type: `Weird${h}`, arn: `arn:aws:iam::210987654321:user/x${h}`, accountId: '210987654321', principalId: h }, extra: id('weird') }),
  ];
}

const VARIANTS = [
  ['hostile strings', HOSTILE, 'short'],
  ['64 KiB hostile strings', BIG, 'big'],
] as const;

/** Every field of the raw record an alert names, by event ID. */
function rawById(records: readonly Json[]): Map<string, Json> {
  return new Map(records.map((r) => [String(r.eventID), r]));
}

/** `got` is `want`, or (when the message was cut) a prefix of it ending in the marker. */
function roundTrips(got: unknown, want: unknown, truncated: boolean): boolean {
  if (got === want) return true;
  return truncated && typeof got === 'string' && typeof want === 'string' && got.endsWith('…') && want.startsWith(got.slice(0, -1));
}

/** Checks an alert's record against the record it names: the attacker's strings came through exactly (or cut, marked). */
function expectSameStrings(record: Pick<SnsAlertRecord, 'eventIds' | 'userAgent' | 'sourceIp' | 'principalArn' | 'awsRegion' | 'eventName' | 'detector' | 'details'>, raw: Json, truncated: boolean): void {
  const identity = raw.userIdentity as Json;
  const pairs: [string, unknown, unknown][] = [
    ['eventId', record.eventIds[0], raw.eventID],
    ['userAgent', record.userAgent, raw.userAgent],
    ['sourceIp', record.sourceIp, raw.sourceIPAddress],
    ['principalArn', record.principalArn, identity.arn],
    ['awsRegion', record.awsRegion, raw.awsRegion],
    ['eventName', record.eventName, raw.eventName],
  ];
  if (record.detector === 'session-name') pairs.push(['sessionName', record.details.sessionName, (raw.requestParameters as Json).roleSessionName]);
  for (const [field, got, want] of pairs) {
    if (!roundTrips(got, want, truncated)) throw new Error(`${record.detector} ${field}: ${JSON.stringify(String(got).slice(0, 80))} is not ${JSON.stringify(String(want).slice(0, 80))}`);
  }
}

function bytesOf(entry: PublishBatchRequestEntry): number {
  let n = Buffer.byteLength(entry.Message!, 'utf8') + Buffer.byteLength(entry.Subject ?? '', 'utf8');
  for (const [name, v] of Object.entries(entry.MessageAttributes ?? {})) n += Buffer.byteLength(name) + Buffer.byteLength(v.DataType!) + Buffer.byteLength(v.StringValue ?? '');
  return n;
}

/** Runs the records through the handler, one message each, with memory state and SNS faked at the SDK boundary. */
async function throughHandler(records: readonly Json[]): Promise<{ calls: PublishBatchRequestEntry[][]; entries: PublishBatchRequestEntry[]; failed: string[] }> {
  const sns = new FakeSns();
  const deps = testDependencies({ publisher: sns.publisher(), config: CONFIG, clock: new TestClock(T0 + 3_600_000) });
  const { response } = await handleBatch(sqsEvent(records), deps, 'hostile');
  const calls = sns.calls.map((c) => c.PublishBatchRequestEntries ?? []);
  return { calls, entries: calls.flat(), failed: response.batchItemFailures.map((f) => f.itemIdentifier) };
}

describe.each(VARIANTS)('%s through the handler to SNS', (_name, h, tag) => {
  const records = hostileRecords(h, tag);
  const byId = rawById(records);
  let calls: PublishBatchRequestEntry[][];
  let entries: PublishBatchRequestEntry[];
  let failed: string[];

  beforeAll(async () => {
    // Given records with attacker text in every field they choose, When the handler takes them as one SQS batch
    ({ calls, entries, failed } = await throughHandler(records));
  });

  it('makes every detector that reads attacker text fire, and fails no message', () => {
    // Then each detector alerted at least once, and SQS is asked to retry nothing
    const detectors = new Set(entries.map((e) => (JSON.parse(JSON.parse(e.Message!).default) as SnsAlertRecord).detector));
    expect([...detectors].sort()).toEqual(['client', 'external-id', 'failed-assume', 'human-principal', 'session-locations', 'session-name', 'source-ip', 'unexpected-caller']);
    expect(failed).toEqual([]);
  });

  it('sends a default message that is valid JSON and gives the attacker\'s strings back exactly, or cut with the marker', () => {
    for (const entry of entries) {
      // Given the message as SNS receives it
      const message = JSON.parse(entry.Message!) as { default: string; email: string };
      const record = JSON.parse(message.default) as SnsAlertRecord;
      // Then the strings round-trip against the record they came from
      expectSameStrings(record, byId.get(record.eventIds[0]!)!, record.truncated);
      expect(record.consoleLinks.map((l) => l.eventId)).toEqual(record.eventIds);
      for (const link of record.consoleLinks) expect(link.url).toMatch(/^https:\/\/[a-z0-9.-]+\.aws\.amazon\.com\/cloudtrail\/home\?region=[A-Za-z0-9%._~!*'()-]+#\/events\/[A-Za-z0-9%._~!*'()-]+$/);
    }
  });

  it('writes e-mail text without control characters, bidi or invisible characters, or injected header lines', () => {
    for (const entry of entries) {
      // Then the e-mail shows the attacker's text escaped, never raw
      const { email } = JSON.parse(entry.Message!) as { email: string };
      expect(email).not.toMatch(UNSAFE_TEXT);
      for (const line of email.split('\n')) expect(line).not.toMatch(/^(Bcc|X-Injected):/);
      expect(email).toContain('\\u001b[31mRED');
    }
  });

  it('keeps the Subject one line of printable ASCII of at most 99 characters', () => {
    for (const entry of entries) {
      // Then the title's attacker text is folded to printable ASCII and cut
      expect(entry.Subject).toMatch(VALID_SUBJECT);
      expect(entry.Subject!.length).toBeLessThanOrEqual(99);
    }
  });

  it('stays within SNS\'s 256 KiB per message and per call, with valid attribute values', () => {
    // Then each message, and each PublishBatch call, fits; attribute values hold only XML characters
    for (const entry of entries) {
      expect(bytesOf(entry)).toBeLessThanOrEqual(SNS_MAX_MESSAGE_BYTES);
      for (const value of Object.values(entry.MessageAttributes ?? {})) expect(value.StringValue).not.toMatch(/[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u);
    }
    for (const call of calls) expect(call.reduce((n, e) => n + bytesOf(e), 0)).toBeLessThanOrEqual(SNS_MAX_MESSAGE_BYTES);
  });

  it('never sends an external ID, only its fingerprint', () => {
    // Then the secret the attacker sent as external ID is in no message
    for (const entry of entries) expect(JSON.stringify(entry)).not.toContain(SECRET);
  });
});

describe('hostile strings through the replay CLI to a terminal', () => {
  /** Lines that are rejected, with reasons that quote the attacker's text. */
  const rejectedLines = [
    JSON.stringify({ eventID: `bad-time-${ID_PART}`, eventTime: HOSTILE, eventName: 'AssumeRole' }),
    JSON.stringify({ eventID: 'bad-identity', eventTime: at(0), eventName: 'AssumeRole', userIdentity: HOSTILE }),
    `{"eventID": "not-json", ${PARTS.ansi}${PARTS.bidi}${PARTS.controls}`,
    JSON.stringify({ eventID: HOSTILE.repeat(2), eventTime: at(0), eventName: 'AssumeRole' }),
  ];
  const records = [...hostileRecords(HOSTILE, 'short'), ...hostileRecords(BIG, 'big')];
  const byId = rawById(records);
  let dir: string;
  let file: string;
  let config: string;

  beforeAll(() => {
    // Given a JSON Lines file, named by the attacker too, holding the hostile records and the bad lines
    dir = mkdtempSync(join(tmpdir(), 'arw-hostile-'));
    file = join(dir, `trail-${PARTS.ansi.replace(/\u0000/g, '')}${PARTS.bidi}.jsonl`);
    writeFileSync(file, `${[...records.map((r) => JSON.stringify(r)), ...rejectedLines].join('\n')}\n`);
    config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ ...CASE_BASE_CONFIG, sessionNamePattern: 'ar-sync-[0-9]+', failedAssumeMaxCalls: 2 }));
  });

  async function cli(args: string[], errIsTty = false): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const io: Io = { out: (t) => void (out += t), err: (t) => void (err += t), errIsTty };
    const code = await main(args, io);
    return { code, out, err };
  }

  /** Our own progress line (only on a terminal) is the one escape sequence we write on purpose. */
  const withoutProgress = (text: string): string => text.replaceAll('\r\u001b[K', '');

  it.each([
    ['table', [] as string[], false],
    ['table with progress on a terminal', [] as string[], true],
    ['--json', ['--json'], false],
  ])('writes no raw control, escape, bidi or invisible character in the %s output or the stderr summary', async (_name, extra, tty) => {
    // When replayed
    const { code, out, err } = await cli(['replay', file, '--config', config, ...extra], tty);
    // Then it alerted, and neither stream holds anything a terminal would act on
    expect(code).toBe(1);
    expect(out).not.toMatch(UNSAFE_TEXT);
    expect(withoutProgress(err)).not.toMatch(UNSAFE_TEXT);
    // … the rejections are reported, quoting the attacker's text escaped
    expect(err).toContain(`rejected ${rejectedLines.length}`);
    expect(err).toMatch(/rejected 1× eventTime: "evil\\nBcc: .*" is not an ISO 8601 time at .*trail-\\u001b\[31mRED/);
    expect(err).toMatch(/rejected 1× not JSON: .* at .*:\d+/);
    expect(err).toContain('\\u202e');
  });

  it('prints --json lines that parse back to the attacker\'s strings exactly', async () => {
    // When replayed as JSON Lines
    const { out } = await cli(['replay', file, '--config', config, '--json']);
    // Then each line is JSON holding the strings of the record it names, uncut
    const lines = out.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(14);
    for (const line of lines) {
      const record = JSON.parse(line) as SnsAlertRecord;
      expectSameStrings(record, byId.get(record.eventIds[0]!)!, false);
      expect(line).not.toContain(SECRET);
    }
  });

  it('escapes an unreadable path named with escape sequences', async () => {
    // When a path that does not exist, with escapes in its name, is given
    const { code, err } = await cli(['replay', join(dir, `missing-${PARTS.ansi.replace(/\u0000/g, '')}.json`), '--config', config]);
    // Then it is reported escaped, and the exit code says so
    expect(code).toBe(2);
    expect(err).toContain('unreadable: ');
    expect(err).not.toMatch(UNSAFE_TEXT);
  });
});

describe('hostile strings on DynamoDB Local', () => {
  const client = testClient();
  afterAll(() => client.destroy());

  /** The handler on a fresh table, the batch delivered once. */
  async function onDynamo(records: readonly Json[]): Promise<{ failed: string[]; alertIds: string[]; table: string }> {
    const table = await freshTable(client);
    const sns = new FakeSns();
    const deps = { ...dynamoDependencies(client, table, sns, new TestClock(T0 + 3_600_000)), config: CONFIG };
    const { response } = await handleBatch(sqsEvent(records), deps, 'hostile');
    return { failed: response.batchItemFailures.map((f) => f.itemIdentifier), alertIds: sns.alertIds().sort(), table };
  }

  it('stores hostile strings, alerts as in memory, and keeps external IDs out of the table', async () => {
    // Given the hostile records and the alerts the in-memory handler sends for them
    const records = hostileRecords(HOSTILE, 'short');
    const inMemory = await throughHandler(records);
    const expected = inMemory.entries.map((e) => (JSON.parse(JSON.parse(e.Message!).default) as SnsAlertRecord).alertId).sort();
    // When the handler runs on a DynamoDB table
    const { failed, alertIds, table } = await onDynamo(records);
    // Then no message fails, the same alerts go out, and no external ID is stored
    expect(failed).toEqual([]);
    expect(alertIds).toEqual(expected);
    expect(JSON.stringify(await scanAll(client, table))).not.toContain(SECRET);
  }, 60_000);

  // The alert ledger keeps each alert's JSON for a re-send after a crash; JSON escapes a control
  // character in six bytes, so 64 KiB of them in the user agent and the source address would
  // make the item larger than DynamoDB's 400 KB, fail the reservation and with it the batch.
  it('alerts on a call with a 64 KiB user agent and source address of control characters, and on the rest of its batch', async () => {
    // Given a person's call beside one whose user agent and source address are 64 KiB of ESC
    const plain = intoOutbound({ time: at(0), caller: iamUser('alice') });
    const padded = intoOutbound({ time: at(1), caller: iamUser('mallory'), userAgent: '\u001b'.repeat(65_536), sourceIp: '\u001b'.repeat(65_536) });
    const inMemory = await throughHandler([plain, padded]);
    const expected = inMemory.entries.map((e) => (JSON.parse(JSON.parse(e.Message!).default) as SnsAlertRecord).alertId).sort();
    expect(expected.length).toBeGreaterThanOrEqual(2);
    // When the batch is handled on DynamoDB
    const { failed, alertIds } = await onDynamo([plain, padded]);
    // Then nothing is retried and both alert
    expect(failed).toEqual([]);
    expect(alertIds).toEqual(expected);
  }, 60_000);
});
