/** The seeded short fuzz run of `npm test`, plus every minimized regression input kept in test/fuzz/regressions. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { createAnalyzer, type Analyzer } from '../../server/src/core';
import { checkInput, inputArbitrary, loadSeeds, REGRESSION_DIR, type FuzzStats } from './fuzzer';

/**
 * A hang, not a speed goal: `npm test` runs on loaded CI machines, so the 1 s goal per input is checked by
 * `npm run fuzz` (and speed by the benchmarks); here an input only fails when it takes an order of magnitude longer.
 */
const HANG_LIMIT_MS = 10_000;

describe('fuzzing (seeded short run)', () => {
  let analyzer: Analyzer;
  before(async () => {
    analyzer = await createAnalyzer();
  });

  it('300 mutated driver sources: no exception, no rule error, no hang', () => {
    const stats: FuzzStats = { runs: 0, skipped: 0, slowestMs: 0, slowestInput: '' };
    fc.assert(fc.property(inputArbitrary(loadSeeds()), (text) => checkInput(analyzer, text, stats, HANG_LIMIT_MS)), { numRuns: 300, seed: 20261124 });
    assert.equal(stats.runs >= 300, true);
  });

  it('random edits: the incremental parse equals a fresh parse', () => {
    const seeds = loadSeeds();
    let cleanCases = 0;
    fc.assert(fc.property(
      fc.integer({ min: 0, max: seeds.length - 1 }),
      fc.array(fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), remove: fc.integer({ min: 0, max: 8 }), insert: fc.constantFrom('', 'x', ' _In_ ', '{', '}', ';', '\n', '/*', 'if (a) ', '0x10')}), { minLength: 1, maxLength: 5 }),
      (seedIndex, edits) => {
        let text = seeds[seedIndex].slice(0, 4000);
        let parsed = analyzer.parse({ text, fileName: 'inc.c' })!;
        for (const edit of edits) {
          const index = Math.floor(edit.at * text.length);
          text = text.slice(0, index) + edit.insert + text.slice(index + edit.remove);
          const next = analyzer.parse({ text, fileName: 'inc.c' }, parsed)!;
          parsed.dispose();
          parsed = next;
        }
        const fresh = analyzer.parse({ text, fileName: 'inc.c' })!;
        // Tree-sitter's error recovery may differ between an incremental and a fresh parse of broken code, so
        // trees must be identical when the code parses cleanly, and cover the whole text otherwise.
        const same = fresh.tree.rootNode.hasError
          ? parsed.tree.rootNode.endIndex === text.length
          : fresh.tree.rootNode.toString() === parsed.tree.rootNode.toString();
        if (!fresh.tree.rootNode.hasError) cleanCases++;
        fresh.dispose();
        parsed.dispose();
        return same;
      },
    ), { numRuns: 200, seed: 4242 });
    assert.ok(cleanCases >= 5, `only ${cleanCases} edited inputs parsed cleanly: the property tested too little`);
  });

  for (const file of readdirSync(REGRESSION_DIR).filter((name) => /\.(c|h|cpp)$/.test(name))) {
    it(`regression input ${file}`, () => {
      const stats: FuzzStats = { runs: 0, skipped: 0, slowestMs: 0, slowestInput: '' };
      checkInput(analyzer, readFileSync(path.join(REGRESSION_DIR, file), 'utf8'), stats, HANG_LIMIT_MS);
    });
  }
});
