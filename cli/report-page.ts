/**
 * The replay report's page: one self-contained HTML file (uPlot, styles and data inline; a
 * Content-Security-Policy that lets it load nothing). Attacker-chosen text (session names, user
 * agents, ARNs of forged records) is escaped for HTML in the tables and never reaches the DOM
 * through the script; the chart data sits in a JSON block that cannot close its `<script>`.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { CompiledConfig, EngineConfig } from '../lambdas/core/config';
import type { Severity } from '../lambdas/core/types';
import { printable } from '../lambdas/delivery/format';
import { DETECTORS } from '../lambdas/detectors';
import type { Detector } from '../lambdas/detectors/detector';
import type { ReplayReport } from './replay';

/** One point of a role's chart: one window, or the busiest of several when the replay is long. */
export interface WindowPoint {
  /** Successful AssumeRole calls out of the role in the window (call-volume's count). */
  calls: number;
  /** The highest sliding count (this window's calls plus the previous one's still inside the window) a call saw. */
  sliding: number;
  /** AssumeRole calls out of the role that failed. */
  failed: number;
  /** The learned spike limit call-volume compared the window with; null while the role was learning. */
  spike: number | null;
  /** call-volume alerts for the role in the window. */
  alerts: number;
}

/** A monitored role's points, `span` windows each, the first at window index `first × span`. */
export interface RoleSeries {
  readonly role: string;
  readonly total: number;
  readonly failed: number;
  readonly span: number;
  readonly first: number;
  readonly points: readonly WindowPoint[];
}

/** An alert as the list shows it. */
export interface AlertRow {
  readonly time: number;
  readonly detector: string;
  readonly severity: Severity;
  readonly title: string;
  readonly cause: string;
  readonly principal: string | null;
  readonly sourceIp: string | null;
  readonly targetAccountId: string | null;
}

/** A bounded set of names: the first few, and whether there were more. */
export interface FewNames {
  readonly values: readonly string[];
  readonly more: boolean;
}

/** The busiest rows of a top table; `dropped`: the most calls a row dropped by its bound had. */
export interface TopTable<R> {
  readonly rows: readonly ({ readonly key: string; readonly count: number } & R)[];
  readonly distinct: number;
  readonly dropped: number;
}

/** One what-if cell: the threshold at `factor` times its value, and the alerts the detector then raised. */
export interface WhatIfCell {
  readonly factor: number;
  readonly value: number;
  readonly alerts: number;
  readonly stopped: string | null;
}

/** A threshold detector's what-if runs. */
export interface WhatIfDetector {
  readonly detector: string;
  readonly base: { readonly alerts: number; readonly stopped: string | null };
  readonly params: readonly { readonly key: keyof EngineConfig; readonly base: number; readonly cells: readonly WhatIfCell[] }[];
}

/** Everything the collector gathered. */
export interface Collected {
  readonly windowMinutes: number;
  readonly roles: readonly RoleSeries[];
  readonly rolesLeftOut: number;
  /** Whether the spike line was read from call-volume's state (false when call-volume is off). */
  readonly spikeLine: boolean;
  readonly alertsOverTime: { readonly span: number; readonly first: number; readonly detectors: readonly string[]; readonly counts: readonly (readonly number[])[] };
  readonly alerts: readonly AlertRow[];
  readonly alertsTotal: number;
  readonly whatIf: readonly WhatIfDetector[];
  readonly callers: TopTable<{ failed: number; sessions: FewNames; lastSession: string | null; lastAddress: string; lastAgent: string }>;
  readonly addresses: TopTable<{ failed: number; kind: string; group: string | null; callers: FewNames }>;
  readonly targets: TopTable<{ failed: number; roles: FewNames }>;
  readonly agents: TopTable<{ failed: number; callers: FewNames }>;
}

/** What the page says about the run besides what was collected. */
export interface ReportMeta {
  readonly report: ReplayReport;
  /** The paths replayed, as given. */
  readonly inputs?: readonly string[];
  readonly configFile?: string | null;
  /** @default now */
  readonly generatedAt?: number;
  /** @default every registered detector */
  readonly detectors?: readonly Detector[];
}

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for HTML content or a quoted attribute: `& < > " '` escaped. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** JSON to put inside a `<script>` element: `<`, `>`, `&`, U+2028 and U+2029 as `\uXXXX`, so it can neither end the element nor break a parser. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Attacker-chosen text as the page shows it: controls and invisible or bidi characters escaped (as the alerts show them), cut, HTML-escaped. */
function text(value: string, max = 300): string {
  return escapeHtml(printable(value, max));
}

