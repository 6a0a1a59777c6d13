import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderReadme } from '../scripts/gen-docs';

describe('README', () => {
  it('has the detector and configuration tables the code generates (run `npm run docs` when this fails)', () => {
    const current = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    expect(renderReadme(current)).toBe(current);
  });
});
