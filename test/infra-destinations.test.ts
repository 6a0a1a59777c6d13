/**
 * The stack with every alert destination: an EventBridge bus, Security Hub, a Slack and a Teams
 * channel. Each gets its resources and the function only the narrowest grant for each; without
 * them none of it exists; cdk-nag stays clean.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildApp, logicalId, resourcesOf, roleGrants, type SynthesizedApp } from './support/infra';

const SLACK = { name: 'soc-high', slackWorkspaceId: 'T0123ABCD', slackChannelId: 'C0123ABCD', minSeverity: 'high' };
const SLACK_ALL = { name: 'soc-all', slackWorkspaceId: 'T0123ABCD', slackChannelId: 'C0456EFGH' };
const TEAMS = { name: 'soc-teams', teamsTeamId: '74361522-da01-538d-aa2e-ac7918c6bb92', teamsChannelId: '19%3ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2', teamsTenantId: '11111111-2222-3333-4444-555555555555', minSeverity: 'high' };

/** One exception, so the stack has the alarm on ended ones. */
const EXCEPTIONS = { 'source-ip': { exceptions: [{ id: 'pentest', sourceCidr: '198.51.100.0/24', reason: 'agreed test window', expires: '2099-01-01' }] } };

let built: SynthesizedApp;
let home: Template;
let bare: Template;
let bareBuilt: SynthesizedApp;

/** The function's environment variables. */
function environmentOf(template: Template, app: SynthesizedApp): Record<string, unknown> {
  const fn = template.toJSON().Resources[logicalId(app.stacks.home.pipeline.function)] as { Properties: { Environment: { Variables: Record<string, unknown> } } };
  return fn.Properties.Environment.Variables;
}

beforeAll(() => {
  // Given cdk.json's example configuration with every destination, and without any
  built = buildApp({ alertEventBus: 'soc-alerts', alertEventDetail: 'ocsf', securityHub: true, chatChannels: [SLACK, SLACK_ALL, TEAMS], detectors: EXCEPTIONS }, { validate: false });
  home = Template.fromStack(built.stacks.home);
  bareBuilt = buildApp({}, { validate: false });
  bare = Template.fromStack(bareBuilt.stacks.home);
});

