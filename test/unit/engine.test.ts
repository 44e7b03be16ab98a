import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { Analyzer, computeEdit, createAnalyzer, RULES, type Rule } from '../../server/src/core';
import { LineIndex } from '../../server/src/analysis/line-index';

const SAMPLE = `#define IOCTL_X CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_NEITHER, FILE_ANY_ACCESS)
_Use_decl_annotations_
NTSTATUS Dispatch(_In_ PDEVICE_OBJECT DeviceObject, _Inout_ PIRP Irp) {
    PVOID p = ExAllocatePoolWithTag(NonPagedPoolNx, 16, 'gDvD');
    return STATUS_SUCCESS;
}
`;

describe('Analyzer', () => {
  let analyzer: Analyzer;
  before(async () => {
    analyzer = await createAnalyzer();
  });

  it('reports findings with rule id, checklist item, severity and 0-based ranges', () => {
    const result = analyzer.analyze({ text: SAMPLE, fileName: 'x.c' });
    const pool = result.findings.find((finding) => finding.ruleId === 'deprecated-pool-alloc');
    assert.ok(pool);
    assert.equal(pool.checklistItem, 'checklist.secure-coding');
    assert.equal(pool.severity, 'warning');
    assert.deepEqual(pool.range.start, { line: 3, character: 14 });
    assert.equal(result.parseErrors, 0, 'SAL annotations must not produce ERROR nodes');
  });

  it('applies severity overrides and turns rules off', () => {
    const result = analyzer.analyze({ text: SAMPLE, fileName: 'x.c' }, { rules: { 'deprecated-pool-alloc': 'error', 'ioctl-method-neither': 'off' } });
    assert.equal(result.findings.find((finding) => finding.ruleId === 'deprecated-pool-alloc')?.severity, 'error');
    assert.equal(result.findings.some((finding) => finding.ruleId === 'ioctl-method-neither'), false);
  });

  it('honours next-line and file suppressions and reports unused ones', () => {
    const text = `void f(void) {
    // driver-guard-ignore-next-line deprecated-pool-alloc: legacy path, zeroed below
    PVOID p = ExAllocatePoolWithTag(NonPagedPoolNx, 16, 'gDvD');
    // driver-guard-ignore-next-line deprecated-pool-alloc: nothing here
    int x = 0;
}
/* driver-guard-ignore-file ioctl-method-neither */
#define IOCTL_Y CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_NEITHER, FILE_ANY_ACCESS)
`;
    const result = analyzer.analyze({ text, fileName: 'x.c' });
    const pool = result.findings.find((finding) => finding.ruleId === 'deprecated-pool-alloc');
    assert.equal(pool?.suppression?.kind, 'next-line');
    assert.equal(pool?.suppression?.justification, 'legacy path, zeroed below');
    assert.equal(result.findings.find((finding) => finding.ruleId === 'ioctl-method-neither')?.suppression?.kind, 'file');
    const unused = result.findings.filter((finding) => finding.ruleId === 'unused-suppression');
    assert.equal(unused.length, 1);
    assert.equal(unused[0].severity, 'information');
    assert.equal(unused[0].range.start.line, 3);
  });

  it('skips binary and oversized files with a reason instead of analyzing them', () => {
    const binary = analyzer.analyze({ text: 'int x;\u0000\u0001\u0002', fileName: 'blob.c' });
    assert.match(binary.skipped?.reason ?? '', /binary/);
    const big = analyzer.analyze({ text: 'x'.repeat(5000), fileName: 'big.c' }, { maxFileSize: 1000 });
    assert.match(big.skipped?.reason ?? '', /larger than/);
  });

  it('contains a rule that throws: the others still report', async () => {
    const broken: Rule = {
      meta: { ...RULES[0].meta, id: 'broken-rule' },
      create: () => ({ call_expression: () => { throw new Error('boom'); } }),
    };
    const withBroken = await Analyzer.create([broken, ...RULES]);
    const result = withBroken.analyze({ text: SAMPLE, fileName: 'x.c' });
    assert.deepEqual(result.ruleErrors, [{ ruleId: 'broken-rule', message: 'boom' }]);
    assert.ok(result.findings.some((finding) => finding.ruleId === 'deprecated-pool-alloc'));
  });

  it('incremental re-parse gives the same tree as a fresh parse', () => {
    const first = analyzer.parse({ text: SAMPLE, fileName: 'x.c' })!;
    const edited = SAMPLE.replace('16, ', 'sizeof(FOO) + 16, ').replace('_In_ PDEVICE_OBJECT', '_In_opt_ PDEVICE_OBJECT');
    const incremental = analyzer.parse({ text: edited, fileName: 'x.c' }, first)!;
    const fresh = analyzer.parse({ text: edited, fileName: 'x.c' })!;
    assert.equal(incremental.tree.rootNode.toString(), fresh.tree.rootNode.toString());
    [first, incremental, fresh].forEach((parsed) => parsed.dispose());
  });

  it('walks 10,000-deep nesting without overflowing the stack', () => {
    const deep = `int f(void) { return ${'('.repeat(10000)}1${')'.repeat(10000)}; }`;
    const result = analyzer.analyze({ text: deep, fileName: 'deep.c' });
    assert.equal(result.ruleErrors.length, 0);
  });

  it('the time budget counts time in rules, not the pauses a cooperative caller takes between them', async () => {
    const parsed = analyzer.parse({ text: SAMPLE, fileName: 'busy.c' })!;
    const pauseMs = 15;
    // A caller that spends 15 ms elsewhere after every rule (other documents, a busy machine): wall time far exceeds
    // the budget, time in the rules does not.
    const busyCaller = () => {
      const until = performance.now() + pauseMs;
      while (performance.now() < until);
      return false;
    };
    const result = await analyzer.analyzeParsedCooperatively('busy.c', parsed, { timeBudgetMs: 400 }, busyCaller);
    assert.ok(RULES.length * pauseMs > 400, 'the pauses alone exceed the budget');
    assert.equal(result?.skipped, undefined);
    assert.ok(result?.findings.some((finding) => finding.ruleId === 'ioctl-method-neither'));
    const cut = await analyzer.analyzeParsedCooperatively('busy.c', parsed, { timeBudgetMs: 0.0001 }, () => false);
    assert.match(cut?.skipped?.reason ?? '', /time budget; \d+ rule\(s\) did not run/);
    parsed.dispose();
  });

  it('ranges count UTF-16 code units like LSP', () => {
    const text = "// é 😀\nvoid f(void) { PVOID p = ExAllocatePoolWithTag(PagedPool, 1, 'x'); }";
    const finding = analyzer.analyze({ text, fileName: 'u.c' }).findings.find((candidate) => candidate.ruleId === 'deprecated-pool-alloc');
    assert.equal(finding?.range.start.line, 1);
    assert.equal(text.split('\n')[1].slice(finding!.range.start.character, finding!.range.end.character), 'ExAllocatePoolWithTag');
  });
});