const num = (n: number): string => n.toLocaleString('en-US');
const iso = (t: number): string => new Date(t).toISOString().replace('.000Z', 'Z');
const sha256 = (s: string): string => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;

/** uPlot's script and styles, read from the installed package (inlined: the page loads nothing). */
function uplotAssets(): { script: string; css: string } {
  return {
    script: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    css: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
  };
}

/** The whole page for a finished replay. */
export function renderReport(collected: Collected, config: CompiledConfig, meta: ReportMeta): string {
  const { report } = meta;
  const detectors = meta.detectors ?? DETECTORS;
  const uplot = uplotAssets();
  const windowMs = collected.windowMinutes * 60_000;
  const charted = collected.roles.slice(0, MAX_CHARTED_ROLES);
  const data = {
    windowMs,
    range: report.firstEventTime === null || report.lastEventTime === null ? null : [Math.floor(report.firstEventTime / windowMs) * windowMs / 1000, (Math.floor(report.lastEventTime / windowMs) + 1) * windowMs / 1000],
    ceiling: config.volumeMaxCalls,
    volume: charted.map((r, i) => ({
      id: `volume-${i}`,
      role: r.role,
      span: r.span,
      first: r.first,
      calls: r.points.map((p) => p.calls),
      sliding: r.points.map((p) => p.sliding),
      failed: r.points.map((p) => p.failed),
      spike: r.points.map((p) => (p.spike === null ? null : Math.round(p.spike * 100) / 100)),
      alerts: r.points.map((p) => p.alerts),
    })),
    alerts: { id: 'alerts-chart', ...collected.alertsOverTime },
  };
  const body = [
    header(config, meta),
    volumeSection(collected, config, charted),
    alertsSection(collected),
    whatIfSection(collected, config, report, detectors),
    alertList(collected),
    topSection(collected),
    methodSection(collected, config),
  ].join('\n');
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(uplot.script)} ${sha256(CLIENT_SCRIPT)}`,
    `style-src ${sha256(uplot.css)} ${sha256(PAGE_CSS)}`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>assumerole-watch replay report</title>
<style>${uplot.css}</style>
<style>${PAGE_CSS}</style>
</head>
<body>
<main>
${body}
</main>
<script type="application/json" id="report-data">${jsonForScript(data)}</script>
<script>${uplot.script}</script>
<script>${CLIENT_SCRIPT}</script>
</body>
</html>
`;
}

/** Role charts drawn; the rest are listed by name with their totals. */
const MAX_CHARTED_ROLES = 12;

function header(config: CompiledConfig, meta: ReportMeta): string {
  const r = meta.report;
  const span = r.firstEventTime !== null && r.lastEventTime !== null ? `${iso(r.firstEventTime)} to ${iso(r.lastEventTime)}` : 'no event';
  const byDetector = Object.entries(r.alertsByDetector).sort(([, a], [, b]) => b - a).map(([d, n]) => `${escapeHtml(d)} ${num(n)}`).join(', ');
  const lines = [
    `<h1>assumerole-watch replay report</h1>`,
    `<p class="muted">Events ${span} (UTC) · generated ${iso(meta.generatedAt ?? Date.now())}${meta.configFile ? ` · configuration <code>${text(meta.configFile)}</code>` : ''}${meta.inputs?.length ? ` · input ${meta.inputs.map((p) => `<code>${text(p)}</code>`).join(', ')}` : ''}</p>`,
    `<div class="facts">`,
    fact(num(r.alerts), 'alerts', byDetector || 'none'),
    fact(num(r.records), 'records', `in ${num(r.files)} files`),
    fact(num(r.relevant), 'relevant calls', `ignored ${num(r.ignored)}, duplicates ${num(r.duplicates)}`),
    fact(num(r.rejectedTotal), 'rejected records', r.unreadable.length > 0 ? `${num(r.unreadable.length)} inputs unreadable` : 'every input read'),
    fact(`${config.volumeWindowMinutes} min`, 'window', `ceiling ${num(config.volumeMaxCalls)} calls, spike ×${config.volumeSpikeFactor}`),
    `</div>`,
  ];
  if (r.stopped) lines.push(`<p class="warn">The replay stopped at ${iso(r.stopped.nowMs)}: more than ${num(r.stopped.limit)} ${escapeHtml(r.stopped.what)} were live in memory. This page covers the input up to there.</p>`);
  if (r.releasedEarly > 0) lines.push(`<p class="warn">The reorder buffer was full: ${num(r.releasedEarly)} calls went to the detectors before their reorder window had passed.</p>`);
  return lines.join('\n');
}

