/** session-locations: one outbound session used from a second location. */
import { isPrivate, locationPrefix } from '../core/ip';
import type { CompiledConfig } from '../core/config';
import type { ParsedCall } from '../core/types';
import { keys } from '../core/keys';
import { hasMember, type ReadKey, type StateItem, type StateUpdate } from '../core/state';
import { ttlAfter } from '../core/time';
import { boundedMember, evidenceOf, type Detector, type FindingDraft } from './detector';

/** Role sessions last at most 12 hours; keep locations a little longer. */
const SESSION_TTL_DAYS = 13 / 24;
/** Locations kept per session; beyond this the session has long since alerted. */
const MAX_LOCATIONS = 16;

/**
 * The location of a call: an allowed CIDR group, else an IPv4 /24 or IPv6 /48, else a
 * private (VPC endpoint) address. Service host names and `AWS Internal` have none: a service
 * acting for the session does not reveal where the session is held.
 */
function locationOf(call: ParsedCall, config: CompiledConfig): string | null {
  if (call.source.kind !== 'ip') return null;
  const group = config.allowedGroups.lookup(call.source.ip);
  if (group) return `group:${group}`;
  if (isPrivate(call.source.ip)) return boundedMember(`private:${call.vpcEndpointId ?? locationPrefix(call.source.ip)}`);
  return locationPrefix(call.source.ip);
}

/** The session's items (by access key and by role-session ARN), read where a cached copy lacks `location`. */
function sessionKeys(call: ParsedCall, location: string): { key: ReadKey; label: string }[] {
  // Locations only accumulate: a cached copy that has this one decides (nothing new here).
  const enough = (item: StateItem): boolean => Array.isArray(item.locations) && hasMember(item.locations as readonly string[], location);
  const found: { key: ReadKey; label: string }[] = [];
  if (call.principal.accessKeyId) found.push({ key: keys.sessionByAccessKey(call.principal.accessKeyId, enough), label: 'access key' });
  if (call.principal.arn) found.push({ key: keys.sessionByArn(call.principal.arn, enough), label: 'role session' });
  return found;
}

/** See the registry; evaluated on every call a monitored role's session makes. */
export const detector: Detector = {
  id: 'session-locations',
  title: 'Outbound session used from a second location',
  severity: 'high',
  description:
    'A monitored role\'s session (tracked by access key and by role-session ARN, since instance credentials rotate keys but keep the session name) made a call, of any kind, from a second location: an allowed CIDR group, an IPv4 /24 or IPv6 /48, or a private address.',
  runbook:
    'The session\'s credentials are probably copied. Revoke the role\'s active sessions (deny by aws:TokenIssueTime), find where the first location obtained them, and review every call made from the new location.',
  plan(subject, config) {
    const { call } = subject;
    const location = subject.outRole ? locationOf(call, config) : null;
    if (location === null) return null;
    const sessions = sessionKeys(call, location);
    return {
      // Both items are read: each is written where it lacks the location, so a write that failed
      // for one of them is made up on the retry.
      keys: sessions.map(({ key }) => key),
      evaluate: (state) => {
        const updates: StateUpdate[] = [];
        const seenBy: string[] = [];
        let previous: readonly string[] = [];
        const expiresAt = Math.max(ttlAfter(call.principal.sessionCreatedAt ?? call.eventTime, SESSION_TTL_DAYS), ttlAfter(call.eventTime, SESSION_TTL_DAYS));
        for (const { key, label } of sessions) {
          const known = (state.get(key)?.locations as readonly string[] | undefined) ?? [];
          if (hasMember(known, location)) continue;
          if (known.length > 0) {
            seenBy.push(label);
            // A copy: the batch's later updates may add to the array the state holds.
            if (previous.length === 0) previous = [...known];
          }
          if (known.length < MAX_LOCATIONS) updates.push({ key, addToSet: { locations: [location] }, expiresAt });
        }
        if (seenBy.length === 0) return { findings: [], updates };
        const allAllowed = location.startsWith('group:') && previous.every((l) => l.startsWith('group:'));
        const finding: FindingDraft = {
          severity: allAllowed ? 'medium' : 'high',
          title: `Outbound session used from a second location (${call.eventSource.replace('.amazonaws.com', '')}:${call.eventName})`,
          cause: `${call.principal.arn ?? call.principal.accessKeyId} was used from ${location} after ${previous.join(', ')} (same ${seenBy.join(' and ')})`,
          dedupKey: `session-locations|${call.principal.accessKeyId ?? call.principal.arn}`,
          evidence: evidenceOf(subject, { newLocation: location, previousLocations: previous, matchedBy: seenBy }),
        };
        return { findings: [finding], updates };
      },
    };
  },
};
