/**
 * `npm run docs`: renders the generated blocks of README.md and docs/*.md, between
 * `<!-- generated:NAME -->` and `<!-- /generated:NAME -->` markers, from the code — the detector
 * registry (the full table in docs/detectors.md, the one-line summary in the README),
 * CONFIG_KEYS and DEPLOY_KEYS (docs/configuration.md) — and the README's benchmark summary from
 * the block `npm run bench` writes in docs/performance.md. `--check` fails when a file is stale
 * instead of writing it. The bench block itself is only checked here: its figures come from a
 * run, not from the code (the bench writes it with {@link writeBenchRun}).
 */
import { attackMapping, describeAttack } from '../lambdas/core/attack';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DETECTORS } from '../lambdas/detectors';
import { CONFIG_KEYS } from '../lambdas/core/config';
import { DEPLOY_KEYS } from '../lib/config';
import { publishedRecord } from '../lambdas/delivery/alert-record';
import { toAsff } from '../lambdas/delivery/asff';
import { toChatNotification } from '../lambdas/delivery/chat';
import { toEmailText, toSubject } from '../lambdas/delivery/email';
import { renderEvent } from '../lambdas/delivery/eventbridge-publisher';
import { toOcsf } from '../lambdas/delivery/ocsf';
import type { Alert } from '../lambdas/engine/alerts';
import { commandHelp } from '../cli/args';
import { GENERATE_COMMAND } from '../cli/generate/command';
import { programHelp, REPLAY_COMMAND } from '../cli/main';
import { CHECK_ROLE_COMMAND } from '../cli/check-role';
import { SENSITIVE_ACTIONS } from '../cli/check-role/actions';
import { MANAGED_POLICIES } from '../cli/check-role/managed-policies';
import { RULES as CHECK_ROLE_RULES } from '../cli/check-role/rules';

/** The demo alert docs/alerts.md shows in every format (test/alert-formats.test.ts checks the demo still raises it). */
export const SAMPLE_ALERT_FILE = 'docs/sample-alert.json';

/** The README's CDK app: the one test/package.test.ts installs the packed package into and synthesizes. */
export const PACKAGE_APP_FILE = 'test/package-app/app.ts';

const ROOT = join(__dirname, '..');

/** The page the bench writes, and the name of its block there. */
export const BENCH_PAGE = 'docs/performance.md';
const BENCH_BLOCK = 'bench';

/** Which file holds each block rendered from the code (paths relative to the repository). */
const BLOCK_FILES: Readonly<Record<string, string>> = {
  'detector-summary': 'README.md',
  'bench-summary': 'README.md',
  detectors: 'docs/detectors.md',
  config: 'docs/configuration.md',
  'deploy-config': 'docs/configuration.md',
  'alert-formats': 'docs/alerts.md',
  'cli-help': 'README.md',
  'package-app': 'README.md',
  'replay-help': 'docs/replay.md',
  'check-role-help': 'docs/check-role.md',
  'check-role-rules': 'docs/check-role.md',
  'check-role-managed': 'docs/check-role.md',
  'check-role-sensitive': 'docs/check-role.md',
};

/** One figure the bench reports; `pass` is null when the figure has no target. */
export interface BenchRow {
  readonly section: string;
  readonly figure: string;
  readonly target: string;
  readonly pass: boolean | null;
}

/** A full bench run as the performance page records it. */
export interface BenchRun {
  /** The day the run started, `YYYY-MM-DD`. */
  readonly date: string;
  /** `process.version` of the run. */
  readonly node: string;
  readonly cpus: number;
  readonly rows: readonly BenchRow[];
}

