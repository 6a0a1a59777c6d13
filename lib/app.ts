/**
 * Creates the stacks of a validated configuration: the home stack and one forwarder per extra
 * region. `bin/app.ts` calls this with the context it read; tests call it directly.
 */
import type { App } from 'aws-cdk-lib';
import type { AppConfig } from './config';
import { ForwarderStack } from './forwarder-stack';
import { HomeStack } from './home-stack';

/** The home stack's name; forwarders are `<name>-Forwarder-<region>`. */
export const HOME_STACK_NAME = 'AssumeRoleWatch';

/** The stacks of one deployment. */
export interface AssumeRoleWatchStacks {
  readonly home: HomeStack;
  readonly forwarders: readonly ForwarderStack[];
}

/** Adds the stacks for `config` to `app`. */
export function buildStacks(app: App, config: AppConfig): AssumeRoleWatchStacks {
  const d = config.deployment;
  const forwarderRegions = d.regions.filter((r) => r !== d.homeRegion);
  const home = new HomeStack(app, HOME_STACK_NAME, {
    env: { account: d.account, region: d.homeRegion },
    description: 'assumerole-watch: detects misuse of the outbound sts:AssumeRole integration role',
    config,
    forwarderRegions,
  });
  // Alarm notifications go to whoever gets the home stack's alarms.
  const alarmEmails = d.alarmTopic === 'ops' ? d.opsEmails.map((email) => ({ email })) : d.alertEmails.map((s) => ({ email: s.email }));
  const alarmHttpsEndpoints = d.alarmTopic === 'ops' ? [] : d.alertHttpsEndpoints.map((s) => ({ endpoint: s.endpoint }));
  const forwarders = forwarderRegions.map((region) => {
    const stack = new ForwarderStack(app, `${HOME_STACK_NAME}-Forwarder-${region}`, {
      env: { account: d.account, region },
      description: `assumerole-watch: forwards ${region}'s CloudTrail AssumeRole events to ${d.homeRegion}`,
      homeRegion: d.homeRegion,
      monitoredRoleArns: config.detection.monitoredRoleArns,
      alarmEmails,
      alarmHttpsEndpoints,
    });
    // The home rules and bus policy first, so nothing forwarded is dropped.
    stack.addStackDependency(home);
    return stack;
  });
  return { home, forwarders };
}
