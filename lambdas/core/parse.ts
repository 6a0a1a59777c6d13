/**
 * The edge: raw input (CloudTrail log files, records, EventBridge envelopes, SQS bodies, JSON
 * Lines) becomes typed {@link ParsedCall}s or {@link Rejection}s. Nothing here throws on bad
 * input; everything after this module trusts the types.
 */
import { createHash } from 'node:crypto';
import { isoSeconds, parseExpiration, parseIsoTime } from './cloudtrail-time';
import { parseIp } from './ip';
import { durationOf, NO_SESSION_POLICY, policyArnsOf, sessionPolicyOf } from './session-request';
import { envelopeProblem, notAnEvent, type EventOrigin } from './eventbridge-envelope';
import {
  ASSUME_ROLE_EVENT_NAMES,
  MAX_HOST_HEADER_CHARS,
  type AssumeRoleCall,
  type AssumeRoleEventName,
  type ParsedCall,
  type Principal,
  type RecordOrigin,
  type Rejection,
  type SessionActivity,
  type SourceAddress,
} from './types';

/** A well-formed record the engine has no use for (not an AssumeRole, not a role session's call). */
export interface Ignored {
  readonly kind: 'ignored';
  readonly eventId: string;
  readonly eventTime: number;
}

/** What one raw record becomes. */
export type ParseResult = ParsedCall | Ignored | Rejection;

/** What parsing is told beyond the input itself (the parser reads no clock). */
export interface ParseOptions {
  /**
   * The latest `eventTime` a record may have, in epoch milliseconds: the caller's wall clock
   * plus {@link CLOCK_MARGIN_MS} (see {@link notAfterClock}). Later records are rejected.
   * @default no bound
   */
  readonly notAfter?: number;
  /**
   * Where EventBridge events may come from (the Lambda sets it: only EventBridge feeds its
   * queue). With it, every document must be one EventBridge event of a CloudTrail API call from
   * this account and one of these regions; anything else is rejected.
   * @default any accepted container; an EventBridge event's account and region are not checked
   */
  readonly eventOrigin?: EventOrigin;
  /**
   * Read records as a log platform (Logstash, OpenSearch) exports them: a record without
   * `eventTime` is dated by its `@timestamp`, and a search hit (`{"_index", "_source": {…}}`)
   * is read as the record in its `_source`. Replay sets it; the Lambda never does (EventBridge
   * delivers CloudTrail's own records, and a queue message with `@timestamp` is no such record).
   * @default false
   */
  readonly logExport?: boolean;
}

/**
 * The earliest `eventTime` a record may have. CloudTrail's initial release was on 13 November
 * 2013 (the CloudTrail User Guide's document history; the AWS News Blog post "AWS CloudTrail –
 * Capture AWS API Activity" of that day); the start of that month is a round bound with a
 * margin that a user can check against the reason's "(2013-11)". An older
 * time is a broken record (a zero or a lost epoch, 1970) and would set a role's first-seen time
 * years back, ending its learning period at once, so it never reaches the engine.
 */
const CLOUDTRAIL_LAUNCH = Date.UTC(2013, 10, 1);

/**
 * How far a record's `eventTime` may run ahead of the wall clock of the host reading it. Event
 * times come from AWS's synchronised clocks; the reading host's may be off, by hours when its
 * zone is misconfigured (offsets reach 14 hours), so a day covers that while a record dated
 * months or years ahead (which would move the replay clock and every TTL with it) is caught.
 */
export const CLOCK_MARGIN_MS = 86_400_000;

/** The parse options of a reader whose wall clock says `now` (epoch ms): no record later than now plus {@link CLOCK_MARGIN_MS}. */
export function notAfterClock(now: number): ParseOptions {
  return { notAfter: now + CLOCK_MARGIN_MS };
}

type Json = Record<string, unknown>;

const ASSUME_NAMES: ReadonlySet<string> = new Set(ASSUME_ROLE_EVENT_NAMES);
const MAX_ID_LENGTH = 256;
/** How deep arrays of containers may nest (`[[{"Records": …}]]`). */
const MAX_ARRAY_NESTING = 8;

/** Builds a rejection; `origin` says where the record was (file and line). */
function reject(reason: string, origin: RecordOrigin | null = null, eventId: string | null = null): Rejection {
  return { kind: 'rejected', reason, eventId, origin };
}