function cell(text: string): string {
  return text.replace(/\s+/g, ' ').trim().replace(/\|/g, '\\|');
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

const verdict = (pass: boolean | null): string => (pass === null ? '—' : pass ? 'PASS' : 'MISS');

function tally(rows: readonly BenchRow[]): string {
  const met = rows.filter((r) => r.pass === true).length;
  const missed = rows.filter((r) => r.pass === false).length;
  return `${met} targets met, ${missed} missed`;
}

/** The bench block's text for a run: a header line (date, Node, CPUs, verdict count) and the figures. */
export function renderBenchBlock(run: BenchRun): string {
  const header = `Full run of \`npm run bench\` (no \`--quick\`, no \`--only\`) on ${run.date}, Node ${run.node}, ${run.cpus} CPUs: ${tally(run.rows)}.`;
  const rows = run.rows.map((r) => [cell(r.section), cell(r.figure), r.target ? cell(r.target) : '—', verdict(r.pass)]);
  return `${header}\n\n${table(['what', 'figure', 'target', 'verdict'], rows)}`;
}

const BENCH_HEADER = /^Full run of `npm run bench` \(no `--quick`, no `--only`\) on (\d{4}-\d{2}-\d{2}), Node (\S+), (\d+) CPUs: \d+ targets met, \d+ missed\.$/;

/** Reads a bench block back; throws, saying what is wrong, when it is not in the bench's format. */
export function parseBenchBlock(body: string): BenchRun {
  const lines = body.split('\n');
  const head = BENCH_HEADER.exec(lines[0] ?? '');
  if (!head) throw new Error(`the bench block's first line is not the bench's header: ${JSON.stringify(lines[0])}`);
  if (lines[1] !== '' || lines[2] !== '| what | figure | target | verdict |' || lines[3] !== '|---|---|---|---|') {
    throw new Error('the bench block has no "| what | figure | target | verdict |" table after its header');
  }
  const rows = lines.slice(4).map((line, i): BenchRow => {
    const cells = line.startsWith('| ') && line.endsWith(' |') ? line.slice(2, -2).split(' | ') : [];
    const [section, figure, target, mark] = cells.map((c) => c.replace(/\\\|/g, '|'));
    if (cells.length !== 4 || !section || !figure || !['PASS', 'MISS', '—'].includes(mark!) || (target === '—') !== (mark === '—')) {
      throw new Error(`bench row ${i + 1} is not "| what | figure | target | PASS, MISS or — |" (— for both when there is no target): ${line}`);
    }
    return { section, figure, target: target === '—' ? '' : target!, pass: mark === '—' ? null : mark === 'PASS' };
  });
  if (rows.length === 0) throw new Error('the bench block has no figures');
  return { date: head[1]!, node: head[2]!, cpus: Number(head[3]), rows };
}

/** README's short form of a run: the figures with a target, each up to its first parenthesis. */
function benchSummary(run: BenchRun): string {
  const rows = run.rows.filter((r) => r.pass !== null).map((r) => [cell(r.section), cell(r.figure.replace(/ \(.*$/, '')), cell(r.target), verdict(r.pass)]);
  return [
    `Full run of ${run.date} (Node ${run.node}, ${run.cpus} CPUs): ${tally(run.rows)}. Every figure, how it is measured, what bounds it and what was tried: [docs/performance.md](docs/performance.md).`,
    '',
    table(['what', 'figure', 'target', 'verdict'], rows),
  ].join('\n');
}

function markerPattern(name: string): RegExp {
  const n = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`(<!-- generated:${n} -->)\\n?([\\s\\S]*?)\\n?(<!-- /generated:${n} -->)`);
}

/** The names of a text's generated blocks, in order; throws on an unclosed, stray or repeated marker. */
export function blockNames(text: string, file = 'the text'): string[] {
  const names: string[] = [];
  let open: string | null = null;
  for (const m of text.matchAll(/<!-- (\/?)generated:([\w-]+) -->/g)) {
    const [, close, name] = m;
    if (!close) {
      if (open) throw new Error(`${file}: generated:${name} opens inside generated:${open}`);
      if (names.includes(name!)) throw new Error(`${file}: generated:${name} appears twice`);
      open = name!;
      names.push(name!);
    } else if (open !== name) {
      throw new Error(`${file}: /generated:${name} closes ${open ? `generated:${open}` : 'nothing'}`);
    } else {
      open = null;
    }
  }
  if (open) throw new Error(`${file}: generated:${open} is never closed`);
  return names;
}

/** The body of one generated block (without its markers), or null when the text has none. */
export function blockBody(text: string, name: string): string | null {
  const m = markerPattern(name).exec(text);
  return m ? m[2]! : null;
}

function replaceBlock(text: string, name: string, body: string): string {
  return text.replace(markerPattern(name), (_m, open: string, _old: string, close: string) => `${open}\n${body}\n${close}`);
}

/** The markdown files whose blocks are generated and whose links are checked: README.md and docs/*.md. */
export function docFiles(root = ROOT): string[] {
  const docs = readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`);
  return ['README.md', ...docs];
}

/** Every block rendered from the code (and the README's bench summary from the performance page), by name. */
export function generatedSections(root = ROOT): Record<string, string> {
  const techniques = (d: (typeof DETECTORS)[number]): string => d.attack.map((a) => a.technique).join(', ');
  const attack = (d: (typeof DETECTORS)[number]): string => `${describeAttack(d.attack.map(attackMapping)).join('; ')}. ${d.attackRationale}`;
  const detectors = table(
    ['id', 'severity', 'fires when', 'ATT&CK, and why', 'runbook'],
    DETECTORS.map((d) => [`\`${d.id}\``, d.severity, cell(d.description), cell(attack(d)), cell(d.runbook)]),
  );
  const detectorSummary = table(
    ['id', 'severity', 'alerts on', 'ATT&CK'],
    DETECTORS.map((d) => [`\`${d.id}\``, d.severity, cell(d.title), techniques(d)]),
  );
  const range = (k: { min?: number; max?: number }): string => (k.min !== undefined ? ` Range ${k.min}–${k.max}.` : '');
  const config = table(
    ['key', 'type', 'default', 'meaning'],
    CONFIG_KEYS.map((k) => [`\`${k.name}\``, cell(k.type), k.required ? '*required*' : `\`${JSON.stringify(k.default)}\``, `${cell(k.description)}${range(k)}`]),
  );
  const deployConfig = table(
    ['key', 'type', 'default', 'meaning'],
    DEPLOY_KEYS.map((k) => [`\`${k.name}\``, cell(k.type), k.defaultText ? cell(k.defaultText) : `\`${JSON.stringify(k.default)}\``, `${cell(k.description)}${range(k)}`]),
  );
  const sample = JSON.parse(readFileSync(join(root, SAMPLE_ALERT_FILE), 'utf8')) as Alert;
  const benchBody = blockBody(readFileSync(join(root, BENCH_PAGE), 'utf8'), BENCH_BLOCK);
  if (benchBody === null) throw new Error(`${BENCH_PAGE} has no <!-- generated:${BENCH_BLOCK} --> block`);
  return {
    'detector-summary': detectorSummary,
    'bench-summary': benchSummary(parseBenchBlock(benchBody)),
    detectors,
    config,
    'deploy-config': deployConfig,
    'alert-formats': alertFormats(sample),
    // What `--help` prints, from the same declarations the parser reads (test/cli.test.ts compares them).
    'cli-help': ['```text', programHelp(), '```'].join('\n'),
    // The code test/package.test.ts runs against the packed package, as it is.
    'package-app': ['```ts', readFileSync(join(root, PACKAGE_APP_FILE), 'utf8').trimEnd(), '```'].join('\n'),
    'replay-help': ['```text', commandHelp('assumerole-watch', REPLAY_COMMAND), '', commandHelp('assumerole-watch', GENERATE_COMMAND), '```'].join('\n'),
    ...checkRoleSections(),
  };
}