describe('a stack with every alert destination', () => {
  it('lets the function put events on that bus only, import findings for its own product only, and publish to the alert and chat topics only', () => {
    const grants = roleGrants(home, logicalId(built.stacks.home.pipeline.functionRole));
    const bus = grants.filter((g) => g.startsWith('events:'));
    expect(bus).toEqual(['events:PutEvents → arn:aws:events:eu-west-1:210987654321:event-bus/soc-alerts']);
    const hub = grants.filter((g) => g.startsWith('securityhub:'));
    expect(hub).toEqual([`securityhub:BatchImportFindings → ${JSON.stringify({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':securityhub:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':product/', { Ref: 'AWS::AccountId' }, '/default']] })}`]);
    const topics = grants.filter((g) => g.startsWith('sns:')).map((g) => g.replace('sns:Publish → ', ''));
    const pipeline = built.stacks.home.pipeline;
    expect(topics.sort()).toEqual([pipeline.alertTopic, ...pipeline.chatTopics.values()].map((t) => logicalId(t)).sort());
  });

  it('makes one chat topic per severity threshold, each read by the channels of that threshold', () => {
    const pipeline = built.stacks.home.pipeline;
    expect([...pipeline.chatTopics.keys()]).toEqual(['low', 'high']);
    const slack = Object.values(resourcesOf(home, 'AWS::Chatbot::SlackChannelConfiguration')).map((r) => r.Properties!);
    const teams = Object.values(resourcesOf(home, 'AWS::Chatbot::MicrosoftTeamsChannelConfiguration')).map((r) => r.Properties!);
    const topicOf = (p: Record<string, unknown>): string => ((p.SnsTopicArns as { Ref: string }[])[0]!).Ref;
    const high = logicalId(pipeline.chatTopics.get('high')!);
    const low = logicalId(pipeline.chatTopics.get('low')!);
    expect(Object.fromEntries(slack.map((p) => [p.ConfigurationName, topicOf(p)]))).toEqual({ 'soc-high': high, 'soc-all': low });
    expect(teams.map((p) => [p.ConfigurationName, topicOf(p), p.TeamId, p.TeamsChannelId, p.TeamsTenantId])).toEqual([['soc-teams', high, TEAMS.teamsTeamId, TEAMS.teamsChannelId, TEAMS.teamsTenantId]]);
    // And the chat topics are encrypted with the stack's key and take no subscription of ours
    for (const topic of pipeline.chatTopics.values()) {
      const props = (home.toJSON().Resources[logicalId(topic)] as { Properties: Record<string, unknown> }).Properties;
      expect(props.KmsMasterKeyId).toBeDefined();
    }
    expect(Object.values(resourcesOf(home, 'AWS::SNS::Subscription')).filter((s) => [high, low].includes((s.Properties!.TopicArn as { Ref: string }).Ref))).toEqual([]);
  });

  it('gives the chat channels a role with no permission and a guardrail that denies everything', () => {
    const role = built.stacks.home.pipeline.chatRole!;
    expect(roleGrants(home, logicalId(role))).toEqual([]);
    const props = (home.toJSON().Resources[logicalId(role)] as { Properties: Record<string, unknown> }).Properties;
    expect(props.ManagedPolicyArns).toBeUndefined();
    const configs = [...Object.values(resourcesOf(home, 'AWS::Chatbot::SlackChannelConfiguration')), ...Object.values(resourcesOf(home, 'AWS::Chatbot::MicrosoftTeamsChannelConfiguration'))];
    expect(configs).toHaveLength(3);
    for (const c of configs) {
      expect(JSON.stringify(c.Properties!.GuardrailPolicies)).toContain(':iam::aws:policy/AWSDenyAll');
      expect(c.Properties!.UserRoleRequired).toBe(false);
    }
  });

  it('tells the function where each destination is', () => {
    const env = environmentOf(home, built);
    expect(JSON.stringify(env.ALERT_EVENT_BUS)).toContain(':event-bus/soc-alerts');
    expect(env.ALERT_EVENT_DETAIL).toBe('ocsf');
    expect(JSON.stringify(env.SECURITY_HUB_PRODUCT_ARN)).toContain('/default');
    expect(JSON.stringify(env.CHAT_TOPICS)).toContain('minSeverity');
  });

  it('alarms when a detector exception has ended', () => {
    const alarm = built.stacks.home.pipeline.alarms.expiredExceptions!;
    const props = (home.toJSON().Resources[logicalId(alarm)] as { Properties: Record<string, unknown> }).Properties;
    expect(props).toMatchObject({ MetricName: 'ExpiredExceptions', Namespace: 'AssumeRoleWatch', Statistic: 'Maximum', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    expect(bareBuilt.stacks.home.pipeline.alarms.expiredExceptions).toBeUndefined();
  });

  it('passes cdk-nag', () => {
    const report = new AwsSolutionsChecks().validateScope(built.app);
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });
});

describe('a stack without the optional destinations', () => {
  it('has no chat resources, no bus or Security Hub grant and no destination variable', () => {
    expect(Object.keys(resourcesOf(bare, 'AWS::Chatbot::SlackChannelConfiguration'))).toEqual([]);
    expect(Object.keys(resourcesOf(bare, 'AWS::Chatbot::MicrosoftTeamsChannelConfiguration'))).toEqual([]);
    expect(bareBuilt.stacks.home.pipeline.chatTopics.size).toBe(0);
    expect(bareBuilt.stacks.home.pipeline.chatRole).toBeUndefined();
    const grants = roleGrants(bare, logicalId(bareBuilt.stacks.home.pipeline.functionRole));
    expect(grants.filter((g) => g.startsWith('events:') || g.startsWith('securityhub:'))).toEqual([]);
    expect(Object.keys(environmentOf(bare, bareBuilt)).filter((k) => /EVENT_BUS|EVENT_DETAIL|SECURITY_HUB|CHAT/.test(k))).toEqual([]);
  });
});
