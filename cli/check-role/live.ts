/**
 * `check-role --live`: the probe a vendor runs while onboarding a customer. It asks STS for the
 * customer's role three times (without an external ID, with a wrong one, with the right one),
 * each time for the shortest session and a session policy that only lets it read that role;
 * then, with the session the right ID opened, it reads the role (iam:GetRole and friends) into
 * the {@link RoleDefinition} the static lint takes. The SDK clients come from a factory, so the
 * tests fake them at the SDK's boundary; this module is loaded only when `--live` is given.
 */
import { GetPolicyCommand, GetPolicyVersionCommand, GetRoleCommand, GetRolePolicyCommand, IAMClient, ListAttachedRolePoliciesCommand, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient, type AssumeRoleCommandOutput } from '@aws-sdk/client-sts';
import {
  outboundSessionPolicy,
  PROBE_DURATION_SECONDS,
  PROBE_MAX_ATTEMPTS,
  PROBE_SESSION_NAME,
  probeError,
  readRoleSessionPolicy,
  redacted,
  type ProbeError,
} from '../../lambdas/core/role-probe';
import { roleArnParts } from '../../lambdas/core/role-arn';
import { DocumentProblem, documentValue, policyDocument } from './documents';
import { finding } from './findings';
import type { AttachedPolicy, Finding, PolicyDocument, RoleDefinition, SourceRef, UnreadablePolicy } from './types';

/** Temporary credentials as the SDK clients take them. */
export interface SessionCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** Builds the SDK clients: `credentials` null means the default credential chain. */
export interface LiveClients {
  sts(credentials: SessionCredentials | null, region: string | null): STSClient;
  iam(credentials: SessionCredentials, region: string): IAMClient;
}

/** The clients the command uses: the SDK's standard retry mode, {@link PROBE_MAX_ATTEMPTS} attempts. */
export const SDK_CLIENTS: LiveClients = {
  sts: (credentials, region) => new STSClient({ retryMode: 'standard', maxAttempts: PROBE_MAX_ATTEMPTS, ...(region === null ? {} : { region }), ...(credentials === null ? {} : { credentials }) }),
  iam: (credentials, region) => new IAMClient({ retryMode: 'standard', maxAttempts: PROBE_MAX_ATTEMPTS, region, credentials }),
};

/** What to probe, and with what. */
export interface LiveProbeRequest {
  readonly roleArn: string;
  /** The external ID the customer was given; never printed. */
  readonly externalId: string;
  /** The outbound role to assume first from the default chain, or null to probe with the chain's credentials. */
  readonly viaRole: string | null;
  /** null: the SDK's (AWS_REGION, the profile). */
  readonly region: string | null;
  /** The wrong external ID (random, marked as the probe's). */
  readonly wrongExternalId: string;
}

/** Which external ID a request carried. */
export type ProbeIdKind = 'none' | 'wrong' | 'given';

/** One AssumeRole on the customer's role and how STS answered. */
export interface ProbeStep {
  readonly externalId: ProbeIdKind;
  readonly accepted: boolean;
  /** The refusal (AccessDenied) when not accepted. */
  readonly refusal: ProbeError | null;
}

/** What the probe did and read. */
export interface LiveProbe {
  readonly roleArn: string;
  readonly viaRole: string | null;
  readonly region: string;
  /** The principal that made the calls: the outbound role's session, or the default chain's identity. */
  readonly caller: string | null;
  readonly wrongExternalId: string;
  readonly steps: readonly ProbeStep[];
  /** The role as read, or why it could not be (null `role`); `null` when no session was opened to read with. */
  readonly read: { readonly role: RoleDefinition; readonly reason: null } | { readonly role: null; readonly reason: string } | null;
  /** The session the role was read with: the right external ID's, or another the role accepted. */
  readonly readWith: ProbeIdKind | null;
}

/** The probe could not run to its end: bad credentials, throttled out, a region without STS, … */
export class ProbeFailed extends Error {
  constructor(
    message: string,
    readonly error: ProbeError,
    /** The customer-role requests answered before it stopped. */
    readonly steps: readonly ProbeStep[],
  ) {
    super(message);
    this.name = 'ProbeFailed';
  }
}

/** Most pages of a list call read (a role has at most tens of policies). */
const MAX_PAGES = 20;

