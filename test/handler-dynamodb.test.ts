/**
 * The detect handler on a real DynamoDB API (the DynamoDB Local jest started) with SNS faked at
 * the SDK boundary: the alerts equal the in-memory replay's, and redelivery, reordering,
 * concurrency and a crash at each step change neither the alerts nor the counters.
 */
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { join } from 'node:path';
import type { AlertPublisher } from '../lambdas/delivery/publisher';
import { handleBatch } from '../lambdas/detect/handler';
import type { Alert } from '../lambdas/engine/alerts';
import { main, type Io } from '../cli/main';
import { replay } from '../cli/replay';
import { MemoryLedger } from '../lambdas/state/memory-ledger';
import { MemoryStore } from '../lambdas/state/memory-store';
import { TTL_ATTRIBUTE } from '../lambdas/state/schema';
import { freshTable, localEndpoint, scanAll, testClient } from './support/dynamodb';
import { dynamoDependencies, examplesConfig, FakeSns, TestClock } from './support/handler';
import { batches, exampleRecords, messageIdOf, sqsEvent, sqsMessage, type RawRecord } from './support/sqs';
import { shuffled } from './support/random';

const records = exampleRecords();
const labels = require('../examples/labels.json') as { id: string; detector: string; eventIds: string[] }[];
/** Four hours of the examples holding four incidents (human principal to session locations). */
const slice = records.filter((r) => String(r.eventTime) >= '2026-10-07T09:00:00Z' && String(r.eventTime) < '2026-10-07T13:00:00Z');
/** What the Lambda would have left to run, and how long SQS hides a message after a receive. */
const REMAINING_MS = 60_000;
const VISIBILITY_TIMEOUT_MS = 6 * 60_000;

type Deps = ReturnType<typeof dynamoDependencies>;

/** How long after its event time a record reaches the Lambda (CloudTrail, EventBridge, SQS). */
const DELIVERY_DELAY_MS = 5 * 60_000;

/** Moves the clock to when this batch would arrive live: a few minutes after its latest event. */
function arrive(deps: Deps, event: SQSEvent): void {
  const times = event.Records.map((r) => {
    try {
      return Date.parse(String((JSON.parse(r.body) as { detail?: { eventTime?: string } }).detail?.eventTime));
    } catch {
      return NaN;
    }
  }).filter((t) => Number.isFinite(t));
  if (times.length > 0) deps.clock.ms = Math.max(deps.clock.ms, Math.max(...times) + DELIVERY_DELAY_MS);
}

/** Runs the handler over consecutive batches, one invocation each, live; returns the messages to retry. */
async function deliver(deps: Deps, events: readonly SQSEvent[], owner: string): Promise<string[]> {
  const failed: string[] = [];
  for (const [i, event] of events.entries()) {
    arrive(deps, event);
    const { response } = await handleBatch(event, deps, `${owner}-${i}`, REMAINING_MS);
    failed.push(...response.batchItemFailures.map((f) => f.itemIdentifier));
  }
  return failed;
}

/** The records of these messages, as SQS redelivers them (receive count 2). */
function redelivery(from: readonly RawRecord[], messageIds: readonly string[], receiveCount = 2): SQSEvent[] {
  const wanted = new Set(messageIds);
  return batches(
    from.filter((r) => wanted.has(messageIdOf(r))),
    10,
  ).map((b) => sqsEvent(b, receiveCount));
}

/**
 * The table's meaning: state items without their TTL, alert slots by alert and delivery. TTLs
 * are refreshed by whichever invocation first sees an item, leases (which invocation held an
 * alert, until when) and event→alert pointers record processing: none of them is a result.
 */
