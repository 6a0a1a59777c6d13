/**
 * The "detect" Lambda: an SQS batch of CloudTrail events (EventBridge envelopes) → engine →
 * DynamoDB state → SNS alerts, reporting back the messages that must be retried.
 *
 * This is the only module that reads the environment and builds SDK clients (once per cold
 * start). Everything it wires is injectable through {@link createHandler} for tests.
 */
import { BatchProcessor, EventType } from '@aws-lambda-powertools/batch';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context, SQSBatchItemFailure, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { AlertPublishError, SnsPublisher, snsModule, type AlertPublisher, type PublishResult } from '../delivery/sns';
import { loadConfig, type CompiledConfig } from '../core/config';
import { prepareBatch, recoverAlerts, type Alert, type BatchResult, type Clock, type EnginePorts, type PreparedBatch } from '../engine/engine';
import { parseText } from '../core/parse';
import type { ParsedCall } from '../core/types';
import { CapacityMeter, DynamoLedger, DynamoStore } from '../state/dynamodb';
import { StateCache } from '../state/cache';
import { ASSUME_ROLE_EVENTS_METRIC, ENVIRONMENT, METRICS_NAMESPACE, METRICS_SERVICE } from './contract';
import type { Consumption } from '../core/state';

/** Everything the handler needs, injected. */
export interface DetectDependencies {
  readonly config: CompiledConfig;
  readonly ports: EnginePorts;
  readonly publisher: AlertPublisher;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly clock: Clock;
  /** Request units consumed so far by the stores (diffed per batch for metrics). */
  readonly consumption?: () => Consumption;
}

/** What one invocation did, for logs, metrics and tests. */
export interface InvocationSummary {
  readonly messages: number;
  readonly rejectedMessages: number;
  readonly result: BatchResult | null;
  readonly recovered: number;
  /** Alerts held by another live invocation (their messages are retried). */
  readonly busy: number;
  readonly published: number;
  readonly publishFailed: number;
  readonly readUnits: number;
  readonly writeUnits: number;
}

export { ENVIRONMENT };

/** Reads a required environment variable, failing the cold start with its name. */
function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`environment variable ${name} is not set`);
  return value;
}

/** Builds the dependencies from the environment: clients, stores, publisher, config. */
export function dependenciesFromEnvironment(): DetectDependencies {
  const tableName = requireEnv(ENVIRONMENT.table);
  const topicArn = requireEnv(ENVIRONMENT.topic);
  const rawConfig = requireEnv(ENVIRONMENT.config);
  let parsedConfig: Record<string, unknown>;
  try {
    parsedConfig = JSON.parse(rawConfig) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`environment variable ${ENVIRONMENT.config} is not JSON: ${(e as Error).message}`);
  }
  const config = loadConfig(parsedConfig);
  const dynamo = new DynamoDBClient({});
  const meter = new CapacityMeter();
  const state = new DynamoStore(dynamo, tableName, { meter });
  const ledger = new DynamoLedger(dynamo, tableName, { meter });
  return {
    config,
    // The cache lives as long as this instance: items that only grow need not be read again.
    ports: { state, ledger, cache: new StateCache() },
    // SNS's client loads at the first alert: most instances never publish.
    publisher: new SnsPublisher(() => new (snsModule().SNSClient)({}), topicArn),
    logger: new Logger({ serviceName: METRICS_SERVICE }),
    metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE }),
    clock: { now: () => Date.now() },
    consumption: () => meter.reading(),
  };
}

/** What the handler uses of the Lambda context. */
export type InvocationContext = Pick<Context, 'awsRequestId' | 'getRemainingTimeInMillis'>;

/** Rejected records logged one by one per message. */
const MAX_REJECTIONS_LOGGED = 10;

/** Margin added to the remaining time for clock differences between Lambda instances. */
const LEASE_MARGIN_MS = 10_000;

