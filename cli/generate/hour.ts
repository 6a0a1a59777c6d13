/**
 * One generated hour: what it knows (world, time), the sink that puts its records in order, and
 * the scenario's calls — sessions assuming roles, other API calls — with every random part
 * drawn from the hour's PRNG in a fixed order and the record written by `records.ts`.
 */
import type { Rng } from './random';
import {
  accessDenied,
  apiCallRecord,
  assumedRoleArn,
  assumedRoleIdentity,
  assumeRoleRecord,
  drawAmzId2,
  drawS3RequestId,
  drawSessionKeyId,
  drawSessionToken,
  endpointHost,
  iamUserIdentity,
  serviceIdentity,
  sharedWithRoleOwner,
  USER_AGENTS,
  type AssumeResult,
  type CloudTrailRecord,
  type IamUserRef,
  type Json,
  type RoleRef,
} from './records';
import { ACCOUNT, type Region } from './scenario';
import type { Calendar } from './calendar';
import type { CustomerAccount, World } from './world';
import { isoSeconds } from '../../lambdas/core/cloudtrail-time';

/** Milliseconds in an hour. */
export const HOUR = 3_600_000;
/** Milliseconds in a day. */
export const DAY = 24 * HOUR;
/** Milliseconds in a second. */
export const SEC = 1000;

/** The hour being generated. */
export interface HourContext {
  readonly world: World;
  /** What has changed by this hour: customers, the deploy, failover (calendar.ts). */
  readonly calendar: Calendar;
  readonly seed: number;
  readonly hourStart: number;
  /** Day of the corpus, from 0. */
  readonly day: number;
  readonly hourOfDay: number;
  readonly weekday: number;
}

/** A role session: who it is, its key, where it runs from. */
export interface Session {
  readonly role: RoleRef;
  readonly name: string;
  readonly accessKeyId: string;
  readonly createdAt: number;
  readonly sourceIp: string;
  readonly userAgent: string;
  readonly region: Region;
  /** The STS host its client dials when not the region's (a dual-stack task: `sts.<region>.api.aws`). */
  readonly stsHost?: string;
  /** Last time this session was used (for incidents that come "after" normal use). */
  lastUse: number;
}

/** The ARN of a session's calls. */
export const sessionArn = (s: Session): string => assumedRoleArn(s.role, s.name);

/** Who makes a call. */
export type Caller =
  | { readonly kind: 'session'; readonly session: Session; readonly invokedBy?: string }
  | { readonly kind: 'user'; readonly user: IamUserRef }
  | { readonly kind: 'service'; readonly service: string }
  /** A federated caller (a web-identity user), as its record's identity. */
  | { readonly kind: 'federated'; readonly identity: Json };

function identityOf(caller: Caller): Json {
  switch (caller.kind) {
    case 'service':
      return serviceIdentity(caller.service);
    case 'user':
      return iamUserIdentity(caller.user);
    case 'federated':
      return caller.identity;
    case 'session': {
      const s = caller.session;
      return assumedRoleIdentity({
        role: s.role,
        sessionName: s.name,
        accessKeyId: s.accessKeyId,
        creationDate: isoSeconds(s.createdAt),
        ...(caller.invokedBy ? { invokedBy: caller.invokedBy } : {}),
      });
    }
  }
}

interface Item {
  readonly t: number;
  readonly seq: number;
  readonly record: CloudTrailRecord;
}

/** Where a builder's records go. */
export interface Sink {
  /** False for a sink that keeps nothing: the call was drawn, never made. */
  readonly keeps: boolean;
  /** Adds `record`, made at `t` (ms; the record's eventTime is `t` to the second). */
  add(t: number, record: CloudTrailRecord): void;
}

/** An hour's records; items added by different builders (benign, incidents) share one sequence space. */
export class HourSink implements Sink {
  readonly keeps = true;
  /** Records with their event time (ms) and order of addition. */
  readonly items: Item[] = [];
  private seq = 0;

  /** Adds `record`, made at `t` (ms; the record's eventTime is `t` to the second). */
  add(t: number, record: CloudTrailRecord): void {
    this.items.push({ t, seq: this.seq++, record });
  }
}

/**
 * The sink of calls the calendar cancels or moves: they are still drawn from the hour's stream,
 * so every other record of the hour stays as it was, and nothing of them is kept.
 */
export const DISCARD: Sink = { keeps: false, add: () => undefined };

/** Where a builder draws from and writes to. */
export interface Builder {
  readonly rng: Rng;
  readonly sink: Sink;
}

/** `b`'s stream, writing nowhere: a call drawn in its place, never made. */
export const drawOnly = (b: Builder): Builder => ({ rng: b.rng, sink: DISCARD });

