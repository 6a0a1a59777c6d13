/**
 * Reading IAM policy statements as IAM does: a field may hold one string or a list, condition
 * keys are case-insensitive, an operator may carry a set prefix (`ForAnyValue:`) and an
 * `IfExists` suffix, and a principal may be `*`, one ARN, a list, or one per kind.
 *
 * Values a template could not resolve stay as text with `${…}` in them: {@link isSymbolic}.
 */

/** A value's strings: a string is a list of one, a list keeps its strings (numbers as text). */
export function strings(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value.flatMap((v) => strings(v));
  if (typeof value === 'string') return [value];
  if (typeof value === 'number' || typeof value === 'boolean') return [String(value)];
  return [];
}

/** Whether a text holds a part the input could not resolve (a template parameter, an attribute). */
export function isSymbolic(text: string): boolean {
  return text.includes('${');
}

/** A field of a statement, found whatever its case (IAM's element names are case-sensitive, but a typo should not hide a grant). */
function field(statement: Readonly<Record<string, unknown>>, name: string): unknown {
  if (name in statement) return statement[name];
  const lower = name.toLowerCase();
  const key = Object.keys(statement).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : statement[key];
}

/** A statement's Effect: Allow, Deny, or null when it has neither (IAM rejects such a policy). */
export function effectOf(statement: Readonly<Record<string, unknown>>): 'Allow' | 'Deny' | null {
  const e = field(statement, 'Effect');
  return e === 'Allow' || e === 'Deny' ? e : null;
}

/** Action or NotAction patterns of a statement. */
export function actionsOf(statement: Readonly<Record<string, unknown>>): { not: boolean; patterns: string[] } {
  const not = field(statement, 'NotAction');
  return not !== undefined ? { not: true, patterns: strings(not) } : { not: false, patterns: strings(field(statement, 'Action')) };
}

/** Resource or NotResource patterns of a statement (a trust policy has neither). */
export function resourcesOf(statement: Readonly<Record<string, unknown>>): { not: boolean; patterns: string[] } {
  const not = field(statement, 'NotResource');
  return not !== undefined ? { not: true, patterns: strings(not) } : { not: false, patterns: strings(field(statement, 'Resource')) };
}

/** The principals a statement names, by kind. */
export interface Principals {
  /** The statement uses NotPrincipal: the lists are who is excluded. */
  readonly not: boolean;
  /** `Principal: *` or `AWS: *`. */
  readonly wildcard: boolean;
  readonly aws: readonly string[];
  readonly service: readonly string[];
  readonly federated: readonly string[];
  readonly canonicalUser: readonly string[];
}

/** A statement's Principal or NotPrincipal. */
export function principalsOf(statement: Readonly<Record<string, unknown>>): Principals {
  const notValue = field(statement, 'NotPrincipal');
  const value = notValue !== undefined ? notValue : field(statement, 'Principal');
  const not = notValue !== undefined;
  if (value === '*' || (Array.isArray(value) && value.includes('*'))) return { not, wildcard: true, aws: [], service: [], federated: [], canonicalUser: [] };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    // A bare string is not valid IAM, but it names a principal all the same.
    return { not, wildcard: false, aws: strings(value), service: [], federated: [], canonicalUser: [] };
  }
  const record = value as Record<string, unknown>;
  const of = (kind: string): string[] => strings(field(record, kind));
  const aws = of('AWS');
  return { not, wildcard: aws.includes('*'), aws: aws.filter((a) => a !== '*'), service: of('Service'), federated: of('Federated'), canonicalUser: of('CanonicalUser') };
}

/** One condition of a statement: `operator` is as written, the rest parsed from it. */
export interface ConditionEntry {
  readonly operator: string;
  /** The operator without its set prefix and IfExists suffix, e.g. `StringEquals`. */
  readonly base: string;
  /** `ForAnyValue`, `ForAllValues`, or null. */
  readonly set: 'ForAnyValue' | 'ForAllValues' | null;
  readonly ifExists: boolean;
  /** The key as written; compare with {@link sameKey}. */
  readonly key: string;
  readonly values: readonly string[];
}

/** A statement's conditions, one entry per operator and key. */
export function conditionsOf(statement: Readonly<Record<string, unknown>>): ConditionEntry[] {
  const condition = field(statement, 'Condition');
  if (typeof condition !== 'object' || condition === null || Array.isArray(condition)) return [];
  const entries: ConditionEntry[] = [];
  for (const [operator, block] of Object.entries(condition as Record<string, unknown>)) {
    if (typeof block !== 'object' || block === null || Array.isArray(block)) continue;
    const m = /^(?:(ForAnyValue|ForAllValues):)?(.*?)(IfExists)?$/i.exec(operator)!;
    const set = m[1] === undefined ? null : m[1].toLowerCase() === 'foranyvalue' ? 'ForAnyValue' : 'ForAllValues';
    for (const [key, values] of Object.entries(block as Record<string, unknown>)) {
      entries.push({ operator, base: m[2]!, set, ifExists: m[3] !== undefined, key, values: strings(values) });
    }
  }
  return entries;
}

/** Condition keys are case-insensitive: `sts:externalid` is `sts:ExternalId`. */
export function sameKey(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

/** Whether a condition operator's base is this one, whatever its case. */
export function isOperator(entry: ConditionEntry, base: string): boolean {
  return entry.base.toLowerCase() === base.toLowerCase();
}
