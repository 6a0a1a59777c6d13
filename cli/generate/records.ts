/**
 * The CloudTrail record builder: the one place that knows how CloudTrail writes a call — the
 * userIdentity of role sessions, IAM users, the root user, other accounts and AWS services;
 * AssumeRole's request and response elements, credentials and their expiration format; other
 * API calls, S3's extras; IDs, keys, tokens and user agents. The generator and the tests' case
 * records (`test/support/case-records.ts`) both build on it.
 *
 * Pure: every random part is an argument, or is drawn from an {@link Rng} the caller passes in,
 * so the caller decides whether IDs come from the scenario's seed or from a record's content.
 */
import { stsExpiration } from '../../lambdas/core/cloudtrail-time';
import { BASE64, UPPER_DIGITS, type Rng } from './random';

/** A raw CloudTrail record or a part of one. */
export type Json = Record<string, unknown>;

/** One CloudTrail record, as it appears in a delivered log file. */
export interface CloudTrailRecord {
  readonly eventVersion: string;
  readonly userIdentity: Record<string, unknown>;
  readonly eventTime: string;
  readonly eventSource: string;
  readonly eventName: string;
  readonly awsRegion: string;
  readonly sourceIPAddress: string;
  readonly userAgent: string;
  readonly errorCode?: string;
  readonly errorMessage?: string;
  readonly requestParameters: Record<string, unknown> | null;
  readonly responseElements: Record<string, unknown> | null;
  readonly requestID: string;
  readonly eventID: string;
  readonly eventType: string;
  readonly recipientAccountId: string;
  readonly [key: string]: unknown;
}

// ---- times ------------------------------------------------------------------------------------

const SEC = 1000;

// ---- IDs, keys and tokens ---------------------------------------------------------------------

/** A role's unique ID (`AROA…`). */
export const drawRoleId = (rng: Rng): string => `AROA${rng.chars(UPPER_DIGITS, 17)}`;
/** An IAM user's unique ID (`AIDA…`). */
export const drawUserId = (rng: Rng): string => `AIDA${rng.chars(UPPER_DIGITS, 17)}`;
/** A long-term access key ID (`AKIA…`). */
export const drawUserKeyId = (rng: Rng): string => `AKIA${rng.chars(UPPER_DIGITS, 16)}`;
/** A temporary (session) access key ID (`ASIA…`). */
export const drawSessionKeyId = (rng: Rng): string => `ASIA${rng.chars(UPPER_DIGITS, 16)}`;
/** S3's request ID: 16 upper-case hex digits, not a UUID. */
export const drawS3RequestId = (rng: Rng): string => rng.chars('0123456789ABCDEF', 16);
/** S3's `x-amz-id-2` (extended request ID). */
export const drawAmzId2 = (rng: Rng): string => rng.chars(BASE64, 76);

// The token header names the issuing region; only the regions the generator uses are tabulated.
const REGION_TOKEN_TAG = { 'eu-west-1': 'WV1LXdlc3QtMSJH', 'us-east-1': 'XVzLWVhc3QtMSJH' } as const;

/** A session token shaped like STS's (fixed header naming the region, random body). */
export function drawSessionToken(rng: Rng, region: keyof typeof REGION_TOKEN_TAG): string {
  return `IQoJb3JpZ2luX2VjE${rng.chars(BASE64, 2)}aC${REGION_TOKEN_TAG[region]}${rng.chars(BASE64, 64)}`;
}

// ---- user agents ------------------------------------------------------------------------------

