/**
 * Infra tests: the real app (cdk.json's context, with the optional trail switched on),
 * synthesized once without bundling, checked with template assertions and cdk-nag.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks, NagPack } from 'cdk-nag';
import { ENVIRONMENT } from '../lambdas/detect/contract';
import { ASSUME_ROLE_EVENT_NAMES } from '../lambdas/core/types';
import { TABLE_SCHEMA } from '../lambdas/state/schema';
import { AlertSeverity, deployDefault } from '../lib/config';
import { AssumeRoleWatch } from '../lib/constructs/assume-role-watch';
import { ALL_MANAGEMENT_EVENTS_STATE, CLOUDTRAIL_DETAIL_TYPE } from '../lib/constructs/cloudtrail-rules';
import { NotificationTopic } from '../lib/constructs/notification-topic';
import { FORWARD_RULE_NAMES } from '../lib/forwarder-stack';
import { buildApp, logicalId, normalisedTemplate, onlyResource, resourcesOf, roleGrants, roleIds, type Resource, type SynthesizedApp } from './support/infra';

let built: SynthesizedApp;
let home: Template;
let forwarder: Template;

beforeAll(() => {
  // Given the example configuration of cdk.json, with the trail created
  built = buildApp({ createTrail: true });
  // When it is synthesized
  home = Template.fromStack(built.stacks.home);
  forwarder = Template.fromStack(built.stacks.forwarders[0]!);
});

const props = (r: Resource): Record<string, any> => r.Properties as Record<string, any>;

describe('the app', () => {
  it('creates the home stack and one forwarder per extra region', () => {
    // Then: eu-west-1 is home, us-east-1 (the global STS endpoint's region) forwards
    expect(built.stacks.home.region).toBe('eu-west-1');
    expect(built.stacks.forwarders.map((s) => s.region)).toEqual(['us-east-1']);
    expect(built.stacks.forwarders[0]!.dependencies).toContain(built.stacks.home);
  });
});

describe('the templates', () => {
  it('pass CDK\'s built-in CloudFormation validation (schemas, property types) without a finding', () => {
    // Given the assembly the templates were synthesized into
    const report = JSON.parse(readFileSync(join(built.app.synth().directory, 'validation-report.json'), 'utf8')) as { pluginReports: unknown[] };
    // Then no plugin reported anything
    expect(report.pluginReports).toEqual([]);
  });
});

describe('the EventBridge rules', () => {
  it('receive read-only management events (AssumeRole is one) and feed the queue', () => {
    // Then both rules are in the state that sees read-only events, and target the queue with a DLQ
    const rules = Object.values(resourcesOf(home, 'AWS::Events::Rule'));
    expect(rules).toHaveLength(2);
    const queue = logicalId(built.stacks.home.pipeline.queue);
    const dlq = logicalId(built.stacks.home.pipeline.targetDeadLetterQueue);
    for (const rule of rules) {
      expect(props(rule).State).toBe(ALL_MANAGEMENT_EVENTS_STATE);
      expect(props(rule).Targets).toEqual([expect.objectContaining({ Arn: { 'Fn::GetAtt': [queue, 'Arn'] }, DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlq, 'Arn'] } } })]);
    }
  });

  it('match every AssumeRole-family call from CloudTrail', () => {
    home.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'source': ['aws.sts'], 'detail-type': [CLOUDTRAIL_DETAIL_TYPE], 'detail': { eventName: [...ASSUME_ROLE_EVENT_NAMES] } },
    });
  });

  it('match any other call by a monitored role\'s session, with wildcards as EventBridge wildcards', () => {
    home.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': [{ prefix: 'aws.' }],
        'detail-type': [CLOUDTRAIL_DETAIL_TYPE],
        'detail': {
          eventName: [{ 'anything-but': [...ASSUME_ROLE_EVENT_NAMES] }],
          userIdentity: { sessionContext: { sessionIssuer: { arn: [{ wildcard: 'arn:aws:iam::210987654321:role/outbound-*' }] } } },
        },
      },
    });
  });
});

describe('what may reach the queue', () => {
  it('is matched by rules of AWS sources only, in every stack (PutEvents refuses custom sources beginning "aws.")', () => {
    // Given every rule of the home and forwarder stacks
    const rules = [home, forwarder].flatMap((t) => Object.values(resourcesOf(t, 'AWS::Events::Rule')));
    expect(rules).toHaveLength(4);
    // Then each names its sources, and each source is an AWS one
    for (const rule of rules) {
      const sources = props(rule).EventPattern.source as unknown[];
      expect(sources.length).toBeGreaterThan(0);
      for (const source of sources) expect(typeof source === 'string' ? source.startsWith('aws.') : source).toEqual(typeof source === 'string' ? true : { prefix: 'aws.' });
    }
  });

  it('is sent only by the two rules: the queue policy denies SendMessage to everyone else', () => {
    // Given the event queue's policy
    const p = built.stacks.home.pipeline;
    const queue = logicalId(p.queue);
    const policy = Object.values(resourcesOf(home, 'AWS::SQS::QueuePolicy')).find((q) => JSON.stringify(props(q).Queues) === JSON.stringify([{ Ref: queue }]))!;
    // Then it holds an explicit Deny for any principal unless the request comes from one of the rules
    expect(props(policy).PolicyDocument.Statement).toContainEqual({
      Sid: 'OnlyTheRulesSend',
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: 'sqs:SendMessage',
      Resource: { 'Fn::GetAtt': [queue, 'Arn'] },
      Condition: { ArnNotEquals: { 'aws:SourceArn': [{ 'Fn::GetAtt': [logicalId(p.assumeRoleRule), 'Arn'] }, { 'Fn::GetAtt': [logicalId(p.sessionActivityRule), 'Arn'] }] } },
    });
  });

  it('may also be sent to by the redrive roles of redriveRoleArns', () => {
    // Given a role to redrive the dead-letter queues with
    const app = buildApp({ redriveRoleArns: ['arn:aws:iam::210987654321:role/ops/redrive'] }, { validate: false });
    const t = Template.fromStack(app.stacks.home);
    // Then the Deny spares requests of that role too
    t.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'OnlyTheRulesSend', Condition: { ArnNotEquals: { 'aws:SourceArn': Match.anyValue(), 'aws:PrincipalArn': ['arn:aws:iam::210987654321:role/ops/redrive'] } } })]) },
    });
  });

  it('is read by a function that knows the deployment\'s account and every watched region', () => {
    const vars = props(onlyResource(home, 'AWS::Lambda::Function')).Environment.Variables;
    expect([vars[ENVIRONMENT.account], vars[ENVIRONMENT.regions]]).toEqual(['210987654321', 'eu-west-1,us-east-1']);
  });
});

describe('the queues', () => {
  it('encrypt, refuse plain HTTP and keep messages 14 days', () => {
    // Then each of the three queues (queue, its DLQ, the rules' DLQ)
    const queues = resourcesOf(home, 'AWS::SQS::Queue');
    expect(Object.keys(queues)).toHaveLength(3);
    for (const [id, queue] of Object.entries(queues)) {
      expect(props(queue).SqsManagedSseEnabled ?? props(queue).KmsMasterKeyId).toBeTruthy();
      expect(props(queue).MessageRetentionPeriod).toBe(Duration.days(14).toSeconds());
      home.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
      });
    }
  });

  it('move a message to the dead-letter queue after 5 receives', () => {
    const queue = props(home.toJSON().Resources[logicalId(built.stacks.home.pipeline.queue)]);
    expect(queue.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [logicalId(built.stacks.home.pipeline.deadLetterQueue), 'Arn'] }, maxReceiveCount: 5 });
  });

  it('hide a received message for at least six times the function timeout', () => {
    const queue = props(home.toJSON().Resources[logicalId(built.stacks.home.pipeline.queue)]);
    const fn = props(onlyResource(home, 'AWS::Lambda::Function'));
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * fn.Timeout);
  });
});

describe('the function', () => {
  it('runs the newest Node.js runtime on arm64 with source maps', () => {
    const fn = props(onlyResource(home, 'AWS::Lambda::Function'));
    expect(fn.Runtime).toBe('nodejs24.x');
    expect(fn.Architectures).toEqual(['arm64']);
    expect(fn.Handler).toBe('index.handler');
    expect(fn.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
    expect(fn.ReservedConcurrentExecutions).toBe(5);
    expect(fn.LoggingConfig).toEqual({ LogGroup: { Ref: logicalId(built.stacks.home.pipeline.logGroup) } });
  });

  it('gets the table, the topic and the resolved detection configuration in its environment', () => {
    const vars = props(onlyResource(home, 'AWS::Lambda::Function')).Environment.Variables;
    expect(vars[ENVIRONMENT.table]).toEqual({ Ref: logicalId(built.stacks.home.pipeline.table) });
    expect(vars[ENVIRONMENT.topic]).toEqual({ Ref: logicalId(built.stacks.home.pipeline.alertTopic) });
    expect(JSON.parse(vars[ENVIRONMENT.config] as string)).toEqual(built.config.detection);
  });

  it('reads the queue in batches from context and reports partial failures', () => {
    home.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 30,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 5 },
      EventSourceArn: { 'Fn::GetAtt': [logicalId(built.stacks.home.pipeline.queue), 'Arn'] },
    });
  });

  it('keeps its logs for the configured retention', () => {
    const logs = resourcesOf(home, 'AWS::Logs::LogGroup');
    expect(Object.values(logs).map((l) => props(l).RetentionInDays)).toEqual([90]);
  });
});

describe('the state table', () => {
  it('takes its keys, TTL attribute and billing from the shared schema, with PITR and encryption', () => {
    const table = onlyResource(home, 'AWS::DynamoDB::Table');
    expect(props(table)).toMatchObject({
      KeySchema: [{ AttributeName: TABLE_SCHEMA.partitionKey.name, KeyType: 'HASH' }, { AttributeName: TABLE_SCHEMA.sortKey.name, KeyType: 'RANGE' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
      BillingMode: TABLE_SCHEMA.billingMode,
      TimeToLiveSpecification: { AttributeName: TABLE_SCHEMA.timeToLiveAttribute, Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      DeletionProtectionEnabled: true,
    });
  });

  it('is kept when the stack is deleted', () => {
    const table = onlyResource(home, 'AWS::DynamoDB::Table');
    expect([table.DeletionPolicy, table.UpdateReplacePolicy]).toEqual(['Retain', 'Retain']);
  });
});

describe('the topics', () => {
  it('encrypt with a rotated customer-managed key that CloudWatch alarms may use', () => {
    // Then every topic uses the one key
    const key = logicalId(built.stacks.home.pipeline.topicKey!);
    const topics = Object.values(resourcesOf(home, 'AWS::SNS::Topic'));
    expect(topics).toHaveLength(2);
    for (const t of topics) expect(props(t).KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [key, 'Arn'] });
    home.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] })]) },
    });
  });

  it('let CloudWatch use the topic key only for alarms of this account and region, in every stack', () => {
    // Given the key policies of the home and forwarder stacks
    for (const t of [home, forwarder]) {
      const statements = Object.values(resourcesOf(t, 'AWS::KMS::Key')).flatMap((k) => props(k).KeyPolicy.Statement as Record<string, any>[]);
      const cloudwatch = statements.filter((st) => JSON.stringify(st.Principal).includes('cloudwatch.amazonaws.com'));
      // Then CloudWatch's one statement carries the confused-deputy conditions of the topic policy
      expect(cloudwatch).toHaveLength(1);
      expect(cloudwatch[0]!.Condition).toEqual({
        ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':alarm:*']] } },
        StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
      });
    }
  });

  it('never name a construct or resource after an HTTPS endpoint, whose path or query may hold a token', () => {
    // Given an alert webhook with credentials, a secret path and a secret query, alarms to the alert topic (so forwarders subscribe it too)
    const endpoint = 'https://hookuser:pa55word@hooks.webhookprovider.net/services/T0S3CR3T/B0T0K3N/xoxbSECRETvalue?token=qu3rys3cr3t';
    const app = buildApp({ alertHttpsEndpoints: [endpoint], alarmTopic: 'alert' }, { validate: false });
    const parts = endpoint.slice('https://'.length).split(/[^A-Za-z0-9]+/).filter((p) => p.length >= 5).map((p) => p.toLowerCase());
    // When synthesized
    const stacks = [app.stacks.home, ...app.stacks.forwarders];
    const logicalIds = stacks.flatMap((st) => Object.keys(Template.fromStack(st).toJSON().Resources as Record<string, unknown>));
    const paths = app.app.node.findAll().map((c) => c.node.path);
    // Then the endpoint is subscribed in each stack, and no part of it is in any logical ID or construct path
    const subscribed = stacks.map((st) => Object.values(resourcesOf(Template.fromStack(st), 'AWS::SNS::Subscription')).filter((r) => props(r).Endpoint === endpoint).length);
    expect(subscribed).toEqual([1, 1]);
    expect(parts).toEqual(expect.arrayContaining(['hookuser', 'pa55word', 't0s3cr3t', 'b0t0k3n', 'xoxbsecretvalue', 'qu3rys3cr3t']));
    for (const part of parts) {
      expect({ part, ids: logicalIds.filter((id) => id.toLowerCase().includes(part)) }).toEqual({ part, ids: [] });
      expect({ part, paths: paths.filter((x) => x.toLowerCase().includes(part)) }).toEqual({ part, paths: [] });
    }
  });

  it('refuse publishing over plain HTTP', () => {
    for (const id of Object.keys(resourcesOf(home, 'AWS::SNS::Topic'))) {
      home.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [{ Ref: id }],
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 'sns:Publish', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
      });
    }
  });

  it('let alarms of this account publish to the operations topic only', () => {
    const ops = logicalId(built.stacks.home.pipeline.opsTopic!);
    const alert = logicalId(built.stacks.home.pipeline.alertTopic);
    const allowsAlarms = (topic: string): boolean => Object.values(resourcesOf(home, 'AWS::SNS::TopicPolicy'))
      .filter((p) => JSON.stringify(props(p).Topics) === JSON.stringify([{ Ref: topic }]))
      .some((p) => JSON.stringify(props(p).PolicyDocument).includes('cloudwatch.amazonaws.com'));
    expect([allowsAlarms(ops), allowsAlarms(alert)]).toEqual([true, false]);
  });

  it('subscribe the alert addresses, with a severity filter where a minimum is set', () => {
    const alert = logicalId(built.stacks.home.pipeline.alertTopic);
    const subscriptions = Object.values(resourcesOf(home, 'AWS::SNS::Subscription'))
      .filter((s) => props(s).TopicArn.Ref === alert)
      .map((s) => [props(s).Protocol, props(s).Endpoint, props(s).FilterPolicy]);
    expect(subscriptions).toEqual([
      ['email', 'soc@example.com', undefined],
      ['email', 'security-oncall@example.com', { severity: ['high', 'critical'] }],
      ['https', 'https://hooks.example.com/assumerole-watch', { severity: ['high', 'critical'] }],
    ]);
  });

  it('subscribe the operations addresses to the operations topic', () => {
    home.hasResourceProperties('AWS::SNS::Subscription', { TopicArn: { Ref: logicalId(built.stacks.home.pipeline.opsTopic!) }, Protocol: 'email', Endpoint: 'cloud-ops@example.com' });
  });
});

describe('the alarms', () => {
  const alarmOf = (name: keyof SynthesizedApp['stacks']['home']['pipeline']['alarms']): Record<string, any> =>
    props(home.toJSON().Resources[logicalId(built.stacks.home.pipeline.alarms[name]!)]);

  it('notify the operations topic on alarm and on recovery', () => {
    const ops = { Ref: logicalId(built.stacks.home.pipeline.opsTopic!) };
    const alarms = Object.values(resourcesOf(home, 'AWS::CloudWatch::Alarm'));
    expect(alarms).toHaveLength(6);
    for (const a of alarms) expect([props(a).AlarmActions, props(a).OKActions]).toEqual([[ops], [ops]]);
  });

  it.each([
    ['deadLetterQueue', 'deadLetterQueue'],
    ['targetDeadLetterQueue', 'targetDeadLetterQueue'],
  ] as const)('fire when the %s holds a message', (alarm, queue) => {
    expect(alarmOf(alarm)).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(built.stacks.home.pipeline[queue]), 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  it('fire on function errors and throttles', () => {
    expect(alarmOf('errors')).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Errors', Threshold: 1, Statistic: 'Sum' });
    expect(alarmOf('throttles')).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Throttles', Threshold: 1, Statistic: 'Sum' });
  });

  it('fire when the oldest queued message is older than the configured age', () => {
    expect(alarmOf('oldestMessage')).toMatchObject({ MetricName: 'ApproximateAgeOfOldestMessage', Threshold: 30 * 60, ComparisonOperator: 'GreaterThanThreshold' });
  });

  it('fire when no AssumeRole event was processed for silenceAlarmHours, missing data included', () => {
    // Then the alarm covers exactly silenceAlarmHours of the handler's metric
    const silence = alarmOf('silence');
    expect(silence).toMatchObject({
      Namespace: 'AssumeRoleWatch',
      MetricName: 'AssumeRoleEvents',
      Dimensions: [{ Name: 'service', Value: 'assumerole-watch' }],
      Statistic: 'Sum',
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'breaching',
    });
    expect(silence.Period * silence.EvaluationPeriods).toBe(built.config.deployment.silenceAlarmHours * 3600);
    expect(silence.DatapointsToAlarm).toBe(silence.EvaluationPeriods);
  });
});

describe('the trail (createTrail)', () => {
  it('logs read and write management events of every region with file validation', () => {
    home.hasResourceProperties('AWS::CloudTrail::Trail', {
      IsMultiRegionTrail: true,
      IncludeGlobalServiceEvents: true,
      EnableLogFileValidation: true,
      EventSelectors: [{ IncludeManagementEvents: true, ReadWriteType: 'All' }],
    });
  });

  it('delivers to encrypted, private, SSL-only buckets, access-logged', () => {
    const buckets = resourcesOf(home, 'AWS::S3::Bucket');
    expect(Object.keys(buckets)).toHaveLength(2);
    for (const [id, bucket] of Object.entries(buckets)) {
      expect(props(bucket).BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
      expect(props(bucket).PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true });
      home.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id },
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
      });
    }
    const trailBucket = props(home.toJSON().Resources[logicalId(built.stacks.home.trail!.bucket)]);
    expect(trailBucket.LoggingConfiguration.DestinationBucketName).toEqual({ Ref: logicalId(built.stacks.home.trail!.accessLogsBucket) });
  });

  it('is not created by default', () => {
    // Given cdk.json's own setting (createTrail false); the stacks are built, not synthesized
    expect(buildApp({}, { validate: false }).stacks.home.trail).toBeUndefined();
  });
});

describe('encryption', () => {
  it('covers every queue, topic, table and bucket of every stack', () => {
    for (const t of [home, forwarder]) {
      for (const q of Object.values(resourcesOf(t, 'AWS::SQS::Queue'))) expect(props(q).SqsManagedSseEnabled ?? props(q).KmsMasterKeyId).toBeTruthy();
      for (const s of Object.values(resourcesOf(t, 'AWS::SNS::Topic'))) expect(props(s).KmsMasterKeyId).toBeDefined();
      for (const d of Object.values(resourcesOf(t, 'AWS::DynamoDB::Table'))) expect(props(d).SSESpecification).toEqual({ SSEEnabled: true });
      for (const b of Object.values(resourcesOf(t, 'AWS::S3::Bucket'))) expect(props(b).BucketEncryption).toBeDefined();
    }
  });
});

describe('IAM', () => {
  it('has one role in the home stack: the function\'s', () => {
    expect(roleIds(home)).toEqual([logicalId(built.stacks.home.pipeline.functionRole)]);
  });

  it('grants the function exactly the actions the handler uses, on its own resources', () => {
    // Given the pipeline's resources
    const p = built.stacks.home.pipeline;
    const [logs, table, topic, key, queue] = [p.logGroup, p.table, p.alertTopic, p.topicKey!, p.queue].map(logicalId);
    // Then the role's policies allow these and nothing else
    expect(roleGrants(home, logicalId(p.functionRole))).toEqual([
      `dynamodb:BatchGetItem → ${table}`,
      `dynamodb:GetItem → ${table}`,
      `dynamodb:PutItem → ${table}`,
      `dynamodb:UpdateItem → ${table}`,
      `kms:Decrypt → ${key}`,
      `kms:GenerateDataKey → ${key}`,
      `logs:CreateLogStream → ${logs}`,
      `logs:PutLogEvents → ${logs}`,
      `sns:Publish → ${topic}`,
      `sqs:ChangeMessageVisibility → ${queue}`,
      `sqs:DeleteMessage → ${queue}`,
      `sqs:GetQueueAttributes → ${queue}`,
      `sqs:GetQueueUrl → ${queue}`,
      `sqs:ReceiveMessage → ${queue}`,
    ]);
  });

  it('lets the function role be assumed by Lambda only, with no managed policies', () => {
    const role = props(home.toJSON().Resources[logicalId(built.stacks.home.pipeline.functionRole)]);
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } }]);
    expect(role.ManagedPolicyArns).toBeUndefined();
  });

  it('grants the forwarder role only PutEvents on the home bus', () => {
    const stack = built.stacks.forwarders[0]!;
    expect(roleIds(forwarder)).toEqual([logicalId(stack.role)]);
    expect(roleGrants(forwarder, logicalId(stack.role))).toEqual(['events:PutEvents → arn:aws:events:eu-west-1:210987654321:event-bus/default']);
    const role = props(forwarder.toJSON().Resources[logicalId(stack.role)]);
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([{
      Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': '210987654321' } },
    }]);
  });
});

describe('the forwarder stack', () => {
  it('runs the same rules, in the same state, sending to the home region\'s default bus', () => {
    // Then both rules match the home rules' patterns and target the home bus with the role and a DLQ
    const stack = built.stacks.forwarders[0]!;
    const homePatterns = Object.values(resourcesOf(home, 'AWS::Events::Rule')).map((r) => props(r).EventPattern);
    const rules = Object.values(resourcesOf(forwarder, 'AWS::Events::Rule'));
    expect(rules.map((r) => props(r).EventPattern)).toEqual(homePatterns);
    expect(rules.map((r) => props(r).Name)).toEqual(Object.values(FORWARD_RULE_NAMES));
    for (const rule of rules) {
      expect(props(rule).State).toBe(ALL_MANAGEMENT_EVENTS_STATE);
      expect(props(rule).Targets).toEqual([{
        Id: 'Target0',
        Arn: 'arn:aws:events:eu-west-1:210987654321:event-bus/default',
        RoleArn: { 'Fn::GetAtt': [logicalId(stack.role), 'Arn'] },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId(stack.deadLetterQueue), 'Arn'] } },
      }]);
    }
  });

  it('alarms on undeliverable events through an encrypted regional topic', () => {
    const stack = built.stacks.forwarders[0]!;
    expect(props(forwarder.toJSON().Resources[logicalId(stack.deadLetterQueueAlarm)])).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 1,
      AlarmActions: [{ Ref: expect.stringMatching(/^AlarmTopic/) }],
    });
    forwarder.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'cloud-ops@example.com' });
  });

  it('is accepted by the home bus, for the forwarders\' rules only', () => {
    home.hasResourceProperties('AWS::Events::EventBusPolicy', {
      EventBusName: 'default',
      Statement: {
        Effect: 'Allow',
        Action: 'events:PutEvents',
        Resource: 'arn:aws:events:eu-west-1:210987654321:event-bus/default',
        Condition: { ArnEquals: { 'aws:SourceArn': Object.values(FORWARD_RULE_NAMES).map((n) => `arn:aws:events:us-east-1:210987654321:rule/${n}`) } },
      },
    });
  });
});

describe('cdk-nag AwsSolutionsChecks', () => {
  it('finds nothing that is not acknowledged', () => {
    const report = new AwsSolutionsChecks().validateScope(built.app);
    expect(report.violations.map((v) => `${v.ruleName} ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
  });

  it('acknowledges only real findings, each with its reason', () => {
    // Given every acknowledgement in the app
    const acknowledged: string[] = [];
    for (const c of built.app.node.findAll()) {
      for (const m of c.node.metadata) {
        if (m.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
        for (const [id, reason] of Object.entries(m.data as Record<string, string>)) {
          expect(reason.length).toBeGreaterThan(40);
          acknowledged.push(`${id.replace(/^annotation::/i, '')} ${c.node.path}/Resource`);
        }
      }
    }
    // When the checks run with acknowledgements ignored
    const original = (NagPack.prototype as any).isAcknowledged;
    (NagPack.prototype as any).isAcknowledged = () => false;
    let raw;
    try {
      raw = new AwsSolutionsChecks().validateScope(built.app);
    } finally {
      (NagPack.prototype as any).isAcknowledged = original;
    }
    // Then each acknowledgement silences exactly one real finding
    const findings = raw.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.constructPath}`));
    expect(findings.sort()).toEqual(acknowledged.sort());
  });
});

describe('NotificationTopic on a topic alarms publish to', () => {
  it('lets alarm notifications (no severity attribute) through a minimum-severity filter', () => {
    // Given a topic that alarms notify, with a subscriber for high and critical alerts
    const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'T');
    new NotificationTopic(stack, 'Alerts', { key: new kms.Key(stack, 'Key'), displayName: 'x', emails: [{ email: 'soc@example.com', minSeverity: AlertSeverity.HIGH }], allowAlarms: true });
    // Then the filter also accepts messages without the attribute
    Template.fromStack(stack).hasResourceProperties('AWS::SNS::Subscription', { FilterPolicy: { severity: ['high', 'critical', { exists: false }] } });
  });
});

describe('AssumeRoleWatch used directly', () => {
  it('deploys with the deployment keys\' defaults when given only the detection configuration', () => {
    // Given the construct in a vendor's own stack, with no other props
    const stack = new Stack(new App({ builtinCloudFormationValidation: false, context: { 'aws:cdk:bundling-stacks': [] } }), 'T');
    new AssumeRoleWatch(stack, 'Pipeline', { detection: built.config.detection });
    const t = Template.fromStack(stack);
    // Then batching, concurrency, memory, timeout, receives, log retention and alarms are what `cdk deploy` gives by default
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: deployDefault('batchSize'),
      MaximumBatchingWindowInSeconds: deployDefault('maxBatchingWindowSeconds'),
      ScalingConfig: { MaximumConcurrency: deployDefault('reservedConcurrency') },
    });
    t.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: deployDefault('lambdaMemoryMb'),
      Timeout: deployDefault('lambdaTimeoutSeconds'),
      ReservedConcurrentExecutions: deployDefault('reservedConcurrency'),
    });
    t.hasResourceProperties('AWS::SQS::Queue', { RedrivePolicy: Match.objectLike({ maxReceiveCount: deployDefault('maxReceiveCount') }) });
    t.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: deployDefault('logRetentionDays') });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateAgeOfOldestMessage', Threshold: deployDefault('oldestMessageAlarmMinutes') * 60 });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'AssumeRoleEvents', EvaluationPeriods: deployDefault('silenceAlarmHours') });
    t.resourceCountIs('AWS::SNS::Topic', deployDefault('alarmTopic') === 'ops' ? 2 : 1);
  });

  it('refuses a detection configuration too large for the function\'s environment', () => {
    // Given a configuration of 150 long role ARNs
    const stack = new Stack(new App({ builtinCloudFormationValidation: false }), 'T');
    const detection = { ...built.config.detection, monitoredRoleArns: Array.from({ length: 150 }, (_, i) => `arn:aws:iam::210987654321:role/outbound-integration-${i}`) };
    // Then the construct fails naming the variable
    expect(() => new AssumeRoleWatch(stack, 'Pipeline', { detection })).toThrow(/^DETECTION_CONFIG: .* Lambda's 4096 bytes/);
  });
});

describe('snapshot', () => {
  it('matches the recorded templates (asset hashes normalised)', () => {
    expect({ home: normalisedTemplate(built.stacks.home), forwarder: normalisedTemplate(built.stacks.forwarders[0]!) }).toMatchSnapshot();
  });
});

describe('wildcard resources', () => {
  /** Every policy statement of a template, with where it is. */
  function statements(t: Template): { where: string; statement: Record<string, any> }[] {
    const out: { where: string; statement: Record<string, any> }[] = [];
    for (const [id, r] of Object.entries(t.toJSON().Resources as Record<string, Resource>)) {
      const p = props(r);
      const docs = [p.PolicyDocument, p.KeyPolicy, p.AssumeRolePolicyDocument, ...((p.Policies as { PolicyDocument: unknown }[] | undefined) ?? []).map((x) => x.PolicyDocument)];
      for (const doc of docs) for (const s of ((doc as { Statement?: Record<string, any>[] } | undefined)?.Statement ?? [])) out.push({ where: `${r.Type} ${id}`, statement: s });
    }
    return out;
  }

  it('appear only in KMS key policies, where "*" means the key itself', () => {
    // Given every statement of every stack
    const all = [home, forwarder].flatMap(statements);
    // Then a "*" resource is only ever a key policy's own key
    const wildcards = all.filter(({ statement }) => [statement.Resource].flat().some((r) => r === '*'));
    expect(wildcards.length).toBeGreaterThan(0);
    for (const { where } of wildcards) expect(where).toMatch(/^AWS::KMS::Key /);
    // And no identity policy grants a wildcard action
    for (const { where, statement } of all.filter((x) => x.where.startsWith('AWS::IAM::'))) {
      expect({ where, actions: [statement.Action].flat().filter((a: string) => a === '*' || a.endsWith(':*')) }).toEqual({ where, actions: [] });
    }
  });
});
