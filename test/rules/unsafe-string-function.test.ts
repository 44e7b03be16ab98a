import { runRuleTests } from '../helpers/rule-tester';

runRuleTests('unsafe-string-function', {
  valid: [
    'NTSTATUS F(PCSTR s) { CHAR name[32]; return RtlStringCbCopyA(name, sizeof(name), s); }',
    'NTSTATUS F(PCWSTR s) { WCHAR name[32]; return RtlStringCchCopyW(name, RTL_NUMBER_OF(name), s); }',
    { name: 'a method named strcpy on an object', code: 'VOID F(struct ops *o) { o->strcpy(1); }' },
    {
      name: 'counted _snwprintf followed by the code terminating the buffer itself',
      code: 'VOID Label(PCWSTR Device, ULONG Unit) {\n    WCHAR text[40];\n    _snwprintf(text, RTL_NUMBER_OF(text), L"%ws-%u", Device, Unit);\n    text[RTL_NUMBER_OF(text) - 1] = UNICODE_NULL;\n    Show(text);\n}',
    },
    {
      name: 'counted _snprintf into a zeroed buffer leaving the last byte',
      code: 'VOID Tag(ULONG Id) {\n    CHAR tag[16] = { 0 };\n    _snprintf(tag, sizeof(tag) - 1, "dev%lu", Id);\n    Use(tag);\n}',
    },
    {
      name: 'counted _vsnwprintf into a buffer zeroed with RtlZeroMemory',
      code: 'VOID Log(PWCHAR Out, SIZE_T Count, PCWSTR Format, va_list Args) {\n    RtlZeroMemory(Out, Count * sizeof(WCHAR));\n    _vsnwprintf(Out, Count - 1, Format, Args);\n}',
    },
  ],
  invalid: [
    {
      name: 'counted _snwprintf without termination: information about truncation, not a missing size',
      code: 'VOID Label(PCWSTR Device) {\n    WCHAR text[40];\n    _snwprintf(text, RTL_NUMBER_OF(text), L"%ws", Device);\n    Show(text);\n}',
      errors: [{ messageId: 'unterminated', line: 3, severity: 'information', message: 'returns -1' }],
    },
    {
      name: 'unbounded swprintf keeps the warning',
      code: 'VOID Label(PWCHAR Out, PCWSTR Device) {\n    swprintf(Out, L"%ws", Device);\n}',
      errors: [{ messageId: 'unsafe', line: 2, severity: 'warning' }],
    },
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