function fact(value: string, label: string, detail: string): string {
  return `<div class="fact"><div class="value">${value}</div><div class="label">${label}</div><div class="detail">${detail}</div></div>`;
}

function volumeSection(c: Collected, config: CompiledConfig, charted: readonly RoleSeries[]): string {
  const out = [
    `<section id="volume"><h2>Calls per window, by monitored role</h2>`,
    `<p>Successful AssumeRole calls made by each monitored role's sessions per ${config.volumeWindowMinutes}-minute window (bars), as call-volume counts them, against the <span class="key ceiling">ceiling</span> (<code>volumeMaxCalls</code> = ${num(config.volumeMaxCalls)}) and the <span class="key spike">spike line</span> call-volume learned (the busiest window of the previous 7 days × <code>volumeSpikeFactor</code> ${config.volumeSpikeFactor}, at least <code>volumeSpikeMinCalls</code>; drawn from the end of the learning period). call-volume compares the <span class="key sliding">sliding count</span> (this window's calls plus the share of the previous window's still inside the sliding window) with both. Click a legend entry to hide it; the scale follows.</p>`,
  ];
  if (charted.length === 0) out.push(`<p class="muted">No monitored role's session made an AssumeRole call.</p>`);
  for (const [i, r] of charted.entries()) {
    const busiest = r.points.reduce((m, p) => Math.max(m, p.calls), 0);
    const alerts = r.points.reduce((m, p) => m + p.alerts, 0);
    out.push(
      `<h3 class="mono">${text(r.role)}</h3>`,
      `<p class="muted">${num(r.total)} calls, ${num(r.failed)} failed; busiest window ${num(busiest)} calls; ${num(alerts)} call-volume alert${alerts === 1 ? '' : 's'}${r.span > 1 ? `; each point is the busiest of ${r.span} windows` : ''}</p>`,
      `<div class="chart" id="volume-${i}" role="img" aria-label="calls per window of ${text(r.role)}"></div>`,
    );
  }
  const rest = c.roles.slice(charted.length);
  if (rest.length > 0) out.push(`<p class="muted">Not charted: ${rest.map((r) => `<code>${text(r.role)}</code> (${num(r.total)} calls)`).join(', ')}.</p>`);
  if (c.rolesLeftOut > 0) out.push(`<p class="warn">${num(c.rolesLeftOut)} calls were made by the sessions of further monitored roles beyond the first 64 seen (forged records may name any role the pattern matches); they are in the tables below, not in a chart.</p>`);
  out.push('</section>');
  return out.join('\n');
}

function alertsSection(c: Collected): string {
  const out = [`<section id="alerts"><h2>Alerts over time, by detector</h2>`];
  if (c.alertsTotal === 0) {
    out.push(`<p class="muted">No alert.</p></section>`);
    return out.join('\n');
  }
  out.push(
    `<p>Each dot is a ${c.windowMinutes * c.alertsOverTime.span}-minute window in which the detector on its row raised alerts (hover for how many), placed at the alert's first event.</p>`,
    `<div class="chart" id="alerts-chart" role="img" aria-label="alerts over time by detector"></div>`,
    `<p class="muted">The alerts are listed one by one below the next table.</p>`,
    '</section>',
  );
  return out.join('\n');
}

