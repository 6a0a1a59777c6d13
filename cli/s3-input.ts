/**
 * Replay straight from the trail's bucket: `s3://bucket/prefix/` lists CloudTrail's layout
 * (`AWSLogs/[<o-org-id>/]<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/`) with ListObjectsV2 and
 * a `/` delimiter, descending only into the accounts, regions and days in the range asked for,
 * so a month of a busy bucket costs a listing of that month, never of the bucket. A prefix that
 * points inside the layout starts there; one outside it is walked folder by folder (each
 * `AWSLogs/` found is pruned the same way) and its files are kept by the date in CloudTrail's
 * file name, when they have one.
 *
 * Objects are fetched ahead of the engine, at most {@link DEFAULT_GETS_IN_FLIGHT} at a time and
 * {@link DEFAULT_S3_AHEAD_BYTES} held, then read exactly as local files are (inputs.ts,
 * content.ts): CloudTrail's `.json.gz` whole, anything else streamed by its content. Credentials
 * come from the SDK's default chain; an endpoint (an S3-compatible store, a test server) from
 * `endpoint` or the SDK's own `AWS_ENDPOINT_URL_S3`.
 */
import { setMaxListeners } from 'node:events';
import type { Readable } from 'node:stream';
import type { GetObjectCommandOutput, ListObjectsV2CommandOutput, S3Client } from '@aws-sdk/client-s3';
import type { ParseOptions, ParseResult } from '../lambdas/core/parse';
import { UsageError } from './args';
import { MB, megabytes, type InputLimits } from './content';
import { byDeliveryTime, checkInputPaths, documentResults, isDocument, listInputs, stampInRange, stampOf, type DayRange, type InputFile, type Prepared, type SkippedFile, type UnreadableInput } from './inputs';

/** GETs in flight at once: enough to hide S3's first-byte latency behind small log files. */
export const DEFAULT_GETS_IN_FLIGHT = 16;
/** ListObjectsV2 requests in flight at once (accounts, regions and days are listed side by side). */
export const DEFAULT_LISTS_IN_FLIGHT = 16;
/** Bytes (as stored: gzip) of objects fetched or being fetched and not yet replayed. An object larger than this is fetched alone. */
export const DEFAULT_S3_AHEAD_BYTES = 128 * MB;
/** Objects fetched ahead, however small. */
const DEFAULT_OBJECTS_AHEAD = 256;

const ORG_ID = /^o-[a-z0-9]{10,32}$/;
const ACCOUNT_ID = /^\d{12}$/;
const YEAR = /^\d{4}$/;
const TWO_DIGITS = /^\d{2}$/;
/** S3's bucket naming rules (general purpose buckets), loosely: what may follow `s3://`. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** A bucket and a key prefix. */
export interface S3Location {
  readonly bucket: string;
  readonly prefix: string;
}

/** How replay reaches S3. */
export interface S3InputOptions {
  /** An S3-compatible endpoint (path-style addressing). @default AWS's, or the SDK's AWS_ENDPOINT_URL_S3 */
  readonly endpoint?: string;
  /** @default the default chain's region, else us-east-1 (requests follow a bucket's region redirect) */
  readonly region?: string;
}

/**
 * The SDK, loaded at the first S3 path (a local replay never loads it), once: a dynamic import
 * per request copied the module's hundreds of exports each time, a third of a replay's CPU.
 */
function sdk(): typeof import('@aws-sdk/client-s3') {
  return require('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3');
}

/** Whether a replay path is an S3 URL. */
export function isS3Url(p: string): boolean {
  return p.startsWith('s3://');
}

/** `s3://bucket/prefix` as its bucket and prefix; a usage error for anything else. */
export function parseS3Url(url: string): S3Location {
  const rest = url.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  if (!BUCKET.test(bucket)) throw new UsageError(`${url}: expected s3://BUCKET/PREFIX with a bucket name of 3 to 63 lower-case letters, digits, dots and hyphens`);
  return { bucket, prefix: slash === -1 ? '' : rest.slice(slash + 1) };
}

/** An S3 client through the SDK's default credential chain. */
export async function s3Client(options: S3InputOptions = {}): Promise<S3Client> {
  const { S3Client: Client } = sdk();
  const base = { followRegionRedirects: true, ...(options.endpoint ? { endpoint: options.endpoint, forcePathStyle: true } : {}) };
  const client = new Client({ ...base, ...(options.region ? { region: options.region } : {}) });
  if (options.region) return client;
  try {
    await client.config.region();
    return client;
  } catch {
    // No region configured: any one will do for a first request, S3 redirects to the bucket's.
    client.destroy();
    return new Client({ ...base, region: 'us-east-1' });
  }
}

