/**
 * The detector contract. A detector is pure: it sees one relevant call, the state it asked
 * for and the configuration, and returns findings and state updates. It never fetches.
 */
import { hash } from 'node:crypto';
import type { AttackRef } from '../core/attack';
import { isPrivate, locationPrefix } from '../core/ip';
import { isEmailLike } from '../core/names';
import { quoted } from '../core/text';
import type { CompiledConfig } from '../core/config';
import { accountOf } from '../core/parse';
import type { AssumeRoleCall, Evidence, Finding, ParsedCall, Severity } from '../core/types';
import { hasMember, type ReadKey, type StateItem, type StateKey, type StateUpdate } from '../core/state';
import { ttlAfter } from '../core/time';

/** A call the engine selected, with the monitored roles it touches. */
export interface Subject {
  readonly call: ParsedCall;
  /** The monitored role this call assumes (calls into the outbound role). */
  readonly intoRole: string | null;
  /** The monitored role whose session made this call (calls out of the outbound role). */
  readonly outRole: string | null;
}

/** Read access to state during a batch: stored items plus this batch's earlier updates. */
export interface StateView {
  get(key: StateKey): StateItem | undefined;
  /** True once a role has been watched for the learning period at `eventTime`. */
  learned(roleArn: string, eventTime: number): boolean;
  /**
   * The principal that opened the calling session when it is the role checker's (`roleCheckerArns`),
   * else null. Its deliberate probe calls (refused assumptions, its own names and client, a run
   * through every customer) are not counted or alerted; anything else is, titled as its.
   */
  roleChecker(): string | null;
}

/** A finding before the engine stamps the detector's id, title and runbook. */
export type FindingDraft = Omit<Finding, 'detector' | 'runbook' | 'title'> & { readonly title?: string };

/** What a plan's `evaluate` returns. */
export interface DetectorResult {
  readonly findings: readonly FindingDraft[];
  readonly updates: readonly StateUpdate[];
}

/**
 * What a detector will do with one call: the state it reads, and how it judges the call once
 * that state is there. Everything worked out from the call alone (keys, a location, a shape, a
 * fingerprint) is worked out once, in `plan`, and kept for `evaluate`.
 */
export interface Plan {
  /** State keys `evaluate` reads (read for the whole batch at once). */
  readonly keys: readonly ReadKey[];
  /** Findings and state updates; `state` holds the keys read and the batch's earlier updates. */
  evaluate(state: StateView): DetectorResult;
}

/** One detector module: a file named after its id exports one of these as `detector`. */
export interface Detector {
  readonly id: string;
  readonly title: string;
  /** Default severity; a finding may raise or lower it and says why. */
  readonly severity: Severity;
  readonly description: string;
  readonly runbook: string;
  /** The MITRE ATT&CK techniques (each with the tactic it serves here) its findings stand for. */
  readonly attack: readonly AttackRef[];
  /** Why those techniques: one or two sentences for the detector's doc. */
  readonly attackRationale: string;
  /** The plan for a call, or null when the call is none of this detector's business. */
  plan(subject: Subject, config: CompiledConfig): Plan | null;
}

const NO_KEYS: readonly ReadKey[] = [];

/** A result with no finding and no update (shared: nothing may add to it). */
export const NOTHING: DetectorResult = Object.freeze({ findings: Object.freeze([]), updates: Object.freeze([]) });

/** The plan of a detector that reads no state: its result, worked out at once (null when quiet). */
export function stateless(result: DetectorResult): Plan | null {
  if (result.findings.length === 0 && result.updates.length === 0) return null;
  return { keys: NO_KEYS, evaluate: () => result };
}

/**
 * A monitored role's session has one item by access key and one by role-session ARN (see
 * `keys.sessionByAccessKey`), shared by the detectors that follow a session. These attributes
 * are read by more than one of them. `locations`: every location the session was seen at (the
 * address it was created from counts: the AssumeRole that issued it). `createdFrom`: that
 * creation address's location, on the access-key item only (a new key is STS's, so an attacker
 * cannot grow it; a session name can be reused). `roleChecker`: the role-checker principal that
 * opened the session, written by the engine from the AssumeRole that issued the key.
 */
