/**
 * The role checker's requests to STS, shared by `check-role --live` and the scheduled re-check:
 * the fixed session name customers see in their CloudTrail, the shortest session, the session
 * policies that leave an accepted session (even one a customer role should have refused) able to
 * do nothing beyond reading that role, the marked wrong external ID, and how an error STS or the
 * SDK returns is sorted (refused, bad credentials, throttled out, …). Free of the SDK: the callers
 * send the requests and hand the errors here.
 */
import { randomBytes } from 'node:crypto';
import { roleArnParts } from './role-arn';

/** The session name of every session the checker opens; documented, so customers can recognise it in CloudTrail. */
export const PROBE_SESSION_NAME = 'assumerole-watch-check-role';

/** The shortest session STS issues (its DurationSeconds minimum): the probe needs seconds. */
export const PROBE_DURATION_SECONDS = 900;

/**
 * Attempts per request in the SDK's standard retry mode (exponential backoff with jitter on
 * throttling and transient errors), above the SDK's default of 3: a re-check of every customer
 * runs into STS's request rate where a single call would not.
 */
export const PROBE_MAX_ATTEMPTS = 5;

/** The wrong external ID starts with this: a customer reading CloudTrail sees what it was. */
export const PROBE_EXTERNAL_ID_PREFIX = 'assumerole-watch-probe-not-the-external-id-';

/** STS's form of an external ID (AssumeRole's ExternalId: 2 to 1224 of these characters). */
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;

/** The IAM reads the probe's session may make, and nothing else. */
export const PROBE_READ_ACTIONS = ['iam:GetRole', 'iam:ListAttachedRolePolicies', 'iam:ListRolePolicies', 'iam:GetRolePolicy', 'iam:GetPolicy', 'iam:GetPolicyVersion'] as const;

/**
 * The resources naming one role whatever path it has: `role/NAME` and `role/*\/NAME`. A role's
 * name is unique in its account regardless of path, and an ARN given without the path still
 * names it for STS, while IAM's resource match compares the ARN with its path.
 */
function roleResources(roleArn: string): string[] {
  const p = roleArnParts(roleArn);
  if (p === null) throw new Error(`not a role ARN: ${roleArn}`);
  return [`arn:${p.partition}:iam::${p.account}:role/${p.name}`, `arn:${p.partition}:iam::${p.account}:role/*/${p.name}`];
}

/**
 * The inline session policy of the sessions the probe opens on a customer role: the role may be
 * read (its trust, its policies' names and documents) and nothing else, whatever the role
 * grants. The managed policies attached to it are not known before they are listed, so their
 * reads are allowed on the account's customer managed policies; the role's own permissions
 * still decide whether any read is allowed at all.
 */
export function readRoleSessionPolicy(roleArn: string): string {
  const p = roleArnParts(roleArn)!;
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      { Sid: 'ReadTheRole', Effect: 'Allow', Action: PROBE_READ_ACTIONS.slice(0, 4), Resource: roleResources(roleArn) },
      { Sid: 'ReadItsPolicies', Effect: 'Allow', Action: PROBE_READ_ACTIONS.slice(4), Resource: `arn:${p.partition}:iam::${p.account}:policy/*` },
    ],
  });
}

/**
 * The inline session policy of a session that may do nothing at all: the scheduled re-check's
 * requests without an external ID, so that a customer role that accepts one hands over a
 * session with no permission.
 */
export const NOTHING_SESSION_POLICY = JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'Nothing', Effect: 'Deny', Action: '*', Resource: '*' }] });

/**
 * The inline session policy of the outbound role's session the checker opens first: it may
 * assume the customer roles given (any role, with `null`) and nothing else, whatever the
 * outbound role grants (sts:GetCallerIdentity needs no permission).
 */
export function outboundSessionPolicy(customerRoleArns: readonly string[] | null): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Sid: 'AssumeCustomerRolesOnly', Effect: 'Allow', Action: 'sts:AssumeRole', Resource: customerRoleArns === null ? 'arn:*:iam::*:role/*' : customerRoleArns.flatMap(roleResources) }],
  });
}

/** Whether a text has STS's form of an external ID. */
export function isExternalIdForm(text: string): boolean {
  return EXTERNAL_ID.test(text);
}

/**
 * A wrong external ID for the probe: random (a trust policy cannot be written to accept it and
 * refuse the others) and marked as the probe's, so a customer reading CloudTrail knows what it was.
 */
