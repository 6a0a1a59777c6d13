/**
 * The assumerole-watch pipeline as one construct: EventBridge rules → SQS queue (+ DLQ) →
 * "detect" Lambda → DynamoDB state table → SNS alert topic (KMS) → alarms. Typed props with
 * secure defaults; every created resource is public so a vendor can extend it in its own app.
 */
import { Aws, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ASSUME_ROLE_EVENTS_METRIC, chatDestination, DESTINATIONS, ENVIRONMENT, METRICS_NAMESPACE, METRICS_SERVICE } from '../../lambdas/detect/contract';
import { parseS3Url, resolveConfig } from '../../lambdas/core/config';
import { TABLE_SCHEMA } from '../../lambdas/state/schema';
import { chatThresholds, deployDefault, LONGEST_ROLE_ARN, objectSourceProblems, roleRecheckProblems, scheduleProblem, withRoleChecker, type AlarmDestination, type AlertEventDetail, type ChatChannel, type EmailSubscriber, type HttpsSubscriber } from '../config';
import type { ChatTopicSetting } from '../../lambdas/detect/contract';
import type { Severity } from '../../lambdas/core/types';
import { AWS_IP_RANGES_INDEX, handlerBundlePath } from '../handler-asset';
import { detectionConfigJson, environmentProblem, eventRegionsValue, FIXED_ENVIRONMENT } from '../lambda-environment';
import { createCloudTrailRules, type CloudTrailRule } from './cloudtrail-rules';
import { createChatChannels } from './chat-channels';
import { createTopicKey, NotificationTopic } from './notification-topic';
import { OperationsDashboard } from './operations-dashboard';
import { createAlarms, type AssumeRoleWatchAlarms } from './alarms';
import { createRoleRecheck, type RoleRecheckOptions } from './role-recheck';

export type { AssumeRoleWatchAlarms, RoleRecheckOptions };

export { ASSUME_ROLE_EVENTS_METRIC, AWS_IP_RANGES_INDEX, METRICS_NAMESPACE, METRICS_SERVICE };

/** The newest Node.js runtime aws-cdk-lib offers (nodejs20.x is deprecated); the prebuilt bundle targets it. */
export const FUNCTION_RUNTIME = lambda.Runtime.NODEJS_24_X;

/**
 * The DynamoDB operations the function calls, its role's only actions on the table (the dashboard
 * graphs their throttles). lambdas/state/dynamodb-store.ts and dynamodb-ledger.ts: BatchGetItem
 * for state and the ledger's pointers and slots, GetItem on a slot, conditional PutItem and
 * atomic UpdateItem. Never Query, Scan, DeleteItem or table management.
 */
const TABLE_OPERATIONS = ['BatchGetItem', 'GetItem', 'PutItem', 'UpdateItem'] as const;

/** Queue visibility timeout per unit of function timeout (AWS's guidance for SQS event sources). */
const VISIBILITY_TIMEOUT_FACTOR = 6;

/**
 * Properties of {@link AssumeRoleWatch}. Each default is the default of the deployment key of
 * the same meaning (`DEPLOY_KEYS` in lib/config.ts, docs/configuration.md), so the construct
 * alone deploys what `cdk deploy` deploys.
 */
