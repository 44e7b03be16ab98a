import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Analyzer, createAnalyzer, WorkspaceIndex } from '../../server/src/core';
import { calledNames } from '../../server/src/analysis/workspace-index';

/** A helper in its own file reads the request's input buffer; its only caller, in another file, checked the length. */
const HELPER = [
  'typedef struct _QUERY { ULONG Kind; } QUERY, *PQUERY;',
  'NTSTATUS',
  'QueryKind(PDEVICE_OBJECT DeviceObject, PIRP Irp)',
  '{',
  '    PQUERY query = (PQUERY)Irp->AssociatedIrp.SystemBuffer;',
  '    if (query->Kind == 1) {',
  '        return STATUS_SUCCESS;',
  '    }',
  '    return STATUS_NOT_SUPPORTED;',
  '}',
  '',
].join('\n');

const DISPATCH = [
  'NTSTATUS',
  'Control(PDEVICE_OBJECT DeviceObject, PIRP Irp)',
  '{',
  '    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);',
  '    if (irpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(QUERY)) {',
  '        return STATUS_INVALID_PARAMETER;',
  '    }',
  '    return QueryKind(DeviceObject, Irp);',
  '}',
  '',
].join('\n');

describe('helpers called from another file of the driver', () => {
  let analyzer: Analyzer;
  before(async () => {
    analyzer = await createAnalyzer();
  });

  const lengthFindings = (workspace: WorkspaceIndex | undefined) =>
    analyzer.analyze({ text: HELPER, fileName: '/drv/src/helpers.c' }, { workspace }).findings.filter((finding) => finding.ruleId === 'input-length-not-validated');

  it('the index records calls but not the definitions that start a line', () => {
    assert.deepEqual(calledNames(DISPATCH), ['IoGetCurrentIrpStackLocation', 'QueryKind']);
    assert.deepEqual(calledNames(HELPER), []);
  });

  it('a helper whose caller is another file of the same driver leaves the length check to that caller', () => {
    const workspace = new WorkspaceIndex();
    workspace.update('/drv/src/helpers.c', HELPER);
    workspace.update('/drv/src/dispatch.c', DISPATCH);
    assert.equal(workspace.calledFromOtherFile('QueryKind', '/drv/src/helpers.c'), true);
    assert.deepEqual(lengthFindings(workspace), []);
  });

  it('still reports it when no other file calls it, or only another driver does', () => {
    assert.equal(lengthFindings(undefined).length, 1);
    const workspace = new WorkspaceIndex();
    workspace.update('/drv/src/helpers.c', HELPER);
    workspace.update('/other/driver/dispatch.c', DISPATCH);
    workspace.update('/drv/src/helpers.h', 'NTSTATUS QueryKind(PDEVICE_OBJECT DeviceObject, PIRP Irp);\n    VOID Use() { QueryKind(0, 0); }\n');
    assert.equal(workspace.calledFromOtherFile('QueryKind', '/drv/src/helpers.c'), false);
    assert.equal(lengthFindings(workspace).length, 1);
  });
});
