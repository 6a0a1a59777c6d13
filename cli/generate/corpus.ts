/**
 * The corpus: the scenario hour by hour, in event-time order, and written as CloudTrail delivers
 * it to S3. Only one hour (and, when writing, one 5-minute batch per region) is held in memory,
 * so a corpus can be as large as a benchmark needs.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { benignHour } from './benign';
import { Calendar } from './calendar';
import { HOUR, HourSink, SEC, type HourContext } from './hour';
import { INCIDENTS, incidentsOfHour, type IncidentLabel } from './incidents';
import { lifecycleHour } from './lifecycle';
import { DEFAULT_OPTIONS, resolveOptions, type GenerateOptions } from './options';
import { peopleHour } from './people';
import { ALNUM, rngFor } from './random';
import { type CloudTrailRecord } from './records';
import { registryExport, registryText, type RegistryLine } from './registry';
import { ACCOUNT, REGISTRY_FILE, SCENARIO, scenarioConfig } from './scenario';
import { buildWorld } from './world';
import { isoSeconds } from '../../lambdas/core/cloudtrail-time';

const gzipAsync = promisify(gzip);

/** The generator's return value (after the last record). */
export interface CorpusSummary {
  readonly records: number;
  readonly recordsByRegion: Readonly<Record<string, number>>;
  readonly hours: number;
  /** First hour and end of the last generated hour, ISO. */
  readonly start: string;
  readonly end: string;
  readonly labels: readonly IncidentLabel[];
  /** The customer registry the vendor's onboarding system exports for the period. */
  readonly registry: readonly RegistryLine[];
  /** Set when incidents were asked for but could not be placed (too few days, cut by maxRecords). */
  readonly note: string | null;
}

/** {@link writeCorpus}'s result. */
export interface WriteSummary extends CorpusSummary {
  readonly outDir: string;
  readonly files: number;
  /** Bytes of the gzip log files. */
  readonly bytes: number;
}

/**
 * The corpus, record by record in event-time order (generated one hour at a time; within a
 * second, in causal order). The generator's return value summarises the run and carries the
 * incident labels (only event IDs that were emitted).
 */
export function* generateCorpus(options: GenerateOptions = {}): Generator<CloudTrailRecord, CorpusSummary, undefined> {
  const o = resolveOptions(options);
  const world = buildWorld(o.seed, o.customers);
  const calendar = new Calendar(world, { start: o.start, quietDay: o.quietDay });
  // An incident spread over hours gets its records from each; joined here, in label order at the end.
  const labels = new Map<string, IncidentLabel>();
  const byRegion: Record<string, number> = {};
  let count = 0;
  let hour = 0;
  let cut = false;
  for (; hour < o.hours && !cut; hour++) {
    const hourStart = o.start + hour * HOUR;
    const date = new Date(hourStart);
    const ctx: HourContext = {
      world,
      calendar,
      seed: o.seed,
      hourStart,
      day: Math.floor(hour / 24),
      hourOfDay: date.getUTCHours(),
      weekday: date.getUTCDay(),
    };
    const sink = new HourSink();
    const benign = benignHour(ctx, { rng: rngFor(o.seed, 'hour', hour), sink });
    lifecycleHour(ctx, sink, benign);
    peopleHour(ctx, sink);
    let hourLabels: IncidentLabel[] = [];
    if (o.incidentDay !== null && ctx.day === o.incidentDay) {
      hourLabels = incidentsOfHour(ctx, { rng: rngFor(o.seed, 'incident', hour), sink }, benign);
    }
    const items = sink.items.sort((x, y) => x.t - y.t || x.seq - y.seq);
    const emitted = new Set<string>();
    for (const item of items) {
      if (count >= o.maxRecords) {
        cut = true;
        break;
      }
      count++;
      byRegion[item.record.awsRegion] = (byRegion[item.record.awsRegion] ?? 0) + 1;
      if (hourLabels.length > 0) emitted.add(item.record.eventID);
      yield item.record;
    }
    for (const l of hourLabels) {
      const eventIds = l.eventIds.filter((id) => emitted.has(id));
      if (eventIds.length === 0) continue;
      const earlier = labels.get(l.id);
      labels.set(l.id, { ...l, eventIds: [...(earlier?.eventIds ?? []), ...eventIds] });
    }
    if (count >= o.maxRecords) cut = true;
  }
  let note: string | null = null;
  const total = INCIDENTS.length;
  if (o.incidents && o.incidentDay === null) note = `no incidents: they need at least ${SCENARIO.learningPeriodDays + 1} days (learning period ${SCENARIO.learningPeriodDays} days)`;
  else if (o.incidents && labels.size < total) note = `${total - labels.size} of ${total} incidents not emitted (record limit reached first)`;
  const end = o.start + hour * HOUR;
  return {
    records: count,
    recordsByRegion: byRegion,
    hours: hour,
    start: isoSeconds(o.start),
    end: isoSeconds(end),
    // Label IDs start with their number: sorted, they are in INCIDENTS' order.
    labels: [...labels.values()].sort((a, b) => (a.id < b.id ? -1 : 1)),
    registry: registryExport(calendar, end),
    note,
  };
}

// ---- the S3 layout ----------------------------------------------------------------------------

