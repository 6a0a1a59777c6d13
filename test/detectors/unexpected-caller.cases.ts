/** Cases of unexpected-caller: principals outside `expectedCallerArns` assuming the outbound role. */
import { awsService, BASTION_ACCOUNT, intoOutbound, OUTBOUND_ROLE, roleSession, type Json } from '../support/case-records';
import type { DetectorCase } from './cases';
import { STRATUS_IAM_USER_ASSUME } from '../support/fixture-records';

const REPORTING_ROLE = `arn:aws:iam::${BASTION_ACCOUNT}:role/reporting-worker`;
/** A vendor workload account whose backend role is an expected caller in one case. */
const WORKLOAD_ACCOUNT = '345678901234';
const T = '2024-08-01T10:45:22Z';

/**
 * aws-docs/awsdocs-sample-records.jsonl line 3: the role owner's copy of a cross-account
 * AssumeRole, which names only the caller's account (`AWSAccount`). Changed: the role is the
 * outbound role (was EC2-dev in 111122223333, also in assumedRoleUser) and recipientAccountId
 * the bastion account (it was missing); the user agent is an SDK's instead of the CLI's (the CLI
 * would make it a human, reported by human-principal); `caller` sets the calling account.
 */
function ownerCopy(caller: string): Json {
  return {
    eventVersion: '1.05',
    userIdentity: { type: 'AWSAccount', principalId: 'AIDAQRSTUVWXYZEXAMPLE', accountId: caller },
    eventTime: '2014-07-18T15:07:39Z',
    eventSource: 'sts.amazonaws.com',
    eventName: 'AssumeRole',
    awsRegion: 'us-east-2',
    sourceIPAddress: '192.0.2.101',
    userAgent: 'aws-sdk-go/1.44.327 (go1.20.7; linux; amd64)',
    requestParameters: { roleArn: OUTBOUND_ROLE, roleSessionName: 'JohnDoe-EC2-dev', sourceIdentity: 'JohnDoe', serialNumber: `arn:aws:iam::${caller}:mfa` },
    responseElements: {
      credentials: { sessionToken: '<encoded session token blob>', accessKeyId: 'AKIAQRSTUVWXYZEXAMPLE', expiration: 'Jul 18, 2014, 4:07:39 PM' },
      assumedRoleUser: { assumedRoleId: 'AIDAQRSTUVWXYZEXAMPLE:JohnDoe-EC2-dev', arn: `arn:aws:sts::${BASTION_ACCOUNT}:assumed-role/outbound-integration/JohnDoe-EC2-dev` },
      sourceIdentity: 'JohnDoe',
    },
    requestID: '4EXAMPLE-0e8d-11e4-96e4-e55c0EXAMPLE',
    sharedEventID: 'bEXAMPLE-efea-4a70-b951-19a88EXAMPLE',
    eventID: 'dEXAMPLE-ac7f-466c-a608-4ac8dEXAMPLE',
    recipientAccountId: BASTION_ACCOUNT,
  };
}

/** See {@link DetectorCase}. */
export const cases: readonly DetectorCase[] = [
  {
    name: 'fires when another workload\'s role session assumes the outbound role',
    record: intoOutbound({ time: T, caller: roleSession(REPORTING_ROLE, 'b7e2c1d0f9a84e3b'), sessionName: 'reporting-b7e2c1d0' }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'rates a denied attempt by an unexpected workload (requestParameters null) medium',
    record: intoOutbound({ time: T, caller: roleSession(REPORTING_ROLE, 'b7e2c1d0f9a84e3b'), sessionName: 'reporting-b7e2c1d0', error: { code: 'AccessDenied' } }),
    expect: 'fires',
    severity: 'medium',
  },
  {
    name: 'fires on the role owner\'s copy of a cross-account call from an account with no expected caller',
    basedOn: 'aws-docs/awsdocs-sample-records.jsonl',
    record: ownerCopy('777788889999'),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'stays quiet for the expected backend role',
    record: intoOutbound({ time: T }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet on the role owner\'s copy when the caller\'s account holds an expected caller',
    basedOn: 'aws-docs/awsdocs-sample-records.jsonl',
    config: { expectedCallerArns: [`arn:aws:iam::${WORKLOAD_ACCOUNT}:role/integration-backend`] },
    record: ownerCopy(WORKLOAD_ACCOUNT),
    expect: 'quiet',
  },
  {
    name: 'stays quiet for an IAM user (human-principal reports humans)',
    basedOn: 'stratus-red-team/aws.discovery.ec2-download-user-data.json',
    record: STRATUS_IAM_USER_ASSUME,
    expect: 'quiet',
  },
  {
    name: 'stays silent while expectedCallerArns is empty',
    config: { expectedCallerArns: [] },
    record: intoOutbound({ time: T, caller: roleSession(REPORTING_ROLE, 'b7e2c1d0f9a84e3b'), sessionName: 'reporting-b7e2c1d0' }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet when the expected callers cover the whole account (its root ARN)',
    config: { expectedCallerArns: [`arn:aws:iam::${BASTION_ACCOUNT}:root`] },
    record: intoOutbound({ time: T, caller: roleSession(REPORTING_ROLE, 'b7e2c1d0f9a84e3b'), sessionName: 'reporting-b7e2c1d0' }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet when an AWS service assumes the outbound role',
    record: intoOutbound({
      time: T,
      caller: awsService('ecs-tasks.amazonaws.com'),
      sessionName: '3f1c0b6e9a2d4c7f8e5b1a0d9c8e7f6a',
      sourceIp: 'ecs-tasks.amazonaws.com',
      userAgent: 'ecs-tasks.amazonaws.com',
    }),
    expect: 'quiet',
  },
];
