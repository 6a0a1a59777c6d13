/**
 * The scheduled re-check of every registered customer role: the denial half of `check-role
 * --live`. The registry holds digests, not external IDs, so it can only ask whether a role still
 * refuses a request without one: it assumes the outbound role (the shortest session, a session
 * policy allowing sts:AssumeRole alone), then asks STS for each role without an external ID
 * (the shortest session, a session policy that allows nothing), a few at a time, with the SDK's
 * throttling retry. A role that accepts is an `external-id` alert, published to the alert topic
 * as the engine's would be; a role that could not be asked is reported in the run's log and fails
 * the invocation (its error alarm).
 */
import { createHash } from 'node:crypto';
import { AssumeRoleCommand, type AssumeRoleCommandOutput, type STSClient } from '@aws-sdk/client-sts';
import { attackMapping } from '../core/attack';
import type { CustomerRegistry } from '../core/customer-registry';
import { NOTHING_SESSION_POLICY, outboundSessionPolicy, PROBE_DURATION_SECONDS, PROBE_SESSION_NAME, probeError, type ProbeError } from '../core/role-probe';
import type { AlertPublisher } from '../delivery/publisher';
import type { Detector } from '../detectors/detector';
import { missingExternalIdKey } from '../detectors/external-id';
import type { Alert } from '../engine/alerts';
import { RECHECK_CONCURRENCY } from './contract';

/** Temporary credentials as the SDK clients take them. */
export interface SessionCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** What a run needs; the handler builds them once per cold start, the tests fake them. */
export interface RecheckDependencies {
  /** The registry as read now; null when it could not be read (the run fails). */
  readonly registry: () => Promise<CustomerRegistry | null>;
  /** An STS client: `null` credentials are the function's own. */
  readonly sts: (credentials: SessionCredentials | null) => STSClient;
  readonly publisher: AlertPublisher;
  readonly outboundRoleArn: string;
  /** The external-id detector: its severity, runbook and ATT&CK mapping go on the alert. */
  readonly detector: Detector;
  /** The function's region (the STS endpoint's, where CloudTrail records the requests). */
  readonly region: string;
  readonly now: () => number;
  /** @default RECHECK_CONCURRENCY */
  readonly concurrency?: number;
}

/** One registered role to ask. */
interface Target {
  readonly roleArn: string;
  readonly accountId: string;
  readonly tenants: readonly string[];
}

/** What a run found. */
export interface RecheckOutcome {
  /** Roles asked. */
  readonly roles: number;
  /** Roles that refused a request without an external ID, as they should. */
  readonly refused: number;
  /** Roles that accepted one: each an alert. */
  readonly accepted: readonly string[];
  /** Roles that could not be asked (throttled out, STS unavailable in the region, …). */
  readonly failed: readonly { readonly roleArn: string; readonly error: ProbeError }[];
  /** The alerts the publisher refused. */
  readonly unpublished: readonly string[];
}

/** The run could not start: no registry, or the outbound role refused. */
export class RecheckFailed extends Error {
  constructor(message: string, readonly error: ProbeError | null = null) {
    super(message);
    this.name = 'RecheckFailed';
  }
}

/** Runs `work` on every item, at most `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** Every registered role, once. */
function targetsOf(registry: CustomerRegistry): Target[] {
  const out: Target[] = [];
  for (const account of registry.accounts.values()) for (const roleArn of account.roleArns) out.push({ roleArn, accountId: account.accountId, tenants: account.tenants });
  return out;
}

/** The credentials an AssumeRole answer carries. */
function credentialsOf(out: AssumeRoleCommandOutput): SessionCredentials {
  const c = out.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error('STS answered AssumeRole without credentials');
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}) };
}

/**
 * The alert for a role that accepted a request without an external ID, as the engine builds an
 * external-id finding: the same detector, severity, runbook, ATT&CK mapping and dedup key (a
 * SOC that folds by it sees one issue), titled as the re-check's. Its identity is stable for the
 * role and the scheduled event, so a repeated invocation sends what subscribers can drop.
 */
