/**
 * The ten labelled incidents of the incident day, in label order (their number is their place
 * here), each in its own UTC hour.
 */
import type { BenignHour } from '../benign';
import type { Builder, HourContext } from '../hour';
import { callVolume } from './call-volume';
import { externalIdMissing } from './external-id-missing';
import { externalIdTenantConfusion } from './external-id-tenant-confusion';
import { failedAssume } from './failed-assume';
import { humanPrincipal } from './human-principal';
import type { Incident, IncidentLabel } from './incident';
import { region } from './region';
import { sessionLocations } from './session-locations';
import { sessionName } from './session-name';
import { sourceIp } from './source-ip';
import { unexpectedCaller } from './unexpected-caller';

export type { Incident, IncidentLabel } from './incident';

/** Every incident, numbered by position (`01-human-principal` … `10-region`). */
export const INCIDENTS: readonly Incident[] = [
  humanPrincipal,
  unexpectedCaller,
  sourceIp,
  sessionLocations,
  callVolume,
  sessionName,
  externalIdMissing,
  externalIdTenantConfusion,
  failedAssume,
  region,
];

/** Adds the incident of this hour of the incident day, if any, to `b`; returns its label. */
export function incidentsOfHour(ctx: HourContext, b: Builder, benign: BenignHour): IncidentLabel[] {
  const n = INCIDENTS.findIndex((i) => i.hour === ctx.hourOfDay);
  if (n === -1) return [];
  const incident = INCIDENTS[n]!;
  const { description, records } = incident.build(ctx, b, benign);
  return [{
    id: `${String(n + 1).padStart(2, '0')}-${incident.id}`,
    detector: incident.detector,
    description,
    eventIds: records.map((r) => r.eventID),
  }];
}
