/**
 * Cases of session-request: session lengths and session policies asked for out of (and into)
 * the outbound role. Most records are the IAM User Guide's role-chaining AssumeRole, adapted to
 * the outbound role ({@link AWS_DOCS_ROLE_CHAINING}), with its request changed.
 */
import { CUSTOMERS, intoOutbound, outToCustomer, retimed, type Json } from '../support/case-records';
import { AWS_DOCS_ROLE_CHAINING, STRATUS_ALLOW_ALL_POLICY } from '../support/fixture-records';
import type { DetectorCase } from './cases';

const DOCS = 'aws-docs/awsdocs-sample-records.jsonl';
const T = AWS_DOCS_ROLE_CHAINING.eventTime as string;
/** Two days and one day before the sample: history that outlasts a one-day learning period. */
const DAY_2 = '2019-09-30T22:00:00Z';
const DAY_1 = '2019-10-01T22:00:00Z';
const LEARN_1_DAY = { learningPeriodDays: 1 };

/** A per-microservice inline session policy (the sync service reads S3 and lists CloudWatch metrics). */
const SYNC_POLICY = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket","cloudwatch:ListMetrics"],"Resource":"*"}]}';
/** The same policy as another SDK lays it out. */
const SYNC_POLICY_PRETTY = JSON.stringify(JSON.parse(SYNC_POLICY), null, 2);
const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';

/**
 * The sample at `time` with its request changed (a parameter set to undefined is left out) and
 * top-level fields replaced; fresh IDs, so the engine takes it for another call.
 */
function chained(time: string, request: Json = {}, fields: Json = {}): Json {
  const params: Json = { ...(AWS_DOCS_ROLE_CHAINING.requestParameters as Json), ...request };
  for (const k of Object.keys(params)) if (params[k] === undefined) delete params[k];
  return retimed(AWS_DOCS_ROLE_CHAINING, time, { requestParameters: params, ...fields });
}

/** STS refusing a chained session over an hour: the request is logged, nothing is issued. */
const CHAIN_LIMIT_REFUSAL: Json = {
  errorCode: 'ValidationError',
  errorMessage: 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
  responseElements: null,
  resources: undefined,
};

/** The backend's usual outbound calls on the two days before: 15-minute sessions unless `request` says otherwise. */
function usual(request: Json = {}): Json[] {
  return [chained(DAY_2, { durationSeconds: 900, ...request }), chained(DAY_1, { durationSeconds: 900, ...request })];
}

