/**
 * Attacker text never reads as ours: every detector that names something from a record (role
 * and session names, principals, user agents, event and service names, error codes, regions,
 * source text, VPC endpoint IDs, policy ARNs) fires on records carrying a hostile string in each
 * such field, and every rendering of the alerts (title and cause, replay's text and JSON, the
 * e-mail, the SNS Subject and message) shows that string quoted and escaped: never bare, never
 * raw, never at the start of a line.
 */
import { loadConfig } from '../lambdas/core/config';
import { parseRecord } from '../lambdas/core/parse';
import type { Finding, ParsedCall } from '../lambdas/core/types';
import { toEmailText, toSubject } from '../lambdas/delivery/email';
import { terminalJson, toRecord, toText } from '../lambdas/delivery/format';
import { renderAlert } from '../lambdas/delivery/sns-publisher';
import type { Alert } from '../lambdas/engine/alerts';
import { MemoryLedger } from '../lambdas/state/memory-ledger';
import { MemoryStore } from '../lambdas/state/memory-store';
import { CASE_BASE_CONFIG } from './detectors/cases';
import { ADDRESSES, assumeRole, CUSTOMERS, iamUser, intoOutbound, outboundSession, outToCustomer, roleSession, sessionCall, type Json } from './support/case-records';
import { processBatch } from './support/engine';
import { UNSAFE_TEXT } from './support/fuzz';

/** A marker no text of ours holds: wherever it shows, the attacker's string is there. */
const MARK = 'ZQX';
/**
 * What an attacker would put in a field to pass for our text: a fake severity line after a line
 * break and look-alike spaces, a Slack broadcast and a mention, a link, a quote of our own and a
 * backslash (to end our quote early), bidi overrides, separators and a byte-order mark.
 */
const HOSTILE = `\u00a0${MARK} Severity:\u2003LOW\n<!channel> https://evil.example/${MARK} "${MARK}\\" \u202e\u2028\ufeff\u2066\u3000\u200a<@U0${MARK}> *${MARK}*`;
/** The invisible, look-alike and bidi characters of {@link HOSTILE}: no rendering may hold them raw. */
const RAW_CHARS = /[\u00a0\u2003\u202e\u2028\ufeff\u2066\u3000\u200a]/u;
/** Its markup, link and line break: no prose (title, cause, a text or e-mail line) may hold them raw. */
const RAW_MARKUP = /[\n<>]|https:\/\//;
/** Our own links to the CloudTrail console, the one `https://` our renderings write. */
const CONSOLE_LINK = /https:\/\/([a-z0-9-]+\.)?console\.aws\.amazon\.com\/cloudtrail\/home\?\S*/g;

const T0 = Date.parse('2024-08-01T10:00:00Z');
const at = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString().replace('.000Z', 'Z');
const HOSTILE_ROLE = `arn:aws:iam::210987654321:role/outbound-${HOSTILE}`;
const CONFIG = loadConfig({
  ...CASE_BASE_CONFIG,
  sessionNamePattern: 'ar-sync-[0-9]+',
  volumeMaxCalls: 1,
  failedAssumeMaxCalls: 3,
  failedAssumeDailyMaxCalls: 1,
  maxSessionDurationSeconds: 3600,
  allowedSessionPolicyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
  roleRegions: { 'arn:aws:iam::210987654321:role/outbound-*': 'eu-west-1' },
});

/** A record with request parameters added (managed session policies). */
function withRequest(record: Json, parameters: Json): Json {
  return { ...record, requestParameters: { ...(record.requestParameters as Json), ...parameters } };
}