export interface AssumeRoleWatchProps {
  // A string-keyed map of any value: jsii hands it to other languages as a map (the keys' values
  // are JSON of several shapes), and an already-resolved EngineConfig, an interface, is assignable.
  /**
   * The detection keys as written in `cdk.json`'s context or a `replay --config` file
   * (docs/configuration.md): `monitoredRoleArns` is required, every other key has its default.
   * They are checked here (`resolveConfig`): an unknown or invalid key throws a `ConfigError`
   * naming it. A configuration `resolveConfig` already returned is taken as it is.
   */
  readonly detection: { readonly [key: string]: any };
  /** E-mail subscriptions to the alert topic (only to the one created here, see `alertTopic`). @default [] (`alertEmails`) */
  readonly alertEmails?: EmailSubscriber[];
  /** HTTPS subscriptions to the alert topic (only to the one created here, see `alertTopic`). @default [] (`alertHttpsEndpoints`) */
  readonly alertHttpsEndpoints?: HttpsSubscriber[];
  /**
   * An existing topic to publish the alerts to, instead of one created here: then no alert topic
   * is created, `alertEmails` and `alertHttpsEndpoints` must be empty (subscribe to your topic
   * yourself), and the function may `sns:Publish` to it. A topic encrypted with a customer managed
   * key is yours to open: grant `functionRole` `kms:Decrypt` and `kms:GenerateDataKey` on the key
   * (`key.grant(watch.functionRole, 'kms:Decrypt', 'kms:GenerateDataKey')`, and a key policy that
   * allows it), and with `alarmTopic` `alert` let `cloudwatch.amazonaws.com` use it too, or the
   * alarms' notifications are dropped. @default a topic encrypted with `topicKey`
   */
  readonly alertTopic?: sns.ITopic;
  /** Where the alarms notify: a separate operations topic, or the alert topic. @default AlarmDestination.OPS (`alarmTopic`) */
  readonly alarmTopic?: AlarmDestination;
  /** Subscribers of the operations topic. @default [] (`opsEmails`) */
  readonly opsEmails?: string[];
  /** Most messages per invocation. @default 100 (`batchSize`) */
  readonly batchSize?: number;
  /** How long the event source gathers messages. @default Duration.seconds(30) (`maxBatchingWindowSeconds`) */
  readonly maxBatchingWindow?: Duration;
  /** Concurrent executions reserved for the function, also the event source's maximum concurrency. @default 5 (`reservedConcurrency`) */
  readonly reservedConcurrency?: number;
  /**
   * Reserve concurrency (and cap the event source) at all: false for neither, as the context key
   * `reservedConcurrency` null does (new accounts with a 10-execution quota cannot reserve any);
   * `reservedConcurrency` must then be left out. @default true (`reservedConcurrency`)
   */
  readonly reserveConcurrency?: boolean;
  /** @default 512 (`lambdaMemoryMb`) */
  readonly memorySize?: number;
  /** @default Duration.seconds(60) (`lambdaTimeoutSeconds`) */
  readonly timeout?: Duration;
  /** Receives before a message moves to the dead-letter queue. @default 5 (`maxReceiveCount`) */
  readonly maxReceiveCount?: number;
  /** @default logs.RetentionDays.THREE_MONTHS (`logRetentionDays`) */
  readonly logRetention?: logs.RetentionDays;
  /** Hours without any AssumeRole event before the silence alarm fires. @default 6 (`silenceAlarmHours`) */
  readonly silenceAlarmHours?: number;
  /** Age of the oldest queued message that raises an alarm. @default Duration.minutes(30) (`oldestMessageAlarmMinutes`) */
  readonly oldestMessageAlarmAge?: Duration;
  /**
   * Every region whose events reach this stack's bus: its own and the forwarders'. The function
   * rejects an event of any other region or account. @default [the stack's region] (`regions`)
   */
  readonly eventRegions?: string[];
  /**
   * IAM roles that may send messages to the queue besides the EventBridge rules: those you
   * redrive the dead-letter queues with. The queue policy denies everyone else. @default [] (`redriveRoleArns`)
   */
  readonly redriveRoleArns?: string[];
  /**
   * Also put every alert on this bus (source `assumerole-watch`, detail-type `AssumeRole Watch
   * Alert`): yours, or one imported by name or ARN (`EventBus.fromEventBusName`, as the context
   * key does). The function may put events on it only; a bus of another account must allow
   * this one to. @default none (`alertEventBus`)
   */
  readonly alertEventBus?: events.IEventBus;
  /** The alert events' detail: the versioned alert record, or the OCSF Detection Finding. @default AlertEventDetail.RECORD (`alertEventDetail`) */
  readonly alertEventDetail?: AlertEventDetail;
  /** Import every alert into Security Hub as a finding of the account's own product. @default false (`securityHub`) */
  readonly securityHub?: boolean;
  /** Slack and Microsoft Teams channels fed by AWS's chat integration. @default [] (`chatChannels`) */
  readonly chatChannels?: ChatChannel[];
  /**
   * An existing table for detector state and the alert ledger, instead of one created here (no
   * table is created then). It must have the schema the stores use (lambdas/state/schema.ts): a
   * partition key `pk` and a sort key `sk`, both strings, and time to live enabled on `expiresAt`
   * (every item carries one; without it the table only grows). Any billing mode; on-demand suits
   * the spiky traffic. Keep point-in-time recovery and deletion protection on: the baselines take
   * weeks to learn. The function may `BatchGetItem`, `GetItem`, `PutItem` and `UpdateItem` on it;
   * a table encrypted with a customer managed key is yours to open to `functionRole`
   * (`key.grantEncryptDecrypt(watch.functionRole)`). Share it with nothing else: the function
   * trusts what it reads there. @default a table created with that schema (on demand, PITR, deletion protection, retained)
   */
  readonly table?: dynamodb.ITable;
  /** Deploy the operations dashboard ({@link OperationsDashboard}). @default true */
  readonly dashboard?: boolean;
  /** The dashboard's name. @default a name CloudFormation generates */
  readonly dashboardName?: string;
  /** Where the dashboard's runbook link points (your copy of docs/deploy.md, a wiki page). @default none: the text names the package's docs pages */
  readonly runbookUrl?: string;
  /**
   * Re-check every role of the customer registry (`customerRegistry`, required) on a schedule:
   * a small function assumes the outbound role, asks STS for each registered role without an
   * external ID, and alerts on a role that accepts. Its role may assume that outbound role and
   * nothing else (besides its logs, the registry object and the alert topic), and is added to
   * `roleCheckerArns` so the detectors recognise its sessions. @default none (`roleRecheckSchedule`)
   */
  readonly roleRecheck?: RoleRecheckOptions;
}

