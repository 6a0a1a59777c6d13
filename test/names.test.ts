/** Name shapes: what session and role names are learned as. */
import fc from 'fast-check';
import { boundedMember, foldShape, isEmailLike, shapeOf } from '../lambdas/core/names';

/** The definition: three replacements, as the shapes kept in state were always made. */
function byRegex(name: string): string {
  if (isEmailLike(name)) return '{email}';
  return boundedMember(name)
    .toLowerCase()
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '{uuid}')
    .replace(/(?<![a-z0-9])[0-9a-f]{8,}(?![a-z0-9])/g, '{n}')
    .replace(/\d+/g, '{n}');
}

describe('name shapes', () => {
  it.each([
    ['sync-1730000000', 'sync-{n}'],
    ['backend-1a2b3c4d', 'backend-{n}'],
    ['Backend-DEADBEEF', 'backend-{n}'],
    ['deadbeefcafe-x', '{n}-x'],
    ['cafe-7', 'cafe-{n}'],
    ['job-42-abc12345g', 'job-{n}-abc{n}g'],
    ['run-123e4567-e89b-12d3-a456-426614174000', 'run-{uuid}'],
    ['x123e4567-e89b-12d3-a456-426614174000y', 'x{uuid}y'],
    ['alice@example.com', '{email}'],
    ['botocore-session-1730000000', 'botocore-session-{n}'],
    ['', ''],
  ])('folds %j into %j', (name, shape) => {
    expect(shapeOf(name)).toBe(shape);
    expect(byRegex(name)).toBe(shape);
  });

  it('folds every name as the three replacements do', () => {
    // Given names made of the characters the rules turn on (hex and other letters, digits,
    // separators, upper case, UUIDs and long runs spliced in)
    const piece = fc.oneof(
      fc.constantFrom('a', 'f', 'g', 'z', 'A', 'F', 'Z', '0', '7', '9', '-', '_', '.', '@', '{', '}', ' ', 'é', 'İ'),
      fc.uuid(),
      fc.stringMatching(/^[0-9a-f]{6,12}$/),
      fc.stringMatching(/^[0-9]{1,12}$/),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }).map((p) => p.join('')), (name) => {
        // Then the one-pass fold gives what the replacements give
        expect(foldShape(name)).toBe(byRegex(name));
      }),
      { numRuns: 5_000 },
    );
  });

  it('folds a name longer than a member may be as its bounded form', () => {
    const name = `sync-${'1'.repeat(400)}`;
    expect(foldShape(name)).toBe(byRegex(name));
  });
});
