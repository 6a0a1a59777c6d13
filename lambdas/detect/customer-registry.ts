/**
 * The Lambda's customer registry: the S3 object `customerRegistry` names, read at cold start,
 * re-read every `customerRegistryRefreshMinutes`, and looked at again (at most once a minute)
 * when a batch assumes an account, role or external ID the copy does not know, so that a
 * customer onboarded a minute ago is not an alert. The last good copy is kept on every error.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { CompiledConfig } from '../core/config';
import { describeRegistryLoad, externalIdSha256, parseCustomerRegistry, registeredRoleName, type CustomerRegistry } from '../core/customer-registry';
import type { ParsedCall } from '../core/types';
import type { ParsedObject, ReadOutcome } from '../state/s3-object';
import { CUSTOMER_REGISTRY_AGE_METRIC, CUSTOMER_REGISTRY_READ_FAILURES_METRIC, CUSTOMER_REGISTRY_UNAVAILABLE_METRIC } from './contract';
import { refreshedObjectAt, type SourceReporting } from './refreshed-source';

/** A registry is kilobytes per hundred customers; a wrong object could be anything. */
const MAX_REGISTRY_BYTES = 32 * 1024 * 1024;
/** Without a good copy, or on an unknown integration, look again at most this often. */
const RETRY_MS = 60_000;

/** How the handler names the registry in logs and metrics (the registry alarm watches these). */
export const CUSTOMER_REGISTRY_REPORTING: SourceReporting = {
  what: 'customer registry',
  summaryField: 'registry',
  unusable: 'no line could be used',
  unavailable: 'its checks are skipped until a good copy is read',
  metrics: { age: CUSTOMER_REGISTRY_AGE_METRIC, unavailable: CUSTOMER_REGISTRY_UNAVAILABLE_METRIC, readFailures: CUSTOMER_REGISTRY_READ_FAILURES_METRIC },
};

/** The registry copy a batch runs with, and what reading it did. */
export interface RegistryForBatch {
  readonly registry: CustomerRegistry | null;
  /** Reads made for this batch (none when the copy was fresh and knew every integration). */
  readonly reads: readonly ReadOutcome[];
  /** Age of the copy (since last confirmed), or null without one. */
  readonly ageMs: number | null;
}

/** The registry's source as the handler uses it. */
export interface CustomerRegistrySource {
  /** Where the registry is read from, for logs. */
  readonly url: string;
  /** The copy for a batch: re-read when due, or when the batch holds an integration the copy does not know. */
  forBatch(calls: readonly ParsedCall[], config: CompiledConfig, now: number): Promise<RegistryForBatch>;
}

/** The registry export as the Lambda reads it: unusable when no line is. */
function parseForLambda(url: string): (text: string) => ParsedObject<CustomerRegistry> {
  return (text) => {
    const parsed = parseCustomerRegistry(text);
    const { registry } = parsed;
    return {
      value: registry.integrations === 0 ? null : registry,
      problems: describeRegistryLoad(url, parsed),
      summary: `${registry.integrations} integrations in ${registry.accounts.size} accounts`,
    };
  };
}

/**
 * Whether a batch assumes an integration the registry does not know: a monitored role's
 * successful assumption into another account whose account, role or external ID is not listed.
 */
export function knowsEveryIntegration(registry: CustomerRegistry, calls: readonly ParsedCall[], config: CompiledConfig): boolean {
  for (const call of calls) {
    if (call.kind !== 'assume-role' || call.errorCode !== null || call.roleAccountId === null || call.roleArn === null) continue;
    if (call.roleAccountId === call.principal.accountId || !config.isMonitoredRole(call.principal.sessionIssuerArn)) continue;
    const account = registry.accounts.get(call.roleAccountId);
    if (account === undefined) return false;
    const name = registeredRoleName(call.roleArn);
    if (name !== null && !account.roleNames.has(name)) return false;
    if (call.externalId !== null && !account.externalIdDigests.has(externalIdSha256(call.externalId))) return false;
  }
  return true;
}

/** The source for a configured `s3://bucket/key`; throws naming the key when the value is not one. */
export function s3CustomerRegistry(makeClient: () => S3Client, config: CompiledConfig): CustomerRegistrySource {
  const url = config.customerRegistry!;
  const object = refreshedObjectAt(makeClient, 'customerRegistry', url, 'the registry', parseForLambda(url), {
    refreshMs: config.customerRegistryRefreshMinutes * 60_000,
    retryMs: RETRY_MS,
    maxBytes: MAX_REGISTRY_BYTES,
  });
  return {
    url,
    async forBatch(calls, cfg, now) {
      const reads: ReadOutcome[] = [];
      const due = await object.refreshIfDue(now);
      if (due) reads.push(due);
      const copy = object.value;
      if (copy !== null && !knowsEveryIntegration(copy, calls, cfg)) {
        const again = await object.refreshSoon(now);
        if (again) reads.push(again);
      }
      return { registry: object.value, reads, ageMs: object.ageMs(now) };
    },
  };
}
