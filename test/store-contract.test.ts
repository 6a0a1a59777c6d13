/**
 * The store port's contract, run against every implementation: the in-memory reference and the
 * DynamoDB adapters on real DynamoDB API servers (DynamoDB Local, started once per jest run by
 * test/support/global-setup.ts, and dynalite in process). No mocked client anywhere.
 */
import { DescribeTimeToLiveCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readConfig } from '../cli/main';
import { replay, type ReplayReport } from '../cli/replay';
import type { StatePorts as EnginePorts } from '../lambdas/delivery/batch-runner';
import type { Alert } from '../lambdas/engine/alerts';
import { DynamoLedger } from '../lambdas/state/dynamodb-ledger';
import { DynamoStore } from '../lambdas/state/dynamodb-store';
import { consumptionSince } from '../lambdas/state/meter';
import { MemoryLedger } from '../lambdas/state/memory-ledger';
import { MemoryStore } from '../lambdas/state/memory-store';
import { ALERT_LEASE_MS, type AlertLedger, type AlertReservation } from '../lambdas/core/ledger';
import {
  applyUpdate,
  keyString,
  mergeUpdates,
  TTL_ATTRIBUTE,
  type StateItem,
  type StateKey,
  type StateStore,
  type StateUpdate,
} from '../lambdas/core/state';
import { ensureTable } from '../lambdas/state/schema';
import { freshTable, localEndpoint, scanAll, startDynalite, testClient } from './support/dynamodb';
import { seededRandom } from './support/random';

jest.setTimeout(60_000);

/** A store implementation under test, with its server. */
interface StoreTarget {
  readonly name: string;
  open(): Promise<void>;
  close(): Promise<void>;
  /** An empty store (a new table for the DynamoDB ones). */
  fresh(): Promise<StateStore>;
}

function memoryStoreTarget(): StoreTarget {
  return { name: 'MemoryStore', open: async () => undefined, close: async () => undefined, fresh: async () => new MemoryStore() };
}

/** A DynamoDB API server for the adapters: DynamoDB Local (shared by the run) or a dynalite of our own. */
function dynamoTarget<T>(name: string, server: () => Promise<{ endpoint: string; close(): Promise<void> }>, make: (client: DynamoDBClient, table: string) => T) {
  let client: DynamoDBClient | undefined;
  let stop: (() => Promise<void>) | undefined;
  return {
    name,
    async open(): Promise<void> {
      const s = await server();
      stop = s.close;
      client = testClient(s.endpoint);
    },
    async close(): Promise<void> {
      client?.destroy();
      await stop?.();
    },
    async fresh(): Promise<T> {
      return make(client!, await freshTable(client!));
    },
  };
}

const dynamoDbLocal = async (): Promise<{ endpoint: string; close(): Promise<void> }> => ({ endpoint: localEndpoint(), close: async () => undefined });

const STORES: StoreTarget[] = [
  memoryStoreTarget(),
  dynamoTarget('DynamoStore on DynamoDB Local', dynamoDbLocal, (client, table) => new DynamoStore(client, table)),
  dynamoTarget('DynamoStore on dynalite', startDynalite, (client, table) => new DynamoStore(client, table)),
];

const KEY: StateKey = { pk: 'item#1', sk: 'state' };
const TTL = 2_000_000_000;

/** Loads one item at a time before every TTL used here. */
async function read(store: StateStore, key: StateKey = KEY, nowMs = 0): Promise<StateItem | undefined> {
  return (await store.load([key], nowMs)).get(keyString(key));
}


type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Random updates over a few keys: every operation, attributes shared between operations, and
 * TTLs that go down as well as up. `commuting` keeps to operations whose order does not matter.
 */
function randomUpdates(next: () => number, tag: string, commuting: boolean): StateUpdate[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const letters = ['a', 'b', 'c', 'd', 'e'];
  const updates: StateUpdate[] = [];
  for (let i = 0; i < 8; i++) {
    const expiresAt = 1_000 + Math.floor(next() * 10);
    if (next() < 0.3) {
      updates.push({ key: { pk: `peak#${pick([1, 2])}`, sk: 'max' }, max: { peak: Math.floor(next() * 20) }, expiresAt });
      continue;
    }
    if (next() < 0.15) {
      updates.push({ key: { pk: `first#${pick([1, 2])}`, sk: 'min' }, min: { firstSeenAt: Math.floor(next() * 20) }, expiresAt });
      continue;
    }
    const u: Mutable<StateUpdate> = { key: { pk: `item#${pick([1, 2, 3])}`, sk: 'state' }, expiresAt };
    if (next() < 0.5) u.add = { count: 1 + Math.floor(next() * 3) };
    if (next() < 0.5) u.addToSet = { seen: [pick(letters), pick(letters)] };
    if (!commuting) {
      if (next() < 0.4) u.setIfAbsent = { first: `${tag}-${i}`, ...(next() < 0.5 ? { shared: `absent-${tag}-${i}` } : {}) };
      if (next() < 0.4) u.set = { last: `${tag}-${i}`, ...(next() < 0.5 ? { shared: `set-${tag}-${i}` } : {}), ...(next() < 0.3 ? { count: 100 + i } : {}) };
    }
    updates.push(u);
  }
  return updates;
}