/** Records that make every detector fire with {@link HOSTILE} in each field it names. */
function hostileRecords(): Json[] {
  const located = outboundSession(`loc-${HOSTILE}`);
  const prober = (i: number): Json => outboundSession(`probe-${i}-${HOSTILE}`, {}, HOSTILE_ROLE);
  return [
    // human-principal, source-ip (neither an address nor a service), region, session-request (in): a hostile user, agent, role, address and region
    intoOutbound({ time: at(0), caller: iamUser(`mallory${HOSTILE}`), roleArn: HOSTILE_ROLE, userAgent: `aws-cli/2.17.20${HOSTILE}`, sourceIp: HOSTILE, region: HOSTILE, durationSeconds: 43_200 }),
    // human-principal, denied with a hostile error code
    intoOutbound({ time: at(1), caller: iamUser(`eve${HOSTILE}`), error: { code: `AccessDenied${HOSTILE}`, keepRequest: true } }),
    // unexpected-caller: a hostile role's session, and a principal of a hostile type and account with no ARN
    intoOutbound({ time: at(2), caller: roleSession(`arn:aws:iam::210987654321:role/other-${HOSTILE}`, `sess-${HOSTILE}`), userAgent: `aws-sdk-js/3 ${HOSTILE}` }),
    intoOutbound({ time: at(3), caller: { type: `Weird${HOSTILE}`, accountId: `12${HOSTILE}`, principalId: HOSTILE } }),
    // session-name, target-role (a pivot name under a hostile path), session-request (out, with a hostile managed policy)
    withRequest(
      outToCustomer({ time: at(4), caller: outboundSession(`backend-${HOSTILE}`), roleArn: `arn:aws:iam::${CUSTOMERS.acme}:role/${HOSTILE}/OrganizationAccountAccessRole`, sessionName: `${HOSTILE}@evil.example`, durationSeconds: 7200 }),
      { policyArns: [{ arn: `arn:aws:iam::aws:policy/${HOSTILE}` }] },
    ),
    // target-role, denied with a hostile error code
    outToCustomer({ time: at(5), roleArn: `arn:aws:iam::${CUSTOMERS.acme}:role/AWSControlTowerExecution`, error: { code: `AccessDenied${HOSTILE}`, keepRequest: true } }),
    // external-id: a hostile customer role assumed without an external ID, and with another account's
    outToCustomer({ time: at(6), account: CUSTOMERS.globex, roleArn: `arn:aws:iam::${CUSTOMERS.globex}:role/vendor-${HOSTILE}`, noExternalId: true }),
    outToCustomer({ time: at(7), account: CUSTOMERS.initech, roleArn: `arn:aws:iam::${CUSTOMERS.initech}:role/vendor-${HOSTILE}`, externalId: 'vnd-acme-shared' }),
    outToCustomer({ time: at(8), account: CUSTOMERS.umbrella, roleArn: `arn:aws:iam::${CUSTOMERS.umbrella}:role/vendor-${HOSTILE}`, externalId: 'vnd-acme-shared' }),
    // call-volume: a burst by a hostile monitored role
    outToCustomer({ time: at(9), caller: outboundSession('burst-1', {}, HOSTILE_ROLE) }),
    outToCustomer({ time: at(10), caller: outboundSession('burst-2', {}, HOSTILE_ROLE) }),
    // failed-assume: a hostile monitored role's sessions denied, slowly (a day over its limit) then in a burst
    ...[0, 1, 2].map((i) => outToCustomer({ time: at(11 + i), caller: prober(0), account: CUSTOMERS.globex, error: { code: `AccessDenied${HOSTILE}` } })),
    assumeRole({ time: at(14), caller: roleSession(`arn:aws:iam::999988887777:role/prober-${HOSTILE}`, `s-${HOSTILE}`), roleArn: HOSTILE_ROLE, error: { code: 'AccessDenied' }, sourceIp: ADDRESSES.tor }),
    // session-locations, client: a session first at home, then switching client, then used elsewhere with a hostile call
    outToCustomer({ time: at(20), caller: located }),
    sessionCall({ time: at(21), caller: located, userAgent: `${HOSTILE}/1.0` }),
    sessionCall({ time: at(22), caller: located, sourceIp: ADDRESSES.external, eventName: `List${HOSTILE}`, eventSource: `s3${HOSTILE}.amazonaws.com`, userAgent: HOSTILE, region: HOSTILE }),
    // source-ip: a fresh session's first call from outside, and one through a hostile VPC endpoint
    sessionCall({ time: at(23), caller: outboundSession(`fresh-${HOSTILE}`), sourceIp: ADDRESSES.external, eventName: `Get${HOSTILE}` }),
    sessionCall({ time: at(24), caller: outboundSession(`vpc-${HOSTILE}`), sourceIp: ADDRESSES.vpc, extra: { vpcEndpointId: HOSTILE } }),
  ];
}

