/**
 * An alert as a Security Hub finding in the AWS Security Finding Format (ASFF, schema
 * 2018-10-08), imported with BatchImportFindings under the account's own product
 * (`product/<account>/default`, a custom integration).
 *
 * What AWS asks of a finding provider (Security Hub User Guide: "Required attributes",
 * "Using BatchImportFindings to create and update findings"; the SDK's AwsSecurityFinding):
 * - `Id` is the dedup key: a later import with the same Id updates the finding, never duplicates
 *   it, and is ignored if its `UpdatedAt` is not newer. The Id is the alertId, and the whole
 *   finding is a function of the alert (no clock in it), so a retry is the same document: it
 *   creates the finding if the first import failed, and changes nothing if it did not.
 * - `CreatedAt` and `UpdatedAt` are equal when a finding is created (the required-attributes
 *   page); both are the alert's last event time, when the detector had all it alerted on.
 * - Severity and Types go in `FindingProviderFields` only: "the preferred option"; for a new
 *   finding Security Hub copies them to the top-level fields, which belong to the customer
 *   (BatchUpdateFindings), as do `Workflow`, `Note`, `UserDefinedFields` and `VerificationState`.
 * - Length limits: Title 256, Description 1024, Recommendation.Text 512, GeneratorId and Id 512,
 *   Severity.Original 64, ProductFields 50 pairs (key 128, value 2048), Types 50, AwsApiCallAction
 *   Api, ServiceName and Domain 128, Resource.Region 16, Resources 32, ProductName/CompanyName 128.
 *
 * Attackers choose most strings in an alert; they are kept exactly, except that a value longer
 * than its field is cut with a trailing `…` (and `ProductFields.truncated` says so). Nothing is
 * refused for its length.
 */
import { createHash } from 'node:crypto';
import type { Action, AwsApiCallAction, AwsSecurityFinding, Partition, Resource } from '@aws-sdk/client-securityhub';
import { isRegionName } from '../core/config-values';
import { formatIp } from '../core/ip';
import { classifySource } from '../core/parse';
import { ASSUME_ROLE_EVENT_NAMES } from '../core/types';
import type { Alert } from '../engine/alerts';
import { consoleEventUrl, toRecord } from './format';
import { cutText, shorten, type Limits } from './shorten';

/** The ASFF version every finding is written in. */
export const ASFF_SCHEMA_VERSION = '2018-10-08';
/** The product and company name on our findings (a custom integration may set them). */
export const ASFF_PRODUCT_NAME = 'assumerole-watch';

/** Where findings go: the account and Region that import them (BatchImportFindings takes only the caller's own account). */
export interface AsffTarget {
  /** The importing account's ID (12 digits): `AwsAccountId` and the product ARN's account. */
  readonly accountId: string;
  /** The Region Security Hub receives the findings in. */
  readonly region: string;
  /** @default 'aws' */
  readonly partition?: string;
}

/** How a finding is rendered. */
export interface AsffOptions {
  /** Epoch milliseconds for an alert whose event times do not parse (never the case for the engine's). @default Date.now() */
  readonly now?: number;
  /** Shorten the evidence to these limits first (the publisher's size steps); the finding says it was shortened. */
  readonly limits?: Limits;
}

// Field limits from the ASFF reference (see the module comment); the last two are ours: an ARN is
// at most 2048 characters, and a longer resource ID or link is not one AWS would accept.
const MAX = {
  id: 512,
  generatorId: 512,
  title: 256,
  description: 1024,
  recommendation: 512,
  severityOriginal: 64,
  productFields: 50,
  productFieldKey: 128,
  productFieldValue: 2048,
  types: 50,
  apiName: 128,
  domain: 128,
  region: 16,
  otherKey: 127,
  otherValue: 1023,
  resourceId: 2048,
  url: 2048,
} as const;

/** Resource.Partition values the SDK knows (Azure's left out). */
const PARTITIONS: ReadonlySet<string> = new Set(['aws', 'aws-cn', 'aws-us-gov', 'aws-us-iso', 'aws-us-iso-b']);
/** An IAM role ARN as IAM writes one: role names and paths take `\w+=,.@-`, the whole at most 2048 characters. */
const ROLE_ARN = /^arn:([a-z][a-z0-9-]*):iam::\d{12}:role\/[\w+=,.@/-]+$/;

