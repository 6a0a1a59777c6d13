/** session-request: what a session asks STS for — a longer session, or a missing, new or wide-open session policy. */
import { createHash } from 'node:crypto';
import { keys } from '../core/keys';
import { hasMember, type StateItem, type StateUpdate } from '../core/state';
import { ttlAfter } from '../core/time';
import { quoted } from '../core/text';
import type { CompiledConfig } from '../core/config';
import type { AssumeRoleCall } from '../core/types';
import { evidenceOf, NOTHING, setOf, type Detector, type FindingDraft, type Subject } from './detector';

const STATE_TTL_DAYS = 180;
/** Durations kept per direction: only ones that raised the maximum are added, so a backend needs one or two. */
const MAX_DURATIONS = 16;
/** Session policies kept per direction (one per microservice is the recommended use). */
const MAX_POLICIES = 64;
/** The policy "fingerprint" of a request that passed no session policy. */
const NO_POLICY = 'none';

/**
 * The learned item's attributes for each direction: the session a monitored role's sessions
 * ask for (out) and the one its callers ask for when they assume it (in) differ (a backend may
 * take an hour of the outbound role and hand out 15 minutes to customers), so each is learned
 * on its own, in one item.
 */
const ATTRIBUTES = {
  out: { durations: 'outDurations', policies: 'outPolicies' },
  in: { durations: 'inDurations', policies: 'inPolicies' },
} as const;

type Direction = keyof typeof ATTRIBUTES;

/**
 * The learned maximum: the item keeps each duration that raised it (a set, so racing writers
 * and redeliveries agree without a conditional write, which could not share the item with the
 * policy set), and the maximum is the largest of them.
 */
function maxOf(durations: readonly string[]): number | null {
  let max: number | null = null;
  for (const d of durations) {
    const n = Number(d);
    if (Number.isFinite(n) && (max === null || n > max)) max = n;
  }
  return max;
}

/** One fingerprint for the request's whole session policy: the inline policy's hash and the managed policies' ARNs. */
function policyOf(call: AssumeRoleCall): string {
  if (call.sessionPolicyHash === null && call.sessionPolicyArns === null) return NO_POLICY;
  return createHash('sha256').update(`${call.sessionPolicyHash ?? ''}|${call.sessionPolicyArns ?? ''}`).digest('hex').slice(0, 16);
}

/** Whether a (cached) item already knows this request: then nothing learned can fire. */
function knows(item: StateItem, direction: Direction, duration: number | null, policy: string | null): boolean {
  const a = ATTRIBUTES[direction];
  const max = maxOf(setOf(item, a.durations));
  return (duration === null || (max !== null && duration <= max)) && (policy === null || hasMember(setOf(item, a.policies), policy));
}