/** See {@link DetectorCase}. */
export const cases: readonly DetectorCase[] = [
  // ---- duration ------------------------------------------------------------------------------
  {
    name: 'fires when a session asks for longer than the role ever did, after learning',
    basedOn: DOCS,
    config: LEARN_1_DAY,
    history: usual(),
    record: chained(T),
    expect: 'fires',
    severity: 'medium',
  },
  {
    name: 'counts a request without DurationSeconds as 3600 seconds',
    basedOn: DOCS,
    config: LEARN_1_DAY,
    history: usual(),
    record: chained(T, { durationSeconds: undefined }),
    expect: 'fires',
    severity: 'medium',
  },
  {
    name: 'fires on a refused two-hour chained session (ValidationError) above the learned maximum',
    basedOn: DOCS,
    config: LEARN_1_DAY,
    history: [chained(DAY_2), chained(DAY_1)],
    record: chained(T, { durationSeconds: 7200 }, CHAIN_LIMIT_REFUSAL),
    expect: 'fires',
    severity: 'medium',
  },
  {
    name: 'rates a session above maxSessionDurationSeconds high, even while learning',
    basedOn: DOCS,
    config: { learningPeriodDays: 7, maxSessionDurationSeconds: 900 },
    record: chained(T),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'fires when a caller asks for a longer outbound-role session than callers did',
    config: LEARN_1_DAY,
    history: [intoOutbound({ time: DAY_2, durationSeconds: 900 }), intoOutbound({ time: DAY_1, durationSeconds: 900 })],
    record: intoOutbound({ time: T, durationSeconds: 3600 }),
    expect: 'fires',
    severity: 'medium',
  },
  {
    name: 'stays quiet for the duration the role always asks for',
    basedOn: DOCS,
    config: LEARN_1_DAY,
    history: [chained(DAY_2), chained(DAY_1)],
    record: chained(T),
    expect: 'quiet',
  },
  {
    name: 'reads a DurationSeconds that CloudTrail wrote as a string',
    basedOn: DOCS,
    config: LEARN_1_DAY,
    history: usual({ durationSeconds: '900' }),
    record: chained(T, { durationSeconds: '3600' }),
    expect: 'fires',
    severity: 'medium',
  },
  {
    name: 'stays quiet for a shorter session than usual',
    basedOn: DOCS,
    config: LEARN_1_DAY,
    history: [chained(DAY_2), chained(DAY_1)],
    record: chained(T, { durationSeconds: 900 }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet when the outbound-role session is as long as callers asked before',
    config: { ...LEARN_1_DAY, maxSessionDurationSeconds: 3600 },
    history: [intoOutbound({ time: DAY_2 }), intoOutbound({ time: DAY_1 })],
    record: intoOutbound({ time: T }),
    expect: 'quiet',
  },
  {
    name: 'does not learn from a refused request: the next one that long still fires',
    basedOn: DOCS,
    config: LEARN_1_DAY,
    history: [chained(DAY_2), chained(DAY_1), chained('2019-10-02T22:00:00Z', { durationSeconds: 7200 }, CHAIN_LIMIT_REFUSAL)],
    record: chained(T, { durationSeconds: 7200 }, CHAIN_LIMIT_REFUSAL),
    expect: 'fires',
    severity: 'medium',
  },
  // ---- session policy ------------------------------------------------------------------------
  {
    name: 'rates a session policy allowing every action high',
    basedOn: 'stratus-red-team/aws.persistence.sts-federation-token.json',
    record: chained(T, { policy: STRATUS_ALLOW_ALL_POLICY }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'rates an Allow with NotAction high (everything but the listed actions)',
    basedOn: DOCS,
    record: chained(T, { policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}' }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'rates a session policy where the role never sends one medium, after learning',
    basedOn: DOCS,
    config: LEARN_1_DAY,
    history: [chained(DAY_2), chained(DAY_1)],
    record: chained(T, { policy: SYNC_POLICY }),
    expect: 'fires',
    severity: 'medium',
  },
  {
    name: 'fires when the session policy the role always sends is missing, after learning',
    basedOn: DOCS,
    config: LEARN_1_DAY,
    history: [chained(DAY_2, { policy: SYNC_POLICY }), chained(DAY_1, { policy: SYNC_POLICY })],
    record: chained(T),
    expect: 'fires',
    severity: 'medium',
  },
  {
    name: 'fires on a managed session policy never seen for the role, after learning',
    basedOn: DOCS,
    config: LEARN_1_DAY,
    history: [chained(DAY_2, { policy: SYNC_POLICY }), chained(DAY_1, { policy: SYNC_POLICY })],
    record: chained(T, { policy: SYNC_POLICY, policyArns: [{ arn: READ_ONLY }] }),
    expect: 'fires',
    severity: 'medium',
  },
  {
    name: 'rates a call out without a session policy high under requireSessionPolicy',
    basedOn: DOCS,
    config: { requireSessionPolicy: true },
    record: chained(T),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'rates a managed session policy outside allowedSessionPolicyArns high',
    basedOn: DOCS,
    config: { allowedSessionPolicyArns: [`arn:aws:iam::*:policy/vendor-session-*`] },
    record: chained(T, { policyArns: [{ arn: `arn:aws:iam::${CUSTOMERS.acme}:policy/vendor-session-sync` }, { arn: 'arn:aws:iam::aws:policy/AdministratorAccess' }] }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'stays quiet for the session policy the role always sends',
    basedOn: DOCS,
    config: { ...LEARN_1_DAY, requireSessionPolicy: true },
    history: [chained(DAY_2, { policy: SYNC_POLICY }), chained(DAY_1, { policy: SYNC_POLICY })],
    record: chained(T, { policy: SYNC_POLICY }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet for the usual session policy laid out differently',
    basedOn: DOCS,
    config: LEARN_1_DAY,
    history: [chained(DAY_2, { policy: SYNC_POLICY }), chained(DAY_1, { policy: SYNC_POLICY })],
    record: chained(T, { policy: SYNC_POLICY_PRETTY }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet for a per-tenant policy that names each target account',
    config: LEARN_1_DAY,
    history: [
      outToCustomer({ time: DAY_2, account: CUSTOMERS.globex }),
      outToCustomer({ time: DAY_1, account: CUSTOMERS.globex }),
    ].map((r) => withPolicy(r, tenantPolicy(CUSTOMERS.globex))),
    record: withPolicy(outToCustomer({ time: T, account: CUSTOMERS.initech }), tenantPolicy(CUSTOMERS.initech)),
    expect: 'quiet',
  },
  {
    name: 'stays quiet for a policy scoped to one service (s3:*), which is not every action',
    basedOn: DOCS,
    record: chained(T, { policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::vendor-sync-*"}]}' }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet for managed session policies inside allowedSessionPolicyArns',
    basedOn: DOCS,
    config: { allowedSessionPolicyArns: ['arn:aws:iam::*:policy/vendor-session-*', READ_ONLY], requireSessionPolicy: true },
    record: chained(T, { policyArns: [{ arn: READ_ONLY }, { arn: `arn:aws:iam::${CUSTOMERS.acme}:policy/vendor-session-sync` }] }),
    expect: 'quiet',
  },
  {
    name: 'applies requireSessionPolicy only to calls out of the role, not into it',
    config: { requireSessionPolicy: true },
    record: intoOutbound({ time: T }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet under requireSessionPolicy when a denial left the request unlogged',
    config: { requireSessionPolicy: true },
    record: outToCustomer({ time: T, account: CUSTOMERS.umbrella, error: { code: 'AccessDenied' } }),
    expect: 'quiet',
  },
  // ---- learning --------------------------------------------------------------------------------
  {
    name: 'learns a longer session and a new session policy silently during the learning period',
    basedOn: DOCS,
    config: { learningPeriodDays: 7 },
    history: usual(),
    record: chained(T, { durationSeconds: 3600, policy: SYNC_POLICY }),
    expect: 'quiet',
  },
];

/** A per-tenant session policy: the customer's own bucket and queue, named by account. */
function tenantPolicy(account: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['sqs:ReceiveMessage', 's3:GetObject'], Resource: [`arn:aws:sqs:eu-west-1:${account}:vendor-events`, `arn:aws:s3:::vendor-export-${account}/*`] }],
  });
}

/** A record with an inline session policy added to its request (fresh IDs). */
function withPolicy(record: Json, policy: string): Json {
  return retimed(record, record.eventTime as string, { requestParameters: { ...(record.requestParameters as Json), policy } });
}
