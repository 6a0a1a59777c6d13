/**
 * Alert delivery to an EventBridge bus (the SOC's own rules route it): one event per alert, put
 * with PutEvents, source `assumerole-watch`, detail type `AssumeRole Watch Alert`, the detail a
 * JSON object the caller renders (the published alert record by default, {@link recordDetail};
 * or the OCSF rendering), the monitored role as the event's resource and the alert's first event
 * time as its time.
 *
 * Limits (EventBridge API Reference, PutEvents and PutEventsRequestEntry; User Guide,
 * "Calculating PutEvents event entry size"): at most 10 entries a call, and the entries of a call
 * together under 256 KB, an entry counted as 14 bytes for `Time` plus the UTF-8 bytes of
 * `Source`, `DetailType`, `Detail` and each of `Resources`. An alert too large is rendered again
 * with shorter evidence (shorten.ts) and the render function is told (`truncated`), never refused
 * for its size unless even the shortest form is too large.
 *
 * The response lists one result per entry, in the request's order: an `EventId`, or an
 * `ErrorCode` (`InternalFailure` and `ThrottlingException` are worth a retry; the others blame
 * the entry).
 */
import type { EventBridgeClient, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { Alert } from '../engine/alerts';
import { publishedRecord, type PublishedAlertRecord } from './alert-record';
import { isRoleArn } from './asff';
import { isSenderFault, packCalls, sendCalls, uniqueAlerts, utf8Bytes } from './calls';
import { terminalJson } from './format';
import type { AcceptedAlert, AlertPublisher, FailedAlert, PublishResult } from './publisher';
import { renderToFit } from './shorten';

/** The `source` of our events (custom sources must not begin with `aws.`). */
export const EVENT_SOURCE = 'assumerole-watch';
/** The `detail-type` of our events. */
export const EVENT_DETAIL_TYPE = 'AssumeRole Watch Alert';
/** "The total entry size must be less than 256KB": the entries of one call, counted as EventBridge counts them. */
export const EVENTBRIDGE_MAX_REQUEST_BYTES = 256 * 1024;
/** PutEvents takes at most this many entries. */
const EVENTBRIDGE_MAX_ENTRIES = 10;
/** `Time`, when given, counts 14 bytes whatever its value. */
const TIME_BYTES = 14;

/** The EventBridge client module, loaded when first needed rather than at the cold start. */
export function eventBridgeModule(): typeof import('@aws-sdk/client-eventbridge') {
  return require('@aws-sdk/client-eventbridge') as typeof import('@aws-sdk/client-eventbridge');
}

/** Renders an alert (already shortened when `truncated`) as the event's detail, a JSON object. */
export type DetailRenderer = (alert: Alert, truncated: boolean) => object;

/** The default detail: the versioned alert record (format.ts) with alertId, console links and `truncated`, as SNS's `default` message carries it. */
export function recordDetail(alert: Alert, truncated: boolean): PublishedAlertRecord {
  return publishedRecord(alert, truncated);
}

/** Options of {@link EventBridgePublisher}. */
export interface EventBridgePublisherOptions {
  /** The bus: `default`, a bus name or a bus ARN. */
  readonly eventBusName: string;
  /** The event detail. @default recordDetail */
  readonly render?: DetailRenderer;
  /** @default 262144 (entries must total less) */
  readonly maxRequestBytes?: number;
}

/** One alert rendered as an event, with its size as EventBridge counts it. */
export interface RenderedEvent {
  readonly alertId: string;
  readonly entry: PutEventsRequestEntry;
  readonly bytes: number;
  readonly truncated: boolean;
}

/** Entry size as EventBridge calculates it: 14 bytes for Time, then Source, DetailType, Detail and each resource in UTF-8. */
export function entryBytes(entry: PutEventsRequestEntry): number {
  let bytes = entry.Time ? TIME_BYTES : 0;
  bytes += utf8Bytes(entry.Source ?? '') + utf8Bytes(entry.DetailType ?? '') + utf8Bytes(entry.Detail ?? '');
  for (const resource of entry.Resources ?? []) bytes += utf8Bytes(resource);
  return bytes;
}

/**
 * Renders an alert as an event entry, shortening its evidence as little as needed for the entry
 * to be under `maxBytes`. If even the shortest form is not, returns it anyway (`bytes >= maxBytes`).
 */
export function renderEvent(alert: Alert, eventBusName: string, render: DetailRenderer = recordDetail, maxBytes = EVENTBRIDGE_MAX_REQUEST_BYTES): RenderedEvent {
  const role = alert.evidence.roleArn;
  const time = Date.parse(alert.evidence.eventTimes[0] ?? '');
  const base: PutEventsRequestEntry = {
    Source: EVENT_SOURCE,
    DetailType: EVENT_DETAIL_TYPE,
    // Resources entries are ARNs of at most 2048 characters: a forged role ARN is not offered as one.
    ...(role !== null && isRoleArn(role) ? { Resources: [role] } : {}),
    ...(Number.isFinite(time) ? { Time: new Date(time) } : {}),
    EventBusName: eventBusName,
  };
  return renderToFit(
    alert,
    (shown, truncated): RenderedEvent => {
      // terminalJson: the same value as JSON.stringify, with separators and bidi characters escaped.
      const entry = { ...base, Detail: terminalJson(render(shown, truncated)) };
      return { alertId: alert.alertId, entry, bytes: entryBytes(entry), truncated };
    },
    (r) => r.bytes < maxBytes,
  );
}

/** Puts alerts on an EventBridge bus with PutEvents. */
export class EventBridgePublisher implements AlertPublisher {
  private readonly eventBusName: string;
  private readonly render: DetailRenderer;
  private readonly maxBytes: number;

  constructor(
    /** The client, or how to make it at the first publish (most Lambda instances never publish). */
    private client: EventBridgeClient | (() => EventBridgeClient),
    options: EventBridgePublisherOptions,
  ) {
    this.eventBusName = options.eventBusName;
    this.render = options.render ?? recordDetail;
    this.maxBytes = options.maxRequestBytes ?? EVENTBRIDGE_MAX_REQUEST_BYTES;
  }

  /**
   * Puts each alert once (a repeated alertId is sent once), in calls of at most 10 entries
   * totalling under `maxRequestBytes`, made in parallel. Entries EventBridge refuses, and
   * entries its response does not account for, are reported in `failed`; if any call fails as a
   * whole, throws {@link AlertPublishError} once every call has finished.
   */
  async publish(alerts: readonly Alert[]): Promise<PublishResult> {
    const failed: FailedAlert[] = [];
    const rendered: RenderedEvent[] = [];
    for (const alert of uniqueAlerts(alerts)) {
      let r: RenderedEvent;
      try {
        r = renderEvent(alert, this.eventBusName, this.render, this.maxBytes);
      } catch (e) {
        // A renderer that throws on one alert must not cost the others their delivery.
        failed.push({ alertId: alert.alertId, code: 'RenderFailed', message: e instanceof Error ? `${e.name}: ${e.message}` : String(e), senderFault: true });
        continue;
      }
      if (r.bytes >= this.maxBytes) {
        failed.push({ alertId: r.alertId, code: 'EntryTooLarge', message: `${r.bytes} bytes after truncation; entries must total less than ${this.maxBytes}`, senderFault: true });
      } else {
        rendered.push(r);
      }
    }
    // Entries must total strictly less than the limit: at most one byte under it.
    const calls = packCalls(rendered, EVENTBRIDGE_MAX_ENTRIES, this.maxBytes - 1);
    return sendCalls(calls, (call) => this.send(call), 'PutEvents', { accepted: [], failed });
  }

  private async send(call: readonly RenderedEvent[]): Promise<PublishResult> {
    if (typeof this.client === 'function') this.client = this.client();
    const { PutEventsCommand } = eventBridgeModule();
    const response = await this.client.send(new PutEventsCommand({ Entries: call.map((r) => r.entry) }));
    const results = response.Entries ?? [];
    const accepted: AcceptedAlert[] = [];
    const failed: FailedAlert[] = [];
    const refused = results.filter((e) => e.ErrorCode !== undefined).length;
    // Results match entries by position only: with a count that differs, or a failure count that
    // disagrees with the failures listed, no result can be trusted to be its entry's.
    const consistent = results.length === call.length && (response.FailedEntryCount === undefined || response.FailedEntryCount === refused);
    for (const [i, r] of call.entries()) {
      const result = consistent ? results[i] : undefined;
      if (result?.ErrorCode !== undefined) {
        failed.push({ alertId: r.alertId, code: result.ErrorCode, message: result.ErrorMessage ?? '', senderFault: isSenderFault(result.ErrorCode) });
      } else if (result?.EventId !== undefined) {
        accepted.push({ alertId: r.alertId, messageId: result.EventId, truncated: r.truncated });
      } else {
        // Not confirmed: report it, so it is retried (a subscriber drops a repeat by alertId).
        const message = consistent ? 'PutEvents answered neither an event ID nor an error for this entry' : `PutEvents answered ${results.length} results (${response.FailedEntryCount ?? '?'} failed) for ${call.length} entries`;
        failed.push({ alertId: r.alertId, code: 'MissingFromResponse', message, senderFault: false });
      }
    }
    return { accepted, failed };
  }
}
