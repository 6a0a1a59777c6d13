/**
 * Detection configuration: the keys a vendor tunes, with their types, defaults and checks.
 * The CDK app (as context), the Lambda (from its environment) and `replay --config` all go
 * through {@link resolveConfig}, so one key means the same thing everywhere.
 */
import { lazyAwsIpRanges, type AwsRangeLookup } from './aws-ip-ranges';
import { CidrSet, parseCidr, type Cidr } from './ip';
import { closest, isRegionName, parseJsonOr, show, toList } from './config-values';
import { ARN_PATTERN, glob, globList } from './arn-patterns';
import { checkDetectors, compileDetectors, DETECTORS_TYPE, type CompiledDetectorSettings, type CompiledException, type DetectorSettings } from './detector-settings';
import { firstMatch, namePatternProblem, NAME_PATTERN_SYNTAX, wholeNameMatcher, type NameMatcher } from './name-patterns';
import { SEVERITIES, type Severity } from './types';
import { memoize } from './memo';
import type { CustomerRegistry } from './customer-registry';

/** Group name → CIDRs, as `allowedCidrs` holds them and as a published allow-list is read. */
export type AllowedCidrGroups = Readonly<Record<string, readonly string[]>>;

/** Validated, defaulted configuration handed to the engine and detectors. */
export interface EngineConfig {
  readonly monitoredRoleArns: readonly string[];
  readonly expectedCallerArns: readonly string[];
  readonly roleCheckerArns: readonly string[];
  readonly humanRoleArnPatterns: readonly string[];
  /** Group name → CIDRs. A plain list in the input becomes the single group `allowed`. */
  readonly allowedCidrs: AllowedCidrGroups;
  readonly allowedCidrsSource: string | null;
  readonly allowedCidrsRefreshMinutes: number;
  readonly allowedCidrsMaxAgeHours: number;
  readonly sessionNamePattern: string | null;
  readonly volumeWindowMinutes: number;
  readonly volumeMaxCalls: number;
  readonly volumeMaxTargetAccounts: number;
  readonly volumeSpikeFactor: number;
  readonly volumeSpikeMinCalls: number;
  readonly learningPeriodDays: number;
  readonly requireExternalId: boolean;
  readonly pivotRoleNamePatterns: readonly string[];
  readonly pivotRoleNameExceptions: readonly string[];
  readonly roleRegions: Readonly<Record<string, readonly string[]>>;
  readonly failedAssumeMaxCalls: number;
  readonly failedAssumeWindowMinutes: number;
  readonly failedAssumeDailyMaxCalls: number;
  readonly maxSessionDurationSeconds: number | null;
  readonly requireSessionPolicy: boolean;
  readonly allowedSessionPolicyArns: readonly string[];
  readonly customerRegistry: string | null;
  readonly customerRegistryRefreshMinutes: number;
  readonly customerRegistryMaxAgeHours: number;
  readonly suppressionMinutes: number;
  readonly minAlertSeverity: Severity;
  /** Per-detector settings by detector id: on or off, a severity floor, exceptions. */
  readonly detectors: Readonly<Record<string, DetectorSettings>>;
}

/** The config plus matchers compiled once (patterns, CIDR sets). */
export interface CompiledConfig extends EngineConfig {
  readonly isMonitoredRole: (arn: string | null) => boolean;
  readonly isExpectedCaller: (identities: readonly string[]) => boolean;
  /** The first of a caller's identities `roleCheckerArns` matches, or null: the principal that runs the role checker. */
  readonly roleCheckerOf: (identities: readonly string[]) => string | null;
  readonly isHumanRole: (arn: string | null) => boolean;
  /** Allowed CIDR group of an address, if any: the group of its longest matching prefix, static and published lists together. */
  readonly allowedGroups: CidrSet;
  readonly hasAllowList: boolean;
  /** `sessionNamePattern` as a whole-name matcher (RE2: linear in the name), or null. */
  readonly sessionNameRegex: NameMatcher | null;
  /** The first of `pivotRoleNamePatterns` a role name (no path) matches, or null (also when `pivotRoleNameExceptions` exempts it). */
  readonly pivotRoleNamePattern: (roleName: string) => string | null;
  /** Regions a role may be used in, or undefined when unrestricted. */
  readonly regionsOf: (roleArn: string) => readonly string[] | undefined;
  /** Whether a managed session policy is in `allowedSessionPolicyArns` (true for any while the list is empty). */
  readonly isAllowedSessionPolicyArn: (arn: string) => boolean;
  /** AWS's published ranges, to tell AWS addresses from the rest of the internet. */
  readonly awsIpRanges: AwsRangeLookup;
  /**
   * The customer registry's last good copy, or null: none configured, or none read yet (then
   * its checks are skipped, never raised on every call). The Lambda and replay attach it with
   * {@link withCustomerRegistry}.
   */
  readonly customers: CustomerRegistry | null;
  /**
   * The published allow-list's last good copy (`allowedCidrsSource`), or null: merged with
   * `allowedCidrs` into {@link allowedGroups} by {@link withAllowedCidrs}.
   */
  readonly publishedCidrs: AllowedCidrGroups | null;
  /** A detector's settings (`detectors`): on or off, its severity floor (else `minAlertSeverity`), its exceptions. */
  readonly detectorSettings: (detectorId: string) => CompiledDetectorSettings;
  /** Every configured exception, in configuration order (for expiry reports). */
  readonly detectorExceptions: readonly CompiledException[];
}

