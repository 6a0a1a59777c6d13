/**
 * The operations dashboard of the real stack: every widget the text at the top describes, each
 * graphing the metrics the function really emits (namespace, name and the exact dimension set,
 * as lambdas/detect/contract.ts names them and test/handler-metrics.test.ts holds the handler to),
 * every alarm of the construct in the alarm status widget, the copies' graphs only when
 * configured, and no dashboard when it is turned off. cdk-nag stays clean.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  ALLOWED_CIDRS_AGE_METRIC,
  ASSUME_ROLE_EVENTS_METRIC,
  BATCH_METRICS,
  CUSTOMER_REGISTRY_AGE_METRIC,
  DESTINATION_DIMENSION,
  DESTINATION_REFUSALS_METRIC,
  DETECTOR_DIMENSION,
  DETECTOR_METRICS,
  EXPIRED_EXCEPTIONS_METRIC,
  METRICS_NAMESPACE,
  METRICS_SERVICE,
} from '../lambdas/detect/contract';
import { DETECTORS } from '../lambdas/detectors';
import { AssumeRoleWatch } from '../lib/constructs/assume-role-watch';
import { buildApp, logicalId, resourcesOf, type SynthesizedApp } from './support/infra';

const REGISTRY = 's3://vendor-onboarding-exports/registry/customers.jsonl';
const EGRESS_LIST = 's3://vendor-network/egress/allowed-cidrs.json';
const SLACK = { name: 'soc-high', slackWorkspaceId: 'T0123ABCD', slackChannelId: 'C0123ABCD', minSeverity: 'high' };
/** One exception, so the stack has the alarm on ended ones. */
const EXCEPTIONS = { 'source-ip': { exceptions: [{ id: 'pentest', sourceCidr: '198.51.100.0/24', reason: 'agreed test window', expires: '2099-01-01' }] } };

/** A dashboard widget as the body holds it. */
interface Widget {
  readonly type: string;
  readonly width: number;
  readonly height: number;
  readonly y: number;
  readonly properties: {
    readonly title?: string;
    readonly markdown?: string;
    readonly alarms?: string[];
    readonly metrics?: unknown[][];
    readonly annotations?: { readonly horizontal?: { readonly value: number; readonly label?: string }[] };
  };
}

/** One graphed metric: what CloudWatch looks it up by, and how it is drawn. */
interface Graphed {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: Record<string, string>;
  readonly stat: string | undefined;
  readonly label: string | undefined;
}

/** A reference inside the body as a placeholder: `«Logical»` for a Ref, `«Logical.Attribute»` for a GetAtt. */
function placeholder(token: unknown): string {
  const t = token as Record<string, unknown>;
  if (typeof t.Ref === 'string') return `«${t.Ref}»`;
  if (Array.isArray(t['Fn::GetAtt'])) return `«${(t['Fn::GetAtt'] as string[]).join('.')}»`;
  throw new Error(`unexpected token in the dashboard body: ${JSON.stringify(token)}`);
}

