/**
 * The layers import one way (core ← detectors ← engine ← state / delivery ← detect / cli), as
 * `.dependency-cruiser.cjs` states them. dependency-cruiser checks the real imports of the code,
 * and is shown to catch a break of each kind on a small tree made for the purpose.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const ROOT = join(__dirname, '..');
const CRUISER = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');

/** Runs dependency-cruiser with the project's rules over `paths` in `cwd`. */
function cruise(cwd: string, paths: readonly string[]): { status: number | null; output: string } {
  const out = spawnSync(process.execPath, [CRUISER, '--config', CONFIG, '--output-type', 'err', ...paths], { cwd, encoding: 'utf8' });
  return { status: out.status, output: `${out.stdout}${out.stderr}` };
}

/** A tree of TypeScript files, each importing the given relative paths. */
function tree(files: Readonly<Record<string, readonly string[]>>): string {
  const dir = mkdtempSync(join(tmpdir(), 'layers-'));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'commonjs', strict: true } }));
  for (const [file, imports] of Object.entries(files)) {
    mkdirSync(join(dir, dirname(file)), { recursive: true });
    writeFileSync(join(dir, file), `${imports.map((to, i) => `import * as m${i} from '${to}';\nvoid m${i};\n`).join('')}export const here = 1;\n`);
  }
  return dir;
}

describe('the layers', () => {
  it('hold in the code: imports point down only, no cycles, nothing shipped imports a test', () => {
    // Given the project's code; when dependency-cruiser checks it against the rules
    const { status, output } = cruise(ROOT, ['lambdas', 'cli', 'lib', 'bin']);
    // Then it finds no violation
    expect(output).toContain('no dependency violations found');
    expect(status).toBe(0);
  }, 120_000);

  it.each([
    ['core importing the engine', { 'lambdas/core/a.ts': ['../engine/b'], 'lambdas/engine/b.ts': [] }, 'lambdas/core-imports-down-only'],
    ['a detector importing a store', { 'lambdas/detectors/a.ts': ['../state/b'], 'lambdas/state/b.ts': [] }, 'lambdas/detectors-imports-down-only'],
    ['the engine importing the detector registry', { 'lambdas/engine/a.ts': ['../detectors'], 'lambdas/detectors/index.ts': [] }, 'lambdas/engine-imports-down-only'],
    ['delivery importing a store', { 'lambdas/delivery/a.ts': ['../state/b'], 'lambdas/state/b.ts': [] }, 'lambdas/delivery-imports-down-only'],
    ['one detector importing another', { 'lambdas/detectors/a.ts': ['./b', './detector'], 'lambdas/detectors/b.ts': [], 'lambdas/detectors/detector.ts': [] }, 'detectors-share-only-detector-ts'],
    ['the CLI importing the Lambda', { 'cli/a.ts': ['../lambdas/detect/handler'], 'lambdas/detect/handler.ts': [] }, 'cli-imports-down-only'],
    ['shipped code importing test data', { 'lambdas/core/a.ts': ['../../test/support/b'], 'test/support/b.ts': [] }, 'shipped-code-never-imports-tests'],
    ['the CDK app importing the engine', { 'lib/a.ts': ['../lambdas/engine/b'], 'lambdas/engine/b.ts': [] }, 'lib-takes-only-the-contract'],
    ['a cycle', { 'lambdas/engine/a.ts': ['./b'], 'lambdas/engine/b.ts': ['./a'] }, 'no-circular'],
  ])('catch %s', (_what, files, rule) => {
    // Given a tree that breaks one rule
    const dir = tree(files);
    try {
      // When dependency-cruiser checks it with the project's rules
      const { status, output } = cruise(dir, ['lambdas', 'cli', 'lib', 'test'].filter((p) => Object.keys(files).some((f) => f.startsWith(`${p}/`))));
      // Then it names the rule and fails
      expect(output).toContain(rule);
      expect(status).not.toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
