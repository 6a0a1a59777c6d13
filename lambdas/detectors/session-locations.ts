/** session-locations: one outbound session used from a second location. */
import type { CompiledConfig } from '../core/config';
import type { ParsedCall } from '../core/types';
import { keys } from '../core/keys';
import { hasMember, type Enough, type ReadKey, type StateItem, type StateUpdate } from '../core/state';
import { ttlAfter } from '../core/time';
import { callText, eventFingerprint, evidenceOf, GROUP_LOCATION, issuedSessionExpiresAt, SESSION_ATTRIBUTES, SESSION_TTL_DAYS, sessionLocationOf, setOf, tokenText, type Detector, type FindingDraft, type Subject } from './detector';
import { boundedMember } from '../core/names';
import { locationPrefix } from '../core/ip';
import { quoted } from '../core/text';

/** Locations kept per session; beyond this the session has long since alerted. */
const MAX_LOCATIONS = 16;
/** Calls from outside the allow-list kept per session until it is seen at home: as many as an alert lists. */
const MAX_OUTSIDE_CALLS = 20;
/** Calls from outside the allow-list counted per session (by event fingerprint); past this the count is a lower bound. */
const MAX_OUTSIDE_COUNT = 200;
/** Calls marked as the ones that found the home after outside calls: one, or a few when instances race. */
const MAX_HOME_EVENTS = 8;

/**
 * The session items' attributes. `locations` (shared, see {@link SESSION_ATTRIBUTES}): every
 * location seen, the creation's included. While the session has no
 * home (an allow-listed group), its calls from elsewhere are kept (`outsideCalls`, the first few,
 * each an {@link OutsideCall} as JSON) and counted (`outsideEvents`, event fingerprints, so a
 * redelivered call counts once); the call that then finds the home is marked (`homeEvents`), so
 * that its redelivery raises the same finding again. All are sets: every write is idempotent.
 */
const LOCATIONS = SESSION_ATTRIBUTES.locations;
const CREATED_FROM = SESSION_ATTRIBUTES.createdFrom;
const OUTSIDE_CALLS = 'outsideCalls';
const OUTSIDE_EVENTS = 'outsideEvents';
const HOME_EVENTS = 'homeEvents';
/**
 * The networks (IPv4 /24, IPv6 /48) the session was seen at home from. The allow-list can change
 * while a session lives (a published list re-read): a group renamed, or a block moved to another
 * group, gives the same address a new group. A new group reached from a network the session was
 * already at home in is that relabel, not a move: both addresses are the vendor's own.
 */
const HOME_NETWORKS = 'homeNetworks';

/** A call from outside the allow-list, as a session item keeps it until the session is seen at home. */
interface OutsideCall {
  readonly time: number;
  readonly eventId: string;
  readonly location: string;
  readonly sourceIp: string;
  readonly eventName: string;
  readonly eventSource: string;
  readonly userAgent: string;
  readonly region: string;
}

function isHome(location: string): boolean {
  return location.startsWith(GROUP_LOCATION);
}

/**
 * The member an item keeps for a call from outside the allow-list. Replayed logs may hold any
 * strings: the event ID stays distinct ({@link boundedMember}), the rest, shown only, is cut, so
 * the kept calls stay far below DynamoDB's 400 KB whatever JSON makes of them.
 */
function outsideCallMember(call: ParsedCall, location: string): string {
  return JSON.stringify([
    call.eventTime,
    boundedMember(call.eventId),
    location,
    call.source.text.slice(0, 64),
    call.eventName.slice(0, 128),
    call.eventSource.slice(0, 128),
    call.userAgent.slice(0, 256),
    call.awsRegion.slice(0, 64),
  ]);
}

function parseOutsideCall(member: string): OutsideCall | null {
  try {
    const [time, eventId, location, sourceIp, eventName, eventSource, userAgent, region] = JSON.parse(member) as unknown[];
    if (typeof time !== 'number' || typeof eventId !== 'string' || typeof location !== 'string') return null;
    const text = (v: unknown): string => (typeof v === 'string' ? v : '');
    return { time, eventId, location, sourceIp: text(sourceIp), eventName: text(eventName), eventSource: text(eventSource), userAgent: text(userAgent), region: text(region) };
  } catch {
    return null;
  }
}

