/**
 * Alert delivery through SNS: one message per alert, published with PublishBatch (10 entries and
 * 256 KiB a call), rendered per protocol with `MessageStructure: 'json'`: the alert JSON for
 * queues, Lambda and HTTPS (`default`, {@link toSnsRecord}), readable text for e-mail (`email`,
 * from `email.ts`).
 *
 * Attackers choose many strings in an alert; the JSON keeps them exactly (JSON escapes them, and
 * {@link terminalJson} also the separators, look-alike spaces and bidi characters it leaves raw).
 * An alert too large for SNS is cut down, never refused: evidence lists and long strings are
 * shortened step by step and the message says it was (`"truncated": true`).
 */
import type { MessageAttributeValue, PublishBatchRequestEntry, SNSClient } from '@aws-sdk/client-sns';
import type { Alert } from '../engine/alerts';
import { toEmailText, toSubject } from './email';
import { consoleEventUrl, terminalJson, toRecord, type AlertRecord } from './format';
import { AlertPublishError, type AcceptedAlert, type AlertPublisher, type FailedAlert, type PublishResult } from './publisher';

/** SNS's default limit on one message and on one PublishBatch call: body plus attributes, in bytes. */
export const SNS_MAX_MESSAGE_BYTES = 262_144;
/** PublishBatch takes at most this many entries. */
const SNS_MAX_BATCH_ENTRIES = 10;
/** PublishBatch entry Ids: alphanumeric, `-` and `_`, at most 80 characters. */
const ENTRY_ID_MAX_LENGTH = 80;
/** An IAM ARN is at most 2048 characters; longer attribute values are cut. */
const ATTRIBUTE_MAX_LENGTH = 2048;

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

/** The SNS client module, loaded when first needed rather than at the cold start. */
export function snsModule(): typeof import('@aws-sdk/client-sns') {
  return require('@aws-sdk/client-sns') as typeof import('@aws-sdk/client-sns');
}

/** Publishes alerts to an SNS topic with PublishBatch. */
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
    const message = JSON.stringify({ default: terminalJson(toSnsRecord(shown, truncated)), email: toEmailText(shown, truncated) });
    const subject = toSubject(alert);
    const attributes = messageAttributes(alert);
    last = { alertId: alert.alertId, subject, message, attributes, bytes: messageBytes(message, subject, attributes), truncated };
    if (last.bytes <= maxBytes) return last;
  }
  return last!;
}

/** The `default` JSON record of an alert. */
function toSnsRecord(alert: Alert, truncated = false): SnsAlertRecord {
  const { schemaVersion, ...rest } = toRecord(alert);
  return {
    schemaVersion,
    alertId: alert.alertId,
    ...rest,
    consoleLinks: alert.evidence.eventIds.map((eventId) => ({ eventId, url: consoleEventUrl(alert.evidence.awsRegion, eventId) })),
    truncated,
  };
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
