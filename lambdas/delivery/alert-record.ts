/**
 * The versioned alert record that destinations deliver as JSON (SNS's `default` message, the
 * EventBridge event's detail): the flat record of format.ts plus the alert's identity, a console
 * link per event, and whether the evidence was shortened to fit the destination.
 */
import type { Alert } from '../engine/alerts';
import { consoleEventUrl, toRecord, type AlertRecord } from './format';

/** A link to one CloudTrail event in the console's event history. */
export interface ConsoleLink {
  readonly eventId: string;
  readonly url: string;
}

/** The flat alert record plus identity, console links and a truncation marker. */
export interface PublishedAlertRecord extends AlertRecord {
  readonly alertId: string;
  /** One link per entry of `eventIds`, in the same order. */
  readonly consoleLinks: readonly ConsoleLink[];
  /** Evidence was shortened to fit the destination's size limit; the CloudTrail events hold the rest. */
  readonly truncated: boolean;
}

/** The published record of an alert (already shortened, if `truncated`). */
export function publishedRecord(alert: Alert, truncated = false): PublishedAlertRecord {
  const { schemaVersion, ...rest } = toRecord(alert);
  return {
    schemaVersion,
    alertId: alert.alertId,
    ...rest,
    consoleLinks: alert.evidence.eventIds.map((eventId) => ({ eventId, url: consoleEventUrl(alert.evidence.awsRegion, eventId) })),
    truncated,
  };
}
