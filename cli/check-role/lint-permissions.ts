/**
 * The permission rules: what the role's policies grant beyond what a read-only integration needs
 * (wildcards, sensitive actions, writes, AWS managed policies), and, given the vendor's documented
 * policy, the difference both ways. Unconditional Deny statements subtract from what is granted:
 * a Deny of `datapipeline:QueryObjects` beside SecurityAudit removes that action from the report.
 */
import { actionCovers, actionMatches, mayWrite, sensitiveMatches, sensitiveOfService, splitAction } from './actions';
import { finding, listed, statementName, whenNote } from './findings';
import { awsManagedName, managedPolicyEntry } from './managed-policies';
import { actionsOf, conditionsOf, effectOf, isSymbolic, resourcesOf } from './policy';
import type { ExpectedPolicy, Finding, LintOptions, PolicyDocument, RoleDefinition, Statement } from './types';

/** Every permission policy document of a role that the inputs hold. */
function documents(role: RoleDefinition): PolicyDocument[] {
  return [...role.inline, ...role.attached.flatMap((a) => (a.document === null ? [] : [a.document]))];
}

/** Action patterns denied on every resource, whatever the request: unconditional Deny statements. */
function deniedPatterns(role: RoleDefinition): string[] {
  return documents(role)
    .filter((d) => d.when === null)
    .flatMap((d) => d.statements)
    .filter((s) => effectOf(s.json) === 'Deny' && s.when === null && conditionsOf(s.json).length === 0)
    .filter((s) => {
      const r = resourcesOf(s.json);
      return !r.not && r.patterns.includes('*') && !actionsOf(s.json).not;
    })
    .flatMap((s) => actionsOf(s.json).patterns);
}

/** Whether the expected policy grants `action` on every one of `resources` (compared when both are literal). */
function expectedCovers(expected: ExpectedPolicy, action: string, resources: readonly string[]): boolean {
  return expected.statements.some((s) => {
    if (effectOf(s.json) !== 'Allow') return false;
    const a = actionsOf(s.json);
    if (a.not || !a.patterns.some((p) => actionCovers(p, action))) return false;
    const r = resourcesOf(s.json);
    if (r.not) return false;
    return resources.every((res) => isSymbolic(res) || r.patterns.some((p) => isSymbolic(p) || actionCovers(p, res)));
  });
}

/** The findings of one Allow statement. */
function lintStatement(role: RoleDefinition, doc: PolicyDocument, s: Statement, denied: readonly string[], expected: ExpectedPolicy | null): Finding[] {
  const findings: Finding[] = [];
  const at = { location: s.source, statement: { policy: doc.label, statement: s } };
  const where = `${statementName(s)} of ${doc.label}${whenNote(doc.when, s.when)}`;
  const actions = actionsOf(s.json);
  const resources = resourcesOf(s.json);
  if (resources.not) findings.push(finding('permission-not-resource', role, { ...at, message: `${where} grants its actions on every resource except ${listed(resources.patterns)}`, details: { notResource: resources.patterns } }));
  if (actions.not) {
    findings.push(finding('permission-not-action', role, { ...at, message: `${where} allows every action except ${listed(actions.patterns)}`, details: { notAction: actions.patterns } }));
    return findings;
  }
  if (actions.patterns.includes('*')) {
    findings.push(finding('permission-full-wildcard', role, { ...at, message: `${where} allows every action (Action: *)`, details: { actions: ['*'] } }));
    return findings;
  }
  const onWhat = resources.not ? '' : resources.patterns.includes('*') ? ' on every resource' : ` on ${listed(resources.patterns, 3)}`;
  const isDenied = (action: string): boolean => denied.some((d) => actionCovers(d, action));
  const isExpected = (action: string): boolean => expected !== null && expectedCovers(expected, action, resources.patterns);
  const serviceWide: string[] = [];
  const sensitive: { pattern: string; actions: string[] }[] = [];
  const writes: string[] = [];
  const unexpected: string[] = [];
  for (const pattern of actions.patterns) {
    if (isDenied(pattern) || isExpected(pattern)) continue;
    const parts = splitAction(pattern);
    const covered = (parts?.name === '*' ? sensitiveOfService(parts.service) : sensitiveMatches(pattern).map((m) => m.name)).filter((a) => !isDenied(a) && !isExpected(a));
    if (parts?.name === '*') serviceWide.push(pattern);
    if (covered.length > 0) sensitive.push({ pattern, actions: covered });
    else if (parts?.name !== '*' && mayWrite(pattern)) writes.push(pattern);
    else if (expected !== null && parts?.name !== '*') unexpected.push(pattern);
  }
  const beyond = expected === null ? '' : ', which the expected policy does not grant';
  if (serviceWide.length > 0) findings.push(finding('permission-service-wildcard', role, { ...at, message: `${where} allows every action of ${listed(serviceWide)}${onWhat}${beyond}`, details: { actions: serviceWide } }));
  if (sensitive.length > 0) {
    const text = sensitive.map((m) => (m.actions.length === 1 && m.actions[0]!.toLowerCase() === m.pattern.toLowerCase() ? m.pattern : `${m.pattern} (${listed(m.actions, 4)})`));
    findings.push(finding('permission-sensitive-action', role, { ...at, message: `${where} allows ${listed(text, 6)}${onWhat}${beyond}`, details: { actions: sensitive.flatMap((m) => m.actions), patterns: sensitive.map((m) => m.pattern) } }));
  }
  if (writes.length > 0) findings.push(finding('permission-write', role, { ...at, message: `${where} allows writes: ${listed(writes)}${onWhat}${beyond}`, details: { actions: writes } }));
  if (unexpected.length > 0) findings.push(finding('permission-unexpected', role, { ...at, message: `${where} allows ${listed(unexpected)}${onWhat}, which the expected policy does not grant`, details: { actions: unexpected } }));
  return findings;
}

