/**
 * What the two DynamoDB adapters of the store port share ({@link DynamoAdapter}: `DynamoStore`
 * for detector state, `DynamoLedger` for alerts): how a request is sent and counted
 * ({@link metered}, {@link getItem}, {@link batchGetAll} with its retries and {@link backoff},
 * {@link settleAll} for parallel requests), how a key is stored within DynamoDB's size limits
 * ({@link storedKey}, {@link prefixed}), and how state attributes map to attribute values.
 */
import { createHash } from 'node:crypto';
import { BatchGetItemCommand, GetItemCommand, type AttributeValue, type ConsumedCapacity, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Attr, StateKey } from '../core/state';
import { CapacityMeter, type MeterReading } from './meter';
import { PARTITION_KEY, SORT_KEY } from './schema';

/** An item, or a key, as the DynamoDB API carries it. */
export type Item = Record<string, AttributeValue>;

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
  /** Retries of throttled reads and of writes that lost a race. @default the defaults of {@link RetryOptions} */
  readonly retry?: RetryOptions;
}

/** BatchGetItem's limit of keys per request. */
const BATCH_GET_LIMIT = 100;
/** DynamoDB's partition key size limit, in UTF-8 bytes. */
export const MAX_PK_BYTES = 2048;
/** DynamoDB's sort key size limit, in UTF-8 bytes. */
const MAX_SK_BYTES = 1024;
/** Marks a key part stored as a digest (too long for DynamoDB, or itself starting with the mark). */
const DIGEST_MARK = '~sha256:';

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
export function prefixed(prefix: string, raw: string, maxBytes: number): string {
  return prefix + storedPart(raw, maxBytes - Buffer.byteLength(prefix, 'utf8'));
}

/** A state key as stored: each part itself, or its digest when DynamoDB would reject it. */
export function storedKey(key: StateKey): Item {
  return { [PARTITION_KEY]: { S: storedPart(key.pk, MAX_PK_BYTES) }, [SORT_KEY]: { S: storedPart(key.sk, MAX_SK_BYTES) } };
}

/** An item's stored key as one string, to match BatchGetItem's answers (in any order) to the keys asked for. */
export function itemKeyString(item: Item): string {
  return `${item[PARTITION_KEY]?.S ?? ''}\u0000${item[SORT_KEY]?.S ?? ''}`;
}

/** The error of a write whose condition failed; `Item` is the stored item when the request asked for it. */
export function isConditionalCheckFailed(e: unknown): e is Error & { Item?: Item } {
  return e instanceof Error && e.name === 'ConditionalCheckFailedException';
}

/** Sends one request, counting it and the capacity it consumed. */
export async function metered<O extends { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] }>(meter: CapacityMeter, kind: 'read' | 'write', send: () => Promise<O>): Promise<O> {
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

/** {@link RetryOptions} with the defaults filled in. */
export interface Retry {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

function retryOf(options: RetryOptions | undefined): Retry {
  return { maxAttempts: options?.maxAttempts ?? 8, baseDelayMs: options?.baseDelayMs ?? 25, maxDelayMs: options?.maxDelayMs ?? 1000 };
}

/** Capped exponential backoff with full jitter before retry number `attempt` (1-based). */
export function backoff(retry: Retry, attempt: number): Promise<void> {
  const ceiling = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}

/** Awaits every promise (none is left running), then throws the failure(s) if any. */
export async function settleAll<T>(promises: readonly Promise<T>[], what: string): Promise<T[]> {
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
export async function batchGetAll(client: DynamoDBClient, tableName: string, keys: readonly Item[], consistent: boolean, meter: CapacityMeter, retry: Retry): Promise<Item[]> {
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

/** Reads one item by key, strongly consistent. */
export async function getItem(client: DynamoDBClient, tableName: string, key: Item, meter: CapacityMeter): Promise<Item | undefined> {
  const out = await metered(meter, 'read', () => client.send(new GetItemCommand({ TableName: tableName, Key: key, ConsistentRead: true, ReturnConsumedCapacity: 'TOTAL' })));
  return out.Item;
}

/** A number attribute's value; undefined when absent or not a number. */
export function numberOf(v: AttributeValue | undefined): number | undefined {
  return v?.N === undefined ? undefined : Number(v.N);
}

/** A state attribute value to write: a string or a finite number. */
export function toAttributeValue(where: string, v: string | number): AttributeValue {
  if (typeof v === 'string') return { S: v };
  if (!Number.isFinite(v)) throw new Error(`${where}: ${v} is not a number DynamoDB can store`);
  return { N: String(v) };
}

/** A stored attribute as a state attribute: sets come back sorted (DynamoDB keeps no order). */
export function fromAttributeValue(where: string, v: AttributeValue): Attr {
  if (v.N !== undefined) return Number(v.N);
  if (v.S !== undefined) return v.S;
  if (v.SS !== undefined) return [...v.SS].sort();
  if (v.NS !== undefined) return [...v.NS].sort();
  throw new Error(`${where}: attribute type ${Object.keys(v).join(',')} is not a state attribute (number, string or set)`);
}

/** What both adapters hold: the client, the table, and where request units are counted. */
export abstract class DynamoAdapter {
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
