/**
 * Alert delivery through SNS: one message per alert, published with PublishBatch (10 entries and
 * 256 KiB a call), rendered per protocol with `MessageStructure: 'json'`: the alert JSON for
 * queues, Lambda and HTTPS (`default`, {@link publishedRecord}), readable text for e-mail (`email`,
 * from `email.ts`).
 *
 * Attackers choose many strings in an alert; the JSON keeps them exactly (JSON escapes them, and
 * {@link terminalJson} also the separators, look-alike spaces and bidi characters it leaves raw).
 * An alert too large for SNS is cut down, never refused: evidence lists and long strings are
 * shortened step by step (shorten.ts) and the message says it was (`"truncated": true`).
 */
import type { MessageAttributeValue, PublishBatchRequestEntry, SNSClient } from '@aws-sdk/client-sns';
import type { Alert } from '../engine/alerts';
import { publishedRecord, type ConsoleLink, type PublishedAlertRecord } from './alert-record';
import { packCalls, sendCalls, uniqueAlerts, utf8Bytes } from './calls';
import { toEmailText, toSubject } from './email';
import { terminalJson } from './format';
import type { AcceptedAlert, AlertPublisher, FailedAlert, PublishResult } from './publisher';
import { cutText, renderToFit } from './shorten';

/** SNS's default limit on one message and on one PublishBatch call: body plus attributes, in bytes. */
export const SNS_MAX_MESSAGE_BYTES = 262_144;
/** PublishBatch takes at most this many entries. */
const SNS_MAX_BATCH_ENTRIES = 10;
/** PublishBatch entry Ids: alphanumeric, `-` and `_`, at most 80 characters. */
const ENTRY_ID_MAX_LENGTH = 80;
/** An IAM ARN is at most 2048 characters; longer attribute values are cut. */
const ATTRIBUTE_MAX_LENGTH = 2048;

/** A link to one CloudTrail event (alert-record.ts), re-exported for the SNS message's readers. */
export type { ConsoleLink };

/** The `default` (JSON) message: the published alert record (alert-record.ts), shared with EventBridge. */
export type SnsAlertRecord = PublishedAlertRecord;

/** One alert rendered for SNS, before it is given a batch entry Id. */
export interface RenderedAlert {
  readonly alertId: string;
  /** The e-mail Subject; null for a message no mail subscriber reads (chat). */
  readonly subject: string | null;
  /** `{"default": <alert JSON>, "email": <text>}` as a string, or one text for every protocol (`perProtocol` false). */
  readonly message: string;
  /** The message holds one text per protocol (`MessageStructure: 'json'`). */
  readonly perProtocol: boolean;
  readonly attributes: Readonly<Record<string, MessageAttributeValue>>;
  /** Size as SNS counts it: message, subject and every attribute's name, type and value, in UTF-8 bytes. */
  readonly bytes: number;
  readonly truncated: boolean;
}

/** Options of {@link SnsPublisher}. */
export interface SnsPublisherOptions {
  /** The topic's `MaximumMessageSize` (per message and per batch call). @default 262144 */
  readonly maxMessageBytes?: number;
  /** How an alert becomes a message. @default {@link renderAlert}: the alert record for queues and HTTPS, text for e-mail */
  readonly render?: (alert: Alert, maxBytes: number) => RenderedAlert;
}

/** The SNS client module, loaded when first needed rather than at the cold start. */
export function snsModule(): typeof import('@aws-sdk/client-sns') {
  return require('@aws-sdk/client-sns') as typeof import('@aws-sdk/client-sns');
}

/** Publishes alerts to an SNS topic with PublishBatch. */
export class SnsPublisher implements AlertPublisher {
  private readonly maxBytes: number;
  private readonly render: (alert: Alert, maxBytes: number) => RenderedAlert;

  constructor(
    /** The client, or how to make it at the first publish (most Lambda instances never publish). */
    private client: SNSClient | (() => SNSClient),
    private readonly topicArn: string,
    options: SnsPublisherOptions = {},
  ) {
    this.maxBytes = options.maxMessageBytes ?? SNS_MAX_MESSAGE_BYTES;
    this.render = options.render ?? renderAlert;
  }

  /**
   * Publishes each alert once (a repeated alertId is sent once), in calls of at most 10 entries
   * and `maxMessageBytes`, made in parallel. Entries SNS refuses are reported in `failed`; if any
   * call fails as a whole, throws {@link AlertPublishError} once every call has finished.
   */
  async publish(alerts: readonly Alert[]): Promise<PublishResult> {
    const failed: FailedAlert[] = [];
    const rendered: RenderedAlert[] = [];
    for (const alert of uniqueAlerts(alerts)) {
      const r = this.render(alert, this.maxBytes);
      if (r.bytes > this.maxBytes) {
        failed.push({ alertId: r.alertId, code: 'MessageTooLarge', message: `${r.bytes} bytes after truncation; the limit is ${this.maxBytes}`, senderFault: true });
      } else {
        rendered.push(r);
      }
    }
    const batches = packCalls(rendered, SNS_MAX_BATCH_ENTRIES, this.maxBytes);
    return sendCalls(batches, (batch) => this.send(batch), 'PublishBatch', { accepted: [], failed });
  }

  private async send(batch: readonly RenderedAlert[]): Promise<PublishResult> {
    const byId = new Map<string, RenderedAlert>();
    const entries: PublishBatchRequestEntry[] = batch.map((r) => {
      const id = uniqueEntryId(r.alertId, byId);
      byId.set(id, r);
      return { Id: id, Message: r.message, ...(r.perProtocol ? { MessageStructure: 'json' } : {}), ...(r.subject === null ? {} : { Subject: r.subject }), MessageAttributes: { ...r.attributes } };
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

/**
 * Renders an alert for SNS, shortening its evidence as little as needed to fit `maxBytes`
 * (shorten.ts). If even the shortest form does not fit, returns it anyway (`bytes > maxBytes`).
 */
export function renderAlert(alert: Alert, maxBytes = SNS_MAX_MESSAGE_BYTES): RenderedAlert {
  const subject = toSubject(alert);
  const attributes = messageAttributes(alert);
  return renderToFit(
    alert,
    (shown, truncated): RenderedAlert => {
      const message = JSON.stringify({ default: terminalJson(publishedRecord(shown, truncated)), email: toEmailText(shown, truncated) });
      return { alertId: alert.alertId, subject, message, perProtocol: true, attributes, bytes: messageBytes(message, subject, attributes), truncated };
    },
    (r) => r.bytes <= maxBytes,
  );
}

/** Attributes for subscription filter policies: severity, detector, roleArn (when known), alertId. */
export function messageAttributes(alert: Alert): Record<string, MessageAttributeValue> {
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
export function messageBytes(message: string, subject: string | null, attributes: Readonly<Record<string, MessageAttributeValue>>): number {
  let bytes = utf8Bytes(message) + utf8Bytes(subject ?? '');
  for (const [name, value] of Object.entries(attributes)) {
    bytes += utf8Bytes(name) + utf8Bytes(value.DataType ?? '') + utf8Bytes(value.StringValue ?? '');
  }
  return bytes;
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
