/**
 * The batch runner: the one place that owns the delivery protocol. The Lambda and `replay` both
 * run every batch through {@link runBatch}:
 *
 * 1. evaluate the batch (state read, detectors, alert candidates) and, beside it, look up the
 *    alerts an earlier attempt at redelivered events reserved and may not have sent;
 * 2. **reserve** the candidates in the alert ledger (suppression and outbox in one), *before*
 *    anything is published or written, so a crash at any later point leaves a record of them;
 * 3. **publish** the alerts the ledger says to send;
 * 4. in one last wave: **commit** the batch's state, **mark sent** what the publisher accepted,
 *    and **release** the lease of what it refused, so the retry can send those at once.
 *
 * What a crash between two steps does (docs/delivery.md has the whole table): before publishing,
 * the redelivered events are evaluated again and find their reserved alert; after publishing and
 * before the state write, they find it sent; after SNS took an alert and before it was marked,
 * it is sent again with the same `alertId`, which subscribers can drop.
 */
import type { CompiledConfig } from '../core/config';
import type { AlertLedger, ReachedRef } from '../core/ledger';
import type { StateCache, StateStore } from '../core/state';
import type { Finding, ParsedCall } from '../core/types';
import type { Detector } from '../detectors/detector';
import type { Alert } from '../engine/alerts';
import { evaluateBatch, type Clock, type EvaluatedBatch, type EvaluationStats } from '../engine/engine';
import { AlertPublishError, type AlertPublisher, type PublishResult } from './publisher';

/** Where the runner writes what went wrong (Powertools' Logger fits; replay passes its own). */
export interface RunnerLog {
  error(message: string, ...attributes: Record<string, unknown>[]): void;
  warn(message: string, ...attributes: Record<string, unknown>[]): void;
  info(message: string, ...attributes: Record<string, unknown>[]): void;
}

/** Where state lives and alerts are recorded: in memory (replay, tests) or in DynamoDB (the Lambda). */
export interface StatePorts {
  readonly state: StateStore;
  readonly ledger: AlertLedger;
  /** A warm instance's cache of one-way-growing items (the Lambda keeps one per cold start). */
  readonly cache?: StateCache;
}

/** Everything a batch runs through, injected. */
export interface BatchRunnerDependencies {
  readonly detectors: readonly Detector[];
  readonly config: CompiledConfig;
  readonly clock: Clock;
  readonly ports: StatePorts;
  readonly publisher: AlertPublisher;
  readonly log?: RunnerLog;
}

/** One batch to run. */
export interface BatchInput {
  readonly calls: readonly ParsedCall[];
  /** Events delivered before (SQS receive count above 1): their earlier attempt may have reserved alerts it did not send. */
  readonly redeliveredEventIds?: readonly string[];
  /** Names this invocation in the ledger's leases. @default "engine" */
  readonly owner?: string;
  /** How long this invocation may still run: the lease it takes on the alerts it will send. @default the ledger's */
  readonly leaseMs?: number;
}

/** Counts describing one batch run. */
export interface BatchStats extends EvaluationStats {
  /** Alerts published and accepted (recovered ones included). */
  readonly alerts: number;
  /** Candidates another alert of their dedup key already covers (this batch or an earlier one). */
  readonly suppressed: number;
  /** Alerts an earlier attempt reserved and this one sent. */
  readonly recovered: number;
  /** Alerts another live invocation holds: their events must be retried. */
  readonly busy: number;
  readonly publishFailed: number;
  /** Refused alerts by the destination that refused them (a publisher with several; an alert counts once per destination). */
  readonly refusedBy: Readonly<Record<string, number>>;
}

/** What a batch run did, and what its caller must retry. */
export interface BatchOutcome {
  readonly findings: readonly Finding[];
  /** Alerts the publisher accepted, in the order they were published. */
  readonly delivered: readonly Alert[];
  /** Alerts whose events must be delivered again: held by another live invocation, or refused by the publisher. */
  readonly retryAlerts: readonly Alert[];
  /** The whole batch must be retried (evaluation, the ledger or the state write failed); `error` says why. */
  readonly retryAll: boolean;
  readonly error: Error | null;
  readonly stats: BatchStats;
}