/** How an error reads in a message: `AccessDenied: …`, with the attempts when the SDK retried. */
function described(e: ProbeError): string {
  return `${e.code}: ${e.message}${e.attempts !== null && e.attempts > 1 ? ` (after ${e.attempts} attempts)` : ''}`;
}

/** The message of a failure, by kind; `during` says which request. */
function failureMessage(e: ProbeError, during: string, region: string | null): string {
  switch (e.kind) {
    case 'credentials':
      return `${during}: the credentials were refused (${described(e)}); check the default credential chain (AWS_PROFILE, AWS_ACCESS_KEY_ID, the instance or task role) and that the session has not expired`;
    case 'throttled':
      return `${during}: STS was still throttling after ${e.attempts ?? 'several'} attempts with backoff (${e.code}: ${e.message}); run it again in a minute`;
    case 'region-disabled':
      return `${during}: STS is not activated in ${region ?? 'the region'} for the account (${e.code}: ${e.message}); pass --region with a region where it is`;
    case 'policy-refused':
      return `${during}: STS refused the probe's session policy (${described(e)}); this is a bug of assumerole-watch, please report it`;
    case 'invalid-request':
      return `${during}: STS refused a parameter (${described(e)})`;
    case 'no-region':
      return `${during}: no region: set AWS_REGION (or a profile's region), or pass --region`;
    case 'refused':
      return `${during}: refused (${described(e)})`;
    default:
      return `${during}: ${described(e)}`;
  }
}

/** The credentials an AssumeRole answer carries. */
function credentialsOf(out: AssumeRoleCommandOutput): SessionCredentials {
  const c = out.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error('STS answered AssumeRole without credentials');
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}) };
}

/** Runs the probe: throws {@link ProbeFailed} when it cannot finish; never prints the external ID. */
export async function probeRole(request: LiveProbeRequest, clients: LiveClients = SDK_CLIENTS): Promise<LiveProbe> {
  const { roleArn, externalId, viaRole } = request;
  const steps: ProbeStep[] = [];
  const fail = (error: unknown, during: string, region: string | null): ProbeFailed => {
    const e = probeError(error);
    const safe: ProbeError = { ...e, message: redacted(e.message, externalId) };
    return new ProbeFailed(redacted(failureMessage(safe, during, region), externalId), safe, [...steps]);
  };
  const chain = clients.sts(null, request.region);
  let region: string;
  try {
    region = request.region ?? (await chain.config.region());
  } catch (e) {
    throw fail(e, 'resolving the region', null);
  }
  let probing = chain;
  let caller: string | null;
  if (viaRole !== null) {
    let out: AssumeRoleCommandOutput;
    try {
      // The outbound role's session may assume this customer role and nothing else.
      out = await chain.send(new AssumeRoleCommand({ RoleArn: viaRole, RoleSessionName: PROBE_SESSION_NAME, DurationSeconds: PROBE_DURATION_SECONDS, Policy: outboundSessionPolicy([roleArn]) }));
    } catch (e) {
      const failed = fail(e, `assuming the outbound role ${viaRole} with the default credentials`, region);
      if (failed.error.kind === 'refused') {
        throw new ProbeFailed(`${failed.message}; the checker principal needs sts:AssumeRole on it, and the outbound role's trust policy must name the checker principal`, failed.error, []);
      }
      throw failed;
    }
    probing = clients.sts(credentialsOf(out), region);
    caller = out.AssumedRoleUser?.Arn ?? null;
  } else {
    // Who is about to call, and whether its credentials work, before the customer sees a request.
    try {
      caller = (await chain.send(new GetCallerIdentityCommand({}))).Arn ?? null;
    } catch (e) {
      throw fail(e, 'sts:GetCallerIdentity with the default credentials', region);
    }
  }

  const sessions = new Map<ProbeIdKind, SessionCredentials>();
  const values: Record<ProbeIdKind, string | undefined> = { none: undefined, wrong: request.wrongExternalId, given: externalId };
  const what: Record<ProbeIdKind, string> = { none: 'without an external ID', wrong: 'with the probe\'s wrong external ID', given: 'with the external ID given' };
  for (const kind of ['none', 'wrong', 'given'] as const) {
    const value = values[kind];
    try {
      const out = await probing.send(new AssumeRoleCommand({
        RoleArn: roleArn,
        RoleSessionName: PROBE_SESSION_NAME,
        DurationSeconds: PROBE_DURATION_SECONDS,
        Policy: readRoleSessionPolicy(roleArn),
        ...(value === undefined ? {} : { ExternalId: value }),
      }));
      sessions.set(kind, credentialsOf(out));
      steps.push({ externalId: kind, accepted: true, refusal: null });
    } catch (e) {
      const failed = fail(e, `sts:AssumeRole on ${roleArn} ${what[kind]}`, region);
      if (failed.error.kind !== 'refused') throw failed;
      steps.push({ externalId: kind, accepted: false, refusal: failed.error });
    }
  }

  // Read with the right ID's session; a role that refused it but let another in is read with that one.
  const readWith = (['given', 'none', 'wrong'] as const).find((k) => sessions.has(k)) ?? null;
  const read = readWith === null ? null : await readRole(clients.iam(sessions.get(readWith)!, region), roleArn, caller, externalId);
  return { roleArn, viaRole, region, caller, wrongExternalId: request.wrongExternalId, steps, read, readWith };
}

