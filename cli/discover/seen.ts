/** Counting what was seen: how often, when, on which days; maps itemising a bounded number of keys. */
import { dayOf } from '../../lambdas/core/time';

/** How often something was seen, and when. */
export class Seen {
  calls = 0;
  denied = 0;
  first = Infinity;
  last = -Infinity;
  readonly days = new Set<number>();

  /** Counts one call at `t` (ms). */
  add(t: number, denied = false): void {
    this.calls += 1;
    if (denied) this.denied += 1;
    if (t < this.first) this.first = t;
    if (t > this.last) this.last = t;
    this.days.add(dayOf(t));
  }

  /** Adds another's counts to this one. */
  merge(other: Seen): this {
    this.calls += other.calls;
    this.denied += other.denied;
    this.first = Math.min(this.first, other.first);
    this.last = Math.max(this.last, other.last);
    for (const d of other.days) this.days.add(d);
    return this;
  }
}

/** A map that itemises at most `cap` keys and counts what it could not. */
export class Capped<V> {
  readonly items = new Map<string, V>();
  /** Calls whose key was beyond the cap. */
  overflow = 0;

  constructor(private readonly cap: number, private readonly make: (key: string) => V) {}

  /** The entry of `key`, made if there is room; null (and counted) when the map is full. */
  get(key: string): V | null {
    let v = this.items.get(key);
    if (v === undefined) {
      if (this.items.size >= this.cap) {
        this.overflow += 1;
        return null;
      }
      v = this.make(key);
      this.items.set(key, v);
    }
    return v;
  }
}