const FILE_MINUTES = 5;
const FILE_MS = FILE_MINUTES * 60 * SEC;

/** Path (relative to outDir) of a CloudTrail log file as delivered to S3. */
export const LOG_FILE_PATTERN =
  /^AWSLogs\/(\d{12})\/CloudTrail\/([a-z]{2}(?:-[a-z]+)+-\d)\/(\d{4})\/(\d{2})\/(\d{2})\/\1_CloudTrail_\2_(\d{8}T\d{4}Z)_[A-Za-z0-9]{16}\.json\.gz$/;

function logFilePath(seed: number, region: string, bucketStart: number): string {
  // Named by delivery time (end of the 5-minute batch), as CloudTrail does.
  const delivered = new Date(bucketStart + FILE_MS).toISOString();
  const [y, mo, d] = [delivered.slice(0, 4), delivered.slice(5, 7), delivered.slice(8, 10)];
  const stamp = `${y}${mo}${d}T${delivered.slice(11, 13)}${delivered.slice(14, 16)}Z`;
  const suffix = rngFor(seed, 'file', region, bucketStart).chars(ALNUM, 16);
  return path.posix.join('AWSLogs', ACCOUNT, 'CloudTrail', region, y, mo, d, `${ACCOUNT}_CloudTrail_${region}_${stamp}_${suffix}.json.gz`);
}

/** Deletes log files a previous run wrote (same account, generator's naming), nothing else. */
async function removePreviousOutput(outDir: string): Promise<void> {
  const root = path.join(outDir, 'AWSLogs', ACCOUNT, 'CloudTrail');
  const walk = async (dir: string): Promise<boolean> => {
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return false;
    }
    let empty = true;
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (await walk(full)) await fs.rmdir(full);
        else empty = false;
      } else if (LOG_FILE_PATTERN.test(path.relative(outDir, full).split(path.sep).join('/'))) {
        await fs.unlink(full);
      } else {
        empty = false;
      }
    }
    return empty;
  };
  await walk(root);
}

/**
 * Writes the corpus as CloudTrail delivers it to S3 (one gzip `{"Records":[...]}` file per
 * region per 5 minutes under `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/`), plus
 * `config.json` (engine configuration, naming the registry), `labels.json` (incidents) and
 * `customer-registry.jsonl` (the onboarding system's export). Streams: holds one 5-minute batch
 * per region. Replaces log files of a previous run in the same directory.
 */
export async function writeCorpus(outDir: string, options: GenerateOptions = {}): Promise<WriteSummary> {
  const seed = options.seed ?? DEFAULT_OPTIONS.seed;
  await fs.mkdir(outDir, { recursive: true });
  await removePreviousOutput(outDir);
  const batches = new Map<string, { key: string; lines: string[] }>();
  const dirs = new Set<string>();
  let files = 0;
  let bytes = 0;
  // Compression runs on the libuv pool; a few files in flight keep memory bounded.
  const inFlight = new Set<Promise<void>>();
  let failure: unknown = null;
  const flush = async (region: string, batch: { key: string; lines: string[] }): Promise<void> => {
    const rel = logFilePath(seed, region, Date.parse(`${batch.key}:00Z`));
    const full = path.join(outDir, ...rel.split('/'));
    const dir = path.dirname(full);
    if (!dirs.has(dir)) {
      dirs.add(dir);
      await fs.mkdir(dir, { recursive: true });
    }
    const json = `{"Records":[${batch.lines.join(',')}]}`;
    const job = gzipAsync(Buffer.from(json, 'utf8'))
      .then(async (body) => {
        await fs.writeFile(full, body);
        files++;
        bytes += body.length;
      })
      .catch((e: unknown) => {
        failure ??= e;
      });
    const tracked = job.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    if (inFlight.size >= 8) await Promise.race(inFlight);
    if (failure !== null) throw failure;
  };
  const gen = generateCorpus(options);
  let step = gen.next();
  while (!step.done) {
    const record = step.value;
    // 5-minute batch of the event time: "YYYY-MM-DDTHH:M" + "0" or "5".
    const t = record.eventTime;
    const key = `${t.slice(0, 15)}${t[15]! < '5' ? '0' : '5'}`;
    const batch = batches.get(record.awsRegion);
    if (batch && batch.key !== key) {
      await flush(record.awsRegion, batch);
      batches.delete(record.awsRegion);
    }
    const current = batches.get(record.awsRegion) ?? { key, lines: [] };
    current.lines.push(JSON.stringify(record));
    batches.set(record.awsRegion, current);
    step = gen.next();
  }
  for (const region of [...batches.keys()].sort()) await flush(region, batches.get(region)!);
  await Promise.all(inFlight);
  if (failure !== null) throw failure;
  const summary = step.value;
  await fs.writeFile(path.join(outDir, 'config.json'), `${JSON.stringify(scenarioConfig({ customerRegistry: REGISTRY_FILE }), null, 2)}\n`);
  await fs.writeFile(path.join(outDir, 'labels.json'), `${JSON.stringify(summary.labels, null, 2)}\n`);
  await fs.writeFile(path.join(outDir, REGISTRY_FILE), registryText(summary.registry));
  return { ...summary, outDir, files, bytes };
}
