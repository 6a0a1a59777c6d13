/**
 * The shape of a detector's cases file (`<id>.cases.ts` beside the detector). Each case is a
 * record that must make the detector fire or keep it quiet, optionally after a history of
 * records that builds state (learning, earlier locations, counters).
 */
import type { Severity } from '../../lambdas/core/types';

/** One case of one detector. */
export interface DetectorCase {
  /** Behaviour, as a test name: "fires when an IAM user assumes the outbound role". */
  readonly name: string;
  /** Where the record comes from when it is based on a public fixture (folder/file). */
  readonly basedOn?: string;
  /** Configuration keys merged over the cases' base configuration. */
  readonly config?: Readonly<Record<string, unknown>>;
  /** Customer registry lines (objects, as the JSON Lines export holds them) the case runs with. */
  readonly registry?: readonly Readonly<Record<string, unknown>>[];
  /** Raw records processed first, in order, each as its own batch. */
  readonly history?: readonly unknown[];
  /** The raw CloudTrail record under test. */
  readonly record: unknown;
  readonly expect: 'fires' | 'quiet';
  /** The severity a firing case must report. */
  readonly severity?: Severity;
}

/** Configuration every case starts from: the bastion account of the examples. */
export const CASE_BASE_CONFIG: Readonly<Record<string, unknown>> = {
  monitoredRoleArns: ['arn:aws:iam::210987654321:role/outbound-*'],
  expectedCallerArns: ['arn:aws:iam::210987654321:role/integration-backend'],
  humanRoleArnPatterns: ['arn:aws:iam::210987654321:role/break-glass-admin'],
  allowedCidrs: { 'nat-eu': ['52.48.10.7/32', '52.48.10.8/32'], 'nat-us': ['3.80.20.11/32'] },
  learningPeriodDays: 0,
  minAlertSeverity: 'low',
};