/** Builds the Lambda handler around its dependencies. */
export function createHandler(deps: DetectDependencies): (event: SQSEvent, context?: InvocationContext) => Promise<SQSBatchResponse> {
  return async (event, context) =>
    (await handleBatch(event, deps, context?.awsRequestId ?? 'local', context ? context.getRemainingTimeInMillis() + LEASE_MARGIN_MS : undefined)).response;
}

/**
 * Processes one SQS batch; the response lists the messages SQS must deliver again.
 * `owner` names this invocation in the alert ledger, which leases the alerts it will send for
 * `leaseMs` (the invocation's remaining time: a crashed invocation's alerts are free again by
 * the time SQS redelivers its messages, after the visibility timeout).
 */
export async function handleBatch(
  event: SQSEvent,
  deps: DetectDependencies,
  owner: string,
  leaseMs?: number,
): Promise<{ response: SQSBatchResponse; summary: InvocationSummary }> {
  const { logger, metrics } = deps;
  const before = deps.consumption?.() ?? { readUnits: 0, writeUnits: 0, requests: 0 };
  const failures = new Set<string>();
  const callsByMessage = new Map<string, ParsedCall[]>();
  const messageOfEvent = new Map<string, string>();
  let assumeRoleEvents = 0;
  let ignored = 0;

  // 1. Parse each message on its own: a malformed one fails alone and ends in the DLQ.
  const processor = new BatchProcessor(EventType.SQS);
  processor.register(
    event.Records,
    (record: SQSRecord) => {
      const results = parseText(record.body, `sqs:${record.messageId}`);
      const calls: ParsedCall[] = [];
      const reasons: string[] = [];
      for (const r of results) {
        if (r.kind === 'rejected') {
          reasons.push(r.reason);
          // A message of thousands of bad records logs a sample, not thousands of lines.
          if (reasons.length <= MAX_REJECTIONS_LOGGED) logger.warn('rejected record', { messageId: record.messageId, eventId: r.eventId, reason: r.reason });
        } else if (r.kind === 'ignored') {
          ignored += 1;
        } else {
          calls.push(r);
          messageOfEvent.set(r.eventId, record.messageId);
          if (r.kind === 'assume-role') assumeRoleEvents += 1;
        }
      }
      if (reasons.length > MAX_REJECTIONS_LOGGED) logger.warn('more rejected records', { messageId: record.messageId, notLogged: reasons.length - MAX_REJECTIONS_LOGGED });
      callsByMessage.set(record.messageId, calls);
      if (results.length === 0) reasons.push('message holds no CloudTrail record');
      // The valid records still go through; the message is retried (harmlessly: effects are
      // idempotent) until SQS moves it to the DLQ, where the bad record is kept.
      if (reasons.length > 0) throw new Error(`malformed input: ${reasons.slice(0, MAX_REJECTIONS_LOGGED).join('; ')}${reasons.length > MAX_REJECTIONS_LOGGED ? `; and ${reasons.length - MAX_REJECTIONS_LOGGED} more` : ''}`);
    },
    { throwOnFullBatchFailure: false },
  );
  await processor.process();
  for (const f of processor.response().batchItemFailures) failures.add(f.itemIdentifier);
  const rejectedMessages = failures.size;

  // 2. One engine run over every valid call of the batch.
  const calls = [...callsByMessage.values()].flat();
  const messagesWithCalls = [...callsByMessage.entries()].filter(([, c]) => c.length > 0).map(([id]) => id);
  /** Fails the messages that carried an alert's events, so SQS delivers them again. */
  const retryEventsOf = (alert: Alert): void => {
    const messages = alert.evidence.eventIds.map((id) => messageOfEvent.get(id)).filter((m): m is string => m !== undefined);
    for (const m of messages.length > 0 ? messages : messagesWithCalls) failures.add(m);
  };
  let prepared: PreparedBatch | null = null;
  let alerts: Alert[] = [];
  let recovered = 0;
  let busy = 0;
  try {
    // 2. One engine run over every valid call of the batch (state read, alerts reserved) and,
    // beside it, 3. for redelivered messages, the alerts an earlier attempt reserved but may
    // not have sent.
    const redelivered = event.Records.filter((r) => Number(r.attributes?.ApproximateReceiveCount ?? '1') > 1);
    const redeliveredEvents = redelivered.flatMap((r) => (callsByMessage.get(r.messageId) ?? []).map((c) => c.eventId));
    const [batch, recovery] = await Promise.all([
      prepareBatch(calls, { ...deps.ports, owner, leaseMs }, deps.config, deps.clock),
      recoverAlerts(redeliveredEvents, deps.ports.ledger, owner, deps.clock.now(), leaseMs),
    ]);
    prepared = batch;
    alerts = [...batch.alerts];
    const known = new Set(alerts.map((a) => a.alertId));
    for (const alert of recovery.alerts) if (!known.has(alert.alertId)) alerts.push(alert);
    recovered = recovery.alerts.length;
    // Held by another live invocation: retried until that one has sent them or its lease ends.
    const held = [...batch.busy, ...recovery.busy];
    busy = held.length;
    for (const alert of held) {
      logger.info('alert held by another invocation; its events will be retried', { alertId: alert.alertId, eventId: alert.evidence.eventIds[0] });
      retryEventsOf(alert);
    }
  } catch (e) {
    logger.error('engine failed; the batch will be retried', { error: e as Error });
    metrics.addMetric('BatchFailures', MetricUnit.Count, 1);
    for (const id of messagesWithCalls) failures.add(id);
  }

  // 4. Publish. An alert SNS did not take fails the messages it came from.
  let published = 0;
  let publishFailed = 0;
  const delivered: Alert[] = [];
  let failedAlerts: Alert[] = [];
  if (alerts.length > 0) {
    let outcome: PublishResult;
    try {
      outcome = await deps.publisher.publish(alerts);
    } catch (e) {
      // A whole PublishBatch call failed; the others may have gone through (`partial`).
      logger.error('publishing failed; the unsent alerts will be retried', { error: e as Error });
      outcome = e instanceof AlertPublishError ? e.partial : { accepted: [], failed: [] };
    }
    for (const f of outcome.failed) logger.error('alert not published', { alertId: f.alertId, code: f.code, reason: f.message });
    const acceptedIds = new Set(outcome.accepted.map((a) => a.alertId));
    delivered.push(...alerts.filter((a) => acceptedIds.has(a.alertId)));
    failedAlerts = alerts.filter((a) => !acceptedIds.has(a.alertId));
    published = delivered.length;
    publishFailed = failedAlerts.length;
    for (const alert of failedAlerts) retryEventsOf(alert);
  }

  // 5. One last wave: the state, the sent marks, and the leases of what SNS refused.
  const [state, marked, released] = await Promise.allSettled([
    prepared ? prepared.commit() : Promise.resolve(),
    delivered.length > 0 ? deps.ports.ledger.markSent(delivered) : Promise.resolve(),
    // Lets the retry send them at once; should this fail, the lease ends by itself.
    failedAlerts.length > 0 ? deps.ports.ledger.release(failedAlerts, owner) : Promise.resolve(),
  ]);
  if (state.status === 'rejected') {
    // The retry evaluates the events again; their alerts are found sent (or still reserved).
    logger.error('state write failed; the batch will be retried', { error: state.reason as Error });
    metrics.addMetric('BatchFailures', MetricUnit.Count, 1);
    for (const id of messagesWithCalls) failures.add(id);
  }
  if (marked.status === 'rejected') {
    // Published already: retrying would send them again. A later redelivery of these events
    // could re-send them (same alertId), which subscribers can drop.
    logger.error('alerts published but not marked sent', { error: marked.reason as Error, alertIds: delivered.map((a) => a.alertId) });
  }
  if (released.status === 'rejected') logger.warn('could not release unsent alerts; the retry waits for the lease to end', { error: released.reason as Error });

  for (const alert of delivered) logger.info('alert published', { alertId: alert.alertId, detector: alert.detector, severity: alert.severity, eventId: alert.evidence.eventIds[0], eventIds: alert.evidence.eventIds });
  const after = deps.consumption?.() ?? before;
  const summary: InvocationSummary = {
    messages: event.Records.length,
    rejectedMessages,
    result: prepared,
    recovered,
    busy,
    published,
    publishFailed,
    readUnits: after.readUnits - before.readUnits,
    writeUnits: after.writeUnits - before.writeUnits,
  };
  emitMetrics(metrics, summary, assumeRoleEvents, ignored, delivered);
  logger.info('batch done', {
    messages: summary.messages,
    rejectedMessages,
    relevant: prepared?.stats.relevant ?? 0,
    findings: prepared?.stats.findings ?? 0,
    alerts: published,
    suppressed: prepared?.stats.suppressed ?? 0,
    readUnits: summary.readUnits,
    writeUnits: summary.writeUnits,
    retry: [...failures],
  });
  const batchItemFailures: SQSBatchItemFailure[] = [...failures].map((itemIdentifier) => ({ itemIdentifier }));
  return { response: { batchItemFailures }, summary };
}

