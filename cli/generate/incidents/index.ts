/**
 * The sixteen labelled incidents of the incident day, in label order (their number is their place
 * here), each in UTC hours of its own.
 */
import type { BenignHour } from '../benign';
import type { Builder, HourContext } from '../hour';
import { callVolume } from './call-volume';
import { client } from './client';
import { externalIdMissing } from './external-id-missing';
import { externalIdTenantConfusion } from './external-id-tenant-confusion';
import { failedAssume } from './failed-assume';
import { failedAssumeSlow } from './failed-assume-slow';
import { humanPrincipal } from './human-principal';
import type { Incident, IncidentLabel } from './incident';
import { region } from './region';
import { sessionLocations } from './session-locations';
import { sessionName } from './session-name';
import { sessionRequest } from './session-request';
import { sourceIp } from './source-ip';
import { sourceIpOutsideOnly } from './source-ip-outside-only';
import { targetRolePivot } from './target-role-pivot';
import { targetRoleUnregistered } from './target-role-unregistered';
import { unexpectedCaller } from './unexpected-caller';

export type { Incident, IncidentLabel, Requirement } from './incident';

/** Every incident, numbered by position (`01-human-principal` … `16-target-role-unregistered`). */
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
  targetRolePivot,
  sessionRequest,
  client,
  failedAssumeSlow,
  sourceIpOutsideOnly,
  targetRoleUnregistered,
];

/** The label ID of the incident at `index` in {@link INCIDENTS}. */
const labelId = (index: number): string => `${String(index + 1).padStart(2, '0')}-${INCIDENTS[index]!.id}`;

/**
 * Adds the records of this hour of the incident day to `b`: of the incident whose hour it is, if
 * any. Returns its label with this hour's records (an incident spread over hours gets one per hour,
 * which the corpus joins).
 */
export function incidentsOfHour(ctx: HourContext, b: Builder, benign: BenignHour): IncidentLabel[] {
  const labels: IncidentLabel[] = [];
  INCIDENTS.forEach((incident, n) => {
    if (!incident.hours.includes(ctx.hourOfDay)) return;
    const { description, records } = incident.build(ctx, b, benign);
    labels.push({
      id: labelId(n),
      detector: incident.detector,
      ...(incident.requires !== undefined ? { requires: incident.requires } : {}),
      description,
      eventIds: records.map((r) => r.eventID),
    });
  });
  return labels;
}
