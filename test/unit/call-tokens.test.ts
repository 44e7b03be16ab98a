import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { callTokens, scanCallTokens } from '../../server/src/analysis/call-tokens';

describe('callTokens', () => {
  // Pieces that make and break `Name(` tokens across the edit: names, blanks and line breaks between a name and its
  // `(`, word characters that join or split identifiers, and parentheses a token consumes.
  const PIECES = ['Foo', 'Bar_2', 'x', '_', '9', '(', ')', ' ', '\n', '\t', '  (', 'if (', 'f(g(', ';', '->', '.', '/*(*/', '#define M(a) a\n', ',', '{', '}'];
  const text = fc.array(fc.constantFrom(...PIECES), { maxLength: 150 }).map((pieces) => pieces.join(''));
  const edit = fc.record({ at: fc.nat(), removed: fc.nat(12), inserted: fc.array(fc.constantFrom(...PIECES), { maxLength: 3 }).map((pieces) => pieces.join('')) });

  it('gives what a scan of the whole text gives, edit after edit', () => {
    fc.assert(fc.property(text, fc.array(edit, { minLength: 1, maxLength: 6 }), (source, edits) => {
      let before = source;
      assert.deepEqual(callTokens(before), scanCallTokens(before));
      for (const { at, removed, inserted } of edits) {
        const start = before.length === 0 ? 0 : at % (before.length + 1);
        const after = before.slice(0, start) + inserted + before.slice(Math.min(before.length, start + removed));
        assert.deepEqual(callTokens(after), scanCallTokens(after));
        before = after;
      }
    }), { numRuns: 1000 });
  });

  it('finds what the pattern `\\b[A-Za-z_]\\w*\\s*\\(` finds, matches left to right, each consuming its `(`', () => {
    // Digits before names, non-ASCII letters and blanks (\\w and \\b are ASCII, \\s is not), names split by them.
    const pieces = [...PIECES, '1x', 'é', '\u00a0', '\u2028', '\ufeff', 'a\u00a0(', '\u00e9f(', '0(', 'Z9 \n ('];
    const byPattern = (source: string) => {
      const found = { names: [] as string[], starts: [] as number[], parens: [] as number[] };
      const token = /\b[A-Za-z_]\w*\s*\(/g;
      for (let match = token.exec(source); match; match = token.exec(source)) {
        found.names.push(/^\w+/.exec(match[0])![0]);
        found.starts.push(match.index);
        found.parens.push(match.index + match[0].length - 1);
      }
      return found;
    };
    fc.assert(fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 120 }).map((parts) => parts.join('')), (source) => {
      assert.deepEqual(scanCallTokens(source), byPattern(source));
    }), { numRuns: 2000 });
  });

  it('finds every `Name(` left to right, each match consuming its `(`', () => {
    const tokens = scanCallTokens('a = f(g(1), h (2));\nif(x)');
    assert.deepEqual(tokens.names, ['f', 'g', 'h', 'if']);
    assert.deepEqual(tokens.starts, [4, 6, 12, 20]);
    assert.deepEqual(tokens.parens, [5, 7, 14, 22]);
  });

  it('rescans only around an edit in a long text and still joins the old tokens after it', () => {
    const source = Array.from({ length: 3000 }, (_, index) => `    Call${index}(arg);\n`).join('');
    assert.equal(callTokens(source).names.length, 3000);
    const after = source.replace('    Call1500(arg);', '    Call1500 (arg); Extra(1);');
    assert.deepEqual(callTokens(after), scanCallTokens(after));
    assert.equal(callTokens(after).names.length, 3001);
  });
});