describe('computeEdit', () => {
  it('finds the changed span', () => {
    const edit = computeEdit('abc\ndef', 'abc\ndXef');
    assert.deepEqual(
      { start: edit.startIndex, oldEnd: edit.oldEndIndex, newEnd: edit.newEndIndex, position: edit.startPosition },
      { start: 5, oldEnd: 5, newEnd: 6, position: { row: 1, column: 1 } },
    );
  });

  it('gives the shortest span and its positions on long texts, as a character-by-character comparison does', () => {
    const point = (text: string, offset: number) => {
      const lines = text.slice(0, offset).split('\n');
      return { row: lines.length - 1, column: lines[lines.length - 1].length };
    };
    const piece = fc.constantFrom('a', 'b', '\n', 'if (x) {\n', '}\n', 'x'.repeat(700));
    fc.assert(fc.property(fc.array(piece, { maxLength: 40 }), fc.nat(), fc.nat(20), fc.array(piece, { maxLength: 3 }), (pieces, at, removed, inserted) => {
      const before = pieces.join('');
      const start = before.length === 0 ? 0 : at % before.length;
      const after = before.slice(0, start) + inserted.join('') + before.slice(Math.min(before.length, start + removed));
      let prefix = 0;
      while (prefix < Math.min(before.length, after.length) && before[prefix] === after[prefix]) prefix++;
      let suffix = 0;
      while (suffix < Math.min(before.length, after.length) - prefix && before[before.length - 1 - suffix] === after[after.length - 1 - suffix]) suffix++;
      const edit = computeEdit(before, after);
      if (before === after) {
        assert.deepEqual([edit.startIndex, edit.oldEndIndex, edit.newEndIndex], [before.length, before.length, after.length]);
        return;
      }
      assert.deepEqual([edit.startIndex, edit.oldEndIndex, edit.newEndIndex], [prefix, before.length - suffix, after.length - suffix]);
      assert.deepEqual(edit.startPosition, point(before, prefix));
      assert.deepEqual(edit.oldEndPosition, point(before, before.length - suffix));
      assert.deepEqual(edit.newEndPosition, point(after, after.length - suffix));
    }), { numRuns: 300 });
  });
});

describe('LineIndex', () => {
  it('maps offsets and positions both ways, CRLF included', () => {
    const lines = new LineIndex('a\r\nbc\nd');
    assert.deepEqual(lines.positionAt(4), { line: 1, character: 1 });
    assert.equal(lines.offsetAt({ line: 2, character: 0 }), 6);
    assert.equal(lines.lineText(0), 'a\r'.replace('\r', ''));
  });
});
