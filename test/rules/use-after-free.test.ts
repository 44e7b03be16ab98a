import { runRuleTests } from '../helpers/rule-tester';

const C = 'typedef struct _C { ULONG S; } C, *PC;\n';

runRuleTests('use-after-free', {
  valid: [
    `${C}VOID F(PC c) {\n    c->S = 1;\n    ExFreePoolWithTag(c, 'x');\n    c = NULL;\n}`,
    `${C}VOID F(PC c) {\n    ExFreePoolWithTag(c, 'x');\n    c = ExAllocatePool2(POOL_FLAG_PAGED, sizeof(C), 'x');\n    if (c) c->S = 0;\n}`,
    { name: 'only on another branch', code: `${C}VOID F(PC c, int error) {\n    if (error) {\n        ExFreePool(c);\n        return;\n    }\n    c->S = 2;\n}` },
    { name: 'a second free is reported by double-free, not here', code: `${C}VOID F(PC c) {\n    ExFreePoolWithTag(c, 'x');\n    ExFreePoolWithTag(c, 'x');\n}` },
    { name: 'sizeof of the pointer is not a use', code: `${C}ULONG F(PC c) {\n    ExFreePool(c);\n    return sizeof(c);\n}` },
  ],
  invalid: [
    {
      name: 'write after free',
      code: `${C}VOID F(PC c) {\n    ExFreePoolWithTag(c, 'x');\n    c->S = 1;\n}`,
      errors: [{ messageId: 'used', line: 4, message: '`c` is used after ExFreePoolWithTag' }],
      suggestionOutput: `${C}VOID F(PC c) {\n    ExFreePoolWithTag(c, 'x');\n    c = NULL;\n    c->S = 1;\n}`,
    },
    { name: 'struct field freed then passed on', code: 'typedef struct _D { PVOID Buffer; } D;\nVOID Log(PVOID p);\nVOID F(D *d) {\n    ExFreePool(d->Buffer);\n    Log(d->Buffer);\n}', errors: [{ messageId: 'used', line: 5, message: 'd->Buffer' }] },
  ],
});
