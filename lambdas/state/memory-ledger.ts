/**
 * The embedded alert ledger (suppression and outbox): the replay default and the engine tests'
 * ledger. Same decisions as the DynamoDB ledger (one alert per dedup key and window, leases,
 * sent marks), in one process.
 */
import { ALERT_LEASE_MS, type AlertLedger, type AlertRef, type AlertReservation, type ReservationOutcome } from '../core/ledger';

/** A dedup key's alert: the reservation, who holds its lease until when, and what was sent. */
interface Slot extends AlertReservation {
  owner: string;
  leaseUntil: number;
  sentId: string | null;
}

/** In-memory {@link AlertLedger}: suppression and outbox with the DynamoDB ledger's semantics. */
export class MemoryLedger implements AlertLedger {
  private readonly slots = new Map<string, Slot>();
  private readonly byEvent = new Map<string, Set<string>>();

  async reserve(reservations: readonly AlertReservation[], owner: string, nowMs: number, leaseMs = ALERT_LEASE_MS): Promise<ReservationOutcome[]> {
    return reservations.map((r) => {
      const slot = this.slots.get(r.dedupKey);
      if (!slot || Math.abs(r.eventTime - slot.eventTime) >= r.windowMs) {
        this.slots.set(r.dedupKey, { ...r, owner, leaseUntil: nowMs + leaseMs, sentId: null });
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
  }

  async pending(eventIds: readonly string[]): Promise<AlertReservation[]> {
    const keys = new Set(eventIds.flatMap((id) => [...(this.byEvent.get(id) ?? [])]));
    return [...keys].map((k) => this.slots.get(k)!).filter((s) => s.sentId !== s.alertId && s.eventIds.some((id) => eventIds.includes(id)))
      .map(({ alertId, dedupKey, eventTime, windowMs, eventIds: ids, payload }) => ({ alertId, dedupKey, eventTime, windowMs, eventIds: ids, payload }));
  }

  async markSent(alerts: readonly AlertRef[]): Promise<void> {
    for (const a of alerts) {
      const slot = this.slots.get(a.dedupKey);
      if (slot?.alertId === a.alertId) slot.sentId = a.alertId;
    }
  }

  async release(alerts: readonly AlertRef[], owner: string): Promise<void> {
    for (const a of alerts) {
      const slot = this.slots.get(a.dedupKey);
      if (slot?.alertId === a.alertId && slot.owner === owner && slot.sentId !== a.alertId) slot.leaseUntil = 0;
    }
  }
}
