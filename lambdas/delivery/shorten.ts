/**
 * Shortening an alert to fit a destination's size limit (SNS, EventBridge, Security Hub): long
 * strings are cut and lists shortened step by step ({@link LEVELS}), as little as needed, never
 * refused. Attackers choose most of the strings in an alert, and can make one as large as a
 * CloudTrail record allows; the cut text keeps its start and ends with `…`.
 */
import type { Alert } from '../engine/alerts';

/** How far evidence is shortened: longest string, items per list, detail keys. */
export interface Limits {
  readonly text: number;
  readonly items: number;
  readonly keys: number;
}

/** Tried in order until the rendering fits; the first keeps everything. */
export const LEVELS: readonly Limits[] = [
  { text: Infinity, items: Infinity, keys: Infinity },
  { text: 16_384, items: 100, keys: 100 },
  { text: 4_096, items: 20, keys: 50 },
  { text: 1_024, items: 10, keys: 20 },
  { text: 256, items: 3, keys: 10 },
  { text: 64, items: 1, keys: 0 },
];

/**
 * Renders an alert whole, else shortened level by level until `fits` accepts the rendering;
 * `render` is told whether the alert it gets was shortened, and to which limits. If even the
 * shortest form does not fit, returns that one (the caller reports it).
 */
export function renderToFit<T>(alert: Alert, render: (shown: Alert, truncated: boolean, limits: Limits) => T, fits: (rendered: T) => boolean): T {
  let last: T | undefined;
  for (const [level, limits] of LEVELS.entries()) {
    const truncated = level > 0;
    last = render(truncated ? shorten(alert, limits) : alert, truncated, limits);
    if (fits(last)) return last;
  }
  return last!;
}

/** A copy of the alert with long strings cut and lists shortened to the limits. */
export function shorten(alert: Alert, limits: Limits): Alert {
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

/** Cuts a string to `max` characters (UTF-16 code units) with a trailing `…`, never between a surrogate pair. */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - 1);
  const code = text.charCodeAt(end - 1);
  if (end > 0 && code >= 0xd800 && code <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}
