/**
 * `npm run fuzz [-- --runs N --seed S]`: the full mutational fuzz run (10,000 inputs by default). A failure is
 * shrunk by fast-check and saved to test/fuzz/regressions/ so `npm test` keeps checking it.
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { createAnalyzer } from '../server/src/core';
import { checkInput, inputArbitrary, loadSeeds, REGRESSION_DIR, type FuzzStats } from '../test/fuzz/fuzzer';

function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

async function main(): Promise<void> {
  const runs = argument('runs', 10_000);
  const seed = argument('seed', Date.now() % 1_000_000);
  const analyzer = await createAnalyzer();
  const seeds = loadSeeds();
  const stats: FuzzStats = { runs: 0, skipped: 0, slowestMs: 0, slowestInput: '' };
  const started = Date.now();
  console.log(`fuzz: ${runs} inputs from ${seeds.length} seeds, seed ${seed}`);
  const result = fc.check(fc.property(inputArbitrary(seeds), (text) => checkInput(analyzer, text, stats, 1000)), { numRuns: runs, seed });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`fuzz: ${stats.runs} analyses in ${seconds} s (${stats.skipped} skipped with a reason); slowest input ${stats.slowestMs.toFixed(1)} ms (${stats.slowestInput.length} characters)`);
  if (result.failed && result.counterexample) {
    const [input] = result.counterexample as [string];
    const name = `fuzz-${createHash('sha1').update(input).digest('hex').slice(0, 12)}.c`;
    writeFileSync(path.join(REGRESSION_DIR, name), input);
    console.log(`fuzz: 1 crash (after shrinking: ${input.length} characters) saved as test/fuzz/regressions/${name}`);
    console.log(`fuzz: ${String(result.errorInstance ?? '').split('\n')[0]}`);
    process.exitCode = 1;
    return;
  }
  console.log('fuzz: 0 crashes');
}

void main();