/** An SDK error as a line: its code, its message, and what to do for the usual ones. */
export function describeS3Error(e: unknown): string {
  const error = e as Error & { $metadata?: { httpStatusCode?: number } };
  // Ours (a cap reached), or the network's: the message says it.
  if (error.$metadata === undefined && error.name === 'Error') return error.message;
  const name = error.name && error.name !== 'Error' ? error.name : `HTTP ${error.$metadata?.httpStatusCode ?? '?'}`;
  const message = (error.message || '').split('\n')[0]!.slice(0, 300);
  if (name === 'CredentialsProviderError') return `no AWS credentials: ${message} (the default chain: AWS_PROFILE or the environment's keys, ~/.aws, SSO, an instance or task role)`;
  return message && message !== name ? `${name}: ${message}` : name;
}

/** Where a prefix is in CloudTrail's layout. */
type Level =
  | { readonly kind: 'outside' | 'awslogs' | 'org' | 'account' | 'trail' | 'region' }
  | { readonly kind: 'dated'; readonly date: string };

/** The level of a prefix ending in `/`: what its children are in CloudTrail's layout, or `outside` it. */
function levelOf(prefix: string): Level {
  const segments = prefix.split('/').slice(0, -1);
  const at = segments.indexOf('AWSLogs');
  if (at === -1) return { kind: 'outside' };
  const rest = segments.slice(at + 1);
  if (rest.length === 0) return { kind: 'awslogs' };
  let k = 0;
  if (ORG_ID.test(rest[0]!)) {
    if (rest.length === 1) return { kind: 'org' };
    k = 1;
  }
  // Another service's logs (`CloudTrail-Digest`, `elasticloadbalancing`), or no account: not CloudTrail's layout.
  if (!ACCOUNT_ID.test(rest[k]!)) return { kind: 'outside' };
  if (rest.length === k + 1) return { kind: 'account' };
  if (rest[k + 1] !== 'CloudTrail') return { kind: 'outside' };
  if (rest.length === k + 2) return { kind: 'trail' };
  if (rest.length === k + 3) return { kind: 'region' };
  const [year, month, day] = rest.slice(k + 3);
  if (!YEAR.test(year!)) return { kind: 'outside' };
  if (month === undefined) return { kind: 'dated', date: year! };
  if (!TWO_DIGITS.test(month)) return { kind: 'outside' };
  if (day === undefined) return { kind: 'dated', date: `${year}${month}` };
  if (!TWO_DIGITS.test(day)) return { kind: 'outside' };
  return { kind: 'dated', date: `${year}${month}${day}` };
}

/** Whether a year (`YYYY`), month (`YYYYMM`) or day (`YYYYMMDD`) overlaps the range. */
function overlaps(date: string, range: DayRange): boolean {
  return (range.from === null || date >= range.from.slice(0, date.length)) && (range.to === null || date <= range.to.slice(0, date.length));
}

/** Whether every day of a year, month or day is in the range (so everything under its folder is wanted). */
function within(date: string, range: DayRange): boolean {
  const first = date.length === 4 ? `${date}0101` : date.length === 6 ? `${date}01` : date;
  const last = date.length === 4 ? `${date}1231` : date.length === 6 ? `${date}31` : date;
  return (range.from === null || range.from <= first) && (range.to === null || range.to >= last);
}

/** At most `limit` tasks at a time. */
class Limiter {
  private active = 0;
  private readonly queue: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.active += 1;
    try {
      return await task();
    } finally {
      this.active -= 1;
      this.queue.shift()?.();
    }
  }
}

/**
 * Lists the objects under S3 URLs (see the module's comment), those in `range` only, as replay's
 * input files (unsorted). A listing that fails (no such bucket, access denied, no credentials) is
 * unreadable input named by its `s3://` URL; the rest is still listed.
 */
