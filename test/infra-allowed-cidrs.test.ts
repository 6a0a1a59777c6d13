/**
 * The stack with a published allow-list: the function may read that one object and nothing else
 * in S3, an alarm watches the copy's age, cdk-nag stays clean, and a path (replay's form) stops
 * the synthesis naming the key.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from '../lib/config';
import { buildApp, logicalId, roleGrants, type SynthesizedApp } from './support/infra';

const LIST = 's3://vendor-egress/lists/egress.json';

let built: SynthesizedApp;
let home: Template;

beforeAll(() => {
  // Given cdk.json's example configuration with a published allow-list, alarmed after 6 hours
  built = buildApp({ allowedCidrsSource: LIST, allowedCidrsRefreshMinutes: 5, allowedCidrsMaxAgeHours: 6 }, { validate: false });
  home = Template.fromStack(built.stacks.home);
});

describe('a stack with a published allow-list', () => {
  it('lets the function read the list object and no other S3 object', () => {
    const grants = roleGrants(home, logicalId(built.stacks.home.pipeline.functionRole)).filter((g) => g.startsWith('s3:'));
    expect(grants).toEqual([`s3:GetObject → ${JSON.stringify({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::vendor-egress/lists/egress.json']] })}`]);
  });

  it('alarms when the copy is older than allowedCidrsMaxAgeHours, or missing', () => {
    const alarm = built.stacks.home.pipeline.alarms.allowedCidrs!;
    const props = (home.toJSON().Resources[logicalId(alarm)] as { Properties: Record<string, any> }).Properties;
    expect(props.Threshold).toBe(6 * 3600);
    expect(props.ComparisonOperator).toBe('GreaterThanThreshold');
    const expression = (props.Metrics as { Expression?: string }[]).find((m) => m.Expression)!.Expression;
    expect(expression).toBe(`MAX([FILL(age, 0), FILL(unavailable, 0) * ${6 * 3600 + 1}])`);
    expect((props.Metrics as { MetricStat?: { Metric: { MetricName: string } } }[]).flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric.MetricName] : [])).sort()).toEqual(['AllowedCidrsAgeSeconds', 'AllowedCidrsUnavailable']);
    expect(props.AlarmDescription).toContain(LIST);
    expect(built.stacks.home.pipeline.alarms.customerRegistry).toBeUndefined();
  });

  it('hands the list settings to the function', () => {
    const fn = (home.toJSON().Resources[logicalId(built.stacks.home.pipeline.function)] as { Properties: { Environment: { Variables: Record<string, string> } } }).Properties;
    const config = JSON.parse(fn.Environment.Variables.DETECTION_CONFIG!) as Record<string, unknown>;
    expect(config).toMatchObject({ allowedCidrsSource: LIST, allowedCidrsRefreshMinutes: 5, allowedCidrsMaxAgeHours: 6 });
  });

  it('passes cdk-nag', () => {
    const report = new AwsSolutionsChecks().validateScope(built.app);
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });

  it('stops the synthesis naming the key when the list is a path', () => {
    expect(() => buildApp({ allowedCidrsSource: 'egress.json' }, { validate: false })).toThrow(ConfigError);
    expect(() => buildApp({ allowedCidrsSource: 'egress.json' }, { validate: false })).toThrow(
      'allowedCidrsSource: "egress.json" is not an S3 object URL; expected s3://bucket/key (the function reads the list from S3; a path is for replay)',
    );
  });
});
