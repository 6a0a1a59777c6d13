/**
 * The reader thread of a replay (see {@link ReadAhead}): reads, decompresses and parses
 * whole-document inputs in order, a bounded number of files ahead of the engine.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readDocument } from './inputs';
import type { ReadAheadFile, ReadAheadMessage } from './read-ahead';

const { files, ahead } = workerData as { files: readonly ReadAheadFile[]; ahead: number };
const port = parentPort!;
let credits = ahead;
let next = 0;

function pump(): void {
  while (credits > 0 && next < files.length) {
    const file = files[next]!;
    next += 1;
    credits -= 1;
    let message: ReadAheadMessage;
    try {
      message = { index: file.index, results: readDocument(file) };
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
