/**
 * An alert as an OCSF 1.1.0 Detection Finding (class_uid 2004, category 2 Findings, activity
 * 1 Create), for the security data lakes and SIEMs that read the Open Cybersecurity Schema
 * Framework (Amazon Security Lake among them). test/ocsf.test.ts checks every rendering against
 * the standard's own definition files.
 *
 * Where our facts go:
 * - `finding_info`: the alert (uid = alertId, title, cause), the detector as a Rule analytic, its
 *   ATT&CK mappings, the first and last event times, and every event ID (`related_events`).
 * - `evidences`: the event the alert's evidence describes (its first): who called (`actor`), from
 *   where (`src_endpoint`), which call (`api`). An alert keeps the principal, address and call of
 *   that event only; the other events it lists are named in `related_events`, and no principal
 *   or address is made up for them.
 * - `resources`: the role the call was about (the role assumed, or the monitored role whose
 *   session called), and the target account where there is one.
 * - `unmapped`: what OCSF 1.1.0 has no attribute for (the detector's details, occurrences, the
 *   user agent, console links, the alert JSON's version).
 *
 * Attackers choose many strings in an alert (session names, user agents, and in offline logs
 * anything); they are kept as they are, to be JSON-escaped by whoever serialises the finding,
 * with two exceptions the standard forces: a lone surrogate becomes U+FFFD (a `string_t` is UTF-8,
 * which cannot encode one), and a string beyond `string_t`'s 65,535 characters is cut with a
 * marker. Attributes that do not apply are left out, never null: no OCSF type but `json_t`
 * admits null.
 */
import { accountOf, classifySource } from '../core/parse';
import { formatIp } from '../core/ip';
import { ASSUME_ROLE_EVENT_NAMES, type Severity } from '../core/types';
import type { Alert } from '../engine/alerts';
import { ALERT_SCHEMA_VERSION, consoleEventUrl } from './format';

/** The OCSF release the findings follow (`metadata.version`). */
export const OCSF_VERSION = '1.1.0';

/** Our name as product and vendor: the project ships itself, there is no other vendor to name. */
const PRODUCT = 'assumerole-watch';

/** OCSF severity_id and its caption (the `severity` sibling) for each of ours. */
const SEVERITY_IDS = {
  low: { id: 2, caption: 'Low' },
  medium: { id: 3, caption: 'Medium' },
  high: { id: 4, caption: 'High' },
  critical: { id: 5, caption: 'Critical' },
} as const satisfies Record<Severity, { id: number; caption: string }>;

/** An OCSF severity_id we emit. */
export type OcsfSeverityId = (typeof SEVERITY_IDS)[Severity]['id'];

/** An AWS account as OCSF's `account` object holds it (type_id 10, AWS Account). */
export interface OcsfAccount {
  readonly uid: string;
  readonly type_id: 10;
  readonly type: 'AWS Account';
}

/** `metadata`: the finding's identity, its producer, and the profiles whose attributes it uses. */
export interface OcsfMetadata {
  readonly version: typeof OCSF_VERSION;
  readonly product: { readonly name: string; readonly vendor_name: string; readonly uid: string };
  readonly profiles: readonly string[];
  /** The alertId. */
  readonly uid: string;
  /** The dedup key: every alert of one detector, subject and caller shares it. */
  readonly correlation_uid: string;
}

/** `cloud` (profile cloud): where the call was made. */
export interface OcsfCloud {
  readonly provider: 'AWS';
  readonly region?: string;
  /** The calling principal's account. */
  readonly account?: OcsfAccount;
}

/** One ATT&CK mapping (`attack` object): a tactic, a technique, and the sub-technique where the ID is one. */
export interface OcsfAttack {
  readonly tactic: { readonly uid: string; readonly name: string };
  readonly technique: { readonly uid: string; readonly name: string };
  readonly sub_technique?: { readonly uid: string; readonly name: string };
}

/** `finding_info`: the alert itself, its analytic, ATT&CK mappings, times and events. */
export interface OcsfFindingInfo {
  readonly uid: string;
  readonly title: string;
  readonly desc: string;
  readonly analytic: { readonly type_id: 1; readonly type: 'Rule'; readonly uid: string; readonly name: string };
  readonly attacks?: readonly OcsfAttack[];
  readonly first_seen_time: number;
  readonly last_seen_time: number;
  /** The CloudTrail events of the alert, by eventID. */
  readonly related_events: readonly { readonly uid: string }[];
}

