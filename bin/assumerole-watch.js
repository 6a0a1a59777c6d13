#!/usr/bin/env node
// Entry point of the `assumerole-watch` command; the code is compiled into dist/ by `npm ci` (prepare).
'use strict';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
let cli;
try {
  cli = require('../dist/lambdas/cli/main.js');
} catch (e) {
  if (e && e.code === 'MODULE_NOT_FOUND' && String(e.message).includes('dist/lambdas/cli/main.js')) {
    process.stderr.write('assumerole-watch: not built yet; run `npm run build` (npm ci does it)\n');
    process.exit(2);
  }
  throw e;
}
cli.main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e) => { process.stderr.write(`assumerole-watch: ${e && e.stack ? e.stack : e}\n`); process.exitCode = 2; },
);
