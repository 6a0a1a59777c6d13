/**
 * The assumerole-watch pipeline as one construct: EventBridge rules → SQS queue (+ DLQ) →
 * "detect" Lambda → DynamoDB state table → SNS alert topic (KMS) → alarms. Typed props with
 * secure defaults; every created resource is public so a vendor can extend it in its own app.
 */
import * as path from 'path';
import { Aws, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ALLOWED_CIDRS_AGE_METRIC, ALLOWED_CIDRS_UNAVAILABLE_METRIC, ASSUME_ROLE_EVENTS_METRIC, chatDestination, CUSTOMER_REGISTRY_AGE_METRIC, CUSTOMER_REGISTRY_UNAVAILABLE_METRIC, DESTINATIONS, ENVIRONMENT, EXPIRED_EXCEPTIONS_METRIC, METRICS_NAMESPACE, METRICS_SERVICE } from '../../lambdas/detect/contract';
import { parseS3Url, type EngineConfig } from '../../lambdas/core/config';
import { TABLE_SCHEMA } from '../../lambdas/state/schema';
import { chatThresholds, deployDefault, objectSourceProblems, type AlarmDestination, type AlertEventDetail, type ChatChannel, type EmailSubscriber, type HttpsSubscriber } from '../config';
import type { ChatTopicSetting } from '../../lambdas/detect/contract';
import type { Severity } from '../../lambdas/core/types';
import { detectionConfigJson, environmentProblem, eventRegionsValue, FIXED_ENVIRONMENT } from '../lambda-environment';
import { createCloudTrailRules, type CloudTrailRule } from './cloudtrail-rules';
import { createChatChannels } from './chat-channels';
import { createTopicKey, NotificationTopic } from './notification-topic';
import { OperationsDashboard } from './operations-dashboard';

/** The repository root (this file is lib/constructs/). */
const PROJECT_ROOT = path.join(__dirname, '..', '..');

export { ASSUME_ROLE_EVENTS_METRIC, METRICS_NAMESPACE, METRICS_SERVICE };

/** The newest Node.js runtime aws-cdk-lib offers (nodejs20.x is deprecated). */
export const FUNCTION_RUNTIME = lambda.Runtime.NODEJS_24_X;

/** The compiled AWS IP ranges the bundle ships (written by `npm run refresh-ip-ranges`). */
export const AWS_IP_RANGES_INDEX = 'aws-ip-ranges.index.json';

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
  /** The resolved detection configuration (`resolveConfig`), handed to the function as JSON. */
  readonly detection: EngineConfig;
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
}

/** Every alarm of {@link AssumeRoleWatch}, by purpose. */
export interface AssumeRoleWatchAlarms {
  /** Messages the function failed to process landed in the dead-letter queue. */
  readonly deadLetterQueue: cloudwatch.Alarm;
  /** EventBridge could not deliver events to the queue. */
  readonly targetDeadLetterQueue: cloudwatch.Alarm;
  /** The function failed. */
  readonly errors: cloudwatch.Alarm;
  /** The function was throttled. */
  readonly throttles: cloudwatch.Alarm;
  /** A message waited longer than `oldestMessageAlarmAge`. */
  readonly oldestMessage: cloudwatch.Alarm;
  /** No AssumeRole event for `silenceAlarmHours`. */
  readonly silence: cloudwatch.Alarm;
  /** The customer registry's copy is too old, or none was read (only with `customerRegistry`). */
  readonly customerRegistry?: cloudwatch.Alarm;
  /** The published allow-list's copy is too old, or none was read (only with `allowedCidrsSource`). */
  readonly allowedCidrs?: cloudwatch.Alarm;
  /** A detector exception has ended (only when `detectors` holds exceptions). */
  readonly expiredExceptions?: cloudwatch.Alarm;
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
  /** The "detect" function. */
  public readonly function: nodejs.NodejsFunction;
  /** Every alarm, by purpose. */
  public readonly alarms: AssumeRoleWatchAlarms;
  /** The operations dashboard, unless `dashboard` is false. */
  public readonly dashboard: OperationsDashboard | undefined;

