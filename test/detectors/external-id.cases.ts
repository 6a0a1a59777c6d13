/** Cases of external-id: missing, shared (tenant confusion) or changed external IDs. */
import { BASTION_ACCOUNT, customerRole, CUSTOMERS, externalIdOf, outboundSession, outToCustomer, type Json } from '../support/case-records';
import type { DetectorCase } from './cases';
import { CASE_REGISTRY, registryLine } from '../support/registry';

const T = '2024-08-01T10:45:22Z';
const ACME_XID = externalIdOf(CUSTOMERS.acme);

/**
 * The shape of stratus-red-team/aws.discovery.ec2-download-user-data.json's denied AssumeRole
 * (eventID 4cf5dad6-…: requestParameters and responseElements null, the role only in
 * errorMessage), made by the outbound role's session against a customer's role: the caller (IAM
 * user christophe in 321848314756) is the outbound session, the role in errorMessage the
 * customer's, the address, region and user agent the backend's, and the call being cross-account
 * now carries a sharedEventID. The eventID and requestID are kept.
 */
const STRATUS_DENIED_BY_OUTBOUND: Json = {
  awsRegion: 'eu-west-1',
  errorCode: 'AccessDenied',
  errorMessage: `User: arn:aws:sts::${BASTION_ACCOUNT}:assumed-role/outbound-integration/backend-3f1c0b6e is not authorized to perform: sts:AssumeRole on resource: ${customerRole(CUSTOMERS.globex)}`,
  eventCategory: 'Management',
  eventID: '4cf5dad6-648f-48eb-85a7-6181c5d79424',
  eventName: 'AssumeRole',
  eventSource: 'sts.amazonaws.com',
  eventTime: T,
  eventType: 'AwsApiCall',
  eventVersion: '1.08',
  managementEvent: true,
  readOnly: true,
  recipientAccountId: BASTION_ACCOUNT,
  requestID: '4707e217-520c-4854-833e-179f3607230a',
  requestParameters: null,
  responseElements: null,
  sharedEventID: '7c1e9b52-3d4f-4a8e-9b6c-2f0d1e3a5b7c',
  sourceIPAddress: '52.48.10.7',
  tlsDetails: { cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: 'sts.eu-west-1.amazonaws.com', tlsVersion: 'TLSv1.3' },
  userAgent: 'aws-sdk-js/3.620.0 ua/2.0 os/linux#5.10.220-209.869.amzn2.x86_64 lang/js md/nodejs#20.15.1 api/sts#3.620.0 m/E',
  userIdentity: outboundSession('backend-3f1c0b6e', { createdAt: '2024-08-01T10:40:02Z' }),
};

/** See {@link DetectorCase}. */
export const cases: readonly DetectorCase[] = [
  {
    name: 'fires when a customer role is assumed without an external ID',
    record: outToCustomer({ time: T, noExternalId: true }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'fires when one external ID is sent to a second account after learning',
    config: { learningPeriodDays: 1 },
    history: [outToCustomer({ time: '2024-07-30T10:00:00Z', account: CUSTOMERS.acme }), outToCustomer({ time: '2024-07-31T10:00:00Z', account: CUSTOMERS.acme })],
    record: outToCustomer({ time: T, account: CUSTOMERS.globex, externalId: ACME_XID }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'rates a changed external ID for an account medium',
    history: [outToCustomer({ time: '2024-08-01T10:00:00Z', account: CUSTOMERS.acme })],
    record: outToCustomer({ time: T, account: CUSTOMERS.acme, externalId: 'vnd-rotated-2024-08-01-acme' }),
    expect: 'fires',
    severity: 'medium',
  },
  {
    name: 'stays quiet when each account keeps its own external ID',
    history: [outToCustomer({ time: '2024-08-01T10:00:00Z', account: CUSTOMERS.acme }), outToCustomer({ time: '2024-08-01T10:10:00Z', account: CUSTOMERS.globex })],
    record: outToCustomer({ time: T, account: CUSTOMERS.acme }),
    expect: 'quiet',
  },
  {
    name: 'learns accounts that share an external ID during the learning period',
    config: { learningPeriodDays: 1 },
    history: [
      outToCustomer({ time: '2024-07-31T10:00:00Z', account: CUSTOMERS.acme, externalId: ACME_XID }),
      outToCustomer({ time: '2024-07-31T10:05:00Z', account: CUSTOMERS.globex, externalId: ACME_XID }),
    ],
    record: outToCustomer({ time: T, account: CUSTOMERS.globex, externalId: ACME_XID }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet for a same-account assumption without an external ID',
    record: outToCustomer({ time: T, roleArn: `arn:aws:iam::${BASTION_ACCOUNT}:role/audit-log-writer`, noExternalId: true }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet for a denied call (requestParameters null)',
    basedOn: 'stratus-red-team/aws.discovery.ec2-download-user-data.json',
    record: STRATUS_DENIED_BY_OUTBOUND,
    expect: 'quiet',
  },
  {
    // CloudTrail marks AWS's own calls with invokedBy "AWS Internal" (aws-docs RotateKey sample).
    name: 'stays quiet when AWS itself makes the call (invokedBy AWS Internal)',
    record: outToCustomer({ time: T, noExternalId: true, caller: { ...outboundSession(), invokedBy: 'AWS Internal' }, sourceIp: 'AWS Internal' }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet for a missing external ID when requireExternalId is false',
    config: { requireExternalId: false },
    record: outToCustomer({ time: T, noExternalId: true }),
    expect: 'quiet',
  },
  // With a customer registry that lists the account: the registry decides.
  {
    name: 'rates an external ID the registry does not list for the account high, on first contact too',
    registry: CASE_REGISTRY,
    record: outToCustomer({ time: T, account: CUSTOMERS.globex, externalId: ACME_XID }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'stays quiet for a re-installed customer\'s new external ID once the registry lists it (rotation: both digests)',
    config: { learningPeriodDays: 1 },
    registry: [registryLine('t-0001-acme', CUSTOMERS.acme, { externalIds: [ACME_XID, 'vnd-reinstalled-5e4d3c2b1a09'] })],
    history: [outToCustomer({ time: '2024-07-30T10:00:00Z' }), outToCustomer({ time: '2024-07-31T10:00:00Z' })],
    record: outToCustomer({ time: T, externalId: 'vnd-reinstalled-5e4d3c2b1a09' }),
    expect: 'quiet',
  },
  {
    name: 'rates any assumption into an account two tenants registered high (a confused deputy)',
    registry: [registryLine('t-0001-acme', CUSTOMERS.acme), registryLine('t-0099-mallory', CUSTOMERS.acme)],
    record: outToCustomer({ time: T }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'stays quiet for the registered external ID',
    registry: CASE_REGISTRY,
    record: outToCustomer({ time: T }),
    expect: 'quiet',
  },
  {
    name: 'leaves an account the registry does not list to target-role',
    registry: CASE_REGISTRY,
    record: outToCustomer({ time: T, account: '908172635401', externalId: 'vnd-trial-2f1e0d9c8b7a' }),
    expect: 'quiet',
  },
];
