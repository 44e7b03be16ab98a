import { runRuleTests } from '../helpers/rule-tester';

runRuleTests('unsafe-string-function', {
  valid: [
    'NTSTATUS F(PCSTR s) { CHAR name[32]; return RtlStringCbCopyA(name, sizeof(name), s); }',
    'NTSTATUS F(PCWSTR s) { WCHAR name[32]; return RtlStringCchCopyW(name, RTL_NUMBER_OF(name), s); }',
    { name: 'a method named strcpy on an object', code: 'VOID F(struct ops *o) { o->strcpy(1); }' },
  ],
  invalid: [
    {
      name: 'array destination: preferred fix',
      code: 'VOID F(PCSTR s) {\n    CHAR name[32];\n    strcpy(name, s);\n}',
      errors: [{ messageId: 'unsafe', line: 3, message: 'RtlStringCbCopyA' }],
      output: 'VOID F(PCSTR s) {\n    CHAR name[32];\n    RtlStringCbCopyA(name, sizeof(name), s);\n}',
    },
    {
      name: 'pointer destination: suggestion only',
      code: 'VOID F(PCHAR out, int v) {\n    sprintf(out, "%d", v);\n}',
      errors: [{ messageId: 'unsafe', line: 2, message: 'RtlStringCbPrintfA' }],
      suggestionOutput: 'VOID F(PCHAR out, int v) {\n    RtlStringCbPrintfA(out, sizeof(out), "%d", v);\n}',
    },
    {
      name: 'wide bounded copy converts characters to bytes',
      code: 'VOID F(PCWSTR s, SIZE_T n) {\n    WCHAR name[16];\n    wcsncpy(name, s, n);\n}',
      errors: [{ messageId: 'unsafe', line: 3 }],
      output: 'VOID F(PCWSTR s, SIZE_T n) {\n    WCHAR name[16];\n    RtlStringCbCopyNW(name, sizeof(name), s, (n) * sizeof(WCHAR));\n}',
    },
  ],
});
