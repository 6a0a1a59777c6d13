/**
 * Deterministic generator of realistic CloudTrail traffic for the vendor's bastion account.
 *
 * The scenario: ECS tasks of `integration-backend` assume a regional outbound role
 * (`outbound-eu` through the eu-west-1 STS endpoint, `outbound-us` through us-east-1) from
 * the region's NAT Elastic IPs; those outbound sessions assume every customer's
 * `VendorIntegrationRole` of the region once an hour (plus a daily full scan at 02:00 UTC)
 * with the customer's external ID. Around that: AWS service noise, `AWS Internal` calls, an
 * administrator's console-less CLI work, one offboarded customer whose role is gone. After
 * the learning period, on the incident day, ten labelled incidents, each meant to trip
 * exactly one detector.
 *
 * Everything is derived from a seeded PRNG (sfc32, seeded by hashing the seed with a label),
 * never from the clock or Math.random: the same options give byte-identical output. The
 * corpus is produced hour by hour (only one hour is held in memory), so it can be as large as
 * a benchmark needs.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

const gzipAsync = promisify(gzip);

// ---------------------------------------------------------------------------------------------
// Scenario constants: the one place the generated records and config.json take their values.
// ---------------------------------------------------------------------------------------------

/** The regions the scenario uses. */
export type Region = 'eu-west-1' | 'us-east-1';
/** {@link Region} values, in output order. */
export const REGIONS: readonly Region[] = ['eu-west-1', 'us-east-1'];

const ACCOUNT = '210987654321';
const iamArn = (kind: 'role' | 'user', name: string): string => `arn:aws:iam::${ACCOUNT}:${kind}/${name}`;

/**
 * The bastion account's fixed cast: roles, addresses and the engine settings written to
 * `config.json`. The NAT addresses are real EC2 addresses of their region (inside EC2 prefixes
 * of the bundled `data/aws-ip-ranges.json`), so they classify as AWS.
 */
export const SCENARIO = {
  account: ACCOUNT,
  outboundRoleArns: {
    'eu-west-1': iamArn('role', 'outbound-eu'),
    'us-east-1': iamArn('role', 'outbound-us'),
  } as Readonly<Record<Region, string>>,
  monitoredRolePattern: iamArn('role', 'outbound-*'),
  backendRoleArn: iamArn('role', 'integration-backend'),
  breakGlassRoleArn: iamArn('role', 'break-glass-admin'),
  natGroups: {
    'eu-west-1': { name: 'nat-eu', eips: ['54.247.81.112', '18.200.143.27'] },
    'us-east-1': { name: 'nat-us', eips: ['54.221.176.58', '35.153.92.204'] },
  } as Readonly<Record<Region, { readonly name: string; readonly eips: readonly [string, string] }>>,
  customerRoleName: 'VendorIntegrationRole',
  officeIpv4: '198.51.100.23',
  officeIpv6: '2001:db8:4f1c:2a00::23',
  /** Not AWS, not allowed (a Tor exit): the stolen backend credentials are used from here. */
  attackerIp: '185.220.101.47',
  /** Where a stolen outbound session key is replayed from. */
  foreignIp: '203.0.113.50',
  learningPeriodDays: 2,
  engine: {
    sessionNamePattern: null as string | null,
    volumeWindowMinutes: 60,
    volumeSpikeFactor: 3,
    requireExternalId: true,
    suppressionMinutes: 60,
    minAlertSeverity: 'medium',
  },
} as const;

/** The engine configuration matching the generated traffic (written as `config.json`). */
export function scenarioConfig(): Record<string, unknown> {
  const allowedCidrs: Record<string, string[]> = {};
  for (const region of REGIONS) {
    const group = SCENARIO.natGroups[region];
    allowedCidrs[group.name] = group.eips.map((ip) => `${ip}/32`);
  }
  const roleRegions: Record<string, string> = {};
  for (const region of REGIONS) roleRegions[SCENARIO.outboundRoleArns[region]] = region;
  return {
    monitoredRoleArns: [SCENARIO.monitoredRolePattern],
    expectedCallerArns: [SCENARIO.backendRoleArn],
    humanRoleArnPatterns: [SCENARIO.breakGlassRoleArn],
    allowedCidrs,
    sessionNamePattern: SCENARIO.engine.sessionNamePattern,
    volumeWindowMinutes: SCENARIO.engine.volumeWindowMinutes,
    volumeSpikeFactor: SCENARIO.engine.volumeSpikeFactor,
    learningPeriodDays: SCENARIO.learningPeriodDays,
    requireExternalId: SCENARIO.engine.requireExternalId,
    roleRegions,
    suppressionMinutes: SCENARIO.engine.suppressionMinutes,
    minAlertSeverity: SCENARIO.engine.minAlertSeverity,
  };
}

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/** Generator options; every field has a default. */
export interface GenerateOptions {
  /** First hour of the corpus (ISO 8601, floored to the UTC hour). Default 2026-10-05T00:00:00Z. */
  readonly start?: string;
  /** Days of traffic. Default 3; unbounded when only `maxRecords` limits the run. */
  readonly days?: number;
  /** Number of customers (each one or two AWS accounts). Default 40, minimum 10. */
  readonly customers?: number;
  /** PRNG seed. Default 1. */
  readonly seed?: number;
  /** Add the labelled incidents on the incident day. Default true. */
  readonly incidents?: boolean;
  /** Stop after this many records (exactly, unless the days run out first). */
  readonly maxRecords?: number;
}

/** The defaults of {@link GenerateOptions}. */
export const DEFAULT_OPTIONS = {
  start: '2026-10-05T00:00:00Z',
  days: 3,
  customers: 40,
  seed: 1,
  incidents: true,
} as const;

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

/** What `labels.json` holds for one incident: the records that should make `detector` fire. */
export interface IncidentLabel {
  readonly id: string;
  readonly detector: string;
  readonly description: string;
  readonly eventIds: readonly string[];
}

/** The generator's return value (after the last record). */
export interface CorpusSummary {
  readonly records: number;
  readonly recordsByRegion: Readonly<Record<string, number>>;
  readonly hours: number;
  /** First hour and end of the last generated hour, ISO. */
  readonly start: string;
  readonly end: string;
  readonly labels: readonly IncidentLabel[];
  /** Set when incidents were asked for but could not be placed (too few days, cut by maxRecords). */
  readonly note: string | null;
}

/** {@link writeCorpus}'s result. */
export interface WriteSummary extends CorpusSummary {
  readonly outDir: string;
  readonly files: number;
  /** Bytes of the gzip log files. */
  readonly bytes: number;
}

// ---------------------------------------------------------------------------------------------
// Deterministic randomness
// ---------------------------------------------------------------------------------------------

