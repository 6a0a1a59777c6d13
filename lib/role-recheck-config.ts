/**
 * The scheduled re-check's deployment keys: its schedule (EventBridge's forms, at most hourly),
 * the rules between its keys and the detection keys, and the detect function's configuration
 * with the re-check's role as one more role checker.
 */
import { loadConfig, type EngineConfig } from '../lambdas/core/config';
import { show } from '../lambdas/core/config-values';

/** EventBridge's rate expression: a positive whole number and a unit, singular for 1 and plural otherwise. */
const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
/** EventBridge's cron expression: minutes, hours, day of month, month, day of week, year. */
const CRON = /^cron\((\S+) (\S+) (\S+) (\S+) (\S+) (\S+)\)$/;
const CRON_FIELD = /^[0-9A-Za-z*?,/#-]+$/;

/**
 * Why `value` is not a schedule the re-check may run on, or null. EventBridge's forms (`rate(1
 * day)`, `cron(0 6 * * ? *)`), at most hourly: every run is one AssumeRole in every customer's
 * CloudTrail, and a role's trust policy changes seldom.
 */
export function scheduleProblem(value: unknown): string | null {
  if (typeof value !== 'string') return `${show(value)} is not a schedule expression`;
  const text = value.trim();
  const rate = RATE.exec(text);
  if (rate) {
    const n = Number(rate[1]);
    const unit = rate[2]!;
    if (n < 1) return `${show(value)} is not a rate EventBridge accepts (at least 1)`;
    if ((n === 1) !== !unit.endsWith('s')) return `${show(value)} is not a rate EventBridge accepts (the unit is singular for 1, plural otherwise)`;
    if (unit.startsWith('minute') && n < 60) return `${show(value)} runs more often than hourly (every run shows in every customer's CloudTrail)`;
    return null;
  }
  const cron = CRON.exec(text);
  if (cron) {
    const [minutes, , dayOfMonth, , dayOfWeek] = cron.slice(1) as [string, string, string, string, string, string];
    if (!cron.slice(1).every((f) => CRON_FIELD.test(f))) return `${show(value)} is not a cron expression EventBridge accepts`;
    if ((dayOfMonth === '?') === (dayOfWeek === '?')) return `${show(value)} is not a cron expression EventBridge accepts (one of day-of-month and day-of-week must be ?)`;
    if (!/^\d{1,2}$/.test(minutes) || Number(minutes) > 59) return `${show(value)} runs more often than hourly (its minutes field must be one minute, like 0; every run shows in every customer's CloudTrail)`;
    return null;
  }
  return `${show(value)} is not an EventBridge schedule expression (rate(1 day), cron(0 6 * * ? *))`;
}

/** The longest role ARN (a 64-character name, no path): room for the re-check's role in `roleCheckerArns` before its name is known. */
export const LONGEST_ROLE_ARN = `arn:aws-us-gov:iam::123456789012:role/${'r'.repeat(64)}`;

/** The detection configuration the detect function gets with the re-check: its role is one more role checker. */
export function withRoleChecker(detection: EngineConfig, roleArn: string): EngineConfig {
  return { ...detection, roleCheckerArns: [...detection.roleCheckerArns, roleArn] };
}

/**
 * The re-check's rules between keys, one problem per key at fault: a schedule needs the outbound
 * role to assume and a registry to read, and the outbound role must be a monitored one (the
 * customer roles trust those, and the watch sees the re-check's sessions only there).
 */
export function roleRecheckProblems(detection: EngineConfig, schedule: string | null, outboundRoleArn: string | null): string[] {
  if (schedule === null) return [];
  const problems: string[] = [];
  if (outboundRoleArn === null) problems.push('roleRecheckOutboundRoleArn: required with roleRecheckSchedule; expected the outbound role the re-check assumes (one of monitoredRoleArns)');
  else if (!loadConfig({ monitoredRoleArns: detection.monitoredRoleArns }).isMonitoredRole(outboundRoleArn)) problems.push(`roleRecheckOutboundRoleArn: ${show(outboundRoleArn)} matches no pattern of monitoredRoleArns; expected one of the outbound roles the customer roles trust`);
  if (detection.customerRegistry === null) problems.push('roleRecheckSchedule: the re-check probes the roles of customerRegistry, which is not set; expected customerRegistry (s3://bucket/key), or roleRecheckSchedule null');
  return problems;
}

