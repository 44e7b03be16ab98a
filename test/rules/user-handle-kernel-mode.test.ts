import { runRuleTests } from '../helpers/rule-tester';

const REQ = 'typedef struct _EVENT_REQUEST { HANDLE Event; ULONG Flags; } EVENT_REQUEST, *PEVENT_REQUEST;\n';

const WDM = (mode: string) => `${REQ}NTSTATUS SignalEvent(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PEVENT_REQUEST request = (PEVENT_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    PKEVENT event;
    NTSTATUS status = ObReferenceObjectByHandle(request->Event, EVENT_MODIFY_STATE, *ExEventObjectType, ${mode}, (PVOID *)&event, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    KeSetEvent(event, IO_NO_INCREMENT, FALSE);
    ObDereferenceObject(event);
    return STATUS_SUCCESS;
}`;

const KMDF = (mode: string) => `VOID EvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode) {
    PHANDLE handle;
    PFILE_OBJECT file;
    NTSTATUS status = WdfRequestRetrieveInputBuffer(Request, sizeof(HANDLE), (PVOID *)&handle, NULL);
    if (NT_SUCCESS(status)) {
        status = ObReferenceObjectByHandleWithTag(*handle, FILE_READ_DATA, *IoFileObjectType, ${mode}, 'lifD', (PVOID *)&file, NULL);
    }
    WdfRequestComplete(Request, status);
}`;

const HELPER = (mode: string) => `${REQ}static NTSTATUS ReferenceEvent(HANDLE Handle, PKEVENT *Event) {
    return ObReferenceObjectByHandle(Handle, EVENT_MODIFY_STATE, *ExEventObjectType, ${mode}, (PVOID *)Event, NULL);
}
NTSTATUS Dispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PEVENT_REQUEST request = (PEVENT_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    PKEVENT event;
    return ReferenceEvent(request->Event, &event);
}`;

runRuleTests('user-handle-kernel-mode', {
  valid: [
    { name: 'requestor mode passed', code: WDM('Irp->RequestorMode') },
    { name: 'KMDF requestor mode passed', code: KMDF('WdfRequestGetRequestorMode(Request)') },
    { name: 'UserMode for a user handle', code: HELPER('UserMode') },
    {
      name: 'handle the driver opened itself',
      code: 'NTSTATUS OpenConfig(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    UNICODE_STRING name = RTL_CONSTANT_STRING(L"\\\\Registry\\\\Machine\\\\Software\\\\Vendor");\n    OBJECT_ATTRIBUTES attributes;\n    HANDLE key;\n    PVOID object;\n    InitializeObjectAttributes(&attributes, &name, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, NULL);\n    NTSTATUS status = ZwOpenKey(&key, KEY_READ, &attributes);\n    if (NT_SUCCESS(status)) {\n        status = ObReferenceObjectByHandle(key, KEY_READ, NULL, KernelMode, &object, NULL);\n        ZwClose(key);\n    }\n    return status;\n}',
    },
    {
      name: 'KernelMode only for kernel-mode callers',
      code: `${REQ}NTSTATUS InternalIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PEVENT_REQUEST request = (PEVENT_REQUEST)Irp->AssociatedIrp.SystemBuffer;\n    PKEVENT event;\n    if (Irp->RequestorMode != KernelMode) {\n        return STATUS_ACCESS_DENIED;\n    }\n    return ObReferenceObjectByHandle(request->Event, EVENT_MODIFY_STATE, *ExEventObjectType, KernelMode, (PVOID *)&event, NULL);\n}`,
    },
    {
      name: 'mode captured in a local and tested',
      code: `${REQ}NTSTATUS H(PIRP Irp) {\n    KPROCESSOR_MODE mode = ExGetPreviousMode();\n    PEVENT_REQUEST request = (PEVENT_REQUEST)Irp->AssociatedIrp.SystemBuffer;\n    PKEVENT event;\n    if (mode == KernelMode) {\n        return ObReferenceObjectByHandle(request->Event, 0, *ExEventObjectType, KernelMode, (PVOID *)&event, NULL);\n    }\n    return STATUS_ACCESS_DENIED;\n}`,
    },
    {
      name: 'internal device control: requests come from kernel components',
      code: `${REQ}NTSTATUS DispatchInternal(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PEVENT_REQUEST request = (PEVENT_REQUEST)Irp->AssociatedIrp.SystemBuffer;\n    PKEVENT event;\n    return ObReferenceObjectByHandle(request->Event, EVENT_MODIFY_STATE, *ExEventObjectType, KernelMode, (PVOID *)&event, NULL);\n}\nNTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {\n    DriverObject->MajorFunction[IRP_MJ_INTERNAL_DEVICE_CONTROL] = DispatchInternal;\n    return STATUS_SUCCESS;\n}`,
    },
  ],
  invalid: [
    {
      name: 'WDM handle from SystemBuffer',
      code: WDM('KernelMode'),
      errors: [{ messageId: 'kernelMode', line: 5, message: '`request->Event`' }],
      output: WDM('Irp->RequestorMode'),
    },
    {
      name: 'KMDF handle from the input buffer',
      code: KMDF('KernelMode'),
      errors: [{ messageId: 'kernelMode', line: 6, message: 'ObReferenceObjectByHandleWithTag references `*handle`' }],
      output: KMDF('WdfRequestGetRequestorMode(Request)'),
    },
    {
      name: 'helper without the IRP: suggestion UserMode',
      code: HELPER('KernelMode'),
      errors: [{ messageId: 'kernelMode', line: 3, message: 'Pass UserMode' }],
      suggestionOutput: HELPER('UserMode'),
    },
    {
      name: 'the mode check exists only in the other preprocessor branch',
      code: `${REQ}NTSTATUS H(PIRP Irp) {\n    PEVENT_REQUEST request = (PEVENT_REQUEST)Irp->AssociatedIrp.SystemBuffer;\n    PKEVENT event;\n#if KERNEL_CLIENTS_ONLY\n    if (Irp->RequestorMode != KernelMode) return STATUS_ACCESS_DENIED;\n#else\n    return ObReferenceObjectByHandle(request->Event, 0, *ExEventObjectType, KernelMode, (PVOID *)&event, NULL);\n#endif\n    return STATUS_SUCCESS;\n}`,
      errors: [{ messageId: 'kernelMode', line: 8 }],
      output: `${REQ}NTSTATUS H(PIRP Irp) {\n    PEVENT_REQUEST request = (PEVENT_REQUEST)Irp->AssociatedIrp.SystemBuffer;\n    PKEVENT event;\n#if KERNEL_CLIENTS_ONLY\n    if (Irp->RequestorMode != KernelMode) return STATUS_ACCESS_DENIED;\n#else\n    return ObReferenceObjectByHandle(request->Event, 0, *ExEventObjectType, Irp->RequestorMode, (PVOID *)&event, NULL);\n#endif\n    return STATUS_SUCCESS;\n}`,
    },
  ],
});