function cyrb128(text: string): [number, number, number, number] {
  let h1 = 1779033703, h2 = 3144134277, h3 = 1013904242, h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const BASE64 = `${ALNUM}+/`;
const HEX = '0123456789abcdef';

const BYTE_HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const hex8 = (n: number): string => BYTE_HEX[n >>> 24]! + BYTE_HEX[(n >>> 16) & 255]! + BYTE_HEX[(n >>> 8) & 255]! + BYTE_HEX[n & 255]!;

/** sfc32: 128-bit state, so independently seeded streams do not overlap in practice. */
class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(label: string) {
    [this.a, this.b, this.c, this.d] = cyrb128(label);
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  pick<T>(list: readonly T[]): T {
    return list[this.int(list.length)]!;
  }

  chars(alphabet: string, n: number): string {
    let out = '';
    for (let i = 0; i < n; i++) out += alphabet[this.int(alphabet.length)];
    return out;
  }

  /** Hex that always has a digit and a letter, so name shapes never fold differently by chance. */
  mixedHex(n: number): string {
    for (;;) {
      const s = this.chars(HEX, n);
      if (/[0-9]/.test(s) && /[a-f]/.test(s)) return s;
    }
  }

  uuid(): string {
    const s = hex8(this.u32()) + hex8((this.u32() & 0xffff0fff) | 0x4000) + hex8((this.u32() & 0x3fffffff) | 0x80000000) + hex8(this.u32());
    return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
  }
}

const rngFor = (seed: number, ...parts: (string | number)[]): Rng => new Rng(`${seed}|${parts.join('|')}`);

// ---------------------------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------------------------

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SEC = 1000;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** CloudTrail's eventTime: ISO with seconds, `Z`. */
function isoSeconds(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** STS's `credentials.expiration` format: `Aug 1, 2024, 11:45:22 AM` (UTC). */
function stsExpiration(ms: number): string {
  const d = new Date(Math.floor(ms / SEC) * SEC);
  const h = d.getUTCHours();
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}, ${h % 12 || 12}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} ${h < 12 ? 'AM' : 'PM'}`;
}

const REGION_TOKEN_TAG: Record<Region, string> = { 'eu-west-1': 'WV1LXdlc3QtMSJH', 'us-east-1': 'XVzLWVhc3QtMSJH' };

/** A session token shaped like STS's (fixed header naming the region, random body). */
function sessionToken(rng: Rng, region: Region): string {
  return `IQoJb3JpZ2luX2VjE${rng.chars(BASE64, 2)}aC${REGION_TOKEN_TAG[region]}${rng.chars(BASE64, 64)}`;
}

// ---------------------------------------------------------------------------------------------
// Principals and sessions
// ---------------------------------------------------------------------------------------------

interface RoleRef {
  readonly arn: string;
  readonly name: string;
  readonly account: string;
  readonly id: string;
}

function roleRef(seed: number, arn: string): RoleRef {
  const m = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(arn);
  if (!m) throw new Error(`not a role ARN: ${arn}`);
  return { arn, account: m[1]!, name: m[2]!, id: `AROA${rngFor(seed, 'role-id', arn).chars(UPPER_DIGITS, 17)}` };
}

interface IamUser {
  readonly arn: string;
  readonly name: string;
  readonly id: string;
  readonly accessKeyId: string;
}

function iamUser(seed: number, name: string): IamUser {
  const rng = rngFor(seed, 'user', name);
  return { arn: iamArn('user', name), name, id: `AIDA${rng.chars(UPPER_DIGITS, 17)}`, accessKeyId: `AKIA${rng.chars(UPPER_DIGITS, 16)}` };
}

/** A role session: who it is, its key, where it runs from. */
interface Session {
  readonly role: RoleRef;
  readonly name: string;
  readonly accessKeyId: string;
  readonly createdAt: number;
  readonly sourceIp: string;
  readonly userAgent: string;
  readonly region: Region;
  /** Last time this session was used (for incidents that come "after" normal use). */
  lastUse: number;
}

const sessionArn = (s: Session): string => `arn:aws:sts::${s.role.account}:assumed-role/${s.role.name}/${s.name}`;

type Caller =
  | { readonly kind: 'session'; readonly session: Session; readonly invokedBy?: string }
  | { readonly kind: 'user'; readonly user: IamUser }
  | { readonly kind: 'service'; readonly service: string };

function userIdentity(caller: Caller): Record<string, unknown> {
  switch (caller.kind) {
    case 'service':
      return { type: 'AWSService', invokedBy: caller.service };
    case 'user':
      return {
        type: 'IAMUser',
        principalId: caller.user.id,
        arn: caller.user.arn,
        accountId: ACCOUNT,
        accessKeyId: caller.user.accessKeyId,
        userName: caller.user.name,
      };
    case 'session': {
      const s = caller.session;
      return {
        type: 'AssumedRole',
        principalId: `${s.role.id}:${s.name}`,
        arn: sessionArn(s),
        accountId: s.role.account,
        accessKeyId: s.accessKeyId,
        sessionContext: {
          sessionIssuer: { type: 'Role', principalId: s.role.id, arn: s.role.arn, accountId: s.role.account, userName: s.role.name },
          webIdFederationData: {},
          attributes: { creationDate: isoSeconds(s.createdAt), mfaAuthenticated: 'false' },
        },
        ...(caller.invokedBy ? { invokedBy: caller.invokedBy } : {}),
      };
    }
  }
}

const callerArn = (caller: Caller): string =>
  caller.kind === 'session' ? sessionArn(caller.session) : caller.kind === 'user' ? caller.user.arn : caller.service;

// ---------------------------------------------------------------------------------------------
// User agents
// ---------------------------------------------------------------------------------------------

const UA = {
  backend: (api: string): string =>
    `aws-sdk-js/3.658.1 ua/2.1 os/linux#5.10.226-214.879.amzn2.x86_64 lang/js md/nodejs#20.17.0 api/${api}#3.658.1 exec-env/AWS_ECS_FARGATE m/E,N`,
  lambda: 'aws-sdk-js/3.622.0 ua/2.1 os/linux#5.10.226-234.878.amzn2.x86_64 lang/js md/nodejs#20.17.0 api/sts#3.622.0 exec-env/AWS_Lambda_nodejs20.x m/E',
  goSdk: 'aws-sdk-go-v2/1.30.3 os/linux lang/go#1.22.5 md/GOOS#linux md/GOARCH#amd64 api/sts#1.30.3 exec-env/AWS_ECS_FARGATE',
  boto3: 'Boto3/1.35.24 md/Botocore#1.35.24 ua/2.0 os/linux#6.8.0-45-generic md/arch#x86_64 lang/python#3.12.3 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.24',
  aliceCli: 'aws-cli/2.15.30 Python/3.11.8 Linux/5.15.0-1057-aws exe/x86_64.ubuntu.22 prompt/off command/sts.assume-role',
  adminCli: (command: string): string => `aws-cli/2.17.20 Python/3.11.9 Darwin/23.6.0 exe/x86_64 prompt/off command/${command}`,
};

// ---------------------------------------------------------------------------------------------
// Record builders
// ---------------------------------------------------------------------------------------------

interface Item {
  readonly t: number;
  readonly seq: number;
  readonly record: CloudTrailRecord;
}

/** Items added by different builders (benign, incidents) share one sequence space. */
class HourSink {
  readonly items: Item[] = [];
  private seq = 0;

  add(t: number, record: CloudTrailRecord): void {
    this.items.push({ t, seq: this.seq++, record });
  }
}

interface Builder {
  readonly rng: Rng;
  readonly sink: HourSink;
}

const tls = (host: string): Record<string, string> => ({
  tlsVersion: 'TLSv1.3',
  cipherSuite: 'TLS_AES_128_GCM_SHA256',
  clientProvidedHostHeader: host,
});

interface AssumeSpec {
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
  readonly denied?: boolean;
  /** Source address and user agent of the created session's later calls. */
  readonly sessionSourceIp?: string;
  readonly sessionUserAgent?: string;
}

