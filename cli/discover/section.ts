/**
 * What each part of `discover` hands back: the configuration keys it proposes, its section of
 * the evidence, and what it left out for a person to review. And the one rule every part uses
 * to tell the usual from a one-off.
 */
import { DAY_MS } from '../../lambdas/core/time';
import { code, count, prose, table, when } from './markdown';
import type { Seen } from './seen';

/** Something seen in the period that looks like an incident or a one-off: listed, not proposed. */
export interface LeftOut {
  /** What kind of value: `caller`, `address`, `region`, `session name`, … */
  readonly what: string;
  /** The value as the record carries it (shown escaped). */
  readonly value: string;
  /** Why it was left out, in our words. */
  readonly why: string;
  readonly seen: Seen | null;
}

/** One part's proposal. */
export interface Section {
  /** Configuration keys proposed (nothing when the part has nothing to propose). */
  readonly config: Readonly<Record<string, unknown>>;
  /** Its part of the evidence, Markdown, starting with a `##` heading. */
  readonly markdown: string;
  readonly leftOut: readonly LeftOut[];
  /** A line for the summary on stderr, if any. */
  readonly summary?: string;
}

/** The period the logs cover. */
export interface Period {
  readonly first: number;
  readonly last: number;
  /** UTC days from the first event's to the last's, both counted. */
  readonly days: number;
}

/** The period from the first and last event times. */
export function periodOf(first: number, last: number): Period {
  return { first, last, days: Math.floor(last / DAY_MS) - Math.floor(first / DAY_MS) + 1 };
}

/** The usual is seen on this many UTC days at least (when the period has at least {@link DAYS_TO_JUDGE}). */
export const USUAL_DAYS = 2;
/** Periods shorter than this are judged by calls instead of days: everything there is on few days. */
export const DAYS_TO_JUDGE = 3;
/** In a short period, the usual is at least this many calls. */
export const USUAL_CALLS = 3;

/**
 * Whether something seen is a one-off in the period: on one UTC day only (when the period spans
 * {@link DAYS_TO_JUDGE} days or more), else fewer than {@link USUAL_CALLS} calls. Incidents are
 * one-offs; the backend's traffic comes back every day.
 */
export function isOneOff(seen: Seen, period: Period): boolean {
  return period.days >= DAYS_TO_JUDGE ? seen.days.size < USUAL_DAYS : seen.calls < USUAL_CALLS;
}

/** The rule {@link isOneOff} applies, for the evidence. */
export function oneOffRule(period: Period): string {
  return period.days >= DAYS_TO_JUDGE ? `seen on fewer than ${USUAL_DAYS} UTC days of the ${period.days}` : `fewer than ${USUAL_CALLS} calls (the period spans only ${period.days} day${period.days === 1 ? '' : 's'})`;
}

/** The common cells of a row about something seen: calls (refused), days, first, last. */
export function seenCells(seen: Seen): string[] {
  return [count(seen.calls) + (seen.denied > 0 ? ` (${count(seen.denied)} refused)` : ''), String(seen.days.size), when(seen.first), when(seen.last)];
}

/** The header cells matching {@link seenCells}. */
export const SEEN_HEADER = ['calls', 'days', 'first seen (UTC)', 'last seen (UTC)'] as const;

/** The "Left out — review" section. */
export function leftOutSection(items: readonly LeftOut[]): string {
  const rows = items.map((i) => [prose(i.what), code(i.value), prose(i.why), ...(i.seen ? seenCells(i.seen) : ['', '', '', ''])]);
  return `## Left out — review\n\nSeen in the period, and not put in the proposal: each looks like an incident or a one-off. Look at each one. If it is yours and normal, add it to the configuration by hand; if not, it is worth an investigation now, since the proposal will alert on it from the day it is deployed.\n\n${table(['what', 'value', 'why', ...SEEN_HEADER], rows, '_nothing: every value seen went into the proposal or is not one a configuration holds_')}`;
}