/** Whether text is an IAM role ARN as IAM writes one (a forged request parameter may hold anything). */
export function isRoleArn(text: string): boolean {
  return text.length <= MAX.resourceId && ROLE_ARN.test(text);
}

/** A link in a runbook: the finding's Remediation URL. */
const LINK = /https:\/\/[^\s<>"'`]+[^\s<>"'`.,;:!?)\]]/;

/**
 * The ASFF namespace/category (`Unusual Behaviors/<category>`) of the detectors that flag a
 * departure from what was learned or allowed rather than a known technique alone ("general
 * statistical anomalies": Types taxonomy for ASFF); their ATT&CK types come beside it.
 */
const UNUSUAL_BEHAVIOR: Readonly<Record<string, string>> = {
  'source-ip': 'IP address',
  'session-locations': 'IP address',
  'call-volume': 'User',
  'session-name': 'User',
  'target-role': 'User',
  'session-request': 'User',
  client: 'Application',
};

/** Security Hub's severity labels for ours. */
const SEVERITY_LABELS = { low: 'LOW', medium: 'MEDIUM', high: 'HIGH', critical: 'CRITICAL' } as const;

/** The finding `Id` of an alert: the alertId, or (beyond 512 characters) its start and a hash, so that it stays unique and stable. */
export function findingIdOf(alertId: string): string {
  if (alertId.length <= MAX.id && /\S/.test(alertId)) return alertId;
  const hash = createHash('sha256').update(alertId).digest('hex');
  return `${alertId.slice(0, MAX.id - hash.length - 1)}-${hash}`;
}

/** The account's own product ARN: `arn:<partition>:securityhub:<region>:<account>:product/<account>/default`. */
export function defaultProductArn(target: AsffTarget): string {
  return `arn:${target.partition ?? 'aws'}:securityhub:${target.region}:${target.accountId}:product/${target.accountId}/default`;
}

/**
 * Renders an alert as an ASFF finding. `FirstObservedAt` and `LastObservedAt` are the alert's
 * first and last event times, `CreatedAt` and `UpdatedAt` both its last (the same on every
 * retry). `options.now` stands in only for an alert with no event time.
 */
export function toAsff(alert: Alert, target: AsffTarget, options: AsffOptions = {}): AwsSecurityFinding {
  const shown = options.limits ? shorten(alert, options.limits) : alert;
  let cut = options.limits !== undefined;
  /** Cuts attacker-chosen text to a field's limit, noting that it did. */
  const fit = (text: string, max: number): string => {
    if (text.length <= max) return text;
    cut = true;
    return cutText(text, max);
  };
  const now = options.now ?? Date.now();
  const times = observed(alert, now);
  const partition = target.partition ?? 'aws';
  // The runbook is ours, not evidence: cut to the field (two are longer), in full in ProductFields, and not a truncation of the alert.
  const runbook = cutText(shown.runbook, MAX.recommendation);
  const link = LINK.exec(alert.runbook)?.[0];
  const sourceUrl = alert.evidence.eventIds.length > 0 ? consoleEventUrl(alert.evidence.awsRegion, alert.evidence.eventIds[0]!) : undefined;
  const action = apiCallAction(alert, shown, times, fit);

  const finding: AwsSecurityFinding = {
    SchemaVersion: ASFF_SCHEMA_VERSION,
    Id: findingIdOf(alert.alertId),
    ProductArn: defaultProductArn(target),
    ProductName: ASFF_PRODUCT_NAME,
    CompanyName: ASFF_PRODUCT_NAME,
    GeneratorId: cutText(`${ASFF_PRODUCT_NAME}/${alert.detector}`, MAX.generatorId),
    AwsAccountId: target.accountId,
    CreatedAt: iso(times.last),
    UpdatedAt: iso(times.last),
    FirstObservedAt: iso(times.first),
    LastObservedAt: iso(times.last),
    FindingProviderFields: {
      Severity: { Label: SEVERITY_LABELS[alert.severity] ?? 'MEDIUM', Original: cutText(nonBlank(alert.severity, 'unknown'), MAX.severityOriginal) },
      Types: findingTypes(alert),
    },
    Title: fit(nonBlank(shown.title, alert.detector), MAX.title),
    Description: fit(nonBlank(shown.cause, nonBlank(shown.title, alert.detector)), MAX.description),
    ...(/\S/.test(runbook) ? { Remediation: { Recommendation: { Text: runbook, ...(link && link.length <= MAX.url ? { Url: link } : {}) } } } : {}),
    ...(sourceUrl && sourceUrl.length <= MAX.url ? { SourceUrl: sourceUrl } : {}),
    Resources: resources(alert, shown, target, partition, fit),
    ...(action ? { Action: action } : {}),
    RecordState: 'ACTIVE',
  };
  const fields = productFields(shown, fit);
  // Last, once every cut is known.
  fields.truncated = String(cut);
  return { ...finding, ProductFields: fields };
}

/** First and last event time of the alert (its whole list, not a shortened one), epoch ms; the render time if none parses. */
function observed(alert: Alert, now: number): { first: number; last: number } {
  const parsed = alert.evidence.eventTimes.map((t) => Date.parse(t)).filter((t) => Number.isFinite(t));
  if (parsed.length === 0) return { first: now, last: now };
  return { first: Math.min(...parsed), last: Math.max(...parsed) };
}

/** An ASFF timestamp (RFC 3339, UTC, milliseconds). */
function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** ASFF strings must hold a non-space character (`.*\S.*`). */
function nonBlank(text: string, fallback: string): string {
  return /\S/.test(text) ? text : fallback;
}

/**
 * The finding types: one `TTPs/<tactic>/<technique ID> - <name>` per ATT&CK mapping (ASFF's TTP
 * categories are ATT&CK's tactics; a sub-technique by its own name, `T1078.004 - Cloud Accounts`),
 * and `Unusual Behaviors/<category>/<detector>` for the detectors that learn or allow-list.
 */
function findingTypes(alert: Alert): string[] {
  const types: string[] = [];
  for (const m of alert.attack ?? []) {
    const t = m.subTechnique ?? m.technique;
    const name = m.subTechnique ? t.name.slice(t.name.indexOf(': ') + 2) : t.name;
    // A `/` would add a level to the namespace/category/classifier path (T1535 Unused/Unsupported Cloud Regions).
    types.push(`TTPs/${m.tactic.name}/${t.uid} - ${name.replace(/\//g, '-')}`);
  }
  const category = UNUSUAL_BEHAVIOR[alert.detector];
  if (category) types.push(`Unusual Behaviors/${category}/${alert.detector}`);
  if (types.length === 0) types.push(`Unusual Behaviors/User/${alert.detector}`);
  return [...new Set(types)].slice(0, MAX.types);
}

/**
 * What the finding is about: the monitored role (`AwsIamRole`, the target of the activity), the
 * customer account it reached into (`AwsAccount`), and the caller when it is not the role itself
 * (`Other`, the actor). At least one: the importing account when the alert names none.
 */
function resources(alert: Alert, shown: Alert, target: AsffTarget, partition: string, fit: (text: string, max: number) => string): Resource[] {
  const e = alert.evidence;
  const region = isRegionName(e.awsRegion) && e.awsRegion.length <= MAX.region ? e.awsRegion : target.region.slice(0, MAX.region);
  const place = (arnPartition?: string): Pick<Resource, 'Partition' | 'Region'> => {
    const p = arnPartition && PARTITIONS.has(arnPartition) ? arnPartition : partition;
    return { ...(PARTITIONS.has(p) ? { Partition: p as Partition } : {}), Region: region };
  };
  const list: Resource[] = [];
  if (e.roleArn !== null && /\S/.test(e.roleArn)) {
    const role = isRoleArn(e.roleArn) ? ROLE_ARN.exec(e.roleArn) : null;
    list.push(role ? { Type: 'AwsIamRole', Id: e.roleArn, ...place(role[1]), ResourceRole: 'Target' } : { Type: 'Other', Id: fit(e.roleArn, MAX.resourceId), ...place(), ResourceRole: 'Target' });
  }
  if (e.targetAccountId !== null && /^\d{12}$/.test(e.targetAccountId)) {
    list.push({ Type: 'AwsAccount', Id: `AWS::::Account:${e.targetAccountId}`, ...place(), ResourceRole: 'Target' });
  }
  const principal = shown.evidence.principalArn;
  if (principal !== null && /\S/.test(principal) && e.principalArn !== e.roleArn) {
    const type = fit(nonBlank(shown.evidence.principalType, 'Unknown'), MAX.otherValue);
    list.push({ Type: 'Other', Id: fit(principal, MAX.resourceId), ...place(), ResourceRole: 'Actor', Details: { Other: { principalType: type } } });
  }
  if (list.length === 0) list.push({ Type: 'AwsAccount', Id: `AWS::::Account:${target.accountId}`, ...place() });
  return list;
}

/**
 * The call the alert is about, as an `AWS_API_CALL` action: its name, its service (STS for the
 * role assumptions; otherwise as the detector recorded it), and where it came from: an IPv4
 * address (`remoteip`; ASFF has no field for IPv6, so an IPv6 caller has the type alone) or an
 * AWS service's host name (`domain`). None when the alert names no call.
 */
function apiCallAction(alert: Alert, shown: Alert, times: { first: number; last: number }, fit: (text: string, max: number) => string): Action | undefined {
  const eventName = shown.evidence.eventName;
  if (!/\S/.test(eventName)) return undefined;
  const source = alert.evidence.sourceIp;
  const recordedService = alert.evidence.details.eventSource;
  const service = (ASSUME_ROLE_EVENT_NAMES as readonly string[]).includes(alert.evidence.eventName) ? 'sts.amazonaws.com' : typeof recordedService === 'string' && classifySource(recordedService).kind === 'service' ? recordedService : null;
  const from = classifySource(source);
  const caller: Partial<AwsApiCallAction> =
    from.kind === 'ip'
      ? { CallerType: 'remoteip', ...(from.ip.version === 4 ? { RemoteIpDetails: { IpAddressV4: formatIp(from.ip) } } : {}) }
      : from.kind === 'service' && from.text.length <= MAX.domain
        ? { CallerType: 'domain', DomainDetails: { Domain: from.text } }
        : {};
  return {
    ActionType: 'AWS_API_CALL',
    AwsApiCallAction: {
      Api: fit(eventName, MAX.apiName),
      ...(service !== null && service.length <= MAX.apiName ? { ServiceName: service } : {}),
      ...caller,
      FirstSeen: iso(times.first),
      LastSeen: iso(times.last),
    },
  };
}

/**
 * The alert's own fields, for search and for the SOC's automation: string values only, at most 50
 * pairs (keys 128, values 2048 characters; blank values left out), `truncated` always last.
 * Lists are JSON arrays; details follow as `details/<key>` as long as there is room.
 */
function productFields(shown: Alert, fit: (text: string, max: number) => string): Record<string, string> {
  const record = toRecord(shown);
  const e = shown.evidence;
  const fields: Record<string, string> = {};
  // One pair is kept for `truncated`.
  const room = MAX.productFields - 1;
  const put = (key: string, value: string | number | boolean | readonly string[] | null | undefined): void => {
    if (value === null || value === undefined || Object.keys(fields).length >= room) return;
    const text = typeof value === 'string' ? value : Array.isArray(value) ? JSON.stringify(value) : String(value);
    if (/\S/.test(text)) fields[cutText(key, MAX.productFieldKey)] = fit(text, MAX.productFieldValue);
  };
  put('ProviderName', ASFF_PRODUCT_NAME);
  put('alertId', shown.alertId);
  put('detector', shown.detector);
  put('severity', shown.severity);
  put('alertSchemaVersion', record.schemaVersion);
  put('dedupKey', shown.dedupKey);
  put('occurrences', shown.occurrences);
  put('eventName', e.eventName);
  put('eventIds', e.eventIds);
  put('eventTimes', e.eventTimes);
  put('principalArn', e.principalArn);
  put('principalType', e.principalType);
  put('roleArn', e.roleArn);
  put('targetAccountId', e.targetAccountId);
  put('sourceIp', e.sourceIp);
  put('sessionKey', e.sessionKey);
  put('userAgent', e.userAgent);
  put('awsRegion', e.awsRegion);
  put('attack', record.attack.map((a) => `${a.tactic}:${a.technique}`));
  put('runbook', shown.runbook);
  for (const [key, value] of Object.entries(e.details)) put(`details/${key}`, value);
  return fields;
}
