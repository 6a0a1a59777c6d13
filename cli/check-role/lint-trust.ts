/**
 * The trust policy's rules: who may assume the role (exactly one role of the vendor's), and on
 * what condition (an external ID that must be present and equal). A Deny grants nothing, but it
 * may narrow an account principal to one role or enforce the external ID, and is read so.
 */
import { glob } from '../../lambdas/core/arn-patterns';
import { actionMatches } from './actions';
import { finding, listed, statementName, whenNote } from './findings';
import { actionsOf, conditionsOf, isOperator, isSymbolic, principalsOf, sameKey, type ConditionEntry } from './policy';
import type { Finding, LintOptions, RoleDefinition, Statement } from './types';

/** What kind of principal a text names. */
export type PrincipalKind = 'wildcard' | 'account' | 'role' | 'user' | 'session' | 'federated-user' | 'unique-id' | 'unresolved' | 'other';

/** A principal's kind and account (null when the text has none). */
export function classifyPrincipal(text: string): { kind: PrincipalKind; account: string | null } {
  // A template's unknowns (`${AWS::AccountId}`) may hold colons: read the ARN with them set aside.
  const held: string[] = [];
  const plain = text.replace(/\$\{[^}]*\}/g, (m) => `\u0000${held.push(m) - 1}\u0000`);
  const restore = (s: string): string => s.replace(/\u0000(\d+)\u0000/g, (_m, i: string) => held[Number(i)]!);
  const { kind, account } = classifyPlain(plain);
  return { kind, account: account === null ? null : restore(account) };
}

/** {@link classifyPrincipal} of a text whose unknowns hold no colon. */
function classifyPlain(text: string): { kind: PrincipalKind; account: string | null } {
  if (text === '*') return { kind: 'wildcard', account: null };
  if (/^\d{12}$/.test(text)) return { kind: 'account', account: text };
  if (/^\u0000\d+\u0000$/.test(text)) return { kind: 'unresolved', account: null };
  const arn = /^arn:[^:]*:(iam|sts)::([^:]*):(.*)$/.exec(text);
  if (arn) {
    const [, service, account, resource] = arn as unknown as [string, string, string, string];
    if (service === 'iam' && resource === 'root') return { kind: 'account', account };
    if (service === 'iam' && resource.startsWith('role/')) return { kind: 'role', account };
    if (service === 'iam' && resource.startsWith('user/')) return { kind: 'user', account };
    if (service === 'sts' && resource.startsWith('assumed-role/')) return { kind: 'session', account };
    if (service === 'sts' && resource.startsWith('federated-user/')) return { kind: 'federated-user', account };
    return { kind: 'other', account };
  }
  if (/^A(ROA|IDA)[A-Z0-9]{12,}$/.test(text)) return { kind: 'unique-id', account: null };
  return { kind: 'other', account: null };
}

/** The actions that let a principal in. */
const ASSUME_ACTIONS = ['sts:AssumeRole', 'sts:AssumeRoleWithSAML', 'sts:AssumeRoleWithWebIdentity'];

/** Whether a statement's actions include one of `actions`. */
function grantsAny(statement: Statement, actions: readonly string[]): boolean {
  const a = actionsOf(statement.json);
  return actions.some((name) => (a.not ? !a.patterns.some((p) => actionMatches(p, name)) : a.patterns.some((p) => actionMatches(p, name))));
}

/** A principal the trust lets in, with the statement that does. */
interface Admitted {
  readonly text: string;
  readonly kind: PrincipalKind;
  readonly account: string | null;
  readonly statement: Statement;
  /** Patterns of aws:PrincipalArn an account principal is narrowed to. */
  readonly narrowedTo: readonly string[];
}

/** aws:PrincipalArn values an Allow statement requires, and whether they are exact. */
function allowNarrowing(statement: Statement): string[] {
  return conditionsOf(statement.json)
    .filter((c) => sameKey(c.key, 'aws:PrincipalArn') && !c.ifExists && c.set !== 'ForAllValues' && ['stringequals', 'arnequals', 'stringlike', 'arnlike'].includes(c.base.toLowerCase()))
    .flatMap((c) => c.values);
}