/** The pipeline: rules, queue, function, table, topics, alarms and dashboard. */
export class AssumeRoleWatch extends Construct {
  /** Encrypts the topics created here; none when no topic is (an existing `alertTopic`, `alarmTopic` `alert`, no chat channel). */
  public readonly topicKey: kms.Key | undefined;
  /** Alerts are published here: the topic created here, or the existing `alertTopic`. */
  public readonly alertTopic: sns.ITopic;
  /** Alarm notifications, when `alarmTopic` is `ops`. */
  public readonly opsTopic: sns.Topic | undefined;
  /** The topic the alarms notify (the operations topic or the alert topic). */
  public readonly alarmTopic: sns.ITopic;
  /** The chat topics, by severity threshold (one per distinct `minSeverity` of the chat channels). */
  public readonly chatTopics: ReadonlyMap<Severity, sns.Topic>;
  /** The role the chat channels run with: it may do nothing in AWS. */
  public readonly chatRole: iam.Role | undefined;
  /** Detector state and the alert ledger: the table created here, or the existing `table`. */
  public readonly table: dynamodb.ITable;
  /** Buffers the events between EventBridge and the function. */
  public readonly queue: sqs.Queue;
  /** Messages that failed `maxReceiveCount` times. */
  public readonly deadLetterQueue: sqs.Queue;
  /** Events EventBridge could not deliver to the queue. */
  public readonly targetDeadLetterQueue: sqs.Queue;
  /** The rule for AssumeRole calls. */
  public readonly assumeRoleRule: CloudTrailRule;
  /** The rule for other calls by monitored roles' sessions. */
  public readonly sessionActivityRule: CloudTrailRule;
  /** The function's log group. */
  public readonly logGroup: logs.LogGroup;
  /** The function's execution role. */
  public readonly functionRole: iam.Role;
  /** The "detect" function, running the package's prebuilt bundle (dist/handler). */
  public readonly function: lambda.Function;
  /** Every alarm, by purpose. */
  public readonly alarms: AssumeRoleWatchAlarms;
  /** The operations dashboard, unless `dashboard` is false. */
  public readonly dashboard: OperationsDashboard | undefined;
  /** The re-check function's role (with `roleRecheck`): the outbound role's trust policy must name it. */
  public readonly recheckRole: iam.Role | undefined;
  /** The scheduled re-check function (with `roleRecheck`), running `recheck.handler` of the same bundle. */
  public readonly recheckFunction: lambda.Function | undefined;
  /** The schedule that runs it (with `roleRecheck`). */
  public readonly recheckRule: events.Rule | undefined;

