import { runRuleTests } from '../helpers/rule-tester';

const LOG = 'typedef struct _LOG_REQ { ULONG Level; CHAR Text[64]; } LOG_REQ, *PLOG_REQ;\nstatic const char g_Format[] = "request %u\\n";\n';

runRuleTests('format-string-user-controlled', {
  valid: [
    { name: 'user text printed through a literal %s', code: `${LOG}NTSTATUS Log(PIRP Irp) {\n    PCHAR message = (PCHAR)Irp->AssociatedIrp.SystemBuffer;\n    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, "%s\\n", message);\n    return STATUS_SUCCESS;\n}` },
    { name: 'KdPrint with a literal format and a user length', code: `NTSTATUS Log(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    ULONG length = IrpSp->Parameters.DeviceIoControl.InputBufferLength;\n    KdPrint(("input length %u\\n", length));\n    return STATUS_SUCCESS;\n}` },
    { name: 'non-literal kernel format', code: `${LOG}NTSTATUS Log(PIRP Irp) {\n    PLOG_REQ request = (PLOG_REQ)Irp->AssociatedIrp.SystemBuffer;\n    DbgPrint(g_Format, request->Level);\n    return STATUS_SUCCESS;\n}` },
    { name: 'RtlStringCchPrintfW with a literal wide format', code: 'NTSTATUS Name(PIRP Irp) {\n    WCHAR name[64];\n    PWSTR user = (PWSTR)Irp->AssociatedIrp.SystemBuffer;\n    return RtlStringCchPrintfW(name, ARRAYSIZE(name), L"\\\\Device\\\\%ws", user);\n}' },
    { name: 'kernel-only strings', code: 'VOID Trace(PCSTR component) {\n    DbgPrint(component);\n}' },
  ],
  invalid: [
    {
      name: 'SystemBuffer text as the DbgPrintEx format',
      code: `${LOG}NTSTATUS Log(PIRP Irp) {\n    PCHAR message = (PCHAR)Irp->AssociatedIrp.SystemBuffer;\n    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, message);\n    return STATUS_SUCCESS;\n}`,
      errors: [{ messageId: 'format', line: 5, message: 'DbgPrintEx uses `message` (from SystemBuffer, user-controlled)' }],
      output: `${LOG}NTSTATUS Log(PIRP Irp) {\n    PCHAR message = (PCHAR)Irp->AssociatedIrp.SystemBuffer;\n    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, "%s", message);\n    return STATUS_SUCCESS;\n}`,
    },
    {
      name: 'string field of the request through KdPrint',
      code: `${LOG}NTSTATUS Log(PIRP Irp) {\n    PLOG_REQ request = (PLOG_REQ)Irp->AssociatedIrp.SystemBuffer;\n    KdPrint((request->Text));\n    return STATUS_SUCCESS;\n}`,
      errors: [{ messageId: 'format', line: 5, message: 'request->Text' }],
      output: `${LOG}NTSTATUS Log(PIRP Irp) {\n    PLOG_REQ request = (PLOG_REQ)Irp->AssociatedIrp.SystemBuffer;\n    KdPrint(("%s", request->Text));\n    return STATUS_SUCCESS;\n}`,
    },
    {
      name: 'wide user string as an RtlStringCchPrintfW format',
      code: 'NTSTATUS Name(PIRP Irp) {\n    WCHAR name[64];\n    PWSTR user = (PWSTR)Irp->AssociatedIrp.SystemBuffer;\n    return RtlStringCchPrintfW(name, ARRAYSIZE(name), user);\n}',
      errors: [{ messageId: 'format', line: 4 }],
      output: 'NTSTATUS Name(PIRP Irp) {\n    WCHAR name[64];\n    PWSTR user = (PWSTR)Irp->AssociatedIrp.SystemBuffer;\n    return RtlStringCchPrintfW(name, ARRAYSIZE(name), L"%s", user);\n}',
    },
    {
      name: 'wide user string through DbgPrint prints with %ws',
      code: 'NTSTATUS Name(PIRP Irp) {\n    PWCHAR user = (PWCHAR)Irp->AssociatedIrp.SystemBuffer;\n    DbgPrint(user);\n    return STATUS_SUCCESS;\n}',
      errors: [{ messageId: 'format', line: 3, message: '"%ws"' }],
      output: 'NTSTATUS Name(PIRP Irp) {\n    PWCHAR user = (PWCHAR)Irp->AssociatedIrp.SystemBuffer;\n    DbgPrint("%ws", user);\n    return STATUS_SUCCESS;\n}',
    },
    {
      name: 'UNICODE_STRING built on the user buffer prints with %wZ',
      code: 'NTSTATUS Open(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    UNICODE_STRING name;\n    name.Buffer = (PWCH)Irp->AssociatedIrp.SystemBuffer;\n    name.Length = (USHORT)IrpSp->Parameters.DeviceIoControl.InputBufferLength;\n    name.MaximumLength = name.Length;\n    DbgPrint(name.Buffer);\n    return STATUS_SUCCESS;\n}',
      errors: [{ messageId: 'format', line: 6 }],
      output: 'NTSTATUS Open(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    UNICODE_STRING name;\n    name.Buffer = (PWCH)Irp->AssociatedIrp.SystemBuffer;\n    name.Length = (USHORT)IrpSp->Parameters.DeviceIoControl.InputBufferLength;\n    name.MaximumLength = name.Length;\n    DbgPrint("%wZ", &name);\n    return STATUS_SUCCESS;\n}',
    },
  ],
});