/** User agents of the tools that make the calls, as CloudTrail records them. */
export const USER_AGENTS = {
  /** AWS SDK for JavaScript v3 in an ECS Fargate task, calling the service `api` (`sts`, `s3`). */
  jsSdkOnEcs: (api: string): string =>
    `aws-sdk-js/3.658.1 ua/2.1 os/linux#5.10.226-214.879.amzn2.x86_64 lang/js md/nodejs#20.17.0 api/${api}#3.658.1 exec-env/AWS_ECS_FARGATE m/E,N`,
  /** AWS SDK for JavaScript v3 in a Lambda function, calling STS. */
  jsSdkOnLambda: 'aws-sdk-js/3.622.0 ua/2.1 os/linux#5.10.226-234.878.amzn2.x86_64 lang/js md/nodejs#20.17.0 api/sts#3.622.0 exec-env/AWS_Lambda_nodejs20.x m/E',
  /** AWS SDK for Go v2 in ECS, calling STS. */
  goSdk: 'aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/sts#1.30.3 exec-env/AWS_ECS_FARGATE',
  /** Boto3 on a Linux host. */
  boto3: 'Boto3/1.35.24 md/Botocore#1.35.24 ua/2.0 os/linux#6.8.0-45-generic md/arch#x86_64 lang/python#3.12.3 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.24',
  /** AWS CLI v2 on a Linux jump host, `aws sts assume-role`. */
  cliOnLinux: 'aws-cli/2.15.30 Python/3.11.8 Linux/5.15.0-1057-aws exe/x86_64.ubuntu.22 prompt/off command/sts.assume-role',
  /** AWS CLI v2 on a Mac, running `command` (`s3.cp`, `sts.assume-role`). */
  cliOnMac: (command: string): string => `aws-cli/2.17.20 Python/3.11.9 Darwin/23.6.0 exe/x86_64 prompt/off command/${command}`,
  /** GitHub's `configure-aws-credentials` action on a hosted runner (AssumeRoleWithWebIdentity). */
  githubCredentialsAction: 'aws-sdk-js/3.654.0 ua/2.1 os/linux#6.5.0-1025-azure lang/js md/nodejs#20.17.0 api/sts#3.654.0 m/E,N configure-aws-credentials-for-github-actions',
  /** AWS CLI v2 on a GitHub-hosted Ubuntu runner, running `command` (`cloudformation.deploy`). */
  cliOnRunner: (command: string): string => `aws-cli/2.18.4 md/awscrt#0.22.0 ua/2.0 os/linux#6.5.0-1025-azure md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython exe/x86_64.ubuntu.22 prompt/off command/${command}`,
} as const;

// ---- principals -------------------------------------------------------------------------------

/** A role as CloudTrail names it: ARN, name (the ARN's last segment), account, unique ID. */
export interface RoleRef {
  readonly arn: string;
  readonly name: string;
  readonly account: string;
  readonly id: string;
}

/** The {@link RoleRef} of `arn`; lenient, so odd ARNs (hostile tests) still give a record. */
export function roleRef(arn: string, id: string): RoleRef {
  return { arn, account: arn.split(':')[4] ?? '', name: arn.slice(arn.lastIndexOf('/') + 1), id };
}

/** An IAM user with one long-term access key. */
export interface IamUserRef {
  readonly arn: string;
  readonly name: string;
  readonly account: string;
  readonly id: string;
  readonly accessKeyId: string;
}

/** The ARN of a role session: `arn:aws:sts::<account>:assumed-role/<role>/<session>`. */
export const assumedRoleArn = (role: RoleRef, sessionName: string): string =>
  `arn:aws:sts::${role.account}:assumed-role/${role.name}/${sessionName}`;

/** What an `AssumedRole` identity says about its session. */
export interface SessionIdentitySpec {
  readonly role: RoleRef;
  readonly sessionName: string;
  readonly accessKeyId: string;
  /** `sessionContext.attributes.creationDate`; omitted when not given. */
  readonly creationDate?: string;
  /** @default false */
  readonly mfaAuthenticated?: boolean;
  /** `sessionContext.ec2RoleDelivery` of instance-profile sessions (`1.0`, `2.0`). */
  readonly ec2RoleDelivery?: string;
  /** Set when a service acts with the session (`AWS Internal` for Trusted Advisor). */
  readonly invokedBy?: string;
}

/** An `AssumedRole` identity: a session of a role. */
export function assumedRoleIdentity(s: SessionIdentitySpec): Json {
  return {
    type: 'AssumedRole',
    principalId: `${s.role.id}:${s.sessionName}`,
    arn: assumedRoleArn(s.role, s.sessionName),
    accountId: s.role.account,
    accessKeyId: s.accessKeyId,
    sessionContext: {
      sessionIssuer: { type: 'Role', principalId: s.role.id, arn: s.role.arn, accountId: s.role.account, userName: s.role.name },
      webIdFederationData: {},
      attributes: { ...(s.creationDate !== undefined ? { creationDate: s.creationDate } : {}), mfaAuthenticated: s.mfaAuthenticated ? 'true' : 'false' },
      ...(s.ec2RoleDelivery !== undefined ? { ec2RoleDelivery: s.ec2RoleDelivery } : {}),
    },
    ...(s.invokedBy !== undefined ? { invokedBy: s.invokedBy } : {}),
  };
}

/** An `IAMUser` identity signing with its long-term key. */
export function iamUserIdentity(u: IamUserRef): Json {
  return { type: 'IAMUser', principalId: u.id, arn: u.arn, accountId: u.account, accessKeyId: u.accessKeyId, userName: u.name };
}