/** An OCSF `user`: the principal that made the call. */
export interface OcsfUser {
  /** The principal's ARN as CloudTrail wrote it. */
  readonly uid?: string;
  /** The session name of an assumed role, the user name of an IAM or federated user. */
  readonly name?: string;
  /** CloudTrail's `userIdentity.type` (type_id 99, Other), or Unknown (0). */
  readonly type: string;
  readonly type_id: 0 | 99;
  readonly account?: OcsfAccount;
  /** The access key of a principal that is not a role session (a session's is on the session). */
  readonly credential_uid?: string;
}

/** `actor`: the principal, and its session when it is an assumed role (or known only by its key). */
export interface OcsfActor {
  readonly user?: OcsfUser;
  readonly session?: { readonly credential_uid: string };
}

/** `src_endpoint`: an address, or the AWS service that called on the principal's behalf. */
export interface OcsfNetworkEndpoint {
  readonly ip?: string;
  readonly svc_name?: string;
  readonly domain?: string;
}

/** `api`: the call, its service where the name tells it, and the CloudTrail eventID as the request's uid. */
export interface OcsfApi {
  readonly operation: string;
  readonly service?: { readonly name: string };
  readonly request?: { readonly uid: string };
}

/** One `evidences` entry. */
export interface OcsfEvidence {
  readonly actor?: OcsfActor;
  readonly src_endpoint?: OcsfNetworkEndpoint;
  readonly api: OcsfApi;
}

/** One of the `resources`: the role the call was about, or the target account. */
export interface OcsfResource {
  readonly uid: string;
  readonly type: 'AWS::IAM::Role' | 'AWS::::Account';
  readonly name?: string;
  readonly cloud_partition?: string;
  readonly owner?: { readonly account: OcsfAccount };
}

/** What OCSF 1.1.0 has no attribute for, in our own words. */
export interface OcsfUnmapped {
  /** The version of the alert JSON (`schemaVersion` of the flat record). */
  readonly alert_schema_version: number;
  /** Findings folded into the alert. */
  readonly occurrences: number;
  /** `role` when the alert is about a monitored role as a whole rather than one caller. */
  readonly scope?: 'role';
  /** The detector's facts, as the flat record's `details`. */
  readonly details: Alert['evidence']['details'];
  /** The event times as the alert lists them (ISO 8601). */
  readonly event_times: readonly string[];
  readonly user_agent?: string;
  /** CloudTrail's `sourceIPAddress` when it is neither an address nor an AWS service (anonymised or forged logs). */
  readonly source_address?: string;
  /** The caller's type when the alert has no ARN of it (no `actor.user` to hold it). */
  readonly principal_type?: string;
  /** The CloudTrail console's page of each event. */
  readonly console_links: readonly { readonly event_uid: string; readonly url: string }[];
  /** Evidence was shortened to fit a destination's size limit (EventBridge); the CloudTrail events hold the rest. */
  readonly truncated?: true;
}

/** An alert as an OCSF 1.1.0 Detection Finding. */
export interface OcsfDetectionFinding {
  readonly activity_id: 1;
  readonly activity_name: 'Create';
  readonly category_uid: 2;
  readonly category_name: 'Findings';
  readonly class_uid: 2004;
  readonly class_name: 'Detection Finding';
  readonly type_uid: 200401;
  readonly type_name: 'Detection Finding: Create';
  /** The first event's time, epoch milliseconds. */
  readonly time: number;
  readonly start_time: number;
  readonly end_time: number;
  readonly severity_id: OcsfSeverityId;
  readonly severity: string;
  readonly status_id: 1;
  readonly status: 'New';
  /** The alert's title. */
  readonly message: string;
  readonly metadata: OcsfMetadata;
  readonly cloud: OcsfCloud;
  readonly finding_info: OcsfFindingInfo;
  readonly resources?: readonly OcsfResource[];
  readonly evidences: readonly OcsfEvidence[];
  readonly remediation: { readonly desc: string };
  readonly unmapped: OcsfUnmapped;
}

// `s`: a forged log's session name may hold a line break, and is still the session's name.
const ASSUMED_ROLE_ARN = /^arn:[^:]*:sts::[^:]*:assumed-role\/[^/]+\/(.+)$/s;
const NAMED_USER_ARN = /^arn:[^:]*:(?:iam::[^:]*:user\/(?:.*\/)?|sts::[^:]*:federated-user\/)([^/]+)$/;
const ROLE_ARN = /^arn:[^:]*:iam::\d{12}:role\/(?:.*\/)?([^/]+)$/;
/** AWS's partitions are `aws` and `aws-<name>` (aws-cn, aws-us-gov, aws-iso-b, …). */
const PARTITION = /^arn:(aws(?:-[a-z]+)*):/;
/** The services whose call names these are: AssumeRole* are STS's alone. */
const STS_CALLS: ReadonlySet<string> = new Set(ASSUME_ROLE_EVENT_NAMES);

