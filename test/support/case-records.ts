/**
 * Records for the detector cases (`<id>.cases.ts`) and the engine tests, in the cases' bastion
 * account (`CASE_BASE_CONFIG` in cases.ts). The shape of every record comes from the generator's
 * record builder (`cli/generate/records.ts`); what is added here is the cases' world (accounts,
 * roles, addresses), their defaults, and IDs derived from the content: two records differ in
 * eventID (and sharedEventID) as soon as they differ at all, and are equal when they are equal.
 */
import { HEX, Rng } from '../../cli/generate/random';
import {
  accessDenied,
  apiCallRecord,
  assumedRoleArn,
  assumedRoleIdentity,
  assumeRoleRecord,
  awsAccountIdentity,
  drawAmzId2,
  drawRoleId,
  drawS3RequestId,
  drawSessionKeyId,
  drawUserId,
  drawUserKeyId,
  endpointHost,
  iamUserIdentity,
  roleRef,
  rootIdentity,
  serviceIdentity,
  sharedWithRoleOwner,
  USER_AGENTS,
  type Json,
  type RoleRef,
} from '../../cli/generate/records';
import { isoSeconds } from '../../lambdas/core/cloudtrail-time';

export type { Json } from '../../cli/generate/records';

/** The vendor's bastion account, where the outbound roles live and the trail is read. */
export const BASTION_ACCOUNT = '210987654321';
/** The outbound integration role (matches `outbound-*` in the base config). */
export const OUTBOUND_ROLE = `arn:aws:iam::${BASTION_ACCOUNT}:role/outbound-integration`;
/** The expected caller of the outbound role: the vendor backend's task role. */
export const BACKEND_ROLE = `arn:aws:iam::${BASTION_ACCOUNT}:role/integration-backend`;
/** A configured human role (`humanRoleArnPatterns` in the base config). */
export const BREAK_GLASS_ROLE = `arn:aws:iam::${BASTION_ACCOUNT}:role/break-glass-admin`;

/** Customer accounts the outbound role reaches into. */
export const CUSTOMERS = { acme: '111122223333', globex: '444455556666', initech: '777788889999', umbrella: '135791357913' } as const;

/** The role each customer created for the vendor. */
export function customerRole(account: string): string {
  return `arn:aws:iam::${account}:role/vendor-integration`;
}

/** The external ID the vendor issued to a customer account (one per tenant). */
export function externalIdOf(account: string): string {
  return `vnd-${idRng('xid', account).chars(HEX, 24)}`;
}

/** Addresses used by the cases, with what AWS's published ranges say about them. */
export const ADDRESSES = {
  /** nat-eu allow-listed egress (AWS EC2 eu-west-1). */
  natEu: '52.48.10.7',
  natEu2: '52.48.10.8',
  /** nat-us allow-listed egress (AWS EC2 us-east-1). */
  natUs: '3.80.20.11',
  /** AWS EC2 eu-west-1, not the vendor's. */
  awsElsewhere: '34.245.1.1',
  /** A Tor exit relay: not AWS. */
  tor: '185.220.101.47',
  /** TEST-NET-3 (RFC 5737): not AWS. */
  external: '203.0.113.50',
  /** A private address behind an STS interface VPC endpoint. */
  vpc: '10.20.3.15',
} as const;

/** The vendor backend's user agent (AWS SDK for JavaScript v3 in ECS), calling STS. */
export const SDK_AGENT = USER_AGENTS.jsSdkOnEcs('sts');
/** An interactive AWS CLI v2 user agent (`aws sts assume-role`). */
export const CLI_AGENT = USER_AGENTS.cliOnMac('sts.assume-role');

/** A trimmed session token: the cases never read it, and a real one is 700 characters. */
const SESSION_TOKEN = 'IQoJb3JpZ2luX2VjEHwaCWV1LXdlc3QtMSJHMEUCIQD…(trimmed)';

// ---- identities ------------------------------------------------------------------------------

/** Options of a role-session identity. */
export interface SessionOptions {
  /** Access key the session signs with; default derived from the session ARN. */
  readonly accessKeyId?: string;
  /** `sessionContext.attributes.creationDate`; default: 10 minutes before the call. */
  readonly createdAt?: string;
  readonly mfaAuthenticated?: boolean;
  /** `sessionContext.ec2RoleDelivery` for instance-profile sessions. */
  readonly ec2RoleDelivery?: string;
}

/** An `AssumedRole` identity: a session of `roleArn` named `sessionName`. */
export function roleSession(roleArn: string, sessionName: string, o: SessionOptions = {}): Json {
  const role = caseRole(roleArn);
  return assumedRoleIdentity({
    role,
    sessionName,
    accessKeyId: o.accessKeyId ?? drawSessionKeyId(idRng('key', assumedRoleArn(role, sessionName))),
    ...(o.createdAt !== undefined ? { creationDate: o.createdAt } : {}),
    ...(o.mfaAuthenticated !== undefined ? { mfaAuthenticated: o.mfaAuthenticated } : {}),
    ...(o.ec2RoleDelivery !== undefined ? { ec2RoleDelivery: o.ec2RoleDelivery } : {}),
  });
}

