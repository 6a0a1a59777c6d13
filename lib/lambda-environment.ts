/**
 * The detect function's environment: what it holds and Lambda's 4 KB limit on it. Shared by
 * `lib/config.ts` (so an oversized configuration is reported with every other problem) and the
 * construct (so a vendor using the construct directly gets the same check). Free of CDK and of
 * the handler's SDK imports, so the README generator can load it.
 */
import { ENVIRONMENT } from '../lambdas/detect/contract';
import type { EngineConfig } from '../lambdas/core/config';

/** Lambda's limit on the total size of a function's environment variables (names and values). */
export const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096;


/** Variables with fixed values: Node resolves stack traces through the bundle's source map. */
export const FIXED_ENVIRONMENT: Readonly<Record<string, string>> = { NODE_OPTIONS: '--enable-source-maps' };

/**
 * Room reserved for the values only known at deploy time: the table name (at most 255 bytes),
 * the topic ARN (a 256-byte name plus the ARN prefix) and the account ID.
 */
const DEPLOY_TIME_VALUES_BYTES = 255 + 320 + 12;

/** Room for one region in the regions' list: the longest region name and a comma, with a margin. */
const REGION_BYTES = 24;

/** Room for an ARN known at deploy time (a bus or topic: a 256-byte name plus the ARN prefix). */
const ARN_BYTES = 320;
/** Room for one chat topic in its JSON list, besides the ARN: `{"topicArn":"","minSeverity":"critical"},`. */
const CHAT_TOPIC_JSON_BYTES = 48;

/** The alert destinations besides SNS, as far as the environment's size is concerned. */
export interface EnvironmentDestinations {
  readonly eventBus?: boolean;
  readonly securityHub?: boolean;
  /** Chat topics (one per distinct severity threshold). */
  readonly chatTopics?: number;
}

/** The regions whose events the function accepts, as its environment holds them (`EVENT_REGIONS`). */
export function eventRegionsValue(regions: readonly string[]): string {
  return regions.join(',');
}

/** The resolved detection configuration as the function reads it (`DETECTION_CONFIG`). */
export function detectionConfigJson(config: EngineConfig): string {
  return JSON.stringify(config);
}

/** Bytes the environment takes at most: every name and value, the deploy-time values at their maximum. */
function environmentBytes(config: EngineConfig, regionCount: number, destinations: EnvironmentDestinations): number {
  let total = DEPLOY_TIME_VALUES_BYTES + REGION_BYTES * regionCount;
  for (const name of [ENVIRONMENT.table, ENVIRONMENT.topic, ENVIRONMENT.account, ENVIRONMENT.regions]) total += Buffer.byteLength(name);
  if (destinations.eventBus) total += Buffer.byteLength(ENVIRONMENT.eventBus) + ARN_BYTES + Buffer.byteLength(ENVIRONMENT.eventDetail) + 'record'.length;
  if (destinations.securityHub) total += Buffer.byteLength(ENVIRONMENT.securityHubProduct) + ARN_BYTES;
  const chatTopics = destinations.chatTopics ?? 0;
  if (chatTopics > 0) total += Buffer.byteLength(ENVIRONMENT.chatTopics) + 2 + chatTopics * (ARN_BYTES + CHAT_TOPIC_JSON_BYTES);
  const fixed = { ...FIXED_ENVIRONMENT, [ENVIRONMENT.config]: detectionConfigJson(config) };
  for (const [name, value] of Object.entries(fixed)) total += Buffer.byteLength(name) + Buffer.byteLength(value);
  return total;
}

/**
 * A message naming the cause when the environment would exceed Lambda's limit (with
 * `regionCount` watched regions and the given destinations), else null.
 */
export function environmentProblem(config: EngineConfig, regionCount = 1, destinations: EnvironmentDestinations = {}): string | null {
  const bytes = environmentBytes(config, regionCount, destinations);
  if (bytes <= LAMBDA_ENVIRONMENT_LIMIT_BYTES) return null;
  const largest = (Object.keys(config) as (keyof EngineConfig)[])
    .map((key) => ({ key, size: Buffer.byteLength(JSON.stringify(config[key])) }))
    .sort((a, b) => b.size - a.size)
    .slice(0, 3)
    .map((k) => `${k.key} (${k.size} bytes)`);
  return `${ENVIRONMENT.config}: the detection configuration is ${Buffer.byteLength(detectionConfigJson(config))} bytes as JSON and the function's environment would take up to ${bytes} of Lambda's ${LAMBDA_ENVIRONMENT_LIMIT_BYTES} bytes; shorten the largest keys (${largest.join(', ')}), e.g. with ARN wildcards or wider CIDRs`;
}
