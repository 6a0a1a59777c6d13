/**
 * The keys a cdk.json context may hold: the detection keys (CONFIG_KEYS), the deployment keys
 * (their names here; lib/config.ts holds their specification, and a test holds the two lists
 * together) and CDK's own. `cdk synth` and `replay --config cdk.json` both refuse any other key,
 * naming the one a typo meant.
 */
import { CONFIG_KEYS } from './config';
import { closest } from './config-values';

/** The deployment keys' names (lib/config.ts DEPLOY_KEYS specifies each). */
export const DEPLOY_KEY_NAMES = ['account', 'homeRegion', 'regions', 'alertEmails', 'alertHttpsEndpoints', 'alarmTopic', 'opsEmails', 'createTrail', 'trailRetentionDays', 'batchSize', 'maxBatchingWindowSeconds', 'reservedConcurrency', 'lambdaMemoryMb', 'lambdaTimeoutSeconds', 'maxReceiveCount', 'logRetentionDays', 'silenceAlarmHours', 'oldestMessageAlarmMinutes', 'redriveRoleArns', 'alertEventBus', 'alertEventDetail', 'securityHub', 'chatChannels', 'roleRecheckSchedule', 'roleRecheckOutboundRoleArn'] as const;

/** Plain context keys CDK itself writes or reads. */
const CDK_PLAIN_KEYS = new Set(['acknowledged-issue-numbers', 'cli-telemetry', 'cdk-version', 'assetBundling']);

/**
 * Context keys that belong to CDK, not to us: feature flags (`@aws-cdk/...`), the CLI's own
 * (`aws:cdk:...`), lookups cached in cdk.context.json (`availability-zones:account=...`).
 */
export function isCdkContextKey(key: string): boolean {
  return key.startsWith('@') || key.includes(':') || CDK_PLAIN_KEYS.has(key);
}

/** The keys of a context that are neither ours nor CDK's, each as a problem with the key meant when one is close. */
export function unknownContextKeys(context: Readonly<Record<string, unknown>>): string[] {
  const ours: string[] = [...CONFIG_KEYS.map((k) => k.name as string), ...DEPLOY_KEY_NAMES];
  const known = new Set(ours);
  return Object.keys(context)
    .filter((key) => !known.has(key) && !isCdkContextKey(key))
    .map((key) => {
      const guess = closest(key, ours);
      return `${key}: unknown key${guess ? ` (did you mean "${guess}"?)` : ''}`;
    });
}
