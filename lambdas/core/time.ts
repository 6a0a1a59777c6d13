/** Time arithmetic shared by the detectors, the engine and the stores: event time in epoch milliseconds, TTLs in epoch seconds. */

/** One day in milliseconds. */
export const DAY_MS = 86_400_000;

/** Epoch seconds for a TTL `days` after `timeMs` (DynamoDB's TTL attribute is in seconds). */
export function ttlAfter(timeMs: number, days: number): number {
  return Math.ceil(timeMs / 1000 + days * 86_400);
}

/** The fixed window an event falls in, for windowed counters. */
export function windowOf(eventTime: number, minutes: number): number {
  return Math.floor(eventTime / (minutes * 60_000));
}

/** The UTC day an event falls in (days since the epoch). */
export function dayOf(eventTime: number): number {
  return Math.floor(eventTime / DAY_MS);
}

/**
 * The TTL of a windowed counter: two windows (the sliding window reads the previous one) and a
 * day. The day is for the clock it is read at: the wall clock in the Lambda, the latest event of
 * the batch in replay. A call that comes late, or sits in a batch beside calls hours later (a
 * quiet night's batch spans hours), must still find its window's count, not an expired item.
 */
export function windowTtl(eventTime: number, windowMs: number): number {
  return ttlAfter(eventTime, (2 * windowMs) / DAY_MS + 1);
}