/** An AssumeRole of the scenario. */
export interface AssumeSpec {
  /** @default AssumeRole */
  readonly eventName?: string;
  readonly t: number;
  readonly caller: Caller;
  /** The STS endpoint's region (the record's awsRegion). */
  readonly region: Region;
  readonly sourceIp: string;
  readonly userAgent: string;
  readonly role: RoleRef;
  readonly sessionName: string;
  readonly durationSeconds?: number;
  readonly externalId?: string;
  /** An inline session policy (JSON text). */
  readonly policy?: string;
  readonly denied?: boolean;
  /** TLS host header. @default the calling session's STS host, else the region's STS endpoint */
  readonly host?: string;
  /** More response elements on success (a web-identity call's provider and audience). */
  readonly responseExtras?: Json;
  /** Source address and user agent of the created session's later calls. */
  readonly sessionSourceIp?: string;
  readonly sessionUserAgent?: string;
  /**
   * The key STS issued, when the session is known beforehand (ECS task credentials). One is
   * still drawn, so the rest of the hour's stream is unchanged.
   */
  readonly issuedKeyId?: string;
}

/** An sts:AssumeRole record (caller's copy) and, on success, the session it created. */
export function assumeRole(b: Builder, spec: AssumeSpec): { record: CloudTrailRecord; session: Session | null } {
  const { rng } = b;
  const identity = identityOf(spec.caller);
  // A service's call is logged with the service as its address and agent.
  const service = spec.caller.kind === 'service' ? spec.caller.service : null;
  let session: Session | null = null;
  let result: AssumeResult;
  // A session made by a dual-stack process dials what its maker dials.
  const stsHost = spec.host ?? (spec.caller.kind === 'session' ? spec.caller.session.stsHost : undefined);
  if (spec.denied) {
    result = { error: accessDenied(identity, 'sts:AssumeRole', spec.role.arn) };
  } else {
    const drawnKeyId = drawSessionKeyId(rng);
    session = {
      role: spec.role,
      name: spec.sessionName,
      accessKeyId: spec.issuedKeyId ?? drawnKeyId,
      createdAt: spec.t,
      sourceIp: spec.sessionSourceIp ?? spec.sourceIp,
      userAgent: spec.sessionUserAgent ?? spec.userAgent,
      region: spec.region,
      ...(stsHost !== undefined ? { stsHost } : {}),
      lastUse: spec.t,
    };
    result = { credentials: { accessKeyId: session.accessKeyId, sessionToken: drawSessionToken(rng, spec.region) } };
  }
  const requestId = rng.uuid();
  const eventId = rng.uuid();
  const shared = sharedWithRoleOwner(identity, spec.role, spec.denied === true);
  const record = assumeRoleRecord({
    ...(spec.eventName !== undefined ? { eventName: spec.eventName } : {}),
    identity,
    eventTime: isoSeconds(spec.t),
    region: spec.region,
    sourceIp: service ?? spec.sourceIp,
    userAgent: service ?? spec.userAgent,
    role: spec.role,
    sessionName: spec.sessionName,
    ...(spec.durationSeconds !== undefined ? { durationSeconds: spec.durationSeconds } : {}),
    ...(spec.externalId !== undefined ? { externalId: spec.externalId } : {}),
    ...(spec.policy !== undefined ? { policy: spec.policy } : {}),
    result,
    ids: { requestId, eventId, ...(shared ? { sharedEventId: rng.uuid() } : {}) },
    recipientAccountId: ACCOUNT,
    ...(stsHost !== undefined ? { host: stsHost } : {}),
    ...(spec.responseExtras !== undefined ? { responseExtras: spec.responseExtras } : {}),
  });
  b.sink.add(spec.t, record);
  if (spec.caller.kind === 'session' && b.sink.keeps) spec.caller.session.lastUse = Math.max(spec.caller.session.lastUse, spec.t);
  return { record, session };
}

/** Another API call of the scenario. */
export interface CallSpec {
  readonly t: number;
  readonly caller: Caller;
  readonly region: Region;
  readonly sourceIp: string;
  readonly userAgent: string;
  readonly eventSource: string;
  readonly eventName: string;
  readonly requestParameters: Record<string, unknown> | null;
  /** TLS host header; omitted for AWS Internal calls. */
  readonly host: string | null;
  readonly readOnly?: boolean;
  readonly s3?: { readonly bytesOut: number; readonly resources?: readonly Record<string, string>[]; readonly data?: boolean };
}

