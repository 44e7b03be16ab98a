import { runRuleTests } from '../helpers/rule-tester';

runRuleTests('pointer-set-to-nul-char', {
  valid: [
    {
      name: 'the terminator written through the pointer and into an array element',
      code: `VOID Terminate(PCHAR buffer, SIZE_T length) {
    PCHAR end = buffer + length - 1;
    CHAR local[16];
    *end = '\\0';
    local[15] = '\\0';
    buffer[0] = '\\0';
}`,
    },
    {
      name: 'a character variable set to the NUL character',
      code: `VOID Scan(PWCHAR text) {
    WCHAR last;
    CHAR c;
    last = L'\\0';
    c = '\\0';
    text[0] = last;
}`,
    },
    {
      name: 'a pointer set to NULL explicitly, and a non-pointer P-typedef',
      code: `VOID Reset(PUCHAR p) {
    PHYSICAL_ADDRESS pa;
    p = NULL;
    pa.QuadPart = 0;
}`,
    },
    {
      name: 'an enum typedef whose name starts with P (a parser state reset to 0)',
      code: `typedef enum _PARSE_STATE { StateIdle, StateName } PARSE_STATE;
VOID ResetParser(POOL_TYPE poolType) {
    PARSE_STATE state;
    PNP_DEVICE_STATE pnpState;
    state = '\\0';
    pnpState = '\\0';
}`,
    },
    {
      name: 'a dereferenced pointer parameter and a pointer-to-pointer target',
      code: `VOID Cut(PWSTR name, PWSTR *rest) {
    *rest = name;
    **rest = L'\\0';
    *(name + 4) = L'\\0';
}`,
    },
  ],
  invalid: [
    {
      name: 'WDM: PCHAR local assigned the NUL character (fix: write through it)',
      code: `NTSTATUS CopyName(PCHAR buffer, SIZE_T length) {
    PCHAR end = buffer + length - 1;
    end = '\\0';
    return STATUS_SUCCESS;
}`,
      errors: [{ messageId: 'nulToPointer', line: 3, message: "`end` is a pointer (PCHAR): `end = '\\0'` sets it to NULL instead of terminating the string. Write `*end = '\\0'`." }],
      output: `NTSTATUS CopyName(PCHAR buffer, SIZE_T length) {
    PCHAR end = buffer + length - 1;
    *end = '\\0';
    return STATUS_SUCCESS;
}`,
    },
    {
      name: 'KMDF: a WCHAR * walking an output buffer',
      code: `VOID EvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length) {
    WCHAR *cursor;
    WdfRequestRetrieveOutputBuffer(Request, sizeof(WCHAR), (PVOID *)&cursor, NULL);
    cursor = L'\\0';
}`,
      errors: [{ messageId: 'nulToPointer', line: 4, message: '(WCHAR *)' }],
      output: `VOID EvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length) {
    WCHAR *cursor;
    WdfRequestRetrieveOutputBuffer(Request, sizeof(WCHAR), (PVOID *)&cursor, NULL);
    *cursor = L'\\0';
}`,
    },
    {
      name: 'WDM: cutting a path at the last backslash through a PWSTR parameter (inside an if without braces)',
      code: `VOID StripFileName(PWSTR path) {
    PWSTR p = path + wcslen(path);
    while (p > path && *p != L'\\\\') p--;
    if (*p == L'\\\\') p = L'\\0';
}`,
      errors: [{ messageId: 'nulToPointer', line: 4, message: '(PWSTR)' }],
      output: `VOID StripFileName(PWSTR path) {
    PWSTR p = path + wcslen(path);
    while (p > path && *p != L'\\\\') p--;
    if (*p == L'\\\\') *p = L'\\0';
}`,
    },
  ],
});
