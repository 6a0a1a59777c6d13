/**
 * CloudTrail's time formats, read and written: `eventTime` (ISO 8601 to the second, `Z`; log
 * platforms export it without the zone) and STS's `credentials.expiration` (ISO 8601, the
 * console's `"Jul 18, 2023, 4:07:39 PM"` in UTC, or epoch seconds or milliseconds). The parser
 * reads them; the generator writes them.
 */

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * Parses CloudTrail's ISO 8601 times strictly; null for anything else. A time without a zone
 * (`2024-06-02 20:27:12`, as log platforms like Panther and Athena export it) is UTC.
 */
export function parseIsoTime(text: string): number | null {
  return cloudTrailTime(text) ?? isoTime(text);
}

/**
 * CloudTrail's own form, `2024-06-02T20:27:12Z`, read without the regular expression (every
 * record has one or more). Null for anything else, which {@link isoTime} then decides.
 */
function cloudTrailTime(t: string): number | null {
  if (t.length !== 20 || t.charCodeAt(4) !== 45 || t.charCodeAt(7) !== 45 || t.charCodeAt(10) !== 84 || t.charCodeAt(13) !== 58 || t.charCodeAt(16) !== 58 || t.charCodeAt(19) !== 90) {
    return null;
  }
  const year = digits(t, 0, 4);
  const month = digits(t, 5, 2);
  const day = digits(t, 8, 2);
  const hour = digits(t, 11, 2);
  const minute = digits(t, 14, 2);
  const second = digits(t, 17, 2);
  // The ranges Date.parse accepts (a 31st of any month rolls over, as it does there); years
  // before 1000 and hour 24 are left to the general path.
  if (!(year >= 1000 && month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 59)) return null;
  return Date.UTC(year, month - 1, day, hour, minute, second);
}

/** The decimal number in `length` characters from `start`; NaN when one is not a digit. */
function digits(text: string, start: number, length: number): number {
  let n = 0;
  for (let i = start; i < start + length; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return NaN;
    n = n * 10 + c;
  }
  return n;
}

function isoTime(text: string): number | null {
  const m = ISO.exec(text);
  if (!m) return null;
  const zone = m[8] ?? 'Z';
  const ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${(m[7] ?? '').slice(0, 4)}${zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone}`);
  return Number.isFinite(ms) ? ms : null;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;
const MONTH_INDEX: Readonly<Record<string, number>> = Object.fromEntries(MONTHS.map((m, i) => [m, i]));
const CONSOLE_TIME = /^([A-Z][a-z]{2}) (\d{1,2}), (\d{4}),? (\d{1,2}):(\d{2}):(\d{2}) ?([AP]M)$/;

/**
 * `credentials.expiration` comes as ISO 8601, as `"Jul 18, 2023, 4:07:39 PM"` (UTC), or as
 * epoch seconds or milliseconds.
 */
export function parseExpiration(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value < 1e11 ? value * 1000 : value;
  if (typeof value !== 'string') return null;
  // The console form starts with the month's name (AssumeRole responses use it).
  const first = value.charCodeAt(0);
  if (!(first >= 65 && first <= 90)) return parseIsoTime(value);
  const m = CONSOLE_TIME.exec(value);
  if (!m) return null;
  const month = MONTH_INDEX[m[1]!];
  if (month === undefined) return null;
  let hour = Number(m[4]) % 12;
  if (m[7] === 'PM') hour += 12;
  return Date.UTC(Number(m[3]), month, Number(m[2]), hour, Number(m[5]), Number(m[6]));
}

/** CloudTrail's `eventTime`: an epoch-milliseconds time as ISO 8601 to the second, `Z`. */
export function isoSeconds(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** STS's `credentials.expiration` in the console form: `Aug 1, 2024, 11:45:22 AM` (UTC). */
export function stsExpiration(ms: number): string {
  const d = new Date(Math.floor(ms / 1000) * 1000);
  const h = d.getUTCHours();
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}, ${h % 12 || 12}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} ${h < 12 ? 'AM' : 'PM'}`;
}