/** The configuration with a registry copy attached (the same object when it is already that copy). */
export function withCustomerRegistry(config: CompiledConfig, customers: CustomerRegistry | null): CompiledConfig {
  return config.customers === customers ? config : { ...config, customers };
}

/** The compiled configurations per published copy, per base configuration: a batch with the same copy reuses its matchers. */
const withCidrsCache = new WeakMap<CompiledConfig, WeakMap<AllowedCidrGroups, CompiledConfig>>();

/**
 * The configuration with a published allow-list merged (union) into `allowedCidrs`: only the
 * allow-list's matchers are compiled again, once per copy (the same object for the same copy).
 */
export function withAllowedCidrs(config: CompiledConfig, published: AllowedCidrGroups | null): CompiledConfig {
  if (config.publishedCidrs === published) return config;
  if (published === null) return { ...config, publishedCidrs: null, ...compileAllowList(config.allowedCidrs, null) };
  let byCopy = withCidrsCache.get(config);
  if (byCopy === undefined) withCidrsCache.set(config, (byCopy = new WeakMap()));
  let merged = byCopy.get(published);
  if (merged === undefined) byCopy.set(published, (merged = { ...config, publishedCidrs: published, ...compileAllowList(config.allowedCidrs, published) }));
  return merged;
}

/**
 * The allow-list's matchers. An address takes the group of its longest matching prefix (the
 * index keeps the innermost block); a block listed in two groups keeps the first: the static
 * list's before the published one's.
 */
function compileAllowList(fixed: AllowedCidrGroups, published: AllowedCidrGroups | null): Pick<CompiledConfig, 'allowedGroups' | 'hasAllowList'> {
  const groups: { cidr: Cidr; label: string }[] = [];
  for (const list of published === null ? [fixed] : [fixed, published]) {
    for (const [label, cidrs] of Object.entries(list)) {
      for (const text of cidrs) {
        const cidr = parseCidr(text);
        if (cidr !== null) groups.push({ cidr, label });
      }
    }
  }
  return { allowedGroups: new CidrSet(groups), hasAllowList: groups.length > 0 };
}

/** An S3 object URL as `customerRegistry` takes it in the Lambda. */
export const S3_OBJECT_URL = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/;

/** The bucket and key of an `s3://bucket/key` URL, or null when the value is not one. */
export function parseS3Url(value: string): { bucket: string; key: string } | null {
  const match = S3_OBJECT_URL.exec(value);
  return match ? { bucket: match[1]!, key: match[2]! } : null;
}

type Kind = 'arnList' | 'cidrs' | 'regex' | 'regexList' | 'int' | 'number' | 'boolean' | 'severity' | 'roleRegions' | 'policyArnList' | 'objectSource' | 'detectors';

/** One configuration key: its form, default and meaning (the README table is generated from this). */
export interface ConfigKeySpec {
  readonly name: keyof EngineConfig;
  readonly kind: Kind;
  readonly type: string;
  readonly default: unknown;
  readonly min?: number;
  readonly max?: number;
  readonly required?: boolean;
  readonly description: string;
}

