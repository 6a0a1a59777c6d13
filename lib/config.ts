/**
 * CDK context → typed, validated configuration. The only reader of context: `bin/app.ts` hands
 * it `app.node.getAllContext()` and passes the result down as typed props.
 *
 * Two sets of keys share the context. The detection keys are the engine's own (CONFIG_KEYS,
 * checked by `resolveConfig`, so the CDK app, the Lambda and `replay` agree on every key); the
 * deployment keys below say where and how the pipeline runs. Values arriving as strings from
 * `cdk -c key=value` are converted (lists as JSON or comma-separated, numbers, booleans), every
 * problem is reported at once naming the key and the expected form, and misspelt keys get a
 * "did you mean". Free of CDK on purpose: the README generator imports it.
 */
import { CONFIG_KEYS, ConfigError, parseS3Url, resolveConfig, type EngineConfig } from '../lambdas/core/config';
import { isRegionName, parseJsonOr, show, toList } from '../lambdas/core/config-values';
import { DEPLOY_KEY_NAMES, unknownContextKeys } from '../lambdas/core/context-keys';

export { unknownContextKeys };
import { parseExpires } from '../lambdas/core/detector-settings';
import { SEVERITIES } from '../lambdas/core/types';
import { chatThresholds, checkChatChannels, type ChatChannel } from './chat-channels';
import { AlertSeverity } from './severity';

export { AlertSeverity, chatThresholds, type ChatChannel };
import { environmentProblem } from './lambda-environment';
import { LONGEST_ROLE_ARN, roleRecheckProblems, scheduleProblem, withRoleChecker } from './role-recheck-config';

export { LONGEST_ROLE_ARN, roleRecheckProblems, scheduleProblem, withRoleChecker } from './role-recheck-config';

export { ConfigError };

/** An e-mail subscription to the alert topic, optionally only for alerts of at least `minSeverity`. */
export interface EmailSubscriber {
  readonly email: string;
  /** @default every severity */
  readonly minSeverity?: AlertSeverity;
}

/** An HTTPS subscription to the alert topic, optionally only for alerts of at least `minSeverity`. */
export interface HttpsSubscriber {
  readonly endpoint: string;
  /** @default every severity */
  readonly minSeverity?: AlertSeverity;
}

// Enums rather than unions of string literals, which jsii would hand other languages as plain
// strings; the values are the context keys' own, so parsed context needs no conversion.

/** Where the pipeline's CloudWatch alarms notify: a separate operations topic, or the alert topic. */
export enum AlarmDestination {
  /** A separate operations topic, for `opsEmails`. */
  OPS = 'ops',
  /** The alert topic. */
  ALERT = 'alert',
}

/** What the alert events on EventBridge carry as `detail`: the versioned alert record, or the OCSF Detection Finding. */
export enum AlertEventDetail {
  /** The versioned alert record, as SNS subscribers get it. */
  RECORD = 'record',
  /** The OCSF Detection Finding (class 2004). */
  OCSF = 'ocsf',
}

/** Validated deployment settings (the keys of {@link DEPLOY_KEYS}). */
export interface DeploymentConfig {
  /** Target account; undefined leaves the stacks account-agnostic. */
  readonly account: string | undefined;
  readonly homeRegion: string;
  /** Every watched region, the home region first, without duplicates. */
  readonly regions: readonly string[];
  readonly alertEmails: readonly EmailSubscriber[];
  readonly alertHttpsEndpoints: readonly HttpsSubscriber[];
  readonly alarmTopic: AlarmDestination;
  readonly opsEmails: readonly string[];
  readonly createTrail: boolean;
  readonly trailRetentionDays: number;
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
  /** null: no reserved concurrency. */
  readonly reservedConcurrency: number | null;
  readonly lambdaMemoryMb: number;
  readonly lambdaTimeoutSeconds: number;
  readonly maxReceiveCount: number;
  readonly logRetentionDays: number;
  readonly silenceAlarmHours: number;
  readonly oldestMessageAlarmMinutes: number;
  /** Roles besides the EventBridge rules that may send to the queue. */
  readonly redriveRoleArns: readonly string[];
  /** The EventBridge bus alerts are put on (`default`, a name or an ARN); null: none. */
  readonly alertEventBus: string | null;
  readonly alertEventDetail: AlertEventDetail;
  /** Import alerts into Security Hub as findings of the account's own product. */
  readonly securityHub: boolean;
  readonly chatChannels: readonly ChatChannel[];
  /** The EventBridge schedule expression of the re-check of every registered customer role; null: no re-check. */
  readonly roleRecheckSchedule: string | null;
  /** The outbound role the re-check assumes; set with `roleRecheckSchedule`. */
  readonly roleRecheckOutboundRoleArn: string | null;
}

