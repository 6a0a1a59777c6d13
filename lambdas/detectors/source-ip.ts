/** source-ip: a monitored call came from outside the vendor's egress addresses. */
import type { CompiledConfig } from '../core/config';
import { isPrivate, locationPrefix } from '../core/ip';
import { keys } from '../core/keys';
import { hasMember, type Enough, type ReadKey } from '../core/state';
import type { ParsedCall, Severity } from '../core/types';
import { quoted } from '../core/text';
import { callText, evidenceOf, SESSION_ATTRIBUTES, sessionLocationOf, setOf, stateless, targetRoleLabel, tokenText, vpcEndpointText, type Detector, type FindingDraft, type Subject } from './detector';

/** How a title names the source, by its class. */
const ADDRESS_CLASS_TITLES: Readonly<Record<string, string>> = {
  external: 'a non-AWS address',
  aws: 'an AWS address outside the allow-list',
  private: 'a private address outside the allow-list',
};

/** Why a source is out of place: what a finding says about it. */
interface Verdict {
  readonly severity: Severity;
  readonly cause: string;
  /** The dedup key's part for the source: its /24 or /48, or `invalid`. */
  readonly prefix: string;
  readonly details: Record<string, string>;
}

/** Judges a call's source; null when it is in place (allowed, or an AWS service acting). */
function judge(call: ParsedCall, config: CompiledConfig): Verdict | null {
  const source = call.source;
  if (source.kind === 'invalid') {
    return { severity: 'medium', cause: `source address ${quoted(source.text, 64)} is neither an IP address nor an AWS service`, prefix: 'invalid', details: {} };
  }
  if (source.kind !== 'ip' || config.allowedGroups.lookup(source.ip)) return null;
  const prefix = locationPrefix(source.ip);
  // Outside a configured allow-list every address is a violation (an attacker's EC2 instance
  // in the vendor's region is an AWS address); without one only non-AWS addresses stand out.
  if (isPrivate(source.ip)) {
    if (!config.hasAllowList) return null;
    const details: Record<string, string> = { addressClass: 'private' };
    if (call.vpcEndpointId) details.vpcEndpointId = call.vpcEndpointId;
    return {
      severity: 'high',
      cause: `private address ${tokenText(source.text)}${call.vpcEndpointId ? ` via VPC endpoint ${vpcEndpointText(call.vpcEndpointId)}` : ''} is not in allowedCidrs (list the VPC's ranges there if the vendor calls STS through this endpoint)`,
      prefix,
      details,
    };
  }
  const aws = config.awsIpRanges.lookup(source.ip);
  if (aws) {
    if (!config.hasAllowList) return null;
    return {
      severity: 'high',
      cause: `address ${tokenText(source.text)} is an AWS address (${aws.service} ${aws.region}) outside allowedCidrs`,
      prefix,
      details: { addressClass: 'aws', awsPrefix: aws.prefix, awsService: aws.service, awsRegion: aws.region },
    };
  }
  return {
    severity: 'high',
    cause: `address ${tokenText(source.text)} is ${config.hasAllowList ? 'neither in allowedCidrs nor an AWS address' : 'not an AWS address'}`,
    prefix,
    details: { addressClass: 'external' },
  };
}

/**
 * Whether a session item shows that another alert covers a call from `location`: the session was
 * seen somewhere else (session-locations alerts on the move), or it was created from there (the
 * creation, an AssumeRole into the monitored role, was judged here already). Both only grow, so
 * a cached copy that says so decides.
 */
function coveredBy(location: string): Enough {
  return (item) => hasMember(setOf(item, SESSION_ATTRIBUTES.createdFrom), location) || setOf(item, SESSION_ATTRIBUTES.locations).some((l) => l !== location);
}

/** The finding on the AssumeRole that creates a session of a monitored role. */
function creationFinding(subject: Subject, role: string, verdict: Verdict): FindingDraft {
  return {
    severity: verdict.severity,
    title: `Outbound role assumed from ${ADDRESS_CLASS_TITLES[verdict.details.addressClass ?? ''] ?? 'an unexpected address'}`,
    cause: `assumption of ${quoted(role)}: ${verdict.cause}`,
    dedupKey: `source-ip|${role}|${verdict.prefix}`,
    evidence: evidenceOf(subject, verdict.details),
  };
}

