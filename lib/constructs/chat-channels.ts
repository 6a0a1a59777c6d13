/**
 * Chat channels fed by AWS's chat integration (Amazon Q Developer in chat applications): a topic
 * per distinct severity threshold, since the integration subscribes to a whole topic with no
 * filter of its own, and per channel a configuration reading its threshold's topic.
 */
import * as chatbot from 'aws-cdk-lib/aws-chatbot';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import type { Severity } from '../../lambdas/core/types';
import { chatThresholds, type ChatChannel } from '../config';
import { NotificationTopic } from './notification-topic';

/**
 * The chat topics (by threshold) and the channels' role, created in `scope`. The role has no
 * permission and the guardrail denies everything: a channel only receives alerts, nobody runs
 * AWS commands from it. No channel: nothing is created.
 */
export function createChatChannels(scope: Construct, key: kms.IKey, channels: readonly ChatChannel[]): { topics: Map<Severity, sns.Topic>; role: iam.Role | undefined } {
  const topics = new Map<Severity, sns.Topic>();
  if (channels.length === 0) return { topics, role: undefined };
  for (const severity of chatThresholds(channels)) {
    topics.set(severity, new NotificationTopic(scope, `ChatTopic${severity[0]!.toUpperCase()}${severity.slice(1)}`, {
      key,
      displayName: `assumerole-watch chat: ${severity} alerts and above`,
    }).topic);
  }
  const role = new iam.Role(scope, 'ChatRole', {
    assumedBy: new iam.ServicePrincipal('chatbot.amazonaws.com'),
    description: 'assumerole-watch chat channels: notifications only, no AWS permission',
  });
  const denyAll = iam.ManagedPolicy.fromAwsManagedPolicyName('AWSDenyAll');
  for (const channel of channels) {
    const topic = topics.get(channel.minSeverity ?? 'low')!;
    if (channel.slackWorkspaceId !== undefined) {
      new chatbot.SlackChannelConfiguration(scope, `Slack${channel.name}`, {
        slackChannelConfigurationName: channel.name,
        slackWorkspaceId: channel.slackWorkspaceId,
        slackChannelId: channel.slackChannelId!,
        notificationTopics: [topic],
        role,
        guardrailPolicies: [denyAll],
        userRoleRequired: false,
      });
    } else {
      new chatbot.CfnMicrosoftTeamsChannelConfiguration(scope, `Teams${channel.name}`, {
        configurationName: channel.name,
        teamId: channel.teamsTeamId!,
        teamsChannelId: channel.teamsChannelId!,
        teamsTenantId: channel.teamsTenantId!,
        iamRoleArn: role.roleArn,
        snsTopicArns: [topic.topicArn],
        guardrailPolicies: [denyAll.managedPolicyArn],
        userRoleRequired: false,
      });
    }
  }
  return { topics, role };
}
