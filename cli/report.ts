/**
 * `replay --report FILE.html`: what a replay saw, as one page for people. A collector fed during
 * the replay keeps bounded aggregates (per monitored role and window, per caller, address, target
 * account and user agent, alerts per detector and window) and runs the what-if replays beside it;
 * {@link renderReport} (report-page.ts) turns them into a self-contained HTML file.
 */
import { writeFileSync } from 'node:fs';
import type { CompiledConfig } from '../lambdas/core/config';
import { keys } from '../lambdas/core/keys';
import { keyString, type StateKey } from '../lambdas/core/state';
import { DAY_MS, dayOf, windowOf } from '../lambdas/core/time';
import type { ParsedCall } from '../lambdas/core/types';
import { DETECTORS } from '../lambdas/detectors';
import type { Detector, Subject } from '../lambdas/detectors/detector';
import type { Alert } from '../lambdas/engine/alerts';
import { select, type Clock } from '../lambdas/engine/engine';
import {
  renderReport,
  type AlertRow,
  type Collected,
  type ReportMeta,
  type RoleSeries,
  type TopTable,
  type WindowPoint,
} from './report-page';
import type { ReplayOptions, ReplayReport } from './replay';
import { WhatIfRuns } from './report-what-if';
import { BASELINE_DAYS as VOLUME_BASELINE_DAYS } from '../lambdas/detectors/call-volume';

export { renderReport, escapeHtml, jsonForScript, type Collected, type ReportMeta } from './report-page';
export { scaledThreshold, WHAT_IF_FACTORS, WHAT_IF_KEYS } from './report-what-if';

/** Rows the top tables keep; past it the less busy half is dropped. */
const TOP_KEPT = 2_000;
/** Distinct values an entry names (sessions of a caller, callers of an address, roles of an account). */
const DISTINCT_KEPT = 32;
/** The longest attacker-chosen string kept (the page shows it escaped, cut with `…`). */
const MAX_TEXT = 300;
/** Points a chart holds: past it, each point covers twice as many windows. */
const MAX_POINTS = 2_000;
/** Monitored roles with a series (a forged log may name any role the monitored pattern matches). */
const MAX_ROLES = 64;
/** Alerts listed one by one. */
const MAX_LISTED_ALERTS = 500;

/** Options of {@link createReport}. */
export interface ReportOptions {
  /** @default every registered detector (as replay) */
  readonly detectors?: readonly Detector[];
  /**
   * State items (and alerts) the what-if runs keep in memory, all together, as `--max-state-items`
   * bounds the replay's own store: a run that would hold more stops, and its cells say so.
   * @default 1,000,000
   */
  readonly maxStateItems?: number;
}

/** What `replay --report` wires in: the hooks to pass to replay, and the writer of the page. */
export interface ReportSession {
  readonly collector: ReportCollector;
  /** Pass to replay() (compose `onAlert` with your own). */
  readonly hooks: Required<Pick<ReplayOptions, 'onCalls' | 'onAlert'>>;
  /** Renders the page for the finished replay and writes it; returns its size in bytes. */
  write(file: string, report: ReplayReport, meta?: Omit<ReportMeta, 'report'>): number;
}

/** A report collector for a replay with `config`, and the writer of its page. */
export function createReport(config: CompiledConfig, options: ReportOptions = {}): ReportSession {
  const collector = new ReportCollector(config, options);
  return {
    collector,
    hooks: { onCalls: (calls) => collector.onCalls(calls), onAlert: (alert) => collector.onAlert(alert) },
    write(file, report, meta = {}) {
      const html = renderReport(collector.collected(), config, { ...(options.detectors ? { detectors: options.detectors } : {}), ...meta, report });
      writeFileSync(file, html);
      return Buffer.byteLength(html);
    },
  };
}

/** Cuts attacker-chosen text to a bounded length (the page escapes it). */
function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}

/** A bounded set: the first {@link DISTINCT_KEPT} values, then only a mark that there were more. */
class FewValues {
  readonly values = new Set<string>();
  more = false;
  add(value: string): void {
    const kept = clip(value);
    if (this.values.has(kept)) return;
    if (this.values.size < DISTINCT_KEPT) this.values.add(kept);
    else this.more = true;
  }
}

