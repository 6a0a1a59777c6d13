/**
 * Replay input: files and directories of CloudTrail logs as delivered to S3 (`.json`,
 * `.json.gz`), JSON Lines (`.jsonl`, `.ndjson`, `.log` or no extension, optionally gzipped),
 * EventBridge events, or stdin; what each holds is judged by its content (content.ts), and a
 * file that is not CloudTrail is skipped with the reason. Objects in S3 are listed by
 * s3-input.ts and read the same way. Files are read one at a time so a month of logs never sits
 * in memory.
 *
 * Every read is bounded (see {@link InputLimits}): only regular files are opened (a FIFO would
 * block, `/dev/zero` never ends), a file read whole and a gzipped file's inflated content are
 * capped, and so is a line of JSON Lines; a directory reached twice (a symlink loop) is walked once.
 */
import { closeSync, constants as fsConstants, createReadStream, fstatSync, openSync, promises as fs, readSync, type Dirent, type Stats } from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import type { ParseOptions, ParseResult } from '../lambdas/core/parse';
import { UsageError } from './args';
import { documentText, MAX_TEXT_MB, MB, megabytes, resultsOfText, SkippedInput, streamResults, type InputLimits } from './content';

export { MAX_TEXT_MB, MB, SkippedInput, type InputLimits };

/** A file to replay, with the time its name says it covers (CloudTrail's `…_YYYYMMDDTHHmmZ_…`). */
export interface InputFile {
  readonly path: string;
  readonly display: string;
  readonly stamp: string;
  /** An object in S3 (its path is its `s3://` URL), with the size its listing gave. */
  readonly object?: S3ObjectRef;
}

/** An S3 object to read. */
export interface S3ObjectRef {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
}

/** A path that could not be read, with the reason. */
export interface UnreadableInput {
  readonly path: string;
  readonly reason: string;
}

/** An input passed over whole, with the reason: not CloudTrail, hidden, or no regular file in a walked directory. */
export interface SkippedFile {
  readonly path: string;
  readonly reason: string;
}

/**
 * Days to read, UTC, both inclusive, as `YYYYMMDD`: the delivery date CloudTrail writes in its
 * folders and file names. Null for no bound.
 */
export interface DayRange {
  readonly from: string | null;
  readonly to: string | null;
}

/** Every day. */
export const ALL_DAYS: DayRange = { from: null, to: null };

/**
 * AWS documents no maximum size for a CloudTrail log file; it caps an event at 256 KB (event
 * version 1.05 on, CloudTrail's quotas page) and delivers a file about every five minutes per
 * region. Busy accounts' files reach tens of MB compressed, some hundreds of MB inflated; 500 MB
 * is above any of them and just below the longest string V8 holds ({@link MAX_TEXT_MB}), which
 * a document read whole must fit in anyway. A line holds at most one document (a log file
 * written as one line of JSON Lines, as `zcat` gives them), so it gets the same default.
 */
export const DEFAULT_INPUT_LIMITS: InputLimits = { maxFileBytes: 500 * MB, maxLineBytes: 500 * MB };

/** Names read whole, as CloudTrail delivers its log files (by the reader thread, from 64 of them). */
const DOCUMENT_NAME = /\.json(\.gz)?$/i;
/** Names that promise CloudTrail-ish JSON: a FIFO or device named so in a walked directory is unreadable, not skipped. */
const LOG_FILE = /\.(json|jsonl|ndjson|log)(\.gz)?$/i;
const STAMP = /_(\d{8}T\d{4}Z)_/;
const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The delivery time in a CloudTrail file name (`…_YYYYMMDDTHHmmZ_…`), or ''. */
export function stampOf(name: string): string {
  return STAMP.exec(name)?.[1] ?? '';
}

/** Replay's file order: by the delivery time in the name (so regions interleave), then by path. */
export function byDeliveryTime(a: InputFile, b: InputFile): number {
  return a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

/** A `--from`/`--to` date (`YYYY-MM-DD`, UTC) as `YYYYMMDD`; a usage error naming the option otherwise. */
export function parseDay(text: string, option: string): string {
  const m = DAY.exec(text);
  const valid = m !== null && new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))).toISOString().slice(0, 10) === text;
  if (!valid) throw new UsageError(`${option} takes a date as YYYY-MM-DD (UTC), got ${JSON.stringify(text)}`);
  return `${m[1]}${m[2]}${m[3]}`;
}

