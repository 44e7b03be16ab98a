import { runRuleTests } from '../helpers/rule-tester';

const SETTINGS = 'typedef struct _SETTINGS { ULONG Mode; ULONG Level; } SETTINGS, *PSETTINGS;\nULONG g_Mode;\n';

runRuleTests('input-length-not-validated', {
  valid: [
    { name: 'WDF minimum length', code: `${SETTINGS}NTSTATUS S(WDFREQUEST Request) {\n    PSETTINGS s = NULL;\n    NTSTATUS status = WdfRequestRetrieveInputBuffer(Request, sizeof(SETTINGS), (PVOID *)&s, NULL);\n    if (!NT_SUCCESS(status)) return status;\n    g_Mode = s->Mode;\n    return 0;\n}` },
    { name: 'InputBufferLength checked through a local', code: `${SETTINGS}NTSTATUS S(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    PSETTINGS s = (PSETTINGS)Irp->AssociatedIrp.SystemBuffer;\n    ULONG length = IrpSp->Parameters.DeviceIoControl.InputBufferLength;\n    if (length < sizeof(SETTINGS)) return STATUS_BUFFER_TOO_SMALL;\n    g_Mode = s->Mode;\n    return 0;\n}` },
    { name: 'checked on the left of ||', code: `${SETTINGS}NTSTATUS S(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    PSETTINGS s = (PSETTINGS)Irp->AssociatedIrp.SystemBuffer;\n    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(SETTINGS) || s->Mode > 3) return STATUS_INVALID_PARAMETER;\n    return 0;\n}` },
    { name: 'writing the output is not reading input', code: `${SETTINGS}NTSTATUS S(PIRP Irp) {\n    PSETTINGS s = (PSETTINGS)Irp->AssociatedIrp.SystemBuffer;\n    s->Mode = g_Mode;\n    return 0;\n}` },
  ],
  invalid: [
    {
      name: 'SystemBuffer read without a check',
      code: `${SETTINGS}NTSTATUS S(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    PSETTINGS s = (PSETTINGS)Irp->AssociatedIrp.SystemBuffer;\n    g_Mode = s->Mode;\n    return 0;\n}`,
      errors: [{ messageId: 'unchecked', line: 5, message: 's->Mode' }],
      suggestionOutput: `${SETTINGS}NTSTATUS S(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    PSETTINGS s = (PSETTINGS)Irp->AssociatedIrp.SystemBuffer;\n    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(*s)) {\n        return STATUS_BUFFER_TOO_SMALL;\n    }\n    g_Mode = s->Mode;\n    return 0;\n}`,
    },
    { name: 'WDF minimum 0', code: `${SETTINGS}NTSTATUS S(WDFREQUEST Request) {\n    PSETTINGS s = NULL;\n    WdfRequestRetrieveInputBuffer(Request, 0, (PVOID *)&s, NULL);\n    g_Mode = s->Mode;\n    return 0;\n}`, errors: [{ messageId: 'unchecked', line: 6 }] },
  ],
});
