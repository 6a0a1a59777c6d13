/**
 * The engine: one batch of parsed calls → findings and alerts, with state read once and
 * written once. The Lambda and `replay` both call {@link processBatch} unchanged.
 */
import { DETECTORS } from '../detectors';
import type { Detector, FindingDraft, Plan, StateView, Subject } from '../detectors/detector';
import { createHash } from 'node:crypto';
import {
  applyInPlace,
  copySet,
  keyString,
  UpdateMerger,
  type AlertLedger,
  type Attr,
  type AlertReservation,
  type BatchItemResult,
  type StateItem,
  type StateKey,
  type StateStore,
  type StateUpdate,
} from '../core/state';
import { readKey, type ReadKey, type StateCache } from '../state/cache';
import type { CompiledConfig } from '../core/config';
import { SEVERITIES, type Finding, type ParsedCall } from '../core/types';

/** Time source; the Lambda uses the wall clock, replay the latest event time. */
export interface Clock {
  now(): number;
}

/** How long the first-seen time of a role is kept (refreshed while the role is in use). */
const ROLE_META_TTL_DAYS = 400;
/** Related event IDs kept on one alert. */
const MAX_RELATED_EVENTS = 20;
const DAY_MS = 86_400_000;

/** A finding that passed severity and suppression: what the SOC receives. */
export interface Alert extends Finding {
  /** Stable identity of the alert: the same on every retry, so subscribers can drop a repeat. */
  readonly alertId: string;
  /** Findings folded into this alert within the batch (same dedup key, same window). */
  readonly occurrences: number;
}

/** Where the engine keeps state and records alerts. */
export interface EnginePorts {
  readonly state: StateStore;
  readonly ledger: AlertLedger;
  /** A warm instance's cache of one-way-growing items (the Lambda keeps one per cold start). */
  readonly cache?: StateCache;
  /** Identifies this invocation to the ledger's lease. @default "engine" */
  readonly owner?: string;
  /** How long this invocation may still run: the lease it takes on the alerts it will send. */
  readonly leaseMs?: number;
}

/** Counts describing one batch. */
export interface BatchStats {
  readonly received: number;
  /** Irrelevant calls: no monitored role involved, or an AWS service acting on its own. */
  readonly ignored: number;
  /** Copies or redeliveries of an event already in the batch. */
  readonly duplicates: number;
  readonly relevant: number;
  readonly findings: number;
  readonly alerts: number;
  readonly suppressed: number;
  readonly belowSeverity: number;
}

/** What {@link processBatch} returns; {@link prepareBatch} adds the state write still to do. */
export interface BatchResult {
  readonly findings: readonly Finding[];
  /** Alerts to deliver now; call `ledger.markSent` once the publisher accepted them. */
  readonly alerts: readonly Alert[];
  /**
   * Alerts another live invocation holds and has not delivered yet (overlapping batches).
   * Retry their events later: by then the other one sent them, or its lease has ended.
   */
  readonly busy: readonly Alert[];
  readonly stats: BatchStats;
}

/** A batch evaluated, its alerts reserved, its state not yet written. */
export interface PreparedBatch extends BatchResult {
  /** Writes the batch's state (each item once). Call it once; safe to call after publishing. */
  commit(): Promise<void>;
}

/** Services whose `invokedBy` means a person at the console, not a service acting on its own. */
const CONSOLE_SERVICES = new Set(['signin.amazonaws.com', 'console.amazonaws.com']);

/** An AWS service made the call itself (its identity, or `invokedBy` naming it). */
export function isServiceCall(call: ParsedCall): boolean {
  const by = call.principal.invokedBy;
  return call.principal.type === 'AWSService' || by === 'AWS Internal' || (by !== null && by.endsWith('.amazonaws.com') && !CONSOLE_SERVICES.has(by));
}

