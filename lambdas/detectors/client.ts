/** client: a monitored role's session switches SDK family or STS endpoint kind, or its role sees a new one. */
import { createHash } from 'node:crypto';
import type { CompiledConfig } from '../core/config';
import { keys } from '../core/keys';
import { clientFamily, stsEndpointKind } from '../core/user-agent';
import { hasMember, type Enough, type ReadKey, type StateItem, type StateUpdate } from '../core/state';
import { ttlAfter } from '../core/time';
import type { ParsedCall } from '../core/types';
import { evidenceOf, NOTHING, SESSION_TTL_DAYS, setOf, type Detector, type FindingDraft } from './detector';
import { boundedMember } from '../core/names';
import { quoted } from '../core/text';

/** A role's known clients live this long without being seen again (as session-name's shapes). */
const ROLE_TTL_DAYS = 180;
/** Families (and endpoint kinds) kept per item: a vendor runs a few; past this, an item has long since alerted. */
const MAX_MEMBERS = 32;
/** Characters of the (attacker-chosen) user agent an alert quotes. */
const MAX_AGENT_CHARS = 256;

/** Attribute names, distinct from session-locations' in the session item both use. */
const FAMILIES = 'families';
const ENDPOINTS = 'endpoints';

/** An AWS service's host name or `AWS Internal` as a user agent: a service calling for the session. */
const SERVICE_AGENT = /^(?:AWS Internal|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.amazonaws\.com(?:\.cn)?)$/;

/** A service acting for the session (`invokedBy`, a service's address or agent) says nothing of the session's own client. */
function actedForBySession(call: ParsedCall): boolean {
  if (call.principal.invokedBy !== null) return true;
  if (call.source.kind === 'service' || call.source.kind === 'aws-internal') return true;
  const agent = call.userAgent.startsWith('[') && call.userAgent.endsWith(']') ? call.userAgent.slice(1, -1) : call.userAgent;
  return SERVICE_AGENT.test(agent) && !/^(?:console|signin)\./.test(agent);
}

/**
 * With an allow-list, only calls from an allowed address are judged here: a call from anywhere
 * else is already a high alert (source-ip on AssumeRole, session-locations on the session's
 * other calls), and the client it used must not join the session's or the role's known clients.
 * This detector is for the case the address gives nothing away: the vendor's own NAT.
 */
function fromHome(call: ParsedCall, config: CompiledConfig): boolean {
  if (!config.hasAllowList) return true;
  return call.source.kind === 'ip' && config.allowedGroups.lookup(call.source.ip) !== undefined;
}

/** A copy of an item decides when it already knows this family and endpoint kind (both sets only grow). */
function knows(family: string, endpoint: string | null): Enough {
  return (item) => hasMember(setOf(item, FAMILIES), family) && (endpoint === null || hasMember(setOf(item, ENDPOINTS), endpoint));
}

/** What of this call's client an item has not seen, and whether the item had seen any before. */
function novelty(item: StateItem | undefined, family: string, endpoint: string | null): { family: boolean; endpoint: boolean; families: readonly string[]; endpoints: readonly string[] } {
  const families = setOf(item, FAMILIES);
  const endpoints = setOf(item, ENDPOINTS);
  return {
    family: families.length > 0 && !hasMember(families, family),
    endpoint: endpoint !== null && endpoints.length > 0 && !hasMember(endpoints, endpoint),
    families,
    endpoints,
  };
}

/** The update that adds what `item` lacks (within the caps); null when it lacks nothing. */
function learn(key: ReadKey, item: StateItem | undefined, family: string, endpoint: string | null, expiresAt: number): StateUpdate | null {
  const families = setOf(item, FAMILIES);
  const endpoints = setOf(item, ENDPOINTS);
  const sets: Record<string, string[]> = {};
  if (!hasMember(families, family) && families.length < MAX_MEMBERS) sets[FAMILIES] = [family];
  if (endpoint !== null && !hasMember(endpoints, endpoint) && endpoints.length < MAX_MEMBERS) sets[ENDPOINTS] = [endpoint];
  return Object.keys(sets).length > 0 ? { key, addToSet: sets, expiresAt } : null;
}

