/**
 * The "detect" Lambda: an SQS batch of CloudTrail events (EventBridge envelopes) → the batch
 * runner (engine, DynamoDB state, SNS alerts) → the messages SQS must deliver again, and metrics.
 * Everything it uses is injected ({@link DetectDependencies}); environment.ts builds the real ones.
 */
import { BatchProcessor, EventType } from '@aws-lambda-powertools/batch';
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { withAllowedCidrs, withCustomerRegistry, type CompiledConfig } from '../core/config';
import { expiredAt } from '../core/detector-settings';
import type { EventOrigin } from '../core/eventbridge-envelope';
import { notAfterClock, parseText, type ParseOptions } from '../core/parse';
import type { Consumption } from '../core/state';
import type { ParsedCall } from '../core/types';
import { runBatch, type BatchOutcome, type StatePorts } from '../delivery/batch-runner';
import type { AlertPublisher } from '../delivery/publisher';
import type { Detector } from '../detectors/detector';
import { DETECTORS } from '../detectors';
import type { Alert } from '../engine/alerts';
import type { Clock } from '../engine/engine';
import { ALLOWED_CIDRS_REPORTING, type AllowedCidrsForBatch, type AllowedCidrsSource } from './allowed-cidrs';
import { ALLOWED_CIDRS_CHANGES_METRIC, ASSUME_ROLE_EVENTS_METRIC, BATCH_METRICS, DESTINATION_DIMENSION, DESTINATION_REFUSALS_METRIC, DETECTOR_DIMENSION, DETECTOR_METRICS, EXPIRED_EXCEPTIONS_METRIC } from './contract';
import { CUSTOMER_REGISTRY_REPORTING, type CustomerRegistrySource, type RegistryForBatch } from './customer-registry';
import { emitSourceMetrics, logSourceReads } from './refreshed-source';

/** Everything the handler needs, injected. */
export interface DetectDependencies {
  readonly config: CompiledConfig;
  /**
   * The deployment's account and regions: a message is accepted only as an EventBridge event of
   * a CloudTrail API call from an AWS source there (anything else on the queue was forged).
   */
  readonly eventOrigin: EventOrigin;
  /** @default every registered detector */
  readonly detectors?: readonly Detector[];
  readonly ports: StatePorts;
  readonly publisher: AlertPublisher;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly clock: Clock;
  /** Request units consumed so far by the stores (diffed per batch for metrics). */
  readonly consumption?: () => Consumption;
  /** The customer registry, when `customerRegistry` is configured. */
  readonly customerRegistry?: CustomerRegistrySource;
  /** The published allow-list, when `allowedCidrsSource` is configured. */
  readonly allowedCidrs?: AllowedCidrsSource;
}

