/**
 * `check-role`'s text (for people, grouped per role, severity coloured only on a terminal) and
 * JSON (schemaVersion 1) renderings. Names, ARNs, Sids and actions come from the inputs, which a
 * vendor wrote: text lines go through `printable` and JSON through `terminalJson`, so no control
 * character or bidi override reaches the terminal as itself.
 */
import { printable, terminalJson } from '../../lambdas/delivery/format';
import { PROBE_DURATION_SECONDS, PROBE_SESSION_NAME } from '../../lambdas/core/role-probe';
import type { SkippedRole } from './lint';
import type { LiveProbe, ProbeIdKind } from './live';
import { RULES } from './rules';
import { SEVERITIES, type Finding, type LintOptions, type RoleDefinition, type Severity, type SourceRef } from './types';

/** Version of the JSON output; bump when a field changes meaning. */
export const CHECK_ROLE_SCHEMA_VERSION = 1;

/** Everything a run found, as the renderers take it. */
export interface CheckReport {
  readonly inputs: readonly { readonly file: string; readonly kind: string }[];
  readonly checked: readonly RoleDefinition[];
  readonly skipped: readonly SkippedRole[];
  readonly findings: readonly Finding[];
  readonly options: LintOptions;
  readonly tool: { readonly name: string; readonly version: string };
  /** What `--live` asked STS and read, when it ran. */
  readonly probe?: LiveProbe;
}

/** How each probe request is named in the listing. */
const PROBE_STEP_LABEL: Readonly<Record<ProbeIdKind, string>> = { none: 'without an external ID', wrong: 'with a wrong external ID', given: 'with the external ID given' };

/** The probe's lines: who asked, how STS answered each request, whether the role was read. */
function probeLines(probe: LiveProbe): string[] {
  const out = [printable(`check-role: live probe of ${probe.roleArn}${probe.caller === null ? '' : ` as ${probe.caller}`} in ${probe.region}`)];
  for (const s of probe.steps) {
    const answer = s.accepted ? 'ACCEPTED' : `refused (${s.refusal?.code ?? 'AccessDenied'})`;
    out.push(printable(`  sts:AssumeRole ${PROBE_STEP_LABEL[s.externalId].padEnd(27)} ${answer}${s.externalId === 'wrong' ? `  [${probe.wrongExternalId}]` : ''}`));
  }
  const read = probe.read === null ? 'not read: no session was opened' : probe.read.role === null ? `not read: ${probe.read.reason}` : `read with the session opened ${PROBE_STEP_LABEL[probe.readWith ?? 'given']}`;
  out.push(printable(`  role ${read}`, 2000));
  return out;
}

/** The probe as the JSON document carries it: never the external ID given, only the probe's wrong one. */
function probeJson(probe: LiveProbe): Record<string, unknown> {
  return {
    roleArn: probe.roleArn,
    viaRole: probe.viaRole,
    region: probe.region,
    caller: probe.caller,
    sessionName: PROBE_SESSION_NAME,
    durationSeconds: PROBE_DURATION_SECONDS,
    requests: probe.steps.map((s) => ({ externalId: s.externalId, ...(s.externalId === 'wrong' ? { value: probe.wrongExternalId } : {}), accepted: s.accepted, errorCode: s.refusal?.code ?? null })),
    read: probe.read === null ? { read: false, reason: 'no session was opened' } : { read: probe.read.role !== null, reason: probe.read.reason, with: probe.readWith },
  };
}

/** ANSI colours of the severities, as the replay listing uses them. */
const COLOUR: Readonly<Record<Severity, string>> = { high: '\x1b[31m', medium: '\x1b[33m', low: '\x1b[2m' };

/** `file:line`, or the file alone. */
export function where(source: SourceRef): string {
  return source.line === null ? source.file : `${source.file}:${source.line}`;
}

/** Counts of findings by severity: `2 high, 1 medium`. */
function tally(findings: readonly Finding[]): string {
  const parts = SEVERITIES.map((s) => [s, findings.filter((f) => f.severity === s).length] as const).filter(([, n]) => n > 0);
  return parts.length === 0 ? 'no findings' : parts.map(([s, n]) => `${n} ${s}`).join(', ');
}

/** The readable listing, ending in a newline. */
export function renderText(report: CheckReport, colour = false): string {
  const out: string[] = [];
  const files = report.inputs.length;
  if (report.probe !== undefined) out.push(...probeLines(report.probe));
  else out.push(`check-role: ${report.checked.length} ${report.checked.length === 1 ? 'role' : 'roles'} checked from ${files} ${files === 1 ? 'file' : 'files'}${report.skipped.length > 0 ? `, ${report.skipped.length} skipped` : ''}`);
  for (const s of report.skipped) out.push(printable(`  skipped ${s.role.name} (${where(s.role.source)}): ${s.reason}`));
  for (const role of report.checked) {
    const findings = report.findings.filter((f) => f.role === role.name);
    out.push('');
    out.push(printable(`${role.name}  ${role.origin} at ${where(role.source)}${role.when === null ? '' : `, present only when the template's ${role.when}`}: ${tally(findings)}`));
    const explained = new Set<string>();
    for (const f of findings) {
      const label = f.severity.toUpperCase().padEnd(6);
      out.push(`  ${colour ? `${COLOUR[f.severity]}${label}\x1b[0m` : label}  ${f.id}  ${printable(where(f.location))}`);
      out.push(`          ${printable(f.message, 2000)}`);
      if (f.statement !== null && f.statement.index !== null) out.push(`          ${printable(terminalJson(f.statement.json), 300)}`);
      // Why and how to fix are the rule's: said once per role.
      if (explained.has(f.id)) continue;
      explained.add(f.id);
      out.push(`          why: ${f.why}`);
      out.push(`          fix: ${f.fix}`);
    }
  }
  out.push('');
  out.push(`${tally(report.findings)} in ${report.checked.length} ${report.checked.length === 1 ? 'role' : 'roles'}.`);
  return `${out.join('\n')}\n`;
}

/** The JSON document (one line), ending in a newline. */
export function renderJson(report: CheckReport): string {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, report.findings.filter((f) => f.severity === s).length]));
  const document = {
    schemaVersion: CHECK_ROLE_SCHEMA_VERSION,
    tool: report.tool,
    options: report.options.expected === null ? report.options : { ...report.options, expected: report.options.expected.file },
    inputs: report.inputs,
    roles: report.checked.map((r) => ({ name: r.name, arn: r.arn, origin: r.origin, source: r.source, when: r.when, findings: report.findings.filter((f) => f.role === r.name).length })),
    skipped: report.skipped.map((s) => ({ name: s.role.name, origin: s.role.origin, source: s.role.source, reason: s.reason })),
    ...(report.probe === undefined ? {} : { probe: probeJson(report.probe) }),
    findings: report.findings.map((f) => ({ ...f, title: RULES.find((r) => r.id === f.id)?.title ?? f.id })),
    summary: { ...counts, total: report.findings.length },
  };
  return `${terminalJson(document)}\n`;
}