/** A record found in a container, or the reason a part of the container holds none. */
export type Unwrapped = { readonly record: unknown } | { readonly error: string };

/**
 * Extracts CloudTrail records from any accepted container: a log file (`{"Records":[…]}`),
 * an EventBridge event (`detail`), an array of any of these, or a single record. A value that
 * is none of these gives a rejection reason; in an array, only for that element.
 */
function unwrapRecords(doc: unknown, depth = 0, exported = false): Unwrapped[] {
  if (Array.isArray(doc)) {
    // Arrays of arrays are accepted, but not without end: each level is a stack frame here.
    if (depth >= MAX_ARRAY_NESTING) return [{ error: `arrays nested more than ${MAX_ARRAY_NESTING} deep` }];
    return doc.flatMap((item, i) => unwrapRecords(item, depth + 1, exported).map((u) => ('error' in u ? { error: `[${i}]: ${u.error}` } : u)));
  }
  if (!isObject(doc)) return [{ error: `expected a CloudTrail record, log file or EventBridge event, got ${typeName(doc)}` }];
  if ('Records' in doc) {
    return Array.isArray(doc.Records) ? doc.Records.map((record: unknown) => ({ record })) : [{ error: `Records: expected an array, got ${typeName(doc.Records)}` }];
  }
  if (exported && isObject(doc._source) && '_index' in doc) return unwrapRecords(doc._source, depth, false);
  if ('detail' in doc && ('detail-type' in doc || 'source' in doc)) {
    const problem = envelopeProblem(doc);
    if (problem !== null) return [{ error: problem }];
    return isObject(doc.detail) ? [{ record: doc.detail }] : [{ error: `detail: expected a CloudTrail record, got ${typeName(doc.detail)}` }];
  }
  return [{ record: doc }];
}

/**
 * The record of one EventBridge event from `eventOrigin`, or why the document is not one: a log
 * file, a bare record or an array never reaches a queue that only EventBridge feeds.
 */
function unwrapEvent(doc: unknown, eventOrigin: EventOrigin): Unwrapped {
  const problem = notAnEvent(doc) ?? envelopeProblem(doc as Json, eventOrigin);
  if (problem !== null) return { error: problem };
  const detail = (doc as Json).detail;
  return isObject(detail) ? { record: detail } : { error: `detail: expected a CloudTrail record, got ${typeName(detail)}` };
}

/**
 * Parses a text holding JSON (any container {@link unwrapRecords} accepts) or JSON Lines.
 * `firstLine` numbers the lines for reports when the text is part of a larger file.
 */
export function parseText(text: string, file = '<input>', firstLine = 1, options: ParseOptions = {}): ParseResult[] {
  if (!/\S/.test(text)) return [];
  let doc: unknown;
  let whole = true;
  try {
    doc = JSON.parse(text);
  } catch {
    try {
      // Whitespace JSON does not allow around the document (a byte-order mark, say).
      doc = JSON.parse(text.trim());
    } catch {
      whole = false; // Not one JSON document: try JSON Lines.
    }
  }
  if (whole) return parseDocument(doc, { file, line: firstLine }, options);
  const results: ParseResult[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    results.push(...parseJsonLine(line, { file, line: firstLine + i }, options));
  }
  return results;
}

/** Parses one line of JSON Lines. */
export function parseJsonLine(line: string, origin: RecordOrigin, options: ParseOptions = {}): ParseResult[] {
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch (e) {
    return [reject(`not JSON: ${(e as Error).message}`, origin)];
  }
  return parseDocument(doc, origin, options);
}

/** Parses an already-decoded JSON document (any accepted container; one EventBridge event with `eventOrigin`). */
export function parseDocument(doc: unknown, origin: RecordOrigin | null, options: ParseOptions = {}): ParseResult[] {
  if (options.eventOrigin !== undefined) {
    const unwrapped = unwrapEvent(doc, options.eventOrigin);
    return ['error' in unwrapped ? reject(unwrapped.error, origin) : parseRecord(unwrapped.record, origin, options)];
  }
  return unwrapRecords(doc, 0, options.logExport === true).map((u) => ('error' in u ? reject(u.error, origin) : parseRecord(u.record, origin, options)));
}