/** An sts:AssumeRole record (caller's copy) and, on success, the session it created. */
function assumeRole(b: Builder, spec: AssumeSpec): { record: CloudTrailRecord; session: Session | null } {
  const { rng } = b;
  const service = spec.caller.kind === 'service';
  const crossAccount = spec.role.account !== ACCOUNT;
  const duration = spec.durationSeconds ?? 3600;
  let session: Session | null = null;
  let requestParameters: Record<string, unknown> | null = null;
  let responseElements: Record<string, unknown> | null = null;
  const error: Record<string, string> = {};
  if (spec.denied) {
    error.errorCode = 'AccessDenied';
    error.errorMessage = `User: ${callerArn(spec.caller)} is not authorized to perform: sts:AssumeRole on resource: ${spec.role.arn}`;
  } else {
    requestParameters = {
      roleArn: spec.role.arn,
      roleSessionName: spec.sessionName,
      ...(spec.durationSeconds !== undefined ? { durationSeconds: spec.durationSeconds } : {}),
      ...(spec.externalId !== undefined ? { externalId: spec.externalId } : {}),
    };
    session = {
      role: spec.role,
      name: spec.sessionName,
      accessKeyId: `ASIA${rng.chars(UPPER_DIGITS, 16)}`,
      createdAt: spec.t,
      sourceIp: spec.sessionSourceIp ?? spec.sourceIp,
      userAgent: spec.sessionUserAgent ?? spec.userAgent,
      region: spec.region,
      lastUse: spec.t,
    };
    const credentials = {
      accessKeyId: session.accessKeyId,
      sessionToken: sessionToken(rng, spec.region),
      expiration: stsExpiration(spec.t + duration * SEC),
    };
    responseElements = service
      ? { credentials }
      : { credentials, assumedRoleUser: { assumedRoleId: `${spec.role.id}:${spec.sessionName}`, arn: sessionArn(session) } };
  }
  const record: CloudTrailRecord = {
    eventVersion: '1.08',
    userIdentity: userIdentity(spec.caller),
    eventTime: isoSeconds(spec.t),
    eventSource: 'sts.amazonaws.com',
    eventName: 'AssumeRole',
    awsRegion: spec.region,
    sourceIPAddress: service ? (spec.caller as { service: string }).service : spec.sourceIp,
    userAgent: service ? (spec.caller as { service: string }).service : spec.userAgent,
    ...error,
    requestParameters,
    responseElements,
    requestID: rng.uuid(),
    eventID: rng.uuid(),
    readOnly: true,
    ...(spec.denied ? {} : { resources: [{ accountId: spec.role.account, type: 'AWS::IAM::Role', ARN: spec.role.arn }] }),
    eventType: 'AwsApiCall',
    managementEvent: true,
    recipientAccountId: ACCOUNT,
    ...((crossAccount || service) && !spec.denied ? { sharedEventID: rng.uuid() } : {}),
    eventCategory: 'Management',
    ...(service ? {} : { tlsDetails: tls(`sts.${spec.region}.amazonaws.com`) }),
  };
  b.sink.add(spec.t, record);
  if (spec.caller.kind === 'session') spec.caller.session.lastUse = Math.max(spec.caller.session.lastUse, spec.t);
  return { record, session };
}

interface CallSpec {
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
  readonly eventVersion?: string;
  readonly readOnly?: boolean;
  readonly s3?: { readonly bytesOut: number; readonly resources?: readonly Record<string, string>[]; readonly data?: boolean };
}

/** Any other API call (session activity, admin work, service noise). */
function apiCall(b: Builder, spec: CallSpec): CloudTrailRecord {
  const { rng } = b;
  const s3 = spec.s3;
  const record: CloudTrailRecord = {
    eventVersion: spec.eventVersion ?? (spec.eventSource === 'sts.amazonaws.com' ? '1.08' : '1.09'),
    userIdentity: userIdentity(spec.caller),
    eventTime: isoSeconds(spec.t),
    eventSource: spec.eventSource,
    eventName: spec.eventName,
    awsRegion: spec.region,
    sourceIPAddress: spec.sourceIp,
    userAgent: s3 ? `[${spec.userAgent}]` : spec.userAgent,
    requestParameters: spec.requestParameters,
    responseElements: null,
    ...(s3
      ? {
          additionalEventData: {
            SignatureVersion: 'SigV4',
            CipherSuite: 'TLS_AES_128_GCM_SHA256',
            bytesTransferredIn: 0,
            AuthenticationMethod: 'AuthHeader',
            'x-amz-id-2': rng.chars(BASE64, 76),
            bytesTransferredOut: s3.bytesOut,
          },
        }
      : {}),
    requestID: s3 ? rng.chars('0123456789ABCDEF', 16) : rng.uuid(),
    eventID: rng.uuid(),
    readOnly: spec.readOnly ?? true,
    ...(s3?.resources ? { resources: s3.resources } : {}),
    eventType: 'AwsApiCall',
    managementEvent: !s3?.data,
    recipientAccountId: ACCOUNT,
    eventCategory: s3?.data ? 'Data' : 'Management',
    ...(spec.host ? { tlsDetails: tls(spec.host) } : {}),
  };
  b.sink.add(spec.t, record);
  if (spec.caller.kind === 'session') spec.caller.session.lastUse = Math.max(spec.caller.session.lastUse, spec.t);
  return record;
}

function getCallerIdentity(b: Builder, t: number, session: Session, overrides: { sourceIp?: string; userAgent?: string } = {}): CloudTrailRecord {
  return apiCall(b, {
    t,
    caller: { kind: 'session', session },
    region: session.region,
    sourceIp: overrides.sourceIp ?? session.sourceIp,
    userAgent: overrides.userAgent ?? session.userAgent,
    eventSource: 'sts.amazonaws.com',
    eventName: 'GetCallerIdentity',
    requestParameters: null,
    host: `sts.${session.region}.amazonaws.com`,
  });
}

// ---------------------------------------------------------------------------------------------
// The world: customers, roles, users
// ---------------------------------------------------------------------------------------------

interface CustomerAccount {
  readonly customer: number;
  readonly account: string;
  readonly region: Region;
  readonly externalId: string;
  readonly role: RoleRef;
  readonly offboarded: boolean;
  /** The customer's second account (shares the external ID). */
  readonly secondary: boolean;
  /** The customer has two accounts. */
  readonly multi: boolean;
}

interface World {
  readonly seed: number;
  readonly accounts: readonly CustomerAccount[];
  readonly byRegion: Readonly<Record<Region, readonly CustomerAccount[]>>;
  readonly outbound: Readonly<Record<Region, RoleRef>>;
  readonly backend: RoleRef;
  readonly reportExporter: RoleRef;
  readonly logShipper: RoleRef;
  readonly configRole: RoleRef;
  readonly instanceRole: RoleRef;
  readonly trustedAdvisor: RoleRef;
  readonly instanceIds: Readonly<Record<Region, string>>;
  readonly opsAdmin: IamUser;
  readonly alice: IamUser;
  readonly taken: ReadonlySet<string>;
}

const MULTI_ACCOUNT_CUSTOMERS = [1, 3];
const OFFBOARDED_CUSTOMER = 5;
/** Smallest customer count for which every incident has distinct customers to use. */
export const MIN_CUSTOMERS = 10;

