/**
 * The state port: what the engine needs from a store, in operations a DynamoDB table can do
 * atomically (ADD, if_not_exists, conditional writes) so that racing Lambda instances agree.
 * `applyUpdate` defines their meaning once; the in-memory store and the engine's per-batch
 * view both use it.
 */

/** A state item's key in the single table. */
export interface StateKey {
  readonly pk: string;
  readonly sk: string;
}

/** Attribute values: numbers, strings and string sets (as sorted arrays). */
export type Attr = number | string | readonly string[];

/** A stored item's attributes, including `expiresAt` (epoch seconds). */
export type StateItem = Readonly<Record<string, Attr>>;

/** Name of the TTL attribute, in epoch seconds. */
export const TTL_ATTRIBUTE = 'expiresAt';

/**
 * An atomic change to one item. A key is written at most once per batch: the engine merges
 * all updates to a key first ({@link mergeUpdates}). `max` is a conditional write, so an
 * update with `max` carries nothing else.
 */
export interface StateUpdate {
  readonly key: StateKey;
  /** ADD to numbers (not idempotent: only for counts past a set's cap, see `countOnce`). */
  readonly add?: Readonly<Record<string, number>>;
  /** ADD to string sets. */
  readonly addToSet?: Readonly<Record<string, readonly string[]>>;
  /** SET if_not_exists. */
  readonly setIfAbsent?: Readonly<Record<string, string | number>>;
  /** SET (last writer wins; only for values any racing writer would also write). */
  readonly set?: Readonly<Record<string, string | number>>;
  /** SET when greater (conditional). */
  readonly max?: Readonly<Record<string, number>>;
  /** TTL, epoch seconds; the item's TTL becomes the later of the stored and this. */
  readonly expiresAt: number;
}

/** Request units a store consumed (for metrics and benchmarks). */
export interface Consumption {
  readonly readUnits: number;
  readonly writeUnits: number;
  readonly requests: number;
}

/**
 * The state store the engine talks to: one `load` and one `commit` per batch.
 *
 * Every update is idempotent (set additions, if_not_exists, max; counters are sets of event
 * fingerprints), so an event delivered twice, or a batch retried after a crash part-way
 * through its writes, changes nothing the second time. That is what makes effects
 * exactly-once per event without a per-event claim write.
 */
export interface StateStore {
  /** Reads the items; expired ones (TTL before `nowMs`) are omitted. */
  load(keys: readonly StateKey[], nowMs: number): Promise<ReadonlyMap<string, StateItem>>;
  /** Applies the updates, each atomically; a retry after a partial commit is harmless. */
  commit(updates: readonly StateUpdate[]): Promise<void>;
  /** Totals since the store was created. */
  consumption(): Consumption;
}

/** The map key of a {@link StateKey}. */
export function keyString(key: StateKey): string {
  return `${key.pk}\u0000${key.sk}`;
}

/** The item after an update, with the semantics a DynamoDB UpdateItem gives. */
export function applyUpdate(item: StateItem | undefined, update: StateUpdate): StateItem {
  const next: Record<string, Attr> = { ...(item ?? {}) };
  for (const [name, n] of Object.entries(update.add ?? {})) next[name] = (typeof next[name] === 'number' ? (next[name] as number) : 0) + n;
  for (const [name, values] of Object.entries(update.addToSet ?? {})) {
    // Arrays are never changed in place (callers may hold them); members keep arrival order.
    const current = Array.isArray(next[name]) ? (next[name] as readonly string[]) : [];
    const added = values.filter((v, i) => !current.includes(v) && values.indexOf(v) === i);
    if (added.length > 0 || !Array.isArray(next[name])) next[name] = [...current, ...added];
  }
  for (const [name, v] of Object.entries(update.setIfAbsent ?? {})) if (next[name] === undefined) next[name] = v;
  for (const [name, v] of Object.entries(update.set ?? {})) next[name] = v;
  for (const [name, v] of Object.entries(update.max ?? {})) {
    if (typeof next[name] !== 'number' || (next[name] as number) < v) next[name] = v;
  }
  const ttl = next[TTL_ATTRIBUTE];
  next[TTL_ATTRIBUTE] = typeof ttl === 'number' ? Math.max(ttl, update.expiresAt) : update.expiresAt;
  return next;
}

/** Merges updates so each key is written once; earlier updates win `setIfAbsent`, later win `set`. */
export function mergeUpdates(updates: readonly StateUpdate[]): StateUpdate[] {
  const merged = new Map<string, StateUpdate>();
  for (const u of updates) {
    const k = keyString(u.key);
    const prev = merged.get(k);
    if (!prev) {
      merged.set(k, u);
      continue;
    }
    if ((u.max && hasNonMax(prev)) || (prev.max && hasNonMax(u))) {
      throw new Error(`state key ${u.key.pk}/${u.key.sk}: a max update cannot share its item with other updates`);
    }
    merged.set(k, {
      key: u.key,
      add: mergeWith(prev.add, u.add, (a, b) => a + b),
      addToSet: mergeWith(prev.addToSet, u.addToSet, (a, b) => [...new Set([...a, ...b])]),
      setIfAbsent: mergeWith(prev.setIfAbsent, u.setIfAbsent, (a) => a),
      set: mergeWith(prev.set, u.set, (_a, b) => b),
      max: mergeWith(prev.max, u.max, (a, b) => Math.max(a, b)),
      expiresAt: Math.max(prev.expiresAt, u.expiresAt),
    });
  }
  return [...merged.values()].map(stripEmpty);
}

function hasNonMax(u: StateUpdate): boolean {
  return [u.add, u.addToSet, u.setIfAbsent, u.set].some((part) => part !== undefined && Object.keys(part).length > 0);
}

function mergeWith<T>(a: Readonly<Record<string, T>> | undefined, b: Readonly<Record<string, T>> | undefined, f: (x: T, y: T) => T): Record<string, T> | undefined {
  if (!a) return b ? { ...b } : undefined;
  if (!b) return { ...a };
  const out: Record<string, T> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = k in out ? f(out[k]!, v) : v;
  return out;
}

function stripEmpty(u: StateUpdate): StateUpdate {
  const out: { -readonly [K in keyof StateUpdate]: StateUpdate[K] } = { key: u.key, expiresAt: u.expiresAt };
  if (u.add && Object.keys(u.add).length) out.add = u.add;
  if (u.addToSet && Object.keys(u.addToSet).length) out.addToSet = u.addToSet;
  if (u.setIfAbsent && Object.keys(u.setIfAbsent).length) out.setIfAbsent = u.setIfAbsent;
  if (u.set && Object.keys(u.set).length) out.set = u.set;
  if (u.max && Object.keys(u.max).length) out.max = u.max;
  return out;
}

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
 *    retry of their events may send them at once instead of waiting for the lease to end.
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
  /** Unsent reservations recorded for any of these events. */
  pending(eventIds: readonly string[]): Promise<AlertReservation[]>;
  markSent(alerts: readonly AlertRef[]): Promise<void>;
  /** Ends `owner`'s lease on these unsent alerts (the publisher refused them). */
  release(alerts: readonly AlertRef[], owner: string): Promise<void>;
}

/** An alert in the ledger. */
export interface AlertRef {
  readonly alertId: string;
  readonly dedupKey: string;
}

/** The lease when the caller gives none: Lambda's longest timeout. */
export const ALERT_LEASE_MS = 15 * 60_000;