/** What one invocation did, for logs, metrics and tests. */
export interface InvocationSummary {
  readonly messages: number;
  readonly rejectedMessages: number;
  /** The batch run; null when no message held a valid call. */
  readonly result: BatchOutcome | null;
  readonly recovered: number;
  /** Alerts held by another live invocation (their messages are retried). */
  readonly busy: number;
  readonly published: number;
  readonly publishFailed: number;
  readonly readUnits: number;
  readonly writeUnits: number;
  /** The customer registry copy the batch ran with; null when none is configured. */
  readonly customerRegistry: RegistryForBatch | null;
  /** The published allow-list copy the batch ran with; null when none is configured. */
  readonly allowedCidrs: AllowedCidrsForBatch | null;
  /** Detector exceptions past their `expires` by the invocation's clock. */
  readonly expiredExceptions: number;
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
  const before = deps.consumption?.() ?? { readUnits: 0, writeUnits: 0, requests: 0 };
  // No record may be dated later than this invocation's clock (plus a margin for hosts' clocks):
  // one from the future would carry windows, TTLs and baselines with it.
  const parsed = await parseMessages(event, deps.logger, { ...notAfterClock(deps.clock.now()), eventOrigin: deps.eventOrigin });
  const registry = deps.customerRegistry ? await deps.customerRegistry.forBatch(parsed.calls, deps.config, deps.clock.now()) : null;
  if (registry) logSourceReads(deps.logger, CUSTOMER_REGISTRY_REPORTING, deps.customerRegistry!.url, registry);
  const cidrs = deps.allowedCidrs ? await deps.allowedCidrs.forBatch(deps.clock.now()) : null;
  if (cidrs) logAllowedCidrs(deps.logger, deps.allowedCidrs!.url, cidrs);
  // Until a first good copy is read, the registry's checks are skipped (never raised on every
  // call), and the static allowedCidrs applies alone.
  const withCidrs = cidrs ? withAllowedCidrs(deps.config, cidrs.cidrs) : deps.config;
  const config = registry ? withCustomerRegistry(withCidrs, registry.registry) : withCidrs;
  const expiredExceptions = reportExpiredExceptions(deps);
  const outcome = parsed.calls.length > 0 ? await runBatch({ calls: parsed.calls, redeliveredEventIds: parsed.redeliveredEventIds, owner, leaseMs }, { ...deps, config, detectors: deps.detectors ?? DETECTORS, log: deps.logger }) : null;
  const failures = failedMessages(parsed, outcome);
  const after = deps.consumption?.() ?? before;
  const summary: InvocationSummary = {
    messages: event.Records.length,
    rejectedMessages: parsed.rejected.size,
    result: outcome,
    recovered: outcome?.stats.recovered ?? 0,
    busy: outcome?.stats.busy ?? 0,
    published: outcome?.stats.alerts ?? 0,
    publishFailed: outcome?.stats.publishFailed ?? 0,
    readUnits: after.readUnits - before.readUnits,
    writeUnits: after.writeUnits - before.writeUnits,
    customerRegistry: registry,
    allowedCidrs: cidrs,
    expiredExceptions,
  };
  report(deps, summary, parsed, failures);
  return { response: { batchItemFailures: [...failures].map((itemIdentifier) => ({ itemIdentifier })) }, summary };
}

/** The exceptions each configuration (one per cold start) has logged as expired. */
const loggedExpired = new WeakMap<CompiledConfig, Set<string>>();

/**
 * How many detector exceptions have expired by the invocation's clock; each is logged once per
 * instance: at its first invocation those already expired, later each one that expires while it
 * is warm (an instance lives for hours; logging them every batch would bury the log).
 */
function reportExpiredExceptions(deps: DetectDependencies): number {
  const expired = expiredAt(deps.config.detectorExceptions, deps.clock.now());
  if (expired.length === 0) return 0;
  let logged = loggedExpired.get(deps.config);
  if (logged === undefined) loggedExpired.set(deps.config, (logged = new Set()));
  for (const e of expired) {
    if (logged.has(e.key)) continue;
    logged.add(e.key);
    deps.logger.warn('detector exception expired: its findings alert again; renew its expires or remove it', { exception: e.key, expires: e.expires, reason: e.reason });
  }
  return expired.length;
}

/** Entries of a change logged by name; past this they are counted. */
const MAX_CHANGES_LOGGED = 50;

/** Logs what reading the published allow-list did, and what a new copy changed. */
function logAllowedCidrs(logger: Logger, url: string, batch: AllowedCidrsForBatch): void {
  logSourceReads(logger, ALLOWED_CIDRS_REPORTING, url, batch);
  const { change } = batch;
  if (change === null) return;
  logger.info('published allow-list changed', {
    url,
    added: change.added.slice(0, MAX_CHANGES_LOGGED),
    removed: change.removed.slice(0, MAX_CHANGES_LOGGED),
    addedCount: change.added.length,
    removedCount: change.removed.length,
  });
}

/** The valid calls of a batch, and what became of each message. */
interface ParsedMessages {
  readonly calls: readonly ParsedCall[];
  /** Messages with a record that could not be parsed (retried until they reach the DLQ). */
  readonly rejected: ReadonlySet<string>;
  /** Messages that carried at least one valid call. */
  readonly withCalls: readonly string[];
  readonly messageOfEvent: ReadonlyMap<string, string>;
  /** Events of messages SQS delivered before: an earlier attempt may have reserved their alerts. */
  readonly redeliveredEventIds: readonly string[];
  readonly assumeRoleEvents: number;
  readonly ignored: number;
}

/**
 * Parses each message on its own: a malformed one fails alone, and its valid records still go
 * through. Two messages of a batch may share an ID (SQS delivers at least once): the calls of
 * both are kept, and a failure of either fails the ID.
 */
