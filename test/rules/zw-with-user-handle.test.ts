import { runRuleTests } from '../helpers/rule-tester';

const REQ = 'typedef struct _FILE_REQUEST { HANDLE File; ULONG Value; UCHAR Data[64]; } FILE_REQUEST, *PFILE_REQUEST;\ntypedef struct _DEVICE_EXTENSION { HANDLE LogFile; HANDLE Key; } DEVICE_EXTENSION, *PDEVICE_EXTENSION;\n';

const WRITE = (handle: string, check = '') => `${REQ}NTSTATUS DispatchWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PDEVICE_EXTENSION extension = (PDEVICE_EXTENSION)DeviceObject->DeviceExtension;
    PFILE_REQUEST request = (PFILE_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    IO_STATUS_BLOCK io;
${check}    return ZwWriteFile(${handle}, NULL, NULL, NULL, &io, request->Data, sizeof(request->Data), NULL, NULL);
}`;

const NEITHER = (body: string) => `NTSTATUS QueryProcesses(PIRP Irp, PIO_STACK_LOCATION stack) {
    ULONG length = stack->Parameters.DeviceIoControl.OutputBufferLength;
    NTSTATUS status;
${body}
    return status;
}`;

runRuleTests('zw-with-user-handle', {
  valid: [
    { name: 'the driver\'s own handle, data from SystemBuffer', code: WRITE('extension->LogFile') },
    { name: 'kernel-mode requestors only', code: WRITE('request->File', '    if (Irp->RequestorMode != KernelMode) {\n        return STATUS_ACCESS_DENIED;\n    }\n') },
    {
      name: 'user value (not a handle) stored in a registry value',
      code: `${REQ}NTSTATUS SetValue(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PDEVICE_EXTENSION extension = (PDEVICE_EXTENSION)DeviceObject->DeviceExtension;\n    PFILE_REQUEST request = (PFILE_REQUEST)Irp->AssociatedIrp.SystemBuffer;\n    UNICODE_STRING name = RTL_CONSTANT_STRING(L"Level");\n    return ZwSetValueKey(extension->Key, &name, 0, REG_DWORD, &request->Value, sizeof(ULONG));\n}`,
    },
    {
      name: 'user length for a read into a kernel buffer',
      code: `${REQ}NTSTATUS ReadLog(PDEVICE_OBJECT DeviceObject, PIRP Irp, PIO_STACK_LOCATION stack) {\n    PDEVICE_EXTENSION extension = (PDEVICE_EXTENSION)DeviceObject->DeviceExtension;\n    IO_STATUS_BLOCK io;\n    ULONG length = stack->Parameters.Read.Length;\n    if (length > PAGE_SIZE) return STATUS_INVALID_PARAMETER;\n    return ZwReadFile(extension->LogFile, NULL, NULL, NULL, &io, Irp->AssociatedIrp.SystemBuffer, length, NULL, NULL);\n}`,
    },
    {
      name: 'user buffer probed first',
      code: NEITHER('    __try {\n        ProbeForWrite(Irp->UserBuffer, length, sizeof(UCHAR));\n        status = ZwQuerySystemInformation(SystemProcessInformation, Irp->UserBuffer, length, NULL);\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        status = GetExceptionCode();\n    }'),
    },
    {
      name: 'ZwTerminateProcess belongs to user-process-control',
      code: 'VOID EvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode) {\n    PHANDLE handle;\n    NTSTATUS status = WdfRequestRetrieveInputBuffer(Request, sizeof(HANDLE), (PVOID *)&handle, NULL);\n    if (NT_SUCCESS(status)) status = ZwTerminateProcess(*handle, 0);\n    WdfRequestComplete(Request, status);\n}',
    },
    {
      name: 'handle validated with the requestor mode first',
      code: WRITE('request->File', '    PFILE_OBJECT file;\n    NTSTATUS status = ObReferenceObjectByHandle(request->File, FILE_WRITE_DATA, *IoFileObjectType, Irp->RequestorMode, (PVOID *)&file, NULL);\n    if (!NT_SUCCESS(status)) return status;\n    ObDereferenceObject(file);\n'),
    },
  ],
  invalid: [
    {
      name: 'write through a handle from the request',
      code: WRITE('request->File'),
      errors: [{ messageId: 'handle', line: 7, message: 'ZwWriteFile is called with `request->File`' }],
    },
    {
      name: 'METHOD_NEITHER output address passed unprobed',
      code: NEITHER('    status = ZwQuerySystemInformation(SystemProcessInformation, Irp->UserBuffer, length, NULL);'),
      errors: [{ messageId: 'buffer', line: 4, message: '`Irp->UserBuffer`' }],
    },
    {
      name: 'KMDF closes a handle from the input buffer',
      code: 'VOID EvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode) {\n    PHANDLE handle;\n    NTSTATUS status = WdfRequestRetrieveInputBuffer(Request, sizeof(HANDLE), (PVOID *)&handle, NULL);\n    if (NT_SUCCESS(status)) status = ZwClose(*handle);\n    WdfRequestComplete(Request, status);\n}',
      errors: [{ messageId: 'handle', line: 4, message: 'ZwClose' }],
    },
  ],
});
