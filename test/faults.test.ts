/**
 * Fault injection at the SDK middleware layer: the detect handler over four hours of the examples
 * (four incidents) on DynamoDB Local, with DynamoDB throttling, 5xx, timeouts before and after the
 * server applied a request, SNS errors, refusals and timeouts, and Lambda timeouts (an invocation
 * abandoned at a call that never returns), at seeded calls of every batch. Messages the handler
 * fails come back as SQS would bring them: after the visibility timeout, receive count + 1.
 *
 * The DynamoDB client makes one attempt per request (`maxAttempts: 1`): the SDK's own retries
 * would absorb most faults before our code sees them.
 */
import { DynamoDBClient, type AttributeValue } from '@aws-sdk/client-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { Readable } from 'node:stream';
import { writeFileSync } from 'node:fs';
import { handleBatch } from '../lambdas/detect/handler';
import { ADDRESSES, outboundSession, outToCustomer, sessionCall } from './support/case-records';
import { CASE_BASE_CONFIG } from './detectors/cases';
import { loadConfig } from '../lambdas/core/config';
import { TTL_ATTRIBUTE } from '../lambdas/state/schema';
import { freshTable, localEndpoint, scanAll, testClient } from './support/dynamodb';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './support/dynamodb-local';
import { dynamoDependencies, FakeSns, TestClock, type SnsFault } from './support/handler';
import { batches, exampleRecords, sqsEvent, type RawRecord } from './support/sqs';
import { seededRandom } from './support/random';

/** Four hours of the examples holding four incidents, ten records to a batch. */
const slice = exampleRecords().filter((r) => String(r.eventTime) >= '2026-10-07T09:00:00Z' && String(r.eventTime) < '2026-10-07T13:00:00Z');
const BATCH = 10;
/** What the Lambda has left to run (the lease it takes), and how long SQS hides a received message. */
const REMAINING_MS = 60_000;
const VISIBILITY_TIMEOUT_MS = 6 * 60_000;
/** How long after its event time a record reaches the Lambda. */
const DELIVERY_DELAY_MS = 5 * 60_000;
/** Invocations per batch that may meet a fault; later ones run clean, so every batch gets through. */
const FAULTY_ATTEMPTS = 3;
const MAX_ATTEMPTS = 12;
const SEEDS = [11, 23, 37, 41, 53];

type Deps = ReturnType<typeof dynamoDependencies>;

// ---- the fault injector ------------------------------------------------------------------------

const DYNAMO_FAULTS = ['throughput-exceeded', 'throttling', 'internal-error', 'internal-error-after-write', 'timeout', 'timeout-after-write', 'hang'] as const;
type DynamoFault = (typeof DYNAMO_FAULTS)[number];
const SNS_FAULTS: readonly SnsFault[] = ['error', 'throttle', 'timeout', 'timeout-after-accept', 'entries-failed', 'hang'];