/** aws:PrincipalArn values a Deny lets through (Deny unless the caller is one of them). */
function denyNarrowing(denies: readonly Statement[]): string[] {
  const out: string[] = [];
  for (const d of denies) {
    if (!grantsAny(d, ['sts:AssumeRole'])) continue;
    const conditions = conditionsOf(d.json);
    if (conditions.length === 0 || !conditions.every((c) => sameKey(c.key, 'aws:PrincipalArn'))) continue;
    if (!conditions.every((c) => ['stringnotequals', 'arnnotequals', 'stringnotlike', 'arnnotlike'].includes(c.base.toLowerCase()))) continue;
    out.push(...conditions.flatMap((c) => c.values));
  }
  return out;
}

const hasWildcard = (text: string): boolean => text.includes('*') || text.includes('?');

/** The principals every Allow statement admits, account principals narrowed by conditions. */
function admitted(allows: readonly Statement[], denies: readonly Statement[]): Admitted[] {
  const denied = denyNarrowing(denies);
  const out: Admitted[] = [];
  for (const statement of allows) {
    const p = principalsOf(statement.json);
    if (p.not) continue;
    if (p.wildcard) out.push({ text: '*', kind: 'wildcard', account: null, statement, narrowedTo: [] });
    for (const text of p.aws) {
      const { kind, account } = classifyPrincipal(text);
      const narrowing = [...allowNarrowing(statement), ...denied];
      if ((kind === 'account' || kind === 'wildcard') && narrowing.length > 0) {
        if (narrowing.every((n) => !hasWildcard(n))) {
          for (const n of narrowing) out.push({ text: n, ...classifyPrincipal(n), statement, narrowedTo: [] });
          continue;
        }
        out.push({ text, kind, account, statement, narrowedTo: narrowing });
        continue;
      }
      out.push({ text, kind, account, statement, narrowedTo: [] });
    }
  }
  return out;
}

/** Whether a principal is outside the role's own account (unknown counts as outside). */
function external(p: Admitted, role: RoleDefinition): boolean {
  if (p.kind === 'wildcard' || p.kind === 'unresolved' || p.account === null) return true;
  if (p.account === '${AWS::AccountId}') return false;
  return role.accountId === null || p.account !== role.accountId;
}

/** Whether a role lets another account (or anyone) assume it: what check-role is for. */
export function trustsAnotherAccount(role: RoleDefinition): boolean {
  if (role.trust === null) return true;
  const allows = role.trust.statements.filter((s) => s.json.Effect === 'Allow' && grantsAny(s, ASSUME_ACTIONS));
  if (allows.some((s) => principalsOf(s.json).not)) return true;
  return admitted(allows, []).some((p) => external(p, role));
}

/** The AWS services a trust admits, for the "skipped" line. */
export function trustedServices(role: RoleDefinition): string[] {
  const allows = role.trust?.statements.filter((s) => s.json.Effect === 'Allow') ?? [];
  return [...new Set(allows.flatMap((s) => [...principalsOf(s.json).service, ...principalsOf(s.json).federated]))];
}

/** Why an external-ID condition does not hold, or null when it does. */
function externalIdWeakness(entries: readonly ConditionEntry[]): string | null {
  if (entries.length === 0) return 'missing';
  const strong = entries.some(
    (c) =>
      !c.ifExists &&
      c.set !== 'ForAllValues' &&
      c.values.length > 0 &&
      (isOperator(c, 'StringEquals') || isOperator(c, 'StringEqualsIgnoreCase') || ((isOperator(c, 'StringLike') || isOperator(c, 'ArnLike')) && !c.values.some(hasWildcard)) || isOperator(c, 'ArnEquals')),
  );
  if (strong) return null;
  const c = entries[0]!;
  if (c.ifExists) return `${c.operator} accepts a request without an external ID`;
  if (c.set === 'ForAllValues') return `${c.operator} is true when the request has no external ID`;
  if ((isOperator(c, 'StringLike') || isOperator(c, 'ArnLike')) && c.values.some(hasWildcard)) return `${c.operator} with ${listed(c.values.map((v) => JSON.stringify(v)))} accepts other values`;
  if (/not/i.test(c.base)) return `${c.operator} accepts any other value`;
  if (isOperator(c, 'Null')) return 'Null only checks that an external ID is present, not its value';
  return `${c.operator} does not require the value`;
}

