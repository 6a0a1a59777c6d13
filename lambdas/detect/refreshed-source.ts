/**
 * What the handler does with each S3 object it keeps a refreshed copy of (the customer registry,
 * the published allow-list): log what each read did, and emit the metrics their alarms watch
 * (the copy's age, or its absence) and the failed reads.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { S3Client } from '@aws-sdk/client-s3';
import { parseS3Url } from '../core/config';
import { RefreshedS3Object, type ParsedObject, type ReadOutcome, type RefreshOptions } from '../state/s3-object';

/** How one source is named in logs and metrics. */
export interface SourceReporting {
  /** For log messages, e.g. "customer registry". */
  readonly what: string;
  /** The log field that carries a loaded copy's summary. */
  readonly summaryField: string;
  /** Why an object was unusable, e.g. "no line could be used". */
  readonly unusable: string;
  /** What the batch does without a copy, e.g. "its checks are skipped until a good copy is read". */
  readonly unavailable: string;
  readonly metrics: { readonly age: string; readonly unavailable: string; readonly readFailures: string };
}

/** The reads a batch made of a source and the copy it ran with. */
export interface SourceBatch {
  readonly reads: readonly ReadOutcome[];
  /** Age of the copy (since last confirmed), or null without one. */
  readonly ageMs: number | null;
}

/** Problems of one read logged one by one; past this they are counted. */
const MAX_PROBLEMS_LOGGED = 20;

/** Logs what reading a source did for this batch, and when the batch runs without a copy. */
export function logSourceReads(logger: Logger, source: SourceReporting, url: string, batch: SourceBatch): void {
  const { what } = source;
  for (const read of batch.reads) {
    if (read.kind === 'loaded') {
      logger.info(`${what} loaded`, { url, etag: read.etag, [source.summaryField]: read.summary, replaced: read.replaced, problems: read.problems.length });
    } else if (read.kind === 'unusable') {
      logger.error(`${what} unusable: ${source.unusable}; the last good copy is kept`, { url, etag: read.etag, keptCopy: read.keptCopy, problems: read.problems.length });
    } else if (read.kind === 'failed') {
      logger.error(`${what} read failed; the last good copy is kept`, { url, error: read.error, keptCopy: read.keptCopy });
    }
    if (read.kind === 'loaded' || read.kind === 'unusable') {
      for (const problem of read.problems.slice(0, MAX_PROBLEMS_LOGGED)) logger.warn(`${what} problem`, { url, problem });
    }
  }
  if (batch.ageMs === null) logger.warn(`${what} unavailable: ${source.unavailable}`, { url });
}

/** The source's metrics for one batch: its alarm watches the age, or the absence of a copy. */
export function emitSourceMetrics(metrics: Metrics, source: SourceReporting, batch: SourceBatch): void {
  if (batch.ageMs === null) metrics.addMetric(source.metrics.unavailable, MetricUnit.Count, 1);
  else metrics.addMetric(source.metrics.age, MetricUnit.Seconds, Math.round(batch.ageMs / 1000));
  const failedReads = batch.reads.filter((r) => r.kind === 'failed' || r.kind === 'unusable').length;
  if (failedReads > 0) metrics.addMetric(source.metrics.readFailures, MetricUnit.Count, failedReads);
}

/** The refreshed object a configuration key names; throws naming the key when its value is not `s3://bucket/key`. */
export function refreshedObjectAt<T>(makeClient: () => S3Client, key: string, url: string, what: string, parse: (text: string) => ParsedObject<T>, options: RefreshOptions): RefreshedS3Object<T> {
  const location = parseS3Url(url);
  if (location === null) throw new Error(`${key}: ${JSON.stringify(url)} is not an S3 object URL; expected s3://bucket/key (the function reads ${what} from S3)`);
  return new RefreshedS3Object(makeClient, location.bucket, location.key, parse, options);
}
