/**
 * The one definition of the state table: the DynamoDB adapters, the test servers and the CDK
 * construct all take its shape from here. Free of CDK on purpose: the Lambda bundles it.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { TTL_ATTRIBUTE } from '../core/state';

/** Partition key attribute (string). */
export const PARTITION_KEY = 'pk';
/** Sort key attribute (string). */
export const SORT_KEY = 'sk';
/** TTL attribute, epoch seconds (re-exported from the port so the construct needs one import). */
export { TTL_ATTRIBUTE };
/** On-demand capacity: traffic follows attacks and is spiky, so nothing to provision. */
const BILLING_MODE = 'PAY_PER_REQUEST' as const;

/** The table's shape in one object, for code that wants it whole (the CDK construct). */
export const TABLE_SCHEMA = {
  partitionKey: { name: PARTITION_KEY, type: 'S' },
  sortKey: { name: SORT_KEY, type: 'S' },
  timeToLiveAttribute: TTL_ATTRIBUTE,
  billingMode: BILLING_MODE,
} as const;

/** The CreateTable request for the state table. */
function createTableInput(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: BILLING_MODE,
    KeySchema: [
      { AttributeName: PARTITION_KEY, KeyType: 'HASH' },
      { AttributeName: SORT_KEY, KeyType: 'RANGE' },
    ],
    AttributeDefinitions: [
      { AttributeName: PARTITION_KEY, AttributeType: 'S' },
      { AttributeName: SORT_KEY, AttributeType: 'S' },
    ],
  };
}

/** Options of {@link ensureTable}. */
export interface EnsureTableOptions {
  /** How long to wait for the table to become ACTIVE. @default 300000 */
  readonly timeoutMs?: number;
  /** Delay between DescribeTable polls. @default 250 */
  readonly pollMs?: number;
  /**
   * Enable TTL deletion on `expiresAt`. DynamoDB deletes by the wall clock, while the stores
   * compute TTLs from the caller's clock: a table fed event times from the past (a replay of old
   * logs, tests) loses its items within moments unless this is false. @default true
   */
  readonly timeToLive?: boolean;
}

/**
 * Creates the table if it is missing, waits until it is ACTIVE and enables TTL on
 * `expiresAt` (unless told not to). Safe to call concurrently and repeatedly. Servers without UpdateTimeToLive
 * (dynalite) get a table without TTL, which only matters for storage: the stores filter
 * expired items on read.
 */
export async function ensureTable(client: DynamoDBClient, tableName: string, options: EnsureTableOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 300_000;
  const pollMs = options.pollMs ?? 250;
  let status = await tableStatus(client, tableName);
  if (status === null) {
    try {
      await client.send(new CreateTableCommand(createTableInput(tableName)));
    } catch (e) {
      // Another caller created it between our DescribeTable and CreateTable.
      if (errorName(e) !== 'ResourceInUseException') throw e;
    }
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    status = await tableStatus(client, tableName);
    if (status === 'ACTIVE') break;
    if (Date.now() > deadline) throw new Error(`table ${tableName} is not ACTIVE after ${timeoutMs} ms (status ${status ?? 'missing'})`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  if (options.timeToLive ?? true) await enableTimeToLive(client, tableName);
}

async function tableStatus(client: DynamoDBClient, tableName: string): Promise<string | null> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    return Table?.TableStatus ?? null;
  } catch (e) {
    if (errorName(e) === 'ResourceNotFoundException') return null;
    throw e;
  }
}

async function enableTimeToLive(client: DynamoDBClient, tableName: string): Promise<void> {
  const current = await describeTimeToLive(client, tableName);
  if (current === 'unsupported' || current === TTL_ATTRIBUTE) return;
  if (current !== null) throw new Error(`table ${tableName} has TTL on "${current}"; the stores need it on "${TTL_ATTRIBUTE}"`);
  try {
    await client.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true } }));
  } catch (e) {
    // dynalite answers DescribeTimeToLive but does not implement UpdateTimeToLive.
    if (errorName(e) === 'UnknownOperationException') return;
    // A concurrent caller enabled it first ("TimeToLive is already enabled").
    if (errorName(e) === 'ValidationException' && (await describeTimeToLive(client, tableName)) === TTL_ATTRIBUTE) return;
    throw e;
  }
}

/** The attribute TTL is enabled on, null when disabled, `unsupported` on servers without the TTL API. */
async function describeTimeToLive(client: DynamoDBClient, tableName: string): Promise<string | null> {
  try {
    const { TimeToLiveDescription: ttl } = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    const on = ttl?.TimeToLiveStatus === 'ENABLED' || ttl?.TimeToLiveStatus === 'ENABLING';
    return on ? (ttl?.AttributeName ?? null) : null;
  } catch (e) {
    if (errorName(e) === 'UnknownOperationException') return 'unsupported';
    throw e;
  }
}

function errorName(e: unknown): string | undefined {
  return e instanceof Error ? e.name : undefined;
}
