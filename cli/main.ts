/**
 * The `assumerole-watch` command line.
 *
 *   assumerole-watch replay <paths...> [--config FILE] [--format text|json|ocsf|asff] [--batch-size N] [--reorder-minutes N] [--max-… N]
 *   assumerole-watch generate <outDir> [--days N] [--customers N] [--seed N] ...
 *   assumerole-watch check-role <template|plan.json|cli-output.json> ... [--vendor-role ARN] [--expected-policy FILE] [--format text|json|sarif]
 *
 * Exit codes: 0 no alerts, 1 alerts, 2 usage error, unreadable input, a bound reached, or an internal error.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CONFIG_KEYS, ConfigError, loadConfig, withAllowedCidrs, withCustomerRegistry, type AllowedCidrGroups, type CompiledConfig } from '../lambdas/core/config';
import { describeCidrGroups, parseCidrSource } from '../lambdas/core/cidr-source';
import type { CompiledException } from '../lambdas/core/detector-settings';
import { describeRegistryLoad, parseCustomerRegistry, type CustomerRegistry } from '../lambdas/core/customer-registry';
import type { StatePorts } from '../lambdas/delivery/batch-runner';
import { MemoryLedger } from '../lambdas/state/memory-ledger';
import { MemoryStore, type MemoryBoundError } from '../lambdas/state/memory-store';
import type { Consumption } from '../lambdas/core/state';
import { printable } from '../lambdas/delivery/format';
import { closest } from '../lambdas/core/config-values';
import { unknownContextKeys } from '../lambdas/core/context-keys';
import { commandHelp, parseCommand, usageLine, UsageError, wholeNumber, type CommandSpec } from './args';
import { ALERT_FORMATS, renderForReplay, type AlertFormat } from './formats';
import { DISCOVER_COMMAND, runDiscover } from './discover/command';
import { CHECK_ROLE_COMMAND, runCheckRole } from './check-role';
import { INPUT_OPTIONS, inputSettings, type InputSettings } from './input-options';
import { GENERATE_COMMAND } from './generate/command';
import { createReport } from './report';
import { DEFAULT_INPUT_LIMITS, MB, readRegularFile } from './inputs';
import { DEFAULT_MAX_REORDER_EVENTS, replay, type ReplayReport } from './replay';

/**
 * State items (sessions, baselines, counters) and alerts the in-memory replay keeps live, each.
 * An item takes about half a kilobyte (measured: 600,000 session items, 330 MB of heap), so a
 * million stays near 0.5 GB, well inside Node's default heap; a bastion account's 13 hours of
 * sessions and its baselines are tens of thousands.
 */
const DEFAULT_MAX_STATE_ITEMS = 1_000_000;

/** A configuration file is a few kilobytes; this only stops `--config /dev/zero` and the like. */
const MAX_CONFIG_BYTES = 16 * MB;

/** The program's name in usage lines. */
const PROGRAM = 'assumerole-watch';

/** `replay`: its options, once, for parsing, `--help` and the README. */
export const REPLAY_COMMAND: CommandSpec = {
  name: 'replay',
  summary: 'Replays CloudTrail logs through every detector and prints the alerts.',
  operands: '<path|dir|-|s3://bucket/prefix/> ...',
  options: {
    config: { type: 'string', short: 'c', value: 'FILE', help: 'a JSON object of detection keys, or a cdk.json (its context); default ./cdk.json' },
    format: { type: 'string', short: 'f', value: 'FORMAT', help: 'text (default), json (the alert record), ocsf (OCSF 1.1.0 Detection Finding) or asff (Security Hub finding); JSON formats print one document a line' },
    json: { type: 'boolean', help: 'short for --format json' },
    strict: { type: 'boolean', help: 'exit 2 when monitoredRoleArns matched no record (a configuration for another account)' },
    report: { type: 'string', value: 'FILE', help: 'also write an HTML report to FILE: calls per window against the limits, alerts over time, what-if tables, top callers (about twice the run time)' },
    'batch-size': { type: 'string', value: 'N', help: 'events per engine batch, as the function\'s SQS batch (default 100)' },
    'reorder-minutes': { type: 'string', value: 'N', help: 'how late in event time a record may arrive and still be put in order (default 60)' },
    store: { type: 'string', value: 'memory|dynamodb', help: 'where state and alert suppression live (default memory)' },
    endpoint: { type: 'string', value: 'URL', help: 'with --store dynamodb: the DynamoDB endpoint (DynamoDB Local)' },
    table: { type: 'string', value: 'NAME', help: 'with --store dynamodb: the table (created when missing)' },
    region: { type: 'string', value: 'REGION', help: 'with --store dynamodb: the table\'s region' },
    ...INPUT_OPTIONS,
    'max-state-items': { type: 'string', value: 'N', help: `live state items, and live alerts, kept in memory (default ${DEFAULT_MAX_STATE_ITEMS})` },
    'max-reorder-events': { type: 'string', value: 'N', help: `calls the reorder buffer holds (default ${DEFAULT_MAX_REORDER_EVENTS})` },
  },
  details: `Input: CloudTrail log files (S3 layout, .json or .json.gz), JSON Lines, EventBridge events;
directories recursively; - for stdin.
Exit codes: 0 no alerts, 1 alerts, 2 usage error, unreadable input, no record read or every record
rejected, a bound reached, or an internal error.`,
};

