/**
 * The embedded alert ledger (suppression and outbox): the replay default and the engine tests'
 * ledger. Same decisions as the DynamoDB ledger (one alert per dedup key and window, leases,
 * sent marks), in one process.
 */
import { ALERT_LEASE_MS, type AlertLedger, type AlertRef, type AlertReservation, type ReachedRef, type ReservationOutcome } from '../core/ledger';
import { DAY_MS } from '../core/time';
import { MemoryBoundError } from './memory-store';

/** A dedup key's alert: the reservation, who holds its lease until when, what was sent, and when it expires. */
interface Slot extends AlertReservation {
  owner: string;
  leaseUntil: number;
  sentId: string | null;
  /** Destinations that took the alert while it is unsent elsewhere. */
  delivered: ReadonlySet<string>;
  /** Epoch ms: the DynamoDB ledger's TTL of the slot. */
  readonly expiresAt: number;
}

/**
 * The DynamoDB ledger's TTLs (dynamodb-ledger.ts): a slot lives a day past its window, and at
 * least as long as the pointers from its events (past SQS's 14-day retention).
 */
const SLOT_TTL_AFTER_WINDOW_MS = DAY_MS;
const SLOT_MIN_TTL_MS = 15 * DAY_MS;
/** How often (by the caller's clock) expired slots are dropped; at the bound, at most once a minute. */
const SWEEP_EVERY_MS = 3_600_000;
const FULL_SWEEP_EVERY_MS = 60_000;

/** Options of {@link MemoryLedger}. */
export interface MemoryLedgerOptions {
  /** The most alerts (slots) it holds once expired ones are dropped; a reservation past it throws {@link MemoryBoundError}. @default no bound */
  readonly maxAlerts?: number;
}

/**
 * In-memory {@link AlertLedger}: suppression and outbox with the DynamoDB ledger's semantics.
 * Slots expire by the caller's clock as the DynamoDB ledger's TTLs say; a sent alert keeps only
 * what suppression needs (its payload and event pointers serve to re-send an unsent one).
 */
export class MemoryLedger implements AlertLedger {
  private readonly slots = new Map<string, Slot>();
  private readonly byEvent = new Map<string, Set<string>>();
  private readonly maxAlerts: number;
  private lastSweep = 0;

  constructor(options: MemoryLedgerOptions = {}) {
    this.maxAlerts = options.maxAlerts ?? Infinity;
  }

  async reserve(reservations: readonly AlertReservation[], owner: string, nowMs: number, leaseMs = ALERT_LEASE_MS): Promise<ReservationOutcome[]> {
    if (nowMs - this.lastSweep >= SWEEP_EVERY_MS) this.sweep(nowMs);
    const outcomes = reservations.map((r): ReservationOutcome => {
      const slot = this.slots.get(r.dedupKey);
      if (!slot || Math.abs(r.eventTime - slot.eventTime) >= r.windowMs) {
        if (slot) this.unpoint(slot);
        const expiresAt = Math.max(r.eventTime + r.windowMs + SLOT_TTL_AFTER_WINDOW_MS, nowMs + SLOT_MIN_TTL_MS);
        this.slots.set(r.dedupKey, { ...r, owner, leaseUntil: nowMs + leaseMs, sentId: null, delivered: new Set(), expiresAt });
        for (const id of r.eventIds) this.byEvent.set(id, (this.byEvent.get(id) ?? new Set()).add(r.dedupKey));
        return 'send';
      }
      if (slot.alertId !== r.alertId) return 'suppressed';
      if (slot.sentId === r.alertId) return 'sent';
      if (slot.owner !== owner && slot.leaseUntil > nowMs) return 'busy';
      slot.owner = owner;
      slot.leaseUntil = nowMs + leaseMs;
      return 'send';
    });
    if (this.slots.size > this.maxAlerts) {
      if (nowMs - this.lastSweep >= FULL_SWEEP_EVERY_MS) this.sweep(nowMs);
      if (this.slots.size > this.maxAlerts) throw new MemoryBoundError('alerts', this.maxAlerts, nowMs);
    }
    return outcomes;
  }

  async pending(eventIds: readonly string[]): Promise<AlertReservation[]> {
    const keys = new Set(eventIds.flatMap((id) => [...(this.byEvent.get(id) ?? [])]));
    return [...keys].map((k) => this.slots.get(k)!).filter((s) => s.sentId !== s.alertId && s.eventIds.some((id) => eventIds.includes(id)))
      .map(({ alertId, dedupKey, eventTime, windowMs, eventIds: ids, payload, delivered }) => ({ alertId, dedupKey, eventTime, windowMs, eventIds: ids, payload, ...(delivered.size > 0 ? { reached: [...delivered].sort() } : {}) }));
  }

  async markReached(alerts: readonly ReachedRef[]): Promise<void> {
    for (const a of alerts) {
      const slot = this.slots.get(a.dedupKey);
      if (slot?.alertId === a.alertId && slot.sentId !== a.alertId) slot.delivered = new Set([...slot.delivered, ...a.destinations]);
    }
  }

  async markSent(alerts: readonly AlertRef[]): Promise<void> {
    for (const a of alerts) {
      const slot = this.slots.get(a.dedupKey);
      if (slot?.alertId === a.alertId) {
        // `pending` never returns a sent alert: its payload and pointers are of no further use.
        this.unpoint(slot);
        this.slots.set(a.dedupKey, { ...slot, sentId: a.alertId, payload: '', eventIds: [], delivered: new Set() });
      }
    }
  }

  async release(alerts: readonly AlertRef[], owner: string): Promise<void> {
    for (const a of alerts) {
      const slot = this.slots.get(a.dedupKey);
      if (slot?.alertId === a.alertId && slot.owner === owner && slot.sentId !== a.alertId) slot.leaseUntil = 0;
    }
  }

  /** Number of alerts held (for tests and memory checks). */
  size(): { alerts: number; eventPointers: number } {
    return { alerts: this.slots.size, eventPointers: this.byEvent.size };
  }

  /** Removes the pointers from a slot's events to it (it was sent, replaced or expired). */
  private unpoint(slot: Slot): void {
    for (const id of slot.eventIds) {
      const keys = this.byEvent.get(id);
      if (keys?.delete(slot.dedupKey) && keys.size === 0) this.byEvent.delete(id);
    }
  }

  /** Drops slots past their TTL by the caller's clock, as DynamoDB's TTL would. */
  private sweep(nowMs: number): void {
    this.lastSweep = nowMs;
    for (const [k, slot] of this.slots) {
      if (slot.expiresAt < nowMs) {
        this.unpoint(slot);
        this.slots.delete(k);
      }
    }
  }
}
