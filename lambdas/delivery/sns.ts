/**
 * Alert delivery through SNS: one message per alert, published with PublishBatch (10 entries and
 * 256 KiB a call), rendered per protocol with `MessageStructure: 'json'`: the alert JSON for
 * queues, Lambda and HTTPS (`default`), readable text for e-mail (`email`).
 *
 * Attackers choose many strings in an alert. The JSON keeps them exactly (JSON escapes them);
 * the e-mail text shows them through {@link printable}; the Subject is reduced to printable ASCII.
 * An alert too large for SNS is cut down, never refused: evidence lists and long strings are
 * shortened step by step and the message says it was (`"truncated": true`).
 */
import type { MessageAttributeValue, PublishBatchRequestEntry, SNSClient } from '@aws-sdk/client-sns';
import type { Alert } from '../engine/engine';
import { printable, toRecord, type AlertRecord } from './format';

/** SNS's default limit on one message and on one PublishBatch call: body plus attributes, in bytes. */
export const SNS_MAX_MESSAGE_BYTES = 262_144;
/** PublishBatch takes at most this many entries. */
export const SNS_MAX_BATCH_ENTRIES = 10;
/** SNS: "Subjects must be … less than 100 characters long". */
export const SUBJECT_MAX_LENGTH = 99;
/** PublishBatch entry Ids: alphanumeric, `-` and `_`, at most 80 characters. */
const ENTRY_ID_MAX_LENGTH = 80;
/** An IAM ARN is at most 2048 characters; longer attribute values are cut. */
const ATTRIBUTE_MAX_LENGTH = 2048;

/** An alert SNS accepted. */
export interface AcceptedAlert {
  readonly alertId: string;
  /** SNS's message ID; null from publishers that have none. */
  readonly messageId: string | null;
  /** The message was shortened to fit the size limit. */
  readonly truncated: boolean;
}

/** An alert SNS did not accept, with SNS's reason. */
export interface FailedAlert {
  readonly alertId: string;
  readonly code: string;
  readonly message: string;
  /** SNS blames the request (retrying the same message will not help). */
  readonly senderFault: boolean;
}

/** What became of each alert given to {@link AlertPublisher.publish}; each alertId appears once. */
export interface PublishResult {
  readonly accepted: readonly AcceptedAlert[];
  readonly failed: readonly FailedAlert[];
}

/** Delivers alerts. Per-alert failures are reported in the result; only a failed call throws. */
export interface AlertPublisher {
  publish(alerts: readonly Alert[]): Promise<PublishResult>;
}

/** A link to one CloudTrail event in the console's event history. */
export interface ConsoleLink {
  readonly eventId: string;
  readonly url: string;
}

/** The `default` (JSON) message: the flat alert record plus identity, console links and a truncation marker. */
export interface SnsAlertRecord extends AlertRecord {
  readonly alertId: string;
  /** One link per entry of `eventIds`, in the same order. */
  readonly consoleLinks: readonly ConsoleLink[];
  /** Evidence was shortened to fit the SNS size limit; the CloudTrail events hold the rest. */
  readonly truncated: boolean;
}

/** One alert rendered for SNS, before it is given a batch entry Id. */
export interface RenderedAlert {
  readonly alertId: string;
  readonly subject: string;
  /** `{"default": <alert JSON>, "email": <text>}` as a string. */
  readonly message: string;
  readonly attributes: Readonly<Record<string, MessageAttributeValue>>;
  /** Size as SNS counts it: message, subject and every attribute's name, type and value, in UTF-8 bytes. */
  readonly bytes: number;
  readonly truncated: boolean;
}

/** Options of {@link SnsPublisher}. */
export interface SnsPublisherOptions {
  /** The topic's `MaximumMessageSize` (per message and per batch call). @default 262144 */
  readonly maxMessageBytes?: number;
}

/** A PublishBatch call failed as a whole; `partial` tells what the other calls of the same publish achieved. */
export class AlertPublishError extends Error {
  constructor(
    message: string,
    readonly partial: PublishResult,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AlertPublishError';
  }
}

