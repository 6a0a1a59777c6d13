/**
 * The report's what-if runs: each threshold detector again, alone, beside the replay, over the
 * same batches in the same order and with the same clock, once with the configuration as given
 * and once per scaled threshold, each with its own in-memory state and alert ledger. A run
 * decides exactly as the detector would have with that value (the sliding window depends on each
 * call's time, the learned baselines on what the run itself alerted on); its alerts are counted
 * after folding, suppression, severity floors and exceptions, as the replay counts them.
 */
import { CONFIG_KEYS, type CompiledConfig, type EngineConfig } from '../lambdas/core/config';
import type { StateStore } from '../lambdas/core/state';
import type { ParsedCall } from '../lambdas/core/types';
import { runBatch, type BatchRunnerDependencies } from '../lambdas/delivery/batch-runner';
import type { AlertPublisher } from '../lambdas/delivery/publisher';
import type { Detector } from '../lambdas/detectors/detector';
import type { Clock } from '../lambdas/engine/engine';
import { MemoryLedger } from '../lambdas/state/memory-ledger';
import { MemoryBoundError, MemoryStore } from '../lambdas/state/memory-store';
import type { WhatIfDetector } from './report-page';

/** The multipliers the what-if tables try on each threshold. */
export const WHAT_IF_FACTORS: readonly number[] = [0.5, 0.75, 1, 1.5, 2];

/** The thresholds the what-if tables vary, per detector (volumeSpikeFactor also sets failed-assume's learned daily limit). */
export const WHAT_IF_KEYS: Readonly<Record<string, readonly (keyof EngineConfig)[]>> = {
  'call-volume': ['volumeMaxCalls', 'volumeMaxTargetAccounts', 'volumeSpikeFactor'],
  'failed-assume': ['failedAssumeMaxCalls', 'failedAssumeDailyMaxCalls', 'volumeSpikeFactor'],
};

/** One what-if run: a detector alone over the replay's batches, with one threshold changed (or none). */
class Run {
  alerts = 0;
  /** Why it stopped before the end (a memory bound, an error), or null. */
  stopped: string | null = null;
  readonly store: MemoryStore;
  private readonly deps: BatchRunnerDependencies;

  constructor(detector: Detector, config: CompiledConfig, clock: Clock, maxItems: number) {
    this.store = new MemoryStore({ maxItems });
    const publisher: AlertPublisher = {
      async publish(alerts) {
        return { accepted: alerts.map((a) => ({ alertId: a.alertId, messageId: null, truncated: false })), failed: [] };
      },
    };
    this.deps = { detectors: [detector], config, clock, ports: { state: this.store, ledger: new MemoryLedger({ maxAlerts: maxItems }) }, publisher };
  }

  /** Runs one batch; a run that fails (its memory share is full) stops there and says why. */
  async run(calls: readonly ParsedCall[]): Promise<void> {
    if (this.stopped !== null || calls.length === 0) return;
    const result = await runBatch({ calls }, this.deps);
    if (result.error) {
      const e = result.error;
      this.stopped = e instanceof MemoryBoundError ? `stopped at ${new Date(e.nowMs).toISOString()}: more than ${e.limit} ${e.what} live` : e.message;
      return;
    }
    this.alerts += result.delivered.length;
  }
}

/** A threshold times a factor, as the key takes it (whole numbers for integer keys, within its range). */
export function scaledThreshold(key: keyof EngineConfig, base: number, factor: number): number {
  const spec = CONFIG_KEYS.find((k) => k.name === key)!;
  const raw = base * factor;
  const value = spec.kind === 'int' ? Math.round(raw) : Math.round(raw * 100) / 100;
  return Math.min(spec.max ?? Infinity, Math.max(spec.min ?? -Infinity, value));
}

/** Every what-if run of a replay. */
export class WhatIfRuns {
  private readonly detectors: { detector: Detector; base: Run; params: { key: keyof EngineConfig; base: number; cells: { factor: number; value: number; run: Run }[] }[] }[] = [];
  private readonly runs: Run[];

  /**
   * Runs for the threshold detectors among `detectors` that `config` turns on. `maxStateItems`
   * is shared out: the runs together hold no more than the replay's own store may.
   */
  constructor(config: CompiledConfig, detectors: readonly Detector[], clock: Clock, maxStateItems: number) {
    const chosen = detectors.filter((d) => WHAT_IF_KEYS[d.id] !== undefined && config.detectorSettings(d.id).enabled);
    const variants = chosen.reduce((n, d) => n + 1 + WHAT_IF_KEYS[d.id]!.length * (WHAT_IF_FACTORS.length - 1), 0);
    const maxItems = Math.max(1, Math.floor(maxStateItems / Math.max(1, variants)));
    for (const detector of chosen) {
      const base = new Run(detector, config, clock, maxItems);
      const params = WHAT_IF_KEYS[detector.id]!.map((key) => {
        const value = config[key] as number;
        const cells = WHAT_IF_FACTORS.map((factor) => {
          const scaled = scaledThreshold(key, value, factor);
          return { factor, value: scaled, run: scaled === value ? base : new Run(detector, { ...config, [key]: scaled }, clock, maxItems) };
        });
        return { key, base: value, cells };
      });
      this.detectors.push({ detector, base, params });
    }
    this.runs = [...new Set(this.detectors.flatMap((d) => [d.base, ...d.params.flatMap((p) => p.cells.map((c) => c.run))]))];
  }

  /** One batch of the replay: its calls the engine selects (the runs select them again, as the engine does). */
  async run(calls: readonly ParsedCall[]): Promise<void> {
    await Promise.all(this.runs.map((r) => r.run(calls)));
  }

  /** The state a detector's run with the configuration as given keeps, while it is complete; null otherwise. */
  baseState(detectorId: string): StateStore | null {
    const d = this.detectors.find((x) => x.detector.id === detectorId);
    return d === undefined || d.base.stopped !== null ? null : d.base.store;
  }

  /** Whether `detectorId` has runs. */
  has(detectorId: string): boolean {
    return this.detectors.some((d) => d.detector.id === detectorId);
  }

  /** The alerts of every run so far, as the page shows them. */
  results(): WhatIfDetector[] {
    return this.detectors.map((d) => ({
      detector: d.detector.id,
      base: { alerts: d.base.alerts, stopped: d.base.stopped },
      params: d.params.map((p) => ({ key: p.key, base: p.base, cells: p.cells.map((c) => ({ factor: c.factor, value: c.value, alerts: c.run.alerts, stopped: c.run.stopped })) })),
    }));
  }
}