/**
 * Counts per key, keeping the busiest: past `cap` keys the less busy half is dropped (lossy
 * counting), so a flood of distinct attacker-chosen names cannot grow it. A key seen again after
 * it was dropped starts over: its count may be low by at most {@link dropped}.
 */
class TopCounts<E extends { count: number }> {
  private readonly entries = new Map<string, E>();
  dropped = 0;
  droppedKeys = 0;

  constructor(
    private readonly cap: number,
    private readonly fresh: () => E,
  ) {}

  get(key: string): E {
    const k = clip(key);
    let entry = this.entries.get(k);
    if (entry === undefined) {
      if (this.entries.size >= this.cap) this.prune();
      entry = this.fresh();
      this.entries.set(k, entry);
    }
    return entry;
  }

  top(n: number): [string, E][] {
    return [...this.entries].sort(([a, x], [b, y]) => y.count - x.count || (a < b ? -1 : a > b ? 1 : 0)).slice(0, n);
  }

  get size(): number {
    return this.entries.size + this.droppedKeys;
  }

  private prune(): void {
    const sorted = this.top(Infinity);
    for (const [key, entry] of sorted.slice(this.cap >> 1)) {
      this.dropped = Math.max(this.dropped, entry.count);
      this.droppedKeys += 1;
      this.entries.delete(key);
    }
  }
}

/**
 * Values per window, densely over the span seen: past `cap` points each point covers twice as
 * many windows (merged by `merge`), so a year of one-minute windows stays a chart's worth.
 */
class Buckets<T> {
  private map = new Map<number, T>();
  /** Windows per point. */
  span = 1;
  private lo = Infinity;
  private hi = -Infinity;

  constructor(
    private readonly cap: number,
    private readonly empty: () => T,
    private readonly merge: (into: T, from: T) => void,
  ) {}

  at(window: number): T {
    for (;;) {
      const b = Math.floor(window / this.span);
      const lo = Math.min(this.lo, b);
      const hi = Math.max(this.hi, b);
      if (hi - lo < this.cap) {
        this.lo = lo;
        this.hi = hi;
        let value = this.map.get(b);
        if (value === undefined) this.map.set(b, (value = this.empty()));
        return value;
      }
      this.coarsen();
    }
  }

  /** Every point from the first to the last (empty ones as `empty()`), with the index of the first. */
  dense(): { span: number; first: number; points: T[] } {
    if (this.map.size === 0) return { span: this.span, first: 0, points: [] };
    const points: T[] = [];
    for (let b = this.lo; b <= this.hi; b++) points.push(this.map.get(b) ?? this.empty());
    return { span: this.span, first: this.lo, points };
  }

  private coarsen(): void {
    const old = this.map;
    this.map = new Map();
    this.span *= 2;
    for (const [b, value] of old) {
      const into = this.map.get(Math.floor(b / 2));
      if (into === undefined) this.map.set(Math.floor(b / 2), value);
      else this.merge(into, value);
    }
    this.lo = Math.floor(this.lo / 2);
    this.hi = Math.floor(this.hi / 2);
  }
}

const emptyPoint = (): WindowPoint => ({ calls: 0, sliding: 0, failed: 0, spike: null, alerts: 0 });
/** A point covering several windows shows the busiest and the strictest spike line among them. */
function mergePoints(into: WindowPoint, from: WindowPoint): void {
  into.calls = Math.max(into.calls, from.calls);
  into.sliding = Math.max(into.sliding, from.sliding);
  into.failed = Math.max(into.failed, from.failed);
  into.spike = into.spike === null ? from.spike : from.spike === null ? into.spike : Math.min(into.spike, from.spike);
  into.alerts += from.alerts;
}

/** Windows whose counts a role keeps (late records find theirs; a point covering several windows shows the busiest). */
const RECENT_WINDOWS = 256;

