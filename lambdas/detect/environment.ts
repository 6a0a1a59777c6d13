/**
 * The Lambda's wiring: the environment → configuration, SDK clients, stores, publisher, logger
 * and metrics. This is the only module that reads the environment and builds SDK clients, once
 * per cold start; a missing or invalid variable fails the cold start naming it.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { loadConfig } from '../core/config';
import { isRegionName } from '../core/config-values';
import type { EventOrigin } from '../core/eventbridge-envelope';
import { SnsPublisher, snsModule } from '../delivery/sns-publisher';
import { DETECTORS } from '../detectors';
import { StateCache } from '../state/cache';
import { DynamoLedger } from '../state/dynamodb-ledger';
import { DynamoStore } from '../state/dynamodb-store';
import { CapacityMeter } from '../state/meter';
import { defaultS3Client } from '../state/s3-object';
import { ENVIRONMENT, METRICS_NAMESPACE, METRICS_SERVICE } from './contract';
import { s3CustomerRegistry } from './customer-registry';
import type { DetectDependencies } from './handler';

/** Reads a required environment variable, failing the cold start with its name. */
function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`environment variable ${name} is not set`);
  return value;
}

/** The account and regions whose events the function accepts, from the variables the construct sets. */
function eventOriginFromEnv(): EventOrigin {
  const account = requireEnv(ENVIRONMENT.account);
  if (!/^\d{12}$/.test(account)) throw new Error(`environment variable ${ENVIRONMENT.account}: ${JSON.stringify(account)} is not an account ID`);
  const regions = requireEnv(ENVIRONMENT.regions).split(',').map((r) => r.trim());
  if (regions.some((r) => !isRegionName(r))) throw new Error(`environment variable ${ENVIRONMENT.regions}: ${JSON.stringify(regions.join(','))} is not a comma-separated list of regions`);
  return { account, regions };
}

/** Builds the dependencies from the environment: clients, stores, publisher, config. */
export function dependenciesFromEnvironment(): DetectDependencies {
  const tableName = requireEnv(ENVIRONMENT.table);
  const topicArn = requireEnv(ENVIRONMENT.topic);
  const rawConfig = requireEnv(ENVIRONMENT.config);
  let parsedConfig: Record<string, unknown>;
  try {
    parsedConfig = JSON.parse(rawConfig) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`environment variable ${ENVIRONMENT.config} is not JSON: ${(e as Error).message}`);
  }
  const config = loadConfig(parsedConfig);
  const eventOrigin = eventOriginFromEnv();
  const dynamo = new DynamoDBClient({});
  const meter = new CapacityMeter();
  return {
    config,
    eventOrigin,
    detectors: DETECTORS,
    // The cache lives as long as this instance: items that only grow need not be read again.
    ports: { state: new DynamoStore(dynamo, tableName, { meter }), ledger: new DynamoLedger(dynamo, tableName, { meter }), cache: new StateCache() },
    // SNS's client loads at the first alert: most instances never publish.
    publisher: new SnsPublisher(() => new (snsModule().SNSClient)({}), topicArn),
    logger: new Logger({ serviceName: METRICS_SERVICE }),
    metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE }),
    clock: { now: () => Date.now() },
    consumption: () => meter.reading(),
    // S3's client loads at the first read, and only where a registry is configured.
    ...(config.customerRegistry !== null ? { customerRegistry: s3CustomerRegistry(defaultS3Client, config) } : {}),
  };
}