function buildWorld(seed: number, customers: number): World {
  const rng = rngFor(seed, 'customers');
  const taken = new Set<string>([ACCOUNT]);
  const newAccount = (): string => {
    for (;;) {
      const a = `${1 + rng.int(9)}${rng.chars('0123456789', 11)}`;
      if (!taken.has(a)) {
        taken.add(a);
        return a;
      }
    }
  };
  const accounts: CustomerAccount[] = [];
  for (let i = 0; i < customers; i++) {
    const region: Region = i % 5 < 3 ? 'eu-west-1' : 'us-east-1';
    const externalId = rngFor(seed, 'external-id', i).uuid();
    const multi = MULTI_ACCOUNT_CUSTOMERS.includes(i);
    const n = multi ? 2 : 1;
    for (let k = 0; k < n; k++) {
      const account = newAccount();
      accounts.push({
        customer: i,
        account,
        region,
        externalId,
        role: roleRef(seed, `arn:aws:iam::${account}:role/${SCENARIO.customerRoleName}`),
        offboarded: i === OFFBOARDED_CUSTOMER,
        secondary: k === 1,
        multi,
      });
    }
  }
  const ids = rngFor(seed, 'instances');
  return {
    seed,
    accounts,
    byRegion: {
      'eu-west-1': accounts.filter((a) => a.region === 'eu-west-1'),
      'us-east-1': accounts.filter((a) => a.region === 'us-east-1'),
    },
    outbound: {
      'eu-west-1': roleRef(seed, SCENARIO.outboundRoleArns['eu-west-1']),
      'us-east-1': roleRef(seed, SCENARIO.outboundRoleArns['us-east-1']),
    },
    backend: roleRef(seed, SCENARIO.backendRoleArn),
    reportExporter: roleRef(seed, iamArn('role', 'report-exporter')),
    logShipper: roleRef(seed, iamArn('role', 'service-role/log-shipper-role-k2v9x1qa')),
    configRole: roleRef(seed, iamArn('role', 'aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig')),
    instanceRole: roleRef(seed, iamArn('role', 'bastion-ssm-instance')),
    trustedAdvisor: roleRef(seed, iamArn('role', 'aws-service-role/trustedadvisor.amazonaws.com/AWSServiceRoleForTrustedAdvisor')),
    instanceIds: { 'eu-west-1': `i-0${ids.chars(HEX, 16)}`, 'us-east-1': `i-0${ids.chars(HEX, 16)}` },
    opsAdmin: iamUser(seed, 'ops-admin'),
    alice: iamUser(seed, 'alice'),
    taken,
  };
}

/** Active single-account customers of a region (incident targets that involve no special case). */
const plainAccounts = (world: World, region: Region): CustomerAccount[] =>
  world.byRegion[region].filter((a) => !a.offboarded && !a.multi);

// ---------------------------------------------------------------------------------------------
// Benign traffic of one hour
// ---------------------------------------------------------------------------------------------

interface HourContext {
  readonly world: World;
  readonly seed: number;
  readonly hourStart: number;
  readonly day: number;
  readonly hourOfDay: number;
  readonly weekday: number;
}

/** State of an hour that incidents build on. */
interface BenignHour {
  readonly backendSessions: Readonly<Record<Region, readonly Session[]>>;
  readonly outboundSessions: Readonly<Record<Region, readonly Session[]>>;
  readonly reportExporterSession: Session | null;
}

const ECS_REFRESH_HOURS = 6;

/** The backend task's current session (ECS refreshes task credentials every few hours). */
function backendSession(ctx: HourContext, region: Region, task: number): Session {
  const block = Math.floor(ctx.hourOfDay / ECS_REFRESH_HOURS);
  const taskId = rngFor(ctx.seed, 'task', region, ctx.day, task).mixedHex(32);
  const rng = rngFor(ctx.seed, 'task-credentials', region, ctx.day, task, block);
  const dayStart = ctx.hourStart - ctx.hourOfDay * HOUR;
  const createdAt = dayStart + block * ECS_REFRESH_HOURS * HOUR + (1 + task * 9 + rng.int(8)) * SEC + rng.int(1000);
  return {
    role: ctx.world.backend,
    name: taskId,
    accessKeyId: `ASIA${rng.chars(UPPER_DIGITS, 16)}`,
    createdAt,
    sourceIp: SCENARIO.natGroups[region].eips[task]!,
    userAgent: UA.backend('sts'),
    region,
    lastUse: createdAt,
  };
}

function benignHour(ctx: HourContext, b: Builder): BenignHour {
  const { rng } = b;
  const { world, hourStart: T } = ctx;
  const backendSessions = {} as Record<Region, Session[]>;
  const outboundSessions = {} as Record<Region, Session[]>;
  let reportExporterSession: Session | null = null;

  for (const region of REGIONS) {
    const tasks = [0, 1].map((i) => backendSession(ctx, region, i));
    backendSessions[region] = tasks;
    // ECS delivers fresh task-role credentials: ecs-tasks.amazonaws.com assumes integration-backend.
    if (ctx.hourOfDay % ECS_REFRESH_HOURS === 0) {
      for (const task of tasks) {
        const { record } = assumeRole(b, {
          t: task.createdAt,
          caller: { kind: 'service', service: 'ecs-tasks.amazonaws.com' },
          region,
          sourceIp: 'ecs-tasks.amazonaws.com',
          userAgent: 'ecs-tasks.amazonaws.com',
          role: world.backend,
          sessionName: task.name,
        });
        // Keep the key the tasks actually use in the record (derived independently of the hour's PRNG).
        const credentials = (record.responseElements as { credentials: { accessKeyId: string } }).credentials;
        credentials.accessKeyId = task.accessKeyId;
      }
    }
    // Each task assumes the region's outbound role once an hour.
    const sessions: Session[] = [];
    tasks.forEach((task, i) => {
      const t = T + (25 + i * 12) * SEC + rng.int(10_000);
      const { session } = assumeRole(b, {
        t,
        caller: { kind: 'session', session: task },
        region,
        sourceIp: task.sourceIp,
        userAgent: UA.backend('sts'),
        role: world.outbound[region],
        sessionName: `backend-${rng.mixedHex(8)}`,
        durationSeconds: 3600,
      });
      sessions.push(session!);
      getCallerIdentity(b, t + 800 + rng.int(2500), session!);
    });
    outboundSessions[region] = sessions;

    // Hourly sync: every customer account of the region once, in four waves over the hour
    // (the sync worker drains its queue every 15 minutes), each call jittered.
    const targets = world.byRegion[region];
    const waves = [0, 1, 2, 3].map((w) => T + (60 + w * 900) * SEC + rng.int(240_000));
    const waveSize = Math.ceil(targets.length / 4);
    targets.forEach((target, k) => {
      const w = Math.floor(k / waveSize);
      const t = waves[w]! + (k - w * waveSize) * 4 * SEC + rng.int(6000);
      syncCall(b, t, sessions[k % 2]!, target);
    });
    // Daily full scan, 02:00-02:20 UTC: every account three more times.
    if (ctx.hourOfDay === 2) {
      targets.forEach((target, k) => {
        for (let j = 0; j < 3; j++) syncCall(b, T + 60 * SEC + rng.int(1_140_000), sessions[(k + j) % 2]!, target);
      });
    }
    reportExporterSession = serviceNoise(ctx, b, region) ?? reportExporterSession;
  }
  adminNoise(ctx, b);
  return { backendSessions, outboundSessions, reportExporterSession };
}