function alertList(c: Collected): string {
  if (c.alertsTotal === 0) return '';
  const out = [
    `<section id="alert-list"><h2>Alerts</h2>`,
    `<table class="alerts"><colgroup><col class="c-time"><col class="c-sev"><col class="c-det"><col><col class="c-caller"><col class="c-addr"><col class="c-acct"></colgroup><thead><tr><th>first event (UTC)</th><th>severity</th><th>detector</th><th>title</th><th>caller</th><th>source</th><th>target account</th></tr></thead><tbody>`,
  ];
  for (const a of c.alerts) {
    out.push(
      `<tr><td class="mono nowrap">${iso(a.time)}</td><td><span class="sev sev-${a.severity}">${a.severity}</span></td><td>${escapeHtml(a.detector)}</td><td>${text(a.title)}<div class="muted small">${text(a.cause)}</div></td><td class="mono caller">${a.principal === null ? '' : text(a.principal)}</td><td class="mono addr">${a.sourceIp === null ? '' : text(a.sourceIp)}</td><td class="mono nowrap">${a.targetAccountId === null ? '' : text(a.targetAccountId)}</td></tr>`,
    );
  }
  out.push('</tbody></table>');
  if (c.alertsTotal > c.alerts.length) out.push(`<p class="muted">The first ${num(c.alerts.length)} of ${num(c.alertsTotal)} alerts are listed.</p>`);
  out.push('</section>');
  return out.join('\n');
}

const FACTOR_LABEL = (f: number): string => `×${f}`;

function whatIfSection(c: Collected, config: CompiledConfig, report: ReplayReport, detectors: readonly Detector[]): string {
  const factors = c.whatIf[0]?.params[0]?.cells.map((cell) => cell.factor) ?? [0.5, 0.75, 1, 1.5, 2];
  const out = [
    `<section id="what-if"><h2>Alerts by detector, and what if the thresholds were different</h2>`,
    `<p>For the detectors with numeric thresholds, each cell is the number of alerts the detector raises over this same input with that one threshold scaled (its value below the count), the other keys as configured. The ×1 column is the replay itself. The other detectors have no numeric threshold: their count is the replay's.</p>`,
    `<table class="what-if"><thead><tr><th>detector</th><th>threshold (configured)</th>${factors.map((f) => `<th class="n${f === 1 ? ' base' : ''}">${FACTOR_LABEL(f)}</th>`).join('')}</tr></thead><tbody>`,
  ];
  const mismatches: string[] = [];
  for (const d of detectors) {
    const replayed = report.alertsByDetector[d.id] ?? 0;
    const settings = config.detectorSettings(d.id);
    const runs = c.whatIf.find((w) => w.detector === d.id);
    if (runs === undefined) {
      const cells = factors.map((f) => (f === 1 ? `<td class="n base" data-detector="${escapeHtml(d.id)}" data-factor="1">${settings.enabled ? num(replayed) : 'off'}</td>` : `<td class="n muted">—</td>`)).join('');
      out.push(`<tr><td>${escapeHtml(d.id)}</td><td class="muted">${settings.enabled ? 'no numeric threshold' : 'turned off (<code>detectors</code>)'}</td>${cells}</tr>`);
      continue;
    }
    if (runs.base.stopped === null && runs.base.alerts !== replayed) mismatches.push(`${d.id}: ${runs.base.alerts} in the what-if run, ${replayed} in the replay`);
    for (const [i, p] of runs.params.entries()) {
      const cells = p.cells
        .map((cell) => {
          const stopped = cell.stopped === null ? '' : `<span class="warn-inline" title="${escapeHtml(cell.stopped)}">incomplete</span>`;
          const change = cell.alerts > runs.base.alerts ? ' more' : cell.alerts < runs.base.alerts ? ' fewer' : '';
          return `<td class="n${cell.factor === 1 ? ' base' : change}" data-detector="${escapeHtml(d.id)}" data-key="${escapeHtml(p.key)}" data-factor="${cell.factor}">${num(cell.alerts)}${stopped}<small>${num(cell.value)}</small></td>`;
        })
        .join('');
      out.push(`<tr>${i === 0 ? `<td rowspan="${runs.params.length}">${escapeHtml(d.id)}</td>` : ''}<td><code>${escapeHtml(p.key)}</code> ${num(p.base)}</td>${cells}</tr>`);
    }
  }
  out.push('</tbody></table>');
  if (mismatches.length > 0) {
    out.push(`<p class="warn">The what-if runs start from an empty in-memory store; the replay's own store held other state (a DynamoDB table, say), so their ×1 counts differ: ${mismatches.map((m) => escapeHtml(m)).join('; ')}.</p>`);
  }
  out.push('</section>');
  return out.join('\n');
}

