/** Cases of source-ip: monitored AssumeRole calls from outside the allow-listed egress addresses. */
import { ADDRESSES, BASTION_ACCOUNT, intoOutbound, OUTBOUND_ROLE, outToCustomer, type Json } from './case-records';
import type { DetectorCase } from './cases';

const T = '2024-08-01T10:45:22Z';

/**
 * stratus-red-team/aws.discovery.ec2-download-user-data.json, the successful AssumeRole by IAM
 * user christophe (eventID eebae605-…), whose address the publisher anonymised into the
 * non-address "255.18.064.253". Changed: account 321848314756 became the bastion account and the
 * role the outbound role (also in resources and assumedRoleUser); the session token is trimmed.
 */
const STRATUS_ANONYMISED_ADDRESS: Json = {
  awsRegion: 'apiso-westcentral-3r',
  eventCategory: 'Management',
  eventID: 'eebae605-3664-4560-a248-17d33f9ef6ef',
  eventName: 'AssumeRole',
  eventSource: 'sts.amazonaws.com',
  eventTime: '2024-07-31T19:52:33Z',
  eventType: 'AwsApiCall',
  eventVersion: '1.08',
  managementEvent: true,
  readOnly: true,
  recipientAccountId: BASTION_ACCOUNT,
  requestID: 'bf358b35-961d-4c8b-bcfd-82b647eb825c',
  requestParameters: { durationSeconds: 900, roleArn: OUTBOUND_ROLE, roleSessionName: 'aws-go-sdk-1722455550269043000' },
  resources: [{ ARN: OUTBOUND_ROLE, accountId: BASTION_ACCOUNT, type: 'AWS::IAM::Role' }],
  responseElements: {
    assumedRoleUser: { arn: `arn:aws:sts::${BASTION_ACCOUNT}:assumed-role/outbound-integration/aws-go-sdk-1722455550269043000`, assumedRoleId: 'AROAUF4S4NNXFP6WTHD73:aws-go-sdk-1722455550269043000' },
    credentials: { accessKeyId: 'ASIA4URVX2JM5MT0ZGK8', expiration: 'Jul 31, 2024, 8:07:33 PM', sessionToken: 'IQoJb3JpZ2luX2VjEHwaCWV1LXdlc3QtMSJGMEQCIGtdAaKv…(trimmed)' },
  },
  sourceIPAddress: '255.18.064.253',
  tlsDetails: { cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: 'sts.apiso-westcentral-3r.amazonaws.com', tlsVersion: 'TLSv1.3' },
  userAgent: 'stratus-red-team_f193d7d4-8114-40ff-acc9-a123d5463ff3',
  userIdentity: {
    accessKeyId: 'AKIAMJ2320ZAXACWCPJI',
    accountId: BASTION_ACCOUNT,
    arn: `arn:aws:iam::${BASTION_ACCOUNT}:user/christophe`,
    principalId: 'AIDA2Q68JMYYLLXFIRZ7',
    type: 'IAMUser',
    userName: 'christophe',
  },
};

/** See {@link DetectorCase}. */
export const cases: readonly DetectorCase[] = [
  {
    name: 'rates a customer role assumed from a non-AWS address high',
    record: outToCustomer({ time: T, sourceIp: ADDRESSES.tor }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'rates the outbound role assumed from an AWS address outside the allow-list medium',
    record: intoOutbound({ time: T, sourceIp: ADDRESSES.awsElsewhere }),
    expect: 'fires',
    severity: 'medium',
  },
  {
    name: 'rates a private (VPC endpoint) address outside the allow-list medium',
    record: intoOutbound({ time: T, sourceIp: ADDRESSES.vpc, extra: { vpcEndpointId: 'vpce-0a1b2c3d4e5f67890' } }),
    expect: 'fires',
    severity: 'medium',
  },
  {
    name: 'rates a source that is neither an address nor a service medium',
    basedOn: 'stratus-red-team/aws.discovery.ec2-download-user-data.json',
    record: STRATUS_ANONYMISED_ADDRESS,
    expect: 'fires',
    severity: 'medium',
  },
  {
    name: 'still rates a non-AWS address high without an allow-list',
    config: { allowedCidrs: {} },
    record: outToCustomer({ time: T, sourceIp: ADDRESSES.external }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'stays quiet for an address in an allow-listed group',
    record: outToCustomer({ time: T, sourceIp: ADDRESSES.natEu2 }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet for an allow-listed address written as IPv4-mapped IPv6',
    record: intoOutbound({ time: T, sourceIp: `::ffff:${ADDRESSES.natUs}` }),
    expect: 'quiet',
  },
  {
    name: 'classifies "AWS Internal" without flagging it',
    record: outToCustomer({ time: T, sourceIp: 'AWS Internal', userAgent: 'AWS Internal' }),
    expect: 'quiet',
  },
  {
    name: 'classifies an AWS service host name without flagging it',
    record: outToCustomer({ time: T, sourceIp: 'athena.amazonaws.com', userAgent: 'athena.amazonaws.com' }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet for an AWS address when there is no allow-list',
    config: { allowedCidrs: {} },
    record: intoOutbound({ time: T, sourceIp: ADDRESSES.awsElsewhere }),
    expect: 'quiet',
  },
];
