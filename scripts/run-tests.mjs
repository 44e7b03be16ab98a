// `npm test`: the unit, rule, CLI and protocol tests with node's test runner, then the end-to-end suite in a real
// VS Code (code-server + Chromium, offline). Ends with one "N passed, N failed" line over both; exit 1 on any failure.
// `--unit` runs only the node tests; `--e2e` only the end-to-end suite.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';

const args = new Set(process.argv.slice(2));
const runUnit = !args.has('--e2e');
const runE2e = !args.has('--unit') && process.env.DRIVER_GUARD_SKIP_E2E !== '1';

function findTests(dir) {
  const found = [];
  for (const entry of readdirSync(dir)) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) {
      if (entry !== 'e2e') found.push(...findTests(full));
    } else if (entry.endsWith('.test.js')) {
      found.push(full);
    }
  }
  return found.sort();
}

let passed = 0;
let failed = 0;

if (runUnit) {
  mkdirSync('test-results', { recursive: true });
  const tapFile = path.join('test-results', 'unit.tap');
  const files = findTests(path.join('out', 'test'));
  if (files.length === 0) {
    console.error('run-tests: no compiled tests found under out/test (did `npm run compile` run?)');
    process.exit(1);
  }
  const result = spawnSync(process.execPath, [
    '--test', '--test-concurrency=2',
    '--test-reporter=spec', '--test-reporter-destination=stdout',
    '--test-reporter=tap', `--test-reporter-destination=${tapFile}`,
    ...files,
  ], { stdio: 'inherit' });
  const tap = readFileSync(tapFile, 'utf8');
  const count = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(tap)?.[1] ?? 0);
  passed += count('pass');
  failed += count('fail') + count('cancelled');
  if (result.status !== 0 && count('fail') + count('cancelled') === 0) failed += 1; // the runner itself failed
}

if (runE2e) {
  const result = spawnSync('bash', ['-c', 'bash scripts/e2e/setup.sh && node test/e2e/harness/run.js'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  process.stdout.write(result.stdout ?? '');
  const summary = /^(\d+) passed, (\d+) failed$/m.exec(result.stdout ?? '');
  if (summary) {
    passed += Number(summary[1]);
    failed += Number(summary[2]);
  }
  if (result.status !== 0 && (!summary || Number(summary[2]) === 0)) failed += 1; // setup or harness failure
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);