export async function listS3Inputs(client: S3Client, urls: readonly string[], range: DayRange, listsInFlight = DEFAULT_LISTS_IN_FLIGHT): Promise<{ files: InputFile[]; unreadable: UnreadableInput[] }> {
  const { ListObjectsV2Command } = sdk();
  const files: InputFile[] = [];
  const unreadable: UnreadableInput[] = [];
  const limiter = new Limiter(listsInFlight);
  const seen = new Set<string>();

  /** Lists a prefix (with the delimiter, or everything under it), keeping its objects; resolves to its sub-prefixes. */
  const list = async (bucket: string, prefix: string, delimited: boolean): Promise<string[]> => {
    const children: string[] = [];
    let token: string | undefined;
    do {
      const page: ListObjectsV2CommandOutput = await limiter.run(() =>
        client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(delimited ? { Delimiter: '/' } : {}), ...(token ? { ContinuationToken: token } : {}) })),
      );
      for (const object of page.Contents ?? []) {
        const key = object.Key;
        // A key ending in `/` is a folder the console made, not a file.
        if (key === undefined || key.endsWith('/')) continue;
        const url = `s3://${bucket}/${key}`;
        const stamp = stampOf(key.slice(key.lastIndexOf('/') + 1));
        if (seen.has(url) || !stampInRange(stamp, range)) continue;
        seen.add(url);
        files.push({ path: url, display: url, stamp, object: { bucket, key, size: object.Size ?? 0 } });
      }
      for (const p of page.CommonPrefixes ?? []) if (p.Prefix !== undefined) children.push(p.Prefix);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return children;
  };

  const visit = async (bucket: string, prefix: string): Promise<void> => {
    try {
      if (prefix !== '' && !prefix.endsWith('/')) {
        // Part of a name (`…/2026/10/0`): its folders are placed by their full names.
        await Promise.all((await list(bucket, prefix, true)).map((child) => visit(bucket, child)));
        return;
      }
      const level = levelOf(prefix);
      let children: string[];
      switch (level.kind) {
        case 'account':
          // Only CloudTrail's folder: no listing of the account's other services.
          children = [`${prefix}CloudTrail/`];
          break;
        case 'awslogs':
        case 'org':
          children = (await list(bucket, prefix, true)).filter((child) => {
            const name = child.slice(prefix.length, -1);
            return ACCOUNT_ID.test(name) || (level.kind === 'awslogs' && ORG_ID.test(name));
          });
          break;
        case 'outside':
        case 'trail':
          children = await list(bucket, prefix, true);
          break;
        case 'region':
        case 'dated':
          if (level.kind === 'dated' && !overlaps(level.date, range)) return;
          // All of it is in range: everything under it, a thousand keys a request.
          if ((range.from === null && range.to === null) || (level.kind === 'dated' && within(level.date, range))) {
            await list(bucket, prefix, false);
            return;
          }
          children = (await list(bucket, prefix, true)).filter((child) => {
            const sub = levelOf(child);
            return sub.kind === 'dated' && overlaps(sub.date, range);
          });
          break;
      }
      await Promise.all(children.map((child) => visit(bucket, child)));
    } catch (e) {
      unreadable.push({ path: `s3://${bucket}/${prefix}`, reason: describeS3Error(e) });
    }
  };

  await Promise.all(urls.map((url) => {
    const { bucket, prefix } = parseS3Url(url);
    return visit(bucket, prefix);
  }));
  return { files, unreadable };
}

/** Replay's inputs: local files and S3 objects in replay's order, and the reader of the S3 objects among them. */
export interface ListedInputs {
  readonly files: InputFile[];
  readonly unreadable: UnreadableInput[];
  readonly skipped: SkippedFile[];
  /** Null when no input is in S3. Close it when the replay ends. */
  readonly s3: S3Reader | null;
}

/**
 * Lists replay's paths: local files and directories (inputs.ts) and `s3://` URLs, in `range`, in
 * replay's order (the delivery time in CloudTrail's file names, then the path), so a bucket's
 * objects replay in the order their local copies would. Usage errors (stdin twice, a malformed
 * URL) are thrown before anything is listed.
 */
export async function listReplayInputs(paths: readonly string[], range: DayRange, s3: S3InputOptions, limits: InputLimits): Promise<ListedInputs> {
  checkInputPaths(paths);
  const urls = paths.filter(isS3Url);
  for (const url of urls) parseS3Url(url);
  const local = await listInputs(paths.filter((p) => !isS3Url(p)), range);
  if (urls.length === 0) return { ...local, s3: null };
  const client = await s3Client(s3);
  const remote = await listS3Inputs(client, urls, range);
  const files = [...local.files, ...remote.files].sort(byDeliveryTime);
  return { files, unreadable: [...local.unreadable, ...remote.unreadable], skipped: local.skipped, s3: new S3Reader(client, files, limits) };
}

/** What a fetch ahead gave: the object's bytes, or why it has none. */
type Fetched = Buffer | Error;

