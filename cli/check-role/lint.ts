/**
 * `check-role`'s lint: a pure function of a normalised role definition and what the customer
 * knows of the integration (the vendor's role, its documented policy, limits). It reads nothing
 * and calls nothing, so the command's file readers and a live probe (iam:GetRole and friends)
 * can both feed it.
 */
import { finding } from './findings';
import { lintPermissions } from './lint-permissions';
import { lintTrust, trustedServices, trustsAnotherAccount } from './lint-trust';
import { SEVERITIES, type Finding, type LintOptions, type RoleDefinition } from './types';

export { trustsAnotherAccount };

/** Every finding on one role, most serious first, then in the order of the rules. */
export function lintRole(role: RoleDefinition, options: LintOptions): Finding[] {
  const findings: Finding[] = [];
  if (role.trust === null) {
    // An input that knows why the trust is missing (a plan's value known only after apply) says so itself.
    if (!role.unreadable.some((u) => u.name === 'trust policy')) findings.push(finding('policy-unreadable', role, { location: role.source, message: 'the trust policy is not in the inputs (give `aws iam get-role` output too)', details: { policy: 'trust policy' } }));
  } else {
    findings.push(...lintTrust(role, options));
  }
  findings.push(...lintPermissions(role, options));
  return findings.sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity));
}

/** A role left out, and why. */
export interface SkippedRole {
  readonly role: RoleDefinition;
  readonly reason: string;
}

/**
 * The roles to check: those named by `--role` (by name or alias), or else every role that lets
 * another account assume it; the others are skipped with the reason. Null `names` means all.
 */
export function selectRoles(roles: readonly RoleDefinition[], names: readonly string[] | null): { checked: RoleDefinition[]; skipped: SkippedRole[]; unknown: string[] } {
  if (names !== null && names.length > 0) {
    const matches = (r: RoleDefinition, n: string): boolean => r.name === n || r.aliases.includes(n);
    return {
      checked: roles.filter((r) => names.some((n) => matches(r, n))),
      skipped: roles.filter((r) => !names.some((n) => matches(r, n))).map((role) => ({ role, reason: 'not named by --role' })),
      unknown: names.filter((n) => !roles.some((r) => matches(r, n))),
    };
  }
  const checked: RoleDefinition[] = [];
  const skipped: SkippedRole[] = [];
  for (const role of roles) {
    if (trustsAnotherAccount(role)) {
      checked.push(role);
      continue;
    }
    const services = trustedServices(role);
    skipped.push({ role, reason: services.length > 0 ? `trusts only ${services.join(', ')}` : 'trusts no other account' });
  }
  return { checked, skipped, unknown: [] };
}