/** The vendor backend (expected caller): an ECS task session of `integration-backend`. */
export function backendSession(task = '3f1c0b6e9a2d4c7f8e5b1a0d9c8e7f6a', o: SessionOptions = {}): Json {
  return roleSession(BACKEND_ROLE, task, o);
}

/** A session of the outbound role (the identity of calls out of it). */
export function outboundSession(sessionName = 'backend-3f1c0b6e', o: SessionOptions = {}, roleArn = OUTBOUND_ROLE): Json {
  return roleSession(roleArn, sessionName, o);
}

/** An `IAMUser` identity with a long-term access key. */
export function iamUser(userName: string, account = BASTION_ACCOUNT): Json {
  const rng = idRng('user', account, userName);
  return iamUserIdentity({ arn: `arn:aws:iam::${account}:user/${userName}`, name: userName, account, id: drawUserId(rng), accessKeyId: drawUserKeyId(rng) });
}

/** The account's root user. */
export function rootUser(account = BASTION_ACCOUNT): Json {
  return rootIdentity(account, drawUserKeyId(idRng('root', account)));
}

/** The identity on the role owner's copy of a cross-account call: only the caller's account. */
export function awsAccount(account: string, principalId = `${drawRoleId(idRng('caller', account))}:session`): Json {
  return awsAccountIdentity(account, principalId);
}

/** An AWS service acting on its own (`invokedBy` names it), e.g. ECS assuming a task role. */
export function awsService(invokedBy: string): Json {
  return serviceIdentity(invokedBy);
}

// ---- records ---------------------------------------------------------------------------------

/** A failed call: `requestParameters` and `responseElements` become null unless `keepRequest`. */
export interface CallError {
  readonly code: string;
  /** Default: IAM's "User: … is not authorized to perform: sts:AssumeRole on resource: …". */
  readonly message?: string;
  readonly keepRequest?: boolean;
}

/** Options of {@link assumeRole}. */
export interface AssumeRoleOptions {
  /** `userIdentity`. */
  readonly caller: Json;
  readonly roleArn: string;
  /** ISO 8601 event time. */
  readonly time: string;
  readonly sessionName?: string;
  readonly externalId?: string;
  readonly eventName?: 'AssumeRole' | 'AssumeRoleWithSAML' | 'AssumeRoleWithWebIdentity';
  /** @default eu-west-1 */
  readonly region?: string;
  /** @default the nat-eu egress address; a service caller's own name */
  readonly sourceIp?: string;
  /** @default {@link SDK_AGENT}; a service caller's own name */
  readonly userAgent?: string;
  /** @default 3600 */
  readonly durationSeconds?: number;
  readonly error?: CallError;
  /** @default the bastion account (the trail the detector reads) */
  readonly recipientAccountId?: string;
  /** Top-level fields added last (`vpcEndpointId`, `sessionCredentialFromConsole`, …). */
  readonly extra?: Json;
}

/** An `sts:AssumeRole` record as CloudTrail delivers it (eventVersion 1.08). */
export function assumeRole(o: AssumeRoleOptions): Json {
  const caller = withCreationDate(o.caller, o.time);
  const role = caseRole(o.roleArn);
  const eventName = o.eventName ?? 'AssumeRole';
  // A service's call is logged with the service as its address and agent.
  const service = caller.type === 'AWSService' ? String(caller.invokedBy) : null;
  const rng = idRng('assume', JSON.stringify([o, caller]));
  const error = o.error && { ...o.error, message: o.error.message ?? accessDenied(caller, `sts:${eventName}`, o.roleArn).message };
  const record = assumeRoleRecord({
    eventName,
    identity: caller,
    eventTime: o.time,
    region: o.region ?? 'eu-west-1',
    sourceIp: o.sourceIp ?? service ?? ADDRESSES.natEu,
    userAgent: o.userAgent ?? service ?? SDK_AGENT,
    role,
    sessionName: o.sessionName ?? 'session',
    durationSeconds: o.durationSeconds ?? 3600,
    ...(o.externalId !== undefined ? { externalId: o.externalId } : {}),
    result: error ? { error } : { credentials: { accessKeyId: drawSessionKeyId(rng), sessionToken: SESSION_TOKEN } },
    ids: { requestId: rng.uuid(), eventId: rng.uuid(), ...(sharedWithRoleOwner(caller, role, error !== undefined) ? { sharedEventId: rng.uuid() } : {}) },
    recipientAccountId: o.recipientAccountId ?? BASTION_ACCOUNT,
  });
  return { ...record, ...(o.extra ?? {}) };
}

/** Options of {@link intoOutbound}: {@link AssumeRoleOptions} with the backend as default caller. */
export type IntoOutboundOptions = Partial<AssumeRoleOptions> & { readonly time: string };

/** A call into the outbound role; by default the backend's ordinary call from nat-eu. */
export function intoOutbound(o: IntoOutboundOptions): Json {
  return assumeRole({ caller: backendSession(), roleArn: OUTBOUND_ROLE, sessionName: 'backend-3f1c0b6e', ...o });
}

