/**
 * What an AssumeRole request asks of the session it creates: its duration (CloudTrail writes
 * `durationSeconds` as a number or a numeric string) and its session policies (an inline JSON
 * `policy`, fingerprinted, never kept; managed `policyArns`). Read once by the parser.
 */
import { createHash } from 'node:crypto';

/** Seconds STS gives a session when the request names none (AssumeRole and the federated calls alike). */
const DEFAULT_DURATION_SECONDS = 3600;

/** `durationSeconds` as CloudTrail writes it, a number or a numeric string; absent means STS's default. */
export function durationOf(value: unknown): number | null {
  if (value === undefined || value === null) return DEFAULT_DURATION_SECONDS;
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : null;
  return typeof value === 'string' && /^\d{1,9}$/.test(value) ? Number(value) : null;
}

/** What is kept of an inline session policy: never its text. */
export interface SessionPolicy {
  readonly hash: string | null;
  readonly allowsAll: boolean;
}

/** A request without an inline policy. */
export const NO_SESSION_POLICY: SessionPolicy = { hash: null, allowsAll: false };
/** Longest inline policy read as JSON: STS takes 2,048 characters, so a longer one was refused; it is only fingerprinted. */
const MAX_POLICY_CHARS = 16_384;
/** Statements, and actions per statement, looked at: far beyond what fits in 2,048 characters. */
const MAX_POLICY_ITEMS = 1024;

/**
 * Fingerprints an inline session policy (`policy`, a JSON string; an object when an export
 * decoded it) and tells whether it allows every action. Layout does not make another policy
 * (it is fingerprinted as JSON re-serialised), nor does naming the target account (a
 * per-tenant policy scoped to the customer's own resources is one policy for all tenants).
 */
export function sessionPolicyOf(value: unknown, targetAccount: string | null): SessionPolicy {
  if (value === undefined || value === null || value === '') return NO_SESSION_POLICY;
  let doc: unknown = value;
  if (typeof value === 'string') {
    doc = undefined;
    if (value.length <= MAX_POLICY_CHARS) {
      try {
        doc = JSON.parse(value);
      } catch {
        // Not JSON (STS refuses it): fingerprinted as text.
      }
    }
  }
  let text = typeof value === 'string' ? value : '<unreadable policy>';
  if (doc !== undefined) {
    try {
      text = JSON.stringify(doc) ?? text;
    } catch {
      // Nested too deeply to serialise: the text as it came.
    }
  }
  if (targetAccount !== null) text = text.split(targetAccount).join('{account}');
  return { hash: createHash('sha256').update(text).digest('hex').slice(0, 16), allowsAll: allowsEveryAction(doc) };
}

/**
 * An Allow statement that grants every action: `Action` made only of wildcards (`*`, `*:*`),
 * or `NotAction` (everything but the listed). `s3:*` is not "every action": a policy scoped to
 * one service is what a per-microservice session policy looks like.
 */
function allowsEveryAction(doc: unknown): boolean {
  if (!isObject(doc)) return false;
  const statements: unknown[] = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
  for (let i = 0; i < statements.length && i < MAX_POLICY_ITEMS; i++) {
    const s = statements[i];
    if (!isObject(s) || typeof s.Effect !== 'string' || s.Effect.toLowerCase() !== 'allow') continue;
    if (s.NotAction !== undefined) return true;
    const actions: unknown[] = Array.isArray(s.Action) ? s.Action : [s.Action];
    for (let j = 0; j < actions.length && j < MAX_POLICY_ITEMS; j++) {
      const a = actions[j];
      if (typeof a === 'string' && a.includes('*') && /^[*?:]+$/.test(a)) return true;
    }
  }
  return false;
}

/** The managed session policies of a request (`policyArns`: `{arn}` objects), sorted, one per line; null when none. */
export function policyArnsOf(value: unknown): string | null {
  if (!Array.isArray(value)) return null;
  const arns = new Set<string>();
  for (let i = 0; i < value.length && i < MAX_POLICY_ITEMS; i++) {
    const v: unknown = value[i];
    const arn = isObject(v) ? str(v.arn) : str(v);
    if (arn !== null) arns.add(arn);
  }
  return arns.size === 0 ? null : [...arns].sort().join('\n');
}

function str(v: unknown): string | null {
  return typeof v === 'string' && v !== '' ? v : null;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