/**
 * Fetches the S3 objects among replay's files ahead of the engine, in replay's order: at most
 * `getsInFlight` GETs at a time, and at most `aheadBytes` (as stored) fetched and not yet taken,
 * besides the object the engine waits for. An object over `--max-file-mb` is refused before it
 * is read whole. Objects not read whole (JSON Lines) are not fetched ahead: the engine streams
 * them when it gets to them.
 */
export class S3Reader {
  /** The files fetched ahead: replay's indexes of whole-document objects, in order. */
  private readonly queue: number[];
  private next = 0;
  private readonly started = new Set<number>();
  private inFlight = 0;
  private heldBytes = 0;
  private heldObjects = 0;
  private readonly fetched = new Map<number, Promise<Fetched>>();
  private readonly abort = new AbortController();
  private closed = false;

  constructor(
    private readonly client: S3Client,
    private readonly files: readonly InputFile[],
    private readonly limits: InputLimits,
    private readonly getsInFlight = DEFAULT_GETS_IN_FLIGHT,
    private readonly aheadBytes = DEFAULT_S3_AHEAD_BYTES,
  ) {
    this.queue = files.flatMap((file, index) => (file.object !== undefined && isDocument(file) ? [index] : []));
    // Each request in flight listens on the one signal (and a stream being read): more than Node's default of 10.
    setMaxListeners(getsInFlight + 8, this.abort.signal);
  }

  /** The content of `files[index]`, an S3 object, for {@link readInput}: its parse results, or a stream to read. */
  prepare(index: number, parse: ParseOptions): Prepared {
    const file = this.files[index]!;
    const object = file.object!;
    if (!isDocument(file)) return () => this.open(file);
    this.pump();
    // The engine is here: the object it waits for is fetched now, whatever the window holds.
    if (!this.started.has(index)) this.start(index);
    return this.fetched.get(index)!.then((bytes): ParseResult[] => {
      this.fetched.delete(index);
      this.heldBytes -= object.size;
      this.heldObjects -= 1;
      this.pump();
      if (bytes instanceof Error) throw bytes;
      return documentResults(bytes, object.key, file.display, parse, this.limits);
    });
  }

  /** Stops fetching and closes the client (the replay ended, or stopped early). */
  close(): void {
    this.closed = true;
    this.abort.abort();
    this.client.destroy();
  }

  /** Starts the next fetches the window has room for. */
  private pump(): void {
    while (!this.closed && this.next < this.queue.length && this.inFlight < this.getsInFlight) {
      const index = this.queue[this.next]!;
      if (this.started.has(index)) {
        this.next += 1;
        continue;
      }
      const size = this.files[index]!.object!.size;
      if (this.heldObjects > 0 && (this.heldBytes + size > this.aheadBytes || this.heldObjects >= DEFAULT_OBJECTS_AHEAD)) return;
      this.start(index);
    }
  }

  private start(index: number): void {
    const object = this.files[index]!.object!;
    this.started.add(index);
    this.heldBytes += object.size;
    this.heldObjects += 1;
    this.inFlight += 1;
    const done = this.get(object.bucket, object.key).then(
      (bytes) => bytes,
      (e: unknown) => new Error(describeS3Error(e)),
    );
    this.fetched.set(index, done);
    void done.then(() => {
      this.inFlight -= 1;
      this.pump();
    });
  }

  /** One object whole, within `--max-file-mb` (refused by its size before its body is read, when S3 gives one). */
  private async get(bucket: string, key: string): Promise<Buffer> {
    const response = await this.send(bucket, key);
    const body = response.Body as Readable | undefined;
    const max = this.limits.maxFileBytes;
    if (response.ContentLength !== undefined && response.ContentLength > max) {
      body?.destroy();
      throw new Error(`larger than ${megabytes(max)} (--max-file-mb)`);
    }
    if (body === undefined) return Buffer.alloc(0);
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of body) {
      total += (chunk as Buffer).length;
      if (total > max) {
        body.destroy();
        throw new Error(`larger than ${megabytes(max)} (--max-file-mb)`);
      }
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks, total);
  }

  /** A stream of an object that is not read whole (JSON Lines, any other name): its lines are capped as they come. */
  private async open(file: InputFile): Promise<Readable> {
    try {
      const response = await this.send(file.object!.bucket, file.object!.key);
      return response.Body as Readable;
    } catch (e) {
      throw new Error(describeS3Error(e));
    }
  }

  private async send(bucket: string, key: string): Promise<GetObjectCommandOutput> {
    const { GetObjectCommand } = sdk();
    return this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: this.abort.signal });
  }
}
