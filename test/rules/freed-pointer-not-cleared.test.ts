import { runRuleTests } from '../helpers/rule-tester';

const EXT = `typedef struct _DEVICE_EXTENSION { PUCHAR Buffer; ULONG Size; } DEVICE_EXTENSION, *PDEVICE_EXTENSION;
NTSTATUS DispatchControl(PDEVICE_OBJECT DeviceObject, PIRP Irp);
VOID Unload(PDRIVER_OBJECT DriverObject);
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchControl;
    DriverObject->DriverUnload = Unload;
    return STATUS_SUCCESS;
}
`;

const handler = (release: string, unload = '    UNREFERENCED_PARAMETER(DriverObject);\n') => `${EXT}NTSTATUS DispatchControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PDEVICE_EXTENSION ext = (PDEVICE_EXTENSION)DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    switch (stack->Parameters.DeviceIoControl.IoControlCode) {
    case 1:
${release}        break;
    case 2:
        if (ext->Buffer != NULL) {
            ext->Buffer[0] = 1;
        }
        break;
    }
    return STATUS_SUCCESS;
}
VOID Unload(PDRIVER_OBJECT DriverObject) {
${unload}}
`;

const G = `typedef struct _OBJ { VOID (*Callback)(VOID); } OBJ, *POBJ;
static POBJ g_Object;
VOID EvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode);
VOID Setup(WDF_IO_QUEUE_CONFIG *config) { config->EvtIoDeviceControl = EvtIoDeviceControl; }
`;

runRuleTests('freed-pointer-not-cleared', {
  valid: [
    { name: 'cleared after the free', code: handler("        ExFreePoolWithTag(ext->Buffer, 'x');\n        ext->Buffer = NULL;\n") },
    { name: 'cleared on the only path that freed', code: handler("        if (ext->Buffer) {\n            ExFreePool(ext->Buffer);\n            ext->Buffer = NULL;\n        }\n") },
    { name: 'a local buffer is not kept for later requests', code: `${EXT}NTSTATUS DispatchControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PUCHAR local = ExAllocatePool2(POOL_FLAG_PAGED, 16, 'x');\n    if (local == NULL) return STATUS_NO_MEMORY;\n    local[0] = 1;\n    ExFreePool(local);\n    return STATUS_SUCCESS;\n}\nVOID Unload(PDRIVER_OBJECT DriverObject) { }\n` },
    { name: 'freed in unload (no later request)', code: handler('        break;\n', "    PDEVICE_EXTENSION ext = (PDEVICE_EXTENSION)DriverObject->DeviceObject->DeviceExtension;\n    ExFreePool(ext->Buffer);\n") },
    { name: 'no other code uses the pointer', code: `${G}VOID EvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode) {\n    ExFreePool(g_Object);\n    WdfRequestComplete(Request, STATUS_SUCCESS);\n}\n` },
    { name: 'allocated again before the use', code: `${G}VOID EvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode) {\n    if (IoControlCode == 1) {\n        ExFreePool(g_Object);\n        g_Object = NULL;\n    }\n    WdfRequestComplete(Request, STATUS_SUCCESS);\n}\nVOID Reset(VOID) {\n    g_Object = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(OBJ), 'x');\n    if (g_Object) g_Object->Callback = NULL;\n}\n` },
  ],
  invalid: [
    {
      name: 'device extension buffer freed in one IOCTL, used by another (a NULL check does not help)',
      code: handler("        ExFreePoolWithTag(ext->Buffer, 'x');\n"),
      errors: [{ messageId: 'notCleared', line: 14, message: '`ext->Buffer` (in the device extension) is freed by ExFreePoolWithTag but not set to NULL on every path after it; a later request still reaches it in `DispatchControl`' }],
      output: handler("        ExFreePoolWithTag(ext->Buffer, 'x');\n        ext->Buffer = NULL;\n"),
    },
    {
      name: 'freed in an IOCTL, freed again by unload',
      code: handler("        ExFreePool(ext->Buffer);\n", "    PDEVICE_EXTENSION ext = (PDEVICE_EXTENSION)DriverObject->DeviceObject->DeviceExtension;\n    ExFreePool(ext->Buffer);\n"),
      errors: [{ messageId: 'notCleared', line: 14, message: '`DispatchControl`, `Unload`' }],
      output: handler("        ExFreePool(ext->Buffer);\n        ext->Buffer = NULL;\n", "    PDEVICE_EXTENSION ext = (PDEVICE_EXTENSION)DriverObject->DeviceObject->DeviceExtension;\n    ExFreePool(ext->Buffer);\n"),
    },
    {
      name: 'global object freed under a condition, called through by a helper',
      code: `${G}VOID Fire(VOID) {\n    if (g_Object) g_Object->Callback();\n}\nVOID EvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode) {\n    if (IoControlCode == 1)\n        ExFreePool(g_Object);\n    WdfRequestComplete(Request, STATUS_SUCCESS);\n}\n`,
      errors: [{ messageId: 'notCleared', line: 10, message: '`g_Object` (a global)' }],
      output: `${G}VOID Fire(VOID) {\n    if (g_Object) g_Object->Callback();\n}\nVOID EvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode) {\n    if (IoControlCode == 1)\n        { ExFreePool(g_Object); g_Object = NULL; }\n    WdfRequestComplete(Request, STATUS_SUCCESS);\n}\n`,
    },
    {
      name: 'WDF context memory object deleted, used by the next request',
      code: `typedef struct _DEVICE_CONTEXT { WDFMEMORY Memory; PUCHAR Data; } DEVICE_CONTEXT, *PDEVICE_CONTEXT;
VOID EvtIoWrite(WDFQUEUE Queue, WDFREQUEST Request, size_t Length);
VOID Setup(WDF_IO_QUEUE_CONFIG *config) { config->EvtIoWrite = EvtIoWrite; }
VOID EvtIoWrite(WDFQUEUE Queue, WDFREQUEST Request, size_t Length) {
    PDEVICE_CONTEXT ctx = DeviceGetContext(WdfIoQueueGetDevice(Queue));
    if (Length == 0) {
        ExFreePool(ctx->Data);
        WdfRequestComplete(Request, STATUS_SUCCESS);
        return;
    }
    RtlZeroMemory(ctx->Data, 16);
    WdfRequestComplete(Request, STATUS_SUCCESS);
}
`,
      errors: [{ messageId: 'notCleared', line: 7, message: '(in the context)' }],
      output: `typedef struct _DEVICE_CONTEXT { WDFMEMORY Memory; PUCHAR Data; } DEVICE_CONTEXT, *PDEVICE_CONTEXT;
VOID EvtIoWrite(WDFQUEUE Queue, WDFREQUEST Request, size_t Length);
VOID Setup(WDF_IO_QUEUE_CONFIG *config) { config->EvtIoWrite = EvtIoWrite; }
VOID EvtIoWrite(WDFQUEUE Queue, WDFREQUEST Request, size_t Length) {
    PDEVICE_CONTEXT ctx = DeviceGetContext(WdfIoQueueGetDevice(Queue));
    if (Length == 0) {
        ExFreePool(ctx->Data);
        ctx->Data = NULL;
        WdfRequestComplete(Request, STATUS_SUCCESS);
        return;
    }
    RtlZeroMemory(ctx->Data, 16);
    WdfRequestComplete(Request, STATUS_SUCCESS);
}
`,
    },
  ],
});