/** Options of {@link outToCustomer}. */
export type OutToCustomerOptions = Partial<AssumeRoleOptions> & {
  readonly time: string;
  /** Target customer account; its role and external ID follow unless given. @default acme */
  readonly account?: string;
  /** Omit the external ID (the default sends the account's own). */
  readonly noExternalId?: boolean;
};

/**
 * A call out of the outbound role: its session assumes a customer's role, from nat-eu, with the
 * customer's external ID and the backend's session-name scheme `ar-sync-<epoch seconds>`.
 */
export function outToCustomer(o: OutToCustomerOptions): Json {
  const { account = CUSTOMERS.acme, noExternalId, ...rest } = o;
  const externalId = noExternalId ? undefined : (o.externalId ?? externalIdOf(account));
  return assumeRole({
    caller: outboundSession(),
    roleArn: customerRole(account),
    sessionName: `ar-sync-${Math.floor(Date.parse(o.time) / 1000)}`,
    ...rest,
    ...(externalId !== undefined ? { externalId } : {}),
  } as AssumeRoleOptions);
}

/** Options of {@link sessionCall}. */
export interface SessionCallOptions {
  readonly caller: Json;
  readonly time: string;
  /** @default s3.amazonaws.com */
  readonly eventSource?: string;
  /** @default ListBuckets */
  readonly eventName?: string;
  readonly region?: string;
  readonly sourceIp?: string;
  readonly userAgent?: string;
  /** @default `{ Host }` for S3, null for other services */
  readonly requestParameters?: Json | null;
  readonly responseElements?: Json | null;
  readonly readOnly?: boolean;
  readonly extra?: Json;
}

/** Any other API call made by a role session (S3 ListBuckets by default). */
export function sessionCall(o: SessionCallOptions): Json {
  const region = o.region ?? 'eu-west-1';
  const source = o.eventSource ?? 's3.amazonaws.com';
  const caller = withCreationDate(o.caller, o.time);
  const rng = idRng('call', JSON.stringify([o, caller]));
  const host = endpointHost(source, region);
  const s3 = source === 's3.amazonaws.com' ? { amzId2: drawAmzId2(rng), bytesOut: 1800 + rng.int(400) } : undefined;
  const record = apiCallRecord({
    identity: caller,
    eventTime: o.time,
    eventSource: source,
    eventName: o.eventName ?? 'ListBuckets',
    region,
    sourceIp: o.sourceIp ?? ADDRESSES.natEu,
    userAgent: o.userAgent ?? USER_AGENTS.jsSdkOnEcs(source.split('.')[0]!),
    requestParameters: o.requestParameters === undefined ? (s3 ? { Host: host } : null) : o.requestParameters,
    responseElements: o.responseElements ?? null,
    ids: { requestId: s3 ? drawS3RequestId(rng) : rng.uuid(), eventId: rng.uuid() },
    ...(o.readOnly !== undefined ? { readOnly: o.readOnly } : {}),
    recipientAccountId: typeof caller.accountId === 'string' ? caller.accountId : BASTION_ACCOUNT,
    host,
    ...(s3 ? { s3 } : {}),
  });
  return { ...record, ...(o.extra ?? {}) };
}

/**
 * A copy of `record` at another time, with fresh eventID, requestID and sharedEventID (so the
 * engine does not take it for a redelivery) and any top-level fields replaced.
 */
export function retimed(record: Json, time: string, fields: Json = {}): Json {
  const copy: Json = { ...structuredClone(record), eventTime: time, ...fields };
  const rng = idRng('retimed', JSON.stringify(copy));
  if (typeof copy.eventID === 'string') copy.eventID = rng.uuid();
  if (typeof copy.requestID === 'string') copy.requestID = rng.uuid();
  if (typeof copy.sharedEventID === 'string') copy.sharedEventID = rng.uuid();
  return copy;
}

// ---- times -----------------------------------------------------------------------------------

/** `count` ISO times from `start`, `everySeconds` apart. */
export function times(start: string, count: number, everySeconds: number): string[] {
  const t0 = Date.parse(start);
  return Array.from({ length: count }, (_, i) => isoSeconds(t0 + i * everySeconds * 1000));
}

/** An ISO time `seconds` after `time`. */
export function after(time: string, seconds: number): string {
  return isoSeconds(Date.parse(time) + seconds * 1000);
}

// ---- helpers ---------------------------------------------------------------------------------

/** IDs derived from content: equal parts give equal IDs, any difference gives others. */
function idRng(...parts: string[]): Rng {
  return new Rng(`case|${parts.join('|')}`);
}

/** A role of the cases; its unique ID depends only on its ARN, so every record agrees on it. */
function caseRole(arn: string): RoleRef {
  return roleRef(arn, drawRoleId(idRng('role', arn)));
}

/** Role sessions made before the call: fill `creationDate` 10 minutes before it when not given. */
function withCreationDate(identity: Json, time: string): Json {
  const context = identity.sessionContext as Json | undefined;
  const attributes = context?.attributes as Json | undefined;
  if (!context || !attributes || attributes.creationDate !== undefined) return identity;
  return { ...identity, sessionContext: { ...context, attributes: { creationDate: after(time, -600), ...attributes } } };
}