/** Every item of a paginated IAM list (Marker / IsTruncated), at most {@link MAX_PAGES} pages. */
async function allPages<T>(page: (marker: string | undefined) => Promise<{ items: T[]; marker: string | undefined; truncated: boolean }>): Promise<T[]> {
  const items: T[] = [];
  let marker: string | undefined;
  for (let i = 0; i < MAX_PAGES; i++) {
    const p = await page(marker);
    items.push(...p.items);
    if (!p.truncated || p.marker === undefined) break;
    marker = p.marker;
  }
  return items;
}

/** `value` with `secret` replaced in every string: the trust policy a role reads holds its external ID. */
function hidden(value: unknown, secret: string): unknown {
  if (typeof value === 'string') return redacted(value, secret);
  if (Array.isArray(value)) return value.map((v) => hidden(v, secret));
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [redacted(k, secret), hidden(v, secret)]));
  return value;
}

/** Whether a policy ARN is an AWS managed policy (judged from the lint's table, never read). */
function isAwsManaged(arn: string): boolean {
  return /^arn:aws[a-z-]*:iam::aws:policy\//.test(arn);
}

/**
 * Reads the role as the probe's session may: its trust and properties (iam:GetRole), its inline
 * policies and the documents of its customer managed policies. A refused or failed read of one
 * policy leaves it unreadable (reported as policy-unreadable); a refused GetRole leaves the role.
 * `externalId` is replaced in every document read (the trust policy's condition holds it), so no
 * finding quotes it.
 */
