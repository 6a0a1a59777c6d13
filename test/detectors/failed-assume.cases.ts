/** Cases of failed-assume: bursts of denied AssumeRole calls from or against the outbound role. */
import { BASTION_ACCOUNT, outToCustomer, retimed, times, type Json } from '../support/case-records';
import type { DetectorCase } from './cases';
import { STRATUS_DENIED_IAM_USER } from '../support/fixture-records';

/** Accounts that are not customers, probed one after the other. */
function stranger(i: number): string {
  return String(600000000000 + i * 1111);
}

/** Denied assumptions by the outbound session into strangers' roles: requestParameters null. */
function probes(at: readonly string[]): Json[] {
  return at.map((time, i) => outToCustomer({ time, account: stranger(i), error: { code: 'AccessDenied' } }));
}

/**
 * The stratus-red-team denied AssumeRole by IAM user christophe (see fixture-records.ts:
 * requestParameters null, the outbound role only in errorMessage), repeated at each time with
 * fresh IDs to make a burst.
 */
function attempts(at: readonly string[]): Json[] {
  return at.map((time) => retimed(STRATUS_DENIED_IAM_USER, time));
}

/** STS refusing a call in a region the account has not activated: an error, not a denial. */
const REGION_DISABLED = {
  code: 'RegionDisabledException',
  message: `STS is not activated in this region for account:${BASTION_ACCOUNT}. Your account administrator can activate STS in this region using the IAM Console.`,
  keepRequest: true,
};

const BURST = times('2024-08-01T10:00:00Z', 10, 45);

/** See {@link DetectorCase}. */
export const cases: readonly DetectorCase[] = [
  {
    name: 'fires when the outbound session is denied into many accounts (role only in errorMessage)',
    history: probes(BURST.slice(0, 9)),
    record: probes(BURST)[9],
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'fires when an IAM user is repeatedly denied the outbound role (role only in errorMessage)',
    basedOn: 'stratus-red-team/aws.discovery.ec2-download-user-data.json',
    history: attempts(BURST.slice(0, 9)),
    record: attempts(BURST)[9],
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'counts the threshold from failedAssumeMaxCalls',
    config: { failedAssumeMaxCalls: 3 },
    history: attempts(BURST.slice(0, 2)),
    record: attempts(BURST)[2],
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'stays quiet below the threshold',
    basedOn: 'stratus-red-team/aws.discovery.ec2-download-user-data.json',
    history: attempts(BURST.slice(0, 8)),
    record: attempts(BURST)[8],
    expect: 'quiet',
  },
  {
    name: 'stays quiet for successful calls',
    history: BURST.slice(0, 9).map((time, i) => outToCustomer({ time, account: stranger(i) })),
    record: outToCustomer({ time: BURST[9]!, account: stranger(9) }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet for failures that are not denials',
    history: BURST.slice(0, 9).map((time, i) => outToCustomer({ time, account: stranger(i), region: 'ap-east-1', error: REGION_DISABLED })),
    record: outToCustomer({ time: BURST[9]!, account: stranger(9), region: 'ap-east-1', error: REGION_DISABLED }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet when denials are spread over hours',
    history: probes(times('2024-08-01T08:00:00Z', 9, 20 * 60)),
    record: outToCustomer({ time: '2024-08-01T11:00:00Z', account: stranger(9), error: { code: 'AccessDenied' } }),
    expect: 'quiet',
  },
];