export function probeExternalId(random: string = randomBytes(8).toString('hex')): string {
  return `${PROBE_EXTERNAL_ID_PREFIX}${random}`;
}

/** What went wrong with a request, sorted by what the caller can do about it. */
export type ProbeErrorKind =
  /** STS refused the assumption (AccessDenied): the trust policy, or the caller's own permissions. */
  | 'refused'
  /** The caller's credentials: missing, invalid, expired, or signed wrong. */
  | 'credentials'
  /** Throttled, and still throttled after the SDK's retries. */
  | 'throttled'
  /** STS is not activated in the region for the role's account (RegionDisabledException). */
  | 'region-disabled'
  /** STS refused the session policy (MalformedPolicyDocument, PackedPolicyTooLarge): a bug of the checker. */
  | 'policy-refused'
  /** A parameter STS does not accept (ValidationError: the role ARN, the external ID's form). */
  | 'invalid-request'
  /** No region configured for the SDK. */
  | 'no-region'
  | 'other';

/** An error as the probe reports it: its code, kind, message and how many attempts the SDK made. */
export interface ProbeError {
  readonly kind: ProbeErrorKind;
  /** The error's code (the SDK's `name`: `AccessDenied`, `Throttling`, …). */
  readonly code: string;
  readonly message: string;
  /** Attempts the SDK made (its retries included), when it says. */
  readonly attempts: number | null;
}

/** Codes of refusals. STS answers AccessDenied ("… is not authorized to perform: sts:AssumeRole on resource: …"). */
const REFUSED = new Set(['AccessDenied', 'AccessDeniedException']);

/**
 * Codes meaning the caller's own credentials are wrong: InvalidClientTokenId (a key STS does not
 * know), ExpiredToken (an expired session; ExpiredTokenException is the SDK's modelled name),
 * a bad signature, and the SDK's own CredentialsProviderError when the default chain finds none.
 */
const CREDENTIALS = new Set(['InvalidClientTokenId', 'ExpiredToken', 'ExpiredTokenException', 'UnrecognizedClientException', 'SignatureDoesNotMatch', 'IncompleteSignature', 'MissingAuthenticationToken', 'InvalidAccessKeyId', 'CredentialsProviderError', 'TokenProviderError']);

/** Throttling codes (STS answers Throttling, "Rate exceeded"); the SDK's standard retry mode retries the same ones. */
const THROTTLED = new Set(['Throttling', 'ThrottlingException', 'ThrottledException', 'RequestThrottled', 'RequestThrottledException', 'TooManyRequestsException', 'RequestLimitExceeded', 'SlowDown']);

/** STS's modelled AssumeRole errors about the session policy, by wire code and by the SDK's name. */
const POLICY_REFUSED = new Set(['MalformedPolicyDocument', 'MalformedPolicyDocumentException', 'PackedPolicyTooLarge', 'PackedPolicyTooLargeException']);

/** Sorts an error an SDK call threw. */
export function probeError(error: unknown): ProbeError {
  const e = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as { name?: unknown; Code?: unknown; message?: unknown; $metadata?: { attempts?: unknown; httpStatusCode?: unknown } };
  const code = typeof e.name === 'string' && e.name !== 'Error' ? e.name : typeof e.Code === 'string' ? e.Code : 'Error';
  const message = typeof e.message === 'string' ? e.message : '';
  const attempts = typeof e.$metadata?.attempts === 'number' ? e.$metadata.attempts : null;
  const kind: ProbeErrorKind = REFUSED.has(code)
    ? 'refused'
    : CREDENTIALS.has(code)
      ? 'credentials'
      : THROTTLED.has(code) || e.$metadata?.httpStatusCode === 429
        ? 'throttled'
        : code === 'RegionDisabledException'
          ? 'region-disabled'
          : POLICY_REFUSED.has(code)
            ? 'policy-refused'
            : code === 'ValidationError' || code === 'ValidationException'
              ? 'invalid-request'
              : /region is missing/i.test(message)
                ? 'no-region'
                : 'other';
  return { kind, code, message, attempts };
}

/** `text` with every occurrence of `secret` replaced: STS's validation messages quote the values they refuse. */
export function redacted(text: string, secret: string | null, replacement = '<the external ID>'): string {
  return secret === null || secret === '' ? text : text.split(secret).join(replacement);
}
