/** call-volume: a burst of assumptions by a monitored role. */
import type { ReadKey } from '../store/cache';
import type { StateKey, StateUpdate } from '../store/port';
import { countOf, countOnce, evidenceOf, QUIET, ttlAfter, windowOf, type Detector, type FindingDraft, type StateView } from './detector';
import type { CompiledConfig } from '../engine/config';

/** Days of daily peaks the learned baseline looks back over. */
const BASELINE_DAYS = 7;
const DAY_MS = 86_400_000;

function windowKey(role: string, window: number): StateKey {
  return { pk: `volume#${role}`, sk: `w#${window}` };
}

function peakKey(role: string, day: number): StateKey {
  return { pk: `volume#${role}`, sk: `peak#${day}` };
}

const always = (): boolean => true;
const keysMemo = new Map<string, ReadKey[]>();

/** The learned baseline: the busiest window of the previous days. */
function baselinePeak(role: string, day: number, state: StateView): number {
  let peak = 0;
  for (let d = day - BASELINE_DAYS; d < day; d++) peak = Math.max(peak, (state.get(peakKey(role, d))?.peak as number | undefined) ?? 0);
  return peak;
}

function applies(call: { kind: string; errorCode: string | null }, outRole: string | null): outRole is string {
  return outRole !== null && call.kind === 'assume-role' && call.errorCode === null;
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
  keys(subject, config) {
    if (!applies(subject.call, subject.outRole)) return [];
    const w = windowOf(subject.call.eventTime, config.volumeWindowMinutes);
    const day = Math.floor(subject.call.eventTime / DAY_MS);
    // The same for every call of a role in a window: built once (a burst has thousands).
    const memo = `${subject.outRole}\u0000${w}\u0000${day}`;
    let keys = keysMemo.get(memo);
    if (!keys) {
      // Peaks only rise, and a lower one makes the baseline stricter, never blind: any cached
      // copy will do (an absent one too). Window counts change with every call: always read.
      keys = [windowKey(subject.outRole, w), windowKey(subject.outRole, w - 1), { ...peakKey(subject.outRole, day), enough: always }];
      for (let d = day - BASELINE_DAYS; d < day; d++) keys.push({ ...peakKey(subject.outRole, d), enough: always });
      if (keysMemo.size >= 256) keysMemo.clear();
      keysMemo.set(memo, keys);
    }
    return keys;
  },
  evaluate(subject, state, config: CompiledConfig) {
    const { call } = subject;
    const role = subject.outRole;
    if (!applies(call, role) || call.kind !== 'assume-role') return QUIET;
    const windowMs = config.volumeWindowMinutes * 60_000;
    const w = windowOf(call.eventTime, config.volumeWindowMinutes);
    const day = Math.floor(call.eventTime / DAY_MS);
    const current = state.get(windowKey(role, w));
    const previousCalls = countOf(state.get(windowKey(role, w - 1)));
    const windowTtl = ttlAfter(call.eventTime, (2 * windowMs) / DAY_MS);
    const counted = countOnce(windowKey(role, w), call.eventId, current, windowTtl);
    // Counted already (a redelivery): it crosses no limit again, but may still record the
    // window's peak (a count, so the same whenever it is written).
    const repeated = counted.update === null;
    const accounts = new Set((current?.accounts as readonly string[] | undefined) ?? []);
    const newAccount = call.roleAccountId !== null && !accounts.has(call.roleAccountId);
    if (newAccount) accounts.add(call.roleAccountId!);
    // Sliding window: this window plus the part of the previous one still inside it.
    const elapsed = (call.eventTime % windowMs) / windowMs;
    const after = counted.count + previousCalls * (1 - elapsed);
    const before = repeated ? after : after - 1;
    const estimate = Math.round(after);
    const updates: StateUpdate[] = counted.update ? [counted.update] : [];
    if (newAccount && accounts.size <= config.volumeMaxTargetAccounts + 1) {
      updates.push({ key: windowKey(role, w), addToSet: { accounts: [call.roleAccountId!] }, expiresAt: windowTtl });
    }
    // Alert when this call takes the window over a limit, not on every call of a long burst.
    const crosses = (limit: number, from: number, to: number): boolean => from <= limit && to > limit;
    const reasons: string[] = [];
    if (crosses(config.volumeMaxCalls, before, after)) reasons.push(`${estimate} calls in ${config.volumeWindowMinutes} min exceed the ceiling of ${config.volumeMaxCalls}`);
    if (newAccount && crosses(config.volumeMaxTargetAccounts, accounts.size - 1, accounts.size)) {
      reasons.push(`${accounts.size} target accounts exceed the ceiling of ${config.volumeMaxTargetAccounts}`);
    }
    const peak = baselinePeak(role, day, state);
    const spikeLimit = Math.max(config.volumeSpikeFactor * peak, config.volumeSpikeMinCalls - 0.5);
    if (state.learned(role, call.eventTime) && crosses(spikeLimit, before, after)) {
      reasons.push(`${estimate} calls in ${config.volumeWindowMinutes} min are over ${config.volumeSpikeFactor}× the learned peak of ${peak}`);
    }
    const overLimit = after > config.volumeMaxCalls || (state.learned(role, call.eventTime) && after > spikeLimit);
    if (reasons.length === 0) {
      // A window over a limit is not normal: it must not raise the baseline it is judged by.
      const todayPeak = (state.get(peakKey(role, day))?.peak as number | undefined) ?? 0;
      // The peak is the busiest fixed window's count: it ends the same whatever order the calls
      // arrive in (a sliding estimate would depend on it).
      if (!overLimit && counted.count > todayPeak) updates.push({ key: peakKey(role, day), max: { peak: counted.count }, expiresAt: ttlAfter(call.eventTime, BASELINE_DAYS + 2) });
      return { findings: [], updates };
    }
    const finding: FindingDraft = {
      severity: this.severity,
      title: `Burst of ${estimate} role assumptions by ${role.slice(role.lastIndexOf('/') + 1)}`,
      cause: reasons.join('; '),
      dedupKey: `call-volume|${role}`,
      evidence: evidenceOf(subject, { calls: estimate, targetAccounts: accounts.size, learnedPeak: peak, windowMinutes: config.volumeWindowMinutes }),
    };
    return { findings: [finding], updates };
  },
};