/** An account as OCSF's `account` object, when `arn` holds one. */
function accountIn(arn: string | null): OcsfAccount | undefined {
  const uid = arn === null ? null : accountOf(arn);
  return uid === null ? undefined : { uid, type_id: 10, type: 'AWS Account' };
}

/** Who made the call: the principal's ARN, name and type; the session key where it is a role session. */
function actorOf(e: Alert['evidence']): OcsfActor | undefined {
  const arn = e.principalArn;
  const sessionName = arn === null ? null : (ASSUMED_ROLE_ARN.exec(arn)?.[1] ?? null);
  const key = e.sessionKey ?? undefined;
  // A session's key identifies the session, not the role; an IAM user's long-term key the user.
  const onSession = key !== undefined && (sessionName !== null || arn === null);
  const session = onSession ? { credential_uid: key } : undefined;
  if (arn === null) return session ? { session } : undefined;
  const name = sessionName ?? NAMED_USER_ARN.exec(arn)?.[1];
  const account = accountIn(arn);
  const known = e.principalType !== 'Unknown';
  const user: OcsfUser = {
    uid: arn,
    ...(name !== undefined ? { name } : {}),
    // OCSF's user types (User, Admin, System) do not say IAMUser, AssumedRole or AWSService:
    // Other (99), with CloudTrail's word beside it, as the standard asks of a value it lacks.
    type: known ? e.principalType : 'Unknown',
    type_id: known ? 99 : 0,
    ...(account ? { account } : {}),
    ...(key !== undefined && !onSession ? { credential_uid: key } : {}),
  };
  return { user, ...(session ? { session } : {}) };
}

/**
 * Where the call came from. CloudTrail's `sourceIPAddress` is an address, the host name of an AWS
 * service that called for the principal (`ec2.amazonaws.com`: the service's name and domain, as
 * Security Lake maps it), `AWS Internal`, or in anonymised or forged logs neither, which goes to
 * `unmapped` (an `ip_t` must be an address).
 */
function sourceOf(text: string | null): { endpoint?: OcsfNetworkEndpoint; unmapped?: string } {
  const source = classifySource(text);
  switch (source.kind) {
    case 'ip':
      // The canonical form the detectors compare (an IPv4-mapped address as its IPv4 address):
      // the same host, within ip_t's 40 characters even when the log wrote out 45.
      return { endpoint: { ip: formatIp(source.ip) } };
    case 'service':
      return { endpoint: { svc_name: source.text, domain: source.text } };
    case 'aws-internal':
      return { endpoint: { svc_name: source.text } };
    case 'invalid':
      return { unmapped: source.text };
    case 'missing':
      return {};
  }
}

/** The role the call was about and the target account, as OCSF resources. */
function resourcesOf(e: Alert['evidence']): OcsfResource[] {
  const out: OcsfResource[] = [];
  if (e.roleArn !== null) {
    const name = ROLE_ARN.exec(e.roleArn)?.[1];
    const partition = PARTITION.exec(e.roleArn)?.[1];
    const owner = accountIn(e.roleArn);
    // IAM is global: a role has no region to name.
    out.push({
      uid: e.roleArn,
      type: 'AWS::IAM::Role',
      ...(name !== undefined ? { name } : {}),
      ...(partition !== undefined ? { cloud_partition: partition } : {}),
      ...(owner ? { owner: { account: owner } } : {}),
    });
  }
  // AWS Config's resource type for an account, beside CloudFormation's for the role.
  if (e.targetAccountId !== null) out.push({ uid: e.targetAccountId, type: 'AWS::::Account' });
  return out;
}

/** The ATT&CK mappings: the parent technique, and the sub-technique under its own name (`Cloud Accounts`, not `Valid Accounts: Cloud Accounts`). */
function attacksOf(alert: Alert): OcsfAttack[] {
  return (alert.attack ?? []).map((m) => {
    const base = { tactic: { uid: m.tactic.uid, name: m.tactic.name }, technique: { uid: m.technique.uid, name: m.technique.name } };
    if (!m.subTechnique) return base;
    const prefix = `${m.technique.name}: `;
    const name = m.subTechnique.name.startsWith(prefix) ? m.subTechnique.name.slice(prefix.length) : m.subTechnique.name;
    return { ...base, sub_technique: { uid: m.subTechnique.uid, name } };
  });
}

