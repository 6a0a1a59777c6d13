#!/usr/bin/env node
// The `assumerole-watch` command. Its code is compiled into dist/ by `npm ci` (the prepare script).
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const entry = join(__dirname, '..', 'dist', 'cli', 'run.js');
if (!existsSync(entry)) {
  process.stderr.write('assumerole-watch: not built yet; run `npm run build` (npm ci does it)\n');
  process.exit(2);
}
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require(entry);
