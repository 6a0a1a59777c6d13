/**
 * The home region's stack: the pipeline, the optional trail, and the default bus's permission
 * for the forwarders' rules. Wiring only.
 */
import { Arn, Aws, CfnOutput, CfnResource, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { AppConfig } from './config';
import { AssumeRoleWatch } from './constructs/assume-role-watch';
import { ManagementEventsTrail } from './constructs/management-events-trail';
import { FORWARD_RULE_NAMES } from './forwarder-stack';

/** Properties of {@link HomeStack}. */
export interface HomeStackProps extends StackProps {
  readonly config: AppConfig;
  /** Regions whose forwarders send events to this stack's bus. @default none */
  readonly forwarderRegions?: readonly string[];
}

/** The pipeline in the home region. */
export class HomeStack extends Stack {
  /** The pipeline. */
  public readonly pipeline: AssumeRoleWatch;
  /** The trail, when `createTrail`. */
  public readonly trail: ManagementEventsTrail | undefined;

  constructor(scope: Construct, id: string, props: HomeStackProps) {
    super(scope, id, props);
    const d = props.config.deployment;
    this.pipeline = new AssumeRoleWatch(this, 'Pipeline', {
      detection: props.config.detection,
      alertEmails: [...d.alertEmails],
      alertHttpsEndpoints: [...d.alertHttpsEndpoints],
      alarmTopic: d.alarmTopic,
      opsEmails: [...d.opsEmails],
      batchSize: d.batchSize,
      maxBatchingWindow: Duration.seconds(d.maxBatchingWindowSeconds),
      // The key's null (no reservation) is the prop reserveConcurrency false.
      reservedConcurrency: d.reservedConcurrency ?? undefined,
      reserveConcurrency: d.reservedConcurrency !== null,
      memorySize: d.lambdaMemoryMb,
      timeout: Duration.seconds(d.lambdaTimeoutSeconds),
      maxReceiveCount: d.maxReceiveCount,
      logRetention: d.logRetentionDays as logs.RetentionDays,
      silenceAlarmHours: d.silenceAlarmHours,
      oldestMessageAlarmAge: Duration.minutes(d.oldestMessageAlarmMinutes),
      eventRegions: [...d.regions],
      redriveRoleArns: [...d.redriveRoleArns],
      alertEventBus: d.alertEventBus === null ? undefined : d.alertEventBus.startsWith('arn:')
        ? events.EventBus.fromEventBusArn(this, 'AlertEventBus', d.alertEventBus)
        : events.EventBus.fromEventBusName(this, 'AlertEventBus', d.alertEventBus),
      alertEventDetail: d.alertEventDetail,
      securityHub: d.securityHub,
      chatChannels: [...d.chatChannels],
      ...(d.roleRecheckSchedule === null ? {} : { roleRecheck: { schedule: d.roleRecheckSchedule, outboundRoleArn: d.roleRecheckOutboundRoleArn! } }),
    });
    if (this.pipeline.recheckRole !== undefined) {
      // The outbound role's trust policy must name it (docs/check-role.md, "Scheduled re-check").
      new CfnOutput(this, 'RoleRecheckRole', { value: this.pipeline.recheckRole.roleArn, description: 'The re-check function\'s role: let it sts:AssumeRole the outbound role (roleRecheckOutboundRoleArn)' });
    }
    this.trail = d.createTrail ? new ManagementEventsTrail(this, 'Trail', { retentionDays: d.trailRetentionDays }) : undefined;

    const forwarderRegions = props.forwarderRegions ?? [];
    if (forwarderRegions.length > 0) {
      // Only the forwarders' own rules (by ARN) may put events on this bus.
      const ruleArns = forwarderRegions.flatMap((region) =>
        Object.values(FORWARD_RULE_NAMES).map((name) => Arn.format({ service: 'events', region, resource: 'rule', resourceName: name }, this)),
      );
      // A raw AWS::Events::EventBusPolicy: the L1 reads its deprecated `principal` during
      // synthesis and prints a deprecation warning for a property this stack never sets.
      new CfnResource(this, 'AcceptForwarders', {
        type: 'AWS::Events::EventBusPolicy',
        properties: {
          EventBusName: 'default',
          StatementId: 'AssumeRoleWatchForwarders',
          Statement: {
            Effect: 'Allow',
            Principal: { AWS: `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:root` },
            Action: 'events:PutEvents',
            Resource: Arn.format({ service: 'events', resource: 'event-bus', resourceName: 'default' }, this),
            Condition: { ArnEquals: { 'aws:SourceArn': ruleArns } },
          },
        },
      });
    }
  }
}