/** One monitored role's calls per window, as call-volume counts them (AssumeRole calls out of it). */
class RoleTrack {
  total = 0;
  failed = 0;
  readonly points = new Buckets<WindowPoint>(MAX_POINTS, emptyPoint, mergePoints);
  /** The counts of the last windows seen, by window. */
  private readonly recent = new Map<number, { calls: number; failed: number }>();

  constructor(private readonly windowMs: number) {}

  /** A successful call: counted in its window, with the sliding count call-volume compares to its limits. */
  called(time: number): number {
    const w = Math.floor(time / this.windowMs);
    const counts = this.counts(w);
    counts.calls += 1;
    this.total += 1;
    // call-volume's estimate: the window so far, plus the previous window's share still inside the sliding window.
    const previous = this.recent.get(w - 1)?.calls ?? 0;
    const sliding = counts.calls + previous * (1 - (time % this.windowMs) / this.windowMs);
    const point = this.points.at(w);
    point.calls = Math.max(point.calls, counts.calls);
    point.sliding = Math.max(point.sliding, Math.round(sliding * 10) / 10);
    return w;
  }

  /** A call out of the role that failed. */
  refused(time: number): void {
    const w = Math.floor(time / this.windowMs);
    const counts = this.counts(w);
    counts.failed += 1;
    this.failed += 1;
    const point = this.points.at(w);
    point.failed = Math.max(point.failed, counts.failed);
  }

  private counts(w: number): { calls: number; failed: number } {
    let counts = this.recent.get(w);
    if (counts === undefined) {
      this.recent.set(w, (counts = { calls: 0, failed: 0 }));
      // Windows come in time order but for late records: the first in is the oldest.
      if (this.recent.size > RECENT_WINDOWS) this.recent.delete(this.recent.keys().next().value!);
    }
    return counts;
  }
}

/** An assumed-role ARN: the role, and the session name after it. */
const ASSUMED_ROLE = /^(arn:[^:]*:sts::[^:]*:assumed-role\/[^/]+)\/(.*)$/s;

/** Who made a call, as alerts tell callers apart: a role's sessions are one caller (SSO sessions are people); and the session name. */
function callerOf(call: ParsedCall): { caller: string; session: string | null } {
  const p = call.principal;
  if (p.arn === null) return { caller: `${p.type}:${p.accountId ?? p.principalId ?? 'unknown'}`, session: null };
  const match = ASSUMED_ROLE.exec(p.arn);
  if (match === null) return { caller: p.arn, session: null };
  return { caller: match[1]!.includes('/AWSReservedSSO_') ? p.arn : match[1]!, session: match[2]! };
}

/** Both copies of a cross-account AssumeRole are one call (as the engine counts them). */
function effectId(call: ParsedCall): string {
  return call.kind === 'assume-role' && call.sharedEventId ? `shared:${call.sharedEventId}` : call.eventId;
}

interface CallerEntry { count: number; failed: number; sessions: FewValues; lastSession: string | null; lastAddress: string; lastAgent: string }
interface AddressEntry { count: number; failed: number; kind: string; group: string | null; callers: FewValues }
interface TargetEntry { count: number; failed: number; roles: FewValues }
interface AgentEntry { count: number; failed: number; callers: FewValues }

/** Collects what the report shows, fed by replay's `onCalls` and `onAlert`; memory stays bounded whatever the input. */
export class ReportCollector {
  private readonly windowMs: number;
  private readonly roles = new Map<string, RoleTrack>();
  private rolesLeftOut = 0;
  private readonly alertBuckets = new Buckets<Map<string, number>>(MAX_POINTS, () => new Map(), (into, from) => {
    for (const [d, n] of from) into.set(d, (into.get(d) ?? 0) + n);
  });
  private readonly alertRows: AlertRow[] = [];
  private alertsTotal = 0;
  private readonly callers = new TopCounts<CallerEntry>(TOP_KEPT, () => ({ count: 0, failed: 0, sessions: new FewValues(), lastSession: null, lastAddress: '', lastAgent: '' }));
  private readonly addresses = new TopCounts<AddressEntry>(TOP_KEPT, () => ({ count: 0, failed: 0, kind: '', group: null, callers: new FewValues() }));
  private readonly targets = new TopCounts<TargetEntry>(TOP_KEPT, () => ({ count: 0, failed: 0, roles: new FewValues() }));
  private readonly agents = new TopCounts<AgentEntry>(TOP_KEPT, () => ({ count: 0, failed: 0, callers: new FewValues() }));
  private now = 0;
  private readonly whatIf: WhatIfRuns;

