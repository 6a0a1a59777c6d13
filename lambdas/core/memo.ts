/** A bounded memo for pure functions of strings that the hot path calls with the same few values. */

/** Distinct inputs remembered before the memo starts again (a flood, not a vendor's traffic). */
export const MAX_ENTRIES = 10_000;
/** Below this share of lookups answered from memory, remembering costs more than it saves. */
const MIN_HIT_RATE = 0.25;
/** Calls passed straight through once remembering did not pay, before it is tried again. */
export const PASS_THROUGH_CALLS = 10 * MAX_ENTRIES;

/**
 * `fn`, remembering its result for each distinct input (up to {@link MAX_ENTRIES}, then starting
 * again). Where inputs rarely repeat (session names with a timestamp in each), a full table that
 * answered under a quarter of its lookups means remembering is waste: the next
 * {@link PASS_THROUGH_CALLS} calls go straight to `fn`, then the memo tries again.
 */
export function memoize<T>(fn: (input: string) => T): (input: string) => T {
  const results = new Map<string, T>();
  let lookups = 0;
  let hits = 0;
  let passThrough = 0;
  return (input) => {
    if (passThrough > 0) {
      passThrough -= 1;
      return fn(input);
    }
    lookups += 1;
    let result = results.get(input);
    if (result !== undefined || results.has(input)) {
      hits += 1;
      return result as T;
    }
    result = fn(input);
    if (results.size >= MAX_ENTRIES) {
      if (hits < lookups * MIN_HIT_RATE) passThrough = PASS_THROUGH_CALLS;
      results.clear();
      lookups = 0;
      hits = 0;
    }
    if (passThrough === 0) results.set(input, result);
    return result;
  };
}
