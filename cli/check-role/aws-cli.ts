/**
 * What the AWS CLI prints about roles, read into {@link RoleDefinition}s: `aws iam get-role`,
 * `list-attached-role-policies`, `list-role-policies`, `get-role-policy` and
 * `get-account-authorization-details`. Several files may describe one role; they are merged by
 * role name. The two list commands do not print the role's name, so their output is given to the
 * one role the other files name, and is refused when they name several.
 */
import { DocumentProblem, keyLine, policyDocument } from './documents';
import { strings } from './policy';
import type { AttachedPolicy, PolicyDocument, RoleDefinition, SourceRef, UnreadablePolicy } from './types';

/** An input that cannot be used, naming the file and what is wrong. */
export class CliInputProblem extends Error {}

/** What one file says about one role (or about whichever role the other files name). */
export interface CliPart {
  readonly file: string;
  /** Null for the list commands' output, which does not name its role. */
  readonly roleName: string | null;
  readonly role?: { readonly arn: string | null; readonly trust: PolicyDocument | null; readonly maxSessionDuration: number | null; readonly boundary: string | null; readonly source: SourceRef; readonly origin: string };
  readonly inline?: readonly PolicyDocument[];
  readonly attached?: readonly { readonly arn: string; readonly source: SourceRef }[];
  /** Inline policy names only (list-role-policies). */
  readonly names?: readonly { readonly name: string; readonly source: SourceRef }[];
  /** Managed policy documents by ARN (get-account-authorization-details' Policies). */
  readonly documents?: ReadonlyMap<string, PolicyDocument>;
}

/** The objects of a list (a null or text item in hand-edited output is skipped). */
function objects(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter((v): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)) : [];
}

/** The command whose output a parsed document looks like, or null. */
export function cliShape(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  if (typeof v.Role === 'object' && v.Role !== null) return 'aws iam get-role';
  if (Array.isArray(v.RoleDetailList)) return 'aws iam get-account-authorization-details';
  if (Array.isArray(v.AttachedPolicies)) return 'aws iam list-attached-role-policies';
  if (Array.isArray(v.PolicyNames)) return 'aws iam list-role-policies';
  if (typeof v.RoleName === 'string' && typeof v.PolicyName === 'string' && 'PolicyDocument' in v) return 'aws iam get-role-policy';
  return null;
}

/** Reads one file's parts; `text` and `lines` locate the statements. */
export function cliParts(value: unknown, file: string, text: string, lines: WeakMap<object, number>): CliPart[] {
  const shape = cliShape(value);
  const v = value as Record<string, unknown>;
  const at = (node: unknown, key?: string): SourceRef => {
    const line = typeof node === 'object' && node !== null ? (lines.get(node) ?? null) : null;
    return { file, line: key === undefined ? line : keyLine(text, line, key) };
  };
  const doc = (raw: unknown, label: string, source: SourceRef): PolicyDocument => {
    try {
      return policyDocument(raw, label, source, lines);
    } catch (e) {
      if (e instanceof DocumentProblem) throw new CliInputProblem(`${file}${source.line ? `:${source.line}` : ''}: ${e.message}`);
      throw e;
    }
  };
  const roleOf = (r: Record<string, unknown>, origin: string): CliPart => {
    const name = String(r.RoleName ?? '');
    const boundary = (r.PermissionsBoundary as { PermissionsBoundaryArn?: unknown } | undefined)?.PermissionsBoundaryArn;
    const duration = Number(r.MaxSessionDuration);
    return {
      file,
      roleName: name,
      role: {
        arn: typeof r.Arn === 'string' ? r.Arn : null,
        trust: r.AssumeRolePolicyDocument === undefined ? null : doc(r.AssumeRolePolicyDocument, 'trust policy', at(r, 'AssumeRolePolicyDocument')),
        maxSessionDuration: Number.isFinite(duration) && duration > 0 ? duration : null,
        boundary: typeof boundary === 'string' ? boundary : null,
        source: at(r),
        origin,
      },
      inline: objects(r.RolePolicyList).map((p) => doc(p.PolicyDocument, `inline policy ${String(p.PolicyName)}`, at(p, 'PolicyDocument'))),
      attached: objects(r.AttachedManagedPolicies).map((p) => ({ arn: String(p.PolicyArn), source: at(p) })),
    };
  };
  switch (shape) {
    case 'aws iam get-role':
      return [roleOf(v.Role as Record<string, unknown>, `aws iam get-role (${file})`)];
    case 'aws iam get-role-policy':
      return [{ file, roleName: String(v.RoleName), inline: [doc(v.PolicyDocument, `inline policy ${String(v.PolicyName)}`, at(v, 'PolicyDocument'))] }];
    case 'aws iam list-attached-role-policies':
      return [{ file, roleName: null, attached: objects(v.AttachedPolicies).map((p) => ({ arn: String(p.PolicyArn), source: at(p) })) }];
    case 'aws iam list-role-policies':
      return [{ file, roleName: null, names: strings(v.PolicyNames).map((name) => ({ name, source: { file, line: keyLine(text, 1, 'PolicyNames') } })) }];
    case 'aws iam get-account-authorization-details': {
      const documents = new Map<string, PolicyDocument>();
      for (const p of objects(v.Policies)) {
        const version = objects(p.PolicyVersionList).find((pv) => pv.IsDefaultVersion === true || pv.VersionId === p.DefaultVersionId);
        if (version !== undefined && typeof p.Arn === 'string') documents.set(p.Arn, doc(version.Document, `managed policy ${String(p.PolicyName ?? p.Arn)}`, at(version, 'Document')));
      }
      return [...objects(v.RoleDetailList).map((r) => roleOf(r, `aws iam get-account-authorization-details (${file})`)), { file, roleName: null, documents }];
    }
    default:
      return [];
  }
}

