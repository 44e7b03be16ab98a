/**
 * The language server re-parses incrementally (the previous tree, edited) and analyzes the result; the analysis
 * caches what it derives from a tree. Whatever the edits, the findings must be those of a fresh analysis of the
 * same text whenever the two parses agree (tree-sitter may recover from broken code differently when reusing a tree).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Analyzer as Engine } from '../../server/src/analysis/engine';
import type { Rule } from '../../server/src/analysis/rule';
import { calleeName } from '../../server/src/analysis/query';
import { dependenceHolds } from '../../server/src/analysis/workspace-trace';
import { createAnalyzer, WorkspaceIndex, type Analyzer, type ParsedDocument } from '../../server/src/core';
import { generateFile } from '../../bench/generate';
import { RULES } from '../../server/src/rules';

const ROOT = path.resolve(__dirname, '..', '..', '..');

/** Edits a user might type: characters, whole statements, guards, deletions. */
const EDITS = ['x', ' ', '\n', ';', '0', 'InputLength', '    i = InputLength;\n', '    if (InputLength < 8) {\n        return STATUS_INVALID_PARAMETER;\n    }\n', '    RtlCopyMemory(local, Input, InputLength);\n', '// ', '}', '(',
  // Conditional compilation: arms are alternatives, `#if 0` is dead, so adding or removing a directive changes findings.
  '#if 0\n', '#ifdef DBG\n', '#else\n', '#endif\n', '#if 1\n', '#ifndef CHECKED\n    if (InputLength < 8) return STATUS_INVALID_PARAMETER;\n#endif\n'];

/**
 * Analyzes the versions of one document in turn with `reuse`, checks each result against a fresh analysis and
 * returns it with what was reused. `visited` (filled by the test's rules) is left as the incremental analysis left it.
 */
