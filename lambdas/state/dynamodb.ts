/**
 * The DynamoDB adapters of the store port, in the one table of `schema.ts`:
 * {@link DynamoStore} (detector state) and {@link DynamoLedger} (alert suppression and outbox).
 * They have the observable semantics of `MemoryStore` / `MemoryLedger`, with every write a
 * single atomic UpdateItem/PutItem (conditional where the semantics need it), never a
 * read-modify-write, so racing Lambda instances stay correct.
 *
 * Capacity: every request asks for `ReturnConsumedCapacity: 'TOTAL'` and is counted in a
 * {@link CapacityMeter}; `consumption()` returns totals since the adapter was created, and the
 * caller diffs two readings for a batch ({@link consumptionSince}). Failed conditional writes
 * report no capacity in their error (DynamoDB still bills them), so the meter counts them apart.
 */
import { createHash } from 'node:crypto';
import {
  BatchGetItemCommand,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type AttributeValue,
  type ConsumedCapacity,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  ALERT_LEASE_MS,
  keyString,
  TTL_ATTRIBUTE,
  type AlertLedger,
  type AlertRef,
  type AlertReservation,
  type Attr,
  type Consumption,
  type ReservationOutcome,
  type StateItem,
  type StateKey,
  type StateStore,
  type StateUpdate,
} from '../core/state';
import { PARTITION_KEY, SORT_KEY } from './schema';

type Item = Record<string, AttributeValue>;

/** What a {@link CapacityMeter} has counted. */
export interface MeterReading extends Consumption {
  /** Conditional writes that failed their condition (billed by DynamoDB, absent from the units). */
  readonly conditionalFailures: number;
}

/** Counts requests and the capacity DynamoDB reported for them. One per adapter. */
export class CapacityMeter {
  private readUnits = 0;
  private writeUnits = 0;
  private requests = 0;
  private conditionalFailures = 0;

  /** Records one request and the capacity its response reported. */
  record(kind: 'read' | 'write', consumed: ConsumedCapacity | readonly ConsumedCapacity[] | undefined): void {
    this.requests += 1;
    for (const c of consumed === undefined ? [] : Array.isArray(consumed) ? consumed : [consumed as ConsumedCapacity]) {
      if (c.ReadCapacityUnits !== undefined || c.WriteCapacityUnits !== undefined) {
        this.readUnits += c.ReadCapacityUnits ?? 0;
        this.writeUnits += c.WriteCapacityUnits ?? 0;
      } else if (kind === 'read') this.readUnits += c.CapacityUnits ?? 0;
      else this.writeUnits += c.CapacityUnits ?? 0;
    }
  }

  /** Records a request that failed (no capacity reported); `conditional` when its condition failed. */
  failed(conditional: boolean): void {
    this.requests += 1;
    if (conditional) this.conditionalFailures += 1;
  }

  /** Totals so far. */
  reading(): MeterReading {
    return { readUnits: this.readUnits, writeUnits: this.writeUnits, requests: this.requests, conditionalFailures: this.conditionalFailures };
  }
}

/** What was consumed between two readings of `consumption()` (e.g. before and after a batch). */
export function consumptionSince(before: Consumption, after: Consumption): Consumption {
  return { readUnits: after.readUnits - before.readUnits, writeUnits: after.writeUnits - before.writeUnits, requests: after.requests - before.requests };
}

/** Retries of BatchGetItem's `UnprocessedKeys` and of conditional writes that lost a race. */
export interface RetryOptions {
  /** Requests per chunk (or per item) before giving up. @default 8 */
  readonly maxAttempts?: number;
  /** First backoff ceiling; doubled per attempt, full jitter. @default 25 */
  readonly baseDelayMs?: number;
  /** Backoff ceiling. @default 1000 */
  readonly maxDelayMs?: number;
}

/** Options of the DynamoDB adapters. */
export interface DynamoOptions {
  /** Where to count capacity. Give each adapter its own when summing their `consumption()`. @default a new meter */
  readonly meter?: CapacityMeter;
  readonly retry?: RetryOptions;
}

