/**
 * {@link DynamoStore}: the DynamoDB adapter of the state port, in the one table of `schema.ts`.
 * It has the observable semantics of `MemoryStore` (`applyUpdate`'s), with every update a single
 * atomic UpdateItem, never a read-modify-write, so racing Lambda instances stay correct. The
 * update is first planned (one operation per attribute, {@link planOf}), then written as one
 * expression; the TTL and `max` values ride on its condition and are pruned after a lost race.
 */
import { UpdateItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { keyString, TTL_ATTRIBUTE, type Attr, type StateItem, type StateKey, type StateStore, type StateUpdate } from '../core/state';
import {
  backoff,
  batchGetAll,
  DynamoAdapter,
  fromAttributeValue,
  getItem,
  isConditionalCheckFailed,
  itemKeyString,
  metered,
  numberOf,
  settleAll,
  storedKey,
  toAttributeValue,
  type Item,
} from './dynamodb-adapter';
import { PARTITION_KEY, SORT_KEY } from './schema';

/** A {@link StateUpdate} as the writes still to do: conditions pruned after a lost race. */
interface Plan {
  readonly add: readonly (readonly [string, number])[];
  readonly addToSet: readonly (readonly [string, readonly string[]])[];
  readonly setIfAbsent: readonly (readonly [string, string | number])[];
  readonly set: readonly (readonly [string, string | number])[];
  readonly max: readonly (readonly [string, number])[];
  readonly min: readonly (readonly [string, number])[];
  /** The TTL to raise the item's to; null once the stored one is known to be later. */
  readonly ttl: number | null;
}

const RESERVED_ATTRIBUTES = new Set([PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE]);

/**
 * The update's operations as one UpdateItem can carry them: one operation per attribute, the
 * one `applyUpdate` leaves in effect (its order is add, addToSet, setIfAbsent, set, max, min).
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
  const min = entries(u.min);
  const all = [...entries(u.add), ...entries(u.addToSet), ...entries(u.setIfAbsent), ...set, ...max, ...min].map(([n]) => n);
  for (const name of all) if (RESERVED_ATTRIBUTES.has(name)) throw new Error(`${where}: attribute "${name}" is reserved for the key or TTL`);
  for (const [name] of entries(u.add)) if (u.addToSet?.[name] !== undefined) throw new Error(`${where}: "${name}" is both a number (add) and a set (addToSet)`);
  for (const [name] of [...max, ...min]) if (all.filter((n) => n === name).length > 1) throw new Error(`${where}: "${name}" has a max or min and another operation`);
  for (const [name, v] of [...add, ...max, ...min]) toAttributeValue(`${where}: ${name}`, v);
  return { add, addToSet, setIfAbsent, set, max, min, ttl: u.expiresAt };
}

/**
 * After a failed condition: drop the `max` and `min` values and the TTL the stored item already
 * meets. Each only ever moves one way, so what is dropped stays a no-op. `done` when nothing is left to write.
 */
function prune(plan: Plan, old: Item | undefined): Plan | 'done' {
  if (!old) return plan; // Gone (TTL deletion) since the condition failed: every write applies.
  const storedTtl = numberOf(old[TTL_ATTRIBUTE]);
  const ttl = plan.ttl !== null && storedTtl !== undefined && storedTtl > plan.ttl ? null : plan.ttl;
  const max = plan.max.filter(([name, v]) => {
    const stored = numberOf(old[name]);
    return stored === undefined || stored < v;
  });
  const min = plan.min.filter(([name, v]) => {
    const stored = numberOf(old[name]);
    return stored === undefined || stored > v;
  });
  const next = { ...plan, max, min, ttl };
  const writes = next.add.length + next.addToSet.length + next.setIfAbsent.length + next.set.length + next.max.length + next.min.length;
  return writes === 0 && ttl === null ? 'done' : next;
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
   * TTL and every `max` and `min` are conditions of the one UpdateItem (`stored <= new`, `stored < new`, `stored > new`).
   * Nearly always they hold (TTLs follow event time) and that one request is the whole write.
   * When one fails, nothing was written: the stored item (returned with the failure, or read
   * when the server cannot return it) shows which TTL/max/min values are already met; those are
   * dropped and the rest is written again. Each only moves one way, so the result is the atomic one.
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
        if (next.max.length === plan.max.length && next.min.length === plan.min.length && next.ttl === plan.ttl) await backoff(this.retry, attempt);
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
  // Beyond the stored value, or replacing a non-number (as `applyUpdate` does).
  const raises = (attr: string, v: string, op: '<' | '<=' | '>'): string => {
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
  for (const [attribute, v] of plan.min) {
    const a = name(attribute);
    const placeholder = value({ N: String(v) });
    sets.push(`${a} = ${placeholder}`);
    conditions.push(raises(a, placeholder, '>'));
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
