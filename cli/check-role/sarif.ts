/**
 * `check-role`'s findings as SARIF 2.1.0, the log format GitHub code scanning and other
 * consumers of checkov or cfn-nag output read: one run, the rule registry as `tool.driver.rules`
 * (each with its help, default level and the `security-severity` GitHub ranks alerts by), and a
 * result per finding pointing at the input file and the line of the offending statement.
 */
import { RULES } from './rules';
import type { CheckReport } from './render';
import type { Finding, Severity } from './types';

/** SARIF's level for each severity. */
const LEVEL: Readonly<Record<Severity, 'error' | 'warning' | 'note'>> = { high: 'error', medium: 'warning', low: 'note' };

/** GitHub's `security-severity` (0.1–10; high is 7.0–8.9, medium 4.0–6.9, low 0.1–3.9). */
const SECURITY_SEVERITY: Readonly<Record<Severity, string>> = { high: '8.0', medium: '5.5', low: '3.0' };

/** The schema a SARIF 2.1.0 log names. */
export const SARIF_SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

/** A path as a SARIF artifact URI: forward slashes, percent-encoded where a URI needs it. */
export function artifactUri(path: string): string {
  return encodeURI(path.replace(/\\/g, '/'));
}

/** One result. */
function result(f: Finding): Record<string, unknown> {
  const ruleIndex = RULES.findIndex((r) => r.id === f.id);
  return {
    ruleId: f.id,
    ruleIndex,
    level: LEVEL[f.severity],
    message: { text: `${f.role}: ${f.message}` },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: artifactUri(f.location.file) },
          ...(f.location.line === null ? {} : { region: { startLine: f.location.line } }),
        },
      },
    ],
    properties: {
      role: f.role,
      severity: f.severity,
      'security-severity': SECURITY_SEVERITY[f.severity],
      ...(f.statement === null ? {} : { statement: f.statement }),
      details: f.details,
    },
  };
}

/** The SARIF log of a run. */
export function toSarif(report: CheckReport): Record<string, unknown> {
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: report.tool.name,
            version: report.tool.version,
            rules: RULES.map((r) => ({
              id: r.id,
              name: r.id.replace(/(^|-)(\w)/g, (_m, _d, c: string) => c.toUpperCase()),
              shortDescription: { text: r.title },
              fullDescription: { text: r.description },
              help: { text: `${r.why} Fix: ${r.fix}`, markdown: `${r.description}\n\n**Why:** ${r.why}\n\n**Fix:** ${r.fix}` },
              defaultConfiguration: { level: LEVEL[r.severity] },
              properties: { 'security-severity': SECURITY_SEVERITY[r.severity], tags: ['security', 'iam', r.id.split('-')[0]!], precision: 'high' },
            })),
          },
        },
        artifacts: report.inputs.map((i) => ({ location: { uri: artifactUri(i.file) }, roles: ['analysisTarget'] })),
        results: report.findings.map(result),
        columnKind: 'utf16CodeUnits',
      },
    ],
  };
}