/** BatchGetItem's limit of keys per request. */
const BATCH_GET_LIMIT = 100;
/** DynamoDB's key size limits, in UTF-8 bytes. */
const MAX_PK_BYTES = 2048;
const MAX_SK_BYTES = 1024;
/** Marks a key part stored as a digest (too long for DynamoDB, or itself starting with the mark). */
const DIGEST_MARK = '~sha256:';
const DAY_MS = 86_400_000;

/**
 * A key part as stored: itself, or a digest when DynamoDB would reject it (empty, or longer than
 * the key limit: state keys and dedup keys embed ARNs from the records). Injective: raw parts
 * that look like a digest are digested too.
 */
function storedPart(raw: string, maxBytes: number): string {
  if (raw.length > 0 && !raw.startsWith(DIGEST_MARK) && Buffer.byteLength(raw, 'utf8') <= maxBytes) return raw;
  return DIGEST_MARK + createHash('sha256').update(raw, 'utf8').digest('hex');
}

/** A prefixed key part (`alert#…`) whose variable part is digested when too long. */
function prefixed(prefix: string, raw: string, maxBytes: number): string {
  return prefix + storedPart(raw, maxBytes - Buffer.byteLength(prefix, 'utf8'));
}

function storedKey(key: StateKey): Item {
  return { [PARTITION_KEY]: { S: storedPart(key.pk, MAX_PK_BYTES) }, [SORT_KEY]: { S: storedPart(key.sk, MAX_SK_BYTES) } };
}

function itemKeyString(item: Item): string {
  return `${item[PARTITION_KEY]?.S ?? ''}\u0000${item[SORT_KEY]?.S ?? ''}`;
}

function isConditionalCheckFailed(e: unknown): e is Error & { Item?: Item } {
  return e instanceof Error && e.name === 'ConditionalCheckFailedException';
}

/** Sends one request, counting it and the capacity it consumed. */
async function metered<O extends { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] }>(meter: CapacityMeter, kind: 'read' | 'write', send: () => Promise<O>): Promise<O> {
  let out: O;
  try {
    out = await send();
  } catch (e) {
    meter.failed(isConditionalCheckFailed(e));
    throw e;
  }
  meter.record(kind, out.ConsumedCapacity);
  return out;
}

interface Retry {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

function retryOf(options: RetryOptions | undefined): Retry {
  return { maxAttempts: options?.maxAttempts ?? 8, baseDelayMs: options?.baseDelayMs ?? 25, maxDelayMs: options?.maxDelayMs ?? 1000 };
}

/** Capped exponential backoff with full jitter before retry number `attempt` (1-based). */
function backoff(retry: Retry, attempt: number): Promise<void> {
  const ceiling = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}

/** Awaits every promise (none is left running), then throws the failure(s) if any. */
async function settleAll<T>(promises: readonly Promise<T>[], what: string): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as unknown);
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) {
    const first = failures[0] instanceof Error ? failures[0].message : String(failures[0]);
    throw new Error(`${what}: ${failures.length} of ${promises.length} requests failed; the first: ${first}`, { cause: failures[0] });
  }
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/**
 * Reads items by key: chunks of 100 in parallel, `UnprocessedKeys` retried with backoff.
 * `keys` must be distinct (BatchGetItem rejects duplicates).
 */
async function batchGetAll(client: DynamoDBClient, tableName: string, keys: readonly Item[], consistent: boolean, meter: CapacityMeter, retry: Retry): Promise<Item[]> {
  const chunks: Item[][] = [];
  for (let i = 0; i < keys.length; i += BATCH_GET_LIMIT) chunks.push(keys.slice(i, i + BATCH_GET_LIMIT));
  const results = await settleAll(
    chunks.map(async (chunk) => {
      const items: Item[] = [];
      let pending: Item[] = chunk;
      for (let attempt = 1; ; attempt++) {
        const out = await metered(meter, 'read', () =>
          client.send(new BatchGetItemCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: consistent } }, ReturnConsumedCapacity: 'TOTAL' })),
        );
        items.push(...(out.Responses?.[tableName] ?? []));
        pending = out.UnprocessedKeys?.[tableName]?.Keys ?? [];
        if (pending.length === 0) return items;
        if (attempt >= retry.maxAttempts) {
          throw new Error(`BatchGetItem on ${tableName}: ${pending.length} of ${chunk.length} keys still unprocessed after ${attempt} attempts (throttled?)`);
        }
        await backoff(retry, attempt);
      }
    }),
    `BatchGetItem on ${tableName}`,
  );
  return results.flat();
}

