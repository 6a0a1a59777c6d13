/**
 * The roles of a Terraform plan or state as `terraform show -json` prints it: every `aws_iam_role`
 * of the root module and its child modules, with the `aws_iam_role_policy`,
 * `aws_iam_role_policy_attachment` and `aws_iam_policy` resources that attach to it. A value
 * Terraform knows only after apply (a generated name, a new policy's ARN) is followed through the
 * plan's `configuration` references instead (`aws_iam_policy.vendor.arn`).
 */
import { documentValue, keyLine, policyDocument } from './documents';
import { strings } from './policy';
import type { AttachedPolicy, PolicyDocument, RoleDefinition, SourceRef, UnreadablePolicy } from './types';

/** A resource of `planned_values` (or a state's `values`), with its module's address. */
interface PlanResource {
  readonly address: string;
  readonly type: string;
  readonly module: string;
  readonly values: Record<string, unknown>;
  readonly node: object;
}

/** Whether a parsed document is `terraform show -json` output (a plan or a state). */
export function isTerraformJson(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return 'format_version' in v && ('planned_values' in v || 'values' in v || 'resource_changes' in v || 'terraform_version' in v);
}

/** Whether a parsed document is Terraform configuration in JSON syntax (`.tf.json`), which is not read. */
export function isTerraformConfiguration(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((k) => ['resource', 'data', 'provider', 'terraform', 'variable', 'module', 'output', 'locals'].includes(k)) && ('resource' in value || 'module' in value);
}

/** Every managed resource of a module and its children. */
function collect(module: unknown, out: PlanResource[]): void {
  if (typeof module !== 'object' || module === null) return;
  const m = module as { address?: unknown; resources?: unknown; child_modules?: unknown };
  const moduleAddress = typeof m.address === 'string' ? m.address : '';
  for (const r of Array.isArray(m.resources) ? m.resources : []) {
    const res = r as Record<string, unknown>;
    if (res.mode !== undefined && res.mode !== 'managed') continue;
    if (typeof res.type !== 'string' || typeof res.address !== 'string') continue;
    out.push({ address: res.address, type: res.type, module: moduleAddress, values: (res.values ?? {}) as Record<string, unknown>, node: res });
  }
  for (const child of Array.isArray(m.child_modules) ? m.child_modules : []) collect(child, out);
}

/** The configuration block of a module address (`module.a.module.b`), from the plan's `configuration`. */
function configModule(configuration: unknown, moduleAddress: string): Record<string, unknown> | null {
  let mod = (configuration as { root_module?: unknown } | undefined)?.root_module as Record<string, unknown> | undefined;
  for (const name of [...moduleAddress.matchAll(/module\.([^.[]+)(?:\[[^\]]*\])?/g)].map((m) => m[1]!)) {
    mod = ((mod?.module_calls as Record<string, { module?: Record<string, unknown> }> | undefined)?.[name]?.module) ?? undefined;
  }
  return mod ?? null;
}

/** The resources an attribute of a resource refers to in the configuration (`aws_iam_role.vendor`), module-qualified. */
function references(configuration: unknown, r: PlanResource, attribute: string): string[] {
  const mod = configModule(configuration, r.module);
  const local = r.address.slice(r.module === '' ? 0 : r.module.length + 1).replace(/\[[^\]]*\]$/, '');
  const config = (Array.isArray(mod?.resources) ? mod!.resources : []).find((c) => (c as { address?: unknown }).address === local) as { expressions?: Record<string, { references?: unknown }> } | undefined;
  const refs = strings(config?.expressions?.[attribute]?.references);
  return refs.map((ref) => (r.module === '' ? ref : `${r.module}.${ref}`));
}

/** Whether a reference (`aws_iam_role.vendor.name`) points at a resource address (`aws_iam_role.vendor`, or one of its instances). */
function pointsAt(ref: string, address: string): boolean {
  const base = address.replace(/\[[^\]]*\]$/, '');
  return ref === base || ref.startsWith(`${base}.`) || ref === address || ref.startsWith(`${address}.`);
}