/** The days between `from` and `to` (`YYYY-MM-DD`, either may be absent); a usage error when they are malformed or reversed. */
export function dayRange(from?: string | null, to?: string | null): DayRange {
  const range = { from: from ? parseDay(from, '--from') : null, to: to ? parseDay(to, '--to') : null };
  if (range.from !== null && range.to !== null && range.from > range.to) throw new UsageError(`--from ${from} is after --to ${to}`);
  return range;
}

/** Whether a file whose name says it was delivered at `stamp` (or says nothing: '') is in the range. */
export function stampInRange(stamp: string, range: DayRange): boolean {
  if (stamp === '') return true;
  const day = stamp.slice(0, 8);
  return (range.from === null || day >= range.from) && (range.to === null || day <= range.to);
}

/** Stdin can be read once: naming it twice is a usage error, not a second, empty input. */
export function checkInputPaths(paths: readonly string[]): void {
  if (paths.filter((p) => p === '-').length > 1) throw new UsageError('- (stdin) is given twice; it can be read once');
}

/** What a path that is not a regular file or a directory is, for the message. */
function kindOf(stat: Stats): string {
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'not a file';
}

/** The reason a path that is not a regular file is not read: it could block, or never end. */
function notRegular(stat: Stats): string {
  return `not a regular file (${kindOf(stat)})`;
}

/**
 * Expands local paths into the files to read, walking directories recursively, ordered by the
 * delivery time in CloudTrail's file names (so regions interleave) and then by path, and only
 * those whose name dates them in `range` (a name without CloudTrail's date is kept). Every file
 * of a walked directory is listed, whatever its name: its content says what it is. A directory
 * or file reached a second time (through a symlink) is read once; a FIFO, device or socket is
 * unreadable, with the reason (skipped, in a walked directory, unless its name says it is a log);
 * hidden entries of a walked directory (`.git`, `.DS_Store`) are skipped without being opened.
 */
