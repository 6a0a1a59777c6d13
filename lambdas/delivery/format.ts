/**
 * Alert renderings: the flat JSON record (replay `--json`, SNS `default`), readable text, and the
 * console link of an event (SNS `default` and e-mail).
 * Attackers choose many of the strings in an alert (session names, user agents, error
 * messages), so text meant for terminals and e-mail goes through {@link printable}, and evidence
 * values through {@link shown}: quoted unless they are a plain token. Detectors quote them in
 * titles and causes (`quoted` in core/text.ts).
 */
import type { Alert } from '../engine/alerts';
import { isRegionName } from '../core/config-values';
import { describeAttack } from '../core/attack';
import { quoted } from '../core/text';

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
  /** The MITRE ATT&CK techniques of the detector, each with its tactic: IDs and names. */
  readonly attack: readonly AttackRecord[];
  readonly details: Alert['evidence']['details'];
}

/** One ATT&CK mapping in the record: the (sub-)technique's ID and name and the tactic's. */
export interface AttackRecord {
  readonly tactic: string;
  readonly tacticName: string;
  readonly technique: string;
  readonly techniqueName: string;
}

/** An alert's ATT&CK mappings as the record lists them (the sub-technique where there is one). */
export function attackRecords(alert: Alert): AttackRecord[] {
  return (alert.attack ?? []).map((m) => {
    const t = m.subTechnique ?? m.technique;
    return { tactic: m.tactic.uid, tacticName: m.tactic.name, technique: t.uid, techniqueName: t.name };
  });
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
    attack: attackRecords(alert),
    details: e.details,
  };
}


/**
 * The CloudTrail console's view of one event:
 * `https://<region>.console.aws.amazon.com/cloudtrail/home?region=<region>#/events/<eventId>`.
 * The event ID is URL-encoded; a region that is not a region name is left out of the host name.
 */
export function consoleEventUrl(region: string, eventId: string): string {
  const id = encodeURIComponent(wellFormed(eventId));
  if (isRegionName(region)) return `https://${region}.console.aws.amazon.com/cloudtrail/home?region=${region}#/events/${id}`;
  return `https://console.aws.amazon.com/cloudtrail/home?region=${encodeURIComponent(wellFormed(region))}#/events/${id}`;
}

/** Lone surrogates replaced by U+FFFD, so the text can be URL-encoded. */
function wellFormed(text: string): string {
  return text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

// C0 and C1 controls (Cc), line and paragraph separators (Zl, Zp: some mail clients break lines
// on them), lone surrogates (Cs), the format characters (Cf) that reorder or hide text: bidi
// overrides and isolates, zero-width characters, and the invisible tag characters (U+E0000…),
// and every space but the ASCII one (Zs: U+00A0, U+2000–U+200A, U+3000, … make `x Severity: LOW`
// look like a line of ours).
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]|(?! )\p{Zs}/gu;

/** `\u001b` for a BMP character, `\u{e0041}` beyond it. */
function escapeCodePoint(c: string): string {
  const code = c.codePointAt(0)!;
  return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** Makes attacker-chosen text safe for a terminal or e-mail line: controls escaped, length capped. */
export function printable(text: string, max = 512): string {
  const escaped = text.replace(UNPRINTABLE, escapeCodePoint);
  if (escaped.length <= max) return escaped;
  // Cut before a surrogate pair rather than through it (a lone half is what we escape above).
  let end = max - 1;
  const code = escaped.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${escaped.slice(0, end)}…`;
}

/** A value shown bare: a plain token (an ARN, an address, an event name), nothing a reader could take for prose or a link. */
const PLAIN = /^[\w.:/@+=,-]*$/;

/**
 * An evidence value (principal, user agent, event name, …) for a text or e-mail line: bare when
 * it is a plain token (what AWS writes), else {@link quoted} (escaped, so that neither a line
 * break, a look-alike space, markup nor a link reads as ours); at most `max` characters.
 */
export function shown(value: string, max = 512): string {
  return PLAIN.test(value) && !value.includes('://') ? printable(value, max) : quoted(value, max);
}

/**
 * JSON for a terminal (`replay --json`) or a subscriber (SNS's default message): JSON.stringify
 * escapes C0 controls and lone surrogates, but not DEL, C1 controls (U+009B is a one-character
 * CSI), separators, look-alike spaces or bidi and invisible format characters; those are written
 * as `\uXXXX` escapes too, so the text parses to the same value.
 */
export function terminalJson(value: unknown): string {
  return JSON.stringify(value).replace(UNPRINTABLE, (c) => {
    const code = c.codePointAt(0)!;
    if (code <= 0xffff) return `\\u${code.toString(16).padStart(4, '0')}`;
    const high = 0xd800 + ((code - 0x10000) >> 10);
    const low = 0xdc00 + ((code - 0x10000) & 0x3ff);
    return `\\u${high.toString(16)}\\u${low.toString(16)}`;
  });
}

/** A readable multi-line block for one alert. */
export function toText(alert: Alert): string {
  const e = alert.evidence;
  const lines = [
    `${e.eventTimes[0] ?? ''}  ${alert.severity.toUpperCase().padEnd(8)} ${alert.detector.padEnd(18)} ${printable(alert.title, 160)}`,
    `    cause:     ${printable(alert.cause)}`,
    `    principal: ${shown(e.principalArn ?? e.principalType)}${e.sessionKey ? `  key ${shown(e.sessionKey, 40)}` : ''}`,
    `    call:      ${shown(e.eventName, 64)} ${e.roleArn ? shown(e.roleArn) : ''} from ${shown(e.sourceIp ?? '-', 80)} in ${shown(e.awsRegion, 40)}`,
    `    events:    ${e.eventIds.slice(0, 5).map((id) => shown(id, 64)).join(', ')}${e.eventIds.length > 5 ? ` (+${e.eventIds.length - 5})` : ''}${alert.occurrences > 1 ? `  (${alert.occurrences} findings)` : ''}`,
    `    att&ck:    ${describeAttack(alert.attack ?? []).join('; ') || '-'}`,
    `    runbook:   ${alert.runbook}`,
  ];
  return lines.join('\n');
}
