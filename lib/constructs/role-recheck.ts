/**
 * The scheduled re-check of the registered customer roles (off by default): a second function in
 * the same prebuilt bundle, run on a schedule, asking each registered role for a session without
 * an external ID (it must be refused) and alerting on the alert topic when one is granted.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { RECHECK_ENTRY, RECHECK_ENVIRONMENT } from '../../lambdas/recheck/contract';
import { deployDefault } from '../config';
import { FIXED_ENVIRONMENT } from '../lambda-environment';

/** The scheduled re-check of the registered customer roles ({@link AssumeRoleWatchProps.roleRecheck}). */
export interface RoleRecheckOptions {
  /** An EventBridge schedule expression, at most hourly: `rate(1 day)`, `cron(0 6 * * ? *)` (`roleRecheckSchedule`). */
  readonly schedule: string;
  /** The outbound role the re-check assumes, one of `monitoredRoleArns`; its trust policy must let {@link AssumeRoleWatch.recheckRole} assume it (`roleRecheckOutboundRoleArn`). */
  readonly outboundRoleArn: string;
}

/** How long a re-check may run: a few customers a second, eight at a time, and STS's retries. */
const RECHECK_TIMEOUT = Duration.minutes(5);

/** What the re-check is built from: the construct's role for it, code, registry and alert topic. */
export interface RoleRecheckParts {
  readonly recheck: RoleRecheckOptions;
  readonly role: iam.Role;
  readonly code: lambda.Code;
  /** The prebuilt bundle's folder, which must hold the re-check's entry. */
  readonly bundleDir: string;
  readonly registry: { readonly bucket: string; readonly key: string };
  readonly logRetention: logs.RetentionDays | undefined;
  readonly alertTopic: sns.ITopic;
  /** The alert topic's key when the construct created the topic (a given topic's key is its owner's to grant). */
  readonly topicKey: kms.IKey | undefined;
  readonly runtime: lambda.Runtime;
}

/**
 * The scheduled re-check: its function (the bundle's `recheck.handler`), its log group, the
 * schedule, and its role's permissions: its logs, the registry object, the alert topic (and its
 * key), and sts:AssumeRole on the outbound role alone. Not retried by Lambda: a repeated run
 * would ask every customer role again.
 */
export function createRoleRecheck(scope: Construct, o: RoleRecheckParts): { function: lambda.Function; rule: events.Rule } {
const { recheck, role, code, bundleDir, registry, logRetention, alertTopic, topicKey, runtime } = o;
  if (!existsSync(join(bundleDir, `${RECHECK_ENTRY}.js`))) {
    throw new Error(`assumerole-watch: the re-check's prebuilt code is missing (${join(bundleDir, `${RECHECK_ENTRY}.js`)}); run \`npm run build\``);
  }
  const logGroup = new logs.LogGroup(scope, 'RecheckLogs', {
    retention: logRetention ?? (deployDefault('logRetentionDays') as logs.RetentionDays),
    removalPolicy: RemovalPolicy.RETAIN,
  });
  role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'WriteOwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'ReadCustomerRegistry',
    actions: ['s3:GetObject'],
    resources: [`arn:${Aws.PARTITION}:s3:::${registry.bucket}/${registry.key}`],
  }));
  role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'PublishAlerts', actions: ['sns:Publish'], resources: [alertTopic.topicArn] }));
  if (topicKey !== undefined) role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'EncryptAlerts', actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [topicKey.keyArn] }));
  // The outbound role alone: the customer roles are assumed from its session, whose session
  // policy allows sts:AssumeRole and nothing else.
  role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'AssumeOutboundRole', actions: ['sts:AssumeRole'], resources: [recheck.outboundRoleArn] }));
  const fn = new lambda.Function(scope, 'RecheckFunction', {
    description: 'assumerole-watch: re-checks every registered customer role refuses a request without an external ID',
    code,
    handler: `${RECHECK_ENTRY}.handler`,
    runtime,
    architecture: lambda.Architecture.ARM_64,
    memorySize: 256,
    timeout: RECHECK_TIMEOUT,
    role,
    logGroup,
    retryAttempts: 0,
    environment: {
      [RECHECK_ENVIRONMENT.registry]: `s3://${registry.bucket}/${registry.key}`,
      [RECHECK_ENVIRONMENT.outboundRole]: recheck.outboundRoleArn,
      [RECHECK_ENVIRONMENT.topic]: alertTopic.topicArn,
      ...FIXED_ENVIRONMENT,
    },
  });
  const rule = new events.Rule(scope, 'RecheckSchedule', {
    description: 'assumerole-watch: runs the re-check of the customer roles',
    schedule: events.Schedule.expression(recheck.schedule.trim()),
    targets: [new targets.LambdaFunction(fn, { retryAttempts: 0 })],
  });
  return { function: fn, rule };
}
