/**
 * The reusable parts of assumerole-watch for a vendor's own CDK app: the pipeline construct,
 * the stacks, and the configuration loader.
 */
export { AssumeRoleWatch, type AssumeRoleWatchAlarms, type AssumeRoleWatchProps, ASSUME_ROLE_EVENTS_METRIC, FUNCTION_RUNTIME, METRICS_NAMESPACE, METRICS_SERVICE } from './constructs/assume-role-watch';
export { OperationsDashboard, type OperationsDashboardProps } from './constructs/operations-dashboard';
export { ALL_MANAGEMENT_EVENTS_STATE, assumeRolePattern, CloudTrailRule, createCloudTrailRules, sessionActivityPattern } from './constructs/cloudtrail-rules';
export { ManagementEventsTrail, type ManagementEventsTrailProps } from './constructs/management-events-trail';
export { createTopicKey, NotificationTopic, type NotificationTopicProps } from './constructs/notification-topic';
export { HomeStack, type HomeStackProps } from './home-stack';
export { FORWARD_RULE_NAMES, ForwarderStack, type ForwarderStackProps } from './forwarder-stack';
export { buildStacks, HOME_STACK_NAME, type AssumeRoleWatchStacks } from './app';
export { AlarmDestination, AlertEventDetail, AlertSeverity, ConfigError, DEPLOY_KEYS, loadAppConfig, type AppConfig, type ChatChannel, type DeploymentConfig, type EmailSubscriber, type HttpsSubscriber } from './config';