/** An outbound session assumes a customer's role the normal way (AccessDenied if it is gone). */
function syncCall(b: Builder, time: number, session: Session, target: CustomerAccount, overrides: Partial<AssumeSpec> = {}): CloudTrailRecord {
  const t = Math.max(time, session.createdAt + 1500);
  return assumeRole(b, {
    t,
    caller: { kind: 'session', session },
    region: session.region,
    sourceIp: session.sourceIp,
    userAgent: UA.backend('sts'),
    role: target.role,
    sessionName: `sync-${Math.floor(t / SEC)}`,
    durationSeconds: 900,
    externalId: target.externalId,
    denied: target.offboarded,
    ...overrides,
  }).record;
}

/** AWS service noise in one region; returns the report-exporter Lambda session if created. */
function serviceNoise(ctx: HourContext, b: Builder, region: Region): Session | null {
  const { rng } = b;
  const { world, hourStart: T, hourOfDay } = ctx;
  let reportExporter: Session | null = null;
  // Lambda cold starts: the function's execution role. report-exporter (us) runs hourly at
  // about :02 on a schedule and starts cold each time; log-shipper (eu) stays warm for hours.
  const exporter = region === 'us-east-1';
  if (exporter || hourOfDay % 4 === 2) {
    const { session } = assumeRole(b, {
      t: exporter ? T + (60 + rng.int(120)) * SEC : T + rng.int(3_500_000),
      caller: { kind: 'service', service: 'lambda.amazonaws.com' },
      region,
      sourceIp: 'lambda.amazonaws.com',
      userAgent: 'lambda.amazonaws.com',
      role: exporter ? world.reportExporter : world.logShipper,
      sessionName: exporter ? 'report-exporter' : 'log-shipper',
      sessionSourceIp: SCENARIO.natGroups[region].eips[1],
      sessionUserAgent: UA.lambda,
    });
    if (exporter) reportExporter = session;
  }
  // AWS Config recorder.
  if (hourOfDay % 3 === 0) {
    assumeRole(b, {
      t: T + rng.int(3_500_000),
      caller: { kind: 'service', service: 'config.amazonaws.com' },
      region,
      sourceIp: 'config.amazonaws.com',
      userAgent: 'config.amazonaws.com',
      role: world.configRole,
      sessionName: 'AWSConfig-Describe',
    });
  }
  // EC2 instance profile credential refresh of the SSM-managed jump instance.
  if (hourOfDay % 6 === 3) {
    assumeRole(b, {
      t: T + rng.int(3_500_000),
      caller: { kind: 'service', service: 'ec2.amazonaws.com' },
      region,
      sourceIp: 'ec2.amazonaws.com',
      userAgent: 'ec2.amazonaws.com',
      role: world.instanceRole,
      sessionName: world.instanceIds[region],
    });
  }
  // Trusted Advisor checks: calls logged with sourceIPAddress "AWS Internal".
  if (hourOfDay % 4 === 1) {
    const t0 = T + rng.int(3_000_000);
    const ta: Session = {
      role: world.trustedAdvisor,
      name: `TrustedAdvisor_${ACCOUNT}_${rng.uuid()}`,
      accessKeyId: `ASIA${rng.chars(UPPER_DIGITS, 16)}`,
      createdAt: t0,
      sourceIp: 'AWS Internal',
      userAgent: 'AWS Internal',
      region,
      lastUse: t0,
    };
    const internal = { kind: 'session' as const, session: ta, invokedBy: 'AWS Internal' };
    apiCall(b, {
      t: t0 + rng.int(5000),
      caller: internal,
      region,
      sourceIp: 'AWS Internal',
      userAgent: 'AWS Internal',
      eventSource: 'ec2.amazonaws.com',
      eventName: 'DescribeSecurityGroups',
      requestParameters: { securityGroupSet: {}, securityGroupIdSet: {}, filterSet: {} },
      host: null,
    });
    if (region === 'us-east-1') {
      apiCall(b, {
        t: t0 + 5000 + rng.int(5000),
        caller: internal,
        region,
        sourceIp: 'AWS Internal',
        userAgent: 'AWS Internal',
        eventSource: 'iam.amazonaws.com',
        eventName: 'GetAccountSummary',
        requestParameters: null,
        host: null,
      });
    }
  }
  return reportExporter;
}

