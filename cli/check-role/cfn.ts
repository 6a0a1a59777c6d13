/**
 * A CloudFormation template's roles as {@link RoleDefinition}s: every `AWS::IAM::Role`, with the
 * `AWS::IAM::Policy`, `AWS::IAM::ManagedPolicy` and `AWS::IAM::RolePolicy` resources that attach
 * to it (`Roles: [!Ref Role]`).
 *
 * Intrinsics are resolved as far as the template allows: parameters take their default (or the
 * value `--parameter` gives), `AWS::Partition` is `aws`; what stays unknown (a parameter without
 * a default, `AWS::AccountId`, an attribute, an import) is kept as `${Name}` in the text, so
 * `!Sub arn:aws:iam::${VendorAccount}:root` still reads as an account principal.
 *
 * `Fn::If` is read two ways. In the trust policy and the role's properties it takes the branch
 * the parameters choose. In permissions it takes both branches, each marked with the condition it
 * needs: a template that grants SecurityAudit only when a parameter asks for it still grants it.
 */
import { ConditionEvaluator, Either, Macro, NO_VALUE, Resolver, describeBranch, type TemplateContext } from './cfn-intrinsics';
import type { ParsedDocument } from './cfn-yaml';
import { isSymbolic, strings } from './policy';
import type { AttachedPolicy, PolicyDocument, RoleDefinition, SourceRef, Statement, UnreadablePolicy } from './types';

/** A resolved value with the template condition it depends on. */
interface Conditional {
  readonly value: unknown;
  readonly when: string | null;
}

/** Joins two conditions a value depends on. */
function both(a: string | null, b: string | null): string | null {
  return a === null ? b : b === null ? a : `${a} and ${b}`;
}

/** The values a resolved node stands for, `Fn::If` branches each with its condition, AWS::NoValue dropped. */
export function alternatives(value: unknown, when: string | null = null): Conditional[] {
  if (value === NO_VALUE) return [];
  if (value instanceof Either) return [...alternatives(value.whenTrue, both(when, describeBranch(value, true))), ...alternatives(value.whenFalse, both(when, describeBranch(value, false)))];
  if (Array.isArray(value)) return value.flatMap((v) => alternatives(v, when));
  return [{ value, when }];
}

/** A resolved node as plain JSON: both branches of an unresolved `Fn::If` kept (as a list), a macro as text. */
function plain(value: unknown, lines: WeakMap<object, number>): unknown {
  if (value instanceof Either) return [value.whenTrue, value.whenFalse].flatMap((b) => (b === NO_VALUE ? [] : [plain(b, lines)])).flat();
  if (value instanceof Macro) return `\${Fn::Transform:${value.name}}`;
  if (Array.isArray(value)) {
    const out = value.filter((v) => v !== NO_VALUE).flatMap((v) => (v instanceof Either ? (plain(v, lines) as unknown[]) : [plain(v, lines)]));
    if (lines.has(value)) lines.set(out, lines.get(value)!);
    return out;
  }
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== NO_VALUE) out[k] = plain(v, lines);
    if (lines.has(value)) lines.set(out, lines.get(value)!);
    return out;
  }
  return value;
}

/** Reads one template's roles. */
class TemplateReader {
  private readonly resolver: Resolver;
  private readonly union: Resolver;
  private readonly conditions: ConditionEvaluator;

  constructor(
    private readonly ctx: TemplateContext,
    private readonly file: string,
    private readonly lines: readonly string[],
  ) {
    this.conditions = new ConditionEvaluator(ctx);
    this.resolver = new Resolver(ctx, this.conditions, false);
    this.union = new Resolver(ctx, this.conditions, true);
  }

  private at(node: unknown, fallback: SourceRef): SourceRef {
    return typeof node === 'object' && node !== null && this.ctx.lines.has(node) ? { file: this.file, line: this.ctx.lines.get(node)! } : fallback;
  }

  /** The line naming a managed policy in a ManagedPolicyArns list that begins at `from` (its items are text, without lines of their own). */
  private arnLine(from: SourceRef, arn: string): SourceRef {
    const name = /policy\/(.+)$/.exec(arn)?.[1] ?? arn;
    if (from.line === null || isSymbolic(name)) return from;
    for (let i = from.line - 1; i < Math.min(this.lines.length, from.line + 200); i++) if (this.lines[i]!.includes(name)) return { file: this.file, line: i + 1 };
    return from;
  }

  /** `Cond holds` with what the parameters make of it, for a resource's Condition. */
  private resourceWhen(condition: unknown): string | null {
    return typeof condition === 'string' ? describeBranch(new Either(condition, null, null, this.conditions.evaluate(condition)), true) : null;
  }

