/**
 * Bundles the "detect" function into dist/handler/, the code the package ships and the construct
 * deploys (`lambda.Code.fromAsset`). The options are those the construct's NodejsFunction used
 * to pass esbuild at synthesis (`--bundle --platform=node --target=node24 --minify --sourcemap
 * --external:@aws-sdk/*`, run in the project root), so the bundle is the same bytes; AWS's IP
 * ranges ship beside it as the compiled index only, where loadAwsIpRanges looks.
 *
 * A file is written only when its bytes change, through a temporary file renamed over it: the
 * test run (global-setup.ts), `npm run build` and `cdk synth` (cdk.json's `build`) may all call
 * this while other processes read the folder, and a reader sees the old file or the new one.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { build } from 'esbuild';
import { AWS_IP_RANGES_INDEX, HANDLER_BUNDLE_DIR, HANDLER_RUNTIME_NAME } from '../lib/handler-asset';
import { RECHECK_ENTRY } from '../lambdas/recheck/contract';

const ROOT = join(__dirname, '..');

/** The function's entry module, relative to the root. */
const ENTRY = join('lambdas', 'detect', 'index.ts');

/** The scheduled re-check's entry (deployed only with `roleRecheckSchedule`), bundled beside it as recheck.js: one asset, two handlers. */
const RECHECK_ENTRY_MODULE = join('lambdas', 'recheck', 'index.ts');

/** What a build did: the files it wrote or removed (relative to the bundle folder); empty when it was current. */
export interface HandlerBuild {
  readonly dir: string;
  readonly written: readonly string[];
  readonly removed: readonly string[];
}

/** esbuild's target for the runtime: `nodejs24.x` → `node24`, as NodejsFunction derives it. */
export function esbuildTarget(runtimeName: string = HANDLER_RUNTIME_NAME): string {
  const major = /^nodejs(\d+)\.x$/.exec(runtimeName)?.[1];
  if (major === undefined) throw new Error(`${runtimeName} is not a Node.js runtime name`);
  return `node${major}`;
}

/** Bundles the handler into `outDir` (default dist/handler of `root`). */
export async function buildHandler(root: string = ROOT, outDir: string = join(root, HANDLER_BUNDLE_DIR)): Promise<HandlerBuild> {
  const result = await build({
    absWorkingDir: root,
    entryPoints: { index: join(root, ENTRY), [RECHECK_ENTRY]: join(root, RECHECK_ENTRY_MODULE) },
    bundle: true,
    platform: 'node',
    target: esbuildTarget(),
    minify: true,
    sourcemap: true,
    // The runtime provides the AWS SDK v3 (CDK's default); everything else is bundled.
    external: ['@aws-sdk/*'],
    outdir: outDir,
    write: false,
    logLevel: 'warning',
  });
  const files = new Map<string, Uint8Array>(result.outputFiles.map((f) => [relative(outDir, f.path), f.contents]));
  // source-ip needs AWS's ranges at run time: loadAwsIpRanges walks up from the bundle looking
  // for data/aws-ip-ranges.json or its compiled index, and loads the index alone when the
  // source file is absent (a third of the size, and it loads without re-indexing).
  files.set(join('data', AWS_IP_RANGES_INDEX), readFileSync(join(root, 'data', AWS_IP_RANGES_INDEX)));

  const written: string[] = [];
  for (const [name, contents] of files) {
    const target = join(outDir, name);
    if (existsSync(target) && Buffer.from(contents).equals(readFileSync(target))) continue;
    mkdirSync(dirname(target), { recursive: true });
    const temporary = `${target}.${randomBytes(6).toString('hex')}.tmp`;
    writeFileSync(temporary, contents);
    renameSync(temporary, target);
    written.push(name);
  }
  // Anything else goes (it would be packed and deployed), except another build's temporary
  // file still being written: one older than a minute was left by a build that died.
  const removed = listFiles(outDir).filter((name) => !files.has(name) && !(name.endsWith('.tmp') && Date.now() - statSync(join(outDir, name)).mtimeMs < 60_000));
  for (const name of removed) rmSync(join(outDir, name), { force: true });
  return { dir: outDir, written, removed };
}

/** Every file under `dir`, relative to it. */
function listFiles(dir: string, base: string = dir): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path, base) : [relative(base, path)];
  });
}

if (require.main === module) {
  buildHandler().then(
    (b) => process.stderr.write(`${relative(process.cwd(), b.dir) || '.'}: ${b.written.length + b.removed.length === 0 ? 'current' : `wrote ${b.written.join(', ') || 'nothing'}${b.removed.length > 0 ? `, removed ${b.removed.join(', ')}` : ''}`}\n`),
    (e: unknown) => {
      process.stderr.write(`build-handler: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
