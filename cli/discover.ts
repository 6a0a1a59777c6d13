/**
 * `assumerole-watch discover`: day one for a vendor. Reads a period of the bastion account's
 * CloudTrail logs (the inputs replay reads, through the same reader) and proposes the detection
 * keys few people at a vendor know by heart: the outbound roles, who assumes them, from where,
 * through which regions, under which session names, how many calls a window holds. Each value
 * comes with its evidence (a Markdown document of tables), and what looks like an incident in
 * the period (a person in the outbound role, an address outside AWS, a one-off caller, a rare
 * name or region, a burst, probing) is listed apart under "Left out — review", never proposed.
 * The proposal is then replayed over the same period (the back-test), so the vendor sees what it
 * would have raised: its thresholds keep the normal traffic quiet.
 */
import { CONFIG_KEYS, loadConfig, type CompiledConfig } from '../lambdas/core/config';
import type { Alert } from '../lambdas/engine/alerts';
import type { Clock } from '../lambdas/engine/engine';
import { MemoryLedger } from '../lambdas/state/memory-ledger';
import { MemoryStore } from '../lambdas/state/memory-store';
import { proposeCidrs, type AddressUse } from './discover/addresses';
import { Collector, type AddressSeen } from './discover/collect';
import { code, count, day, table, text, when } from './discover/markdown';
import { peopleSection, proposeCallers, proposeExternalIds, proposeRoles } from './discover/roles';
import { Seen } from './discover/seen';
import { leftOutSection, periodOf, type LeftOut, type Period, type Section } from './discover/section';
import { proposeRegions, proposeSessionNames } from './discover/usage';
import { MARGIN, proposeVolume, type Windows } from './discover/volume';
import { DEFAULT_INPUT_LIMITS, type UnreadableInput } from './inputs';
import { replay, type ReplayOptions } from './replay';

/** What to read, as replay takes it: paths (files, directories, `-`, `s3://`), the days, the S3 endpoint, the limits. */
export type DiscoverInput = Pick<ReplayOptions, 'paths' | 'limits' | 'from' | 'to' | 's3Endpoint' | 's3Region'>;

/** What `discover` reads and how it counts. */
export interface DiscoverOptions extends DiscoverInput {
  /** The wall clock, read once: records later than it (plus a day) are rejected, as replay does. @default the system clock */
  readonly wallClock?: Clock;
  /** call-volume's window (minutes) the volume is counted in; proposed as `volumeWindowMinutes` when not 60. @default 60 */
  readonly volumeWindowMinutes?: number;
  /** failed-assume's window (minutes) denied calls are counted in. @default 15 */
  readonly failedAssumeWindowMinutes?: number;
  /** The learning period the learned spikes are replayed with (the engine's `learningPeriodDays`). @default 7 */
  readonly learningPeriodDays?: number;
  /**
   * Replay the proposal over the same inputs and report its alerts in the evidence. Never for
   * stdin, which is read once. @default true
   */
  readonly backtest?: boolean;
}

/** What `discover` found. */
export interface DiscoverResult {
  /** Detection keys, as `replay --config` and `cdk.json`'s context take them; `{}` when nothing was found to propose. */
  readonly config: Record<string, unknown>;
  /** Why each value, and what was left out: Markdown. */
  readonly evidence: string;
  /** A few lines for stderr. */
  readonly summary: string[];
  /** `proposed`, or `no-outbound-role`: no role in the logs assumed a role in another account; nothing is proposed. */
  readonly outcome: 'proposed' | 'no-outbound-role';
  /** Records read, and those the parser rejected. */
  readonly records: number;
  readonly rejected: number;
  /** Inputs that could not be read (the CLI exits 2 when there are any, as replay does). */
  readonly unreadable: readonly UnreadableInput[];
  /** The back-test's alerts by detector, or null when it was not run. */
  readonly backtest: { readonly alerts: number; readonly byDetector: Readonly<Record<string, number>> } | null;
}

/** A role ARN no account has: `loadConfig` needs a monitored role; reading needs none, and the collector only the human-role rules. */
const NO_ROLE = 'arn:aws:iam::000000000000:role/assumerole-watch-discover';

/**
 * A configuration that monitors no role: replay then only reads and orders the inputs (its
 * engine selects nothing) and hands every parsed call over; the collector reads only its
 * human-role rule (IAM Identity Center roles are people).
 */
