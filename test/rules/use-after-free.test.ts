import { runRuleTests } from '../helpers/rule-tester';

const C = 'typedef struct _C { ULONG S; } C, *PC;\n';

runRuleTests('use-after-free', {
  valid: [
    `${C}VOID F(PC c) {\n    c->S = 1;\n    ExFreePoolWithTag(c, 'x');\n    c = NULL;\n}`,
    `${C}VOID F(PC c) {\n    ExFreePoolWithTag(c, 'x');\n    c = ExAllocatePool2(POOL_FLAG_PAGED, sizeof(C), 'x');\n    if (c) c->S = 0;\n}`,
    { name: 'only on another branch', code: `${C}VOID F(PC c, int error) {\n    if (error) {\n        ExFreePool(c);\n        return;\n    }\n    c->S = 2;\n}` },
    { name: 'a second free is reported by double-free, not here', code: `${C}VOID F(PC c) {\n    ExFreePoolWithTag(c, 'x');\n    ExFreePoolWithTag(c, 'x');\n}` },
    { name: 'free and use on exclusive branches', code: `${C}VOID F(PC c, int error) {\n    if (error) {\n        ExFreePool(c);\n    } else {\n        c->S = 2;\n    }\n}` },
    { name: 'free in one case, use in another', code: `${C}VOID F(PC c, int code) {\n    switch (code) {\n    case 1:\n        ExFreePool(c);\n        break;\n    case 2:\n        c->S = 2;\n        break;\n    }\n}` },
    { name: 'freed under a flag, used when the flag says it was not', code: `${C}VOID F(PC c, int error) {\n    BOOLEAN freed = FALSE;\n    if (error) {\n        ExFreePool(c);\n        freed = TRUE;\n    }\n    if (!freed) {\n        c->S = 2;\n    }\n}` },
    { name: 'freed in an if and cleared', code: `${C}VOID F(PC c, int error) {\n    if (error) {\n        ExFreePool(c);\n        c = NULL;\n    }\n    if (c != NULL) {\n        c->S = 2;\n    }\n}` },
    { name: 'list walk frees each node after reading its successor', code: 'typedef struct _N { struct _N *Next; } N;\nVOID F(N *head) {\n    N *n = head;\n    while (n != NULL) {\n        N *next = n->Next;\n        ExFreePool(n);\n        n = next;\n    }\n}' },
    { name: 'declared in a loop body, freed at its end', code: 'BOOLEAN Read(PVOID *p);\nVOID F(int n) {\n    for (int i = 0; i < n; i++) {\n        PVOID value;\n        if (Read(&value)) {\n            ExFreePool(value);\n        }\n    }\n}' },
    { name: 'sizeof of the pointer is not a use', code: `${C}ULONG F(PC c) {\n    ExFreePool(c);\n    return sizeof(c);\n}` },
  ],
  invalid: [
    {
      name: 'write after free',
      code: `${C}VOID F(PC c) {\n    ExFreePoolWithTag(c, 'x');\n    c->S = 1;\n}`,
      errors: [{ messageId: 'used', line: 4, message: '`c` is used after ExFreePoolWithTag' }],
      suggestionOutput: `${C}VOID F(PC c) {\n    ExFreePoolWithTag(c, 'x');\n    c = NULL;\n    c->S = 1;\n}`,
    },
    {
      name: 'use after free out of an if',
      code: `${C}VOID F(PC c, int error) {\n    if (error) {\n        ExFreePool(c);\n    }\n    c->S = 2;\n}`,
      errors: [{ messageId: 'used', line: 6, message: '`c` is used after ExFreePool freed it on line 4' }],
      suggestionOutput: `${C}VOID F(PC c, int error) {\n    if (error) {\n        ExFreePool(c);\n        c = NULL;\n    }\n    c->S = 2;\n}`,
    },
    {
      name: 'unbraced free in an if, then a call through the freed object',
      code: 'typedef struct _K { VOID (*Callback)(VOID); } K;\nK *g_Object;\nVOID F(int bad) {\n    if (bad)\n        ExFreePoolWithTag(g_Object, 1);\n    g_Object->Callback();\n}',
      errors: [{ messageId: 'used', line: 6 }],
      suggestionOutput: 'typedef struct _K { VOID (*Callback)(VOID); } K;\nK *g_Object;\nVOID F(int bad) {\n    if (bad)\n        { ExFreePoolWithTag(g_Object, 1); g_Object = NULL; }\n    g_Object->Callback();\n}',
    },
    { name: 'struct field freed then passed on', code: 'typedef struct _D { PVOID Buffer; } D;\nVOID Log(PVOID p);\nVOID F(D *d) {\n    ExFreePool(d->Buffer);\n    Log(d->Buffer);\n}', errors: [{ messageId: 'used', line: 5, message: 'd->Buffer' }] },
  ],
});
