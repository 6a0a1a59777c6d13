/** Cases of session-locations: one outbound session used from a second location. */
import { ADDRESSES, after, CUSTOMERS, outboundSession, outToCustomer, sessionCall, type Json } from '../support/case-records';
import type { DetectorCase } from './cases';
import { STRATUS_STOLEN_CREDENTIALS } from '../support/fixture-records';

const T = '2024-08-01T10:45:22Z';
const LATER = after(T, 20 * 60);

/** The backend's session of the outbound role, used by both records of a case. */
const SESSION = outboundSession('backend-3f1c0b6e', { createdAt: '2024-08-01T10:40:02Z' });

/** An instance-profile session of the outbound role: same name, rotated access keys. */
const INSTANCE_KEY_1 = outboundSession('i-0a1b2c3d4e5f67890', { accessKeyId: 'ASIAQ7XKM3VN2RT4WZ5A', createdAt: '2024-08-01T10:20:52Z', ec2RoleDelivery: '2.0' });
const INSTANCE_KEY_2 = outboundSession('i-0a1b2c3d4e5f67890', { accessKeyId: 'ASIAH6PL2JD8SC3EY7UB', createdAt: '2024-08-01T10:50:52Z', ec2RoleDelivery: '2.0' });

/** An EC2 address in us-east-1, the vendor's own region, that is not the vendor's (attackers rent there). */
const ATTACKER_EC2 = '54.161.20.7';

/** The stolen session's first calls, from the attacker's EC2 instance seconds before the backend's first call. */
const ATTACKER_FIRST = [
  sessionCall({ time: T, caller: SESSION, eventSource: 'sts.amazonaws.com', eventName: 'GetCallerIdentity', sourceIp: ATTACKER_EC2, userAgent: 'Boto3/1.34.84 md/Botocore#1.34.84 ua/2.0 os/linux#6.1.0-kali9-amd64' }),
  sessionCall({ time: after(T, 4), caller: SESSION, sourceIp: ATTACKER_EC2, userAgent: 'Boto3/1.34.84 md/Botocore#1.34.84 ua/2.0 os/linux#6.1.0-kali9-amd64' }),
];

