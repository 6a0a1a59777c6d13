/** Cases of client: a session that changes SDK family or STS endpoint kind, a role that sees a new client. */
import { tlsDetails, USER_AGENTS } from '../../cli/generate/records';
import { ADDRESSES, outboundSession, outToCustomer, sessionCall, SDK_AGENT } from '../support/case-records';
import type { DetectorCase } from './cases';

const T = '2024-08-01T10:45:22Z';
const BEFORE = '2024-08-01T10:20:00Z';
/** The backend's JS SDK a year earlier than {@link SDK_AGENT}: same family. */
const OLDER_JS = 'aws-sdk-js/3.540.0 ua/2.1 os/linux#5.10.219-208.866.amzn2.x86_64 lang/js md/nodejs#20.12.2 api/sts#3.540.0 exec-env/AWS_ECS_FARGATE m/E';
/** A JS SDK v2 user agent (`aws-sdk-nodejs`): the same family as v3's `aws-sdk-js`. */
const JS_V2 = 'aws-sdk-nodejs/2.1691.0 linux/v18.20.4 exec-env/AWS_ECS_FARGATE promise';
const GLOBAL = { tlsDetails: tlsDetails('sts.amazonaws.com') };
/** Sessions of the role on earlier days, each one process with the backend's SDK. */
const LEARNED = [
  outToCustomer({ time: '2024-07-29T10:00:00Z', caller: outboundSession('backend-0a1b2c3d') }),
  outToCustomer({ time: '2024-07-30T10:00:00Z', caller: outboundSession('backend-1b2c3d4e') }),
  outToCustomer({ time: '2024-07-31T10:00:00Z', caller: outboundSession('backend-2c3d4e5f') }),
];
const NEW_SESSION = outboundSession('backend-9f8e7d6c');

/** See {@link DetectorCase}. */
export const cases: readonly DetectorCase[] = [
  {
    name: 'fires high when a session opened with the Go SDK continues with boto3',
    history: [outToCustomer({ time: BEFORE, userAgent: USER_AGENTS.goSdk })],
    record: outToCustomer({ time: T, userAgent: USER_AGENTS.boto3 }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'fires high when a session that called the regional STS endpoint calls the global one',
    history: [outToCustomer({ time: BEFORE })],
    record: outToCustomer({ time: T, extra: GLOBAL }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'fires high when a session\'s S3 calls (bracketed agent) switch to boto3, learned or not',
    config: { learningPeriodDays: 30 },
    history: [sessionCall({ caller: outboundSession(), time: BEFORE })],
    record: sessionCall({ caller: outboundSession(), time: T, userAgent: `[${USER_AGENTS.boto3}]` }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'fires high when curl signs a call with the backend session\'s key from the vendor\'s NAT',
    history: [sessionCall({ caller: outboundSession(), time: BEFORE, eventSource: 'sts.amazonaws.com', eventName: 'GetCallerIdentity' })],
    record: sessionCall({ caller: outboundSession(), time: T, eventSource: 'sts.amazonaws.com', eventName: 'GetCallerIdentity', userAgent: 'curl/8.5.0' }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'fires medium on an SDK family never seen for the role after learning',
    config: { learningPeriodDays: 1 },
    history: LEARNED,
    record: outToCustomer({ time: T, caller: NEW_SESSION, userAgent: USER_AGENTS.goSdk }),
    expect: 'fires',
    severity: 'medium',
  },
  {
    name: 'fires medium on the global STS endpoint never used by the role after learning',
    config: { learningPeriodDays: 1 },
    history: LEARNED,
    record: outToCustomer({ time: T, caller: NEW_SESSION, extra: GLOBAL }),
    expect: 'fires',
    severity: 'medium',
  },
  {
    name: 'stays quiet on an SDK version upgrade within the family',
    history: [outToCustomer({ time: BEFORE, userAgent: OLDER_JS })],
    record: outToCustomer({ time: T }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet when the JS SDK moves from v2 to v3 on the role after learning',
    config: { learningPeriodDays: 1 },
    history: LEARNED.map((r, i) => outToCustomer({ time: String(r.eventTime), caller: outboundSession(`backend-5d6e7f8${i}`), userAgent: JS_V2 })),
    record: outToCustomer({ time: T, caller: NEW_SESSION }),
    expect: 'quiet',
  },
  {
    name: 'learns a new family silently during the learning period',
    config: { learningPeriodDays: 7 },
    history: [outToCustomer({ time: '2024-07-31T10:00:00Z', caller: outboundSession('backend-0a1b2c3d') })],
    record: outToCustomer({ time: T, caller: NEW_SESSION, userAgent: USER_AGENTS.boto3 }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet when a service calls for the session',
    history: [sessionCall({ caller: outboundSession(), time: BEFORE })],
    record: sessionCall({
      caller: { ...outboundSession(), invokedBy: 'cloudformation.amazonaws.com' },
      time: T,
      sourceIp: 'cloudformation.amazonaws.com',
      userAgent: 'cloudformation.amazonaws.com',
    }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet on AWS Internal calls made for the session',
    history: [sessionCall({ caller: outboundSession(), time: BEFORE })],
    record: sessionCall({ caller: outboundSession(), time: T, sourceIp: 'AWS Internal', userAgent: 'AWS Internal' }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet on the usual backend client after learning',
    config: { learningPeriodDays: 1 },
    history: [...LEARNED, sessionCall({ caller: NEW_SESSION, time: BEFORE, eventSource: 'sts.amazonaws.com', eventName: 'GetCallerIdentity' })],
    record: outToCustomer({ time: T, caller: NEW_SESSION }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet when the session calls STS in another region (still a regional endpoint)',
    history: [outToCustomer({ time: BEFORE })],
    record: outToCustomer({ time: T, region: 'us-east-1', extra: { tlsDetails: tlsDetails('sts.us-east-1.amazonaws.com') } }),
    expect: 'quiet',
  },
  {
    name: 'leaves a new client from outside the allow-list to source-ip and session-locations',
    history: [outToCustomer({ time: BEFORE })],
    record: outToCustomer({ time: T, sourceIp: ADDRESSES.tor, userAgent: USER_AGENTS.boto3 }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet when another backend session with the same fixed name uses another SDK',
    // Not yet learned: the role's new family would be medium; the case is about the session.
    config: { learningPeriodDays: 7 },
    history: [outToCustomer({ time: BEFORE, caller: outboundSession('integration', { accessKeyId: 'ASIATESTKEYAAAAAAAA1' }), userAgent: USER_AGENTS.goSdk })],
    record: outToCustomer({ time: T, caller: outboundSession('integration', { accessKeyId: 'ASIATESTKEYAAAAAAAA2' }), userAgent: SDK_AGENT }),
    expect: 'quiet',
  },
];
