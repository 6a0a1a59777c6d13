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

/** An assumed-role ARN: its role, and the session name after it. */
const ASSUMED_ROLE = /^(arn:[^:]*:sts::[^:]*:assumed-role\/[^/]+)\/(.*)$/s;

/**
 * Who made the call a finding is about, as alerts tell callers apart: the IAM user or role, and
 * for IAM Identity Center (SSO) the person (the role is shared by everyone in the permission set,
 * the session name is the user's). The sessions of one role are one caller: a backend's tasks
 * each open their own session, and one alert for all of them is what a SOC wants.
 */
export function actorOf(evidence: Finding['evidence']): string {
  const arn = evidence.principalArn;
  if (arn === null) return `${evidence.principalType}:${evidence.sessionKey ?? ''}`;
  const match = ASSUMED_ROLE.exec(arn);
  if (match === null || match[1]!.includes('/AWSReservedSSO_')) return arn;
  return match[1]!;
}


/**
 * Folds findings with the same dedup key and caller within the window into one alert listing
 * the related events, and makes each alert's ledger reservation (under the same key, so that
 * the ledger never suppresses one caller's alert for another's either).
 */
export function fold(findings: readonly Finding[], windowMs: number): AlertCandidate[] {
  const groups: { finding: Finding; first: number; eventIds: string[]; eventTimes: string[]; occurrences: number }[] = [];
  const open = new Map<string, (typeof groups)[number]>();
  for (const found of findings) {
    const time = Date.parse(found.evidence.eventTimes[0]!);
    // The key a finding folds and is suppressed under: its dedup key, and its caller unless it is
    // about the role as a whole.
    const finding = found.scope === 'role' ? found : { ...found, dedupKey: `${found.dedupKey}|${actorOf(found.evidence)}` };
    const group = open.get(finding.dedupKey);
    if (group && time - group.first < windowMs) {
      group.occurrences += 1;
      if (group.eventIds.length < MAX_RELATED_EVENTS) {
        // Each event once, with its own time: the two lists stay in step.
        finding.evidence.eventIds.forEach((id, i) => {
          if (group.eventIds.includes(id)) return;
          group.eventIds.push(id);
          group.eventTimes.push(finding.evidence.eventTimes[i] ?? finding.evidence.eventTimes[0]!);
        });
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
