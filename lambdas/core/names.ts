/**
 * Attacker-chosen names as state keeps them: bounded in length, and folded into shapes (digits,
 * hex and UUIDs into classes) so that learning a name's form survives the numbers in it. Shapes
 * are worked out once per distinct name: the same few names come with every call.
 */
import { createHash } from 'node:crypto';
import { memoize } from './memo';

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

/**
 * The shape of a name (a session name, a role name): UUIDs, e-mail addresses, and numbers (digit
 * runs, and hex runs of 8 or more standing alone) folded into classes, letters and separators
 * kept, lower-cased. `sync-1730000000` → `sync-{n}`, `backend-1a2b3c4d` → `backend-{n}`. Decimal
 * and hex fold together so a random hex ID that happens to be all digits keeps its shape.
 */
function foldShape(name: string): string {
  if (isEmailLike(name)) return '{email}';
  return boundedMember(name)
    .toLowerCase()
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '{uuid}')
    .replace(/(?<![a-z0-9])[0-9a-f]{8,}(?![a-z0-9])/g, '{n}')
    .replace(/\d+/g, '{n}');
}

/** {@link foldShape}, each distinct name folded once. */
export const shapeOf: (name: string) => string = memoize(foldShape);
