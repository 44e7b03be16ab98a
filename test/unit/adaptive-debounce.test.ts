import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { adaptiveDebounce } from '../../server/src/lsp/document-analysis';

describe('adaptive debounce', () => {
  it('uses the configured pause until a first analysis was timed', () => {
    assert.equal(adaptiveDebounce(200, undefined), 200);
  });
  it('publishes small files soon after the typing pause (never below 50 ms)', () => {
    assert.equal(adaptiveDebounce(200, 5), 50);
    assert.equal(adaptiveDebounce(200, 40), 80);
  });
  it('waits twice the last analysis on a slow file, beyond the configured pause, up to one second', () => {
    assert.equal(adaptiveDebounce(200, 150), 300);
    assert.equal(adaptiveDebounce(200, 400), 800);
    assert.equal(adaptiveDebounce(200, 3000), 1000);
  });
  it('keeps a longer configured pause for a slow file and no pause when configured 0', () => {
    assert.equal(adaptiveDebounce(1500, 900), 1500);
    assert.equal(adaptiveDebounce(0, 900), 0);
  });
});
