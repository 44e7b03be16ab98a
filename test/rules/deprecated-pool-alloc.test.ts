import { runRuleTests } from '../helpers/rule-tester';

runRuleTests('deprecated-pool-alloc', {
  valid: [
    "void f(void) { PVOID p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, 'gDvD'); }",
    "void f(void) { PVOID p = ExAllocatePool3(POOL_FLAG_PAGED, 64, 'gDvD', NULL, 0); }",
    { name: 'a function whose name only starts the same', code: 'void f(void) { ExAllocatePoolWithTagTracker(1); }' },
    { name: 'mentioned in a comment or string', code: '// ExAllocatePoolWithTag is deprecated\nconst char *s = "ExAllocatePool";' },
  ],
  invalid: [
    {
      code: "void f(void) {\n    PVOID p = ExAllocatePoolWithTag(NonPagedPoolNx, 64, 'gDvD');\n}",
      errors: [{ messageId: 'deprecated', line: 2, message: 'ExAllocatePoolWithTag' }],
      output: "void f(void) {\n    PVOID p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, 'gDvD');\n}",
    },
    {
      name: 'paged pool',
      code: "void f(SIZE_T n) { PVOID p = ExAllocatePoolWithTag(PagedPool, n * 2, TAG); }",
      errors: [{ messageId: 'deprecated' }],
      output: 'void f(SIZE_T n) { PVOID p = ExAllocatePool2(POOL_FLAG_PAGED, n * 2, TAG); }',
    },
    {
      name: 'untagged ExAllocatePool is a suggestion (a tag must be chosen)',
      code: 'void f(void) { PVOID p = ExAllocatePool(NonPagedPool, 16); }',
      errors: [{ messageId: 'deprecated', message: 'ExAllocatePool ' }],
      suggestionOutput: "void f(void) { PVOID p = ExAllocatePool2(POOL_FLAG_NON_PAGED, 16, 'enoN'); }",
    },
    {
      name: 'quota allocation keeps raising on failure',
      code: "void f(void) { PVOID p = ExAllocatePoolWithQuotaTag(PagedPool, 16, 'xx'); }",
      errors: [{ messageId: 'deprecated' }],
      output: "void f(void) { PVOID p = ExAllocatePool2(POOL_FLAG_PAGED | POOL_FLAG_USE_QUOTA | POOL_FLAG_RAISE_ON_FAILURE, 16, 'xx'); }",
    },
    {
      name: 'pool type from a variable: reported without a fix',
      code: 'void f(POOL_TYPE t) { PVOID p = ExAllocatePoolWithTag(t, 16, 1); }',
      errors: [{ messageId: 'deprecated' }],
    },
  ],
});
