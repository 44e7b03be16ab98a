import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { CHECKLIST_ITEMS } from '../../shared/checklist-items';
import type { FindingSummary } from '../../shared/protocol';
import { buildReport } from '../../client/src/checklist/report';
import { applyChange, emptyState, parseState, serializeState } from '../../client/src/checklist/state';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const AUTHOR = { updatedBy: 'Ada', updatedAt: '2026-11-25T04:00:00.000Z' };

function finding(overrides: Partial<FindingSummary>): FindingSummary {
  return { uri: 'file:///ws/src/a.c', ruleId: 'deprecated-pool-alloc', checklistItem: 'checklist.secure-coding', severity: 'warning', message: 'ExAllocatePoolWithTag is deprecated', line: 4, character: 2, endLine: 4, endCharacter: 20, ...overrides };
}

describe('checklist report and schema', () => {
  it('the Markdown report lists each item with status, note, reason, links and open findings', () => {
    let state = applyChange(emptyState(), 'checklist.secure-coding', { status: 'done' }, AUTHOR);
    state = applyChange(state, 'checklist.threat-model', { status: 'done', note: 'see *wiki*', addLinks: ['docs/threat model.md'] }, AUTHOR);
    state = applyChange(state, 'checklist.hlk-tests', { status: 'not-applicable', reason: 'software-only' }, AUTHOR);
    const report = buildReport([{ name: 'driver', location: '/ws', snapshot: { kind: 'ok', state, exists: true }, findings: [finding({}), finding({ line: 9 })], relative: (uri) => uri.replace('file:///ws/', '') }], new Date('2026-11-25T05:00:00.000Z'));
    assert.match(report, /^# Driver security checklist report\n/);
    assert.match(report, /## driver\n\n2 \/ 21 done, 1 not applicable, 2 open findings\./);
    assert.match(report, /- \[x\] \*\*Follow driver secure coding guidelines\*\* — Done \(with 2 open findings\)/);
    assert.match(report, /Finding `deprecated-pool-alloc` \(warning\) at src\/a\.c:5: ExAllocatePoolWithTag is deprecated/);
    assert.match(report, /Note: see \\\*wiki\\\*/);
    assert.match(report, /Evidence: \[docs\/threat model\.md\]\(docs\/threat%20model\.md\)/);
    assert.match(report, /- \[-\] \*\*Check code with the hardware compatibility tests\*\* — Not applicable\n {2}- Reason: software-only/);
    assert.equal(report.match(/^- \[/gm)?.length, CHECKLIST_ITEMS.length);
    assert.ok(report.endsWith('\n') && !report.endsWith('\n\n'));
  });

  it('a folder whose file cannot be read says so', () => {
    const report = buildReport([{ name: 'broken', location: '/b', snapshot: { kind: 'corrupt', message: 'not valid JSON' }, findings: [], relative: (uri) => uri }], new Date());
    assert.match(report, /## broken\n\nThe checklist file of this folder cannot be read: not valid JSON/);
  });

  it('what the extension writes validates against the shipped schema, and the schema agrees with the parser', () => {
    const schema = JSON.parse(readFileSync(path.join(ROOT, 'schemas', 'driver-security-checklist.schema.json'), 'utf8'));
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    const validate = ajv.compile(schema);
    let state = applyChange(emptyState(), 'checklist.threat-model', { status: 'done', note: 'n', addLinks: ['a.md'] }, AUTHOR);
    state = applyChange(state, 'checklist.hlk-tests', { status: 'not-applicable', reason: 'r' }, AUTHOR);
    const written = JSON.parse(serializeState(state));
    assert.ok(validate(written), JSON.stringify(validate.errors));
    for (const bad of [{ version: 2 }, { version: 1, items: { a: { status: 'maybe' } } }, { version: 1, items: { a: { status: 'done', extra: 1 } } }, { version: 1, other: 1 }]) {
      assert.equal(validate(bad), false, JSON.stringify(bad));
      assert.notEqual(parseState(JSON.stringify(bad)).kind, 'ok', JSON.stringify(bad));
    }
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    assert.deepEqual(manifest.contributes.jsonValidation, [{ fileMatch: ['**/.vscode/driver-security-checklist.json'], url: './schemas/driver-security-checklist.schema.json' }]);
  });

  it('every checklist command is contributed with the "Driver Guard" category, and tree-only commands are hidden from the palette', () => {
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    const nls = JSON.parse(readFileSync(path.join(ROOT, 'package.nls.json'), 'utf8'));
    const text = (value: string) => (/^%.+%$/.test(value) ? nls[value.slice(1, -1)] : value);
    const commands: { command: string; category: string; title: string }[] = manifest.contributes.commands;
    for (const command of commands) {
      assert.equal(text(command.category), 'Driver Guard', command.command);
      assert.ok(text(command.title), `${command.command} has a title`);
    }
    const hidden = new Set(manifest.contributes.menus.commandPalette.filter((entry: { when: string }) => entry.when === 'false').map((entry: { command: string }) => entry.command));
    for (const id of ['markNotApplicable', 'reopen', 'openDocumentation', 'editNote', 'attachFile', 'removeLink', 'openFinding', 'backupAndReset']) assert.ok(hidden.has(`driverGuard.checklist.${id}`), id);
    const source = ['checklist/index.ts', 'extension.ts', 'surface/index.ts', 'surface/view.ts'].map((file) => readFileSync(path.join(ROOT, 'client', 'src', ...file.split('/')), 'utf8')).join('\n');
    for (const command of commands) assert.ok(source.includes(`'${command.command}'`), `${command.command} is registered`);
  });
});
