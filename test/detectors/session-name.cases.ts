/** Cases of session-name: names that break the pattern or the learned shapes of the outbound role. */
import { outToCustomer } from '../support/case-records';
import type { DetectorCase } from './cases';

/** The backend's scheme: `ar-sync-<epoch seconds>` (the default of {@link outToCustomer}). */
const PATTERN = { sessionNamePattern: 'ar-sync-[0-9]+' };
const T = '2024-08-01T10:45:22Z';

/** See {@link DetectorCase}. */
export const cases: readonly DetectorCase[] = [
  {
    // The Go SDK's default session name, as the stratus-red-team detonations use.
    name: 'fires when the session name breaks sessionNamePattern',
    basedOn: 'stratus-red-team/aws.discovery.ec2-download-user-data.json',
    config: PATTERN,
    history: [outToCustomer({ time: '2024-08-01T10:00:00Z' })],
    record: outToCustomer({ time: T, sessionName: 'aws-go-sdk-1722455550269043000' }),
    expect: 'fires',
    severity: 'medium',
  },
  {
    name: 'fires on a shape never seen for the role after learning',
    config: { learningPeriodDays: 1 },
    history: [outToCustomer({ time: '2024-07-30T10:00:00Z' }), outToCustomer({ time: '2024-07-31T10:00:00Z' })],
    record: outToCustomer({ time: T, sessionName: 'botocore-session-1722509122' }),
    expect: 'fires',
    severity: 'medium',
  },
  {
    name: 'rates an e-mail address as session name high',
    history: [outToCustomer({ time: '2024-08-01T10:00:00Z' })],
    record: outToCustomer({ time: T, sessionName: 'jane.doe@vendor.example' }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'rates an e-mail address that breaks the pattern high',
    config: PATTERN,
    record: outToCustomer({ time: T, sessionName: 'j.smith@vendor.example' }),
    expect: 'fires',
    severity: 'high',
  },
  {
    name: 'stays quiet for a learned shape with other digits',
    history: [outToCustomer({ time: '2024-08-01T10:00:00Z' })],
    record: outToCustomer({ time: T }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet when a numeric suffix grows past eight digits',
    config: { learningPeriodDays: 1 },
    history: [
      outToCustomer({ time: '2024-07-30T10:00:00Z', sessionName: 'ar-sync-9999998' }),
      outToCustomer({ time: '2024-07-31T10:00:00Z', sessionName: 'ar-sync-9999999' }),
    ],
    record: outToCustomer({ time: T, sessionName: 'ar-sync-10000000' }),
    expect: 'quiet',
  },
  {
    name: 'stays quiet for a name that matches the pattern and a known shape',
    config: PATTERN,
    history: [outToCustomer({ time: '2024-08-01T10:00:00Z' })],
    record: outToCustomer({ time: T }),
    expect: 'quiet',
  },
  {
    name: 'folds UUIDs into one shape',
    history: [outToCustomer({ time: '2024-08-01T10:00:00Z', sessionName: 'job-5b3e1f0a-8c2d-4e6f-9a1b-7c3d5e7f9a1b' })],
    record: outToCustomer({ time: T, sessionName: 'job-e0d4c2b8-1f3a-4b5c-8d7e-2a4c6e8f0b13' }),
    expect: 'quiet',
  },
  {
    name: 'learns new shapes silently during the learning period',
    config: { learningPeriodDays: 7 },
    history: [outToCustomer({ time: '2024-07-31T10:00:00Z' })],
    record: outToCustomer({ time: T, sessionName: 'manual-debug' }),
    expect: 'quiet',
  },
];