  constructor(
    private readonly config: CompiledConfig,
    options: ReportOptions = {},
  ) {
    this.windowMs = config.volumeWindowMinutes * 60_000;
    const clock: Clock = { now: () => this.now };
    this.whatIf = new WhatIfRuns(config, options.detectors ?? DETECTORS, clock, options.maxStateItems ?? 1_000_000);
  }

  /** One batch the engine has run: its calls (all of them, as replay hands them over). */
  async onCalls(calls: readonly ParsedCall[]): Promise<void> {
    if (calls.length === 0) return;
    // The replay's clock: the batch's last event time, never going back.
    this.now = Math.max(this.now, calls[calls.length - 1]!.eventTime);
    const selected: ParsedCall[] = [];
    const seen = new Set<string>();
    const touched = new Map<string, Map<number, number>>();
    for (const call of calls) {
      const subject = select(call, this.config);
      if (subject === null) continue;
      selected.push(call);
      const id = effectId(call);
      if (seen.has(id)) continue;
      seen.add(id);
      this.count(subject, touched);
    }
    await this.whatIf.run(selected);
    await this.sampleSpikeLines(touched);
  }

  /** An alert the replay delivered. */
  onAlert(alert: Alert): void {
    const time = Date.parse(alert.evidence.eventTimes[0] ?? '') || this.now;
    const counts = this.alertBuckets.at(windowOf(time, this.config.volumeWindowMinutes));
    counts.set(alert.detector, (counts.get(alert.detector) ?? 0) + 1);
    this.alertsTotal += 1;
    if (this.alertRows.length < MAX_LISTED_ALERTS) {
      const e = alert.evidence;
      this.alertRows.push({ time, detector: alert.detector, severity: alert.severity, title: clip(alert.title), cause: clip(alert.cause), principal: e.principalArn === null ? null : clip(e.principalArn), sourceIp: e.sourceIp, targetAccountId: e.targetAccountId });
    }
    // A burst is the role's: its dedup key names the role.
    if (alert.detector === 'call-volume' && alert.dedupKey.startsWith('call-volume|')) {
      const track = this.roles.get(alert.dedupKey.slice('call-volume|'.length));
      if (track) track.points.at(windowOf(time, this.config.volumeWindowMinutes)).alerts += 1;
    }
  }

  /** What the page shows, as it stands now. */
  collected(): Collected {
    const roles: RoleSeries[] = [...this.roles]
      .sort(([a, x], [b, y]) => y.total - x.total || (a < b ? -1 : 1))
      .map(([role, track]) => ({ role, total: track.total, failed: track.failed, ...track.points.dense() }));
    const alerts = this.alertBuckets.dense();
    const detectors = [...new Set(alerts.points.flatMap((m) => [...m.keys()]))].sort();
    return {
      windowMinutes: this.config.volumeWindowMinutes,
      roles,
      rolesLeftOut: this.rolesLeftOut,
      spikeLine: this.whatIf.has('call-volume'),
      alertsOverTime: { span: alerts.span, first: alerts.first, detectors, counts: detectors.map((d) => alerts.points.map((m) => m.get(d) ?? 0)) },
      alerts: this.alertRows,
      alertsTotal: this.alertsTotal,
      whatIf: this.whatIf.results(),
      callers: table(this.callers, (e) => ({ failed: e.failed, sessions: few(e.sessions), lastSession: e.lastSession, lastAddress: e.lastAddress, lastAgent: e.lastAgent })),
      addresses: table(this.addresses, (e) => ({ failed: e.failed, kind: e.kind, group: e.group, callers: few(e.callers) })),
      targets: table(this.targets, (e) => ({ failed: e.failed, roles: few(e.roles) })),
      agents: table(this.agents, (e) => ({ failed: e.failed, callers: few(e.callers) })),
    };
  }

