/**
 * The e-mail rendering of an alert: the plain-text body SNS sends e-mail subscribers
 * ({@link toEmailText}) and the Subject line ({@link toSubject}). Attackers choose many strings in
 * an alert: the body shows evidence through {@link shown} (quoted unless a plain token) and our
 * prose through {@link printable}; the Subject is reduced to printable ASCII, as SNS requires.
 * Every line starts with our own words.
 */
import { describeAttack } from '../core/attack';
import type { Alert } from '../engine/alerts';
import { consoleEventUrl, printable, shown } from './format';

/** SNS: "Subjects must be … less than 100 characters long". */
export const SUBJECT_MAX_LENGTH = 99;

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

/** The e-mail body: plain text, every attacker-chosen string through {@link shown} or (quoted in prose already) {@link printable}. */
export function toEmailText(alert: Alert, truncated = false): string {
  const e = alert.evidence;
  const times = [...e.eventTimes].sort();
  const when = times.length === 0 ? '-' : times.length === 1 || times[0] === times[times.length - 1] ? shown(times[0]!, 40) : `${shown(times[0]!, 40)} to ${shown(times[times.length - 1]!, 40)}`;
  const lines: (string | null)[] = [
    printable(alert.title, 200),
    '',
    `Severity:    ${printable(alert.severity.toUpperCase(), 16)}`,
    `Detector:    ${printable(alert.detector, 64)}`,
    `Cause:       ${printable(alert.cause, 1_024)}`,
    '',
    `Who:         ${e.principalArn === null ? '(no ARN in the record)' : shown(e.principalArn)} (${shown(e.principalType, 64)})`,
    e.sessionKey ? `Session key: ${shown(e.sessionKey, 128)}` : null,
    e.userAgent ? `User agent:  ${shown(e.userAgent)}` : null,
    `What:        ${shown(e.eventName, 64)}${e.roleArn ? ` ${shown(e.roleArn)}` : ''}${e.targetAccountId ? ` (account ${shown(e.targetAccountId, 32)})` : ''}`,
    `Where:       from ${shown(e.sourceIp ?? '-', 128)} in ${shown(e.awsRegion, 40)}`,
    `When:        ${when}${alert.occurrences > 1 ? ` (${alert.occurrences} findings)` : ''}`,
    '',
    `Events (${e.eventIds.length}):`,
    ...e.eventIds.flatMap((id) => [`  ${shown(id, 128)}`, `    ${consoleEventUrl(e.awsRegion, id)}`]),
  ];
  const details = Object.entries(e.details);
  if (details.length > 0) {
    lines.push('', 'Details:');
    for (const [key, value] of details) {
      const text = Array.isArray(value) ? value.map((v) => shown(v, 256)).join(', ') : shown(String(value), 2_048);
      lines.push(`  ${shown(key, 64)}: ${text}`);
    }
  }
  const attack = describeAttack(alert.attack ?? []);
  if (attack.length > 0) lines.push('', `ATT&CK:      ${attack.join('\n             ')}`);
  lines.push('', `Runbook:     ${printable(alert.runbook, 4_096)}`);
  if (truncated) lines.push('', 'Note: this alert was truncated to fit the SNS message size limit; the CloudTrail events above hold the full evidence.');
  lines.push('', '--', `alertId: ${shown(alert.alertId, 128)}`);
  return lines.filter((l): l is string => l !== null).join('\n');
}