  constructor(scope: Construct, id: string, props: AssumeRoleWatchProps) {
    super(scope, id);
    // Throws ConfigError naming every bad key, as `cdk synth` and `replay --config` do.
    const detection = resolveConfig(props.detection);
    const timeout = props.timeout ?? Duration.seconds(deployDefault('lambdaTimeoutSeconds'));
    const batchingWindow = props.maxBatchingWindow ?? Duration.seconds(deployDefault('maxBatchingWindowSeconds'));
    const reservedConcurrency = reservedConcurrencyOf(props);
    const alarmDestination = props.alarmTopic ?? deployDefault('alarmTopic');
    const eventRegions = props.eventRegions ?? [Stack.of(this).region];
    const chatChannels = props.chatChannels ?? deployDefault('chatChannels');
    const securityHub = props.securityHub ?? deployDefault('securityHub');
    const recheck = props.roleRecheck;
    if (recheck !== undefined) {
      const problem = scheduleProblem(recheck.schedule);
      if (problem !== null) throw new Error(`roleRecheck.schedule: ${problem}`);
      const first = roleRecheckProblems(detection, recheck.schedule, recheck.outboundRoleArn)[0];
      if (first !== undefined) throw new Error(first);
    }
    const sized = recheck === undefined ? detection : withRoleChecker(detection, LONGEST_ROLE_ARN);
    const tooLarge = environmentProblem(sized, eventRegions.length, { eventBus: props.alertEventBus !== undefined, securityHub, chatTopics: chatThresholds(chatChannels).length });
    if (tooLarge) throw new Error(tooLarge);
    const badSource = objectSourceProblems(detection)[0];
    if (badSource) throw new Error(badSource);
    if (props.alertTopic !== undefined) {
      const subscribed = (['alertEmails', 'alertHttpsEndpoints'] as const).find((k) => (props[k] ?? []).length > 0);
      if (subscribed !== undefined) throw new Error(`${subscribed}: the construct subscribes only to the alert topic it creates; with alertTopic, subscribe to your topic yourself and leave ${subscribed} out`);
    }
    if (props.table instanceof dynamodb.Table) checkTableSchema(props.table);
    const registry = detection.customerRegistry === null ? null : parseS3Url(detection.customerRegistry);
    const publishedCidrs = detection.allowedCidrsSource === null ? null : parseS3Url(detection.allowedCidrsSource);

    // Topics: one customer-managed key for those created here, alarms allowed to publish to the
    // topic they use (an existing alert topic is the owner's to open to them).
    const ownAlertTopic = props.alertTopic === undefined;
    const needsKey = ownAlertTopic || alarmDestination === 'ops' || chatChannels.length > 0;
    this.topicKey = needsKey ? createTopicKey(this, 'TopicKey', 'assumerole-watch: encrypts the alert and operations topics') : undefined;
    this.alertTopic = props.alertTopic ?? new NotificationTopic(this, 'AlertTopic', {
      key: this.topicKey!,
      displayName: 'assumerole-watch alerts',
      emails: props.alertEmails,
      httpsEndpoints: props.alertHttpsEndpoints,
      allowAlarms: alarmDestination === 'alert',
    }).topic;
    this.opsTopic = alarmDestination === 'ops'
      ? new NotificationTopic(this, 'OpsTopic', {
        key: this.topicKey!,
        displayName: 'assumerole-watch operations',
        emails: (props.opsEmails ?? []).map((email) => ({ email })),
        allowAlarms: true,
      }).topic
      : undefined;
    this.alarmTopic = this.opsTopic ?? this.alertTopic;
    const chat = chatChannels.length === 0 ? { topics: new Map<Severity, sns.Topic>(), role: undefined } : createChatChannels(this, this.topicKey!, chatChannels);
    this.chatTopics = chat.topics;
    this.chatRole = chat.role;

    // State: the one key schema the adapters use.
    this.table = props.table ?? new dynamodb.Table(this, 'State', {
      partitionKey: { name: TABLE_SCHEMA.partitionKey.name, type: attributeType(TABLE_SCHEMA.partitionKey.type) },
      sortKey: { name: TABLE_SCHEMA.sortKey.name, type: attributeType(TABLE_SCHEMA.sortKey.type) },
      billingMode: TABLE_SCHEMA.billingMode === 'PAY_PER_REQUEST' ? dynamodb.BillingMode.PAY_PER_REQUEST : dynamodb.BillingMode.PROVISIONED,
      timeToLiveAttribute: TABLE_SCHEMA.timeToLiveAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Queues: SSE-SQS (EventBridge can deliver without a key grant), SSL only, 14 days.
    const queueDefaults = { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) };
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', queueDefaults);
    this.queue = new sqs.Queue(this, 'Queue', {
      ...queueDefaults,
      // A message must not reappear while a batch holding it may still be running.
      visibilityTimeout: Duration.seconds(timeout.toSeconds() * VISIBILITY_TIMEOUT_FACTOR + batchingWindow.toSeconds()),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount ?? deployDefault('maxReceiveCount') },
    });
    this.targetDeadLetterQueue = new sqs.Queue(this, 'TargetDeadLetterQueue', queueDefaults);
    Validations.of(this.targetDeadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue of the EventBridge rules\' target (events that could not be delivered to the queue); it is alarmed and needs no DLQ of its own.',
    });

