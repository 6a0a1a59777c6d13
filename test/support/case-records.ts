/**
 * Builders of realistic CloudTrail records for the detector cases (`<id>.cases.ts`), in the
 * cases' bastion account (`CASE_BASE_CONFIG` in cases.ts). Records carry what real ones carry:
 * eventVersion, a full userIdentity (session context, session issuer, access key), request and
 * response elements with credentials expiring in CloudTrail's `"Aug 1, 2024, 11:45:22 AM"`
 * form, recipientAccountId, and sharedEventID on cross-account calls. IDs are derived from the
 * content, so two records differ in eventID (and sharedEventID) as soon as they differ at all.
 */
import { createHash } from 'node:crypto';

/** A raw CloudTrail record or a part of one. */
export type Json = Record<string, unknown>;

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
  return `vnd-${hex(`xid:${account}`, 24)}`;
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

/** The vendor backend's user agent (AWS SDK for JavaScript v3 on Lambda/ECS). */
export const SDK_AGENT = 'aws-sdk-js/3.620.0 ua/2.0 os/linux#5.10.220-209.869.amzn2.x86_64 lang/js md/nodejs#20.15.1 api/sts#3.620.0 m/E';
/** An interactive AWS CLI v2 user agent. */
export const CLI_AGENT = 'aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/macos#23.5.0 md/arch#arm64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#source md/prompt#off md/command#sts.assume-role';

/** The STS-logged times of the cases: 1 August 2024 unless a case says otherwise. */
export const DAY = '2024-08-01';

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
  const account = accountOf(roleArn);
  const name = roleArn.slice(roleArn.lastIndexOf('/') + 1);
  const roleId = `AROA${upper(`role:${roleArn}`, 17)}`;
  const arn = `arn:aws:sts::${account}:assumed-role/${name}/${sessionName}`;
  return {
    type: 'AssumedRole',
    principalId: `${roleId}:${sessionName}`,
    arn,
    accountId: account,
    accessKeyId: o.accessKeyId ?? `ASIA${upper(`key:${arn}`, 16)}`,
    sessionContext: {
      sessionIssuer: { type: 'Role', principalId: roleId, arn: roleArn, accountId: account, userName: name },
      webIdFederationData: {},
      attributes: { ...(o.createdAt ? { creationDate: o.createdAt } : {}), mfaAuthenticated: o.mfaAuthenticated ? 'true' : 'false' },
      ...(o.ec2RoleDelivery ? { ec2RoleDelivery: o.ec2RoleDelivery } : {}),
    },
  };
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
  return {
    type: 'IAMUser',
    principalId: `AIDA${upper(`user:${account}:${userName}`, 17)}`,
    arn: `arn:aws:iam::${account}:user/${userName}`,
    accountId: account,
    accessKeyId: `AKIA${upper(`akey:${account}:${userName}`, 16)}`,
    userName,
  };
}

/** The account's root user. */
export function rootUser(account = BASTION_ACCOUNT): Json {
  return {
    type: 'Root',
    principalId: account,
    arn: `arn:aws:iam::${account}:root`,
    accountId: account,
    accessKeyId: `AKIA${upper(`root:${account}`, 16)}`,
  };
}

/** The identity on the role owner's copy of a cross-account call: only the caller's account. */
export function awsAccount(account: string, principalId = `AROA${upper(`caller:${account}`, 17)}:session`): Json {
  return { type: 'AWSAccount', principalId, accountId: account };
}

/** An AWS service acting on its own (`invokedBy` names it), e.g. ECS assuming a task role. */
export function awsService(invokedBy: string): Json {
  return { type: 'AWSService', invokedBy };
}

// ---- records ---------------------------------------------------------------------------------

