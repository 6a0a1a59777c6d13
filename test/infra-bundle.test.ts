/**
 * The function's code: the prebuilt bundle the package ships (dist/handler, written by
 * scripts/build-handler.ts; the test run's global setup builds it from the current sources),
 * staged by synthesis as it is. It holds the minified handler, its source map and AWS's IP
 * ranges where loadAwsIpRanges looks, and it loads as Lambda would load it.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { ENVIRONMENT } from '../lambdas/detect/contract';
import { HOME_STACK_NAME } from '../lib/app';
import { AWS_IP_RANGES_INDEX, FUNCTION_RUNTIME } from '../lib/constructs/assume-role-watch';
import { handlerBundlePath, HANDLER_BUNDLE_DIR, HANDLER_RUNTIME_NAME } from '../lib/handler-asset';
import { esbuildTarget } from '../scripts/build-handler';
import { buildApp, ROOT, type SynthesizedApp } from './support/infra';

jest.setTimeout(120_000);

/** The cold-start target for the handler's size (scripts/bench.ts, docs/performance.md). */
const BUNDLE_MAX_KB = 400;

let outdir: string;
let built: SynthesizedApp;
let assetDir: string;

beforeAll(() => {
  // Given the app synthesized outside the repository (so nothing is found by walking up into it)
  outdir = mkdtempSync(join(tmpdir(), 'arw-bundle-'));
  if (!relative(ROOT, outdir).startsWith('..')) throw new Error(`${outdir} is inside the repository`);
  built = buildApp({}, { outdir, validate: false });
  // When the home stack is synthesized
  built.app.synth();
  const asset = built.stacks.home.pipeline.function.node.findAll().find((c): c is s3assets.Asset => c instanceof s3assets.Asset)!;
  assetDir = join(outdir, asset.assetPath);
});

afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
});

/** Every file under `dir`, relative to it, sorted. */
function filesOf(dir: string, base: string = dir): string[] {
  return readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? filesOf(join(dir, name), base) : [relative(base, join(dir, name))])).sort();
}

/** Loads the bundle in a fresh node, as the Lambda runtime does (the runtime provides the AWS SDK). */
function loadBundle(dir: string): { status: number | null; stdout: string; stderr: string } {
  const fn = Object.values(JSON.parse(readFileSync(join(outdir, `${HOME_STACK_NAME}.template.json`), 'utf8')).Resources as Record<string, any>[])
    .find((r) => r.Type === 'AWS::Lambda::Function')!;
  return spawnSync(process.execPath, ['-e', `process.stdout.write(typeof require(${JSON.stringify(join(dir, 'index.js'))}).handler)`], {
    cwd: dir,
    env: {
      ...process.env,
      NODE_PATH: join(ROOT, 'node_modules'),
      AWS_REGION: 'eu-west-1',
      [ENVIRONMENT.table]: 'state',
      [ENVIRONMENT.topic]: 'arn:aws:sns:eu-west-1:210987654321:alerts',
      [ENVIRONMENT.config]: fn.Properties.Environment.Variables[ENVIRONMENT.config] as string,
      [ENVIRONMENT.account]: fn.Properties.Environment.Variables[ENVIRONMENT.account] as string,
      [ENVIRONMENT.regions]: fn.Properties.Environment.Variables[ENVIRONMENT.regions] as string,
    },
    encoding: 'utf8',
  });
}

describe('the function bundle', () => {
  it('is the prebuilt bundle of dist/handler, staged byte for byte, and runs index.handler on the runtime it was built for', () => {
    // Then the staged asset holds exactly dist/handler's files, with the same bytes
    const prebuilt = join(ROOT, HANDLER_BUNDLE_DIR);
    expect(filesOf(assetDir)).toEqual(filesOf(prebuilt));
    for (const file of filesOf(prebuilt)) expect(readFileSync(join(assetDir, file)).equals(readFileSync(join(prebuilt, file)))).toBe(true);
    // And the function runs its handler on the runtime esbuild targeted
    const fn = Object.values(JSON.parse(readFileSync(join(outdir, `${HOME_STACK_NAME}.template.json`), 'utf8')).Resources as Record<string, any>[])
      .find((r) => r.Type === 'AWS::Lambda::Function')!;
    expect(fn.Properties).toMatchObject({ Handler: 'index.handler', Runtime: HANDLER_RUNTIME_NAME, Architectures: ['arm64'] });
    expect(FUNCTION_RUNTIME.name).toBe(HANDLER_RUNTIME_NAME);
    expect(esbuildTarget()).toBe('node24');
  });

  it(`holds the minified handler (at most ${BUNDLE_MAX_KB} KB), its source map and AWS's IP ranges (the compiled index only)`, () => {
    // Then index.js (minified, pointing at its map), index.js.map and data/aws-ip-ranges.index.json
    const code = readFileSync(join(assetDir, 'index.js'), 'utf8');
    // (re2js keeps about 30 line breaks inside its string literals; unminified would be thousands)
    expect(code.split('\n').length).toBeLessThan(100);
    expect(statSync(join(assetDir, 'index.js')).size / 1024).toBeLessThanOrEqual(BUNDLE_MAX_KB);
    expect(code).toContain('//# sourceMappingURL=index.js.map');
    expect(existsSync(join(assetDir, 'index.js.map'))).toBe(true);
    // (the AWS SDK is the runtime's: required, never bundled)
    expect(code).toMatch(/require\("@aws-sdk\/client-dynamodb"\)/);
    // (Buffer.equals: jest's deep equality is slow on a megabyte)
    expect(readFileSync(join(assetDir, 'data', AWS_IP_RANGES_INDEX)).equals(readFileSync(join(ROOT, 'data', AWS_IP_RANGES_INDEX)))).toBe(true);
    expect(readdirSync(join(assetDir, 'data'))).toEqual([AWS_IP_RANGES_INDEX]);
  });

  it('loads with the environment the stack gives it: configuration parsed, IP ranges found beside it', () => {
    // When the bundle is required with the function's environment
    const run = loadBundle(assetDir);
    // Then its cold start succeeds and exports the handler
    expect(run.stderr).not.toMatch(/Error/);
    expect(run.stdout).toBe('function');
  });

  it('fails its cold start without the shipped IP ranges (so the copy is what it found)', () => {
    // Given the same bundle without data/
    const bare = mkdtempSync(join(tmpdir(), 'arw-bare-'));
    try {
      cpSync(assetDir, bare, { recursive: true });
      rmSync(join(bare, 'data'), { recursive: true });
      // When it is loaded, then loadAwsIpRanges reports what it looked for
      const run = loadBundle(bare);
      expect(run.status).not.toBe(0);
      expect(run.stderr).toContain('aws-ip-ranges.json not found');
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });
});

describe('a package without its prebuilt code', () => {
  it.each([
    ['never built', [] as string[]],
    ['built without the IP ranges', ['index.js']],
  ])('refuses to synthesize when %s, naming npm run build', (_what, present) => {
    // Given a package root whose dist/handler lacks the bundle or its data
    const root = mkdtempSync(join(tmpdir(), 'arw-unbuilt-'));
    try {
      writeFileSync(join(root, 'package.json'), '{"name":"assumerole-watch"}');
      mkdirSync(join(root, HANDLER_BUNDLE_DIR), { recursive: true });
      for (const file of present) writeFileSync(join(root, HANDLER_BUNDLE_DIR, file), '');
      // When the construct asks for the code, then the error says what to run, and where
      expect(() => handlerBundlePath(root)).toThrow(new RegExp(`prebuilt code is missing .*run \`npm run build\` in ${root}`));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