    const rules = createCloudTrailRules(this, detection.monitoredRoleArns, [
      new targets.SqsQueue(this.queue, { deadLetterQueue: this.targetDeadLetterQueue }),
    ]);
    this.assumeRoleRule = rules.assumeRole;
    this.sessionActivityRule = rules.sessionActivity;
    // The function takes what is on the queue for CloudTrail events, and in this account an
    // identity policy allowing sqs:SendMessage suffices to send to it: only the two rules may
    // (aws:SourceArn, which EventBridge sets to the rule's ARN), and the redrive roles. The
    // SqsQueue target adds Allow statements for the rules only; this Deny shuts out the rest.
    const redriveRoleArns = props.redriveRoleArns ?? deployDefault('redriveRoleArns');
    this.queue.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'OnlyTheRulesSend',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['sqs:SendMessage'],
      resources: [this.queue.queueArn],
      conditions: {
        ArnNotEquals: {
          'aws:SourceArn': [this.assumeRoleRule.ruleArn, this.sessionActivityRule.ruleArn],
          ...(redriveRoleArns.length > 0 ? { 'aws:PrincipalArn': [...redriveRoleArns] } : {}),
        },
      },
    }));

    // Function: its own role with exactly the actions the handler uses.
    this.logGroup = new logs.LogGroup(this, 'FunctionLogs', {
      retention: props.logRetention ?? (deployDefault('logRetentionDays') as logs.RetentionDays),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.functionRole = new iam.Role(this, 'FunctionRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'assumerole-watch detect function',
    });
    this.functionRole.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'WriteOwnLogs',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [this.logGroup.logGroupArn],
    }));
    this.functionRole.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'StateTable',
      actions: TABLE_OPERATIONS.map((operation) => `dynamodb:${operation}`),
      resources: [this.table.tableArn],
    }));
    this.functionRole.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'PublishAlerts',
      // PublishBatch is authorized as sns:Publish.
      actions: ['sns:Publish'],
      resources: [this.alertTopic.topicArn, ...[...this.chatTopics.values()].map((t) => t.topicArn)],
    }));
    if (props.alertEventBus !== undefined) {
      this.functionRole.addToPrincipalPolicy(new iam.PolicyStatement({
        sid: 'PutAlertEvents',
        actions: ['events:PutEvents'],
        resources: [props.alertEventBus.eventBusArn],
      }));
    }
    const productArn = `arn:${Aws.PARTITION}:securityhub:${Aws.REGION}:${Aws.ACCOUNT_ID}:product/${Aws.ACCOUNT_ID}/default`;
    if (securityHub) {
      this.functionRole.addToPrincipalPolicy(new iam.PolicyStatement({
        sid: 'ImportFindings',
        // The account's own product: findings about this account only (AwsAccountId is checked by Security Hub too).
        actions: ['securityhub:BatchImportFindings'],
        resources: [productArn],
      }));
    }
    if (registry !== null) {
      this.functionRole.addToPrincipalPolicy(new iam.PolicyStatement({
        sid: 'ReadCustomerRegistry',
        // lambdas/state/s3-object.ts: GetObject (conditional on the ETag) of that one object.
        actions: ['s3:GetObject'],
        resources: [`arn:${Aws.PARTITION}:s3:::${registry.bucket}/${registry.key}`],
      }));
    }
    if (publishedCidrs !== null) {
      this.functionRole.addToPrincipalPolicy(new iam.PolicyStatement({
        sid: 'ReadAllowedCidrs',
        // lambdas/state/s3-object.ts: GetObject (conditional on the ETag) of that one object.
        actions: ['s3:GetObject'],
        resources: [`arn:${Aws.PARTITION}:s3:::${publishedCidrs.bucket}/${publishedCidrs.key}`],
      }));
    }
    // The key of the topics created here that the function publishes to (never the operations
    // topic's alone: only alarms publish there).
    if (ownAlertTopic || this.chatTopics.size > 0) {
      this.functionRole.addToPrincipalPolicy(new iam.PolicyStatement({
        sid: 'EncryptAlerts',
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [this.topicKey!.keyArn],
      }));
    }

    // The re-check's role exists before the detect function: the detectors must know its sessions
    // as the role checker's (the access key its AssumeRole into the outbound role was issued).
    this.recheckRole = recheck === undefined ? undefined : new iam.Role(this, 'RecheckRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'assumerole-watch scheduled re-check of the customer roles',
    });
    const functionDetection = this.recheckRole === undefined ? detection : withRoleChecker(detection, this.recheckRole.roleArn);

    // The package's prebuilt bundle (scripts/build-handler.ts: minified with its source map,
    // the AWS SDK left to the runtime, AWS's IP ranges beside it): synthesis needs no esbuild,
    // no lock file and none of this package's sources. The re-check runs from the same asset.
    const bundleDir = handlerBundlePath();
    const code = lambda.Code.fromAsset(bundleDir);
    this.function = new lambda.Function(this, 'Function', {
      description: 'assumerole-watch: CloudTrail AssumeRole events → detectors → alerts',
      code,
      handler: 'index.handler',
      runtime: FUNCTION_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? deployDefault('lambdaMemoryMb'),
      timeout,
      role: this.functionRole,
      logGroup: this.logGroup,
      reservedConcurrentExecutions: reservedConcurrency,
      environment: {
        [ENVIRONMENT.table]: this.table.tableName,
        [ENVIRONMENT.topic]: this.alertTopic.topicArn,
        [ENVIRONMENT.config]: detectionConfigJson(functionDetection),
        // Forwarded events keep the account and region they were recorded in.
        [ENVIRONMENT.account]: Stack.of(this).account,
        [ENVIRONMENT.regions]: eventRegionsValue(eventRegions),
        ...(props.alertEventBus === undefined ? {} : { [ENVIRONMENT.eventBus]: props.alertEventBus.eventBusArn, [ENVIRONMENT.eventDetail]: props.alertEventDetail ?? deployDefault('alertEventDetail') }),
        ...(securityHub ? { [ENVIRONMENT.securityHubProduct]: productArn } : {}),
        ...(this.chatTopics.size === 0 ? {} : { [ENVIRONMENT.chatTopics]: Stack.of(this).toJsonString([...this.chatTopics].map(([minSeverity, t]): ChatTopicSetting => ({ topicArn: t.topicArn, minSeverity }))) }),
        ...FIXED_ENVIRONMENT,
      },
    });
    this.function.addEventSource(new SqsEventSource(this.queue, {
      batchSize: props.batchSize ?? deployDefault('batchSize'),
      maxBatchingWindow: batchingWindow,
      reportBatchItemFailures: true,
      // Cap the pollers at the reservation: messages wait in the queue instead of being
      // throttled, which would count as receives and push them towards the DLQ.
      maxConcurrency: reservedConcurrency,
    }));

    if (recheck !== undefined) {
      const created = createRoleRecheck(this, { recheck, role: this.recheckRole!, code, bundleDir, registry: registry!, logRetention: props.logRetention, alertTopic: this.alertTopic, topicKey: ownAlertTopic ? this.topicKey : undefined, runtime: FUNCTION_RUNTIME });
      this.recheckFunction = created.function;
      this.recheckRule = created.rule;
    }

    this.alarms = createAlarms(this, this, { silenceAlarmHours: props.silenceAlarmHours ?? deployDefault('silenceAlarmHours'), oldestMessageAge: oldestMessageAlarmAgeOf(props) }, detection);
    this.dashboard = (props.dashboard ?? true)
      ? new OperationsDashboard(this, 'Dashboard', {
        dashboardName: props.dashboardName,
        detectFunction: this.function,
        queue: this.queue,
        deadLetterQueue: this.deadLetterQueue,
        targetDeadLetterQueue: this.targetDeadLetterQueue,
        table: this.table,
        tableOperations: [...TABLE_OPERATIONS],
        alarms: Object.values(this.alarms).filter((a): a is cloudwatch.Alarm => a !== undefined),
        destinations: [
          DESTINATIONS.sns,
          ...(props.alertEventBus === undefined ? [] : [DESTINATIONS.eventBridge]),
          ...(securityHub ? [DESTINATIONS.securityHub] : []),
          ...[...this.chatTopics.keys()].map(chatDestination),
        ],
        functionTimeout: timeout,
        reservedConcurrency,
        oldestMessageAlarmAge: oldestMessageAlarmAgeOf(props),
        customerRegistryMaxAge: registry === null ? undefined : Duration.hours(detection.customerRegistryMaxAgeHours),
        allowedCidrsMaxAge: publishedCidrs === null ? undefined : Duration.hours(detection.allowedCidrsMaxAgeHours),
        runbookUrl: props.runbookUrl,
      })
      : undefined;
  }

}

