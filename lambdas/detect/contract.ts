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
/** Reads of the customer registry that failed or found nothing usable (the last good copy was kept). */
export const CUSTOMER_REGISTRY_READ_FAILURES_METRIC = 'CustomerRegistryReadFailures';
/** Reads of the published allow-list that failed or found nothing usable (the last good copy was kept). */
export const ALLOWED_CIDRS_READ_FAILURES_METRIC = 'AllowedCidrsReadFailures';

/**
 * The counters every batch emits, zero included, with the `service` dimension alone (the
 * operations dashboard graphs them by these names).
 */
export const BATCH_METRICS = {
  /** SQS messages in the batch. */
  messagesReceived: 'MessagesReceived',
  /** Messages holding a record that could not be parsed: retried, then kept in the dead-letter queue. */
  messagesRejected: 'MessagesRejected',
  /** Calls the detectors looked at. */
  eventsRelevant: 'EventsRelevant',
  /** Calls of no interest (another role's, a service's), and records that were not calls. */
  eventsIgnored: 'EventsIgnored',
  /** Calls seen before (SQS and EventBridge deliver at least once). */
  eventsDuplicate: 'EventsDuplicate',
  /** Findings of every detector, before suppression and severity floors. */
  findings: 'Findings',
  /** Alerts every destination took. */
  alertsPublished: 'AlertsPublished',
  /** Alerts not sent again within `suppressionMinutes` of the same one. */
  alertsSuppressed: 'AlertsSuppressed',
  /** Findings a detector exception covered. */
  exemptedFindings: 'ExemptedFindings',
  /** Alerts an earlier, interrupted invocation had reserved, sent by this one. */
  alertsRecovered: 'AlertsRecovered',
  /** Alerts another live invocation holds (their messages are retried). */
  alertsHeldElsewhere: 'AlertsHeldElsewhere',
  /** Alerts a destination refused (their messages are retried). */
  alertsPublishFailed: 'AlertsPublishFailed',
  /** 1 for a batch that failed as a whole (the state table or the ledger unreachable); emitted only then. */
  batchFailures: 'BatchFailures',
  /** DynamoDB read request units the batch consumed. */
  readRequestUnits: 'ReadRequestUnits',
  /** DynamoDB write request units the batch consumed. */
  writeRequestUnits: 'WriteRequestUnits',
} as const;

/** The dimension, beside `service`, of {@link DETECTOR_METRICS}: a detector's id (one of {@link DETECTOR_IDS}). */
export const DETECTOR_DIMENSION = 'detector';
/** Per-detector counters, emitted for the detectors that had any in the batch. */
export const DETECTOR_METRICS = {
  findings: 'DetectorFindings',
  alerts: 'DetectorAlerts',
  exemptedFindings: 'DetectorExemptedFindings',
} as const;
/** The values of {@link DETECTOR_DIMENSION}. */
export { DETECTOR_IDS } from '../core/detector-ids';

/** Alerts one destination refused in a batch, with the dimension {@link DESTINATION_DIMENSION}; emitted only then. */
export const DESTINATION_REFUSALS_METRIC = 'DestinationRefusals';
/** The dimension, beside `service`, of {@link DESTINATION_REFUSALS_METRIC}: the destination's name. */
export const DESTINATION_DIMENSION = 'destination';
/** The names of the alert destinations, as {@link DESTINATION_DIMENSION} carries them. */
export const DESTINATIONS = {
  sns: 'sns',
  eventBridge: 'eventbridge',
  securityHub: 'securityhub',
} as const;

/** The name of the chat destination of one severity threshold: one per chat topic, not per channel. */
export function chatDestination(minSeverity: ChatTopicSetting['minSeverity']): string {
  return `chat-${minSeverity}`;
}
