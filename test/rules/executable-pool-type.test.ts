import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAnalyzer, WorkspaceIndex } from '../../server/src/core';
import { runRuleTests } from '../helpers/rule-tester';

runRuleTests('executable-pool-type', {
  valid: [
    "VOID F(VOID) { PVOID p = ExAllocatePoolWithTag(NonPagedPoolNx, 8, 'x'); }",
    "VOID F(VOID) { PVOID p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 8, 'x'); }",
    { name: 'a case label naming the type', code: 'const char *Name(POOL_TYPE t) { switch (t) { case NonPagedPool: return "np"; default: return "?"; } }' },
    {
      name: 'NonPagedPool in a driver that opts in to NX pool (ExInitializeDriverRuntime)',
      code: "NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {\n    ExInitializeDriverRuntime(DrvRtPoolNxOptIn);\n    return STATUS_SUCCESS;\n}\nPVOID AllocateRecord(SIZE_T size) {\n    return ExAllocatePoolZero(NonPagedPool, size, 'ceR');\n}",
    },
  ],
  invalid: [
    {
      code: "VOID F(VOID) { PVOID p = ExAllocatePoolWithTag(NonPagedPool, 8, 'x'); }",
      errors: [{ messageId: 'executable', line: 1, message: 'NonPagedPoolNx' }],
      output: "VOID F(VOID) { PVOID p = ExAllocatePoolWithTag(NonPagedPoolNx, 8, 'x'); }",
    },
    {
      name: 'lookaside list and a POOL_TYPE variable',
      code: "VOID F(PNPAGED_LOOKASIDE_LIST l) {\n    POOL_TYPE type = NonPagedPoolCacheAligned;\n    ExInitializeNPagedLookasideList(l, NULL, NULL, 0, 64, 'x', 0);\n}",
      errors: [{ messageId: 'executable', line: 2 }],
      output: "VOID F(PNPAGED_LOOKASIDE_LIST l) {\n    POOL_TYPE type = NonPagedPoolNxCacheAligned;\n    ExInitializeNPagedLookasideList(l, NULL, NULL, 0, 64, 'x', 0);\n}",
    },
    {
      name: 'the NX opt-in does not cover NonPagedPoolExecute',
      code: "NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {\n    ExInitializeDriverRuntime(DrvRtPoolNxOptIn);\n    g_Code = ExAllocatePoolWithTag(NonPagedPoolExecute, 64, 'edoC');\n    return STATUS_SUCCESS;\n}",
      errors: [{ messageId: 'executable', line: 3 }],
      output: "NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {\n    ExInitializeDriverRuntime(DrvRtPoolNxOptIn);\n    g_Code = ExAllocatePoolWithTag(NonPagedPoolNx, 64, 'edoC');\n    return STATUS_SUCCESS;\n}",
    },
  ],
});

describe('executable-pool-type with the NX opt-in in another file', () => {
  it('trusts the opt-in of the same driver folder (or a parent), not of another driver in the workspace', async () => {
    const analyzer = await createAnalyzer();
    const workspace = new WorkspaceIndex();
    const entry = 'NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {\n    ExInitializeDriverRuntime(DrvRtPoolNxOptIn);\n    return STATUS_SUCCESS;\n}';
    const allocation = "PVOID AllocateRecord(SIZE_T size) {\n    return ExAllocatePoolZero(NonPagedPool, size, 'ceR');\n}";
    workspace.update('/src/scanner/driver.c', entry);
    workspace.update('/src/scanner/hw/record.c', allocation);
    workspace.update('/src/touch/spb.c', allocation);
    const poolFindings = (fileName: string) => analyzer.analyze({ text: allocation, fileName }, { workspace }).findings.filter((finding) => finding.ruleId === 'executable-pool-type');
    assert.equal(poolFindings('/src/scanner/hw/record.c').length, 0);
    assert.equal(poolFindings('/src/touch/spb.c').length, 1);
  });
});