/** The default `pivotRoleNamePatterns`: roles built to administer an account from outside it. */
const DEFAULT_PIVOT_ROLE_NAMES: readonly string[] = ['OrganizationAccountAccessRole', 'AWSControlTowerExecution', 'AWSCloudFormationStackSetExecutionRole', 'stacksets-exec-.*', 'AWSAFTExecution', '.*admin.*'];

/** Every engine configuration key. */
export const CONFIG_KEYS: readonly ConfigKeySpec[] = [
  { name: 'monitoredRoleArns', kind: 'arnList', type: 'ARN pattern[]', default: [], required: true,
    description: 'The outbound integration roles to watch. `*` matches any characters.' },
  { name: 'expectedCallerArns', kind: 'arnList', type: 'ARN pattern[]', default: [],
    description: 'Principals allowed to assume a monitored role: a role ARN covers its sessions; `arn:aws:iam::<account>:root` covers the whole account. Empty: unexpected-caller stays silent.' },
  { name: 'roleCheckerArns', kind: 'arnList', type: 'ARN pattern[]', default: [],
    description: 'The principals that run `assumerole-watch check-role --live` (an onboarding service, a CI role): an outbound session one of them opened is the role checker\'s, recognised by the access key the AssumeRole into the outbound role issued it (a session name proves nothing: the caller picks it). Its deliberate probe calls (customer roles refused for a missing or wrong external ID, its own session names and client, its run through every customer) are neither counted nor alerted; anything else its sessions do alerts as usual, titled "made by the role checker" (a customer role that accepted no external ID is a true finding whoever found it). They are expected callers of the monitored roles too.' },
  { name: 'humanRoleArnPatterns', kind: 'arnList', type: 'ARN pattern[]', default: [],
    description: 'Roles whose sessions are people (break-glass, admin). `AWSReservedSSO_*` roles always count as human.' },
  { name: 'allowedCidrs', kind: 'cidrs', type: 'CIDR[] or {group: CIDR[]}', default: {},
    description: 'The vendor\'s egress addresses (NAT gateways, VPC ranges). Named groups are locations for session-locations; a plain list is one group `allowed`.' },
  { name: 'allowedCidrsSource', kind: 'objectSource', type: 's3://bucket/key | path | null', default: null,
    description: 'More of the vendor\'s egress addresses, published by its own pipeline (e.g. `aws s3 cp egress.json s3://bucket/key`): JSON, either what `allowedCidrs` takes or a ranges document `{"<group>": {"prefixes_ipv4": [...], "prefixes_ipv6": [...]}}` (other keys, like `version`, are skipped). Merged with `allowedCidrs` (union; an address belongs to the group of its longest matching prefix). In the Lambda an `s3://bucket/key` object, read at cold start and re-read every `allowedCidrsRefreshMinutes` (the function may read that object only; the last good copy is kept, and without one `allowedCidrs` alone applies); in replay a path relative to the config file. A bad entry is reported and the rest used. null: `allowedCidrs` only.' },
  { name: 'allowedCidrsRefreshMinutes', kind: 'int', type: 'integer', default: 15, min: 1, max: 1440,
    description: 'How often the Lambda re-reads `allowedCidrsSource` (a conditional GET on its ETag).' },
  { name: 'allowedCidrsMaxAgeHours', kind: 'int', type: 'integer', default: 24, min: 1, max: 8760,
    description: 'Alarm when the Lambda\'s last good copy of `allowedCidrsSource` is older than this (reads failing, or none since a cold start: `allowedCidrs` alone then applies).' },
  { name: 'sessionNamePattern', kind: 'regex', type: 'RE2 regex | null', default: null,
    description: 'Role session names must match this (whole name; a name longer than STS allows, 64 characters, never matches). RE2 syntax (run in time linear in the name): no lookaround, no backreferences.' },
  { name: 'volumeWindowMinutes', kind: 'int', type: 'integer', default: 60, min: 1, max: 1440,
    description: 'Window for call-volume counting (sliding over two fixed windows).' },
  { name: 'volumeMaxCalls', kind: 'int', type: 'integer', default: 1000, min: 1, max: 10_000_000,
    description: 'Hard ceiling of AssumeRole calls by one monitored role per window.' },
  { name: 'volumeMaxTargetAccounts', kind: 'int', type: 'integer', default: 500, min: 1, max: 100_000,
    description: 'Hard ceiling of distinct customer accounts one monitored role assumes into per window.' },
  { name: 'volumeSpikeFactor', kind: 'number', type: 'number', default: 3, min: 1.1, max: 1000,
    description: 'After learning, alert when a window exceeds the learned peak window by this factor (failed-assume judges a role\'s denied calls per day by it too).' },
  { name: 'volumeSpikeMinCalls', kind: 'int', type: 'integer', default: 50, min: 1, max: 10_000_000,
    description: 'A spike needs at least this many calls in the window (quiet roles do not alert on 2 → 7).' },
  { name: 'learningPeriodDays', kind: 'number', type: 'number', default: 7, min: 0, max: 90,
    description: 'Days from the first call seen for a role before baselines and learned shapes are used.' },
  { name: 'requireExternalId', kind: 'boolean', type: 'boolean', default: true,
    description: 'Cross-account assumptions by a monitored role must carry an external ID.' },
  { name: 'pivotRoleNamePatterns', kind: 'regexList', type: 'RE2 regex[]', default: DEFAULT_PIVOT_ROLE_NAMES,
    description: 'Role names a monitored role\'s session has no business assuming in any account: organisation access, Control Tower, StackSets and AFT execution roles, and any name containing `admin` (target-role rates assuming one, or trying to, high). Each pattern matches the whole name (the part after the ARN\'s last `/`: the path is no part of a role\'s identity), case-insensitively (IAM role names are unique regardless of case); a name longer than IAM allows (64) never matches. RE2 syntax: no lookaround, no backreferences. If your own customer role matches, list it in `pivotRoleNameExceptions`. A JSON list (commas may be part of a pattern); `[]` turns the check off.' },
  { name: 'pivotRoleNameExceptions', kind: 'regexList', type: 'RE2 regex[]', default: [],
    description: 'Role names exempt from `pivotRoleNamePatterns`: your own customer role when its name matches one, e.g. `AdminReadOnlyIntegration` (a plain name is a pattern that matches only itself). Each matches the whole name, case-insensitively, as `pivotRoleNamePatterns` do; an exempt name is judged as any other role (learned shapes, the customer registry).' },
  { name: 'roleRegions', kind: 'roleRegions', type: '{ARN pattern: region | region[]}', default: {},
    description: 'Regional outbound roles and the regions they may be used in (regional STS endpoints; the global endpoint logs in us-east-1).' },
  { name: 'failedAssumeMaxCalls', kind: 'int', type: 'integer', default: 10, min: 1, max: 1_000_000,
    description: 'Failed AssumeRole calls by one caller (from or against a monitored role) per window before alerting.' },
  { name: 'failedAssumeWindowMinutes', kind: 'int', type: 'integer', default: 15, min: 1, max: 1440,
    description: 'Window for failed-assume counting.' },
  { name: 'failedAssumeDailyMaxCalls', kind: 'int', type: 'integer', default: 50, min: 1, max: 1_000_000,
    description: 'Denied AssumeRole calls by one monitored role\'s sessions (all of them: a prober rotates sessions) in one UTC day before failed-assume alerts, however slowly they came. After learning, a day over `volumeSpikeFactor` times the role\'s busiest denied day of the previous 7 (and at least `failedAssumeMaxCalls`) alerts too, so daily denials for offboarded customers stay quiet.' },
  { name: 'maxSessionDurationSeconds', kind: 'int', type: 'integer | null', default: null, min: 900, max: 43_200,
    description: 'Longest session (`DurationSeconds`; 3600 when a request has none) a call into or out of a monitored role may ask for; session-request rates a longer one high, refused requests included. null: only the learned maximum is checked. Chained role sessions (a role session assuming a role, as the backend does) cannot exceed 3600.' },
  { name: 'requireSessionPolicy', kind: 'boolean', type: 'boolean', default: false,
    description: 'Calls out of a monitored role must pass a session policy (`Policy` or `PolicyArns`); session-request rates one without high.' },
  { name: 'allowedSessionPolicyArns', kind: 'policyArnList', type: 'ARN pattern[]', default: [],
    description: 'Managed session policies (`PolicyArns`) calls out of a monitored role may pass; session-request rates any other high. `*` matches any characters. Empty: not enforced.' },
  { name: 'customerRegistry', kind: 'objectSource', type: 's3://bucket/key | path | null', default: null,
    description: 'The vendor\'s customer registry (JSON Lines: tenantId, accountId, roleArn, externalIdSha256; see docs/customer-registry.md). In the Lambda an `s3://bucket/key` object, read at cold start and re-read every `customerRegistryRefreshMinutes` (the function may read that object only); in replay a path relative to the config file. With it, target-role rates a role in an unregistered account or an unregistered role high, and external-id an unregistered external ID or an account two tenants registered. null: those checks are learned instead.' },
  { name: 'customerRegistryRefreshMinutes', kind: 'int', type: 'integer', default: 15, min: 1, max: 1440,
    description: 'How often the Lambda re-reads the customer registry (a conditional GET on its ETag); an unknown account, role or external ID makes it look again at most once a minute, so a customer onboarded a minute ago is known.' },
  { name: 'customerRegistryMaxAgeHours', kind: 'int', type: 'integer', default: 24, min: 1, max: 8760,
    description: 'Alarm when the Lambda\'s last good copy of the customer registry is older than this (reads failing, or none since a cold start: the registry checks are then skipped).' },
  { name: 'suppressionMinutes', kind: 'int', type: 'integer', default: 60, min: 0, max: 43_200,
    description: 'Findings with the same dedup key within this many minutes (event time) give one alert.' },
  { name: 'minAlertSeverity', kind: 'severity', type: 'low|medium|high|critical', default: 'medium',
    description: 'Findings below this severity are counted but not alerted.' },
  { name: 'detectors', kind: 'detectors', type: DETECTORS_TYPE, default: {},
    description: 'Per detector (by id): `enabled` (default true; false runs it not at all: no findings, no state), `minSeverity` (its own floor instead of `minAlertSeverity`), and `exceptions`: traffic the vendor accepts, whose findings are counted but not alerted. Each exception has an `id` (unique within the detector), a `reason`, an `expires` (ISO-8601 date, meaning that day 00:00 UTC, or date-time with Z or an offset; it applies to events before then, judged by event time) and at least one matcher, all of which must match the call: `principal` (ARN pattern; a role ARN covers its sessions, as in `expectedCallerArns`), `sourceCidr` (CIDR), `sessionNamePattern` (RE2 regex, whole name: the requested name of an AssumeRole, else the calling session\'s) and `targetAccount` (12-digit ID of the assumed role\'s account). See "Detector settings and exceptions" below.' },
];

