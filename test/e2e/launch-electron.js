#!/usr/bin/env node
/*
 * The same end-to-end suite in the desktop build of VS Code, through @vscode/test-electron. It downloads VS Code on
 * first use, so it needs internet; offline machines use `npm run test:e2e` (code-server + Chromium) instead.
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { runTests } = require('@vscode/test-electron');

const ROOT = path.resolve(__dirname, '..', '..');

async function main() {
  const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'dg-e2e-electron-'));
  fs.cpSync(path.join(ROOT, 'test', 'e2e', 'workspace'), workspace, { recursive: true });
  const results = path.join(workspace, '..', `dg-e2e-results-${process.pid}.json`);
  // Two launches on the same workspace, like the code-server harness: the suite, then *.after-reload.js (a new
  // window stands in for the reload, which would kill the extension host running mocha).
  const total = { passed: 0, failed: 0 };
  let launchFailed = false;
  for (const entry of ['index.js', 'after-reload.js']) {
    fs.rmSync(results, { force: true });
    try {
      await runTests({
        version: '1.100.3',
        extensionDevelopmentPath: ROOT,
        extensionTestsPath: path.join(ROOT, 'out', 'test', 'e2e', 'suite', entry),
        launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust'],
        extensionTestsEnv: { DRIVER_GUARD_E2E_RESULTS: results, DRIVER_GUARD_DEBOUNCE_MS: '50' },
      });
    } catch (error) {
      console.error(`e2e (electron): ${entry}: ${error.message || error}`);
      launchFailed = true;
    }
    const summary = fs.existsSync(results) ? JSON.parse(fs.readFileSync(results, 'utf8')) : { passed: 0, failed: 1 };
    total.passed += summary.passed;
    total.failed += summary.failed;
  }
  if (launchFailed && total.failed === 0) total.failed = 1;
  console.log(`${total.passed} passed, ${total.failed} failed`);
  if (total.failed > 0) process.exitCode = 1;
}

main().catch((error) => {
  console.error(`e2e (electron): ${error.message || error}`);
  process.exit(1);
});
