/** failed-assume: denied AssumeRole calls around a monitored role, in bursts and, slowly, over a day. */
import type { CompiledConfig } from '../core/config';
import { keys, type DayKeys } from '../core/keys';
import { hasMember, type StateUpdate } from '../core/state';
import type { AssumeRoleCall } from '../core/types';
import { dayOf, ttlAfter, windowOf, windowTtl } from '../core/time';
import { accountOf } from '../core/parse';
import { countOf, countOnce, evidenceOf, NOTHING, roleName, targetRoleLabel, type Detector, type FindingDraft, type StateView, type Subject } from './detector';
import { boundedMember } from '../core/names';
import { quoted } from '../core/text';

const DENIED = /AccessDenied|UnauthorizedOperation|NotAuthorized/i;
const MAX_TARGETS = 32;
/** Sessions a day's counter names (a prober rotating hourly opens 24 a day). */
const MAX_SESSIONS = 32;
/** Days of daily peaks the learned baseline of denied days looks back over. */
const BASELINE_DAYS = 7;

function caller(subject: Subject): string | null {
  const { call } = subject;
  if (call.kind !== 'assume-role' || call.errorCode === null || !DENIED.test(call.errorCode)) return null;
  if (!subject.intoRole && !subject.outRole) return null;
  const p = call.principal;
  return p.arn ?? (p.accountId ? `account:${p.accountId}` : null) ?? (call.source.text ? `address:${call.source.text}` : null);
}

/** What the day's count says about one denied call of a monitored role's session. */
interface DailyJudgement {
  /** Why the day went over a limit with this call; null when it did not (or did earlier). */
  readonly reason: string | null;
  readonly details: Readonly<Record<string, number | readonly string[]>>;
  readonly updates: readonly StateUpdate[];
}

/** `n things`, with a `+` when the stored set reached its cap (there may be more). */
function howMany(n: number, cap: number, thing: string): string {
  return `${n}${n >= cap ? '+' : ''} ${thing}${n === 1 ? '' : 's'}`;
}

/** The learned baseline: the busiest denied day of the previous days. */
function baselinePeak(daily: DayKeys, state: StateView): number {
  let peak = 0;
  for (let i = 1; i < daily.peaks.length; i++) peak = Math.max(peak, (state.get(daily.peaks[i]!)?.peak as number | undefined) ?? 0);
  return peak;
}

/**
 * Slow probing: the role's denied calls this UTC day, whichever of its sessions made them (a
 * prober opening a session an hour restarts any per-session count), against the daily ceiling
 * and, after learning, the busiest denied day of the previous week times `volumeSpikeFactor`.
 * The day's total is learned as that day's peak, so the backend's daily denials for offboarded
 * customers and onboarding retries are the baseline and stay quiet.
 */