export async function readRole(iam: IAMClient, roleArn: string, caller: string | null, externalId: string): Promise<NonNullable<LiveProbe['read']>> {
  const name = roleArnParts(roleArn)!.name;
  const source: SourceRef = { file: roleArn, line: null };
  const reason = (call: string, e: unknown): string => redacted(`${call}: ${described(probeError(e))}`, externalId);
  let role;
  try {
    role = (await iam.send(new GetRoleCommand({ RoleName: name }))).Role;
  } catch (e) {
    return { role: null, reason: reason('iam:GetRole', e) };
  }
  if (role === undefined) return { role: null, reason: 'iam:GetRole answered without the role' };
  const unreadable: UnreadablePolicy[] = [];
  const document = (raw: unknown, label: string): PolicyDocument | null => {
    try {
      return policyDocument(hidden(documentValue(raw), externalId), label, source, null);
    } catch (e) {
      if (!(e instanceof DocumentProblem)) throw e;
      unreadable.push({ name: label, reason: e.message, source });
      return null;
    }
  };

  const inline: PolicyDocument[] = [];
  try {
    const names = await allPages(async (Marker) => {
      const out = await iam.send(new ListRolePoliciesCommand({ RoleName: name, Marker }));
      return { items: out.PolicyNames ?? [], marker: out.Marker, truncated: out.IsTruncated === true };
    });
    for (const policyName of names) {
      try {
        const out = await iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: policyName }));
        const d = document(out.PolicyDocument, `inline policy ${policyName}`);
        if (d !== null) inline.push(d);
      } catch (e) {
        unreadable.push({ name: `inline policy ${policyName}`, reason: reason('iam:GetRolePolicy', e), source });
      }
    }
  } catch (e) {
    unreadable.push({ name: 'inline policies', reason: reason('iam:ListRolePolicies', e), source });
  }

  const attached: AttachedPolicy[] = [];
  try {
    const arns = await allPages(async (Marker) => {
      const out = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name, Marker }));
      return { items: (out.AttachedPolicies ?? []).flatMap((p) => (p.PolicyArn ? [p.PolicyArn] : [])), marker: out.Marker, truncated: out.IsTruncated === true };
    });
    for (const arn of arns) {
      let doc: PolicyDocument | null = null;
      if (!isAwsManaged(arn)) {
        try {
          const policy = (await iam.send(new GetPolicyCommand({ PolicyArn: arn }))).Policy;
          const version = (await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: policy?.DefaultVersionId }))).PolicyVersion;
          doc = document(version?.Document, `managed policy ${policy?.PolicyName ?? arn}`);
        } catch (e) {
          // Named by its ARN: the lint then reports this reason rather than "not in the inputs".
          unreadable.push({ name: arn, reason: reason('iam:GetPolicy / iam:GetPolicyVersion', e), source });
        }
      }
      attached.push({ arn, source, when: null, document: doc });
    }
  } catch (e) {
    unreadable.push({ name: 'attached managed policies', reason: reason('iam:ListAttachedRolePolicies', e), source });
  }

  const parts = roleArnParts(role.Arn ?? roleArn) ?? roleArnParts(roleArn)!;
  const trust = role.AssumeRolePolicyDocument === undefined ? null : document(role.AssumeRolePolicyDocument, 'trust policy');
  return {
    role: {
      name: role.RoleName ?? name,
      aliases: [...new Set([roleArn, role.Arn ?? roleArn])],
      arn: role.Arn ?? roleArn,
      accountId: parts.account,
      origin: `live: iam:GetRole${caller === null ? '' : ` as ${caller}`}`,
      source,
      when: null,
      trust,
      inline,
      attached,
      unreadable,
      maxSessionDuration: typeof role.MaxSessionDuration === 'number' ? role.MaxSessionDuration : null,
      permissionsBoundary: role.PermissionsBoundary?.PermissionsBoundaryArn ?? null,
    },
    reason: null,
  };
}

/** The role as the report names it when it could not be read: its ARN's name. */
export function unreadRole(roleArn: string): RoleDefinition {
  const parts = roleArnParts(roleArn)!;
  return {
    name: parts.name,
    aliases: [roleArn],
    arn: roleArn,
    accountId: parts.account,
    origin: 'live probe (not read)',
    source: { file: roleArn, line: null },
    when: null,
    trust: null,
    inline: [],
    attached: [],
    unreadable: [],
    maxSessionDuration: null,
    permissionsBoundary: null,
  };
}

/** The probe's own findings: what STS accepted and refused, and whether the role could be read. */
export function probeFindings(probe: LiveProbe, role: RoleDefinition): Finding[] {
  const location: SourceRef = { file: probe.roleArn, line: null };
  const step = (kind: ProbeIdKind): ProbeStep | undefined => probe.steps.find((s) => s.externalId === kind);
  const findings: Finding[] = [];
  if (step('none')?.accepted) {
    findings.push(finding('live-no-external-id-accepted', role, { location, message: `sts:AssumeRole on ${probe.roleArn} without an external ID was accepted`, details: { externalId: null } }));
  }
  if (step('wrong')?.accepted) {
    findings.push(finding('live-wrong-external-id-accepted', role, { location, message: `sts:AssumeRole on ${probe.roleArn} with the wrong external ID ${probe.wrongExternalId} was accepted`, details: { externalId: probe.wrongExternalId } }));
  }
  const given = step('given');
  if (given !== undefined && !given.accepted) {
    findings.push(finding('live-right-external-id-refused', role, {
      location,
      message: `sts:AssumeRole on ${probe.roleArn} with the external ID given was refused${probe.caller === null ? '' : ` for ${probe.caller}`} (${given.refusal?.code ?? 'AccessDenied'})`,
      details: { errorCode: given.refusal?.code ?? null, caller: probe.caller },
    }));
  }
  if (probe.read !== null && probe.read.role === null) {
    findings.push(finding('live-role-unreadable', role, { location, message: `the role could not be read, so only the probe ran: ${probe.read.reason}`, details: { reason: probe.read.reason } }));
  }
  return findings;
}