/** The monitored roles a call touches, or null when it is none of our business. */
export function select(call: ParsedCall, config: CompiledConfig): Subject | null {
  // AWS services acting on their own never alert; the console acting for a person does.
  if (isServiceCall(call)) return null;
  const intoRole = call.kind === 'assume-role' && config.isMonitoredRole(call.roleArn) ? call.roleArn : null;
  const outRole = config.isMonitoredRole(call.principal.sessionIssuerArn) ? call.principal.sessionIssuerArn : null;
  if (!intoRole && !outRole) return null;
  return { call, intoRole, outRole };
}

/** Both copies of a cross-account AssumeRole are one call: they share `sharedEventID`. */
function effectId(call: ParsedCall): string {
  return call.kind === 'assume-role' && call.sharedEventId ? `shared:${call.sharedEventId}` : call.eventId;
}

const hasFirstSeen = (item: StateItem): boolean => typeof item.firstSeenAt === 'number';
const roleMetaKeys = new Map<string, ReadKey>();

/** A role's first-seen time; written once, so any copy of it is enough. */
function roleMetaKey(role: string): ReadKey {
  let key = roleMetaKeys.get(role);
  if (key === undefined) {
    key = readKey(`role#${role}`, 'meta', hasFirstSeen);
    // A deployment watches a handful of roles; the bound only guards against a flood.
    if (roleMetaKeys.size >= 1000) roleMetaKeys.clear();
    roleMetaKeys.set(role, key);
  }
  return key;
}

/**
 * Processes one batch: select relevant calls, drop duplicates, read state once, run every
 * detector in event-time order, fold and suppress duplicate findings, reserve the alerts, then
 * write merged state once. State updates are idempotent, so a redelivered event changes nothing.
 */
export async function processBatch(calls: readonly ParsedCall[], ports: EnginePorts, config: CompiledConfig, clock: Clock): Promise<BatchResult> {
  const prepared = await prepareBatch(calls, ports, config, clock);
  await prepared.commit();
  const { commit: _done, ...result } = prepared;
  return result;
}

/**
 * {@link processBatch} without the state write: the Lambda publishes first and then writes the
 * state and marks the alerts sent at once, which saves a round trip. The order stays safe: the
 * alerts are reserved before anything is published, and until the state is written a retry
 * evaluates the events again and finds the same alerts.
 */
export async function prepareBatch(calls: readonly ParsedCall[], ports: EnginePorts, config: CompiledConfig, clock: Clock): Promise<PreparedBatch> {
  let ignored = 0;
  let duplicates = 0;
  const byEffect = new Map<string, Subject>();
  for (const call of calls) {
    const subject = select(call, config);
    if (!subject) {
      ignored += 1;
      continue;
    }
    const id = effectId(call);
    const existing = byEffect.get(id);
    if (existing) {
      duplicates += 1;
      // Keep the copy that names the caller (the caller's copy has the full identity).
      if (!existing.call.principal.arn && call.principal.arn) byEffect.set(id, subject);
      continue;
    }
    byEffect.set(id, subject);
  }
  const subjects = [...byEffect.entries()].sort(([a, x], [b, y]) => x.call.eventTime - y.call.eventTime || (a < b ? -1 : a > b ? 1 : 0));

  return evaluate(subjects, ports, config, clock, { received: calls.length, ignored, duplicates });
}

/** One selected call and what each interested detector will do with it. */
interface Planned {
  readonly subject: Subject;
  /** The monitored roles it touches, each once. */
  readonly roles: readonly string[];
  readonly plans: readonly { readonly detector: Detector; readonly plan: Plan }[];
}

function planCall(subject: Subject, config: CompiledConfig): Planned {
  const roles: string[] = [];
  if (subject.intoRole) roles.push(subject.intoRole);
  if (subject.outRole && subject.outRole !== subject.intoRole) roles.push(subject.outRole);
  const plans: { detector: Detector; plan: Plan }[] = [];
  for (const detector of DETECTORS) {
    const plan = detector.plan(subject, config);
    if (plan !== null) plans.push({ detector, plan });
  }
  return { subject, roles, plans };
}

