/** Dependencies for the detect handler in tests: quiet logger, captured metrics, injected ports. */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { MemoryPublisher, type AlertPublisher } from '../../lambdas/alerts/sns';
import type { DetectDependencies } from '../../lambdas/detect/handler';
import { loadConfig } from '../../lambdas/engine/config';
import type { EnginePorts } from '../../lambdas/engine/engine';
import { MemoryLedger, MemoryStore } from '../../lambdas/store/memory';

process.env.POWERTOOLS_METRICS_DISABLED = 'true';

/** Metrics that keep what would have been emitted, summed by name. */
export class CapturingMetrics extends Metrics {
  readonly totals: Record<string, number> = {};

  constructor() {
    super({ namespace: 'AssumeRoleWatch', serviceName: 'assumerole-watch' });
  }

  override publishStoredMetrics(): this {
    const emf = this.serializeMetrics() as unknown as Record<string, unknown>;
    for (const [name, value] of Object.entries(emf)) {
      if (typeof value === 'number') this.totals[name] = (this.totals[name] ?? 0) + value;
    }
    this.clearMetrics();
    return this;
  }
}

/** A silent logger that keeps its structured lines. */
export class CapturingLogger extends Logger {
  readonly lines: { level: string; message: string; extra: unknown[] }[] = [];

  constructor() {
    super({ serviceName: 'assumerole-watch', logLevel: 'SILENT' });
  }

  override info(message: string, ...extra: unknown[]): void {
    this.lines.push({ level: 'info', message, extra });
  }

  override warn(message: string, ...extra: unknown[]): void {
    this.lines.push({ level: 'warn', message, extra });
  }

  override error(message: string, ...extra: unknown[]): void {
    this.lines.push({ level: 'error', message, extra });
  }
}

/** The examples' configuration. */
export function examplesConfig(): ReturnType<typeof loadConfig> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return loadConfig(require('../../examples/config.json') as Record<string, unknown>);
}

/** Handler dependencies with memory ports unless given. */
export function testDependencies(o: { ports?: EnginePorts; publisher?: AlertPublisher; config?: DetectDependencies['config']; now?: number } = {}): DetectDependencies & {
  logger: CapturingLogger;
  metrics: CapturingMetrics;
} {
  return {
    config: o.config ?? examplesConfig(),
    ports: o.ports ?? { state: new MemoryStore(), ledger: new MemoryLedger() },
    publisher: o.publisher ?? new MemoryPublisher(),
    logger: new CapturingLogger(),
    metrics: new CapturingMetrics(),
    clock: { now: () => o.now ?? Date.parse('2026-10-08T00:00:00Z') },
  };
}