/** check-role's page: its help, and its rule, managed-policy and sensitive-action tables, from the lint's own lists. */
function checkRoleSections(): Record<string, string> {
  return {
    'check-role-help': ['```text', commandHelp('assumerole-watch', CHECK_ROLE_COMMAND), '```'].join('\n'),
    'check-role-rules': table(
      ['id', 'severity', 'fires when', 'why', 'fix'],
      CHECK_ROLE_RULES.map((r) => [`\`${r.id}\``, r.severity, cell(r.description), cell(r.why), cell(r.fix)]),
    ),
    'check-role-managed': table(
      ['policy', 'severity', 'grants, beyond configuration', 'read from'],
      MANAGED_POLICIES.map((p) => [`\`${p.name}\``, p.severity, cell(`${p.grants} (${p.sensitive.map((a) => `\`${a}\``).join(', ')})`), p.version]),
    ),
    'check-role-sensitive': table(
      ['kind', 'actions'],
      Object.entries(SENSITIVE_ACTIONS).map(([kind, actions]) => [kind, actions.map((a) => `\`${a}\``).join(', ')]),
    ),
  };
}

/** A JSON code block. */
function jsonBlock(value: unknown): string {
  return ['```json', JSON.stringify(value, null, 2), '```'].join('\n');
}

/**
 * One alert in every rendering the destinations send, each produced by the code that sends it:
 * the alert record (SNS queues and HTTPS, EventBridge `detail`, `replay --format json`), the
 * EventBridge entry, the OCSF Detection Finding, the Security Hub finding (`UpdatedAt` fixed at
 * the last event so the page does not change by itself), the chat notification and the e-mail.
 */
