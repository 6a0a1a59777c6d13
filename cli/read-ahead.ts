/**
 * Parses a replay's whole-document inputs on a worker thread, ahead of the engine: reading,
 * gunzip and JSON parsing of the next files overlap the detection of this one. A bounded
 * number of files is parsed ahead, and a bounded amount of their text (a few large files hold
 * as much as many small ones), so memory stays flat however many files there are.
 *
 * The two threads share the work: files are claimed in order from a shared counter, and when
 * the engine's thread would wait for the reader, it claims the next file and parses it itself.
 * So neither thread sits idle, whichever side is the slower.
 */
import { join } from 'node:path';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { ParseOptions, ParseResult } from '../lambdas/core/parse';
import { ResultDecoder, type Encoded } from './handover';
import { DEFAULT_INPUT_LIMITS, MB, readDocumentSized, SkippedInput, type InputLimits } from './inputs';

/** A file the reader thread parses. */
export interface ReadAheadFile {
  /** The caller's index of the file. */
  readonly index: number;
  readonly path: string;
  readonly display: string;
}

/** What the reader thread is given. */
export interface ReaderData {
  readonly files: readonly ReadAheadFile[];
  readonly ahead: number;
  /** Text (bytes, decompressed) of the files parsed ahead and not yet taken, beyond which no further file is started. */
  readonly aheadBytes: number;
  /** The threads' shared counters, {@link Control}. */
  readonly control: SharedArrayBuffer;
  /** One BigInt64: bytes of text of the files the engine has taken from the thread. */
  readonly takenBytes: SharedArrayBuffer;
  /** How both threads parse (the same bound on event times, whichever thread parses a file). */
  readonly parse: ParseOptions;
  /** Caps on what a file may hold (the same, whichever thread reads it). */
  readonly limits: InputLimits;
  /** Where the thread sends each file's results (the engine drains it between files, see {@link ReadAhead}). */
  readonly results: MessagePort;
}

/**
 * What the reader thread sends for each file (its results encoded, see handover.ts), or why it
 * has none: unreadable, or `skipped` (not CloudTrail, see {@link SkippedInput}).
 */
export type ReadAheadMessage = { readonly index: number; readonly results: Encoded; readonly bytes: number } | { readonly index: number; readonly error: string; readonly skipped: boolean };

/** A file's results as the engine takes them. */
type Parsed = { readonly results: ParseResult[]; readonly bytes: number } | { readonly error: string; readonly skipped: boolean };

/**
 * The Int32 slots both threads share. The engine hands back a place ahead by counting the files
 * it took (and their bytes), and the thread, when it is as far ahead as it may be, looks at the
 * count every millisecond. The engine never wakes it: a message per file, or a wake-up, cost the
 * engine's thread more than decoding the file (each is a switch to the other thread).
 */
export const Control = {
  /** The position in `files` of the next file either thread may claim. */
  NEXT_CLAIM: 0,
  /** Files the engine has taken from the thread (the thread waits on it when it is far enough ahead). */
  TAKEN: 1,
  /** 1 once the replay closes the reader: the thread stops waiting and ends. */
  CLOSED: 2,
  SLOTS: 3,
} as const;

/** Files parsed ahead of the one the engine is on. */
const DEFAULT_AHEAD = 64;
/**
 * Text parsed ahead, by either thread. Sixty-four files of a busy account (tens of MB each,
 * inflated) would hold gigabytes of parsed records; this holds a few files of that size, and
 * still all 64 of small ones. A file larger than this is parsed alone.
 */
export const DEFAULT_AHEAD_BYTES = 256 * MB;

/** The reader thread: ask for each file's results in any order; close it when done. */
export class ReadAhead {
  private readonly worker: Worker;
  /** The thread's results: drained on the spot when a file is asked for, else delivered as events. */
  private readonly port: MessagePort;
  private readonly files: readonly ReadAheadFile[];
  private readonly control: Int32Array;
  private readonly takenBytes: BigInt64Array;
  /** Results by the caller's index: from the thread, or parsed here while waiting for it. */
  private readonly arrived = new Map<number, Parsed>();
  private readonly waiting = new Map<number, () => void>();
  private readonly decoder = new ResultDecoder();
  /** Files parsed here and not yet taken (no place ahead to give back for them), with their size. */
  private readonly here = new Map<number, number>();
  private hereBytes = 0;
  private readonly ahead: number;
  private readonly aheadBytes: number;
  private readonly parse: ParseOptions;
  private readonly limits: InputLimits;
  private failure: Error | null = null;
  private parsedHere = 0;