/** Parses one CloudTrail record. */
export function parseRecord(raw: unknown, origin: RecordOrigin | null = null, options: ParseOptions = {}): ParseResult {
  if (!isObject(raw)) return reject(`expected a CloudTrail record object, got ${typeName(raw)}`, origin);
  // Checked only where a raw record's fields are missing: it costs CloudTrail's records nothing.
  if (raw.eventID === undefined && raw.eventName === undefined && isElasticCommonSchema(raw)) return reject(ECS_REASON, origin);
  const derive = raw.eventID === undefined && isVersionOne(raw.eventVersion);
  const eventId = derive ? derivedEventId(raw) : raw.eventID;
  if (derive && eventId === null) return reject('eventID: missing, and the eventVersion 1.0 record is nested too deeply to derive one', origin);
  if (typeof eventId !== 'string' || eventId === '') return reject(`eventID: ${missingOrType(eventId, 'a string')}`, origin);
  if (eventId.length > MAX_ID_LENGTH) return reject(`eventID: longer than ${MAX_ID_LENGTH} characters`, origin);
  const at = (reason: string): Rejection => reject(reason, origin, eventId);
  // A log platform's export may carry the time only in `@timestamp` (Logstash's CloudTrail codec moves it there).
  const timeField = raw.eventTime === undefined && options.logExport === true && raw['@timestamp'] !== undefined ? '@timestamp' : 'eventTime';
  const eventTimeText = raw[timeField];
  if (typeof eventTimeText !== 'string') return at(`${timeField}: ${missingOrType(eventTimeText, 'an ISO 8601 string')}`);
  const eventTime = parseIsoTime(eventTimeText);
  if (eventTime === null) return at(`${timeField}: ${JSON.stringify(eventTimeText.slice(0, 40))} is not an ISO 8601 time`);
  // Checked before a record is ignored, so no result of any kind carries such a time. The text
  // is safe to quote bare: it matched the ISO 8601 form.
  if (eventTime < CLOUDTRAIL_LAUNCH) return at(`${timeField}: ${eventTimeText} is before CloudTrail existed (2013-11)`);
  if (options.notAfter !== undefined && eventTime > options.notAfter) return at(`${timeField}: ${eventTimeText} is in the future (after ${isoSeconds(options.notAfter)})`);
  const eventName = raw.eventName;
  if (typeof eventName !== 'string' || eventName === '') return at(`eventName: ${missingOrType(eventName, 'a string')}`);
  const notObject = objectField(raw, 'userIdentity') ?? objectField(raw, 'requestParameters') ?? objectField(raw, 'responseElements');
  if (notObject !== null) return at(notObject);
  for (let i = 0; i < STRING_FIELDS.length; i++) {
    const field = STRING_FIELDS[i]!;
    const v = raw[field];
    if (v !== undefined && v !== null && typeof v !== 'string') return at(`${field}: expected a string, got ${typeName(v)}`);
  }
  const isAssume = ASSUME_NAMES.has(eventName) && (raw.eventSource === undefined || raw.eventSource === 'sts.amazonaws.com');
  const identity = (raw.userIdentity as Json | undefined) ?? {};
  if (!isAssume && identity.type !== 'AssumedRole') return { kind: 'ignored', eventId, eventTime };

  const principal = parsePrincipal(identity, raw);
  // Both kinds are built whole, not spread from a common part: spreading made parsing a
  // record about three times slower (V8 adds spread properties one by one).
  const eventSource = str(raw.eventSource) ?? '';
  const eventVersion = str(raw.eventVersion);
  const awsRegion = str(raw.awsRegion) ?? '';
  const recipientAccountId = str(raw.recipientAccountId);
  const sharedEventId = str(raw.sharedEventID);
  const source = classifySource(str(raw.sourceIPAddress));
  const userAgent = str(raw.userAgent) ?? '';
  const vpcEndpointId = str(raw.vpcEndpointId);
  const hostHeader = hostHeaderOf(raw.tlsDetails);
  const errorCode = str(raw.errorCode);
  const errorMessage = str(raw.errorMessage);
  if (!isAssume) {
    return {
      kind: 'session-activity',
      eventId,
      eventTime,
      eventName,
      eventSource,
      eventVersion,
      awsRegion,
      recipientAccountId,
      sharedEventId,
      source,
      userAgent,
      vpcEndpointId,
      hostHeader,
      principal,
      errorCode,
      errorMessage,
    } satisfies SessionActivity;
  }

  const request = (raw.requestParameters as Json | null | undefined) ?? null;
  const response = (raw.responseElements as Json | null | undefined) ?? null;
  const roleArn = str(request?.roleArn) ?? roleFromResources(raw.resources) ?? roleFromError(errorMessage);
  const credentials = isObject(response?.credentials) ? (response!.credentials as Json) : null;
  const assumedRoleUser = isObject(response?.assumedRoleUser) ? (response!.assumedRoleUser as Json) : null;
  const roleAccountId = roleArn ? accountOf(roleArn) : null;
  const policy = request === null ? NO_SESSION_POLICY : sessionPolicyOf(request.policy, roleAccountId);
  return {
    kind: 'assume-role',
    eventId,
    eventTime,
    eventName: eventName as AssumeRoleEventName,
    eventSource,
    eventVersion,
    awsRegion,
    recipientAccountId,
    sharedEventId,
    source,
    userAgent,
    vpcEndpointId,
    hostHeader,
    principal,
    errorCode,
    errorMessage,
    roleArn,
    roleAccountId,
    roleSessionName: str(request?.roleSessionName),
    externalId: str(request?.externalId),
    requestLogged: request !== null,
    durationSeconds: request === null ? null : durationOf(request.durationSeconds),
    sessionPolicyHash: policy.hash,
    sessionPolicyAllowsAll: policy.allowsAll,
    sessionPolicyArns: request === null ? null : policyArnsOf(request.policyArns),
    issuedAccessKeyId: str(credentials?.accessKeyId),
    issuedSessionArn: str(assumedRoleUser?.arn),
    expiresAt: parseExpiration(credentials?.expiration),
    providerArn: str(request?.principalArn) ?? arnOrNull(str(response?.provider)),
    copy: copyOf(recipientAccountId, principal.accountId, roleAccountId),
  } satisfies AssumeRoleCall;
}

