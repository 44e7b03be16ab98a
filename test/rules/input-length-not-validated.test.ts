import { runRuleTests } from '../helpers/rule-tester';

const SETTINGS = 'typedef struct _SETTINGS { ULONG Mode; ULONG Level; } SETTINGS, *PSETTINGS;\nULONG g_Mode;\n';

runRuleTests('input-length-not-validated', {
  valid: [
    {
      name: 'a chain: the dispatch routine checks the read length, a starter and a retry timer both call the poller',
      code: `${SETTINGS}DRIVER_DISPATCH Read;\nNTSTATUS Poll(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PSETTINGS s = (PSETTINGS)Irp->AssociatedIrp.SystemBuffer;\n    if (s->Level-- == 0) return STATUS_SUCCESS;\n    return STATUS_PENDING;\n}\nVOID StartNext(PDEVICE_OBJECT DeviceObject) {\n    PDEVICE_EXTENSION ext = DeviceObject->DeviceExtension;\n    if (Poll(DeviceObject, ext->Current) == STATUS_PENDING) ArmRetry(ext);\n}\nVOID RetryTimer(PKDPC Dpc, PVOID Context, PVOID A1, PVOID A2) {\n    StartNext((PDEVICE_OBJECT)Context);\n}\nNTSTATUS Read(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);\n    if (sp->Parameters.Read.Length < sizeof(SETTINGS)) {\n        Irp->IoStatus.Status = STATUS_BUFFER_TOO_SMALL;\n        IoCompleteRequest(Irp, IO_NO_INCREMENT);\n        return STATUS_BUFFER_TOO_SMALL;\n    }\n    IoMarkIrpPending(Irp);\n    StartNext(DeviceObject);\n    return STATUS_PENDING;\n}\nNTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {\n    DriverObject->MajorFunction[IRP_MJ_READ] = Read;\n    KeInitializeDpc(&g_Dpc, RetryTimer, NULL);\n    return STATUS_SUCCESS;\n}`,
    },
    {
      name: 'a flag of the output set with |= after the routine initialized it',
      code: `${SETTINGS}typedef struct _RESULT { ULONG Flags; ULONG Count; UCHAR Tag[8]; } RESULT, *PRESULT;\nUCHAR g_Tag[8];\nVOID Finish(PIRP Irp, ULONG done, ULONG wanted) {\n    PRESULT r = (PRESULT)Irp->AssociatedIrp.SystemBuffer;\n    r->Flags = 0;\n    r->Count = done;\n    if (done < wanted) {\n        r->Flags |= 1;\n    }\n    RtlCopyMemory(&r->Tag, g_Tag, 8);\n}`,
    },
    {
      name: 'a work item queued only after the dispatch routine checked the length',
      code: `${SETTINGS}typedef struct _JOB { PIO_WORKITEM Item; PIRP Irp; } JOB, *PJOB;\nVOID ApplyWorker(PDEVICE_OBJECT DeviceObject, PVOID Context) {\n    PJOB job = (PJOB)Context;\n    PSETTINGS s = (PSETTINGS)job->Irp->AssociatedIrp.SystemBuffer;\n    g_Mode = s->Mode;\n}\nNTSTATUS Apply(PDEVICE_OBJECT DeviceObject, PIRP Irp, PJOB Job) {\n    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);\n    if (irpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(SETTINGS)) return STATUS_INVALID_PARAMETER;\n    Job->Irp = Irp;\n    IoMarkIrpPending(Irp);\n    IoQueueWorkItem(Job->Item, ApplyWorker, DelayedWorkQueue, Job);\n    return STATUS_PENDING;\n}`,
    },
    { name: 'WDF minimum length', code: `${SETTINGS}NTSTATUS S(WDFREQUEST Request) {\n    PSETTINGS s = NULL;\n    NTSTATUS status = WdfRequestRetrieveInputBuffer(Request, sizeof(SETTINGS), (PVOID *)&s, NULL);\n    if (!NT_SUCCESS(status)) return status;\n    g_Mode = s->Mode;\n    return 0;\n}` },
    { name: 'InputBufferLength checked through a local', code: `${SETTINGS}NTSTATUS S(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    PSETTINGS s = (PSETTINGS)Irp->AssociatedIrp.SystemBuffer;\n    ULONG length = IrpSp->Parameters.DeviceIoControl.InputBufferLength;\n    if (length < sizeof(SETTINGS)) return STATUS_BUFFER_TOO_SMALL;\n    g_Mode = s->Mode;\n    return 0;\n}` },
    { name: 'checked on the left of ||', code: `${SETTINGS}NTSTATUS S(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    PSETTINGS s = (PSETTINGS)Irp->AssociatedIrp.SystemBuffer;\n    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(SETTINGS) || s->Mode > 3) return STATUS_INVALID_PARAMETER;\n    return 0;\n}` },
    {
      name: 'helper typed DRIVER_DISPATCH, called by the dispatch routine after its length check',
      code: `${SETTINGS}DRIVER_DISPATCH Dispatch;\nDRIVER_DISPATCH ApplySettings;\nNTSTATUS ApplySettings(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PSETTINGS s = (PSETTINGS)Irp->AssociatedIrp.SystemBuffer;\n    g_Mode = s->Mode;\n    return STATUS_SUCCESS;\n}\nNTSTATUS Dispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);\n    if (irpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(SETTINGS)) {\n        return STATUS_INVALID_PARAMETER;\n    }\n    return ApplySettings(DeviceObject, Irp);\n}\nNTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {\n    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = Dispatch;\n    return STATUS_SUCCESS;\n}`,
    },
    {
      name: 'worker completing reads that the dispatch routine validated before queueing',
      code: `${SETTINGS}DRIVER_DISPATCH Read;\nNTSTATUS Read(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    if (IoGetCurrentIrpStackLocation(Irp)->Parameters.Read.Length < sizeof(SETTINGS)) return STATUS_BUFFER_TOO_SMALL;\n    QueueRequest(Irp);\n    return STATUS_PENDING;\n}\nNTSTATUS PollDevice(PIRP Irp) {\n    PSETTINGS s = (PSETTINGS)Irp->AssociatedIrp.SystemBuffer;\n    return s->Mode == 0 ? STATUS_SUCCESS : STATUS_PENDING;\n}\nVOID PollingThread(PVOID Context) {\n    PollDevice(NextRequest(Context));\n}\nNTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {\n    DriverObject->MajorFunction[IRP_MJ_READ] = Read;\n    return STATUS_SUCCESS;\n}`,
    },
    { name: 'writing the output is not reading input', code: `${SETTINGS}NTSTATUS S(PIRP Irp) {\n    PSETTINGS s = (PSETTINGS)Irp->AssociatedIrp.SystemBuffer;\n    s->Mode = g_Mode;\n    return 0;\n}` },
  ],
  invalid: [
    {
      name: 'a chain where the dispatch routine never checks',
      code: `${SETTINGS}DRIVER_DISPATCH Read;\nNTSTATUS Poll(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PSETTINGS s = (PSETTINGS)Irp->AssociatedIrp.SystemBuffer;\n    return s->Level == 0 ? STATUS_SUCCESS : STATUS_PENDING;\n}\nVOID StartNext(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    Poll(DeviceObject, Irp);\n}\nNTSTATUS Read(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    IoMarkIrpPending(Irp);\n    StartNext(DeviceObject, Irp);\n    return STATUS_PENDING;\n}\nNTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {\n    DriverObject->MajorFunction[IRP_MJ_READ] = Read;\n    return STATUS_SUCCESS;\n}`,
      errors: [{ messageId: 'unchecked', line: 6 }],
    },
    {
      name: 'a flag of the input tested before the routine writes it',
      code: `${SETTINGS}typedef struct _RESULT { ULONG Flags; ULONG Count; } RESULT, *PRESULT;\nNTSTATUS Finish(PIRP Irp) {\n    PRESULT r = (PRESULT)Irp->AssociatedIrp.SystemBuffer;\n    if (r->Flags & 1) return STATUS_INVALID_PARAMETER;\n    r->Flags = 0;\n    return 0;\n}`,
      errors: [{ messageId: 'unchecked', line: 6 }],
    },
    {
      name: 'SystemBuffer read without a check',
      code: `${SETTINGS}NTSTATUS S(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    PSETTINGS s = (PSETTINGS)Irp->AssociatedIrp.SystemBuffer;\n    g_Mode = s->Mode;\n    return 0;\n}`,
      errors: [{ messageId: 'unchecked', line: 5, message: 's->Mode' }],
      suggestionOutput: `${SETTINGS}NTSTATUS S(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    PSETTINGS s = (PSETTINGS)Irp->AssociatedIrp.SystemBuffer;\n    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(*s)) {\n        return STATUS_BUFFER_TOO_SMALL;\n    }\n    g_Mode = s->Mode;\n    return 0;\n}`,
    },
    {
      name: 'helper typed DRIVER_DISPATCH, called by a dispatch routine that never checks',
      code: `${SETTINGS}DRIVER_DISPATCH Dispatch;\nDRIVER_DISPATCH ApplySettings;\nNTSTATUS ApplySettings(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PSETTINGS s = (PSETTINGS)Irp->AssociatedIrp.SystemBuffer;\n    g_Mode = s->Mode;\n    return STATUS_SUCCESS;\n}\nNTSTATUS Dispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);\n    return ApplySettings(DeviceObject, Irp);\n}\nNTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {\n    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = Dispatch;\n    return STATUS_SUCCESS;\n}`,
      errors: [{ messageId: 'unchecked', line: 7, message: 's->Mode' }],
    },
    { name: 'WDF minimum 0', code: `${SETTINGS}NTSTATUS S(WDFREQUEST Request) {\n    PSETTINGS s = NULL;\n    WdfRequestRetrieveInputBuffer(Request, 0, (PVOID *)&s, NULL);\n    g_Mode = s->Mode;\n    return 0;\n}`, errors: [{ messageId: 'unchecked', line: 6 }] },
  ],
});
