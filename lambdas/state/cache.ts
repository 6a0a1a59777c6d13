/**
 * A warm Lambda's memory of state items it may trust without reading them again.
 *
 * Only items whose meaning grows one way are kept: sets that only gain members (a session's
 * locations, a role's session-name shapes, the accounts of an external ID), maxima, and values
 * written once. The cache holds a *lower bound* of each: what this instance read or wrote, never
 * more than the table holds. A detector says, per key, when a lower bound is enough to decide
 * ({@link ReadKey.enough}: "the session's locations include this call's location"); when it is
 * not, the engine reads the table. So a stale entry costs a read, never a missed alert.
 */
import { applyUpdate, keyString, TTL_ATTRIBUTE, type ReadKey, type StateCache as StateCachePort, type StateItem, type StateKey, type StateUpdate } from '../core/state';
import { DAY_MS } from '../core/time';

/** Options of {@link StateCache}. */
export interface StateCacheOptions {
  /** Items kept (least recently used go first). @default 20000 */
  readonly maxItems?: number;
  /** How long an entry is trusted after it was read or written. @default 1 day (daily scans find their accounts again) */
  readonly maxAgeMs?: number;
}

interface Entry {
  item: StateItem;
  at: number;
}

/** What {@link StateCache} did, for metrics and benchmarks. */
export interface CacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly items: number;
}

/** The per-instance cache of one-way-growing state items. */
export class StateCache implements StateCachePort {
  private readonly entries = new Map<string, Entry>();
  private readonly maxItems: number;
  private readonly maxAgeMs: number;
  private hits = 0;
  private misses = 0;

  constructor(options: StateCacheOptions = {}) {
    this.maxItems = options.maxItems ?? 20_000;
    this.maxAgeMs = options.maxAgeMs ?? DAY_MS;
  }

  /** The cached item when every reader finds it enough, else undefined (read the table). */
  lookup(key: StateKey, readers: readonly ReadKey[], nowMs: number): StateItem | undefined {
    const k = keyString(key);
    const entry = this.entries.get(k);
    const fresh = entry !== undefined && nowMs - entry.at < this.maxAgeMs && !expired(entry.item, nowMs);
    if (!fresh) {
      if (entry) this.entries.delete(k);
      this.misses += 1;
      return undefined;
    }
    if (!readers.every((r) => r.enough !== undefined && r.enough(entry.item))) {
      this.misses += 1;
      return undefined;
    }
    // Most recently used goes last.
    this.entries.delete(k);
    this.entries.set(k, entry);
    this.hits += 1;
    return entry.item;
  }

  /** Keeps an item just read from the table. */
  remember(key: StateKey, item: StateItem, nowMs: number): void {
    this.put(keyString(key), { item, at: nowMs });
  }

  /**
   * Brings an entry up to date with an update this instance committed. Set additions, maxima
   * and TTLs keep it a lower bound of the table; any other change drops it (a `min` too: another
   * instance may have written an earlier value this copy would hide).
   */
  committed(update: StateUpdate, nowMs: number): void {
    const k = keyString(update.key);
    if (update.add || update.set || update.setIfAbsent || update.min) {
      this.entries.delete(k);
      return;
    }
    const entry = this.entries.get(k);
    // Without an entry, the update alone is still a lower bound of the item.
    this.put(k, { item: applyUpdate(entry?.item, update), at: entry?.at ?? nowMs });
  }

  stats(): CacheStats {
    return { hits: this.hits, misses: this.misses, items: this.entries.size };
  }

  private put(k: string, entry: Entry): void {
    this.entries.delete(k);
    this.entries.set(k, entry);
    while (this.entries.size > this.maxItems) this.entries.delete(this.entries.keys().next().value!);
  }
}

function expired(item: StateItem, nowMs: number): boolean {
  const ttl = item[TTL_ATTRIBUTE];
  return typeof ttl === 'number' && ttl < nowMs / 1000;
}
