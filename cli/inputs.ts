/**
 * Replay input: files and directories of CloudTrail logs as delivered to S3 (`.json`,
 * `.json.gz`), JSON Lines (`.jsonl`, `.ndjson`, optionally gzipped), EventBridge events, or
 * stdin. Files are read one at a time so a month of logs never sits in memory.
 *
 * Every read is bounded (see {@link InputLimits}): only regular files are opened (a FIFO would
 * block, `/dev/zero` never ends), a file read whole and a gzipped file's inflated content are
 * capped, and so is a line of JSON Lines; a directory reached twice (a symlink loop) is walked once.
 */
import { constants as bufferConstants } from 'node:buffer';
import { closeSync, constants as fsConstants, createReadStream, fstatSync, openSync, promises as fs, readSync, type Dirent, type Stats } from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip, gunzipSync } from 'node:zlib';
import { parseJsonLine, parseText, type ParseOptions, type ParseResult } from '../lambdas/core/parse';
import { linesOf, TOO_LONG } from './lines';

/** A file to replay, with the time its name says it covers (CloudTrail's `…_YYYYMMDDTHHmmZ_…`). */
export interface InputFile {
  readonly path: string;
  readonly display: string;
  readonly stamp: string;
}

/** A path that could not be read, with the reason. */
export interface UnreadableInput {
  readonly path: string;
  readonly reason: string;
}

