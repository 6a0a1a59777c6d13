/** call-volume: a burst of assumptions by a monitored role. */
import { keys, type VolumeKeys } from '../core/keys';
import { hasMember, type StateUpdate } from '../core/state';
import { dayOf, ttlAfter, windowOf, windowTtl } from '../core/time';
import { quoted } from '../core/text';
import { countOf, countOnce, evidenceOf, NOTHING, roleName, type Detector, type FindingDraft, type StateView } from './detector';

/** Days of daily peaks the learned baseline looks back over. */
export const BASELINE_DAYS = 7;

/** The learned baseline: the busiest window of the previous days. */
function baselinePeak(volume: VolumeKeys, state: StateView): number {
  let peak = 0;
  for (let i = 1; i < volume.peaks.length; i++) peak = Math.max(peak, (state.get(volume.peaks[i]!)?.peak as number | undefined) ?? 0);
  return peak;
}

/** See the registry; evaluated on successful AssumeRole calls made by a monitored role's session. */
export const detector: Detector = {
  id: 'call-volume',
  title: 'Burst of role assumptions by the outbound role',
  severity: 'high',
  description:
    'AssumeRole calls (or distinct target accounts) by one monitored role in a sliding window exceed `volumeMaxCalls` / `volumeMaxTargetAccounts`, or, after the learning period, exceed `volumeSpikeFactor` times the busiest window of the previous 7 days (so a daily scan learned as normal stays quiet). The role checker\'s calls (`roleCheckerArns`) are not counted.',
  runbook:
    'A mass assumption is how a breached vendor becomes a breach of every customer. Check who holds the outbound sessions, stop the backend if it is not the source, revoke active sessions, and list the target accounts in the evidence for customer notification.',
  attack: [{ tactic: 'TA0001', technique: 'T1199' }],
  attackRationale: 'A mass assumption abuses the trust every customer placed in the vendor\'s role: Trusted Relationship, the path from one breached vendor to all its customers.',
  plan(subject, config) {
    const { call } = subject;
    const role = subject.outRole;
    if (role === null || call.kind !== 'assume-role' || call.errorCode !== null) return null;
    const windowMs = config.volumeWindowMinutes * 60_000;
    const volume = keys.volume(role, windowOf(call.eventTime, config.volumeWindowMinutes), dayOf(call.eventTime), BASELINE_DAYS);
    return {
      keys: volume.read,
      evaluate: (state) => {
        // The role checker's run through every customer is a burst by design: not counted.
        if (state.roleChecker() !== null) return NOTHING;
        const current = state.get(volume.current);
        const previous = state.get(volume.previous);
        const previousCalls = countOf(previous);
        const windowExpiry = windowTtl(call.eventTime, windowMs);
        const counted = countOnce(volume.current, call.eventId, current, windowExpiry);
        const accounts = current?.accounts as readonly string[] | undefined;
        const newAccount = call.roleAccountId !== null && !hasMember(accounts, call.roleAccountId);
        const accountCount = (accounts?.length ?? 0) + (newAccount ? 1 : 0);
        // Sliding window: this window plus the part of the previous one still inside it.
        const elapsed = (call.eventTime % windowMs) / windowMs;
        const after = counted.count + previousCalls * (1 - elapsed);
        const estimate = Math.round(after);
        const updates: StateUpdate[] = counted.update ? [counted.update] : [];
        if (newAccount && accountCount <= config.volumeMaxTargetAccounts + 1) {
          updates.push({ key: volume.current, addToSet: { accounts: [call.roleAccountId!] }, expiresAt: windowExpiry });
        }
        const peak = baselinePeak(volume, state);
        const spikeLimit = Math.max(config.volumeSpikeFactor * peak, config.volumeSpikeMinCalls - 0.5);
        const learned = state.learned(role, call.eventTime);
        // A window over a limit alerts once: on the first call that finds it over the limit and not
        // yet alerted (the window item says so). Not on the call that crosses the limit: beside
        // other instances, a batch may never see the crossing itself (it read the window before
        // their calls and counts past the limit after them). A window over a limit only through
        // the tail of an alerted previous window is the same burst.
        const reasons: string[] = [];
        if (current?.alerted !== 1) {
          const overCalls = (limit: number): boolean => after > limit && !(previous?.alerted === 1 && counted.count <= limit);
          if (overCalls(config.volumeMaxCalls)) reasons.push(`${estimate} calls in ${config.volumeWindowMinutes} min exceed the ceiling of ${config.volumeMaxCalls}`);
          if (accountCount > config.volumeMaxTargetAccounts) reasons.push(`${accountCount} target accounts exceed the ceiling of ${config.volumeMaxTargetAccounts}`);
          if (learned && overCalls(spikeLimit)) reasons.push(`${estimate} calls in ${config.volumeWindowMinutes} min are over ${config.volumeSpikeFactor}× the learned peak of ${peak}`);
          // A mark, not a time: which call finds the window over the limit depends on the order.
          if (reasons.length > 0) updates.push({ key: volume.current, setIfAbsent: { alerted: 1 }, expiresAt: windowExpiry });
        }
        // The day's peak is the busiest fixed window's count (a sliding estimate would depend on
        // the order calls arrive in), capped at the limits: a window over a limit is not normal and
        // must not raise the baseline it is judged by past them. Capped, it comes out the same
        // whatever order and however many instances counted the window: any batch that sees the
        // window at or past the cap records the cap.
        const cap = learned ? Math.min(config.volumeMaxCalls, Math.floor(spikeLimit)) : config.volumeMaxCalls;
        const peakTtl = ttlAfter(call.eventTime, BASELINE_DAYS + 2);
        const recorded = Math.min(counted.count, cap);
        if (recorded > ((state.get(volume.peaks[0]!)?.peak as number | undefined) ?? 0)) updates.push({ key: volume.peaks[0]!, max: { peak: recorded }, expiresAt: peakTtl });
        // The previous window is closed, and its count was read from the table just now: final,
        // whichever instance counted its last calls. A batch that counted them beside another
        // instance saw less than that and recorded a lower peak; it is lifted here.
        const previousDay = dayOf((windowOf(call.eventTime, config.volumeWindowMinutes) - 1) * windowMs);
        const previousPeakKey = volume.peaks[dayOf(call.eventTime) - previousDay];
        const closed = Math.min(previousCalls, cap);
        if (previousPeakKey !== undefined && closed > ((state.get(previousPeakKey)?.peak as number | undefined) ?? 0)) {
          updates.push({ key: previousPeakKey, max: { peak: closed }, expiresAt: peakTtl });
        }
        if (reasons.length === 0) return { findings: [], updates };
        const finding: FindingDraft = {
          severity: this.severity,
          title: `Burst of ${estimate} role assumptions by ${quoted(roleName(role), 64)}`,
          cause: reasons.join('; '),
          dedupKey: `call-volume|${role}`,
          // A burst is the role's, whichever of its sessions made the calls.
          scope: 'role',
          evidence: evidenceOf(subject, { calls: estimate, targetAccounts: accountCount, learnedPeak: peak, windowMinutes: config.volumeWindowMinutes }),
        };
        return { findings: [finding], updates };
      },
    };
  },
};
