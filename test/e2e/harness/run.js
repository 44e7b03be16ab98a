#!/usr/bin/env node
/*
 * Runs the end-to-end suite inside a real VS Code without internet: code-server (the VS Code workbench and a real
 * node extension host, installed from npm by scripts/e2e/setup.sh) driven by Debian's Chromium via playwright-core.
 * The suite is the standard extension-test contract (out/test/e2e/suite/index.js exports run()).
 *
 *   node test/e2e/harness/run.js          run the suite; prints "N passed, N failed"; exit 1 on any failure
 *
 * The run has two phases in the same code-server and workspace: the main suite (suite/index.js, *.e2e.js), then the
 * page is loaded again — a window reload, which the suite itself cannot do because it would kill the extension host
 * running mocha — with suite/after-reload.js (*.after-reload.js): what must survive a reload. Both count.
 *   node test/e2e/harness/run.js --ui     open the sample workspace and take screenshots (test-results/screenshots)
 *
 * Every wait has a timeout. On failure a screenshot and the code-server log are kept under test-results/e2e/.
 */
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..', '..');
const CODE_SERVER_VERSION = process.env.CODE_SERVER_VERSION || '4.100.3';
const CACHE = path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'driver-guard-e2e', `code-server-${CODE_SERVER_VERSION}`);
const CODE_SERVER = path.join(CACHE, 'node_modules', '.bin', 'code-server');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const RESULTS_DIR = path.join(ROOT, 'test-results', 'e2e');
const SCREENSHOT_DIR = path.join(ROOT, 'test-results', 'screenshots');
const SUITE_TIMEOUT_MS = Number(process.env.DRIVER_GUARD_E2E_TIMEOUT_MS || 240_000);
const UI = process.argv.includes('--ui');

const LOG_TAIL_LINES = 150;
const log = (message) => console.log(`e2e: ${message}`);

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function get(url) {
  return new Promise((resolve) => {
    const request = http.get(url, (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    request.on('error', () => resolve(0));
    request.setTimeout(2000, () => request.destroy());
  });
}

async function waitFor(check, timeoutMs, what) {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms); }),
  ]);
}

function copyDir(from, to) {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    const target = path.join(to, entry.name);
    if (entry.isDirectory()) copyDir(source, target);
    else fs.copyFileSync(source, target);
  }
}