/** ops-admin's CLI work on weekdays 08-18 UTC; touches no monitored role. */
function adminNoise(ctx: HourContext, b: Builder): void {
  const { rng } = b;
  const { world, hourStart: T, hourOfDay, weekday } = ctx;
  if (weekday === 0 || weekday === 6 || hourOfDay < 8 || hourOfDay >= 18) return;
  const caller: Caller = { kind: 'user', user: world.opsAdmin };
  const n = 1 + rng.int(3);
  const bucket = `vendor-reports-eu-${ACCOUNT}`;
  for (let i = 0; i < n; i++) {
    const t = T + rng.int(3_590_000);
    const ip = rng.float() < 0.25 ? SCENARIO.officeIpv6 : SCENARIO.officeIpv4;
    switch (rng.int(4)) {
      case 0:
        apiCall(b, {
          t, caller, region: 'eu-west-1', sourceIp: ip, userAgent: UA.adminCli('ec2.describe-instances'),
          eventSource: 'ec2.amazonaws.com', eventName: 'DescribeInstances',
          requestParameters: { instancesSet: {}, filterSet: {} }, host: 'ec2.eu-west-1.amazonaws.com',
        });
        break;
      case 1: {
        const key = `exports/${isoSeconds(T - DAY).slice(0, 10)}/summary-${rng.int(40)}.csv`;
        apiCall(b, {
          t, caller, region: 'eu-west-1', sourceIp: ip, userAgent: UA.adminCli('s3.cp'),
          eventSource: 's3.amazonaws.com', eventName: 'GetObject',
          requestParameters: { bucketName: bucket, Host: `${bucket}.s3.eu-west-1.amazonaws.com`, key },
          host: `${bucket}.s3.eu-west-1.amazonaws.com`,
          s3: {
            bytesOut: 2000 + rng.int(60_000),
            data: true,
            resources: [
              { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${bucket}/${key}` },
              { accountId: ACCOUNT, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` },
            ],
          },
        });
        break;
      }
      case 2:
        apiCall(b, {
          t, caller, region: 'us-east-1', sourceIp: ip, userAgent: UA.adminCli('s3.ls'),
          eventSource: 's3.amazonaws.com', eventName: 'ListBuckets',
          requestParameters: { Host: 's3.amazonaws.com' }, host: 's3.amazonaws.com',
          s3: { bytesOut: 1800 + rng.int(400) },
        });
        break;
      default:
        apiCall(b, {
          t, caller, region: 'eu-west-1', sourceIp: ip, userAgent: UA.adminCli('logs.describe-log-groups'),
          eventSource: 'logs.amazonaws.com', eventName: 'DescribeLogGroups',
          requestParameters: { logGroupNamePrefix: '/ecs/integration-backend' }, host: 'logs.eu-west-1.amazonaws.com',
        });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Incidents (incident day only)
// ---------------------------------------------------------------------------------------------

/** Incident hours (UTC hour of the incident day), each in its own hour so suppression cannot merge them. */
const INCIDENT_HOURS = {
  humanPrincipal: 9,
  unexpectedCaller: 10,
  sourceIp: 11,
  sessionLocations: 12,
  callVolume: 14,
  sessionName: 15,
  externalIdMissing: 16,
  externalIdConfusion: 18,
  failedAssume: 20,
  region: 21,
} as const;

function incidentsOfHour(ctx: HourContext, b: Builder, benign: BenignHour): IncidentLabel[] {
  const { rng } = b;
  const { world, hourStart: T, hourOfDay } = ctx;
  const eu: Region = 'eu-west-1';
  const us: Region = 'us-east-1';
  const euPlain = plainAccounts(world, eu);
  const usPlain = plainAccounts(world, us);
  const label = (n: number, id: string, detector: string, description: string, records: readonly CloudTrailRecord[]): IncidentLabel => ({
    id: `${String(n).padStart(2, '0')}-${id}`,
    detector,
    description,
    eventIds: records.map((r) => r.eventID),
  });

  switch (hourOfDay) {
    case INCIDENT_HOURS.humanPrincipal: {
      const t = T + (20 * 60 + rng.int(600)) * SEC;
      const { record } = assumeRole(b, {
        t,
        caller: { kind: 'user', user: world.alice },
        region: eu,
        sourceIp: SCENARIO.natGroups[eu].eips[0],
        userAgent: UA.aliceCli,
        role: world.outbound[eu],
        sessionName: 'alice',
        durationSeconds: 3600,
      });
      return [label(1, 'human-principal', 'human-principal',
        `IAM user alice assumes ${world.outbound[eu].arn} with the AWS CLI from a jump host behind nat-eu`, [record])];
    }
    case INCIDENT_HOURS.unexpectedCaller: {
      const lambda = benign.reportExporterSession!;
      const t = Math.max(lambda.createdAt + 20 * SEC, T + (30 * 60 + rng.int(600)) * SEC);
      const { record } = assumeRole(b, {
        t,
        caller: { kind: 'session', session: lambda },
        region: us,
        sourceIp: lambda.sourceIp,
        userAgent: UA.lambda,
        role: world.outbound[us],
        sessionName: `backend-${rng.mixedHex(8)}`,
        durationSeconds: 3600,
      });
      return [label(2, 'unexpected-caller', 'unexpected-caller',
        `The report-exporter Lambda's role session assumes ${world.outbound[us].arn} (not an expected caller) from nat-us`, [record])];
    }
    case INCIDENT_HOURS.sourceIp: {
      const stolen = benign.backendSessions[eu][0]!;
      const t = T + (35 * 60 + rng.int(600)) * SEC;
      const into = assumeRole(b, {
        t,
        caller: { kind: 'session', session: stolen },
        region: eu,
        sourceIp: SCENARIO.attackerIp,
        userAgent: UA.boto3,
        role: world.outbound[eu],
        sessionName: `backend-${rng.mixedHex(8)}`,
        durationSeconds: 3600,
      });
      const target = euPlain[0]!;
      const out = syncCall(b, t + (40 + rng.int(20)) * SEC, into.session!, target, { userAgent: UA.boto3 });
      return [label(3, 'source-ip', 'source-ip',
        `Stolen integration-backend credentials assume ${world.outbound[eu].arn} from ${SCENARIO.attackerIp} (not AWS, not allowed); the new session then assumes customer ${target.account}'s role from there`,
        [into.record, out])];
    }
    case INCIDENT_HOURS.sessionLocations: {
      const session = benign.outboundSessions[us][0]!;
      const t = session.lastUse + (30 + rng.int(20)) * SEC;
      const gci = getCallerIdentity(b, t, session, { sourceIp: SCENARIO.foreignIp, userAgent: UA.boto3 });
      const list = apiCall(b, {
        t: t + (20 + rng.int(15)) * SEC,
        caller: { kind: 'session', session },
        region: us,
        sourceIp: SCENARIO.foreignIp,
        userAgent: UA.boto3,
        eventSource: 's3.amazonaws.com',
        eventName: 'ListBuckets',
        requestParameters: { Host: 's3.amazonaws.com' },
        host: 's3.amazonaws.com',
        s3: { bytesOut: 1900 + rng.int(300) },
      });
      return [label(4, 'session-locations', 'session-locations',
        `Access key ${session.accessKeyId} of outbound-us session ${sessionArn(session)}, used from nat-us, is replayed from ${SCENARIO.foreignIp} (GetCallerIdentity, ListBuckets)`,
        [gci, list])];
    }
    case INCIDENT_HOURS.callVolume: {
      const task = benign.backendSessions[eu][0]!;
      const t = T + (5 + rng.int(10)) * SEC;
      const { session } = assumeRole(b, {
        t,
        caller: { kind: 'session', session: task },
        region: eu,
        sourceIp: task.sourceIp,
        userAgent: UA.backend('sts'),
        role: world.outbound[eu],
        sessionName: `backend-${rng.mixedHex(8)}`,
        durationSeconds: 3600,
      });
      getCallerIdentity(b, t + 1500, session!);
      const targets = world.byRegion[eu].filter((a) => !a.offboarded);
      // 600 at the default size; more for large customer counts so it still dwarfs the daily scan.
      const calls = Math.max(600, targets.length * 4 * 6);
      const records: CloudTrailRecord[] = [];
      for (let i = 0; i < calls; i++) {
        const at = t + 20 * SEC + Math.floor((i / calls) * 570 * SEC) + rng.int(1000);
        records.push(syncCall(b, at, session!, targets[i % targets.length]!));
      }
      return [label(5, 'call-volume', 'call-volume',
        `One outbound-eu session assumes ${calls} customer roles (${targets.length} accounts, cycled) within 10 minutes from 14:00`, records)];
    }
    case INCIDENT_HOURS.sessionName: {
      const session = benign.outboundSessions[us][0]!;
      const target = usPlain[0]!;
      const t = T + (25 * 60 + rng.int(600)) * SEC;
      const record = syncCall(b, t, session, target, { sessionName: 'aws-go-sdk-1722511821294449000', userAgent: UA.goSdk });
      return [label(6, 'session-name', 'session-name',
        `An outbound-us session assumes customer ${target.account}'s role with the Go SDK's default session name (a shape never seen for the role)`, [record])];
    }
    case INCIDENT_HOURS.externalIdMissing: {
      const session = benign.outboundSessions[eu][1]!;
      const target = euPlain[1]!;
      const t = T + (20 * 60 + rng.int(600)) * SEC;
      const record = syncCall(b, t, session, target, { externalId: undefined });
      return [label(7, 'external-id-missing', 'external-id',
        `An outbound-eu session assumes customer ${target.account}'s role without an external ID, and it succeeds`, [record])];
    }
    case INCIDENT_HOURS.externalIdConfusion: {
      const session = benign.outboundSessions[us][1]!;
      const a = usPlain[1]!;
      const victim = usPlain[2]!;
      const t = T + (20 * 60 + rng.int(600)) * SEC;
      const record = syncCall(b, t, session, victim, { externalId: a.externalId });
      return [label(8, 'external-id-tenant-confusion', 'external-id',
        `An outbound-us session assumes customer ${victim.account}'s role with customer ${a.account}'s external ID (tenant confusion), and it succeeds`, [record])];
    }
    case INCIDENT_HOURS.failedAssume: {
      const session = benign.outboundSessions[us][0]!;
      const t0 = T + (30 * 60 + rng.int(60)) * SEC;
      const records: CloudTrailRecord[] = [];
      const seen = new Set(world.taken);
      for (let i = 0; i < 25; i++) {
        let account: string;
        do account = `${1 + rng.int(9)}${rng.chars('0123456789', 11)}`;
        while (seen.has(account));
        seen.add(account);
        const role = roleRef(world.seed, `arn:aws:iam::${account}:role/${SCENARIO.customerRoleName}`);
        const at = t0 + Math.floor((i / 25) * 270 * SEC) + rng.int(5000);
        records.push(assumeRole(b, {
          t: at,
          caller: { kind: 'session', session },
          region: us,
          sourceIp: session.sourceIp,
          userAgent: UA.backend('sts'),
          role,
          sessionName: `sync-${Math.floor(at / SEC)}`,
          durationSeconds: 900,
          externalId: rng.uuid(),
          denied: true,
        }).record);
      }
      return [label(9, 'failed-assume', 'failed-assume',
        'An outbound-us session gets AccessDenied on VendorIntegrationRole in 25 unknown accounts within 5 minutes (probing)', records)];
    }
    case INCIDENT_HOURS.region: {
      const session = benign.outboundSessions[eu][1]!;
      const target = euPlain[2]!;
      const t = T + (40 * 60 + rng.int(600)) * SEC;
      const record = syncCall(b, t, { ...session, region: us }, target);
      session.lastUse = Math.max(session.lastUse, t);
      return [label(10, 'region', 'region',
        `An outbound-eu session assumes eu customer ${target.account}'s role through the us-east-1 STS endpoint`, [record])];
    }
    default:
      return [];
  }
}

// ---------------------------------------------------------------------------------------------
// The corpus
// ---------------------------------------------------------------------------------------------

interface Resolved {
  readonly seed: number;
  readonly start: number;
  readonly hours: number;
  readonly customers: number;
  readonly incidents: boolean;
  readonly incidentDay: number | null;
  readonly maxRecords: number;
}

function resolveOptions(options: GenerateOptions): Resolved {
  const seed = options.seed ?? DEFAULT_OPTIONS.seed;
  if (!Number.isSafeInteger(seed)) throw new Error(`seed: ${seed} is not an integer`);
  const startText = options.start ?? DEFAULT_OPTIONS.start;
  const parsed = Date.parse(startText);
  if (Number.isNaN(parsed)) throw new Error(`start: ${JSON.stringify(startText)} is not an ISO 8601 time`);
  const start = Math.floor(parsed / HOUR) * HOUR;
  const customers = options.customers ?? DEFAULT_OPTIONS.customers;
  if (!Number.isInteger(customers) || customers < MIN_CUSTOMERS || customers > 100_000) {
    throw new Error(`customers: ${customers} must be an integer from ${MIN_CUSTOMERS} to 100000`);
  }
  const maxRecords = options.maxRecords ?? Infinity;
  if (maxRecords !== Infinity && (!Number.isInteger(maxRecords) || maxRecords < 1)) throw new Error(`records: ${maxRecords} must be a positive integer`);
  let days: number;
  if (options.days !== undefined) {
    if (!Number.isInteger(options.days) || options.days < 1 || options.days > 3660) throw new Error(`days: ${options.days} must be an integer from 1 to 3660`);
    days = options.days;
  } else {
    days = maxRecords === Infinity ? DEFAULT_OPTIONS.days : Infinity;
  }
  const incidents = options.incidents ?? DEFAULT_OPTIONS.incidents;
  // Incidents go on the last day; an open-ended (record-limited) run puts them on the first day after learning.
  const day = days === Infinity ? SCENARIO.learningPeriodDays : days - 1;
  return {
    seed,
    start,
    hours: days * 24,
    customers,
    incidents,
    incidentDay: incidents && day >= SCENARIO.learningPeriodDays ? day : null,
    maxRecords,
  };
}

/**
 * The corpus, record by record in event-time order (generated one hour at a time; within a
 * second, in causal order). The generator's return value summarises the run and carries the
 * incident labels (only event IDs that were emitted).
 */
export function* generateCorpus(options: GenerateOptions = {}): Generator<CloudTrailRecord, CorpusSummary, undefined> {
  const o = resolveOptions(options);
  const world = buildWorld(o.seed, o.customers);
  const labels: IncidentLabel[] = [];
  const byRegion: Record<string, number> = {};
  let count = 0;
  let hour = 0;
  let cut = false;
  for (; hour < o.hours && !cut; hour++) {
    const hourStart = o.start + hour * HOUR;
    const date = new Date(hourStart);
    const ctx: HourContext = {
      world,
      seed: o.seed,
      hourStart,
      day: Math.floor(hour / 24),
      hourOfDay: date.getUTCHours(),
      weekday: date.getUTCDay(),
    };
    const sink = new HourSink();
    const benign = benignHour(ctx, { rng: rngFor(o.seed, 'hour', hour), sink });
    let hourLabels: IncidentLabel[] = [];
    if (o.incidentDay !== null && ctx.day === o.incidentDay) {
      hourLabels = incidentsOfHour(ctx, { rng: rngFor(o.seed, 'incident', hour), sink }, benign);
    }
    const items = sink.items.sort((x, y) => x.t - y.t || x.seq - y.seq);
    const emitted = new Set<string>();
    for (const item of items) {
      if (count >= o.maxRecords) {
        cut = true;
        break;
      }
      count++;
      byRegion[item.record.awsRegion] = (byRegion[item.record.awsRegion] ?? 0) + 1;
      if (hourLabels.length > 0) emitted.add(item.record.eventID);
      yield item.record;
    }
    for (const l of hourLabels) {
      const eventIds = l.eventIds.filter((id) => emitted.has(id));
      if (eventIds.length > 0) labels.push({ ...l, eventIds });
    }
    if (count >= o.maxRecords) cut = true;
  }
  let note: string | null = null;
  if (o.incidents && o.incidentDay === null) note = `no incidents: they need at least ${SCENARIO.learningPeriodDays + 1} days (learning period ${SCENARIO.learningPeriodDays} days)`;
  else if (o.incidents && labels.length < 10) note = `${10 - labels.length} of 10 incidents not emitted (record limit reached first)`;
  return {
    records: count,
    recordsByRegion: byRegion,
    hours: hour,
    start: isoSeconds(o.start),
    end: isoSeconds(o.start + hour * HOUR),
    labels,
    note,
  };
}

// ---------------------------------------------------------------------------------------------
// Writing the S3 layout
// ---------------------------------------------------------------------------------------------

const FILE_MINUTES = 5;
const FILE_MS = FILE_MINUTES * 60 * SEC;

/** Path (relative to outDir) of a CloudTrail log file as delivered to S3. */
export const LOG_FILE_PATTERN =
  /^AWSLogs\/(\d{12})\/CloudTrail\/([a-z]{2}(?:-[a-z]+)+-\d)\/(\d{4})\/(\d{2})\/(\d{2})\/\1_CloudTrail_\2_(\d{8}T\d{4}Z)_[A-Za-z0-9]{16}\.json\.gz$/;

function logFilePath(seed: number, region: string, bucketStart: number): string {
  // Named by delivery time (end of the 5-minute batch), as CloudTrail does.
  const delivered = new Date(bucketStart + FILE_MS).toISOString();
  const [y, mo, d] = [delivered.slice(0, 4), delivered.slice(5, 7), delivered.slice(8, 10)];
  const stamp = `${y}${mo}${d}T${delivered.slice(11, 13)}${delivered.slice(14, 16)}Z`;
  const suffix = rngFor(seed, 'file', region, bucketStart).chars(ALNUM, 16);
  return path.posix.join('AWSLogs', ACCOUNT, 'CloudTrail', region, y, mo, d, `${ACCOUNT}_CloudTrail_${region}_${stamp}_${suffix}.json.gz`);
}

/** Deletes log files a previous run wrote (same account, generator's naming), nothing else. */
async function removePreviousOutput(outDir: string): Promise<void> {
  const root = path.join(outDir, 'AWSLogs', ACCOUNT, 'CloudTrail');
  const walk = async (dir: string): Promise<boolean> => {
    let entries;
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return false;
    }
    let empty = true;
    for (const e of entries) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (await walk(full)) await fs.rmdir(full);
        else empty = false;
      } else if (LOG_FILE_PATTERN.test(path.relative(outDir, full).split(path.sep).join('/'))) {
        await fs.unlink(full);
      } else {
        empty = false;
      }
    }
    return empty;
  };
  await walk(root);
}

