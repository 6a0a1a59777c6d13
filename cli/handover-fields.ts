/**
 * The fields of a parse result as they cross between the replay's threads (see handover.ts),
 * declared once. The encoder and the decoder are both generated from these tables, so they
 * cannot disagree; and the compiler holds each table to its type: a field added to
 * core/types.ts (or to `Ignored` in parse.ts) that is missing here, a field here that the type
 * no longer has, and a codec that cannot carry the field's type are all type errors here.
 *
 * Each table's order is the order parse.ts builds the object in: the decoder builds objects in
 * table order, and the engine's hot path wants them the same shape as freshly parsed ones
 * (test/handover.test.ts holds the tables to parse.ts's key order).
 */
import type { Ignored, ParseResult } from '../lambdas/core/parse';
import type { IpAddress } from '../lambdas/core/ip';
import type { AssumeRoleCall, ParsedCall, Principal, SessionActivity, SourceAddress } from '../lambdas/core/types';

/**
 * How one field crosses:
 * - `repeated`: a string that recurs across records (an ARN, a region, a user agent), or null;
 *   sent once, then by its number.
 * - `literal`: a string or null sent as it is: one per record (an event ID, an issued key), so
 *   remembering it would only fill the table.
 * - `number`: a number or null, as it is.
 * - `flag`: a boolean; all flags of one object share one number, a bit each.
 * - `source`: a {@link SourceAddress}: its kind's code, its text (repeated) and an IP's value.
 * - `{ codes }`: one of a fixed set of strings, as its code.
 * - `{ fields }`: a nested object, field by field.
 */
export type Codec = 'repeated' | 'literal' | 'number' | 'flag' | 'source' | EnumCodec<string> | ObjectCodec;

/** A string enum sent as its code: `codes` numbers the values 0, 1, 2… */
export interface EnumCodec<T extends string> {
  readonly codes: Readonly<Record<T, number>>;
}

/** A nested object sent field by field, in `fields` order. */
export interface ObjectCodec {
  readonly fields: FieldTable;
}

/** Fields in property order, each with its codec. */
export type FieldTable = Readonly<Record<string, Codec>>;

/** A codec for every field of T and for nothing else, each one able to carry its field's type. */
export type FieldCodecs<T> = { readonly [K in keyof T]-?: CodecFor<T[K]> };

/** The codecs that can carry a T; never when none can (the table then does not compile). */
type CodecFor<T> = [T] extends [boolean]
  ? 'flag'
  : [T] extends [number | null]
    ? 'number'
    : [T] extends [SourceAddress]
      ? SourceCodecFits extends true
        ? 'source'
        : never
      : [T] extends [string]
        ? 'repeated' | 'literal' | (string extends T ? never : EnumCodec<T>)
        : [T] extends [string | null]
          ? 'repeated' | 'literal'
          : [T] extends [object]
            ? { readonly fields: FieldCodecs<T> }
            : never;

/** True when A and B are the same set of keys. */
type SameKeys<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/**
 * The `source` codec is written by hand (in handover.ts); this is true only while every kind of
 * SourceAddress, and IpAddress, has just the fields it carries, so a new one is a type error.
 */
type SourceCodecFits = [
  | (SourceAddress extends infer S ? (S extends { kind: 'ip' } ? SameKeys<keyof S, 'kind' | 'text' | 'ip'> : SameKeys<keyof S, 'kind' | 'text'>) : never)
  | SameKeys<keyof IpAddress, 'version' | 'value'>,
] extends [true]
  ? true
  : false;

/** The code of each kind of source address (both sides of the `source` codec). */
export const SOURCE_CODES = { ip: 0, service: 1, 'aws-internal': 2, invalid: 3, missing: 4 } as const satisfies Record<SourceAddress['kind'], number>;

/** The caller's fields, in parse.ts's order. */
export const PRINCIPAL_FIELDS = {
  type: 'repeated',
  arn: 'repeated',
  accountId: 'repeated',
  principalId: 'repeated',
  accessKeyId: 'repeated',
  userName: 'repeated',
  sessionIssuerArn: 'repeated',
  invokedBy: 'repeated',
  identityProvider: 'repeated',
  mfaAuthenticated: 'flag',
  consoleCredentials: 'flag',
  sessionCreatedAt: 'number',
  sourceIdentity: 'repeated',
} as const satisfies FieldCodecs<Principal>;

/** The fields both kinds of call have, after `kind`. */
export const CALL_FIELDS = {
  eventId: 'literal',
  eventTime: 'number',
  eventName: 'repeated',
  eventSource: 'repeated',
  eventVersion: 'repeated',
  awsRegion: 'repeated',
  recipientAccountId: 'repeated',
  sharedEventId: 'literal',
  source: 'source',
  userAgent: 'repeated',
  vpcEndpointId: 'repeated',
  // One per endpoint: a handful per deployment.
  hostHeader: 'repeated',
  principal: { fields: PRINCIPAL_FIELDS },
  errorCode: 'repeated',
  errorMessage: 'repeated',
} as const satisfies FieldCodecs<Omit<ParsedCall, 'kind'>>;

/** The fields only an AssumeRole call has, after the common ones. */
export const ASSUME_ROLE_FIELDS = {
  roleArn: 'repeated',
  roleAccountId: 'repeated',
  // Often one per call (`sync-<time>`, `backend-<hex>` in generated traffic): not worth remembering.
  roleSessionName: 'literal',
  externalId: 'repeated',
  requestLogged: 'flag',
  durationSeconds: 'number',
  // A backend sends the same session policy call after call.
  sessionPolicyHash: 'repeated',
  sessionPolicyAllowsAll: 'flag',
  sessionPolicyArns: 'repeated',
  issuedAccessKeyId: 'literal',
  issuedSessionArn: 'literal',
  expiresAt: 'number',
  providerArn: 'repeated',
  copy: { codes: { caller: 0, owner: 1, single: 2 } },
} as const satisfies FieldCodecs<Omit<AssumeRoleCall, keyof ParsedCall>>;

/** The fields only a session's other call has: none yet, but one added to the type must be added here. */
export const SESSION_ACTIVITY_FIELDS = {} as const satisfies FieldCodecs<Omit<SessionActivity, keyof ParsedCall>>;

/** An ignored record's fields. */
export const IGNORED_FIELDS = { eventId: 'literal', eventTime: 'number' } as const satisfies FieldCodecs<Omit<Ignored, 'kind'>>;

/**
 * Every kind of parse result: its code on the wire and its fields after `kind`. A rejection
 * crosses whole (structured clone): rejections are rare, and a clone forgets no field.
 */
export const KINDS = {
  'assume-role': { code: 0, fields: { ...CALL_FIELDS, ...ASSUME_ROLE_FIELDS } },
  'session-activity': { code: 1, fields: { ...CALL_FIELDS, ...SESSION_ACTIVITY_FIELDS } },
  ignored: { code: 2, fields: IGNORED_FIELDS },
  rejected: { code: 3, fields: 'whole' },
} as const satisfies Record<ParseResult['kind'], { readonly code: number; readonly fields: FieldTable | 'whole' }>;