/**
 * When a cached copy of a session item (a lower bound of the table's) decides the call: only when
 * its location is already there (locations only accumulate), and then
 * - a call from outside the allow-list changes nothing once the session has been home, once this
 *   call was counted, or once the count is full;
 * - a call from home raises nothing unless it is the one that found the home after outside calls:
 *   the copy decides when it holds that mark, or holds no outside location at all (the mark is
 *   written with the home, on an item that had outside locations, so a copy read after it has them;
 *   the one exception is two instances adding the home at once, and both of them raise the alert).
 */
function enoughFor(location: string, tracked: boolean, print: string, network: string | null): Enough {
  if (isHome(location)) {
    return (item) => {
      const known = setOf(item, LOCATIONS);
      return hasMember(known, location) && hasHomeNetwork(item, network) && (hasMember(setOf(item, HOME_EVENTS), print) || known.every(isHome));
    };
  }
  if (!tracked) return (item) => hasMember(setOf(item, LOCATIONS), location);
  return (item) => {
    const known = setOf(item, LOCATIONS);
    if (!hasMember(known, location)) return false;
    const counted = setOf(item, OUTSIDE_EVENTS);
    return known.some(isHome) || hasMember(counted, print) || counted.length >= MAX_OUTSIDE_COUNT;
  };
}

/** The network of a call from home, kept in {@link HOME_NETWORKS}; null for other calls. */
function homeNetworkOf(call: ParsedCall, location: string): string | null {
  return isHome(location) && call.source.kind === 'ip' ? locationPrefix(call.source.ip) : null;
}

/** Whether an item holds the network (or no more fit, or there is none to hold). */
function hasHomeNetwork(item: StateItem | undefined, network: string | null): boolean {
  if (network === null) return true;
  const networks = setOf(item, HOME_NETWORKS);
  return hasMember(networks, network) || networks.length >= MAX_LOCATIONS;
}

/** The session's items (by access key and by role-session ARN). */
function sessionKeys(call: ParsedCall, enough: Enough): { key: ReadKey; label: string }[] {
  const found: { key: ReadKey; label: string }[] = [];
  if (call.principal.accessKeyId) found.push({ key: keys.sessionByAccessKey(call.principal.accessKeyId, enough), label: 'access key' });
  if (call.principal.arn) found.push({ key: keys.sessionByArn(call.principal.arn, enough), label: 'role session' });
  return found;
}

/**
 * The finding when a session first seen outside the allow-list is then seen at home: the outside
 * location is the suspicious one, and its calls (kept in the items) are the evidence, whichever
 * came first. Built from the items alone, so the redelivery of the call that found the home
 * builds the same finding (same first event, same alert).
 */
function outsideBeforeHome(subject: Subject, home: string, items: readonly StateItem[], matchedBy: readonly string[]): FindingDraft {
  const { call } = subject;
  const calls = new Map<string, OutsideCall>();
  const counted = new Set<string>();
  const locations: string[] = [];
  for (const item of items) {
    for (const member of setOf(item, OUTSIDE_CALLS)) {
      const c = parseOutsideCall(member);
      if (c && !calls.has(c.eventId)) calls.set(c.eventId, c);
    }
    for (const print of setOf(item, OUTSIDE_EVENTS)) counted.add(print);
  }
  // Event time, then ID: the same order (and first event) whatever order the store returns a set in.
  const listed = [...calls.values()].sort((a, b) => a.time - b.time || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0)).slice(0, MAX_OUTSIDE_CALLS);
  for (const c of listed) if (!locations.includes(c.location)) locations.push(c.location);
  // Outside locations whose calls were not kept (past the cap, or seen before they were kept).
  for (const item of items) for (const l of setOf(item, LOCATIONS)) if (!isHome(l) && !locations.includes(l)) locations.push(l);
  const first = listed[0];
  const count = Math.max(counted.size, listed.length);
  const countText = `${count >= MAX_OUTSIDE_COUNT ? 'at least ' : ''}${count} call${count === 1 ? '' : 's'}${listed.length < count ? `, the first ${listed.length} listed` : ''}`;
  const who = call.principal.arn ?? call.principal.accessKeyId;
  const details = { newLocation: locations.join(', '), homeLocation: home, outsideLocations: locations, outsideCalls: count, matchedBy: [...matchedBy] };
  if (!first) {
    // Items written before outside calls were kept: the home's call is the only event at hand.
    return {
      severity: 'high',
      title: 'Outbound session used from a second location',
      cause: `session ${quoted(who ?? '')} was used from ${locations.map(tokenText).join(', ')}, outside allowedCidrs, before its home ${tokenText(home)} (same ${matchedBy.join(' and ')}; those calls were not kept)`,
      dedupKey: `session-locations|${call.principal.accessKeyId ?? call.principal.arn}`,
      evidence: evidenceOf(subject, details),
    };
  }
  return {
    severity: 'high',
    title: `Outbound session used from a second location (${callText(first.eventSource, first.eventName)})`,
    cause: `session ${quoted(who ?? '')} was used from ${locations.map(tokenText).join(', ')}, outside allowedCidrs (${countText}), before its home ${tokenText(home)} (same ${matchedBy.join(' and ')})`,
    dedupKey: `session-locations|${call.principal.accessKeyId ?? call.principal.arn}`,
    // The outside calls, not the home's call that revealed them: the runbook sends the SOC to these.
    evidence: evidenceOf(subject, details, {
      eventIds: listed.map((c) => c.eventId),
      eventTimes: listed.map((c) => new Date(c.time).toISOString()),
      eventName: first.eventName,
      roleArn: subject.outRole,
      targetAccountId: null,
      sourceIp: first.sourceIp || null,
      userAgent: first.userAgent || null,
      awsRegion: first.region,
    }),
  };
}