const READ_ONLY = loadConfig({ monitoredRoleArns: [NO_ROLE] });

/** The engine's default `learningPeriodDays` (CONFIG_KEYS): the proposal leaves it out when it is this. */
const DEFAULT_LEARNING_DAYS = 7;

/** Reads the inputs and proposes a configuration, with its evidence. */
export async function discover(options: DiscoverOptions): Promise<DiscoverResult> {
  const started = Date.now();
  const wallNow = options.wallClock?.now() ?? Date.now();
  const windows: Windows = {
    volumeWindowMinutes: options.volumeWindowMinutes ?? 60,
    failedAssumeWindowMinutes: options.failedAssumeWindowMinutes ?? 15,
    learningPeriodDays: options.learningPeriodDays ?? DEFAULT_LEARNING_DAYS,
  };
  const collector = new Collector(READ_ONLY);
  const read = await readAll(options, collector, wallNow);
  const inputLine = `read ${count(read.records)} records in ${count(read.files)} input${read.files === 1 ? '' : 's'}${read.rejected > 0 ? ` (${count(read.rejected)} rejected)` : ''}${read.unreadable.length > 0 ? `, ${read.unreadable.length} unreadable` : ''}${read.skipped > 0 ? `, ${read.skipped} skipped (not CloudTrail)` : ''}`;
  const base = { records: read.records, rejected: read.rejected, unreadable: read.unreadable };
  if (collector.assumeCalls === 0 && collector.sessionCalls === 0) return nothing(base, inputLine, 'the logs hold no AssumeRole call and no call by a role session', null);
  const period = periodOf(collector.first, collector.last);
  const roles = proposeRoles(collector, period);
  if (roles.monitored.length === 0) {
    const why = roles.leftOut.length > 0 ? `the ${roles.leftOut.length} role${roles.leftOut.length === 1 ? '' : 's'} whose sessions assumed roles in other accounts did not do so as an outbound role does, and ${roles.leftOut.length === 1 ? 'is' : 'are'} left out (see below)` : `no role session assumed a role in another account in ${count(collector.assumeCalls)} AssumeRole calls`;
    return nothing(base, inputLine, why, roles);
  }
  const sections: Section[] = [
    roles,
    proposeCallers(collector, roles, period),
    proposeCidrs(addressUses(collector, roles.monitored.map((r) => r.arn)), period),
    proposeRegions(collector, roles.monitored, period),
    proposeSessionNames(collector, roles.monitored, period),
    proposeVolume(collector, roles.monitored, windows, period),
    proposeExternalIds(roles, period),
    peopleSection(collector, roles),
  ];
  const config = inKeyOrder({ ...Object.assign({}, ...sections.map((s) => s.config)), ...(windows.learningPeriodDays !== DEFAULT_LEARNING_DAYS ? { learningPeriodDays: windows.learningPeriodDays } : {}) });
  // Checked as replay will read it: a proposal the engine refuses is a bug here, not the vendor's.
  const compiled = loadConfig(config);
  const leftOut = sections.flatMap((s) => s.leftOut);
  const stdin = options.paths.includes('-');
  const backtest = (options.backtest ?? true) && !stdin ? await backtestOf(options, compiled, wallNow) : null;
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const evidence = [
    header(collector, period, read),
    `## Proposed configuration\n\nDetection keys for \`replay --config\` or \`cdk.json\`'s \`context\`; keys not listed keep their defaults (\`learningPeriodDays\` ${windows.learningPeriodDays}, \`suppressionMinutes\` 60, \`minAlertSeverity\` medium). Every value comes from the tables below; read them, and "Left out — review", before deploying.\n\n\`\`\`json\n${JSON.stringify(config, null, 2)}\n\`\`\`\n`,
    leftOutSection(leftOut),
    ...sections.map((s) => s.markdown),
    backtestSection(backtest, stdin),
  ].join('\n');
  const summary = [
    `discover: ${inputLine}, ${day(period.first)} to ${day(period.last)} (${period.days} day${period.days === 1 ? '' : 's'}), in ${seconds} s`,
    ...sections.flatMap((s) => (s.summary ? [`discover: ${s.summary}`] : [])),
    `discover: left out for review: ${leftOut.length === 0 ? 'nothing' : `${leftOut.length} (${summarise(leftOut)})`}`,
    backtest ? `discover: back-test over the same logs: ${backtest.length} alert${backtest.length === 1 ? '' : 's'}${backtest.length > 0 ? ` (${Object.entries(byDetector(backtest)).map(([d, n]) => `${d} ${n}`).join(', ')})` : ''}` : `discover: no back-test (${stdin ? 'stdin is read once' : 'turned off'})`,
  ];
  return { config, evidence, summary, outcome: 'proposed', ...base, backtest: backtest ? { alerts: backtest.length, byDetector: byDetector(backtest) } : null };
}

