/**
 * What the detect function and its deployment agree on: the environment it reads and the
 * metrics it emits (the alarms watch them). Free of SDK imports, so the CDK app and the README
 * generator can load it.
 */

/** The names of the environment variables the handler reads. */
export const ENVIRONMENT = {
  table: 'TABLE_NAME',
  topic: 'ALERT_TOPIC_ARN',
  config: 'DETECTION_CONFIG',
  /** The deployment's account: events from any other are rejected. */
  account: 'EVENT_ACCOUNT',
  /** The deployment's regions, comma-separated (the home region and the forwarders'). */
  regions: 'EVENT_REGIONS',
} as const;

/** The Powertools metrics namespace. */
export const METRICS_NAMESPACE = 'AssumeRoleWatch';
/** The Powertools service name, added as the `service` dimension of every metric. */
export const METRICS_SERVICE = 'assumerole-watch';
/** Emitted every batch, zero included; the silence alarm watches its sum. */
export const ASSUME_ROLE_EVENTS_METRIC = 'AssumeRoleEvents';
/** Age in seconds of the customer registry copy a batch ran with (when one is configured and held); the registry alarm watches its maximum. */
export const CUSTOMER_REGISTRY_AGE_METRIC = 'CustomerRegistryAgeSeconds';
/** 1 for a batch that ran without a registry copy although one is configured; the registry alarm fires on it. */
export const CUSTOMER_REGISTRY_UNAVAILABLE_METRIC = 'CustomerRegistryUnavailable';
