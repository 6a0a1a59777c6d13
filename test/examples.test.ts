import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readConfig } from '../cli/main';
import { replay, type ReplayReport } from '../cli/replay';
import { loadConfig, type CompiledConfig } from '../lambdas/core/config';
import type { StatePorts as EnginePorts } from '../lambdas/delivery/batch-runner';
import type { Alert } from '../lambdas/engine/alerts';
import { MemoryLedger } from '../lambdas/state/memory-ledger';
import { MemoryStore } from '../lambdas/state/memory-store';

const memory = (): EnginePorts => ({ state: new MemoryStore(), ledger: new MemoryLedger() });

const EXAMPLES = join(__dirname, '..', 'examples');
const labels = JSON.parse(readFileSync(join(EXAMPLES, 'labels.json'), 'utf8')) as { id: string; detector: string; requires?: string; eventIds: string[] }[];
const registry = readFileSync(join(EXAMPLES, 'customer-registry.jsonl'), 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as { accountId: string; externalIdSha256: string[] });
/** The demo's configuration, with the customer registry it names. */
const config = readConfig(join(EXAMPLES, 'config.json'));
/** The same keys without the registry: its checks are learned instead. */
const withoutRegistry = ((): CompiledConfig => {
  const { customerRegistry: _, ...raw } = JSON.parse(readFileSync(join(EXAMPLES, 'config.json'), 'utf8')) as Record<string, unknown>;
  return loadConfig(raw);
})();
const labelled = new Set(labels.flatMap((l) => l.eventIds));

async function replayExamples(ports = memory(), batchSize = 100, configuration = config): Promise<{ alerts: Alert[]; report: ReplayReport }> {
  const alerts: Alert[] = [];
  const report = await replay({ paths: [join(EXAMPLES, 'AWSLogs')], config: configuration, ports, batchSize, onAlert: (a) => alerts.push(a) });
  return { alerts, report };
}

/** The detectors of the alerts that name a record of `label`. */
const alertedBy = (alerts: readonly Alert[], label: { eventIds: readonly string[] }): string[] =>
  alerts.filter((a) => a.evidence.eventIds.some((id) => label.eventIds.includes(id))).map((a) => a.detector);

describe('the bundled examples (npm run demo)', () => {
  let run: { alerts: Alert[]; report: ReplayReport };
  beforeAll(async () => {
    run = await replayExamples();
  });

  it('reads every record and rejects none', () => {
    expect(run.report.rejected).toEqual([]);
    expect(run.report.unreadable).toEqual([]);
    expect(run.report.records).toBeGreaterThan(4000);
  });

  it('judges with the customer registry config.json names', () => {
    expect(config.customerRegistry).toBe('customer-registry.jsonl');
    expect(config.customers?.integrations).toBe(registry.length);
  });

  it.each(labels.map((l) => [l.id, l] as const))('raises exactly one alert for incident %s, from its detector', (_id, label) => {
    expect(alertedBy(run.alerts, label)).toEqual([label.detector]);
  });

  it('raises nothing on the benign traffic', () => {
    const unexplained = run.alerts.filter((a) => !a.evidence.eventIds.some((id) => labelled.has(id)));
    expect(unexplained).toEqual([]);
    expect(run.alerts).toHaveLength(labels.length);
  });

  it('gives the same alerts whatever the batch size', async () => {
    const small = await replayExamples(memory(), 7);
    const key = (a: Alert): string => `${a.detector} ${a.evidence.eventIds[0]}`;
    expect(small.alerts.map(key).sort()).toEqual(run.alerts.map(key).sort());
  });

  it('raises no alert when the same logs are replayed again into the same state', async () => {
    // Given a store that has seen the examples
    const ports = memory();
    await replayExamples(ports);
    // When every event is delivered again
    const again = await replayExamples(ports);
    // Then nothing is alerted twice
    expect(again.alerts).toEqual([]);
  });
});

describe('the bundled examples without the customer registry', () => {
  let run: { alerts: Alert[]; report: ReplayReport };
  beforeAll(async () => {
    run = await replayExamples(memory(), 100, withoutRegistry);
  });

  it.each(labels.filter((l) => l.requires === undefined).map((l) => [l.id, l] as const))('still raises exactly one alert for incident %s, from its detector', (_id, label) => {
    expect(alertedBy(run.alerts, label)).toEqual([label.detector]);
  });

  it.each(labels.filter((l) => l.requires !== undefined).map((l) => [l.id, l] as const))('may raise nothing for incident %s, which needs the registry, and nothing from another detector', (_id, label) => {
    expect(alertedBy(run.alerts, label).filter((d) => d !== label.detector)).toEqual([]);
    expect(alertedBy(run.alerts, label).length).toBeLessThanOrEqual(1);
  });

  it('raises nothing on the benign traffic but the re-installed customer\'s new external ID, which only the registry vouches for', () => {
    // A customer that re-installed its stack is assumed with a new external ID: learned, that is
    // a change (external-id, medium); the registry lists both digests (a rotation).
    const rotated = new Set(registry.filter((l) => l.externalIdSha256.length > 1).map((l) => l.accountId));
    expect(rotated.size).toBe(1);
    const unexplained = run.alerts.filter((a) => !a.evidence.eventIds.some((id) => labelled.has(id)));
    expect(unexplained.map((a) => [a.detector, a.evidence.details.problem, a.evidence.targetAccountId])).toEqual([['external-id', 'changed', [...rotated][0]]]);
  });
});
