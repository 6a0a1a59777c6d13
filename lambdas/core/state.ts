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
  /** Its {@link keyString}, computed once (`readKey` in cache.ts sets it; hot paths reuse the key). */
  readonly id?: string;
}

/** Attribute values: numbers, strings and string sets (as sorted arrays). */
export type Attr = number | string | readonly string[];

/** A stored item's attributes, including `expiresAt` (epoch seconds). */
export type StateItem = Readonly<Record<string, Attr>>;

/** Name of the TTL attribute, in epoch seconds. */
export const TTL_ATTRIBUTE = 'expiresAt';

/**
 * An atomic change to one item. A key is written at most once per batch: the engine merges
 * all updates to a key first ({@link mergeUpdates}). `max` and `min` are conditional writes, so
 * an update with either carries no other kind of operation.
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
  /** SET when smaller (conditional): a first-seen time that racing writers agree on whatever their order. */
  readonly min?: Readonly<Record<string, number>>;
  /** TTL, epoch seconds; the item's TTL becomes the later of the stored and this. */
  readonly expiresAt: number;
}

/** One item of a batch: as loaded (undefined when absent) and after the batch's updates. */
export interface BatchItemResult {
  readonly loaded: StateItem | undefined;
  readonly updated: StateItem;
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
  /**
   * Applies the updates, each atomically; a retry after a partial commit is harmless.
   * `results` may give, per key, the item the batch loaded and the item it ended with (the
   * updates applied to it, in arrays the store may keep): a store in this process may keep
   * that item where its own is still the one loaded, rather than apply the update again.
   */
  commit(updates: readonly StateUpdate[], results?: ReadonlyMap<string, BatchItemResult>): Promise<void>;
  /** Totals since the store was created. */
  consumption(): Consumption;
  /**
   * A store in this process (no round trip) may offer reads as the detectors ask, in place of
   * a load of every key a batch may need: what `load` would return for the key, read on the
   * spot. Called once per batch, before its commit; the reads stay valid until that commit.
   */
  readThrough?(nowMs: number): (key: StateKey) => StateItem | undefined;
}

/** A key a detector reads, and optionally when a cached lower bound of its item decides. */
export interface ReadKey extends StateKey {
  /**
   * True when this item (as cached: a subset of what the table holds) is enough to evaluate
   * the call. Give it only for items that grow one way; leave it out to always read.
   */
  readonly enough?: (cached: StateItem) => boolean;
}

/** A predicate for {@link ReadKey.enough}: keys.ts builds keys with them. */
export type Enough = (cached: StateItem) => boolean;

/**
 * A warm instance's memory of state items that only grow (sets that gain members, maxima,
 * values written once), each a lower bound of what the table holds. The engine asks it before
 * reading; a key's readers say when such a copy decides (`ReadKey.enough` in keys.ts).
 */
export interface StateCache {
  /** The cached item when every reader finds it enough, else undefined (read the table). */
  lookup(key: StateKey, readers: readonly ReadKey[], nowMs: number): StateItem | undefined;
  /** Keeps an item just read from the table (an empty item: it did not exist). */
  remember(key: StateKey, item: StateItem, nowMs: number): void;
  /** Brings an entry up to date with an update this instance committed. */
  committed(update: StateUpdate, nowMs: number): void;
}

/** The map key of a {@link StateKey}. */
export function keyString(key: StateKey): string {
  return key.id ?? `${key.pk}\u0000${key.sk}`;
}

/**
 * A string set's member index: the members of the array it was copied from (shared, never
 * changed) and those it gained since. A batch copies a set the first time it adds to it, and
 * so does the embedded store when it commits: the copy inherits the index instead of hashing
 * every member again.
 */
interface MemberIndex {
  readonly base: ReadonlySet<string>;
  readonly added: Set<string>;
}

/**
 * Where an array keeps its index: a property of its own, not enumerable (no copy, comparison or
 * serialisation sees it). A WeakMap from array to index cost a hash lookup per membership test,
 * several per call on the hot path. An array changes in place only in `applyInPlace` on an
 * array its owner gave it, which keeps the index current.
 */
