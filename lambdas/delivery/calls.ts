/**
 * What every batching publisher does around its API calls: each alert once, rendered alerts
 * packed into calls within the destination's entry and byte limits, the calls made in parallel,
 * and a call that fails as a whole turned into {@link AlertPublishError} with what the others did.
 */
import type { Alert } from '../engine/alerts';
import { AlertPublishError, type AcceptedAlert, type FailedAlert, type PublishResult } from './publisher';

/** Each alertId once, in the order first given: a repeated alertId is the same alert. */
export function uniqueAlerts(alerts: readonly Alert[]): Alert[] {
  const seen = new Set<string>();
  return alerts.filter((a) => !seen.has(a.alertId) && seen.add(a.alertId));
}

/** Groups rendered alerts, in order, into calls of at most `maxEntries` entries and `maxBytes` bytes in total. */
export function packCalls<T extends { readonly bytes: number }>(rendered: readonly T[], maxEntries: number, maxBytes: number): T[][] {
  const calls: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const r of rendered) {
    if (current.length > 0 && (current.length === maxEntries || bytes + r.bytes > maxBytes)) {
      calls.push(current);
      current = [];
      bytes = 0;
    }
    current.push(r);
    bytes += r.bytes;
  }
  if (current.length > 0) calls.push(current);
  return calls;
}

/**
 * Makes the calls in parallel and adds what they accepted and refused to `done` (the alerts
 * refused before any call). If any call fails as a whole, throws {@link AlertPublishError} once
 * every call has finished, with what the others achieved; `operation` names the API call.
 */
export async function sendCalls<T>(calls: readonly (readonly T[])[], send: (call: readonly T[]) => Promise<PublishResult>, operation: string, done: PublishResult): Promise<PublishResult> {
  const accepted: AcceptedAlert[] = [...done.accepted];
  const failed: FailedAlert[] = [...done.failed];
  const outcomes = await Promise.allSettled(calls.map((call) => send(call)));
  const errors: unknown[] = [];
  for (const outcome of outcomes) {
    if (outcome.status === 'rejected') {
      errors.push(outcome.reason);
      continue;
    }
    accepted.push(...outcome.value.accepted);
    failed.push(...outcome.value.failed);
  }
  if (errors.length > 0) {
    const first = errors[0];
    const reason = first instanceof Error ? `${first.name}: ${first.message}` : String(first);
    throw new AlertPublishError(`${errors.length} of ${calls.length} ${operation} calls failed (${reason})`, { accepted, failed }, { cause: first });
  }
  return { accepted, failed };
}

/** UTF-8 bytes of a string: what the AWS size limits count. */
export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

// Codes that say the request or the caller's setup is wrong (validation, malformed input, access,
// a disabled integration); throttling, internal and capacity errors are worth a retry.
const TRANSIENT_CODE = /throttl|internal|limitexceeded|unavailable|timeout|toomanyrequests/i;
const SENDER_CODE = /invalid|validation|malformed|toolarge|accessdenied|notauthorized|redaction|notfound/i;

/** Whether a destination's per-entry error code blames the request: retrying the same entry will not help. Unknown codes are retried. */
export function isSenderFault(code: string): boolean {
  return !TRANSIENT_CODE.test(code) && SENDER_CODE.test(code);
}
