/**
 * Volume thresholds (`volumeMaxCalls`, `volumeMaxTargetAccounts`, `volumeSpikeFactor`,
 * `volumeSpikeMinCalls`) and denied-call thresholds (`failedAssumeMaxCalls`,
 * `failedAssumeDailyMaxCalls`), from the monitored roles' calls counted as call-volume and
 * failed-assume count them: fixed windows, the sliding estimate (this window's calls plus the
 * part of the previous window still inside it), the busiest window of each UTC day, and, after
 * the learning period, the learned spike against the busiest day of the previous week. Every
 * threshold is the margin (1.5×) over the most the normal traffic reached, rounded up, and the
 * learned spikes are replayed over the period so that the normal traffic stays quiet.
 */
import { DAY_MS, dayOf } from '../../lambdas/core/time';
import type { Calls, Collector, RoleOut } from './collect';
import { code, count, prose, table, when } from './markdown';
import { Seen } from './seen';
import type { LeftOut, Period, Section } from './section';

/** The margin every threshold keeps over the busiest normal traffic. */
export const MARGIN = 1.5;
/** Days of daily peaks the engine's learned baselines look back over (call-volume, failed-assume). */
const BASELINE_DAYS = 7;
/** A window this many times the role's median daily peak, on one day only, is a burst. */
const BURST_FACTOR = 3;
/** The engine's defaults, which a proposal never goes below for the spike. */
const DEFAULTS = { volumeSpikeFactor: 3, volumeSpikeMinCalls: 50 } as const;
/** Floors: thresholds this low would alert on a retry or two. */
const FLOORS = { volumeMaxCalls: 10, volumeMaxTargetAccounts: 5, failedAssumeMaxCalls: 5, failedAssumeDailyMaxCalls: 10 } as const;
/** A role's denied calls into this many never-assumed accounts in one day are probing. */
const PROBED_ACCOUNTS = 5;

/** The windows the engine counts in (its configuration's, or the defaults). */
export interface Windows {
  readonly volumeWindowMinutes: number;
  readonly failedAssumeWindowMinutes: number;
  readonly learningPeriodDays: number;
}

const withMargin = (n: number, floor: number): number => Math.max(floor, Math.ceil(n * MARGIN));
/** Up to the next half: a factor of 3.2 becomes 3.5. */
const halfUp = (n: number): number => Math.ceil(n * 2) / 2;

/** Indices of `times` in time order. */
function order(times: readonly number[], keep: (i: number) => boolean = () => true): number[] {
  const idx: number[] = [];
  for (let i = 0; i < times.length; i++) if (keep(i)) idx.push(i);
  return idx.sort((a, b) => times[a]! - times[b]! || a - b);
}

/** One fixed window of a role's calls. */
interface Window {
  readonly start: number;
  calls: number;
  readonly accounts: Set<number>;
  /** The largest sliding estimate of a call in it. */
  estimate: number;
}

/** A role's calls counted as call-volume counts them. */
interface Series {
  readonly windows: Map<number, Window>;
  /** UTC day → its busiest fixed window's count. */
  readonly dayPeaks: Map<number, number>;
  /** Each call (in time order): its time and the sliding estimate after it. */
  readonly points: { readonly t: number; readonly estimate: number }[];
}

