/**
 * Concurrent Lambda instances on one DynamoDB table, as a deployment runs them: each instance
 * with its own stores, cache and meter, all taking batches from one simulated SQS queue that
 * redelivers the messages a batch returns. For the load figures of the benchmark and for the
 * test that the state and the alerts come out exact under concurrency.
 */
import { type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import type { CompiledConfig } from '../../lambdas/core/config';
import { handleBatch } from '../../lambdas/detect/handler';
import type { SnsAlertRecord } from '../../lambdas/delivery/sns-publisher';
import { scanAll } from './dynamodb';
import { dynamoDependencies, FakeSns, TestClock } from './handler';
import { sqsEvent, sqsMessage, type RawRecord } from './sqs';

/** What a run of concurrent instances did. */
export interface LoadRun {
  readonly events: number;
  readonly invocations: number;
  readonly wallMs: number;
  /** Conditional writes DynamoDB refused (another instance got there first): expected, handled. */
  readonly conditionalCheckFailures: number;
  /** Requests the SDK sent again (throttling, a 5xx). */
  readonly sdkRetries: number;
  /** Messages a batch handed back (an alert another instance held, a failed write): SQS delivers them again. */
  readonly redelivered: number;
  /** Alerts SNS accepted, in order. */
  readonly alerts: readonly SnsAlertRecord[];
}

/** Counts refused conditional writes and retried requests on a client. */
export class RequestOutcomes {
  conditionalCheckFailures = 0;
  sdkRetries = 0;

  attach(client: DynamoDBClient): this {
    client.middlewareStack.add(
      (next) => async (args) => {
        try {
          const out = await next(args);
          const attempts = (out.output as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1;
          this.sdkRetries += attempts - 1;
          return out;
        } catch (e) {
          if ((e as Error).name === 'ConditionalCheckFailedException') this.conditionalCheckFailures += 1;
          const attempts = (e as { $metadata?: { attempts?: number } }).$metadata?.attempts ?? 1;
          this.sdkRetries += attempts - 1;
          throw e;
        }
      },
      { step: 'initialize', name: 'loadOutcomes' },
    );
    return this;
  }
}

/**
 * Runs `instances` handler instances concurrently over the records, in batches of `batchSize`
 * in event-time order, until every message is processed (a returned message goes to the back of
 * the queue with its receive count raised, as SQS redelivers it after the visibility timeout).
 */
export async function runInstances(
  client: DynamoDBClient,
  outcomes: RequestOutcomes,
  table: string,
  records: readonly RawRecord[],
  config: CompiledConfig,
  o: { readonly instances: number; readonly batchSize: number; readonly maxReceives?: number },
): Promise<LoadRun> {
  const sns = new FakeSns();
  const queue: { message: SQSRecord; receives: number; last: number }[] = [];
  for (let i = 0; i < records.length; i += o.batchSize) {
    const group = records.slice(i, i + o.batchSize);
    const last = Date.parse(String(group[group.length - 1]!.eventTime));
    for (const message of sqsEvent(group).Records) queue.push({ message, receives: 1, last });
  }
  const before = { ccf: outcomes.conditionalCheckFailures, retries: outcomes.sdkRetries };
  let invocations = 0;
  let redelivered = 0;
  const maxReceives = o.maxReceives ?? 5;
  const start = performance.now();
  const instance = async (n: number): Promise<void> => {
    const deps = { ...dynamoDependencies(client, table, sns, new TestClock(0)), config };
    while (queue.length > 0) {
      const taken = queue.splice(0, o.batchSize);
      deps.clock.ms = Math.max(deps.clock.ms, ...taken.map((t) => t.last + 60_000));
      invocations += 1;
      const event = { Records: taken.map((t) => sqsMessage(t.message.body, t.message.messageId, t.receives)) };
      const { response } = await handleBatch(event, deps, `instance-${n}-${invocations}`, 60_000);
      const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
      for (const t of taken) {
        if (!failed.has(t.message.messageId)) continue;
        redelivered += 1;
        if (t.receives >= maxReceives) throw new Error(`message ${t.message.messageId} failed ${maxReceives} times: it would be in the dead-letter queue`);
        queue.push({ ...t, receives: t.receives + 1 });
      }
    }
  };
  await Promise.all(Array.from({ length: o.instances }, (_, n) => instance(n)));
  return {
    events: records.length,
    invocations,
    wallMs: performance.now() - start,
    conditionalCheckFailures: outcomes.conditionalCheckFailures - before.ccf,
    sdkRetries: outcomes.sdkRetries - before.retries,
    redelivered,
    alerts: sns.messages,
  };
}

/**
 * The detection state of a table (the alert ledger left out), each item without its TTL, for comparing two runs; and each item's TTL apart. A TTL is set from the event time
 * of whichever call wrote the item last, so two orders of the same calls differ there by at most
 * their time span; everything else (counters, sets, peaks, first-seen times) must be equal.
 */
export async function stateOf(client: DynamoDBClient, table: string): Promise<{ items: Map<string, Record<string, AttributeValue>>; ttls: Map<string, number> }> {
  const items = new Map<string, Record<string, AttributeValue>>();
  const ttls = new Map<string, number>();
  for (const item of await scanAll(client, table)) {
    const pk = item.pk?.S ?? '';
    if (/^alert(ref)?#/.test(pk)) continue;
    const id = `${pk}/${item.sk?.S ?? ''}`;
    const { expiresAt, ...rest } = item;
    items.set(id, rest);
    if (expiresAt?.N !== undefined) ttls.set(id, Number(expiresAt.N));
  }
  return { items, ttls };
}

/** An item as JSON with sets sorted, whatever order DynamoDB returns them in. */
export function canonical(item: Record<string, AttributeValue>): string {
  const sorted = Object.keys(item).sort().map((k) => {
    const v = item[k]!;
    if (v.SS) return [k, { SS: [...v.SS].sort() }];
    if (v.NS) return [k, { NS: [...v.NS].sort() }];
    return [k, v];
  });
  return JSON.stringify(sorted);
}

/**
 * `n` successful AssumeRole calls into distinct customer accounts within one minute, made by
 * sessions of `roles` outbound roles (`outbound-load-<i>`, matched by `outbound-*`), each call
 * in turn, from the template's caller, address and client. `first` numbers the calls (IDs and
 * accounts) from there, so that several sets of calls can be told apart.
 */
export function massAssumptions(template: RawRecord, n: number, roles = 1, startMs = Date.parse(String(template.eventTime)), first = 0): RawRecord[] {
  const identity = template.userIdentity as { arn: string; accessKeyId: string; sessionContext: { sessionIssuer: Record<string, unknown> } };
  const account = identity.arn.split(':')[4]!;
  return Array.from({ length: n }, (_, k) => {
    const i = first + k;
    const target = String(300_000_000_000 + i * 7_919).padStart(12, '0');
    const roleArn = `arn:aws:iam::${target}:role/vendor-integration`;
    const role = roles === 1 ? String(identity.sessionContext.sessionIssuer.userName) : `outbound-load-${i % roles}`;
    const issuer = `arn:aws:iam::${account}:role/${role}`;
    const session = identity.arn.split('/').slice(-1)[0];
    const params = template.requestParameters as Record<string, unknown>;
    const hex = i.toString(16).padStart(12, '0');
    return {
      ...template,
      userIdentity: {
        ...identity,
        arn: `arn:aws:sts::${account}:assumed-role/${role}/${session}`,
        // One session per role.
        accessKeyId: roles === 1 ? identity.accessKeyId : `${identity.accessKeyId.slice(0, 16)}${String(i % roles).padStart(4, '0')}`,
        sessionContext: { ...identity.sessionContext, sessionIssuer: { ...identity.sessionContext.sessionIssuer, arn: issuer, userName: role } },
      },
      // IDs that differ early, as CloudTrail's random UUIDs do.
      eventID: `${hex.slice(4)}-${hex.slice(0, 4)}-4000-8000-0000000000aa`,
      requestID: `${hex.slice(4)}-${hex.slice(0, 4)}-4000-9000-0000000000bb`,
      sharedEventID: `${hex.slice(4)}-${hex.slice(0, 4)}-4000-a000-0000000000cc`,
      eventTime: new Date(startMs + Math.floor((k * 60_000) / n)).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      requestParameters: { ...params, roleArn, externalId: `xid-${target}` },
      resources: [{ accountId: target, type: 'AWS::IAM::Role', ARN: roleArn }],
    };
  });
}

/** Two deployments run over the same phases of calls: `instances` concurrent instances, and one alone. */
export interface LoadComparison {
  /** Each phase's run by the concurrent instances, then by the one alone. */
  readonly concurrent: readonly LoadRun[];
  readonly alone: readonly LoadRun[];
  /** Items whose state differs between the two tables (as {@link comparable} shows them), from either side. */
  readonly differing: readonly string[];
  /** Items whose TTLs differ by more than the calls' time span (a TTL follows whichever call wrote last). */
  readonly ttlsApart: readonly string[];
  /** Alerts (detector and dedup key) one run sent and the other did not. */
  readonly alertsApart: readonly string[];
  /** Alert IDs the concurrent instances sent more than once. */
  readonly sentTwice: readonly string[];
}

/**
 * An item as compared across runs: sets sorted, and a window's kept target accounts past the
 * bound the detector keeps them to (`maxTargetAccounts` + 1) as the bound, since which of them
 * are kept depends on the order.
 */
export function comparable(id: string, item: Record<string, AttributeValue>, maxTargetAccounts: number): string {
  const accounts = item.accounts?.SS;
  return `${id} ${canonical(accounts && accounts.length > maxTargetAccounts ? { ...item, accounts: { N: String(maxTargetAccounts + 1) } } : item)}`;
}

/**
 * Runs the phases (each after the one before has finished, as time passes) on two fresh tables:
 * by `instances` concurrent instances and by one alone; what differs in the state and the alerts.
 */
export async function compareConcurrent(
  client: DynamoDBClient,
  outcomes: RequestOutcomes,
  phases: readonly (readonly RawRecord[])[],
  config: CompiledConfig,
  o: { readonly instances: number; readonly batchSize: number; readonly freshTable: () => Promise<string> },
): Promise<LoadComparison> {
  const runAll = async (instances: number): Promise<{ table: string; runs: LoadRun[] }> => {
    const table = await o.freshTable();
    const runs: LoadRun[] = [];
    for (const phase of phases) runs.push(await runInstances(client, outcomes, table, phase, config, { instances, batchSize: o.batchSize }));
    return { table, runs };
  };
  const many = await runAll(o.instances);
  const one = await runAll(1);
  const [left, right] = [await stateOf(client, many.table), await stateOf(client, one.table)];
  const shown = (items: Map<string, Record<string, AttributeValue>>): string[] => [...items].map(([id, item]) => comparable(id, item, config.volumeMaxTargetAccounts));
  const [l, r] = [shown(left.items), shown(right.items)];
  const [ls, rs] = [new Set(l), new Set(r)];
  const times = phases.flat().map((rec) => Date.parse(String(rec.eventTime)));
  const spanSeconds = (Math.max(...times) - Math.min(...times)) / 1000;
  const alertKeys = (runs: readonly LoadRun[]): string[] => runs.flatMap((run) => run.alerts.map((a) => `${a.detector} ${a.dedupKey}`)).sort();
  const [la, ra] = [alertKeys(many.runs), alertKeys(one.runs)];
  const sent = many.runs.flatMap((run) => run.alerts.map((a) => a.alertId));
  return {
    concurrent: many.runs,
    alone: one.runs,
    differing: [...l.filter((x) => !rs.has(x)), ...r.filter((x) => !ls.has(x))],
    ttlsApart: [...left.ttls].filter(([id, ttl]) => !(Math.abs(ttl - (right.ttls.get(id) ?? Number.NaN)) <= spanSeconds)).map(([id]) => id),
    alertsApart: [...la.filter((x) => !ra.includes(x)), ...ra.filter((x) => !la.includes(x))],
    sentTwice: sent.filter((id, i) => sent.indexOf(id) !== i),
  };
}