/** Renders an alert as an OCSF 1.1.0 Detection Finding. */
export function toOcsf(alert: Alert, truncated = false): OcsfDetectionFinding {
  const e = alert.evidence;
  const times = e.eventTimes.map((t) => Date.parse(t)).filter((t) => Number.isFinite(t));
  const first = times[0];
  if (first === undefined) throw new Error(`alert ${alert.alertId} has no event time`);
  const earliest = Math.min(...times);
  const latest = Math.max(...times);
  const severity = SEVERITY_IDS[alert.severity];
  const actor = actorOf(e);
  const source = sourceOf(e.sourceIp);
  const resources = resourcesOf(e);
  const attacks = attacksOf(alert);
  const principalAccount = accountIn(e.principalArn);
  const firstEvent = e.eventIds[0];

  const evidence: OcsfEvidence = {
    ...(actor ? { actor } : {}),
    ...(source.endpoint ? { src_endpoint: source.endpoint } : {}),
    api: {
      operation: e.eventName,
      ...(STS_CALLS.has(e.eventName) ? { service: { name: 'sts.amazonaws.com' } } : {}),
      ...(firstEvent !== undefined ? { request: { uid: firstEvent } } : {}),
    },
  };

  const finding: OcsfDetectionFinding = {
    activity_id: 1,
    activity_name: 'Create',
    category_uid: 2,
    category_name: 'Findings',
    class_uid: 2004,
    class_name: 'Detection Finding',
    type_uid: 200401,
    type_name: 'Detection Finding: Create',
    time: first,
    start_time: earliest,
    end_time: latest,
    severity_id: severity.id,
    severity: severity.caption,
    status_id: 1,
    status: 'New',
    message: alert.title,
    metadata: {
      version: OCSF_VERSION,
      product: { name: PRODUCT, vendor_name: PRODUCT, uid: PRODUCT },
      // `cloud` (required by the profile) and resources' cloud_partition are the cloud profile's.
      profiles: ['cloud'],
      uid: alert.alertId,
      correlation_uid: alert.dedupKey,
    },
    cloud: {
      provider: 'AWS',
      ...(e.awsRegion !== '' ? { region: e.awsRegion } : {}),
      ...(principalAccount ? { account: principalAccount } : {}),
    },
    finding_info: {
      uid: alert.alertId,
      title: alert.title,
      desc: alert.cause,
      analytic: { type_id: 1, type: 'Rule', uid: alert.detector, name: alert.detector },
      ...(attacks.length > 0 ? { attacks } : {}),
      first_seen_time: earliest,
      last_seen_time: latest,
      related_events: e.eventIds.map((uid) => ({ uid })),
    },
    ...(resources.length > 0 ? { resources } : {}),
    evidences: [evidence],
    remediation: { desc: alert.runbook },
    unmapped: {
      alert_schema_version: ALERT_SCHEMA_VERSION,
      occurrences: alert.occurrences,
      ...(alert.scope ? { scope: alert.scope } : {}),
      details: e.details,
      event_times: e.eventTimes,
      ...(e.userAgent !== null ? { user_agent: e.userAgent } : {}),
      ...(source.unmapped !== undefined ? { source_address: source.unmapped } : {}),
      ...(e.principalArn === null ? { principal_type: e.principalType } : {}),
      console_links: e.eventIds.map((id) => ({ event_uid: id, url: consoleEventUrl(e.awsRegion, id) })),
      ...(truncated ? { truncated: true as const } : {}),
    },
  };
  return fitted(finding);
}

/** `string_t`'s limit, in characters (the OCSF server counts characters). */
const MAX_STRING = 65_535;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** A string OCSF can carry: lone surrogates replaced, and at most {@link MAX_STRING} characters, a marker saying how many were cut. */
function fit(text: string, typed: boolean): string {
  const whole = text.replace(LONE_SURROGATE, '\ufffd');
  if (!typed || whole.length <= MAX_STRING) return whole;
  const chars = [...whole];
  if (chars.length <= MAX_STRING) return whole;
  const marker = `…[${chars.length} characters, cut]`;
  return chars.slice(0, MAX_STRING - marker.length).join('') + marker;
}

/** The finding with every string fit for OCSF; `unmapped` takes any length (it has no types). */
function fitted<T>(value: T, typed = true): T {
  if (typeof value === 'string') return fit(value, typed) as T;
  if (Array.isArray(value)) return value.map((v: unknown) => fitted(v, typed)) as T;
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fitted(v, typed && !(k === 'unmapped'))])) as T;
  }
  return value;
}