/** Every command, in the order the help lists them. */
const COMMANDS: readonly CommandSpec[] = [REPLAY_COMMAND, DISCOVER_COMMAND, GENERATE_COMMAND, CHECK_ROLE_COMMAND];

/** The program's help: its commands and how to get each one's. */
export function programHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `usage: ${PROGRAM} <command> [options]`,
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    `${PROGRAM} <command> --help shows a command's options; ${PROGRAM} --version its version.`,
  ].join('\n');
}

/** The package's version (package.json beside the sources, or the compiled ones). */
export function version(): string {
  for (const candidate of [resolve(__dirname, '..', 'package.json'), resolve(__dirname, '..', '..', 'package.json')]) {
    if (!existsSync(candidate)) continue;
    const pkg = JSON.parse(readRegularFile(candidate, MB, 'package.json').toString('utf8')) as { name?: string; version?: string };
    if (pkg.name === 'assumerole-watch' && typeof pkg.version === 'string') return pkg.version;
  }
  return 'unknown';
}

/** Output streams, injectable for tests. */
export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly errIsTty: boolean;
  /** stdout is a terminal: the listing may use colours (unless NO_COLOR is set). @default false */
  readonly outIsTty?: boolean;
}

const defaultIo: Io = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  errIsTty: process.stderr.isTTY === true,
  outIsTty: process.stdout.isTTY === true,
};