function emitMetrics(metrics: Metrics, s: InvocationSummary, assumeRoleEvents: number, ignored: number, delivered: readonly Alert[]): void {
  const stats = s.result?.stats;
  metrics.addMetric('MessagesReceived', MetricUnit.Count, s.messages);
  metrics.addMetric('MessagesRejected', MetricUnit.Count, s.rejectedMessages);
  // The silence alarm watches this: no AssumeRole at all for hours means the trail or rule broke.
  metrics.addMetric(ASSUME_ROLE_EVENTS_METRIC, MetricUnit.Count, assumeRoleEvents);
  metrics.addMetric('EventsRelevant', MetricUnit.Count, stats?.relevant ?? 0);
  metrics.addMetric('EventsIgnored', MetricUnit.Count, ignored + (stats?.ignored ?? 0));
  metrics.addMetric('EventsDuplicate', MetricUnit.Count, stats?.duplicates ?? 0);
  metrics.addMetric('Findings', MetricUnit.Count, stats?.findings ?? 0);
  metrics.addMetric('AlertsPublished', MetricUnit.Count, s.published);
  metrics.addMetric('AlertsSuppressed', MetricUnit.Count, stats?.suppressed ?? 0);
  metrics.addMetric('AlertsRecovered', MetricUnit.Count, s.recovered);
  metrics.addMetric('AlertsHeldElsewhere', MetricUnit.Count, s.busy);
  metrics.addMetric('AlertsPublishFailed', MetricUnit.Count, s.publishFailed);
  metrics.addMetric('ReadRequestUnits', MetricUnit.Count, s.readUnits);
  metrics.addMetric('WriteRequestUnits', MetricUnit.Count, s.writeUnits);
  const byDetector = new Map<string, { findings: number; alerts: number }>();
  for (const f of s.result?.findings ?? []) byDetector.set(f.detector, { findings: (byDetector.get(f.detector)?.findings ?? 0) + 1, alerts: byDetector.get(f.detector)?.alerts ?? 0 });
  for (const a of delivered) byDetector.set(a.detector, { findings: byDetector.get(a.detector)?.findings ?? 0, alerts: (byDetector.get(a.detector)?.alerts ?? 0) + 1 });
  for (const [detector, counts] of byDetector) {
    const single = metrics.singleMetric();
    single.addDimension('detector', detector);
    single.addMetric('DetectorFindings', MetricUnit.Count, counts.findings);
    single.addMetric('DetectorAlerts', MetricUnit.Count, counts.alerts);
  }
  metrics.publishStoredMetrics();
}