function names(few: FewNames): string {
  if (few.values.length === 0) return '';
  return `${few.values.slice(0, 3).map((v) => `<code>${text(v)}</code>`).join(' ')}${few.values.length > 3 || few.more ? ` <span class="muted">(${few.more ? `${few.values.length}+` : few.values.length} in all)</span>` : ''}`;
}

function bound(t: TopTable<unknown>): string {
  if (t.dropped === 0) return `<p class="muted small">${num(t.distinct)} distinct in all.</p>`;
  return `<p class="muted small">About ${num(t.distinct)} distinct; the table keeps the busiest, and a row dropped and seen again may count up to ${num(t.dropped)} calls low.</p>`;
}

function topSection(c: Collected): string {
  const out = [`<section id="top"><h2>Top callers, source addresses, target accounts and user agents</h2>`, `<p>Over the relevant calls (into or out of a monitored role), each event once; a role's sessions are one caller. "failed" counts calls that returned an error.</p>`];
  out.push(`<h3>Callers</h3><table class="top" id="top-callers"><thead><tr><th>caller</th><th class="n">calls</th><th class="n">failed</th><th>sessions</th><th>last source</th><th>last user agent</th></tr></thead><tbody>`);
  for (const r of c.callers.rows) out.push(`<tr><td class="mono">${text(r.key)}</td><td class="n">${num(r.count)}</td><td class="n">${num(r.failed)}</td><td>${names(r.sessions)}</td><td class="mono">${text(r.lastAddress)}</td><td class="mono">${text(r.lastAgent, 160)}</td></tr>`);
  out.push('</tbody></table>', bound(c.callers));
  out.push(`<h3>Source addresses</h3><table class="top" id="top-addresses"><thead><tr><th>address</th><th>kind</th><th>allow-list group</th><th class="n">calls</th><th class="n">failed</th><th>callers</th></tr></thead><tbody>`);
  for (const r of c.addresses.rows) out.push(`<tr><td class="mono">${text(r.key)}</td><td>${escapeHtml(r.kind)}</td><td>${r.group === null ? '<span class="muted">—</span>' : text(r.group)}</td><td class="n">${num(r.count)}</td><td class="n">${num(r.failed)}</td><td>${names(r.callers)}</td></tr>`);
  out.push('</tbody></table>', bound(c.addresses));
  out.push(`<h3>Target accounts</h3><p class="muted small">Accounts whose roles a monitored role's sessions assumed, or tried to.</p><table class="top" id="top-targets"><thead><tr><th>account</th><th class="n">calls</th><th class="n">failed</th><th>roles</th></tr></thead><tbody>`);
  for (const r of c.targets.rows) out.push(`<tr><td class="mono">${text(r.key)}</td><td class="n">${num(r.count)}</td><td class="n">${num(r.failed)}</td><td>${names(r.roles)}</td></tr>`);
  out.push('</tbody></table>', bound(c.targets));
  out.push(`<h3>User agents</h3><table class="top" id="top-agents"><thead><tr><th>user agent</th><th class="n">calls</th><th class="n">failed</th><th>callers</th></tr></thead><tbody>`);
  for (const r of c.agents.rows) out.push(`<tr><td class="mono">${text(r.key)}</td><td class="n">${num(r.count)}</td><td class="n">${num(r.failed)}</td><td>${names(r.callers)}</td></tr>`);
  out.push('</tbody></table>', bound(c.agents), '</section>');
  return out.join('\n');
}