/** Thrown with every problem found, each naming its key and the expected form. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** An IAM policy ARN pattern: AWS managed policies have `aws` for an account. */
const POLICY_ARN_PATTERN = /^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|\*):(iam|\*)::(\d{12}|aws|\*):[\x21-\x7e]+$/;

/**
 * Validates raw configuration (from JSON, CDK context or `-c key=value` strings) and fills
 * defaults. Strings are converted where the key expects a list, number or boolean. Unknown
 * keys are errors with a "did you mean". Throws {@link ConfigError} listing all problems.
 */
export function resolveConfig(raw: Readonly<Record<string, unknown>>, options: { ignoreUnknown?: readonly string[] } = {}): EngineConfig {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  const known = new Set(CONFIG_KEYS.map((k) => k.name as string));
  for (const key of Object.keys(raw)) {
    if (!known.has(key) && !(options.ignoreUnknown ?? []).includes(key)) {
      const guess = closest(key, [...known]);
      problems.push(`${key}: unknown key${guess ? ` (did you mean "${guess}"?)` : ''}`);
    }
  }
  for (const spec of CONFIG_KEYS) {
    const value = raw[spec.name];
    if (value === undefined) {
      if (spec.required) problems.push(`${spec.name}: required, expected ${spec.type}`);
      out[spec.name] = spec.default;
      continue;
    }
    out[spec.name] = check(spec, value, problems);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out as unknown as EngineConfig;
}

/** Compiles matchers once per config; detectors call these on every event. */
function compileConfig(config: EngineConfig, awsIpRanges: AwsRangeLookup = lazyAwsIpRanges()): CompiledConfig {
  const monitored = globList(config.monitoredRoleArns);
  const expected = globList([...config.expectedCallerArns, ...config.roleCheckerArns]);
  const checker = globList(config.roleCheckerArns);
  const human = globList(config.humanRoleArnPatterns);
  const regionRules = Object.entries(config.roleRegions).map(([pattern, regions]) => ({ test: glob(pattern), regions }));
  const detectors = compileDetectors(config.detectors, config.minAlertSeverity);
  return {
    ...config,
    isMonitoredRole: (arn) => arn !== null && monitored(arn),
    isExpectedCaller: (identities) => identities.some((id) => expected(id)),
    roleCheckerOf: (identities) => (config.roleCheckerArns.length === 0 ? null : (identities.find((id) => checker(id)) ?? null)),
    isHumanRole: (arn) => arn !== null && (/\/AWSReservedSSO_/.test(arn) || human(arn)),
    ...compileAllowList(config.allowedCidrs, null),
    sessionNameRegex: config.sessionNamePattern === null ? null : wholeNameMatcher(config.sessionNamePattern, MAX_SESSION_NAME_LENGTH),
    // Customers' role names repeat with every call: each is matched once.
    pivotRoleNamePattern: memoize(pivotMatcher(config.pivotRoleNamePatterns, config.pivotRoleNameExceptions)),
    regionsOf: (roleArn) => regionRules.find((r) => r.test(roleArn))?.regions,
    isAllowedSessionPolicyArn: config.allowedSessionPolicyArns.length === 0 ? () => true : globList(config.allowedSessionPolicyArns),
    awsIpRanges,
    customers: null,
    publishedCidrs: null,
    detectorSettings: detectors.settingsOf,
    detectorExceptions: detectors.exceptions,
  };
}

/** STS accepts role session names of 2 to 64 characters; CloudTrail may still carry longer strings. */
const MAX_SESSION_NAME_LENGTH = 64;

/** IAM accepts role names of 1 to 64 characters. */
const MAX_ROLE_NAME_LENGTH = 64;

/** The first pivot pattern a role name matches, unless an exception matches it (all whole-name, case-insensitive). */
function pivotMatcher(patterns: readonly string[], exceptions: readonly string[]): (roleName: string) => string | null {
  const pivot = firstMatch(patterns, MAX_ROLE_NAME_LENGTH, true);
  if (exceptions.length === 0) return pivot;
  const exempt = firstMatch(exceptions, MAX_ROLE_NAME_LENGTH, true);
  return (roleName) => {
    const pattern = pivot(roleName);
    return pattern === null || exempt(roleName) !== null ? null : pattern;
  };
}

/** Resolve then compile, for callers that hold raw configuration. */
export function loadConfig(raw: Readonly<Record<string, unknown>>, options?: { ignoreUnknown?: readonly string[] }): CompiledConfig {
  return compileConfig(resolveConfig(raw, options));
}

function check(spec: ConfigKeySpec, value: unknown, problems: string[]): unknown {
  const bad = (what: string): undefined => {
    problems.push(`${spec.name}: ${what}; expected ${spec.type}`);
    return undefined;
  };
  switch (spec.kind) {
    case 'arnList':
    case 'policyArnList': {
      const list = toList(value);
      if (!list) return bad(`${show(value)} is not a list of strings`);
      const [pattern, form] = spec.kind === 'policyArnList' ? [POLICY_ARN_PATTERN, 'a policy ARN (arn:aws:iam::aws:policy/name or arn:aws:iam::123456789012:policy/name'] : [ARN_PATTERN, 'an ARN (arn:aws:iam::123456789012:role/name'];
      list.forEach((arn, i) => {
        if (!pattern.test(arn)) problems.push(`${spec.name}[${i}]: ${show(arn)} is not ${form}, * allowed)`);
      });
      if (spec.required && list.length === 0) return bad('must not be empty');
      return list;
    }
    case 'cidrs': {
      const parsed = typeof value === 'string' ? parseJsonOr(value) : value;
      const groups: Record<string, string[]> = {};
      if (Array.isArray(parsed) || typeof parsed === 'string') {
        const list = toList(parsed);
        if (!list) return bad(`${show(value)} is not a list of CIDRs`);
        groups.allowed = list;
      } else if (parsed !== null && typeof parsed === 'object') {
        for (const [name, cidrs] of ownEntries(spec.name, parsed, problems)) {
          const list = toList(cidrs);
          if (!list) problems.push(`${spec.name}.${name}: ${show(cidrs)} is not a list of CIDRs`);
          else groups[name] = list;
        }
      } else {
        return bad(`${show(value)} is neither a list nor an object`);
      }
      for (const [name, list] of Object.entries(groups)) {
        const label = Array.isArray(parsed) || typeof parsed === 'string' ? spec.name : `${spec.name}.${name}`;
        list.forEach((text, i) => {
          if (!parseCidr(text)) problems.push(`${label}[${i}]: ${show(text)} is not a CIDR (like 203.0.113.0/24 or 2001:db8::/48)`);
        });
      }
      return groups;
    }
    case 'regex': {
      if (value === null || value === '') return null;
      if (typeof value !== 'string') return bad(`${show(value)} is not a string`);
      const problem = namePatternProblem(value);
      if (problem) problems.push(`${spec.name}: ${show(value)} ${problem}`);
      return problem ? undefined : value;
    }
    case 'regexList': {
      const parsed = typeof value === 'string' ? parseJsonOr(value) : value;
      // A comma may be part of a pattern (`[a-z]{2,8}`), so a plain string is one pattern, never split.
      if (typeof parsed === 'string' && parsed.includes(',')) return bad(`${show(value)} is ambiguous (a comma may be part of a pattern); give a JSON list`);
      const list = typeof parsed === 'string' ? (parsed.trim() === '' ? [] : [parsed]) : Array.isArray(parsed) && parsed.every((p) => typeof p === 'string') ? (parsed as string[]) : undefined;
      if (!list) return bad(`${show(value)} is not a list of regular expressions`);
      list.forEach((pattern, i) => {
        // Checked as compiled for matching: the pattern lists are role-name lists, matched case-insensitively.
        const problem = pattern === '' ? `is empty; expected ${NAME_PATTERN_SYNTAX}` : namePatternProblem(pattern, true);
        if (problem) problems.push(`${spec.name}[${i}]: ${show(pattern)} ${problem}`);
      });
      return list;
    }
    case 'int':
    case 'number': {
      // A key whose default is null (off) takes null back, as JSON or as a `-c key=null` string.
      if (spec.default === null && (value === null || value === 'null' || value === '')) return null;
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isFinite(n)) return bad(`${show(value)} is not a number`);
      if (spec.kind === 'int' && !Number.isInteger(n)) return bad(`${show(value)} is not a whole number`);
      if (n < spec.min! || n > spec.max!) return bad(`${show(value)} is out of range ${spec.min}..${spec.max}`);
      return n;
    }
    case 'boolean': {
      if (value === true || value === 'true') return true;
      if (value === false || value === 'false') return false;
      return bad(`${show(value)} is not true or false`);
    }
    case 'objectSource': {
      if (value === null || value === '' || value === 'null') return null;
      if (typeof value !== 'string') return bad(`${show(value)} is not a string`);
      if (value.startsWith('s3://') && !S3_OBJECT_URL.test(value)) return bad(`${show(value)} is not an S3 object URL (s3://bucket/key)`);
      if (value.includes('\0')) return bad(`${show(value)} is not a path`);
      return value;
    }
    case 'severity': {
      if (typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value)) return value;
      return bad(`${show(value)} is not a severity`);
    }
    case 'roleRegions': {
      const parsed = typeof value === 'string' ? parseJsonOr(value) : value;
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return bad(`${show(value)} is not an object`);
      const out: Record<string, string[]> = {};
      for (const [arn, regions] of ownEntries(spec.name, parsed, problems)) {
        if (!ARN_PATTERN.test(arn)) problems.push(`${spec.name}: key ${show(arn)} is not a role ARN`);
        const list = typeof regions === 'string' ? [regions] : toList(regions);
        if (!list || list.length === 0 || list.some((r) => !isRegionName(r))) {
          problems.push(`${spec.name}.${arn}: ${show(regions)} is not a region or list of regions (like eu-west-1)`);
          continue;
        }
        out[arn] = list;
      }
      return out;
    }
    case 'detectors':
      return checkDetectors(spec.name, value, problems);
  }
}

/**
 * The entries of an object-valued key, except `__proto__`: JSON.parse makes it an own property,
 * but assigning it to the object we build would set that object's prototype and drop the
 * entry without a word. It is reported instead, naming the key inside the object.
 */
function ownEntries(name: string, value: object, problems: string[]): [string, unknown][] {
  return Object.entries(value).filter(([key]) => {
    if (key !== '__proto__') return true;
    problems.push(`${name}.__proto__: "__proto__" cannot be a key here (JavaScript objects drop it); rename it`);
    return false;
  });
}