function hash16(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** See the registry; evaluated on every call a monitored role's session makes itself. */
export const detector: Detector = {
  id: 'client',
  title: 'Outbound session used with a different client',
  severity: 'medium',
  description:
    'A monitored role\'s session (by access key; by role-session ARN only when a record has none) made a call with a different client than before: another SDK family (`aws-sdk-js`, `aws-sdk-go`, `boto3`, `aws-cli`, … — never a version, so upgrades stay quiet) or, on STS calls, another endpoint kind from the TLS host header (regional, global `sts.amazonaws.com`, VPC endpoint). A session is one process: a change mid-life is high. After the learning period, a family or endpoint kind never seen for the role is medium. Calls made by a service for the session are not judged; with an allow-list, neither are calls from outside it (source-ip and session-locations alert on those). The role checker\'s sessions (`roleCheckerArns`) are a client of their own: not judged.',
  runbook:
    'A session held by the backend does not change its SDK or endpoint: someone else holds its credentials on the vendor\'s own network (a compromised host, a debug shell, a CI job). Find the host behind the user agent, revoke the role\'s active sessions (deny by aws:TokenIssueTime) and review the customer roles the session assumed. For a new client on the role, confirm the deployment that introduced it.',
  attack: [{ tactic: 'TA0008', technique: 'T1550.001' }],
  attackRationale: 'A live session continued by another SDK, or through another STS endpoint, is its token in other hands (application access token).',
  plan(subject, config) {
    const { call } = subject;
    const role = subject.outRole;
    // Calls into the role are the caller's business (human-principal, unexpected-caller).
    if (!role || actedForBySession(call) || !fromHome(call, config)) return null;
    const family = boundedMember(clientFamily(call.userAgent));
    const endpoint = call.eventSource === 'sts.amazonaws.com' ? stsEndpointKind(call.hostHeader) : null;
    const enough = knows(family, endpoint);
    // The access key is the session: a copied key keeps it. A role-session ARN also spans every
    // session a backend opens under one fixed name (two services, two SDKs), so it is used
    // only when the record carries no key.
    const accessKey = call.principal.accessKeyId;
    // The session's one item, shared with session-locations: both learn on a session's first call.
    const sessionKey = accessKey
      ? keys.sessionByAccessKey(accessKey, enough)
      : call.principal.arn
        ? keys.sessionByArn(call.principal.arn, enough)
        : null;
    const roleKey = keys.roleClients(role, enough);
    return {
      keys: sessionKey ? [sessionKey, roleKey] : [roleKey],
      evaluate: (state) => {
        // The role checker is a client of its own: neither judged nor learned.
        if (state.roleChecker() !== null) return NOTHING;
        const updates: StateUpdate[] = [];
        const sessionItem = sessionKey ? state.get(sessionKey) : undefined;
        const roleItem = state.get(roleKey);
        if (sessionKey) {
          const expiresAt = Math.max(ttlAfter(call.principal.sessionCreatedAt ?? call.eventTime, SESSION_TTL_DAYS), ttlAfter(call.eventTime, SESSION_TTL_DAYS));
          const update = learn(sessionKey, sessionItem, family, endpoint, expiresAt);
          if (update) updates.push(update);
        }
        const roleUpdate = learn(roleKey, roleItem, family, endpoint, ttlAfter(call.eventTime, ROLE_TTL_DAYS));
        if (roleUpdate) updates.push(roleUpdate);
        else if (roleItem && (roleItem.expiresAt as number) < ttlAfter(call.eventTime, ROLE_TTL_DAYS / 2)) updates.push({ key: roleKey, expiresAt: ttlAfter(call.eventTime, ROLE_TTL_DAYS) });

        const agent = call.userAgent.slice(0, MAX_AGENT_CHARS);
        const session = sessionKey ? novelty(sessionItem, family, endpoint) : null;
        const sessionId = accessKey ?? call.principal.arn ?? '';
        if (session && (session.family || session.endpoint)) {
          const changes: string[] = [];
          if (session.family) changes.push(`SDK ${session.families.map((f) => quoted(f, 64)).join(', ')} → ${quoted(family, 64)}`);
          if (session.endpoint) changes.push(`STS endpoint ${session.endpoints.join(', ')} → ${endpoint}`);
          const finding: FindingDraft = {
            severity: 'high',
            title: `Outbound session switched client mid-life (${session.family ? quoted(family, 64) : `${endpoint} STS endpoint`})`,
            cause: `session ${quoted(call.principal.arn ?? sessionId)} changed client within one session: ${changes.join('; ')} (user agent ${quoted(agent)})`,
            dedupKey: `client|session|${sessionId}`,
            evidence: evidenceOf(subject, {
              newFamily: family,
              previousFamilies: session.families.slice(0, 10),
              ...(endpoint !== null ? { endpointKind: endpoint } : {}),
              previousEndpointKinds: session.endpoints.slice(0, 10),
              hostHeader: call.hostHeader ?? '',
              matchedBy: accessKey ? 'access key' : 'role session',
            }, { userAgent: agent === '' ? null : agent }),
          };
          return { findings: [finding], updates };
        }
        const known = novelty(roleItem, family, endpoint);
        if (!(known.family || known.endpoint) || !state.learned(role, call.eventTime)) return { findings: [], updates };
        const what = known.family ? `SDK family ${quoted(family, 64)}` : `${endpoint} STS endpoint`;
        const finding: FindingDraft = {
          severity: this.severity,
          title: `Outbound role used with a new client (${known.family ? quoted(family, 64) : `${endpoint} STS endpoint`})`,
          cause: `${what} was never seen for ${quoted(role)} (known: ${known.family ? known.families.slice(0, 5).map((f) => quoted(f, 64)).join(', ') : known.endpoints.slice(0, 5).join(', ')}; user agent ${quoted(agent)})`,
          dedupKey: `client|role|${role}|${hash16(known.family ? `family:${family}` : `endpoint:${endpoint}`)}`,
          evidence: evidenceOf(subject, {
            newFamily: family,
            knownFamilies: known.families.slice(0, 10),
            ...(endpoint !== null ? { endpointKind: endpoint } : {}),
            knownEndpointKinds: known.endpoints.slice(0, 10),
            hostHeader: call.hostHeader ?? '',
          }, { userAgent: agent === '' ? null : agent }),
        };
        return { findings: [finding], updates };
      },
    };
  },
};
