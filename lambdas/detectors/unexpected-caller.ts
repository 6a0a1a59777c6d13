/** unexpected-caller: a principal outside the expected callers assumed the outbound role. */
import { accountOf } from '../core/parse';
import { quoted } from '../core/text';
import { callerIdentities, describePrincipal, evidenceOf, humanReasons, lower, roleName, stateless, type Detector } from './detector';

/** See the registry; evaluated on calls into a monitored role. */
export const detector: Detector = {
  id: 'unexpected-caller',
  title: 'Outbound role assumed by an unexpected principal',
  severity: 'high',
  description:
    'A principal that is not in `expectedCallerArns` assumed (or tried to assume) the outbound integration role. Humans are reported by human-principal instead. Silent while `expectedCallerArns` is empty.',
  runbook:
    'Identify the workload behind the principal. If it should not reach customers, remove it from the outbound role\'s trust policy and review what its session did; if it should, add it to expectedCallerArns.',
  attack: [{ tactic: 'TA0004', technique: 'T1078.004' }],
  attackRationale: 'A principal that is not the backend holds credentials the role\'s trust policy accepts: Valid Accounts: Cloud Accounts, escalating to the outbound role\'s reach.',
  plan(subject, config) {
    const { call } = subject;
    if (!subject.intoRole || call.kind !== 'assume-role' || config.expectedCallerArns.length === 0) return null;
    if (config.isExpectedCaller(callerIdentities(call))) return null;
    // The role owner's copy of a cross-account call names only the caller's account.
    if (call.principal.type === 'AWSAccount' && config.expectedCallerArns.some((arn) => accountOf(arn) === call.principal.accountId)) return null;
    if (humanReasons(call, config).length > 0) return null;
    const failed = call.errorCode !== null;
    return stateless({
      findings: [{
        severity: failed ? lower(this.severity) : this.severity,
        title: `Unexpected principal ${failed ? 'tried to assume' : 'assumed'} outbound role ${quoted(roleName(subject.intoRole), 64)}`,
        cause: `caller ${describePrincipal(call)} is not an expected caller of ${quoted(subject.intoRole)}${failed ? ` (call failed: ${quoted(call.errorCode!, 64)})` : ''}`,
        dedupKey: `unexpected-caller|${subject.intoRole}|${call.principal.sessionIssuerArn ?? call.principal.arn ?? call.principal.accountId ?? 'unknown'}`,
        evidence: evidenceOf(subject, { callerRole: call.principal.sessionIssuerArn ?? '', failed }),
      }],
      updates: [],
    });
  },
};
