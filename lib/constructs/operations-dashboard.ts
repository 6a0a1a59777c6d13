/**
 * The pipeline's operations dashboard, deployed with it: the alarms' state, what came in, what
 * the detectors made of it, where alerts went, and the health of the queue, function and table.
 *
 * Built on aws-cdk-lib's aws-cloudwatch directly rather than cdk-monitoring-constructs: a vendor
 * adding the construct to their app gets no extra dependency to install and keep in step with
 * their aws-cdk-lib, and most of what is graphed is our own EMF metrics (our namespace, our
 * dimension sets, per detector and per destination), which a generic monitoring library does not
 * know and would graph only through the same low-level calls.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import {
  ALLOWED_CIDRS_AGE_METRIC,
  ALLOWED_CIDRS_CHANGES_METRIC,
  ALLOWED_CIDRS_READ_FAILURES_METRIC,
  ALLOWED_CIDRS_UNAVAILABLE_METRIC,
  ASSUME_ROLE_EVENTS_METRIC,
  BATCH_METRICS,
  CUSTOMER_REGISTRY_AGE_METRIC,
  CUSTOMER_REGISTRY_READ_FAILURES_METRIC,
  CUSTOMER_REGISTRY_UNAVAILABLE_METRIC,
  DESTINATION_DIMENSION,
  DESTINATION_REFUSALS_METRIC,
  DETECTOR_DIMENSION,
  DETECTOR_IDS,
  DETECTOR_METRICS,
  EXPIRED_EXCEPTIONS_METRIC,
  METRICS_NAMESPACE,
  METRICS_SERVICE,
} from '../../lambdas/detect/contract';

/** Every graph's period: the alarms' own (the silence alarm's hourly sums aside). */
const PERIOD = Duration.minutes(5);

/** Where the runbook is when no `runbookUrl` is given: the package's own pages. */
const RUNBOOK_PAGES = '`docs/deploy.md` (sections Alarms and Operations dashboard) and `docs/detectors.md` (each detector\'s runbook) of assumerole-watch';

/** Properties of {@link OperationsDashboard}. */
export interface OperationsDashboardProps {
  /** @default a name CloudFormation generates */
  readonly dashboardName?: string;
  /** The "detect" function. */
  readonly detectFunction: lambda.IFunction;
  /** The event queue. */
  readonly queue: sqs.IQueue;
  /** The event queue's dead-letter queue. */
  readonly deadLetterQueue: sqs.IQueue;
  /** The dead-letter queue of the EventBridge rules' target. */
  readonly targetDeadLetterQueue: sqs.IQueue;
  /** The state table. */
  readonly table: dynamodb.ITable;
  /** The table operations the function calls (`GetItem`, …): one line each in the throttles graph. */
  readonly tableOperations: string[];
  /** Every alarm of the pipeline, shown in the alarm status widget. */
  readonly alarms: cloudwatch.IAlarm[];
  /** The alert destinations (`sns`, `eventbridge`, …): one line each in the refusals graph. */
  readonly destinations: string[];
  /** Drawn on the duration graph. */
  readonly functionTimeout: Duration;
  /** Drawn on the concurrency graph. @default no line */
  readonly reservedConcurrency?: number;
  /** Drawn on the oldest-message graph (the alarm's threshold). */
  readonly oldestMessageAlarmAge: Duration;
  /** With a customer registry: the age its alarm allows, and a graph for the copy. @default no registry graph */
  readonly customerRegistryMaxAge?: Duration;
  /** With a published allow-list: the age its alarm allows, and a graph for the copy. @default no allow-list graph */
  readonly allowedCidrsMaxAge?: Duration;
  /** Where the text widget's runbook link points (your copy of the docs, a wiki page). @default the package's docs pages, named */
  readonly runbookUrl?: string;
}

