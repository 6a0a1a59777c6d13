/**
 * The EventBridge rules that pick the watched CloudTrail calls off the default bus, shared by
 * the pipeline (target: its queue) and the forwarders (target: the home region's bus).
 */
import * as events from 'aws-cdk-lib/aws-events';
import type { Construct } from 'constructs';
import { ASSUME_ROLE_EVENT_NAMES, AWS_EVENT_SOURCE_PREFIX, CLOUDTRAIL_DETAIL_TYPE } from '../../lambdas/core/types';

/** The detail-type EventBridge gives CloudTrail API calls (defined in core: the parser checks it too). */
export { CLOUDTRAIL_DETAIL_TYPE };

/**
 * AssumeRole records are read-only management events; a rule in the plain `ENABLED` state never
 * receives those, only one in this state does.
 */
export const ALL_MANAGEMENT_EVENTS_STATE = 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';

/** Every AssumeRole-family call in the account: into the outbound role, out of it, and the rest (the silence alarm counts them). */
export function assumeRolePattern(): events.EventPattern {
  return {
    source: ['aws.sts'],
    detailType: [CLOUDTRAIL_DETAIL_TYPE],
    detail: { eventName: [...ASSUME_ROLE_EVENT_NAMES] },
  };
}

/**
 * Any other call made by a session of a monitored role (session-locations counts every call).
 * AssumeRole calls are excluded so that no event matches both rules and is delivered twice.
 * Only AWS sources: anyone allowed `events:PutEvents` can put an event with this detail-type and
 * any detail on the bus, but not with a source beginning "aws." (EventBridge User Guide, Event
 * structure reference: "Customer-generated events can have any value here, as long as it doesn't
 * begin with 'aws.'", https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html).
 * The AssumeRole rule's `aws.sts` is such a source already.
 */
export function sessionActivityPattern(monitoredRoleArns: readonly string[]): events.EventPattern {
  return {
    source: events.Match.prefix(AWS_EVENT_SOURCE_PREFIX),
    detailType: [CLOUDTRAIL_DETAIL_TYPE],
    detail: {
      eventName: [{ 'anything-but': [...ASSUME_ROLE_EVENT_NAMES] }],
      userIdentity: { sessionContext: { sessionIssuer: { arn: monitoredRoleArns.map(arnMatcher) } } },
    },
  };
}

/**
 * An engine ARN pattern as an EventBridge matcher: exact ARNs as they are, patterns as
 * `wildcard` (EventBridge knows `*` only, so `?` widens to `*`; the engine narrows again).
 */
function arnMatcher(pattern: string): string | { wildcard: string } {
  return pattern.includes('*') || pattern.includes('?') ? { wildcard: pattern.replace(/\?/g, '*') } : pattern;
}

/** An EventBridge rule on the default bus in the state that receives read-only management events. */
export class CloudTrailRule extends events.Rule {
  constructor(scope: Construct, id: string, props: events.RuleProps) {
    super(scope, id, props);
    // The L2 only knows ENABLED/DISABLED.
    (this.node.defaultChild as events.CfnRule).state = ALL_MANAGEMENT_EVENTS_STATE;
  }
}

/** The two rules every region needs, with the same targets. */
export function createCloudTrailRules(
  scope: Construct,
  monitoredRoleArns: readonly string[],
  targets: readonly events.IRuleTarget[],
  names: { readonly assumeRole?: string; readonly sessionActivity?: string } = {},
): { readonly assumeRole: CloudTrailRule; readonly sessionActivity: CloudTrailRule } {
  const assumeRole = new CloudTrailRule(scope, 'AssumeRoleRule', {
    ruleName: names.assumeRole,
    description: 'assumerole-watch: every sts:AssumeRole* call recorded by CloudTrail',
    eventPattern: assumeRolePattern(),
    targets: [...targets],
  });
  const sessionActivity = new CloudTrailRule(scope, 'SessionActivityRule', {
    ruleName: names.sessionActivity,
    description: 'assumerole-watch: any other call made by a monitored role\'s session',
    eventPattern: sessionActivityPattern(monitoredRoleArns),
    targets: [...targets],
  });
  return { assumeRole, sessionActivity };
}
