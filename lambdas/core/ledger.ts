/**
 * The alert ledger's port: how an alert is reserved before anything is published, so that
 * delivery is exactly-once per alert whatever crashes (lambdas/delivery/batch-runner.ts runs the
 * protocol; lambdas/state/ implements the ledger in memory and on DynamoDB).
 */

/** An alert about to be delivered, with the identity that makes its delivery exactly-once. */
export interface AlertReservation {
  /** Stable across retries: derived from the dedup key and the first event of the alert. */
  readonly alertId: string;
  readonly dedupKey: string;
  /** Event time of the alert's first finding, epoch milliseconds. */
  readonly eventTime: number;
  /** Suppression window: one alert per dedup key within this much event time. */
  readonly windowMs: number;
  /** The events whose redelivery must find this alert again (recovery after a crash). */
  readonly eventIds: readonly string[];
  /** The alert as JSON (what a recovery re-sends). */
  readonly payload: string;
  /** Destinations that already took the alert (from {@link AlertLedger.pending}; a re-send skips them). */
  readonly reached?: readonly string[];
}

/** What the ledger decided for one reservation. */
export type ReservationOutcome = 'send' | 'suppressed' | 'sent' | 'busy';

/**
 * The alert ledger: suppression and the outbox in one. Alerts are reserved *before* the state
 * they follow from is committed, so a crash at any point leaves a record of them:
 *
 * 1. `reserve` — per dedup key, one alert per window. A reservation for a key with no alert in
 *    the window, or with this very alert unsent and not held by another live invocation,
 *    returns `send` and takes a lease; one already delivered returns `sent`; another alert in
 *    the window `suppressed`; this alert leased by a live invocation `busy`.
 * 2. the engine commits state; the caller publishes the `send` alerts;
 * 3. `markSent` — after the publisher accepted them; `release` — for those it refused, so the
 *    retry of their events may send them at once instead of waiting for the lease to end; and
 *    `markReached` — for those some destinations took and others refused, so the retry sends
 *    to the others only (a Security Hub retry never re-sends to SNS).
 *
 * A retry of the same events (SQS redelivery after a crash) asks `pending` for alerts reserved
 * for them and not marked sent, and sends those. The one remaining duplicate is a crash between
 * a publish and its `markSent`: the re-sent message carries the same `alertId`.
 */
export interface AlertLedger {
  /**
   * Decides each reservation. A `send` leases the alert to `owner` for `leaseMs`: the longest
   * the invocation can still run (a Lambda passes its remaining time), so that no live
   * invocation loses its lease and a crashed one's lease has ended when SQS redelivers.
   */
  reserve(reservations: readonly AlertReservation[], owner: string, nowMs: number, leaseMs?: number): Promise<ReservationOutcome[]>;
  /** Unsent reservations recorded for any of these events, each with the destinations it reached. */
  pending(eventIds: readonly string[]): Promise<AlertReservation[]>;
  /** Marks alerts delivered everywhere: `pending` no longer returns them. */
  markSent(alerts: readonly AlertRef[]): Promise<void>;
  /** Records destinations that took alerts still unsent elsewhere (added to what was recorded). */
  markReached(alerts: readonly ReachedRef[]): Promise<void>;
  /** Ends `owner`'s lease on these unsent alerts (the publisher refused them). */
  release(alerts: readonly AlertRef[], owner: string): Promise<void>;
}

/** An alert in the ledger. */
export interface AlertRef {
  readonly alertId: string;
  readonly dedupKey: string;
}

/** An alert in the ledger and destinations that took it. */
export interface ReachedRef extends AlertRef {
  readonly destinations: readonly string[];
}

/** The lease when the caller gives none: Lambda's longest timeout. */
export const ALERT_LEASE_MS = 15 * 60_000;
