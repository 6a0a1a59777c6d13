/**
 * The package's entry (`import { AssumeRoleWatch } from 'assumerole-watch'`): the reusable parts
 * of assumerole-watch for a vendor's own CDK app: the pipeline construct, the stacks, the
 * configuration checks, and the choices the props take.
 */
export { AssumeRoleWatch, type AssumeRoleWatchAlarms, type AssumeRoleWatchProps, type RoleRecheckOptions, ASSUME_ROLE_EVENTS_METRIC, FUNCTION_RUNTIME, METRICS_NAMESPACE, METRICS_SERVICE } from './constructs/assume-role-watch';
export { CONFIG_KEYS, resolveConfig, type ConfigKeySpec, type EngineConfig } from '../lambdas/core/config';
export { handlerBundlePath, HANDLER_BUNDLE_DIR } from './handler-asset';
export { OperationsDashboard, type OperationsDashboardProps } from './constructs/operations-dashboard';
export { ALL_MANAGEMENT_EVENTS_STATE, assumeRolePattern, CloudTrailRule, createCloudTrailRules, sessionActivityPattern } from './constructs/cloudtrail-rules';
export { ManagementEventsTrail, type ManagementEventsTrailProps } from './constructs/management-events-trail';
export { createTopicKey, NotificationTopic, type NotificationTopicProps } from './constructs/notification-topic';
export { HomeStack, type HomeStackProps } from './home-stack';
export { FORWARD_RULE_NAMES, ForwarderStack, type ForwarderStackProps } from './forwarder-stack';
export { buildStacks, HOME_STACK_NAME, type AssumeRoleWatchStacks } from './app';
export { AlarmDestination, AlertEventDetail, AlertSeverity, ConfigError, DEPLOY_KEYS, loadAppConfig, type AppConfig, type ChatChannel, type DeploymentConfig, type EmailSubscriber, type HttpsSubscriber } from './config';