/**
 * Writes the corpus as CloudTrail delivers it to S3 (one gzip `{"Records":[...]}` file per
 * region per 5 minutes under `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/`), plus
 * `config.json` (engine configuration) and `labels.json` (incidents). Streams: holds one
 * 5-minute batch per region. Replaces log files of a previous run in the same directory.
 */
export async function writeCorpus(outDir: string, options: GenerateOptions = {}): Promise<WriteSummary> {
  const seed = options.seed ?? DEFAULT_OPTIONS.seed;
  await fs.mkdir(outDir, { recursive: true });
  await removePreviousOutput(outDir);
  const batches = new Map<string, { key: string; lines: string[] }>();
  const dirs = new Set<string>();
  let files = 0;
  let bytes = 0;
  // Compression runs on the libuv pool; a few files in flight keep memory bounded.
  const inFlight = new Set<Promise<void>>();
  let failure: unknown = null;
  const flush = async (region: string, batch: { key: string; lines: string[] }): Promise<void> => {
    const rel = logFilePath(seed, region, Date.parse(`${batch.key}:00Z`));
    const full = path.join(outDir, ...rel.split('/'));
    const dir = path.dirname(full);
    if (!dirs.has(dir)) {
      dirs.add(dir);
      await fs.mkdir(dir, { recursive: true });
    }
    const json = `{"Records":[${batch.lines.join(',')}]}`;
    const job = gzipAsync(Buffer.from(json, 'utf8'))
      .then(async (body) => {
        await fs.writeFile(full, body);
        files++;
        bytes += body.length;
      })
      .catch((e: unknown) => {
        failure ??= e;
      });
    const tracked = job.finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
    if (inFlight.size >= 8) await Promise.race(inFlight);
    if (failure !== null) throw failure;
  };
  const gen = generateCorpus(options);
  let step = gen.next();
  while (!step.done) {
    const record = step.value;
    // 5-minute batch of the event time: "YYYY-MM-DDTHH:M" + "0" or "5".
    const t = record.eventTime;
    const key = `${t.slice(0, 15)}${t[15]! < '5' ? '0' : '5'}`;
    const batch = batches.get(record.awsRegion);
    if (batch && batch.key !== key) {
      await flush(record.awsRegion, batch);
      batches.delete(record.awsRegion);
    }
    const current = batches.get(record.awsRegion) ?? { key, lines: [] };
    current.lines.push(JSON.stringify(record));
    batches.set(record.awsRegion, current);
    step = gen.next();
  }
  for (const region of [...batches.keys()].sort()) await flush(region, batches.get(region)!);
  await Promise.all(inFlight);
  if (failure !== null) throw failure;
  const summary = step.value;
  await fs.writeFile(path.join(outDir, 'config.json'), `${JSON.stringify(scenarioConfig(), null, 2)}\n`);
  await fs.writeFile(path.join(outDir, 'labels.json'), `${JSON.stringify(summary.labels, null, 2)}\n`);
  return { ...summary, outDir, files, bytes };
}

