/**
 * The re-check function's wiring: the environment → the registry source, the STS clients, the
 * SNS publisher and the logger. The only module of the re-check that reads the environment and
 * builds SDK clients, once per cold start; a missing variable fails the cold start naming it.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { STSClient } from '@aws-sdk/client-sts';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SNSClient } from '@aws-sdk/client-sns';
import { loadConfig } from '../core/config';
import { PROBE_MAX_ATTEMPTS } from '../core/role-probe';
import { roleArnParts } from '../core/role-arn';
import { SnsPublisher, snsModule } from '../delivery/sns-publisher';
import { DETECTORS } from '../detectors';
import { CUSTOMER_REGISTRY_REPORTING, s3CustomerRegistry } from '../detect/customer-registry';
import { METRICS_SERVICE } from '../detect/contract';
import { logSourceReads } from '../detect/refreshed-source';
import { defaultS3Client } from '../state/s3-object';
import { RECHECK_ENVIRONMENT } from './contract';
import type { RecheckHandlerDependencies } from './handler';

/** Reads a required environment variable, failing the cold start with its name. */
function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`environment variable ${name} is not set`);
  return value;
}

/** Builds the dependencies from the environment. */
export function recheckDependenciesFromEnvironment(): RecheckHandlerDependencies {
  const registryUrl = requireEnv(RECHECK_ENVIRONMENT.registry);
  const outboundRoleArn = requireEnv(RECHECK_ENVIRONMENT.outboundRole);
  if (roleArnParts(outboundRoleArn) === null) throw new Error(`environment variable ${RECHECK_ENVIRONMENT.outboundRole}: ${JSON.stringify(outboundRoleArn)} is not a role ARN`);
  const topicArn = requireEnv(RECHECK_ENVIRONMENT.topic);
  const region = requireEnv('AWS_REGION');
  const logger = new Logger({ serviceName: `${METRICS_SERVICE}-recheck` });
  // The detect function's reading of the registry (size bound, parsing, the last good copy kept).
  const config = loadConfig({ monitoredRoleArns: [outboundRoleArn], customerRegistry: registryUrl });
  let s3: S3Client | undefined;
  const source = s3CustomerRegistry(() => (s3 ??= defaultS3Client()), config);
  let sns: SNSClient | undefined;
  const detector = DETECTORS.find((d) => d.id === 'external-id');
  if (detector === undefined) throw new Error('the external-id detector is not registered');
  return {
    registry: async () => {
      const batch = await source.forBatch([], config, Date.now());
      logSourceReads(logger, CUSTOMER_REGISTRY_REPORTING, source.url, batch);
      return batch.registry;
    },
    // The SDK's standard retry mode: throttling is retried with backoff before a role counts as failed.
    sts: (credentials) => new STSClient({ retryMode: 'standard', maxAttempts: PROBE_MAX_ATTEMPTS, ...(credentials === null ? {} : { credentials }) }),
    publisher: new SnsPublisher(() => (sns ??= new (snsModule().SNSClient)({})), topicArn),
    outboundRoleArn,
    detector,
    region,
    now: () => Date.now(),
    logger,
  };
}
