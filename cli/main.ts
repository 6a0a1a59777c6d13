/**
 * The `assumerole-watch` command line.
 *
 *   assumerole-watch replay <paths...> [--config FILE] [--format text|json|ocsf|asff] [--batch-size N] [--reorder-minutes N] [--max-… N]
 *   assumerole-watch generate <outDir> [--days N] [--customers N] [--seed N] ...
 *
 * Exit codes: 0 no alerts, 1 alerts, 2 usage error, unreadable input, a bound reached, or an internal error.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CONFIG_KEYS, ConfigError, loadConfig, withCustomerRegistry, type CompiledConfig } from '../lambdas/core/config';
import type { CompiledException } from '../lambdas/core/detector-settings';
import { describeRegistryLoad, parseCustomerRegistry, type CustomerRegistry } from '../lambdas/core/customer-registry';
import type { StatePorts } from '../lambdas/delivery/batch-runner';
import { MemoryLedger } from '../lambdas/state/memory-ledger';
import { MemoryStore, type MemoryBoundError } from '../lambdas/state/memory-store';
import type { Consumption } from '../lambdas/core/state';
import { printable } from '../lambdas/delivery/format';
import { ALERT_FORMATS, renderForReplay, type AlertFormat } from './formats';
import { DEFAULT_INPUT_LIMITS, MAX_TEXT_MB, MB, readRegularFile } from './inputs';
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

const USAGE = `usage:
  assumerole-watch replay <path|dir|-> ... [--config FILE] [--format text|json|ocsf|asff] [--batch-size N] [--reorder-minutes N]
                          [--store memory|dynamodb] [--endpoint URL] [--table NAME] [--region REGION]
                          [--max-file-mb N] [--max-line-mb N] [--max-state-items N] [--max-reorder-events N]
  assumerole-watch generate <outDir> [--days N] [--customers N] [--seed N] [--start ISO] [--no-incidents] [--records N]

replay reads CloudTrail logs (S3 layout .json/.json.gz, JSON Lines, EventBridge events; directories
recursively; - for stdin), runs every detector and prints alerts. Configuration comes from --config
(a JSON object of detection keys, or a cdk.json) or from ./cdk.json's context. With --store dynamodb,
state and alert suppression live in a DynamoDB table (created when missing), to seed or inspect one.
--format prints each alert as text (the default), or one JSON document a line: json, the alert record
(--json for short); ocsf, the OCSF 1.1.0 Detection Finding; asff, the Security Hub finding.
Bounds: a file read whole or inflated --max-file-mb (${DEFAULT_INPUT_LIMITS.maxFileBytes / MB}), a line --max-line-mb (${DEFAULT_INPUT_LIMITS.maxLineBytes / MB}),
live state items and alerts in memory --max-state-items (${DEFAULT_MAX_STATE_ITEMS}), the reorder buffer --max-reorder-events (${DEFAULT_MAX_REORDER_EVENTS}).
Exit codes: 0 no alerts, 1 alerts, 2 usage error, unreadable input, or a bound reached.`;

/** Output streams, injectable for tests. */
export interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly errIsTty: boolean;
}

const defaultIo: Io = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  errIsTty: process.stderr.isTTY === true,
};

class UsageError extends Error {}

/** Runs the CLI; resolves to the exit code. */
export async function main(argv: readonly string[], io: Io = defaultIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === 'replay') return await runReplay(rest, io);
    if (command === 'generate') {
      const { main: generate } = await import('./generate');
      return await generate([...rest]);
    }
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      io.out(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    }
    throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`assumerole-watch: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    if (e instanceof ConfigError) {
      io.err(`assumerole-watch: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

interface ReplayArgs {
  paths: string[];
  configFile: string | null;
  format: AlertFormat;
  batchSize: number;
  reorderMinutes: number;
  store: 'memory' | 'dynamodb';
  endpoint: string | null;
  table: string | null;
  region: string | null;
  maxFileMb: number;
  maxLineMb: number;
  maxStateItems: number;
  maxReorderEvents: number;
}

