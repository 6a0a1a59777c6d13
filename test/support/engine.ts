/**
 * One batch through the batch runner with every registered detector and an in-memory publisher
 * that accepts everything: what engine, detector and store tests need to look at.
 */
import type { CompiledConfig } from '../../lambdas/core/config';
import type { Finding, ParsedCall } from '../../lambdas/core/types';
import { runBatch, type BatchStats, type StatePorts } from '../../lambdas/delivery/batch-runner';
import { MemoryPublisher } from '../../lambdas/delivery/memory-publisher';
import { DETECTORS } from '../../lambdas/detectors';
import type { Detector } from '../../lambdas/detectors/detector';
import type { Alert } from '../../lambdas/engine/alerts';
import type { Clock } from '../../lambdas/engine/engine';

/** What a batch produced. */
export interface BatchResult {
  readonly findings: readonly Finding[];
  /** Alerts sent (the publisher accepts all). */
  readonly alerts: readonly Alert[];
  /** Alerts another live invocation holds. */
  readonly busy: readonly Alert[];
  readonly stats: BatchStats;
}

/** Runs one batch; a failure of the run is thrown, as replay does. */
export async function processBatch(calls: readonly ParsedCall[], ports: StatePorts, config: CompiledConfig, clock: Clock, detectors: readonly Detector[] = DETECTORS): Promise<BatchResult> {
  const outcome = await runBatch({ calls }, { detectors, config, clock, ports, publisher: new MemoryPublisher() });
  if (outcome.error) throw outcome.error;
  const busyIds = new Set(outcome.retryAlerts.map((a) => a.alertId));
  return { findings: outcome.findings, alerts: outcome.delivered, busy: outcome.retryAlerts.filter((a) => busyIds.has(a.alertId)), stats: outcome.stats };
}