/** Reads what the batch needs: from the cache where every reader finds it enough, the rest in one load. */
async function readState(planned: readonly Planned[], ports: EnginePorts, nowMs: number): Promise<{ items: Map<string, StateItem>; cacheable: Set<string> }> {
  const readers = new Map<string, ReadKey[]>();
  const addKey = (k: ReadKey): void => {
    const s = keyString(k);
    const list = readers.get(s);
    if (list) list.push(k);
    else readers.set(s, [k]);
  };
  // Detectors hand out the same key lists for calls that share their state (a role's window):
  // each list is added once.
  const lists = new Set<readonly ReadKey[]>();
  for (const p of planned) {
    for (const role of p.roles) addKey(roleMetaKey(role));
    for (const { plan } of p.plans) {
      if (lists.has(plan.keys)) continue;
      lists.add(plan.keys);
      for (const k of plan.keys) addKey(k);
    }
  }
  const items = new Map<string, StateItem>();
  const cacheable = new Set<string>();
  const toLoad: StateKey[] = [];
  for (const [s, list] of readers) {
    const key = list[0]!;
    if (list.every((r) => r.enough !== undefined)) cacheable.add(s);
    const cached = ports.cache && cacheable.has(s) ? ports.cache.lookup(key, list, nowMs) : undefined;
    // An empty cached item stands for one that did not exist when it was read.
    if (cached) {
      if (Object.keys(cached).length > 0) items.set(s, cached);
    } else toLoad.push(key);
  }
  if (toLoad.length > 0) {
    const found = await ports.state.load(toLoad, nowMs);
    for (const [s, item] of found) items.set(s, item);
    if (ports.cache) {
      for (const key of toLoad) {
        const s = keyString(key);
        if (!cacheable.has(s)) continue;
        const item = found.get(s);
        // Absence is remembered only where an empty item is enough for every reader.
        if (item) ports.cache.remember(key, item, nowMs);
        else if (readers.get(s)!.every((r) => r.enough!({}))) ports.cache.remember(key, {}, nowMs);
      }
    }
  }
  return { items, cacheable };
}

/**
 * The batch's state as the detectors see it: the items read, with each update applied as it is
 * made, and the updates merged into one write per key. An item is copied the first time the
 * batch changes it, and a set the first time it gains a member; after that they change in place
 * (what the store, the cache or a finding holds is never changed).
 */
class BatchState {
  private readonly items: Map<string, StateItem>;
  /** Each changed item as it was loaded (undefined where there was none). */
  private readonly loaded = new Map<string, StateItem | undefined>();
  private readonly ownedItems = new Set<string>();
  private readonly ownedSets = new WeakSet<readonly string[]>();
  private readonly merger = new UpdateMerger();
  private readonly own = (values: readonly string[]): string[] => {
    if (this.ownedSets.has(values)) return values as string[];
    const copy = copySet(values);
    this.ownedSets.add(copy);
    return copy;
  };

  constructor(loaded: Map<string, StateItem>) {
    this.items = loaded;
  }

  get(key: StateKey): StateItem | undefined {
    return this.items.get(keyString(key));
  }

  apply(update: StateUpdate): void {
    this.merger.add(update);
    const id = keyString(update.key);
    let item = this.items.get(id) as Record<string, Attr> | undefined;
    if (item === undefined || !this.ownedItems.has(id)) {
      this.loaded.set(id, item);
      item = { ...item };
      this.items.set(id, item);
      this.ownedItems.add(id);
    }
    applyInPlace(item, update, this.own);
  }

  /** One update per key written in the batch. */
  writes(): StateUpdate[] {
    return this.merger.size > 0 ? this.merger.updates() : [];
  }

  /** Each written item as loaded and as the batch left it (the batch's own copies, see StateStore.commit). */
  results(): Map<string, BatchItemResult> {
    const out = new Map<string, BatchItemResult>();
    for (const [id, loaded] of this.loaded) out.set(id, { loaded, updated: this.items.get(id)! });
    return out;
  }
}

