/**
 * Types shared by the parser, the engine, the detectors and the stores.
 * Raw input is validated once (parse.ts); everything else works on these.
 */
import type { AttackMapping } from './attack';
import type { IpAddress } from './ip';

/** Alert severities, lowest first. */
export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
/** One of {@link SEVERITIES}. */
export type Severity = (typeof SEVERITIES)[number];

/** The names of the STS calls that create a role session. */
export const ASSUME_ROLE_EVENT_NAMES = ['AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity'] as const;
/** One of {@link ASSUME_ROLE_EVENT_NAMES}. */
export type AssumeRoleEventName = (typeof ASSUME_ROLE_EVENT_NAMES)[number];

/** The `detail-type` EventBridge gives CloudTrail API calls. */
export const CLOUDTRAIL_DETAIL_TYPE = 'AWS API Call via CloudTrail';

/**
 * The prefix of every AWS service's EventBridge `source`. EventBridge refuses custom events
 * (PutEvents) whose source begins with it, so only AWS puts events with such a source on a bus
 * ("Customer-generated events can have any value here, as long as it doesn't begin with
 * 'aws.'": EventBridge User Guide, Event structure reference,
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-events-structure.html).
 */
export const AWS_EVENT_SOURCE_PREFIX = 'aws.';

/**
 * Where a call came from. CloudTrail's `sourceIPAddress` is an IP address, a service's host
 * name (`ec2.amazonaws.com`) when a service acted for the caller, `AWS Internal`, or in
 * anonymised logs something that is neither.
 */
export type SourceAddress =
  | { kind: 'ip'; text: string; ip: IpAddress }
  | { kind: 'service'; text: string }
  | { kind: 'aws-internal'; text: string }
  | { kind: 'invalid'; text: string }
  | { kind: 'missing'; text: '' };

/** Longest host header a parsed call keeps: a DNS name has at most 253 characters. */
export const MAX_HOST_HEADER_CHARS = 253;

/** Who made the call, as far as the record tells. */
export interface Principal {
  /** `userIdentity.type`; `Unknown` when absent. */
  readonly type: string;
  /** The caller's ARN (an assumed-role session ARN for role sessions); null when absent. */
  readonly arn: string | null;
  readonly accountId: string | null;
  readonly principalId: string | null;
  /** Access key the call was signed with (`ASIA…` for temporary credentials). */
  readonly accessKeyId: string | null;
  readonly userName: string | null;
  /** For role sessions: the role the session belongs to (`sessionContext.sessionIssuer.arn`). */
  readonly sessionIssuerArn: string | null;
  /** Set when an AWS service made the call on the principal's behalf. */
  readonly invokedBy: string | null;
  /** Identity provider of SAML and web-identity users. */
  readonly identityProvider: string | null;
  /** `sessionContext.attributes.mfaAuthenticated`. */
  readonly mfaAuthenticated: boolean;
  /** The session's credentials came from a console sign-in. */
  readonly consoleCredentials: boolean;
  /** `sessionContext.attributes.creationDate` as epoch milliseconds. */
  readonly sessionCreatedAt: number | null;
  readonly sourceIdentity: string | null;
}

/** Fields every parsed call has. */
interface ParsedCallBase {
  readonly eventId: string;
  /** Epoch milliseconds. */
  readonly eventTime: number;
  readonly eventName: string;
  readonly eventSource: string;
  readonly eventVersion: string | null;
  readonly awsRegion: string;
  readonly recipientAccountId: string | null;
  /** Both copies of a cross-account call carry the same `sharedEventID`. */
  readonly sharedEventId: string | null;
  readonly source: SourceAddress;
  readonly userAgent: string;
  readonly vpcEndpointId: string | null;
  /**
   * `tlsDetails.clientProvidedHostHeader`: the endpoint the client dialled (`sts.amazonaws.com`,
   * `sts.eu-west-1.amazonaws.com`, a VPC endpoint's name); null when not logged. Client-chosen,
   * so cut to {@link MAX_HOST_HEADER_CHARS} characters.
   */
  readonly hostHeader: string | null;
  readonly principal: Principal;
  readonly errorCode: string | null;
  readonly errorMessage: string | null;
}