export const SESSION_ATTRIBUTES = { locations: 'locations', createdFrom: 'createdFrom', roleChecker: 'roleChecker' } as const;

/** Role sessions last at most 12 hours: a session's items are kept a little longer. */
export const SESSION_TTL_DAYS = 13 / 24;

/** When the items of a session an AssumeRole issued may go: past the session's end, and its expiry. */
export function issuedSessionExpiresAt(call: AssumeRoleCall): number {
  return Math.max(ttlAfter(call.eventTime, SESSION_TTL_DAYS), call.expiresAt === null ? 0 : ttlAfter(call.expiresAt, 1 / 24));
}

/** The marker of an allowed CIDR group among a session's locations. */
export const GROUP_LOCATION = 'group:';

/**
 * The location of a call, as the session items keep it: an allowed CIDR group, else an IPv4 /24
 * or IPv6 /48, else a private (VPC endpoint) address. Service host names and `AWS Internal` have
 * none: a service acting for the session does not reveal where the session is held.
 */
export function sessionLocationOf(call: ParsedCall, config: CompiledConfig): string | null {
  if (call.source.kind !== 'ip') return null;
  const group = config.allowedGroups.lookup(call.source.ip);
  if (group) return `${GROUP_LOCATION}${group}`;
  if (isPrivate(call.source.ip)) return `private:${call.vpcEndpointId !== null && VPC_ENDPOINT_ID.test(call.vpcEndpointId) ? call.vpcEndpointId : locationPrefix(call.source.ip)}`;
  return locationPrefix(call.source.ip);
}

/**
 * A VPC endpoint's ID as AWS writes it (`vpce-` and 17 hex digits). Anything else in the field
 * names no endpoint (a location is shown bare in alerts: the address's prefix stands instead).
 */
const VPC_ENDPOINT_ID = /^vpce-[0-9a-f]{8,32}$/;

/** A VPC endpoint ID for prose: bare when it is one, else quoted. */
export function vpcEndpointText(id: string): string {
  return VPC_ENDPOINT_ID.test(id) ? id : quoted(id, 64);
}

/** A set attribute of a state item (a list in the item), empty when the item or attribute is absent. */
export function setOf(item: StateItem | undefined, name: string): readonly string[] {
  const value = item?.[name];
  return Array.isArray(value) ? (value as readonly string[]) : [];
}

/** Builds the evidence of a single call; detectors add their details. */
export function evidenceOf(subject: Subject, details: Evidence['details'] = {}, extra: Partial<Evidence> = {}): Evidence {
  const { call } = subject;
  const assume = call.kind === 'assume-role' ? call : null;
  return {
    eventIds: [call.eventId],
    eventTimes: [new Date(call.eventTime).toISOString()],
    eventName: call.eventName,
    principalArn: call.principal.arn,
    principalType: call.principal.type,
    roleArn: subject.intoRole ?? assume?.roleArn ?? subject.outRole,
    targetAccountId: assume?.roleAccountId ?? null,
    sourceIp: call.source.text === '' ? null : call.source.text,
    userAgent: call.userAgent === '' ? null : call.userAgent,
    sessionKey: call.principal.accessKeyId,
    awsRegion: call.awsRegion,
    details,
    ...extra,
  };
}

/** Lowers a severity by one step (floored at low). */
export function lower(severity: Severity): Severity {
  return severity === 'critical' ? 'high' : severity === 'high' ? 'medium' : 'low';
}