async function contents(client: DynamoDBClient, table: string, options: { ledger?: boolean } = {}): Promise<string[]> {
  const items = await scanAll(client, table);
  return items
    .filter((i) => !i.pk!.S!.startsWith('alertref#') && (options.ledger !== false || !i.pk!.S!.startsWith('alert#')))
    .map((i) => {
      if (!i.pk!.S!.startsWith('alert#')) return JSON.stringify(sortKeys(i, [TTL_ATTRIBUTE]));
      return JSON.stringify({ pk: i.pk!.S, alertId: i.alertId?.S, sentId: i.sentId?.S ?? null, eventTime: i.eventTime?.N });
    })
    .sort();
}

function sortKeys(item: Record<string, AttributeValue>, without: readonly string[]): Record<string, unknown> {
  const norm = (v: AttributeValue): unknown => (v.SS ? { SS: [...v.SS].sort() } : v.NS ? { NS: [...v.NS].sort() } : v);
  return Object.fromEntries(
    Object.keys(item)
      .filter((k) => !without.includes(k))
      .sort()
      .map((k) => [k, norm(item[k]!)]),
  );
}


const client = testClient();
afterAll(() => client.destroy());

describe('the handler over the examples on DynamoDB Local', () => {
  let replayed: Alert[];
  let table: string;
  let sns: FakeSns;
  let deps: Deps;
  let firstRun: { failed: string[]; contents: string[]; readUnits: number; writeUnits: number; relevant: number };

  beforeAll(async () => {
    // The in-memory replay of the same logs (the `npm run demo` path)
    replayed = [];
    await replay({ paths: [join(__dirname, '..', 'examples', 'AWSLogs')], config: examplesConfig(), ports: { state: new MemoryStore(), ledger: new MemoryLedger() }, onAlert: (a) => replayed.push(a) });
    // The handler over the same records, as EventBridge and SQS deliver them (batches of 100)
    table = await freshTable(client);
    sns = new FakeSns();
    deps = dynamoDependencies(client, table, sns, new TestClock(0));
    const events = batches(records, 100).map((b) => sqsEvent(b));
    // One message in the middle is not a CloudTrail event at all
    events[7] = { Records: [...events[7]!.Records.slice(0, 50), sqsMessage('{"detail": "truncated', 'poison-message'), ...events[7]!.Records.slice(50)] };
    const before = deps.consumption!();
    const failed = await deliver(deps, events, 'run-1');
    const after = deps.consumption!();
    firstRun = {
      failed,
      contents: await contents(client, table),
      readUnits: after.readUnits - before.readUnits,
      writeUnits: after.writeUnits - before.writeUnits,
      relevant: deps.metrics.totals.EventsRelevant ?? 0,
    };
  }, 120_000);

  it('publishes exactly the alerts of the in-memory replay', () => {
    // Then each labelled incident gives one alert, the same as the replay's, each published once
    const published = sns.messages.map((m) => `${m.alertId} ${m.detector} ${m.severity}`).sort();
    expect(published).toEqual(replayed.map((a) => `${a.alertId} ${a.detector} ${a.severity}`).sort());
    expect(sns.messages.map((m) => m.detector).sort()).toEqual(labels.map((l) => l.detector).sort());
    expect(new Set(sns.alertIds()).size).toBe(sns.messages.length);
  });

  it('sends only the poison message back to SQS, and counts it', () => {
    expect(firstRun.failed).toEqual(['poison-message']);
    expect(deps.metrics.totals.MessagesRejected).toBe(1);
  });

  it('reports the request units it consumed', () => {
    // Then units were counted for every call (the README's figures come from the benchmark)
    expect(firstRun.relevant).toBeGreaterThan(4_000);
    expect(firstRun.readUnits).toBeGreaterThan(0);
    expect(firstRun.writeUnits).toBeGreaterThan(0);
    expect(deps.metrics.totals.ReadRequestUnits).toBeCloseTo(firstRun.readUnits, 6);
    expect(deps.metrics.totals.WriteRequestUnits).toBeCloseTo(firstRun.writeUnits, 6);
  });

  it('sends nothing and changes nothing when the same input comes again', async () => {
    // When every record is delivered a second time, by other invocations
    const given = sns.messages.length;
    const failed = await deliver(deps, batches(records, 100).map((b) => sqsEvent(b)), 'run-2');
    // Then no alert is published and the table means the same
    expect(failed).toEqual([]);
    expect(sns.messages.length).toBe(given);
    expect(await contents(client, table)).toEqual(firstRun.contents);
  }, 120_000);

  it('raises the same alerts and ends with the same table when the events arrive shuffled within 15 minutes', async () => {
    // Given every record moved to a random place within its 15-minute slot (EventBridge reorders)
    const slot = (r: RawRecord): number => Math.floor(Date.parse(String(r.eventTime)) / 900_000);
    const bySlot = new Map<number, RawRecord[]>();
    for (const r of records) bySlot.set(slot(r), [...(bySlot.get(slot(r)) ?? []), r]);
    const reordered = [...bySlot.keys()].sort((a, b) => a - b).flatMap((k) => shuffled(bySlot.get(k)!, k));
    const table2 = await freshTable(client);
    const sns2 = new FakeSns();
    const deps2 = dynamoDependencies(client, table2, sns2, new TestClock(0));
    // When they go through the handler in batches of 100
    const failed = await deliver(deps2, batches(reordered, 100).map((b) => sqsEvent(b)), 'shuffled');
    // Then the same incidents alert (an alert is named after its first event, which the order
    // may change) and the table means the same, learned daily peaks included.
    expect(failed).toEqual([]);
    const incidents = (msgs: readonly { detector: string; dedupKey?: string; title: string }[]): string[] => msgs.map((m) => `${m.detector} ${m.dedupKey ?? m.title}`).sort();
    expect(incidents(sns2.messages)).toEqual(incidents(sns.messages));
    const [clean, mixed] = [await contents(client, table, { ledger: false }), await contents(client, table2, { ledger: false })];
    expect(mixed).toEqual(clean);
  }, 120_000);

  it('gives every item a TTL that fits its kind', async () => {
    const items = await scanAll(client, table);
    const ttl = (i: Record<string, AttributeValue>): number => Number(i[TTL_ATTRIBUTE]?.N);
    const first = Date.parse(String(records[0]!.eventTime)) / 1000;
    const last = Date.parse(String(records[records.length - 1]!.eventTime)) / 1000;
    // Every item expires, after the first event and within about a year of the last
    for (const item of items) {
      expect(Number.isFinite(ttl(item))).toBe(true);
      expect(ttl(item)).toBeGreaterThan(first);
      expect(ttl(item)).toBeLessThan(last + 400 * 86_400);
    }
    // Alerts and their pointers outlive SQS's 14-day retention, so any redelivery finds them
    const ledgerItems = items.filter((i) => /^alert(ref)?#/.test(i.pk!.S!));
    expect(ledgerItems.length).toBeGreaterThan(0);
    for (const item of ledgerItems) expect(ttl(item)).toBeGreaterThanOrEqual(first + 14 * 86_400);
  });
});

describe('redelivery, reordering and concurrency on DynamoDB Local', () => {
  let clean: { alerts: string[]; contents: string[] };

  async function fresh(): Promise<{ table: string; sns: FakeSns; deps: Deps; clock: TestClock }> {
    const table = await freshTable(client);
    const sns = new FakeSns();
    const clock = new TestClock(0);
    return { table, sns, deps: dynamoDependencies(client, table, sns, clock), clock };
  }

  beforeAll(async () => {
    // The clean run: each record once, in order, ten to a batch
    const { table, sns, deps } = await fresh();
    expect(await deliver(deps, batches(slice, 10).map((b) => sqsEvent(b)), 'clean')).toEqual([]);
    clean = { alerts: sns.alertIds().sort(), contents: await contents(client, table) };
  }, 60_000);

  it('covers incidents in the slice', () => {
    expect(clean.alerts.length).toBe(4);
  });

  it('gives the same alerts and counters when every batch is delivered twice', async () => {
    // Given each batch redelivered right after it was handled (SQS at-least-once)
    const { table, sns, deps } = await fresh();
    const events = batches(slice, 10).flatMap((b) => [sqsEvent(b), sqsEvent(b, 2)]);
    // When handled
    const failed = await deliver(deps, events, 'twice');
    // Then nothing changed but the work done
    expect(failed).toEqual([]);
    expect(sns.alertIds().sort()).toEqual(clean.alerts);
    expect(await contents(client, table)).toEqual(clean.contents);
  }, 60_000);

  it('gives the same alerts and counters when EventBridge delivers each event twice, in other batches', async () => {
    // Given a second copy of every event (another SQS message) five batches behind the first
    const { table, sns, deps } = await fresh();
    const first = batches(slice, 10).map((b) => sqsEvent(b, 1, 0));
    const second = batches(slice, 10).map((b) => sqsEvent(b, 1, 1));
    const events = first.flatMap((e, i) => (i >= 5 ? [e, second[i - 5]!] : [e])).concat(second.slice(-5));
    // When handled
    expect(await deliver(deps, events, 'copies')).toEqual([]);
    // Then the copies changed nothing
    expect(sns.alertIds().sort()).toEqual(clean.alerts);
    expect(await contents(client, table)).toEqual(clean.contents);
  }, 60_000);

  it('gives the same alerts and counters when the messages of each batch come shuffled', async () => {
    const { table, sns, deps } = await fresh();
    const events = batches(slice, 10).map((b, i) => sqsEvent(shuffled(b, i + 1)));
    expect(await deliver(deps, events, 'shuffled')).toEqual([]);
    expect(sns.alertIds().sort()).toEqual(clean.alerts);
    expect(await contents(client, table)).toEqual(clean.contents);
  }, 60_000);

  it('gives the same alerts and counters when two invocations handle overlapping batches at the same moment', async () => {
    // Given pairs of batches that share ten messages, each pair handled by two concurrent
    // invocations in two Lambda instances (each with its own cache)
    const { table, sns, deps, clock } = await fresh();
    const other = dynamoDependencies(client, table, sns, clock);
    const failed: string[] = [];
    for (let k = 0; k < slice.length; k += 20) {
      const x = sqsEvent(slice.slice(k, k + 20));
      const y = sqsEvent(slice.slice(k + 10, k + 30));
      arrive(deps, y);
      const [a, b] = await Promise.all([handleBatch(x, deps, `A-${k}`, REMAINING_MS), handleBatch(y, other, `B-${k}`, REMAINING_MS)]);
      failed.push(...a.response.batchItemFailures.map((f) => f.itemIdentifier), ...b.response.batchItemFailures.map((f) => f.itemIdentifier));
    }
    // When SQS redelivers what they handed back (an alert the other one held), after the visibility timeout
    clock.ms += VISIBILITY_TIMEOUT_MS;
    expect(await deliver(deps, redelivery(slice, [...new Set(failed)]), 'retry')).toEqual([]);
    // Then each alert went out once, and the counters count each event once
    expect(sns.alertIds().sort()).toEqual(clean.alerts);
    expect(await contents(client, table)).toEqual(clean.contents);
  }, 60_000);
});

describe('a crash at each step of a batch, on DynamoDB Local', () => {
  /** The records up to and including the session-locations incident's last event, within the slice. */
  const label = labels.find((l) => l.id === '04-session-locations')!;
  const incidentBatchOf = (recs: readonly RawRecord[]): number => batches(recs, 10).findIndex((b) => b.some((r) => label.eventIds.includes(String(r.eventID))));
  let clean: string[];

  async function setUp(): Promise<{ table: string; sns: FakeSns; deps: Deps; clock: TestClock; before: SQSEvent[]; incident: SQSEvent; after: SQSEvent[] }> {
    const table = await freshTable(client);
    const sns = new FakeSns();
    const clock = new TestClock(0);
    const all = batches(slice, 10).map((b) => sqsEvent(b));
    const i = incidentBatchOf(slice);
    return { table, sns, deps: dynamoDependencies(client, table, sns, clock), clock, before: all.slice(0, i), incident: all[i]!, after: all.slice(i + 1) };
  }

  beforeAll(async () => {
    const { sns, deps, before, incident, after } = await setUp();
    await deliver(deps, [...before, incident, ...after], 'clean');
    clean = sns.alertIds().sort();
  }, 60_000);

  /** Redelivers every message of the incident's batch once the visibility timeout has passed. */
  async function redeliverIncident(s: Awaited<ReturnType<typeof setUp>>): Promise<string[]> {
    s.clock.ms += VISIBILITY_TIMEOUT_MS;
    const again: SQSEvent = { Records: s.incident.Records.map((r) => ({ ...r, attributes: { ...r.attributes, ApproximateReceiveCount: '2' } })) };
    return deliver(s.deps, [again], 'retry');
  }

  /** Handles the incident's batch until `hang` is reached, where the invocation stops for good (a timeout or a crash). */
  async function crashAt(s: Awaited<ReturnType<typeof setUp>>, hang: (reached: () => void) => void): Promise<void> {
    arrive(s.deps, s.incident);
    await new Promise<void>((reached) => {
      hang(reached);
      void handleBatch(s.incident, s.deps, 'crashed', REMAINING_MS);
    });
  }

  const never = new Promise<never>(() => undefined);

  it('sends nothing twice when the state write fails after the alerts went out', async () => {
    // Given a batch whose state write fails once
    const s = await setUp();
    await deliver(s.deps, s.before, 'clean');
    const commit = s.deps.ports.state.commit.bind(s.deps.ports.state);
    let failures = 1;
    s.deps.ports.state.commit = async (updates) => {
      if (failures-- > 0) throw Object.assign(new Error('Throughput exceeds the current capacity'), { name: 'ProvisionedThroughputExceededException' });
      return commit(updates);
    };
    // When it is handled, then redelivered, and the rest follows
    const failed = await deliver(s.deps, [s.incident], 'first');
    expect(failed.length).toBeGreaterThan(0);
    expect(await redeliverIncident(s)).toEqual([]);
    await deliver(s.deps, s.after, 'clean');
    // Then every alert went out once
    expect(s.sns.alertIds().sort()).toEqual(clean);
  }, 60_000);

  it('loses nothing when the invocation dies after reserving its alerts, before publishing them', async () => {
    // Given an invocation that stops for good as it is about to publish (a Lambda timeout)
    const s = await setUp();
    await deliver(s.deps, s.before, 'clean');
    const deps = s.deps as { publisher: AlertPublisher };
    const sns = deps.publisher;
    await crashAt(s, (reached) => {
      deps.publisher = { publish: () => (reached(), never) };
    });
    deps.publisher = sns;
    // When SQS redelivers its messages after the visibility timeout, and the rest follows
    expect(await redeliverIncident(s)).toEqual([]);
    await deliver(s.deps, s.after, 'clean');
    // Then the alert it had reserved is recovered and sent once
    expect(s.sns.alertIds().sort()).toEqual(clean);
    expect(s.deps.metrics.totals.AlertsRecovered).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('re-sends the same alert, with the same alertId, when the invocation dies between the publish and marking it sent', async () => {
    // Given an invocation that stops for good right after SNS accepted its alert
    const s = await setUp();
    await deliver(s.deps, s.before, 'clean');
    const ledger = s.deps.ports.ledger;
    const markSent = ledger.markSent.bind(ledger);
    await crashAt(s, (reached) => {
      ledger.markSent = () => (reached(), never);
    });
    ledger.markSent = markSent;
    const sentBeforeCrash = s.sns.alertIds();
    // When SQS redelivers its messages and the rest follows
    expect(await redeliverIncident(s)).toEqual([]);
    await deliver(s.deps, s.after, 'clean');
    // Then that alert went out twice with one alertId (subscribers drop the repeat), the others once
    const ids = s.sns.alertIds();
    expect([...new Set(ids)].sort()).toEqual(clean);
    const repeated = ids.filter((id, i) => ids.indexOf(id) !== i);
    expect(repeated.length).toBe(1);
    expect(sentBeforeCrash).toContain(repeated[0]);
  }, 60_000);

  it('sends each alert once when SNS fails a whole call and then recovers', async () => {
    // Given SNS failing the first PublishBatch call
    const s = await setUp();
    await deliver(s.deps, s.before, 'clean');
    s.sns.failCalls = 1;
    // When the batch is handled, then redelivered (right away: the failed alert was released)
    const failed = await deliver(s.deps, [s.incident], 'first');
    expect(failed.length).toBeGreaterThan(0);
    expect(await deliver(s.deps, redelivery(slice, failed), 'retry')).toEqual([]);
    await deliver(s.deps, s.after, 'clean');
    // Then every alert went out exactly once
    expect(s.sns.alertIds().sort()).toEqual(clean);
    expect(s.sns.alertIds().length).toBe(clean.length);
  }, 60_000);
});

describe('the suppression window on DynamoDB Local', () => {
  it('sends one alert per dedup key per window, across invocations', async () => {
    // Given the source-ip incident's first call, and the same call again 30 and 61 minutes later
    const table = await freshTable(client);
    const sns = new FakeSns();
    const deps = dynamoDependencies(client, table, sns, new TestClock(0));
    const label = labels.find((l) => l.id === '03-source-ip')!;
    const call = records.find((r) => r.eventID === label.eventIds[0])!;
    const later = (minutes: number): RawRecord => ({
      ...call,
      eventID: `${String(call.eventID).slice(0, -4)}${String(minutes).padStart(4, '0')}`,
      eventTime: new Date(Date.parse(String(call.eventTime)) + minutes * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    });
    // When each is handled by its own invocation
    await deliver(deps, [sqsEvent([call]), sqsEvent([later(30)]), sqsEvent([later(61)])], 'window');
    // Then the one 30 minutes later is suppressed (suppressionMinutes 60) and the one after the window alerts
    const sourceIp = sns.messages.filter((m) => m.detector === 'source-ip');
    expect(sourceIp.map((m) => m.eventIds[0])).toEqual([call.eventID, later(61).eventID]);
    expect(deps.metrics.totals.AlertsSuppressed).toBe(1);
  });
});

describe('replay --store dynamodb', () => {
  const day = join(__dirname, '..', 'examples', 'AWSLogs', '210987654321', 'CloudTrail', 'eu-west-1', '2026', '10', '07');
  const saved = { ...process.env };
  beforeAll(() => Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_REGION: 'us-east-1' }));
  afterAll(() => {
    process.env = saved;
  });

  async function run(table: string): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const io: Io = { out: (t) => void (out += t), err: (t) => void (err += t), errIsTty: false };
    const code = await main(['replay', day, '--config', 'examples/config.json', '--json', '--store', 'dynamodb', '--endpoint', localEndpoint(), '--table', table], io);
    return { code, out, err };
  }

  it('creates the table, seeds it, reports the units, and alerts nothing on a second pass', async () => {
    // Given a table name that does not exist yet
    const table = `replay-${process.pid}-${Date.now()}`;
    // When a day of the examples is replayed into it twice
    const first = await run(table);
    const second = await run(table);
    // Then the first pass created it and alerted, the second found everything already done
    expect(first.code).toBe(1);
    expect(first.out.trim().split('\n').length).toBeGreaterThan(0);
    expect(first.err).toMatch(new RegExp(`DynamoDB table ${table}: \\d+ requests, [\\d.]+ read units \\([\\d.]+ per relevant event\\), [\\d.]+ write units`));
    expect(second.code).toBe(0);
    expect(second.out).toBe('');
    expect((await scanAll(client, table)).length).toBeGreaterThan(0);
  }, 60_000);
});