function methodSection(c: Collected, config: CompiledConfig): string {
  return `<section id="method"><h2>How this page is computed</h2><ul>
<li><b>Calls per window</b> are counted from the calls replay hands over after each batch, each event once per batch (both copies of a cross-account call are one), in fixed ${config.volumeWindowMinutes}-minute windows. The sliding count is call-volume's: the calls so far in the window plus the previous window's calls times the share of it still inside the sliding window, its highest value in each window.</li>
<li><b>The spike line</b> ${c.spikeLine ? 'is read from the state call-volume itself keeps in its what-if run with the configuration as given (the ×1 column): the busiest window of each of the previous 7 UTC days (capped at the limits, as call-volume records it, so a burst does not raise its own baseline), times <code>volumeSpikeFactor</code>, and at least <code>volumeSpikeMinCalls</code> − 0.5; absent until the role has been seen for <code>learningPeriodDays</code>. It is sampled after each batch, so a window shows the value its later calls were judged by' : 'is not drawn: call-volume is turned off'}.</li>
<li><b>What if</b>: each threshold detector runs again beside the replay, alone, over the same batches in the same order, with the same clock, each variant with its own in-memory state and alert ledger, so a variant decides exactly as the detector would have with that value, its learned baselines included (they learn from what the variant saw). Alerts are counted after folding, suppression (<code>suppressionMinutes</code>), severity floors and exceptions, as the replay counts them. The runs start from an empty store: replayed into a DynamoDB table that already held state, the ×1 column may differ from the replay's count (the page says so). Values are rounded to what the key takes and kept within its range.</li>
<li><b>Top tables</b> keep the busiest 2,000 keys each (the less busy half is dropped when full), attacker-chosen text cut to 300 characters and shown escaped.</li>
</ul></section>`;
}

/** The page's own styles (system fonts only: the page loads nothing). */
const PAGE_CSS = `
:root { color-scheme: light; }
body { margin: 0; color: #1d2329; background: #fff; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1160px; margin: 0 auto; padding: 20px 24px 40px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 1px solid #d8dee4; }
h3 { font-size: 14px; margin: 18px 0 2px; }
p { margin: 6px 0; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; overflow-wrap: anywhere; }
.muted { color: #57606a; }
.small { font-size: 12px; }
.nowrap { white-space: nowrap; }
.warn { background: #fff4e5; border-left: 4px solid #e67e22; padding: 8px 12px; }
.warn-inline { display: block; color: #b35900; font-size: 11px; }
.facts { display: grid; grid-template-columns: 2.2fr 1fr 1fr 1fr 1.2fr; gap: 10px; margin: 12px 0; }
.fact { border: 1px solid #d8dee4; border-radius: 6px; padding: 8px 12px; }
.fact .value { font-size: 20px; font-weight: 600; }
.fact .label { font-weight: 600; }
.fact .detail { color: #57606a; font-size: 12px; }
td.more { color: #b03a2e; } td.fewer { color: #1e7e34; }
table.alerts { table-layout: fixed; }
table.alerts .c-time { width: 160px; } table.alerts .c-sev { width: 76px; } table.alerts .c-det { width: 120px; }
table.alerts .c-caller { width: 230px; } table.alerts .c-addr { width: 130px; } table.alerts .c-acct { width: 112px; }
table.alerts td.caller, table.alerts td.addr { word-break: break-all; }
.chart { margin: 4px 0 12px; }
.key { font-weight: 600; }
.key.ceiling { color: #c0392b; } .key.spike { color: #d35400; } .key.sliding { color: #183a5a; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 4px; font-size: 13px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eaeef2; vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td small { display: block; color: #57606a; font-size: 11px; }
td.base, th.base { background: #eef3f8; font-weight: 600; }
.sev { display: inline-block; padding: 0 6px; border-radius: 8px; font-size: 11px; font-weight: 600; color: #fff; background: #6e7781; }
.sev-critical { background: #8e1b10; } .sev-high { background: #c0392b; } .sev-medium { background: #d35400; } .sev-low { background: #2a6fb0; }
.u-legend { font-size: 12px; }
`;

/**
 * Draws the charts from the JSON block. It puts no text of the data into the page but the
 * detector ids as chart labels, and uPlot sets labels with textContent.
 */
