/**
 * Replay input: files and directories of CloudTrail logs as delivered to S3 (`.json`,
 * `.json.gz`), JSON Lines (`.jsonl`, `.ndjson`, optionally gzipped), EventBridge events, or
 * stdin. Files are read one at a time so a month of logs never sits in memory.
 */
import { createReadStream, promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { createGunzip, gunzipSync } from 'node:zlib';
import { parseJsonLine, parseText, type ParseOptions, type ParseResult } from '../lambdas/core/parse';

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

const LOG_FILE = /\.(json|jsonl|ndjson)(\.gz)?$/i;
const STAMP = /_(\d{8}T\d{4}Z)_/;

/**
 * Expands paths into the files to read, walking directories recursively, ordered by the
 * delivery time in CloudTrail's file names (so regions interleave) and then by path.
 */
export async function listInputs(paths: readonly string[]): Promise<{ files: InputFile[]; unreadable: UnreadableInput[] }> {
  const files: InputFile[] = [];
  const unreadable: UnreadableInput[] = [];
  const visit = async (p: string, explicit: boolean): Promise<void> => {
    let stat;
    try {
      stat = await fs.stat(p);
    } catch (e) {
      unreadable.push({ path: p, reason: (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message });
      return;
    }
    if (stat.isDirectory()) {
      let entries: string[];
      try {
        entries = (await fs.readdir(p)).sort();
      } catch (e) {
        unreadable.push({ path: p, reason: (e as Error).message });
        return;
      }
      for (const entry of entries) await visit(path.join(p, entry), false);
    } else if (explicit || LOG_FILE.test(p)) {
      files.push({ path: p, display: p, stamp: STAMP.exec(path.basename(p))?.[1] ?? '' });
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
 * Reads one input and yields parse results. JSON Lines are streamed line by line (each line
 * numbered); a JSON document is read whole (CloudTrail writes one small document per file).
 * `parsed` is the document's results when a reader thread parsed it already; `options` bound
 * the event times. Throws only when the file itself cannot be read or decompressed.
 */
export async function* readInput(file: InputFile, parsed?: Promise<ParseResult[]>, options: ParseOptions = {}): AsyncGenerator<ParseResult[]> {
  if (parsed !== undefined) {
    yield await parsed;
    return;
  }
  if (isDocument(file)) {
    yield readDocument(file, options);
    return;
  }
  if (file.path === '-') {
    yield* readStdin(file.display, options);
    return;
  }
  const raw = createReadStream(file.path);
  const stream = file.path.toLowerCase().endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  yield* readLines(stream, file.display, options);
}

/**
 * Reads, decompresses and parses a whole-document input (the replay's reader thread calls it
 * too). Throws when the file cannot be read or decompressed.
 */
export function readDocument(file: Pick<InputFile, 'path' | 'display'>, options: ParseOptions = {}): ParseResult[] {
  const bytes = readFileSync(file.path);
  return parseText((file.path.toLowerCase().endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8'), file.display, 1, options);
}

/** A file read whole (a JSON document, as CloudTrail delivers), not streamed (stdin, JSON Lines). */
export function isDocument(file: InputFile): boolean {
  return file.path !== '-' && !/\.(jsonl|ndjson)(\.gz)?$/i.test(file.path);
}

async function* readLines(stream: Readable, display: string, options: ParseOptions): AsyncGenerator<ParseResult[]> {
  const reader = createInterface({ input: stream, crlfDelay: Infinity });
  let n = 0;
  let chunk: ParseResult[] = [];
  for await (const line of reader) {
    n += 1;
    if (line.trim() === '') continue;
    chunk.push(...parseJsonLine(line, { file: display, line: n }, options));
    if (chunk.length >= 1000) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

/** Stdin may be JSON Lines (streamed) or one JSON document (read whole). */
async function* readStdin(display: string, options: ParseOptions): AsyncGenerator<ParseResult[]> {
  const reader = createInterface({ input: process.stdin, crlfDelay: Infinity });
  const iterator = reader[Symbol.asyncIterator]();
  const buffered: string[] = [];
  let mode: 'lines' | 'document' | undefined;
  let n = 0;
  let chunk: ParseResult[] = [];
  for (;;) {
    const next = await iterator.next();
    if (next.done) break;
    const line = next.value;
    n += 1;
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
      buffered.push(line);
      continue;
    }
    if (line.trim() !== '') chunk.push(...parseJsonLine(line, { file: display, line: n }, options));
    if (chunk.length >= 1000) {
      yield chunk;
      chunk = [];
    }
  }
  if (mode === 'document') yield parseText(buffered.join('\n'), display, 1, options);
  else if (chunk.length > 0) yield chunk;
}
