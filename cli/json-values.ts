/**
 * The top-level JSON values of an input, line by line: JSON Lines (a value a line), several
 * documents run together on one line (`zcat *.json.gz` gives CloudTrail's files that way: they
 * end without a newline), and documents printed over several lines (`jq .`, one after another).
 *
 * A line that is a whole value costs one `JSON.parse`, as JSON Lines did before. Only a line
 * that is not is scanned here, bracket by bracket, to find where its values end. A value spread
 * over lines is held until it ends, within a cap; JSON strings hold no raw line breaks, so a line
 * that ends inside a string is broken, and a line beginning at column 0 with `{` or `[` while a
 * value is still open begins a new value (pretty printers indent what is nested). So a truncated
 * line costs that line alone, never the input after it, and every line is scanned at most once.
 */

/** A top-level value and the line it begins on, or why the text there is not JSON. */
export type JsonValue = { readonly value: unknown; readonly line: number } | { readonly error: string; readonly line: number };

/** A value over several lines, still open. */
interface Open {
  readonly parts: string[];
  bytes: number;
  depth: number;
  readonly line: number;
}

const OPEN_BRACE = 123;
const OPEN_BRACKET = 91;
const CLOSE_BRACE = 125;
const CLOSE_BRACKET = 93;
const QUOTE = 34;
const BACKSLASH = 92;

/** Where a value that began at `from` ends on this line (`end`), or that it goes on (`open`), or cannot be JSON (`broken`). */
type Scan = { readonly kind: 'closed'; readonly end: number } | { readonly kind: 'open'; readonly depth: number } | { readonly kind: 'broken' };

/** Splits lines into top-level JSON values (see the module's comment). */
export class JsonValues {
  private open: Open | null = null;
  /** After a value over several lines broke: its remaining lines, up to the next value's first line, are passed over. */
  private skipping = false;

  /**
   * @param maxValueBytes the most a value over several lines may hold (`--max-file-mb`); past it
   * the input is unreadable. A value on one line is bounded by the line's own cap.
   * @param overCap the error thrown past `maxValueBytes`, given the line the value began on.
   */
  constructor(
    private readonly maxValueBytes: number,
    private readonly overCap: (line: number) => Error,
  ) {}

  /** Appends the values line `n` ends (and the errors it holds) to `out`. */
  push(line: string, n: number, out: JsonValue[]): void {
    const open = this.open;
    if (open !== null || this.skipping) {
      const c = line.charCodeAt(0);
      if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        // A new value at column 0: whatever was open never ended.
        if (open !== null) out.push({ error: `not JSON: the document begun on line ${open.line} does not end before line ${n}`, line: open.line });
        this.open = null;
        this.skipping = false;
      } else if (open === null) {
        return;
      } else {
        this.continueOpen(open, line, n, out);
        return;
      }
    }
    this.fresh(line, n, out);
  }

  /** Appends the error of a value still open at the end of the input. */
  end(out: JsonValue[]): void {
    if (this.open !== null) out.push({ error: `not JSON: the document begun on line ${this.open.line} does not end (the input ends first)`, line: this.open.line });
    this.open = null;
    this.skipping = false;
  }

  private continueOpen(open: Open, line: string, n: number, out: JsonValue[]): void {
    const scan = scanValue(line, 0, open.depth);
    if (scan.kind === 'open') {
      open.bytes += line.length + 1;
      if (open.bytes > this.maxValueBytes) throw this.overCap(open.line);
      open.parts.push(line);
      open.depth = scan.depth;
      return;
    }
    this.open = null;
    if (scan.kind === 'broken') {
      out.push({ error: `not JSON: line ${n} of the document begun on line ${open.line} ends inside a string or closes more than it opened`, line: open.line });
      this.skipping = true;
      return;
    }
    open.parts.push(line.slice(0, scan.end));
    out.push(parsed(open.parts.join('\n'), open.line));
    this.fresh(line.slice(scan.end), n, out);
  }

  /** The values of text (a line, or what follows a value on it) with nothing open before it. */
  private fresh(text: string, n: number, out: JsonValue[]): void {
    let pos = firstNonSpace(text, 0);
    if (pos === text.length) return;
    try {
      // The common case: the line is one value (JSON Lines), or the whole of a document.
      out.push({ value: JSON.parse(text), line: n });
      return;
    } catch (e) {
      const c = text.charCodeAt(pos);
      if (c !== OPEN_BRACE && c !== OPEN_BRACKET) {
        out.push({ error: `not JSON: ${(e as Error).message}`, line: n });
        return;
      }
    }
    // Values run together, or one that goes on to the next lines: split by brackets, no second JSON.parse of the whole.
    while (pos < text.length) {
      const c = text.charCodeAt(pos);
      if (c !== OPEN_BRACE && c !== OPEN_BRACKET) {
        out.push(parsed(text.slice(pos), n));
        return;
      }
      const scan = scanValue(text, pos, 0);
      if (scan.kind === 'closed') {
        out.push(parsed(text.slice(pos, scan.end), n));
        pos = firstNonSpace(text, scan.end);
      } else if (scan.kind === 'open') {
        const rest = text.slice(pos);
        if (rest.length > this.maxValueBytes) throw this.overCap(n);
        this.open = { parts: [rest], bytes: rest.length, depth: scan.depth, line: n };
        return;
      } else {
        out.push(parsed(text.slice(pos), n));
        return;
      }
    }
  }
}

/** The value of a text, or JSON.parse's reason. */
function parsed(text: string, line: number): JsonValue {
  try {
    return { value: JSON.parse(text), line };
  } catch (e) {
    return { error: `not JSON: ${(e as Error).message}`, line };
  }
}

/** The first position from `from` that is not JSON whitespace (or a byte-order mark), or the text's length. */
function firstNonSpace(text: string, from: number): number {
  let i = from;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13 && c !== 0xfeff) break;
  }
  return i;
}

/**
 * Follows brackets from `from` (at `depth` already) to where the value closes. Only the depth is
 * kept, never a stack, so a line of a million `[` costs a number; JSON.parse checks the rest.
 */
function scanValue(text: string, from: number, depth: number): Scan {
  let d = depth;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // To the closing quote: one not escaped by an odd run of backslashes.
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q === -1) return { kind: 'broken' };
        let slashes = 0;
        for (let k = q - 1; k > i && text.charCodeAt(k) === BACKSLASH; k--) slashes += 1;
        if (slashes % 2 === 0) {
          i = q;
          break;
        }
        j = q + 1;
      }
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      d += 1;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      d -= 1;
      if (d < 0) return { kind: 'broken' };
      if (d === 0) return { kind: 'closed', end: i + 1 };
    }
  }
  return { kind: 'open', depth: d };
}
