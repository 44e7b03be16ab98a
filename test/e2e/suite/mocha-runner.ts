/**
 * Runs the compiled test files next to this one whose names end with `suffix` in mocha inside the extension host,
 * writes a JSON summary for the harness (path in DRIVER_GUARD_E2E_RESULTS) and rejects when a test failed.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

export function runMocha(suffix: string): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, reporter: 'spec' });
  for (const file of readdirSync(__dirname).filter((name) => name.endsWith(suffix)).sort()) mocha.addFile(path.join(__dirname, file));
  return new Promise((resolve, reject) => {
    const failures: { title: string; message: string }[] = [];
    let passed = 0;
    const runner = mocha.run((failed) => {
      const summary = { passed, failed, failures };
      if (process.env.DRIVER_GUARD_E2E_RESULTS) writeFileSync(process.env.DRIVER_GUARD_E2E_RESULTS, JSON.stringify(summary, null, 2));
      if (failed > 0) reject(new Error(`${failed} end-to-end test(s) failed`));
      else resolve();
    });
    runner.on('pass', () => passed++);
    runner.on('fail', (test, error: Error) => failures.push({ title: test.fullTitle(), message: error.message.split('\n')[0] }));
  });
}
