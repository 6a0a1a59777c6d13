/** human-principal: a person, not the vendor's backend, assumed the outbound role. */
import type { CompiledConfig } from '../core/config';
import type { AssumeRoleCall } from '../core/types';
import { callerIdentities, describePrincipal, evidenceOf, lower, stateless, type Detector } from './detector';

const FEDERATED_TYPES = new Set(['SAMLUser', 'WebIdentityUser', 'FederatedUser']);
const INTERACTIVE_AGENTS = /^(aws-cli\/|aws-shell|AWSCloudShell|console\.amazonaws\.com|signin\.amazonaws\.com|AWSPowerShell|S3Console|\[?aws-internal\/3 aws-sdk-java.*console)/i;
const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;

/** Why a caller looks like a person; empty when nothing does. */
export function humanReasons(call: AssumeRoleCall, config: CompiledConfig): string[] {
  const p = call.principal;
  const reasons: string[] = [];
  if (p.type === 'Root') reasons.push('root user');
  if (p.type === 'IAMUser') reasons.push('IAM user');
  if (FEDERATED_TYPES.has(p.type) || call.eventName !== 'AssumeRole') reasons.push(`federated user (${call.eventName === 'AssumeRole' ? p.type : call.eventName})`);
  if (p.type === 'AssumedRole' && config.isHumanRole(p.sessionIssuerArn)) reasons.push(`session of human role ${p.sessionIssuerArn}`);
  if (p.consoleCredentials) reasons.push('console credentials');
  if (INTERACTIVE_AGENTS.test(call.userAgent)) reasons.push(`interactive tool (${call.userAgent.split(' ', 1)[0]})`);
  if (call.roleSessionName && EMAIL.test(call.roleSessionName)) reasons.push('e-mail address as session name');
  return [...new Set(reasons)];
}

/** See the registry; evaluated on calls into a monitored role. */
export const detector: Detector = {
  id: 'human-principal',
  title: 'Outbound role assumed by a human',
  severity: 'high',
  description:
    'A person assumed the outbound integration role: an IAM or root user, a SAML, web-identity or federated user, an SSO or configured human role, console credentials, an interactive tool user agent, or an e-mail address as session name. Expected callers are exempt.',
  runbook:
    'Ask the person why they hold customer-facing credentials; if unapproved, revoke the session (deny by aws:TokenIssueTime), rotate the user\'s keys, and review which customer roles the session assumed.',
  plan(subject, config) {
    const { call } = subject;
    if (!subject.intoRole || call.kind !== 'assume-role') return null;
    if (config.isExpectedCaller(callerIdentities(call))) return null;
    const reasons = humanReasons(call, config);
    if (reasons.length === 0) return null;
    const failed = call.errorCode !== null;
    const base = call.principal.type === 'Root' ? 'critical' : 'high';
    const verb = failed ? `tried to assume (${call.errorCode})` : 'assumed';
    return stateless({
      findings: [{
        severity: failed ? lower(base) : base,
        title: `Human ${failed ? 'tried to assume' : 'assumed'} outbound role ${roleName(subject.intoRole)}`,
        cause: `${describePrincipal(call)} ${verb} ${subject.intoRole}: ${reasons.join('; ')}`,
        dedupKey: `human-principal|${subject.intoRole}|${call.principal.arn ?? call.principal.principalId ?? call.principal.type}`,
        evidence: evidenceOf(subject, { reasons, failed }),
      }],
      updates: [],
    });
  },
};

/** The name part of a role ARN. */
export function roleName(arn: string): string {
  return arn.slice(arn.lastIndexOf('/') + 1);
}
