/** region: a regional outbound role used outside its region. */
import { quoted } from '../core/text';
import { evidenceOf, roleName, stateless, type Detector, type FindingDraft } from './detector';

/** See the registry; evaluated on AssumeRole calls into or out of a monitored role with `roleRegions`. */
export const detector: Detector = {
  id: 'region',
  title: 'Regional outbound role used outside its region',
  severity: 'medium',
  description:
    'A monitored role listed in `roleRegions` was assumed, or assumed a customer role, through the STS endpoint of another region. The global endpoint logs in us-east-1: list it for roles that use it.',
  runbook:
    'The vendor pins each regional role to its region\'s endpoint; a call through another region comes from other code or other hands. Check the source address and user agent, and revoke the session if it is not the backend.',
  attack: [{ tactic: 'TA0005', technique: 'T1535' }],
  attackRationale: 'A regional role used through a region the vendor does not use it in: Unused/Unsupported Cloud Regions, where activity is less watched.',
  plan(subject, config) {
    const { call } = subject;
    if (call.kind !== 'assume-role') return null;
    const findings: FindingDraft[] = [];
    for (const role of new Set([subject.intoRole, subject.outRole])) {
      if (!role) continue;
      const regions = config.regionsOf(role);
      if (!regions || regions.includes(call.awsRegion)) continue;
      findings.push({
        severity: this.severity,
        title: `Regional role ${quoted(roleName(role), 64)} used in ${quoted(call.awsRegion, 64)}`,
        cause: `role ${quoted(role)} is pinned to ${regions.join(', ')} but ${role === subject.intoRole ? 'was assumed' : 'assumed a role'} through ${quoted(call.awsRegion, 64)}`,
        dedupKey: `region|${role}|${call.awsRegion}`,
        evidence: evidenceOf(subject, { allowedRegions: regions, usedRegion: call.awsRegion }),
      });
    }
    return stateless({ findings, updates: [] });
  },
};
