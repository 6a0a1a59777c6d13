/**
 * Name patterns (`sessionNamePattern`, `pivotRoleNamePatterns`, `pivotRoleNameExceptions`) run
 * by RE2 (re2js, a pure-JavaScript port): its time is linear in the name whatever the pattern,
 * since it never backtracks. Session names are chosen by whoever holds the credentials, so a
 * backtracking engine (JavaScript's own) would let one name hang the function: `(a+)+`,
 * JavaScript's `[^]`, or merely `.*` eight times take seconds to years on a 64-character name,
 * and no checker of patterns catches every such case. RE2 has no lookaround and no
 * backreferences: the features backtracking needs. Each pattern is compiled once (per flags).
 */
import { RE2JS } from 're2js';

/** The syntax name patterns take, as configuration errors state it. */
export const NAME_PATTERN_SYNTAX = 'RE2 syntax: no lookaround, no backreferences';

/** A compiled whole-name pattern. */
export interface NameMatcher {
  /** Whether the whole name matches (never when it is longer than the bound). */
  test(name: string): boolean;
}

/** Compiled patterns by flags and source: a configuration is checked, then compiled, and often loaded again (tests, replay's workers). */
const COMPILED = new Map<string, RE2JS>();
/** Patterns kept compiled before the cache starts again: a configuration holds a few. */
const MAX_COMPILED = 256;

/** The pattern compiled with `flags`, once. Throws RE2JS's syntax error. */
function compiled(pattern: string, flags: number): RE2JS {
  const key = `${flags}/${pattern}`;
  let re = COMPILED.get(key);
  if (re === undefined) {
    re = RE2JS.compile(pattern, flags);
    if (COMPILED.size >= MAX_COMPILED) COMPILED.clear();
    COMPILED.set(key, re);
  }
  return re;
}

/**
 * Why a pattern cannot be used (RE2 refuses it), or null. Checked by compiling it as it will run
 * (`caseInsensitive` as {@link wholeNameMatcher} gets it), so a cold start compiles each once.
 */
export function namePatternProblem(pattern: string, caseInsensitive = false): string | null {
  try {
    compiled(pattern, caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0);
    return null;
  } catch (e) {
    // re2js: "error parsing regexp: invalid or unsupported Perl syntax: `(?!`"
    const reason = (e as Error).message.replace(/^error parsing regexp: /, '');
    return `is not an RE2 regular expression (${reason}); expected ${NAME_PATTERN_SYNTAX}`;
  }
}

/**
 * The whole-name matcher of a pattern (checked by {@link namePatternProblem}). A name longer than
 * `maxLength` (what AWS allows) never matches: a record may carry any string, and no name AWS
 * accepted is that long. `.` matches no line break, as in JavaScript.
 */
export function wholeNameMatcher(pattern: string, maxLength: number, caseInsensitive = false): NameMatcher {
  const re = compiled(pattern, caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0);
  return { test: (name) => name.length <= maxLength && re.testExact(name) };
}

/** The first of the patterns a whole name matches (each as {@link wholeNameMatcher}), or null. */
export function firstMatch(patterns: readonly string[], maxLength: number, caseInsensitive: boolean): (name: string) => string | null {
  const matchers = patterns.map((pattern) => ({ pattern, matcher: wholeNameMatcher(pattern, maxLength, caseInsensitive) }));
  return (name) => {
    for (const m of matchers) if (m.matcher.test(name)) return m.pattern;
    return null;
  };
}
