/** What an incident is, and what `labels.json` says about it. */
import type { BenignHour } from '../benign';
import type { Builder, HourContext } from '../hour';
import type { CloudTrailRecord } from '../records';

/** What `labels.json` holds for one incident: the records that should make `detector` fire. */
export interface IncidentLabel {
  readonly id: string;
  readonly detector: string;
  readonly description: string;
  readonly eventIds: readonly string[];
}

/** One labelled incident of the incident day, meant to trip exactly one detector. */
export interface Incident {
  /** The label's ID after its number (`human-principal` in `01-human-principal`). */
  readonly id: string;
  /** The detector that should fire. */
  readonly detector: string;
  /** UTC hour of the incident day; each incident has its own, so suppression cannot merge them. */
  readonly hour: number;
  /** Adds the incident's records to the hour; returns them with a description for the label. */
  build(ctx: HourContext, b: Builder, benign: BenignHour): { readonly description: string; readonly records: readonly CloudTrailRecord[] };
}
