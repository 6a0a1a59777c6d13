/** The hot path's memo: the same answers as the function, each distinct input worked out once, bounded. */
import { MAX_ENTRIES, memoize, PASS_THROUGH_CALLS } from '../lambdas/core/memo';

describe('memoize', () => {
  it('answers as the function does, working each distinct input out once', () => {
    // Given a function that counts its calls
    let calls = 0;
    const shout = memoize((s: string) => {
      calls += 1;
      return s.toUpperCase();
    });
    // When it is asked the same two inputs many times
    const answers = Array.from({ length: 100 }, (_, i) => shout(i % 2 ? 'a' : 'b'));
    // Then the answers are the function's, from two calls
    expect(new Set(answers)).toEqual(new Set(['A', 'B']));
    expect(calls).toBe(2);
  });

  it('remembers an undefined result too, and keeps answering right past its bound', () => {
    // Given a function with undefined results for half its inputs
    let calls = 0;
    const even = memoize((s: string) => {
      calls += 1;
      return Number(s) % 2 === 0 ? s : undefined;
    });
    // When it sees 25,000 distinct inputs, each asked twice in a row
    for (let i = 0; i < 25_000; i++) for (const _ of [1, 2]) expect(even(String(i))).toBe(i % 2 === 0 ? String(i) : undefined);
    // Then every answer was right, and no input (a remembered undefined neither) was worked out twice
    expect(calls).toBe(25_000);
  });

  it('stops remembering where inputs rarely repeat, and tries again later', () => {
    // Given a memo of a function that counts its calls
    let calls = 0;
    const twice = memoize((s: string) => {
      calls += 1;
      return s + s;
    });
    // When it sees a full table of distinct inputs (a timestamp in every session name)
    for (let i = 0; i <= MAX_ENTRIES; i++) twice(`sync-${i}`);
    // Then the next inputs go straight to the function: one asked twice is worked out twice
    calls = 0;
    expect(twice('backend')).toBe('backendbackend');
    expect(twice('backend')).toBe('backendbackend');
    expect(calls).toBe(2);
    // And once that stretch is over, it remembers again
    for (let i = 0; i < PASS_THROUGH_CALLS; i++) twice(`later-${i}`);
    calls = 0;
    twice('backend');
    twice('backend');
    expect(calls).toBe(1);
  });

  it('keeps remembering where a quarter or more of the lookups repeat', () => {
    // Given a memo whose inputs are half one name, half distinct ones
    let calls = 0;
    const upper = memoize((s: string) => {
      calls += 1;
      return s.toUpperCase();
    });
    for (let i = 0; i < 3 * MAX_ENTRIES; i++) upper(i % 2 ? 'backend' : `sync-${i}`);
    // When the repeated one is asked again
    calls = 0;
    upper('backend');
    // Then it is remembered still
    expect(calls).toBe(0);
  });
});
