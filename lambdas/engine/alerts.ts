/**
 * From findings to alerts: findings with the same dedup key within the suppression window fold
 * into one alert, each with a stable identity and the ledger reservation that makes its delivery
 * exactly-once (the batch runner in delivery/ reserves, publishes and marks them).
 */
import { createHash } from 'node:crypto';
import type { AlertReservation } from '../core/ledger';
import type { Finding } from '../core/types';

/** Related event IDs kept on one alert. */
const MAX_RELATED_EVENTS = 20;

/** A finding that passed severity and suppression: what the SOC receives. */
export interface Alert extends Finding {
  /** Stable identity of the alert: the same on every retry, so subscribers can drop a repeat. */
  readonly alertId: string;
  /** Findings folded into this alert within the batch (same dedup key, same window). */
  readonly occurrences: number;
}

/** An alert the batch would send, with the reservation the ledger decides it by. */
export interface AlertCandidate {
  readonly alert: Alert;
  readonly reservation: AlertReservation;
}

/** The alert identity: stable for the same dedup key and first event, whatever the retry. */
function alertIdOf(dedupKey: string, firstEventId: string): string {
  return createHash('sha256').update(`${dedupKey}\u0000${firstEventId}`).digest('hex').slice(0, 32);
}

/**
 * Folds findings with the same dedup key within the window into one alert listing the related
 * events, and makes each alert's ledger reservation.
 */
export function fold(findings: readonly Finding[], windowMs: number): AlertCandidate[] {
  const groups: { finding: Finding; first: number; eventIds: string[]; eventTimes: string[]; occurrences: number }[] = [];
  const open = new Map<string, (typeof groups)[number]>();
  for (const finding of findings) {
    const time = Date.parse(finding.evidence.eventTimes[0]!);
    const group = open.get(finding.dedupKey);
    if (group && time - group.first < windowMs) {
      group.occurrences += 1;
      if (group.eventIds.length < MAX_RELATED_EVENTS) {
        group.eventIds.push(...finding.evidence.eventIds.filter((id) => !group.eventIds.includes(id)));
        group.eventTimes.push(...finding.evidence.eventTimes);
      }
      continue;
    }
    const fresh = { finding, first: time, eventIds: [...finding.evidence.eventIds], eventTimes: [...finding.evidence.eventTimes], occurrences: 1 };
    groups.push(fresh);
    open.set(finding.dedupKey, fresh);
  }
  return groups.map((g) => {
    const alert: Alert = {
      ...g.finding,
      alertId: alertIdOf(g.finding.dedupKey, g.eventIds[0]!),
      evidence: { ...g.finding.evidence, eventIds: g.eventIds.slice(0, MAX_RELATED_EVENTS), eventTimes: g.eventTimes.slice(0, MAX_RELATED_EVENTS) },
      occurrences: g.occurrences,
    };
    return {
      alert,
      reservation: { alertId: alert.alertId, dedupKey: alert.dedupKey, eventTime: g.first, windowMs, eventIds: alert.evidence.eventIds, payload: ledgerPayload(alert) },
    };
  });
}

/** Most characters of alert JSON kept in the ledger (its item must stay under DynamoDB's 400 KB). */
const MAX_PAYLOAD_CHARS = 60_000;

/**
 * The alert as the ledger keeps it for a re-send after a crash. Attackers choose most strings
 * in it; when they make it too large, long strings are cut with a marker (the publisher cuts
 * the message it sends the same way), so the reservation never fails on the item size.
 */
function ledgerPayload(alert: Alert): string {
  const whole = JSON.stringify(alert);
  if (whole.length <= MAX_PAYLOAD_CHARS) return whole;
  for (const keep of [2_000, 256, 32]) {
    const cut = JSON.stringify(alert, (_key, value: unknown) => (typeof value === 'string' && value.length > keep ? `${value.slice(0, keep)}…[${value.length - keep} more characters in the CloudTrail event]` : value));
    if (cut.length <= MAX_PAYLOAD_CHARS) return cut;
  }
  return JSON.stringify({ ...alert, evidence: { ...alert.evidence, details: {}, eventIds: alert.evidence.eventIds.slice(0, 5), eventTimes: alert.evidence.eventTimes.slice(0, 5) } }, (_key, value: unknown) => (typeof value === 'string' && value.length > 32 ? `${value.slice(0, 32)}…` : value));
}