const NO_EVALUATION: EvaluationStats = { received: 0, ignored: 0, duplicates: 0, relevant: 0, findings: 0, belowSeverity: 0, exempted: 0, exemptions: {} };
const silent: RunnerLog = { error() {}, warn() {}, info() {} };

/** Runs one batch through reserve → publish → commit → mark sent / release. Never throws: failures are in the outcome. */
export async function runBatch(input: BatchInput, deps: BatchRunnerDependencies): Promise<BatchOutcome> {
  const log = deps.log ?? silent;
  const owner = input.owner ?? 'engine';
  const received = { ...NO_EVALUATION, received: input.calls.length };

  // 1 and 2: evaluate and reserve; beside it, recover what an earlier attempt left unsent.
  let evaluated: EvaluatedBatch | null = null;
  let toSend: Alert[] = [];
  let held: Alert[] = [];
  let suppressed = 0;
  let recovered = 0;
  let reached = new Map<string, readonly string[]>();
  try {
    const [batch, recovery] = await Promise.all([
      evaluateAndReserve(input, deps, owner),
      recoverAlerts(input.redeliveredEventIds ?? [], deps.ports.ledger, owner, deps.clock.now(), input.leaseMs),
    ]);
    evaluated = batch.evaluated;
    suppressed = batch.suppressed;
    toSend = [...batch.send];
    const known = new Set(toSend.map((a) => a.alertId));
    for (const alert of recovery.send) if (!known.has(alert.alertId)) toSend.push(alert);
    recovered = recovery.send.length;
    reached = recovery.reached;
    held = [...batch.busy, ...recovery.busy];
    for (const alert of held) log.info('alert held by another invocation; its events will be retried', { alertId: alert.alertId, eventId: alert.evidence.eventIds[0] });
  } catch (e) {
    log.error('engine failed; the batch will be retried', { error: e as Error });
    return { findings: [], delivered: [], retryAlerts: [], retryAll: true, error: e as Error, stats: { ...received, alerts: 0, suppressed: 0, recovered: 0, busy: 0, publishFailed: 0, refusedBy: {} } };
  }

  // 3: publish. An alert the publisher did not take is retried with its events.
  const { delivered, refused, partly, refusedBy } = await publish(toSend, deps.publisher, log, reached);

  // 4: one last wave: the state, the sent marks (everywhere, or where a refused alert went), and
  // the leases of what was refused.
  const [state, marked, released, partlyMarked] = await Promise.allSettled([
    evaluated.commit(),
    delivered.length > 0 ? deps.ports.ledger.markSent(delivered) : Promise.resolve(),
    // Lets the retry send them at once; should this fail, the lease ends by itself.
    refused.length > 0 ? deps.ports.ledger.release(refused, owner) : Promise.resolve(),
    partly.length > 0 ? deps.ports.ledger.markReached(partly) : Promise.resolve(),
  ]);
  let error: Error | null = null;
  if (state.status === 'rejected') {
    // The retry evaluates the events again; their alerts are found sent (or still reserved).
    error = state.reason as Error;
    log.error('state write failed; the batch will be retried', { error });
  }
  if (marked.status === 'rejected') {
    // Published already: retrying would send them again. A later redelivery of these events
    // could re-send them (same alertId), which subscribers can drop.
    log.error('alerts published but not marked sent', { error: marked.reason as Error, alertIds: delivered.map((a) => a.alertId) });
  }
  if (partlyMarked.status === 'rejected') {
    // The retry sends these to every destination again (same alertId, which subscribers can drop).
    log.error('destinations that took refused alerts not recorded', { error: partlyMarked.reason as Error, alertIds: partly.map((p) => p.alertId) });
  }
  if (released.status === 'rejected') log.warn('could not release unsent alerts; the retry waits for the lease to end', { error: released.reason as Error });

  return {
    findings: evaluated.findings,
    delivered,
    retryAlerts: [...held, ...refused],
    retryAll: error !== null,
    error,
    stats: { ...evaluated.stats, alerts: delivered.length, suppressed, recovered, busy: held.length, publishFailed: refused.length, refusedBy },
  };
}

