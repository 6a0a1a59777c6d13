/**
 * The package as a vendor installs it. The repository is packed as `npm publish` packs it
 * (`prepare` builds it), the tarball is installed into a fresh CDK app beside aws-cdk-lib,
 * constructs and cdk-nag from the registry, and the README's app (test/package-app/app.ts) is
 * compiled with `tsc --strict` against the installed types and synthesized by the CDK CLI with
 * cdk-nag's AwsSolutionsChecks. The installed command line runs too. Nothing here reads this
 * repository's sources: only what the tarball holds.
 *
 * The slowest test (a few minutes: the pack's build, the install, tsc over aws-cdk-lib's types);
 * the install reuses the npm cache `npm ci` filled (`--prefer-offline`).
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { HANDLER_BUNDLE_DIR } from '../lib/handler-asset';
import { PACKAGE_APP_FILE } from '../scripts/gen-docs';
import { ADDRESSES, outboundSession, outToCustomer, sessionCall } from './support/case-records';
import { CASE_BASE_CONFIG } from './detectors/cases';
import { cdkJsonFlags, ROOT } from './support/infra';

jest.setTimeout(20 * 60_000);

/** The stack the README's app synthesizes. */
const STACK = 'Security';

/** One file of `npm pack --json`'s listing. */
interface PackedFile {
  readonly path: string;
  readonly size: number;
}

/** What `npm pack --json` reports of the tarball. */
interface PackResult {
  readonly filename: string;
  readonly size: number;
  readonly unpackedSize: number;
  readonly entryCount: number;
  readonly files: readonly PackedFile[];
}

/** A CloudFormation resource of the synthesized template. */
interface Resource {
  readonly Type: string;
  readonly Properties: Record<string, any>;
  readonly Metadata?: Record<string, any>;
}

let work: string;
let appDir: string;
let packed: PackResult;
let resources: Resource[];

/** The version of a package installed in the repository (the lock file's), for the app to install the same. */
function repoVersion(name: string): string {
  return (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

/**
 * The environment of every command here: npm's lifecycle variables of an outer `npm test` left
 * out (the inner npm reads its own configuration), and no AWS credentials or region (synthesis
 * needs none: the app pins its account and region).
 */
function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('npm_') || key.startsWith('AWS_') || key.startsWith('CDK_')) continue;
    env[key] = value;
  }
  return { ...env, CDK_DISABLE_CLI_TELEMETRY: 'true', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', NO_COLOR: '1' };
}

