/** Cases of failed-assume: bursts of denied AssumeRole calls from or against the outbound role. */
import { BASTION_ACCOUNT, CUSTOMERS, outboundSession, outToCustomer, retimed, times, type Json } from '../support/case-records';
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
 * Slow probing: one denial every `everyMinutes` from `start`, each into another stranger's role,
 * by outbound sessions that rotate every hour (a prober opening a fresh session each time; six
 * denials an hour stay far under the burst threshold of 10 in 15 minutes).
 */
export function slowProbes(start: string, count: number, everyMinutes = 10): Json[] {
  const t0 = Date.parse(start);
  return times(start, count, everyMinutes * 60).map((time, i) => {
    const hour = Math.floor((Date.parse(time) - t0) / 3_600_000);
    return outToCustomer({ time, account: stranger(i), caller: outboundSession(`backend-${(0x5a1e0000 + hour).toString(16)}`), error: { code: 'AccessDenied' } });
  });
}

/**
 * The backend's daily denials for an offboarded customer (its role is gone): `count` retries,
 * every two hours from 00:30 on `day`, each from that retry's own session.
 */
function offboarded(day: string, count: number): Json[] {
  return times(`${day}T00:30:00Z`, count, 7200).map((time, i) =>
    outToCustomer({ time, account: CUSTOMERS.umbrella, caller: outboundSession(`backend-${day.slice(-2)}${String(i).padStart(6, '0')}`), error: { code: 'AccessDenied' } }),
  );
}

/** A learning period of a day: the first history day is learned, the next ones are judged. */
const LEARNED_DAILY = { learningPeriodDays: 1 };
/** A week-long learning period: only the daily ceiling is judged. */
const LEARNING = { learningPeriodDays: 7 };

const SLOW = slowProbes('2024-08-01T08:00:00Z', 60);
const TWO_DAYS = [...slowProbes('2024-08-01T08:00:00Z', 30, 20), ...slowProbes('2024-08-02T08:00:00Z', 30, 20)];

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
    name: 'fires on slow probing: the denial that takes a role\'s day past failedAssumeDailyMaxCalls (51st of 60 over 10 hours by hourly sessions)',
    config: LEARNING,
    history: SLOW.slice(0, 50),
    record: SLOW[50],
    expect: 'fires',
    severity: 'medium',
  },
  {
    name: 'counts the daily ceiling from failedAssumeDailyMaxCalls',
    config: { ...LEARNING, failedAssumeDailyMaxCalls: 20 },
    history: SLOW.slice(0, 20),
    record: SLOW[20],
    expect: 'fires',
    severity: 'medium',
  },
  {
    name: 'fires after learning on a day of slow denials 4× the learned daily peak',
    config: LEARNED_DAILY,
    // Learned: 5 offboarding denials a day on 29 and 30 July; then 20 slow denials on 1 August (> 3 × 5).
    history: [...offboarded('2024-07-29', 5), ...offboarded('2024-07-30', 5), ...slowProbes('2024-08-01T00:10:00Z', 15, 40)],
    record: slowProbes('2024-08-01T00:10:00Z', 16, 40)[15],
    expect: 'fires',
    severity: 'medium',
  },
  {
    name: 'stays quiet at the daily ceiling (50 slow denials in a day)',
    config: LEARNING,
    history: SLOW.slice(0, 49),
    record: SLOW[49],
    expect: 'quiet',
  },
  {
    name: 'stays quiet for the same 60 slow denials spread over two days, under the ceiling each day',
    config: LEARNING,
    history: TWO_DAYS.slice(0, 59),
    record: TWO_DAYS[59],
    expect: 'quiet',
  },
  {
    name: 'stays quiet for the offboarded customer\'s daily denials it learned',
    config: LEARNED_DAILY,
    // Unlearned, the 10th denial of a day would be a spike (failedAssumeMaxCalls is the floor).
    history: [...offboarded('2024-07-29', 12), ...offboarded('2024-07-30', 12), ...offboarded('2024-07-31', 12), ...offboarded('2024-08-01', 9)],
    record: offboarded('2024-08-01', 10)[9],
    expect: 'quiet',
  },
  {
    name: 'stays quiet during the learning period under the daily ceiling (40 denials on a first day)',
    config: LEARNING,
    history: slowProbes('2024-08-01T06:00:00Z', 39),
    record: slowProbes('2024-08-01T06:00:00Z', 40)[39],
    expect: 'quiet',
  },
  {
    // Counted twice, the day would have crossed in the history and this call would be quiet.
    name: 'counts redelivered denials once: after 30 are delivered again, the 51st distinct one still crosses the ceiling',
    config: LEARNING,
    history: [...SLOW.slice(0, 30), ...SLOW.slice(0, 30), ...SLOW.slice(30, 50)],
    record: SLOW[50],
    expect: 'fires',
    severity: 'medium',
  },
  {
    name: 'stays quiet when the denial that crossed the ceiling is delivered again',
    config: LEARNING,
    history: SLOW.slice(0, 51),
    record: SLOW[50],
    expect: 'quiet',
  },
  {
    name: 'stays quiet when denials are spread over hours (under the burst threshold and the daily ceiling)',
    config: LEARNING,
    history: probes(times('2024-08-01T08:00:00Z', 9, 20 * 60)),
    record: outToCustomer({ time: '2024-08-01T11:00:00Z', account: stranger(9), error: { code: 'AccessDenied' } }),
    expect: 'quiet',
  },
];