/** The operations dashboard: one row per part of the pipeline, explained by the text at the top. */
export class OperationsDashboard extends cloudwatch.Dashboard {
  constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id, { dashboardName: props.dashboardName, defaultInterval: Duration.days(1) });
    const copies = props.customerRegistryMaxAge !== undefined || props.allowedCidrsMaxAge !== undefined;
    this.addWidgets(new cloudwatch.TextWidget({ markdown: introduction(props.runbookUrl, copies), width: 24, height: copies ? 11 : 10 }));
    this.addWidgets(new cloudwatch.AlarmStatusWidget({
      title: 'Alarms',
      alarms: props.alarms,
      width: 24,
      height: Math.max(3, 1 + Math.ceil(props.alarms.length / 4)),
      sortBy: cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
    }));

    // Events: what reached the function, and what it made of it.
    this.addWidgets(
      graph('Events in', [emf(BATCH_METRICS.messagesReceived, 'messages'), emf(ASSUME_ROLE_EVENTS_METRIC, 'AssumeRole events')]),
      graph('Relevant, ignored, duplicate', [emf(BATCH_METRICS.eventsRelevant, 'relevant'), emf(BATCH_METRICS.eventsIgnored, 'ignored'), emf(BATCH_METRICS.eventsDuplicate, 'duplicate')]),
      graph('Rejected messages, failed batches', [emf(BATCH_METRICS.messagesRejected, 'rejected messages'), emf(BATCH_METRICS.batchFailures, 'failed batches')]),
    );

    // Alerts: per detector (the metrics carry no severity: a detector's alerts are graphed whole).
    this.addWidgets(
      graph('Alerts per detector', DETECTOR_IDS.map((id) => emf(DETECTOR_METRICS.alerts, id, cloudwatch.Stats.SUM, { [DETECTOR_DIMENSION]: id })), { width: 12, stacked: true }),
      graph('Findings per detector', DETECTOR_IDS.map((id) => emf(DETECTOR_METRICS.findings, id, cloudwatch.Stats.SUM, { [DETECTOR_DIMENSION]: id })), { width: 12, stacked: true }),
    );
    this.addWidgets(
      graph('Alert delivery', [
        emf(BATCH_METRICS.alertsPublished, 'published'),
        emf(BATCH_METRICS.alertsPublishFailed, 'failed (retried)'),
        emf(BATCH_METRICS.alertsSuppressed, 'suppressed repeats'),
        emf(BATCH_METRICS.alertsRecovered, 'recovered'),
        emf(BATCH_METRICS.alertsHeldElsewhere, 'held by another invocation'),
      ]),
      graph('Refusals per destination', props.destinations.map((d) => emf(DESTINATION_REFUSALS_METRIC, d, cloudwatch.Stats.SUM, { [DESTINATION_DIMENSION]: d }))),
      graph('Exceptions', [emf(BATCH_METRICS.exemptedFindings, 'findings exempted'), emf(EXPIRED_EXCEPTIONS_METRIC, 'exceptions ended', cloudwatch.Stats.MAXIMUM)]),
    );

    // Queue: what waits, and what failed for good.
    const visible = (queue: sqs.IQueue, label: string): cloudwatch.IMetric => queue.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: cloudwatch.Stats.MAXIMUM, label });
    this.addWidgets(
      graph('Dead-letter queues (messages)', [visible(props.deadLetterQueue, 'event queue DLQ'), visible(props.targetDeadLetterQueue, 'EventBridge target DLQ')]),
      graph('Oldest message age (s)', [props.queue.metricApproximateAgeOfOldestMessage({ period: PERIOD, statistic: cloudwatch.Stats.MAXIMUM, label: 'oldest message' })], {
        annotations: [{ value: props.oldestMessageAlarmAge.toSeconds(), label: 'alarm' }],
      }),
      graph('Queue depth (messages)', [
        visible(props.queue, 'waiting'),
        props.queue.metricApproximateNumberOfMessagesNotVisible({ period: PERIOD, statistic: cloudwatch.Stats.MAXIMUM, label: 'in flight' }),
      ]),
    );

    // Function.
    const fn = props.detectFunction;
    this.addWidgets(
      graph('Function errors, throttles', [fn.metricErrors({ period: PERIOD, statistic: cloudwatch.Stats.SUM, label: 'errors' }), fn.metricThrottles({ period: PERIOD, statistic: cloudwatch.Stats.SUM, label: 'throttles' })], { width: 6 }),
      graph('Function duration (ms)', [cloudwatch.Stats.p(50), cloudwatch.Stats.p(99), cloudwatch.Stats.MAXIMUM].map((statistic) => fn.metricDuration({ period: PERIOD, statistic, label: statistic })), {
        width: 6,
        annotations: [{ value: props.functionTimeout.toMilliseconds(), label: 'timeout' }],
      }),
      graph('Concurrent executions', [fn.metric('ConcurrentExecutions', { period: PERIOD, statistic: cloudwatch.Stats.MAXIMUM, label: 'concurrent' })], {
        width: 6,
        annotations: props.reservedConcurrency === undefined ? [] : [{ value: props.reservedConcurrency, label: 'reserved' }],
      }),
      graph('Invocations', [fn.metricInvocations({ period: PERIOD, statistic: cloudwatch.Stats.SUM, label: 'invocations' })], { width: 6 }),
    );

    // State table: DynamoDB's view, and the function's own count of what its requests consumed.
    const table = props.table;
    this.addWidgets(
      graph('Table consumed capacity (units)', [
        table.metricConsumedReadCapacityUnits({ period: PERIOD, statistic: cloudwatch.Stats.SUM, label: 'read' }),
        table.metricConsumedWriteCapacityUnits({ period: PERIOD, statistic: cloudwatch.Stats.SUM, label: 'write' }),
      ]),
      graph('Table throttled requests', props.tableOperations.map((operation) => table.metric('ThrottledRequests', {
        period: PERIOD,
        statistic: cloudwatch.Stats.SUM,
        label: operation,
        dimensionsMap: { TableName: table.tableName, Operation: operation },
      }))),
      graph('Request units counted by the function', [emf(BATCH_METRICS.readRequestUnits, 'read'), emf(BATCH_METRICS.writeRequestUnits, 'write')]),
    );

    // The S3 copies the function refreshes, when configured.
    const copyGraphs: cloudwatch.IWidget[] = [];
    if (props.customerRegistryMaxAge !== undefined) {
      copyGraphs.push(copyGraph('Customer registry copy', props.customerRegistryMaxAge, CUSTOMER_REGISTRY_AGE_METRIC, [
        emf(CUSTOMER_REGISTRY_UNAVAILABLE_METRIC, 'batches without a copy'),
        emf(CUSTOMER_REGISTRY_READ_FAILURES_METRIC, 'failed reads'),
      ]));
    }
    if (props.allowedCidrsMaxAge !== undefined) {
      copyGraphs.push(copyGraph('Published allow-list copy', props.allowedCidrsMaxAge, ALLOWED_CIDRS_AGE_METRIC, [
        emf(ALLOWED_CIDRS_UNAVAILABLE_METRIC, 'batches without a copy'),
        emf(ALLOWED_CIDRS_READ_FAILURES_METRIC, 'failed reads'),
        emf(ALLOWED_CIDRS_CHANGES_METRIC, 'changes'),
      ]));
    }
    if (copyGraphs.length > 0) this.addWidgets(...copyGraphs);
  }
}