async function stopProcessGroup(child) {
  if (!child || child.exitCode !== null) return;
  try { process.kill(-child.pid, 'SIGTERM'); } catch { return; }
  const started = Date.now();
  while (Date.now() - started < 5000) {
    try { process.kill(-child.pid, 0); } catch { return; }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  try { process.kill(-child.pid, 'SIGKILL'); } catch { /* gone */ }
}

async function main() {
  for (const [file, hint] of [[CODE_SERVER, 'run scripts/e2e/setup.sh'], [CHROMIUM, 'run scripts/e2e/setup.sh'], [path.join(ROOT, 'dist', 'client.js'), 'run npm run build'], [path.join(ROOT, 'out', 'test', 'e2e', 'suite', 'index.js'), 'run npm run compile']]) {
    if (!fs.existsSync(file)) throw new Error(`missing ${file}: ${hint}`);
  }
  const { chromium } = require('playwright-core');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'dg-e2e-'));
  const userData = path.join(tmp, 'user-data');
  const workspace = path.join(tmp, 'ws');
  const resultsFile = path.join(tmp, 'results.json');
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify({
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'security.workspace.trust.enabled': false,
    'extensions.autoUpdate': false,
    'extensions.autoCheckUpdates': false,
    'git.enabled': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'workbench.enableExperiments': false,
    // A failing run keeps the client/server message trace in the "Driver Guard" log (copied below).
    'driverGuard.trace.server': 'messages',
  }, null, 2));
  fs.writeFileSync(path.join(tmp, 'config.yaml'), 'auth: none\n');
  copyDir(path.join(ROOT, 'test', 'e2e', 'workspace'), workspace);

  const port = await freePort();
  const codeServerLog = fs.openSync(path.join(tmp, 'code-server.log'), 'w');
  const codeServer = spawn(CODE_SERVER, [
    '--config', path.join(tmp, 'config.yaml'), '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none',
    '--user-data-dir', userData, '--extensions-dir', path.join(tmp, 'extensions'),
    '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--ignore-last-opened',
  ], {
    detached: true,
    stdio: ['ignore', codeServerLog, codeServerLog],
    env: {
      ...process.env,
      EXTENSIONS_GALLERY: '{}',
      XDG_DATA_HOME: path.join(tmp, 'xdg'),
      DRIVER_GUARD_E2E_RESULTS: resultsFile,
      DRIVER_GUARD_E2E_WORKSPACE: workspace,
      DRIVER_GUARD_DEBOUNCE_MS: '50',
    },
  });
  let browser;
  let page;
  let failed = true;
  let summary = { passed: 0, failed: 1, failures: [{ title: 'harness', message: 'the suite did not report' }] };
  try {
    await waitFor(async () => (await get(`http://127.0.0.1:${port}/healthz`)) === 200, 30_000, 'code-server /healthz');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('console', (message) => {
      const text = message.text().replace(/%c/g, '').replace(/color: [^ ]+;?/g, '').trim();
      if (text && !/^\s*$/.test(text)) console.log(`  | ${text}`);
    });
    // exposeFunction can be registered once per page: each phase swaps the resolver it reports to.
    let reportExit = () => undefined;
    await page.exposeFunction('codeAutomationExit', (code) => reportExit(code));
    const remote = (file) => `vscode-remote://127.0.0.1:${port}${file}`;
    const open = async (testEntry) => {
      const exitCode = new Promise((resolve) => { reportExit = resolve; });
      const payload = [['extensionDevelopmentPath', remote(ROOT)]];
      if (testEntry) payload.push(['extensionTestsPath', remote(path.join(ROOT, 'out', 'test', 'e2e', 'suite', testEntry))]);
      const url = `http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
      await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60_000 });
      return { exitCode };
    };
    const readSummary = () => (fs.existsSync(resultsFile) ? JSON.parse(fs.readFileSync(resultsFile, 'utf8')) : undefined);

    if (UI) {
      await open(undefined);
      await require('./ui').takeScreenshots(page, workspace, SCREENSHOT_DIR, log);
      failed = false;
      summary = { passed: 1, failed: 0, failures: [] };
    } else {
      const phases = [['index.js', 'the end-to-end suite'], ['after-reload.js', 'the after-reload suite']];
      const total = { passed: 0, failed: 0, failures: [] };
      summary = total;
      for (const [entry, what] of phases) {
        fs.rmSync(resultsFile, { force: true });
        if (entry !== 'index.js') log(`reloading the window for ${what}`);
        const { exitCode } = await open(entry);
        const code = await withTimeout(exitCode, SUITE_TIMEOUT_MS, `${what} to finish`);
        const phase = readSummary() || { passed: 0, failed: 0, failures: [] };
        if (code !== 0 && phase.failed === 0) {
          phase.failed = 1;
          phase.failures.push({ title: what, message: `exit code ${code} without a failed test (see the log above)` });
        }
        total.passed += phase.passed;
        total.failed += phase.failed;
        total.failures.push(...phase.failures);
      }
      failed = total.failed > 0;
    }
  } catch (error) {
    log(`error: ${error.message}`);
    if (!UI && summary.passed === 0 && fs.existsSync(resultsFile)) summary = JSON.parse(fs.readFileSync(resultsFile, 'utf8'));
    summary.failed = Math.max(1, summary.failed);
    summary.failures = [...(summary.failures || []), { title: 'harness', message: error.message }];
    failed = true;
  } finally {
    if (failed) {
      fs.rmSync(RESULTS_DIR, { recursive: true, force: true });
      fs.mkdirSync(RESULTS_DIR, { recursive: true });
      if (page) await page.screenshot({ path: path.join(RESULTS_DIR, 'failure.png') }).catch(() => undefined);
      fs.copyFileSync(path.join(tmp, 'code-server.log'), path.join(RESULTS_DIR, 'code-server.log'));
      // One log per window session (the reload phase opens a second one): keep each under its own name and show
      // the end of the non-empty ones, so a CI failure can be read from the job output alone.
      const serverLogs = findFiles(userData, /Driver Guard\.log$|driverGuard.*\.log$/);
      serverLogs.forEach((file, index) => {
        fs.copyFileSync(file, path.join(RESULTS_DIR, `${index + 1}-${path.basename(file)}`));
        const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
        if (lines.length <= 1 && !lines[0]) return;
        log(`last lines of ${path.relative(userData, file)}:`);
        for (const line of lines.slice(-LOG_TAIL_LINES)) console.log(`  > ${line}`);
      });
      log(`kept a screenshot and logs in ${path.relative(ROOT, RESULTS_DIR)}/ (temp dir ${tmp})`);
    }
    if (browser) await browser.close().catch(() => undefined);
    await stopProcessGroup(codeServer);
    fs.closeSync(codeServerLog);
    if (!failed) fs.rmSync(tmp, { recursive: true, force: true });
  }
  for (const failure of summary.failures || []) log(`FAILED ${failure.title}: ${failure.message}`);
  console.log(`${summary.passed} passed, ${summary.failed} failed`);
  return failed ? 1 : 0;
}

function findFiles(dir, pattern) {
  const found = [];
  if (!fs.existsSync(dir)) return found;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...findFiles(full, pattern));
    else if (pattern.test(entry.name)) found.push(full);
  }
  return found;
}

main().then((code) => process.exit(code), (error) => {
  console.error(`e2e: ${error.stack || error}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
});