/** The text outside quoted strings (JSON string literals; one cut short runs to the end). */
function outsideQuotes(text: string): string {
  return text.replace(/"(?:[^"\\]|\\.)*(?:"|$)/gs, '""');
}

/** A piece of our prose (title or cause): the hostile string only inside valid quotes, never raw, never first. */
function expectProse(what: string, text: string): void {
  const bare = outsideQuotes(text);
  expect({ what, text, bare: bare.includes(MARK), raw: RAW_CHARS.test(text) || RAW_MARKUP.test(text), first: text.startsWith('"') }).toEqual({ what, text, bare: false, raw: false, first: false });
  for (const literal of text.match(/"(?:[^"\\]|\\.)*"/g) ?? []) expect(() => JSON.parse(literal)).not.toThrow();
}

/** A rendering of many lines: no raw hostile character, and on no line the marker outside quotes (our console links percent-encode what they carry). */
function expectLines(what: string, text: string): void {
  const ours = text.replace(CONSOLE_LINK, '');
  expect({ what, unsafe: UNSAFE_TEXT.test(text), raw: RAW_CHARS.test(text) || RAW_MARKUP.test(ours.replaceAll('\n', ' ')) }).toEqual({ what, unsafe: false, raw: false });
  for (const line of ours.split('\n')) expect({ what, line, bare: outsideQuotes(line).includes(MARK) }).toEqual({ what, line, bare: false });
}

describe('attacker text in alerts', () => {
  let findings: Finding[];
  let alerts: Alert[];

  beforeAll(async () => {
    // Given records with a hostile string in every field a detector names, each processed as replay does
    const ports = { state: new MemoryStore(), ledger: new MemoryLedger() };
    findings = [];
    alerts = [];
    for (const raw of hostileRecords()) {
      const result = parseRecord(raw);
      if (result.kind !== 'assume-role' && result.kind !== 'session-activity') throw new Error(`record not parsed: ${JSON.stringify(result).slice(0, 200)}`);
      const call: ParsedCall = result;
      const batch = await processBatch([call], ports, CONFIG, { now: () => call.eventTime });
      findings.push(...batch.findings);
      alerts.push(...batch.alerts);
    }
  });

  it('makes every detector fire on them', () => {
    // Then each registered detector found something
    expect([...new Set(findings.map((f) => f.detector))].sort()).toEqual(['call-volume', 'client', 'external-id', 'failed-assume', 'human-principal', 'region', 'session-locations', 'session-name', 'session-request', 'source-ip', 'target-role', 'unexpected-caller']);
  });

  it('quotes and escapes them in every title and cause, which start with our own words', () => {
    for (const f of findings) {
      // Then the hostile string is inside valid quotes only, escaped, and never opens the text
      expectProse(`${f.detector} title`, f.title);
      expectProse(`${f.detector} cause`, f.cause);
    }
  });

  it('shows them quoted and escaped in replay\'s text and JSON, the e-mail, and the SNS Subject and message', () => {
    for (const alert of alerts) {
      // When the alert is rendered every way it is sent or printed
      const text = toText(alert);
      const email = toEmailText(alert);
      const subject = toSubject(alert);
      const json = terminalJson(toRecord(alert));
      const sns = renderAlert(alert);
      const message = JSON.parse(sns.message) as { default: string; email: string };
      const record = JSON.parse(message.default) as { title: string; cause: string };
      // Then no line holds the marker outside quotes, and nothing holds a hostile character raw
      expectLines(`${alert.detector} text`, text);
      expectLines(`${alert.detector} e-mail`, email);
      expectLines(`${alert.detector} SNS e-mail`, message.email);
      expectLines(`${alert.detector} Subject`, subject);
      // … and the JSON (replay --json, SNS's default message) holds the values exactly, each a JSON string, with no raw invisible character
      for (const [name, line] of [['replay --json', json], ['SNS default', message.default]]) expect({ name, raw: UNSAFE_TEXT.test(line!) || RAW_CHARS.test(line!) }).toEqual({ name, raw: false });
      expect(sns.subject).toBe(subject);
      expectProse(`${alert.detector} JSON title`, record.title);
      expectProse(`${alert.detector} JSON cause`, record.cause);
    }
  });
});
