/**
 * Per-detector settings, the `detectors` key: a detector turned off, its own severity floor, and
 * its exceptions. An exception names traffic the vendor accepts (a CI role, a partner's range)
 * whose findings are counted and never alerted, until it expires: every exception has an end,
 * since one without is how alerts die quietly. Checked here, every problem naming its path
 * (`detectors.source-ip.exceptions[2].expires`), and compiled once per configuration. The
 * matchers are the configuration's own: ARN patterns by `glob`, CIDRs by ip.ts, session names by
 * RE2 (name-patterns.ts), each in time linear in what the record carries.
 */
import { ARN_PATTERN, glob } from './arn-patterns';
import { closest, parseJsonOr, show } from './config-values';
import { DETECTOR_IDS } from './detector-ids';
import { cidrContains, parseCidr, type IpAddress } from './ip';
import { namePatternProblem, wholeNameMatcher } from './name-patterns';
import { SEVERITIES, type Severity } from './types';

/** One exception as configured (and as the Lambda's environment carries it): matchers present only when given. */
export interface DetectorException {
  readonly id: string;
  readonly principal?: string;
  readonly sourceCidr?: string;
  readonly sessionNamePattern?: string;
  readonly targetAccount?: string;
  readonly reason: string;
  readonly expires: string;
}

/** One detector's settings, defaults filled. */
export interface DetectorSettings {
  readonly enabled: boolean;
  /** The detector's severity floor; null: `minAlertSeverity`. */
  readonly minSeverity: Severity | null;
  readonly exceptions: readonly DetectorException[];
}

/** What an exception is matched against: the call a finding is about. Absent facts never match. */
export interface CallFacts {
  readonly eventTime: number;
  /** The caller's ARN, its role, its identity provider and its account root, as `expectedCallerArns` match callers. */
  readonly callerIdentities: readonly string[];
  readonly sourceIp: IpAddress | null;
  /** The requested session name of an AssumeRole call; the calling session's name otherwise. */
  readonly sessionName: string | null;
  /** The account of the role an AssumeRole call assumes. */
  readonly targetAccount: string | null;
}

/** An exception ready to match. */
export interface CompiledException {
  readonly detector: string;
  readonly id: string;
  /** `<detector>/<id>`: how stats, logs and reports name it. */
  readonly key: string;
  readonly reason: string;
  /** As configured. */
  readonly expires: string;
  /** Epoch milliseconds: it applies to events before this instant. */
  readonly expiresAt: number;
  /** Every matcher it has matches the call, and the event came before it expired. */
  applies(facts: CallFacts): boolean;
}

/** A detector's settings, compiled. */
export interface CompiledDetectorSettings {
  readonly enabled: boolean;
  /** The entry's `minSeverity`, else `minAlertSeverity`. */
  readonly minSeverity: Severity;
  readonly exceptions: readonly CompiledException[];
}

/** The key's type as errors and the docs table state it. */
export const DETECTORS_TYPE = '{detector id: {enabled, minSeverity, exceptions}}';

const ENTRY_FIELDS = ['enabled', 'minSeverity', 'exceptions'] as const;
const MATCHERS = ['principal', 'sourceCidr', 'sessionNamePattern', 'targetAccount'] as const;
const EXCEPTION_FIELDS = ['id', ...MATCHERS, 'reason', 'expires'] as const;

/** The forms `expires` takes, as errors state them. */
const EXPIRES_FORM = 'an ISO-8601 date YYYY-MM-DD (that day 00:00 UTC) or date-time YYYY-MM-DDThh:mm[:ss[.fff]] with Z or ±hh:mm';
/** STS accepts role session names of 2 to 64 characters; longer strings in a record never match. */
const MAX_SESSION_NAME_LENGTH = 64;
/** Longest exception id: it names the exception in logs, metrics' logs and replay's summary. */
const MAX_ID_LENGTH = 64;

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * `expires` as epoch milliseconds, or null when it is not one of the forms. A date is that day
 * 00:00 UTC (an exception `expires: 2026-12-31` last applies to events of 30 December): the
 * earliest reading, so a date never extends an exception past what was written. No day rolls
 * over (`2026-02-30` is refused, never read as 2 March).
 */
export function parseExpires(text: string): number | null {
  const m = DATE_TIME.exec(text) ?? DATE.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [number, number, number, number, number, number];
  const date = Date.UTC(year, month - 1, day);
  const d = new Date(date);
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59) return null;
  const fraction = m[7] ? Math.floor(Number(`0${m[7]}`) * 1000) : 0;
  const zone = m[8] ?? 'Z';
  let offset = 0;
  if (zone !== 'Z') {
    const [hours, minutes] = [Number(zone.slice(1, 3)), Number(zone.slice(4, 6))];
    if (hours > 23 || minutes > 59) return null;
    offset = (zone[0] === '-' ? -1 : 1) * (hours * 60 + minutes) * 60_000;
  }
  return date + ((hour * 60 + minute) * 60 + second) * 1000 + fraction - offset;
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Unknown fields of an object, each named with a "did you mean"; `__proto__` among them (JSON.parse makes it an own property). */
function unknownFields(path: string, value: Record<string, unknown>, known: readonly string[], problems: string[]): void {
  for (const field of Object.keys(value)) {
    if (known.includes(field)) continue;
    const guess = closest(field, known);
    problems.push(`${path}.${field}: unknown field${guess ? ` (did you mean "${guess}"?)` : ''}; expected ${known.join(', ')}`);
  }
}

