/**
 * The CDK app's context: `cdk.json` holds the app, its build step and CDK's feature flags, never
 * a deployment, so `npx cdk synth` in a fresh clone names the keys it needs instead of
 * synthesizing the example account's stacks; the example deployment (examples/cdk-context.json)
 * deploys once copied to `cdk.context.json`, which the CDK CLI reads as context. These run the
 * real CDK CLI, with the repository's cdk.json, in a folder of their own (a developer's own
 * cdk.context.json in the clone must not change what they see), without AWS credentials.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFIG_KEYS } from '../lambdas/core/config';
import { DEPLOY_KEYS } from '../lib/config';
import { HOME_STACK_NAME } from '../lib/app';
import { EXAMPLE_CONTEXT_FILE, ROOT } from './support/infra';

jest.setTimeout(180_000);

/** The repository's cdk.json as it is checked in. */
const CDK_JSON = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { app: string; build: string; context: Record<string, unknown> };

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'arw-context-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/**
 * `cdk synth` with the repository's cdk.json in `dir`: its commands run from the repository
 * (`npx tsx …` resolved to the repository's tsx and files), its context unchanged. No AWS
 * credentials, region or profile, and a home of its own (no ~/.cdk.json, no ~/.aws).
 */
function synth(): SpawnSyncReturns<string> {
  const tsx = `"${process.execPath}" "${join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs')}"`;
  const fromRoot = (command: string): string => command.replace(/^npx tsx (\S+)$/, (_m, file: string) => `${tsx} "${join(ROOT, file)}"`);
  writeFileSync(join(dir, 'cdk.json'), JSON.stringify({ ...CDK_JSON, app: fromRoot(CDK_JSON.app), build: fromRoot(CDK_JSON.build) }));
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^(AWS_|CDK_|npm_)/.test(key)) env[key] = value;
  return spawnSync(process.execPath, [join(ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk'), 'synth', '--no-notices', '--quiet', '--output', join(dir, 'cdk.out')], {
    cwd: dir,
    env: { ...env, HOME: dir, CDK_DISABLE_CLI_TELEMETRY: 'true', AWS_CONFIG_FILE: join(dir, 'no-aws-config'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-aws-credentials'), AWS_EC2_METADATA_DISABLED: 'true' },
    encoding: 'utf8',
  });
}

describe('cdk.json', () => {
  it('holds the app, its build step and CDK\'s feature flags only: no key of a deployment', () => {
    // Given the checked-in cdk.json
    const ours = new Set<string>([...CONFIG_KEYS.map((k) => k.name), ...DEPLOY_KEYS.map((k) => k.name)]);
    // Then its keys are the app's, and its context holds feature flags alone
    expect(Object.keys(CDK_JSON).sort()).toEqual(['app', 'build', 'context']);
    expect(CDK_JSON.app).toBe('npx tsx bin/app.ts');
    expect(CDK_JSON.build).toBe('npx tsx scripts/build-handler.ts');
    expect(Object.keys(CDK_JSON.context).filter((k) => ours.has(k) || !k.startsWith('@'))).toEqual([]);
  });

  it('makes a bare `cdk synth` stop naming the required keys and where to set them', () => {
    // When the CDK CLI synthesizes with cdk.json alone (no -c, no cdk.context.json, no region)
    const result = synth();
    // Then it fails, naming monitoredRoleArns and the example to start from (homeRegion is
    // not asked for: the CLI's region fills it, us-east-1 when nothing sets one)
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('monitoredRoleArns: required');
    expect(result.stderr).toContain('cp examples/cdk-context.json cdk.context.json');
    expect(existsSync(join(dir, 'cdk.out', `${HOME_STACK_NAME}.template.json`))).toBe(false);
  });
});

describe('the example deployment', () => {
  it('synthesizes from cdk.context.json, as the docs say: the example account\'s stacks, cdk-nag clean', () => {
    // Given examples/cdk-context.json copied to cdk.context.json beside cdk.json
    copyFileSync(EXAMPLE_CONTEXT_FILE, join(dir, 'cdk.context.json'));
    const example = JSON.parse(readFileSync(EXAMPLE_CONTEXT_FILE, 'utf8')) as { account: string; regions: string[]; monitoredRoleArns: string[] };
    // When the CDK CLI synthesizes
    const result = synth();
    // Then the home stack and the forwarder are written for the example account, its keys in the function
    expect(result.stderr).not.toMatch(/AwsSolutions-|required/);
    expect(result.status).toBe(0);
    const home = JSON.parse(readFileSync(join(dir, 'cdk.out', `${HOME_STACK_NAME}.template.json`), 'utf8')) as { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };
    const fn = Object.values(home.Resources).find((r) => r.Type === 'AWS::Lambda::Function')!;
    expect(fn.Properties.Environment.Variables.EVENT_ACCOUNT).toBe(example.account);
    expect(JSON.parse(fn.Properties.Environment.Variables.DETECTION_CONFIG as string)).toMatchObject({ monitoredRoleArns: example.monitoredRoleArns });
    expect(existsSync(join(dir, 'cdk.out', `${HOME_STACK_NAME}-Forwarder-${example.regions[1]}.template.json`))).toBe(true);
  });
});