function incrementalEditor(engine: Engine, fileName: string, text: string, visited: unknown[]) {
  let parsed = engine.parse({ text, fileName })!;
  return {
    first: () => engine.analyzeParsed(fileName, parsed, { reuse: true }),
    edit(next: string) {
      visited.length = 0;
      const reparsed = engine.parse({ text: next, fileName }, parsed)!;
      parsed.dispose();
      parsed = reparsed;
      const { reuse, ...result } = engine.analyzeParsed(fileName, parsed, { reuse: true });
      const visitedIncrementally = [...visited];
      assert.deepEqual(result, engine.analyze({ text: next, fileName }));
      visited.splice(0, visited.length, ...visitedIncrementally);
      return { reuse, result };
    },
    dispose: () => parsed.dispose(),
  };
}

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

  it('reusing per-function findings between edits gives the findings of a fresh analysis', () => {
    const corpus = (relative: string) => ({ fileName: path.join(ROOT, relative), text: readFileSync(path.join(ROOT, relative), 'utf8') });
    const seeds = [
      { fileName: 'gen.c', text: generateFile(400, 21) },
      corpus('test/corpus/wdm/driver.c'),
      corpus('test/corpus/kmdf/queue.c'),
      corpus('examples/sample-driver/driver.c'),
      corpus('test/corpus/wdm/ifarms.c'),
    ];
    const header = corpus('test/corpus/wdm/ioctl.h');
    let compared = 0;
    let reusedSteps = 0;
    fc.assert(fc.property(
      fc.integer({ min: 0, max: seeds.length - 1 }),
      fc.array(fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), remove: fc.integer({ min: 0, max: 6 }), insert: fc.constantFrom(...EDITS), inBody: fc.boolean() }), { minLength: 1, maxLength: 5 }),
      (seedIndex, edits) => {
        const { fileName } = seeds[seedIndex];
        let text = seeds[seedIndex].text;
        const workspace = new WorkspaceIndex();
        workspace.update(header.fileName, header.text);
        workspace.update(fileName, text);
        let parsed: ParsedDocument = analyzer.parse({ text, fileName })!;
        analyzer.analyzeParsed(fileName, parsed, { workspace, reuse: true });
        for (const edit of edits) {
          let index = Math.floor(edit.at * text.length);
          if (edit.inBody) {
            // Most typing happens inside function bodies, where findings are reused: go to an indented line
            // below the end of the first function (above it are the file's declarations).
            const indented = text.indexOf('\n    ', Math.max(index, text.indexOf('\n}\n')));
            if (indented >= 0) index = indented + 5;
          }
          text = text.slice(0, index) + edit.insert + text.slice(index + edit.remove);
          const next = analyzer.parse({ text, fileName }, parsed)!;
          parsed.dispose();
          parsed = next;
          workspace.update(fileName, text);
          const { reuse, ...reused } = analyzer.analyzeParsed(fileName, parsed, { workspace, reuse: true });
          if (reuse) reusedSteps++;
          const freshParse = analyzer.parse({ text, fileName })!;
          const sameTree = freshParse.tree.rootNode.toString() === parsed.tree.rootNode.toString();
          freshParse.dispose();
          if (!sameTree) break; // tree-sitter recovered differently: nothing to compare from here on
          compared++;
          assert.deepEqual(reused, analyzer.analyze({ text, fileName }, { workspace }), `after inserting ${JSON.stringify(edit.insert)} at ${index} in ${fileName}`);
        }
        parsed.dispose();
        return true;
      },
    ), { numRuns: 80, seed: 31 });
    assert.ok(compared >= 150, `only ${compared} edits compared`);
    assert.ok(reusedSteps >= 100, `only ${reusedSteps} analyses reused findings of the one before`);
  });

  it('a warning or prefast pragma typed inside a function body reuses the other functions\' findings exactly', () => {
    const fileName = path.join(ROOT, 'test/corpus/wdm/driver.c');
    const original = readFileSync(fileName, 'utf8');
    const lines = [...original.matchAll(/\n    (?=\S)/g)].map((match) => match.index! + 1);
    let reusedSteps = 0;
    for (const [step, at] of lines.filter((_, index) => index % Math.max(1, Math.floor(lines.length / 12)) === 0).entries()) {
      const pragma = step % 2 === 0 ? '    #pragma warning(suppress: 6011) // reviewed\n' : '#pragma prefast(suppress: 28182, "reviewed")\n';
      const parsed = analyzer.parse({ text: original, fileName })!;
      analyzer.analyzeParsed(fileName, parsed, { reuse: true });
      const text = original.slice(0, at) + pragma + original.slice(at);
      const next = analyzer.parse({ text, fileName }, parsed)!;
      parsed.dispose();
      const { reuse, ...result } = analyzer.analyzeParsed(fileName, next, { reuse: true });
      next.dispose();
      if (reuse) reusedSteps++;
      assert.deepEqual(result, analyzer.analyze({ text, fileName }), `after inserting ${JSON.stringify(pragma)} at ${at}`);
    }
    assert.ok(reusedSteps >= 8, `only ${reusedSteps} edits reused findings`);
  });

  it('a function whose text is unchanged but whose tree is not (error recovery read it another way) is analyzed again', () => {
    // In a broken file, tree-sitter's recovery may parse an unchanged function differently after an edit elsewhere
    // (seen on the shared corpus: `} else {` read as ERROR + else in one parse and as a declaration in the next).
    // The memo keeps each function's tree shape; a different shape gives a full analysis, as a different text does.
    const fileName = 'shape.c';
    const text = 'VOID A(PIRP Irp) {\n    if (Irp) {\n        Use(Irp)\n    } else {\n        Other();\n    }\n}\nVOID B(PIRP Irp) {\n    Use(Irp);\n}\n';
    let parsed = analyzer.parse({ text, fileName })!;
    analyzer.analyzeParsed(fileName, parsed, { reuse: true });
    const memo = parsed.memo!;
    assert.match(memo.functions[0].shape, /^\d+:-?\d+:-?\d+$/, 'a function with errors has a hashed shape');
    assert.match(memo.functions[1].shape, /^\d+$/, 'an error-free one its size');
    const edited = text.replace('    Use(Irp);\n}', '    Use(Irp + 1);\n}');
    const reparse = () => {
      const next = analyzer.parse({ text: edited, fileName }, parsed)!;
      parsed.dispose();
      parsed = next;
      return analyzer.analyzeParsed(fileName, parsed, { reuse: true }).reuse;
    };
    assert.ok(reparse(), 'typing in B reuses A');
    // The same edit again, against a memo in which A's tree was read another way.
    parsed.memo = { ...parsed.memo!, functions: parsed.memo!.functions.map((fn, index) => (index === 0 ? { ...fn, shape: `${fn.shape}0` } : fn)), parsedText: text };
    Object.assign(parsed, { bases: [] });
    assert.equal(reparse(), undefined);
    parsed.dispose();
  });

  it('irp-completed-twice keeps the findings of functions an edit left alone, and re-runs when a helper changes what it completes', async () => {
    const engine = await Engine.create(RULES.filter((rule) => rule.meta.id === 'irp-completed-twice'));
    const text = [
      'VOID CompleteIt(PIRP Irp) {',
      '    IoCompleteRequest(Irp, IO_NO_INCREMENT);',
      '}',
      'NTSTATUS Twice(PDEVICE_OBJECT DeviceObject, PIRP Irp) {',
      '    CompleteIt(Irp);',
      '    IoCompleteRequest(Irp, IO_NO_INCREMENT);',
      '    return STATUS_SUCCESS;',
      '}',
      'NTSTATUS Other(PDEVICE_OBJECT DeviceObject, PIRP Irp) {',
      '    ULONG unused = 0;',
      '    IoCompleteRequest(Irp, IO_NO_INCREMENT);',
      '    IoCompleteRequest(Irp, IO_NO_INCREMENT);',
      '    return STATUS_SUCCESS;',
      '}',
      '',
    ].join('\n');
    const editor = incrementalEditor(engine, 'twice.c', text, []);
    assert.equal(editor.first().findings.length, 2);
    // Typing in Other: Twice's finding is taken over, Other is analyzed again (the editor compares with a fresh analysis).
    const typed = text.replace('ULONG unused = 0;', 'ULONG unused = 1;');
    const { reuse, result } = editor.edit(typed);
    assert.equal(reuse?.reanalyzedLocal, 1);
    assert.equal(result.findings.length, 2);
    // The helper stops completing: Twice's finding goes although Twice's text did not change.
    const helperChanged = typed.replace('    IoCompleteRequest(Irp, IO_NO_INCREMENT);\n}', '    Log(Irp);\n}');
    assert.equal(editor.edit(helperChanged).result.findings.length, 1);
    assert.equal(editor.edit(typed).result.findings.length, 2);
    editor.dispose();
  });

  it('float-without-state-save re-runs on a helper when its caller stops saving the floating-point state', async () => {
    const engine = await Engine.create(RULES.filter((rule) => rule.meta.id === 'float-without-state-save'));
    const text = [
      '#include <ntddk.h>',
      'double Scale(double x) {',
      '    return x * 1.5;',
      '}',
      'NTSTATUS Caller(PDEVICE_OBJECT DeviceObject) {',
      '    XSTATE_SAVE save;',
      '    KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, &save);',
      '    Scale(2.0);',
      '    KeRestoreExtendedProcessorState(&save);',
      '    return STATUS_SUCCESS;',
      '}',
      'VOID Unrelated(PDEVICE_OBJECT DeviceObject) {',
      '    KeStallExecutionProcessor(1);',
      '}',
      '',
    ].join('\n');
    const editor = incrementalEditor(engine, 'float.c', text, []);
    // Scale's float use is covered: its only caller saves the state. (The editor compares each edit with a fresh analysis.)
    assert.deepEqual(editor.first().findings, []);
    const { reuse } = editor.edit(text.replace('KeStallExecutionProcessor(1)', 'KeStallExecutionProcessor(2)'));
    assert.equal(reuse?.reanalyzedLocal, 1);
    const unsaved = text.replace('    KeSaveExtendedProcessorState(XSTATE_MASK_LEGACY, &save);\n', '');
    const lines = editor.edit(unsaved).result.findings.map((finding) => finding.range.start.line);
    assert.ok(lines.includes(1), `Scale (unchanged) is reported once its caller no longer saves the state: ${lines}`);
    editor.dispose();
  });

  it('the attack surface of an edited version takes the unchanged functions\' facts over, moved by the edit', () => {
    const fileName = path.join(ROOT, 'test/corpus/wdm/driver.c');
    const original = readFileSync(fileName, 'utf8');
    let parsed = analyzer.parse({ text: original, fileName })!;
    const first = analyzer.analyzeParsed(fileName, parsed, { reuse: true });
    assert.ok((first.surface?.functions.length ?? 0) >= 2, 'the driver has request functions');
    assert.ok((first.surface?.cases.length ?? 0) >= 2, 'and an IOCTL switch (below the first edit: its cases move)');
    assert.ok((parsed.memo?.surface?.size ?? 0) >= 2);
    // A line added in the first function body moves every later function's lines and offsets; then a statement
    // pasted in the last one, then the first edit undone.
    const bodies = [...original.matchAll(/\n    (?=\S)/g)].map((match) => match.index! + 1);
    const versions = [
      original.slice(0, bodies[0]) + '    ULONG added = 0;\n' + original.slice(bodies[0]),
    ];
    const last = versions[0].lastIndexOf('\n    return');
    versions.push(versions[0].slice(0, last + 1) + '    if (Irp == NULL) {\n        return STATUS_INVALID_PARAMETER;\n    }\n' + versions[0].slice(last + 1));
    versions.push(original);
    for (const text of versions) {
      const next = analyzer.parse({ text, fileName }, parsed)!;
      parsed.dispose();
      parsed = next;
      const { reuse, ...result } = analyzer.analyzeParsed(fileName, parsed, { reuse: true });
      assert.deepEqual(result, analyzer.analyze({ text, fileName }));
      assert.ok(parsed.memo?.surface && parsed.memo.surface.size >= 2);
    }
    parsed.dispose();
  });

  it('after an edit inside one function, function-scoped rules visit only it and the functions it calls', async () => {
    const visited: string[] = [];
    const spy: Rule = {
      meta: { id: 'spy', title: 'spy', type: 'problem', severity: 'warning', checklistItem: 'checklist.secure-coding', description: 'spy', rationale: 'spy', confidence: 'high', messages: { call: 'calls {{name}}' }, scope: 'function' },
      create(context) {
        return {
          call_expression(call) {
            const name = calleeName(call) ?? '?';
            visited.push(context.file.enclosingFunction(call)?.name ?? 'top-level');
            context.report({ node: call, messageId: 'call', data: { name } });
          },
        };
      },
    };
    const engine = await Engine.create([spy]);
    const text = [
      'int Leaf(int a) { return Helper(a); }',
      'int Helper(int b) { return Other(b); }',
      'int Lonely(int c) { return Other(c) + Other(c); }',
      'int Unrelated(int d) { return Another(d); }',
      '',
    ].join('\n');
    const editor = incrementalEditor(engine, 'spy.c', text, visited);
    const edit = (next: string) => editor.edit(next).reuse;
    const first = editor.first();
    assert.equal(first.findings.length, 5);
    assert.deepEqual(visited.sort(), ['Helper', 'Leaf', 'Lonely', 'Lonely', 'Unrelated']);

    // Inside Unrelated, which calls no function of the file.
    const edited = text.replace('Another(d)', 'Another(d + 1)');
    assert.deepEqual(edit(edited), { functions: 4, reanalyzed: 1, reanalyzedOwn: 1, reanalyzedLocal: 1 });
    assert.deepEqual(visited, ['Unrelated']);

    // Inside Leaf, which calls Helper: both are analyzed again, Lonely and Unrelated are not.
    // (And inside Helper, Leaf would not be: what Leaf's callers pass and check does not depend on Helper's body.)
    const again = edited.replace('return Helper(a);', 'a++; return Helper(a);');
    assert.deepEqual(edit(again), { functions: 4, reanalyzed: 2, reanalyzedOwn: 1, reanalyzedLocal: 1 });
    assert.deepEqual(visited.sort(), ['Helper', 'Leaf']);

    // A blank line between functions changes nothing: no function is visited.
    const blank = again.replace('\nint Lonely', '\n\nint Lonely');
    assert.deepEqual(edit(blank), { functions: 4, reanalyzed: 0, reanalyzedOwn: 0, reanalyzedLocal: 0 });
    assert.deepEqual(visited, []);

    // Nor does a comment there.
    const commented = blank.replace('\n\nint Lonely', '\n/* Lonely: counts twice. */\nint Lonely');
    assert.deepEqual(edit(commented), { functions: 4, reanalyzed: 0, reanalyzedOwn: 0, reanalyzedLocal: 0 });
    assert.deepEqual(visited, []);

    // A conditional inside a function stays inside it; Unrelated alone is analyzed again.
    const conditional = commented.replace('return Another(d + 1);', '#if DBG\n    d++;\n#endif\n    return Another(d + 1);');
    assert.deepEqual(edit(conditional), { functions: 4, reanalyzed: 1, reanalyzedOwn: 1, reanalyzedLocal: 1 });
    assert.deepEqual(visited, ['Unrelated']);

    // Renaming a function changes what refers to what: everything again. Undoing it brings back the text analyzed
    // two versions ago, whose findings are all taken over.
    assert.equal(edit(conditional.replace('int Leaf(', 'int xLeaf(')), undefined);
    assert.equal(visited.length, 5);
    assert.deepEqual(edit(conditional), { functions: 4, reanalyzed: 0, reanalyzedOwn: 0, reanalyzedLocal: 0 });
    assert.deepEqual(visited, []);

    // A declaration between functions: everything again.
    assert.equal(edit(conditional.replace('\n/* Lonely: counts twice. */\nint Lonely', '\nint g_Count;\nint Lonely')), undefined);
    assert.equal(visited.length, 5);
    // A warning or prefast pragma inside a function stays inside it (it reads only the next statement); an alloc_text
    // pragma is file-wide.
    assert.deepEqual(edit(conditional), { functions: 4, reanalyzed: 0, reanalyzedOwn: 0, reanalyzedLocal: 0 });
    const suppressed = conditional.replace('    d++;\n', '    d++;\n#pragma warning(suppress: 4054) // a cast\n');
    assert.deepEqual(edit(suppressed), { functions: 4, reanalyzed: 1, reanalyzedOwn: 1, reanalyzedLocal: 1 });
    assert.deepEqual(visited, ['Unrelated']);
    assert.deepEqual(edit(suppressed.replace('d++;', 'd += 2;')), { functions: 4, reanalyzed: 1, reanalyzedOwn: 1, reanalyzedLocal: 1 });
    assert.deepEqual(visited, ['Unrelated']);
    assert.equal(edit(suppressed.replace('#pragma warning(suppress: 4054)', '#pragma alloc_text(PAGE, Unrelated)')), undefined);
    assert.equal(visited.length, 5);

    editor.dispose();
  });

  it('a rule whose file-wide facts change runs again on every function; the other rules keep their findings', async () => {
    const visited: Record<string, string[]> = { summary: [], plain: [] };
    const spy = (id: 'summary' | 'plain'): Rule => ({
      meta: { id, title: id, type: 'problem', severity: 'warning', checklistItem: 'checklist.secure-coding', description: id, rationale: id, confidence: 'high', messages: { call: '{{name}} {{marked}}' }, scope: 'function-local' },
      // `summary` reports, at each call, whether the callee's body says MARKED: a file-wide read, summed up here.
      ...(id === 'summary' && { fileFacts: (file) => file.functions().filter((fn) => file.textOf(fn.node).includes('MARKED')).map((fn) => fn.name).join(' ') }),
      create(context) {
        return {
          call_expression(call) {
            const name = calleeName(call) ?? '?';
            visited[id].push(context.file.enclosingFunction(call)?.name ?? 'top-level');
            const callee = context.file.functionByName(name);
            const marked = id === 'summary' && callee !== undefined && context.file.textOf(callee.node).includes('MARKED') ? 'marked' : 'plain';
            context.report({ node: call, messageId: 'call', data: { name, marked } });
          },
        };
      },
    });
    const engine = await Engine.create([spy('plain'), spy('summary')]);
    const text = ['int Callee(int a) { return a; }', 'int First(int b) { return Callee(b); }', 'int Second(int c) { return Callee(c) + Other(c); }', ''].join('\n');
    let parsed = engine.parse({ text, fileName: 'facts.c' })!;
    engine.analyzeParsed('facts.c', parsed, { reuse: true });
    const edited = text.replace('return a;', 'return a; /* MARKED */');
    visited.summary.length = 0;
    visited.plain.length = 0;
    const next = engine.parse({ text: edited, fileName: 'facts.c' }, parsed)!;
    parsed.dispose();
    parsed = next;
    const { reuse, ...result } = engine.analyzeParsed('facts.c', parsed, { reuse: true });
    assert.ok(reuse, 'the findings of the rule whose facts held are reused');
    assert.deepEqual(visited.plain, []);
    assert.deepEqual(visited.summary.sort(), ['First', 'Second', 'Second']);
    assert.deepEqual(result, engine.analyze({ text: edited, fileName: 'facts.c' }));
    assert.equal(result.findings.filter((finding) => finding.message === 'Callee marked').length, 2);
    parsed.dispose();
  });

  it('a rule that reads no callers runs again below the edit only where the taint passed in changed', async () => {
    // Reports every call argument the function's taint marks as user-controlled; records where it ran.
    const visited: string[] = [];
    const ownOnly: Rule = {
      meta: { id: 'own-only', title: 'own', type: 'problem', severity: 'warning', checklistItem: 'checklist.secure-coding', description: 'own', rationale: 'own', confidence: 'high', messages: { tainted: '{{name}} gets user data' }, scope: 'function', callerLevels: 0 },
      create(context) {
        return {
          call_expression(call) {
            const fn = context.file.enclosingFunction(call);
            visited.push(fn?.name ?? 'top-level');
            const args = call.childForFieldName('arguments')?.namedChildren ?? [];
            if (fn && args.some((arg) => arg && context.file.taint(fn).taintOf(arg))) context.report({ node: call, messageId: 'tainted', data: { name: calleeName(call) ?? '?' } });
          },
        };
      },
    };
    const engine = await Engine.create([ownOnly]);
    const text = [
      'NTSTATUS Helper(ULONG count) { return Use(count); }',
      'NTSTATUS Dispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp) {',
      '    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);',
      '    ULONG length = irpSp->Parameters.DeviceIoControl.InputBufferLength;',
      '    return Helper(length);',
      '}',
      '',
    ].join('\n');
    const editor = incrementalEditor(engine, 'own.c', text, visited);
    const edit = (next: string) => {
      const { reuse, result } = editor.edit(next);
      return { reuse, findings: result.findings.map((finding) => finding.message) };
    };
    const first = editor.first();
    assert.deepEqual(first.findings.map((finding) => finding.message), ['Use gets user data', 'Helper gets user data']);

    // Dispatch still passes the unchecked length: Helper's findings are taken over.
    const touched = text.replace('    return Helper(length);', '    length += 0;\n    return Helper(length);');
    assert.deepEqual(edit(touched).reuse, { functions: 2, reanalyzed: 2, reanalyzedOwn: 1, reanalyzedLocal: 1 });
    assert.deepEqual(visited.filter((name) => name === 'Helper'), []);

    // Dispatch now checks the length before the call, so Helper receives none: it is analyzed again and clean.
    const checked = touched.replace('    return Helper(length);', '    if (length > 64) {\n        return STATUS_INVALID_PARAMETER;\n    }\n    return Helper(length);');
    const after = edit(checked);
    assert.deepEqual(after.reuse, { functions: 2, reanalyzed: 2, reanalyzedOwn: 2, reanalyzedLocal: 1 });
    assert.ok(visited.includes('Helper'));
    assert.ok(!after.findings.includes('Use gets user data'));
    editor.dispose();
  });

  it('a keystroke that changes the workspace (a new call) still reuses findings; a changed answer of the workspace does not', () => {
    const source = [
      'VOID Fill(PUCHAR Buffer) {',
      '    PVOID p = ExAllocatePoolWithTag(NonPagedPool, 16, \'lliF\');',
      '    Buffer[0] = 0;',
      '}',
      'VOID Other(PUCHAR Buffer) {',
      '    Buffer[0] = 1;',
      '}',
      '',
    ].join('\n');
    const fileName = '/drv/fill.c';
    const workspace = new WorkspaceIndex();
    workspace.update('/drv/init.c', 'NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) { return STATUS_SUCCESS; }\n');
    workspace.update(fileName, source);
    let parsed = analyzer.parse({ text: source, fileName })!;
    analyzer.analyzeParsed(fileName, parsed, { reuse: true, workspace });
    assert.ok(parsed.memo?.workspace?.trace.some(([kind, argument, answer]) => kind === 'pool-nx-opt-in' && argument === fileName && answer === 'false'));
    const edit = (text: string) => {
      const revision = workspace.revision;
      workspace.update(fileName, text);
      const next = analyzer.parse({ text, fileName }, parsed)!;
      parsed.dispose();
      parsed = next;
      const { reuse, ...result } = analyzer.analyzeParsed(fileName, parsed, { reuse: true, workspace });
      assert.deepEqual(result, analyzer.analyze({ text, fileName }, { workspace }));
      return { reuse, revisionChanged: workspace.revision !== revision };
    };
    // Typing a call into Other changes the file's index entry (the names it calls), and so the revision.
    const withCall = source.replace('    Buffer[0] = 1;', '    Buffer[0] = 1;\n    KeStallExecutionProcessor(1);');
    assert.deepEqual(edit(withCall), { reuse: { functions: 2, reanalyzed: 1, reanalyzedOwn: 1, reanalyzedLocal: 1 }, revisionChanged: true });
    // Another file of the driver opts in to NX pool: an answer the analysis depends on changed, nothing is taken over.
    const kept = parsed.memo!;
    workspace.update('/drv/init.c', 'NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) { ExInitializeDriverRuntime(DrvRtPoolNxOptIn); return STATUS_SUCCESS; }\n');
    assert.equal(dependenceHolds(kept.workspace, workspace), false);
    const moreText = withCall.replace('Buffer[0] = 1;', 'Buffer[0] = 2;');
    assert.deepEqual(edit(moreText), { reuse: undefined, revisionChanged: false });
    parsed.dispose();
  });

  it('an edit in a caller re-analyzes its callees: removing the caller\'s length check flags the helper', () => {
    const checked = [
      'typedef struct _SETTINGS { ULONG Mode; ULONG Level; } SETTINGS, *PSETTINGS;',
      'ULONG g_Mode;',
      'DRIVER_DISPATCH Dispatch;',
      'DRIVER_DISPATCH ApplySettings;',
      'NTSTATUS ApplySettings(PDEVICE_OBJECT DeviceObject, PIRP Irp) {',
      '    PSETTINGS s = (PSETTINGS)Irp->AssociatedIrp.SystemBuffer;',
      '    g_Mode = s->Mode;',
      '    return STATUS_SUCCESS;',
      '}',
      'NTSTATUS Dispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp) {',
      '    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);',
      '    if (irpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(SETTINGS)) {',
      '        return STATUS_INVALID_PARAMETER;',
      '    }',
      '    return ApplySettings(DeviceObject, Irp);',
      '}',
      'NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {',
      '    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = Dispatch;',
      '    return STATUS_SUCCESS;',
      '}',
      '',
    ].join('\n');
    const unchecked = checked.replace(/    if \(irpSp[^]*?\n    \}\n/, '');
    assert.notEqual(unchecked, checked);
    const fileName = 'callers.c';
    const parsed = analyzer.parse({ text: checked, fileName })!;
    const before = analyzer.analyzeParsed(fileName, parsed, { reuse: true });
    assert.ok(!before.findings.some((finding) => finding.ruleId === 'input-length-not-validated'));
    const next = analyzer.parse({ text: unchecked, fileName }, parsed)!;
    parsed.dispose();
    const { reuse, ...after } = analyzer.analyzeParsed(fileName, next, { reuse: true });
    // Caller-independent (`function-local`) rules run on the edited Dispatch only, not on ApplySettings.
    assert.deepEqual(reuse, { functions: 3, reanalyzed: 2, reanalyzedOwn: 1, reanalyzedLocal: 1 });
    next.dispose();
    assert.ok(after.findings.some((finding) => finding.ruleId === 'input-length-not-validated' && finding.range.start.line === 6));
    assert.deepEqual(after, analyzer.analyze({ text: unchecked, fileName }));
  });

  it('a function left unchanged passes on what its callers now give it, not what it passed before the edit', () => {
    // Middle is not edited, but the taint it is handed changes (another length field): what it passes Leaf must too.
    const before = [
      'DRIVER_DISPATCH Dispatch;',
      'VOID Leaf(PUCHAR Buffer, ULONG Length) {',
      '    UCHAR local[16];',
      '    RtlCopyMemory(local, Buffer, Length);',
      '}',
      'VOID Middle(PUCHAR Buffer, ULONG Length) {',
      '    Leaf(Buffer, Length);',
      '}',
      'NTSTATUS Dispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp) {',
      '    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);',
      '    ULONG length = irpSp->Parameters.DeviceIoControl.InputBufferLength;',
      '    PUCHAR buffer = (PUCHAR)Irp->AssociatedIrp.SystemBuffer;',
      '    Middle(buffer, length);',
      '    return STATUS_SUCCESS;',
      '}',
      'NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {',
      '    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = Dispatch;',
      '    return STATUS_SUCCESS;',
      '}',
      '',
    ].join('\n');
    const after = before.replace('InputBufferLength;', 'OutputBufferLength;');
    const fileName = 'chain.c';
    const origins = (findings: { ruleId: string; related?: { message: string }[] }[]) =>
      findings.filter((finding) => finding.ruleId === 'user-length-copy-unchecked').flatMap((finding) => (finding.related ?? []).map((related) => related.message));
    const parsed = analyzer.parse({ text: before, fileName })!;
    assert.deepEqual(origins(analyzer.analyzeParsed(fileName, parsed, { reuse: true }).findings), ['user-controlled value: InputBufferLength']);
    const next = analyzer.parse({ text: after, fileName }, parsed)!;
    parsed.dispose();
    const { reuse, ...result } = analyzer.analyzeParsed(fileName, next, { reuse: true });
    next.dispose();
    assert.ok(reuse, 'the edit inside Dispatch keeps the reuse plan');
    assert.deepEqual(origins(result.findings), ['user-controlled value: OutputBufferLength']);
    assert.deepEqual(result, analyzer.analyze({ text: after, fileName }));
  });

  it('a helper left unchanged is summarized again when a function it calls stops dereferencing the parameter', () => {
    // Helper hands its parameter to Store; Store is edited. Helper's own text is the same, its summary is not.
    const before = [
      'typedef struct _WRITE_REQUEST { PULONG_PTR Where; ULONG_PTR What; } WRITE_REQUEST, *PWRITE_REQUEST;',
      'DRIVER_DISPATCH Dispatch;',
      'VOID Store(PULONG_PTR Slot, ULONG_PTR Value) {',
      '    *Slot = Value;',
      '}',
      'VOID Helper(PULONG_PTR Target, ULONG_PTR Value) {',
      '    Store(Target, Value);',
      '}',
      'NTSTATUS Dispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp) {',
      '    PWRITE_REQUEST request = (PWRITE_REQUEST)Irp->AssociatedIrp.SystemBuffer;',
      '    Helper(request->Where, request->What);',
      '    return STATUS_SUCCESS;',
      '}',
      'NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {',
      '    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = Dispatch;',
      '    return STATUS_SUCCESS;',
      '}',
      '',
    ].join('\n');
    const after = before.replace('    *Slot = Value;', '    UNREFERENCED_PARAMETER(Slot);');
    const fileName = 'helpers.c';
    const flaggedLines = (findings: { ruleId: string; range: { start: { line: number } } }[]) =>
      findings.filter((finding) => finding.ruleId === 'embedded-user-pointer').map((finding) => finding.range.start.line);
    const parsed = analyzer.parse({ text: before, fileName })!;
    assert.deepEqual(flaggedLines(analyzer.analyzeParsed(fileName, parsed, { reuse: true }).findings), [10]);
    const next = analyzer.parse({ text: after, fileName }, parsed)!;
    parsed.dispose();
    const { reuse, ...result } = analyzer.analyzeParsed(fileName, next, { reuse: true });
    next.dispose();
    assert.ok(reuse, 'the edit inside Store keeps the reuse plan');
    assert.deepEqual(flaggedLines(result.findings), []);
    assert.deepEqual(result, analyzer.analyze({ text: after, fileName }));
  });

  it('a helper left unchanged is summarized again for the arguments its edited caller now hands it', () => {
    // null-pointer-dereference summarizes Helper only for the argument positions callers fill with nullable paths.
    const before = [
      'VOID Helper(PULONG First, PULONG Second) {',
      '    *First = 1;',
      '    *Second = 2;',
      '}',
      'NTSTATUS Fill(VOID) {',
      "    PULONG one = (PULONG)ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(ULONG), 'lluF');",
      "    PULONG two = (PULONG)ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(ULONG), 'lluF');",
      '    ULONG local;',
      '    Helper(one, &local);',
      '    return STATUS_SUCCESS;',
      '}',
      '',
    ].join('\n');
    const after = before.replace('Helper(one, &local);', 'Helper(&local, two);');
    const fileName = 'fill.c';
    const messages = (findings: { ruleId: string; message: string }[]) =>
      findings.filter((finding) => finding.ruleId === 'null-pointer-dereference').map((finding) => /^`(\w+)`/.exec(finding.message)?.[1]);
    const parsed = analyzer.parse({ text: before, fileName })!;
    assert.deepEqual(messages(analyzer.analyzeParsed(fileName, parsed, { reuse: true }).findings), ['one']);
    const next = analyzer.parse({ text: after, fileName }, parsed)!;
    parsed.dispose();
    const { reuse, ...result } = analyzer.analyzeParsed(fileName, next, { reuse: true });
    next.dispose();
    assert.ok(reuse, 'the edit inside Fill keeps the reuse plan');
    assert.deepEqual(messages(result.findings), ['two']);
    assert.deepEqual(result, analyzer.analyze({ text: after, fileName }));
  });
});
