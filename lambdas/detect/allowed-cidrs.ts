/**
 * The Lambda's published allow-list: the S3 object `allowedCidrsSource` names, read at cold
 * start and re-read every `allowedCidrsRefreshMinutes` (a conditional GET: a 304 confirms the
 * copy). The last good copy is kept on every error; a document with no usable entry never
 * replaces it, so the list never empties or changes shape by accident. Without a copy the static
 * `allowedCidrs` applies alone.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { AllowedCidrGroups, CompiledConfig } from '../core/config';
import { describeCidrGroups, diffCidrGroups, parseCidrSource } from '../core/cidr-source';
import type { ParsedObject, ReadOutcome } from '../state/s3-object';
import { ALLOWED_CIDRS_AGE_METRIC, ALLOWED_CIDRS_READ_FAILURES_METRIC, ALLOWED_CIDRS_UNAVAILABLE_METRIC } from './contract';
import { refreshedObjectAt, type SourceReporting } from './refreshed-source';

/** AWS's own ip-ranges.json is under 2 MB; a vendor's list is far smaller. */
const MAX_LIST_BYTES = 8 * 1024 * 1024;
/** Without a good copy, look again at most this often. */
const RETRY_MS = 60_000;

/** How the handler names this source in logs and metrics. */
export const ALLOWED_CIDRS_REPORTING: SourceReporting = {
  what: 'published allow-list',
  summaryField: 'allowList',
  unusable: 'no entry could be used',
  unavailable: 'allowedCidrs alone applies until a good copy is read',
  metrics: { age: ALLOWED_CIDRS_AGE_METRIC, unavailable: ALLOWED_CIDRS_UNAVAILABLE_METRIC, readFailures: ALLOWED_CIDRS_READ_FAILURES_METRIC },
};

/** What a read changed in the copy: entries as `group block`. */
export interface AllowedCidrsChange {
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

/** The copy a batch runs with, and what reading it did. */
export interface AllowedCidrsForBatch {
  readonly cidrs: AllowedCidrGroups | null;
  readonly reads: readonly ReadOutcome[];
  /** Age of the copy (since last confirmed), or null without one. */
  readonly ageMs: number | null;
  /** The change a read made to a copy held before, or null (none, or the first copy). */
  readonly change: AllowedCidrsChange | null;
}

/** The published allow-list as the handler uses it. */
export interface AllowedCidrsSource {
  /** Where the list is read from, for logs. */
  readonly url: string;
  /** The copy for a batch, re-read when due. */
  forBatch(now: number): Promise<AllowedCidrsForBatch>;
}

function parseForLambda(url: string): (text: string) => ParsedObject<AllowedCidrGroups> {
  return (text) => {
    const parsed = parseCidrSource(text);
    return {
      value: parsed.groups,
      problems: parsed.problems.map((p) => `${url}: ${p}`),
      summary: parsed.groups === null ? 'nothing usable' : describeCidrGroups(parsed.groups),
    };
  };
}

/** The source for a configured `s3://bucket/key`; throws naming the key when the value is not one. */
export function s3AllowedCidrs(makeClient: () => S3Client, config: CompiledConfig): AllowedCidrsSource {
  const url = config.allowedCidrsSource!;
  const object = refreshedObjectAt(makeClient, 'allowedCidrsSource', url, 'the list', parseForLambda(url), {
    refreshMs: config.allowedCidrsRefreshMinutes * 60_000,
    retryMs: RETRY_MS,
    maxBytes: MAX_LIST_BYTES,
  });
  return {
    url,
    async forBatch(now) {
      const before = object.value;
      const read = await object.refreshIfDue(now);
      const after = object.value;
      let change: AllowedCidrsChange | null = null;
      if (before !== null && after !== null && after !== before) {
        const diff = diffCidrGroups(before, after);
        if (diff.added.length > 0 || diff.removed.length > 0) change = diff;
      }
      return { cidrs: after, reads: read ? [read] : [], ageMs: object.ageMs(now), change };
    },
  };
}