/** Everything the app needs: detection keys for the engine, deployment keys for the stacks. */
export interface AppConfig {
  readonly detection: EngineConfig;
  readonly deployment: DeploymentConfig;
  /** Legal but probably unintended settings (printed by `bin/app.ts`, never fatal). */
  readonly warnings: readonly string[];
}

/** Defaults taken from the CDK CLI's environment (CDK_DEFAULT_ACCOUNT, CDK_DEFAULT_REGION). */
export interface CliDefaults {
  readonly account?: string;
  readonly region?: string;
  /** The clock exceptions' ends are compared with (epoch ms). @default Date.now() */
  readonly now?: number;
}

type Kind = 'account' | 'region' | 'regions' | 'emailSubscribers' | 'httpsSubscribers' | 'emails' | 'roleArns' | 'roleArn' | 'choice' | 'boolean' | 'int' | 'retentionDays' | 'eventBus' | 'chatChannels' | 'schedule';

/** One deployment key: its form, default and meaning (the README table is generated from this). */
export interface DeployKeySpec {
  readonly name: keyof DeploymentConfig & (typeof DEPLOY_KEY_NAMES)[number];
  readonly kind: Kind;
  /** The expected form, as error messages and the README show it. */
  readonly type: string;
  readonly default: unknown;
  /** The default as the README shows it, when it is not a literal value. */
  readonly defaultText?: string;
  readonly min?: number;
  readonly max?: number;
  /** For `choice`: the accepted values. */
  readonly values?: readonly string[];
  /** `null` (or the string `none`) is accepted and means "not set". */
  readonly nullable?: boolean;
  readonly description: string;
}