/** An error answer as DynamoDB sends one, for the SDK's own deserializer to turn into the exception. */
function errorResponse(status: number, type: string, message: string): { response: unknown } {
  const body = Buffer.from(JSON.stringify({ __type: type, message }));
  return { response: { statusCode: status, headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': `fault-${Date.now()}` }, body: Readable.from([body]) } };
}

function timeoutError(): Error {
  return Object.assign(new Error('Connection timed out after 1000 ms'), { name: 'TimeoutError' });
}

/**
 * Middleware at the innermost place of the deserialize step: what it returns is the HTTP answer
 * the SDK deserializes, so injected errors become the SDK's own exceptions. Fails the Nth call
 * of an invocation with the armed fault; `…-after-write` faults let the request reach DynamoDB
 * first (the write is applied, the caller sees a failure).
 */
class FaultInjector {
  private calls = 0;
  private armed: { n: number; fault: DynamoFault } | null = null;
  private readonly inFlight = new Set<Promise<unknown>>();
  /** Faults injected, by kind and by command. */
  readonly byFault: Record<string, number> = {};
  readonly byCommand: Record<string, number> = {};
  /** Alerts whose `markSent` write met a fault that kept it from the table. */
  readonly markSentLost = new Set<string>();
  onHang: () => void = () => undefined;

  attach(client: DynamoDBClient): void {
    client.middlewareStack.add(
      (next, context) => async (args) => {
        this.calls += 1;
        const fault = this.armed?.n === this.calls ? this.armed.fault : null;
        if (fault === null) return this.track(next(args));
        const command = context.commandName ?? 'unknown';
        this.byFault[fault] = (this.byFault[fault] ?? 0) + 1;
        this.byCommand[command] = (this.byCommand[command] ?? 0) + 1;
        const input = args.input as { UpdateExpression?: string; ExpressionAttributeValues?: Record<string, AttributeValue> };
        if (command === 'UpdateItemCommand' && input.UpdateExpression === 'SET #sentId = :id' && !fault.endsWith('-after-write')) this.markSentLost.add(input.ExpressionAttributeValues![':id']!.S!);
        switch (fault) {
          case 'throughput-exceeded':
            return errorResponse(400, 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException', 'The level of configured provisioned throughput for the table was exceeded.') as never;
          case 'throttling':
            return errorResponse(400, 'com.amazon.coral.availability#ThrottlingException', 'Rate of requests exceeds the allowed throughput.') as never;
          case 'internal-error':
            return errorResponse(500, 'com.amazonaws.dynamodb.v20120810#InternalServerError', 'Internal server error') as never;
          case 'internal-error-after-write':
            await this.drain(next(args));
            return errorResponse(500, 'com.amazonaws.dynamodb.v20120810#InternalServerError', 'Internal server error') as never;
          case 'timeout':
            throw timeoutError();
          case 'timeout-after-write':
            await this.drain(next(args));
            throw timeoutError();
          case 'hang':
            this.onHang();
            return new Promise<never>(() => undefined);
        }
      },
      { step: 'deserialize', name: 'faultInjector', priority: 'low' },
    );
  }

  /** Fails the Nth call from now with `fault` (null: none). */
  arm(n: number | null, fault: DynamoFault): void {
    this.calls = 0;
    this.armed = n === null ? null : { n, fault };
  }

  /** Waits until no request is in flight (those an abandoned invocation still had running). */
  async quiesce(): Promise<void> {
    for (let idle = 0; idle < 3; ) {
      await new Promise((resolve) => setImmediate(resolve));
      if (this.inFlight.size === 0) idle += 1;
      else {
        idle = 0;
        await Promise.allSettled([...this.inFlight]);
      }
    }
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p)).catch(() => undefined);
    return p;
  }

  /** Sends the request and throws the answer away, reading its body so the connection is freed. */
  private async drain(p: Promise<{ response: unknown }>): Promise<void> {
    const { response } = await this.track(p);
    const body = (response as { body?: Readable }).body;
    if (body && typeof body[Symbol.asyncIterator] === 'function') for await (const _ of body) void _;
  }
}


// ---- SQS semantics -----------------------------------------------------------------------------

/** The same messages delivered again: receive count + 1. */
function again(event: SQSEvent, messageIds: ReadonlySet<string>): SQSEvent {
  return {
    Records: event.Records.filter((r) => messageIds.has(r.messageId)).map((r) => ({
      ...r,
      attributes: { ...r.attributes, ApproximateReceiveCount: String(Number(r.attributes.ApproximateReceiveCount) + 1) },
    })),
  };
}

function latestEventTime(records: readonly RawRecord[]): number {
  return Math.max(...records.map((r) => Date.parse(String(r.eventTime))));
}

/**
 * The table's meaning, as in handler-dynamodb.test.ts: state items without their TTL, alert
 * slots by alert and delivery. `maybeUnmarked` lists alerts whose sent mark may be missing
 * (published, then `markSent` failed): their slot is compared without it.
 */
async function contents(client: DynamoDBClient, table: string, maybeUnmarked: ReadonlySet<string> = new Set()): Promise<string[]> {
  const items = await scanAll(client, table);
  return items
    .filter((i) => !i.pk!.S!.startsWith('alertref#'))
    .map((i) => {
      if (!i.pk!.S!.startsWith('alert#')) {
        const kept = Object.keys(i).filter((k) => k !== TTL_ATTRIBUTE).sort();
        return JSON.stringify(Object.fromEntries(kept.map((k) => [k, i[k]!.SS ? { SS: [...i[k]!.SS!].sort() } : i[k]!.NS ? { NS: [...i[k]!.NS!].sort() } : i[k]])));
      }
      const alertId = i.alertId?.S;
      const sent = alertId !== undefined && maybeUnmarked.has(alertId) ? 'sent or unmarked' : (i.sentId?.S ?? null);
      return JSON.stringify({ pk: i.pk!.S, alertId, sentId: sent, eventTime: i.eventTime?.N });
    })
    .sort();
}

// ---- the runs ----------------------------------------------------------------------------------

const admin = testClient();
/** One attempt per request: faults reach our code instead of the SDK's retry strategy. */
const faulty = new DynamoDBClient({ endpoint: localEndpoint(), region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
const injector = new FaultInjector();
injector.attach(faulty);
afterAll(() => {
  admin.destroy();
  faulty.destroy();
});

interface RunReport {
  readonly alertIds: string[];
  readonly contents: string[];
  readonly table: string;
  readonly invocations: number;
  readonly redeliveries: number;
  readonly abandoned: number;
  readonly snsFaults: number;
  /** Alerts SNS accepted while the handler saw a failure, or whose sent mark was lost: the documented repeat window. */
  readonly mayRepeat: Set<string>;
  readonly markSentLost: Set<string>;
}

/**
 * The slice batch by batch, each batch handled until none of its messages fails (the failed
 * ones redelivered after the visibility timeout), faults chosen by `seed`. The calls each batch
 * made in the clean run bound where a fault may land.
 */
async function run(seed: number, cleanCalls: readonly number[]): Promise<RunReport> {
  const rng = seededRandom(seed);
  const table = await freshTable(admin);
  const sns = new FakeSns();
  const clock = new TestClock(0);
  /** A fresh Lambda instance (its own state cache), as after a timeout. */
  const instance = (): Deps => dynamoDependencies(faulty, table, sns, clock);
  let deps = instance();
  const mayRepeat = new Set<string>();
  const markSentBefore = new Set(injector.markSentLost);
  let invocations = 0;
  let redeliveries = 0;
  let abandoned = 0;
  let snsFaults = 0;
  for (const [b, records] of batches(slice, BATCH).entries()) {
    let event = sqsEvent(records);
    clock.ms = Math.max(clock.ms, latestEventTime(records) + DELIVERY_DELAY_MS);
    for (let attempt = 1; ; attempt++) {
      if (attempt > MAX_ATTEMPTS) throw new Error(`batch ${b} still failing after ${MAX_ATTEMPTS} deliveries`);
      const faultsNow = attempt <= FAULTY_ATTEMPTS;
      // Given a fault at the Nth SDK call of this invocation (N over the calls a clean run makes, and a few more)
      const n = faultsNow && rng() < 0.75 ? 1 + Math.floor(rng() * ((cleanCalls[b] ?? 10) + 3)) : null;
      injector.arm(n, DYNAMO_FAULTS[Math.floor(rng() * DYNAMO_FAULTS.length)]!);
      if (faultsNow && rng() < 0.6) sns.faults.push(SNS_FAULTS[Math.floor(rng() * SNS_FAULTS.length)]!);
      const snsFaultsBefore = sns.faults.length;
      const acceptedBefore = sns.acceptedButTimedOut.length;
      // When the invocation runs, or hangs for good at a call (a Lambda timeout)
      let hung!: () => void;
      const hanging = new Promise<'hung'>((resolve) => (hung = () => resolve('hung')));
      injector.onHang = hung;
      sns.onHang = hung;
      invocations += 1;
      const outcome = await Promise.race([handleBatch(event, deps, `run${seed}-b${b}-a${attempt}`, REMAINING_MS), hanging]);
      snsFaults += snsFaultsBefore - sns.faults.length;
      sns.faults.length = 0;
      injector.arm(null, 'hang');
      sns.acceptedButTimedOut.slice(acceptedBefore).forEach((id) => mayRepeat.add(id));
      let failed: Set<string>;
      if (outcome === 'hung') {
        // … SQS brings the whole batch back after the visibility timeout, to a new instance
        abandoned += 1;
        await injector.quiesce();
        deps = instance();
        failed = new Set(event.Records.map((r) => r.messageId));
      } else {
        failed = new Set(outcome.response.batchItemFailures.map((f) => f.itemIdentifier));
      }
      if (failed.size === 0) break;
      redeliveries += 1;
      clock.ms += VISIBILITY_TIMEOUT_MS;
      event = again(event, failed);
    }
  }
  const markSentLost = new Set([...injector.markSentLost].filter((id) => !markSentBefore.has(id)));
  markSentLost.forEach((id) => mayRepeat.add(id));
  return { alertIds: sns.alertIds(), contents: await contents(admin, table, markSentLost), table, invocations, redeliveries, abandoned, snsFaults, mayRepeat, markSentLost };
}

describe('faults at the SDK middleware layer, on DynamoDB Local', () => {
  let clean: RunReport;
  const cleanCalls: number[] = [];
  const totals = { runs: 0, dynamoFaults: 0, snsFaults: 0, invocations: 0, redeliveries: 0, abandoned: 0, repeatedSends: 0, unmarked: 0 };

  beforeAll(async () => {
    // The clean run: no fault, each batch once; it also counts each batch's SDK calls
    const counting = new Map<number, number>();
    let current = -1;
    faulty.middlewareStack.add((next) => async (args) => {
      if (current >= 0) counting.set(current, (counting.get(current) ?? 0) + 1);
      return next(args);
    }, { step: 'deserialize', name: 'callCounter', priority: 'high' });
    const table = await freshTable(admin);
    const sns = new FakeSns();
    const deps = dynamoDependencies(faulty, table, sns, new TestClock(0));
    for (const [b, records] of batches(slice, BATCH).entries()) {
      current = b;
      deps.clock.ms = Math.max(deps.clock.ms, latestEventTime(records) + DELIVERY_DELAY_MS);
      const { response } = await handleBatch(sqsEvent(records), deps, `clean-${b}`, REMAINING_MS);
      expect(response.batchItemFailures).toEqual([]);
    }
    current = -1;
    faulty.middlewareStack.remove('callCounter');
    cleanCalls.push(...batches(slice, BATCH).map((_, b) => counting.get(b) ?? 0));
    clean = { alertIds: sns.alertIds(), contents: await contents(admin, table), table, invocations: 0, redeliveries: 0, abandoned: 0, snsFaults: 0, mayRepeat: new Set(), markSentLost: new Set() };
  }, 60_000);

  afterAll(() => {
    Object.assign(totals, { dynamoFaults: Object.values(injector.byFault).reduce((a, b) => a + b, 0) });
    if (process.env.FAULT_COUNTS_FILE) writeFileSync(process.env.FAULT_COUNTS_FILE, JSON.stringify({ ...totals, byFault: injector.byFault, byCommand: injector.byCommand, cleanCalls }, null, 2));
  });

  it('covers the four incidents of the slice', () => {
    expect(new Set(clean.alertIds).size).toBe(4);
    expect(clean.alertIds).toHaveLength(4);
  });

  it.each(SEEDS)('gives the clean run\'s alerts, once each, and its table, under the faults of seed %i', async (seed) => {
    // Given faults at seeded calls of every batch, When the slice is handled with SQS redelivery
    const faulted = await run(seed, cleanCalls);
    totals.runs += 1;
    totals.snsFaults += faulted.snsFaults;
    totals.invocations += faulted.invocations;
    totals.redeliveries += faulted.redeliveries;
    totals.abandoned += faulted.abandoned;
    // Then every alert of the clean run went out and no other …
    expect([...new Set(faulted.alertIds)].sort()).toEqual([...new Set(clean.alertIds)].sort());
    // … each once, but where SNS took it and the handler could not know or record it (the documented repeat, same alertId)
    const repeated = faulted.alertIds.filter((id, i) => faulted.alertIds.indexOf(id) !== i);
    for (const id of repeated) expect({ id, allowed: faulted.mayRepeat.has(id) }).toEqual({ id, allowed: true });
    totals.repeatedSends += repeated.length;
    // … and the table holds what the clean run's holds (a sent mark may miss only where markSent failed)
    const unmarked = (await scanAll(admin, faulted.table)).filter((i) => i.pk!.S!.startsWith('alert#') && i.sentId === undefined).map((i) => i.alertId!.S!);
    for (const id of unmarked) expect(faulted.markSentLost.has(id)).toBe(true);
    totals.unmarked += unmarked.length;
    const expected = await contents(admin, clean.table, faulted.markSentLost);
    expect(faulted.contents.filter((item) => !expected.includes(item))).toEqual([]);
    expect(expected.filter((item) => !faulted.contents.includes(item))).toEqual([]);
  }, 60_000);

  it('injected faults at every kind of call, of every kind, and Lambda timeouts', () => {
    // Then the runs met throttles, 5xx, timeouts and hangs at reads, writes and queries
    for (const fault of DYNAMO_FAULTS) expect({ fault, n: (injector.byFault[fault] ?? 0) > 0 }).toEqual({ fault, n: true });
    for (const command of ['BatchGetItemCommand', 'UpdateItemCommand', 'PutItemCommand']) expect({ command, n: (injector.byCommand[command] ?? 0) > 0 }).toEqual({ command, n: true });
    expect(totals.abandoned).toBeGreaterThan(3);
    expect(totals.snsFaults).toBeGreaterThan(3);
  });
});

// A session's location is written to two items, the role-session ARN's and the access key's,
// in a commit that is not a transaction. When it writes one and fails on the other, the
// redelivered call must still complete the other: else a later call of the same key without an
// ARN would be taken for the session's first location and the alert lost.
describe('a partial state write, on DynamoDB Local', () => {
  const client = new DynamoDBClient({ endpoint: localEndpoint(), region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS, maxAttempts: 1 });
  afterAll(() => client.destroy());

  it('still alerts on a second location seen by access key after the key\'s item failed to write once', async () => {
    // Given a session's first call from nat-eu, whose write to the access key's item fails once
    let failures = 1;
    client.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { Key?: Record<string, AttributeValue> };
        if (failures > 0 && input.Key?.pk?.S?.startsWith('session#key#')) {
          failures -= 1;
          return errorResponse(400, 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException', 'throttled') as never;
        }
        return next(args);
      },
      { step: 'deserialize', name: 'failKeyItemOnce', priority: 'low' },
    );
    const session = outboundSession('backend-5e5e5e5e');
    const first = outToCustomer({ time: '2024-08-01T10:00:00Z', caller: session });
    const { arn: _arn, ...withoutArn } = session;
    const second = sessionCall({ time: '2024-08-01T10:20:00Z', caller: withoutArn, sourceIp: ADDRESSES.external });
    const table = await freshTable(admin);
    const sns = new FakeSns();
    const deps = { ...dynamoDependencies(client, table, sns, new TestClock(Date.parse('2024-08-01T10:05:00Z'))), config: loadConfig(CASE_BASE_CONFIG) };
    const firstEvent = sqsEvent([first]);
    const { response } = await handleBatch(firstEvent, deps, 'first', REMAINING_MS);
    expect(response.batchItemFailures).toHaveLength(1);
    deps.clock.ms += VISIBILITY_TIMEOUT_MS;
    expect((await handleBatch(again(firstEvent, new Set([firstEvent.Records[0]!.messageId])), deps, 'retry', REMAINING_MS)).response.batchItemFailures).toEqual([]);
    // When the same access key is used from another address, in a record without the session ARN
    deps.clock.ms = Date.parse('2024-08-01T10:25:00Z');
    await handleBatch(sqsEvent([second]), deps, 'second', REMAINING_MS);
    // Then session-locations alerts, as it does when the first write succeeds
    expect(sns.messages.map((m) => m.detector)).toContain('session-locations');
  }, 30_000);
});