/** Merges the parts of every CLI file into roles, by name. */
export function mergeCliParts(parts: readonly CliPart[]): RoleDefinition[] {
  const documents = new Map<string, PolicyDocument>();
  for (const p of parts) for (const [arn, d] of p.documents ?? []) documents.set(arn, d);
  const named = [...new Set(parts.map((p) => p.roleName).filter((n): n is string => n !== null))];
  const unnamed = parts.filter((p) => p.roleName === null && (p.attached !== undefined || p.names !== undefined));
  if (unnamed.length > 0 && named.length !== 1) {
    const files = [...new Set(unnamed.map((p) => p.file))].join(', ');
    throw new CliInputProblem(
      named.length === 0
        ? `${files}: list-attached-role-policies and list-role-policies output does not name its role; give the role's aws iam get-role output with it`
        : `${files}: list-attached-role-policies and list-role-policies output does not name its role, and the other inputs name ${named.length} roles (${named.join(', ')}); give one role's files at a time, or get-account-authorization-details`,
    );
  }
  return named.map((name) => {
    const mine = parts.filter((p) => p.roleName === name || (p.roleName === null && unnamed.includes(p)));
    const described = mine.find((p) => p.role !== undefined)?.role ?? null;
    const inline = mine.flatMap((p) => p.inline ?? []);
    const attached: AttachedPolicy[] = [];
    for (const a of mine.flatMap((p) => p.attached ?? [])) {
      if (attached.some((x) => x.arn === a.arn)) continue;
      attached.push({ arn: a.arn, source: a.source, when: null, document: documents.get(a.arn) ?? null });
    }
    const unreadable: UnreadablePolicy[] = mine
      .flatMap((p) => p.names ?? [])
      .filter((n) => !inline.some((d) => d.label === `inline policy ${n.name}`))
      .map((n) => ({ name: `inline policy ${n.name}`, reason: `listed by list-role-policies, but its document is not in the inputs (aws iam get-role-policy --role-name ${name} --policy-name ${n.name})`, source: n.source }));
    const arn = described?.arn ?? null;
    const source = described?.source ?? mine[0]?.inline?.[0]?.source ?? { file: mine[0]!.file, line: null };
    return {
      name,
      aliases: arn === null ? [] : [arn],
      arn,
      accountId: arn === null ? null : (/^arn:[^:]*:iam::(\d{12}):/.exec(arn)?.[1] ?? null),
      origin: described?.origin ?? `aws iam get-role-policy (${mine.map((p) => p.file).join(', ')})`,
      source,
      when: null,
      trust: described?.trust ?? null,
      inline,
      attached,
      unreadable,
      maxSessionDuration: described?.maxSessionDuration ?? null,
      permissionsBoundary: described?.boundary ?? null,
    };
  });
}