// ---------------------------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------------------------

const USAGE = `usage: generate <outDir> [--days N] [--customers N] [--seed N] [--start ISO] [--no-incidents] [--records N]

Writes deterministic CloudTrail logs of the scenario's bastion account (${ACCOUNT}) in the S3
layout, with config.json and labels.json. Defaults: --start ${DEFAULT_OPTIONS.start} --days ${DEFAULT_OPTIONS.days}
--customers ${DEFAULT_OPTIONS.customers} --seed ${DEFAULT_OPTIONS.seed}. --records N stops after N records (days
unbounded unless --days is given), for benchmarks.`;

/** Parses `generate` arguments; throws with a usage message on bad input. */
export function parseArgs(argv: readonly string[]): { outDir: string; options: GenerateOptions } {
  const args = argv[0] === 'generate' ? argv.slice(1) : [...argv];
  let outDir: string | undefined;
  const options: { -readonly [K in keyof GenerateOptions]: GenerateOptions[K] } = {};
  const int = (flag: string, value: string | undefined): number => {
    if (value === undefined || !/^-?\d+$/.test(value)) throw new Error(`${flag} needs an integer, got ${value === undefined ? 'nothing' : JSON.stringify(value)}`);
    return Number(value);
  };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string | undefined => inline ?? args[++i];
    switch (flag) {
      case '--days': options.days = int(flag, value()); break;
      case '--customers': options.customers = int(flag, value()); break;
      case '--seed': options.seed = int(flag, value()); break;
      case '--records': options.maxRecords = int(flag, value()); break;
      case '--start': {
        const v = value();
        if (v === undefined) throw new Error('--start needs an ISO 8601 time');
        options.start = v;
        break;
      }
      case '--no-incidents': options.incidents = false; break;
      default:
        if (flag.startsWith('-')) throw new Error(`unknown option ${flag}`);
        if (outDir !== undefined) throw new Error(`unexpected argument ${JSON.stringify(arg)}`);
        outDir = arg;
    }
  }
  if (outDir === undefined) throw new Error('missing <outDir>');
  return { outDir, options };
}

/** CLI entry: `generate <outDir> [...]`. Prints a summary to stderr; resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stderr.write(`${USAGE}\n`);
    return 0;
  }
  let parsed;
  try {
    parsed = parseArgs(argv);
    resolveOptions(parsed.options);
  } catch (err) {
    process.stderr.write(`generate: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const s = await writeCorpus(parsed.outDir, parsed.options);
  const regions = Object.entries(s.recordsByRegion).map(([r, n]) => `${r} ${n}`).join(', ');
  process.stderr.write(
    `generate: ${s.files} files, ${s.records} records (${regions}), ${(s.bytes / 1024).toFixed(0)} KiB gzip, ` +
      `${s.labels.length} incidents, ${s.start} to ${s.end}, seed ${parsed.options.seed ?? DEFAULT_OPTIONS.seed} -> ${s.outDir}\n` +
      (s.note ? `generate: note: ${s.note}\n` : ''),
  );
  return 0;
}
