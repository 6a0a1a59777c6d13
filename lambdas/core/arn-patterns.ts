/**
 * ARN patterns (`monitoredRoleArns`, `expectedCallerArns`, `roleRegions`' keys, …): `*` matches
 * any characters, `?` one, the rest literally. They are matched against ARNs a record carries,
 * which a caller may choose (a refused AssumeRole logs its RoleArn, up to 2048 characters), so
 * without regular expressions and in time bounded by the ARN's length times the pattern's.
 */

/** The form an ARN pattern must have (partition, service, region, account or `*`, resource): checked before {@link glob} compiles it. */
export const ARN_PATTERN = /^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b|\*):[a-z0-9*-]*:[a-z0-9-]*:(\d{12}|\*|):[\x21-\x7e]+$/;

/**
 * An anchored matcher for an ARN pattern where `*` matches any characters and `?` one, the rest
 * literally. No regular expression: a translation to `.*` backtracks polynomially (a pattern with
 * three stars took 5 s on a 2048-character role ARN, as long as STS takes and logs when it
 * refuses the call); see {@link wildcardMatch}.
 */
export function glob(pattern: string): (text: string) => boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) return (text) => text === pattern;
  if (!pattern.includes('?')) return starMatcher(pattern.split('*'));
  return (text) => wildcardMatch(pattern, text);
}

/**
 * A pattern with `*` only, by its literal parts: the first must start the text, the last end it,
 * and each middle one is found at its leftmost place after the one before (leftmost is never
 * worse, as any star can take what lies between). Native string search, at most the text's
 * length times the pattern's: the hot path's form (`…:role/outbound-*` on every call).
 */
function starMatcher(parts: readonly string[]): (text: string) => boolean {
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  const middle = parts.slice(1, -1).filter((part) => part !== '');
  return (text) => {
    // slice and === rather than startsWith and endsWith: three times faster on Node 20.
    const end = text.length - last.length;
    if (end < first.length || text.slice(0, first.length) !== first || (last !== '' && text.slice(end) !== last)) return false;
    let at = first.length;
    for (const part of middle) {
      const found = text.indexOf(part, at);
      if (found === -1 || found + part.length > end) return false;
      at = found + part.length;
    }
    return true;
  };
}

const STAR = 42;
const QUESTION = 63;

/**
 * The classic wildcard match: on a mismatch only the latest `*` takes one more character (an
 * earlier star could not do better), so the time is at most the text's length times the
 * pattern's, never exponential or polynomial in the text.
 */
function wildcardMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    const c = p < pattern.length ? pattern.charCodeAt(p) : -1;
    if (c === STAR) {
      star = p;
      p += 1;
      resume = t;
    } else if (c === QUESTION || (c !== -1 && c === text.charCodeAt(t))) {
      p += 1;
      t += 1;
    } else if (star !== -1) {
      p = star + 1;
      resume += 1;
      t = resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern.charCodeAt(p) === STAR) p += 1;
  return p === pattern.length;
}

/** A matcher for a list of ARN patterns: exact ones looked up, the others each matched by {@link glob}. */
export function globList(patterns: readonly string[]): (text: string) => boolean {
  const exact = new Set(patterns.filter((p) => !p.includes('*') && !p.includes('?')));
  const wild = patterns.filter((p) => p.includes('*') || p.includes('?')).map(glob);
  return (text) => exact.has(text) || wild.some((m) => m(text));
}
