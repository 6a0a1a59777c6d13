/** String sets as state items hold them: membership through an index that nothing else sees. */
import { applyInPlace, copySet, hasMember } from '../lambdas/core/state';

const members = (n: number, prefix = 'm'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('string-set membership', () => {
  it('answers as a scan does, for small and large sets, before and after they gain members', () => {
    // Given a small and a large set, each copied and grown by the update code
    for (const size of [3, 40]) {
      const stored = members(size);
      const item: Record<string, readonly string[]> = { s: stored };
      applyInPlace(item, { key: { pk: 'p', sk: 's' }, addToSet: { s: ['new-1', 'm1', 'new-2'] }, expiresAt: 1 }, copySet);
      // When membership is asked of both arrays
      // Then the store's array is unchanged and the batch's has exactly the new members too
      expect(stored).toHaveLength(size);
      expect(item.s).toEqual([...stored, 'new-1', 'new-2']);
      for (const v of [...stored, 'new-1', 'new-2', 'absent']) {
        expect(hasMember(item.s, v)).toBe(item.s!.includes(v));
        expect(hasMember(stored, v)).toBe(stored.includes(v));
      }
    }
  });

  it('leaves no trace of its index in copies, comparisons or JSON', () => {
    // Given a large set that has been indexed
    const set = members(40);
    expect(hasMember(set, 'm39')).toBe(true);
    // Then it compares, spreads, clones and serialises as the plain array it is
    expect(set).toStrictEqual(members(40));
    expect(Object.keys(set)).toHaveLength(40);
    expect(JSON.stringify(set)).toBe(JSON.stringify(members(40)));
    expect(structuredClone(set)).toStrictEqual(members(40));
  });

  it('works on a frozen set, which cannot take an index', () => {
    // Given a large frozen set
    const set = Object.freeze(members(40));
    // Then membership is still right
    expect(hasMember(set, 'm7')).toBe(true);
    expect(hasMember(set, 'x')).toBe(false);
    expect(copySet(set)).toEqual([...set]);
  });
});