/**
 * The location a new session was created from, written to its access-key item when the
 * AssumeRole that issued it is seen: the session's first location, before any call of its own
 * (stolen credentials used from elsewhere before the backend's first call then show up at once).
 * Written without a read: the key is new (STS issued it), so the write only ever adds this one
 * location, and a redelivery adds nothing. With an allow-list, a creation from outside it is kept
 * as an outside call too, so that an alert about the session lists it.
 */
function creationUpdates(subject: Subject, config: CompiledConfig): StateUpdate[] {
  const { call } = subject;
  if (!subject.intoRole || call.kind !== 'assume-role' || call.errorCode !== null || call.issuedAccessKeyId === null) return [];
  const location = sessionLocationOf(call, config);
  if (location === null) return [];
  const sets: Record<string, string[]> = { [LOCATIONS]: [location], [CREATED_FROM]: [location] };
  const network = homeNetworkOf(call, location);
  if (network !== null) sets[HOME_NETWORKS] = [network];
  if (config.hasAllowList && !isHome(location)) {
    sets[OUTSIDE_EVENTS] = [eventFingerprint(call.eventId)];
    sets[OUTSIDE_CALLS] = [outsideCallMember(call, location)];
  }
  return [{ key: keys.sessionByAccessKey(call.issuedAccessKeyId), addToSet: sets, expiresAt: issuedSessionExpiresAt(call) }];
}