/** Applies updates to the model; sets compare as sorted arrays, as the stores return them. */
function applyAll(model: Map<string, StateItem>, updates: readonly StateUpdate[]): void {
  for (const u of updates) {
    const item: Record<string, StateItem[string]> = { ...applyUpdate(model.get(keyString(u.key)), u) };
    for (const [name, v] of Object.entries(item)) if (Array.isArray(v)) item[name] = [...(v as string[])].sort();
    model.set(keyString(u.key), item);
  }
}

const PARITY_KEYS: StateKey[] = [1, 2, 3]
  .map((i) => ({ pk: `item#${i}`, sk: 'state' }))
  .concat([1, 2].map((i) => ({ pk: `peak#${i}`, sk: 'max' })))
  .concat([1, 2].map((i) => ({ pk: `first#${i}`, sk: 'min' })));

describe.each(STORES)('$name', (target) => {
  beforeAll(() => target.open());
  afterAll(() => target.close());

  it('adds to a number, starting from zero', async () => {
    // Given an empty store
    const store = await target.fresh();
    // When two commits add 2 and 3
    await store.commit([{ key: KEY, add: { count: 2 }, expiresAt: TTL }]);
    await store.commit([{ key: KEY, add: { count: 3 }, expiresAt: TTL }]);
    // Then the count is 5
    expect(await read(store)).toEqual({ count: 5, [TTL_ATTRIBUTE]: TTL });
  });

  it('adds to a string set without duplicates and reads it back sorted', async () => {
    // Given a set holding b and a
    const store = await target.fresh();
    await store.commit([{ key: KEY, addToSet: { seen: ['b', 'a'] }, expiresAt: TTL }]);
    // When c and a are added
    await store.commit([{ key: KEY, addToSet: { seen: ['c', 'a'] }, expiresAt: TTL }]);
    // Then the set is a, b, c in order
    expect((await read(store))?.seen).toEqual(['a', 'b', 'c']);
  });

  it('sets a value if absent only the first time', async () => {
    // Given a first-seen time
    const store = await target.fresh();
    await store.commit([{ key: KEY, setIfAbsent: { firstSeenAt: 100, by: 'first' }, expiresAt: TTL }]);
    // When a later update sets it if absent
    await store.commit([{ key: KEY, setIfAbsent: { firstSeenAt: 200, by: 'second' }, expiresAt: TTL }]);
    // Then the first values stay
    expect(await read(store)).toMatchObject({ firstSeenAt: 100, by: 'first' });
  });

  it('sets a value unconditionally, the last writer winning', async () => {
    // Given a value
    const store = await target.fresh();
    await store.commit([{ key: KEY, set: { shape: 'old', n: 1 }, expiresAt: TTL }]);
    // When it is set again
    await store.commit([{ key: KEY, set: { shape: 'new', n: 2 }, expiresAt: TTL }]);
    // Then the new values are stored
    expect(await read(store)).toMatchObject({ shape: 'new', n: 2 });
  });

  it('keeps the greater of the stored value and a max, a smaller max changing nothing', async () => {
    // Given a peak of 5
    const store = await target.fresh();
    await store.commit([{ key: KEY, max: { peak: 5 }, expiresAt: TTL }]);
    // When a max of 3, then one of 5, then one of 7 arrive
    await store.commit([{ key: KEY, max: { peak: 3 }, expiresAt: TTL }]);
    const afterSmaller = await read(store);
    await store.commit([{ key: KEY, max: { peak: 5 }, expiresAt: TTL }]);
    await store.commit([{ key: KEY, max: { peak: 7 }, expiresAt: TTL }]);
    // Then 3 and 5 changed nothing and 7 is stored
    expect(afterSmaller).toEqual({ peak: 5, [TTL_ATTRIBUTE]: TTL });
    expect(await read(store)).toEqual({ peak: 7, [TTL_ATTRIBUTE]: TTL });
  });

  it('keeps the smaller of the stored value and a min, whichever of two racing writers lands first', async () => {
    // Given a first-seen time of 50
    const store = await target.fresh();
    await store.commit([{ key: KEY, min: { firstSeenAt: 50 }, expiresAt: TTL }]);
    // When a later one (70) and an earlier one (20) are committed at the same moment
    await Promise.all([store.commit([{ key: KEY, min: { firstSeenAt: 70 }, expiresAt: TTL }]), store.commit([{ key: KEY, min: { firstSeenAt: 20 }, expiresAt: TTL + 5 }])]);
    // Then the earliest is stored, with the later TTL
    expect(await read(store)).toEqual({ firstSeenAt: 20, [TTL_ATTRIBUTE]: TTL + 5 });
  });

  it('extends the TTL even when the max itself changes nothing', async () => {
    // Given a peak of 5
    const store = await target.fresh();
    await store.commit([{ key: KEY, max: { peak: 5 }, expiresAt: TTL }]);
    // When a smaller max arrives with a later TTL
    await store.commit([{ key: KEY, max: { peak: 1 }, expiresAt: TTL + 100 }]);
    // Then the peak stays and the TTL moves
    expect(await read(store)).toEqual({ peak: 5, [TTL_ATTRIBUTE]: TTL + 100 });
  });

  it('never lowers the TTL, and still applies the rest of an update carrying an earlier one', async () => {
    // Given an item living until TTL
    const store = await target.fresh();
    await store.commit([{ key: KEY, add: { count: 1 }, addToSet: { seen: ['a'] }, expiresAt: TTL }]);
    // When an update with an earlier TTL arrives (a late, reordered event)
    await store.commit([{ key: KEY, add: { count: 1 }, addToSet: { seen: ['b'] }, set: { last: 'late' }, expiresAt: TTL - 100 }]);
    // Then its operations are applied and the TTL stays
    expect(await read(store)).toEqual({ count: 2, seen: ['a', 'b'], last: 'late', [TTL_ATTRIBUTE]: TTL });
  });

  it('raises the TTL to a later one', async () => {
    // Given an item living until TTL
    const store = await target.fresh();
    await store.commit([{ key: KEY, add: { count: 1 }, expiresAt: TTL }]);
    // When an update carries a later TTL
    await store.commit([{ key: KEY, add: { count: 1 }, expiresAt: TTL + 100 }]);
    // Then the TTL moves
    expect((await read(store))?.[TTL_ATTRIBUTE]).toBe(TTL + 100);
  });

  it('leaves out keys that were never written', async () => {
    // Given one item
    const store = await target.fresh();
    await store.commit([{ key: KEY, add: { count: 1 }, expiresAt: TTL }]);
    // When it and a missing key are loaded
    const missing = { pk: 'item#missing', sk: 'state' };
    const items = await store.load([KEY, missing], 0);
    // Then only the item comes back
    expect([...items.keys()]).toEqual([keyString(KEY)]);
  });

  it('leaves out an item whose TTL has passed, keeping one that expires this very second', async () => {
    // Given an item expiring at 1000 s
    const store = await target.fresh();
    await store.commit([{ key: KEY, add: { count: 1 }, expiresAt: 1_000 }]);
    // When it is loaded at 1000 s and just after
    const atExpiry = await read(store, KEY, 1_000_000);
    const after = await read(store, KEY, 1_000_001);
    // Then it is there at 1000 s and gone after
    expect(atExpiry).toEqual({ count: 1, [TTL_ATTRIBUTE]: 1_000 });
    expect(after).toBeUndefined();
  });

  it('writes and reads 250 keys (more than one BatchGetItem can take)', async () => {
    // Given 250 items
    const store = await target.fresh();
    const keys = Array.from({ length: 250 }, (_, i) => ({ pk: `volume#role-${i}`, sk: 'w#1' }));
    await store.commit(keys.map((key, i) => ({ key, add: { calls: i }, expiresAt: TTL })));
    // When all are loaded
    const items = await store.load(keys, 0);
    // Then all 250 come back with their values
    expect(items.size).toBe(250);
    expect(keys.every((key, i) => items.get(keyString(key))?.calls === i)).toBe(true);
  });

  it('applies both of two concurrent commits to the same item', async () => {
    // Given an empty store
    const store = await target.fresh();
    // When two commits race on one key
    await Promise.all([
      store.commit([{ key: KEY, add: { count: 1 }, addToSet: { seen: ['a'] }, expiresAt: TTL }]),
      store.commit([{ key: KEY, add: { count: 2 }, addToSet: { seen: ['b'] }, expiresAt: TTL + 5 }]),
    ]);
    // Then both are applied, with the later TTL
    expect(await read(store)).toEqual({ count: 3, seen: ['a', 'b'], [TTL_ATTRIBUTE]: TTL + 5 });
  });

  it('stores keys longer than DynamoDB allows, each apart', async () => {
    // Given keys over DynamoDB's 2048/1024-byte limits, and one spelled like a stored digest
    const store = await target.fresh();
    const long = { pk: `session#arn#${'x'.repeat(3000)}`, sk: 'y'.repeat(1500) };
    const digestLike = { pk: `~sha256:${'0'.repeat(64)}`, sk: 'state' };
    await store.commit([
      { key: long, set: { which: 'long' }, expiresAt: TTL },
      { key: digestLike, set: { which: 'digest-like' }, expiresAt: TTL },
    ]);
    // When they are loaded
    const items = await store.load([long, digestLike], 0);
    // Then each comes back under its own key
    expect(items.get(keyString(long))?.which).toBe('long');
    expect(items.get(keyString(digestLike))?.which).toBe('digest-like');
  });

  it('ends every item as applyUpdate says, over random merged batches', async () => {
    // Given random batches of every operation, merged per key as the engine does
    const store = await target.fresh();
    const next = seededRandom(20241001);
    const model = new Map<string, StateItem>();
    // When they are committed one batch after the other
    for (let batch = 0; batch < 12; batch++) {
      const merged = mergeUpdates(randomUpdates(next, `b${batch}`, false));
      applyAll(model, merged);
      await store.commit(merged);
    }
    // Then every item is what applyUpdate gives
    expect(Object.fromEntries(await store.load(PARITY_KEYS, 0))).toEqual(Object.fromEntries(model));
  });

  it('ends racing commits of order-free updates as applyUpdate says in any order', async () => {
    // Given pairs of random batches of adds, set additions, maxima and TTLs up and down
    const store = await target.fresh();
    const next = seededRandom(7);
    const model = new Map<string, StateItem>();
    // When each pair is committed concurrently
    for (let round = 0; round < 8; round++) {
      const a = mergeUpdates(randomUpdates(next, `a${round}`, true));
      const b = mergeUpdates(randomUpdates(next, `b${round}`, true));
      applyAll(model, a);
      applyAll(model, b);
      await Promise.all([store.commit(a), store.commit(b)]);
    }
    // Then the items are those of applying them one after the other
    expect(Object.fromEntries(await store.load(PARITY_KEYS, 0))).toEqual(Object.fromEntries(model));
  });
});