/** The text at the top: what each row shows, and where the runbook is. */
function introduction(runbookUrl: string | undefined, copies: boolean): string {
  const runbook = runbookUrl === undefined ? RUNBOOK_PAGES : `[the runbook](${runbookUrl})`;
  return [
    '# assumerole-watch operations',
    `5-minute periods. What each alarm means and what to do about it: ${runbook}.`,
    '',
    '- **Alarms**: every alarm of the pipeline, latest change first.',
    '- **Events**: messages taken from the queue and the AssumeRole events in them (hours at zero: the silence alarm); calls the detectors looked at, calls of no interest, and repeats; messages rejected as malformed (they end in the dead-letter queue) and batches that failed whole (the state table unreachable).',
    '- **Alerts**: alerts and findings per detector (a finding becomes an alert unless suppressed, below its severity floor or exempted); delivery, including alerts refused and retried; refusals per destination; findings a detector exception covered, and exceptions that have ended.',
    '- **Queue**: messages in the two dead-letter queues (anything above zero needs a look and a redrive), the age of the oldest waiting message (how late detection runs), and the queue\'s depth.',
    '- **Function**: errors and throttles, duration (p50, p99, maximum) against the timeout, concurrent executions against the reservation, invocations.',
    '- **State table**: capacity consumed and requests throttled, as DynamoDB counts them, and the request units the function counted itself.',
    ...(copies ? ['- **Copies**: the age of the S3 copy (customer registry, published allow-list) each batch ran with, against the limit its alarm allows; batches that ran without one; failed reads.'] : []),
  ].join('\n');
}

/** One of our EMF metrics: namespace and `service` dimension of the detect function, plus `dimensions`. */
function emf(metricName: string, label: string, statistic: string = cloudwatch.Stats.SUM, dimensions: Record<string, string> = {}): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: METRICS_SERVICE, ...dimensions },
    statistic,
    period: PERIOD,
    label,
  });
}

/** A line graph, a third of the width unless told. */
function graph(
  title: string,
  metrics: cloudwatch.IMetric[],
  options: { readonly width?: number; readonly stacked?: boolean; readonly annotations?: cloudwatch.HorizontalAnnotation[] } = {},
): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({
    title,
    left: metrics,
    width: options.width ?? 8,
    height: 6,
    stacked: options.stacked ?? false,
    leftAnnotations: options.annotations,
    leftYAxis: { min: 0 },
  });
}

/** A copy's age (seconds, the metric's unit) against its alarm's limit, with its other counters on the right. */
function copyGraph(title: string, maxAge: Duration, ageMetric: string, counters: cloudwatch.IMetric[]): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({
    title,
    left: [emf(ageMetric, 'age of the copy (s)', cloudwatch.Stats.MAXIMUM)],
    right: counters,
    leftAnnotations: [{ value: maxAge.toSeconds(), label: 'alarm' }],
    leftYAxis: { min: 0, showUnits: false },
    rightYAxis: { min: 0, showUnits: false },
    width: 12,
    height: 6,
  });
}
