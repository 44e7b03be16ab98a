import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TextDerivations } from '../../server/src/analysis/text-derivations';

describe('values derived from text, kept between analyses', () => {
  it('the next analysis takes a value over for the same text and kind, and computes it for new text', () => {
    const computed: string[] = [];
    const length = (text: string) => {
      computed.push(text);
      return text.length;
    };
    const first = new TextDerivations();
    assert.equal(first.get('length', 'int a;', length), 6);
    assert.equal(first.get('length', 'int a;', length), 6);
    assert.equal(first.get('length', 'int bb;', length), 7);
    assert.deepEqual(computed, ['int a;', 'int bb;']);
    first.seal();

    const second = new TextDerivations(first);
    assert.equal(second.get('length', 'int a;', length), 6);
    assert.equal(second.get('words', 'int a;', (text) => text.split(' ').length), 2, 'another kind is computed anew');
    assert.equal(second.get('length', 'int ccc;', length), 8);
    assert.deepEqual(computed, ['int a;', 'int bb;', 'int ccc;']);
    second.seal();

    // Only what the second analysis used is kept: 'int bb;' was not, so a third computes it again.
    const third = new TextDerivations(second);
    assert.equal(third.get('length', 'int bb;', length), 7);
    assert.equal(third.get('length', 'int ccc;', length), 8);
    assert.deepEqual(computed, ['int a;', 'int bb;', 'int ccc;', 'int bb;']);
  });
});