async function parseMessages(event: SQSEvent, logger: Logger, parse: ParseOptions): Promise<ParsedMessages> {
  const callsByMessage = new Map<string, ParsedCall[]>();
  const messageOfEvent = new Map<string, string>();
  let assumeRoleEvents = 0;
  let ignored = 0;
  const processor = new BatchProcessor(EventType.SQS);
  processor.register(
    event.Records,
    (record: SQSRecord) => {
      const results = parseText(record.body, `sqs:${record.messageId}`, 1, parse);
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
      const earlier = callsByMessage.get(record.messageId);
      if (earlier === undefined) callsByMessage.set(record.messageId, calls);
      else earlier.push(...calls);
      if (results.length === 0) reasons.push('message holds no CloudTrail record');
      // The message is retried (harmlessly: effects are idempotent) until SQS moves it to the
      // DLQ, where the bad record is kept.
      if (reasons.length > 0) throw new Error(`malformed input: ${reasons.slice(0, MAX_REJECTIONS_LOGGED).join('; ')}${reasons.length > MAX_REJECTIONS_LOGGED ? `; and ${reasons.length - MAX_REJECTIONS_LOGGED} more` : ''}`);
    },
    { throwOnFullBatchFailure: false },
  );
  await processor.process();
  const redelivered = new Set(event.Records.filter((r) => Number(r.attributes?.ApproximateReceiveCount ?? '1') > 1).map((r) => r.messageId));
  return {
    calls: [...callsByMessage.values()].flat(),
    rejected: new Set(processor.response().batchItemFailures.map((f) => f.itemIdentifier)),
    withCalls: [...callsByMessage.entries()].filter(([, c]) => c.length > 0).map(([id]) => id),
    messageOfEvent,
    redeliveredEventIds: [...redelivered].flatMap((id) => (callsByMessage.get(id) ?? []).map((c) => c.eventId)),
    assumeRoleEvents,
    ignored,
  };
}

/** The messages SQS must deliver again: the malformed ones, and those the batch run could not finish. */
function failedMessages(parsed: ParsedMessages, outcome: BatchOutcome | null): Set<string> {
  const failures = new Set(parsed.rejected);
  if (outcome === null) return failures;
  if (outcome.retryAll) {
    for (const id of parsed.withCalls) failures.add(id);
    return failures;
  }
  // An alert held elsewhere or refused by the publisher: the messages that carried its events.
  for (const alert of outcome.retryAlerts) {
    const messages = alert.evidence.eventIds.map((id) => parsed.messageOfEvent.get(id)).filter((m): m is string => m !== undefined);
    for (const m of messages.length > 0 ? messages : parsed.withCalls) failures.add(m);
  }
  return failures;
}

/** Logs the delivered alerts and the batch, and emits its metrics. */
function report(deps: DetectDependencies, summary: InvocationSummary, parsed: ParsedMessages, failures: ReadonlySet<string>): void {
  const { logger, metrics } = deps;
  const outcome = summary.result;
  const delivered = outcome?.delivered ?? [];
  for (const alert of delivered) logger.info('alert published', { alertId: alert.alertId, detector: alert.detector, severity: alert.severity, eventId: alert.evidence.eventIds[0], eventIds: alert.evidence.eventIds });
  emitMetrics(metrics, summary, parsed, delivered);
  logger.info('batch done', {
    messages: summary.messages,
    rejectedMessages: summary.rejectedMessages,
    relevant: outcome?.stats.relevant ?? 0,
    findings: outcome?.stats.findings ?? 0,
    alerts: summary.published,
    suppressed: outcome?.stats.suppressed ?? 0,
    exempted: outcome?.stats.exempted ?? 0,
    exemptions: outcome?.stats.exemptions ?? {},
    readUnits: summary.readUnits,
    writeUnits: summary.writeUnits,
    retry: [...failures],
  });
}

