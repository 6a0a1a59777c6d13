/**
 * An S3 object the Lambda reads at cold start and re-reads on a schedule, keeping the last good
 * copy: the vendor's customer registry (and any list a vendor's own pipeline publishes the same
 * way). A re-read is a conditional GET on the ETag, so an unchanged object costs a 304 and no
 * parsing. A failed read, or an object the parser finds unusable, never replaces a good copy.
 */
import type { S3Client } from '@aws-sdk/client-s3';

/** What a parser makes of an object's text: a value, or null when nothing in it is usable. */
export interface ParsedObject<T> {
  readonly value: T | null;
  /** Problems worth a log line each (malformed lines, suspicious content). */
  readonly problems: readonly string[];
  /** A one-line description of the value, for the log (e.g. "212 integrations in 198 accounts"). */
  readonly summary: string;
}

/** What one read attempt did. */
export type ReadOutcome =
  | { readonly kind: 'loaded'; readonly etag: string | null; readonly problems: readonly string[]; readonly summary: string; readonly replaced: boolean }
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'unusable'; readonly etag: string | null; readonly problems: readonly string[]; readonly keptCopy: boolean }
  | { readonly kind: 'failed'; readonly error: string; readonly keptCopy: boolean };

/** Timing and limits of a {@link RefreshedS3Object}. */
export interface RefreshOptions {
  /** Re-read the object this often while a good copy is held. */
  readonly refreshMs: number;
  /** Without a good copy (a failed cold start), or when asked to look again early: at most this often. */
  readonly retryMs: number;
  /** Larger objects are refused (a registry is kilobytes; a wrong object could be gigabytes). */
  readonly maxBytes: number;
}

/** The SDK, loaded at the first read: instances whose configuration reads no object never load it. */
function s3Module(): typeof import('@aws-sdk/client-s3') {
  return require('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3');
}

/** An S3 client for the function's own region and credentials (the SDK loaded now). */
export function defaultS3Client(): S3Client {
  return new (s3Module().S3Client)({});
}

/** An HTTP status of an SDK error, if it has one. */
function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

/** One S3 object, re-read on a schedule; {@link value} is the last good copy. */
export class RefreshedS3Object<T> {
  private client: S3Client | undefined;
  private copy: T | null = null;
  private etag: string | null = null;
  /** When a good copy was last confirmed (read, or a 304 on its ETag). */
  private confirmedAt: number | null = null;
  private attemptedAt: number | null = null;

  constructor(
    private readonly makeClient: () => S3Client,
    readonly bucket: string,
    readonly key: string,
    private readonly parse: (text: string) => ParsedObject<T>,
    private readonly options: RefreshOptions,
  ) {}

  /** The last good copy, or null when none was read yet. */
  get value(): T | null {
    return this.copy;
  }

  /** How old the good copy is (since it was last confirmed), or null without one. */
  ageMs(now: number): number | null {
    return this.confirmedAt === null ? null : Math.max(0, now - this.confirmedAt);
  }

  /** Reads the object when a read is due (at the first call, then every `refreshMs`; every `retryMs` without a copy). */
  async refreshIfDue(now: number): Promise<ReadOutcome | null> {
    const every = this.copy === null ? this.options.retryMs : this.options.refreshMs;
    if (this.attemptedAt !== null && now - this.attemptedAt < every) return null;
    return this.read(now);
  }

  /** Reads the object again unless it was read within `retryMs` (something it should know was missing). */
  async refreshSoon(now: number): Promise<ReadOutcome | null> {
    if (this.attemptedAt !== null && now - this.attemptedAt < this.options.retryMs) return null;
    return this.read(now);
  }

  private async read(now: number): Promise<ReadOutcome> {
    this.attemptedAt = now;
    const { GetObjectCommand } = s3Module();
    this.client ??= this.makeClient();
    let text: string;
    let etag: string | null;
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key, ...(this.copy !== null && this.etag !== null ? { IfNoneMatch: this.etag } : {}) }));
      if (response.ContentLength !== undefined && response.ContentLength > this.options.maxBytes) {
        // Not read: the stream is dropped unconsumed.
        (response.Body as { destroy?: () => void } | undefined)?.destroy?.();
        return this.failed(`s3://${this.bucket}/${this.key} is ${response.ContentLength} bytes, over the ${this.options.maxBytes} this reader accepts`);
      }
      text = (await response.Body?.transformToString('utf-8')) ?? '';
      etag = response.ETag ?? null;
    } catch (e) {
      if (statusOf(e) === 304) {
        this.confirmedAt = now;
        return { kind: 'unchanged' };
      }
      return this.failed(`s3://${this.bucket}/${this.key}: ${(e as Error).name}: ${(e as Error).message}`);
    }
    if (Buffer.byteLength(text) > this.options.maxBytes) return this.failed(`s3://${this.bucket}/${this.key} is over the ${this.options.maxBytes} bytes this reader accepts`);
    const parsed = this.parse(text);
    if (parsed.value === null) return { kind: 'unusable', etag, problems: parsed.problems, keptCopy: this.copy !== null };
    const replaced = this.copy !== null;
    this.copy = parsed.value;
    this.etag = etag;
    this.confirmedAt = now;
    return { kind: 'loaded', etag, problems: parsed.problems, summary: parsed.summary, replaced };
  }

  private failed(error: string): ReadOutcome {
    return { kind: 'failed', error, keptCopy: this.copy !== null };
  }
}
