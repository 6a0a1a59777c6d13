/**
 * Rejects regular expressions that can backtrack catastrophically. Session names are chosen by
 * whoever holds the credentials, so a pattern we match them against must run in bounded time.
 *
 * The rule is conservative (star height): a repeated group may not contain another unbounded
 * quantifier or an alternation, and backreferences are refused. `(a+)+$`, `(.*a){20}`,
 * `(a|aa)+` and `(\w+\s?)*` are refused; `^sync-[0-9]{12}-[a-z]+$` is accepted.
 */
export function regexSafetyProblem(source: string): string | null {
  interface Frame { quantified: boolean; alternation: boolean }
  const stack: Frame[] = [{ quantified: false, alternation: false }];
  let lastGroup: Frame | null = null;
  let i = 0;
  const top = (): Frame => stack[stack.length - 1]!;
  while (i < source.length) {
    const c = source[i]!;
    if (c === '\\') {
      const next = source[i + 1] ?? '';
      if (/[1-9]/.test(next) || next === 'k') return 'backreferences are not allowed';
      i += 2;
      lastGroup = null;
      continue;
    }
    if (c === '[') {
      i += 1;
      if (source[i] === '^') i += 1;
      if (source[i] === ']') i += 1;
      while (i < source.length && source[i] !== ']') i += source[i] === '\\' ? 2 : 1;
      i += 1;
      lastGroup = null;
      continue;
    }
    if (c === '(') {
      stack.push({ quantified: false, alternation: false });
      i += 1;
      if (source[i] === '?') {
        // (?: (?= (?! (?<= (?<! (?<name>
        i += 1;
        if (source[i] === '<' && source[i + 1] !== '=' && source[i + 1] !== '!') {
          while (i < source.length && source[i] !== '>') i += 1;
        }
        i += 1;
      }
      lastGroup = null;
      continue;
    }
    if (c === ')') {
      if (stack.length === 1) return 'unbalanced parenthesis';
      lastGroup = stack.pop()!;
      i += 1;
      const q = readQuantifier(source, i);
      if (q) {
        if (q.repeats && (lastGroup.quantified || (lastGroup.alternation && q.unbounded))) {
          return `a repeated group "${source.slice(0, i)}" contains ${lastGroup.quantified ? 'a quantifier' : 'an alternation'} (catastrophic backtracking)`;
        }
        i += q.length;
        top().quantified ||= q.unbounded || lastGroup.quantified;
      }
      top().quantified ||= lastGroup.quantified;
      top().alternation ||= lastGroup.alternation;
      lastGroup = null;
      continue;
    }
    if (c === '|') {
      top().alternation = true;
      i += 1;
      continue;
    }
    const q = readQuantifier(source, i);
    if (q) {
      if (q.unbounded) top().quantified = true;
      i += q.length;
      continue;
    }
    i += 1;
  }
  if (stack.length !== 1) return 'unbalanced parenthesis';
  return null;
}

/** A quantifier at `at`: its length, whether it repeats more than once, whether it is unbounded. */
function readQuantifier(s: string, at: number): { length: number; repeats: boolean; unbounded: boolean } | null {
  const c = s[at];
  let length = 0;
  let repeats = false;
  let unbounded = false;
  if (c === '*' || c === '+') {
    length = 1;
    repeats = true;
    unbounded = true;
  } else if (c === '?') {
    length = 1;
  } else if (c === '{') {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(s.slice(at));
    if (!m) return null;
    length = m[0].length;
    const max = m[2] === undefined ? Number(m[1]) : m[3] === '' ? Infinity : Number(m[3]);
    repeats = max > 1;
    unbounded = max > 1;
  } else {
    return null;
  }
  if (s[at + length] === '?' || s[at + length] === '+') length += 1; // lazy or possessive suffix
  return { length, repeats, unbounded };
}
