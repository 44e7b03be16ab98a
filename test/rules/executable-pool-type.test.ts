import { runRuleTests } from '../helpers/rule-tester';

runRuleTests('executable-pool-type', {
  valid: [
    "VOID F(VOID) { PVOID p = ExAllocatePoolWithTag(NonPagedPoolNx, 8, 'x'); }",
    "VOID F(VOID) { PVOID p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 8, 'x'); }",
    { name: 'a case label naming the type', code: 'const char *Name(POOL_TYPE t) { switch (t) { case NonPagedPool: return "np"; default: return "?"; } }' },
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
  ],
});