describe('ensureTable', () => {
  it('creates the table once and enables TTL on expiresAt, however often it is called', async () => {
    // Given a table ensured on DynamoDB Local
    const client = testClient();
    const table = await freshTable(client, { timeToLive: true });
    // When it is ensured again, twice at once
    await Promise.all([ensureTable(client, table), ensureTable(client, table)]);
    // Then TTL is on expiresAt
    const { TimeToLiveDescription } = await client.send(new DescribeTimeToLiveCommand({ TableName: table }));
    client.destroy();
    expect(TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: TTL_ATTRIBUTE });
  });

  it('makes do without TTL on a server that lacks UpdateTimeToLive (dynalite)', async () => {
    // Given dynalite
    const server = await startDynalite();
    const client = testClient(server.endpoint);
    // When a table is ensured twice
    const table = await freshTable(client, { timeToLive: true });
    const again = ensureTable(client, table);
    // Then neither call fails
    await expect(again).resolves.toBeUndefined();
    client.destroy();
    await server.close();
  });
});

describe('DynamoStore on DynamoDB Local: capacity and retries', () => {
  let client: DynamoDBClient;
  beforeAll(() => {
    client = testClient();
  });
  afterAll(() => client.destroy());

  it('reports the read and write units consumed', async () => {
    // Given a store holding 100 small items, written by commits of 20
    const store = new DynamoStore(client, await freshTable(client));
    const keys = Array.from({ length: 100 }, (_, i) => ({ pk: `volume#role-${i}`, sk: 'w#1' }));
    const start = store.consumption();
    for (let i = 0; i < 100; i += 20) await store.commit(keys.slice(i, i + 20).map((key) => ({ key, add: { calls: 1 }, addToSet: { seen: ['a'] }, expiresAt: TTL })));
    const written = consumptionSince(start, store.consumption());
    // When they are loaded
    const before = store.consumption();
    await store.load(keys, 0);
    const read = consumptionSince(before, store.consumption());
    // Then 1 write unit per item and a BatchGetItem's worth of read units were counted
    expect(written).toEqual({ readUnits: 0, writeUnits: 100, requests: 100 });
    expect(read.requests).toBe(1);
    expect(read.readUnits).toBeGreaterThan(0);
    expect(read.writeUnits).toBe(0);
  });

  it('pays one failed conditional write, and no read, to keep a later TTL', async () => {
    // Given an item living until TTL
    const store = new DynamoStore(client, await freshTable(client));
    await store.commit([{ key: KEY, add: { count: 1 }, expiresAt: TTL }]);
    const before = store.consumption();
    // When an update with an earlier TTL is committed
    await store.commit([{ key: KEY, add: { count: 1 }, expiresAt: TTL - 1 }]);
    // Then it took the failed attempt (which returned the stored item) and one write without the TTL
    expect(consumptionSince(before, store.consumption())).toEqual({ readUnits: 0, writeUnits: 1, requests: 2 });
    expect(store.consumption().conditionalFailures - before.conditionalFailures).toBe(1);
  });

  describe('with more than 16 MB to read in one BatchGetItem', () => {
    const keys = Array.from({ length: 44 }, (_, i) => ({ pk: `big#${i}`, sk: 'state' }));
    let table: string;
    beforeAll(async () => {
      table = await freshTable(client);
      const blob = 'x'.repeat(390_000);
      const store = new DynamoStore(client, table);
      for (let i = 0; i < keys.length; i += 11) await store.commit(keys.slice(i, i + 11).map((key) => ({ key, set: { blob }, expiresAt: TTL })));
    });

    it('retries the keys DynamoDB left unprocessed', async () => {
      // Given 44 items of 390 KB (DynamoDB answers at most 16 MB per BatchGetItem)
      const store = new DynamoStore(client, table);
      // When all are loaded
      const items = await store.load(keys, 0);
      // Then all come back, in more than one request
      expect(items.size).toBe(44);
      expect(store.consumption().requests).toBeGreaterThan(1);
    });

    it('gives up with a clear error when keys stay unprocessed', async () => {
      // Given a store allowed a single attempt
      const store = new DynamoStore(client, table, { retry: { maxAttempts: 1 } });
      // When the items are loaded
      const load = store.load(keys, 0);
      // Then it fails naming the unprocessed keys
      await expect(load).rejects.toThrow(/BatchGetItem on .*: \d+ of 44 keys still unprocessed after 1 attempts/);
    });
  });
});