function parseReplayArgs(args: readonly string[]): ReplayArgs {
  const parsed: ReplayArgs = {
    paths: [],
    configFile: null,
    format: 'text',
    batchSize: 100,
    reorderMinutes: 60,
    store: 'memory',
    endpoint: null,
    table: null,
    region: null,
    maxFileMb: DEFAULT_INPUT_LIMITS.maxFileBytes / MB,
    maxLineMb: DEFAULT_INPUT_LIMITS.maxLineBytes / MB,
    maxStateItems: DEFAULT_MAX_STATE_ITEMS,
    maxReorderEvents: DEFAULT_MAX_REORDER_EVENTS,
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = (): string => {
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    const positive = (name: string, v: string): number => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} takes a whole number ≥ 1, got ${JSON.stringify(v)}`);
      return n;
    };
    // A document read whole and a line are each one string: V8 holds none longer.
    const megabytes = (name: string, v: string): number => {
      const n = positive(name, v);
      if (n > MAX_TEXT_MB) throw new UsageError(`${name} takes at most ${MAX_TEXT_MB} (the longest string Node.js holds), got ${n}`);
      return n;
    };
    if (a === '--config') parsed.configFile = value();
    else if (a === '--json') parsed.format = 'json';
    else if (a === '--format') {
      const v = value();
      if (!(ALERT_FORMATS as readonly string[]).includes(v)) throw new UsageError(`--format takes ${ALERT_FORMATS.join(', ')}, got ${JSON.stringify(v)}`);
      parsed.format = v as AlertFormat;
    }
    else if (a === '--batch-size') parsed.batchSize = positive(a, value());
    else if (a === '--reorder-minutes') parsed.reorderMinutes = positive(a, value());
    else if (a === '--store') {
      const v = value();
      if (v !== 'memory' && v !== 'dynamodb') throw new UsageError(`--store takes memory or dynamodb, got ${JSON.stringify(v)}`);
      parsed.store = v;
    } else if (a === '--endpoint') parsed.endpoint = value();
    else if (a === '--table') parsed.table = value();
    else if (a === '--region') parsed.region = value();
    else if (a === '--max-file-mb') parsed.maxFileMb = megabytes(a, value());
    else if (a === '--max-line-mb') parsed.maxLineMb = megabytes(a, value());
    else if (a === '--max-state-items') parsed.maxStateItems = positive(a, value());
    else if (a === '--max-reorder-events') parsed.maxReorderEvents = positive(a, value());
    else if (a.startsWith('--')) throw new UsageError(`unknown option ${a}`);
    else parsed.paths.push(a);
  }
  if (parsed.paths.length === 0) throw new UsageError('replay needs at least one path (a file, a directory, or - for stdin)');
  if (parsed.store === 'dynamodb' && parsed.table === null) throw new UsageError('--store dynamodb needs --table NAME');
  if (parsed.store === 'memory' && (parsed.table !== null || parsed.endpoint !== null)) throw new UsageError('--table and --endpoint go with --store dynamodb');
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
    // A cdk.json: its context also holds deployment keys and CDK feature flags.
    const engineKeys = new Set<string>(CONFIG_KEYS.map((k) => k.name));
    const context = record.context as Record<string, unknown>;
    return withRegistry(loadConfig(Object.fromEntries(Object.entries(context).filter(([k]) => engineKeys.has(k)))), file, report);
  }
  return withRegistry(loadConfig(record), file, report);
}

/** The configuration with the customer registry it names read from its file. */
function withRegistry(config: CompiledConfig, configFile: string, report: (line: string) => void): CompiledConfig {
  return config.customerRegistry === null ? config : withCustomerRegistry(config, readRegistry(config.customerRegistry, dirname(resolve(configFile)), report));
}

/**
 * Reads the customer registry for replay. An S3 URL, an unreadable file or one without a single
 * usable line stops the run (exit 2): replaying without the registry the configuration asks for
 * would judge every account differently. Malformed lines are reported and the rest is used.
 */
function readRegistry(value: string, base: string, report: (line: string) => void): CustomerRegistry {
  if (value.startsWith('s3://')) {
    throw new UsageError(`customerRegistry: ${value} is an S3 object, which the Lambda reads; replay reads the registry from a file (a path relative to the config file): copy it down with \`aws s3 cp ${value} customer-registry.jsonl\` and name that file`);
  }
  const path = resolve(base, value);
  let text: string;
  try {
    text = readRegularFile(path, DEFAULT_INPUT_LIMITS.maxFileBytes, 'the most a registry file may hold').toString('utf8');
  } catch (e) {
    throw new UsageError(`customerRegistry: cannot read ${path}: ${(e as Error).message}`);
  }
  const parsed = parseCustomerRegistry(text);
  for (const line of describeRegistryLoad(path, parsed)) report(`customerRegistry: ${line}`);
  const { registry } = parsed;
  if (registry.integrations === 0) throw new UsageError(`customerRegistry: ${path} holds no usable integration line (${parsed.problems.length} malformed): expected JSON Lines of {"tenantId", "accountId", "roleArn", "externalIdSha256": [...]}`);
  report(`customer registry ${path}: ${registry.integrations} integrations in ${registry.accounts.size} accounts`);
  return registry;
}

async function runReplay(args: readonly string[], io: Io): Promise<number> {
  const options = parseReplayArgs(args);
  const config = readConfig(options.configFile, process.cwd(), (line) => io.err(`${line}\n`));
  const dynamo = options.store === 'dynamodb' ? await dynamoPorts(options) : null;
  const ports = dynamo?.ports ?? { state: new MemoryStore({ maxItems: options.maxStateItems }), ledger: new MemoryLedger({ maxAlerts: options.maxStateItems }) };
  let progressShown = false;
  if (options.format === 'text') io.out(`${'time'.padEnd(24)}  ${'SEVERITY'.padEnd(8)} ${'detector'.padEnd(18)} title\n`);
  const report = await replay({
    paths: options.paths,
    config,
    ports,
    batchSize: options.batchSize,
    reorderMinutes: options.reorderMinutes,
    limits: { maxFileBytes: options.maxFileMb * MB, maxLineBytes: options.maxLineMb * MB },
    maxReorderEvents: options.maxReorderEvents,
    onAlert: (alert) => {
      if (progressShown) io.err('\r\x1b[K');
      io.out(renderForReplay(alert, options.format, config));
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
  return report.alerts > 0 ? 1 : 0;
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
