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
