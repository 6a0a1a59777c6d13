/**
 * The engine: one batch of parsed calls → findings and alert candidates, with state read once and
 * its updates merged into one write per key. It is handed the detectors (it never imports the
 * registry) and knows nothing of delivery: the batch runner in delivery/ reserves the candidates,
 * publishes them, and then calls `commit`.
 */
import { attackMapping, type AttackMapping } from '../core/attack';
import type { CompiledConfig } from '../core/config';
import { keys } from '../core/keys';
import { keyString, type ReadKey, type StateCache, type StateItem, type StateStore, type StateUpdate } from '../core/state';
import { DAY_MS, ttlAfter } from '../core/time';
import type { Finding, ParsedCall } from '../core/types';
import { callerIdentities, issuedSessionExpiresAt, SESSION_ATTRIBUTES, type Detector, type FindingDraft, type Plan, type StateView, type Subject } from '../detectors/detector';
import { fold, type AlertCandidate } from './alerts';
import { BatchState, readState } from './batch-state';
import { Triage } from './triage';

/** Time source; the Lambda uses the wall clock, replay the latest event time. */
export interface Clock {
  now(): number;
}

/** What the engine reads and writes state through. */
export interface EngineState {
  readonly store: StateStore;
  /** A warm instance's cache of one-way-growing items (the Lambda keeps one per cold start). */
  readonly cache?: StateCache;
}

/** Counts describing one evaluated batch. */
export interface EvaluationStats {
  readonly received: number;
  /** Irrelevant calls: no monitored role involved, or an AWS service acting on its own. */
  readonly ignored: number;
  /** Copies or redeliveries of an event already in the batch. */
  readonly duplicates: number;
  readonly relevant: number;
  readonly findings: number;
  /** Findings under their detector's `minSeverity` (else `minAlertSeverity`): counted, never alerted. */
  readonly belowSeverity: number;
  /** Findings an exception of their detector covered: counted, never alerted. */
  readonly exempted: number;
  /** Exempted findings by `<detector>/<exception id>`. */
  readonly exemptions: Readonly<Record<string, number>>;
}

/** A batch evaluated; its state not yet written. */
export interface EvaluatedBatch {
  readonly findings: readonly Finding[];
  /** One per dedup key and suppression window, in the order their first findings came. */
  readonly candidates: readonly AlertCandidate[];
  readonly stats: EvaluationStats;
  /** Writes the batch's state (each item once). Call it once, after the candidates are reserved. */
  commit(): Promise<void>;
}

/** How long the first-seen time of a role is kept (refreshed while the role is in use). */
const ROLE_META_TTL_DAYS = 400;
/** The first-seen item's TTL is pushed forward when it has less than this much left beyond the usual. */
const ROLE_META_REFRESH_DAYS = 30;

/** Services whose `invokedBy` means a person at the console, not a service acting on its own. */
const CONSOLE_SERVICES = new Set(['signin.amazonaws.com', 'console.amazonaws.com']);

