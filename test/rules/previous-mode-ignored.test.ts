import { runRuleTests } from '../helpers/rule-tester';

const NEITHER = (check: string) => `NTSTATUS DispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);
    PVOID input = irpSp->Parameters.DeviceIoControl.Type3InputBuffer;
    ULONG value = 0;
    NTSTATUS status = STATUS_SUCCESS;
    __try {
${check}        value = *(PULONG)input;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        status = GetExceptionCode();
    }
    Irp->IoStatus.Status = status;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return status;
}
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchDeviceControl;
    return STATUS_SUCCESS;
}`;

runRuleTests('previous-mode-ignored', {
  valid: [
    { name: 'probe only for user-mode requestors', code: NEITHER('        if (Irp->RequestorMode != KernelMode) {\n            ProbeForRead(input, sizeof(ULONG), sizeof(ULONG));\n        }\n') },
    { name: 'ExGetPreviousMode', code: NEITHER('        if (ExGetPreviousMode() == UserMode) ProbeForRead(input, sizeof(ULONG), sizeof(ULONG));\n') },
    {
      name: 'METHOD_BUFFERED handler (kernel copy of the data)',
      code: 'NTSTATUS DispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PULONG input = (PULONG)Irp->AssociatedIrp.SystemBuffer;\n    ULONG value = *input;\n    Irp->IoStatus.Status = value ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;\n    IoCompleteRequest(Irp, IO_NO_INCREMENT);\n    return STATUS_SUCCESS;\n}\nNTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {\n    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchDeviceControl;\n    return STATUS_SUCCESS;\n}',
    },
    {
      name: 'the dispatch routine checks the mode before calling the helper',
      code: 'static NTSTATUS ReadValue(PVOID input, PULONG value) {\n    __try {\n        ProbeForRead(input, sizeof(ULONG), sizeof(ULONG));\n        *value = *(PULONG)input;\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    return STATUS_SUCCESS;\n}\nNTSTATUS DispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);\n    ULONG value;\n    if (Irp->RequestorMode == KernelMode) return STATUS_NOT_SUPPORTED;\n    return ReadValue(irpSp->Parameters.DeviceIoControl.Type3InputBuffer, &value);\n}\nNTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {\n    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchDeviceControl;\n    return STATUS_SUCCESS;\n}',
    },
  ],
  invalid: [
    {
      name: 'METHOD_NEITHER input read without looking at the requestor mode',
      code: NEITHER('        ProbeForRead(input, sizeof(ULONG), sizeof(ULONG));\n'),
      errors: [{ messageId: 'ignored', line: 7, message: '`DispatchDeviceControl` accesses `input`, a raw user-mode address (Type3InputBuffer)' }],
    },
    {
      name: 'KMDF in-caller-context callback dereferences the unsafe buffer',
      code: 'VOID EvtIoInCallerContext(WDFDEVICE Device, WDFREQUEST Request) {\n    PULONG input;\n    size_t length;\n    NTSTATUS status = WdfRequestRetrieveUnsafeUserInputBuffer(Request, sizeof(ULONG), (PVOID *)&input, &length);\n    if (NT_SUCCESS(status)) {\n        Remember(Device, *input);\n    }\n    WdfDeviceEnqueueRequest(Device, Request);\n}\nNTSTATUS AddDevice(PWDFDEVICE_INIT DeviceInit) {\n    WdfDeviceInitSetIoInCallerContextCallback(DeviceInit, EvtIoInCallerContext);\n    return STATUS_SUCCESS;\n}',
      errors: [{ messageId: 'ignored', line: 6, message: 'unsafe user input buffer' }],
    },
  ],
});
