import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CHECKLIST_ITEMS } from '../../shared/checklist-items';
import {
  applyChange,
  emptyState,
  normalizeLink,
  parseState,
  progressOf,
  resetKnownItems,
  serializeState,
  STATE_FILE_SCHEMA_URL,
} from '../../client/src/checklist/state';

const AUTHOR = { updatedBy: 'Ada', updatedAt: '2026-11-25T04:00:00.000Z' };
const SECURE = 'checklist.secure-coding';
const THREAT = 'checklist.threat-model';

describe('checklist state model', () => {
  it('serializes with sorted keys, 2-space indent, a trailing newline, $schema and version', () => {
    const state = applyChange(applyChange(emptyState(), THREAT, { status: 'done', note: 'docs/threat-model.md' }, AUTHOR), SECURE, { status: 'done' }, AUTHOR);
    const text = serializeState(state);
    assert.ok(text.endsWith('}\n'));
    const data = JSON.parse(text);
    assert.equal(data.version, 1);
    assert.equal(data.$schema, STATE_FILE_SCHEMA_URL);
    assert.deepEqual(Object.keys(data), ['$schema', 'items', 'version']);
    assert.deepEqual(Object.keys(data.items), [SECURE, THREAT]);
    assert.deepEqual(Object.keys(data.items[THREAT]), ['note', 'status', 'updatedAt', 'updatedBy']);
    assert.match(text, /^\{\n {2}"\$schema"/);
    const parsed = parseState(text);
    assert.equal(parsed.kind, 'ok');
    if (parsed.kind === 'ok') assert.equal(serializeState(parsed.state), text, 'round trip is stable');
  });

  it('rejects unparsable and schema-invalid files as corrupt', () => {
    for (const text of ['{', '[]', '"x"', '{"version":"1"}', '{"version":1,"items":[]}', '{"version":1,"items":{"a":{"status":"finished"}}}',
      '{"version":1,"items":{"a":{"status":"done","links":[3]}}}', '{"version":1,"items":{"a":{"status":"done","extra":1}}}', '{"version":1,"other":true}', '{"version":0}']) {
      assert.equal(parseState(text).kind, 'corrupt', text);
    }
  });

  it('recognizes a file from a newer version', () => {
    const result = parseState('{"version": 2, "items": {}, "somethingNew": true}');
    assert.equal(result.kind, 'newer');
    assert.match((result as { message: string }).message, /version 2/);
  });

  it('keeps unknown item ids through changes', () => {
    const parsed = parseState(JSON.stringify({ version: 1, items: { 'checklist.from-the-future': { status: 'done', note: 'keep me' } } }));
    assert.equal(parsed.kind, 'ok');
    if (parsed.kind !== 'ok') return;
    const changed = applyChange(parsed.state, SECURE, { status: 'done' }, AUTHOR);
    assert.deepEqual(changed.items['checklist.from-the-future'], { status: 'done', note: 'keep me' });
    assert.deepEqual(resetKnownItems(changed).items, { 'checklist.from-the-future': { status: 'done', note: 'keep me' } });
  });

  it('applies one change: status, reason only while not applicable, notes and links', () => {
    let state = applyChange(emptyState(), THREAT, { status: 'not-applicable', reason: 'no IOCTLs' }, AUTHOR);
    assert.deepEqual(state.items[THREAT], { status: 'not-applicable', reason: 'no IOCTLs', ...AUTHOR });
    state = applyChange(state, THREAT, { status: 'open' }, AUTHOR);
    assert.equal(state.items[THREAT], undefined, 'a plain open item leaves the file');
    state = applyChange(state, THREAT, { note: 'see wiki', addLinks: ['docs/tm.md', 'docs/a.md', 'docs/tm.md'] }, AUTHOR);
    assert.deepEqual(state.items[THREAT].links, ['docs/a.md', 'docs/tm.md']);
    assert.equal(state.items[THREAT].status, 'open');
    state = applyChange(state, THREAT, { removeLinks: ['docs/a.md', 'docs/tm.md'], note: null }, { updatedAt: AUTHOR.updatedAt });
    assert.equal(state.items[THREAT], undefined);
  });

  it('counts progress without not-applicable items', () => {
    let state = emptyState();
    state = applyChange(state, SECURE, { status: 'done' }, AUTHOR);
    state = applyChange(state, THREAT, { status: 'not-applicable' }, AUTHOR);
    state.items['checklist.unknown'] = { status: 'done' };
    assert.deepEqual(progressOf(state), { done: 1, total: CHECKLIST_ITEMS.length - 1, notApplicable: 1, open: CHECKLIST_ITEMS.length - 2 });
    assert.deepEqual(progressOf(undefined), { done: 0, total: CHECKLIST_ITEMS.length, notApplicable: 0, open: CHECKLIST_ITEMS.length });
  });

  it('normalizes links to folder-relative forward-slash paths', () => {
    assert.equal(normalizeLink('docs\\threat model.md'), 'docs/threat model.md');
    assert.equal(normalizeLink('./a/b.txt'), 'a/b.txt');
    for (const bad of ['../x', '/etc/passwd', 'C:/x', '']) assert.equal(normalizeLink(bad), undefined, bad);
  });
});