/** The account's root user (its principal ID is the account number). */
export function rootIdentity(account: string, accessKeyId: string): Json {
  return { type: 'Root', principalId: account, arn: `arn:aws:iam::${account}:root`, accountId: account, accessKeyId };
}

/** The identity on the role owner's copy of a cross-account call: only the caller's account. */
export function awsAccountIdentity(account: string, principalId: string): Json {
  return { type: 'AWSAccount', principalId, accountId: account };
}

/** A web-identity (OIDC) user: `provider` is the OIDC provider's ARN, `subject` the token's `sub`. */
export function webIdentityIdentity(provider: string, subject: string): Json {
  return { type: 'WebIdentityUser', principalId: `${provider}:sts.amazonaws.com:${subject}`, userName: subject, identityProvider: provider };
}

/** An AWS service acting on its own (`invokedBy` names it), e.g. ECS assuming a task role. */
export function serviceIdentity(invokedBy: string): Json {
  return { type: 'AWSService', invokedBy };
}

const isService = (identity: Json): boolean => identity.type === 'AWSService';

// ---- records ----------------------------------------------------------------------------------

/** A failed call: `requestParameters` and `responseElements` are null unless `keepRequest`. */
export interface CallError {
  readonly code: string;
  readonly message: string;
  /** STS keeps the request of some failures (`RegionDisabledException`, root refused). */
  readonly keepRequest?: boolean;
}

/** IAM's refusal: `User: <caller> is not authorized to perform: <action> on resource: <resource>`. */
export function accessDenied(identity: Json, action: string, resource: string): CallError {
  const who = identity.arn ?? identity.principalId ?? identity.invokedBy;
  return { code: 'AccessDenied', message: `User: ${String(who)} is not authorized to perform: ${action} on resource: ${resource}` };
}

/**
 * Whether CloudTrail also delivers an AssumeRole to a second account, both copies carrying one
 * `sharedEventID`: when it succeeds and the caller is another account or an AWS service.
 */
export function sharedWithRoleOwner(identity: Json, role: RoleRef, failed: boolean): boolean {
  if (failed) return false;
  return isService(identity) || (typeof identity.accountId === 'string' && identity.accountId !== role.account);
}

/** A service's regional endpoint: `sts.amazonaws.com` in eu-west-1 is `sts.eu-west-1.amazonaws.com`. */
export const endpointHost = (eventSource: string, region: string): string =>
  eventSource.replace('.amazonaws.com', `.${region}.amazonaws.com`);

/** `tlsDetails` of a call the client made over TLS to `host`. */
export function tlsDetails(host: string): Json {
  return { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: host };
}

/** The IDs CloudTrail gives a record; `sharedEventId` only on calls delivered to two accounts. */
export interface RecordIds {
  readonly requestId: string;
  readonly eventId: string;
  readonly sharedEventId?: string;
}

/** What STS returned: the issued key and token, or the error. */
export type AssumeResult =
  | { readonly credentials: { readonly accessKeyId: string; readonly sessionToken: string } }
  | { readonly error: CallError };

/** Everything an AssumeRole record says. */
export interface AssumeRoleRecordSpec {
  /** @default AssumeRole */
  readonly eventName?: string;
  readonly identity: Json;
  readonly eventTime: string;
  /** The STS endpoint's region (the record's awsRegion). */
  readonly region: string;
  readonly sourceIp: string;
  readonly userAgent: string;
  readonly role: RoleRef;
  readonly sessionName: string;
  /** In requestParameters only when the caller sent it; the credentials last 3600 s without it. */
  readonly durationSeconds?: number;
  readonly externalId?: string;
  /** An inline session policy, as the request's JSON string. */
  readonly policy?: string;
  readonly result: AssumeResult;
  readonly ids: RecordIds;
  readonly recipientAccountId: string;
  /** TLS host header. @default the STS endpoint of `region` */
  readonly host?: string;
  /** More response elements on success (a web-identity call's provider, audience and subject). */
  readonly responseExtras?: Json;
}

/**
 * An `sts:AssumeRole` record (eventVersion 1.08). A service's call has no TLS details and its
 * response only credentials, as CloudTrail writes them.
 */
