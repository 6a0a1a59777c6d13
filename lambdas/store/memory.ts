/**
 * The embedded state store: the replay default and the engine tests' store. Same semantics as
 * the DynamoDB adapter (the same update semantics, TTL by the caller's clock), in one process.
 */
import {
  applyUpdate,
  keyString,
  TTL_ATTRIBUTE,
  type Consumption,
  type StateItem,
  type StateKey,
  type StateStore,
  type StateUpdate,
  type SuppressionRequest,
} from './port';

/** In-memory {@link StateStore}. */
export class MemoryStore implements StateStore {
  private readonly items = new Map<string, StateItem>();
  private readonly alerts = new Map<string, number>();
  private requests = 0;
  private lastSweep = 0;

  async load(keys: readonly StateKey[], nowMs: number): Promise<ReadonlyMap<string, StateItem>> {
    this.requests += 1;
    this.sweep(nowMs);
    const nowSeconds = nowMs / 1000;
    const items = new Map<string, StateItem>();
    for (const key of keys) {
      const k = keyString(key);
      const item = this.items.get(k);
      if (item && (item[TTL_ATTRIBUTE] as number) >= nowSeconds) items.set(k, item);
    }
    return items;
  }

  async commit(updates: readonly StateUpdate[]): Promise<void> {
    this.requests += 1;
    for (const u of updates) {
      const k = keyString(u.key);
      this.items.set(k, applyUpdate(this.items.get(k), u));
    }
  }

  async suppress(requests: readonly SuppressionRequest[]): Promise<boolean[]> {
    this.requests += 1;
    return requests.map((r) => {
      const last = this.alerts.get(r.dedupKey);
      if (last !== undefined && Math.abs(r.eventTime - last) < r.windowMs) return false;
      this.alerts.set(r.dedupKey, last === undefined ? r.eventTime : Math.max(last, r.eventTime));
      return true;
    });
  }

  consumption(): Consumption {
    return { readUnits: 0, writeUnits: 0, requests: this.requests };
  }

  /** Number of stored items and alert marks (for tests and memory checks). */
  size(): { items: number; alerts: number } {
    return { items: this.items.size, alerts: this.alerts.size };
  }

  /** A copy of every stored item, keyed by `pk`/`sk`. */
  dump(): Map<string, StateItem> {
    return new Map(this.items);
  }

  /** Drops expired entries now and then, so a month-long replay stays bounded like a TTL table. */
  private sweep(nowMs: number): void {
    if (nowMs - this.lastSweep < 3_600_000) return;
    this.lastSweep = nowMs;
    const nowSeconds = nowMs / 1000;
    for (const [k, item] of this.items) if ((item[TTL_ATTRIBUTE] as number) < nowSeconds) this.items.delete(k);
    for (const [key, time] of this.alerts) if (time < nowMs - 30 * 86_400_000) this.alerts.delete(key);
  }
}
