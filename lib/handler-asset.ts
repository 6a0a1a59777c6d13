/**
 * Where the "detect" function's prebuilt code lives and how it is built. The package ships the
 * bundle (`npm run build` writes it, `npm ci` and `npm pack` run that), so a vendor's app
 * synthesizes without esbuild, a lock file or this repository's sources. Free of CDK and of
 * esbuild: the construct reads the location, `scripts/build-handler.ts` writes it.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The bundle's folder, relative to the package root: `index.js`, its source map, and data/. */
export const HANDLER_BUNDLE_DIR = join('dist', 'handler');

/** The compiled AWS IP ranges the bundle ships (written by `npm run refresh-ip-ranges`). */
export const AWS_IP_RANGES_INDEX = 'aws-ip-ranges.index.json';

/** The Lambda runtime the bundle is built for (esbuild's target follows it; the construct deploys it). */
export const HANDLER_RUNTIME_NAME = 'nodejs24.x';

/** The package's name in package.json, which marks its root. */
const PACKAGE_NAME = 'assumerole-watch';

/**
 * The package root: the nearest folder above `from` holding package.json. This file runs as
 * lib/handler-asset.ts in the repository (tsx, ts-jest) and as dist/lib/handler-asset.js in
 * the installed package, so a fixed number of `..` would be right for only one of them.
 */
export function packageRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`${PACKAGE_NAME}: no package.json above ${from}`);
  }
}

/**
 * The prebuilt bundle's folder, checked: throws naming `npm run build` when the bundle or the
 * IP ranges beside it are missing (a clone that was never built), rather than deploying a
 * function that cannot start.
 */
export function handlerBundlePath(root: string = packageRoot()): string {
  const dir = join(root, HANDLER_BUNDLE_DIR);
  const missing = [join(dir, 'index.js'), join(dir, 'data', AWS_IP_RANGES_INDEX)].filter((f) => !existsSync(f));
  if (missing.length > 0) {
    throw new Error(`${PACKAGE_NAME}: the detect function's prebuilt code is missing (${missing.join(', ')}); run \`npm run build\` in ${root} (npm ci and npm pack run it)`);
  }
  return dir;
}
