/**
 * What an input holds, judged by its content as well as its name: gzip by its magic bytes, JSON
 * by its first character, CloudTrail by its first value. Files of any name in a walked directory
 * are read this way, and stdin: a README, a CSV or a configuration file beside the logs is
 * skipped with the reason, never counted as rejected records.
 *
 * A name still counts where it promises something: a `.gz` file that is not gzip is unreadable
 * (a damaged download), and a `.json`, `.jsonl` or `.ndjson` file whose text is not JSON has its
 * lines rejected one by one, as before, rather than the whole file passed over.
 */
import { constants as bufferConstants } from 'node:buffer';
import { pipeline, Readable } from 'node:stream';
import { createGunzip, gunzipSync } from 'node:zlib';
import { ECS_REASON, isElasticCommonSchema, parseDocument, type ParseOptions, type ParseResult } from '../lambdas/core/parse';
import { JsonValues, type JsonValue } from './json-values';
import { linesOf, TOO_LONG } from './lines';

/** How much of an input replay holds at once (bytes). */
export interface InputLimits {
  /**
   * The most a file read whole (a JSON document: a CloudTrail log file), or a document printed
   * over several lines, may hold, as read and once decompressed, and the most a gzipped file
   * read whole may inflate to before it is rejected (`--max-file-mb`).
   */
  readonly maxFileBytes: number;
  /**
   * The longest line of a streamed input (JSON Lines, stdin): at a longer line the input is
   * unreadable, with the line's number, after the lines before it (`--max-line-mb`). A line that
   * long is no CloudTrail event (at most 256 KB) nor log file, and skipping it could mean reading without end.
   */
  readonly maxLineBytes: number;
}

/** A megabyte, as the options count them. */
export const MB = 1024 * 1024;

/**
 * The most text one JavaScript string can hold (V8's limit, about 512 MB): a document read whole
 * and a line are each one string, so no cap can usefully be larger.
 */
export const MAX_TEXT_MB = Math.floor(bufferConstants.MAX_STRING_LENGTH / MB);

/**
 * An input that is not CloudTrail (a README, a CSV, a configuration file, an export already
 * mapped to another schema): passed over whole, with the reason, and never counted as rejected
 * records. Thrown before any of the input's records is given.
 */
export class SkippedInput extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'SkippedInput';
  }
}

/** Names whose text is promised to be JSON: its lines are rejected, not the file skipped, when it is not. */
const JSON_NAME = /\.(json|jsonl|ndjson)(\.gz)?$/i;

/** A name that promises gzip. */
function promisesGzip(name: string): boolean {
  return /\.gz$/i.test(name);
}

/** Gzip's magic bytes (RFC 1952): what says a file is gzip, whatever its name. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The size, for messages. */
export function megabytes(bytes: number): string {
  return bytes < MB ? `${bytes} bytes` : `${Math.floor(bytes / MB)} MB`;
}

/**
 * A whole input's text: inflated when it is gzip (by its magic bytes), within `maxBytes` as
 * inflated. Throws when a `.gz` name holds no gzip, when it inflates past the cap, or when the
 * text cannot be one string.
 */
export function documentText(bytes: Buffer, name: string, maxBytes: number): string {
  let text = bytes;
  if (isGzip(bytes)) {
    try {
      // Inflation stops once the output passes the cap: a small file that inflates to
      // gigabytes (a gzip bomb) costs the cap, not the gigabytes.
      text = gunzipSync(bytes, { maxOutputLength: Math.min(maxBytes + 1, bufferConstants.MAX_LENGTH) });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new Error(`inflates to more than ${megabytes(maxBytes)} (--max-file-mb)`);
      throw e;
    }
    if (text.length > maxBytes) throw new Error(`inflates to more than ${megabytes(maxBytes)} (--max-file-mb)`);
  } else if (promisesGzip(name)) {
    throw new Error('not gzip, though its name ends .gz');
  }
  try {
    return text.toString('utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_STRING_TOO_LONG') throw new Error(`longer than the ${MAX_TEXT_MB} MB a document read whole can be: split it into JSON Lines`);
    throw e;
  }
}