/** How Deny statements enforce the external ID: `value` (a wrong or missing one is denied), `presence` (a missing one is). */
function denyEnforcement(denies: readonly Statement[]): { value: boolean; presence: boolean } {
  let value = false;
  let presence = false;
  for (const d of denies) {
    if (!grantsAny(d, ['sts:AssumeRole'])) continue;
    const conditions = conditionsOf(d.json);
    if (conditions.length !== 1 || !sameKey(conditions[0]!.key, 'sts:ExternalId')) continue;
    const c = conditions[0]!;
    if ((isOperator(c, 'StringNotEquals') || (isOperator(c, 'StringNotLike') && !c.values.some(hasWildcard))) && c.values.length > 0) value = true;
    if (isOperator(c, 'Null') && c.values.every((v) => v.toLowerCase() === 'true')) presence = true;
  }
  return { value, presence };
}

/** The trust policy's findings. */
export function lintTrust(role: RoleDefinition, options: LintOptions): Finding[] {
  const trust = role.trust;
  if (trust === null) return [];
  const findings: Finding[] = [];
  const policy = trust.label;
  const at = (statement: Statement | undefined) => (statement === undefined ? { location: trust.source } : { location: statement.source, statement: { policy, statement } });
  const allows = trust.statements.filter((s) => s.json.Effect === 'Allow' && grantsAny(s, ASSUME_ACTIONS));
  // A Deny that depends on a template condition may not be there: only unconditional ones count.
  const denies = trust.statements.filter((s) => s.json.Effect === 'Deny' && s.when === null && trust.when === null);

  for (const s of allows.filter((st) => principalsOf(st.json).not)) {
    findings.push(finding('trust-wildcard-principal', role, { ...at(s), message: `${statementName(s)} allows every principal except those its NotPrincipal names${whenNote(s.when)}` }));
  }
  const principals = admitted(allows, denies);
  const externalOnes = principals.filter((p) => external(p, role));
  const services = [...new Set(allows.flatMap((s) => [...principalsOf(s.json).service, ...principalsOf(s.json).federated, ...principalsOf(s.json).canonicalUser]))];
  const distinct = [...new Map(principals.map((p) => [p.text, p])).values()];

  for (const p of distinct.filter((q) => q.kind === 'wildcard')) {
    findings.push(finding('trust-wildcard-principal', role, { ...at(p.statement), message: `${statementName(p.statement)} lets any AWS principal assume the role${p.narrowedTo.length > 0 ? ` (narrowed only to ${listed(p.narrowedTo)})` : ''}${whenNote(p.statement.when)}`, details: { principal: '*' } }));
  }
  const others = distinct.filter((p) => p.kind !== 'wildcard');
  const total = others.length + services.length;
  if (total > 1) {
    const names = [...others.map((p) => p.text), ...services];
    findings.push(finding('trust-several-principals', role, { ...at(others[0]?.statement ?? allows[0]), message: `${total} principals may assume the role: ${listed(names)}`, details: { principals: names } }));
  }

  const vendor = options.vendorRole;
  const vendorAccount = vendor === null ? null : classifyPrincipal(vendor).account;
  let vendorSeen = vendor === null;
  for (const p of others) {
    const where = `${statementName(p.statement)}${whenNote(p.statement.when)}`;
    if (vendor !== null && p.text === vendor) {
      vendorSeen = true;
      continue;
    }
    if (isSymbolic(p.text)) {
      const couldBe = vendor !== null && glob(p.text.replace(/\$\{[^}]*\}/g, '*'))(vendor);
      if (couldBe) vendorSeen = true;
      if (p.kind === 'unresolved' || couldBe) {
        const params = [...p.text.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1]!);
        findings.push(finding('trust-principal-unresolved', role, { ...at(p.statement), message: `the principal ${p.text} depends on ${listed(params)}, set when the stack is created${couldBe ? `; it is the vendor role only if that gives ${vendor}` : ''} (${where})`, details: { principal: p.text, parameters: params } }));
        if (p.kind === 'unresolved') continue;
      }
    }
    if (p.kind === 'account') {
      const vendors = vendorAccount !== null && p.account !== null && (p.account === vendorAccount || (isSymbolic(p.account) && glob(p.account.replace(/\$\{[^}]*\}/g, '*'))(vendorAccount)));
      if (vendors) vendorSeen = true;
      const narrowed = p.narrowedTo.length > 0;
      const whose = vendors ? `the vendor's whole account ${p.account}, not its role ${vendor}` : `the whole account ${p.account}`;
      findings.push(
        finding('trust-root-principal', role, {
          ...at(p.statement),
          message: `${where} trusts ${whose} (${p.text === p.account ? 'a bare account ID' : p.text})${narrowed ? `, narrowed by aws:PrincipalArn to ${listed(p.narrowedTo)}, which still admits any principal matching it` : ''}`,
          severity: narrowed ? 'medium' : 'high',
          details: { principal: p.text, account: p.account, narrowedTo: p.narrowedTo },
        }),
      );
      continue;
    }
    if (['user', 'session', 'federated-user', 'unique-id', 'other'].includes(p.kind) && !isSymbolic(p.text)) {
      const what: Record<string, string> = {
        user: 'an IAM user',
        session: 'one role session',
        'federated-user': 'a federated user',
        'unique-id': 'a unique ID (the role or user it named was deleted; the trust admits no one until fixed)',
        other: 'not a role ARN',
      };
      findings.push(finding('trust-not-role-principal', role, { ...at(p.statement), message: `the principal ${p.text} is ${what[p.kind]} (${where})`, details: { principal: p.text, kind: p.kind } }));
    }
  }
  if (!vendorSeen) {
    const names = others.map((p) => p.text);
    findings.push(finding('trust-vendor-mismatch', role, { ...at(allows[0] ?? trust.statements[0]), message: `the trust does not name the vendor role ${vendor}: it names ${names.length > 0 ? listed(names) : 'no AWS principal'}`, details: { vendorRole: vendor, principals: names } }));
  }

  const enforced = denyEnforcement(denies);
  for (const s of allows) {
    const p = principalsOf(s.json);
    if (!p.wildcard && !p.not && !externalOnes.some((e) => e.statement === s)) continue;
    let weakness = externalIdWeakness(conditionsOf(s.json).filter((c) => sameKey(c.key, 'sts:ExternalId')));
    if (weakness !== null && enforced.value) weakness = null;
    if (weakness !== null && weakness !== 'missing' && enforced.presence && /IfExists|ForAllValues/.test(weakness)) weakness = null;
    if (weakness === 'missing' && enforced.presence) weakness = 'a Deny requires an external ID to be present, but any value is accepted';
    if (weakness === null) continue;
    if (weakness === 'missing') findings.push(finding('trust-external-id-missing', role, { ...at(s), message: `${statementName(s)} lets another account assume the role without an sts:ExternalId condition${whenNote(s.when)}` }));
    else findings.push(finding('trust-external-id-weak', role, { ...at(s), message: `${statementName(s)}: ${weakness}${whenNote(s.when)}` }));
  }

  if (!options.allowSessionTags) {
    for (const s of trust.statements.filter((st) => st.json.Effect === 'Allow')) {
      const extra = ['sts:TagSession', 'sts:SetSourceIdentity'].filter((a) => grantsAny(s, [a]));
      if (extra.length > 0) findings.push(finding('trust-session-tags', role, { ...at(s), message: `${statementName(s)} allows ${extra.join(' and ')}${whenNote(s.when)}`, details: { actions: extra } }));
    }
  }
  return findings;
}
