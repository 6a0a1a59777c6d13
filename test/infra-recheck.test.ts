/**
 * The scheduled re-check of the customer roles (`roleRecheckSchedule`): absent by default; with
 * its keys, a function running the bundle's `recheck.handler` on the schedule, whose role may
 * assume the outbound role and nothing else (besides its logs, the registry object and the alert
 * topic), named to the detectors as a role checker, with an error alarm; cdk-nag stays clean.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from '../lib/config';
import { handlerBundlePath } from '../lib/handler-asset';
import { buildApp, logicalId, resourcesOf, roleGrants, ROOT, type SynthesizedApp } from './support/infra';

const REGISTRY = 's3://vendor-onboarding-exports/registry/customers.jsonl';
const OUTBOUND = 'arn:aws:iam::210987654321:role/outbound-eu';
const RECHECK = { customerRegistry: REGISTRY, roleRecheckSchedule: 'rate(1 day)', roleRecheckOutboundRoleArn: OUTBOUND };

describe('a stack without the re-check (the default)', () => {
  it('has one function, no schedule and no re-check role', () => {
    // Given the example configuration with a registry but no schedule
    const built = buildApp({ customerRegistry: REGISTRY }, { validate: false });
    const home = Template.fromStack(built.stacks.home);
    // Then
    expect(Object.keys(resourcesOf(home, 'AWS::Lambda::Function'))).toHaveLength(1);
    expect(Object.values(resourcesOf(home, 'AWS::Events::Rule')).filter((r) => r.Properties!.ScheduleExpression !== undefined)).toEqual([]);
    expect(built.stacks.home.pipeline.recheckRole).toBeUndefined();
    expect(built.stacks.home.pipeline.alarms.roleRecheck).toBeUndefined();
    expect(Object.keys(home.toJSON().Outputs ?? {})).not.toContain('RoleRecheckRole');
  });
});

describe('a stack with the re-check', () => {
  let built: SynthesizedApp;
  let home: Template;
  beforeAll(() => {
    // Given the example configuration with a registry and a daily re-check through outbound-eu
    built = buildApp(RECHECK, { validate: false });
    home = Template.fromStack(built.stacks.home);
  });

  it('runs the bundle\'s recheck.handler once a day, without Lambda\'s retries', () => {
    const pipeline = built.stacks.home.pipeline;
    const fn = home.toJSON().Resources[logicalId(pipeline.recheckFunction!)] as { Properties: Record<string, any> };
    const detect = home.toJSON().Resources[logicalId(pipeline.function)] as { Properties: Record<string, any> };
    // Then the same asset, another handler
    expect(fn.Properties.Handler).toBe('recheck.handler');
    expect(fn.Properties.Code).toEqual(detect.Properties.Code);
    expect(fn.Properties.Environment.Variables).toMatchObject({ CUSTOMER_REGISTRY: REGISTRY, OUTBOUND_ROLE_ARN: OUTBOUND, ALERT_TOPIC_ARN: { Ref: logicalId(pipeline.alertTopic as never) } });
    home.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 0 });
    // And the schedule targets it
    const rule = home.toJSON().Resources[logicalId(pipeline.recheckRule!)] as { Properties: Record<string, any> };
    expect(rule.Properties.ScheduleExpression).toBe('rate(1 day)');
    expect(rule.Properties.Targets).toEqual([expect.objectContaining({ Arn: { 'Fn::GetAtt': [logicalId(pipeline.recheckFunction!), 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 0 } })]);
  });

  it('lets its role assume the outbound role and nothing else, besides its logs, the registry object and the alert topic', () => {
    const pipeline = built.stacks.home.pipeline;
    const grants = roleGrants(home, logicalId(pipeline.recheckRole!));
    expect(grants).toEqual([
      `kms:Decrypt → ${logicalId(pipeline.topicKey!)}`,
      `kms:GenerateDataKey → ${logicalId(pipeline.topicKey!)}`,
      expect.stringMatching(/^logs:CreateLogStream → PipelineRecheckLogs/),
      expect.stringMatching(/^logs:PutLogEvents → PipelineRecheckLogs/),
      `s3:GetObject → ${JSON.stringify({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::vendor-onboarding-exports/registry/customers.jsonl']] })}`,
      `sns:Publish → ${logicalId(pipeline.alertTopic as never)}`,
      `sts:AssumeRole → ${OUTBOUND}`,
    ]);
    // And no managed policy
    const role = home.toJSON().Resources[logicalId(pipeline.recheckRole!)] as { Properties: Record<string, unknown> };
    expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('names its role to the detectors as a role checker, and in a stack output for the outbound role\'s trust', () => {
    const pipeline = built.stacks.home.pipeline;
    const detect = home.toJSON().Resources[logicalId(pipeline.function)] as { Properties: { Environment: { Variables: Record<string, unknown> } } };
    // The configuration is JSON with the role's ARN joined in at deploy time
    const config = JSON.stringify(detect.Properties.Environment.Variables.DETECTION_CONFIG);
    expect(config).toContain('roleCheckerArns');
    expect(config).toContain(`"Fn::GetAtt":["${logicalId(pipeline.recheckRole!)}","Arn"]`);
    expect(home.toJSON().Outputs.RoleRecheckRole.Value).toEqual({ 'Fn::GetAtt': [logicalId(pipeline.recheckRole!), 'Arn'] });
  });

  it('alarms when a run fails', () => {
    const alarm = built.stacks.home.pipeline.alarms.roleRecheck!;
    const props = (home.toJSON().Resources[logicalId(alarm)] as { Properties: Record<string, any> }).Properties;
    expect(props.MetricName).toBe('Errors');
    expect(props.Dimensions).toEqual([{ Name: 'FunctionName', Value: { Ref: logicalId(built.stacks.home.pipeline.recheckFunction!) } }]);
  });

  it('loads recheck.js from the bundle with the environment the stack gives it', () => {
    // Given the prebuilt bundle (the same asset as the detect function's); when required as Lambda would
    const fn = home.toJSON().Resources[logicalId(built.stacks.home.pipeline.recheckFunction!)] as { Properties: { Environment: { Variables: Record<string, unknown> } } };
    const vars = fn.Properties.Environment.Variables;
    const run = spawnSync(process.execPath, ['-e', `process.stdout.write(typeof require(${JSON.stringify(join(handlerBundlePath(), 'recheck.js'))}).handler)`], {
      env: { ...process.env, NODE_PATH: join(ROOT, 'node_modules'), AWS_REGION: 'eu-west-1', CUSTOMER_REGISTRY: String(vars.CUSTOMER_REGISTRY), OUTBOUND_ROLE_ARN: String(vars.OUTBOUND_ROLE_ARN), ALERT_TOPIC_ARN: 'arn:aws:sns:eu-west-1:210987654321:alerts' },
      encoding: 'utf8',
    });
    // Then its cold start succeeds and exports the handler
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.stdout).toBe('function');
  });

  it('passes cdk-nag', () => {
    const report = new AwsSolutionsChecks().validateScope(built.app);
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });
});

describe('the re-check\'s keys', () => {
  it.each([
    [{ roleRecheckSchedule: 'rate(1 day)', roleRecheckOutboundRoleArn: OUTBOUND }, 'roleRecheckSchedule: the re-check probes the roles of customerRegistry, which is not set'],
    [{ customerRegistry: REGISTRY, roleRecheckSchedule: 'rate(1 day)' }, 'roleRecheckOutboundRoleArn: required with roleRecheckSchedule'],
    [{ ...RECHECK, roleRecheckOutboundRoleArn: 'arn:aws:iam::210987654321:role/integration-backend' }, 'roleRecheckOutboundRoleArn: "arn:aws:iam::210987654321:role/integration-backend" matches no pattern of monitoredRoleArns'],
  ])('stop the synthesis naming the key: %j', (context, message) => {
    expect(() => buildApp(context, { validate: false })).toThrow(ConfigError);
    expect(() => buildApp(context, { validate: false })).toThrow(message);
  });
});