async function evaluate(
  subjects: readonly [string, Subject][],
  ports: EnginePorts,
  config: CompiledConfig,
  clock: Clock,
  counts: { received: number; ignored: number; duplicates: number },
): Promise<PreparedBatch> {
  const nowMs = clock.now();
  const planned = subjects.map(([, subject]) => planCall(subject, config));
  const { items: loaded, cacheable } = planned.length === 0 ? { items: new Map<string, StateItem>(), cacheable: new Set<string>() } : await readState(planned, ports, nowMs);
  const state = new BatchState(loaded);
  const learningMs = config.learningPeriodDays * DAY_MS;
  const view: StateView = {
    get: (key) => state.get(key),
    learned(role, eventTime) {
      if (learningMs === 0) return true;
      const first = state.get(roleMetaKey(role))?.firstSeenAt;
      return typeof first === 'number' && eventTime - first >= learningMs;
    },
  };
  const findings: Finding[] = [];
  for (const { subject, roles, plans } of planned) {
    for (const role of roles) {
      const key = roleMetaKey(role);
      const meta = state.get(key);
      const expiresAt = ttlSeconds(subject.call.eventTime, ROLE_META_TTL_DAYS);
      if (!meta || (meta.expiresAt as number) < expiresAt - 30 * 86_400) {
        state.apply({ key, setIfAbsent: { firstSeenAt: subject.call.eventTime }, expiresAt });
      }
    }
    for (const { detector, plan } of plans) {
      const result = plan.evaluate(view);
      for (const u of result.updates) state.apply(u);
      for (const draft of result.findings) findings.push(stamp(detector, draft));
    }
  }
  const minimum = SEVERITIES.indexOf(config.minAlertSeverity);
  const eligible = findings.filter((f) => SEVERITIES.indexOf(f.severity) >= minimum);
  const groups = fold(eligible, config.suppressionMinutes * 60_000);
  // Alerts are recorded before the state they follow from: a crash after the state write
  // cannot lose them (the redelivered events find them with `ledger.pending`).
  const outcomes = groups.length > 0 ? await ports.ledger.reserve(groups.map((g) => g.reservation), ports.owner ?? 'engine', nowMs, ports.leaseMs) : [];
  const merged = state.writes();
  let committed = false;
  const commit = async (): Promise<void> => {
    if (committed) throw new Error('the batch state was already written');
    committed = true;
    if (merged.length === 0) return;
    await ports.state.commit(merged, state.results());
    if (ports.cache) for (const u of merged) if (cacheable.has(keyString(u.key))) ports.cache.committed(u, nowMs);
  };
  const alerts = groups.filter((_, i) => outcomes[i] === 'send').map((g) => g.alert);
  const busy = groups.filter((_, i) => outcomes[i] === 'busy').map((g) => g.alert);
  return {
    commit,
    findings,
    alerts,
    busy,
    stats: {
      ...counts,
      relevant: subjects.length,
      findings: findings.length,
      alerts: alerts.length,
      suppressed: groups.length - alerts.length - busy.length,
      belowSeverity: findings.length - eligible.length,
    },
  };
}

/** The alert identity: stable for the same dedup key and first event, whatever the retry. */
export function alertIdOf(dedupKey: string, firstEventId: string): string {
  return createHash('sha256').update(`${dedupKey}\u0000${firstEventId}`).digest('hex').slice(0, 32);
}

/**
 * Folds findings with the same dedup key within the window into one alert listing the related
 * events, and makes each alert's ledger reservation.
 */
