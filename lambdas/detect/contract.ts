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
  /** The EventBridge bus alerts are also put on (name or ARN); unset: none. */
  eventBus: 'ALERT_EVENT_BUS',
  /** The alert events' detail: `record` (the versioned alert record) or `ocsf`. */
  eventDetail: 'ALERT_EVENT_DETAIL',
  /** The Security Hub product ARN alerts are imported under as findings; unset: none. */
  securityHubProduct: 'SECURITY_HUB_PRODUCT_ARN',
  /** The chat topics, as JSON `[{"topicArn", "minSeverity"}]`; unset: none. */
  chatTopics: 'CHAT_TOPICS',
} as const;

/** One chat topic as {@link ENVIRONMENT}.chatTopics lists it: alerts of `minSeverity` or higher go there. */
export interface ChatTopicSetting {
  readonly topicArn: string;
  readonly minSeverity: 'low' | 'medium' | 'high' | 'critical';
}

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
/** Detector exceptions (`detectors`) past their `expires` by the function's clock, emitted every batch: nonzero means the configuration needs a renewal or a removal. */
export const EXPIRED_EXCEPTIONS_METRIC = 'ExpiredExceptions';
/** Age in seconds of the published allow-list copy (`allowedCidrsSource`) a batch ran with; its alarm watches the maximum. */
export const ALLOWED_CIDRS_AGE_METRIC = 'AllowedCidrsAgeSeconds';
/** 1 for a batch that ran without a copy of the published allow-list although one is configured (`allowedCidrs` alone applied); its alarm fires on it. */
export const ALLOWED_CIDRS_UNAVAILABLE_METRIC = 'AllowedCidrsUnavailable';
/** Reads of the published allow-list that changed it (a block added, removed or moved between groups). */
export const ALLOWED_CIDRS_CHANGES_METRIC = 'AllowedCidrsChanges';