/** Evaluates the batch and reserves its candidates: what to send, what another invocation holds, how many were suppressed. */
async function evaluateAndReserve(input: BatchInput, deps: BatchRunnerDependencies, owner: string): Promise<{ evaluated: EvaluatedBatch; send: Alert[]; busy: Alert[]; suppressed: number }> {
  const evaluated = await evaluateBatch(input.calls, deps.detectors, { store: deps.ports.state, cache: deps.ports.cache }, deps.config, deps.clock);
  const { candidates } = evaluated;
  if (candidates.length === 0) return { evaluated, send: [], busy: [], suppressed: 0 };
  const outcomes = await deps.ports.ledger.reserve(candidates.map((c) => c.reservation), owner, deps.clock.now(), input.leaseMs);
  const send = candidates.filter((_, i) => outcomes[i] === 'send').map((c) => c.alert);
  const busy = candidates.filter((_, i) => outcomes[i] === 'busy').map((c) => c.alert);
  return { evaluated, send, busy, suppressed: candidates.length - send.length - busy.length };
}

/**
 * Alerts a crashed or refused earlier attempt reserved for these events but did not deliver
 * everywhere, leased to this invocation, and the destinations each already reached.
 */
async function recoverAlerts(eventIds: readonly string[], ledger: AlertLedger, owner: string, nowMs: number, leaseMs?: number): Promise<{ send: Alert[]; busy: Alert[]; reached: Map<string, readonly string[]> }> {
  const pending = eventIds.length > 0 ? await ledger.pending(eventIds) : [];
  const reached = new Map(pending.filter((r) => r.reached !== undefined && r.reached.length > 0).map((r) => [r.alertId, r.reached!]));
  if (pending.length === 0) return { send: [], busy: [], reached };
  const outcomes = await ledger.reserve(pending, owner, nowMs, leaseMs);
  const of = (outcome: string): Alert[] => pending.filter((_, i) => outcomes[i] === outcome).map((r) => JSON.parse(r.payload) as Alert);
  return { send: of('send'), busy: of('busy'), reached };
}

/**
 * Publishes the alerts (skipping the destinations each already reached): those the publisher
 * accepted, those it refused (or never got to), and the destinations that took a refused one.
 */
async function publish(
  alerts: readonly Alert[],
  publisher: AlertPublisher,
  log: RunnerLog,
  reached: ReadonlyMap<string, readonly string[]>,
): Promise<{ delivered: Alert[]; refused: Alert[]; partly: ReachedRef[]; refusedBy: Record<string, number> }> {
  if (alerts.length === 0) return { delivered: [], refused: [], partly: [], refusedBy: {} };
  let outcome: PublishResult;
  try {
    outcome = await publisher.publish(alerts, reached.size > 0 ? { reached } : undefined);
  } catch (e) {
    // A whole publish call failed; others of the same publish may have gone through (`partial`).
    log.error('publishing failed; the unsent alerts will be retried', { error: e as Error });
    outcome = e instanceof AlertPublishError ? e.partial : { accepted: [], failed: [] };
  }
  const refusedBy: Record<string, number> = {};
  for (const f of outcome.failed) {
    log.error('alert not published', { alertId: f.alertId, code: f.code, reason: f.message, ...(f.destinations ? { destinations: f.destinations } : {}) });
    for (const d of f.destinations ?? []) refusedBy[d] = (refusedBy[d] ?? 0) + 1;
  }
  const accepted = new Set(outcome.accepted.map((a) => a.alertId));
  const refused = alerts.filter((a) => !accepted.has(a.alertId));
  const byId = new Map(refused.map((a) => [a.alertId, a]));
  const partly: ReachedRef[] = [];
  for (const r of outcome.reached ?? []) {
    const alert = byId.get(r.alertId);
    if (alert !== undefined && r.destinations.length > 0) partly.push({ alertId: alert.alertId, dedupKey: alert.dedupKey, destinations: r.destinations });
  }
  return { delivered: alerts.filter((a) => accepted.has(a.alertId)), refused, partly, refusedBy };
}