function emitMetrics(metrics: Metrics, s: InvocationSummary, parsed: ParsedMessages, delivered: readonly Alert[]): void {
  const stats = s.result?.stats;
  const m = BATCH_METRICS;
  metrics.addMetric(m.messagesReceived, MetricUnit.Count, s.messages);
  metrics.addMetric(m.messagesRejected, MetricUnit.Count, s.rejectedMessages);
  // The silence alarm watches this: no AssumeRole at all for hours means the trail or rule broke.
  metrics.addMetric(ASSUME_ROLE_EVENTS_METRIC, MetricUnit.Count, parsed.assumeRoleEvents);
  metrics.addMetric(m.eventsRelevant, MetricUnit.Count, stats?.relevant ?? 0);
  metrics.addMetric(m.eventsIgnored, MetricUnit.Count, parsed.ignored + (stats?.ignored ?? 0));
  metrics.addMetric(m.eventsDuplicate, MetricUnit.Count, stats?.duplicates ?? 0);
  metrics.addMetric(m.findings, MetricUnit.Count, stats?.findings ?? 0);
  metrics.addMetric(m.alertsPublished, MetricUnit.Count, s.published);
  metrics.addMetric(m.alertsSuppressed, MetricUnit.Count, stats?.suppressed ?? 0);
  metrics.addMetric(m.exemptedFindings, MetricUnit.Count, stats?.exempted ?? 0);
  metrics.addMetric(EXPIRED_EXCEPTIONS_METRIC, MetricUnit.Count, s.expiredExceptions);
  metrics.addMetric(m.alertsRecovered, MetricUnit.Count, s.recovered);
  metrics.addMetric(m.alertsHeldElsewhere, MetricUnit.Count, s.busy);
  metrics.addMetric(m.alertsPublishFailed, MetricUnit.Count, s.publishFailed);
  // Which destination refused (SNS, the bus, Security Hub, a chat topic): one alarm or graph each.
  for (const [destination, count] of Object.entries(s.result?.stats.refusedBy ?? {})) {
    emitWithDimension(metrics, DESTINATION_DIMENSION, destination, DESTINATION_REFUSALS_METRIC, count);
  }
  if (s.result?.retryAll) metrics.addMetric(m.batchFailures, MetricUnit.Count, 1);
  // The registry's and the allow-list's alarms watch these: a copy too old, or none at all.
  if (s.customerRegistry) emitSourceMetrics(metrics, CUSTOMER_REGISTRY_REPORTING, s.customerRegistry);
  if (s.allowedCidrs) {
    emitSourceMetrics(metrics, ALLOWED_CIDRS_REPORTING, s.allowedCidrs);
    if (s.allowedCidrs.change !== null) metrics.addMetric(ALLOWED_CIDRS_CHANGES_METRIC, MetricUnit.Count, 1);
  }
  metrics.addMetric(m.readRequestUnits, MetricUnit.Count, s.readUnits);
  metrics.addMetric(m.writeRequestUnits, MetricUnit.Count, s.writeUnits);
  const byDetector = new Map<string, { findings: number; alerts: number; exempted: number }>();
  const countsOf = (detector: string): { findings: number; alerts: number; exempted: number } => {
    let counts = byDetector.get(detector);
    if (counts === undefined) byDetector.set(detector, (counts = { findings: 0, alerts: 0, exempted: 0 }));
    return counts;
  };
  for (const f of s.result?.findings ?? []) countsOf(f.detector).findings += 1;
  for (const a of delivered) countsOf(a.detector).alerts += 1;
  for (const [key, n] of Object.entries(stats?.exemptions ?? {})) countsOf(key.slice(0, key.indexOf('/'))).exempted += n;
  for (const [detector, counts] of byDetector) {
    emitWithDimension(metrics, DETECTOR_DIMENSION, detector, DETECTOR_METRICS.findings, counts.findings);
    emitWithDimension(metrics, DETECTOR_DIMENSION, detector, DETECTOR_METRICS.alerts, counts.alerts);
    emitWithDimension(metrics, DETECTOR_DIMENSION, detector, DETECTOR_METRICS.exemptedFindings, counts.exempted);
  }
  metrics.publishStoredMetrics();
}

/**
 * One metric with one dimension besides `service`, emitted at once. A Powertools single metric
 * is flushed, and its dimensions cleared, by its first `addMetric`: a second metric added to it
 * would go out with `service` alone (that is how `DetectorAlerts` once lost its `detector`).
 */
function emitWithDimension(metrics: Metrics, dimension: string, value: string, name: string, count: number): void {
  const single = metrics.singleMetric();
  single.addDimension(dimension, value);
  single.addMetric(name, MetricUnit.Count, count);
}
