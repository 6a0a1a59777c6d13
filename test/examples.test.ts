import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readConfig } from '../cli/main';
import { replay, type ReplayReport } from '../cli/replay';
import type { StatePorts as EnginePorts } from '../lambdas/delivery/batch-runner';
import type { Alert } from '../lambdas/engine/alerts';
import { MemoryLedger } from '../lambdas/state/memory-ledger';
import { MemoryStore } from '../lambdas/state/memory-store';

const memory = (): EnginePorts => ({ state: new MemoryStore(), ledger: new MemoryLedger() });

const EXAMPLES = join(__dirname, '..', 'examples');
const labels = JSON.parse(readFileSync(join(EXAMPLES, 'labels.json'), 'utf8')) as { id: string; detector: string; eventIds: string[] }[];
const config = readConfig(join(EXAMPLES, 'config.json'));

async function replayExamples(ports = memory(), batchSize = 100): Promise<{ alerts: Alert[]; report: ReplayReport }> {
  const alerts: Alert[] = [];
  const report = await replay({ paths: [join(EXAMPLES, 'AWSLogs')], config, ports, batchSize, onAlert: (a) => alerts.push(a) });
  return { alerts, report };
}

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

  it.each(labels.map((l) => [l.id, l] as const))('raises exactly one alert for incident %s, from its detector', (_id, label) => {
    const matching = run.alerts.filter((a) => a.evidence.eventIds.some((id) => label.eventIds.includes(id)));
    expect(matching.map((a) => a.detector)).toEqual([label.detector]);
  });

  it('raises nothing on the benign traffic', () => {
    const labelled = new Set(labels.flatMap((l) => l.eventIds));
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
