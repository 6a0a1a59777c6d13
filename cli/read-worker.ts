/**
 * The reader thread of a replay (see {@link ReadAhead}): claims files in order, reads,
 * decompresses and parses them, a bounded number of files (and bytes of text) ahead of the engine.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ResultEncoder } from './handover';
import { readDocumentSized, SkippedInput } from './inputs';
import type { ReadAheadMessage, ReaderData } from './read-ahead';

const { files, ahead, aheadBytes, claims, parse, limits } = workerData as ReaderData;
const claim = new Int32Array(claims);
const port = parentPort!;
const encoder = new ResultEncoder();
let credits = ahead;
/** Text of the files sent and not yet taken by the engine. */
let bytesAhead = 0;
let done = false;

function pump(): void {
  // A file larger than the budget is still read, alone (nothing else ahead).
  while (credits > 0 && (bytesAhead < aheadBytes || credits === ahead) && !done) {
    // The engine's thread claims files too, when it would otherwise wait for this one.
    const position = Atomics.add(claim, 0, 1);
    if (position >= files.length) {
      done = true;
      return;
    }
    const file = files[position]!;
    credits -= 1;
    let message: ReadAheadMessage;
    try {
      const { results, bytes } = readDocumentSized(file, parse, limits);
      bytesAhead += bytes;
      message = { index: file.index, results: encoder.encode(results), bytes };
    } catch (e) {
      message = { index: file.index, error: (e as Error).message, skipped: e instanceof SkippedInput };
    }
    port.postMessage(message);
  }
}

// The replay hands back a credit for each file it has taken, with the file's bytes.
port.on('message', (bytes: number) => {
  credits += 1;
  bytesAhead -= bytes;
  pump();
});
pump();
