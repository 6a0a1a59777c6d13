/**
 * Offline replay: CloudTrail logs → the same engine and detectors as the Lambda → alerts.
 * Events go through in event-time order (a bounded reorder buffer), in batches, with the
 * replay clock at the latest event time so TTLs and windows behave as they did live.
 */
import type { CompiledConfig } from '../lambdas/core/config';
import { runBatch, type StatePorts } from '../lambdas/delivery/batch-runner';
import type { AlertPublisher } from '../lambdas/delivery/publisher';
import { DETECTORS } from '../lambdas/detectors';
import type { Detector } from '../lambdas/detectors/detector';
import type { Alert } from '../lambdas/engine/alerts';
import type { Clock } from '../lambdas/engine/engine';
import type { ParsedCall, Rejection } from '../lambdas/core/types';
import { notAfterClock, type ParseOptions, type ParseResult } from '../lambdas/core/parse';
import { MemoryBoundError } from '../lambdas/state/memory-store';
import { dayRange, DEFAULT_INPUT_LIMITS, isDocument, readInput, SkippedInput, type InputFile, type InputLimits, type Prepared, type SkippedFile, type UnreadableInput } from './inputs';
import { ReadAhead } from './read-ahead';
import { listReplayInputs } from './s3-input';

/** From this many log files on, a reader thread parses them ahead of the engine (by default). */
const READER_THREAD_FROM = 64;

/**
 * Calls the reorder buffer holds (about 1.1 KB each: under 300 MB). The buffer holds the last
 * `reorderMinutes` of event time; a bastion account's hour is thousands to tens of thousands of
 * relevant calls, so only a flood fills it.
 */
export const DEFAULT_MAX_REORDER_EVENTS = 250_000;

/** Rejected records listed one by one in the report (the rest are counted): a file of garbage must not fill memory with reasons. */
export const MAX_LISTED_REJECTIONS = 1_000;

/** Skipped inputs listed one by one in the report (the rest are counted). */
export const MAX_LISTED_SKIPPED = 1_000;

/** Replay options. */
export interface ReplayOptions {
  /** Files, directories, `-` for stdin (once), and `s3://bucket/prefix` URLs. */
  readonly paths: readonly string[];
  /**
   * The first and last day to replay (`YYYY-MM-DD`, UTC, both inclusive), by the delivery date in
   * CloudTrail's S3 folders and file names: S3 listings descend only into those days, and files
   * whose name dates them outside are left out (a name without CloudTrail's date is read). @default every day
   */
  readonly from?: string;
  /** See {@link ReplayOptions.from}. @default every day */
  readonly to?: string;
  /** An S3-compatible endpoint for `s3://` paths (path-style). @default AWS's, or the SDK's AWS_ENDPOINT_URL_S3 */
  readonly s3Endpoint?: string;
  /** The region of the first S3 request (S3 redirects to the bucket's). @default the default chain's, else us-east-1 */
  readonly s3Region?: string;
  readonly config: CompiledConfig;
  /** State store and alert ledger (in memory, or DynamoDB to seed or inspect a table). */
  readonly ports: StatePorts;
  /** @default every registered detector */
  readonly detectors?: readonly Detector[];
  /** Events per engine batch (the Lambda's SQS batch size). @default 100 */
  readonly batchSize?: number;
  /** How far back in event time a late record may arrive and still be ordered. @default 60 */
  readonly reorderMinutes?: number;
  /** Called with each alert as soon as its batch is done. */
  readonly onAlert?: (alert: Alert) => void;
  /** Called now and then with running totals (for a progress line). */
  readonly onProgress?: (progress: ReplayProgress) => void;
  /** Called with each batch's parsed calls (all of them) once the engine has run it; the replay waits for it (the report's what-if runs on it). */
  readonly onCalls?: (calls: readonly ParsedCall[]) => void | Promise<void>;
  /**
   * Parse log files on a reader thread, ahead of the engine; the engine's thread parses files
   * too whenever it would wait (see read-ahead.ts). @default true from 64 log files on (a
   * thread takes a few milliseconds to start)
   */
  readonly readerThread?: boolean;
  /**
   * The wall clock, read once as the replay starts: no record may be later than it (plus a day,
   * see `CLOCK_MARGIN_MS`), whatever the replay clock says. @default the system clock
   */
  readonly wallClock?: Clock;
  /** What one file or line may hold. @default {@link DEFAULT_INPUT_LIMITS} */
  readonly limits?: InputLimits;
  /**
   * The most calls the reorder buffer holds: when full, the earliest go to the detectors before
   * their reorder window has passed (counted in `releasedEarly`). @default {@link DEFAULT_MAX_REORDER_EVENTS}
   */
  readonly maxReorderEvents?: number;
}

/** Running totals. */
export interface ReplayProgress {
  readonly filesRead: number;
  readonly filesTotal: number;
  readonly records: number;
  readonly alerts: number;
}