function judgeDay(role: string, daily: DayKeys, call: AssumeRoleCall, session: string, state: StateView, config: CompiledConfig): DailyJudgement {
  const current = state.get(daily.current);
  const expiresAt = ttlAfter(call.eventTime, 2);
  const counted = countOnce(daily.current, call.eventId, current, expiresAt);
  // A redelivered call was counted already: it takes the day over no limit a second time.
  const after = counted.count;
  const before = counted.update === null ? after : after - 1;
  const updates: StateUpdate[] = counted.update ? [counted.update] : [];
  const targets = (current?.targets as readonly string[] | undefined) ?? [];
  const target = boundedMember(call.roleArn ?? 'unknown');
  const newTarget = !hasMember(targets, target) && targets.length < MAX_TARGETS;
  if (newTarget) updates.push({ key: daily.current, addToSet: { targets: [target] }, expiresAt });
  const sessions = (current?.sessions as readonly string[] | undefined) ?? [];
  const sessionMember = boundedMember(session);
  const newSession = !hasMember(sessions, sessionMember) && sessions.length < MAX_SESSIONS;
  if (newSession) updates.push({ key: daily.current, addToSet: { sessions: [sessionMember] }, expiresAt });

  const peak = baselinePeak(daily, state);
  const learned = state.learned(role, call.eventTime);
  // Even a role never denied before needs a burst's worth of denials in a day to count as a spike.
  const spikeLimit = Math.max(config.volumeSpikeFactor * peak, config.failedAssumeMaxCalls - 0.5);
  // One limit, the lower: the day alerts once, when it first goes over (not again at the ceiling).
  const limit = learned ? Math.min(config.failedAssumeDailyMaxCalls, spikeLimit) : config.failedAssumeDailyMaxCalls;
  const overLimit = after > limit;
  const reasons: string[] = [];
  if (before <= limit && overLimit) {
    if (after > config.failedAssumeDailyMaxCalls) reasons.push(`exceed the daily ceiling of ${config.failedAssumeDailyMaxCalls}`);
    if (learned && after > spikeLimit) reasons.push(`are over ${config.volumeSpikeFactor}× the busiest denied day of the previous ${BASELINE_DAYS} (${peak} calls)`);
  }
  // A day over a limit is not normal: it must not raise the baseline it is judged by. The peak
  // is a count, so it ends the same whatever order the calls arrive in.
  const todayPeak = (state.get(daily.peaks[0]!)?.peak as number | undefined) ?? 0;
  if (!overLimit && after > todayPeak) updates.push({ key: daily.peaks[0]!, max: { peak: after }, expiresAt: ttlAfter(call.eventTime, BASELINE_DAYS + 2) });
  if (reasons.length === 0) return { reason: null, details: {}, updates };

  const allTargets = newTarget ? [...targets, target] : targets;
  const allSessions = newSession ? [...sessions, sessionMember] : sessions;
  return {
    reason: `${after} denied AssumeRole calls by the sessions of ${quoted(roleName(role), 64)} today (${howMany(allSessions.length, MAX_SESSIONS, 'session')}, ${howMany(allTargets.length, MAX_TARGETS, 'distinct role')}) ${reasons.join(' and ')}`,
    details: {
      deniedToday: after,
      dailyCeiling: config.failedAssumeDailyMaxCalls,
      learnedDailyPeak: peak,
      distinctTargetsToday: allTargets.length,
      targetsToday: allTargets.slice(0, 10),
      distinctSessionsToday: allSessions.length,
      sessionsToday: allSessions.slice(0, 10),
    },
    updates,
  };
}

