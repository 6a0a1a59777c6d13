/**
 * Session-name shapes, and a `sessionNamePattern` built from them. A name is cut into literal
 * text and numbers as the engine's shapes fold them (lambdas/core/names.ts: UUIDs, hex runs of 8
 * or more standing alone, digit runs), but each number keeps what it was seen as (digits only or
 * hex, which case, how long), so the pattern says `sync-[0-9]{10}`, not `sync-.*`: the narrowest
 * RE2 expression that matches every name seen of the shape.
 */
import { isEmailLike } from '../../lambdas/core/names';
import { Seen } from './seen';

/** One part of a name. */
export type Token =
  | { readonly kind: 'lit'; readonly text: string }
  | { readonly kind: 'num'; min: number; max: number; hex: boolean; lower: boolean; upper: boolean }
  | { readonly kind: 'uuid'; upper: boolean }
  | { readonly kind: 'email' };

/** The names seen of one shape. */
export interface NameShape {
  readonly key: string;
  /** The parts, widened to cover every name counted (null before the first). */
  tokens: Token[] | null;
  readonly seen: Seen;
  /** A few names as seen. */
  readonly examples: string[];
}

const UUID = /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/y;
const ALNUM = /[A-Za-z0-9]/;
const HEX_CHAR = /[0-9a-fA-F]/;
const DIGIT = /[0-9]/;

/** The parts of a name. */
export function tokenize(name: string): Token[] {
  if (isEmailLike(name)) return [{ kind: 'email' }];
  const tokens: Token[] = [];
  let lit = '';
  const flush = (): void => {
    if (lit !== '') tokens.push({ kind: 'lit', text: lit });
    lit = '';
  };
  for (let i = 0; i < name.length; ) {
    UUID.lastIndex = i;
    if (UUID.test(name)) {
      flush();
      tokens.push({ kind: 'uuid', upper: /[A-F]/.test(name.slice(i, i + 36)) });
      i += 36;
      continue;
    }
    const c = name[i]!;
    // A hex run of 8 or more standing alone is a number (as the engine's shapes fold it).
    if (HEX_CHAR.test(c) && (i === 0 || !ALNUM.test(name[i - 1]!))) {
      let j = i;
      while (j < name.length && HEX_CHAR.test(name[j]!)) j++;
      if (j - i >= 8 && (j === name.length || !ALNUM.test(name[j]!))) {
        flush();
        const run = name.slice(i, j);
        tokens.push({ kind: 'num', min: run.length, max: run.length, hex: true, lower: /[a-f]/.test(run), upper: /[A-F]/.test(run) });
        i = j;
        continue;
      }
    }
    if (DIGIT.test(c)) {
      flush();
      let j = i;
      while (j < name.length && DIGIT.test(name[j]!)) j++;
      tokens.push({ kind: 'num', min: j - i, max: j - i, hex: false, lower: false, upper: false });
      i = j;
      continue;
    }
    lit += c;
    i += 1;
  }
  flush();
  return tokens;
}

/** The key names of one shape share: literal text as it is (case too), numbers and UUIDs as classes. */
export function shapeKeyOf(name: string): string {
  return keyOf(tokenize(name));
}

function keyOf(tokens: readonly Token[]): string {
  return tokens.map((t) => (t.kind === 'lit' ? JSON.stringify(t.text) : t.kind === 'num' ? 'N' : t.kind === 'uuid' ? 'U' : 'E')).join(' ');
}

/** Most example names a shape keeps. */
const EXAMPLES = 3;

/** Counts `name` (seen at `t`) in its shape, widening the shape's numbers to cover it. */
export function addName(shape: NameShape, name: string, t: number): void {
  shape.seen.add(t);
  if (shape.examples.length < EXAMPLES && !shape.examples.includes(name)) shape.examples.push(name);
  const tokens = tokenize(name);
  if (shape.tokens === null) {
    shape.tokens = tokens;
    return;
  }
  shape.tokens.forEach((known, i) => {
    const t2 = tokens[i]!;
    if (known.kind === 'num' && t2.kind === 'num') {
      known.min = Math.min(known.min, t2.min);
      known.max = Math.max(known.max, t2.max);
      known.hex ||= t2.hex;
      known.lower ||= t2.lower;
      known.upper ||= t2.upper;
    } else if (known.kind === 'uuid' && t2.kind === 'uuid') {
      known.upper ||= t2.upper;
    }
  });
}

/** Whether the shape is a person's: an e-mail address as session name. */
export function isEmailShape(shape: NameShape): boolean {
  return shape.tokens?.[0]?.kind === 'email';
}

/** The shape for people: `backend-<hex8>`, `sync-<digits10>`, `<uuid>`, `<e-mail>`. */
export function displayOf(shape: NameShape): string {
  return (shape.tokens ?? [])
    .map((t) => {
      if (t.kind === 'lit') return t.text;
      if (t.kind === 'uuid') return '<uuid>';
      if (t.kind === 'email') return '<e-mail>';
      const length = t.min === t.max ? `${t.min}` : `${t.min}-${t.max}`;
      return `<${t.lower || t.upper ? 'hex' : 'digits'}${length}>`;
    })
    .join('');
}

/** RE2 metacharacters, escaped in literal text. */
const META = /[\\^$.|?*+()[\]{}]/g;

/**
 * The narrowest RE2 expression matching every name of the shape: literal text as seen, each
 * number as its class and length. Digit runs whose length varied (a counter) take one digit more
 * than the longest seen, so the counter can grow past it; fixed-length numbers (epoch seconds,
 * random hex) stay fixed. Null for e-mail addresses, which are people, never a pattern.
 */
export function regexOf(shape: NameShape): string | null {
  if (shape.tokens === null || isEmailShape(shape)) return null;
  return shape.tokens
    .map((t) => {
      if (t.kind === 'lit') return literal(t.text);
      if (t.kind === 'uuid') {
        const h = t.upper ? '[0-9a-fA-F]' : '[0-9a-f]';
        return `${h}{8}-${h}{4}-${h}{4}-${h}{4}-${h}{12}`;
      }
      if (t.kind === 'email') return '';
      const cls = `[0-9${t.lower ? 'a-f' : ''}${t.upper ? 'A-F' : ''}]`;
      const max = !t.hex && t.min !== t.max ? t.max + 1 : t.max;
      return `${cls}{${t.min === max ? t.min : `${t.min},${max}`}}`;
    })
    .join('');
}

/** Literal text for RE2: metacharacters escaped, anything outside printable ASCII as `\x{…}`. */
function literal(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    out += code < 0x20 || code > 0x7e ? `\\x{${code.toString(16)}}` : ch.replace(META, '\\$&');
  }
  return out;
}