/** See the registry; evaluated on every call a monitored role's session makes. */
export const detector: Detector = {
  id: 'session-locations',
  title: 'Outbound session used from a second location',
  severity: 'high',
  description:
    'A monitored role\'s session (tracked by access key and by role-session ARN, since instance credentials rotate keys but keep the session name) made a call, of any kind, from a second location: an allowed CIDR group, an IPv4 /24 or IPv6 /48, or a private address. The address the AssumeRole that created the session came from is its first location, so stolen credentials used elsewhere before the backend\'s first call alert at once. An allowed group is the session\'s home and a location outside `allowedCidrs` the suspicious one, whichever came first: the alert (high) names the outside location and lists its calls: the call that moved there or, when the outside calls came before the home\'s, all of them up to 20 with their count. Two allowed groups are medium, unless the second was reached from a network (IPv4 /24, IPv6 /48) the session was already at home in: the allow-list changed (a group renamed, a block moved between groups), the session did not move. A session with no home (or no allow-list) alerts on its second location, high.',
  runbook:
    'The session\'s credentials are probably copied. Revoke the role\'s active sessions (deny by aws:TokenIssueTime), find where the home location obtained them, and review every call the alert lists from the location it names.',
  attack: [{ tactic: 'TA0008', technique: 'T1550.001' }],
  attackRationale: 'One session\'s token used from a second place: its credentials were copied and are replayed (application access token).',
  plan(subject, config) {
    const { call } = subject;
    const created = creationUpdates(subject, config);
    const location = subject.outRole ? sessionLocationOf(call, config) : null;
    if (location === null) return created.length === 0 ? null : { keys: [], evaluate: () => ({ findings: [], updates: created }) };
    const home = isHome(location);
    // Outside calls are kept only where a home can come later to show them up (an allow-list).
    const tracked = config.hasAllowList && !home;
    const print = eventFingerprint(call.eventId);
    const network = homeNetworkOf(call, location);
    const sessions = sessionKeys(call, enoughFor(location, tracked, print, network));
    return {
      // Both items are read: each is written where it lacks the location, so a write that failed
      // for one of them is made up on the retry.
      keys: sessions.map(({ key }) => key),
      evaluate: (state) => {
        const updates: StateUpdate[] = [...created];
        const seenBy: string[] = [];
        const foundHomeBy: string[] = [];
        const foundHomeIn: StateItem[] = [];
        let previous: readonly string[] = [];
        const expiresAt = Math.max(ttlAfter(call.principal.sessionCreatedAt ?? call.eventTime, SESSION_TTL_DAYS), ttlAfter(call.eventTime, SESSION_TTL_DAYS));
        for (const { key, label } of sessions) {
          const item = state.get(key);
          const known = setOf(item, LOCATIONS);
          const atHome = known.some(isHome);
          const sets: Record<string, string[]> = {};
          // A group the session's home network now belongs to (the list changed): the same place.
          const relabelled = home && atHome && network !== null && hasMember(setOf(item, HOME_NETWORKS), network);
          if (!hasMember(known, location)) {
            if (known.length > 0 && !relabelled) {
              seenBy.push(label);
              // A copy: the batch's later updates may add to the array the state holds.
              if (previous.length === 0) previous = [...known];
            }
            if (known.length < MAX_LOCATIONS) sets[LOCATIONS] = [location];
            if (home && !atHome && known.length > 0) {
              foundHomeBy.push(label);
              foundHomeIn.push(item!);
              if (setOf(item, HOME_EVENTS).length < MAX_HOME_EVENTS) sets[HOME_EVENTS] = [print];
            }
          } else if (home && hasMember(setOf(item, HOME_EVENTS), print)) {
            // This very call found the home before (a redelivery): the same finding again.
            foundHomeBy.push(label);
            foundHomeIn.push(item!);
          }
          if (!hasHomeNetwork(item, network)) sets[HOME_NETWORKS] = [network!];
          if (tracked && !atHome) {
            const counted = setOf(item, OUTSIDE_EVENTS);
            if (!hasMember(counted, print) && counted.length < MAX_OUTSIDE_COUNT) {
              sets[OUTSIDE_EVENTS] = [print];
              if (setOf(item, OUTSIDE_CALLS).length < MAX_OUTSIDE_CALLS) sets[OUTSIDE_CALLS] = [outsideCallMember(call, location)];
            }
          }
          if (Object.keys(sets).length > 0) updates.push({ key, addToSet: sets, expiresAt });
        }
        if (foundHomeBy.length > 0) return { findings: [outsideBeforeHome(subject, location, foundHomeIn, foundHomeBy)], updates };
        if (seenBy.length === 0) return { findings: [], updates };
        const who = call.principal.arn ?? call.principal.accessKeyId;
        const id = call.principal.accessKeyId ?? call.principal.arn;
        // A second allowed group (the session was home already): medium, under its own dedup key so
        // that a legitimate call never joins the evidence of an alert about an outside location.
        const finding: FindingDraft = home
          ? {
            severity: 'medium',
            title: `Outbound session used from a second allowed group (${callText(call.eventSource, call.eventName)})`,
            cause: `session ${quoted(who ?? '')} was used from ${tokenText(location)} after ${previous.map(tokenText).join(', ')} (same ${seenBy.join(' and ')})`,
            dedupKey: `session-locations|groups|${id}`,
            evidence: evidenceOf(subject, { newLocation: location, previousLocations: previous, matchedBy: seenBy }),
          }
          : {
            severity: 'high',
            title: `Outbound session used from a second location (${callText(call.eventSource, call.eventName)})`,
            cause: `session ${quoted(who ?? '')} was used from ${tokenText(location)}${config.hasAllowList ? ', outside allowedCidrs,' : ''} after ${previous.map(tokenText).join(', ')} (same ${seenBy.join(' and ')})`,
            dedupKey: `session-locations|${id}`,
            evidence: evidenceOf(subject, { newLocation: location, previousLocations: previous, matchedBy: seenBy }),
          };
        return { findings: [finding], updates };
      },
    };
  },
};
