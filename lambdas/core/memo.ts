/** A bounded memo for pure functions of strings that the hot path calls with the same few values. */

/** Distinct inputs remembered before the memo starts again (a flood, not a vendor's traffic). */
const MAX_ENTRIES = 10_000;

/** `fn`, remembering its result for each distinct input (up to {@link MAX_ENTRIES}, then starting again). */
export function memoize<T>(fn: (input: string) => T): (input: string) => T {
  const results = new Map<string, T>();
  return (input) => {
    let result = results.get(input);
    if (result === undefined && !results.has(input)) {
      result = fn(input);
      if (results.size >= MAX_ENTRIES) results.clear();
      results.set(input, result);
    }
    return result as T;
  };
}
