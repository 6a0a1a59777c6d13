/** Cases of human-principal: people assuming the outbound role fire; the backend and AWS services do not. */
import {
  BASTION_ACCOUNT,
  BREAK_GLASS_ROLE,
  CLI_AGENT,
  intoOutbound,
  iamUser,
  OUTBOUND_ROLE,
  roleSession,
  rootUser,
  type Json,
} from '../support/case-records';
import type { DetectorCase } from './cases';
import { STRATUS_DENIED_IAM_USER } from '../support/fixture-records';

const BOTO3_AGENT = 'Boto3/1.34.144 md/Botocore#1.34.144 ua/2.0 os/macos#23.5.0 md/arch#arm64 lang/python#3.12.4 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.144';
const BROWSER_AGENT = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/127.0.0.0 Safari/537.36';
const SSO_ADMIN_ROLE = `arn:aws:iam::${BASTION_ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_AdministratorAccess_5f6e7d8c9b0a1e2f`;

/**
 * aws-docs/awsdocs-sample-records.jsonl line 2: IAM user JohnDoe assumes a role with the CLI.
 * Unchanged: it assumes `EC2-dev` in 111122223333, which is not monitored.
 */
const AWSDOCS_IAM_USER_ASSUME_ROLE: Json = {
  eventVersion: '1.05',
  userIdentity: {
    type: 'IAMUser',
    principalId: 'AIDAQRSTUVWXYZEXAMPLE',
    arn: 'arn:aws:iam::777788889999:user/JohnDoe',
    accountId: '777788889999',
    accessKeyId: 'AKIAQRSTUVWXYZEXAMPLE',
    userName: 'JohnDoe',
  },
  eventTime: '2014-07-18T15:07:39Z',
  eventSource: 'sts.amazonaws.com',
  eventName: 'AssumeRole',
  awsRegion: 'us-east-2',
  sourceIPAddress: '192.0.2.101',
  userAgent: 'aws-cli/1.11.10 Python/2.7.8 Linux/3.2.45-0.6.wd.865.49.315.metal1.x86_64 botocore/1.4.67',
  requestParameters: {
    roleArn: 'arn:aws:iam::111122223333:role/EC2-dev',
    roleSessionName: 'JohnDoe-EC2-dev',
    sourceIdentity: 'JohnDoe',
    serialNumber: 'arn:aws:iam::777788889999:mfa',
  },
  responseElements: {
    credentials: { sessionToken: '<encoded session token blob>', accessKeyId: 'AKIAQRSTUVWXYZEXAMPLE', expiration: 'Jul 18, 2023, 4:07:39 PM' },
    assumedRoleUser: { assumedRoleId: 'AIDAQRSTUVWXYZEXAMPLE:JohnDoe-EC2-dev', arn: 'arn:aws:sts::111122223333:assumed-role/EC2-dev/JohnDoe-EC2-dev' },
    sourceIdentity: 'JohnDoe',
  },
  resources: [{ ARN: 'arn:aws:iam::111122223333:role/EC2-dev', accountId: '111122223333', type: 'AWS::IAM::Role' }],
  requestID: '4EXAMPLE-0e8d-11e4-96e4-e55c0EXAMPLE',
  sharedEventID: 'bEXAMPLE-efea-4a70-b951-19a88EXAMPLE',
  eventID: 'dEXAMPLE-ac7f-466c-a608-4ac8dEXAMPLE',
  eventType: 'AwsApiCall',
  recipientAccountId: '111122223333',
};

/**
 * The same record moved into the bastion account: JohnDoe is a user of 210987654321 (was
 * 777788889999, also in the MFA serial) and assumes the outbound role (was EC2-dev in
 * 111122223333, also in resources and assumedRoleUser); recipientAccountId is the bastion
 * account, and sharedEventID is gone because the call is no longer cross-account.
 */
