import { runRuleTests } from '../helpers/rule-tester';

const DRIVER = (body: string, extra = '') => `#define IOCTL_WP_OFF CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS)
typedef struct _CR_REQUEST { ULONGLONG Value; } CR_REQUEST, *PCR_REQUEST;
${extra}NTSTATUS DispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    PCR_REQUEST request = (PCR_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    NTSTATUS status = STATUS_SUCCESS;
    switch (stack->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_WP_OFF:
${body}
        break;
    default:
        status = STATUS_INVALID_DEVICE_REQUEST;
    }
    Irp->IoStatus.Status = status;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return status;
}
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchDeviceControl;
    return STATUS_SUCCESS;
}`;

runRuleTests('control-register-access', {
  valid: [
    { name: 'handler without register access', code: DRIVER('        request->Value = KeQueryActiveProcessorCount(NULL);') },
    {
      name: 'CR4 read at initialization only',
      code: 'static BOOLEAN g_SmepEnabled;\nNTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {\n    g_SmepEnabled = (__readcr4() & (1ULL << 20)) != 0;\n    return STATUS_SUCCESS;\n}',
    },
    {
      name: 'IRQL read through CR8 in a dispatch routine',
      code: DRIVER('        request->Value = __readcr8();'),
    },
    {
      name: 'helper called only from DriverEntry',
      code: 'static VOID DisableWriteProtect(VOID) {\n    __writecr0(__readcr0() & ~0x10000ULL);\n}\nNTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {\n    DisableWriteProtect();\n    return STATUS_SUCCESS;\n}',
    },
  ],
  invalid: [
    {
      name: 'write protection switched off from an IOCTL',
      code: DRIVER('        __writecr0(__readcr0() & ~0x10000ULL);'),
      errors: [{ messageId: 'write', line: 9, message: '__writecr0 writes CR0 in `DispatchDeviceControl`' }],
    },
    {
      name: 'CR4 written with a user value through a helper',
      code: DRIVER('        SetCr4(request->Value);', 'static VOID SetCr4(ULONGLONG value) {\n    __writecr4(value);\n}\n'),
      errors: [{ messageId: 'write', line: 4, message: 'with a value from user input (`value`' }],
    },
    {
      name: 'CR3 read returned to the caller',
      code: DRIVER('        request->Value = __readcr3();\n        Irp->IoStatus.Information = sizeof(CR_REQUEST);'),
      errors: [{ messageId: 'read', line: 9, message: 'reads CR3' }],
    },
    {
      name: 'KMDF callback writes a debug register',
      code: 'VOID EvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode) {\n    __writedr(7, 0);\n    WdfRequestComplete(Request, STATUS_SUCCESS);\n}\nNTSTATUS Init(WDFDEVICE device) {\n    WDF_IO_QUEUE_CONFIG config;\n    config.EvtIoDeviceControl = EvtIoDeviceControl;\n    return STATUS_SUCCESS;\n}',
      errors: [{ messageId: 'write', line: 2, message: 'a debug register' }],
    },
  ],
});
