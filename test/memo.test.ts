/** The hot path's memo: the same answers as the function, each distinct input worked out once, bounded. */
import { memoize } from '../lambdas/core/memo';

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
    // When it sees 25,000 distinct inputs, then one of the first again
    for (let i = 0; i < 25_000; i++) expect(even(String(i))).toBe(i % 2 === 0 ? String(i) : undefined);
    even('24999');
    // Then every answer was right, and a remembered undefined was not worked out again
    expect(calls).toBe(25_000);
  });
});