/** Expected actions no statement of the role grants. */
function missing(role: RoleDefinition, expected: ExpectedPolicy): { action: string; statement: Statement }[] {
  const allows = documents(role)
    .flatMap((d) => d.statements)
    .filter((s) => effectOf(s.json) === 'Allow');
  const granted = (action: string): boolean =>
    allows.some((s) => {
      const a = actionsOf(s.json);
      return a.not ? !a.patterns.some((p) => actionMatches(p, action)) : a.patterns.some((p) => actionCovers(p, action));
    });
  return expected.statements
    .filter((s) => effectOf(s.json) === 'Allow' && !actionsOf(s.json).not)
    .flatMap((s) => actionsOf(s.json).patterns.filter((p) => !granted(p)).map((action) => ({ action, statement: s })));
}

/** The findings of the role's AWS managed policies. */
function lintManaged(role: RoleDefinition, denied: readonly string[], expected: ExpectedPolicy | null): Finding[] {
  const findings: Finding[] = [];
  for (const a of role.attached) {
    const name = awsManagedName(a.arn);
    if (name === null) {
      if (a.document === null && !role.unreadable.some((u) => u.name === a.arn)) {
        findings.push(finding('policy-unreadable', role, { location: a.source, message: `the customer managed policy ${a.arn} is attached, but its document is not in the inputs${whenNote(a.when)}`, details: { policyArn: a.arn } }));
      }
      continue;
    }
    if (expected?.managedPolicyArns.some((e) => e === a.arn || awsManagedName(e) === name)) continue;
    const entry = managedPolicyEntry(name);
    if (entry === null) {
      findings.push(finding('permission-aws-managed', role, { location: a.source, severity: 'low', message: `the AWS managed policy ${name} is attached${whenNote(a.when)}; it is not in the lint's table: review what it grants, which AWS may change`, details: { policyArn: a.arn, policy: name } }));
      continue;
    }
    const left = entry.sensitive.filter((p) => !denied.some((d) => actionCovers(d, p)));
    const deniedNote = left.length < entry.sensitive.length ? ` (a Deny of the role removes ${listed(entry.sensitive.filter((p) => !left.includes(p)))})` : '';
    findings.push(
      finding('permission-aws-managed', role, {
        location: a.source,
        severity: left.length === 0 ? 'low' : entry.severity,
        message: `the AWS managed policy ${name} is attached${whenNote(a.when)}: it grants ${entry.grants}${deniedNote}`,
        details: { policyArn: a.arn, policy: name, sensitive: left, version: entry.version },
      }),
    );
  }
  return findings;
}

/** The permission findings of a role: its policies, the expected policy's difference, the session and the boundary. */
export function lintPermissions(role: RoleDefinition, options: LintOptions): Finding[] {
  const denied = deniedPatterns(role);
  const findings: Finding[] = [];
  for (const doc of documents(role)) {
    for (const s of doc.statements) if (effectOf(s.json) === 'Allow') findings.push(...lintStatement(role, doc, s, denied, options.expected));
  }
  findings.push(...lintManaged(role, denied, options.expected));
  for (const u of role.unreadable) findings.push(finding('policy-unreadable', role, { location: u.source, message: `${u.name}: ${u.reason}`, details: { policy: u.name } }));
  if (options.expected !== null) {
    const gaps = missing(role, options.expected);
    if (gaps.length > 0) {
      const unseen = role.attached.some((a) => a.document === null) || role.unreadable.length > 0;
      findings.push(
        finding('permission-missing', role, {
          location: gaps[0]!.statement.source,
          message: `the expected policy grants ${listed(gaps.map((g) => g.action))}, which the role does not${unseen ? ' (unless a managed or unreadable policy of the role grants it)' : ''}`,
          details: { actions: gaps.map((g) => g.action) },
        }),
      );
    }
  }
  const limit = options.maxSessionHours * 3600;
  if (role.maxSessionDuration !== null && role.maxSessionDuration > limit) {
    findings.push(finding('session-duration', role, { location: role.source, message: `MaxSessionDuration is ${role.maxSessionDuration} seconds (${+(role.maxSessionDuration / 3600).toFixed(2)} h), above ${options.maxSessionHours} h`, details: { maxSessionDuration: role.maxSessionDuration, limitSeconds: limit } }));
  }
  if (options.requireBoundary && role.permissionsBoundary === null) {
    findings.push(finding('boundary-missing', role, { location: role.source, message: 'the role has no permissions boundary' }));
  }
  return findings;
}