/**
 * Checks the `detectors` key (an object, or its JSON as `cdk -c` passes it) and returns it with
 * defaults filled; each problem goes to `problems` naming its path and the expected form.
 */
export function checkDetectors(name: string, value: unknown, problems: string[]): Record<string, DetectorSettings> {
  const parsed = typeof value === 'string' ? parseJsonOr(value) : value;
  const out: Record<string, DetectorSettings> = {};
  if (!isObject(parsed)) {
    problems.push(`${name}: ${show(value)} is not an object; expected ${DETECTORS_TYPE}`);
    return out;
  }
  for (const [id, entry] of Object.entries(parsed)) {
    const path = `${name}.${id}`;
    if (!DETECTOR_IDS.includes(id)) {
      const guess = closest(id, DETECTOR_IDS);
      problems.push(`${path}: unknown detector${guess ? ` (did you mean "${guess}"?)` : ''}; expected one of ${DETECTOR_IDS.join(', ')}`);
      continue;
    }
    const settings = checkEntry(path, entry, problems);
    if (settings) out[id] = settings;
  }
  return out;
}

function checkEntry(path: string, entry: unknown, problems: string[]): DetectorSettings | undefined {
  if (!isObject(entry)) {
    problems.push(`${path}: ${show(entry)} is not an object; expected {"enabled"?: boolean, "minSeverity"?: ${SEVERITIES.join('|')}, "exceptions"?: [...]}`);
    return undefined;
  }
  unknownFields(path, entry, ENTRY_FIELDS, problems);
  let enabled = true;
  if (entry.enabled !== undefined) {
    if (typeof entry.enabled === 'boolean') enabled = entry.enabled;
    else problems.push(`${path}.enabled: ${show(entry.enabled)} is not true or false; expected boolean`);
  }
  let minSeverity: Severity | null = null;
  if (entry.minSeverity !== undefined && entry.minSeverity !== null) {
    if (typeof entry.minSeverity === 'string' && (SEVERITIES as readonly string[]).includes(entry.minSeverity)) minSeverity = entry.minSeverity as Severity;
    else problems.push(`${path}.minSeverity: ${show(entry.minSeverity)} is not a severity; expected ${SEVERITIES.join('|')}`);
  }
  const exceptions: DetectorException[] = [];
  if (entry.exceptions !== undefined) {
    if (!Array.isArray(entry.exceptions)) {
      problems.push(`${path}.exceptions: ${show(entry.exceptions)} is not a list; expected a list of exceptions`);
    } else {
      const seen = new Map<string, number>();
      entry.exceptions.forEach((raw: unknown, i) => {
        const exception = checkException(`${path}.exceptions[${i}]`, raw, problems);
        if (!exception) return;
        const first = seen.get(exception.id);
        if (first !== undefined) problems.push(`${path}.exceptions[${i}].id: ${show(exception.id)} is also the id of exceptions[${first}]; expected ids unique within the detector`);
        else seen.set(exception.id, i);
        exceptions.push(exception);
      });
    }
  }
  return { enabled, minSeverity, exceptions };
}

/** A required text field: a non-empty string. */
function text(path: string, value: unknown, what: string, problems: string[]): string | undefined {
  if (value === undefined) problems.push(`${path}: required; expected ${what}`);
  else if (typeof value !== 'string' || value.trim() === '') problems.push(`${path}: ${show(value)} is not text; expected ${what}`);
  else return value;
  return undefined;
}

function checkException(path: string, raw: unknown, problems: string[]): DetectorException | undefined {
  if (!isObject(raw)) {
    problems.push(`${path}: ${show(raw)} is not an object; expected {"id", "reason", "expires" and at least one of ${MATCHERS.map((m) => `"${m}"`).join(', ')}}`);
    return undefined;
  }
  const before = problems.length;
  unknownFields(path, raw, EXCEPTION_FIELDS, problems);
  const id = text(`${path}.id`, raw.id, `a name for the exception, unique within the detector (at most ${MAX_ID_LENGTH} printable characters)`, problems);
  if (id !== undefined && (id.length > MAX_ID_LENGTH || !/^[\x20-\x7e]+$/.test(id))) problems.push(`${path}.id: ${show(id)} is not a name; expected at most ${MAX_ID_LENGTH} printable ASCII characters`);
  const reason = text(`${path}.reason`, raw.reason, 'why this traffic is accepted (shown with the exception in reports)', problems);
  let expires: string | undefined;
  if (raw.expires === undefined) problems.push(`${path}.expires: required (an exception without an end silences its findings for good); expected ${EXPIRES_FORM}`);
  else if (typeof raw.expires !== 'string' || parseExpires(raw.expires) === null) problems.push(`${path}.expires: ${show(raw.expires)} is not a date or date-time; expected ${EXPIRES_FORM}`);
  else expires = raw.expires;
  const matchers: Partial<Record<(typeof MATCHERS)[number], string>> = {};
  for (const field of MATCHERS) {
    const value = raw[field];
    if (value === undefined) continue;
    const problem = matcherProblem(field, value);
    if (problem) problems.push(`${path}.${field}: ${show(value)} ${problem}`);
    else matchers[field] = value as string;
  }
  if (MATCHERS.every((field) => raw[field] === undefined)) {
    problems.push(`${path}: no matcher; expected at least one of ${MATCHERS.join(', ')} (an exception for every call of the detector is "enabled": false)`);
  }
  if (problems.length > before) return undefined;
  return { id: id!, ...matchers, reason: reason!, expires: expires! };
}

