/**
 * Every finding `check-role` reports, once: its stable id, default severity, what it means, why it
 * matters and how to fix it. The SARIF rules, the JSON output and docs/check-role.md's table are
 * rendered from this list, so they cannot drift from the lint.
 */
import type { Severity } from './types';

/** A kind of finding. */
export interface Rule {
  readonly id: string;
  /** The severity its findings have unless one says otherwise. */
  readonly severity: Severity;
  /** A few words, for lists and SARIF's shortDescription. */
  readonly title: string;
  /** When it fires, in a sentence or two. */
  readonly description: string;
  readonly why: string;
  readonly fix: string;
}

/** The rules, trust first, then permissions, then the session. */
export const RULES: readonly Rule[] = [
  {
    id: 'trust-wildcard-principal',
    severity: 'high',
    title: 'Anyone may assume the role',
    description: 'An Allow statement of the trust policy names the principal `*` (or `AWS: *`), or uses NotPrincipal.',
    why: 'Every AWS principal in every account can call sts:AssumeRole on it; the external ID, if there is one, is the only thing in the way, and it is no secret.',
    fix: 'Name the vendor\'s outbound role ARN as the only principal.',
  },
  {
    id: 'trust-root-principal',
    severity: 'high',
    title: 'Trusts a whole account, not a role',
    description: 'The trust names an account (`arn:aws:iam::<account>:root` or a bare account ID) rather than one role. Medium when a condition on aws:PrincipalArn narrows it to a pattern.',
    why: 'Any user or role of that account whose own policies allow sts:AssumeRole can assume it (an engineer, a CI job, another product\'s workload), not just the vendor\'s integration service; the external ID travels with every request, so it does not tell them apart.',
    fix: 'Ask the vendor for its outbound role ARN and trust that role only, or add `ArnEquals: {aws:PrincipalArn: <role ARN>}` to the statement.',
  },
  {
    id: 'trust-vendor-mismatch',
    severity: 'high',
    title: 'The trust does not name the vendor role',
    description: 'With `--vendor-role`, no principal of the trust is that role (nor its account, reported as trust-root-principal).',
    why: 'The role trusts someone other than the vendor you meant, or the vendor changed its outbound role and the integration would break, or someone edited the trust.',
    fix: 'Compare the principal with the vendor\'s documentation; replace it with the vendor\'s outbound role ARN.',
  },
  {
    id: 'trust-several-principals',
    severity: 'medium',
    title: 'More than one principal may assume the role',
    description: 'The trust lets more than one principal assume the role: several roles or accounts, or an AWS service or a federated identity beside the vendor.',
    why: 'Each extra principal is another way into the customer\'s account with the vendor\'s permissions; an integration needs exactly one.',
    fix: 'Keep the vendor\'s outbound role alone in the trust; give other needs their own role.',
  },
  {
    id: 'trust-not-role-principal',
    severity: 'medium',
    title: 'The principal is not a role',
    description: 'The principal is an IAM user, a role session, a federated user or a unique ID (`AROA…`, left when the role it named was deleted).',
    why: 'A vendor integration should run as a role whose sessions are short-lived and visible in CloudTrail; an IAM user holds long-term access keys, and a unique ID means the trust points at a role that no longer exists.',
    fix: 'Ask the vendor for its outbound role ARN and trust that role.',
  },
  {
    id: 'trust-principal-unresolved',
    severity: 'low',
    title: 'The principal is set at deploy time',
    description: 'The principal comes from a template parameter without a default (or an import or attribute), so the lint cannot tell which principal it will be.',
    why: 'Whoever creates the stack chooses who is trusted; a wrong or pasted-over value trusts someone else.',
    fix: 'Give the value with `--parameter NAME=VALUE` to check it, or check the deployed role.',
  },
  {
    id: 'trust-external-id-missing',
    severity: 'high',
    title: 'No external ID is required',
    description: 'An Allow statement lets another account assume the role without a condition on sts:ExternalId (and no Deny enforces one).',
    why: 'Without it the vendor can be tricked into using its access to your account on another customer\'s behalf (the confused deputy): any of its customers can enter your role ARN as theirs.',
    fix: 'Add `Condition: {StringEquals: {sts:ExternalId: <the ID the vendor gave you>}}`.',
  },
  {
    id: 'trust-external-id-weak',
    severity: 'high',
    title: 'The external ID check can be bypassed',
    description: 'The sts:ExternalId condition does not require the value: `…IfExists` or `ForAllValues:` (both pass when it is absent), `StringLike` with a wildcard, a negated operator, or a `Null` check.',
    why: 'A request without the external ID, or with a guessed one, is accepted, which brings the confused deputy back.',
    fix: 'Use `StringEquals` (a list of IDs is fine) with the exact value, without `IfExists` or a set operator.',
  },
  {
    id: 'trust-session-tags',
    severity: 'low',
    title: 'The vendor may tag sessions or set a source identity',
    description: 'The trust allows sts:TagSession or sts:SetSourceIdentity (directly or through a wildcard), and `--allow-session-tags` was not given.',
    why: 'Session tags can satisfy attribute-based conditions (aws:PrincipalTag) elsewhere in the account, and a source identity the vendor chooses is written into CloudTrail as who did it.',
    fix: 'Allow only sts:AssumeRole, unless the vendor documents why it needs the others (then pass --allow-session-tags).',
  },
  {
    id: 'permission-full-wildcard',
    severity: 'high',
    title: 'Allows every action',
    description: 'An Allow statement has `Action: *`.',
    why: 'The vendor, and anyone who steals its credentials, can do anything the account can, including creating users and reading every secret.',
    fix: 'Replace it with the actions the vendor documents.',
  },
  {
    id: 'permission-not-action',
    severity: 'high',
    title: 'Allows every action but a few',
    description: 'An Allow statement uses NotAction.',
    why: 'It grants every action not listed, including ones AWS adds later.',
    fix: 'List the allowed actions instead.',
  },
  {
    id: 'permission-service-wildcard',
    severity: 'medium',
    title: 'Allows every action of a service',
    description: 'An Allow statement has `<service>:*`.',
    why: 'It includes the service\'s writes and deletes, and every action AWS adds to it later.',
    fix: 'List the actions of the service the integration uses.',
  },
  {
    id: 'permission-sensitive-action',
    severity: 'high',
    title: 'Allows reading secrets, data or credentials',
    description: 'An Allow statement grants an action from the lint\'s list of sensitive actions (secrets, parameters, decryption, object and table reads, role passing and assumption, IAM writes), directly or through a wildcard, beyond the expected policy.',
    why: 'A monitoring or posture integration needs configuration, not contents; these actions hand the vendor (and whoever compromises it) your data or a way to more privileges.',
    fix: 'Remove the action, or scope its Resource to what the vendor documents needing.',
  },
  {
    id: 'permission-write',
    severity: 'medium',
    title: 'Allows changing the account',
    description: 'An Allow statement grants actions that are not reads (Create, Put, Update, Delete, Attach, Publish, …), beyond the expected policy.',
    why: 'A read-only integration that can write can be used to change, break or persist in your account.',
    fix: 'Remove the writes, or confirm each with the vendor\'s documentation and scope its Resource.',
  },
  {
    id: 'permission-not-resource',
    severity: 'medium',
    title: 'Allows every resource but a few',
    description: 'An Allow statement uses NotResource.',
    why: 'It grants the actions on every resource not listed, including resources created later.',
    fix: 'List the resources instead.',
  },
  {
    id: 'permission-aws-managed',
    severity: 'medium',
    title: 'An AWS managed policy is attached',
    description: 'An AWS managed policy (`arn:aws:iam::aws:policy/…`) is attached; the severity is the table\'s for that policy (low for one not in the table).',
    why: 'AWS changes these policies without notice and they grant far more than an integration uses; ReadOnlyAccess, for instance, reads S3 objects, DynamoDB items and SSM parameters.',
    fix: 'Replace it with a customer managed policy listing what the vendor documents, or add a Deny for the sensitive actions it grants.',
  },
  {
    id: 'permission-unexpected',
    severity: 'medium',
    title: 'Grants more than the vendor documents',
    description: 'With `--expected-policy`, the role grants actions (or resources) the expected policy does not, other than sensitive actions and writes (reported on their own).',
    why: 'What the vendor does not document it should not need; extra grants are often left over from an older version or added by hand.',
    fix: 'Remove what the expected policy does not list, or ask the vendor to document it.',
  },
  {
    id: 'permission-missing',
    severity: 'low',
    title: 'Grants less than the vendor documents',
    description: 'With `--expected-policy`, an action the expected policy lists is not granted (unless an AWS managed policy of the role grants it, which the lint cannot see).',
    why: 'The integration may fail, and a vendor seeing errors may ask for broader access.',
    fix: 'Add the missing actions, or confirm with the vendor that they are not needed.',
  },
  {
    id: 'policy-unreadable',
    severity: 'low',
    title: 'A policy could not be checked',
    description: 'A policy of the role is not in the inputs: a CloudFormation macro\'s output, a customer managed policy given by ARN only, a value unknown until apply.',
    why: 'What it grants is not known to the lint, so the role may grant more than reported.',
    fix: 'Give the policy\'s document (get-account-authorization-details, or the macro\'s processed template) or review it by hand.',
  },
  {
    id: 'session-duration',
    severity: 'medium',
    title: 'Sessions last longer than needed',
    description: 'MaxSessionDuration is above `--max-session-hours` (default 1).',
    why: 'A stolen session of the vendor stays usable longer; an integration that polls can assume the role again.',
    fix: 'Lower MaxSessionDuration to what the vendor documents (3600 seconds is AWS\'s default).',
  },
  {
    id: 'boundary-missing',
    severity: 'medium',
    title: 'No permissions boundary',
    description: 'With `--require-boundary`, the role has no PermissionsBoundary.',
    why: 'A boundary caps what the role can ever be granted, whatever policies are attached to it later.',
    fix: 'Set PermissionsBoundary to the boundary policy your account uses for third parties.',
  },
  // The live probe's own (`--live`): what STS did, whatever the policies say.
  {
    id: 'live-no-external-id-accepted',
    severity: 'high',
    title: 'The role was assumed without an external ID',
    description: 'With `--live`, sts:AssumeRole without an external ID succeeded.',
    why: 'Whoever the trust names can assume the role without proof of tenant: any other customer of the vendor can enter this role\'s ARN as theirs, and the vendor will assume it for them (the confused deputy).',
    fix: 'Add `Condition: {StringEquals: {sts:ExternalId: <the ID the vendor gave you>}}` to the trust policy\'s Allow statement (not `…IfExists`).',
  },
  {
    id: 'live-wrong-external-id-accepted',
    severity: 'high',
    title: 'The role was assumed with a wrong external ID',
    description: 'With `--live`, sts:AssumeRole with a random external ID marked as the probe\'s (`assumerole-watch-probe-not-the-external-id-…`) succeeded.',
    why: 'The external ID condition does not compare the value (a wildcard, a negated or set operator): a guessed ID is as good as the customer\'s, which brings the confused deputy back.',
    fix: 'Use `StringEquals` with the exact external ID the vendor gave you.',
  },
  {
    id: 'live-right-external-id-refused',
    severity: 'medium',
    title: 'The role refused the right external ID',
    description: 'With `--live`, sts:AssumeRole with the external ID given (`--external-id-env` or `--external-id-file`) was refused (AccessDenied).',
    why: 'The integration is broken: the trust policy names another principal or another external ID, the role does not exist under that ARN, or the prober\'s own policy lacks sts:AssumeRole on it (STS answers AccessDenied for all of them).',
    fix: 'Compare the trust policy\'s principal with the outbound role, and its sts:ExternalId with the ID given to the customer; check that the outbound role may sts:AssumeRole on the role ARN.',
  },
  {
    id: 'live-role-unreadable',
    severity: 'low',
    title: 'The role may not read itself',
    description: 'With `--live`, the session the right external ID opened could not read the role (iam:GetRole refused, or the reads failed), so only the probe ran: the trust and permissions were not linted.',
    why: 'The probe proves how STS answers; what the role grants is known only from its policies.',
    fix: 'Allow the role iam:GetRole, iam:ListAttachedRolePolicies, iam:ListRolePolicies and iam:GetRolePolicy on itself (and iam:GetPolicy, iam:GetPolicyVersion on its policies), or lint its template or `aws iam get-role` output instead.',
  },
];

/** A rule by id; throws on an id the registry lacks (a typo in the lint). */
export function rule(id: string): Rule {
  const found = RULES.find((r) => r.id === id);
  if (!found) throw new Error(`no check-role rule ${id}`);
  return found;
}