/** Publishes alerts to an SNS topic with PublishBatch. */
/** The SNS client module, loaded when first needed rather than at the cold start. */
export function snsModule(): typeof import('@aws-sdk/client-sns') {
  return require('@aws-sdk/client-sns') as typeof import('@aws-sdk/client-sns');
}

export class SnsPublisher implements AlertPublisher {
  private readonly maxBytes: number;

  constructor(
    /** The client, or how to make it at the first publish (most Lambda instances never publish). */
    private client: SNSClient | (() => SNSClient),
    private readonly topicArn: string,
    options: SnsPublisherOptions = {},
  ) {
    this.maxBytes = options.maxMessageBytes ?? SNS_MAX_MESSAGE_BYTES;
  }

  /**
   * Publishes each alert once (a repeated alertId is sent once), in calls of at most 10 entries
   * and `maxMessageBytes`, made in parallel. Entries SNS refuses are reported in `failed`; if any
   * call fails as a whole, throws {@link AlertPublishError} once every call has finished.
   */
  async publish(alerts: readonly Alert[]): Promise<PublishResult> {
    const accepted: AcceptedAlert[] = [];
    const failed: FailedAlert[] = [];
    const rendered: RenderedAlert[] = [];
    const seen = new Set<string>();
    for (const alert of alerts) {
      if (seen.has(alert.alertId)) continue;
      seen.add(alert.alertId);
      const r = renderAlert(alert, this.maxBytes);
      if (r.bytes > this.maxBytes) {
        failed.push({ alertId: r.alertId, code: 'MessageTooLarge', message: `${r.bytes} bytes after truncation; the limit is ${this.maxBytes}`, senderFault: true });
      } else {
        rendered.push(r);
      }
    }
    const batches = packBatches(rendered, this.maxBytes);
    const outcomes = await Promise.allSettled(batches.map((batch) => this.send(batch)));
    const errors: unknown[] = [];
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected') {
        errors.push(outcome.reason);
        continue;
      }
      accepted.push(...outcome.value.accepted);
      failed.push(...outcome.value.failed);
    }
    if (errors.length > 0) {
      const first = errors[0];
      const reason = first instanceof Error ? `${first.name}: ${first.message}` : String(first);
      throw new AlertPublishError(`${errors.length} of ${batches.length} PublishBatch calls failed (${reason})`, { accepted, failed }, { cause: first });
    }
    return { accepted, failed };
  }

  private async send(batch: readonly RenderedAlert[]): Promise<PublishResult> {
    const byId = new Map<string, RenderedAlert>();
    const entries: PublishBatchRequestEntry[] = batch.map((r) => {
      const id = uniqueEntryId(r.alertId, byId);
      byId.set(id, r);
      return { Id: id, Message: r.message, MessageStructure: 'json', Subject: r.subject, MessageAttributes: { ...r.attributes } };
    });
    if (typeof this.client === 'function') this.client = this.client();
    const { PublishBatchCommand } = snsModule();
    const response = await this.client.send(new PublishBatchCommand({ TopicArn: this.topicArn, PublishBatchRequestEntries: entries }));
    const accepted: AcceptedAlert[] = [];
    const failed: FailedAlert[] = [];
    const answered = new Set<string>();
    for (const s of response.Successful ?? []) {
      const r = s.Id === undefined ? undefined : byId.get(s.Id);
      if (!r || answered.has(s.Id!)) continue;
      answered.add(s.Id!);
      accepted.push({ alertId: r.alertId, messageId: s.MessageId ?? null, truncated: r.truncated });
    }
    for (const f of response.Failed ?? []) {
      const r = f.Id === undefined ? undefined : byId.get(f.Id);
      if (!r || answered.has(f.Id!)) continue;
      answered.add(f.Id!);
      failed.push({ alertId: r.alertId, code: f.Code ?? 'Unknown', message: f.Message ?? '', senderFault: f.SenderFault ?? false });
    }
    // An entry the response does not mention was not confirmed: report it, so it is retried.
    for (const [id, r] of byId) {
      if (!answered.has(id)) failed.push({ alertId: r.alertId, code: 'MissingFromResponse', message: 'PublishBatch answered neither success nor failure for this entry', senderFault: false });
    }
    return { accepted, failed };
  }
}