/**
 * An AssumeRole, AssumeRoleWithSAML or AssumeRoleWithWebIdentity call.
 * `copy` tells which account's copy of a cross-account call this record is.
 */
export interface AssumeRoleCall extends ParsedCallBase {
  readonly kind: 'assume-role';
  readonly eventName: AssumeRoleEventName;
  /** The role being assumed; recovered from `errorMessage` when a failure nulls the parameters. */
  readonly roleArn: string | null;
  readonly roleAccountId: string | null;
  readonly roleSessionName: string | null;
  readonly externalId: string | null;
  /** False when CloudTrail logged no `requestParameters` (failures null them): what was asked for is unknown. */
  readonly requestLogged: boolean;
  /**
   * The session length asked for: `durationSeconds` as CloudTrail writes it (a number or a
   * numeric string), STS's default 3600 when a logged request has none; null when the request
   * was not logged or the value is not a number of seconds.
   */
  readonly durationSeconds: number | null;
  /**
   * Fingerprint of the inline session policy (`policy`): 16 hex digits of the SHA-256 of its
   * JSON without layout, the target account folded; null when none was sent. Never the text.
   */
  readonly sessionPolicyHash: string | null;
  /** The inline session policy allows every action: an Allow statement with Action `*` (or only wildcards) or with NotAction. */
  readonly sessionPolicyAllowsAll: boolean;
  /**
   * The managed session policies (`policyArns[].arn`), sorted, one per line (the replay's thread
   * hand-over carries strings, not lists; an ARN holds no line break); null when none.
   */
  readonly sessionPolicyArns: string | null;
  /** Access key of the session the call created (success only). */
  readonly issuedAccessKeyId: string | null;
  /** `arn:aws:sts::…:assumed-role/<role>/<session>` of the created session (success only). */
  readonly issuedSessionArn: string | null;
  /** Expiry of the created credentials, epoch milliseconds. */
  readonly expiresAt: number | null;
  /** SAML or OIDC provider ARN of a federated call. */
  readonly providerArn: string | null;
  readonly copy: 'caller' | 'owner' | 'single';
}

/** Any other call, kept only when a monitored role's session made it (session-locations). */
export interface SessionActivity extends ParsedCallBase {
  readonly kind: 'session-activity';
}

/** A record the engine understands. */
export type ParsedCall = AssumeRoleCall | SessionActivity;

/** Where a raw record came from, for reports (`file:line`). */
export interface RecordOrigin {
  readonly file: string;
  readonly line: number;
}

/** A record that could not be parsed, with the reason. Never an exception. */
export interface Rejection {
  readonly kind: 'rejected';
  readonly reason: string;
  readonly eventId: string | null;
  readonly origin: RecordOrigin | null;
}

/** Evidence a finding points to. Fields that do not apply are null. */
export interface Evidence {
  readonly eventIds: readonly string[];
  readonly eventTimes: readonly string[];
  readonly eventName: string;
  readonly principalArn: string | null;
  readonly principalType: string;
  readonly roleArn: string | null;
  readonly targetAccountId: string | null;
  readonly sourceIp: string | null;
  readonly userAgent: string | null;
  readonly sessionKey: string | null;
  readonly awsRegion: string;
  /** Detector-specific facts, for the analyst. */
  readonly details: Readonly<Record<string, string | number | boolean | readonly string[]>>;
}

/** What a detector reports. */
export interface Finding {
  readonly detector: string;
  readonly severity: Severity;
  readonly title: string;
  /** One line: why this fired. */
  readonly cause: string;
  readonly runbook: string;
  /**
   * Findings with the same key within the suppression window give one alert, as long as they
   * have the same caller: alerts never fold different principals (see `actorOf` in the engine).
   */
  readonly dedupKey: string;
  /**
   * `role`: the finding is about a monitored role as a whole (a burst, a day's denied calls),
   * which many sessions make up together; its alert folds the findings of every caller.
   */
  readonly scope?: 'role';
  /** The MITRE ATT&CK techniques the detector is mapped to, with their tactics and names. */
  readonly attack?: readonly AttackMapping[];
  readonly evidence: Evidence;
}
