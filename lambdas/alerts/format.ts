/**
 * Alert renderings: the flat JSON record (replay `--json`, SNS `default`) and readable text.
 * Attackers choose many of the strings in an alert (session names, user agents, error
 * messages), so text meant for terminals and e-mail goes through {@link printable}.
 */
import type { Alert } from '../engine/engine';

/** Version of the alert JSON; bump when a field changes meaning. */
export const ALERT_SCHEMA_VERSION = 1;

/** The flat alert record: fields that do not apply are null. */
export interface AlertRecord {
  readonly schemaVersion: number;
  readonly detector: string;
  readonly severity: string;
  readonly title: string;
  readonly cause: string;
  readonly eventIds: readonly string[];
  readonly eventTimes: readonly string[];
  readonly eventName: string;
  readonly principalArn: string | null;
  readonly principalType: string;
  readonly roleArn: string | null;
  readonly targetAccountId: string | null;
  readonly sourceIp: string | null;
  readonly sessionKey: string | null;
  readonly userAgent: string | null;
  readonly awsRegion: string;
  readonly occurrences: number;
  readonly dedupKey: string;
  readonly runbook: string;
  readonly details: Alert['evidence']['details'];
}

/** Flattens an alert into its JSON record. */
export function toRecord(alert: Alert): AlertRecord {
  const e = alert.evidence;
  return {
    schemaVersion: ALERT_SCHEMA_VERSION,
    detector: alert.detector,
    severity: alert.severity,
    title: alert.title,
    cause: alert.cause,
    eventIds: e.eventIds,
    eventTimes: e.eventTimes,
    eventName: e.eventName,
    principalArn: e.principalArn,
    principalType: e.principalType,
    roleArn: e.roleArn,
    targetAccountId: e.targetAccountId,
    sourceIp: e.sourceIp,
    sessionKey: e.sessionKey,
    userAgent: e.userAgent,
    awsRegion: e.awsRegion,
    occurrences: alert.occurrences,
    dedupKey: alert.dedupKey,
    runbook: alert.runbook,
    details: e.details,
  };
}

// C0 and C1 controls, DEL, line and paragraph separators (some mail clients break lines on
// them), and the Unicode format characters that reorder or hide text.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb\ud800-\udfff]/g;

/** Makes attacker-chosen text safe for a terminal or e-mail line: controls escaped, length capped. */
export function printable(text: string, max = 512): string {
  const escaped = text.replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return escaped.length > max ? `${escaped.slice(0, max - 1)}…` : escaped;
}

/** A readable multi-line block for one alert. */
export function toText(alert: Alert): string {
  const e = alert.evidence;
  const lines = [
    `${e.eventTimes[0] ?? ''}  ${alert.severity.toUpperCase().padEnd(8)} ${alert.detector.padEnd(18)} ${printable(alert.title, 160)}`,
    `    cause:     ${printable(alert.cause)}`,
    `    principal: ${printable(e.principalArn ?? e.principalType)}${e.sessionKey ? `  key ${printable(e.sessionKey, 40)}` : ''}`,
    `    call:      ${e.eventName} ${e.roleArn ? printable(e.roleArn) : ''} from ${printable(e.sourceIp ?? '-', 80)} in ${printable(e.awsRegion, 40)}`,
    `    events:    ${e.eventIds.slice(0, 5).map((id) => printable(id, 64)).join(', ')}${e.eventIds.length > 5 ? ` (+${e.eventIds.length - 5})` : ''}${alert.occurrences > 1 ? `  (${alert.occurrences} findings)` : ''}`,
    `    runbook:   ${alert.runbook}`,
  ];
  return lines.join('\n');
}