/** Parses a whole input's text: one document (the common case, one JSON.parse), or values run together or over lines. */
export function resultsOfText(text: string, display: string, options: ParseOptions, limits: InputLimits): ParseResult[] {
  if (!/\S/.test(text)) return [];
  let doc: unknown;
  try {
    // A byte-order mark is no JSON whitespace.
    doc = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    const values = new JsonValues(limits.maxFileBytes, (line) => documentTooLarge(line, limits));
    const found: JsonValue[] = [];
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      values.push(line.endsWith('\r') ? line.slice(0, -1) : line, i + 1, found);
    }
    values.end(found);
    const out: ParseResult[] = [];
    new RecordReader(display, options).take(found, out);
    return out;
  }
  const reason = notCloudTrail(doc);
  if (reason !== null) throw new SkippedInput(reason);
  return parseDocument(doc, { file: display, line: 1 }, options);
}

/** The error at a document over several lines that grows past the cap. */
function documentTooLarge(line: number, limits: InputLimits): Error {
  return new Error(`the JSON document from line ${line} is larger than ${megabytes(limits.maxFileBytes)} (--max-file-mb)`);
}

/** The input's error at a line over the cap (thrown once the lines before it are given). */
function lineTooLong(line: number, limits: InputLimits): Error {
  return new Error(`line ${line} is longer than ${megabytes(limits.maxLineBytes)} (--max-line-mb); the input was read up to it`);
}

/**
 * Streams an input's parse results: gzip (by its magic bytes) inflated as it comes, lines capped
 * at `limits.maxLineBytes`, values over several lines at `limits.maxFileBytes`. An input whose
 * name does not promise JSON and whose first character is not `{` or `[` is skipped
 * ({@link SkippedInput}) after its first bytes, not read to the end.
 */
export async function* streamResults(source: AsyncIterable<Buffer>, name: string, display: string, options: ParseOptions, limits: InputLimits): AsyncGenerator<ParseResult[]> {
  const records = new RecordReader(display, options);
  const values = new JsonValues(limits.maxFileBytes, (line) => documentTooLarge(line, limits));
  const found: JsonValue[] = [];
  let chunk: ParseResult[] = [];
  let n = 0;
  const text = sniffJson(await decompressed(source, name), name === '-' || !JSON_NAME.test(name));
  for await (const lines of linesOf(text, limits.maxLineBytes)) {
    for (const line of lines) {
      n += 1;
      if (line === TOO_LONG) {
        if (chunk.length > 0) yield chunk;
        throw lineTooLong(n, limits);
      }
      values.push(line, n, found);
      if (found.length > 0) {
        records.take(found, chunk);
        found.length = 0;
      }
      if (chunk.length >= 1000) {
        yield chunk;
        chunk = [];
      }
    }
  }
  values.end(found);
  records.take(found, chunk);
  if (chunk.length > 0) yield chunk;
}