export async function listInputs(paths: readonly string[], range: DayRange = ALL_DAYS): Promise<{ files: InputFile[]; unreadable: UnreadableInput[]; skipped: SkippedFile[] }> {
  checkInputPaths(paths);
  const files: InputFile[] = [];
  const unreadable: UnreadableInput[] = [];
  const skipped: SkippedFile[] = [];
  const add = (p: string, name: string): void => {
    const stamp = stampOf(name);
    if (stampInRange(stamp, range)) files.push({ path: p, display: p, stamp });
  };
  // By device and inode: a symlink back up the tree would otherwise be walked without end.
  const visited = new Set<string>();
  const visit = async (p: string, explicit: boolean, entry?: Dirent): Promise<void> => {
    if (entry?.name.startsWith('.')) {
      skipped.push({ path: p, reason: 'hidden (its name begins with a dot): not walked' });
      return;
    }
    // A plain file in a walked directory is known from its directory entry: a stat each would
    // cost more than reading a small log file (tens of thousands of them in a month of logs).
    // Hard links may list a file twice; reading it twice changes nothing (events are deduplicated).
    if (entry?.isFile()) {
      add(p, entry.name);
      return;
    }
    let stat;
    try {
      stat = await fs.stat(p);
    } catch (e) {
      unreadable.push({ path: p, reason: (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message });
      return;
    }
    const id = `${stat.dev}:${stat.ino}`;
    if (visited.has(id)) return;
    visited.add(id);
    if (stat.isDirectory()) {
      let entries: Dirent[];
      try {
        entries = (await fs.readdir(p, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      } catch (e) {
        unreadable.push({ path: p, reason: (e as Error).message });
        return;
      }
      // Directories, links and the rest are looked at (stat): a link may lead back up the tree.
      for (const e of entries) await visit(path.join(p, e.name), false, e);
    } else if (stat.isFile()) {
      add(p, path.basename(p));
    } else if (explicit || LOG_FILE.test(p)) {
      unreadable.push({ path: p, reason: `${notRegular(stat)}: replay reads files, directories, and - for stdin` });
    } else {
      skipped.push({ path: p, reason: notRegular(stat) });
    }
  };
  for (const p of paths) {
    if (p === '-') files.push({ path: '-', display: '<stdin>', stamp: '' });
    else await visit(p, true);
  }
  files.sort(byDeliveryTime);
  return { files, unreadable, skipped };
}

/**
 * Opens a path for reading only if it is a regular file. `O_NONBLOCK` makes opening a FIFO
 * return at once (a blocking open waits for a writer that may never come); the check is on the
 * open descriptor, so a file swapped for a FIFO after it was listed is caught too.
 */
function openRegular(file: string): { fd: number; size: number } {
  const fd = openSync(file, fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0));
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new Error(notRegular(stat));
    return { fd, size: stat.size };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}

/**
 * Reads a regular file whole, at most `maxBytes` of it: a larger file is refused with
 * `bound` (the option that sets the cap) in the message, before or while it is read (it may
 * grow, or say size 0 as `/proc` files do).
 */
export function readRegularFile(file: string, maxBytes: number, bound: string): Buffer {
  const { fd, size } = openRegular(file);
  try {
    const tooLarge = (): Error => new Error(`larger than ${megabytes(maxBytes)} (${bound})`);
    if (size > maxBytes) throw tooLarge();
    const chunks: Buffer[] = [];
    let total = 0;
    // Room for the size it says and one more byte (which shows it did not grow); then more.
    let chunk = Buffer.allocUnsafe(Math.min(size, maxBytes) + 1);
    let used = 0;
    for (;;) {
      if (used === chunk.length) {
        chunks.push(chunk);
        chunk = Buffer.allocUnsafe(Math.min(MB, maxBytes + 1 - total));
        used = 0;
      }
      const n = readSync(fd, chunk, used, chunk.length - used, null);
      if (n === 0) break;
      used += n;
      total += n;
      if (total > maxBytes) throw tooLarge();
    }
    chunks.push(chunk.subarray(0, used));
    return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

/**
 * Where an input's content comes from when replay prepared it: its parse results (the reader
 * thread's, or a fetched S3 object's), or a stream to read (an S3 object that is not read whole).
 */
export type Prepared = Promise<ParseResult[]> | (() => Promise<Readable>);

/**
 * Reads one input and yields parse results. A file named as CloudTrail names its log files
 * (`.json`, `.json.gz`) is read whole; any other input is streamed line by line (JSON Lines, or
 * documents run together or over lines). `prepared` is the content when replay got it already;
 * `options` bound the event times. Throws when the input itself cannot be read or decompressed,
 * and {@link SkippedInput} (before any result) when it is not CloudTrail.
 */
export async function* readInput(file: InputFile, prepared?: Prepared, options: ParseOptions = {}, limits: InputLimits = DEFAULT_INPUT_LIMITS): AsyncGenerator<ParseResult[]> {
  if (typeof prepared === 'function') {
    const stream = await prepared();
    try {
      yield* streamResults(stream, file.object?.key ?? file.path, file.display, options, limits);
    } finally {
      stream.destroy();
    }
    return;
  }
  if (prepared !== undefined) {
    yield await prepared;
    return;
  }
  if (file.path === '-') {
    yield* streamResults(process.stdin, '-', file.display, options, limits);
    return;
  }
  if (isDocument(file)) {
    yield readDocument(file, options, limits);
    return;
  }
  const { fd } = openRegular(file.path);
  const raw = createReadStream(file.path, { fd });
  try {
    yield* streamResults(raw, file.path, file.display, options, limits);
  } finally {
    raw.destroy();
  }
}

/**
 * Reads, decompresses and parses a whole-document input (the replay's reader thread calls it
 * too). Throws when the file cannot be read or decompressed, or is over the limits, and
 * {@link SkippedInput} when it is not CloudTrail.
 */
export function readDocument(file: Pick<InputFile, 'path' | 'display'>, options: ParseOptions = {}, limits: InputLimits = DEFAULT_INPUT_LIMITS): ParseResult[] {
  return readDocumentSized(file, options, limits).results;
}

/** {@link readDocument}, with the length of the document's text (what the reader thread's budget ahead counts). */
export function readDocumentSized(file: Pick<InputFile, 'path' | 'display'>, options: ParseOptions = {}, limits: InputLimits = DEFAULT_INPUT_LIMITS): { results: ParseResult[]; bytes: number } {
  const text = documentText(readRegularFile(file.path, limits.maxFileBytes, '--max-file-mb'), file.path, limits.maxFileBytes);
  return { results: resultsOfText(text, file.display, options, limits), bytes: text.length };
}

/** Parses an input's bytes read whole (a fetched S3 object), as {@link readDocumentSized} parses a file's. */
export function documentResults(bytes: Buffer, name: string, display: string, options: ParseOptions = {}, limits: InputLimits = DEFAULT_INPUT_LIMITS): ParseResult[] {
  return resultsOfText(documentText(bytes, name, limits.maxFileBytes), display, options, limits);
}

/** A file read whole (named as CloudTrail names its log files), not streamed (stdin, JSON Lines, any other name). */
export function isDocument(file: Pick<InputFile, 'path'>): boolean {
  return file.path !== '-' && DOCUMENT_NAME.test(file.path);
}