/** An AWS service made the call itself (its identity, or `invokedBy` naming it). */
function isServiceCall(call: ParsedCall): boolean {
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

const hasFirstSeen = (item: { readonly firstSeenAt?: unknown }): boolean => typeof item.firstSeenAt === 'number';

/** The relevant calls of a batch, each effect once, in event-time order. */
function selectBatch(calls: readonly ParsedCall[], config: CompiledConfig): { subjects: Subject[]; ignored: number; duplicates: number } {
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
  const subjects = [...byEffect.entries()]
    .sort(([a, x], [b, y]) => x.call.eventTime - y.call.eventTime || (a < b ? -1 : a > b ? 1 : 0))
    .map(([, subject]) => subject);
  return { subjects, ignored, duplicates };
}

/** One selected call and what each interested detector will do with it. */
interface Planned {
  readonly subject: Subject;
  /** The first-seen keys of the monitored roles it touches, each once. */
  readonly roleKeys: readonly ReadKey[];
  /** The calling session's access-key item, which says whether the role checker opened it (none when no checker is configured). */
  readonly sessionKeys: readonly ReadKey[];
  readonly plans: readonly { readonly detector: Detector; readonly plan: Plan }[];
}

const NO_KEYS: readonly ReadKey[] = [];
const ROLE_CHECKER = SESSION_ATTRIBUTES.roleChecker;

/**
 * A cached copy of a session's item decides who opened the session once it holds what the
 * session's creation wrote (its location, or the role checker's mark): the mark is written then
 * or never. A copy read before the creation was seen is read again (a checker's call then alerts
 * as anyone's would, never the other way round).
 */
const holdsCreation = (item: StateItem): boolean => Array.isArray(item[SESSION_ATTRIBUTES.createdFrom]) || typeof item[ROLE_CHECKER] === 'string';

/** The session item that tells whether the role checker opened the calling session. */
function sessionKeysOf(subject: Subject, config: CompiledConfig): readonly ReadKey[] {
  const key = subject.call.principal.accessKeyId;
  return config.roleCheckerArns.length === 0 || subject.outRole === null || key === null ? NO_KEYS : [keys.sessionByAccessKey(key, holdsCreation)];
}

/**
 * The role checker's mark on a session it opened: its principal opened an outbound session, and
 * the access key STS issued it is what every later call of the session carries (the session
 * name, which the caller picks, proves nothing).
 */
function roleCheckerMark(subject: Subject, config: CompiledConfig): StateUpdate | null {
  const { call } = subject;
  if (config.roleCheckerArns.length === 0 || subject.intoRole === null || call.kind !== 'assume-role' || call.errorCode !== null || call.issuedAccessKeyId === null) return null;
  const checker = config.roleCheckerOf(callerIdentities(call));
  return checker === null ? null : { key: keys.sessionByAccessKey(call.issuedAccessKeyId), set: { [ROLE_CHECKER]: checker }, expiresAt: issuedSessionExpiresAt(call) };
}

/** The role checker behind a call: its principal calling into a monitored role, or a session it opened. */
function roleCheckerOfCall(planned: Planned, batch: BatchState, config: CompiledConfig): string | null {
  if (config.roleCheckerArns.length === 0) return null;
  if (planned.subject.intoRole !== null) {
    const caller = config.roleCheckerOf(callerIdentities(planned.subject.call));
    if (caller !== null) return caller;
  }
  for (const key of planned.sessionKeys) {
    const mark = batch.get(key)?.[ROLE_CHECKER];
    if (typeof mark === 'string') return mark;
  }
  return null;
}

function planCall(subject: Subject, detectors: readonly Detector[], config: CompiledConfig): Planned {
  const roleKeys: ReadKey[] = [];
  if (subject.intoRole) roleKeys.push(keys.roleMeta(subject.intoRole, hasFirstSeen));
  if (subject.outRole && subject.outRole !== subject.intoRole) roleKeys.push(keys.roleMeta(subject.outRole, hasFirstSeen));
  const plans: { detector: Detector; plan: Plan }[] = [];
  for (const detector of detectors) {
    const plan = detector.plan(subject, config);
    if (plan !== null) plans.push({ detector, plan });
  }
  return { subject, roleKeys, sessionKeys: sessionKeysOf(subject, config), plans };
}

/** Every key list the batch's plans read, the roles' first-seen keys included. */
function* keyListsOf(planned: readonly Planned[]): Generator<readonly ReadKey[]> {
  for (const p of planned) {
    yield p.roleKeys;
    yield p.sessionKeys;
    for (const { plan } of p.plans) yield plan.keys;
  }
}

/**
 * The batch's state, the keys its cache may refresh, and the calls' plans when they were needed
 * first. A table, or a store behind a cache, is read once for the whole batch: every call is
 * planned first, for the keys. A store in this process is read as the detectors ask, so each call
 * is planned as it is evaluated (`planned` null) and its plan dropped then: a batch's plans held
 * to its end were most of what each garbage collection had to keep.
 */
async function batchState(subjects: readonly Subject[], detectors: readonly Detector[], config: CompiledConfig, state: EngineState, nowMs: number): Promise<{ batch: BatchState; cacheable: ReadonlySet<string>; planned: readonly Planned[] | null }> {
  if (subjects.length === 0) return { batch: new BatchState(new Map()), cacheable: new Set(), planned: [] };
  if (state.cache === undefined && state.store.readThrough !== undefined) return { batch: new BatchState(new Map(), state.store.readThrough(nowMs)), cacheable: new Set(), planned: null };
  const planned = subjects.map((subject) => planCall(subject, detectors, config));
  const { items, cacheable } = await readState(keyListsOf(planned), state.store, state.cache, nowMs);
  return { batch: new BatchState(items), cacheable, planned };
}

/**
 * Evaluates one batch: selects the relevant calls, drops duplicates, reads state once, runs the
 * detectors in event-time order, and folds the findings into alert candidates. State updates are
 * idempotent, so a redelivered event changes nothing once its state was written.
 */
export async function evaluateBatch(
  calls: readonly ParsedCall[],
  detectors: readonly Detector[],
  state: EngineState,
  config: CompiledConfig,
  clock: Clock,
): Promise<EvaluatedBatch> {
  const { subjects, ignored, duplicates } = selectBatch(calls, config);
  const nowMs = clock.now();
  // A detector turned off is not run: no plan, no state read or written.
  const enabled = detectors.filter((d) => config.detectorSettings(d.id).enabled);
  const { batch, cacheable, planned } = await batchState(subjects, enabled, config, state, nowMs);
  const learningMs = config.learningPeriodDays * DAY_MS;
  let roleChecker: string | null = null;
  const view: StateView = {
    get: (key) => batch.get(key),
    roleChecker: () => roleChecker,
    learned(role, eventTime) {
      if (learningMs === 0) return true;
      const first = batch.get(keys.roleMeta(role))?.firstSeenAt;
      return typeof first === 'number' && eventTime - first >= learningMs;
    },
  };
  const findings: Finding[] = [];
  const triage = new Triage(config);
  for (let i = 0; i < subjects.length; i++) {
    const call = planned?.[i] ?? planCall(subjects[i]!, enabled, config);
    const { subject, roleKeys, plans } = call;
    const eventTime = subject.call.eventTime;
    const mark = roleCheckerMark(subject, config);
    if (mark !== null) batch.apply(mark);
    roleChecker = roleCheckerOfCall(call, batch, config);
    for (const key of roleKeys) {
      const meta = batch.get(key);
      const expiresAt = ttlAfter(eventTime, ROLE_META_TTL_DAYS);
      // The earliest call seen, whichever of two racing invocations writes first (a `min`).
      const earlier = typeof meta?.firstSeenAt !== 'number' || eventTime < meta.firstSeenAt;
      if (earlier || (meta!.expiresAt as number) < expiresAt - ROLE_META_REFRESH_DAYS * 86_400) {
        batch.apply({ key, min: { firstSeenAt: eventTime }, expiresAt });
      }
    }
    for (const { detector, plan } of plans) {
      const result = plan.evaluate(view);
      for (const u of result.updates) batch.apply(u);
      for (const draft of result.findings) {
        const finding = stamp(detector, draft);
        findings.push(finding);
        triage.judge(finding, subject.call, roleChecker);
      }
    }
  }
  const candidates = fold(triage.eligible, config.suppressionMinutes * 60_000);
  const writes = batch.writes();
  let committed = false;
  return {
    findings,
    candidates,
    stats: { received: calls.length, ignored, duplicates, relevant: subjects.length, findings: findings.length, belowSeverity: triage.belowSeverity, exempted: triage.exempted, exemptions: triage.exemptions },
    async commit() {
      if (committed) throw new Error('the batch state was already written');
      committed = true;
      if (writes.length === 0) return;
      await state.store.commit(writes, batch.results());
      if (state.cache) for (const u of writes) if (cacheable.has(keyString(u.key))) state.cache.committed(u, nowMs);
    },
  };
}

/** Each detector's ATT&CK mappings with their names, worked out once. */
const attackOf = new WeakMap<Detector, readonly AttackMapping[]>();

function stamp(detector: Detector, draft: FindingDraft): Finding {
  let attack = attackOf.get(detector);
  if (attack === undefined) attackOf.set(detector, (attack = (detector.attack ?? []).map(attackMapping)));
  return { detector: detector.id, runbook: detector.runbook, attack, ...draft, title: draft.title ?? detector.title };
}