/** Keeps alerts in memory instead of publishing them; for replay and tests. */
export class MemoryPublisher implements AlertPublisher {
  /** Every alert given to {@link publish}, in order (repeats included). */
  readonly alerts: Alert[] = [];

  /** @param fail decides which alerts to refuse, and why (none by default). */
  constructor(private readonly fail: (alert: Alert) => { code: string; message: string } | null = () => null) {}

  async publish(alerts: readonly Alert[]): Promise<PublishResult> {
    this.alerts.push(...alerts);
    const accepted: AcceptedAlert[] = [];
    const failed: FailedAlert[] = [];
    const seen = new Set<string>();
    for (const alert of alerts) {
      if (seen.has(alert.alertId)) continue;
      seen.add(alert.alertId);
      const refusal = this.fail(alert);
      if (refusal) failed.push({ alertId: alert.alertId, ...refusal, senderFault: false });
      else accepted.push({ alertId: alert.alertId, messageId: null, truncated: false });
    }
    return { accepted, failed };
  }
}

// ---- rendering ---------------------------------------------------------------------------------

/** How far evidence is shortened: longest string, items per list, detail keys. */
interface Limits {
  readonly text: number;
  readonly items: number;
  readonly keys: number;
}

/** Tried in order until the message fits; the first keeps everything. */
const LEVELS: readonly Limits[] = [
  { text: Infinity, items: Infinity, keys: Infinity },
  { text: 16_384, items: 100, keys: 100 },
  { text: 4_096, items: 20, keys: 50 },
  { text: 1_024, items: 10, keys: 20 },
  { text: 256, items: 3, keys: 10 },
  { text: 64, items: 1, keys: 0 },
];

/**
 * Renders an alert for SNS, shortening its evidence as little as needed to fit `maxBytes`.
 * If even the shortest form does not fit, returns it anyway (`bytes > maxBytes`).
 */
export function renderAlert(alert: Alert, maxBytes = SNS_MAX_MESSAGE_BYTES): RenderedAlert {
  let last: RenderedAlert | undefined;
  for (const [level, limits] of LEVELS.entries()) {
    const truncated = level > 0;
    const shown = truncated ? shorten(alert, limits) : alert;
    const message = JSON.stringify({ default: JSON.stringify(toSnsRecord(shown, truncated)), email: toEmailText(shown, truncated) });
    const subject = toSubject(alert);
    const attributes = messageAttributes(alert);
    last = { alertId: alert.alertId, subject, message, attributes, bytes: messageBytes(message, subject, attributes), truncated };
    if (last.bytes <= maxBytes) return last;
  }
  return last!;
}

/** The `default` JSON record of an alert. */
export function toSnsRecord(alert: Alert, truncated = false): SnsAlertRecord {
  const { schemaVersion, ...rest } = toRecord(alert);
  return {
    schemaVersion,
    alertId: alert.alertId,
    ...rest,
    consoleLinks: alert.evidence.eventIds.map((eventId) => ({ eventId, url: consoleEventUrl(alert.evidence.awsRegion, eventId) })),
    truncated,
  };
}

const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/**
 * The CloudTrail console's view of one event:
 * `https://<region>.console.aws.amazon.com/cloudtrail/home?region=<region>#/events/<eventId>`.
 * The event ID is URL-encoded; a region that is not a region name is left out of the host name.
 */
export function consoleEventUrl(region: string, eventId: string): string {
  const id = encodeURIComponent(wellFormed(eventId));
  if (REGION.test(region)) return `https://${region}.console.aws.amazon.com/cloudtrail/home?region=${region}#/events/${id}`;
  return `https://console.aws.amazon.com/cloudtrail/home?region=${encodeURIComponent(wellFormed(region))}#/events/${id}`;
}