/** Why a document mapped to Elastic Common Schema is refused: its CloudTrail fields were renamed and reshaped. */
export const ECS_REASON = 'mapped to Elastic Common Schema (event.action, cloud.account.id, aws.cloudtrail.*); export the raw CloudTrail records (the trail\'s S3 files, or ECS\'s event.original when it was kept)';

/**
 * A document already mapped to Elastic Common Schema (Elastic's AWS integration, or an ECS
 * pipeline): `ecs.version`, `event.action`, `cloud.account.id` or `aws.cloudtrail.*`, nested or
 * as dotted keys. Raw CloudTrail records have none of these top-level fields.
 */
export function isElasticCommonSchema(doc: Readonly<Record<string, unknown>>): boolean {
  if (isObject(doc.ecs) || (isObject(doc.cloud) && 'account' in doc.cloud) || (isObject(doc.event) && 'action' in doc.event) || (isObject(doc.aws) && isObject(doc.aws.cloudtrail))) return true;
  for (const key in doc) {
    if (key === 'ecs.version' || key === 'event.action' || key === 'cloud.account.id' || key.startsWith('aws.cloudtrail.')) return true;
  }
  return false;
}

/** Fields that must be strings when present. */
const STRING_FIELDS = ['eventSource', 'awsRegion', 'sourceIPAddress', 'userAgent', 'errorCode', 'errorMessage', 'recipientAccountId', 'sharedEventID'] as const;

/** The rejection reason when a field that must be an object (or null) is something else. */
function objectField(raw: Json, field: 'userIdentity' | 'requestParameters' | 'responseElements'): string | null {
  const v = raw[field];
  return v === undefined || v === null || isObject(v) ? null : `${field}: expected an object or null, got ${typeName(v)}`;
}

/** CloudTrail added `eventID` in eventVersion 1.01; older records get one derived from their content. */
function isVersionOne(version: unknown): boolean {
  return version === '1.0' || version === '1.00';
}

