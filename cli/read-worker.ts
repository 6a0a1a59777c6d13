/**
 * The reader thread of a replay (see {@link ReadAhead}): claims files in order, reads,
 * decompresses and parses them, a bounded number of files ahead of the engine.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { ResultEncoder } from './handover';
import { readDocument } from './inputs';
import type { ReadAheadMessage, ReaderData } from './read-ahead';

const { files, ahead, claims, parse } = workerData as ReaderData;
const claim = new Int32Array(claims);
const port = parentPort!;
const encoder = new ResultEncoder();
let credits = ahead;
let done = false;

function pump(): void {
  while (credits > 0 && !done) {
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
      message = { index: file.index, results: encoder.encode(readDocument(file, parse)) };
    } catch (e) {
      message = { index: file.index, error: (e as Error).message };
    }
    port.postMessage(message);
  }
}

// The replay hands back a credit for each file it has taken.
port.on('message', (taken: number) => {
  credits += taken;
  pump();
});
pump();