const CLIENT_SCRIPT = `
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var utc = function (ts) { return uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'); };
  var windowS = data.windowMs / 1000;
  function xs(span, first, n) {
    var out = new Array(n);
    for (var i = 0; i < n; i++) out[i] = (first + i) * span * windowS;
    return out;
  }
  function width(el) { return Math.max(560, Math.min(1110, el.clientWidth || 1110)); }
  function xRange(x, span) {
    return function (u, min, max) {
      var lo = data.range ? Math.min(data.range[0], min) : min;
      var hi = data.range ? Math.max(data.range[1], max + span * windowS) : max + span * windowS;
      return [lo, hi];
    };
  }
  var none = function () { return null; };
  function two(n) { return (n < 10 ? '0' : '') + n; }
  function stamp(ts) {
    var d = new Date(ts * 1e3);
    return d.getUTCFullYear() + '-' + two(d.getUTCMonth() + 1) + '-' + two(d.getUTCDate()) + ' ' + two(d.getUTCHours()) + ':' + two(d.getUTCMinutes()) + 'Z';
  }
  var timeAxis = {
    values: function (u, splits) {
      return splits.map(function (ts, i) {
        var d = new Date(ts * 1e3);
        var hm = two(d.getUTCHours()) + ':' + two(d.getUTCMinutes());
        return i === 0 || hm === '00:00' ? hm + '\\n' + two(d.getUTCMonth() + 1) + '-' + two(d.getUTCDate()) : hm;
      });
    }
  };
  var timeSeries = { value: function (u, ts) { return ts == null ? '--' : stamp(ts); } };
  var Y_AXIS = 130;
  data.volume.forEach(function (v) {
    var el = document.getElementById(v.id);
    var x = xs(v.span, v.first, v.calls.length);
    var ceiling = x.map(function () { return data.ceiling; });
    var marks = v.alerts.map(function (n, i) { return n > 0 ? Math.max(v.calls[i], v.sliding[i]) : null; });
    var step = uPlot.paths.stepped({ align: 1 });
    new uPlot({
      width: width(el),
      height: 260,
      tzDate: utc,
      scales: { x: { time: true, range: xRange(x, v.span) }, y: { range: function (u, min, max) { return [0, Math.max(1, max) * 1.08]; } } },
      axes: [timeAxis, { label: 'calls per window', size: Y_AXIS }],
      series: [
        timeSeries,
        { label: 'calls in the window', stroke: '#2a6fb0', fill: 'rgba(42,111,176,0.35)', width: 1, paths: uPlot.paths.bars({ size: [0.92, 64], align: 1 }), points: { show: false } },
        { label: 'sliding count', stroke: '#183a5a', width: 1.5, paths: step, points: { show: false } },
        { label: 'failed', stroke: '#8c959f', width: 1, paths: step, points: { show: false } },
        { label: 'ceiling', stroke: '#c0392b', width: 2, dash: [8, 4], points: { show: false } },
        { label: 'spike line', stroke: '#d35400', width: 2, dash: [4, 3], paths: step, points: { show: false } },
        { label: 'call-volume alert', stroke: '#c0392b', paths: none, points: { show: true, size: 10, fill: '#c0392b' } }
      ]
    }, [x, v.calls, v.sliding, v.failed, ceiling, v.spike, marks], el);
  });
  var a = data.alerts;
  var alertsEl = document.getElementById(a.id);
  if (alertsEl && a.detectors.length > 0) {
    var palette = ['#c0392b', '#2a6fb0', '#27ae60', '#8e44ad', '#d35400', '#16a085', '#7f8c8d', '#b7950b', '#1f3a93', '#e84393', '#6d4c41', '#2c3e50'];
    var n = a.detectors.length;
    var x = xs(a.span, a.first, a.counts[0].length);
    var series = [timeSeries].concat(a.detectors.map(function (d, i) {
      var color = palette[i % palette.length];
      return {
        label: d, stroke: color, paths: none, points: { show: true, size: 11, fill: color },
        value: function (u, v, si, idx) { if (idx == null || v == null) return '-'; var k = a.counts[i][idx]; return k + (k === 1 ? ' alert' : ' alerts'); }
      };
    }));
    // The first detector on the top row, as in the legend.
    var ys = a.counts.map(function (c, i) { return c.map(function (k) { return k > 0 ? n - i : null; }); });
    new uPlot({
      width: width(alertsEl),
      height: 70 + 24 * n,
      tzDate: utc,
      scales: { x: { time: true, range: xRange(x, a.span) }, y: { range: [0.4, n + 0.6] } },
      axes: [timeAxis, {
        size: Y_AXIS,
        splits: function () { return a.detectors.map(function (_, i) { return i + 1; }); },
        values: function (u, splits) { return splits.map(function (s) { return a.detectors[n - s] || ''; }); }
      }],
      series: series
    }, [x].concat(ys), alertsEl);
  }
})();
`;
