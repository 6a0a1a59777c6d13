/** call-volume: a burst of assumptions by a monitored role. */
import { keys, type VolumeKeys } from '../core/keys';
import { hasMember, type StateUpdate } from '../core/state';
import { DAY_MS, dayOf, ttlAfter, windowOf } from '../core/time';
import { countOf, countOnce, evidenceOf, roleName, type Detector, type FindingDraft, type StateView } from './detector';

/** Days of daily peaks the learned baseline looks back over. */
const BASELINE_DAYS = 7;

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
    'AssumeRole calls (or distinct target accounts) by one monitored role in a sliding window exceed `volumeMaxCalls` / `volumeMaxTargetAccounts`, or, after the learning period, exceed `volumeSpikeFactor` times the busiest window of the previous 7 days (so a daily scan learned as normal stays quiet).',
  runbook:
    'A mass assumption is how a breached vendor becomes a breach of every customer. Check who holds the outbound sessions, stop the backend if it is not the source, revoke active sessions, and list the target accounts in the evidence for customer notification.',
  plan(subject, config) {
    const { call } = subject;
    const role = subject.outRole;
    if (role === null || call.kind !== 'assume-role' || call.errorCode !== null) return null;
    const windowMs = config.volumeWindowMinutes * 60_000;
    const volume = keys.volume(role, windowOf(call.eventTime, config.volumeWindowMinutes), dayOf(call.eventTime), BASELINE_DAYS);
    return {
      keys: volume.read,
      evaluate: (state) => {
        const current = state.get(volume.current);
        const previousCalls = countOf(state.get(volume.previous));
        const windowTtl = ttlAfter(call.eventTime, (2 * windowMs) / DAY_MS);
        const counted = countOnce(volume.current, call.eventId, current, windowTtl);
        // Counted already (a redelivery): it crosses no limit again, but may still record the
        // window's peak (a count, so the same whenever it is written).
        const repeated = counted.update === null;
        const accounts = current?.accounts as readonly string[] | undefined;
        const newAccount = call.roleAccountId !== null && !hasMember(accounts, call.roleAccountId);
        const accountCount = (accounts?.length ?? 0) + (newAccount ? 1 : 0);
        // Sliding window: this window plus the part of the previous one still inside it.
        const elapsed = (call.eventTime % windowMs) / windowMs;
        const after = counted.count + previousCalls * (1 - elapsed);
        const before = repeated ? after : after - 1;
        const estimate = Math.round(after);
        const updates: StateUpdate[] = counted.update ? [counted.update] : [];
        if (newAccount && accountCount <= config.volumeMaxTargetAccounts + 1) {
          updates.push({ key: volume.current, addToSet: { accounts: [call.roleAccountId!] }, expiresAt: windowTtl });
        }
        // Alert when this call takes the window over a limit, not on every call of a long burst.
        const crosses = (limit: number, from: number, to: number): boolean => from <= limit && to > limit;
        const reasons: string[] = [];
        if (crosses(config.volumeMaxCalls, before, after)) reasons.push(`${estimate} calls in ${config.volumeWindowMinutes} min exceed the ceiling of ${config.volumeMaxCalls}`);
        if (newAccount && crosses(config.volumeMaxTargetAccounts, accountCount - 1, accountCount)) {
          reasons.push(`${accountCount} target accounts exceed the ceiling of ${config.volumeMaxTargetAccounts}`);
        }
        const peak = baselinePeak(volume, state);
        const spikeLimit = Math.max(config.volumeSpikeFactor * peak, config.volumeSpikeMinCalls - 0.5);
        const learned = state.learned(role, call.eventTime);
        if (learned && crosses(spikeLimit, before, after)) {
          reasons.push(`${estimate} calls in ${config.volumeWindowMinutes} min are over ${config.volumeSpikeFactor}× the learned peak of ${peak}`);
        }
        const overLimit = after > config.volumeMaxCalls || (learned && after > spikeLimit);
        if (reasons.length === 0) {
          // A window over a limit is not normal: it must not raise the baseline it is judged by.
          const todayPeak = (state.get(volume.peaks[0]!)?.peak as number | undefined) ?? 0;
          // The peak is the busiest fixed window's count: it ends the same whatever order the calls
          // arrive in (a sliding estimate would depend on it).
          if (!overLimit && counted.count > todayPeak) updates.push({ key: volume.peaks[0]!, max: { peak: counted.count }, expiresAt: ttlAfter(call.eventTime, BASELINE_DAYS + 2) });
          return { findings: [], updates };
        }
        const finding: FindingDraft = {
          severity: this.severity,
          title: `Burst of ${estimate} role assumptions by ${roleName(role)}`,
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