async function getItem(client: DynamoDBClient, tableName: string, key: Item, meter: CapacityMeter): Promise<Item | undefined> {
  const out = await metered(meter, 'read', () => client.send(new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true, ReturnConsumedCapacity: 'TOTAL' })));
  return out.Item;
}

function numberOf(v: AttributeValue | undefined): number | undefined {
  return v?.N === undefined ? undefined : Number(v.N);
}

function toAttributeValue(where: string, v: string | number): AttributeValue {
  if (typeof v === 'string') return { S: v };
  if (!Number.isFinite(v)) throw new Error(`${where}: ${v} is not a number DynamoDB can store`);
  return { N: String(v) };
}

function fromAttributeValue(where: string, v: AttributeValue): Attr {
  if (v.N !== undefined) return Number(v.N);
  if (v.S !== undefined) return v.S;
  if (v.SS !== undefined) return [...v.SS].sort();
  if (v.NS !== undefined) return [...v.NS].sort();
  throw new Error(`${where}: attribute type ${Object.keys(v).join(',')} is not a state attribute (number, string or set)`);
}

/** A {@link StateUpdate} as the writes still to do: conditions pruned after a lost race. */
interface Plan {
  readonly add: readonly (readonly [string, number])[];
  readonly addToSet: readonly (readonly [string, readonly string[]])[];
  readonly setIfAbsent: readonly (readonly [string, string | number])[];
  readonly set: readonly (readonly [string, string | number])[];
  readonly max: readonly (readonly [string, number])[];
  /** The TTL to raise the item's to; null once the stored one is known to be later. */
  readonly ttl: number | null;
}

const RESERVED_ATTRIBUTES = new Set([PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE]);

/**
 * The update's operations as one UpdateItem can carry them: one operation per attribute, the
 * one `applyUpdate` leaves in effect (its order is add, addToSet, setIfAbsent, set, max).
 */
function planOf(u: StateUpdate): Plan {
  const where = `state key ${u.key.pk}/${u.key.sk}`;
  const entries = <T>(part: Readonly<Record<string, T>> | undefined): [string, T][] => Object.entries(part ?? {});
  const set = entries(u.set);
  const setNames = new Set(set.map(([n]) => n));
  // A later `set` overwrites whatever add/addToSet/setIfAbsent did to the same attribute.
  const add = entries(u.add).filter(([n]) => !setNames.has(n));
  // DynamoDB cannot store an empty set (`applyUpdate` would leave []; detectors add one value at a time).
  const addToSet = entries(u.addToSet).filter(([n, v]) => !setNames.has(n) && v.length > 0);
  const added = new Set([...entries(u.add), ...entries(u.addToSet)].map(([n]) => n));
  // if_not_exists after an ADD to the same attribute never writes.
  const setIfAbsent = entries(u.setIfAbsent).filter(([n]) => !setNames.has(n) && !added.has(n));
  const max = entries(u.max);
  const all = [...entries(u.add), ...entries(u.addToSet), ...entries(u.setIfAbsent), ...set, ...max].map(([n]) => n);
  for (const name of all) if (RESERVED_ATTRIBUTES.has(name)) throw new Error(`${where}: attribute "${name}" is reserved for the key or TTL`);
  for (const [name] of entries(u.add)) if (u.addToSet?.[name] !== undefined) throw new Error(`${where}: "${name}" is both a number (add) and a set (addToSet)`);
  for (const [name] of max) if (all.filter((n) => n === name).length > 1) throw new Error(`${where}: "${name}" has a max and another operation`);
  for (const [name, v] of [...add, ...max]) toAttributeValue(`${where}: ${name}`, v);
  return { add, addToSet, setIfAbsent, set, max, ttl: u.expiresAt };
}