/** See the registry; evaluated on AssumeRole calls out of a monitored role and into one. */
export const detector: Detector = {
  id: 'session-request',
  title: 'Unusual session request',
  severity: 'medium',
  description:
    'A call out of a monitored role, or into one, asked STS for more than usual: a `DurationSeconds` (3600 when absent) above `maxSessionDurationSeconds` (high) or, after the learning period, above the longest the role has used (medium); a session policy allowing every action (`*` or NotAction, high); after learning, a session policy where the role never sends one, none where it always does, or one never seen (medium). Out of the role, `requireSessionPolicy` and `allowedSessionPolicyArns` are enforced (high). Refused requests count, and teach nothing. Only fingerprints of policies are stored. The role checker\'s requests (`roleCheckerArns`: the shortest session, a read-only policy) are not judged.',
  runbook:
    'Find the code path that built the request: the backend asks for a fixed duration and fixed per-service policies. A longer session or a policy that grants everything is what someone holding the credentials asks for to keep access: revoke the session (deny by aws:TokenIssueTime) and review what it did.',
  attack: [{ tactic: 'TA0004', technique: 'T1548.005' }],
  attackRationale: 'A longer session, or a wider or missing session policy, asks STS for more access than the backend needs: temporary elevated cloud access.',
  plan(subject, config) {
    const { call } = subject;
    if (call.kind !== 'assume-role') return null;
    const role = subject.outRole ?? subject.intoRole;
    if (role === null) return null;
    const direction: Direction = subject.outRole !== null ? 'out' : 'in';
    const duration = call.durationSeconds;
    // A request CloudTrail did not log (failures null it) says nothing about its policy.
    const policy = call.requestLogged ? policyOf(call) : null;
    if (duration === null && policy === null) return null;
    const key = keys.sessionRequests(role, (item) => knows(item, direction, duration, policy));
    const { durations: durationsAttr, policies: policiesAttr } = ATTRIBUTES[direction];
    return {
      keys: [key],
      evaluate: (state) => {
        // The role checker asks for the shortest session and a read-only session policy on purpose: neither judged nor learned.
        if (state.roleChecker() !== null) return NOTHING;
        const item = state.get(key);
        const durations = setOf(item, durationsAttr);
        const policies = setOf(item, policiesAttr);
        const learnedMax = maxOf(durations);
        const learned = state.learned(role, call.eventTime);
        // A refused request made no session: it is judged, never learned.
        const refused = call.errorCode !== null;
        const findings: FindingDraft[] = [];
        const addToSet: Record<string, string[]> = {};

        if (duration !== null) {
          const finding = durationFinding(subject, call, role, direction, duration, learnedMax, learned, config.maxSessionDurationSeconds);
          if (finding) findings.push(finding);
          if (!refused && (learnedMax === null || duration > learnedMax) && durations.length < MAX_DURATIONS) addToSet[durationsAttr] = [String(duration)];
        }
        if (policy !== null) {
          const finding = policyFinding(subject, call, role, direction, policy, policies, learned, config);
          if (finding) findings.push(finding);
          if (!refused && !hasMember(policies, policy) && policies.length < MAX_POLICIES) addToSet[policiesAttr] = [policy];
        }

        const updates: StateUpdate[] = [];
        const expiresAt = ttlAfter(call.eventTime, STATE_TTL_DAYS);
        if (Object.keys(addToSet).length > 0) updates.push({ key, addToSet, expiresAt });
        else if (item && (item.expiresAt as number) < ttlAfter(call.eventTime, STATE_TTL_DAYS / 2)) updates.push({ key, expiresAt });
        return { findings, updates };
      },
    };
  },
};

function refusal(call: AssumeRoleCall): string {
  return call.errorCode === null ? '' : ` (refused: ${quoted(call.errorCode, 64)})`;
}

function askedFor(direction: Direction, role: string, call: AssumeRoleCall): string {
  return direction === 'out' ? `a session of ${quoted(role)} asked for ${call.roleArn === null ? 'a role' : quoted(call.roleArn)}` : `caller ${quoted(call.principal.arn ?? call.principal.type)} asked for ${quoted(role)}`;
}

/**
 * Above the configured ceiling: high, the vendor said no session of theirs is that long, and a
 * longer one outlives the revocation the SOC plans on. Above the learned maximum only: medium,
 * since a backend release may lengthen its sessions; someone holding the credentials asks for
 * the longest session they can get.
 */
