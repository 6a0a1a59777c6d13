/**
 * What `replay --format` prints for each alert: the readable text, or one JSON document a line —
 * the versioned alert record as SNS and EventBridge carry it (`json`: alertId, console links), the OCSF Detection Finding (`ocsf`) or the Security Hub
 * finding (`asff`) — exactly as the deployed destinations render them, so a back-test feeds a
 * SIEM or a Security Hub import the same documents the function would have sent.
 */
import type { CompiledConfig } from '../lambdas/core/config';
import { isRegionName } from '../lambdas/core/config-values';
import { accountOf } from '../lambdas/core/parse';
import { toAsff, type AsffTarget } from '../lambdas/delivery/asff';
import { publishedRecord } from '../lambdas/delivery/alert-record';
import { terminalJson, toText } from '../lambdas/delivery/format';
import { toOcsf } from '../lambdas/delivery/ocsf';
import type { Alert } from '../lambdas/engine/alerts';

/** The renderings `--format` selects. */
export const ALERT_FORMATS = ['text', 'json', 'ocsf', 'asff'] as const;
/** One of {@link ALERT_FORMATS}. */
export type AlertFormat = (typeof ALERT_FORMATS)[number];

/** An assumed-role ARN's role: `arn:aws:sts::1:assumed-role/R/s` → `arn:aws:iam::1:role/R`. */
function issuerOf(arn: string | null): string | null {
  const m = arn === null ? null : /^arn:([^:]*):sts::(\d{12}):assumed-role\/([^/]+)\//.exec(arn);
  return m === null ? null : `arn:${m[1]}:iam::${m[2]}:role/${m[3]}`;
}

/**
 * The account and Region a replayed alert's finding would have been imported in: the monitored
 * role's account (the bastion account, whose trail recorded the call), and the call's Region.
 */
export function asffTargetOf(alert: Alert, config: CompiledConfig): AsffTarget {
  const e = alert.evidence;
  const monitored = [e.roleArn, issuerOf(e.principalArn)].find((arn) => arn !== null && config.isMonitoredRole(arn)) ?? null;
  const arn = monitored ?? e.principalArn ?? e.roleArn;
  const accountId = (arn === null ? null : accountOf(arn)) ?? '000000000000';
  const partition = arn?.split(':')[1] || 'aws';
  return { accountId: /^\d{12}$/.test(accountId) ? accountId : '000000000000', region: isRegionName(e.awsRegion) ? e.awsRegion : 'us-east-1', partition };
}

/** The last event time of an alert, as epoch milliseconds: a replayed finding's `UpdatedAt`, so the output is the same on every run. */
function lastEventTime(alert: Alert): number {
  const times = alert.evidence.eventTimes.map((t) => Date.parse(t)).filter((t) => Number.isFinite(t));
  return times.length > 0 ? Math.max(...times) : 0;
}

/** ANSI colours of the severity in the text listing, on a terminal. */
const SEVERITY_COLOUR: Readonly<Record<Alert['severity'], string>> = { low: '\x1b[2m', medium: '\x1b[33m', high: '\x1b[31m', critical: '\x1b[1;31m' };

/** One alert as `format` prints it, ending in a newline; `colour` marks the text listing's severity for a terminal. */
export function renderForReplay(alert: Alert, format: AlertFormat, config: CompiledConfig, colour = false): string {
  switch (format) {
    case 'text': {
      const line = toText(alert);
      const label = alert.severity.toUpperCase();
      // The severity is ours (never attacker text), and the first occurrence is its column.
      return `${colour ? line.replace(label, `${SEVERITY_COLOUR[alert.severity]}${label}\x1b[0m`) : line}\n`;
    }
    case 'json':
      return `${terminalJson(publishedRecord(alert))}\n`;
    case 'ocsf':
      return `${terminalJson(toOcsf(alert))}\n`;
    case 'asff':
      return `${terminalJson(toAsff(alert, asffTargetOf(alert, config), { now: lastEventTime(alert) }))}\n`;
  }
}
