/**
 * The normalised role definition `check-role` lints, whatever it was read from (a CloudFormation
 * template, a Terraform plan, the AWS CLI's output; later the live probe's iam:GetRole and
 * friends), and the findings it reports.
 */

/** How much a finding matters. */
export type Severity = 'high' | 'medium' | 'low';

/** Severities from the most to the least serious. */
export const SEVERITIES: readonly Severity[] = ['high', 'medium', 'low'];

/** A place in an input: the file as given on the command line, and a 1-based line when known. */
export interface SourceRef {
  readonly file: string;
  readonly line: number | null;
}

/** One statement of a policy document, as written (intrinsics resolved where they could be). */
export interface Statement {
  readonly json: Readonly<Record<string, unknown>>;
  /** Its position in the document's Statement list, from 0. */
  readonly index: number;
  readonly sid: string | null;
  readonly source: SourceRef;
  /** The template condition it depends on (`Cond`, `not Cond`), or null when always present. */
  readonly when: string | null;
}

/** A policy document: the trust policy, an inline policy, or a customer managed policy. */
export interface PolicyDocument {
  /** How the reader names it: `trust policy`, `inline policy Foo`, `managed policy Bar`. */
  readonly label: string;
  readonly statements: readonly Statement[];
  readonly source: SourceRef;
  /** The template condition the whole policy depends on, or null. */
  readonly when: string | null;
}

/** A managed policy attached by ARN, with its document when the inputs hold it. */
export interface AttachedPolicy {
  readonly arn: string;
  readonly source: SourceRef;
  readonly when: string | null;
  /** Null for AWS managed policies (judged from a table) and for documents the inputs lack. */
  readonly document: PolicyDocument | null;
}

/** A policy the lint cannot read, with the reason (a macro's output, a policy not in the inputs). */
export interface UnreadablePolicy {
  readonly name: string;
  readonly reason: string;
  readonly source: SourceRef;
}

/** A role to check, normalised from any input. */
export interface RoleDefinition {
  /** The role's name (RoleName, or the template's logical ID when the name is generated). */
  readonly name: string;
  /** Other names it answers to for `--role` (a logical ID, a Terraform address). */
  readonly aliases: readonly string[];
  readonly arn: string | null;
  /** The role's own account, when the input says: principals of this account are not "another account". */
  readonly accountId: string | null;
  /** What it was read from, for people: `CloudFormation AWS::IAM::Role DatadogIntegrationRole`. */
  readonly origin: string;
  readonly source: SourceRef;
  /** The template condition the role itself depends on, or null. */
  readonly when: string | null;
  /** Null when the input does not hold it (e.g. only get-role-policy output was given). */
  readonly trust: PolicyDocument | null;
  readonly inline: readonly PolicyDocument[];
  readonly attached: readonly AttachedPolicy[];
  readonly unreadable: readonly UnreadablePolicy[];
  /** Seconds; null when not set (AWS's default is one hour). */
  readonly maxSessionDuration: number | null;
  /** The boundary policy's ARN, or null. */
  readonly permissionsBoundary: string | null;
}

/** The statement a finding points at. */
export interface FindingStatement {
  readonly policy: string;
  /** Its position from 0, or null when the finding is about an attachment rather than a statement. */
  readonly index: number | null;
  readonly sid: string | null;
  readonly json: unknown;
}

/** One finding: which rule, how serious, on which role, where, what exactly, and why and how to fix it. */
export interface Finding {
  readonly id: string;
  readonly severity: Severity;
  readonly role: string;
  /** One line saying what is wrong here, naming the principal, policy or actions. */
  readonly message: string;
  readonly why: string;
  readonly fix: string;
  readonly location: SourceRef;
  readonly statement: FindingStatement | null;
  /** The values the message names (actions, principals, policy ARNs), for machines. */
  readonly details: Readonly<Record<string, unknown>>;
}

/** An IAM policy the vendor documents: what the role is expected to be granted, and nothing more. */
export interface ExpectedPolicy {
  readonly file: string;
  readonly statements: readonly Statement[];
  /** AWS or customer managed policies the vendor documents attaching (an extension: a top-level `ManagedPolicyArns`). */
  readonly managedPolicyArns: readonly string[];
}

/** What the lint is told about the integration. */
export interface LintOptions {
  /** The vendor's outbound role ARN, the one principal the trust should name; null to require "exactly one role ARN". */
  readonly vendorRole: string | null;
  readonly expected: ExpectedPolicy | null;
  /** sts:TagSession and sts:SetSourceIdentity are part of the integration. */
  readonly allowSessionTags: boolean;
  readonly maxSessionHours: number;
  readonly requireBoundary: boolean;
}

/** The lint's defaults: no vendor role or expected policy, one hour sessions, no boundary required. */
export const DEFAULT_LINT_OPTIONS: LintOptions = { vendorRole: null, expected: null, allowSessionTags: false, maxSessionHours: 1, requireBoundary: false };
