import { runRuleTests } from '../helpers/rule-tester';

runRuleTests('alloc-result-unchecked', {
  valid: [
    "typedef struct _C { ULONG S; } C, *PC;\nNTSTATUS F(VOID) {\n    PC c = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(C), 'x');\n    if (c == NULL) return STATUS_INSUFFICIENT_RESOURCES;\n    c->S = 0;\n    return 0;\n}",
    "typedef struct _C { ULONG S; } C, *PC;\nNTSTATUS F(VOID) {\n    PC c;\n    c = (PC)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(C), 'x');\n    if (!c) { return STATUS_INSUFFICIENT_RESOURCES; }\n    c->S = 0;\n    return 0;\n}",
    { name: 'raise on failure', code: "typedef struct _C { ULONG S; } C, *PC;\nVOID F(VOID) {\n    PC c = ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_RAISE_ON_FAILURE, sizeof(C), 'x');\n    c->S = 0;\n}" },
    { name: 'handed to a function that checks', code: "VOID Use(PVOID p);\nVOID F(VOID) {\n    PVOID p = ExAllocatePool2(POOL_FLAG_PAGED, 8, 'x');\n    Use(p);\n}" },
  ],
  invalid: [
    {
      name: 'field write right after the allocation',
      code: "typedef struct _C { ULONG S; } C, *PC;\nNTSTATUS F(VOID) {\n    PC c = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(C), 'x');\n    c->S = 0;\n    return 0;\n}",
      errors: [{ messageId: 'unchecked', line: 4, message: '`c` from ExAllocatePool2' }],
      suggestionOutput: "typedef struct _C { ULONG S; } C, *PC;\nNTSTATUS F(VOID) {\n    PC c = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(C), 'x');\n    if (c == NULL) {\n        return STATUS_INSUFFICIENT_RESOURCES;\n    }\n    c->S = 0;\n    return 0;\n}",
    },
    { name: 'zeroing an unchecked mapping', code: 'NTSTATUS M(PHYSICAL_ADDRESS a) {\n    PVOID p = MmMapIoSpaceEx(a, 4096, PAGE_READWRITE);\n    RtlZeroMemory(p, 4096);\n    return 0;\n}', errors: [{ messageId: 'unchecked', line: 3 }] },
  ],
});
