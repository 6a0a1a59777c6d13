/**
 * A forwarder for one extra region: STS regional endpoints log in their own region (the global
 * endpoint in us-east-1), so the same rules run here and send what they match to the home
 * region's default bus. Undeliverable events land in a dead-letter queue, alarmed through a
 * regional topic (alarms can only notify topics in their own region).
 */
import { Arn, Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { EmailSubscriber, HttpsSubscriber } from './config';
import { createCloudTrailRules, type CloudTrailRule } from './constructs/cloudtrail-rules';
import { createTopicKey, NotificationTopic } from './constructs/notification-topic';

/** The forwarders' rule names, fixed so the home bus policy can name them. */
export const FORWARD_RULE_NAMES = {
  assumeRole: 'assumerole-watch-forward-assume-role',
  sessionActivity: 'assumerole-watch-forward-session-activity',
} as const;

/** Properties of {@link ForwarderStack}. */
export interface ForwarderStackProps extends StackProps {
  readonly homeRegion: string;
  /** The engine's `monitoredRoleArns` (patterns allowed), for the session-activity rule. */
  readonly monitoredRoleArns: readonly string[];
  /** Who hears about this region's dead-letter queue. @default [] */
  readonly alarmEmails?: readonly EmailSubscriber[];
  /** @default [] */
  readonly alarmHttpsEndpoints?: readonly HttpsSubscriber[];
}

/** The rules of one region, forwarding to the home bus. */
export class ForwarderStack extends Stack {
  /** Assumed by EventBridge to put events on the home bus. */
  public readonly role: iam.Role;
  /** The AssumeRole rule. */
  public readonly assumeRoleRule: CloudTrailRule;
  /** The session-activity rule. */
  public readonly sessionActivityRule: CloudTrailRule;
  /** Events that could not be delivered to the home bus. */
  public readonly deadLetterQueue: sqs.Queue;
  /** Raised when {@link deadLetterQueue} is not empty. */
  public readonly deadLetterQueueAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: ForwarderStackProps) {
    super(scope, id, props);
    const homeBus = events.EventBus.fromEventBusArn(this, 'HomeBus',
      Arn.format({ service: 'events', region: props.homeRegion, resource: 'event-bus', resourceName: 'default' }, this));
    this.role = new iam.Role(this, 'ForwardRole', {
      // Only EventBridge acting for this account's rules may use it (confused deputy).
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': this.account } } }),
      description: `assumerole-watch: forwards CloudTrail events from ${this.region} to ${props.homeRegion}`,
    });
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter queue of the forwarding rules\' target (events the home bus did not accept); it is alarmed and needs no DLQ of its own.',
    });
    const rules = createCloudTrailRules(this, props.monitoredRoleArns,
      [new targets.EventBus(homeBus, { role: this.role, deadLetterQueue: this.deadLetterQueue })],
      FORWARD_RULE_NAMES);
    this.assumeRoleRule = rules.assumeRole;
    this.sessionActivityRule = rules.sessionActivity;

    const key = createTopicKey(this, 'AlarmTopicKey', 'assumerole-watch: encrypts the forwarder alarm topic');
    const topic = new NotificationTopic(this, 'AlarmTopic', {
      key,
      displayName: `assumerole-watch forwarder ${this.region}`,
      emails: props.alarmEmails,
      httpsEndpoints: props.alarmHttpsEndpoints,
      allowAlarms: true,
    }).topic;
    this.deadLetterQueueAlarm = new cloudwatch.Alarm(this, 'DeadLetterQueueAlarm', {
      alarmDescription: `assumerole-watch: events from ${this.region} could not be forwarded to ${props.homeRegion}; they are not being watched.`,
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.deadLetterQueueAlarm.addAlarmAction(new cwActions.SnsAction(topic));
    this.deadLetterQueueAlarm.addOkAction(new cwActions.SnsAction(topic));
  }
}
