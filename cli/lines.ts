/**
 * Lines of JSON Lines input (a file or stdin) with a cap on a line's length, in place of
 * `readline`, which holds a line however long it grows (a line past V8's longest string throws
 * a `RangeError` where nothing can catch it).
 */
import { constants as bufferConstants } from 'node:buffer';

/** A line over the cap, in place of its text: the input ends there. */
export const TOO_LONG = Symbol('line over the cap');
/** A line's text, or {@link TOO_LONG}. */
export type Line = string | typeof TOO_LONG;

/**
 * Splits a byte stream into lines, holding at most `maxBytes` of a line: a longer line is given
 * as {@link TOO_LONG}, and nothing after it, so memory stays bounded whatever the input
 * (`/dev/zero` on stdin, a multi-gigabyte line). Every line before it is given once (empty
 * ones too), so the caller's line numbers are right.
 */
export class LineSplitter {
  private parts: Buffer[] = [];
  private length = 0;
  private over = false;
  private readonly maxBytes: number;

  constructor(maxBytes: number) {
    // A longer line cannot be one string anyway.
    this.maxBytes = Math.min(maxBytes, bufferConstants.MAX_STRING_LENGTH);
  }

  /** Appends the lines `chunk` completes to `out`. */
  push(chunk: Buffer, out: Line[]): void {
    let start = 0;
    while (!this.over) {
      const end = chunk.indexOf(10, start);
      const piece = chunk.subarray(start, end === -1 ? chunk.length : end);
      if (this.length + piece.length > this.maxBytes) {
        out.push(TOO_LONG);
        this.over = true;
        this.parts = [];
        return;
      }
      if (piece.length > 0) {
        this.parts.push(piece);
        this.length += piece.length;
      }
      if (end === -1) return;
      out.push(this.take());
      start = end + 1;
    }
  }

  /** Appends the last line (one with no newline after it) to `out`. */
  end(out: Line[]): void {
    if (!this.over && this.length > 0) out.push(this.take());
  }

  private take(): string {
    const bytes = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.length);
    this.parts = [];
    this.length = 0;
    // `\r\n` line ends (a file written on Windows) end the same line.
    const n = bytes.length > 0 && bytes[bytes.length - 1] === 13 ? bytes.length - 1 : bytes.length;
    return bytes.toString('utf8', 0, n);
  }
}

/** The lines of a stream, a chunk's worth at a time; reading stops at a line over the cap. */
export async function* linesOf(stream: AsyncIterable<Buffer>, maxLineBytes: number): AsyncGenerator<Line[]> {
  const splitter = new LineSplitter(maxLineBytes);
  for await (const chunk of stream) {
    const out: Line[] = [];
    splitter.push(chunk, out);
    if (out.length > 0) yield out;
    if (out[out.length - 1] === TOO_LONG) return;
  }
  const out: Line[] = [];
  splitter.end(out);
  if (out.length > 0) yield out;
}
