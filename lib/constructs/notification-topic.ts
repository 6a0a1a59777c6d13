/**
 * An SNS topic encrypted with a customer-managed KMS key, SSL-only, that CloudWatch alarms of
 * this account may publish to, with e-mail and HTTPS subscriptions and optional
 * minimum-severity filters.
 */
import { createHash } from 'node:crypto';
import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subs from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { SEVERITIES, type Severity } from '../../lambdas/core/types';
import type { EmailSubscriber, HttpsSubscriber } from '../config';

/** Severities at or above `min`, lowest first: the values a subscription's filter policy allows. */
function severitiesFrom(min: Severity): Severity[] {
  return SEVERITIES.slice(SEVERITIES.indexOf(min));
}

/**
 * The conditions under which CloudWatch may act for this stack: for an alarm of this account in
 * this region (the topic policy's and the key policy's alike, so neither lets CloudWatch act
 * for another account's alarms: the confused deputy).
 */
function alarmsOfThisAccount(): Record<string, Record<string, string>> {
  return {
    ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*` },
    StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
  };
}

/**
 * A customer-managed key for SNS topics, rotated yearly, whose policy lets CloudWatch alarms
 * use it (the AWS-managed `alias/aws/sns` key cannot: alarm notifications would fail).
 *
 * The statement is SNS's for AWS service publishers to encrypted topics
 * (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services:
 * `kms:GenerateDataKey*` and `kms:Decrypt` for the service principal; `aws:SourceAccount` and
 * `aws:SourceArn` against the confused deputy, which the page does not support for EventBridge
 * as the publisher). CloudWatch's requests carry the source keys: AWS's "How do I
 * configure a CloudWatch alarm with an encrypted SNS topic?"
 * (https://repost.aws/knowledge-center/cloudwatch-configure-alarm-sns) shows this statement with
 * an optional condition limiting it to the alarms of one organization, which only a source key
 * (`aws:SourceOrgID`, derived from `aws:SourceAccount`) can express. A condition key a request
 * lacks would deny every alarm notification with no error but a line in the alarm's history,
 * so these are the two the topic policy already uses, with the same values (docs/deploy.md says
 * how to check after deploying).
 */
export function createTopicKey(scope: Construct, id: string, description: string): kms.Key {
  const key = new kms.Key(scope, id, { enableKeyRotation: true, description });
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'AllowCloudWatchAlarmsToPublish',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      // In a key policy "*" is the key itself (AWS requires this form), not every resource.
      resources: ['*'],
      conditions: alarmsOfThisAccount(),
    }),
  );
  return key;
}

/**
 * A subscription's construct ID for an HTTPS endpoint: a digest, since construct IDs become
 * logical IDs and `aws:cdk:path` metadata, visible to whoever may describe the stack, while a
 * endpoint URL often holds an access token in the path or query.
 */
export function httpsSubscriptionId(endpoint: string): string {
  return `Https${createHash('sha256').update(endpoint).digest('hex').slice(0, 16)}`;
}

/** Properties of {@link NotificationTopic}. */
export interface NotificationTopicProps {
  /** Encrypts the topic; its policy must let CloudWatch use it if alarms publish here (see {@link createTopicKey}). */
  readonly key: kms.IKey;
  readonly displayName: string;
  /** @default [] */
  readonly emails?: readonly EmailSubscriber[];
  /** @default [] */
  readonly httpsEndpoints?: readonly HttpsSubscriber[];
  /** Let this account's CloudWatch alarms publish (topic policy). @default false */
  readonly allowAlarms?: boolean;
}

/** An encrypted, SSL-only topic with its subscriptions. */
export class NotificationTopic extends Construct {
  /** The topic. */
  public readonly topic: sns.Topic;

  constructor(scope: Construct, id: string, props: NotificationTopicProps) {
    super(scope, id);
    const allowAlarms = props.allowAlarms ?? false;
    this.topic = new sns.Topic(this, 'Topic', { displayName: props.displayName, masterKey: props.key, enforceSSL: true });
    if (allowAlarms) {
      this.topic.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'AllowCloudWatchAlarmsOfThisAccount',
          principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
          actions: ['sns:Publish'],
          resources: [this.topic.topicArn],
          conditions: alarmsOfThisAccount(),
        }),
      );
    }
    // Alarm notifications carry no message attributes: a severity filter must let messages
    // without `severity` through on a topic that alarms publish to.
    const filterPolicy = (min: Severity | undefined): Record<string, sns.SubscriptionFilter> | undefined => {
      if (min === undefined) return undefined;
      const allowed = severitiesFrom(min);
      return { severity: allowAlarms ? new sns.SubscriptionFilter([...allowed, { exists: false }]) : sns.SubscriptionFilter.stringFilter({ allowlist: allowed }) };
    };
    for (const s of props.emails ?? []) {
      this.topic.addSubscription(new subs.EmailSubscription(s.email, { filterPolicy: filterPolicy(s.minSeverity) }));
    }
    for (const s of props.httpsEndpoints ?? []) {
      // Not addSubscription: it names the construct after the URL (see httpsSubscriptionId).
      new sns.Subscription(this.topic, httpsSubscriptionId(s.endpoint), {
        topic: this.topic,
        endpoint: s.endpoint,
        protocol: sns.SubscriptionProtocol.HTTPS,
        filterPolicy: filterPolicy(s.minSeverity),
      });
    }
  }
}