/** A ledger implementation under test. */
interface LedgerTarget {
  readonly name: string;
  open(): Promise<void>;
  close(): Promise<void>;
  fresh(): Promise<AlertLedger>;
}

const LEDGERS: LedgerTarget[] = [
  { name: 'MemoryLedger', open: async () => undefined, close: async () => undefined, fresh: async () => new MemoryLedger() },
  dynamoTarget('DynamoLedger on DynamoDB Local', dynamoDbLocal, (client, table) => new DynamoLedger(client, table)),
];

const NOW = Date.parse('2026-10-07T10:00:00Z');
const HOUR = 3_600_000;

function reservation(over: Partial<AlertReservation> = {}): AlertReservation {
  return { alertId: 'alert-1', dedupKey: 'source-ip|role|185.220.101.0/24', eventTime: NOW, windowMs: HOUR, eventIds: ['e1', 'e2'], payload: '{"alertId":"alert-1"}', ...over };
}

const byAlertId = (a: AlertReservation, b: AlertReservation): number => a.alertId.localeCompare(b.alertId);

describe.each(LEDGERS)('$name', (target) => {
  beforeAll(() => target.open());
  afterAll(() => target.close());

  it('sends the first alert for a dedup key', async () => {
    // Given an empty ledger
    const ledger = await target.fresh();
    // When an alert is reserved
    const outcome = await ledger.reserve([reservation()], 'A', NOW);
    // Then it is to be sent
    expect(outcome).toEqual(['send']);
  });

  it('suppresses another alert for the same key within the window', async () => {
    // Given an alert reserved
    const ledger = await target.fresh();
    await ledger.reserve([reservation()], 'A', NOW);
    // When another alert for the key comes 59 minutes of event time later
    const outcome = await ledger.reserve([reservation({ alertId: 'alert-2', eventTime: NOW + 59 * 60_000, eventIds: ['e3'] })], 'A', NOW);
    // Then it is suppressed
    expect(outcome).toEqual(['suppressed']);
  });

  it('sends the same alert again to the invocation holding it', async () => {
    // Given an alert reserved by A and not sent
    const ledger = await target.fresh();
    await ledger.reserve([reservation()], 'A', NOW);
    // When A reserves it again (a retry within the invocation)
    const outcome = await ledger.reserve([reservation()], 'A', NOW + 1_000);
    // Then it is to be sent
    expect(outcome).toEqual(['send']);
  });

  it('answers busy to another invocation while the lease lasts, and sends once it ends', async () => {
    // Given an alert reserved by A and not sent
    const ledger = await target.fresh();
    await ledger.reserve([reservation()], 'A', NOW);
    // When B reserves it within the lease, then when the lease ends
    const during = await ledger.reserve([reservation()], 'B', NOW + ALERT_LEASE_MS - 1);
    const after = await ledger.reserve([reservation()], 'B', NOW + ALERT_LEASE_MS);
    // Then B is told busy, then takes it over
    expect(during).toEqual(['busy']);
    expect(after).toEqual(['send']);
  });

  it('leases for as long as the caller says it may still run', async () => {
    // Given an alert reserved by A with a one-minute lease (A's remaining time)
    const ledger = await target.fresh();
    await ledger.reserve([reservation()], 'A', NOW, 60_000);
    // When B reserves it just before and at the end of that minute
    const during = await ledger.reserve([reservation()], 'B', NOW + 59_999);
    const after = await ledger.reserve([reservation()], 'B', NOW + 60_000);
    // Then B waits, then takes it over
    expect(during).toEqual(['busy']);
    expect(after).toEqual(['send']);
  });

  it('lets another invocation send at once an alert its holder released', async () => {
    // Given an alert reserved by A, which SNS refused
    const ledger = await target.fresh();
    await ledger.reserve([reservation()], 'A', NOW);
    // When B releases it (not the holder: nothing happens), then A does
    await ledger.release([{ alertId: 'alert-1', dedupKey: reservation().dedupKey }], 'B');
    const beforeRelease = await ledger.reserve([reservation()], 'C', NOW + 1_000);
    await ledger.release([{ alertId: 'alert-1', dedupKey: reservation().dedupKey }], 'A');
    const afterRelease = await ledger.reserve([reservation()], 'C', NOW + 1_000);
    // Then only the holder's release frees it, and it is still pending for recovery
    expect(beforeRelease).toEqual(['busy']);
    expect(afterRelease).toEqual(['send']);
    expect((await ledger.pending(['e1'])).map((r) => r.alertId)).toEqual(['alert-1']);
  });

  it('records the destinations that took an alert still unsent elsewhere, and forgets them once it is sent', async () => {
    // Given an alert reserved by A that SNS took and Security Hub refused
    const ledger = await target.fresh();
    const ref = { alertId: 'alert-1', dedupKey: reservation().dedupKey };
    await ledger.reserve([reservation()], 'A', NOW);
    await ledger.markReached([{ ...ref, destinations: ['sns'] }]);
    // When a later attempt adds EventBridge, and a mark for another alert of the key comes too
    await ledger.markReached([{ ...ref, destinations: ['eventbridge', 'sns'] }]);
    await ledger.markReached([{ alertId: 'alert-other', dedupKey: ref.dedupKey, destinations: ['securityhub'] }]);
    const pending = await ledger.pending(['e2']);
    // Then the pending alert lists what it reached (the other alert's mark is not applied to it)
    expect(pending.map((r) => [r.alertId, r.reached])).toEqual([['alert-1', ['eventbridge', 'sns']]]);
    // And once sent everywhere it is no longer pending
    await ledger.markSent([ref]);
    expect(await ledger.pending(['e2'])).toEqual([]);
  });

  it('lists no reached destinations for an alert nothing took', async () => {
    // Given an alert reserved and refused everywhere
    const ledger = await target.fresh();
    await ledger.reserve([reservation()], 'A', NOW);
    // When its events are redelivered
    const [pending] = await ledger.pending(['e1']);
    // Then it is pending with no destination reached
    expect(pending?.alertId).toBe('alert-1');
    expect(pending?.reached).toBeUndefined();
  });

  it('keeps a sent alert sent when its holder releases it', async () => {
    // Given an alert reserved by A and marked sent
    const ledger = await target.fresh();
    await ledger.reserve([reservation()], 'A', NOW);
    await ledger.markSent([{ alertId: 'alert-1', dedupKey: reservation().dedupKey }]);
    // When A releases it
    await ledger.release([{ alertId: 'alert-1', dedupKey: reservation().dedupKey }], 'A');
    // Then it is still sent, for anyone
    expect(await ledger.reserve([reservation()], 'B', NOW + 1_000)).toEqual(['sent']);
  });

  it('answers sent once the alert was marked sent', async () => {
    // Given an alert reserved and marked sent
    const ledger = await target.fresh();
    await ledger.reserve([reservation()], 'A', NOW);
    await ledger.markSent([{ alertId: 'alert-1', dedupKey: reservation().dedupKey }]);
    // When it is reserved again, by anyone
    const outcome = await ledger.reserve([reservation()], 'B', NOW + ALERT_LEASE_MS);
    // Then it is already sent
    expect(outcome).toEqual(['sent']);
  });

  it('sends a new alert for the key once the window has passed, in either direction', async () => {
    // Given an alert at NOW, sent
    const ledger = await target.fresh();
    await ledger.reserve([reservation()], 'A', NOW);
    await ledger.markSent([{ alertId: 'alert-1', dedupKey: reservation().dedupKey }]);
    // When alerts come a full window later, then a full window earlier (reordered)
    const later = await ledger.reserve([reservation({ alertId: 'alert-2', eventTime: NOW + HOUR, eventIds: ['e3'] })], 'A', NOW);
    const earlier = await ledger.reserve([reservation({ alertId: 'alert-3', eventTime: NOW, eventIds: ['e4'] })], 'A', NOW);
    // Then both are sent
    expect(later).toEqual(['send']);
    expect(earlier).toEqual(['send']);
  });

  it('takes reservations for one key in order within a call', async () => {
    // Given an empty ledger
    const ledger = await target.fresh();
    // When one call reserves, window after window, an alert and then one it suppresses
    const outcomes = await ledger.reserve(
      [0, 1, 2].flatMap((w) => [
        reservation({ alertId: `alert-${w}`, eventTime: NOW + w * HOUR, eventIds: [`e${w}`] }),
        reservation({ alertId: `alert-${w}-late`, eventTime: NOW + w * HOUR + 60_000, eventIds: [`e${w}-late`] }),
      ]),
      'A',
      NOW,
    );
    // Then the outcomes follow that order and the last window's alert holds the key
    expect(outcomes).toEqual(['send', 'suppressed', 'send', 'suppressed', 'send', 'suppressed']);
    expect((await ledger.pending(['e0', 'e1', 'e2', 'e0-late', 'e1-late', 'e2-late'])).map((r) => r.alertId)).toEqual(['alert-2']);
  });

  it('lists unsent reservations for the events, and nothing once they are sent', async () => {
    // Given two alerts reserved for different events and keys
    const ledger = await target.fresh();
    const first = reservation();
    const second = reservation({ alertId: 'alert-2', dedupKey: 'region|role|eu-north-1', eventIds: ['e2', 'e3'] });
    await ledger.reserve([first, second], 'A', NOW);
    // When the events are redelivered, before and after the alerts are marked sent
    const before = await ledger.pending(['e2', 'e9']);
    const onlyFirst = await ledger.pending(['e1']);
    await ledger.markSent([first, second]);
    const after = await ledger.pending(['e1', 'e2', 'e3']);
    // Then both were pending (each once), then neither
    expect([...before].sort(byAlertId)).toEqual([first, second]);
    expect(onlyFirst).toEqual([first]);
    expect(after).toEqual([]);
  });

  it('does not list a suppressed alert as pending', async () => {
    // Given an alert, and a second one suppressed by it
    const ledger = await target.fresh();
    await ledger.reserve([reservation()], 'A', NOW);
    await ledger.reserve([reservation({ alertId: 'alert-2', eventTime: NOW + 60_000, eventIds: ['e3'] })], 'A', NOW);
    // When the suppressed alert's event is redelivered
    const pending = await ledger.pending(['e3']);
    // Then nothing is pending for it
    expect(pending).toEqual([]);
  });

  it('leaves a slot alone when marking sent an alert that no longer holds it', async () => {
    // Given alert-1 replaced by alert-2 a window later
    const ledger = await target.fresh();
    await ledger.reserve([reservation()], 'A', NOW);
    await ledger.reserve([reservation({ alertId: 'alert-2', eventTime: NOW + HOUR, eventIds: ['e3'] })], 'A', NOW);
    // When alert-1 is marked sent (late), and an unknown alert too
    await ledger.markSent([{ alertId: 'alert-1', dedupKey: reservation().dedupKey }, { alertId: 'nope', dedupKey: 'never-reserved' }]);
    // Then alert-2 is still pending
    expect((await ledger.pending(['e3'])).map((r) => r.alertId)).toEqual(['alert-2']);
  });

  it('lets exactly one of two racing invocations send an alert', async () => {
    // Given an empty ledger
    const ledger = await target.fresh();
    // When A and B reserve the same alert at once
    const [a, b] = await Promise.all([ledger.reserve([reservation()], 'A', NOW), ledger.reserve([reservation()], 'B', NOW)]);
    // Then one sends and the other is told busy
    expect([...a!, ...b!].sort()).toEqual(['busy', 'send']);
  });

  it('lets exactly one of two racing alerts for a key through', async () => {
    // Given an empty ledger
    const ledger = await target.fresh();
    // When two different alerts for one key in one window are reserved at once
    const [a, b] = await Promise.all([
      ledger.reserve([reservation()], 'A', NOW),
      ledger.reserve([reservation({ alertId: 'alert-2', eventTime: NOW + 1_000, eventIds: ['e3'] })], 'B', NOW),
    ]);
    // Then one sends and the other is suppressed
    expect([...a!, ...b!].sort()).toEqual(['send', 'suppressed']);
  });
});

