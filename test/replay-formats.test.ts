/**
 * `replay --format`: the demo's alerts as text, as alert records, as OCSF Detection Findings
 * (each checked against the OCSF 1.1.0 definition files) and as Security Hub findings, one JSON
 * document a line, with the same alertId everywhere.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readConfig } from '../cli/main';
import { replay } from '../cli/replay';
import type { Alert } from '../lambdas/engine/alerts';
import { MemoryLedger } from '../lambdas/state/memory-ledger';
import { MemoryStore } from '../lambdas/state/memory-store';
import { SAMPLE_ALERT_FILE } from '../scripts/gen-docs';
import { OcsfSchema } from './support/ocsf-schema';
import { cli } from './support/cli';

const ROOT = join(__dirname, '..');
const DEMO = ['replay', join(ROOT, 'examples', 'AWSLogs'), '--config', join(ROOT, 'examples', 'config.json')];
const labels = require('../examples/labels.json') as { id: string }[];

/** The demo replayed in one format: its exit code and each output line parsed (text is kept as lines). */
async function demo(format?: string): Promise<{ code: number; lines: string[]; err: string }> {
  const { code, out, err } = await cli(format === undefined ? DEMO : [...DEMO, '--format', format]);
  return { code, lines: out.split('\n').filter((l) => l !== ''), err };
}

let records: { alertId: string; detector: string; severity: string; attack: { technique: string }[] }[];

beforeAll(async () => {
  const json = await demo('json');
  records = json.lines.map((l) => JSON.parse(l) as (typeof records)[number]);
});

describe('replay --format', () => {
  it('prints one alert record a line with json, as --json does', async () => {
    expect(records).toHaveLength(labels.length);
    const alias = await cli([...DEMO, '--json']);
    expect(alias.out.split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { alertId: string }).alertId)).toEqual(records.map((r) => r.alertId));
  });

  it('prints OCSF Detection Findings that pass the check against the OCSF 1.1.0 files, each with an ATT&CK technique', async () => {
    // Given the demo as OCSF
    const { code, lines } = await demo('ocsf');
    const schema = OcsfSchema.load();
    const findings = lines.map((l) => JSON.parse(l) as { class_uid: number; finding_info: { uid: string; attacks?: { technique: { uid: string } }[] } });
    // Then one finding per alert, the same alertIds, each valid and with a technique
    expect(code).toBe(1);
    expect(findings.map((f) => f.finding_info.uid)).toEqual(records.map((r) => r.alertId));
    for (const f of findings) {
      expect(f.class_uid).toBe(2004);
      expect({ uid: f.finding_info.uid, ...schema.validate(f as unknown as Record<string, unknown>) }).toEqual({ uid: f.finding_info.uid, problems: [], warnings: [] });
      expect(f.finding_info.attacks?.length ?? 0).toBeGreaterThan(0);
    }
  });

  it('prints Security Hub findings of the bastion account\'s own product, Id = alertId, the same on every run', async () => {
    // Given the demo as ASFF, twice
    const first = await demo('asff');
    const again = await demo('asff');
    const findings = first.lines.map((l) => JSON.parse(l) as { Id: string; ProductArn: string; AwsAccountId: string; FindingProviderFields: { Severity: { Label: string }; Types: string[] } });
    // Then one finding per alert for account 210987654321, with its severity and an ATT&CK type, and the output does not depend on when it ran
    expect(findings.map((f) => f.Id)).toEqual(records.map((r) => r.alertId));
    for (const [i, f] of findings.entries()) {
      expect(f.AwsAccountId).toBe('210987654321');
      expect(f.ProductArn).toMatch(/^arn:aws:securityhub:[a-z0-9-]+:210987654321:product\/210987654321\/default$/);
      expect(f.FindingProviderFields.Severity.Label).toBe(records[i]!.severity.toUpperCase());
      expect(f.FindingProviderFields.Types.some((t) => t.startsWith('TTPs/'))).toBe(true);
    }
    expect(again.lines).toEqual(first.lines);
  });

  it('prints text by default, with the column header', async () => {
    const { lines } = await demo();
    expect(lines[0]).toMatch(/^time\s+SEVERITY\s+detector\s+title$/);
    expect(lines.filter((l) => /^\d{4}-\d\d-\d\dT/.test(l))).toHaveLength(labels.length);
  });

  it('shows in docs/alerts.md an alert the demo raises, as the demo raises it', async () => {
    // Given the alert the page renders in every format
    const sample = JSON.parse(readFileSync(join(ROOT, SAMPLE_ALERT_FILE), 'utf8')) as Alert;
    // When the demo is replayed
    const alerts: Alert[] = [];
    const config = readConfig(join(ROOT, 'examples', 'config.json'), ROOT, () => undefined);
    await replay({ paths: [join(ROOT, 'examples', 'AWSLogs')], config, ports: { state: new MemoryStore(), ledger: new MemoryLedger() }, batchSize: 100, reorderMinutes: 60, onAlert: (a) => alerts.push(a) });
    // Then it raises that very alert (regenerate the file from the demo when a detector's wording changes)
    expect(JSON.parse(JSON.stringify(alerts.find((a) => a.alertId === sample.alertId) ?? null))).toEqual(sample);
  });

  it('refuses a format it does not know, naming the ones it does', async () => {
    const { code, err } = await cli([...DEMO, '--format', 'csv']);
    expect(code).toBe(2);
    expect(err).toContain('--format takes text, json, ocsf, asff, got "csv"');
  });
});
