/**
 * The reader thread of a replay (see {@link ReadAhead}): claims files in order, reads,
 * decompresses and parses them, a bounded number of files (and bytes of text) ahead of the
 * engine. It runs straight through, and sleeps on the shared counter of files taken when it is
 * as far ahead as it may be.
 */
import { workerData } from 'node:worker_threads';
import { ResultEncoder } from './handover';
import { readDocumentSized, SkippedInput } from './inputs';
import { Control, type ReadAheadMessage, type ReaderData } from './read-ahead';

const { files, ahead, aheadBytes, control, takenBytes, parse, limits, results } = workerData as ReaderData;
const shared = new Int32Array(control);
const taken = new BigInt64Array(takenBytes);
const encoder = new ResultEncoder();
/** Files sent, and their text, since the start. */
let sent = 0;
let sentBytes = 0n;

/** How often a thread as far ahead as it may be looks whether the engine has taken files (ms). */
const LOOK_EVERY_MS = 1;

/** Waits until the engine has taken enough to make room; false once the reader is closed. */
function room(): boolean {
  for (;;) {
    if (Atomics.load(shared, Control.CLOSED) === 1) return false;
    const takenFiles = Atomics.load(shared, Control.TAKEN);
    const waiting = sent - takenFiles;
    // A file larger than the budget is still read, alone (nothing else ahead).
    if (waiting === 0 || (waiting < ahead && sentBytes - Atomics.load(taken, 0) < BigInt(aheadBytes))) return true;
    Atomics.wait(shared, Control.TAKEN, takenFiles, LOOK_EVERY_MS);
  }
}

while (room()) {
  // The engine's thread claims files too, when it would otherwise wait for this one.
  const position = Atomics.add(shared, Control.NEXT_CLAIM, 1);
  if (position >= files.length) break;
  const file = files[position]!;
  let message: ReadAheadMessage;
  try {
    const { results: parsed, bytes } = readDocumentSized(file, parse, limits);
    sentBytes += BigInt(bytes);
    message = { index: file.index, results: encoder.encode(parsed), bytes };
  } catch (e) {
    message = { index: file.index, error: (e as Error).message, skipped: e instanceof SkippedInput };
  }
  sent += 1;
  results.postMessage(message);
}
