/**
 * The stack with a customer registry: the function may read that one object and nothing else in
 * S3, the registry alarm watches the copy's age, cdk-nag stays clean, and a path (replay's form)
 * stops the synthesis naming the key.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from '../lib/config';
import { buildApp, logicalId, roleGrants, type SynthesizedApp } from './support/infra';

const REGISTRY = 's3://vendor-onboarding-exports/registry/customers.jsonl';

let built: SynthesizedApp;
let home: Template;

beforeAll(() => {
  // Given cdk.json's example configuration with a registry, refreshed every 10 minutes, alarmed after 6 hours
  built = buildApp({ customerRegistry: REGISTRY, customerRegistryRefreshMinutes: 10, customerRegistryMaxAgeHours: 6 }, { validate: false });
  home = Template.fromStack(built.stacks.home);
});

describe('a stack with a customer registry', () => {
  it('lets the function read the registry object and no other S3 object', () => {
    const grants = roleGrants(home, logicalId(built.stacks.home.pipeline.functionRole)).filter((g) => g.startsWith('s3:'));
    expect(grants).toEqual([`s3:GetObject → ${JSON.stringify({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::vendor-onboarding-exports/registry/customers.jsonl']] })}`]);
  });

  it('alarms when the copy is older than customerRegistryMaxAgeHours, or missing', () => {
    const alarm = built.stacks.home.pipeline.alarms.customerRegistry!;
    const props = (home.toJSON().Resources[logicalId(alarm)] as { Properties: Record<string, any> }).Properties;
    expect(props.Threshold).toBe(6 * 3600);
    expect(props.ComparisonOperator).toBe('GreaterThanThreshold');
    const expression = (props.Metrics as { Expression?: string }[]).find((m) => m.Expression)!.Expression;
    expect(expression).toBe(`MAX([FILL(age, 0), FILL(unavailable, 0) * ${6 * 3600 + 1}])`);
    expect((props.Metrics as { MetricStat?: { Metric: { MetricName: string } } }[]).flatMap((m) => (m.MetricStat ? [m.MetricStat.Metric.MetricName] : [])).sort()).toEqual(['CustomerRegistryAgeSeconds', 'CustomerRegistryUnavailable']);
  });

  it('hands the registry settings to the function', () => {
    const fn = (home.toJSON().Resources[logicalId(built.stacks.home.pipeline.function)] as { Properties: { Environment: { Variables: Record<string, string> } } }).Properties;
    const config = JSON.parse(fn.Environment.Variables.DETECTION_CONFIG!) as Record<string, unknown>;
    expect(config).toMatchObject({ customerRegistry: REGISTRY, customerRegistryRefreshMinutes: 10, customerRegistryMaxAgeHours: 6 });
  });

  it('passes cdk-nag', () => {
    const report = new AwsSolutionsChecks().validateScope(built.app);
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });

  it('stops the synthesis naming the key when the registry is a path', () => {
    expect(() => buildApp({ customerRegistry: 'customer-registry.jsonl' }, { validate: false })).toThrow(ConfigError);
    expect(() => buildApp({ customerRegistry: 'customer-registry.jsonl' }, { validate: false })).toThrow(
      'customerRegistry: "customer-registry.jsonl" is not an S3 object URL; expected s3://bucket/key (the function reads the registry from S3; a path is for replay)',
    );
  });
});