/** What reading the inputs gave. */
interface ReadTotals {
  readonly files: number;
  readonly records: number;
  readonly rejected: number;
  readonly ignored: number;
  readonly unreadable: readonly UnreadableInput[];
  readonly skipped: number;
  readonly seconds: number;
}

/**
 * Reads every input through replay's own reader (files, directories, stdin, S3, the days asked
 * for, in event-time order, a reader thread from 64 files) with no detector and a configuration
 * that monitors nothing, collecting each parsed call as replay hands it over.
 */
async function readAll(options: DiscoverOptions, collector: Collector, wallNow: number): Promise<ReadTotals> {
  const started = Date.now();
  const report = await replay({
    ...inputOptions(options),
    config: READ_ONLY,
    detectors: [],
    ports: { state: new MemoryStore(), ledger: new MemoryLedger() },
    wallClock: { now: () => wallNow },
    onCalls: (calls) => {
      for (const call of calls) collector.add(call);
    },
  });
  const parsed = collector.assumeCalls + collector.sessionCalls + collector.duplicates;
  return {
    files: report.files,
    records: report.records,
    rejected: report.rejectedTotal,
    ignored: report.records - report.rejectedTotal - parsed,
    unreadable: report.unreadable,
    skipped: report.skippedTotal,
    seconds: (Date.now() - started) / 1000,
  };
}

/** The options that say what to read, as replay takes them. */
function inputOptions(options: DiscoverOptions): DiscoverInput {
  const { paths, limits, from, to, s3Endpoint, s3Region } = options;
  return { paths, limits: limits ?? DEFAULT_INPUT_LIMITS, from, to, s3Endpoint, s3Region };
}

/** Where the monitored roles were assumed from, and where their sessions called from. */
function addressUses(c: Collector, roles: readonly string[]): AddressUse[] {
  const byText = new Map<string, AddressUse>();
  const add = (text: string, use: string, a: AddressSeen): void => {
    let u = byText.get(text);
    if (!u) byText.set(text, (u = { text, seen: new Seen(), regions: new Set(), uses: new Set() }));
    u.seen.merge(a.seen);
    for (const r of a.regions) u.regions.add(r);
    u.uses.add(use);
  };
  for (const arn of roles) {
    const name = arn.slice(arn.lastIndexOf('/') + 1);
    for (const [text, a] of c.into.get(arn)?.addresses.items ?? []) add(text, `into ${name}`, a);
    for (const [text, a] of c.out.get(arn)?.addresses.items ?? []) add(text, `session of ${name}`, a);
  }
  return [...byText.values()];
}

/** The configuration's keys in the order the configuration table lists them. */
function inKeyOrder(config: Record<string, unknown>): Record<string, unknown> {
  const order = CONFIG_KEYS.map((k) => k.name as string);
  return Object.fromEntries(Object.entries(config).sort(([x], [y]) => order.indexOf(x) - order.indexOf(y)));
}

/** The evidence's opening: what was read. */
function header(c: Collector, period: Period, read: ReadTotals): string {
  const accounts = [...new Set([...c.out.values()].map((r) => r.account).filter((a) => a !== null))].sort();
  const unreadable = read.unreadable.length > 0 ? `\n\n**${read.unreadable.length} inputs could not be read** (what they hold is missing from every figure below):\n\n${table(['input', 'reason'], read.unreadable.slice(0, 50).map((u) => [code(u.path, 300), code(u.reason, 300)]))}` : '';
  const short = period.days < 14 ? `\n\n**A short period.** The proposal is only as good as the traffic it saw: ${period.days} day${period.days === 1 ? '' : 's'} may miss weekly work, and the learned spikes cannot be checked before the learning period is over. Two weeks or more is better.` : '';
  return `# assumerole-watch discover: a proposed configuration\n\nRead ${count(read.records)} records in ${count(read.files)} input${read.files === 1 ? '' : 's'} in ${read.seconds.toFixed(1)} s: ${count(c.assumeCalls)} AssumeRole calls, ${count(c.sessionCalls)} other calls by role sessions, ${count(read.ignored)} other records (not read further), ${count(c.duplicates)} duplicate deliveries, ${count(read.rejected)} rejected${read.skipped > 0 ? `, ${count(read.skipped)} inputs skipped (not CloudTrail)` : ''}. The period: ${when(period.first)} to ${when(period.last)} UTC, ${period.days} day${period.days === 1 ? '' : 's'}. Accounts of the role sessions: ${accounts.map((a) => code(a)).join(', ') || '_none_'}.${short}${unreadable}\n`;
}