/**
 * After a failed condition: drop the `max` values and the TTL the stored item already meets.
 * Both only ever grow, so what is dropped stays a no-op. `done` when nothing is left to write.
 */
function prune(plan: Plan, old: Item | undefined): Plan | 'done' {
  if (!old) return plan; // Gone (TTL deletion) since the condition failed: every write applies.
  const storedTtl = numberOf(old[TTL_ATTRIBUTE]);
  const ttl = plan.ttl !== null && storedTtl !== undefined && storedTtl > plan.ttl ? null : plan.ttl;
  const max = plan.max.filter(([name, v]) => {
    const stored = numberOf(old[name]);
    return stored === undefined || stored < v;
  });
  const next = { ...plan, max, ttl };
  const writes = next.add.length + next.addToSet.length + next.setIfAbsent.length + next.set.length + next.max.length;
  return writes === 0 && ttl === null ? 'done' : next;
}

/** What both adapters hold: the client, the table, and where request units are counted. */
abstract class DynamoAdapter {
  protected readonly meter: CapacityMeter;
  protected readonly retry: Retry;

  constructor(
    protected readonly client: DynamoDBClient,
    protected readonly tableName: string,
    options: DynamoOptions = {},
  ) {
    this.meter = options.meter ?? new CapacityMeter();
    this.retry = retryOf(options.retry);
  }

  /** Totals since the adapter was created. */
  consumption(): MeterReading {
    return this.meter.reading();
  }
}

/** {@link StateStore} on DynamoDB. */
export class DynamoStore extends DynamoAdapter implements StateStore {
  /** One BatchGetItem per 100 keys, eventually consistent; expired items are left out. */
  async load(keys: readonly StateKey[], nowMs: number): Promise<ReadonlyMap<string, StateItem>> {
    const wanted = new Map<string, { stored: Item; keys: StateKey[] }>();
    for (const key of keys) {
      const stored = storedKey(key);
      const k = itemKeyString(stored);
      const entry = wanted.get(k);
      if (entry) entry.keys.push(key);
      else wanted.set(k, { stored, keys: [key] });
    }
    const items = new Map<string, StateItem>();
    if (wanted.size === 0) return items;
    const found = await batchGetAll(this.client, this.tableName, [...wanted.values()].map((w) => w.stored), false, this.meter, this.retry);
    const nowSeconds = nowMs / 1000;
    for (const raw of found) {
      // TTL deletion runs up to days late: an expired item still in the table does not exist.
      const ttl = numberOf(raw[TTL_ATTRIBUTE]);
      if (ttl === undefined || ttl < nowSeconds) continue;
      const entry = wanted.get(itemKeyString(raw));
      if (!entry) continue;
      const item: Record<string, Attr> = {};
      for (const [name, v] of Object.entries(raw)) {
        if (name !== PARTITION_KEY && name !== SORT_KEY) item[name] = fromAttributeValue(`state key ${entry.keys[0]!.pk}/${entry.keys[0]!.sk}: ${name}`, v);
      }
      for (const key of entry.keys) items.set(keyString(key), item);
    }
    return items;
  }

  /** One UpdateItem per update, all in parallel; see {@link DynamoStore.commitOne} for the TTL. */
  async commit(updates: readonly StateUpdate[]): Promise<void> {
    const plans = updates.map((u) => ({ key: u.key, plan: planOf(u) }));
    await settleAll(
      plans.map(({ key, plan }) => this.commitOne(key, plan)),
      `commit to ${this.tableName}`,
    );
  }

