/**
 * A batch's view of state: read once (cache first, then one load), then changed in place as the
 * detectors make their updates, which are merged into one write per key.
 */
import {
  applyInPlace,
  copySet,
  keyString,
  UpdateMerger,
  type Attr,
  type ReadKey,
  type BatchItemResult,
  type StateCache,
  type StateItem,
  type StateKey,
  type StateStore,
  type StateUpdate,
} from '../core/state';

/**
 * Reads what a batch needs, given its readers' key lists: from the cache where every reader of a
 * key finds the cached copy enough, the rest in one load. `cacheable` names the keys every reader
 * would take from the cache (their committed updates refresh it).
 */
export async function readState(keyLists: Iterable<readonly ReadKey[]>, store: StateStore, cache: StateCache | undefined, nowMs: number): Promise<{ items: Map<string, StateItem>; cacheable: Set<string> }> {
  const readers = new Map<string, ReadKey[]>();
  const addKey = (k: ReadKey): void => {
    const s = keyString(k);
    const list = readers.get(s);
    if (list) list.push(k);
    else readers.set(s, [k]);
  };
  // Detectors hand out the same key lists for calls that share their state (a role's window):
  // each list is added once.
  const lists = new Set<readonly ReadKey[]>();
  for (const list of keyLists) {
    if (lists.has(list)) continue;
    lists.add(list);
    for (const k of list) addKey(k);
  }
  const items = new Map<string, StateItem>();
  const cacheable = new Set<string>();
  const toLoad: StateKey[] = [];
  for (const [s, list] of readers) {
    const key = list[0]!;
    if (list.every((r) => r.enough !== undefined)) cacheable.add(s);
    const cached = cache && cacheable.has(s) ? cache.lookup(key, list, nowMs) : undefined;
    // An empty cached item stands for one that did not exist when it was read.
    if (cached) {
      if (Object.keys(cached).length > 0) items.set(s, cached);
    } else toLoad.push(key);
  }
  if (toLoad.length > 0) {
    const found = await store.load(toLoad, nowMs);
    for (const [s, item] of found) items.set(s, item);
    if (cache) {
      for (const key of toLoad) {
        const s = keyString(key);
        if (!cacheable.has(s)) continue;
        const item = found.get(s);
        // Absence is remembered only where an empty item is enough for every reader.
        if (item) cache.remember(key, item, nowMs);
        else if (readers.get(s)!.every((r) => r.enough!({}))) cache.remember(key, {}, nowMs);
      }
    }
  }
  return { items, cacheable };
}

/** An item read through and not found (the batch's map holds it so the store is asked once). */
const ABSENT: StateItem = Object.freeze({});

/**
 * The batch's state as the detectors see it: the items read, with each update applied as it is
 * made, and the updates merged into one write per key. An item is copied the first time the
 * batch changes it, and a set the first time it gains a member; after that they change in place
 * (what the store, the cache or a finding holds is never changed).
 */
export class BatchState {
  private readonly items: Map<string, StateItem>;
  /** Each changed item as it was loaded (undefined where there was none). */
  private readonly loaded = new Map<string, StateItem | undefined>();
  private readonly ownedItems = new Set<string>();
  private readonly ownedSets = new WeakSet<readonly string[]>();
  private readonly merger = new UpdateMerger();
  private readonly own = (values: readonly string[]): string[] => {
    if (this.ownedSets.has(values)) return values as string[];
    const copy = copySet(values);
    this.ownedSets.add(copy);
    return copy;
  };

  /**
   * @param loaded the items read for the batch
   * @param readThrough where an item not in `loaded` is read when asked for (a store in this
   *   process, see `StateStore.readThrough`); without it, an item not loaded does not exist
   */
  constructor(
    loaded: Map<string, StateItem>,
    private readonly readThrough?: (key: StateKey) => StateItem | undefined,
  ) {
    this.items = loaded;
  }

  get(key: StateKey): StateItem | undefined {
    const id = keyString(key);
    const item = this.items.get(id);
    if (item !== undefined || this.readThrough === undefined) return item === ABSENT ? undefined : item;
    return this.read(id, key);
  }

  apply(update: StateUpdate): void {
    this.merger.add(update);
    const id = keyString(update.key);
    let item = this.items.get(id) as Record<string, Attr> | undefined;
    if (item === undefined && this.readThrough !== undefined) item = this.read(id, update.key) as Record<string, Attr> | undefined;
    else if (item === ABSENT) item = undefined;
    if (item === undefined || !this.ownedItems.has(id)) {
      this.loaded.set(id, item);
      item = { ...item };
      this.items.set(id, item);
      this.ownedItems.add(id);
    }
    applyInPlace(item, update, this.own);
  }

  /** Reads an item through, once a batch: found or not, the answer is kept with the batch's items. */
  private read(id: string, key: StateKey): StateItem | undefined {
    const item = this.readThrough!(key);
    this.items.set(id, item ?? ABSENT);
    return item;
  }

  /** One update per key written in the batch. */
  writes(): StateUpdate[] {
    return this.merger.size > 0 ? this.merger.updates() : [];
  }

  /** Each written item as loaded and as the batch left it (the batch's own copies, see StateStore.commit). */
  results(): Map<string, BatchItemResult> {
    const out = new Map<string, BatchItemResult>();
    for (const [id, loaded] of this.loaded) out.set(id, { loaded, updated: this.items.get(id)! });
    return out;
  }
}