/** The identities a caller can be matched by: its ARN, its role, its account root, its provider. */
export function callerIdentities(call: ParsedCall): string[] {
  const p = call.principal;
  const ids: string[] = [];
  if (p.arn) ids.push(p.arn);
  if (p.sessionIssuerArn) ids.push(p.sessionIssuerArn);
  if (call.kind === 'assume-role' && call.providerArn) ids.push(call.providerArn);
  if (p.accountId) ids.push(`arn:${partitionOf(p.arn ?? p.sessionIssuerArn)}:iam::${p.accountId}:root`);
  return ids;
}

function partitionOf(arn: string | null): string {
  return arn?.split(':', 2)[1] || 'aws';
}

/** Short display form of a principal for causes, quoted: the record (and so, much of it, the caller) chose it. */
export function describePrincipal(call: ParsedCall): string {
  const p = call.principal;
  if (p.arn) return quoted(p.arn);
  return p.accountId ? `${quoted(p.type)} in account ${accountText(p.accountId)}` : quoted(p.userName ?? p.principalId ?? p.type);
}

/** A call for a title or cause, as `service:Action` quoted (a session may call anything; a record may say anything). */
export function callText(eventSource: string, eventName: string): string {
  return quoted(`${eventSource.replace('.amazonaws.com', '')}:${eventName}`, 128);
}

/**
 * A value we built or checked (a session location, an IP address) for prose: bare when it is a
 * plain token of letters, digits and `_.:/-` (what we build), else quoted (a value kept by an
 * older version, a group name with spaces).
 */
export function tokenText(value: string): string {
  return /^[\w.:/-]+$/.test(value) ? value : quoted(value, 128);
}

/** An account ID for prose: bare when it is one (12 digits), else quoted. */
export function accountText(accountId: string): string {
  return /^\d{12}$/.test(accountId) ? accountId : quoted(accountId);
}

/** Event fingerprints a counter item keeps before it falls back to a plain count. */
const COUNT_SET_CAP = 2000;

/**
 * A stable fingerprint of an event ID: a CloudTrail UUID's whole 128 bits in base64url (22
 * characters, read without hashing: CloudTrail's IDs are random UUIDs, and IDs that differ in
 * any digit stay apart), any other ID the first 132 bits of its SHA-256 (also 22 characters).
 * Counter sets hold up to {@link COUNT_SET_CAP} of them: 44 KB at the cap, far below DynamoDB's
 * 400 KB. Earlier versions kept 12 characters (72 bits: UUIDs differing only in their last
 * group collided): sets written by them hold the old form, so an event counted before an upgrade
 * and redelivered after it counts a second time, once at most; every item holding them expires
 * within two days (two counting windows, a day's counter, a session's items).
 */
export function eventFingerprint(eventId: string): string {
  return uuidFingerprint(eventId) ?? hash('sha256', eventId, 'base64url').slice(0, FINGERPRINT_CHARS);
}

/** Characters of a fingerprint: 128 bits in base64url, rounded up to whole characters. */
const FINGERPRINT_CHARS = 22;

/** Hex digit values by character code (-1: not a lower-case hex digit). */
const HEX = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) HEX['0123456789abcdef'.charCodeAt(i)] = i;
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The character codes of the fingerprint being made: scratch space, filled whole by each call (no array grown per event). */
const FINGERPRINT_CODES = new Uint16Array(FINGERPRINT_CHARS);

/** A lower-case UUID's (`8-4-4-4-12` hex digits) 128 bits in base64url; null for anything else. */
function uuidFingerprint(id: string): string | null {
  if (id.length !== 36) return null;
  const codes = FINGERPRINT_CODES;
  let at = 0;
  let bits = 0;
  let digits = 0;
  for (let i = 0; i < 36; i++) {
    const c = id.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return null;
      continue;
    }
    const v = c < 128 ? HEX[c]! : -1;
    if (v < 0) return null;
    // Three hex digits (12 bits) become two base64url characters.
    bits = (bits << 4) | v;
    digits += 1;
    if (digits % 3 === 0) {
      codes[at++] = BASE64URL.charCodeAt(bits >> 6);
      codes[at++] = BASE64URL.charCodeAt(bits & 63);
      bits = 0;
    }
  }
  // The last two digits (8 bits), padded with a zero digit as base64 pads its last character.
  bits <<= 4;
  codes[at++] = BASE64URL.charCodeAt(bits >> 6);
  codes[at] = BASE64URL.charCodeAt(bits & 63);
  // One string made at once (appending would make a rope that every set lookup flattens).
  return String.fromCharCode.apply(null, codes as unknown as number[]);
}