/** The bytes of a stream, inflated when its first two bytes are gzip's; a `.gz` name that holds no gzip is an error. */
async function decompressed(source: AsyncIterable<Buffer>, name: string): Promise<AsyncIterable<Buffer>> {
  const iterator = source[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let length = 0;
  let ended = false;
  while (length < 2) {
    const next = await iterator.next();
    if (next.done) {
      ended = true;
      break;
    }
    head.push(next.value);
    length += next.value.length;
  }
  const rest = async function* (): AsyncGenerator<Buffer> {
    try {
      yield* head;
      if (ended) return;
      for (;;) {
        const next = await iterator.next();
        if (next.done) return;
        yield next.value;
      }
    } finally {
      // Read no further when the reader stops early (an input skipped at its first bytes): a stream's iterator closes it.
      await iterator.return?.();
    }
  };
  const first = head.length === 1 ? head[0]! : Buffer.concat(head);
  if (!isGzip(first)) {
    if (promisesGzip(name) && length > 0) throw new Error('not gzip, though its name ends .gz');
    return rest();
  }
  // The stream's own errors, and gunzip's, end the iteration with the error.
  const gunzip = createGunzip();
  pipeline(Readable.from(rest()), gunzip, () => undefined);
  return gunzip;
}

/**
 * Passes the bytes through, having looked at the first that is not whitespace (nor a byte-order
 * mark): when `check` is set and it is not `{` or `[`, the input is no JSON and is skipped.
 */
async function* sniffJson(source: AsyncIterable<Buffer>, check: boolean): AsyncGenerator<Buffer> {
  let decided = !check;
  let start = true;
  for await (const chunk of source) {
    if (!decided) {
      let i = start && chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf ? 3 : 0;
      start = false;
      while (i < chunk.length && (chunk[i] === 32 || chunk[i] === 9 || chunk[i] === 10 || chunk[i] === 13)) i += 1;
      if (i < chunk.length) {
        if (chunk[i] !== 0x7b && chunk[i] !== 0x5b) throw new SkippedInput(`not JSON: it begins ${JSON.stringify(chunk.subarray(i, i + 24).toString('utf8'))}`);
        decided = true;
      }
    }
    yield chunk;
  }
}

/** Fields that only CloudTrail's containers and records (or an EventBridge event) have at the top. */
const CLOUDTRAIL_FIELDS = ['Records', 'eventID', 'eventTime', 'eventName', 'eventSource', 'eventVersion', 'userIdentity', 'detail', 'detail-type'] as const;

/**
 * Why the first value of an input shows it is not CloudTrail, or null when it may be: an object
 * with none of CloudTrail's fields (a configuration file, another service's log), a scalar, or a
 * document mapped to Elastic Common Schema. An array is judged by its first element.
 */
export function notCloudTrail(value: unknown, depth = 0): string | null {
  if (Array.isArray(value)) return value.length === 0 || depth >= 8 ? null : notCloudTrail(value[0], depth + 1);
  if (typeof value !== 'object' || value === null) return `not CloudTrail: a JSON ${value === null ? 'null' : typeof value}, where a log file, record or event is an object`;
  const doc = value as Record<string, unknown>;
  for (const field of CLOUDTRAIL_FIELDS) if (field in doc) return null;
  // A log platform's search hit: judged by the record it holds.
  if (typeof doc._source === 'object' && doc._source !== null && '_index' in doc) return notCloudTrail(doc._source, depth + 1);
  if (isElasticCommonSchema(doc)) return ECS_REASON;
  const keys = Object.keys(doc);
  const shown = keys.slice(0, 4).map((k) => JSON.stringify(k.slice(0, 40)));
  return `not CloudTrail: an object without Records, eventID, eventTime or detail (${keys.length === 0 ? 'no keys' : `keys ${shown.join(', ')}${keys.length > 4 ? ', …' : ''}`})`;
}

/**
 * Turns an input's values into parse results: its first value decides whether the input is
 * CloudTrail at all ({@link SkippedInput} when not); each later value is parsed, and each text
 * that is not JSON rejected with its line.
 */
class RecordReader {
  private first = true;

  constructor(
    private readonly display: string,
    private readonly options: ParseOptions,
  ) {}

  take(values: readonly JsonValue[], out: ParseResult[]): void {
    for (const v of values) {
      if ('error' in v) {
        this.first = false;
        out.push({ kind: 'rejected', reason: v.error, eventId: null, origin: { file: this.display, line: v.line } });
        continue;
      }
      if (this.first) {
        this.first = false;
        const reason = notCloudTrail(v.value);
        if (reason !== null) throw new SkippedInput(reason);
      }
      const results = parseDocument(v.value, { file: this.display, line: v.line }, this.options);
      for (let i = 0; i < results.length; i++) out.push(results[i]!);
    }
  }
}