function durationFinding(subject: Subject, call: AssumeRoleCall, role: string, direction: Direction, duration: number, learnedMax: number | null, learned: boolean, ceiling: number | null): FindingDraft | null {
  const overCeiling = ceiling !== null && duration > ceiling;
  const overLearned = learned && learnedMax !== null && duration > learnedMax;
  if (!overCeiling && !overLearned) return null;
  const limit = overCeiling ? `maxSessionDurationSeconds ${ceiling}` : `the longest ${direction === 'out' ? 'its sessions' : 'its callers'} asked for before, ${learnedMax} s`;
  return {
    severity: overCeiling ? 'high' : 'medium',
    title: overCeiling ? 'Session longer than the configured maximum requested' : 'Session longer than usual requested',
    cause: `${askedFor(direction, role, call)} with DurationSeconds ${duration}, above ${limit}${refusal(call)}`,
    dedupKey: `session-request|duration-${overCeiling ? 'ceiling' : 'learned'}|${direction}|${role}`,
    evidence: evidenceOf(subject, {
      problem: overCeiling ? 'duration-above-ceiling' : 'duration-above-learned',
      direction,
      durationSeconds: duration,
      ...(learnedMax !== null ? { learnedMaxDurationSeconds: learnedMax } : {}),
      ...(ceiling !== null ? { maxSessionDurationSeconds: ceiling } : {}),
      ...(call.errorCode !== null ? { errorCode: call.errorCode } : {}),
    }),
  };
}

/**
 * One finding for everything wrong with the request's session policy, at the gravest of its
 * reasons: a policy that allows everything, a required one missing, or a managed policy outside
 * the allowed list is high (each defeats the scoping session policies are there for); a change
 * from what the role learned is medium (a new microservice brings a new policy).
 */
function policyFinding(subject: Subject, call: AssumeRoleCall, role: string, direction: Direction, policy: string, known: readonly string[], learned: boolean, config: CompiledConfig): FindingDraft | null {
  const arns = call.sessionPolicyArns === null ? [] : call.sessionPolicyArns.split('\n');
  const high: { reason: string; title: string }[] = [];
  if (call.sessionPolicyAllowsAll) high.push({ reason: 'its inline session policy allows every action', title: 'Session policy allowing every action' });
  // The vendor's rules for session policies are about the sessions customers see: calls out of the role.
  if (direction === 'out') {
    if (policy === NO_POLICY && config.requireSessionPolicy) high.push({ reason: 'it passed no session policy and requireSessionPolicy is set', title: 'Customer role assumed without a session policy' });
    const outside = arns.filter((arn) => !config.isAllowedSessionPolicyArn(arn));
    if (outside.length > 0) high.push({ reason: `managed session polic${outside.length > 1 ? 'ies' : 'y'} ${outside.slice(0, 3).map((arn) => quoted(arn)).join(', ')} not in allowedSessionPolicyArns`, title: 'Session policy outside allowedSessionPolicyArns' });
  }
  let learnedChange: { reason: string; title: string } | null = null;
  if (learned && known.length > 0 && !hasMember(known, policy)) {
    const neverSent = known.length === 1 && known[0] === NO_POLICY;
    learnedChange =
      policy === NO_POLICY
        ? { reason: 'it passed no session policy, where the role always passed one', title: 'Session policy missing' }
        : neverSent
          ? { reason: 'it passed a session policy, where the role never passed one', title: 'Session policy where the role never sends one' }
          : { reason: `its session policy ${policy} was never seen for the role`, title: 'Unfamiliar session policy' };
  }
  const reasons = [...high, ...(learnedChange ? [learnedChange] : [])];
  if (reasons.length === 0) return null;
  return {
    severity: high.length > 0 ? 'high' : 'medium',
    title: reasons[0]!.title,
    cause: `${askedFor(direction, role, call)}: ${reasons.map((r) => r.reason).join('; ')}${refusal(call)}`,
    dedupKey: `session-request|policy|${direction}|${role}|${policy}`,
    evidence: evidenceOf(subject, {
      problem: 'session-policy',
      direction,
      sessionPolicyFingerprint: policy,
      ...(call.sessionPolicyHash !== null ? { inlinePolicyFingerprint: call.sessionPolicyHash } : {}),
      allowsEveryAction: call.sessionPolicyAllowsAll,
      sessionPolicyArns: arns.slice(0, 10),
      knownPolicyFingerprints: known.slice(0, 10),
      ...(call.errorCode !== null ? { errorCode: call.errorCode } : {}),
    }),
  };
}
