/**
 * Attacker-chosen names as state keeps them: bounded in length, and folded into shapes (digits,
 * hex and UUIDs into classes) so that learning a name's form survives the numbers in it. A shape
 * is worked out afresh for every call, in one pass over the name: most session names carry a
 * timestamp or an ID, so remembering them cost more (a map of names seen once) than folding.
 */
import { createHash } from 'node:crypto';

/** Longest attacker-supplied string kept as a set member in state. */
const MAX_MEMBER_CHARS = 256;

/**
 * A string fit to store as a set member: long ones are cut and end in a hash of the whole, so
 * distinct values stay distinct while an item stays far below DynamoDB's 400 KB (attackers
 * choose role ARNs, session names and endpoint IDs in the records we read).
 */
export function boundedMember(value: string): string {
  if (value.length <= MAX_MEMBER_CHARS) return value;
  return `${value.slice(0, MAX_MEMBER_CHARS - 20)}…#${createHash('sha256').update(value).digest('hex').slice(0, 16)}`;
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/** A name shaped like an e-mail address: a person's, as session names go. */
export function isEmailLike(name: string): boolean {
  return EMAIL.test(name);
}

/** A UUID (lower case, as names are folded): `8-4-4-4-12` hex digits. */
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
/** Shortest run of hex digits standing alone that is a number (a random ID), not a word like `cafe`. */
const MIN_HEX_RUN = 8;

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isHex = (c: number): boolean => isDigit(c) || (c >= 97 && c <= 102);
const isAlnum = (c: number): boolean => isDigit(c) || (c >= 97 && c <= 122);

/**
 * The shape of a name (a session name, a role name): UUIDs, e-mail addresses, and numbers (digit
 * runs, and hex runs of 8 or more standing alone) folded into classes, letters and separators
 * kept, lower-cased. `sync-1730000000` → `sync-{n}`, `backend-1a2b3c4d` → `backend-{n}`. Decimal
 * and hex fold together so a random hex ID that happens to be all digits keeps its shape.
 *
 * What it does is three replacements, UUIDs first, then
 * `/(?<![a-z0-9])[0-9a-f]{8,}(?![a-z0-9])/g` and `/\d+/g` to `{n}` (the tests hold it to them);
 * the last two are one pass over the characters here, as every call's session name goes through it.
 */
export function foldShape(name: string): string {
  if (isEmailLike(name)) return '{email}';
  let s = boundedMember(name).toLowerCase();
  if (s.length >= 36 && s.includes('-')) s = s.replace(UUID, '{uuid}');
  // The text between folds is copied a slice at a time, not a character at a time.
  let out = '';
  let from = 0;
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    let end = i;
    if (isHex(c) && (i === 0 || !isAlnum(s.charCodeAt(i - 1)))) {
      end = i + 1;
      while (end < s.length && isHex(s.charCodeAt(end))) end += 1;
      if (end - i < MIN_HEX_RUN || (end < s.length && isAlnum(s.charCodeAt(end)))) end = i;
    }
    if (end === i && isDigit(c)) {
      end = i + 1;
      while (end < s.length && isDigit(s.charCodeAt(end))) end += 1;
    }
    if (end === i) {
      i += 1;
      continue;
    }
    out += `${s.slice(from, i)}{n}`;
    from = i = end;
  }
  return from === 0 ? s : out + s.slice(from);
}

/** The shape of a session or role name ({@link foldShape}). */
export const shapeOf: (name: string) => string = foldShape;
