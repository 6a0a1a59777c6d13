/** human-principal: a person, not the vendor's backend, assumed the outbound role. */
import { quoted } from '../core/text';
import { callerIdentities, describePrincipal, evidenceOf, humanReasons, lower, roleName, stateless, type Detector } from './detector';

/** See the registry; evaluated on calls into a monitored role. */
export const detector: Detector = {
  id: 'human-principal',
  title: 'Outbound role assumed by a human',
  severity: 'high',
  description:
    'A person assumed the outbound integration role: an IAM or root user, a SAML, web-identity or federated user, an SSO or configured human role, console credentials, an interactive tool user agent, or an e-mail address as session name. Expected callers are exempt.',
  runbook:
    'Ask the person why they hold customer-facing credentials; if unapproved, revoke the session (deny by aws:TokenIssueTime), rotate the user\'s keys, and review which customer roles the session assumed.',
  attack: [{ tactic: 'TA0004', technique: 'T1078.004' }],
  attackRationale: 'A person holding the outbound role uses valid cloud credentials to reach every customer the role can: Valid Accounts: Cloud Accounts, escalating beyond the person\'s own reach.',
  plan(subject, config) {
    const { call } = subject;
    if (!subject.intoRole || call.kind !== 'assume-role') return null;
    if (config.isExpectedCaller(callerIdentities(call))) return null;
    const reasons = humanReasons(call, config);
    if (reasons.length === 0) return null;
    const failed = call.errorCode !== null;
    const base = call.principal.type === 'Root' ? 'critical' : 'high';
    const verb = failed ? `tried to assume (${quoted(call.errorCode!, 64)})` : 'assumed';
    return stateless({
      findings: [{
        severity: failed ? lower(base) : base,
        title: `Human ${failed ? 'tried to assume' : 'assumed'} outbound role ${quoted(roleName(subject.intoRole), 64)}`,
        cause: `caller ${describePrincipal(call)} ${verb} ${quoted(subject.intoRole)}: ${reasons.join('; ')}`,
        dedupKey: `human-principal|${subject.intoRole}|${call.principal.arn ?? call.principal.principalId ?? call.principal.type}`,
        evidence: evidenceOf(subject, { reasons, failed }),
      }],
      updates: [],
    });
  },
};