function series(calls: Calls, windowMs: number, keep: (i: number) => boolean): Series {
  const windows = new Map<number, Window>();
  const dayPeaks = new Map<number, number>();
  const points: { t: number; estimate: number }[] = [];
  for (const i of order(calls.times, keep)) {
    const t = calls.times[i]!;
    const w = Math.floor(t / windowMs);
    let win = windows.get(w);
    if (!win) windows.set(w, (win = { start: w * windowMs, calls: 0, accounts: new Set(), estimate: 0 }));
    win.calls += 1;
    if (calls.accounts[i]! >= 0) win.accounts.add(calls.accounts[i]!);
    const previous = windows.get(w - 1)?.calls ?? 0;
    const estimate = win.calls + previous * (1 - (t % windowMs) / windowMs);
    win.estimate = Math.max(win.estimate, estimate);
    const day = dayOf(t);
    dayPeaks.set(day, Math.max(dayPeaks.get(day) ?? 0, win.calls));
    points.push({ t, estimate });
  }
  return { windows, dayPeaks, points };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** The busiest of the previous {@link BASELINE_DAYS} days, as the learned baselines read them. */
function baseline(peaks: ReadonlyMap<number, number>, day: number): number {
  let peak = 0;
  for (let d = day - BASELINE_DAYS; d < day; d++) peak = Math.max(peak, peaks.get(d) ?? 0);
  return peak;
}

/** What a learned spike needs to stay quiet over the period: the largest ratio to the baseline, the largest count with none. */
interface SpikeNeed {
  ratio: number;
  ratioAt: number;
  zeroBaseline: number;
  zeroAt: number;
}

/** One role's volume, as the evidence shows it. */
interface RoleVolume {
  readonly role: RoleOut;
  readonly series: Series;
  readonly learnedFrom: number;
}

/** Proposes the volume and denied-call thresholds of the monitored roles. */
export function proposeVolume(c: Collector, monitored: readonly RoleOut[], windows: Windows, period: Period): Section {
  const windowMs = windows.volumeWindowMinutes * 60_000;
  const learningMs = windows.learningPeriodDays * DAY_MS;
  const leftOut: LeftOut[] = [];
  const volumes: RoleVolume[] = [];
  for (const role of monitored) {
    const first = series(role.succeeded, windowMs, () => true);
    // A window far above the role's usual day, on one day only, is an incident, not a schedule.
    const usual = median([...first.dayPeaks.values()]);
    const big = [...first.windows.values()].filter((w) => w.calls > BURST_FACTOR * usual && w.calls >= DEFAULTS.volumeSpikeMinCalls);
    const bursts = new Set(big.map((w) => dayOf(w.start))).size === 1 ? big : [];
    const burstWindows = new Set(bursts.map((w) => w.start / windowMs));
    const s = burstWindows.size === 0 ? first : series(role.succeeded, windowMs, (i) => !burstWindows.has(Math.floor(role.succeeded.times[i]! / windowMs)));
    for (const b of bursts) {
      const seen = new Seen();
      for (const t of role.succeeded.times) if (Math.floor(t / windowMs) * windowMs === b.start) seen.add(t);
      leftOut.push({ what: 'burst', value: `${b.calls} calls by ${role.arn.slice(role.arn.lastIndexOf('/') + 1)} from ${when(b.start)}`, why: `${b.calls} assumptions in one window, over ${BURST_FACTOR}× the role's usual busiest window (${usual}), on one day only: not counted in the thresholds`, seen });
    }
    const learnedFrom = Math.min(role.any.first, c.into.get(role.arn)?.any.first ?? Infinity);
    volumes.push({ role, series: s, learnedFrom });
  }
  let maxEstimate = 0;
  let maxAccounts = 0;
  for (const v of volumes) {
    for (const w of v.series.windows.values()) {
      maxEstimate = Math.max(maxEstimate, w.estimate);
      maxAccounts = Math.max(maxAccounts, w.accounts.size);
    }
  }
  const volumeMaxCalls = withMargin(maxEstimate, FLOORS.volumeMaxCalls);
  const volumeMaxTargetAccounts = withMargin(maxAccounts, FLOORS.volumeMaxTargetAccounts);
  // The learned spike, replayed: zero-baseline windows decide the minimum, the others the factor.
  const need: SpikeNeed = { ratio: 0, ratioAt: 0, zeroBaseline: 0, zeroAt: 0 };
  for (const v of volumes) {
    for (const p of v.series.points) {
      if (p.t - v.learnedFrom < learningMs) continue;
      const base = baseline(v.series.dayPeaks, dayOf(p.t));
      if (base === 0) {
        if (p.estimate > need.zeroBaseline) Object.assign(need, { zeroBaseline: p.estimate, zeroAt: p.t });
      } else if (p.estimate / base > need.ratio && p.estimate > DEFAULTS.volumeSpikeMinCalls - 0.5) Object.assign(need, { ratio: p.estimate / base, ratioAt: p.t });
    }
  }
  const volumeSpikeMinCalls = Math.max(DEFAULTS.volumeSpikeMinCalls, Math.ceil(need.zeroBaseline * MARGIN));
  const denied = proposeDenied(c, monitored, volumes, windows, learningMs);
  leftOut.push(...denied.leftOut);
  const factorNeed = Math.max(need.ratio, denied.ratio);
  const volumeSpikeFactor = Math.min(1000, Math.max(DEFAULTS.volumeSpikeFactor, halfUp(factorNeed * MARGIN)));
  const learnedDays = period.days > windows.learningPeriodDays;
  const config: Record<string, unknown> = {
    ...(windows.volumeWindowMinutes !== 60 ? { volumeWindowMinutes: windows.volumeWindowMinutes } : {}),
    volumeMaxCalls,
    volumeMaxTargetAccounts,
    volumeSpikeFactor,
    volumeSpikeMinCalls,
    ...(windows.failedAssumeWindowMinutes !== 15 ? { failedAssumeWindowMinutes: windows.failedAssumeWindowMinutes } : {}),
    failedAssumeMaxCalls: denied.maxCalls,
    failedAssumeDailyMaxCalls: denied.dailyMax,
  };
  const windowRows = volumes.flatMap((v) =>
    [...v.series.windows.values()]
      .sort((x, y) => y.estimate - x.estimate || x.start - y.start)
      .slice(0, 5)
      .map((w) => [code(v.role.arn.slice(v.role.arn.lastIndexOf('/') + 1)), when(w.start), count(w.calls), w.estimate.toFixed(1), count(w.accounts.size)]),
  );
  const valueRows = [
    ['`volumeMaxCalls`', count(volumeMaxCalls), `busiest sliding window: ${maxEstimate.toFixed(1)} calls`, `${MARGIN}× that, rounded up (at least ${FLOORS.volumeMaxCalls})`],
    ['`volumeMaxTargetAccounts`', count(volumeMaxTargetAccounts), `most accounts in one window: ${maxAccounts}`, `${MARGIN}× that, rounded up (at least ${FLOORS.volumeMaxTargetAccounts})`],
    ['`volumeSpikeFactor`', String(volumeSpikeFactor), learnedDays ? `largest window over the learned peak: ${need.ratio.toFixed(2)}×${need.ratio > 0 ? ` (${when(need.ratioAt)})` : ''}; largest denied day over its learned peak: ${denied.ratio.toFixed(2)}×` : `not measurable: the period is not longer than the ${windows.learningPeriodDays}-day learning period`, `${MARGIN}× the larger, up to the next half, at least the default ${DEFAULTS.volumeSpikeFactor}`],
    ['`volumeSpikeMinCalls`', count(volumeSpikeMinCalls), need.zeroBaseline > 0 ? `busiest window after a week without calls: ${need.zeroBaseline.toFixed(1)} (${when(need.zeroAt)})` : 'no window after a week without calls', `${MARGIN}× that, rounded up, at least the default ${DEFAULTS.volumeSpikeMinCalls}`],
    ['`failedAssumeMaxCalls`', count(denied.maxCalls), prose(denied.maxCallsObserved), `${MARGIN}× that, rounded up (at least ${FLOORS.failedAssumeMaxCalls})`],
    ['`failedAssumeDailyMaxCalls`', count(denied.dailyMax), prose(denied.dailyObserved), `${MARGIN}× that, rounded up (at least ${FLOORS.failedAssumeDailyMaxCalls})`],
  ];
  const markdown =
    `## Volume (\`volumeMaxCalls\`, \`volumeMaxTargetAccounts\`, \`volumeSpikeFactor\`, \`volumeSpikeMinCalls\`)\n\nSuccessful AssumeRole calls by each monitored role's sessions, in ${windows.volumeWindowMinutes}-minute windows, counted as call-volume counts them (the sliding estimate: the window's calls plus the part of the previous window still inside it). The busiest windows:\n\n${table(['role', 'window (UTC)', 'calls', 'busiest sliding estimate', 'target accounts'], windowRows)}\n` +
    `The learned spike (after the ${windows.learningPeriodDays}-day learning period, a window over \`volumeSpikeFactor\` times the busiest window of the previous ${BASELINE_DAYS} days, and at least \`volumeSpikeMinCalls\`) was replayed over the period, as was failed-assume's daily spike, which uses the same factor. The margin rule: **every threshold is ${MARGIN}× the most the normal traffic reached, rounded up**, so the normal traffic stays quiet and a burst like the busiest one seen, ${MARGIN}× over, alerts. Revisit the ceilings as customers are added: the busiest window grows with them.\n\n${table(['key', 'proposed', 'observed', 'rule'], valueRows)}\n${denied.markdown}`;
  return { config, markdown, leftOut, summary: `volume: at most ${volumeMaxCalls} calls and ${volumeMaxTargetAccounts} accounts per ${windows.volumeWindowMinutes} min, spike ${volumeSpikeFactor}× (min ${volumeSpikeMinCalls}); denied: ${denied.maxCalls} per ${windows.failedAssumeWindowMinutes} min, ${denied.dailyMax} a day` };
}

/** The denied-call thresholds, and the spike ratio failed-assume's daily count needs. */
interface DeniedProposal {
  readonly maxCalls: number;
  readonly dailyMax: number;
  readonly ratio: number;
  readonly maxCallsObserved: string;
  readonly dailyObserved: string;
  readonly markdown: string;
  readonly leftOut: readonly LeftOut[];
}

/**
 * `failedAssumeMaxCalls` from the busiest window of one caller's denied calls (sliding, as
 * failed-assume counts them), `failedAssumeDailyMaxCalls` from the busiest day of one role's
 * sessions. Denied calls into accounts no monitored role ever assumed successfully, into
 * {@link PROBED_ACCOUNTS} or more of them in a day, are probing: left out, and not counted.
 */
function proposeDenied(c: Collector, monitored: readonly RoleOut[], volumes: readonly RoleVolume[], windows: Windows, learningMs: number): DeniedProposal {
  const windowMs = windows.failedAssumeWindowMinutes * 60_000;
  const assumed = new Set<number>();
  for (const role of monitored) for (const a of role.succeeded.accounts) assumed.add(a);
  const leftOut: LeftOut[] = [];
  let busiest = { estimate: 0, at: 0, who: '' };
  let dailyMax = { calls: 0, day: 0, role: '' };
  const daily = new Map<string, Map<number, number>>();
  const consider = (calls: Calls, keep: (i: number) => boolean): void => {
    // Per caller: the engine counts a caller's denied calls (a session's, for calls out of a role).
    const byCaller = new Map<number, { prev: number; w: number; n: number; prevW: number }>();
    for (const i of order(calls.times, keep)) {
      const t = calls.times[i]!;
      const w = Math.floor(t / windowMs);
      let st = byCaller.get(calls.sessions[i]!);
      if (!st) byCaller.set(calls.sessions[i]!, (st = { prev: 0, w, n: 0, prevW: w - 1 }));
      if (st.w !== w) {
        st.prev = st.w === w - 1 ? st.n : 0;
        st.w = w;
        st.n = 0;
      }
      st.n += 1;
      const estimate = Math.round(st.n + st.prev * (1 - (t % windowMs) / windowMs));
      if (estimate > busiest.estimate) busiest = { estimate, at: t, who: c.sessionIndex.values[calls.sessions[i]!]! };
    }
  };
  for (const role of monitored) {
    const d = role.denied;
    // Probing: a day's denied calls into accounts never assumed, when there are many such accounts.
    const unknownByDay = new Map<number, Set<number>>();
    d.times.forEach((t, i) => {
      if (d.accounts[i]! >= 0 && !assumed.has(d.accounts[i]!)) unknownByDay.set(dayOf(t), (unknownByDay.get(dayOf(t)) ?? new Set()).add(d.accounts[i]!));
    });
    const probed = new Set([...unknownByDay.entries()].filter(([, a]) => a.size >= PROBED_ACCOUNTS).map(([day]) => day));
    const probing = (i: number): boolean => probed.has(dayOf(d.times[i]!)) && d.accounts[i]! >= 0 && !assumed.has(d.accounts[i]!);
    for (const day of probed) {
      const seen = new Seen();
      d.times.forEach((t, i) => {
        if (probing(i) && dayOf(t) === day) seen.add(t, true);
      });
      leftOut.push({ what: 'probing', value: `${role.arn.slice(role.arn.lastIndexOf('/') + 1)} on ${new Date(day * DAY_MS).toISOString().slice(0, 10)}`, why: `${seen.calls} denied calls into ${unknownByDay.get(day)!.size} accounts no monitored role ever assumed successfully: not counted in the thresholds`, seen });
    }
    consider(d, (i) => !probing(i));
    const perDay = new Map<number, number>();
    d.times.forEach((t, i) => {
      if (!probing(i)) perDay.set(dayOf(t), (perDay.get(dayOf(t)) ?? 0) + 1);
    });
    daily.set(role.arn, perDay);
    for (const [day, n] of perDay) if (n > dailyMax.calls) dailyMax = { calls: n, day, role: role.arn };
  }
  for (const role of monitored) {
    const into = c.into.get(role.arn);
    if (into) consider(into.denied, () => true);
  }
  let maxCalls = withMargin(busiest.estimate, FLOORS.failedAssumeMaxCalls);
  // failed-assume's daily spike (after learning): a day over the factor times the previous week's
  // busiest, and at least failedAssumeMaxCalls. A day after a week without denials needs the minimum.
  let ratio = 0;
  let zero = 0;
  for (const v of volumes) {
    const perDay = daily.get(v.role.arn)!;
    for (const [day, n] of perDay) {
      if (day * DAY_MS + DAY_MS - v.learnedFrom < learningMs || n < maxCalls) continue;
      const base = baseline(perDay, day);
      if (base === 0) zero = Math.max(zero, n);
      else ratio = Math.max(ratio, n / base);
    }
  }
  if (zero > 0) maxCalls = Math.max(maxCalls, Math.ceil(zero * MARGIN));
  const dailyMaxCalls = withMargin(dailyMax.calls, FLOORS.failedAssumeDailyMaxCalls);
  const dayRows = [...daily.entries()].flatMap(([arn, perDay]) =>
    [...perDay.entries()]
      .sort(([dx, x], [dy, y]) => y - x || dx - dy)
      .slice(0, 3)
      .map(([day, n]) => [code(arn.slice(arn.lastIndexOf('/') + 1)), new Date(day * DAY_MS).toISOString().slice(0, 10), count(n)]),
  );
  return {
    maxCalls,
    dailyMax: dailyMaxCalls,
    ratio,
    maxCallsObserved: busiest.estimate > 0 ? `busiest ${windows.failedAssumeWindowMinutes}-minute window of one caller's denied calls: ${busiest.estimate} (${when(busiest.at)})${zero > 0 ? `; a day with ${zero} after a week without any` : ''}` : 'no denied call',
    dailyObserved: dailyMax.calls > 0 ? `busiest day of one role's denied calls: ${dailyMax.calls} (${new Date(dailyMax.day * DAY_MS).toISOString().slice(0, 10)})` : 'no denied call',
    markdown: `### Denied calls (\`failedAssumeMaxCalls\`, \`failedAssumeDailyMaxCalls\`)\n\nAssumeRole calls refused by the target (AccessDenied), out of the monitored roles (a customer that removed the vendor's role, an onboarding whose stack is not there yet) and into them. The busiest days of each role:\n\n${table(['role', 'day (UTC)', 'denied calls'], dayRows)}\n`,
    leftOut,
  };
}