const IAM_USER_INTO_OUTBOUND: Json = {
  ...AWSDOCS_IAM_USER_ASSUME_ROLE,
  userIdentity: { ...(AWSDOCS_IAM_USER_ASSUME_ROLE.userIdentity as Json), arn: `arn:aws:iam::${BASTION_ACCOUNT}:user/JohnDoe`, accountId: BASTION_ACCOUNT },
  requestParameters: { roleArn: OUTBOUND_ROLE, roleSessionName: 'JohnDoe-EC2-dev', sourceIdentity: 'JohnDoe', serialNumber: `arn:aws:iam::${BASTION_ACCOUNT}:mfa` },
  responseElements: {
    credentials: { sessionToken: '<encoded session token blob>', accessKeyId: 'AKIAQRSTUVWXYZEXAMPLE', expiration: 'Jul 18, 2023, 4:07:39 PM' },
    assumedRoleUser: { assumedRoleId: 'AROAQRSTUVWXYZEXAMPLE:JohnDoe-EC2-dev', arn: `arn:aws:sts::${BASTION_ACCOUNT}:assumed-role/outbound-integration/JohnDoe-EC2-dev` },
    sourceIdentity: 'JohnDoe',
  },
  resources: [{ ARN: OUTBOUND_ROLE, accountId: BASTION_ACCOUNT, type: 'AWS::IAM::Role' }],
  sharedEventID: undefined,
  recipientAccountId: BASTION_ACCOUNT,
};

/**
 * aws-docs/awsdocs-repaired-federation-samples.jsonl line 1 (AssumeRoleWithSAML), moved into the
 * bastion account: the role is the outbound role (was SAMLTestRoleShibboleth in 444455556666, also
 * in resources and assumedRoleUser), the SAML provider is the bastion account's, and
 * recipientAccountId is 210987654321.
 */
const SAML_INTO_OUTBOUND: Json = {
  eventVersion: '1.05',
  userIdentity: { type: 'SAMLUser', principalId: 'SampleUkh1i4+ExamplexL/jEvs=:SamlExample', userName: 'SamlExample', identityProvider: 'bdGOnTesti4+ExamplexL/jEvs=' },
  eventTime: '2019-11-01T19:14:36Z',
  eventSource: 'sts.amazonaws.com',
  eventName: 'AssumeRoleWithSAML',
  awsRegion: 'us-east-2',
  sourceIPAddress: '192.0.2.101',
  userAgent: 'aws-cli/1.16.263 Python/3.4.7 Linux/4.9.184-0.1.ac.235.83.329.metal1.x86_64 botocore/1.12.253',
  requestParameters: {
    sAMLAssertionID: '_c0046cEXAMPLEb9d4b8eEXAMPLE2619aEXAMPLE',
    roleSessionName: 'MyAssignedRoleSessionName',
    sourceIdentity: 'MySAMLUser',
    principalTags: { CostCenter: '987654', Project: 'Unicorn', Department: 'Engineering' },
    transitiveTagKeys: ['CostCenter', 'Project'],
    durationSeconds: 3600,
    roleArn: OUTBOUND_ROLE,
    principalArn: `arn:aws:iam::${BASTION_ACCOUNT}:saml-provider/Shibboleth`,
  },
  responseElements: {
    subjectType: 'transient',
    issuer: 'https://server.example.com/idp/shibboleth',
    sourceIdentity: 'MySAMLUser',
    credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', expiration: 'Mar 23, 2016, 2:39:57 AM', sessionToken: '<encoded session token blob>' },
    nameQualifier: 'bdGOnTesti4+ExamplexL/jEvs=',
    assumedRoleUser: { assumedRoleId: 'AROAD35QRSTUVWEXAMPLE:MyAssignedRoleSessionName', arn: `arn:aws:sts::${BASTION_ACCOUNT}:assumed-role/outbound-integration/MyAssignedRoleSessionName` },
    subject: 'SamlExample',
    audience: 'https://signin.aws.amazon.com/saml',
  },
  resources: [
    { ARN: OUTBOUND_ROLE, accountId: BASTION_ACCOUNT, type: 'AWS::IAM::Role' },
    { ARN: `arn:aws:iam::${BASTION_ACCOUNT}:saml-provider/test-saml-provider`, accountId: BASTION_ACCOUNT, type: 'AWS::IAM::SAMLProvider' },
  ],
  requestID: '6EXAMPLE-e595-11e5-b2c7-c974fEXAMPLE',
  eventID: 'dEXAMPLE-265a-41e0-9352-4401bEXAMPLE',
  eventType: 'AwsApiCall',
  recipientAccountId: BASTION_ACCOUNT,
};

/**
 * aws-docs/awsdocs-repaired-federation-samples.jsonl line 2 (AssumeRoleWithWebIdentity, Google),
 * moved into the bastion account like the SAML sample; the user agent is an SDK's instead of the
 * CLI's, so the web identity alone is the reason.
 */
