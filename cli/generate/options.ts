/** The generator's options: what can be asked for, the defaults, and their validation. */
import { HOUR } from './hour';
import { SCENARIO } from './scenario';
import { MIN_CUSTOMERS } from './world';

/** Generator options; every field has a default. */
export interface GenerateOptions {
  /** First hour of the corpus (ISO 8601, floored to the UTC hour). Default 2026-10-05T00:00:00Z. */
  readonly start?: string;
  /** Days of traffic. Default 3; unbounded when only `maxRecords` limits the run. */
  readonly days?: number;
  /** Number of customers (each one or two AWS accounts). Default 40, minimum 10. */
  readonly customers?: number;
  /** PRNG seed. Default 1. */
  readonly seed?: number;
  /** Add the labelled incidents on the incident day. Default true. */
  readonly incidents?: boolean;
  /** Stop after this many records (exactly, unless the days run out first). */
  readonly maxRecords?: number;
}

/** The defaults of {@link GenerateOptions}. */
export const DEFAULT_OPTIONS = {
  start: '2026-10-05T00:00:00Z',
  days: 3,
  customers: 40,
  seed: 1,
  incidents: true,
} as const;

/** Options with defaults applied and checked; times in ms. */
export interface ResolvedOptions {
  readonly seed: number;
  readonly start: number;
  readonly hours: number;
  readonly customers: number;
  readonly incidents: boolean;
  readonly incidentDay: number | null;
  /** The day incidents go on whether or not they are asked for (the calendar keeps it quiet), or null. */
  readonly quietDay: number | null;
  readonly maxRecords: number;
}

/** Applies defaults and checks `options`; throws naming the option that is wrong. */
export function resolveOptions(options: GenerateOptions): ResolvedOptions {
  const seed = options.seed ?? DEFAULT_OPTIONS.seed;
  if (!Number.isSafeInteger(seed)) throw new Error(`seed: ${seed} is not an integer`);
  const startText = options.start ?? DEFAULT_OPTIONS.start;
  const parsed = Date.parse(startText);
  if (Number.isNaN(parsed)) throw new Error(`start: ${JSON.stringify(startText)} is not an ISO 8601 time`);
  const start = Math.floor(parsed / HOUR) * HOUR;
  const customers = options.customers ?? DEFAULT_OPTIONS.customers;
  if (!Number.isInteger(customers) || customers < MIN_CUSTOMERS || customers > 100_000) {
    throw new Error(`customers: ${customers} must be an integer from ${MIN_CUSTOMERS} to 100000`);
  }
  const maxRecords = options.maxRecords ?? Infinity;
  if (maxRecords !== Infinity && (!Number.isInteger(maxRecords) || maxRecords < 1)) throw new Error(`records: ${maxRecords} must be a positive integer`);
  let days: number;
  if (options.days !== undefined) {
    if (!Number.isInteger(options.days) || options.days < 1 || options.days > 3660) throw new Error(`days: ${options.days} must be an integer from 1 to 3660`);
    days = options.days;
  } else {
    days = maxRecords === Infinity ? DEFAULT_OPTIONS.days : Infinity;
  }
  const incidents = options.incidents ?? DEFAULT_OPTIONS.incidents;
  // Incidents go on the last day; an open-ended (record-limited) run puts them on the first day after learning.
  const day = days === Infinity ? SCENARIO.learningPeriodDays : days - 1;
  return {
    seed,
    start,
    hours: days * 24,
    customers,
    incidents,
    incidentDay: incidents && day >= SCENARIO.learningPeriodDays ? day : null,
    quietDay: day >= SCENARIO.learningPeriodDays ? day : null,
    maxRecords,
  };
}