  private count(subject: Subject, touched: Map<string, Map<number, number>>): void {
    const { call, outRole } = subject;
    const failed = call.errorCode === null ? 0 : 1;
    const { caller, session } = callerOf(call);
    const c = this.callers.get(caller);
    c.count += 1;
    c.failed += failed;
    if (session !== null) {
      c.sessions.add(session);
      c.lastSession = clip(session);
    }
    c.lastAddress = clip(call.source.text);
    c.lastAgent = clip(call.userAgent);
    const a = this.addresses.get(call.source.text === '' ? '(none)' : call.source.text);
    a.count += 1;
    a.failed += failed;
    a.kind = call.source.kind;
    a.group = call.source.kind === 'ip' ? (this.config.allowedGroups.lookup(call.source.ip) ?? null) : null;
    a.callers.add(caller);
    const u = this.agents.get(call.userAgent === '' ? '(none)' : call.userAgent);
    u.count += 1;
    u.failed += failed;
    u.callers.add(caller);
    if (outRole === null || call.kind !== 'assume-role') return;
    const t = this.targets.get(call.roleAccountId ?? '(unknown)');
    t.count += 1;
    t.failed += failed;
    t.roles.add(call.roleArn === null ? '(unknown)' : call.roleArn.slice(call.roleArn.lastIndexOf('/') + 1));
    let track = this.roles.get(outRole);
    if (track === undefined) {
      if (this.roles.size >= MAX_ROLES) {
        this.rolesLeftOut += 1;
        return;
      }
      this.roles.set(outRole, (track = new RoleTrack(this.windowMs)));
    }
    if (failed) {
      track.refused(call.eventTime);
      return;
    }
    const w = track.called(call.eventTime);
    let windows = touched.get(outRole);
    if (windows === undefined) touched.set(outRole, (windows = new Map()));
    windows.set(w, Math.max(windows.get(w) ?? 0, call.eventTime));
  }

  /**
   * The spike line of each window this batch counted calls in, read from the state call-volume
   * itself keeps in the what-if run with the configuration as given: the busiest (capped) window
   * of each of the previous 7 UTC days and the role's first-seen time, combined as call-volume
   * combines them.
   */
  private async sampleSpikeLines(touched: ReadonlyMap<string, ReadonlyMap<number, number>>): Promise<void> {
    const state = this.whatIf.baseState('call-volume');
    if (state === null) return;
    const learningMs = this.config.learningPeriodDays * DAY_MS;
    for (const [role, windows] of touched) {
      const track = this.roles.get(role)!;
      for (const [w, time] of windows) {
        const volumeKeys = keys.volume(role, w, dayOf(time), VOLUME_BASELINE_DAYS);
        const meta = keys.roleMeta(role);
        const wanted: StateKey[] = [meta, ...volumeKeys.peaks.slice(1)];
        const items = await state.load(wanted, this.now);
        let peak = 0;
        for (const key of volumeKeys.peaks.slice(1)) peak = Math.max(peak, (items.get(keyString(key))?.peak as number | undefined) ?? 0);
        const first = items.get(keyString(meta))?.firstSeenAt;
        const learned = learningMs === 0 || (typeof first === 'number' && time - first >= learningMs);
        track.points.at(w).spike = learned ? Math.max(this.config.volumeSpikeFactor * peak, this.config.volumeSpikeMinCalls - 0.5) : null;
      }
    }
  }
}

/** A bounded set as the page shows it. */
function few(values: FewValues): { values: string[]; more: boolean } {
  return { values: [...values.values], more: values.more };
}

/** The busiest rows of a top table, with what its bound dropped. */
function table<E extends { count: number }, R>(counts: TopCounts<E>, row: (e: E) => R): TopTable<R> {
  return { rows: counts.top(TOP_SHOWN).map(([key, e]) => ({ key, count: e.count, ...row(e) })), distinct: counts.size, dropped: counts.dropped };
}

/** Rows each top table shows. */
const TOP_SHOWN = 15;