/** Reserved concurrency (and the event source's cap) from the props: none when `reserveConcurrency` is false. */
function reservedConcurrencyOf(props: AssumeRoleWatchProps): number | undefined {
  if (props.reserveConcurrency === false) {
    if (props.reservedConcurrency !== undefined) throw new Error(`reservedConcurrency: ${props.reservedConcurrency} with reserveConcurrency false; expected one of them (false reserves none)`);
    return undefined;
  }
  return props.reservedConcurrency ?? deployDefault('reservedConcurrency') ?? undefined;
}

function oldestMessageAlarmAgeOf(props: AssumeRoleWatchProps): Duration {
  return props.oldestMessageAlarmAge ?? Duration.minutes(deployDefault('oldestMessageAlarmMinutes'));
}

/**
 * An existing table created in the same app must have the stores' keys (lambdas/state/schema.ts):
 * with others every read and write fails at run time. An imported table cannot be checked here.
 */
function checkTableSchema(table: dynamodb.Table): void {
  const { partitionKeys, sortKeys } = table.schemaV2();
  const shown = (keys: dynamodb.Attribute[]): string => (keys.length === 0 ? 'none' : keys.map((k) => `${k.name} (${k.type})`).join(' + '));
  const is = (keys: dynamodb.Attribute[], expected: { readonly name: string; readonly type: 'S' | 'N' | 'B' }): boolean =>
    keys.length === 1 && keys[0]!.name === expected.name && keys[0]!.type === attributeType(expected.type);
  if (!is(partitionKeys, TABLE_SCHEMA.partitionKey) || !is(sortKeys, TABLE_SCHEMA.sortKey)) {
    throw new Error(`table: keys ${shown(partitionKeys)} and ${shown(sortKeys)}; expected partition key ${TABLE_SCHEMA.partitionKey.name} and sort key ${TABLE_SCHEMA.sortKey.name}, both strings, with time to live on ${TABLE_SCHEMA.timeToLiveAttribute}`);
  }
}

function attributeType(type: 'S' | 'N' | 'B'): dynamodb.AttributeType {
  return type === 'S' ? dynamodb.AttributeType.STRING : type === 'N' ? dynamodb.AttributeType.NUMBER : dynamodb.AttributeType.BINARY;
}