/** What a replay saw. */
export interface ReplayReport {
  readonly files: number;
  readonly records: number;
  readonly ignored: number;
  readonly relevant: number;
  readonly duplicates: number;
  /** Arrived after the reorder buffer had moved past their time; processed anyway. */
  readonly late: number;
  /** Went to the detectors before their reorder window had passed, because the reorder buffer was full. */
  readonly releasedEarly: number;
  /** The first {@link MAX_LISTED_REJECTIONS} rejected records, with their reasons. */
  readonly rejected: readonly Rejection[];
  /** Every rejected record. */
  readonly rejectedTotal: number;
  readonly unreadable: readonly UnreadableInput[];
  /** The first {@link MAX_LISTED_SKIPPED} inputs passed over whole, with the reason: not CloudTrail (a README, a CSV, a configuration file, an ECS export), hidden. */
  readonly skipped: readonly SkippedFile[];
  /** Every skipped input. */
  readonly skippedTotal: number;
  /** Whether any record read was a call into or by a monitored role (before deduplication; AWS services' own calls count). */
  readonly matchedMonitoredRole: boolean;
  readonly findings: number;
  readonly alertsByDetector: Readonly<Record<string, number>>;
  readonly alerts: number;
  readonly suppressed: number;
  readonly belowSeverity: number;
  /** Findings an exception covered (never alerted). */
  readonly exempted: number;
  /** Exempted findings by `<detector>/<exception id>`. */
  readonly exemptions: Readonly<Record<string, number>>;
  readonly firstEventTime: number | null;
  readonly lastEventTime: number | null;
  /** Why the replay stopped before the end of its input (an in-memory bound was reached), or null. */
  readonly stopped: MemoryBoundError | null;
}