/** The finding on a call a monitored role's session makes. */
function sessionFinding(subject: Subject, role: string, verdict: Verdict): FindingDraft {
  const { call } = subject;
  const where = ADDRESS_CLASS_TITLES[verdict.details.addressClass ?? ''] ?? 'an unexpected address';
  const title = call.kind === 'assume-role'
    ? `${targetRoleLabel(call.roleAccountId, call, role)} assumed from ${where}`
    : `Outbound session used from ${where} (${callText(call.eventSource, call.eventName)})`;
  return {
    severity: verdict.severity,
    title,
    cause: `call ${quoted(call.eventName, 128)} by ${quoted(call.principal.arn ?? call.principal.accessKeyId ?? role)}, a session of ${quoted(role)} not seen anywhere else: ${verdict.cause}`,
    dedupKey: `source-ip|session|${call.principal.accessKeyId ?? call.principal.arn}|${verdict.prefix}`,
    evidence: evidenceOf(subject, verdict.details),
  };
}

/** See the registry; evaluated on AssumeRole calls into a monitored role and on every call its sessions make. */
export const detector: Detector = {
  id: 'source-ip',
  title: 'Monitored call from an address outside the allow-list',
  severity: 'high',
  description:
    'A monitored call came from an address outside the allow-list: an AssumeRole into a monitored role, or any call one of its sessions makes (stolen instance or task credentials used only from a home address alert on their first call). With `allowedCidrs` set, any address outside it is high, whether it is AWS\'s (attackers rent EC2 in the vendor\'s region; the cause names the service and region from the bundled ip-ranges.json), private (a VPC endpoint; the cause names the endpoint: a vendor that calls STS through one lists its VPC ranges in `allowedCidrs`) or another network\'s. Without an allow-list, non-AWS addresses are high and AWS or private ones are not flagged. AWS service host names and `AWS Internal` are classified, not flagged; an AssumeRole whose source is neither an address nor a service is medium. A session\'s call is left to session-locations when the session was seen elsewhere before, and to the alert on its creation when it was created from the same place; alerts are per caller and per session, never folded across them.',
  runbook:
    'Look the address up (owner, geolocation, other activity). If it is not the vendor\'s, treat the calling credentials as stolen: revoke the sessions, rotate the backend\'s credentials, and check which customer roles were assumed from it.',
  attack: [{ tactic: 'TA0001', technique: 'T1078.004' }, { tactic: 'TA0005', technique: 'T1550.001' }],
  attackRationale: 'Credentials used from outside the vendor\'s network are valid cloud accounts in other hands (initial access); a session\'s own calls from there use its stolen session token (application access token).',
  plan(subject, config) {
    const { call } = subject;
    if (subject.intoRole && call.kind === 'assume-role') {
      const verdict = judge(call, config);
      return verdict ? stateless({ findings: [creationFinding(subject, subject.intoRole, verdict)], updates: [] }) : null;
    }
    const role = subject.outRole;
    if (!role || call.source.kind !== 'ip') return null;
    const verdict = judge(call, config);
    const location = verdict ? sessionLocationOf(call, config) : null;
    if (!verdict || location === null) return null;
    const enough = coveredBy(location);
    const sessionKeys: ReadKey[] = [];
    if (call.principal.accessKeyId) sessionKeys.push(keys.sessionByAccessKey(call.principal.accessKeyId, enough));
    if (call.principal.arn) sessionKeys.push(keys.sessionByArn(call.principal.arn, enough));
    return {
      keys: sessionKeys,
      evaluate: (state) => {
        // Judged on the items whatever order the detectors run in: session-locations adds only
        // this call's location, which never makes the session covered.
        if (sessionKeys.some((key) => enough(state.get(key) ?? {}))) return { findings: [], updates: [] };
        return { findings: [sessionFinding(subject, role, verdict)], updates: [] };
      },
    };
  },
};
