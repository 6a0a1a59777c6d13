/**
 * An SNS topic encrypted with a customer-managed KMS key, SSL-only, that CloudWatch alarms of
 * this account may publish to, with e-mail and HTTPS subscriptions and optional
 * minimum-severity filters.
 */
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
 * A customer-managed key for SNS topics, rotated yearly, whose policy lets CloudWatch alarms
 * use it (the AWS-managed `alias/aws/sns` key cannot: alarm notifications would fail).
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
    }),
  );
  return key;
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
          conditions: {
            ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*` },
            StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          },
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
      this.topic.addSubscription(new subs.UrlSubscription(s.endpoint, { protocol: sns.SubscriptionProtocol.HTTPS, filterPolicy: filterPolicy(s.minSeverity) }));
    }
  }
}