/**
 * The e-mail subject: `[SEVERITY] detector: title`, printable ASCII only, one line, at most
 * {@link SUBJECT_MAX_LENGTH} characters (cut with `...`). SNS refuses subjects with line breaks or
 * control characters, and older API references require ASCII starting with a letter, digit or
 * punctuation mark; this meets both.
 */
export function toSubject(alert: Alert): string {
  const ascii = `[${alert.severity.toUpperCase()}] ${alert.detector}: ${alert.title}`
    .replace(/[\s\u0085]+/g, ' ')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '') // accents split off by NFKD: "é" → "e"
    .replace(/[^\x20-\x7e]/g, '?')
    .replace(/ {2,}/g, ' ')
    .trim();
  const cut = ascii.length > SUBJECT_MAX_LENGTH ? `${ascii.slice(0, SUBJECT_MAX_LENGTH - 3).trimEnd()}...` : ascii;
  return /^[\x21-\x7e]/.test(cut) ? cut : 'Alert';
}

/** Attributes for subscription filter policies: severity, detector, roleArn (when known), alertId. */
function messageAttributes(alert: Alert): Record<string, MessageAttributeValue> {
  const attributes: Record<string, MessageAttributeValue> = {
    severity: stringAttribute(alert.severity),
    detector: stringAttribute(alert.detector),
    alertId: stringAttribute(alert.alertId),
  };
  const role = alert.evidence.roleArn === null ? '' : attributeText(alert.evidence.roleArn);
  if (role !== '') attributes.roleArn = stringAttribute(role);
  return attributes;
}

function stringAttribute(value: string): MessageAttributeValue {
  return { DataType: 'String', StringValue: attributeText(value) };
}