  constructor(scope: Construct, id: string, props: AssumeRoleWatchProps) {
    super(scope, id);
    const timeout = props.timeout ?? Duration.seconds(deployDefault('lambdaTimeoutSeconds'));
    const batchingWindow = props.maxBatchingWindow ?? Duration.seconds(deployDefault('maxBatchingWindowSeconds'));
    const reservedConcurrency = reservedConcurrencyOf(props);
    const alarmDestination = props.alarmTopic ?? deployDefault('alarmTopic');
    const eventRegions = props.eventRegions ?? [Stack.of(this).region];
    const chatChannels = props.chatChannels ?? deployDefault('chatChannels');
    const securityHub = props.securityHub ?? deployDefault('securityHub');
    const tooLarge = environmentProblem(props.detection, eventRegions.length, { eventBus: props.alertEventBus !== undefined, securityHub, chatTopics: chatThresholds(chatChannels).length });
    if (tooLarge) throw new Error(tooLarge);
    const badSource = objectSourceProblems(props.detection)[0];
    if (badSource) throw new Error(badSource);
    if (props.alertTopic !== undefined) {
      const subscribed = (['alertEmails', 'alertHttpsEndpoints'] as const).find((k) => (props[k] ?? []).length > 0);
      if (subscribed !== undefined) throw new Error(`${subscribed}: the construct subscribes only to the alert topic it creates; with alertTopic, subscribe to your topic yourself and leave ${subscribed} out`);
    }
    if (props.table instanceof dynamodb.Table) checkTableSchema(props.table);
    const registry = props.detection.customerRegistry === null ? null : parseS3Url(props.detection.customerRegistry);
    const publishedCidrs = props.detection.allowedCidrsSource === null ? null : parseS3Url(props.detection.allowedCidrsSource);

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

    const rules = createCloudTrailRules(this, props.detection.monitoredRoleArns, [
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

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      description: 'assumerole-watch: CloudTrail AssumeRole events → detectors → alerts',
      entry: path.join(PROJECT_ROOT, 'lambdas', 'detect', 'index.ts'),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
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
        [ENVIRONMENT.config]: detectionConfigJson(props.detection),
        // Forwarded events keep the account and region they were recorded in.
        [ENVIRONMENT.account]: Stack.of(this).account,
        [ENVIRONMENT.regions]: eventRegionsValue(eventRegions),
        ...(props.alertEventBus === undefined ? {} : { [ENVIRONMENT.eventBus]: props.alertEventBus.eventBusArn, [ENVIRONMENT.eventDetail]: props.alertEventDetail ?? deployDefault('alertEventDetail') }),
        ...(securityHub ? { [ENVIRONMENT.securityHubProduct]: productArn } : {}),
        ...(this.chatTopics.size === 0 ? {} : { [ENVIRONMENT.chatTopics]: Stack.of(this).toJsonString([...this.chatTopics].map(([minSeverity, t]): ChatTopicSetting => ({ topicArn: t.topicArn, minSeverity }))) }),
        ...FIXED_ENVIRONMENT,
      },
      bundling: {
        minify: true,
        sourceMap: true,
        forceDockerBundling: false,
        // The runtime provides the AWS SDK v3 (CDK's default); everything else is bundled.
        externalModules: ['@aws-sdk/*'],
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          // source-ip needs AWS's ranges at run time: loadAwsIpRanges walks up from the bundle
          // looking for data/aws-ip-ranges.json or its compiled index, and loads the index alone
          // when the source file is absent. Ship only the index (a third of the size, and it
          // loads without re-indexing) as data/ beside index.js.
          afterBundling: (inputDir: string, outputDir: string) => [copyFileCommand(
            path.join(inputDir, 'data', AWS_IP_RANGES_INDEX),
            path.join(outputDir, 'data', AWS_IP_RANGES_INDEX),
          )],
        },
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

    this.alarms = this.createAlarms(props);
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
        customerRegistryMaxAge: registry === null ? undefined : Duration.hours(props.detection.customerRegistryMaxAgeHours),
        allowedCidrsMaxAge: publishedCidrs === null ? undefined : Duration.hours(props.detection.allowedCidrsMaxAgeHours),
        runbookUrl: props.runbookUrl,
      })
      : undefined;
  }

  /** The alarms (six, and the registry's and the published allow-list's when configured), each notifying the alarm topic on ALARM and on recovery. */
  private createAlarms(props: AssumeRoleWatchProps): AssumeRoleWatchAlarms {
    const action = new cwActions.SnsAction(this.alarmTopic);
    const fiveMinutes = Duration.minutes(5);
    /** An alarm on a metric at or above `threshold` within five minutes; quiet without data. */
    const alarm = (alarmId: string, description: string, metric: cloudwatch.IMetric, options: Partial<cloudwatch.AlarmProps> = {}): cloudwatch.Alarm => {
      const a = new cloudwatch.Alarm(this, alarmId, {
        alarmDescription: `assumerole-watch: ${description}`,
        metric,
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        ...options,
      });
      a.addAlarmAction(action);
      a.addOkAction(action);
      return a;
    };
    const visible = (queue: sqs.Queue): cloudwatch.IMetric => queue.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: cloudwatch.Stats.MAXIMUM });
    const redrive = 'Inspect the messages, fix the cause, then redrive them.';
    const silenceHours = props.silenceAlarmHours ?? deployDefault('silenceAlarmHours');
    const oldestMessageAge = oldestMessageAlarmAgeOf(props);
    return {
      deadLetterQueue: alarm('DeadLetterQueueAlarm', `messages the function failed to process landed in the dead-letter queue. ${redrive}`, visible(this.deadLetterQueue)),
      targetDeadLetterQueue: alarm('TargetDeadLetterQueueAlarm', `EventBridge could not deliver events to the queue. ${redrive}`, visible(this.targetDeadLetterQueue)),
      errors: alarm('FunctionErrorsAlarm', 'the detect function failed (see its logs); the batch is retried.', this.function.metricErrors({ period: fiveMinutes, statistic: cloudwatch.Stats.SUM })),
      throttles: alarm('FunctionThrottlesAlarm', 'the detect function was throttled (account concurrency exhausted?).', this.function.metricThrottles({ period: fiveMinutes, statistic: cloudwatch.Stats.SUM })),
      oldestMessage: alarm(
        'OldestMessageAlarm',
        `a message has waited more than ${oldestMessageAge.toMinutes()} minutes; detection is running late.`,
        this.queue.metricApproximateAgeOfOldestMessage({ period: fiveMinutes, statistic: cloudwatch.Stats.MAXIMUM }),
        { threshold: oldestMessageAge.toSeconds(), comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD },
      ),
      // Every account assumes roles all day (services included), so hours without a single
      // AssumeRole event mean the trail, the rule or the function broke: the pipeline is blind.
      // Hourly sums, all of the last N breaching (or missing) = no event in N hours.
      silence: alarm(
        'SilenceAlarm',
        `no AssumeRole event processed for ${silenceHours} hours. Check the CloudTrail trail (management events, read included), the EventBridge rules and the function.`,
        new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: ASSUME_ROLE_EVENTS_METRIC, dimensionsMap: { service: METRICS_SERVICE }, statistic: cloudwatch.Stats.SUM, period: Duration.hours(1) }),
        { comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD, evaluationPeriods: silenceHours, datapointsToAlarm: silenceHours, treatMissingData: cloudwatch.TreatMissingData.BREACHING },
      ),
      ...(props.detection.customerRegistry === null
        ? {}
        : {
          customerRegistry: this.copyAgeAlarm(alarm, 'CustomerRegistryAlarm', props.detection.customerRegistryMaxAgeHours, 'customer registry', [CUSTOMER_REGISTRY_AGE_METRIC, CUSTOMER_REGISTRY_UNAVAILABLE_METRIC],
            `no good copy of the customer registry ${props.detection.customerRegistry} younger than ${props.detection.customerRegistryMaxAgeHours} hours: its checks run on a stale copy or are skipped. See the function's "customer registry" log lines (the object missing, access denied, or no usable line).`),
        }),
      ...(props.detection.allowedCidrsSource === null
        ? {}
        : {
          allowedCidrs: this.copyAgeAlarm(alarm, 'AllowedCidrsAlarm', props.detection.allowedCidrsMaxAgeHours, 'published allow-list', [ALLOWED_CIDRS_AGE_METRIC, ALLOWED_CIDRS_UNAVAILABLE_METRIC],
            `no good copy of the published allow-list ${props.detection.allowedCidrsSource} younger than ${props.detection.allowedCidrsMaxAgeHours} hours: a stale list, or allowedCidrs alone, is applied (new egress addresses alert as outside it). See the function's "published allow-list" log lines (the object missing, access denied, or no usable entry).`),
        }),
      // An ended exception silences nothing any more: its alerts are back, and the configuration
      // wants a renewal or a removal. Quiet while the function is idle (no batch, no datapoint).
      ...(Object.values(props.detection.detectors).some((d) => d.exceptions.length > 0)
        ? {
          expiredExceptions: alarm(
            'ExpiredExceptionsAlarm',
            'a detector exception (`detectors`) has ended: its findings alert again. Renew it with a new end and reason, or remove it; the function logs which one.',
            new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: EXPIRED_EXCEPTIONS_METRIC, dimensionsMap: { service: METRICS_SERVICE }, statistic: cloudwatch.Stats.MAXIMUM, period: Duration.hours(1) }),
          ),
        }
        : {}),
    };
  }

  /**
   * No good copy of an S3 object the function refreshes (the customer registry, the published
   * allow-list) younger than `maxAgeHours`: the oldest copy a batch ran with in five minutes, or
   * a batch that ran with none (counted as older than the limit). Quiet while the function is
   * idle (the silence alarm watches that).
   */
  private copyAgeAlarm(
    alarm: (id: string, description: string, metric: cloudwatch.IMetric, options?: Partial<cloudwatch.AlarmProps>) => cloudwatch.Alarm,
    alarmId: string,
    maxAgeHours: number,
    what: string,
    [ageMetric, unavailableMetric]: readonly [string, string],
    description: string,
  ): cloudwatch.Alarm {
    const limitSeconds = maxAgeHours * 3600;
    const metric = (metricName: string): cloudwatch.Metric => new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName, dimensionsMap: { service: METRICS_SERVICE }, statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(5) });
    return alarm(
      alarmId,
      description,
      new cloudwatch.MathExpression({
        expression: `MAX([FILL(age, 0), FILL(unavailable, 0) * ${limitSeconds + 1}])`,
        usingMetrics: { age: metric(ageMetric), unavailable: metric(unavailableMetric) },
        period: Duration.minutes(5),
        label: `${what} age (s)`,
      }),
      { threshold: limitSeconds, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD },
    );
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

/** A copy that works wherever bundling runs (Linux, macOS, Windows): node itself does it. */
function copyFileCommand(from: string, to: string): string {
  const script = "const f=require('fs'),p=require('path');f.mkdirSync(p.dirname(process.argv[2]),{recursive:true});f.copyFileSync(process.argv[1],process.argv[2])";
  return `node -e "${script}" ${JSON.stringify(from)} ${JSON.stringify(to)}`;
}