/** See the registry; evaluated on denied AssumeRole calls from or against a monitored role. */
export const detector: Detector = {
  id: 'failed-assume',
  title: 'Burst of denied role assumptions',
  severity: 'high',
  description:
    'One caller had at least `failedAssumeMaxCalls` AssumeRole calls denied within `failedAssumeWindowMinutes`, either made by a monitored role\'s session (probing customer accounts, confused-deputy attempts) or against a monitored role (someone trying to get in). The role is taken from `errorMessage` when a failure nulls the request. Slow probing (medium): a monitored role\'s sessions, all of them together (a prober opens a new session every hour), had more than `failedAssumeDailyMaxCalls` calls denied in one UTC day, or, after the learning period, more than `volumeSpikeFactor` times the role\'s busiest denied day of the previous 7 (and at least `failedAssumeMaxCalls`), so the daily denials for offboarded customers are learned and stay quiet; one alert per role and day, folded into the burst alert when a burst takes the day over. Attempts against the role are judged per caller only: unexpected-caller reports each of them. The role checker\'s refused probes (`roleCheckerArns`) are not counted.',
  runbook:
    'List the denied targets in the evidence. Outbound probing of accounts that are not customers means the session is in the wrong hands: revoke it. Slow probing lists the day\'s sessions: revoke them all (deny by aws:TokenIssueTime) and find which host obtains them, since the next one will probe too. Attempts against the outbound role show who is trying to reach it: check that principal\'s credentials.',
  attack: [{ tactic: 'TA0007', technique: 'T1087.004' }, { tactic: 'TA0006', technique: 'T1110' }],
  attackRationale: 'Denied assumptions across many role ARNs find out which roles exist and trust the vendor (cloud account discovery); repeated tries with guessed external IDs are brute force.',
  plan(subject, config) {
    const who = caller(subject);
    const { call } = subject;
    if (!who || call.kind !== 'assume-role') return null;
    const windowMs = config.failedAssumeWindowMinutes * 60_000;
    const w = windowOf(call.eventTime, config.failedAssumeWindowMinutes);
    const currentKey = keys.failedWindow(who, w);
    const previousKey = keys.failedWindow(who, w - 1);
    // The day's count is the role's, not the caller's: only calls out of a monitored role have one.
    const role = subject.outRole;
    const daily = role !== null ? keys.failedDays(role, dayOf(call.eventTime), BASELINE_DAYS) : null;
    return {
      keys: daily ? [currentKey, previousKey, ...daily.read] : [currentKey, previousKey],
      evaluate: (state) => {
        // The role checker's refused assumptions are the point of its probe: not counted.
        if (state.roleChecker() !== null) return NOTHING;
        const current = state.get(currentKey);
        const expiresAt = windowTtl(call.eventTime, windowMs);
        const counted = countOnce(currentKey, call.eventId, current, expiresAt);
        const previous = countOf(state.get(previousKey));
        const estimate = Math.round(counted.count + previous * (1 - (call.eventTime % windowMs) / windowMs));
        const known = (current?.targets as readonly string[] | undefined) ?? [];
        const target = boundedMember(call.roleArn ?? 'unknown');
        const isNew = !hasMember(known, target);
        const updates: StateUpdate[] = counted.update ? [counted.update] : [];
        if (isNew && known.length < MAX_TARGETS) updates.push({ key: currentKey, addToSet: { targets: [target] }, expiresAt });
        const day = role !== null && daily !== null ? judgeDay(role, daily, call, call.principal.arn ?? who, state, config) : null;
        if (day) updates.push(...day.updates);
        if (estimate < config.failedAssumeMaxCalls) {
          if (!day?.reason) return { findings: [], updates };
          return { findings: [slowProbing(subject, role!, day, call)], updates };
        }
        const targets = isNew ? [...known, target] : known;
        const outbound = subject.outRole && !subject.intoRole ? subject.outRole : null;
        const direction = outbound ? `from ${quoted(outbound)}` : `against ${quoted(subject.intoRole!)}`;
        // Targets in one account are named by it; in several, some are customers'.
        const accounts = new Set(targets.map(accountOf));
        const probed = outbound ? targetRoleLabel(accounts.size === 1 ? accountOf(targets[0]!) : null, call, outbound, true) : '';
        // A burst that takes the day over its limit is one incident: the day's reason joins the
        // burst's alert (same dedup key, so it folds into the alert already sent).
        const cause = `${estimate} denied AssumeRole calls ${direction} by ${quoted(who)} in ${config.failedAssumeWindowMinutes} min (${targets.length} distinct roles)`;
        return {
          findings: [{
            severity: detector.severity,
            title: outbound ? `Outbound session probing ${probed.toLowerCase()}` : 'Repeated denied attempts to assume the outbound role',
            cause: day?.reason ? `${cause}; ${day.reason}` : cause,
            dedupKey: `failed-assume|${who}`,
            evidence: evidenceOf(subject, { deniedCalls: estimate, distinctTargets: targets.length, targets: targets.slice(0, 10), errorCode: call.errorCode ?? '', ...(day?.reason ? day.details : {}) }),
          }],
          updates,
        };
      },
    };
  },
};

/** The slow-probing finding: one per role and UTC day (the day's count crosses a limit once). */
function slowProbing(subject: Subject, role: string, day: DailyJudgement, call: AssumeRoleCall): FindingDraft {
  return {
    severity: 'medium',
    title: `Slow probing: ${day.details.deniedToday} denied role assumptions by ${quoted(roleName(role), 64)} today`,
    cause: day.reason!,
    dedupKey: `failed-assume|daily|${role}|${dayOf(call.eventTime)}`,
    // The day's count is the role's: a prober opens a new session every hour.
    scope: 'role',
    evidence: evidenceOf(subject, { ...day.details, errorCode: call.errorCode ?? '' }),
  };
}
