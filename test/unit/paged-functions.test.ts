import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Analyzer, getRule, WorkspaceIndex } from '../../server/src/core';
import { pagedFunctionNames } from '../../server/src/analysis/workspace-index';

const HELPERS = `#define PAGED_CODE() NT_ASSERT(KeGetCurrentIrql() <= APC_LEVEL)
#ifdef ALLOC_PRAGMA
#pragma alloc_text(PAGE, LogWrite)
#pragma alloc_text(PAGE, ReadConfig, SaveConfig)
#endif

NTSTATUS
QuerySettings(
    _In_ PDEVICE_EXTENSION Extension
    )
{
    // PAGED_CODE() is not needed in a comment
    PAGED_CODE();
    return ZwQueryValueKey(Extension->Key, NULL, 0, NULL, 0, NULL);
}

VOID
NonPagedHelper(VOID)
{
    KeStallExecutionProcessor(10);
}
`;

describe('pageable functions in the workspace index', () => {
  it('finds alloc_text(PAGE) names and functions that start with PAGED_CODE()', () => {
    assert.deepEqual(pagedFunctionNames(HELPERS).sort(), ['LogWrite', 'QuerySettings', 'ReadConfig', 'SaveConfig']);
  });

  it('paged-code-at-dispatch flags a call of a pageable function defined in another file', async () => {
    const analyzer = await Analyzer.create([getRule('paged-code-at-dispatch')!]);
    const workspace = new WorkspaceIndex();
    workspace.update('helpers.c', HELPERS);
    const text = 'NTSTATUS Update(PDEVICE_EXTENSION ext) {\n    KIRQL irql;\n    NTSTATUS status;\n    KeAcquireSpinLock(&ext->Lock, &irql);\n    status = QuerySettings(ext);\n    NonPagedHelper();\n    KeReleaseSpinLock(&ext->Lock, irql);\n    return status;\n}\n';
    const findings = analyzer.analyze({ text, fileName: 'update.c' }, { workspace }).findings;
    assert.deepEqual(findings.map((finding) => [finding.range.start.line, finding.message.slice(0, 40)]), [[4, '`QuerySettings` is pageable (PAGED_CODE ']]);
  });

  it('follows an edit that only adds PAGED_CODE() to a helper (no #define or role changed), and moves the revision', () => {
    const workspace = new WorkspaceIndex();
    workspace.update('helpers.c', HELPERS);
    assert.equal(workspace.isPaged('NonPagedHelper'), false);
    const revision = workspace.revision;
    workspace.update('helpers.c', HELPERS.replace('    KeStallExecutionProcessor(10);', '    PAGED_CODE();\n    KeStallExecutionProcessor(10);'));
    assert.equal(workspace.isPaged('NonPagedHelper'), true);
    assert.notEqual(workspace.revision, revision);
    const unchanged = workspace.revision;
    workspace.update('helpers.c', HELPERS.replace('    KeStallExecutionProcessor(10);', '    PAGED_CODE();\n    KeStallExecutionProcessor(20);'));
    assert.equal(workspace.revision, unchanged, 'an edit that changes no answer keeps the revision');
  });
});