/** The count a counter item holds: its event fingerprints plus any overflow past the cap. */
export function countOf(item: StateItem | undefined): number {
  return ((item?.events as readonly string[] | undefined)?.length ?? 0) + ((item?.overflow as number | undefined) ?? 0);
}

/**
 * Counts an event once. Counters are sets of event fingerprints, so a redelivered event or a
 * retried batch is not counted twice; past {@link COUNT_SET_CAP} (a burst that has long since
 * alerted) they fall back to a plain ADD so the item stays small.
 */
export function countOnce(key: StateKey, eventId: string, item: StateItem | undefined, expiresAt: number): { count: number; update: StateUpdate | null } {
  const fingerprint = eventFingerprint(eventId);
  const events = (item?.events as readonly string[] | undefined) ?? [];
  if (hasMember(events, fingerprint)) return { count: countOf(item), update: null };
  const update: StateUpdate = events.length < COUNT_SET_CAP ? { key, addToSet: { events: [fingerprint] }, expiresAt } : { key, add: { overflow: 1 }, expiresAt };
  return { count: countOf(item) + 1, update };
}

const FEDERATED_TYPES = new Set(['SAMLUser', 'WebIdentityUser', 'FederatedUser']);
const INTERACTIVE_AGENTS = /^(aws-cli\/|aws-shell|AWSCloudShell|console\.amazonaws\.com|signin\.amazonaws\.com|AWSPowerShell|S3Console|\[?aws-internal\/3 aws-sdk-java.*console)/i;

/** Why a caller looks like a person; empty when nothing does. */
export function humanReasons(call: AssumeRoleCall, config: CompiledConfig): string[] {
  const p = call.principal;
  const reasons: string[] = [];
  if (p.type === 'Root') reasons.push('root user');
  if (p.type === 'IAMUser') reasons.push('IAM user');
  if (FEDERATED_TYPES.has(p.type) || call.eventName !== 'AssumeRole') reasons.push(`federated user (${call.eventName === 'AssumeRole' ? p.type : call.eventName})`);
  if (p.type === 'AssumedRole' && config.isHumanRole(p.sessionIssuerArn)) reasons.push(`session of human role ${quoted(p.sessionIssuerArn!)}`);
  if (p.consoleCredentials) reasons.push('console credentials');
  if (INTERACTIVE_AGENTS.test(call.userAgent)) reasons.push(`interactive tool (${quoted(call.userAgent.split(' ', 1)[0]!, 64)})`);
  if (call.roleSessionName && isEmailLike(call.roleSessionName)) reasons.push('e-mail address as session name');
  return [...new Set(reasons)];
}

/** The name part of a role ARN. */
export function roleName(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}

/**
 * Names, for a title, a role that `outRole`'s session assumed (or tried to) in account
 * `targetAccountId`: `Customer role`, or `Role in the bastion account` when it is the session's
 * own account (a hop to another of the vendor's roles: the SOC looks for it there, not at a
 * customer). The session's own account is its principal's or the monitored role's (the same,
 * unless the record leaves the first out); an unknown target account counts as a customer's.
 * `many` gives the plural.
 */
export function targetRoleLabel(targetAccountId: string | null, call: ParsedCall, outRole: string, many = false): string {
  const own = targetAccountId !== null && (targetAccountId === call.principal.accountId || targetAccountId === accountOf(outRole));
  if (own) return many ? 'Roles in the bastion account' : 'Role in the bastion account';
  return many ? 'Customer roles' : 'Customer role';
}

