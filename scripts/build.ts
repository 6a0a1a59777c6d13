/**
 * `npm run build` (run by `prepare`, so by `npm ci` and `npm pack`): what the package ships.
 * tsc compiles lib/, lambdas/ and cli/ into dist/ with declarations (the construct library and
 * the command line), and scripts/build-handler.ts bundles the function into dist/handler/. The
 * compiled folders are emptied first, so a file whose source was removed is not packed; the
 * handler's folder is left to build-handler, which replaces only what changed.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildHandler } from './build-handler';

const ROOT = join(__dirname, '..');

/** The folders tsc writes (tsconfig.build.json's include, under dist/). */
const COMPILED = ['lib', 'lambdas', 'cli'] as const;

async function main(): Promise<void> {
  for (const folder of COMPILED) rmSync(join(ROOT, 'dist', folder), { recursive: true, force: true });
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'inherit' });
  if (tsc.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed (exit ${tsc.status ?? tsc.signal})`);
  const handler = await buildHandler(ROOT);
  process.stderr.write(`build: dist/{${COMPILED.join(',')}} compiled; dist/handler ${handler.written.length + handler.removed.length === 0 ? 'current' : 'bundled'}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`build: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