/** Any other API call (session activity, admin work, service noise). */
export function apiCall(b: Builder, spec: CallSpec): CloudTrailRecord {
  const { rng } = b;
  const s3 = spec.s3 ? { ...spec.s3, amzId2: drawAmzId2(rng) } : undefined;
  const requestId = s3 ? drawS3RequestId(rng) : rng.uuid();
  const eventId = rng.uuid();
  const record = apiCallRecord({
    identity: identityOf(spec.caller),
    eventTime: isoSeconds(spec.t),
    eventSource: spec.eventSource,
    eventName: spec.eventName,
    region: spec.region,
    sourceIp: spec.sourceIp,
    userAgent: spec.userAgent,
    requestParameters: spec.requestParameters,
    ids: { requestId, eventId },
    ...(spec.readOnly !== undefined ? { readOnly: spec.readOnly } : {}),
    recipientAccountId: ACCOUNT,
    host: spec.host,
    ...(s3 ? { s3 } : {}),
  });
  b.sink.add(spec.t, record);
  if (spec.caller.kind === 'session' && b.sink.keeps) spec.caller.session.lastUse = Math.max(spec.caller.session.lastUse, spec.t);
  return record;
}

/** The session checks who it is (`sts:GetCallerIdentity`), as SDKs do after getting credentials. */
export function getCallerIdentity(b: Builder, t: number, session: Session, overrides: { sourceIp?: string; userAgent?: string } = {}): CloudTrailRecord {
  return apiCall(b, {
    t,
    caller: { kind: 'session', session },
    region: session.region,
    sourceIp: overrides.sourceIp ?? session.sourceIp,
    userAgent: overrides.userAgent ?? session.userAgent,
    eventSource: 'sts.amazonaws.com',
    eventName: 'GetCallerIdentity',
    requestParameters: null,
    host: session.stsHost ?? endpointHost('sts.amazonaws.com', session.region),
  });
}

/**
 * An outbound session assumes a customer's role the normal way (AccessDenied if its role was gone
 * from before the period; the calendar says what else has changed, see benign.ts).
 */
export function syncCall(b: Builder, time: number, session: Session, target: CustomerAccount, overrides: Partial<AssumeSpec> = {}): CloudTrailRecord {
  const t = Math.max(time, session.createdAt + 1500);
  return assumeRole(b, {
    t,
    caller: { kind: 'session', session },
    region: session.region,
    sourceIp: session.sourceIp,
    userAgent: USER_AGENTS.jsSdkOnEcs('sts'),
    role: target.role,
    sessionName: `sync-${Math.floor(t / SEC)}`,
    durationSeconds: 900,
    externalId: target.externalId,
    denied: target.offboarded,
    ...overrides,
  }).record;
}

/**
 * A backend task opens an outbound session as it does every hour: from its NAT, with its SDK,
 * named `backend-<hex>`, for an hour. An incident overrides what its story changes.
 */
export function openOutboundSession(b: Builder, t: number, task: Session, role: RoleRef, region: Region, overrides: Partial<AssumeSpec> = {}): { record: CloudTrailRecord; session: Session } {
  const { record, session } = assumeRole(b, {
    t,
    caller: { kind: 'session', session: task },
    region,
    sourceIp: task.sourceIp,
    userAgent: USER_AGENTS.jsSdkOnEcs('sts'),
    role,
    sessionName: `backend-${b.rng.mixedHex(8)}`,
    durationSeconds: 3600,
    ...overrides,
  });
  return { record, session: session! };
}

/** ECS delivers a task's credentials: ecs-tasks.amazonaws.com assumes the task role with the key the task then uses. */
export function ecsDeliversCredentials(b: Builder, task: Session, region: Region): void {
  assumeRole(b, {
    t: task.createdAt,
    caller: { kind: 'service', service: 'ecs-tasks.amazonaws.com' },
    region,
    sourceIp: 'ecs-tasks.amazonaws.com',
    userAgent: 'ecs-tasks.amazonaws.com',
    role: task.role,
    sessionName: task.name,
    // The key the task actually uses, derived independently of the hour's PRNG.
    issuedKeyId: task.accessKeyId,
  });
}

/** A session lists the account's S3 buckets from `sourceIp` with `userAgent` (what stolen credentials try first). */
export function listBuckets(b: Builder, t: number, session: Session, sourceIp: string, userAgent: string): CloudTrailRecord {
  return apiCall(b, {
    t,
    caller: { kind: 'session', session },
    region: 'us-east-1',
    sourceIp,
    userAgent,
    eventSource: 's3.amazonaws.com',
    eventName: 'ListBuckets',
    requestParameters: { Host: 's3.amazonaws.com' },
    host: 's3.amazonaws.com',
    s3: { bytesOut: 1900 + b.rng.int(300) },
  });
}