/** The stack's one dashboard body, its Fn::Join resolved with placeholders for the references. */
function dashboardOf(template: Template): Widget[] {
  const dashboards = Object.values(resourcesOf(template, 'AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  const body = dashboards[0]!.Properties!.DashboardBody as { 'Fn::Join': [string, unknown[]] };
  const [separator, parts] = body['Fn::Join'];
  const text = parts.map((p) => (typeof p === 'string' ? p : placeholder(p))).join(separator);
  return (JSON.parse(text) as { widgets: Widget[] }).widgets;
}

/** The widget of that title (exactly one). */
function widget(widgets: readonly Widget[], title: string): Widget {
  const found = widgets.filter((w) => w.properties.title === title);
  expect(found.map((w) => w.properties.title)).toEqual([title]);
  return found[0]!;
}

/** The metrics a graph widget draws: `[namespace, name, dim, value, …, {options}]` each. */
function graphed(w: Widget): Graphed[] {
  return (w.properties.metrics ?? []).map((m) => {
    const options = typeof m[m.length - 1] === 'object' ? (m[m.length - 1] as { stat?: string; label?: string }) : {};
    const fields = (typeof m[m.length - 1] === 'object' ? m.slice(0, -1) : m) as string[];
    const dimensions: Record<string, string> = {};
    for (let i = 2; i < fields.length; i += 2) dimensions[fields[i]!] = fields[i + 1]!;
    return { namespace: fields[0]!, name: fields[1]!, dimensions, stat: options.stat, label: options.label };
  });
}

/** Our EMF metric as the function emits it: `service`, and the one extra dimension if any. */
function ours(name: string, extra: Record<string, string> = {}): Pick<Graphed, 'namespace' | 'name' | 'dimensions'> {
  return { namespace: METRICS_NAMESPACE, name, dimensions: { service: METRICS_SERVICE, ...extra } };
}

/** What a metric is looked up by (namespace, name, dimensions). */
const lookup = (g: Graphed): Pick<Graphed, 'namespace' | 'name' | 'dimensions'> => ({ namespace: g.namespace, name: g.name, dimensions: g.dimensions });

let bare: SynthesizedApp;
let bareWidgets: Widget[];
let full: SynthesizedApp;
let fullWidgets: Widget[];

beforeAll(() => {
  // Given cdk.json's example configuration, and the same with every optional part: the customer
  // registry, the published allow-list, an exception, and every alert destination
  bare = buildApp({}, { validate: false });
  bareWidgets = dashboardOf(Template.fromStack(bare.stacks.home));
  full = buildApp({
    customerRegistry: REGISTRY,
    customerRegistryMaxAgeHours: 6,
    allowedCidrsSource: EGRESS_LIST,
    allowedCidrsMaxAgeHours: 12,
    detectors: EXCEPTIONS,
    alertEventBus: 'soc-alerts',
    securityHub: true,
    chatChannels: [SLACK],
  }, { validate: false });
  fullWidgets = dashboardOf(Template.fromStack(full.stacks.home));
});

describe('the operations dashboard', () => {
  it('opens with a text that says what each row shows and where the runbook is', () => {
    // Then the first widget, full width at the top, is the text
    const text = bareWidgets[0]!;
    expect([text.type, text.y, text.width]).toEqual(['text', 0, 24]);
    for (const row of ['Alarms', 'Events', 'Alerts', 'Queue', 'Function', 'State table']) expect(text.properties.markdown).toContain(`**${row}**`);
    expect(text.properties.markdown).toContain('docs/deploy.md');
    // And the copies' row is explained only where there is one
    expect(text.properties.markdown).not.toContain('**Copies**');
    expect(fullWidgets[0]!.properties.markdown).toContain('**Copies**');
  });

  it('shows every alarm of the construct in the alarm status widget, right under the text', () => {
    for (const [app, widgets] of [[bare, bareWidgets], [full, fullWidgets]] as const) {
      // Given every alarm the construct made (six, or nine with the registry, the list and an exception)
      const alarms = Object.values(app.stacks.home.pipeline.alarms).map((a) => `«${logicalId(a)}.Arn»`);
      // Then the alarm widget lists exactly those
      const status = widgets.find((w) => w.type === 'alarm')!;
      expect(status.y).toBe(widgets[0]!.y + widgets[0]!.height);
      expect([...status.properties.alarms!].sort()).toEqual(alarms.sort());
    }
    expect(Object.keys(full.stacks.home.pipeline.alarms).sort()).toEqual(
      ['allowedCidrs', 'customerRegistry', 'deadLetterQueue', 'errors', 'expiredExceptions', 'oldestMessage', 'silence', 'targetDeadLetterQueue', 'throttles'],
    );
  });

  it('graphs the events in, what the detectors made of them, and the rejected messages', () => {
    expect(graphed(widget(bareWidgets, 'Events in')).map(lookup)).toEqual([ours(BATCH_METRICS.messagesReceived), ours(ASSUME_ROLE_EVENTS_METRIC)]);
    expect(graphed(widget(bareWidgets, 'Relevant, ignored, duplicate')).map(lookup)).toEqual(
      [ours(BATCH_METRICS.eventsRelevant), ours(BATCH_METRICS.eventsIgnored), ours(BATCH_METRICS.eventsDuplicate)],
    );
    expect(graphed(widget(bareWidgets, 'Rejected messages, failed batches')).map(lookup)).toEqual([ours(BATCH_METRICS.messagesRejected), ours(BATCH_METRICS.batchFailures)]);
    for (const title of ['Events in', 'Relevant, ignored, duplicate', 'Rejected messages, failed batches']) {
      for (const g of graphed(widget(bareWidgets, title))) expect(g.stat).toBe('Sum');
    }
  });

  it('graphs alerts and findings per detector, one line for each registered detector under its detector dimension', () => {
    // Given the detector registry (the metrics carry no severity dimension, so none is graphed)
    const ids = DETECTORS.map((d) => d.id);
    // Then each per-detector graph has one summed line per detector, labelled with its id
    for (const [title, name] of [['Alerts per detector', DETECTOR_METRICS.alerts], ['Findings per detector', DETECTOR_METRICS.findings]] as const) {
      const lines = graphed(widget(bareWidgets, title));
      expect(lines.map(lookup)).toEqual(ids.map((id) => ours(name, { [DETECTOR_DIMENSION]: id })));
      expect(lines.map((l) => [l.label, l.stat])).toEqual(ids.map((id) => [id, 'Sum']));
    }
  });

  it('graphs the alerts\' delivery and the exceptions', () => {
    expect(graphed(widget(bareWidgets, 'Alert delivery')).map(lookup)).toEqual([
      ours(BATCH_METRICS.alertsPublished),
      ours(BATCH_METRICS.alertsPublishFailed),
      ours(BATCH_METRICS.alertsSuppressed),
      ours(BATCH_METRICS.alertsRecovered),
      ours(BATCH_METRICS.alertsHeldElsewhere),
    ]);
    expect(graphed(widget(bareWidgets, 'Exceptions')).map(lookup)).toEqual([ours(BATCH_METRICS.exemptedFindings), ours(EXPIRED_EXCEPTIONS_METRIC)]);
  });

  it('graphs refusals for each destination the stack has', () => {
    const refusals = (widgets: Widget[]): Graphed[] => graphed(widget(widgets, 'Refusals per destination'));
    // Then the bare stack has SNS alone, the full one every destination, each under its destination dimension
    expect(refusals(bareWidgets).map(lookup)).toEqual([ours(DESTINATION_REFUSALS_METRIC, { [DESTINATION_DIMENSION]: 'sns' })]);
    expect(refusals(fullWidgets).map((g) => g.dimensions[DESTINATION_DIMENSION])).toEqual(['sns', 'eventbridge', 'securityhub', 'chat-high']);
    for (const g of refusals(fullWidgets)) expect(lookup(g)).toEqual(ours(DESTINATION_REFUSALS_METRIC, { [DESTINATION_DIMENSION]: g.dimensions[DESTINATION_DIMENSION]! }));
  });

  it('graphs both dead-letter queues, and the oldest message\'s age against the alarm\'s threshold', () => {
    const p = bare.stacks.home.pipeline;
    const queue = (q: typeof p.queue, name: string): Pick<Graphed, 'namespace' | 'name' | 'dimensions'> => ({ namespace: 'AWS/SQS', name, dimensions: { QueueName: `«${logicalId(q)}.QueueName»` } });
    expect(graphed(widget(bareWidgets, 'Dead-letter queues (messages)')).map(lookup)).toEqual([
      queue(p.deadLetterQueue, 'ApproximateNumberOfMessagesVisible'),
      queue(p.targetDeadLetterQueue, 'ApproximateNumberOfMessagesVisible'),
    ]);
    const oldest = widget(bareWidgets, 'Oldest message age (s)');
    expect(graphed(oldest).map(lookup)).toEqual([queue(p.queue, 'ApproximateAgeOfOldestMessage')]);
    expect(oldest.properties.annotations!.horizontal).toEqual([expect.objectContaining({ value: bare.config.deployment.oldestMessageAlarmMinutes * 60 })]);
  });

  it('graphs the function\'s errors, throttles, duration (p50, p99, max) and concurrent executions', () => {
    const fn = { FunctionName: `«${logicalId(bare.stacks.home.pipeline.function)}»` };
    const lambda = (name: string): Pick<Graphed, 'namespace' | 'name' | 'dimensions'> => ({ namespace: 'AWS/Lambda', name, dimensions: fn });
    expect(graphed(widget(bareWidgets, 'Function errors, throttles')).map(lookup)).toEqual([lambda('Errors'), lambda('Throttles')]);
    const duration = graphed(widget(bareWidgets, 'Function duration (ms)'));
    expect(duration.map(lookup)).toEqual([lambda('Duration'), lambda('Duration'), lambda('Duration')]);
    expect(duration.map((d) => d.stat)).toEqual(['p50', 'p99', 'Maximum']);
    const concurrency = widget(bareWidgets, 'Concurrent executions');
    expect(graphed(concurrency).map(lookup)).toEqual([lambda('ConcurrentExecutions')]);
    expect(concurrency.properties.annotations!.horizontal).toEqual([expect.objectContaining({ value: bare.config.deployment.reservedConcurrency })]);
  });

  it('graphs the table\'s consumed units and throttled requests, and the function\'s own request units', () => {
    const table = `«${logicalId(bare.stacks.home.pipeline.table)}»`;
    const dynamo = (name: string, extra: Record<string, string> = {}): Pick<Graphed, 'namespace' | 'name' | 'dimensions'> => ({ namespace: 'AWS/DynamoDB', name, dimensions: { TableName: table, ...extra } });
    expect(graphed(widget(bareWidgets, 'Table consumed capacity (units)')).map(lookup)).toEqual([dynamo('ConsumedReadCapacityUnits'), dynamo('ConsumedWriteCapacityUnits')]);
    // Then throttles are graphed for each operation the function's role allows
    expect(graphed(widget(bareWidgets, 'Table throttled requests')).map(lookup)).toEqual(
      ['BatchGetItem', 'GetItem', 'PutItem', 'UpdateItem'].map((Operation) => dynamo('ThrottledRequests', { Operation })),
    );
    expect(graphed(widget(bareWidgets, 'Request units counted by the function')).map(lookup)).toEqual([ours(BATCH_METRICS.readRequestUnits), ours(BATCH_METRICS.writeRequestUnits)]);
  });

  it('graphs the age of the registry\'s and the allow-list\'s copies against their limits, only when configured', () => {
    // Then the full stack graphs each copy's age (its alarm's metric) against the hours it allows
    for (const [title, metric, hours] of [['Customer registry copy', CUSTOMER_REGISTRY_AGE_METRIC, 6], ['Published allow-list copy', ALLOWED_CIDRS_AGE_METRIC, 12]] as const) {
      const copy = widget(fullWidgets, title);
      expect(lookup(graphed(copy)[0]!)).toEqual(ours(metric));
      expect(graphed(copy)[0]!.stat).toBe('Maximum');
      expect(copy.properties.annotations!.horizontal).toEqual([expect.objectContaining({ value: hours * 3600 })]);
    }
    // And the bare stack has neither
    expect(bareWidgets.filter((w) => /copy/.test(w.properties.title ?? ''))).toEqual([]);
  });

  it('graphs our metrics only under the dimension sets the function emits them with', () => {
    // Given every metric of our namespace on the full dashboard
    const ourLines = fullWidgets.flatMap((w) => graphed(w)).filter((g) => g.namespace === METRICS_NAMESPACE);
    // Then each is under service alone, or with the one extra dimension its family carries
    const perDetector = new Set<string>(Object.values(DETECTOR_METRICS));
    for (const g of ourLines) {
      const extra = perDetector.has(g.name) ? [DETECTOR_DIMENSION] : g.name === DESTINATION_REFUSALS_METRIC ? [DESTINATION_DIMENSION] : [];
      expect({ name: g.name, dimensions: Object.keys(g.dimensions).sort() }).toEqual({ name: g.name, dimensions: ['service', ...extra].sort() });
      expect(g.dimensions.service).toBe(METRICS_SERVICE);
    }
  });

  it('passes cdk-nag', () => {
    const report = new AwsSolutionsChecks().validateScope(full.app);
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });
});

describe('the dashboard props', () => {
  /** The construct alone in a vendor's stack. */
  function pipeline(props: Partial<ConstructorParameters<typeof AssumeRoleWatch>[2]>): { watch: AssumeRoleWatch; template: Template } {
    const stack = new Stack(new App({ builtinCloudFormationValidation: false, context: { 'aws:cdk:bundling-stacks': [] } }), 'Vendor');
    const watch = new AssumeRoleWatch(stack, 'Watch', { detection: bare.config.detection, ...props });
    return { watch, template: Template.fromStack(stack) };
  }

  it('leave the dashboard out with dashboard false', () => {
    const { watch, template } = pipeline({ dashboard: false });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    expect(watch.dashboard).toBeUndefined();
  });

  it('name the dashboard with dashboardName, and link the runbook with runbookUrl', () => {
    const { watch, template } = pipeline({ dashboardName: 'assumerole-watch-ops', runbookUrl: 'https://wiki.example.com/soc/assumerole-watch' });
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'assumerole-watch-ops' });
    expect(dashboardOf(template)[0]!.properties.markdown).toContain('[the runbook](https://wiki.example.com/soc/assumerole-watch)');
    expect(watch.dashboard).toBeDefined();
  });
});