/** See {@link DetectorCase}. */
export const cases: readonly DetectorCase[] = [
  {
    name: 'fires when the same access key is used from a second /24',
    history: [outToCustomer({ time: T, caller: SESSION })],
    record: outToCustomer({ time: LATER, caller: SESSION, sourceIp: ADDRESSES.tor }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'fires on the role-session ARN when an instance role\'s key has rotated',
    history: [sessionCall({ time: T, caller: INSTANCE_KEY_1 })],
    record: sessionCall({ time: after(T, 40 * 60), caller: INSTANCE_KEY_2, sourceIp: ADDRESSES.external }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'fires when a session moves to a second IPv6 /48',
    history: [outToCustomer({ time: T, caller: SESSION, sourceIp: '2a05:d018:1abc:1::5' })],
    record: outToCustomer({ time: LATER, caller: SESSION, sourceIp: '2a05:d018:1abd:2::7' }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'counts any call of the session, not only AssumeRole (S3 ListBuckets)',
    history: [outToCustomer({ time: T, caller: SESSION })],
    record: sessionCall({ time: LATER, caller: SESSION, sourceIp: ADDRESSES.tor }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'fires when stolen instance credentials call GetCallerIdentity from an EC2 address outside the allow-list',
    basedOn: 'stratus-red-team/aws.credential-access.ec2-steal-instance-credentials.json',
    history: [
      sessionCall({
        time: '2024-08-02T08:21:10Z',
        caller: STRATUS_STOLEN_CREDENTIALS.userIdentity as Json,
        eventSource: 'ec2.amazonaws.com',
        eventName: 'DescribeInstances',
        sourceIp: ADDRESSES.natEu,
        requestParameters: { instancesSet: {}, filterSet: {} },
      }),
    ],
    record: STRATUS_STOLEN_CREDENTIALS,
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'fires when stolen keys are used from an EC2 address seconds before the backend\'s first call from home (attacker first)',
    history: ATTACKER_FIRST,
    record: outToCustomer({ time: after(T, 9), caller: SESSION, sourceIp: ADDRESSES.natUs }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'fires when a session is first used through a VPC endpoint outside the allow-list, then from home',
    history: [sessionCall({ time: T, caller: SESSION, sourceIp: ADDRESSES.vpc, extra: { vpcEndpointId: 'vpce-0a1b2c3d4e5f67890' } })],
    record: sessionCall({ time: LATER, caller: SESSION, sourceIp: ADDRESSES.natEu }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'fires on the second location when neither is allow-listed (no allow-list)',
    config: { allowedCidrs: {} },
    history: [outToCustomer({ time: T, caller: SESSION, sourceIp: ADDRESSES.natUs })],
    record: outToCustomer({ time: LATER, caller: SESSION, sourceIp: ATTACKER_EC2 }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'fires on the second outside location when the session has no home yet',
    history: [sessionCall({ time: T, caller: SESSION, sourceIp: ATTACKER_EC2 })],
    record: sessionCall({ time: LATER, caller: SESSION, sourceIp: ADDRESSES.tor }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'rates a move between two allow-listed groups medium',
    history: [outToCustomer({ time: T, caller: SESSION, sourceIp: ADDRESSES.natEu })],
    record: outToCustomer({ time: LATER, caller: SESSION, sourceIp: ADDRESSES.natUs }),
    expect: 'fires',
    severity: 'medium',
  },
  {
    name: 'stays quiet for a second address in the same /24',
    history: [outToCustomer({ time: T, caller: SESSION, sourceIp: ADDRESSES.external })],
    record: outToCustomer({ time: LATER, caller: SESSION, sourceIp: '203.0.113.77' }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet for a second address in the same IPv6 /48',
    history: [outToCustomer({ time: T, caller: SESSION, sourceIp: '2a05:d018:1abc:1::5' })],
    record: outToCustomer({ time: LATER, caller: SESSION, sourceIp: '2a05:d018:1abc:9::1' }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet across two addresses of the same allow-listed group',
    history: [outToCustomer({ time: T, caller: SESSION, sourceIp: ADDRESSES.natEu })],
    record: sessionCall({ time: LATER, caller: SESSION, sourceIp: ADDRESSES.natEu2 }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet when a service acts for the session (host name, no location)',
    history: [outToCustomer({ time: T, caller: SESSION })],
    record: sessionCall({ time: LATER, caller: SESSION, eventSource: 'athena.amazonaws.com', eventName: 'GetQueryExecution', sourceIp: 'athena.amazonaws.com', userAgent: 'athena.amazonaws.com' }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet for a session used only from home, call after call',
    history: [outToCustomer({ time: T, caller: SESSION, sourceIp: ADDRESSES.natUs }), sessionCall({ time: after(T, 60), caller: SESSION, sourceIp: ADDRESSES.natUs })],
    record: outToCustomer({ time: LATER, caller: SESSION, sourceIp: ADDRESSES.natUs, account: CUSTOMERS.globex }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet for a session used only from one address outside the allow-list (source-ip\'s to flag)',
    history: ATTACKER_FIRST,
    record: outToCustomer({ time: LATER, caller: SESSION, sourceIp: ATTACKER_EC2 }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet when an outside call that already alerted is delivered again',
    history: [outToCustomer({ time: T, caller: SESSION, sourceIp: ADDRESSES.natUs }), ATTACKER_FIRST[0]!],
    record: ATTACKER_FIRST[0]!,
    expect: 'quiet',
  },
  {
    name: 'stays quiet for the backend\'s later calls from home once the outside calls alerted',
    history: [...ATTACKER_FIRST, outToCustomer({ time: after(T, 9), caller: SESSION, sourceIp: ADDRESSES.natUs })],
    record: sessionCall({ time: LATER, caller: SESSION, sourceIp: ADDRESSES.natUs }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet when AWS services act for a home session (service host names and AWS Internal have no location)',
    history: [
      sessionCall({ time: T, caller: SESSION, eventSource: 'athena.amazonaws.com', eventName: 'StartQueryExecution', sourceIp: 'athena.amazonaws.com', userAgent: 'athena.amazonaws.com' }),
      sessionCall({ time: after(T, 30), caller: SESSION, eventSource: 'kms.amazonaws.com', eventName: 'Decrypt', sourceIp: 'AWS Internal', userAgent: 'AWS Internal' }),
    ],
    record: sessionCall({ time: LATER, caller: SESSION, sourceIp: ADDRESSES.natUs }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet for two different sessions in two places',
    history: [outToCustomer({ time: T, caller: SESSION, sourceIp: ADDRESSES.natEu })],
    record: outToCustomer({ time: LATER, caller: outboundSession('backend-9d8e7f6a'), sourceIp: ADDRESSES.tor }),
    expect: 'quiet',
  },
];