/** CloudWatch Logs' accepted retention periods, in days. */
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/** Every deployment key. */
export const DEPLOY_KEYS: readonly DeployKeySpec[] = [
  { name: 'account', kind: 'account', type: '12-digit account ID | null', default: null, defaultText: "the CLI's account, if any", nullable: true,
    description: 'The bastion account to deploy to. Pinning it makes `cdk deploy` refuse credentials for another account; unset (and no credentials) the stacks are account-agnostic.' },
  { name: 'homeRegion', kind: 'region', type: 'region', default: null, defaultText: "the CLI's region",
    description: 'Where the queue, function, table, topics and alarms live; forwarders in the other regions send their events here.' },
  { name: 'regions', kind: 'regions', type: 'region[]', default: [], defaultText: '`[]` (home only)',
    description: 'Every region whose STS calls are watched. Each one other than `homeRegion` gets a forwarder stack. Include `us-east-1`: the global STS endpoint logs there.' },
  { name: 'alertEmails', kind: 'emailSubscribers', type: '(e-mail | {email, minSeverity})[]', default: [],
    description: 'E-mail subscriptions to the alert topic (each confirms by mail). `minSeverity` limits one to alerts of that severity or higher.' },
  { name: 'alertHttpsEndpoints', kind: 'httpsSubscribers', type: '(https URL | {endpoint, minSeverity})[]', default: [],
    description: 'HTTPS subscriptions to the alert topic (a SOAR, a ticketing system or a function of yours that confirms SNS subscriptions; a chat webhook cannot, use `chatChannels`). `minSeverity` as for alertEmails.' },
  { name: 'alarmTopic', kind: 'choice', type: 'ops | alert', default: 'ops', values: ['ops', 'alert'],
    description: 'Where the pipeline alarms notify: `ops`, a separate topic for `opsEmails`; `alert`, the alert topic (every alert subscriber gets them, `minSeverity` filters let them through).' },
  { name: 'opsEmails', kind: 'emails', type: 'e-mail[]', default: [],
    description: 'E-mail subscriptions to the operations topic (with `alarmTopic` `ops`).' },
  { name: 'createTrail', kind: 'boolean', type: 'boolean', default: false,
    description: 'Create a multi-region trail logging management events (read and write) to an encrypted bucket. Leave false when the account or organization already has one.' },
  { name: 'trailRetentionDays', kind: 'int', type: 'integer', default: 365, min: 1, max: 3653,
    description: 'With `createTrail`: days the trail bucket keeps log files.' },
  { name: 'batchSize', kind: 'int', type: 'integer', default: 100, min: 1, max: 10_000,
    description: 'Most SQS messages (events) per function invocation. Above 10 needs `maxBatchingWindowSeconds` of at least 1.' },
  { name: 'maxBatchingWindowSeconds', kind: 'int', type: 'integer', default: 30, min: 0, max: 300,
    description: 'How long the event source gathers messages before invoking the function: an alert waits at most this long, and larger batches cost less (at 5 s a vendor\'s traffic comes about 2 events a batch and costs about $1.56 per million events; at 30 s about 4 and $0.94, see `npm run bench`).' },
  { name: 'reservedConcurrency', kind: 'int', type: 'integer | null', default: 5, min: 2, max: 1000, nullable: true,
    description: 'Concurrent executions reserved for the function; the SQS event source is capped at the same number, so messages wait in the queue instead of being throttled. null: neither (new accounts with a 10-execution quota cannot reserve any).' },
  { name: 'lambdaMemoryMb', kind: 'int', type: 'integer', default: 512, min: 128, max: 10_240,
    description: 'Function memory (CPU scales with it).' },
  { name: 'lambdaTimeoutSeconds', kind: 'int', type: 'integer', default: 60, min: 5, max: 900,
    description: 'Function timeout. The queue\'s visibility timeout is six times this plus the batching window.' },
  { name: 'maxReceiveCount', kind: 'int', type: 'integer', default: 5, min: 1, max: 1000,
    description: 'Receives before a message that keeps failing moves to the dead-letter queue (alarmed).' },
  { name: 'logRetentionDays', kind: 'retentionDays', type: LOG_RETENTION_DAYS.join('|'), default: 90,
    description: 'Days the function\'s log group keeps logs (alerts and rejected records are logged).' },
  { name: 'silenceAlarmHours', kind: 'int', type: 'integer', default: 6, min: 1, max: 168,
    description: 'Alarm when no AssumeRole event at all was processed for this many hours: the trail or the rule broke and the pipeline is blind.' },
  { name: 'oldestMessageAlarmMinutes', kind: 'int', type: 'integer', default: 30, min: 1, max: 20_160,
    description: 'Alarm when the oldest message in the queue is older than this (the function falls behind or keeps failing).' },
  { name: 'redriveRoleArns', kind: 'roleArns', type: 'IAM role ARN[]', default: [],
    description: 'Roles that may send messages to the event queue besides the EventBridge rules: the ones you redrive the dead-letter queues with. The queue policy denies everyone else, since the function takes what is on the queue for CloudTrail events.' },
  { name: 'alertEventBus', kind: 'eventBus', type: 'default | event bus name | event bus ARN | null', default: null, nullable: true,
    description: 'Also put every alert on this EventBridge bus (source `assumerole-watch`, detail-type `AssumeRole Watch Alert`), to route it with rules as GuardDuty findings are. An ARN must be in `homeRegion`; a bus of another account must allow this account to put events. The function may put events on that bus only.' },
  { name: 'alertEventDetail', kind: 'choice', type: 'record | ocsf', default: 'record', values: ['record', 'ocsf'],
    description: 'The `detail` of the alert events: the versioned alert record (as SNS queues and HTTPS subscribers get it), or the OCSF Detection Finding (class 2004).' },
  { name: 'securityHub', kind: 'boolean', type: 'boolean', default: false,
    description: 'Import every alert into Security Hub (BatchImportFindings, ASFF) as a finding of the account\'s own product (`product/<account>/default`) in `homeRegion`; a later alert with the same alertId updates the finding. Security Hub must be enabled there.' },
  { name: 'chatChannels', kind: 'chatChannels', type: '{name, minSeverity?, slackWorkspaceId, slackChannelId | teamsTeamId, teamsChannelId, teamsTenantId}[]', default: [],
    description: 'Slack channels and Microsoft Teams channels fed by AWS\'s chat integration (Amazon Q Developer in chat applications; authorize the workspace or team in its console first). Alerts arrive as its custom notifications, the runbook as next steps. Channels with the same `minSeverity` share one topic. The channel role may do nothing in AWS.' },
  { name: 'roleRecheckSchedule', kind: 'schedule', type: 'rate(…) | cron(…) | null', default: null, nullable: true,
    description: 'Re-check every role of `customerRegistry` on this EventBridge schedule (`rate(1 day)`, `cron(0 6 * * ? *)`; at most hourly, since every run shows in every customer\'s CloudTrail): a small function assumes `roleRecheckOutboundRoleArn`, asks STS for each registered role without an external ID, and alerts (`external-id`, "found by the scheduled re-check") on a role that accepts. One AssumeRole per customer per run (docs/check-role.md). null: no re-check.' },
  { name: 'roleRecheckOutboundRoleArn', kind: 'roleArn', type: 'IAM role ARN | null', default: null, nullable: true,
    description: 'The outbound role the re-check assumes: one of `monitoredRoleArns`, whose trust policy lets the re-check function\'s role (`roleRecheckRole`, a stack output) assume it. Required with `roleRecheckSchedule`. The function\'s role may assume this role and nothing else, and is added to `roleCheckerArns` so the watch recognises its sessions.' },
];