/** Runs a command in `cwd`; throws with its output when it fails and `check` is left on. */
function run(command: string, args: readonly string[], cwd: string, check = true): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { cwd, env: childEnv(), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (check && result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} (in ${cwd}) exited ${result.status ?? result.signal}:\n${result.stdout.slice(-4000)}\n${result.stderr.slice(-4000)}`);
  }
  return result;
}

/** The CDK CLI of the repository (any CDK v2 CLI would do), synthesizing `app` into `out`. */
function cdkSynth(app: string, out: string): SpawnSyncReturns<string> {
  return run(process.execPath, [join(ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk'), 'synth', '--no-notices', '--quiet', '--app', app, '--output', out], appDir, false);
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'arw-package-'));
  // Given the repository packed as `npm publish` packs it (prepare runs `npm run build`)
  const pack = run('npm', ['pack', '--json', '--pack-destination', work], ROOT);
  packed = (JSON.parse(pack.stdout) as PackResult[])[0]!;
  // And a fresh CDK app: cdk.json with the recommended feature flags, the README's code, and the
  // tarball installed with the same aws-cdk-lib, constructs and cdk-nag as this repository's
  appDir = join(work, 'app');
  mkdirSync(appDir);
  writeFileSync(join(appDir, 'package.json'), `${JSON.stringify({ name: 'vendor-cdk-app', version: '1.0.0', private: true }, null, 2)}\n`);
  writeFileSync(join(appDir, 'cdk.json'), `${JSON.stringify({ app: 'node app.js', context: cdkJsonFlags() }, null, 2)}\n`);
  copyFileSync(join(ROOT, PACKAGE_APP_FILE), join(appDir, 'app.ts'));
  writeFileSync(join(appDir, 'tsconfig.json'), `${JSON.stringify({
    compilerOptions: {
      target: 'ES2022', module: 'commonjs', moduleResolution: 'node', lib: ['ES2022'], strict: true, esModuleInterop: true,
      // No skipLibCheck: the package's declarations are checked as the app uses them.
      types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')], outDir: '.',
    },
    files: ['app.ts'],
  }, null, 2)}\n`);
  run('npm', [
    'install', join(work, packed.filename),
    `aws-cdk-lib@${repoVersion('aws-cdk-lib')}`, `constructs@${repoVersion('constructs')}`, `cdk-nag@${repoVersion('cdk-nag')}`,
    '--prefer-offline', '--no-audit', '--no-fund',
  ], appDir);
  // When the app is compiled against the installed package and synthesized by the CDK CLI
  run(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], appDir);
  const synth = cdkSynth('node app.js', 'cdk.out');
  if (synth.status !== 0) throw new Error(`cdk synth failed:\n${synth.stderr.slice(-6000)}`);
  const template = JSON.parse(readFileSync(join(appDir, 'cdk.out', `${STACK}.template.json`), 'utf8')) as { Resources: Record<string, Resource> };
  resources = Object.values(template.Resources);
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The template's resources of one type. */
function ofType(type: string): Resource[] {
  return resources.filter((r) => r.Type === type);
}

/** Every file under `dir`, relative to it, sorted. */
function filesOf(dir: string, base: string = dir): string[] {
  return readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? filesOf(join(dir, name), base) : [relative(base, join(dir, name))])).sort();
}

describe('the packed package', () => {
  it('holds the library, the command line, the prebuilt function and the data, and nothing of the repository besides', () => {
    // Then every file is one of the allow-list's
    const paths = packed.files.map((f) => f.path);
    const outside = paths.filter((p) => !/^(dist\/(lib|lambdas|cli|handler)\/|docs\/|bin\/assumerole-watch\.js$|data\/(aws-ip-ranges\.index\.json|README\.md)$|(package\.json|README\.md|LICENSE|CHANGELOG\.md)$)/.test(p));
    expect(outside).toEqual([]);
    // No examples, tests, scripts or TypeScript sources (declarations only)
    expect(paths.filter((p) => /^(examples|test|scripts)\//.test(p))).toEqual([]);
    expect(paths.filter((p) => p.endsWith('.ts') && !p.endsWith('.d.ts'))).toEqual([]);
    // And what a user needs is there
    for (const needed of ['README.md', 'LICENSE', 'CHANGELOG.md', 'package.json', 'bin/assumerole-watch.js', 'dist/lib/index.js', 'dist/lib/index.d.ts', 'dist/cli/run.js',
      `${HANDLER_BUNDLE_DIR}/index.js`, `${HANDLER_BUNDLE_DIR}/index.js.map`, `${HANDLER_BUNDLE_DIR}/data/aws-ip-ranges.index.json`, 'data/aws-ip-ranges.index.json']) {
      expect(paths).toContain(needed);
    }
  });

  it('holds every page the README links to, so its links work where the package is read (npm, node_modules)', () => {
    // Given the README's relative links
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const targets = [...readme.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)].map((m) => m[1]!).filter((t) => !/^[a-z]+:/.test(t));
    expect(targets.length).toBeGreaterThan(5);
    // Then each is a packed file
    const paths = new Set(packed.files.map((f) => f.path));
    expect(targets.filter((t) => !paths.has(t))).toEqual([]);
  });

  it('declares a public package: entry, types, exports, the command, peers, and a changelog entry for its version', () => {
    // Given the package.json the user gets
    const manifest = JSON.parse(readFileSync(join(appDir, 'node_modules', 'assumerole-watch', 'package.json'), 'utf8')) as Record<string, any>;
    // Then it is publishable, with its entry points and its CDK as peers
    expect(manifest.private).toBeUndefined();
    expect(manifest).toMatchObject({
      main: 'dist/lib/index.js',
      types: 'dist/lib/index.d.ts',
      exports: { '.': { types: './dist/lib/index.d.ts', default: './dist/lib/index.js' } },
      bin: { 'assumerole-watch': 'bin/assumerole-watch.js' },
      peerDependencies: { 'aws-cdk-lib': expect.any(String), constructs: expect.any(String) },
    });
    expect(manifest.dependencies['aws-cdk-lib']).toBeUndefined();
    expect(manifest.version).toMatch(/^\d+\.\d+\.\d+$/);
    // And the changelog's latest release is this version (Keep a Changelog: "## [x.y.z] - date")
    const changelog = readFileSync(join(appDir, 'node_modules', 'assumerole-watch', 'CHANGELOG.md'), 'utf8');
    expect(/^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$/m.exec(changelog)?.[1]).toBe(manifest.version);
  });
});

describe('a CDK app using the installed package', () => {
  it('synthesizes the whole pipeline: both rules, the queues, the function, the table, the topics', () => {
    // Then the template holds the pipeline
    expect(ofType('AWS::Events::Rule')).toHaveLength(2);
    expect(ofType('AWS::Events::Rule').every((r) => r.Properties.State === 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS')).toBe(true);
    expect(ofType('AWS::SQS::Queue')).toHaveLength(3);
    expect(ofType('AWS::Lambda::Function')).toHaveLength(1);
    expect(ofType('AWS::Lambda::EventSourceMapping')).toHaveLength(1);
    expect(ofType('AWS::DynamoDB::Table')).toHaveLength(1);
    expect(ofType('AWS::SNS::Topic')).toHaveLength(2);
    expect(ofType('AWS::SNS::Subscription').map((s) => s.Properties.Endpoint).sort()).toEqual(['cloud-ops@example.com', 'soc@example.com']);
    // With the detection keys the app wrote, resolved (defaults filled in)
    const fn = ofType('AWS::Lambda::Function')[0]!;
    const detection = JSON.parse(fn.Properties.Environment.Variables.DETECTION_CONFIG as string) as Record<string, unknown>;
    expect(detection).toMatchObject({ monitoredRoleArns: ['arn:aws:iam::111122223333:role/outbound-*'], allowedCidrs: { nat: ['203.0.113.10/32'] }, minAlertSeverity: 'medium' });
  });

  it('deploys the prebuilt function code the package ships, byte for byte', () => {
    // Given the function's code asset
    const fn = ofType('AWS::Lambda::Function')[0]!;
    expect(fn.Properties).toMatchObject({ Handler: 'index.handler', Runtime: 'nodejs24.x' });
    expect(fn.Metadata?.['aws:asset:is-bundled']).toBe(false);
    const asset = join(appDir, 'cdk.out', fn.Metadata!['aws:asset:path'] as string);
    // Then it is the installed package's dist/handler, unchanged
    const shipped = join(appDir, 'node_modules', 'assumerole-watch', HANDLER_BUNDLE_DIR);
    expect(filesOf(asset)).toEqual(expect.arrayContaining(['data/aws-ip-ranges.index.json', 'index.js', 'index.js.map']));
    expect(filesOf(asset)).toEqual(filesOf(shipped));
    for (const file of filesOf(shipped)) expect(readFileSync(join(asset, file)).equals(readFileSync(join(shipped, file)))).toBe(true);
  });

  it('passes cdk-nag, which does check it: a queue without SSL added to the same app fails synthesis', () => {
    // Given the clean app's validation report
    const report = JSON.parse(readFileSync(join(appDir, 'cdk.out', 'validation-report.json'), 'utf8')) as { pluginReports: { conclusion: string }[] };
    expect(report.pluginReports.filter((r) => r.conclusion !== 'success')).toEqual([]);
    // When the same app also holds an insecure queue
    writeFileSync(join(appDir, 'insecure.js'), `${readFileSync(join(appDir, 'app.js'), 'utf8')}\nnew (require('aws-cdk-lib/aws-sqs').Queue)(app.node.findChild('${STACK}'), 'Insecure');\n`);
    const insecure = cdkSynth('node insecure.js', 'cdk.insecure');
    // Then AwsSolutionsChecks stops synthesis, naming the queue
    expect(insecure.status).not.toBe(0);
    expect(insecure.stderr).toContain('AwsSolutions-SQS4');
    expect(insecure.stderr).toContain(`${STACK}/Insecure`);
  });

  it('refuses a bad detection key, naming it', () => {
    // Given the app with an allow-list entry that is not a CIDR and a misspelt key
    const app = readFileSync(join(appDir, 'app.js'), 'utf8');
    expect(app).toContain("allowedCidrs: { nat: ['203.0.113.10/32'] }");
    writeFileSync(join(appDir, 'misconfigured.js'), app.replace("allowedCidrs: { nat: ['203.0.113.10/32'] }", "allowedCidrs: { nat: ['203.0.113.10/33'] }, sessionNamePatern: 'x'"));
    // When it is synthesized
    const bad = cdkSynth('node misconfigured.js', 'cdk.misconfigured');
    // Then synthesis stops with both problems, each naming its key
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('allowedCidrs.nat[0]: "203.0.113.10/33" is not a CIDR');
    expect(bad.stderr).toContain('sessionNamePatern: unknown key (did you mean "sessionNamePattern"?)');
  });
});

describe('the installed command line', () => {
  it('prints its version', () => {
    // When `npx assumerole-watch --version` runs where the package is installed (--no: never from the registry)
    const result = run('npx', ['--no', '--', 'assumerole-watch', '--version'], appDir);
    // Then it is the package's
    const version = (JSON.parse(readFileSync(join(appDir, 'node_modules', 'assumerole-watch', 'package.json'), 'utf8')) as { version: string }).version;
    expect(result.stdout.trim()).toBe(`assumerole-watch ${version}`);
  });

  it('replays a small log and alerts on a session used from a second place', () => {
    // Given an outbound session's call from the NAT, then the same session from elsewhere
    const session = outboundSession('backend-5e5e5e5e');
    const calls = [
      outToCustomer({ time: '2024-08-01T10:00:00Z', caller: session }),
      sessionCall({ time: '2024-08-01T10:20:00Z', caller: session, sourceIp: ADDRESSES.external }),
    ];
    writeFileSync(join(appDir, 'calls.jsonl'), `${calls.map((c) => JSON.stringify(c)).join('\n')}\n`);
    writeFileSync(join(appDir, 'config.json'), JSON.stringify(CASE_BASE_CONFIG));
    // When the installed command replays it
    const result = run('npx', ['--no', '--', 'assumerole-watch', 'replay', 'calls.jsonl', '--config', 'config.json', '--json'], appDir, false);
    // Then it exits 1 (alerts found) with the one alert, from session-locations
    expect(result.stderr).not.toMatch(/internal error|not built/);
    const alerts = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as { detector: string; sourceIp: string });
    expect(alerts.map((a) => [a.detector, a.sourceIp])).toEqual([['session-locations', ADDRESSES.external]]);
    expect(result.status).toBe(1);
  });
});

describe('the README', () => {
  it('shows the app this test runs (its generated block is the file)', () => {
    // (test/docs.test.ts checks every generated block; this names the one tied to this test)
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const block = /<!-- generated:package-app -->\n```ts\n([\s\S]*?)\n```\n<!-- \/generated:package-app -->/.exec(readme)?.[1];
    expect(block).toBe(readFileSync(join(ROOT, PACKAGE_APP_FILE), 'utf8').trimEnd());
  });
});
