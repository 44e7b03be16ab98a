import { runRuleTests } from '../helpers/rule-tester';

const DECLS = 'typedef struct _OPEN_REQ { ULONG Flags; UNICODE_STRING Name; } OPEN_REQ, *POPEN_REQ;\nUNICODE_STRING g_Name;\nUNICODE_STRING g_Allowed = RTL_CONSTANT_STRING(L"\\\\Device\\\\Allowed");\n';

runRuleTests('unicode-string-length-trust', {
  valid: [
    {
      name: 'captured, validated and probed',
      code: `${DECLS}NTSTATUS SetName(PIRP Irp) {\n    PUNICODE_STRING name = (PUNICODE_STRING)Irp->AssociatedIrp.SystemBuffer;\n    UNICODE_STRING captured = *name;\n    if (!NT_SUCCESS(RtlValidateUnicodeString(0, &captured))) {\n        return STATUS_INVALID_PARAMETER;\n    }\n    __try {\n        ProbeForRead(captured.Buffer, captured.Length, sizeof(WCHAR));\n        RtlCopyUnicodeString(&g_Name, &captured);\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    return STATUS_SUCCESS;\n}`,
    },
    {
      name: 'driver builds the UNICODE_STRING over a validated WCHAR buffer',
      code: `${DECLS}NTSTATUS Open(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    PWCHAR path = (PWCHAR)Irp->AssociatedIrp.SystemBuffer;\n    ULONG length = IrpSp->Parameters.DeviceIoControl.InputBufferLength;\n    UNICODE_STRING name;\n    OBJECT_ATTRIBUTES attributes;\n    if (length < sizeof(WCHAR) || length > MAXUSHORT || (length % sizeof(WCHAR)) != 0) {\n        return STATUS_INVALID_PARAMETER;\n    }\n    name.Buffer = path;\n    name.Length = (USHORT)length;\n    name.MaximumLength = (USHORT)length;\n    InitializeObjectAttributes(&attributes, &name, OBJ_KERNEL_HANDLE | OBJ_FORCE_ACCESS_CHECK, NULL, NULL);\n    return STATUS_SUCCESS;\n}`,
    },
    {
      name: 'lengths of the request string checked first',
      code: `${DECLS}NTSTATUS Compare(PIRP Irp) {\n    POPEN_REQ request = (POPEN_REQ)Irp->AssociatedIrp.SystemBuffer;\n    if (request->Name.Length > request->Name.MaximumLength || (request->Name.Length & 1) != 0) {\n        return STATUS_INVALID_PARAMETER;\n    }\n    return RtlEqualUnicodeString(&request->Name, &g_Allowed, TRUE) ? STATUS_SUCCESS : STATUS_ACCESS_DENIED;\n}`,
    },
    {
      name: 'kernel strings in DriverEntry',
      code: `${DECLS}NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {\n    RtlCopyUnicodeString(&g_Name, RegistryPath);\n    return RtlEqualUnicodeString(&g_Name, &g_Allowed, TRUE) ? STATUS_SUCCESS : STATUS_UNSUCCESSFUL;\n}`,
    },
  ],
  invalid: [
    {
      name: 'the SystemBuffer is a UNICODE_STRING copied as is',
      code: `${DECLS}NTSTATUS SetName(PIRP Irp) {\n    PUNICODE_STRING name = (PUNICODE_STRING)Irp->AssociatedIrp.SystemBuffer;\n    RtlCopyUnicodeString(&g_Name, name);\n    return STATUS_SUCCESS;\n}`,
      errors: [{ messageId: 'untrusted', line: 6, message: 'RtlCopyUnicodeString uses the UNICODE_STRING `name` from the user\'s buffer (from SystemBuffer)' }],
    },
    {
      name: 'UNICODE_STRING field of the request as an object name',
      code: `${DECLS}NTSTATUS Open(PIRP Irp) {\n    POPEN_REQ request = (POPEN_REQ)Irp->AssociatedIrp.SystemBuffer;\n    OBJECT_ATTRIBUTES attributes;\n    InitializeObjectAttributes(&attributes, &request->Name, OBJ_KERNEL_HANDLE | OBJ_FORCE_ACCESS_CHECK, NULL, NULL);\n    return STATUS_SUCCESS;\n}`,
      errors: [{ messageId: 'untrusted', line: 7, message: '`request->Name`' }],
    },
    {
      name: 'a local copy is still the caller\'s Length and Buffer',
      code: `${DECLS}NTSTATUS Compare(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    POPEN_REQ request = (POPEN_REQ)IrpSp->Parameters.DeviceIoControl.Type3InputBuffer;\n    UNICODE_STRING captured;\n    __try {\n        ProbeForRead(request, sizeof(OPEN_REQ), __alignof(OPEN_REQ));\n        captured = request->Name;\n        if (!RtlEqualUnicodeString(&captured, &g_Allowed, TRUE)) {\n            return STATUS_ACCESS_DENIED;\n        }\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    return STATUS_SUCCESS;\n}`,
      errors: [{ messageId: 'untrusted', line: 10, message: '`captured`' }],
    },
  ],
});
