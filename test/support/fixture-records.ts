/**
 * Public fixture records adapted to the cases' bastion account, shared by several cases files.
 * Each says where it comes from and what was changed.
 */
import { ADDRESSES, BASTION_ACCOUNT, customerRole, CUSTOMERS, OUTBOUND_ROLE, type Json } from './case-records';

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

/**
 * aws-docs/awsdocs-sample-records.jsonl, the IAM User Guide's "Example AWS STS role chaining API
 * event in CloudTrail log file" (eventID 1917948f-…): a role session assuming another role with
 * `durationSeconds` 3600, the shape of a call out of the outbound role. Account 111111111111
 * became the bastion account and the caller's role (JohnRole1) the outbound role, in the session
 * ARN and sessionIssuer; the assumed role (JohnRole2) became acme's customer role, in
 * requestParameters, resources and assumedRoleUser (the guide's `test-role` there is a slip of
 * the sample), and the address (123.145.67.89) nat-eu's. Tags, source identity, user agent,
 * times and IDs are kept; the session token is trimmed. The guide's STS samples carry no session
 * policy: cases add `policy` and `policyArns` as CloudTrail writes them (see below).
 */
export const AWS_DOCS_ROLE_CHAINING: Json = {
  eventVersion: '1.05',
  userIdentity: {
    type: 'AssumedRole',
    principalId: 'AROAIN5ATK5U7KEXAMPLE:JohnRole1',
    arn: `arn:aws:sts::${BASTION_ACCOUNT}:assumed-role/outbound-integration/JohnRole1`,
    accountId: BASTION_ACCOUNT,
    accessKeyId: 'AKIAI44QH8DHBEXAMPLE',
    sessionContext: {
      attributes: { mfaAuthenticated: 'false', creationDate: '2019-10-02T21:50:54Z' },
      sessionIssuer: { type: 'Role', principalId: 'AROAIN5ATK5U7KEXAMPLE', arn: OUTBOUND_ROLE, accountId: BASTION_ACCOUNT, userName: 'outbound-integration' },
      sourceIdentity: 'JohnDoe',
    },
  },
  eventTime: '2019-10-02T22:12:29Z',
  eventSource: 'sts.amazonaws.com',
  eventName: 'AssumeRole',
  awsRegion: 'us-east-2',
  sourceIPAddress: ADDRESSES.natEu,
  userAgent: 'aws-cli/1.16.248 Python/3.4.7 Linux/4.9.184-0.1.ac.235.83.329.metal1.x86_64 botocore/1.12.239',
  requestParameters: {
    incomingTransitiveTags: { Department: 'Engineering' },
    tags: [{ value: 'johndoe@example.com', key: 'Email' }, { value: '12345', key: 'CostCenter' }],
    roleArn: customerRole(CUSTOMERS.acme),
    roleSessionName: 'Role2WithTags',
    sourceIdentity: 'JohnDoe',
    transitiveTagKeys: ['Email', 'CostCenter'],
    durationSeconds: 3600,
  },
  responseElements: {
    credentials: { accessKeyId: 'ASIAWHOJDLGPOEXAMPLE', expiration: 'Oct 2, 2019, 11:12:29 PM', sessionToken: 'AgoJb3JpZ2luX2VjEB4aCXVzLXdlc3QtMSJHMEXAMPLETOKEN…(trimmed)' },
    assumedRoleUser: { assumedRoleId: 'AROAIFR7WHDTSOYQYHFUE:Role2WithTags', arn: `arn:aws:sts::${CUSTOMERS.acme}:assumed-role/vendor-integration/Role2WithTags` },
    sourceIdentity: 'JohnDoe',
  },
  requestID: 'b96b0e4e-e561-11e9-8b3f-7b396EXAMPLE',
  eventID: '1917948f-3042-46ec-98e2-62865EXAMPLE',
  resources: [{ ARN: customerRole(CUSTOMERS.acme), accountId: CUSTOMERS.acme, type: 'AWS::IAM::Role' }],
  eventType: 'AwsApiCall',
  recipientAccountId: BASTION_ACCOUNT,
};

/**
 * stratus-red-team/aws.persistence.sts-federation-token.json's `requestParameters.policy`, as
 * CloudTrail wrote it: the inline session policy is a JSON string with the caller's layout kept
 * (here tabs and line breaks), and allows every action. STS takes the same `Policy` parameter in
 * AssumeRole as in GetFederationToken.
 */
export const STRATUS_ALLOW_ALL_POLICY = '{\n\t\t"Version": "2012-10-17",\n\t\t"Statement": [\n\t\t\t{\n\t\t\t\t"Effect": "Allow",\n\t\t\t\t"Action": "*",\n\t\t\t\t"Resource": "*"\n\t\t\t}\n\t\t]\n\t}';

/**
 * stratus-red-team/aws.credential-access.ec2-steal-instance-credentials.json, GetCallerIdentity
 * with an instance's stolen credentials (eventID b379479b-…). Changed: the instance role
 * (stratus-red-team-ec2-steal-credentials-role in 017622104382) is the outbound role in the
 * bastion account, the time is the case's. The address 18.236.253.47 (AWS EC2 us-west-2, not
 * the vendor's) and the made-up region are kept.
 */
export const STRATUS_STOLEN_CREDENTIALS: Json = {
  awsRegion: 'us-north-2r',
  eventCategory: 'Management',
  eventID: 'b379479b-05c9-4c3c-af4b-cbd43acf29e1',
  eventName: 'GetCallerIdentity',
  eventSource: 'sts.amazonaws.com',
  eventTime: '2024-08-02T08:23:55Z',
  eventType: 'AwsApiCall',
  eventVersion: '1.08',
  managementEvent: true,
  readOnly: true,
  recipientAccountId: BASTION_ACCOUNT,
  requestID: 'e46e7e10-ae9e-4170-b205-5d327c156416',
  requestParameters: null,
  responseElements: null,
  sourceIPAddress: '18.236.253.47',
  tlsDetails: { cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: 'sts.us-north-2r.amazonaws.com', tlsVersion: 'TLSv1.3' },
  userAgent: 'stratus-red-team_c763d13b-d099-488a-bb3e-f57cb2fed240',
  userIdentity: {
    accessKeyId: 'ASIAP5CT9NN8EYVU1FXV',
    accountId: BASTION_ACCOUNT,
    arn: `arn:aws:sts::${BASTION_ACCOUNT}:assumed-role/outbound-integration/i-786a3A8B5C0d92eF4`,
    principalId: 'AROALHCCSKSM395EGX3XN:i-786a3A8B5C0d92eF4',
    sessionContext: {
      attributes: { creationDate: '2024-08-02T08:20:52Z', mfaAuthenticated: 'false' },
      ec2RoleDelivery: '1.0',
      sessionIssuer: { accountId: BASTION_ACCOUNT, arn: OUTBOUND_ROLE, principalId: 'AROALHCCSKSM395EGX3XN', type: 'Role', userName: 'outbound-integration' },
      webIdFederationData: {},
    },
    type: 'AssumedRole',
  },
};
