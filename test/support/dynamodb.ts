/**
 * DynamoDB helpers for the adapter tests: a client for the DynamoDB Local that jest's
 * globalSetup started, a fresh table per test, a scan, and an in-process dynalite server.
 */
import { DynamoDBClient, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { Server } from 'node:http';
import { ensureTable } from '../../lambdas/state/schema';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './dynamodb-local';

/** The DynamoDB Local endpoint of this jest run. */
export function localEndpoint(): string {
  const endpoint = process.env.DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('DYNAMODB_ENDPOINT is not set: run the tests through jest, whose globalSetup (test/support/global-setup.ts) starts DynamoDB Local');
  return endpoint;
}

/** A client for a test server (DynamoDB Local by default), with fake credentials. */
export function testClient(endpoint: string = localEndpoint()): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
}

let tables = 0;

/**
 * Creates a table no other test uses (the schema's, via `ensureTable`) and returns its name.
 * TTL deletion is off unless asked for: DynamoDB Local really deletes expired items, by the wall
 * clock, and the tests' clocks (fixed dates, replayed logs) are not the wall clock.
 */
export async function freshTable(client: DynamoDBClient, options: { readonly timeToLive?: boolean } = {}): Promise<string> {
  tables += 1;
  const name = `test-${process.pid}-${tables}-${Math.random().toString(36).slice(2, 8)}`;
  await ensureTable(client, name, { pollMs: 20, timeToLive: options.timeToLive ?? false });
  return name;
}

/** Every item of a table. */
export async function scanAll(client: DynamoDBClient, tableName: string): Promise<Record<string, AttributeValue>[]> {
  const items: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: start, ConsistentRead: true }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** A dynalite server in this process. */
export interface DynaliteServer {
  readonly endpoint: string;
  close(): Promise<void>;
}

type DynaliteFactory = (options: { createTableMs?: number; deleteTableMs?: number; updateTableMs?: number }) => Server;

/** Starts dynalite (in memory) on a free port of 127.0.0.1. */
export async function startDynalite(): Promise<DynaliteServer> {
  // dynalite ships no types; its export is a factory of http.Server.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dynalite = require('dynalite') as DynaliteFactory;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('dynalite did not bind a TCP port');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
