/**
 * The construct in a vendor's own stack, given resources it already has: an alert topic, a
 * state table, an alert event bus. Then nothing of that kind is created, the function gets the
 * narrowest grant on the given resource and nothing on what is no longer there, and cdk-nag
 * stays clean. Also the props that replace context-only forms: `reserveConcurrency` (the key's
 * null), and the enums a jsii build needs.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { SEVERITIES } from '../lambdas/core/types';
import { ENVIRONMENT } from '../lambdas/detect/contract';
import { AlarmDestination, AlertSeverity, type AppConfig } from '../lib/config';
import { AssumeRoleWatch, type AssumeRoleWatchProps } from '../lib/constructs/assume-role-watch';
import { buildApp, logicalId, resourcesOf, roleGrants } from './support/infra';

const TOPIC_ARN = 'arn:aws:sns:eu-west-1:210987654321:soc-alerts';
const TABLE_NAME = 'assumerole-watch-state';

let config: AppConfig;

beforeAll(() => {
  // Given the example configuration's detection keys
  config = buildApp({}, { validate: false }).config;
});

/** The construct in a vendor's stack, with what the vendor's stack holds already. */
function inVendorStack(props: Partial<AssumeRoleWatchProps> | ((stack: Stack) => Partial<AssumeRoleWatchProps>)): { app: App; stack: Stack; watch: AssumeRoleWatch; template: Template } {
  const app = new App({ builtinCloudFormationValidation: false, context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Vendor', { env: { account: '210987654321', region: 'eu-west-1' } });
  const extra = typeof props === 'function' ? props(stack) : props;
  const watch = new AssumeRoleWatch(stack, 'Watch', { detection: config.detection, ...extra });
  return { app, stack, watch, template: Template.fromStack(stack) };
}

/** What the function's role may do, with `arn` shown as it is and the construct's own resources by logical ID. */
function grantsOf(built: { watch: AssumeRoleWatch; template: Template }): string[] {
  return roleGrants(built.template, logicalId(built.watch.functionRole));
}

/** The function's environment variables. */
function environmentOf(built: { watch: AssumeRoleWatch; template: Template }): Record<string, unknown> {
  const fn = built.template.toJSON().Resources[logicalId(built.watch.function)] as { Properties: { Environment: { Variables: Record<string, unknown> } } };
  return fn.Properties.Environment.Variables;
}

/** cdk-nag's unacknowledged findings. */
function nagFindings(app: App): string[] {
  return new AwsSolutionsChecks().validateScope(app).violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
}

describe('an existing alert topic', () => {
  it('is published to instead of a topic of the construct\'s, with publish on that topic alone and no key grant', () => {
    // Given the vendor's topic, imported by ARN, and the alarms on the alert topic
    const built = inVendorStack((stack) => ({ alertTopic: sns.Topic.fromTopicArn(stack, 'SocAlerts', TOPIC_ARN), alarmTopic: AlarmDestination.ALERT }));
    // Then no topic and no key is created
    built.template.resourceCountIs('AWS::SNS::Topic', 0);
    built.template.resourceCountIs('AWS::KMS::Key', 0);
    expect(built.watch.topicKey).toBeUndefined();
    // And the function may publish there, and to nothing else; no KMS action (the topic's key, if any, is the vendor's to grant)
    const grants = grantsOf(built);
    expect(grants.filter((g) => g.startsWith('sns:') || g.startsWith('kms:'))).toEqual([`sns:Publish → ${TOPIC_ARN}`]);
    expect(environmentOf(built)[ENVIRONMENT.topic]).toBe(TOPIC_ARN);
    // And the alarms notify it
    for (const alarm of Object.values(resourcesOf(built.template, 'AWS::CloudWatch::Alarm'))) expect(alarm.Properties!.AlarmActions).toEqual([TOPIC_ARN]);
    expect(nagFindings(built.app)).toEqual([]);
  });

  it('keeps the operations topic and its key, which the function gets no grant on', () => {
    // Given the vendor's topic and the alarms on an operations topic (the default)
    const built = inVendorStack((stack) => ({ alertTopic: sns.Topic.fromTopicArn(stack, 'SocAlerts', TOPIC_ARN) }));
    // Then the one topic created is the operations topic, encrypted with the one key
    built.template.resourceCountIs('AWS::SNS::Topic', 1);
    built.template.resourceCountIs('AWS::KMS::Key', 1);
    expect(Object.keys(resourcesOf(built.template, 'AWS::SNS::Topic'))).toEqual([logicalId(built.watch.opsTopic!)]);
    // And the function may neither publish to it nor use its key
    expect(grantsOf(built).filter((g) => g.startsWith('sns:') || g.startsWith('kms:'))).toEqual([`sns:Publish → ${TOPIC_ARN}`]);
    expect(nagFindings(built.app)).toEqual([]);
  });

  it('refuses subscribers the construct could only add to a topic of its own, naming the prop', () => {
    expect(() => inVendorStack((stack) => ({ alertTopic: sns.Topic.fromTopicArn(stack, 'SocAlerts', TOPIC_ARN), alertEmails: [{ email: 'soc@example.com' }] })))
      .toThrow(/^alertEmails: the construct subscribes only to the alert topic it creates/);
  });
});

describe('an existing state table', () => {
  it('holds the state instead of a table of the construct\'s, with the four item actions on it alone', () => {
    // Given the vendor's table, imported by name
    const built = inVendorStack((stack) => ({ table: dynamodb.Table.fromTableName(stack, 'State', TABLE_NAME) }));
    // Then no table is created
    built.template.resourceCountIs('AWS::DynamoDB::Table', 0);
    // And the function may read and write items of that table, nothing else in DynamoDB
    const tableArn = JSON.stringify(built.stack.resolve(built.watch.table.tableArn));
    expect(grantsOf(built).filter((g) => g.startsWith('dynamodb:'))).toEqual(
      ['BatchGetItem', 'GetItem', 'PutItem', 'UpdateItem'].map((a) => `dynamodb:${a} → ${tableArn}`),
    );
    expect(tableArn).toContain(`:table/${TABLE_NAME}`);
    expect(environmentOf(built)[ENVIRONMENT.table]).toBe(TABLE_NAME);
    expect(nagFindings(built.app)).toEqual([]);
  });

  it('is taken from the same app when it has the stores\' keys', () => {
    // Given a table of the vendor's stack with pk and sk strings and TTL on expiresAt
    const built = inVendorStack((stack) => ({
      table: new dynamodb.Table(stack, 'State', {
        partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
        sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
        timeToLiveAttribute: 'expiresAt',
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      }),
    }));
    // Then it is the only table, and the function's
    built.template.resourceCountIs('AWS::DynamoDB::Table', 1);
    expect(grantsOf(built).filter((g) => g.startsWith('dynamodb:'))).toEqual(
      ['BatchGetItem', 'GetItem', 'PutItem', 'UpdateItem'].map((a) => `dynamodb:${a} → ${logicalId(built.watch.table)}`),
    );
  });

  it('is refused from the same app when its keys differ, naming the prop and the schema', () => {
    expect(() => inVendorStack((stack) => ({ table: new dynamodb.Table(stack, 'State', { partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING } }) })))
      .toThrow('table: keys id (S) and none; expected partition key pk and sort key sk, both strings, with time to live on expiresAt');
  });
});

describe('an existing alert event bus', () => {
  it('gets the alerts, with PutEvents on that bus alone, and no bus of the construct\'s', () => {
    // Given a bus of the vendor's stack
    const built = inVendorStack((stack) => ({ alertEventBus: new events.EventBus(stack, 'SocBus', { eventBusName: 'soc-alerts' }) }));
    // Then the vendor's bus is the only one
    built.template.resourceCountIs('AWS::Events::EventBus', 1);
    // And the function may put events on it, and nowhere else
    const busId = Object.keys(resourcesOf(built.template, 'AWS::Events::EventBus'))[0]!;
    expect(grantsOf(built).filter((g) => g.startsWith('events:'))).toEqual([`events:PutEvents → ${busId}`]);
    expect(environmentOf(built)[ENVIRONMENT.eventBus]).toEqual({ 'Fn::GetAtt': [busId, 'Arn'] });
    expect(nagFindings(built.app)).toEqual([]);
  });
});

describe('reserveConcurrency', () => {
  it('false reserves nothing and leaves the event source uncapped, as the key\'s null does', () => {
    // Given the construct with reserveConcurrency false, and the app with reservedConcurrency null
    const direct = inVendorStack({ reserveConcurrency: false }).template;
    const fromContext = Template.fromStack(buildApp({ reservedConcurrency: null }, { validate: false }).stacks.home);
    // Then neither reserves concurrency nor caps the event source
    for (const t of [direct, fromContext]) {
      t.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: Match.absent() });
      t.hasResourceProperties('AWS::Lambda::EventSourceMapping', { ScalingConfig: Match.absent() });
    }
  });

  it('false with a reservedConcurrency is refused, naming both', () => {
    expect(() => inVendorStack({ reserveConcurrency: false, reservedConcurrency: 10 })).toThrow('reservedConcurrency: 10 with reserveConcurrency false; expected one of them (false reserves none)');
  });
});

describe('the enums of the props', () => {
  it('hold the values of the context keys', () => {
    expect(Object.values(AlertSeverity)).toEqual([...SEVERITIES]);
    expect(Object.values(AlarmDestination)).toEqual(['ops', 'alert']);
  });
});
