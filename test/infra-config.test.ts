/**
 * Deployment configuration (lib/config.ts): every key's invalid forms, `-c` string conversion,
 * defaults, and one real synthesis failing on a bad value. No synthesis except that one.
 */
import { DEPLOY_KEY_NAMES } from '../lambdas/core/context-keys';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFIG_KEYS } from '../lambdas/core/config';
import { ConfigError, DEPLOY_KEYS, loadAppConfig, type AppConfig } from '../lib/config';
import { LAMBDA_ENVIRONMENT_LIMIT_BYTES } from '../lib/lambda-environment';
import { cdkJsonContext, ROOT } from './support/infra';

const MINIMAL = { monitoredRoleArns: ['arn:aws:iam::210987654321:role/outbound-*'], homeRegion: 'eu-west-1' };

function problemsOf(context: Record<string, unknown>, cli = {}): string[] {
  try {
    loadAppConfig(context, cli);
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  return [];
}

describe('deployment configuration', () => {
  it('accepts cdk.json\'s example context as it is', () => {
    // Given the context `npx cdk synth` reads
    const config = loadAppConfig(cdkJsonContext());
    // Then it names the bastion account, home first in the regions, and no warning
    expect(config.deployment).toMatchObject({ account: '210987654321', homeRegion: 'eu-west-1', regions: ['eu-west-1', 'us-east-1'] });
    expect(config.warnings).toEqual([]);
  });

  it('fills every deployment key with its documented default', () => {
    // Given only the required keys
    const { deployment } = loadAppConfig(MINIMAL);
    // Then the rest are the spec table's defaults (regions: the home region alone)
    for (const spec of DEPLOY_KEYS) {
      if (spec.name === 'account' || spec.name === 'homeRegion' || spec.name === 'regions') continue;
      expect([spec.name, deployment[spec.name]]).toEqual([spec.name, spec.default]);
    }
    expect(deployment.account).toBeUndefined();
    expect(deployment.regions).toEqual(['eu-west-1']);
    expect(Object.keys(deployment).sort()).toEqual(DEPLOY_KEYS.map((k) => k.name).sort());
  });

  it('takes account and home region from the CDK CLI when the context has none', () => {
    const { deployment } = loadAppConfig({ monitoredRoleArns: MINIMAL.monitoredRoleArns }, { account: '111122223333', region: 'ap-southeast-2' });
    expect([deployment.account, deployment.homeRegion]).toEqual(['111122223333', 'ap-southeast-2']);
  });

  it('requires a home region when neither the context nor the CLI has one', () => {
    expect(problemsOf({ monitoredRoleArns: MINIMAL.monitoredRoleArns })).toEqual(['homeRegion: required (the CLI has no default region); expected region like eu-west-1']);
  });

  it.each([
    ['account', '1234', 'account: "1234" is not an account ID; expected 12-digit account ID | null'],
    ['account', true, 'account: true is not an account ID'],
    ['homeRegion', 'europe', 'homeRegion: "europe" is not a region (like eu-west-1); expected region'],
    ['homeRegion', 5, 'homeRegion: 5 is not a region'],
    ['regions', 'eu-west-1,mars', 'regions[1]: "mars" is not a region (like eu-west-1)'],
    ['regions', 42, 'regions: 42 is not a list of regions; expected region[]'],
    ['regions', '{"eu": 1}', 'regions: "{\\"eu\\": 1}" is not a list of regions'],
    ['alertEmails', 'soc-at-example.com', 'alertEmails[0]: "soc-at-example.com" is not an e-mail address'],
    ['alertEmails', [{ email: 'soc@example.com', minSeverity: 'urgent' }], 'alertEmails[0].minSeverity: "urgent" is not a severity; expected low|medium|high|critical'],
    ['alertEmails', [{ mail: 'soc@example.com' }], 'alertEmails[0]: unknown field "mail"; expected {email, minSeverity}'],
    ['alertEmails', [{ minSeverity: 'high' }], 'alertEmails[0]: {"minSeverity":"high"} has no "email"; expected {email, minSeverity}'],
    ['alertEmails', [7], 'alertEmails[0]: 7 is neither an e-mail address nor {email, minSeverity}'],
    ['alertEmails', ['soc@example.com', { email: 'SOC@example.com', minSeverity: 'high' }], 'alertEmails[1]: "SOC@example.com" is already alertEmails[0]; expected each address once'],
    ['alertEmails', 5, 'alertEmails: 5 is not a list; expected (e-mail | {email, minSeverity})[]'],
    ['alertHttpsEndpoints', 'http://hooks.example.com/x', 'alertHttpsEndpoints[0]: "http://hooks.example.com/x" is not an https:// URL'],
    ['alertHttpsEndpoints', ['https://hooks.example.com/a', 'https://hooks.example.com/a'], 'alertHttpsEndpoints[1]: "https://hooks.example.com/a" is already alertHttpsEndpoints[0]'],
    ['alertHttpsEndpoints', [{ endpoint: 'hooks' }], 'alertHttpsEndpoints[0].endpoint: "hooks" is not an https:// URL'],
    ['alertHttpsEndpoints', [{ endpoint: 'https://hooks.example.com', minSeverity: 'loud' }], 'alertHttpsEndpoints[0].minSeverity: "loud" is not a severity'],
    ['alarmTopic', 'pager', 'alarmTopic: "pager" is not one of the choices; expected ops | alert'],
    ['opsEmails', 'ops', 'opsEmails[0]: "ops" is not an e-mail address'],
    ['opsEmails', 'ops@example.com,ops@example.com', 'opsEmails[1]: "ops@example.com" is already opsEmails[0]'],
    ['opsEmails', [1], 'opsEmails: [1] is not a list of e-mail addresses; expected e-mail[]'],
    ['createTrail', 'yes', 'createTrail: "yes" is not true or false; expected boolean'],
    ['trailRetentionDays', 0, 'trailRetentionDays: 0 is out of range 1..3653; expected integer'],
    ['batchSize', 'abc', 'batchSize: "abc" is not a number; expected integer'],
    ['batchSize', 0, 'batchSize: 0 is out of range 1..10000; expected integer'],
    ['batchSize', 2.5, 'batchSize: 2.5 is not a whole number; expected integer'],
    ['maxBatchingWindowSeconds', 301, 'maxBatchingWindowSeconds: 301 is out of range 0..300; expected integer'],
    ['reservedConcurrency', 1, 'reservedConcurrency: 1 is out of range 2..1000; expected integer | null'],
    ['reservedConcurrency', 'lots', 'reservedConcurrency: "lots" is not a number'],
    ['lambdaMemoryMb', 64, 'lambdaMemoryMb: 64 is out of range 128..10240; expected integer'],
    ['lambdaTimeoutSeconds', 901, 'lambdaTimeoutSeconds: 901 is out of range 5..900; expected integer'],
    ['maxReceiveCount', 0, 'maxReceiveCount: 0 is out of range 1..1000; expected integer'],
    ['logRetentionDays', 10, 'logRetentionDays: 10 is not a retention period CloudWatch Logs accepts; expected 1|3|5|7|14|30|60|90'],
    ['logRetentionDays', 'month', 'logRetentionDays: "month" is not a number'],
    ['silenceAlarmHours', 169, 'silenceAlarmHours: 169 is out of range 1..168; expected integer'],
    ['silenceAlarmHours', 'six', 'silenceAlarmHours: "six" is not a number; expected integer'],
    ['oldestMessageAlarmMinutes', 0, 'oldestMessageAlarmMinutes: 0 is out of range 1..20160; expected integer'],
    ['redriveRoleArns', 'arn:aws:iam::210987654321:user/ops', 'redriveRoleArns[0]: "arn:aws:iam::210987654321:user/ops" is not an IAM role ARN (like arn:aws:iam::111122223333:role/redrive)'],
    ['redriveRoleArns', { role: 'ops' }, 'redriveRoleArns: {"role":"ops"} is not a list of role ARNs; expected IAM role ARN[]'],
    ['alertEventBus', 'soc bus', 'alertEventBus: "soc bus" is not an event bus name (letters, digits, . - _ /) or an event bus ARN'],
    ['alertEventBus', 'arn:aws:events:eu-west-1:210987654321:rule/x', 'alertEventBus: "arn:aws:events:eu-west-1:210987654321:rule/x" is not an event bus name'],
    ['alertEventBus', 'arn:aws:events:us-east-1:210987654321:event-bus/soc', 'alertEventBus: "arn:aws:events:us-east-1:210987654321:event-bus/soc" is in us-east-1, not in homeRegion eu-west-1'],
    ['alertEventBus', 7, 'alertEventBus: 7 is not a bus name or ARN; expected default | event bus name | event bus ARN | null'],
    ['alertEventDetail', 'asff', 'alertEventDetail: "asff" is not one of the choices; expected record | ocsf'],
    ['securityHub', 'on', 'securityHub: "on" is not true or false; expected boolean'],
    ['chatChannels', [{ name: 'soc', slackWorkspaceId: 'T0123ABCD' }], 'chatChannels[0].slackChannelId: missing; expected a Slack channel ID (like C0123ABCD)'],
    ['chatChannels', [{ name: 'soc', slackWorkspaceId: 't0123', slackChannelId: 'C0123ABCD' }], 'chatChannels[0].slackWorkspaceId: "t0123" is not a Slack workspace ID (like T0123ABCD)'],
    ['chatChannels', [{ name: 'soc alerts', slackWorkspaceId: 'T0123ABCD', slackChannelId: 'C0123ABCD' }], 'chatChannels[0].name: "soc alerts" is not a configuration name; expected 1 to 128 letters, digits, - and _'],
    ['chatChannels', [{ name: 'soc', slackWorkspaceId: 'T0123ABCD', slackChannelId: 'C0123ABCD', minSeverity: 'urgent' }], 'chatChannels[0].minSeverity: "urgent" is not a severity; expected low|medium|high|critical'],
    ['chatChannels', [{ name: 'soc', slackWorkspaceId: 'T0123ABCD', slackChannelId: 'C0123ABCD', minSeverty: 'high' }], 'chatChannels[0]: unknown field "minSeverty" (did you mean "minSeverity"?)'],
    ['chatChannels', [{ name: 'soc' }], 'chatChannels[0]: neither a Slack nor a Teams channel; expected slackWorkspaceId and slackChannelId, or teamsTeamId, teamsChannelId and teamsTenantId'],
    ['chatChannels', [{ name: 'soc', slackWorkspaceId: 'T0123ABCD', slackChannelId: 'C0123ABCD', teamsTeamId: '74361522-da01-538d-aa2e-ac7918c6bb92' }], 'chatChannels[0]: both a Slack and a Teams channel'],
    ['chatChannels', [{ name: 'soc', teamsTeamId: '74361522-da01-538d-aa2e-ac7918c6bb92', teamsChannelId: '19:abc@thread.tacv2', teamsTenantId: '11111111-2222-3333-4444-555555555555' }], 'chatChannels[0].teamsChannelId: "19:abc@thread.tacv2" is not a URL-encoded Teams channel ID'],
    ['chatChannels', [{ name: 'soc', teamsTeamId: 'team', teamsChannelId: '19%3aabc%40thread.tacv2', teamsTenantId: '11111111-2222-3333-4444-555555555555' }], 'chatChannels[0].teamsTeamId: "team" is not a Teams team ID (a UUID)'],
    ['chatChannels', [{ name: 'soc', slackWorkspaceId: 'T01', slackChannelId: 'C01' }, { name: 'soc', slackWorkspaceId: 'T01', slackChannelId: 'C02' }], 'chatChannels[1]: "soc" is already chatChannels[0]; expected each name once'],
    ['chatChannels', 'soc', 'chatChannels[0]: "soc" is not an object'],
    ['roleRecheckSchedule', 'rate(5 minutes)', 'roleRecheckSchedule: "rate(5 minutes)" runs more often than hourly (every run shows in every customer\'s CloudTrail); expected rate(…) | cron(…) | null'],
    ['roleRecheckSchedule', 'cron(*/10 * * * ? *)', 'roleRecheckSchedule: "cron(*/10 * * * ? *)" runs more often than hourly'],
    ['roleRecheckSchedule', 'rate(1 days)', 'roleRecheckSchedule: "rate(1 days)" is not a rate EventBridge accepts (the unit is singular for 1, plural otherwise)'],
    ['roleRecheckSchedule', 'cron(0 6 * * * *)', 'roleRecheckSchedule: "cron(0 6 * * * *)" is not a cron expression EventBridge accepts (one of day-of-month and day-of-week must be ?)'],
    ['roleRecheckSchedule', 'daily', 'roleRecheckSchedule: "daily" is not an EventBridge schedule expression (rate(1 day), cron(0 6 * * ? *))'],
    ['roleRecheckSchedule', 24, 'roleRecheckSchedule: 24 is not a schedule expression'],
    ['roleRecheckOutboundRoleArn', 'arn:aws:iam::210987654321:user/outbound', 'roleRecheckOutboundRoleArn: "arn:aws:iam::210987654321:user/outbound" is not an IAM role ARN (like arn:aws:iam::111122223333:role/outbound); expected IAM role ARN | null'],
  ])('rejects %s = %j naming the key and the expected form', (key, value, message) => {
    // Given one bad value
    const problems = problemsOf({ ...MINIMAL, [key]: value });
    // Then exactly one problem, naming the key
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(message);
  });

  it('accepts the destinations in each of their forms', () => {
    // Given the default bus, a bus ARN in the home region, OCSF details, Security Hub and a Slack and a Teams channel
    const slack = { name: 'soc-high', slackWorkspaceId: 'T0123ABCD', slackChannelId: 'C0123ABCD', minSeverity: 'high' };
    const teams = { name: 'soc-teams', teamsTeamId: '74361522-da01-538d-aa2e-ac7918c6bb92', teamsChannelId: '19%3ab6ef35dc342d56ba5654e6fc6d25a071%40thread.tacv2', teamsTenantId: '11111111-2222-3333-4444-555555555555' };
    const onDefault = loadAppConfig({ ...MINIMAL, alertEventBus: 'default', alertEventDetail: 'ocsf', securityHub: 'true', chatChannels: JSON.stringify([slack, teams]) }).deployment;
    const onArn = loadAppConfig({ ...MINIMAL, alertEventBus: 'arn:aws:events:eu-west-1:111122223333:event-bus/soc-alerts' }).deployment;
    // Then each is kept as given
    expect(onDefault).toMatchObject({ alertEventBus: 'default', alertEventDetail: 'ocsf', securityHub: true, chatChannels: [slack, teams] });
    expect(onArn.alertEventBus).toBe('arn:aws:events:eu-west-1:111122223333:event-bus/soc-alerts');
  });

  it.each(['rate(1 day)', 'rate(12 hours)', 'rate(1 hour)', 'rate(60 minutes)', 'cron(0 6 * * ? *)', 'cron(30 7 ? * MON-FRI *)'])('accepts the re-check schedule %s with its outbound role and a registry', (schedule) => {
    // Given a schedule, a monitored outbound role and a registry
    const { deployment } = loadAppConfig({ ...MINIMAL, customerRegistry: 's3://exports/customers.jsonl', roleRecheckSchedule: schedule, roleRecheckOutboundRoleArn: 'arn:aws:iam::210987654321:role/outbound-eu' });
    // Then both are kept
    expect(deployment).toMatchObject({ roleRecheckSchedule: schedule, roleRecheckOutboundRoleArn: 'arn:aws:iam::210987654321:role/outbound-eu' });
  });

  it('warns about an outbound role for the re-check without its schedule', () => {
    const { warnings } = loadAppConfig({ ...MINIMAL, roleRecheckOutboundRoleArn: 'arn:aws:iam::210987654321:role/outbound-eu' });
    expect(warnings).toContain('roleRecheckOutboundRoleArn is set but roleRecheckSchedule is null: no re-check runs');
  });

  it('names the same deployment keys in the runtime\'s list (replay refuses any other key of a cdk.json) as in their specification', () => {
    expect([...DEPLOY_KEY_NAMES].sort()).toEqual(DEPLOY_KEYS.map((k) => k.name).sort());
  });

  it('has invalid-form cases for every deployment key', () => {
    // Keeps the table above complete as keys are added.
    const tested = new Set(['account', 'homeRegion', 'regions', 'alertEmails', 'alertHttpsEndpoints', 'alarmTopic', 'opsEmails', 'createTrail', 'trailRetentionDays', 'batchSize',
      'maxBatchingWindowSeconds', 'reservedConcurrency', 'lambdaMemoryMb', 'lambdaTimeoutSeconds', 'maxReceiveCount', 'logRetentionDays', 'silenceAlarmHours', 'oldestMessageAlarmMinutes', 'redriveRoleArns',
      'alertEventBus', 'alertEventDetail', 'securityHub', 'chatChannels', 'roleRecheckSchedule', 'roleRecheckOutboundRoleArn']);
    expect(DEPLOY_KEYS.map((k) => k.name).filter((k) => !tested.has(k))).toEqual([]);
  });

  it('refuses a batch over 10 without a batching window', () => {
    expect(problemsOf({ ...MINIMAL, batchSize: 50, maxBatchingWindowSeconds: 0 })).toEqual([
      'batchSize: 50 needs maxBatchingWindowSeconds of at least 1 (SQS delivers more than 10 messages only with a batching window); expected at most 10, or set a window',
    ]);
  });

  it('converts the strings that `cdk -c key=value` passes', () => {
    // Given every kind of deployment key as a string
    const { deployment } = loadAppConfig({
      ...MINIMAL,
      account: '111122223333',
      regions: 'us-east-1, eu-west-1',
      alertEmails: 'soc@example.com, oncall@example.com',
      alertHttpsEndpoints: '[{"endpoint": "https://hooks.example.com/x", "minSeverity": "critical"}]',
      opsEmails: '["ops@example.com"]',
      alarmTopic: 'alert',
      createTrail: 'true',
      batchSize: '10',
      maxBatchingWindowSeconds: '0',
      reservedConcurrency: 'none',
      logRetentionDays: '365',
      redriveRoleArns: 'arn:aws:iam::111122223333:role/ops/redrive',
    });
    // Then each has its type, the home region first
    expect(deployment).toMatchObject({
      account: '111122223333',
      regions: ['eu-west-1', 'us-east-1'],
      alertEmails: [{ email: 'soc@example.com' }, { email: 'oncall@example.com' }],
      alertHttpsEndpoints: [{ endpoint: 'https://hooks.example.com/x', minSeverity: 'critical' }],
      opsEmails: ['ops@example.com'],
      alarmTopic: 'alert',
      createTrail: true,
      batchSize: 10,
      maxBatchingWindowSeconds: 0,
      reservedConcurrency: null,
      logRetentionDays: 365,
      redriveRoleArns: ['arn:aws:iam::111122223333:role/ops/redrive'],
    });
  });

  it('reports every invalid key at once, detection and deployment keys alike', () => {
    const problems = problemsOf({ ...MINIMAL, volumeMaxCalls: 0, batchSize: 'abc', alarmTopic: 'pager' });
    expect(problems).toEqual([
      'volumeMaxCalls: 0 is out of range 1..10000000; expected integer',
      'alarmTopic: "pager" is not one of the choices; expected ops | alert',
      'batchSize: "abc" is not a number; expected integer',
    ]);
  });

  it('suggests the intended name for a misspelt key of either set', () => {
    expect(problemsOf({ ...MINIMAL, batchSze: 10, volumeMaxCall: 5, frobnicate: 1 })).toEqual([
      'batchSze: unknown key (did you mean "batchSize"?)',
      'volumeMaxCall: unknown key (did you mean "volumeMaxCalls"?)',
      'frobnicate: unknown key',
    ]);
  });

  it('ignores CDK\'s own context keys', () => {
    // Given feature flags, CLI keys and a cached lookup
    const context = {
      ...MINIMAL,
      '@aws-cdk/aws-iam:minimizePolicies': true,
      'aws:cdk:bundling-stacks': [],
      'acknowledged-issue-numbers': [1234],
      'availability-zones:account=111122223333:region=eu-west-1': ['eu-west-1a'],
    };
    // Then nothing is reported
    expect(problemsOf(context)).toEqual([]);
  });

  it('validates the detection keys with the engine\'s own rules', () => {
    // Then a detection key error reads exactly as the engine and replay report it
    expect(problemsOf({ ...MINIMAL, allowedCidrs: ['10.0.0.0/33'] })).toEqual(['allowedCidrs[0]: "10.0.0.0/33" is not a CIDR (like 203.0.113.0/24 or 2001:db8::/48)']);
    expect(CONFIG_KEYS.filter((k) => DEPLOY_KEYS.some((d) => (d.name as string) === k.name))).toEqual([]);
  });

  it('refuses a detection configuration too large for the function\'s environment', () => {
    // Given 120 monitored roles with long names
    const monitoredRoleArns = Array.from({ length: 120 }, (_, i) => `arn:aws:iam::210987654321:role/outbound-integration-role-${i}`);
    // Then synthesis would fail, naming the variable, the limit and the largest key
    const problems = problemsOf({ ...MINIMAL, monitoredRoleArns });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^DETECTION_CONFIG: .* of Lambda's ${LAMBDA_ENVIRONMENT_LIMIT_BYTES} bytes; shorten the largest keys \\(monitoredRoleArns`));
  });

  it('warns about detector exceptions that have ended or end within two weeks, by the clock it is given', () => {
    // Given three exceptions: ended, ending in ten days, ending in a year
    const now = Date.parse('2026-12-01T00:00:00Z');
    const exception = (id: string, expires: string) => ({ id, principal: 'arn:aws:iam::210987654321:role/ci-*', reason: 'CI assumes it nightly', expires });
    const detectors = { 'unexpected-caller': { exceptions: [exception('ended', '2026-11-30'), exception('soon', '2026-12-11T00:00:00Z'), exception('later', '2027-12-01')] } };
    // When the app's configuration is loaded
    const { warnings } = loadAppConfig({ ...cdkJsonContext(), detectors }, { now });
    // Then the ended and the soon-ending ones are named, the later one is not
    expect(warnings).toEqual([
      'detectors.unexpected-caller: exception "ended" ended 2026-11-30 and no longer applies: remove it, or renew it with a new end and reason',
      'detectors.unexpected-caller: exception "soon" ends 2026-12-11T00:00:00Z, within 14 days: its alerts return then unless it is renewed',
    ]);
  });

  it('warns about settings that leave alerts or alarms unheard, or the global endpoint unwatched', () => {
    const config: AppConfig = loadAppConfig({ ...MINIMAL, regions: ['eu-west-1'] });
    expect(config.warnings).toEqual([
      'alertEmails, alertHttpsEndpoints and chatChannels are empty, and neither alertEventBus nor securityHub is set: alerts reach nobody until something subscribes to the alert topic',
      'opsEmails is empty: the alarms (silence, dead-letter queues, errors) notify a topic nobody is subscribed to',
      'regions does not include us-east-1: calls through the global STS endpoint (sts.amazonaws.com) log there and are not watched',
    ]);
  });
});

describe('bin/app.ts', () => {
  it('fails synthesis on a bad -c value with the key and expected form, and no stack trace', () => {
    // Given the CDK CLI's way of passing context (cdk.json plus -c batchSize=abc)
    const outdir = mkdtempSync(join(tmpdir(), 'arw-synth-'));
    try {
      const context = { ...cdkJsonContext(), batchSize: 'abc' };
      // When the app runs as `cdk synth` runs it
      const run = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'bin', 'app.ts')], {
        cwd: ROOT,
        env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify(context), CDK_OUTDIR: outdir },
        encoding: 'utf8',
      });
      // Then it exits non-zero naming the key and the expected form, without a stack trace
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('batchSize: "abc" is not a number; expected integer');
      expect(run.stderr).not.toMatch(/\n\s+at /);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