/** Null when the record cannot be serialised (JSON.stringify recurses: a nesting bomb overflows the stack). */
function derivedEventId(raw: Json): string | null {
  let text: string;
  try {
    text = JSON.stringify(raw);
  } catch {
    return null;
  }
  return `derived-${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
}

function parsePrincipal(identity: Json, record: Json): Principal {
  const context = isObject(identity.sessionContext) ? (identity.sessionContext as Json) : {};
  const attributes = isObject(context.attributes) ? (context.attributes as Json) : {};
  const issuer = isObject(context.sessionIssuer) ? (context.sessionIssuer as Json) : {};
  const created = str(attributes.creationDate);
  return {
    type: str(identity.type) ?? 'Unknown',
    arn: str(identity.arn),
    accountId: str(identity.accountId),
    principalId: str(identity.principalId),
    accessKeyId: str(identity.accessKeyId),
    userName: str(identity.userName),
    sessionIssuerArn: str(issuer.arn),
    invokedBy: str(identity.invokedBy),
    identityProvider: str(identity.identityProvider),
    mfaAuthenticated: attributes.mfaAuthenticated === 'true' || attributes.mfaAuthenticated === true,
    consoleCredentials: record.sessionCredentialFromConsole === 'true' || record.sessionCredentialFromConsole === true,
    sessionCreatedAt: created ? parseIsoTime(created) : null,
    sourceIdentity: str(context.sourceIdentity) ?? str(identity.sourceIdentity),
  };
}

/**
 * `tlsDetails.clientProvidedHostHeader`, lower-cased (DNS names are case-blind) and cut to a DNS
 * name's length; null when absent or not a string. Never a rejection: older records and many
 * services log no `tlsDetails`.
 */
function hostHeaderOf(tls: unknown): string | null {
  if (!isObject(tls)) return null;
  const host = (tls as Json).clientProvidedHostHeader;
  if (typeof host !== 'string' || host === '') return null;
  return (host.length > MAX_HOST_HEADER_CHARS ? host.slice(0, MAX_HOST_HEADER_CHARS) : host).toLowerCase();
}

/** Classifies `sourceIPAddress`: an IP, an AWS service host name, `AWS Internal`, or invalid. */
export function classifySource(text: string | null): SourceAddress {
  if (text === null || text === '') return { kind: 'missing', text: '' };
  const ip = parseIp(text);
  if (ip) return { kind: 'ip', text, ip };
  if (text === 'AWS Internal') return { kind: 'aws-internal', text };
  if (/^[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com(\.cn)?$/.test(text)) return { kind: 'service', text };
  return { kind: 'invalid', text };
}

const ROLE_IN_ERROR = /\bon resource:\s*(arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+)/;

/** Failed AssumeRole records carry `requestParameters: null`; the role is only in the message. */
function roleFromError(message: string | null): string | null {
  if (!message) return null;
  return ROLE_IN_ERROR.exec(message)?.[1] ?? null;
}

function roleFromResources(resources: unknown): string | null {
  if (!Array.isArray(resources)) return null;
  for (const r of resources) {
    if (isObject(r) && r.type === 'AWS::IAM::Role' && typeof r.ARN === 'string') return r.ARN;
  }
  return null;
}

/** The account ID in an ARN (`arn:partition:service:region:account:resource`). */
export function accountOf(arn: string): string | null {
  let start = -1;
  for (let colons = 0; colons < 4; colons++) {
    start = arn.indexOf(':', start + 1);
    if (start === -1) return null;
  }
  start += 1;
  const end = arn.indexOf(':', start);
  if ((end === -1 ? arn.length : end) - start !== 12) return null;
  for (let i = start; i < start + 12; i++) {
    const c = arn.charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  return arn.slice(start, start + 12);
}

/**
 * Which copy of a cross-account call this is. CloudTrail writes one to the caller's account
 * and one to the role owner's, with the same `sharedEventID`; `recipientAccountId` tells them apart.
 */
function copyOf(recipient: string | null, caller: string | null, owner: string | null): AssumeRoleCall['copy'] {
  if (!recipient || !caller || !owner || caller === owner) return 'single';
  if (recipient === owner) return 'owner';
  if (recipient === caller) return 'caller';
  return 'single';
}

function arnOrNull(text: string | null): string | null {
  return text && text.startsWith('arn:') ? text : null;
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

function missingOrType(v: unknown, expected: string): string {
  return v === undefined || v === '' ? 'missing' : `expected ${expected}, got ${typeName(v)}`;
}