/** The roles of a plan or state. */
export function rolesFromTerraform(value: unknown, file: string, text: string, lines: WeakMap<object, number>): RoleDefinition[] {
  const v = value as Record<string, unknown>;
  const resources: PlanResource[] = [];
  collect(((v.planned_values ?? v.values) as { root_module?: unknown } | undefined)?.root_module, resources);
  const at = (r: PlanResource, key?: string): SourceRef => {
    const line = lines.get(r.node) ?? null;
    return { file, line: key === undefined ? line : keyLine(text, line, key) };
  };
  const roles = resources.filter((r) => r.type === 'aws_iam_role');
  const policies = resources.filter((r) => r.type === 'aws_iam_policy');
  const policyDoc = (p: PlanResource): PolicyDocument | null =>
    typeof p.values.policy === 'string' ? policyDocument(p.values.policy, `managed policy ${String(p.values.name ?? p.address)}`, at(p, 'policy'), null) : null;
  const roleFor = (r: PlanResource, attribute: string): PlanResource | null => {
    const name = r.values[attribute];
    if (typeof name === 'string' && name !== '') {
      const byName = roles.find((role) => role.values.name === name || role.values.id === name);
      if (byName) return byName;
    }
    const refs = references(v.configuration, r, attribute);
    return roles.find((role) => refs.some((ref) => pointsAt(ref, role.address))) ?? null;
  };
  const extra = new Map<PlanResource, { inline: PolicyDocument[]; attached: AttachedPolicy[]; unreadable: UnreadablePolicy[] }>(roles.map((r) => [r, { inline: [], attached: [], unreadable: [] }]));
  for (const r of resources) {
    if (r.type === 'aws_iam_role_policy') {
      const role = roleFor(r, 'role');
      if (role === null) continue;
      if (typeof r.values.policy === 'string') extra.get(role)!.inline.push(policyDocument(r.values.policy, `inline policy ${String(r.values.name ?? r.address)}`, at(r, 'policy'), null));
      else extra.get(role)!.unreadable.push({ name: r.address, reason: 'its policy is known only after apply', source: at(r) });
    }
    if (r.type === 'aws_iam_role_policy_attachment') {
      const role = roleFor(r, 'role');
      if (role === null) continue;
      const arn = typeof r.values.policy_arn === 'string' ? r.values.policy_arn : null;
      const refs = references(v.configuration, r, 'policy_arn');
      const policy = policies.find((p) => (arn !== null && p.values.arn === arn) || refs.some((ref) => pointsAt(ref, p.address)));
      const doc = policy === undefined ? null : policyDoc(policy);
      extra.get(role)!.attached.push({ arn: arn ?? (policy ? String(policy.values.arn ?? policy.address) : `\${${refs[0] ?? r.address}}`), source: at(r), when: null, document: doc });
    }
  }
  return roles.map((r) => {
    const values = r.values;
    const e = extra.get(r)!;
    const inline = [...(Array.isArray(values.inline_policy) ? values.inline_policy : [])]
      .filter((p): p is Record<string, unknown> => typeof p === 'object' && p !== null && typeof (p as Record<string, unknown>).policy === 'string' && (p as Record<string, unknown>).policy !== '')
      .map((p) => policyDocument(p.policy, `inline policy ${String(p.name ?? '')}`, at(r, 'inline_policy'), null));
    const managed = strings(values.managed_policy_arns).map((arn) => {
      const policy = policies.find((p) => p.values.arn === arn);
      return { arn, source: at(r, 'managed_policy_arns'), when: null, document: policy ? policyDoc(policy) : null };
    });
    const arn = typeof values.arn === 'string' ? values.arn : null;
    const trustText = values.assume_role_policy;
    const unreadable = [...e.unreadable];
    if (typeof trustText !== 'string' || trustText === '') unreadable.push({ name: 'trust policy', reason: 'the assume_role_policy is known only after apply', source: at(r) });
    const duration = Number(values.max_session_duration);
    const name = typeof values.name === 'string' && values.name !== '' ? values.name : r.address;
    return {
      name,
      aliases: [r.address, ...(name !== r.address ? [name] : [])],
      arn,
      accountId: arn === null ? null : (/^arn:[^:]*:iam::(\d{12}):/.exec(arn)?.[1] ?? null),
      origin: `Terraform ${r.address}`,
      source: at(r),
      when: null,
      trust: typeof trustText === 'string' && trustText !== '' ? policyDocument(documentValue(trustText), 'trust policy', at(r, 'assume_role_policy'), null) : null,
      inline: [...inline, ...e.inline],
      attached: [...managed, ...e.attached.filter((a) => !managed.some((m) => m.arn === a.arn))],
      unreadable,
      maxSessionDuration: Number.isFinite(duration) && duration > 0 ? duration : null,
      permissionsBoundary: typeof values.permissions_boundary === 'string' && values.permissions_boundary !== '' ? values.permissions_boundary : null,
    };
  });
}