const MEMBER_INDEX = Symbol('memberIndex');

type Indexed = readonly string[] & { [MEMBER_INDEX]?: MemberIndex };

function indexOf(values: readonly string[]): MemberIndex | undefined {
  return (values as Indexed)[MEMBER_INDEX];
}

/** Gives `values` its index (an array that cannot take a property, a frozen one, goes unindexed). */
function setIndex(values: readonly string[], index: MemberIndex): void {
  if (Object.isExtensible(values)) Object.defineProperty(values, MEMBER_INDEX, { value: index, writable: true, configurable: true, enumerable: false });
}
/** Below this many members a scan is as quick as an index. */
const INDEX_FROM = 16;

/** Whether a string set (as a state item holds it) has `value`; large sets are indexed once. */
export function hasMember(values: readonly string[] | undefined, value: string): boolean {
  if (values === undefined) return false;
  if (values.length < INDEX_FROM) return values.includes(value);
  let index = indexOf(values);
  if (index === undefined) {
    if (!Object.isExtensible(values)) return values.includes(value);
    index = { base: new Set(values), added: new Set() };
    setIndex(values, index);
  }
  return index.base.has(value) || index.added.has(value);
}

/** A copy of a string set for its new owner to append to; it inherits the original's index. */
export function copySet(values: readonly string[]): string[] {
  const copy = [...values];
  const index = indexOf(values);
  if (index !== undefined) {
    // Once the additions outgrow a quarter of the shared part they fold into a new one, so a
    // set copied batch after batch costs its additions, not its size.
    const fold = index.added.size * 4 > index.base.size;
    setIndex(copy, fold ? { base: new Set(values), added: new Set() } : { base: index.base, added: new Set(index.added) });
  }
  return copy;
}

/** The item after an update, with the semantics a DynamoDB UpdateItem gives. */
export function applyUpdate(item: StateItem | undefined, update: StateUpdate): StateItem {
  const next: Record<string, Attr> = { ...(item ?? {}) };
  // Arrays are never changed in place (callers may hold them): a set that gains a member is new.
  applyInPlace(next, update, copySet);
  return next;
}

/**
 * {@link applyUpdate} on an item the caller owns. `own` returns an array the caller may append
 * to for a set that gains members (a copy, unless the caller owns that array already).
 * String sets keep arrival order.
 */
export function applyInPlace(item: Record<string, Attr>, update: StateUpdate, own: (values: readonly string[]) => string[]): void {
  if (update.add) for (const name in update.add) item[name] = (typeof item[name] === 'number' ? (item[name] as number) : 0) + update.add[name]!;
  if (update.addToSet) {
    for (const name in update.addToSet) {
      const current = item[name];
      let members: readonly string[];
      let owned: string[] | null = null;
      if (Array.isArray(current)) members = current as readonly string[];
      else members = item[name] = owned = [];
      for (const v of update.addToSet[name]!) {
        if (owned === null) {
          if (hasMember(members, v)) continue;
          item[name] = owned = own(members);
        } else if (hasMember(owned, v)) continue;
        owned.push(v);
        indexOf(owned)?.added.add(v);
      }
    }
  }
  if (update.setIfAbsent) for (const name in update.setIfAbsent) if (item[name] === undefined) item[name] = update.setIfAbsent[name]!;
  if (update.set) for (const name in update.set) item[name] = update.set[name]!;
  if (update.max) {
    for (const name in update.max) {
      const v = update.max[name]!;
      if (typeof item[name] !== 'number' || (item[name] as number) < v) item[name] = v;
    }
  }
  if (update.min) {
    for (const name in update.min) {
      const v = update.min[name]!;
      if (typeof item[name] !== 'number' || (item[name] as number) > v) item[name] = v;
    }
  }
  const ttl = item[TTL_ATTRIBUTE];
  item[TTL_ATTRIBUTE] = typeof ttl === 'number' ? Math.max(ttl, update.expiresAt) : update.expiresAt;
}