  /**
   * Applies one update as `applyUpdate` does. DynamoDB has no "SET to the greater of", so the
   * TTL and every `max` are conditions of the one UpdateItem (`stored <= new`, `stored < new`).
   * Nearly always they hold (TTLs follow event time) and that one request is the whole write.
   * When one fails, nothing was written: the stored item (returned with the failure, or read
   * when the server cannot return it) shows which TTL/max values are already met; those are
   * dropped and the rest is written again. Both only grow, so the result is the atomic one.
   */
  private async commitOne(key: StateKey, initial: Plan): Promise<void> {
    const dynamoKey = storedKey(key);
    let plan = initial;
    for (let attempt = 1; ; attempt++) {
      try {
        const input = { ...updateExpression(plan), TableName: this.tableName, Key: dynamoKey, ReturnValuesOnConditionCheckFailure: 'ALL_OLD', ReturnConsumedCapacity: 'TOTAL' } as const;
        await metered(this.meter, 'write', () => this.client.send(new UpdateItemCommand(input)));
        return;
      } catch (e) {
        if (!isConditionalCheckFailed(e)) throw e;
        if (attempt >= this.retry.maxAttempts) throw new Error(`state key ${key.pk}/${key.sk}: update still losing races after ${attempt} attempts`, { cause: e });
        const next = prune(plan, e.Item ?? (await getItem(this.client, this.tableName, dynamoKey, this.meter)));
        if (next === 'done') return;
        // Nothing pruned: the item changed between the failure and the read; back off.
        if (next.max.length === plan.max.length && next.ttl === plan.ttl) await backoff(this.retry, attempt);
        plan = next;
      }
    }
  }
}