/** Why a matcher's value cannot be used, or null. */
function matcherProblem(field: (typeof MATCHERS)[number], value: unknown): string | null {
  if (typeof value !== 'string') return `is not text; expected ${MATCHER_FORMS[field]}`;
  switch (field) {
    case 'principal':
      return ARN_PATTERN.test(value) ? null : `is not an ARN pattern; expected ${MATCHER_FORMS.principal}`;
    case 'sourceCidr':
      return parseCidr(value) ? null : `is not a CIDR; expected ${MATCHER_FORMS.sourceCidr}`;
    case 'sessionNamePattern':
      return value === '' ? `is empty; expected ${MATCHER_FORMS.sessionNamePattern}` : namePatternProblem(value);
    case 'targetAccount':
      return /^\d{12}$/.test(value) ? null : `is not an account ID; expected ${MATCHER_FORMS.targetAccount}`;
  }
}

const MATCHER_FORMS: Readonly<Record<(typeof MATCHERS)[number], string>> = {
  principal: 'an ARN pattern (arn:aws:iam::123456789012:role/name, * allowed)',
  sourceCidr: 'a CIDR like 203.0.113.0/24 or 2001:db8::/48 (one address is /32 or /128)',
  sessionNamePattern: 'an RE2 regular expression matching the whole session name',
  targetAccount: 'a 12-digit account ID, as a string',
};

/** The settings of a detector the key does not mention: on, at `minAlertSeverity`, no exceptions. */
function defaults(minAlertSeverity: Severity): CompiledDetectorSettings {
  return { enabled: true, minSeverity: minAlertSeverity, exceptions: [] };
}

/**
 * Compiles checked settings: each detector's, looked up by id (a detector the key does not
 * mention gets the defaults), and every exception in configuration order.
 */
export function compileDetectors(detectors: Readonly<Record<string, DetectorSettings>>, minAlertSeverity: Severity): { settingsOf: (detectorId: string) => CompiledDetectorSettings; exceptions: readonly CompiledException[] } {
  const byId = new Map<string, CompiledDetectorSettings>();
  const exceptions: CompiledException[] = [];
  for (const [detector, settings] of Object.entries(detectors)) {
    const compiled = settings.exceptions.map((e) => compileException(detector, e));
    exceptions.push(...compiled);
    byId.set(detector, { enabled: settings.enabled, minSeverity: settings.minSeverity ?? minAlertSeverity, exceptions: compiled });
  }
  const fallback = defaults(minAlertSeverity);
  return { settingsOf: (id) => byId.get(id) ?? fallback, exceptions };
}

function compileException(detector: string, e: DetectorException): CompiledException {
  const tests: ((facts: CallFacts) => boolean)[] = [];
  if (e.principal !== undefined) {
    const matches = glob(e.principal);
    tests.push((f) => f.callerIdentities.some(matches));
  }
  if (e.sourceCidr !== undefined) {
    const cidr = parseCidr(e.sourceCidr)!;
    tests.push((f) => f.sourceIp !== null && cidrContains(cidr, f.sourceIp));
  }
  if (e.sessionNamePattern !== undefined) {
    const name = wholeNameMatcher(e.sessionNamePattern, MAX_SESSION_NAME_LENGTH);
    tests.push((f) => f.sessionName !== null && name.test(f.sessionName));
  }
  if (e.targetAccount !== undefined) {
    const account = e.targetAccount;
    tests.push((f) => f.targetAccount === account);
  }
  const expiresAt = parseExpires(e.expires)!;
  return {
    detector,
    id: e.id,
    key: `${detector}/${e.id}`,
    reason: e.reason,
    expires: e.expires,
    expiresAt,
    applies: (facts) => facts.eventTime < expiresAt && tests.every((test) => test(facts)),
  };
}

/** The exceptions that have expired at `atMs` (the Lambda's clock, or replay's last event). */
export function expiredAt(exceptions: readonly CompiledException[], atMs: number): CompiledException[] {
  return exceptions.filter((e) => e.expiresAt <= atMs);
}
