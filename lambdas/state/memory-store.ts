/**
 * The embedded state store: the replay default and the engine tests' store. Same semantics as
 * the DynamoDB adapter (the same update semantics, TTL by the caller's clock), in one process.
 */
import {
  applyInPlace,
  copySet,
  keyString,
  TTL_ATTRIBUTE,
  type Attr,
  type BatchItemResult,
  type Consumption,
  type StateItem,
  type StateKey,
  type StateStore,
  type StateUpdate,
} from '../core/state';

/**
 * The item after an update, its string sets sorted as DynamoDB returns them (order carries no
 * meaning). Sets the update leaves alone keep their array (and so their member index).
 */
function applySorted(item: StateItem | undefined, update: StateUpdate): StateItem {
  const next: Record<string, Attr> = { ...item };
  applyInPlace(next, update, copySet);
  return sortGained(next, item, update);
}

function setLength(value: Attr | undefined): number {
  return Array.isArray(value) ? value.length : 0;
}

/**
 * Sorts a set whose first `sorted` members are in order (what the store held) and the rest
 * new: the new ones are sorted and each put in its place by binary search, so the stored run
 * is not compared member by member again.
 */
function sortAfter(values: string[], sorted: number): void {
  if (values.length - sorted >= sorted) {
    values.sort();
    return;
  }
  const added = values.slice(sorted).sort();
  let end = sorted;
  let write = values.length;
  for (let j = added.length - 1; j >= 0; j--) {
    const v = added[j]!;
    let lo = 0;
    let hi = end;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (values[mid]! > v) hi = mid;
      else lo = mid + 1;
    }
    values.copyWithin(write - (end - lo), lo, end);
    write -= end - lo;
    end = lo;
    values[--write] = v;
  }
}

/**
 * `item` with the sets `update` added to sorted in place. Each such set is a new array, the
 * item's own: the set as `before` held it (sorted), then the new members.
 */
function sortGained(item: StateItem, before: StateItem | undefined, update: StateUpdate): StateItem {
  if (update.addToSet) for (const name in update.addToSet) if (item[name] !== before?.[name]) sortAfter(item[name] as string[], setLength(before?.[name]));
  return item;
}

/**
 * An in-memory store or ledger holds as many items as it may: what is live (not past its TTL by
 * the caller's clock) would take more memory than the process was allowed. The caller stops, and
 * says how to raise the bound.
 */
export class MemoryBoundError extends Error {
  constructor(
    /** What is full: "state items", "alerts". */
    readonly what: string,
    readonly limit: number,
    /** The caller's clock when it filled up (epoch ms). */
    readonly nowMs: number,
  ) {
    super(`more than ${limit} ${what} are live (not past their TTL) at ${new Date(nowMs).toISOString()}, the most this store may hold in memory`);
    this.name = 'MemoryBoundError';
  }
}

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /** The most items it holds once expired ones are dropped; a commit past it throws {@link MemoryBoundError}. @default no bound */
  readonly maxItems?: number;
}

/** How often (by the caller's clock) a store at its bound looks for expired items before it gives up. */
const FULL_SWEEP_EVERY_MS = 60_000;

/** In-memory {@link StateStore}. */
export class MemoryStore implements StateStore {
  private readonly items = new Map<string, StateItem>();
  private readonly maxItems: number;
  private requests = 0;
  private lastSweep = 0;
  /** The latest clock a load gave: commits take none, and expiry goes by it. */
  private lastNow = 0;

  constructor(options: MemoryStoreOptions = {}) {
    this.maxItems = options.maxItems ?? Infinity;
  }

  async load(keys: readonly StateKey[], nowMs: number): Promise<ReadonlyMap<string, StateItem>> {
    this.begin(nowMs);
    const nowSeconds = nowMs / 1000;
    const items = new Map<string, StateItem>();
    for (const key of keys) {
      const k = keyString(key);
      const item = this.items.get(k);
      if (item && (item[TTL_ATTRIBUTE] as number) >= nowSeconds) items.set(k, item);
    }
    return items;
  }

  readThrough(nowMs: number): (key: StateKey) => StateItem | undefined {
    this.begin(nowMs);
    const nowSeconds = nowMs / 1000;
    return (key) => {
      const item = this.items.get(keyString(key));
      return item && (item[TTL_ATTRIBUTE] as number) >= nowSeconds ? item : undefined;
    };
  }

  async commit(updates: readonly StateUpdate[], results?: ReadonlyMap<string, BatchItemResult>): Promise<void> {
    this.requests += 1;
    for (const u of updates) {
      const k = keyString(u.key);
      const stored = this.items.get(k);
      const result = results?.get(k);
      // Unchanged since the batch loaded it: the batch's item is this update applied to it
      // (only its sets that gained members need sorting), so it is kept as it is.
      if (result !== undefined && result.loaded === stored) this.items.set(k, sortGained(result.updated, stored, u));
      else this.items.set(k, applySorted(stored, u));
    }
    if (this.items.size > this.maxItems) {
      // Full: drop what has expired since the last sweep, as DynamoDB's TTL would have. At most
      // once a minute of the clock, so a store that stays near its bound is not swept every batch.
      if (this.lastNow - this.lastSweep >= FULL_SWEEP_EVERY_MS) this.sweep(this.lastNow, true);
      if (this.items.size > this.maxItems) throw new MemoryBoundError('state items', this.maxItems, this.lastNow);
    }
  }

  consumption(): Consumption {
    return { readUnits: 0, writeUnits: 0, requests: this.requests };
  }

  /** Number of stored items (for tests and memory checks). */
  size(): { items: number } {
    return { items: this.items.size };
  }

  /** A copy of every stored item, keyed by `pk`/`sk`. */
  dump(): Map<string, StateItem> {
    return new Map(this.items);
  }

  /** A read: one request, the clock moves on, and now and then the expired items go. */
  private begin(nowMs: number): void {
    this.requests += 1;
    this.lastNow = Math.max(this.lastNow, nowMs);
    this.sweep(nowMs);
  }

  /** Drops expired entries now and then (every hour of the clock, or now when `force`), so a month-long replay stays bounded like a TTL table. */
  private sweep(nowMs: number, force = false): void {
    if (!force && nowMs - this.lastSweep < 3_600_000) return;
    this.lastSweep = nowMs;
    const nowSeconds = nowMs / 1000;
    // forEach, not for…of: a [key, item] pair per item of a store that holds hundreds of thousands.
    this.items.forEach((item, k) => {
      if ((item[TTL_ATTRIBUTE] as number) < nowSeconds) this.items.delete(k);
    });
  }
}
