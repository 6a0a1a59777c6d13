/** What an incident is, and what `labels.json` says about it. */
import type { BenignHour } from '../benign';
import type { Builder, HourContext } from '../hour';
import type { CloudTrailRecord } from '../records';

/** What a detector needs besides the logs to see an incident. */
export type Requirement = 'customerRegistry';

/** What `labels.json` holds for one incident: the records that should make `detector` fire. */
export interface IncidentLabel {
  readonly id: string;
  readonly detector: string;
  /**
   * Set when the detector sees the incident only with this (`customerRegistry`: without the
   * vendor's registry the incident looks like an onboarding and may raise nothing).
   */
  readonly requires?: Requirement;
  readonly description: string;
  readonly eventIds: readonly string[];
}

/** One labelled incident of the incident day, meant to trip exactly one detector. */
export interface Incident {
  /** The label's ID after its number (`human-principal` in `01-human-principal`). */
  readonly id: string;
  /** The detector that should fire. */
  readonly detector: string;
  readonly requires?: Requirement;
  /**
   * UTC hours of the incident day it makes calls in; no two incidents share one, so suppression
   * cannot merge them. Most need one; slow probing spreads over several.
   */
  readonly hours: readonly number[];
  /** Adds the incident's records to one of its hours; returns them with a description for the label. */
  build(ctx: HourContext, b: Builder, benign: BenignHour): { readonly description: string; readonly records: readonly CloudTrailRecord[] };
}
