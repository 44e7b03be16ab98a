import { runRuleTests } from '../helpers/rule-tester';

const LOG = 'typedef struct _LOG_REQ { ULONG Level; CHAR Text[64]; } LOG_REQ, *PLOG_REQ;\nCHAR g_Last[64];\n';

runRuleTests('unterminated-string-from-user', {
  valid: [
    { name: 'array field terminated in place first', code: `${LOG}NTSTATUS Log(PIRP Irp) {\n    PLOG_REQ request = (PLOG_REQ)Irp->AssociatedIrp.SystemBuffer;\n    request->Text[RTL_NUMBER_OF(request->Text) - 1] = '\\0';\n    DbgPrint("%s\\n", request->Text);\n    return STATUS_SUCCESS;\n}` },
    { name: 'length checked with RtlStringCbLengthW and the buffer size', code: 'NTSTATUS SetName(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    PCWSTR name = (PCWSTR)Irp->AssociatedIrp.SystemBuffer;\n    ULONG length = IrpSp->Parameters.DeviceIoControl.InputBufferLength;\n    UNICODE_STRING value;\n    size_t bytes;\n    if (!NT_SUCCESS(RtlStringCbLengthW(name, length, &bytes))) return STATUS_INVALID_PARAMETER;\n    RtlInitUnicodeString(&value, name);\n    return STATUS_SUCCESS;\n}' },
    { name: 'terminator checked at the received length', code: 'NTSTATUS SetName(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    PCHAR text = (PCHAR)Irp->AssociatedIrp.SystemBuffer;\n    ULONG length = IrpSp->Parameters.DeviceIoControl.InputBufferLength;\n    if (length == 0 || text[length - 1] != ANSI_NULL) return STATUS_INVALID_PARAMETER;\n    return strlen(text) > 32 ? STATUS_NAME_TOO_LONG : STATUS_SUCCESS;\n}' },
    { name: 'bounded %.*s conversion', code: `${LOG}NTSTATUS Log(PIRP Irp) {\n    PLOG_REQ request = (PLOG_REQ)Irp->AssociatedIrp.SystemBuffer;\n    DbgPrint("%.*s\\n", (int)sizeof(request->Text), request->Text);\n    return STATUS_SUCCESS;\n}` },
    { name: 'kernel strings', code: 'VOID Trace(PCSTR component) {\n    DbgPrint("%s: %u\\n", component, (ULONG)strlen(component));\n}' },
    { name: 'a numeric field is no string', code: `${LOG}NTSTATUS Log(PIRP Irp) {\n    PLOG_REQ request = (PLOG_REQ)Irp->AssociatedIrp.SystemBuffer;\n    DbgPrint("level %u %s\\n", request->Level, "x");\n    return STATUS_SUCCESS;\n}` },
  ],
  invalid: [
    {
      name: 'array field of the request printed with %s',
      code: `${LOG}NTSTATUS Log(PIRP Irp) {\n    PLOG_REQ request = (PLOG_REQ)Irp->AssociatedIrp.SystemBuffer;\n    DbgPrint("log: %s\\n", request->Text);\n    return STATUS_SUCCESS;\n}`,
      errors: [{ messageId: 'unterminated', line: 5, message: 'DbgPrint reads `request->Text` (from request->Text)' }],
      suggestionOutput: `${LOG}NTSTATUS Log(PIRP Irp) {\n    PLOG_REQ request = (PLOG_REQ)Irp->AssociatedIrp.SystemBuffer;\n    request->Text[RTL_NUMBER_OF(request->Text) - 1] = 0;\n    DbgPrint("log: %s\\n", request->Text);\n    return STATUS_SUCCESS;\n}`,
    },
    {
      name: 'RtlInitUnicodeString over the SystemBuffer',
      code: 'NTSTATUS SetName(PIRP Irp) {\n    UNICODE_STRING value;\n    RtlInitUnicodeString(&value, (PCWSTR)Irp->AssociatedIrp.SystemBuffer);\n    return STATUS_SUCCESS;\n}',
      errors: [{ messageId: 'unterminated', line: 3, message: 'RtlInitUnicodeString reads `Irp->AssociatedIrp.SystemBuffer`' }],
    },
    {
      name: 'strlen of a WDF input buffer, then a copy into a kernel array',
      code: `${LOG}VOID EvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode) {\n    PCHAR text = NULL;\n    size_t length;\n    NTSTATUS status = WdfRequestRetrieveInputBuffer(Request, 1, (PVOID *)&text, NULL);\n    if (!NT_SUCCESS(status)) { WdfRequestComplete(Request, status); return; }\n    length = strlen(text);\n    if (length < sizeof(g_Last)) RtlCopyMemory(g_Last, text, length + 1);\n    WdfRequestComplete(Request, STATUS_SUCCESS);\n}`,
      errors: [{ messageId: 'unterminated', line: 8, message: 'strlen reads `text` (from WDF input buffer)' }],
    },
  ],
});