function alertFormats(alert: Alert): string {
  const last = Math.max(...alert.evidence.eventTimes.map((t) => Date.parse(t)));
  const entry = renderEvent(alert, 'default').entry;
  const event = { ...entry, Detail: JSON.parse(entry.Detail!) as unknown };
  return [
    `The demo's \`${alert.detector}\` alert (\`alertId\` \`${alert.alertId}\`).`,
    '',
    '### Alert record (SNS `default`, EventBridge `detail`, `replay --format json`)',
    '',
    jsonBlock(publishedRecord(alert)),
    '',
    '### EventBridge entry (`PutEvents`)',
    '',
    jsonBlock(event),
    '',
    '### OCSF Detection Finding (`--format ocsf`, or the EventBridge `detail` with `alertEventDetail` `ocsf`)',
    '',
    jsonBlock(toOcsf(alert)),
    '',
    '### Security Hub finding (ASFF, `--format asff`)',
    '',
    jsonBlock(toAsff(alert, { accountId: '210987654321', region: alert.evidence.awsRegion }, { now: last })),
    '',
    '### Chat notification (Amazon Q Developer in chat applications)',
    '',
    jsonBlock(toChatNotification(alert)),
    '',
    '### E-mail',
    '',
    '```text',
    `Subject: ${toSubject(alert)}`,
    '',
    toEmailText(alert),
    '```',
  ].join('\n');
}

/**
 * A doc file with every generated block rendered. Throws when the file lacks a block it should
 * hold, holds one that belongs elsewhere or that nothing generates, or its bench block is not in
 * the bench's format.
 */
export function renderDoc(file: string, text: string, sections: Readonly<Record<string, string>>): string {
  const present = blockNames(text, file);
  const expected = Object.keys(BLOCK_FILES).filter((name) => BLOCK_FILES[name] === file);
  if (file === BENCH_PAGE) expected.push(BENCH_BLOCK);
  const missing = expected.filter((name) => !present.includes(name));
  if (missing.length > 0) throw new Error(`${file} has no ${missing.map((n) => `<!-- generated:${n} --> … <!-- /generated:${n} -->`).join(', ')} block`);
  let out = text;
  for (const name of present) {
    if (!expected.includes(name)) {
      const home = name === BENCH_BLOCK ? BENCH_PAGE : BLOCK_FILES[name];
      throw new Error(`${file}: nothing generates a "${name}" block here${home ? ` (it belongs in ${home})` : ''}`);
    }
    if (name === BENCH_BLOCK) {
      const body = blockBody(out, name)!;
      const run = parseBenchBlock(body);
      if (renderBenchBlock(run) !== body) throw new Error(`${file}: the bench block is not exactly as the bench writes it (run \`npm run bench\`, or match renderBenchBlock)`);
      continue;
    }
    out = replaceBlock(out, name, sections[name]!);
  }
  return out;
}

/** Each doc file that `npm run docs` would change, with its current and rendered text. */
export function staleDocs(root = ROOT): { file: string; current: string; next: string }[] {
  const sections = generatedSections(root);
  return docFiles(root)
    .map((file) => {
      const current = readFileSync(join(root, file), 'utf8');
      return { file, current, next: renderDoc(file, current, sections) };
    })
    .filter((d) => d.next !== d.current);
}

/**
 * Records a full bench run: its block in the performance page, then the README's summary of it.
 * The bench calls this; partial runs (`--quick`, `--only`) do not.
 */
export function writeBenchRun(run: BenchRun, root = ROOT): void {
  const page = join(root, BENCH_PAGE);
  const text = readFileSync(page, 'utf8');
  if (blockBody(text, BENCH_BLOCK) === null) throw new Error(`${BENCH_PAGE} has no <!-- generated:${BENCH_BLOCK} --> block`);
  writeFileSync(page, replaceBlock(text, BENCH_BLOCK, renderBenchBlock(run)));
  const readme = join(root, 'README.md');
  const current = readFileSync(readme, 'utf8');
  const next = replaceBlock(current, 'bench-summary', generatedSections(root)['bench-summary']!);
  if (next !== current) writeFileSync(readme, next);
}

if (require.main === module) {
  const stale = staleDocs();
  if (process.argv.includes('--check')) {
    if (stale.length > 0) {
      process.stderr.write(`out of date: ${stale.map((d) => d.file).join(', ')}: run \`npm run docs\`\n`);
      process.exit(1);
    }
  } else {
    for (const d of stale) {
      writeFileSync(join(ROOT, d.file), d.next);
      process.stderr.write(`${d.file} updated\n`);
    }
  }
}