  /** A policy document's statements, each with its position in the Statement list. */
  document(raw: unknown, label: string, source: SourceRef, when: string | null, union: boolean): PolicyDocument {
    let resolved = (union ? this.union : this.resolver).resolve(raw);
    if (typeof resolved === 'string') {
      try {
        resolved = JSON.parse(resolved) as unknown;
      } catch {
        resolved = {};
      }
    }
    const statements: Statement[] = [];
    const body = typeof resolved === 'object' && resolved !== null && !Array.isArray(resolved) ? (resolved as Record<string, unknown>).Statement : undefined;
    const list = Array.isArray(body) ? body : body === undefined ? [] : [body];
    list.forEach((item, index) => {
      for (const alt of alternatives(item)) {
        const json = plain(alt.value, this.ctx.lines);
        if (typeof json !== 'object' || json === null || Array.isArray(json)) continue;
        const sid = (json as Record<string, unknown>).Sid;
        statements.push({ json: json as Record<string, unknown>, index, sid: typeof sid === 'string' ? sid : null, source: this.at(alt.value, this.at(item, source)), when: alt.when });
      }
    });
    return { label, statements, source, when };
  }

  /** The template's roles, with the policies that attach to them. */
  roles(): RoleDefinition[] {
    const resources = this.ctx.resources;
    const roleIds = Object.keys(resources).filter((id) => resources[id]!.Type === 'AWS::IAM::Role');
    const extra = new Map<string, { inline: PolicyDocument[]; attached: AttachedPolicy[] }>(roleIds.map((id) => [id, { inline: [], attached: [] }]));
    const names = new Map(roleIds.map((id) => [id, this.roleName(id)]));
    const managedDocs = new Map<string, PolicyDocument>();
    for (const [id, res] of Object.entries(resources)) {
      if (!['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::RolePolicy'].includes(String(res.Type))) continue;
      const props = (res.Properties ?? {}) as Record<string, unknown>;
      const source = this.at(res, { file: this.file, line: null });
      const when = this.resourceWhen(res.Condition);
      const policyName = this.text(props.PolicyName ?? props.ManagedPolicyName) ?? id;
      const managed = res.Type === 'AWS::IAM::ManagedPolicy';
      const doc = this.document(props.PolicyDocument, `${managed ? 'managed' : 'inline'} policy ${policyName}`, source, when, true);
      if (managed) managedDocs.set(id, doc);
      const targets = res.Type === 'AWS::IAM::RolePolicy' ? [props.RoleName] : alternatives(props.Roles).map((a) => a.value);
      for (const target of targets) {
        const roleId = this.roleTarget(target, names);
        if (roleId === null) continue;
        if (managed) extra.get(roleId)!.attached.push({ arn: `\${${id}}`, source, when, document: doc });
        else extra.get(roleId)!.inline.push(doc);
      }
    }
    return roleIds.map((id) => this.role(id, names.get(id) ?? null, extra.get(id)!, managedDocs));
  }

  /** A role's RoleName when the template fixes it. */
  private roleName(id: string): string | null {
    const props = (this.ctx.resources[id]!.Properties ?? {}) as Record<string, unknown>;
    return this.text(props.RoleName);
  }

  /** A resolved text without unknown parts, or null. */
  private text(node: unknown): string | null {
    const v = this.resolver.resolve(node);
    return typeof v === 'string' && !isSymbolic(v) ? v : null;
  }

  /** The role a `Roles` entry names: `!Ref Role` (its logical ID), or the role's name. */
  private roleTarget(target: unknown, names: ReadonlyMap<string, string | null>): string | null {
    if (typeof target === 'object' && target !== null && 'Ref' in target) {
      const ref = (target as { Ref: unknown }).Ref;
      if (typeof ref === 'string' && names.has(ref)) return ref;
    }
    const v = this.resolver.resolve(target);
    if (typeof v !== 'string') return null;
    for (const [id, name] of names) if (name === v || `\${${id}}` === v) return id;
    return null;
  }

