#!/usr/bin/env node
// The CLI entry (package.json "bin"): runs the bundled CLI, built by `npm run build`.
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const bundle = path.join(__dirname, '..', 'dist', 'cli.js');
if (!fs.existsSync(bundle)) {
  process.stderr.write('driver-guard: the CLI is not built; run `npm run build` first\n');
  process.exit(2);
}
require(bundle).main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
}, (error) => {
  process.stderr.write(`driver-guard: internal error: ${error && error.stack ? error.stack : error}\n`);
  process.exitCode = 3;
});