/** Runs the CLI; resolves to the exit code. */
export async function main(argv: readonly string[], io: Io = defaultIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === 'replay') return await runReplay(rest, io);
    if (command === 'discover') return await runDiscover(rest, io);
    if (command === 'check-role') return await runCheckRole(rest, io, version());
    if (command === 'generate') {
      if (parseCommand(GENERATE_COMMAND, rest).help) {
        io.out(`${commandHelp(PROGRAM, GENERATE_COMMAND)}\n`);
        return 0;
      }
      const generate = await import('./generate');
      // Usage mistakes are reported here, as replay's are; generate's own checks of the values follow.
      generate.parseArgs(rest);
      return await generate.main([...rest]);
    }
    if (command === '--version' || command === '-V' || command === 'version') {
      io.out(`${PROGRAM} ${version()}\n`);
      return 0;
    }
    if (command === 'help' || command === '--help' || command === '-h') {
      const topic = COMMANDS.find((c) => c.name === rest[0]);
      io.out(`${topic ? commandHelp(PROGRAM, topic) : programHelp()}\n`);
      return 0;
    }
    if (command === undefined) {
      io.err(`${programHelp()}\n`);
      return 2;
    }
    const guess = closest(command, COMMANDS.map((c) => c.name));
    throw new UsageError(`unknown command ${JSON.stringify(command)}${guess ? ` (did you mean ${guess}?)` : ''}`);
  } catch (e) {
    if (e instanceof UsageError) {
      const usage = e.command ? `usage: ${usageLine(PROGRAM, e.command)}\n(${PROGRAM} ${e.command.name} --help for every option)` : programHelp();
      io.err(`${PROGRAM}: ${e.message}\n${usage}\n`);
      return 2;
    }
    if (e instanceof ConfigError) {
      io.err(`${PROGRAM}: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

interface ReplayArgs {
  input: InputSettings;
  configFile: string | null;
  format: AlertFormat;
  strict: boolean;
  report: string | null;
  batchSize: number;
  reorderMinutes: number;
  store: 'memory' | 'dynamodb';
  endpoint: string | null;
  table: string | null;
  region: string | null;
  maxStateItems: number;
  maxReorderEvents: number;
}

/** `replay`'s arguments, checked; null when `--help` was asked for (and printed). */
function parseReplayArgs(args: readonly string[], io: Io): ReplayArgs | null {
  const spec = REPLAY_COMMAND;
  const { values, positionals, help } = parseCommand(spec, args);
  if (help) {
    io.out(`${commandHelp(PROGRAM, spec)}\n`);
    return null;
  }
  const text = (name: string): string | null => (typeof values[name] === 'string' ? (values[name] as string) : null);
  const number = (name: string, fallback: number, max?: number): number => {
    const v = text(name);
    return v === null ? fallback : wholeNumber(name, v, 1, max);
  };
  const format = text('format') ?? (values.json === true ? 'json' : 'text');
  if (!(ALERT_FORMATS as readonly string[]).includes(format)) {
    const guess = closest(format, ALERT_FORMATS);
    throw new UsageError(`--format takes ${ALERT_FORMATS.join(', ')}, got ${JSON.stringify(format)}${guess ? ` (did you mean ${guess}?)` : ''}`, spec);
  }
  if (values.json === true && format !== 'json') throw new UsageError(`--json and --format ${format} disagree; give one`, spec);
  const store = text('store') ?? 'memory';
  if (store !== 'memory' && store !== 'dynamodb') throw new UsageError(`--store takes memory or dynamodb, got ${JSON.stringify(store)}`, spec);
  const parsed: ReplayArgs = {
    input: inputSettings(spec, { values, positionals }),
    configFile: text('config'),
    format: format as AlertFormat,
    strict: values.strict === true,
    report: text('report'),
    batchSize: number('batch-size', 100),
    reorderMinutes: number('reorder-minutes', 60),
    store,
    endpoint: text('endpoint'),
    table: text('table'),
    region: text('region'),
    maxStateItems: number('max-state-items', DEFAULT_MAX_STATE_ITEMS),
    maxReorderEvents: number('max-reorder-events', DEFAULT_MAX_REORDER_EVENTS),
  };
  if (parsed.store === 'dynamodb' && parsed.table === null) throw new UsageError('--store dynamodb needs --table NAME', spec);
  if (parsed.store === 'memory' && (parsed.table !== null || parsed.endpoint !== null)) throw new UsageError('--table and --endpoint go with --store dynamodb', spec);
  return parsed;
}

/**
 * Reads detection keys from a JSON file (a cdk.json's `context` too) or ./cdk.json, with the
 * customer registry it names (a path relative to the file) loaded; `report` receives what the
 * registry load found (malformed lines, accounts two tenants registered, what was loaded).
 */
export function readConfig(configFile: string | null, cwd = process.cwd(), report: (line: string) => void = () => undefined): CompiledConfig {
  const file = configFile ?? (existsSync(`${cwd}/cdk.json`) ? `${cwd}/cdk.json` : null);
  if (file === null) throw new UsageError('no configuration: pass --config FILE, or run where cdk.json holds the context keys');
  let doc: unknown;
  try {
    doc = JSON.parse(readRegularFile(file, MAX_CONFIG_BYTES, 'the most a configuration file may hold').toString('utf8'));
  } catch (e) {
    throw new UsageError(`cannot read configuration ${file}: ${(e as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new UsageError(`${file}: expected a JSON object`);
  const record = doc as Record<string, unknown>;
  if (typeof record.context === 'object' && record.context !== null) {
    // A cdk.json: its context also holds deployment keys and CDK feature flags; any other key is
    // refused, as `cdk synth` refuses it.
    const engineKeys = new Set<string>(CONFIG_KEYS.map((k) => k.name));
    const context = record.context as Record<string, unknown>;
    const unknown = unknownContextKeys(context);
    if (unknown.length > 0) throw new ConfigError(unknown.map((p) => `${file}: ${p}`));
    return withRegistry(loadConfig(Object.fromEntries(Object.entries(context).filter(([k]) => engineKeys.has(k)))), file, report);
  }
  return withRegistry(loadConfig(record), file, report);
}

/** The configuration with the customer registry and the published allow-list it names read from their files. */
function withRegistry(config: CompiledConfig, configFile: string, report: (line: string) => void): CompiledConfig {
  const base = dirname(resolve(configFile));
  const withCidrs = config.allowedCidrsSource === null ? config : withAllowedCidrs(config, readPublishedCidrs(config.allowedCidrsSource, base, report));
  return config.customerRegistry === null ? withCidrs : withCustomerRegistry(withCidrs, readRegistry(config.customerRegistry, base, report));
}

/**
 * Reads the published allow-list for replay, as {@link readRegistry} reads the registry: an S3
 * URL, an unreadable file or one without a single usable entry stops the run (exit 2); bad
 * entries are reported and the rest is used.
 */
function readPublishedCidrs(value: string, base: string, report: (line: string) => void): AllowedCidrGroups {
  const { path, text } = readSourceFile('allowedCidrsSource', value, base, 'the list', 'allowed-cidrs.json');
  const parsed = parseCidrSource(text);
  if (parsed.groups === null) throw new UsageError(`allowedCidrsSource: ${path}: ${parsed.problems.join('; ')}`);
  for (const problem of parsed.problems) report(`allowedCidrsSource: ${path}: ${problem}`);
  report(`published allow-list ${path}: ${describeCidrGroups(parsed.groups)}`);
  return parsed.groups;
}

/**
 * The text of a file a configuration key names (a path relative to the config file). An S3 URL
 * is the Lambda's form: refused, with the command that copies the object down.
 */
function readSourceFile(key: string, value: string, base: string, what: string, example: string): { path: string; text: string } {
  if (value.startsWith('s3://')) {
    throw new UsageError(`${key}: ${value} is an S3 object, which the Lambda reads; replay reads ${what} from a file (a path relative to the config file): copy it down with \`aws s3 cp ${value} ${example}\` and name that file`);
  }
  const path = resolve(base, value);
  try {
    return { path, text: readRegularFile(path, DEFAULT_INPUT_LIMITS.maxFileBytes, `the most a file for ${key} may hold`).toString('utf8') };
  } catch (e) {
    throw new UsageError(`${key}: cannot read ${path}: ${(e as Error).message}`);
  }
}

/**
 * Reads the customer registry for replay. An S3 URL, an unreadable file or one without a single
 * usable line stops the run (exit 2): replaying without the registry the configuration asks for
 * would judge every account differently. Malformed lines are reported and the rest is used.
 */
function readRegistry(value: string, base: string, report: (line: string) => void): CustomerRegistry {
  const { path, text } = readSourceFile('customerRegistry', value, base, 'the registry', 'customer-registry.jsonl');
  const parsed = parseCustomerRegistry(text);
  for (const line of describeRegistryLoad(path, parsed)) report(`customerRegistry: ${line}`);
  const { registry } = parsed;
  if (registry.integrations === 0) throw new UsageError(`customerRegistry: ${path} holds no usable integration line (${parsed.problems.length} malformed): expected JSON Lines of {"tenantId", "accountId", "roleArn", "externalIdSha256": [...]}`);
  report(`customer registry ${path}: ${registry.integrations} integrations in ${registry.accounts.size} accounts`);
  return registry;
}

async function runReplay(args: readonly string[], io: Io): Promise<number> {
  const options = parseReplayArgs(args, io);
  if (options === null) return 0;
  const colour = io.outIsTty === true && !process.env.NO_COLOR;
  if (options.report !== null && !existsSync(dirname(resolve(options.report)))) throw new UsageError(`--report: the folder of ${options.report} does not exist`, REPLAY_COMMAND);
  const config = readConfig(options.configFile, process.cwd(), (line) => io.err(`${line}\n`));
  const dynamo = options.store === 'dynamodb' ? await dynamoPorts(options) : null;
  const ports = dynamo?.ports ?? { state: new MemoryStore({ maxItems: options.maxStateItems }), ledger: new MemoryLedger({ maxAlerts: options.maxStateItems }) };
  const htmlReport = options.report === null ? null : createReport(config, { maxStateItems: options.maxStateItems });
  let progressShown = false;
  if (options.format === 'text') io.out(`${'time'.padEnd(24)}  ${'SEVERITY'.padEnd(8)} ${'detector'.padEnd(18)} title\n`);
  const report = await replay({
    paths: options.input.paths,
    config,
    ports,
    batchSize: options.batchSize,
    reorderMinutes: options.reorderMinutes,
    limits: options.input.limits,
    maxReorderEvents: options.maxReorderEvents,
    ...(options.input.from !== undefined ? { from: options.input.from } : {}),
    ...(options.input.to !== undefined ? { to: options.input.to } : {}),
    ...(options.input.s3Endpoint !== undefined ? { s3Endpoint: options.input.s3Endpoint } : {}),
    ...(options.input.s3Region !== undefined ? { s3Region: options.input.s3Region } : {}),
    onCalls: htmlReport?.hooks.onCalls,
    onAlert: (alert) => {
      htmlReport?.hooks.onAlert(alert);
      if (progressShown) io.err('\r\x1b[K');
      io.out(renderForReplay(alert, options.format, config, colour));
    },
    onProgress: io.errIsTty
      ? (p) => {
          progressShown = true;
          io.err(`\r\x1b[K${p.filesRead}/${p.filesTotal} files, ${p.records} records, ${p.alerts} alerts`);
        }
      : undefined,
  });
  if (progressShown) io.err('\r\x1b[K');
  io.err(summary(report, config.detectorExceptions, Date.now()));
  if (htmlReport !== null) {
    // Written whatever the outcome below: a replay stopped at a bound still gets its page.
    const bytes = htmlReport.write(options.report!, report, { inputs: options.input.paths, configFile: options.configFile });
    io.err(`report: ${options.report} (${Math.ceil(bytes / 1024)} KB)\n`);
  }
  if (dynamo) {
    const used = dynamo.consumption();
    const per = (units: number): string => (report.relevant > 0 ? (units / report.relevant).toFixed(2) : '-');
    io.err(
      `DynamoDB table ${options.table}: ${used.requests} requests, ${used.readUnits.toFixed(1)} read units (${per(used.readUnits)} per relevant event), ${used.writeUnits.toFixed(1)} write units (${per(used.writeUnits)} per relevant event)\n`,
    );
  }
  if (report.stopped) {
    io.err(`assumerole-watch: ${stoppedMessage(report.stopped, options.maxStateItems)}\n`);
    return 2;
  }
  if (report.unreadable.length > 0) return 2;
  const verdict = inputVerdict(report);
  if (verdict.error) {
    io.err(`assumerole-watch: ${verdict.error}\n`);
    return 2;
  }
  if (!report.matchedMonitoredRole && report.records > report.rejectedTotal) {
    io.err(`assumerole-watch: ${options.strict ? '' : 'warning: '}monitoredRoleArns matched no record: the configuration names another account's roles, or these logs hold none of its calls${options.strict ? '' : ' (--strict makes this exit 2)'}\n`);
    if (options.strict) return 2;
  }
  return report.alerts > 0 ? 1 : 0;
}

/**
 * Whether the input was logs at all: a replay that read no record, or rejected every one (a
 * SIEM export of another shape, a CSV), says so and exits 2 rather than reporting clean logs.
 */
export function inputVerdict(r: Pick<ReplayReport, 'records' | 'rejectedTotal' | 'files'>): { error: string | null } {
  if (r.records === 0) return { error: `no CloudTrail record was read from ${r.files} ${r.files === 1 ? 'file' : 'files'}: nothing was replayed` };
  if (r.rejectedTotal >= r.records) return { error: `every one of the ${r.records} records was rejected (reasons above): these are not CloudTrail records replay can read` };
  return { error: null };
}

/** DynamoDB-backed ports for `--store dynamodb`, creating the table from the shared schema if missing. */
async function dynamoPorts(options: ReplayArgs): Promise<{ ports: StatePorts; consumption: () => Consumption }> {
  const [{ DynamoDBClient }, { CapacityMeter }, { DynamoLedger }, { DynamoStore }, { ensureTable }] = await Promise.all([
    import('@aws-sdk/client-dynamodb'),
    import('../lambdas/state/meter'),
    import('../lambdas/state/dynamodb-ledger'),
    import('../lambdas/state/dynamodb-store'),
    import('../lambdas/state/schema'),
  ]);
  const client = new DynamoDBClient({
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.region ? { region: options.region } : {}),
  });
  await ensureTable(client, options.table!);
  const meter = new CapacityMeter();
  return {
    ports: { state: new DynamoStore(client, options.table!, { meter }), ledger: new DynamoLedger(client, options.table!, { meter }) },
    consumption: () => meter.reading(),
  };
}

/** Why a replay stopped at a memory bound, and how to raise it. */
function stoppedMessage(e: MemoryBoundError, limit: number): string {
  return (
    `replay stopped at ${new Date(e.nowMs).toISOString()}: more than ${limit} ${e.what} are live in memory (not past their TTL), the --max-state-items bound; ` +
    `the input after that point was not replayed. Raise it with --max-state-items N (each item takes about half a kilobyte), or replay into a DynamoDB table with --store dynamodb --table NAME`
  );
}

/** The summary printed to stderr after a replay; `nowMs` is the wall clock, which exceptions' expiry is also judged by. */
function summary(r: ReplayReport, exceptions: readonly CompiledException[], nowMs: number): string {
  const lines: string[] = [];
  const span = r.firstEventTime !== null && r.lastEventTime !== null ? ` from ${new Date(r.firstEventTime).toISOString()} to ${new Date(r.lastEventTime).toISOString()}` : '';
  lines.push(`replayed ${r.records} records in ${r.files} files${span}`);
  lines.push(`  relevant ${r.relevant}, ignored ${r.ignored}, duplicates ${r.duplicates}, late ${r.late}, rejected ${r.rejectedTotal}`);
  if (r.releasedEarly > 0) lines.push(`  the reorder buffer was full (--max-reorder-events): ${r.releasedEarly} calls went to the detectors before their reorder window had passed; raise it to keep event-time order`);
  if (r.rejectedTotal > r.rejected.length) lines.push(`    (reasons and places of the first ${r.rejected.length} rejected records)`);
  const byReason = new Map<string, string[]>();
  for (const rej of r.rejected) {
    const where = rej.origin ? `${rej.origin.file}:${rej.origin.line}` : '<input>';
    byReason.set(rej.reason, [...(byReason.get(rej.reason) ?? []), where]);
  }
  let shown = 0;
  for (const [reason, places] of byReason) {
    if (shown++ >= 20) {
      lines.push(`    … and ${byReason.size - 20} more reasons`);
      break;
    }
    lines.push(`    rejected ${places.length}× ${printable(reason, 200)} at ${places.slice(0, 3).map((p) => printable(p, 200)).join(', ')}${places.length > 3 ? ', …' : ''}`);
  }
  for (const u of r.unreadable) lines.push(`  unreadable: ${printable(u.path, 300)}: ${printable(u.reason, 200)}`);
  if (r.skippedTotal > 0) lines.push(`  skipped ${r.skippedTotal} ${r.skippedTotal === 1 ? 'input' : 'inputs'} that hold no CloudTrail records${r.skippedTotal > r.skipped.length ? ` (the first ${r.skipped.length} listed)` : ''}:`);
  for (const k of r.skipped.slice(0, 20)) lines.push(`    ${printable(k.path, 300)}: ${printable(k.reason, 200)}`);
  if (r.skipped.length > 20) lines.push(`    … and ${r.skippedTotal - 20} more`);
  const detectors = Object.entries(r.alertsByDetector).map(([d, n]) => `${d} ${n}`).join(', ');
  const folded = r.findings - r.belowSeverity - r.exempted - r.alerts;
  lines.push(`  alerts ${r.alerts}${detectors ? ` (${detectors})` : ''}; findings ${r.findings}, folded or suppressed ${folded}, below minAlertSeverity or minSeverity ${r.belowSeverity}, exempted ${r.exempted}`);
  lines.push(...exceptionLines(r, exceptions, nowMs));
  return `${lines.join('\n')}\n`;
}

/**
 * A line per configured exception: the findings it exempted, and whether it had expired before
 * the last replayed event (it then stopped applying during the replay) or only before now (the
 * replayed past was judged with it, live traffic no longer is).
 */
function exceptionLines(r: ReplayReport, exceptions: readonly CompiledException[], nowMs: number): string[] {
  if (exceptions.length === 0) return [];
  const lines = [`  exceptions (findings exempted by each):`];
  for (const e of exceptions) {
    const count = `${printable(e.key, 200)}: ${r.exemptions[e.key] ?? 0} exempted`;
    const at = new Date(e.expiresAt).toISOString();
    if (r.lastEventTime !== null && e.expiresAt <= r.lastEventTime) lines.push(`    ${count}; expired ${at}, before the last replayed event (${new Date(r.lastEventTime).toISOString()}): later events were not exempted`);
    else if (e.expiresAt <= nowMs) lines.push(`    ${count}; expired ${at}, before now (after the last replayed event): it no longer applies to live traffic`);
    else lines.push(`    ${count}; expires ${at}`);
  }
  return lines;
}