export function assumeRoleRecord(spec: AssumeRoleRecordSpec): CloudTrailRecord {
  const { role, sessionName } = spec;
  const service = isService(spec.identity);
  const error = 'error' in spec.result ? spec.result.error : null;
  const request = {
    roleArn: role.arn,
    roleSessionName: sessionName,
    ...(spec.durationSeconds !== undefined ? { durationSeconds: spec.durationSeconds } : {}),
    ...(spec.externalId !== undefined ? { externalId: spec.externalId } : {}),
    ...(spec.policy !== undefined ? { policy: spec.policy } : {}),
  };
  let responseElements: Json | null = null;
  if ('credentials' in spec.result) {
    const credentials = {
      ...spec.result.credentials,
      expiration: stsExpiration(Date.parse(spec.eventTime) + (spec.durationSeconds ?? 3600) * SEC),
    };
    responseElements = service
      ? { credentials }
      : { credentials, assumedRoleUser: { assumedRoleId: `${role.id}:${sessionName}`, arn: assumedRoleArn(role, sessionName) }, ...spec.responseExtras };
  }
  return {
    eventVersion: '1.08',
    userIdentity: spec.identity,
    eventTime: spec.eventTime,
    eventSource: 'sts.amazonaws.com',
    eventName: spec.eventName ?? 'AssumeRole',
    awsRegion: spec.region,
    sourceIPAddress: spec.sourceIp,
    userAgent: spec.userAgent,
    ...(error ? { errorCode: error.code, errorMessage: error.message } : {}),
    requestParameters: error && !error.keepRequest ? null : request,
    responseElements,
    requestID: spec.ids.requestId,
    eventID: spec.ids.eventId,
    readOnly: true,
    ...(error ? {} : { resources: [{ accountId: role.account, type: 'AWS::IAM::Role', ARN: role.arn }] }),
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: spec.recipientAccountId,
    ...(spec.ids.sharedEventId !== undefined ? { sharedEventID: spec.ids.sharedEventId } : {}),
    eventCategory: 'Management',
    ...(service ? {} : { tlsDetails: tlsDetails(spec.host ?? endpointHost('sts.amazonaws.com', spec.region)) }),
  };
}

/** What S3 adds to its records. */
export interface S3Details {
  /** From {@link drawAmzId2}. */
  readonly amzId2: string;
  readonly bytesOut: number;
  readonly resources?: readonly Json[];
  /** A data event (object-level: GetObject), not a management event. */
  readonly data?: boolean;
}

/** Everything another API call's record says. */
export interface ApiCallRecordSpec {
  readonly identity: Json;
  readonly eventTime: string;
  readonly eventSource: string;
  readonly eventName: string;
  readonly region: string;
  readonly sourceIp: string;
  readonly userAgent: string;
  readonly requestParameters: Json | null;
  /** @default null */
  readonly responseElements?: Json | null;
  readonly ids: RecordIds;
  /** @default true */
  readonly readOnly?: boolean;
  readonly recipientAccountId: string;
  /** TLS host header; null for calls AWS makes internally, which have no TLS details. */
  readonly host: string | null;
  readonly s3?: S3Details;
}

/** Any other API call (session activity, admin work, service noise); STS's are eventVersion 1.08. */
export function apiCallRecord(spec: ApiCallRecordSpec): CloudTrailRecord {
  const s3 = spec.s3;
  return {
    eventVersion: spec.eventSource === 'sts.amazonaws.com' ? '1.08' : '1.09',
    userIdentity: spec.identity,
    eventTime: spec.eventTime,
    eventSource: spec.eventSource,
    eventName: spec.eventName,
    awsRegion: spec.region,
    sourceIPAddress: spec.sourceIp,
    // S3 writes the user agent in brackets.
    userAgent: s3 ? `[${spec.userAgent}]` : spec.userAgent,
    requestParameters: spec.requestParameters,
    responseElements: spec.responseElements ?? null,
    ...(s3
      ? {
          additionalEventData: {
            SignatureVersion: 'SigV4',
            CipherSuite: 'TLS_AES_128_GCM_SHA256',
            bytesTransferredIn: 0,
            AuthenticationMethod: 'AuthHeader',
            'x-amz-id-2': s3.amzId2,
            bytesTransferredOut: s3.bytesOut,
          },
        }
      : {}),
    requestID: spec.ids.requestId,
    eventID: spec.ids.eventId,
    readOnly: spec.readOnly ?? true,
    ...(s3?.resources ? { resources: s3.resources } : {}),
    eventType: 'AwsApiCall',
    managementEvent: !s3?.data,
    recipientAccountId: spec.recipientAccountId,
    eventCategory: s3?.data ? 'Data' : 'Management',
    ...(spec.host ? { tlsDetails: tlsDetails(spec.host) } : {}),
  };
}