describe('DynamoDB adapters replaying a day of the examples', () => {
  const paths = ['examples/AWSLogs/210987654321/CloudTrail/eu-west-1/2026/10/07'];
  const config = readConfig('examples/config.json');
  let client: DynamoDBClient;
  let table: string;
  let memory: { report: ReplayReport; alerts: Alert[]; state: MemoryStore };
  let dynamo: { report: ReplayReport; alerts: Alert[]; ports: { state: DynamoStore; ledger: DynamoLedger } };

  async function run(ports: EnginePorts): Promise<{ report: ReplayReport; alerts: Alert[] }> {
    const alerts: Alert[] = [];
    const report = await replay({ paths, config, ports, onAlert: (a) => alerts.push(a) });
    return { report, alerts };
  }

  beforeAll(async () => {
    client = testClient();
    table = await freshTable(client);
    const state = new MemoryStore();
    memory = { ...(await run({ state, ledger: new MemoryLedger() })), state };
    const ports = { state: new DynamoStore(client, table), ledger: new DynamoLedger(client, table) };
    dynamo = { ...(await run(ports)), ports };
  });
  afterAll(() => client.destroy());

  it('raises the same alerts as the memory ports', () => {
    expect(dynamo.alerts.length).toBeGreaterThan(0);
    expect(dynamo.alerts).toEqual(memory.alerts);
    expect(dynamo.report).toEqual(memory.report);
  });

  it('ends with the same live state as the memory store', async () => {
    // Given both replays done, at the replay clock of the last event
    const nowSeconds = memory.report.lastEventTime! / 1000;
    const live = (item: StateItem): boolean => (item[TTL_ATTRIBUTE] as number) >= nowSeconds;
    const expected = Object.fromEntries([...memory.state.dump()].filter(([, item]) => live(item)));
    // When the table's state items are read back
    const stateItems = (await scanAll(client, table)).filter((i) => !/^alert(ref)?#/.test(i.pk?.S ?? ''));
    const keys = stateItems.map((i) => ({ pk: i.pk!.S!, sk: i.sk!.S! }));
    const loaded = await dynamo.ports.state.load(keys, memory.report.lastEventTime!);
    // Then they are the memory store's live items
    expect(Object.fromEntries(loaded)).toEqual(expected);
  });

  it('gives every item it writes a TTL', async () => {
    // When the whole table is scanned
    const items = await scanAll(client, table);
    // Then every item, state and ledger, carries a numeric expiresAt
    const withoutTtl = items.filter((i: Record<string, AttributeValue>) => i[TTL_ATTRIBUTE]?.N === undefined || !Number.isFinite(Number(i[TTL_ATTRIBUTE].N)));
    expect(items.some((i) => i.pk?.S?.startsWith('alert#'))).toBe(true);
    expect(items.some((i) => i.pk?.S?.startsWith('alertref#'))).toBe(true);
    expect(withoutTtl).toEqual([]);
  });

  it('counts the capacity the replay consumed', () => {
    const state = dynamo.ports.state.consumption();
    const ledger = dynamo.ports.ledger.consumption();
    expect(state.readUnits).toBeGreaterThan(0);
    expect(state.writeUnits).toBeGreaterThan(0);
    expect(ledger.writeUnits).toBeGreaterThan(0);
  });
});