/** A failed call: `requestParameters` and `responseElements` become null unless `keepRequest`. */
export interface CallError {
  readonly code: string;
  /** Default for AccessDenied: STS's "User: … is not authorized to perform: sts:AssumeRole on resource: …". */
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
  /** @default the nat-eu egress address */
  readonly sourceIp?: string;
  /** @default {@link SDK_AGENT} */
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
  const region = o.region ?? 'eu-west-1';
  const caller = withCreationDate(o.caller, o.time);
  const roleAccount = accountOf(o.roleArn);
  const callerAccount = typeof caller.accountId === 'string' ? caller.accountId : null;
  const sessionName = o.sessionName ?? 'session';
  const roleName = o.roleArn.slice(o.roleArn.lastIndexOf('/') + 1);
  const duration = o.durationSeconds ?? 3600;
  const seed = JSON.stringify([o, caller]);
  const failed = o.error !== undefined;
  const request = {
    roleArn: o.roleArn,
    roleSessionName: sessionName,
    durationSeconds: duration,
    ...(o.externalId !== undefined ? { externalId: o.externalId } : {}),
  };
  const record: Json = {
    eventVersion: '1.08',
    userIdentity: caller,
    eventTime: o.time,
    eventSource: 'sts.amazonaws.com',
    eventName: o.eventName ?? 'AssumeRole',
    awsRegion: region,
    sourceIPAddress: o.sourceIp ?? ADDRESSES.natEu,
    userAgent: o.userAgent ?? SDK_AGENT,
  };
  if (failed) {
    record.errorCode = o.error!.code;
    record.errorMessage = o.error!.message ?? `User: ${String(caller.arn ?? caller.principalId)} is not authorized to perform: sts:${record.eventName as string} on resource: ${o.roleArn}`;
  }
  record.requestParameters = failed && !o.error!.keepRequest ? null : request;
  record.responseElements = failed
    ? null
    : {
        credentials: {
          accessKeyId: `ASIA${upper(`issued:${seed}`, 16)}`,
          sessionToken: 'IQoJb3JpZ2luX2VjEHwaCWV1LXdlc3QtMSJHMEUCIQD…(trimmed)',
          expiration: consoleTime(Date.parse(o.time) + duration * 1000),
        },
        assumedRoleUser: {
          assumedRoleId: `AROA${upper(`role:${o.roleArn}`, 17)}:${sessionName}`,
          arn: `arn:aws:sts::${roleAccount}:assumed-role/${roleName}/${sessionName}`,
        },
      };
  record.requestID = uuid(`request:${seed}`);
  record.eventID = uuid(`event:${seed}`);
  record.readOnly = true;
  if (!failed) record.resources = [{ accountId: roleAccount, type: 'AWS::IAM::Role', ARN: o.roleArn }];
  record.eventType = 'AwsApiCall';
  record.managementEvent = true;
  record.recipientAccountId = o.recipientAccountId ?? BASTION_ACCOUNT;
  if (callerAccount !== null && callerAccount !== roleAccount) record.sharedEventID = uuid(`shared:${seed}`);
  record.eventCategory = 'Management';
  record.tlsDetails = { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: `sts.${region}.amazonaws.com` };
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
  const seed = JSON.stringify([o, caller]);
  const host = source === 's3.amazonaws.com' ? `s3.${region}.amazonaws.com` : source.replace('.amazonaws.com', `.${region}.amazonaws.com`);
  return {
    eventVersion: '1.09',
    userIdentity: caller,
    eventTime: o.time,
    eventSource: source,
    eventName: o.eventName ?? 'ListBuckets',
    awsRegion: region,
    sourceIPAddress: o.sourceIp ?? ADDRESSES.natEu,
    userAgent: o.userAgent ?? SDK_AGENT.replace('api/sts', `api/${source.split('.')[0]}`),
    requestParameters: o.requestParameters === undefined ? { Host: host } : o.requestParameters,
    responseElements: o.responseElements === undefined ? null : o.responseElements,
    requestID: uuid(`request:${seed}`).replace(/-/g, '').slice(0, 16).toUpperCase(),
    eventID: uuid(`event:${seed}`),
    readOnly: o.readOnly ?? true,
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: typeof caller.accountId === 'string' ? caller.accountId : BASTION_ACCOUNT,
    eventCategory: 'Management',
    tlsDetails: { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: host },
    ...(o.extra ?? {}),
  };
}

/**
 * A copy of `record` at another time, with fresh eventID, requestID and sharedEventID (so the
 * engine does not take it for a redelivery) and any top-level fields replaced.
 */
export function retimed(record: Json, time: string, fields: Json = {}): Json {
  const copy: Json = { ...structuredClone(record), eventTime: time, ...fields };
  const seed = JSON.stringify(copy);
  if (typeof copy.eventID === 'string') copy.eventID = uuid(`event:${seed}`);
  if (typeof copy.requestID === 'string') copy.requestID = uuid(`request:${seed}`);
  if (typeof copy.sharedEventID === 'string') copy.sharedEventID = uuid(`shared:${seed}`);
  return copy;
}

// ---- times -----------------------------------------------------------------------------------

/** `count` ISO times from `start`, `everySeconds` apart. */
export function times(start: string, count: number, everySeconds: number): string[] {
  const t0 = Date.parse(start);
  return Array.from({ length: count }, (_, i) => iso(t0 + i * everySeconds * 1000));
}

/** An ISO time `seconds` after `time`. */
export function after(time: string, seconds: number): string {
  return iso(Date.parse(time) + seconds * 1000);
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** CloudTrail's `credentials.expiration` form: `"Aug 1, 2024, 11:45:22 AM"` (UTC). */
export function consoleTime(ms: number): string {
  const d = new Date(ms);
  const h = d.getUTCHours();
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}, ${h % 12 || 12}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${h < 12 ? 'AM' : 'PM'}`;
}

// ---- helpers ---------------------------------------------------------------------------------

/** Role sessions made before the call: fill `creationDate` 10 minutes before it when not given. */
function withCreationDate(identity: Json, time: string): Json {
  const context = identity.sessionContext as Json | undefined;
  const attributes = context?.attributes as Json | undefined;
  if (!context || !attributes || attributes.creationDate !== undefined) return identity;
  return { ...identity, sessionContext: { ...context, attributes: { creationDate: after(time, -600), ...attributes } } };
}

function accountOf(arn: string): string {
  return arn.split(':')[4] ?? '';
}

function hex(seed: string, length: number): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, length);
}

const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Access-key-like characters (upper-case base32) derived from a seed. */
function upper(seed: string, length: number): string {
  const bytes = createHash('sha256').update(seed).digest();
  return Array.from(bytes.subarray(0, length), (b) => KEY_ALPHABET[b % 32]).join('');
}

function uuid(seed: string): string {
  const h = hex(seed, 32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}
