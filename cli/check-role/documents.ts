/**
 * Policy documents as plans and the AWS CLI carry them (an object, a JSON string, or the
 * URL-encoded JSON IAM's API returns), turned into {@link PolicyDocument}s, and the line of a key
 * in the input's text when the statements themselves have none (they sat inside a string).
 */
import type { PolicyDocument, SourceRef, Statement } from './types';

/** A document that is not an IAM policy. */
export class DocumentProblem extends Error {}

/** A policy document's JSON value, from an object, a JSON string or URL-encoded JSON. */
export function documentValue(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const text = value.trim();
  const candidates = [text];
  if (text.startsWith('%7B') || text.startsWith('%7b') || /%22/.test(text)) {
    try {
      candidates.unshift(decodeURIComponent(text.replace(/\+/g, ' ')));
    } catch {
      // Not URL-encoded after all: the text itself is tried below.
    }
  }
  for (const c of candidates) {
    try {
      return JSON.parse(c) as unknown;
    } catch {
      // Try the next reading.
    }
  }
  throw new DocumentProblem(`a policy document that is not JSON: ${text.slice(0, 60)}${text.length > 60 ? '…' : ''}`);
}

/**
 * A policy document read from `value`: each statement gets its line when the parsed input knew
 * it, else `source`'s. `when` marks a conditional document (templates only).
 */
export function policyDocument(value: unknown, label: string, source: SourceRef, lines: WeakMap<object, number> | null, when: string | null = null): PolicyDocument {
  const doc = documentValue(value);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new DocumentProblem(`${label} is not a policy document (an object with Statement)`);
  const body = (doc as Record<string, unknown>).Statement;
  const list = Array.isArray(body) ? body : body === undefined ? [] : [body];
  const statements: Statement[] = [];
  list.forEach((item, index) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return;
    const json = item as Record<string, unknown>;
    const line = lines?.get(json);
    statements.push({ json, index, sid: typeof json.Sid === 'string' ? json.Sid : null, source: line === undefined ? source : { file: source.file, line }, when: null });
  });
  return { label, statements, source, when };
}

/** The last text {@link keyLine} split into lines: a plan's keys are looked up many times in one text. */
let split: { text: string; lines: readonly string[] } = { text: '', lines: [''] };

/** The 1-based line of the first `"key"` at or after line `from` in `text`, or `from` when there is none. */
export function keyLine(text: string, from: number | null, key: string): number | null {
  if (from === null) return null;
  if (split.text !== text) split = { text, lines: text.split('\n') };
  const { lines } = split;
  const needle = `"${key}"`;
  for (let i = Math.max(0, from - 1); i < lines.length; i++) if (lines[i]!.includes(needle)) return i + 1;
  return from;
}