function fold(findings: readonly Finding[], windowMs: number): { alert: Alert; reservation: AlertReservation }[] {
  const groups: { finding: Finding; first: number; eventIds: string[]; eventTimes: string[]; occurrences: number }[] = [];
  const open = new Map<string, (typeof groups)[number]>();
  for (const finding of findings) {
    const time = Date.parse(finding.evidence.eventTimes[0]!);
    const group = open.get(finding.dedupKey);
    if (group && time - group.first < windowMs) {
      group.occurrences += 1;
      if (group.eventIds.length < MAX_RELATED_EVENTS) {
        group.eventIds.push(...finding.evidence.eventIds.filter((id) => !group.eventIds.includes(id)));
        group.eventTimes.push(...finding.evidence.eventTimes);
      }
      continue;
    }
    const fresh = { finding, first: time, eventIds: [...finding.evidence.eventIds], eventTimes: [...finding.evidence.eventTimes], occurrences: 1 };
    groups.push(fresh);
    open.set(finding.dedupKey, fresh);
  }
  return groups.map((g) => {
    const alert: Alert = {
      ...g.finding,
      alertId: alertIdOf(g.finding.dedupKey, g.eventIds[0]!),
      evidence: { ...g.finding.evidence, eventIds: g.eventIds.slice(0, MAX_RELATED_EVENTS), eventTimes: g.eventTimes.slice(0, MAX_RELATED_EVENTS) },
      occurrences: g.occurrences,
    };
    return {
      alert,
      reservation: { alertId: alert.alertId, dedupKey: alert.dedupKey, eventTime: g.first, windowMs, eventIds: alert.evidence.eventIds, payload: ledgerPayload(alert) },
    };
  });
}

/**
 * Alerts a crashed earlier attempt reserved for these events but did not deliver, leased to
 * this invocation. Call it for redelivered messages (SQS receive count above 1).
 */
export async function recoverAlerts(
  eventIds: readonly string[],
  ledger: AlertLedger,
  owner: string,
  nowMs: number,
  leaseMs?: number,
): Promise<{ alerts: Alert[]; busy: Alert[] }> {
  const pending = eventIds.length > 0 ? await ledger.pending(eventIds) : [];
  if (pending.length === 0) return { alerts: [], busy: [] };
  const outcomes = await ledger.reserve(pending, owner, nowMs, leaseMs);
  const of = (outcome: string): Alert[] => pending.filter((_, i) => outcomes[i] === outcome).map((r) => JSON.parse(r.payload) as Alert);
  return { alerts: of('send'), busy: of('busy') };
}

/** Most characters of alert JSON kept in the ledger (its item must stay under DynamoDB's 400 KB). */
const MAX_PAYLOAD_CHARS = 60_000;

/**
 * The alert as the ledger keeps it for a re-send after a crash. Attackers choose most strings
 * in it; when they make it too large, long strings are cut with a marker (the publisher cuts
 * the message it sends the same way), so the reservation never fails on the item size.
 */
export function ledgerPayload(alert: Alert): string {
  const whole = JSON.stringify(alert);
  if (whole.length <= MAX_PAYLOAD_CHARS) return whole;
  for (const keep of [2_000, 256, 32]) {
    const cut = JSON.stringify(alert, (_key, value: unknown) => (typeof value === 'string' && value.length > keep ? `${value.slice(0, keep)}…[${value.length - keep} more characters in the CloudTrail event]` : value));
    if (cut.length <= MAX_PAYLOAD_CHARS) return cut;
  }
  return JSON.stringify({ ...alert, evidence: { ...alert.evidence, details: {}, eventIds: alert.evidence.eventIds.slice(0, 5), eventTimes: alert.evidence.eventTimes.slice(0, 5) } }, (_key, value: unknown) => (typeof value === 'string' && value.length > 32 ? `${value.slice(0, 32)}…` : value));
}

function stamp(detector: Detector, draft: FindingDraft): Finding {
  return { detector: detector.id, runbook: detector.runbook, ...draft, title: draft.title ?? detector.title };
}

function ttlSeconds(timeMs: number, days: number): number {
  return Math.ceil(timeMs / 1000 + days * 86_400);
}
