/** Building findings from the rule registry, so every finding carries its rule's why and fix. */
import { rule } from './rules';
import type { Finding, RoleDefinition, Severity, SourceRef, Statement } from './types';

/** What a finding says beyond its rule. */
export interface FindingInput {
  readonly message: string;
  readonly location: SourceRef;
  /** The statement it points at, with the policy it belongs to. */
  readonly statement?: { readonly policy: string; readonly statement: Statement } | null;
  readonly details?: Readonly<Record<string, unknown>>;
  /** Overrides the rule's severity for this finding (a narrowed principal, a known-harmless policy). */
  readonly severity?: Severity;
}

/** A finding of rule `id` on `role`. */
export function finding(id: string, role: RoleDefinition, input: FindingInput): Finding {
  const r = rule(id);
  const st = input.statement ?? null;
  return {
    id,
    severity: input.severity ?? r.severity,
    role: role.name,
    message: input.message,
    why: r.why,
    fix: r.fix,
    location: input.location,
    statement: st === null ? null : { policy: st.policy, index: st.statement.index, sid: st.statement.sid, json: st.statement.json },
    details: input.details ?? {},
  };
}

/** How a statement is named in a message: its Sid, or its position from 1. */
export function statementName(statement: Statement): string {
  return statement.sid !== null && statement.sid !== '' ? `statement ${JSON.stringify(statement.sid)}` : `statement #${statement.index + 1}`;
}

/** The note a conditional grant carries: `(only when the template condition X holds)`. */
export function whenNote(...conditions: (string | null)[]): string {
  const set = conditions.filter((c): c is string => c !== null);
  return set.length === 0 ? '' : ` (only when the template's ${set.join(' and ')})`;
}

/** A list for a message: the first few items, and how many more. */
export function listed(items: readonly string[], max = 8): string {
  const shown = items.slice(0, max).join(', ');
  return items.length > max ? `${shown} and ${items.length - max} more` : shown;
}