export function recheckAlert(target: Target, deps: RecheckDependencies, outbound: { arn: string | null; accessKeyId: string }, at: number, runId: string, requestId: string | null): Alert {
  const dedupKey = missingExternalIdKey(deps.outboundRoleArn, target.accountId);
  return {
    detector: deps.detector.id,
    severity: deps.detector.severity,
    title: 'Customer role assumed without an external ID (found by the scheduled re-check)',
    cause: `the scheduled re-check assumed ${target.roleArn} in account ${target.accountId} (tenant ${target.tenants.join(', ')}) from a session of ${deps.outboundRoleArn} with no external ID, and the customer's trust policy allowed it`,
    runbook: deps.detector.runbook,
    dedupKey,
    attack: (deps.detector.attack ?? []).map(attackMapping),
    evidence: {
      eventIds: [],
      eventTimes: [new Date(at).toISOString()],
      eventName: 'AssumeRole',
      principalArn: outbound.arn,
      principalType: 'AssumedRole',
      roleArn: target.roleArn,
      targetAccountId: target.accountId,
      sourceIp: null,
      userAgent: null,
      sessionKey: outbound.accessKeyId,
      awsRegion: deps.region,
      details: { problem: 'missing', foundBy: 'scheduled re-check', tenants: [...target.tenants], ...(requestId === null ? {} : { requestId }) },
    },
    alertId: createHash('sha256').update(`${dedupKey}\u0000recheck\u0000${target.roleArn}\u0000${runId}`).digest('hex').slice(0, 32),
    occurrences: 1,
  };
}

/** One run: `runId` is the scheduled event's id (the same on a repeated invocation). */
export async function recheckCustomers(deps: RecheckDependencies, runId: string): Promise<RecheckOutcome> {
  const registry = await deps.registry();
  if (registry === null) throw new RecheckFailed('the customer registry could not be read (see the "customer registry" log lines): nothing was re-checked');
  const targets = targetsOf(registry);
  if (targets.length === 0) return { roles: 0, refused: 0, accepted: [], failed: [], unpublished: [] };

  let outbound: AssumeRoleCommandOutput;
  try {
    // The outbound session may assume customer roles and nothing else, whatever the role grants.
    outbound = await deps.sts(null).send(new AssumeRoleCommand({
      RoleArn: deps.outboundRoleArn,
      RoleSessionName: PROBE_SESSION_NAME,
      DurationSeconds: PROBE_DURATION_SECONDS,
      Policy: outboundSessionPolicy(null),
    }));
  } catch (e) {
    const error = probeError(e);
    throw new RecheckFailed(`assuming the outbound role ${deps.outboundRoleArn}: ${error.code}: ${error.message}${error.kind === 'refused' ? ' (its trust policy must let this function\'s role assume it)' : ''}`, error);
  }
  const session = credentialsOf(outbound);
  const probing = deps.sts(session);

  let refused = 0;
  const accepted: { target: Target; at: number; requestId: string | null }[] = [];
  const failed: { roleArn: string; error: ProbeError }[] = [];
  await eachLimited(targets, deps.concurrency ?? RECHECK_CONCURRENCY, async (target) => {
    try {
      const out = await probing.send(new AssumeRoleCommand({
        RoleArn: target.roleArn,
        RoleSessionName: PROBE_SESSION_NAME,
        DurationSeconds: PROBE_DURATION_SECONDS,
        // A role that wrongly accepts hands over a session that can do nothing.
        Policy: NOTHING_SESSION_POLICY,
      }));
      accepted.push({ target, at: deps.now(), requestId: out.$metadata?.requestId ?? null });
    } catch (e) {
      const error = probeError(e);
      if (error.kind === 'refused') refused += 1;
      else failed.push({ roleArn: target.roleArn, error });
    }
  });

  const alerts = accepted.map((a) => recheckAlert(a.target, deps, { arn: outbound.AssumedRoleUser?.Arn ?? null, accessKeyId: session.accessKeyId }, a.at, runId, a.requestId));
  const published = alerts.length === 0 ? { accepted: [], failed: [] } : await deps.publisher.publish(alerts);
  return {
    roles: targets.length,
    refused,
    accepted: accepted.map((a) => a.target.roleArn),
    failed,
    unpublished: published.failed.map((f) => f.alertId),
  };
}