/** The result when there is nothing to propose: no outbound role. */
function nothing(base: Pick<DiscoverResult, 'records' | 'rejected' | 'unreadable'>, inputLine: string, why: string, roles: Section | null): DiscoverResult {
  const evidence = [
    `# assumerole-watch discover: no proposal\n\nNo outbound integration role was found, so nothing is proposed: ${why}.\n\nAn outbound role is one whose sessions assume roles in other accounts (the customers'). Check that the logs are the bastion account's (where the outbound role lives), that the trail logs read management events (AssumeRole is a read-only event), and that the period covers the backend's work. Then run discover again, or write \`monitoredRoleArns\` by hand.\n`,
    // Roles that did assume into other accounts, but not as an outbound role does: why each was left out.
    ...(roles && roles.leftOut.length > 0 ? [leftOutSection(roles.leftOut), roles.markdown] : []),
  ].join('\n');
  return { config: {}, evidence, summary: [`discover: ${inputLine}`, `discover: no outbound role found, nothing proposed: ${why}`], outcome: 'no-outbound-role', ...base, backtest: null };
}

/** Replays the proposal over the same inputs, with the engine's in-memory store, as replay does. */
async function backtestOf(options: DiscoverOptions, config: CompiledConfig, wallNow: number): Promise<Alert[]> {
  const alerts: Alert[] = [];
  await replay({ ...inputOptions(options), config, ports: { state: new MemoryStore(), ledger: new MemoryLedger() }, onAlert: (a) => alerts.push(a), wallClock: { now: () => wallNow } });
  return alerts;
}

function byDetector(alerts: readonly Alert[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of alerts) out[a.detector] = (out[a.detector] ?? 0) + 1;
  return out;
}

/** Most back-test alerts listed one by one. */
const MAX_BACKTEST_ROWS = 200;

function backtestSection(alerts: readonly Alert[] | null, stdin: boolean): string {
  if (alerts === null) return `## Back-test\n\nNot run: ${stdin ? 'stdin is read once' : 'it was turned off'}. Run \`replay --config\` with the proposal over the same logs to see what it raises.\n`;
  const rows = alerts.slice(0, MAX_BACKTEST_ROWS).map((a) => [a.evidence.eventTimes[0] ? code(a.evidence.eventTimes[0]) : '-', a.severity, code(a.detector), text(a.title)]);
  const more = alerts.length > MAX_BACKTEST_ROWS ? `\n… and ${count(alerts.length - MAX_BACKTEST_ROWS)} more.\n` : '';
  return `## Back-test\n\nThe proposal, replayed over the same logs with a fresh in-memory store (so the first ${'learning period'} is learned again): ${alerts.length === 0 ? 'no alert. The normal traffic of the period stays quiet.' : `${alerts.length} alert${alerts.length === 1 ? '' : 's'}. Each is what the deployed proposal would raise on traffic like the period's: an incident left out above, a benign change the engine cannot tell from one (an external ID that changed, without a customer registry), or a threshold to look at.`}\n\n${table(['first event', 'severity', 'detector', 'title'], rows, '')}${more}\nThresholds keep a ${MARGIN}× margin over the period's busiest normal traffic.\n`;
}

/** Left-out items counted by kind, for the summary. */
function summarise(items: readonly LeftOut[]): string {
  const counts = new Map<string, number>();
  for (const i of items) counts.set(i.what, (counts.get(i.what) ?? 0) + 1);
  return [...counts.entries()].map(([what, n]) => `${what} ${n}`).join(', ');
}
