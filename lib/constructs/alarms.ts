/**
 * The pipeline's alarms: each notifies the alarm topic on ALARM and on recovery. Built from the
 * parts they watch, so the construct's file holds its wiring and this one what is alarmed and why.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { EngineConfig } from '../../lambdas/core/config';
import { ALLOWED_CIDRS_AGE_METRIC, ALLOWED_CIDRS_UNAVAILABLE_METRIC, ASSUME_ROLE_EVENTS_METRIC, CUSTOMER_REGISTRY_AGE_METRIC, CUSTOMER_REGISTRY_UNAVAILABLE_METRIC, EXPIRED_EXCEPTIONS_METRIC, METRICS_NAMESPACE, METRICS_SERVICE } from '../../lambdas/detect/contract';

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
  /** The scheduled re-check failed: a role could not be asked, or an alert not published (only with `roleRecheck`). */
  readonly roleRecheck?: cloudwatch.Alarm;
}

/** What the alarms watch: the construct's parts. */
export interface AlarmedParts {
  readonly alarmTopic: sns.ITopic;
  readonly queue: sqs.IQueue;
  readonly deadLetterQueue: sqs.IQueue;
  readonly targetDeadLetterQueue: sqs.IQueue;
  readonly function: lambda.IFunction;
  readonly recheckFunction?: lambda.IFunction;
}

/** The alarms' thresholds that come from the props. */
export interface AlarmSettings {
  readonly silenceAlarmHours: number;
  readonly oldestMessageAge: Duration;
}

/** The alarms (six, and the registry's and the published allow-list's when configured), each notifying the alarm topic on ALARM and on recovery. */
export function createAlarms(scope: Construct, parts: AlarmedParts, settings: AlarmSettings, detection: EngineConfig): AssumeRoleWatchAlarms {
  const action = new cwActions.SnsAction(parts.alarmTopic);
  const fiveMinutes = Duration.minutes(5);
  /** An alarm on a metric at or above `threshold` within five minutes; quiet without data. */
  const alarm = (alarmId: string, description: string, metric: cloudwatch.IMetric, options: Partial<cloudwatch.AlarmProps> = {}): cloudwatch.Alarm => {
    const a = new cloudwatch.Alarm(scope, alarmId, {
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
  const visible = (queue: sqs.IQueue): cloudwatch.IMetric => queue.metricApproximateNumberOfMessagesVisible({ period: fiveMinutes, statistic: cloudwatch.Stats.MAXIMUM });
  const redrive = 'Inspect the messages, fix the cause, then redrive them.';
  const silenceHours = settings.silenceAlarmHours;
  const oldestMessageAge = settings.oldestMessageAge;
  return {
    deadLetterQueue: alarm('DeadLetterQueueAlarm', `messages the function failed to process landed in the dead-letter queue. ${redrive}`, visible(parts.deadLetterQueue)),
    targetDeadLetterQueue: alarm('TargetDeadLetterQueueAlarm', `EventBridge could not deliver events to the queue. ${redrive}`, visible(parts.targetDeadLetterQueue)),
    errors: alarm('FunctionErrorsAlarm', 'the detect function failed (see its logs); the batch is retried.', parts.function.metricErrors({ period: fiveMinutes, statistic: cloudwatch.Stats.SUM })),
    throttles: alarm('FunctionThrottlesAlarm', 'the detect function was throttled (account concurrency exhausted?).', parts.function.metricThrottles({ period: fiveMinutes, statistic: cloudwatch.Stats.SUM })),
    oldestMessage: alarm(
      'OldestMessageAlarm',
      `a message has waited more than ${oldestMessageAge.toMinutes()} minutes; detection is running late.`,
      parts.queue.metricApproximateAgeOfOldestMessage({ period: fiveMinutes, statistic: cloudwatch.Stats.MAXIMUM }),
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
    ...(detection.customerRegistry === null
      ? {}
      : {
        customerRegistry: copyAgeAlarm(alarm, 'CustomerRegistryAlarm', detection.customerRegistryMaxAgeHours, 'customer registry', [CUSTOMER_REGISTRY_AGE_METRIC, CUSTOMER_REGISTRY_UNAVAILABLE_METRIC],
          `no good copy of the customer registry ${detection.customerRegistry} younger than ${detection.customerRegistryMaxAgeHours} hours: its checks run on a stale copy or are skipped. See the function's "customer registry" log lines (the object missing, access denied, or no usable line).`),
      }),
    ...(detection.allowedCidrsSource === null
      ? {}
      : {
        allowedCidrs: copyAgeAlarm(alarm, 'AllowedCidrsAlarm', detection.allowedCidrsMaxAgeHours, 'published allow-list', [ALLOWED_CIDRS_AGE_METRIC, ALLOWED_CIDRS_UNAVAILABLE_METRIC],
          `no good copy of the published allow-list ${detection.allowedCidrsSource} younger than ${detection.allowedCidrsMaxAgeHours} hours: a stale list, or allowedCidrs alone, is applied (new egress addresses alert as outside it). See the function's "published allow-list" log lines (the object missing, access denied, or no usable entry).`),
      }),
    // An ended exception silences nothing any more: its alerts are back, and the configuration
    // wants a renewal or a removal. Quiet while the function is idle (no batch, no datapoint).
    ...(Object.values(detection.detectors).some((d) => d.exceptions.length > 0)
      ? {
        expiredExceptions: alarm(
          'ExpiredExceptionsAlarm',
          'a detector exception (`detectors`) has ended: its findings alert again. Renew it with a new end and reason, or remove it; the function logs which one.',
          new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: EXPIRED_EXCEPTIONS_METRIC, dimensionsMap: { service: METRICS_SERVICE }, statistic: cloudwatch.Stats.MAXIMUM, period: Duration.hours(1) }),
        ),
      }
      : {}),
    ...(parts.recheckFunction === undefined
      ? {}
      : {
        roleRecheck: alarm(
          'RecheckErrorsAlarm',
          'the scheduled re-check of the customer roles failed: a role could not be asked (throttled out, STS unavailable), the outbound role or the registry could not be read, or an alert was not published. See the re-check function\'s log.',
          parts.recheckFunction.metricErrors({ period: fiveMinutes, statistic: cloudwatch.Stats.SUM }),
        ),
      }),
  };
}

/**
 * No good copy of an S3 object the function refreshes (the customer registry, the published
 * allow-list) younger than `maxAgeHours`: the oldest copy a batch ran with in five minutes, or
 * a batch that ran with none (counted as older than the limit). Quiet while the function is
 * idle (the silence alarm watches that).
 */
function copyAgeAlarm(
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
