/** Cases of call-volume: bursts of assumptions by the outbound role, against ceilings and the learned peak. */
import { CUSTOMERS, outToCustomer, times, type Json } from '../support/case-records';
import type { DetectorCase } from './cases';

/** The i-th of many customer accounts (a daily scan visits every tenant once). */
function tenant(i: number): string {
  return String(500000000000 + i);
}

/** Successful assumptions at `at`, one per time, into customer `account(i)`. */
function calls(at: readonly string[], account: (i: number) => string = () => CUSTOMERS.acme): Json[] {
  return at.map((time, i) => outToCustomer({ time, account: account(i) }));
}

/** A nightly scan: `count` tenants, 10 seconds apart, from 02:00 on `day`. */
function scan(day: string, count: number): Json[] {
  return calls(times(`${day}T02:00:00Z`, count, 10), tenant);
}

const SPIKE = { learningPeriodDays: 1, volumeSpikeFactor: 3, volumeSpikeMinCalls: 5 };

/** See {@link DetectorCase}. */
export const cases: readonly DetectorCase[] = [
  {
    name: 'fires when the calls in the window pass the hard ceiling',
    config: { volumeMaxCalls: 3 },
    history: calls(times('2024-08-01T10:00:05Z', 3, 60)),
    record: outToCustomer({ time: '2024-08-01T10:03:05Z' }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'counts the previous window\'s calls still inside the sliding window',
    config: { volumeMaxCalls: 3 },
    history: calls(times('2024-08-01T10:50:00Z', 3, 120)),
    record: outToCustomer({ time: '2024-08-01T11:06:00Z' }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'fires when the distinct target accounts pass their ceiling',
    config: { volumeMaxTargetAccounts: 2 },
    history: [outToCustomer({ time: '2024-08-01T10:00:05Z', account: CUSTOMERS.acme }), outToCustomer({ time: '2024-08-01T10:00:35Z', account: CUSTOMERS.globex })],
    record: outToCustomer({ time: '2024-08-01T10:01:05Z', account: CUSTOMERS.initech }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'fires on a spike over the learned peak of the previous days',
    config: SPIKE,
    // Learned: a peak of 2 calls an hour on 30 July; then 7 calls in 7 minutes on 1 August (> 3 × 2).
    history: [...calls(['2024-07-30T10:00:00Z', '2024-07-30T10:05:00Z']), ...calls(times('2024-08-01T10:00:00Z', 6, 60))],
    record: outToCustomer({ time: '2024-08-01T10:06:00Z' }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'stays quiet at the hard ceiling',
    config: { volumeMaxCalls: 3 },
    history: calls(times('2024-08-01T10:00:05Z', 2, 60)),
    record: outToCustomer({ time: '2024-08-01T10:02:05Z' }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet for the nightly scan it learned on previous days',
    config: SPIKE,
    history: [...scan('2024-07-30', 12), ...scan('2024-07-31', 12), ...scan('2024-08-01', 11)],
    record: outToCustomer({ time: '2024-08-01T02:01:50Z', account: tenant(11) }),
    expect: 'quiet',
  },
  {
    name: 'does not judge spikes during the learning period',
    config: { ...SPIKE, learningPeriodDays: 7 },
    history: [...calls(['2024-07-30T10:00:00Z']), ...calls(times('2024-08-01T10:00:00Z', 9, 30))],
    record: outToCustomer({ time: '2024-08-01T10:04:30Z' }),
    expect: 'quiet',
  },
  {
    name: 'does not count denied calls (failed-assume reports those)',
    config: { volumeMaxCalls: 3 },
    history: times('2024-08-01T10:00:05Z', 4, 30).map((time, i) => outToCustomer({ time, account: tenant(i), error: { code: 'AccessDenied' } })),
    record: outToCustomer({ time: '2024-08-01T10:02:35Z' }),
    expect: 'quiet',
  },
];
