/**
 * Parses a replay's whole-document inputs on a worker thread, ahead of the engine: reading,
 * gunzip and JSON parsing of the next files overlap the detection of this one. A bounded
 * number of files is parsed ahead, so memory stays flat however many files there are.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ParseResult } from '../engine/parse';

/** A file the reader thread parses. */
export interface ReadAheadFile {
  /** The caller's index of the file. */
  readonly index: number;
  readonly path: string;
  readonly display: string;
}

/** What the reader thread sends for each file. */
export type ReadAheadMessage = { readonly index: number; readonly results: ParseResult[] } | { readonly index: number; readonly error: string };

/** Files parsed ahead of the one the engine is on. */
const DEFAULT_AHEAD = 16;

/** The reader thread: ask for each file's results in any order; close it when done. */
export class ReadAhead {
  private readonly worker: Worker;
  private readonly arrived = new Map<number, ReadAheadMessage>();
  private readonly waiting = new Map<number, { resolve: (m: ReadAheadMessage) => void; reject: (e: Error) => void }>();
  private failure: Error | null = null;

  constructor(files: readonly ReadAheadFile[], ahead = DEFAULT_AHEAD) {
    this.worker = startReader({ files, ahead });
    this.worker.on('message', (m: ReadAheadMessage) => {
      const waiter = this.waiting.get(m.index);
      if (waiter) {
        this.waiting.delete(m.index);
        waiter.resolve(m);
      } else this.arrived.set(m.index, m);
    });
    const fail = (e: Error): void => {
      this.failure = new Error(`the reader thread stopped: ${e.message}`);
      for (const w of this.waiting.values()) w.reject(this.failure);
      this.waiting.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => {
      if (this.failure === null && code !== 0) fail(new Error(`exit code ${code}`));
    });
  }

  /** The file's parse results; rejects with the reason when it cannot be read or decompressed. */
  async results(index: number): Promise<ParseResult[]> {
    const message = this.arrived.get(index) ?? (await this.wait(index));
    this.arrived.delete(index);
    this.worker.postMessage(1);
    if ('error' in message) throw new Error(message.error);
    return message.results;
  }

  /** Stops the thread (at the end of a replay, or when it stops early). */
  async close(): Promise<void> {
    this.failure ??= new Error('the reader thread was closed');
    await this.worker.terminate();
  }

  private wait(index: number): Promise<ReadAheadMessage> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => this.waiting.set(index, { resolve, reject }));
  }
}

/** Compiled, the thread runs read-worker.js; from the TypeScript sources (tests, tsx) through tsx. */
function startReader(workerData: { files: readonly ReadAheadFile[]; ahead: number }): Worker {
  if (__filename.endsWith('.js')) return new Worker(join(__dirname, 'read-worker.js'), { workerData });
  const script = join(__dirname, 'read-worker.ts');
  return new Worker(`require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(script)});`, { eval: true, workerData });
}