const WEB_IDENTITY_INTO_OUTBOUND: Json = {
  eventVersion: '1.05',
  userIdentity: {
    type: 'WebIdentityUser',
    principalId: 'accounts.google.com:<id-of-application>.apps.googleusercontent.com:<id-of-user>',
    userName: '<id of user>',
    identityProvider: 'accounts.google.com',
  },
  eventTime: '2016-03-23T01:39:51Z',
  eventSource: 'sts.amazonaws.com',
  eventName: 'AssumeRoleWithWebIdentity',
  awsRegion: 'us-east-2',
  sourceIPAddress: '192.0.2.101',
  userAgent: BOTO3_AGENT,
  requestParameters: {
    sourceIdentity: 'MyWebIdentityUser',
    durationSeconds: 3600,
    roleArn: OUTBOUND_ROLE,
    roleSessionName: 'MyAssignedRoleSessionName',
    principalTags: { CostCenter: '24680', Project: 'Pegasus' },
    transitiveTagKeys: ['CostCenter', 'Project'],
  },
  responseElements: {
    provider: 'accounts.google.com',
    subjectFromWebIdentityToken: '<id of user>',
    sourceIdentity: 'MyWebIdentityUser',
    audience: '<id of application>.apps.googleusercontent.com',
    credentials: { accessKeyId: 'ASIACQRSTUVWRAOEXAMPLE', expiration: 'Mar 23, 2016, 2:39:51 AM', sessionToken: '<encoded session token blob>' },
    assumedRoleUser: { assumedRoleId: 'AROACQRSTUVWRAOEXAMPLE:MyAssignedRoleSessionName', arn: `arn:aws:sts::${BASTION_ACCOUNT}:assumed-role/outbound-integration/MyAssignedRoleSessionName` },
  },
  resources: [{ ARN: OUTBOUND_ROLE, accountId: BASTION_ACCOUNT, type: 'AWS::IAM::Role' }],
  requestID: '6EXAMPLE-e595-11e5-b2c7-c974fEXAMPLE',
  eventID: 'bEXAMPLE-0b30-4246-b28c-e3da3EXAMPLE',
  eventType: 'AwsApiCall',
  recipientAccountId: BASTION_ACCOUNT,
};

/**
 * panther-analysis role_assumed_by_aws_service.yml, test "Role Assumed by AWS Service": Lambda
 * assumes its execution role. The role is the outbound role (was my_role_arn in 123456789123,
 * also in resources and recipientAccountId) and eventTime is ISO 8601 (Panther writes
 * "2024-06-02 20:27:12").
 */
const PANTHER_ROLE_ASSUMED_BY_LAMBDA: Json = {
  awsRegion: 'us-west-2',
  eventCategory: 'Management',
  eventID: '1f3d7d49-6637-3304-b959-9be15f20215d',
  eventName: 'AssumeRole',
  eventSource: 'sts.amazonaws.com',
  eventTime: '2024-06-02T20:27:12Z',
  eventType: 'AwsApiCall',
  eventVersion: '1.08',
  managementEvent: true,
  readOnly: true,
  recipientAccountId: BASTION_ACCOUNT,
  requestID: 'a0dda101-6e27-4f88-8250-f3d475f88b56',
  requestParameters: { roleArn: OUTBOUND_ROLE, roleSessionName: 'awslambda_55_20240602202712548' },
  resources: [{ accountId: BASTION_ACCOUNT, arn: OUTBOUND_ROLE, type: 'AWS::IAM::Role' }],
  responseElements: { credentials: { accessKeyId: 'REDACTED', expiration: 'Jun 2, 2024, 10:37:12 PM', sessionToken: 'REDACTED' } },
  sharedEventID: '95e84e79-100a-40a6-985e-3c9c4b41f622',
  sourceIPAddress: 'lambda.amazonaws.com',
  userAgent: 'lambda.amazonaws.com',
  userIdentity: { invokedBy: 'lambda.amazonaws.com', type: 'AWSService' },
};

const T = '2024-08-01T10:45:22Z';