  private role(id: string, name: string | null, extra: { inline: PolicyDocument[]; attached: AttachedPolicy[] }, managedDocs: ReadonlyMap<string, PolicyDocument>): RoleDefinition {
    const res = this.ctx.resources[id]!;
    const props = (res.Properties ?? {}) as Record<string, unknown>;
    const source = this.at(res, { file: this.file, line: null });
    const inline: PolicyDocument[] = [];
    const unreadable: UnreadablePolicy[] = [];
    for (const alt of alternatives(this.union.resolve(props.Policies))) {
      const itemSource = this.at(alt.value, source);
      if (alt.value instanceof Macro) {
        unreadable.push({ name: `Fn::Transform ${alt.value.name}`, reason: `the output of the CloudFormation macro ${alt.value.name} is known only when the stack is created, so the policies it adds are not checked`, source: itemSource });
        continue;
      }
      if (typeof alt.value !== 'object' || alt.value === null) continue;
      const p = alt.value as Record<string, unknown>;
      const policyName = strings(p.PolicyName)[0] ?? `#${inline.length + 1}`;
      // The item was resolved already; resolving plain data again changes nothing.
      inline.push(this.document(p.PolicyDocument, `inline policy ${policyName}`, itemSource, alt.when, true));
    }
    const attached: AttachedPolicy[] = [];
    for (const alt of alternatives(this.union.resolve(props.ManagedPolicyArns))) {
      for (const arn of strings(alt.value)) {
        const ref = /^\$\{([^.}]+)\}$/.exec(arn)?.[1];
        const doc = ref === undefined ? null : managedDocs.get(ref) ?? null;
        if (doc !== null && extra.attached.some((a) => a.document === doc)) continue;
        attached.push({ arn, source: this.arnLine(this.at(props.ManagedPolicyArns, source), arn), when: alt.when, document: doc });
      }
    }
    // A policy resource guarded by the role's own condition exists whenever the role does.
    const roleWhen = this.resourceWhen(res.Condition);
    const own = (when: string | null): string | null => (when === roleWhen ? null : when);
    const extraInline = extra.inline.map((d) => ({ ...d, when: own(d.when) }));
    const extraAttached = extra.attached.map((a) => ({ ...a, when: own(a.when), document: a.document === null ? null : { ...a.document, when: own(a.document.when) } }));
    const trustRaw = props.AssumeRolePolicyDocument;
    const duration = this.text(props.MaxSessionDuration);
    const boundary = this.resolver.resolve(props.PermissionsBoundary);
    return {
      name: name ?? id,
      aliases: [id, ...(name !== null && name !== id ? [name] : [])],
      arn: null,
      accountId: null,
      origin: `CloudFormation AWS::IAM::Role ${id}`,
      source,
      when: roleWhen,
      trust: trustRaw === undefined ? null : this.document(trustRaw, 'trust policy', this.at(trustRaw, source), null, false),
      inline: [...inline, ...extraInline],
      attached: [...attached, ...extraAttached],
      unreadable,
      maxSessionDuration: duration !== null && /^\d+$/.test(duration) ? Number(duration) : null,
      permissionsBoundary: boundary === undefined || boundary === null || boundary === NO_VALUE ? null : String(strings(boundary)[0] ?? '${PermissionsBoundary}'),
    };
  }
}

/** Whether a parsed document is a CloudFormation template. */
export function isTemplate(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  if (typeof v.Resources !== 'object' || v.Resources === null) return false;
  return 'AWSTemplateFormatVersion' in v || Object.values(v.Resources as Record<string, unknown>).some((r) => typeof r === 'object' && r !== null && typeof (r as Record<string, unknown>).Type === 'string');
}

/** The parameters a template declares. */
export function declaredParameters(value: unknown): string[] {
  const params = (value as { Parameters?: unknown }).Parameters;
  return typeof params === 'object' && params !== null ? Object.keys(params) : [];
}

/** The roles of a parsed template; `parameters` are values given on the command line, `text` the template's (to place list items). */
export function rolesFromTemplate(doc: ParsedDocument, file: string, parameters: Readonly<Record<string, string>> = {}, text = ''): RoleDefinition[] {
  const template = doc.value as Record<string, unknown>;
  const declared = (typeof template.Parameters === 'object' && template.Parameters !== null ? template.Parameters : {}) as Record<string, Record<string, unknown> | null>;
  const params = new Map<string, string | string[]>();
  for (const [name, spec] of Object.entries(declared)) {
    const fallback = spec?.Default;
    const given = parameters[name] ?? (typeof fallback === 'string' || typeof fallback === 'number' || typeof fallback === 'boolean' ? String(fallback) : Array.isArray(fallback) ? strings(fallback).join(',') : undefined);
    if (given === undefined) continue;
    const type = typeof spec?.Type === 'string' ? spec.Type : 'String';
    params.set(name, type === 'CommaDelimitedList' || type.startsWith('List<') ? given.split(',').map((s) => s.trim()) : given);
  }
  const ctx: TemplateContext = {
    params,
    declared: new Set(Object.keys(declared)),
    // A resource that is not a mapping (`Name:` left empty) is no resource.
    resources: Object.fromEntries(Object.entries((template.Resources ?? {}) as Record<string, unknown>).filter(([, r]) => typeof r === 'object' && r !== null && !Array.isArray(r))) as Record<string, Record<string, unknown>>,
    mappings: (template.Mappings ?? {}) as Record<string, unknown>,
    conditions: (template.Conditions ?? {}) as Record<string, unknown>,
    lines: doc.lines,
  };
  return new TemplateReader(ctx, file, text.split('\n')).roles();
}