  constructor(files: readonly ReadAheadFile[], ahead = DEFAULT_AHEAD, parse: ParseOptions = {}, limits: InputLimits = DEFAULT_INPUT_LIMITS, aheadBytes = DEFAULT_AHEAD_BYTES) {
    this.files = files;
    this.ahead = ahead;
    this.aheadBytes = aheadBytes;
    this.parse = parse;
    this.limits = limits;
    const control = new SharedArrayBuffer(Control.SLOTS * Int32Array.BYTES_PER_ELEMENT);
    const takenBytes = new SharedArrayBuffer(BigInt64Array.BYTES_PER_ELEMENT);
    this.control = new Int32Array(control);
    this.takenBytes = new BigInt64Array(takenBytes);
    const channel = new MessageChannel();
    this.port = channel.port1;
    this.worker = startReader({ files, ahead, aheadBytes, control, takenBytes, parse, limits, results: channel.port2 });
    // While the engine waits, results arrive as events; while it works, they queue until it drains them.
    this.port.on('message', (message: ReadAheadMessage) => this.receive(message));
    const fail = (e: Error): void => {
      this.failure = new Error(`the reader thread stopped: ${e.message}`);
      for (const wake of this.waiting.values()) wake();
      this.waiting.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => {
      if (this.failure === null && code !== 0) fail(new Error(`exit code ${code}`));
    });
  }

  /** Files the engine's thread parsed itself, because the reader thread was behind. */
  get filesParsedHere(): number {
    return this.parsedHere;
  }

  /** The file's parse results; rejects with the reason when it cannot be read or decompressed, with a {@link SkippedInput} when it is not CloudTrail. */
  async results(index: number): Promise<ParseResult[]> {
    let parsed = this.arrived.get(index);
    // The engine's work between files is synchronous, so the thread's messages wait in the port
    // until the event loop turns: take them now, or a file the thread has done looks missing and
    // gets parsed a second time here.
    if (parsed === undefined) {
      this.drain();
      parsed = this.arrived.get(index);
    }
    while (parsed === undefined) {
      // When the thread is behind (nothing of its waits to be taken), parse the next unclaimed
      // file here rather than wait, then let its messages in. When it is ahead, the file is the
      // one it is on: wait for it (parsing here would take the engine's time, the scarce one).
      // Wait too when no file is left, or as many files (or bytes) as the thread may parse ahead are.
      const behind = this.arrived.size === 0;
      if (behind && this.here.size < this.ahead && (this.hereBytes < this.aheadBytes || this.here.size === 0) && this.parseNextHere()) await new Promise<void>((resolve) => setImmediate(resolve));
      else await this.wait(index);
      parsed = this.arrived.get(index);
    }
    this.arrived.delete(index);
    // Each file the thread sent and the engine took frees a place ahead, and its bytes.
    const bytes = 'error' in parsed ? 0 : parsed.bytes;
    if (this.here.has(index)) {
      this.here.delete(index);
      this.hereBytes -= bytes;
    } else {
      Atomics.add(this.takenBytes, 0, BigInt(bytes));
      Atomics.add(this.control, Control.TAKEN, 1);
    }
    if ('error' in parsed) throw parsed.skipped ? new SkippedInput(parsed.error) : new Error(parsed.error);
    return parsed.results;
  }

  /** Stops the thread (at the end of a replay, or when it stops early). */
  async close(): Promise<void> {
    this.failure ??= new Error('the reader thread was closed');
    Atomics.store(this.control, Control.CLOSED, 1);
    this.port.close();
    await this.worker.terminate();
  }

  /** Takes every message the thread has sent so far, without waiting for the event loop. */
  private drain(): void {
    for (let m = receiveMessageOnPort(this.port); m !== undefined; m = receiveMessageOnPort(this.port)) this.receive(m.message as ReadAheadMessage);
  }

  /** A file's results from the thread, decoded in the order they were sent (the decoder's table follows the encoder's). */
  private receive(message: ReadAheadMessage): void {
    this.arrive(message.index, 'error' in message ? message : { results: this.decoder.decode(message.results), bytes: message.bytes });
  }

  private arrive(index: number, parsed: Parsed): void {
    this.arrived.set(index, parsed);
    const wake = this.waiting.get(index);
    if (wake) {
      this.waiting.delete(index);
      wake();
    }
  }

  /** Claims and parses the next file no thread has started; false when all are claimed. */
  private parseNextHere(): boolean {
    const position = Atomics.add(this.control, Control.NEXT_CLAIM, 1);
    if (position >= this.files.length) return false;
    const file = this.files[position]!;
    let parsed: Parsed;
    try {
      parsed = readDocumentSized(file, this.parse, this.limits);
    } catch (e) {
      parsed = { error: (e as Error).message, skipped: e instanceof SkippedInput };
    }
    this.parsedHere += 1;
    const bytes = 'error' in parsed ? 0 : parsed.bytes;
    this.here.set(file.index, bytes);
    this.hereBytes += bytes;
    this.arrived.set(file.index, parsed);
    return true;
  }

  private async wait(index: number): Promise<void> {
    if (this.failure) throw this.failure;
    await new Promise<void>((resolve) => this.waiting.set(index, resolve));
    if (this.failure && !this.arrived.has(index)) throw this.failure;
  }
}

/** Compiled, the thread runs read-worker.js; from the TypeScript sources (tests, tsx) through tsx. */
function startReader(workerData: ReaderData): Worker {
  const transferList = [workerData.results];
  if (__filename.endsWith('.js')) return new Worker(join(__dirname, 'read-worker.js'), { workerData, transferList });
  const script = join(__dirname, 'read-worker.ts');
  return new Worker(`require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(script)});`, { eval: true, workerData, transferList });
}