/** See {@link DetectorCase}. */
export const cases: readonly DetectorCase[] = [
  {
    name: 'fires when an IAM user assumes the outbound role',
    basedOn: 'aws-docs/awsdocs-sample-records.jsonl',
    record: IAM_USER_INTO_OUTBOUND,
    expect: 'fires',
    severity: 'high',
  },
  {
    // STS refuses root credentials ("Roles may not be assumed by root accounts"), so a successful
    // root record is synthetic; the rating is what the detector promises should one appear.
    name: 'rates a root user assuming the outbound role critical',
    record: intoOutbound({ time: T, caller: rootUser(), sessionName: 'root-session', userAgent: BOTO3_AGENT }),
    expect: 'fires',
    severity: 'critical',
  },
  {
    // What a root attempt really looks like (request kept, so the role is known): one step lower.
    name: 'rates a root user\'s denied attempt high',
    record: intoOutbound({
      time: T,
      caller: rootUser(),
      sessionName: 'root-session',
      userAgent: BOTO3_AGENT,
      error: { code: 'AccessDenied', message: 'Roles may not be assumed by root accounts.', keepRequest: true },
    }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'fires when a SAML user assumes the outbound role',
    basedOn: 'aws-docs/awsdocs-repaired-federation-samples.jsonl',
    record: SAML_INTO_OUTBOUND,
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'fires when a web-identity user assumes the outbound role',
    basedOn: 'aws-docs/awsdocs-repaired-federation-samples.jsonl',
    record: WEB_IDENTITY_INTO_OUTBOUND,
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'fires when an IAM Identity Center (AWSReservedSSO_) session assumes the outbound role',
    record: intoOutbound({ time: T, caller: roleSession(SSO_ADMIN_ROLE, 'jane.doe@vendor.example'), sessionName: 'jane-debug', userAgent: BOTO3_AGENT }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'fires when a session of a configured human role (break-glass) assumes the outbound role',
    record: intoOutbound({ time: T, caller: roleSession(BREAK_GLASS_ROLE, 'oncall-incident-4521'), sessionName: 'incident-4521', userAgent: BOTO3_AGENT }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'fires when a session with console credentials assumes the outbound role',
    record: intoOutbound({
      time: T,
      caller: roleSession(`arn:aws:iam::${BASTION_ACCOUNT}:role/support-engineer`, 'm.rossi'),
      sessionName: 'support-check',
      userAgent: BROWSER_AGENT,
      extra: { sessionCredentialFromConsole: 'true' },
    }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'fires when a workload role assumes the outbound role with the AWS CLI',
    record: intoOutbound({ time: T, caller: roleSession(`arn:aws:iam::${BASTION_ACCOUNT}:role/ci-deployer`, 'gha-run-10234'), sessionName: 'gha-run-10234', userAgent: CLI_AGENT }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'fires when the outbound session is named with an e-mail address',
    record: intoOutbound({
      time: T,
      caller: roleSession(`arn:aws:iam::${BASTION_ACCOUNT}:role/data-export-worker`, 'i-0a1b2c3d4e5f67890'),
      sessionName: 'jane.doe@vendor.example',
      userAgent: BOTO3_AGENT,
    }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'rates an IAM user\'s denied attempt (requestParameters null) one step lower',
    basedOn: 'stratus-red-team/aws.discovery.ec2-download-user-data.json',
    record: STRATUS_DENIED_IAM_USER,
    expect: 'fires',
    severity: 'medium',
  },
  {
    name: 'stays quiet for the expected caller, even with an interactive user agent',
    record: intoOutbound({ time: T, userAgent: CLI_AGENT }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet for a non-human workload calling through an SDK (unexpected-caller\'s business)',
    record: intoOutbound({ time: T, caller: roleSession(`arn:aws:iam::${BASTION_ACCOUNT}:role/reporting-worker`, 'b7e2c1d0f9a84e3b'), sessionName: 'reporting-b7e2c1d0' }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet when an AWS service assumes the outbound role',
    basedOn: 'panther-analysis/rules/aws_cloudtrail_rules/role_assumed_by_aws_service.yml',
    record: PANTHER_ROLE_ASSUMED_BY_LAMBDA,
    expect: 'quiet',
  },
  {
    name: 'stays quiet when an IAM user assumes a role that is not monitored',
    basedOn: 'aws-docs/awsdocs-sample-records.jsonl',
    record: AWSDOCS_IAM_USER_ASSUME_ROLE,
    expect: 'quiet',
  },
  {
    name: 'stays quiet when an IAM user is an expected caller',
    config: { expectedCallerArns: [`arn:aws:iam::${BASTION_ACCOUNT}:role/integration-backend`, `arn:aws:iam::${BASTION_ACCOUNT}:user/svc-legacy-sync`] },
    record: intoOutbound({ time: T, caller: iamUser('svc-legacy-sync'), sessionName: 'legacy-sync' }),
    expect: 'quiet',
  },
];
