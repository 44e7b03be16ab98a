/**
 * The language server re-parses incrementally (the previous tree, edited) and analyzes the result; the analysis
 * caches what it derives from a tree. Whatever the edits, the findings must be those of a fresh analysis of the
 * same text whenever the two parses agree (tree-sitter may recover from broken code differently when reusing a tree).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { createAnalyzer, WorkspaceIndex, type Analyzer, type ParsedDocument } from '../../server/src/core';
import { generateFile } from '../../bench/generate';

/** Edits a user might type: characters, whole statements, guards, deletions. */
const EDITS = ['x', ' ', '\n', ';', '0', 'InputLength', '    i = InputLength;\n', '    if (InputLength < 8) {\n        return STATUS_INVALID_PARAMETER;\n    }\n', '    RtlCopyMemory(local, Input, InputLength);\n', '// ', '}', '('];

describe('incremental analysis', () => {
  let analyzer: Analyzer;
  before(async () => {
    analyzer = await createAnalyzer();
  });

  it('random edits: analyzing the incrementally parsed tree gives the findings of a fresh analysis', () => {
    const seeds = [generateFile(160, 11), generateFile(240, 12), generateFile(320, 13)];
    let comparedCases = 0;
    let findingsSeen = 0;
    fc.assert(fc.property(
      fc.integer({ min: 0, max: seeds.length - 1 }),
      fc.array(fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), remove: fc.integer({ min: 0, max: 6 }), insert: fc.constantFrom(...EDITS), atLineStart: fc.boolean() }), { minLength: 1, maxLength: 6 }),
      (seedIndex, edits) => {
        let text = seeds[seedIndex];
        const workspace = new WorkspaceIndex();
        let parsed: ParsedDocument = analyzer.parse({ text, fileName: 'inc.c' })!;
        analyzer.analyzeParsed('inc.c', parsed, { workspace });
        for (const edit of edits) {
          let index = Math.floor(edit.at * text.length);
          if (edit.atLineStart) index = text.lastIndexOf('\n', index - 1) + 1;
          text = text.slice(0, index) + edit.insert + text.slice(index + edit.remove);
          const next = analyzer.parse({ text, fileName: 'inc.c' }, parsed)!;
          parsed.dispose();
          parsed = next;
          // The server analyzes after every edit; so does this test (caches must not leak between analyses).
          workspace.update('inc.c', text);
          analyzer.analyzeParsed('inc.c', parsed, { workspace });
        }
        const incremental = analyzer.analyzeParsed('inc.c', parsed, { workspace });
        const freshParse = analyzer.parse({ text, fileName: 'inc.c' })!;
        const sameTree = freshParse.tree.rootNode.toString() === parsed.tree.rootNode.toString();
        freshParse.dispose();
        parsed.dispose();
        if (!sameTree) return true;
        comparedCases++;
        const fresh = analyzer.analyze({ text, fileName: 'inc.c' }, { workspace });
        findingsSeen += fresh.findings.length;
        assert.deepEqual(incremental, fresh);
        return true;
      },
    ), { numRuns: 60, seed: 8 });
    assert.ok(comparedCases >= 30, `only ${comparedCases} cases had identical trees: the property tested too little`);
    assert.ok(findingsSeen > 0, 'the edited files have findings');
  });
});