/** Runs a replay to the end and reports what it saw. */
export async function replay(options: ReplayOptions): Promise<ReplayReport> {
  const batchSize = options.batchSize ?? 100;
  const reorderMs = (options.reorderMinutes ?? 60) * 60_000;
  const limits = options.limits ?? DEFAULT_INPUT_LIMITS;
  const maxReorder = options.maxReorderEvents ?? DEFAULT_MAX_REORDER_EVENTS;
  const { files, unreadable, skipped, s3 } = await listReplayInputs(options.paths, dayRange(options.from, options.to), { endpoint: options.s3Endpoint, region: options.s3Region }, limits);
  // One bound for the whole run (logs to replay are written already), so both parse paths agree;
  // replay reads what log platforms export too (the Lambda never does).
  const parse: ParseOptions = { ...notAfterClock(options.wallClock?.now() ?? Date.now()), logExport: true };
  const unreadableAll: UnreadableInput[] = [...unreadable];
  const skippedListed: SkippedFile[] = skipped.slice(0, MAX_LISTED_SKIPPED);
  let skippedTotal = skipped.length;
  let matchedMonitoredRole = false;
  const rejected: Rejection[] = [];
  const heap = new TimeHeap();
  const alertsByDetector: Record<string, number> = {};
  let records = 0;
  let ignoredAtParse = 0;
  let late = 0;
  let releasedEarly = 0;
  let rejectedTotal = 0;
  let watermark = -Infinity;
  let maxSeen = -Infinity;
  let replayNow = 0;
  let firstEventTime: number | null = null;
  const totals = { ignored: 0, relevant: 0, duplicates: 0, findings: 0, alerts: 0, suppressed: 0, belowSeverity: 0, exempted: 0 };
  const exemptions: Record<string, number> = {};
  const clock: Clock = { now: () => replayNow };
  // Replay "publishes" by handing each alert to the caller as its batch is done.
  const publisher: AlertPublisher = {
    async publish(alerts) {
      for (const alert of alerts) options.onAlert?.(alert);
      return { accepted: alerts.map((a) => ({ alertId: a.alertId, messageId: null, truncated: false })), failed: [] };
    },
  };
  const deps = { detectors: options.detectors ?? DETECTORS, config: options.config, clock, ports: options.ports, publisher };
  let batch: ParsedCall[] = [];

  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const calls = batch;
    batch = [];
    replayNow = Math.max(replayNow, calls[calls.length - 1]!.eventTime);
    const result = await runBatch({ calls }, deps);
    // Offline there is no one to retry for us: a failure (a DynamoDB table refusing writes) ends the replay.
    if (result.error) throw result.error;
    await options.onCalls?.(calls);
    totals.ignored += result.stats.ignored;
    totals.relevant += result.stats.relevant;
    totals.duplicates += result.stats.duplicates;
    totals.findings += result.stats.findings;
    totals.suppressed += result.stats.suppressed;
    totals.belowSeverity += result.stats.belowSeverity;
    totals.exempted += result.stats.exempted;
    for (const [key, n] of Object.entries(result.stats.exemptions)) exemptions[key] = (exemptions[key] ?? 0) + n;
    for (const alert of result.delivered) {
      totals.alerts += 1;
      alertsByDetector[alert.detector] = (alertsByDetector[alert.detector] ?? 0) + 1;
    }
  };
  const drain = async (until: number): Promise<void> => {
    while (heap.size > 0 && heap.peekTime() <= until) {
      batch.push(heap.pop());
      if (batch.length >= batchSize) await flush();
    }
  };

  const replayFile = async (file: InputFile, parsed: Prepared | undefined): Promise<void> => {
    const input = readInput(file, parsed, parse, limits);
    try {
      for (;;) {
        // Only reading fails the file: an engine failure (a full store, a DynamoDB error) ends the replay.
        let next: IteratorResult<ParseResult[]>;
        try {
          next = await input.next();
        } catch (e) {
          if (e instanceof SkippedInput) {
            skippedTotal += 1;
            if (skippedListed.length < MAX_LISTED_SKIPPED) skippedListed.push({ path: file.display, reason: e.message });
          } else unreadableAll.push({ path: file.display, reason: (e as Error).message });
          return;
        }
        if (next.done) return;
        for (const r of next.value) {
          records += 1;
          if (r.kind === 'rejected') {
            rejectedTotal += 1;
            if (rejected.length < MAX_LISTED_REJECTIONS) rejected.push(r);
          } else if (r.kind === 'ignored') ignoredAtParse += 1;
          else {
            // Checked until one matches: a configuration for another account matches none, and the caller warns.
            if (!matchedMonitoredRole) matchedMonitoredRole = options.config.isMonitoredRole(r.principal.sessionIssuerArn) || (r.kind === 'assume-role' && options.config.isMonitoredRole(r.roleArn));
            firstEventTime = firstEventTime === null ? r.eventTime : Math.min(firstEventTime, r.eventTime);
            if (r.eventTime < watermark) late += 1;
            heap.push(r);
            maxSeen = Math.max(maxSeen, r.eventTime);
            if (heap.size > maxReorder) {
              // Full: the earliest goes now, and anything earlier still to come will be late.
              const early = heap.pop();
              watermark = Math.max(watermark, early.eventTime);
              releasedEarly += 1;
              batch.push(early);
              if (batch.length >= batchSize) await flush();
            }
          }
        }
        watermark = Math.max(watermark, maxSeen - reorderMs);
        await drain(watermark);
      }
    } finally {
      await input.return(undefined);
    }
  };

  let filesRead = 0;
  let lastProgress = 0;
  // Local log files only: S3 objects are fetched and parsed by the engine's thread.
  const documents = files.flatMap((file, index) => (isDocument(file) && file.object === undefined ? [{ index, path: file.path, display: file.display }] : []));
  const reader = (options.readerThread ?? documents.length >= READER_THREAD_FROM) && documents.length > 0 ? new ReadAhead(documents, undefined, parse, limits) : null;
  let stopped: MemoryBoundError | null = null;
  try {
    for (const [i, file] of files.entries()) {
      await replayFile(file, file.object !== undefined ? s3!.prepare(i, parse) : reader && isDocument(file) ? reader.results(i) : undefined);
      filesRead += 1;
      const now = Date.now();
      if (options.onProgress && now - lastProgress > 250) {
        lastProgress = now;
        options.onProgress({ filesRead, filesTotal: files.length, records, alerts: totals.alerts });
      }
    }
    await drain(Infinity);
    await flush();
  } catch (e) {
    // An in-memory bound: report what was replayed up to there; the caller says how to raise it.
    if (!(e instanceof MemoryBoundError)) throw e;
    stopped = e;
  } finally {
    s3?.close();
    await reader?.close();
  }
  return {
    files: files.length,
    records,
    ignored: ignoredAtParse + totals.ignored,
    relevant: totals.relevant,
    duplicates: totals.duplicates,
    late,
    releasedEarly,
    rejected,
    rejectedTotal,
    unreadable: unreadableAll,
    skipped: skippedListed,
    skippedTotal,
    matchedMonitoredRole,
    findings: totals.findings,
    alertsByDetector,
    alerts: totals.alerts,
    suppressed: totals.suppressed,
    belowSeverity: totals.belowSeverity,
    exempted: totals.exempted,
    exemptions,
    firstEventTime,
    lastEventTime: maxSeen === -Infinity ? null : maxSeen,
    stopped,
  };
}

/** A binary min-heap of calls by event time, ties in arrival order (stable): the reorder buffer. */
export class TimeHeap {
  private readonly items: { call: ParsedCall; time: number; seq: number }[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  peekTime(): number {
    return this.items[0]!.time;
  }

  push(call: ParsedCall): void {
    const items = this.items;
    const item = { call, time: call.eventTime, seq: this.seq++ };
    // Sift up with a hole: parents move down until the new item's place is found.
    let i = items.length;
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(item, items[parent]!)) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = item;
  }

  pop(): ParsedCall {
    const items = this.items;
    const top = items[0]!;
    const last = items.pop()!;
    const n = items.length;
    if (n > 0) {
      // Sift the last item down from the root, with a hole.
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const child = r < n && before(items[r]!, items[l]!) ? r : l;
        if (!before(items[child]!, last)) break;
        items[i] = items[child]!;
        i = child;
      }
      items[i] = last;
    }
    return top.call;
  }
}

/** Event time, then arrival order. */
function before(x: { readonly time: number; readonly seq: number }, y: { readonly time: number; readonly seq: number }): boolean {
  return x.time < y.time || (x.time === y.time && x.seq < y.seq);
}