/** Attribute values take the same characters as the body (XML characters, valid UTF-16). */
function attributeText(value: string): string {
  const clean = value.replace(/[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/gu, '\ufffd');
  return clean.length > ATTRIBUTE_MAX_LENGTH ? cutText(clean, ATTRIBUTE_MAX_LENGTH) : clean;
}

/** Bytes SNS counts against the limit: the message, the subject, and each attribute's name, type and value. */
function messageBytes(message: string, subject: string, attributes: Readonly<Record<string, MessageAttributeValue>>): number {
  let bytes = Buffer.byteLength(message, 'utf8') + Buffer.byteLength(subject, 'utf8');
  for (const [name, value] of Object.entries(attributes)) {
    bytes += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(value.DataType ?? '', 'utf8') + Buffer.byteLength(value.StringValue ?? '', 'utf8');
  }
  return bytes;
}

/** Groups rendered alerts into calls of at most 10 entries and `maxBytes` in total, in order. */
function packBatches(rendered: readonly RenderedAlert[], maxBytes: number): RenderedAlert[][] {
  const batches: RenderedAlert[][] = [];
  let current: RenderedAlert[] = [];
  let bytes = 0;
  for (const r of rendered) {
    if (current.length > 0 && (current.length === SNS_MAX_BATCH_ENTRIES || bytes + r.bytes > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(r);
    bytes += r.bytes;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

/** A batch entry Id from the alertId (hex normally), made valid and unique within the call. */
function uniqueEntryId(alertId: string, taken: ReadonlyMap<string, unknown>): string {
  const base = alertId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, ENTRY_ID_MAX_LENGTH) || 'alert';
  if (!taken.has(base)) return base;
  for (let n = 2; ; n += 1) {
    const suffix = `-${n}`;
    const id = `${base.slice(0, ENTRY_ID_MAX_LENGTH - suffix.length)}${suffix}`;
    if (!taken.has(id)) return id;
  }
}

/** A copy of the alert with long strings cut and lists shortened to the limits. */
function shorten(alert: Alert, limits: Limits): Alert {
  const e = alert.evidence;
  const t = (s: string): string => cutText(s, limits.text);
  const n = (s: string | null): string | null => (s === null ? null : t(s));
  const details: Record<string, Alert['evidence']['details'][string]> = {};
  for (const [key, value] of Object.entries(e.details).slice(0, limits.keys)) {
    details[cutText(key, 64)] = typeof value === 'string' ? t(value) : Array.isArray(value) ? value.slice(0, limits.items).map(t) : value;
  }
  return {
    ...alert,
    title: t(alert.title),
    cause: t(alert.cause),
    runbook: cutText(alert.runbook, Math.max(limits.text, 1_024)),
    dedupKey: t(alert.dedupKey),
    evidence: {
      ...e,
      eventIds: e.eventIds.slice(0, limits.items).map(t),
      eventTimes: e.eventTimes.slice(0, limits.items).map(t),
      eventName: t(e.eventName),
      principalArn: n(e.principalArn),
      principalType: t(e.principalType),
      roleArn: n(e.roleArn),
      targetAccountId: n(e.targetAccountId),
      sourceIp: n(e.sourceIp),
      userAgent: n(e.userAgent),
      sessionKey: n(e.sessionKey),
      awsRegion: t(e.awsRegion),
      details,
    },
  };
}

/** Cuts a string to `max` characters with a trailing `…`, never between a surrogate pair. */
function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - 1);
  const code = text.charCodeAt(end - 1);
  if (end > 0 && code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/** Lone surrogates replaced by U+FFFD, so the text can be URL-encoded. */
function wellFormed(text: string): string {
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

/** The e-mail body: plain text, every attacker-chosen string through {@link printable}. */
export function toEmailText(alert: Alert, truncated = false): string {
  const e = alert.evidence;
  const times = [...e.eventTimes].sort();
  const when = times.length === 0 ? '-' : times.length === 1 || times[0] === times[times.length - 1] ? printable(times[0]!, 40) : `${printable(times[0]!, 40)} to ${printable(times[times.length - 1]!, 40)}`;
  const lines: (string | null)[] = [
    printable(alert.title, 200),
    '',
    `Severity:    ${printable(alert.severity.toUpperCase(), 16)}`,
    `Detector:    ${printable(alert.detector, 64)}`,
    `Cause:       ${printable(alert.cause, 1_024)}`,
    '',
    `Who:         ${printable(e.principalArn ?? '(no ARN in the record)')} (${printable(e.principalType, 64)})`,
    e.sessionKey ? `Session key: ${printable(e.sessionKey, 128)}` : null,
    e.userAgent ? `User agent:  ${printable(e.userAgent)}` : null,
    `What:        ${printable(e.eventName, 64)}${e.roleArn ? ` ${printable(e.roleArn)}` : ''}${e.targetAccountId ? ` (account ${printable(e.targetAccountId, 32)})` : ''}`,
    `Where:       from ${printable(e.sourceIp ?? '-', 128)} in ${printable(e.awsRegion, 40)}`,
    `When:        ${when}${alert.occurrences > 1 ? ` (${alert.occurrences} findings)` : ''}`,
    '',
    `Events (${e.eventIds.length}):`,
    ...e.eventIds.flatMap((id) => [`  ${printable(id, 128)}`, `    ${consoleEventUrl(e.awsRegion, id)}`]),
  ];
  const details = Object.entries(e.details);
  if (details.length > 0) {
    lines.push('', 'Details:');
    for (const [key, value] of details) {
      const text = Array.isArray(value) ? value.map((v) => printable(v, 256)).join(', ') : printable(String(value));
      lines.push(`  ${printable(key, 64)}: ${printable(text, 2_048)}`);
    }
  }
  lines.push('', `Runbook:     ${printable(alert.runbook, 4_096)}`);
  if (truncated) lines.push('', 'Note: this alert was truncated to fit the SNS message size limit; the CloudTrail events above hold the full evidence.');
  lines.push('', '--', `alertId: ${printable(alert.alertId, 128)}`);
  return lines.filter((l): l is string => l !== null).join('\n');
}