/** How much of an input replay holds at once (bytes). */
export interface InputLimits {
  /**
   * The most a file read whole (a JSON document: a CloudTrail log file, stdin that is not JSON
   * Lines) may hold, as read and once decompressed, and the most a gzipped file may inflate to
   * before it is rejected (`--max-file-mb`).
   */
  readonly maxFileBytes: number;
  /**
   * The longest line of JSON Lines (a file or stdin): at a longer line the input is unreadable,
   * with the line's number, after the lines before it (`--max-line-mb`). A line that long is no
   * CloudTrail event (at most 256 KB) nor log file, and skipping it could mean reading without end.
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
 * AWS documents no maximum size for a CloudTrail log file; it caps an event at 256 KB (event
 * version 1.05 on, CloudTrail's quotas page) and delivers a file about every five minutes per
 * region. Busy accounts' files reach tens of MB compressed, some hundreds of MB inflated; 500 MB
 * is above any of them and just below the longest string V8 holds ({@link MAX_TEXT_MB}), which
 * a document read whole must fit in anyway. A line holds at most one document (a log file
 * written as one line of JSON Lines, as `zcat` gives them), so it gets the same default.
 */
export const DEFAULT_INPUT_LIMITS: InputLimits = { maxFileBytes: 500 * MB, maxLineBytes: 500 * MB };

const LOG_FILE = /\.(json|jsonl|ndjson)(\.gz)?$/i;
const STAMP = /_(\d{8}T\d{4}Z)_/;

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

function megabytes(bytes: number): string {
  return bytes < MB ? `${bytes} bytes` : `${Math.floor(bytes / MB)} MB`;
}

/**
 * Expands paths into the files to read, walking directories recursively, ordered by the
 * delivery time in CloudTrail's file names (so regions interleave) and then by path. A
 * directory or file reached a second time (through a symlink) is read once; a FIFO, device
 * or socket is unreadable, with the reason.
 */
export async function listInputs(paths: readonly string[]): Promise<{ files: InputFile[]; unreadable: UnreadableInput[] }> {
  const files: InputFile[] = [];
  const unreadable: UnreadableInput[] = [];
  // By device and inode: a symlink back up the tree would otherwise be walked without end.
  const visited = new Set<string>();
  const visit = async (p: string, explicit: boolean, entry?: Dirent): Promise<void> => {
    // A plain file in a walked directory is known from its directory entry: a stat each would
    // cost more than reading a small log file (tens of thousands of them in a month of logs).
    // Hard links may list a file twice; reading it twice changes nothing (events are deduplicated).
    if (entry?.isFile()) {
      if (LOG_FILE.test(p)) files.push({ path: p, display: p, stamp: STAMP.exec(entry.name)?.[1] ?? '' });
      return;
    }
    let stat;
    try {
      stat = await fs.stat(p);
    } catch (e) {
      unreadable.push({ path: p, reason: (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message });
      return;
    }
    if (!stat.isDirectory() && !explicit && !LOG_FILE.test(p)) return;
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
      files.push({ path: p, display: p, stamp: STAMP.exec(path.basename(p))?.[1] ?? '' });
    } else {
      unreadable.push({ path: p, reason: `${notRegular(stat)}: replay reads files, directories, and - for stdin` });
    }
  };
  for (const p of paths) {
    if (p === '-') files.push({ path: '-', display: '<stdin>', stamp: '' });
    else await visit(p, true);
  }
  files.sort((a, b) => (a.stamp < b.stamp ? -1 : a.stamp > b.stamp ? 1 : a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, unreadable };
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
 * Reads one input and yields parse results. JSON Lines are streamed line by line (each line
 * numbered); a JSON document is read whole (CloudTrail writes one small document per file).
 * `parsed` is the document's results when a reader thread parsed it already; `options` bound
 * the event times. Throws only when the file itself cannot be read or decompressed.
 */
export async function* readInput(file: InputFile, parsed?: Promise<ParseResult[]>, options: ParseOptions = {}, limits: InputLimits = DEFAULT_INPUT_LIMITS): AsyncGenerator<ParseResult[]> {
  if (parsed !== undefined) {
    yield await parsed;
    return;
  }
  if (isDocument(file)) {
    yield readDocument(file, options, limits);
    return;
  }
  if (file.path === '-') {
    yield* readStdin(file.display, options, limits);
    return;
  }
  const { fd } = openRegular(file.path);
  const raw = createReadStream(file.path, { fd });
  let stream: Readable = raw;
  if (file.path.toLowerCase().endsWith('.gz')) {
    // A JSON Lines stream holds one line at a time, whatever it inflates to (a month's export
    // is legitimately gigabytes), so only its lines are capped. Errors of the file reach the reader.
    const gunzip = createGunzip();
    raw.on('error', (e) => gunzip.destroy(e));
    stream = raw.pipe(gunzip);
  }
  try {
    yield* readLines(stream, file.display, options, limits);
  } finally {
    raw.destroy();
    stream.destroy();
  }
}

/**
 * Reads a whole-document input and decompresses it, within `limits.maxFileBytes` as read and as
 * inflated. Throws with the reason when it cannot be read, decompressed, or is over the cap.
 */
export function readDocumentText(file: Pick<InputFile, 'path'>, limits: InputLimits = DEFAULT_INPUT_LIMITS): string {
  const max = limits.maxFileBytes;
  let bytes = readRegularFile(file.path, max, '--max-file-mb');
  if (file.path.toLowerCase().endsWith('.gz')) {
    try {
      // Inflation stops once the output passes the cap: a small file that inflates to
      // gigabytes (a gzip bomb) costs the cap, not the gigabytes.
      bytes = gunzipSync(bytes, { maxOutputLength: Math.min(max + 1, bufferConstants.MAX_LENGTH) });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new Error(`inflates to more than ${megabytes(max)} (--max-file-mb)`);
      throw e;
    }
    if (bytes.length > max) throw new Error(`inflates to more than ${megabytes(max)} (--max-file-mb)`);
  }
  try {
    return bytes.toString('utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_STRING_TOO_LONG') throw new Error(`longer than the ${MAX_TEXT_MB} MB a document read whole can be: split it into JSON Lines`);
    throw e;
  }
}

/**
 * Reads, decompresses and parses a whole-document input (the replay's reader thread calls it
 * too). Throws when the file cannot be read or decompressed, or is over the limits.
 */
export function readDocument(file: Pick<InputFile, 'path' | 'display'>, options: ParseOptions = {}, limits: InputLimits = DEFAULT_INPUT_LIMITS): ParseResult[] {
  return parseText(readDocumentText(file, limits), file.display, 1, options);
}

/** {@link readDocument}, with the length of the document's text (what the reader thread's budget ahead counts). */
export function readDocumentSized(file: Pick<InputFile, 'path' | 'display'>, options: ParseOptions = {}, limits: InputLimits = DEFAULT_INPUT_LIMITS): { results: ParseResult[]; bytes: number } {
  const text = readDocumentText(file, limits);
  return { results: parseText(text, file.display, 1, options), bytes: text.length };
}

/** A file read whole (a JSON document, as CloudTrail delivers), not streamed (stdin, JSON Lines). */
export function isDocument(file: InputFile): boolean {
  return file.path !== '-' && !/\.(jsonl|ndjson)(\.gz)?$/i.test(file.path);
}

/** The input's error at a line over the cap (thrown once the lines before it are given). */
function lineTooLong(line: number, limits: InputLimits): Error {
  return new Error(`line ${line} is longer than ${megabytes(limits.maxLineBytes)} (--max-line-mb); the input was read up to it`);
}

async function* readLines(stream: Readable, display: string, options: ParseOptions, limits: InputLimits): AsyncGenerator<ParseResult[]> {
  let n = 0;
  let chunk: ParseResult[] = [];
  for await (const lines of linesOf(stream, limits.maxLineBytes)) {
    for (const line of lines) {
      n += 1;
      if (line === TOO_LONG) {
        if (chunk.length > 0) yield chunk;
        throw lineTooLong(n, limits);
      }
      if (line.trim() !== '') chunk.push(...parseJsonLine(line, { file: display, line: n }, options));
      if (chunk.length >= 1000) {
        yield chunk;
        chunk = [];
      }
    }
  }
  if (chunk.length > 0) yield chunk;
}

/**
 * Stdin may be JSON Lines (streamed) or one JSON document (read whole, within the file cap):
 * the first line that is not blank decides.
 */
async function* readStdin(display: string, options: ParseOptions, limits: InputLimits): AsyncGenerator<ParseResult[]> {
  const buffered: string[] = [];
  let bufferedBytes = 0;
  let mode: 'lines' | 'document' | undefined;
  let n = 0;
  let chunk: ParseResult[] = [];
  for await (const lines of linesOf(process.stdin, limits.maxLineBytes)) {
    for (const line of lines) {
      n += 1;
      if (line === TOO_LONG) {
        if (chunk.length > 0) yield chunk;
        throw lineTooLong(n, limits);
      }
      if (mode === undefined) {
        if (line.trim() === '') {
          buffered.push(line);
          continue;
        }
        try {
          JSON.parse(line);
          mode = 'lines';
        } catch {
          mode = 'document';
        }
      }
      if (mode === 'document') {
        bufferedBytes += line.length + 1;
        if (bufferedBytes > limits.maxFileBytes) throw new Error(`larger than ${megabytes(limits.maxFileBytes)} (--max-file-mb) as one JSON document`);
        buffered.push(line);
        continue;
      }
      if (line.trim() !== '') chunk.push(...parseJsonLine(line, { file: display, line: n }, options));
      if (chunk.length >= 1000) {
        yield chunk;
        chunk = [];
      }
    }
  }
  if (mode === 'document') yield parseText(buffered.join('\n'), display, 1, options);
  else if (chunk.length > 0) yield chunk;
}