/**
 * A deployment key's default, from {@link DEPLOY_KEYS}: the construct's props default to these
 * too, so a vendor using the construct directly gets what `cdk deploy` gives.
 */
export function deployDefault<K extends keyof DeploymentConfig>(name: K): DeploymentConfig[K] {
  const spec = DEPLOY_KEYS.find((k) => k.name === name);
  if (spec === undefined) throw new Error(`no deployment key ${name}`);
  return spec.default as DeploymentConfig[K];
}

const ACCOUNT = /^\d{12}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const EMAIL = /^[^\s@"<>,;]+@[^\s@"<>,;]+\.[A-Za-z]{2,}$/;
/** EventBridge's event bus names and ARNs (PutEvents' EventBusName). */
const EVENT_BUS_NAME = /^[/.\-_A-Za-z0-9]{1,256}$/;
const EVENT_BUS_ARN = /^arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus\/[/.\-_A-Za-z0-9]{1,256}$/;

/**
 * Validates the app's context (detection and deployment keys) and fills defaults. Throws
 * {@link ConfigError} listing every problem: unknown keys (with a suggestion), then detection
 * keys, then deployment keys and the rules between them.
 */
export function loadAppConfig(context: Readonly<Record<string, unknown>>, cli: CliDefaults = {}): AppConfig {
  const problems: string[] = [];
  const engineNames = new Set<string>(CONFIG_KEYS.map((k) => k.name));
  const engineRaw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(context)) if (engineNames.has(key)) engineRaw[key] = value;
  problems.push(...unknownContextKeys(context));

  let detection: EngineConfig | undefined;
  try {
    detection = resolveConfig(engineRaw);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    problems.push(...e.problems);
  }

  const out: Record<string, unknown> = {};
  for (const spec of DEPLOY_KEYS) {
    const value = context[spec.name];
    out[spec.name] = value === undefined ? defaultOf(spec, cli, problems) : check(spec, value, problems);
  }
  const deployment = finish(out, problems);

  if (detection) {
    const sized = typeof deployment.roleRecheckSchedule === 'string' ? withRoleChecker(detection, LONGEST_ROLE_ARN) : detection;
    const tooLarge = environmentProblem(sized, Math.max(1, deployment.regions.length), {
      eventBus: deployment.alertEventBus !== null && deployment.alertEventBus !== undefined,
      securityHub: deployment.securityHub === true,
      chatTopics: chatThresholds(deployment.chatChannels ?? []).length,
    });
    if (tooLarge) problems.push(tooLarge);
    problems.push(...objectSourceProblems(detection));
    // Invalid values were reported with their key; the rules between them need valid ones.
    if (deployment.roleRecheckSchedule !== undefined && deployment.roleRecheckOutboundRoleArn !== undefined) {
      problems.push(...roleRecheckProblems(detection, deployment.roleRecheckSchedule, deployment.roleRecheckOutboundRoleArn));
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { detection: detection!, deployment, warnings: [...warningsFor(deployment), ...exceptionWarnings(detection!, cli.now ?? Date.now())] };
}

function defaultOf(spec: DeployKeySpec, cli: CliDefaults, problems: string[]): unknown {
  if (spec.name === 'account') return cli.account !== undefined && ACCOUNT.test(cli.account) ? cli.account : undefined;
  if (spec.name === 'homeRegion') {
    if (cli.region !== undefined && isRegionName(cli.region)) return cli.region;
    problems.push(`homeRegion: required (the CLI has no default region); expected ${spec.type} like eu-west-1`);
    return undefined;
  }
  return spec.default;
}

/**
 * The deployed function reads the customer registry and the published allow-list from S3: a
 * path (replay's form) cannot deploy. One problem per such key, naming it.
 */
export function objectSourceProblems(detection: EngineConfig): string[] {
  const sources = [['customerRegistry', 'the registry'], ['allowedCidrsSource', 'the list']] as const;
  return sources.flatMap(([key, what]) => {
    const value = detection[key];
    if (value === null || parseS3Url(value) !== null) return [];
    return [`${key}: ${JSON.stringify(value)} is not an S3 object URL; expected s3://bucket/key (the function reads ${what} from S3; a path is for replay)`];
  });
}

/** Cross-key rules, and the home region first in `regions`. */
function finish(out: Record<string, unknown>, problems: string[]): DeploymentConfig {
  const home = out.homeRegion as string | undefined;
  const listed = (out.regions as string[] | undefined) ?? [];
  out.regions = home === undefined ? listed : [home, ...listed.filter((r) => r !== home)];
  const batchSize = out.batchSize as number | undefined;
  const window = out.maxBatchingWindowSeconds as number | undefined;
  if (batchSize !== undefined && window !== undefined && batchSize > 10 && window < 1) {
    problems.push(`batchSize: ${batchSize} needs maxBatchingWindowSeconds of at least 1 (SQS delivers more than 10 messages only with a batching window); expected at most 10, or set a window`);
  }
  const bus = out.alertEventBus as string | null | undefined;
  const busRegion = typeof bus === 'string' && bus.startsWith('arn:') ? bus.split(':')[3] : undefined;
  if (busRegion !== undefined && home !== undefined && busRegion !== home) {
    problems.push(`alertEventBus: ${show(bus)} is in ${busRegion}, not in homeRegion ${home}; expected a bus in ${home} (the function puts events in its own region; route them on with a rule there)`);
  }
  return out as unknown as DeploymentConfig;
}

/** How far ahead an exception's end is announced at synthesis. */
const EXCEPTION_NOTICE_DAYS = 14;

/**
 * Exceptions (`detectors`) that have ended, or end within {@link EXCEPTION_NOTICE_DAYS} days: an
 * ended one no longer silences anything, so it is either stale configuration or a noise source
 * about to return.
 */
function exceptionWarnings(detection: EngineConfig, nowMs: number): string[] {
  const warnings: string[] = [];
  for (const [detector, settings] of Object.entries(detection.detectors)) {
    for (const e of settings.exceptions) {
      const end = parseExpires(e.expires);
      if (end === null) continue;
      const at = `detectors.${detector}: exception ${JSON.stringify(e.id)}`;
      if (end <= nowMs) warnings.push(`${at} ended ${e.expires} and no longer applies: remove it, or renew it with a new end and reason`);
      else if (end - nowMs <= EXCEPTION_NOTICE_DAYS * 86_400_000) warnings.push(`${at} ends ${e.expires}, within ${EXCEPTION_NOTICE_DAYS} days: its alerts return then unless it is renewed`);
    }
  }
  return warnings;
}

function warningsFor(d: DeploymentConfig): string[] {
  const warnings: string[] = [];
  if (d.alertEmails.length === 0 && d.alertHttpsEndpoints.length === 0 && d.chatChannels.length === 0 && d.alertEventBus === null && !d.securityHub) {
    warnings.push('alertEmails, alertHttpsEndpoints and chatChannels are empty, and neither alertEventBus nor securityHub is set: alerts reach nobody until something subscribes to the alert topic');
  }
  if (d.alarmTopic === 'ops' && d.opsEmails.length === 0) {
    warnings.push('opsEmails is empty: the alarms (silence, dead-letter queues, errors) notify a topic nobody is subscribed to');
  }
  if (d.roleRecheckSchedule === null && d.roleRecheckOutboundRoleArn !== null) {
    warnings.push('roleRecheckOutboundRoleArn is set but roleRecheckSchedule is null: no re-check runs');
  }
  if (d.regions.length > 0 && !d.regions.includes('us-east-1')) {
    warnings.push('regions does not include us-east-1: calls through the global STS endpoint (sts.amazonaws.com) log there and are not watched');
  }
  return warnings;
}

function check(spec: DeployKeySpec, value: unknown, problems: string[]): unknown {
  const bad = (what: string): undefined => {
    problems.push(`${spec.name}: ${what}; expected ${spec.type}`);
    return undefined;
  };
  if (spec.nullable && (value === null || value === 'null' || value === 'none')) return spec.name === 'account' ? undefined : null;
  switch (spec.kind) {
    case 'account':
      if (typeof value === 'string' && ACCOUNT.test(value.trim())) return value.trim();
      if (typeof value === 'number' && ACCOUNT.test(String(value))) return String(value);
      return bad(`${show(value)} is not an account ID`);
    case 'region':
      if (typeof value === 'string' && isRegionName(value.trim())) return value.trim();
      return bad(`${show(value)} is not a region (like eu-west-1)`);
    case 'regions': {
      const list = toList(value);
      if (!list) return bad(`${show(value)} is not a list of regions`);
      list.forEach((r, i) => {
        if (!isRegionName(r)) problems.push(`${spec.name}[${i}]: ${show(r)} is not a region (like eu-west-1)`);
      });
      return [...new Set(list)];
    }
    case 'emails': {
      const list = toList(value);
      if (!list) return bad(`${show(value)} is not a list of e-mail addresses`);
      list.forEach((address, i) => {
        if (!EMAIL.test(address)) problems.push(`${spec.name}[${i}]: ${show(address)} is not an e-mail address`);
      });
      reportDuplicates(spec.name, list, problems);
      return list;
    }
    case 'roleArns': {
      const list = toList(value);
      if (!list) return bad(`${show(value)} is not a list of role ARNs`);
      list.forEach((arn, i) => {
        if (!ROLE_ARN.test(arn)) problems.push(`${spec.name}[${i}]: ${show(arn)} is not an IAM role ARN (like arn:aws:iam::111122223333:role/redrive)`);
      });
      return [...new Set(list)];
    }
    case 'roleArn':
      if (typeof value === 'string' && ROLE_ARN.test(value.trim())) return value.trim();
      return bad(`${show(value)} is not an IAM role ARN (like arn:aws:iam::111122223333:role/outbound)`);
    case 'schedule': {
      const problem = scheduleProblem(value);
      return problem === null ? (value as string).trim() : bad(problem);
    }
    case 'emailSubscribers':
    case 'httpsSubscribers': {
      const field = spec.kind === 'emailSubscribers' ? 'email' : 'endpoint';
      const valid = spec.kind === 'emailSubscribers' ? isEmail : isHttpsUrl;
      const what = spec.kind === 'emailSubscribers' ? 'an e-mail address' : 'an https:// URL';
      const entries = toEntries(value);
      if (!entries) return bad(`${show(value)} is not a list`);
      const subscribers: Record<string, unknown>[] = [];
      entries.forEach((entry, i) => {
        const at = `${spec.name}[${i}]`;
        if (typeof entry === 'string') {
          if (valid(entry)) subscribers.push({ [field]: entry });
          else problems.push(`${at}: ${show(entry)} is not ${what}`);
          return;
        }
        if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
          problems.push(`${at}: ${show(entry)} is neither ${what} nor {${field}, minSeverity}`);
          return;
        }
        const record = entry as Record<string, unknown>;
        const extra = Object.keys(record).filter((k) => k !== field && k !== 'minSeverity');
        if (extra.length > 0) problems.push(`${at}: unknown field ${show(extra[0])}; expected {${field}, minSeverity}`);
        const address = record[field];
        if (address === undefined && extra.length === 0) problems.push(`${at}: ${show(entry)} has no "${field}"; expected {${field}, minSeverity}`);
        else if (address !== undefined && (typeof address !== 'string' || !valid(address))) problems.push(`${at}.${field}: ${show(address)} is not ${what}`);
        const min = record.minSeverity;
        if (min !== undefined && !(typeof min === 'string' && (SEVERITIES as readonly string[]).includes(min))) {
          problems.push(`${at}.minSeverity: ${show(min)} is not a severity; expected ${SEVERITIES.join('|')}`);
        }
        subscribers.push(min === undefined ? { [field]: address } : { [field]: address, minSeverity: min });
      });
      reportDuplicates(spec.name, entries.map((e) => (typeof e === 'string' ? e : (e as Record<string, unknown> | null)?.[field])), problems);
      return subscribers;
    }
    case 'eventBus': {
      if (typeof value !== 'string') return bad(`${show(value)} is not a bus name or ARN`);
      const bus = value.trim();
      if (EVENT_BUS_NAME.test(bus) || EVENT_BUS_ARN.test(bus)) return bus;
      return bad(`${show(value)} is not an event bus name (letters, digits, . - _ /) or an event bus ARN (arn:aws:events:<region>:<account>:event-bus/<name>)`);
    }
    case 'chatChannels': {
      const entries = toEntries(value);
      if (!entries) return bad(`${show(value)} is not a list`);
      const channels = checkChatChannels(spec.name, entries, problems);
      // Chat configuration names are unique in the account.
      reportDuplicates(spec.name, entries.map((e) => (e as Record<string, unknown> | null)?.name), problems, 'name');
      return channels;
    }
    case 'choice':
      if (typeof value === 'string' && spec.values!.includes(value)) return value;
      return bad(`${show(value)} is not one of the choices`);
    case 'boolean':
      if (value === true || value === 'true') return true;
      if (value === false || value === 'false') return false;
      return bad(`${show(value)} is not true or false`);
    case 'int':
    case 'retentionDays': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isFinite(n)) return bad(`${show(value)} is not a number`);
      if (!Number.isInteger(n)) return bad(`${show(value)} is not a whole number`);
      if (spec.kind === 'retentionDays') {
        if (!(LOG_RETENTION_DAYS as readonly number[]).includes(n)) return bad(`${show(value)} is not a retention period CloudWatch Logs accepts`);
        return n;
      }
      if (n < spec.min! || n > spec.max!) return bad(`${show(value)} is out of range ${spec.min}..${spec.max}`);
      return n;
    }
  }
}

/** One subscription per address: SNS would refuse the second, and CDK its construct ID. */
function reportDuplicates(name: string, addresses: readonly unknown[], problems: string[], what = 'address'): void {
  const seen = new Map<string, number>();
  addresses.forEach((address, i) => {
    if (typeof address !== 'string') return;
    const first = seen.get(address.toLowerCase());
    if (first === undefined) seen.set(address.toLowerCase(), i);
    else problems.push(`${name}[${i}]: ${show(address)} is already ${name}[${first}]; expected each ${what} once`);
  });
}

function isEmail(text: string): boolean {
  return EMAIL.test(text);
}

function isHttpsUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' && url.hostname !== '';
  } catch {
    return false;
  }
}

/** Subscriber entries from an array, a JSON array or object string, one object, or a comma-separated string. */
function toEntries(value: unknown): unknown[] | undefined {
  const parsed = typeof value === 'string' ? parseJsonOr(value) : value;
  if (Array.isArray(parsed)) return parsed;
  if (typeof parsed === 'string') return parsed.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (parsed !== null && typeof parsed === 'object') return [parsed];
  return undefined;
}
