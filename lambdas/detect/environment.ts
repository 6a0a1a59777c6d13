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
import { SEVERITIES, type Severity } from '../core/types';
import { renderChatAlert } from '../delivery/chat';
import { Destinations, type Destination } from '../delivery/destinations';
import { EventBridgePublisher, eventBridgeModule, recordDetail } from '../delivery/eventbridge-publisher';
import { toOcsf } from '../delivery/ocsf';
import type { AlertPublisher } from '../delivery/publisher';
import { SecurityHubPublisher, securityHubModule } from '../delivery/securityhub-publisher';
import { SnsPublisher, snsModule } from '../delivery/sns-publisher';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { S3Client } from '@aws-sdk/client-s3';
import { DETECTORS } from '../detectors';
import { StateCache } from '../state/cache';
import { DynamoLedger } from '../state/dynamodb-ledger';
import { DynamoStore } from '../state/dynamodb-store';
import { CapacityMeter } from '../state/meter';
import { defaultS3Client } from '../state/s3-object';
import { chatDestination, DESTINATIONS, ENVIRONMENT, METRICS_NAMESPACE, METRICS_SERVICE, type ChatTopicSetting } from './contract';
import { s3AllowedCidrs } from './allowed-cidrs';
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

/** An optional environment variable: undefined when unset or empty. */
function optionalEnv(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** The Security Hub product ARN's partition, region and account (`arn:<p>:securityhub:<region>:<account>:product/<account>/default`). */
function securityHubTarget(productArn: string): { partition: string; region: string; accountId: string } {
  const m = /^arn:(aws[a-z-]*):securityhub:([a-z0-9-]+):(\d{12}):product\/\3\/default$/.exec(productArn);
  if (m === null || !isRegionName(m[2]!)) throw new Error(`environment variable ${ENVIRONMENT.securityHubProduct}: ${JSON.stringify(productArn)} is not the account's own product ARN (arn:aws:securityhub:<region>:<account>:product/<account>/default)`);
  return { partition: m[1]!, region: m[2]!, accountId: m[3]! };
}

/** The chat topics and their thresholds, as the construct lists them. */
function chatTopicsOf(text: string): ChatTopicSetting[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`environment variable ${ENVIRONMENT.chatTopics} is not JSON: ${(e as Error).message}`);
  }
  const valid = Array.isArray(parsed) && parsed.every((t: unknown) => {
    const topic = t as Partial<ChatTopicSetting> | null;
    return topic !== null && typeof topic === 'object' && typeof topic.topicArn === 'string' && topic.topicArn.startsWith('arn:') && (SEVERITIES as readonly unknown[]).includes(topic.minSeverity);
  });
  if (!valid) throw new Error(`environment variable ${ENVIRONMENT.chatTopics}: expected [{"topicArn": "arn:…", "minSeverity": "${SEVERITIES.join('|')}"}]`);
  return parsed as ChatTopicSetting[];
}

/**
 * The alert destinations the construct configured: SNS always, and the EventBridge bus,
 * Security Hub and the chat topics when their variables are set. Each SDK client loads at the
 * first alert for it (most instances never publish).
 */
export function publisherFromEnvironment(): AlertPublisher {
  let sns: SNSClient | undefined;
  const snsClient = (): SNSClient => (sns ??= new (snsModule().SNSClient)({}));
  const destinations: Destination[] = [{ name: DESTINATIONS.sns, publisher: new SnsPublisher(snsClient, requireEnv(ENVIRONMENT.topic)) }];
  const bus = optionalEnv(ENVIRONMENT.eventBus);
  if (bus !== undefined) {
    const detail = optionalEnv(ENVIRONMENT.eventDetail) ?? 'record';
    if (detail !== 'record' && detail !== 'ocsf') throw new Error(`environment variable ${ENVIRONMENT.eventDetail}: ${JSON.stringify(detail)} is neither record nor ocsf`);
    destinations.push({
      name: DESTINATIONS.eventBridge,
      publisher: new EventBridgePublisher(() => new (eventBridgeModule().EventBridgeClient)({}), { eventBusName: bus, render: detail === 'ocsf' ? toOcsf : recordDetail }),
    });
  }
  const product = optionalEnv(ENVIRONMENT.securityHubProduct);
  if (product !== undefined) {
    const target = securityHubTarget(product);
    destinations.push({ name: DESTINATIONS.securityHub, publisher: new SecurityHubPublisher(() => new (securityHubModule().SecurityHubClient)({ region: target.region }), target) });
  }
  const chat = optionalEnv(ENVIRONMENT.chatTopics);
  for (const topic of chat === undefined ? [] : chatTopicsOf(chat)) {
    const floor = SEVERITIES.indexOf(topic.minSeverity as Severity);
    destinations.push({
      // Named by threshold, not by topic: the construct keeps one topic per threshold.
      name: chatDestination(topic.minSeverity),
      publisher: new SnsPublisher(snsClient, topic.topicArn, { render: renderChatAlert }),
      accepts: (alert) => SEVERITIES.indexOf(alert.severity) >= floor,
    });
  }
  return destinations.length === 1 ? destinations[0]!.publisher : new Destinations(destinations);
}

/** Builds the dependencies from the environment: clients, stores, publisher, config. */
export function dependenciesFromEnvironment(): DetectDependencies {
  const tableName = requireEnv(ENVIRONMENT.table);
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
  // One S3 client for the objects read (the registry, the published allow-list).
  let s3: S3Client | undefined;
  const s3Client = (): S3Client => (s3 ??= defaultS3Client());
  return {
    config,
    eventOrigin,
    detectors: DETECTORS,
    // The cache lives as long as this instance: items that only grow need not be read again.
    ports: { state: new DynamoStore(dynamo, tableName, { meter }), ledger: new DynamoLedger(dynamo, tableName, { meter }), cache: new StateCache() },
    publisher: publisherFromEnvironment(),
    logger: new Logger({ serviceName: METRICS_SERVICE }),
    metrics: new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE }),
    clock: { now: () => Date.now() },
    consumption: () => meter.reading(),
    // S3's client loads at the first read, and only where a registry is configured.
    ...(config.customerRegistry !== null ? { customerRegistry: s3CustomerRegistry(s3Client, config) } : {}),
    ...(config.allowedCidrsSource !== null ? { allowedCidrs: s3AllowedCidrs(s3Client, config) } : {}),
  };
}