/** Merges updates so each key is written once; earlier updates win `setIfAbsent`, later win `set`. */
export function mergeUpdates(updates: readonly StateUpdate[]): StateUpdate[] {
  const merger = new UpdateMerger();
  for (const u of updates) merger.add(u);
  return merger.updates();
}

interface PendingWrite {
  readonly key: StateKey;
  add?: Record<string, number>;
  addToSet?: Record<string, Set<string>>;
  setIfAbsent?: Record<string, string | number>;
  set?: Record<string, string | number>;
  max?: Record<string, number>;
  min?: Record<string, number>;
  expiresAt: number;
}

/**
 * Collects a batch's updates into one write per key as they come (what {@link mergeUpdates}
 * returns for the same updates), in time linear in the updates whatever a set's size.
 */
export class UpdateMerger {
  private readonly pending = new Map<string, PendingWrite>();

  /** The number of keys with a write. */
  get size(): number {
    return this.pending.size;
  }

  add(u: StateUpdate): void {
    const id = keyString(u.key);
    let w = this.pending.get(id);
    if (w === undefined) {
      w = { key: u.key, expiresAt: u.expiresAt };
      this.pending.set(id, w);
    } else {
      if ((isConditional(u) && hasUnconditional(w)) || (isConditional(w) && hasUnconditional(u))) {
        throw new Error(`state key ${u.key.pk}/${u.key.sk}: a max or min update cannot share its item with other updates`);
      }
      w.expiresAt = Math.max(w.expiresAt, u.expiresAt);
    }
    if (u.add) for (const name in u.add) (w.add ??= {})[name] = (w.add[name] ?? 0) + u.add[name]!;
    if (u.addToSet) {
      for (const name in u.addToSet) {
        const members = ((w.addToSet ??= {})[name] ??= new Set());
        for (const v of u.addToSet[name]!) members.add(v);
      }
    }
    if (u.setIfAbsent) for (const name in u.setIfAbsent) if ((w.setIfAbsent ??= {})[name] === undefined) w.setIfAbsent[name] = u.setIfAbsent[name]!;
    if (u.set) for (const name in u.set) (w.set ??= {})[name] = u.set[name]!;
    if (u.max) for (const name in u.max) (w.max ??= {})[name] = Math.max(w.max[name] ?? -Infinity, u.max[name]!);
    if (u.min) for (const name in u.min) (w.min ??= {})[name] = Math.min(w.min[name] ?? Infinity, u.min[name]!);
  }

  /** One update per key, in the order the keys were first updated; empty parts left out. */
  updates(): StateUpdate[] {
    const out: StateUpdate[] = [];
    for (const w of this.pending.values()) {
      const u: { -readonly [K in keyof StateUpdate]: StateUpdate[K] } = { key: w.key, expiresAt: w.expiresAt };
      if (w.add && Object.keys(w.add).length) u.add = w.add;
      if (w.addToSet && Object.keys(w.addToSet).length) {
        const sets: Record<string, string[]> = {};
        for (const name in w.addToSet) sets[name] = [...w.addToSet[name]!];
        u.addToSet = sets;
      }
      if (w.setIfAbsent && Object.keys(w.setIfAbsent).length) u.setIfAbsent = w.setIfAbsent;
      if (w.set && Object.keys(w.set).length) u.set = w.set;
      if (w.max && Object.keys(w.max).length) u.max = w.max;
      if (w.min && Object.keys(w.min).length) u.min = w.min;
      out.push(u);
    }
    return out;
  }
}

// Asked for each update merged into a pending one (every call of a busy window): no allocation.
function hasUnconditional(u: { add?: object; addToSet?: object; setIfAbsent?: object; set?: object }): boolean {
  return nonEmpty(u.add) || nonEmpty(u.addToSet) || nonEmpty(u.setIfAbsent) || nonEmpty(u.set);
}

function isConditional(u: { max?: object; min?: object }): boolean {
  return nonEmpty(u.max) || nonEmpty(u.min);
}

function nonEmpty(part: object | undefined): boolean {
  if (part === undefined) return false;
  for (const _ in part) return true;
  return false;
}