/** The UpdateItem expression of a plan: attribute names always through placeholders. */
function updateExpression(plan: Plan): {
  UpdateExpression: string;
  ConditionExpression?: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, AttributeValue>;
} {
  const names: Record<string, string> = {};
  const values: Record<string, AttributeValue> = {};
  const sets: string[] = [];
  const adds: string[] = [];
  const conditions: string[] = [];
  let n = 0;
  const name = (attribute: string): string => {
    const placeholder = `#a${n++}`;
    names[placeholder] = attribute;
    return placeholder;
  };
  const value = (v: AttributeValue): string => {
    const placeholder = `:v${n++}`;
    values[placeholder] = v;
    return placeholder;
  };
  let numberType: string | undefined;
  // Greater than the stored value, or replacing a non-number (as `applyUpdate` does).
  const raises = (attr: string, v: string, op: '<' | '<='): string => {
    numberType ??= value({ S: 'N' });
    return `(attribute_not_exists(${attr}) OR NOT attribute_type(${attr}, ${numberType}) OR ${attr} ${op} ${v})`;
  };
  for (const [attribute, v] of plan.add) adds.push(`${name(attribute)} ${value({ N: String(v) })}`);
  for (const [attribute, v] of plan.addToSet) adds.push(`${name(attribute)} ${value({ SS: [...new Set(v)] })}`);
  for (const [attribute, v] of plan.setIfAbsent) {
    const a = name(attribute);
    sets.push(`${a} = if_not_exists(${a}, ${value(toAttributeValue(attribute, v))})`);
  }
  for (const [attribute, v] of plan.set) sets.push(`${name(attribute)} = ${value(toAttributeValue(attribute, v))}`);
  for (const [attribute, v] of plan.max) {
    const a = name(attribute);
    const placeholder = value({ N: String(v) });
    sets.push(`${a} = ${placeholder}`);
    conditions.push(raises(a, placeholder, '<'));
  }
  if (plan.ttl !== null) {
    const a = name(TTL_ATTRIBUTE);
    const placeholder = value({ N: String(plan.ttl) });
    sets.push(`${a} = ${placeholder}`);
    conditions.push(raises(a, placeholder, '<='));
  }
  const expression = [sets.length ? `SET ${sets.join(', ')}` : '', adds.length ? `ADD ${adds.join(', ')}` : ''].filter(Boolean).join(' ');
  return {
    UpdateExpression: expression,
    ...(conditions.length ? { ConditionExpression: conditions.join(' AND ') } : {}),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/** The ledger's slot for a dedup key, as stored. */
interface Slot {
  readonly alertId: string;
  readonly dedupKey: string;
  readonly eventTime: number;
  readonly windowMs: number;
  readonly payload: string;
  readonly eventIds: readonly string[];
  readonly owner: string;
  readonly leaseUntil: number;
  readonly sentId: string | null;
}

/** Slot attributes (fixed names; always used through placeholders: `owner` is a reserved word). */
const SLOT = {
  alertId: 'alertId',
  dedupKey: 'dedupKey',
  eventTime: 'eventTime',
  windowMs: 'windowMs',
  payload: 'payload',
  eventIds: 'eventIds',
  owner: 'owner',
  leaseUntil: 'leaseUntil',
  sentId: 'sentId',
} as const;

/** Expression placeholders for the slot's attributes. */
const SLOT_NAMES = { '#sentId': SLOT.sentId, '#alertId': SLOT.alertId, '#owner': SLOT.owner, '#lease': SLOT.leaseUntil } as const;

/** The pointer item's set of slot partition keys. */
const POINTER_SLOTS = 'slots';

/** How long pointers (event → alert) live: past SQS's 14-day retention, so any redelivery finds them. */
const POINTER_TTL_MS = 15 * DAY_MS;
/**
 * Slots live a day past their window, and at least as long as the pointers: an unsent alert
 * must still be there when the last possible redelivery of its events asks for it.
 */
const SLOT_TTL_AFTER_WINDOW_MS = DAY_MS;
const SLOT_MIN_TTL_MS = POINTER_TTL_MS;

function slotKey(dedupKey: string): Item {
  return { [PARTITION_KEY]: { S: prefixed('alert#', dedupKey, MAX_PK_BYTES) }, [SORT_KEY]: { S: 'slot' } };
}

/** An event's pointer item: the partition keys of the slots reserved for its alerts. */
function pointerKey(eventId: string): Item {
  return { [PARTITION_KEY]: { S: prefixed('alertref#', eventId, MAX_PK_BYTES) }, [SORT_KEY]: { S: 'slots' } };
}

function slotOf(item: Item): Slot {
  const s = (name: string): string => item[name]?.S ?? '';
  const n = (name: string): number => numberOf(item[name]) ?? 0;
  return {
    alertId: s(SLOT.alertId),
    dedupKey: s(SLOT.dedupKey),
    eventTime: n(SLOT.eventTime),
    windowMs: n(SLOT.windowMs),
    payload: s(SLOT.payload),
    eventIds: (item[SLOT.eventIds]?.L ?? []).map((v) => v.S ?? ''),
    owner: s(SLOT.owner),
    leaseUntil: n(SLOT.leaseUntil),
    sentId: item[SLOT.sentId]?.S ?? null,
  };
}

/** The slot holds no alert within this reservation's window (as `MemoryLedger` decides). */
function windowFree(slot: Slot, r: AlertReservation): boolean {
  return Math.abs(r.eventTime - slot.eventTime) >= r.windowMs;
}

/**
 * {@link AlertLedger} on DynamoDB: per dedup key one slot item (`alert#<dedupKey>`/`slot`)
 * holding the window's alert, its lease and whether it was sent; per event a pointer item
 * (`alertref#<eventId>`/`slots`, the set of its slots) so `pending` finds the alerts of
 * redelivered events with one BatchGetItem.
 * Every decision is a conditional write on the slot, so racing invocations agree.
 */
export class DynamoLedger extends DynamoAdapter implements AlertLedger {
  /**
   * Reserves in parallel across dedup keys; reservations sharing a dedup key go in order, as
   * `MemoryLedger` takes them (a later one may open the next window).
   */
  async reserve(reservations: readonly AlertReservation[], owner: string, nowMs: number, leaseMs = ALERT_LEASE_MS): Promise<ReservationOutcome[]> {
    const byKey = new Map<string, number[]>();
    reservations.forEach((r, i) => byKey.set(r.dedupKey, [...(byKey.get(r.dedupKey) ?? []), i]));
    // Pointers go in the same wave as the claims, one write per event: a pointer to an alert that
    // ends up suppressed is harmless (`pending` checks the slot), and a sent one is always found.
    const slotsOfEvent = new Map<string, Set<string>>();
    for (const r of reservations) for (const id of r.eventIds) slotsOfEvent.set(id, (slotsOfEvent.get(id) ?? new Set()).add(slotKey(r.dedupKey)[PARTITION_KEY]!.S!));
    const outcomes: ReservationOutcome[] = new Array<ReservationOutcome>(reservations.length);
    await settleAll<void>(
      [
        ...[...byKey.values()].map(async (indices) => {
          for (const i of indices) outcomes[i] = await this.reserveOne(reservations[i]!, owner, nowMs, leaseMs);
        }),
        ...[...slotsOfEvent].map(([id, slots]) => this.addPointers(id, [...slots], nowMs)),
      ],
      `reserve in ${this.tableName}`,
    );
    return outcomes;
  }

  /** Unsent reservations recorded for any of these events: their pointers, then the slots (two BatchGetItems). */
  async pending(eventIds: readonly string[]): Promise<AlertReservation[]> {
    const ids = [...new Set(eventIds)];
    const wanted = new Set(ids);
    const pointers = await batchGetAll(this.client, this.tableName, ids.map(pointerKey), true, this.meter, this.retry);
    const slotPks = new Set(pointers.flatMap((p) => p[POINTER_SLOTS]?.SS ?? []));
    const keys: Item[] = [...slotPks].map((pk) => ({ [PARTITION_KEY]: { S: pk }, [SORT_KEY]: { S: 'slot' } }));
    const found = await batchGetAll(this.client, this.tableName, keys, true, this.meter, this.retry);
    const slots = new Map(found.map((item) => [itemKeyString(item), slotOf(item)]));
    const out: AlertReservation[] = [];
    for (const key of keys) {
      const slot = slots.get(itemKeyString(key));
      // The pointer may belong to an alert since replaced or suppressed: the slot decides.
      if (!slot || slot.sentId === slot.alertId || !slot.eventIds.some((id) => wanted.has(id))) continue;
      const { alertId, dedupKey, eventTime, windowMs, eventIds: related, payload } = slot;
      out.push({ alertId, dedupKey, eventTime, windowMs, eventIds: related, payload });
    }
    return out;
  }

  /** Marks delivered alerts; one whose slot holds another alert by now is left alone. */
  async markSent(alerts: readonly AlertRef[]): Promise<void> {
    await settleAll(
      alerts.map((a) => this.updateSlotIf(a.dedupKey, 'SET #sentId = :id', '#alertId = :id', { ':id': { S: a.alertId } })),
      `markSent in ${this.tableName}`,
    );
  }

  /** Ends our lease on unsent alerts; one taken over or sent meanwhile is left alone. */
  async release(alerts: readonly AlertRef[], owner: string): Promise<void> {
    await settleAll(
      alerts.map((a) =>
        this.updateSlotIf(a.dedupKey, 'SET #lease = :zero', '#alertId = :id AND #owner = :me AND (attribute_not_exists(#sentId) OR #sentId <> :id)', {
          ':zero': { N: '0' },
          ':id': { S: a.alertId },
          ':me': { S: owner },
        }),
      ),
      `release in ${this.tableName}`,
    );
  }

  /**
   * One reservation: claim the slot if the window is free (a conditional put that also
   * reports the slot it found), else decide from that slot, taking the lease over when the
   * alert is ours to send. A lost race (the slot changed in between) starts over.
   */
  private async reserveOne(r: AlertReservation, owner: string, nowMs: number, leaseMs: number): Promise<ReservationOutcome> {
    for (let attempt = 1; ; attempt++) {
      const claim = await this.claim(r, owner, nowMs, leaseMs);
      if (claim === 'claimed') return 'send';
      const found = claim ?? (await getItem(this.client, this.tableName, slotKey(r.dedupKey), this.meter));
      if (found) {
        const slot = slotOf(found);
        if (!windowFree(slot, r)) {
          if (slot.alertId !== r.alertId) return 'suppressed';
          if (slot.sentId === r.alertId) return 'sent';
          if (slot.owner !== owner && slot.leaseUntil > nowMs) return 'busy';
          if (await this.takeOver(r, owner, nowMs, leaseMs)) return 'send';
        }
      }
      if (attempt >= this.retry.maxAttempts) throw new Error(`reserve ${r.dedupKey}: slot still changing after ${attempt} attempts`);
      await backoff(this.retry, attempt);
    }
  }

  /** Puts a new slot if the window is free: `claimed`, or the slot in the way (undefined when the server does not return it). */
  private async claim(r: AlertReservation, owner: string, nowMs: number, leaseMs: number): Promise<Item | 'claimed' | undefined> {
    const expiresAt = Math.ceil(Math.max(r.eventTime + r.windowMs + SLOT_TTL_AFTER_WINDOW_MS, nowMs + SLOT_MIN_TTL_MS) / 1000);
    const item: Item = {
      ...slotKey(r.dedupKey),
      [SLOT.alertId]: { S: r.alertId },
      [SLOT.dedupKey]: { S: r.dedupKey },
      [SLOT.eventTime]: { N: String(r.eventTime) },
      [SLOT.windowMs]: { N: String(r.windowMs) },
      [SLOT.payload]: { S: r.payload },
      [SLOT.eventIds]: { L: r.eventIds.map((id) => ({ S: id })) },
      [SLOT.owner]: { S: owner },
      [SLOT.leaseUntil]: { N: String(nowMs + leaseMs) },
      [TTL_ATTRIBUTE]: { N: String(expiresAt) },
    };
    try {
      await metered(this.meter, 'write', () =>
        this.client.send(
          new PutItemCommand({
            TableName: this.tableName,
            Item: item,
            // Condition expressions have no arithmetic: the window bounds are computed here.
            ConditionExpression: 'attribute_not_exists(#pk) OR #t <= :lo OR #t >= :hi',
            ExpressionAttributeNames: { '#pk': PARTITION_KEY, '#t': SLOT.eventTime },
            ExpressionAttributeValues: { ':lo': { N: String(r.eventTime - r.windowMs) }, ':hi': { N: String(r.eventTime + r.windowMs) } },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            ReturnConsumedCapacity: 'TOTAL',
          }),
        ),
      );
      return 'claimed';
    } catch (e) {
      if (!isConditionalCheckFailed(e)) throw e;
      return e.Item;
    }
  }

  /** Takes the lease of our unsent alert (ours already, or expired): false when the slot changed. */
  private takeOver(r: AlertReservation, owner: string, nowMs: number, leaseMs: number): Promise<boolean> {
    return this.updateSlotIf(
      r.dedupKey,
      'SET #owner = :me, #lease = :lease',
      '#alertId = :id AND (attribute_not_exists(#sentId) OR #sentId <> :id) AND (#owner = :me OR #lease <= :now)',
      { ':me': { S: owner }, ':lease': { N: String(nowMs + leaseMs) }, ':id': { S: r.alertId }, ':now': { N: String(nowMs) } },
    );
  }

  /** A conditional update of a slot (names `#sentId`, `#alertId`, `#owner`, `#lease`): false when the condition failed. */
  private async updateSlotIf(dedupKey: string, update: string, condition: string, values: Item): Promise<boolean> {
    try {
      await metered(this.meter, 'write', () =>
        this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: slotKey(dedupKey),
            UpdateExpression: update,
            ConditionExpression: condition,
            ExpressionAttributeNames: Object.fromEntries(
              Object.entries(SLOT_NAMES).filter(([placeholder]) => update.includes(placeholder) || condition.includes(placeholder)),
            ),
            ExpressionAttributeValues: values,
            ReturnConsumedCapacity: 'TOTAL',
          }),
        ),
      );
      return true;
    } catch (e) {
      if (!isConditionalCheckFailed(e)) throw e;
      return false;
    }
  }

  /** Adds slots to an event's pointer item (an ADD to a set: idempotent). */
  private async addPointers(eventId: string, slotPks: readonly string[], nowMs: number): Promise<void> {
    await metered(this.meter, 'write', () =>
      this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: pointerKey(eventId),
          UpdateExpression: 'ADD #slots :slots SET #ttl = :ttl',
          ExpressionAttributeNames: { '#slots': POINTER_SLOTS, '#ttl': TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ':slots': { SS: [...slotPks] }, ':ttl': { N: String(Math.ceil((nowMs + POINTER_TTL_MS) / 1000)) } },
          ReturnConsumedCapacity: 'TOTAL',
        }),
      ),
    );
  }

}
