/**
 * Public fixture records adapted to the cases' bastion account, shared by several cases files.
 * Each says where it comes from and what was changed.
 */
import { BASTION_ACCOUNT, OUTBOUND_ROLE, type Json } from './case-records';

/**
 * stratus-red-team/aws.discovery.ec2-download-user-data.json, the successful AssumeRole by IAM
 * user christophe (eventID cf589cd4-…): account 321848314756 became the bastion account and the
 * role (stratus-red-team-get-usr-data-role) the outbound role, also in resources and
 * assumedRoleUser. The session token is trimmed.
 */
export const STRATUS_IAM_USER_ASSUME: Json = {
  awsRegion: 'apiso-westcentral-3r',
  eventCategory: 'Management',
  eventID: 'cf589cd4-9633-4cc6-9b5c-c74f5a735fa5',
  eventName: 'AssumeRole',
  eventSource: 'sts.amazonaws.com',
  eventTime: '2024-07-31T19:52:33Z',
  eventType: 'AwsApiCall',
  eventVersion: '1.08',
  managementEvent: true,
  readOnly: true,
  recipientAccountId: BASTION_ACCOUNT,
  requestID: '01d3746c-667c-4cf6-a149-fa51a50c2024',
  requestParameters: { durationSeconds: 900, roleArn: OUTBOUND_ROLE, roleSessionName: 'aws-go-sdk-1722455550269043000' },
  resources: [{ ARN: OUTBOUND_ROLE, accountId: BASTION_ACCOUNT, type: 'AWS::IAM::Role' }],
  responseElements: {
    assumedRoleUser: { arn: `arn:aws:sts::${BASTION_ACCOUNT}:assumed-role/outbound-integration/aws-go-sdk-1722455550269043000`, assumedRoleId: 'AROAUF4S4NNXFP6WTHD73:aws-go-sdk-1722455550269043000' },
    credentials: { accessKeyId: 'ASIA74KS09ZFFBFV9E6K', expiration: 'Jul 31, 2024, 8:07:33 PM', sessionToken: 'IQoJb3JpZ2luX2VjEHwaCWV1LXdlc3QtMSJIMEYCIQCmhF6h…(trimmed)' },
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

/**
 * stratus-red-team/aws.discovery.ec2-download-user-data.json, the denied AssumeRole
 * (eventID 4cf5dad6-…): account 321848314756 became the bastion account and the role in
 * errorMessage the outbound role. requestParameters stays null: the role is only in the message.
 * The anonymised address, made-up region and stratus user agent are kept. human-principal's
 * cases rate it; failed-assume's repeat it into a burst.
 */
export const STRATUS_DENIED_IAM_USER: Json = {
  awsRegion: 'apiso-westcentral-3r',
  errorCode: 'AccessDenied',
  errorMessage: `User: arn:aws:iam::${BASTION_ACCOUNT}:user/christophe is not authorized to perform: sts:AssumeRole on resource: ${OUTBOUND_ROLE}`,
  eventCategory: 'Management',
  eventID: '4cf5dad6-648f-48eb-85a7-6181c5d79424',
  eventName: 'AssumeRole',
  eventSource: 'sts.amazonaws.com',
  eventTime: '2024-07-31T19:52:31Z',
  eventType: 'AwsApiCall',
  eventVersion: '1.08',
  managementEvent: true,
  readOnly: true,
  recipientAccountId: BASTION_ACCOUNT,
  requestID: '4707e217-520c-4854-833e-179f3607230a',
  requestParameters: null,
  responseElements: null,
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
