import { runRuleTests } from '../helpers/rule-tester';

const TYPES = 'typedef struct _MAP_REQUEST { PHYSICAL_ADDRESS Address; SIZE_T Length; } MAP_REQUEST, *PMAP_REQUEST;\n'
  + 'typedef struct _KILL_REQUEST { HANDLE ProcessId; } KILL_REQUEST, *PKILL_REQUEST;\n';

/** A WDM driver: a helper performing `body`, called from the IOCTL case (with `caseGuard` before the call). */
const WDM = (helper: string, caseGuard = '', extra = '') => `${TYPES}DRIVER_DISPATCH DispatchDeviceControl;
${extra}
${helper}

NTSTATUS
DispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status = STATUS_INVALID_DEVICE_REQUEST;

    switch (irpSp->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_DO_IT:
${caseGuard}        status = DoIt(Irp);
        break;
    default:
        break;
    }
    Irp->IoStatus.Status = status;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return status;
}
`;

const MAP_HELPER = (check = '') => `NTSTATUS
DoIt(PIRP Irp)
{
    PMAP_REQUEST request = (PMAP_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    PVOID mapped;
${check}
    mapped = MmMapIoSpace(request->Address, request->Length, MmNonCached);
    if (mapped == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    return STATUS_SUCCESS;
}`;

const KILL_HELPER = `NTSTATUS
DoIt(PIRP Irp)
{
    PKILL_REQUEST request = (PKILL_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    OBJECT_ATTRIBUTES attributes;
    CLIENT_ID id;
    HANDLE process;
    NTSTATUS status;

    id.UniqueProcess = request->ProcessId;
    id.UniqueThread = NULL;
    InitializeObjectAttributes(&attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    status = ZwOpenProcess(&process, PROCESS_TERMINATE, &attributes, &id);
    if (NT_SUCCESS(status)) {
        status = ZwTerminateProcess(process, STATUS_ACCESS_DENIED);
        ZwClose(process);
    }
    return status;
}`;

const KMDF_PORT = (check = '') => `typedef struct _PORT_REQUEST { USHORT Port; UCHAR Value; } PORT_REQUEST, *PPORT_REQUEST;
EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL EvtIoDeviceControl;

VOID
EvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode)
{
    PPORT_REQUEST request;
    NTSTATUS status = WdfRequestRetrieveInputBuffer(Request, sizeof(PORT_REQUEST), (PVOID *)&request, NULL);
    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(Request, status);
        return;
    }
${check}    __outbyte(request->Port, request->Value);
    WdfRequestComplete(Request, STATUS_SUCCESS);
}
`;

const PRIVILEGE_CHECK = `    if (!SeSinglePrivilegeCheck(RtlConvertLongToLuid(SE_TCB_PRIVILEGE), Irp->RequestorMode)) {
        return STATUS_PRIVILEGE_NOT_HELD;
    }`;

runRuleTests('ioctl-privileged-op-no-caller-check', {
  valid: [
    { name: 'SeSinglePrivilegeCheck before mapping', code: WDM(MAP_HELPER(PRIVILEGE_CHECK)) },
    { name: 'requestor-mode check in the caller\'s IOCTL case', code: WDM(KILL_HELPER, '        if (Irp->RequestorMode != KernelMode) {\n            status = STATUS_ACCESS_DENIED;\n            break;\n        }\n') },
    { name: 'check in a helper the handler calls first', code: WDM(KILL_HELPER, '        if (!IsCallerAdmin(Irp)) {\n            status = STATUS_ACCESS_DENIED;\n            break;\n        }\n', 'BOOLEAN IsCallerAdmin(PIRP Irp)\n{\n    return SeSinglePrivilegeCheck(RtlConvertLongToLuid(SE_LOAD_DRIVER_PRIVILEGE), Irp->RequestorMode);\n}') },
    {
      name: 'caller checked when the device is opened (IRP_MJ_CREATE)',
      code: WDM(MAP_HELPER(), '', 'NTSTATUS DispatchCreate(PDEVICE_OBJECT DeviceObject, PIRP Irp)\n{\n    NTSTATUS status = SeSinglePrivilegeCheck(RtlConvertLongToLuid(SE_LOAD_DRIVER_PRIVILEGE), UserMode) ? STATUS_SUCCESS : STATUS_PRIVILEGE_NOT_HELD;\n    Irp->IoStatus.Status = status;\n    IoCompleteRequest(Irp, IO_NO_INCREMENT);\n    return status;\n}\nVOID SetDispatch(PDRIVER_OBJECT DriverObject)\n{\n    DriverObject->MajorFunction[IRP_MJ_CREATE] = DispatchCreate;\n    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchDeviceControl;\n}'),
    },
    { name: 'device restricted to administrators by its SDDL', code: WDM(MAP_HELPER(), '', 'NTSTATUS CreateDevice(PDRIVER_OBJECT DriverObject, PUNICODE_STRING Name, PDEVICE_OBJECT *Device)\n{\n    return IoCreateDeviceSecure(DriverObject, 0, Name, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, &SDDL_DEVOBJ_SYS_ALL_ADM_ALL, &ClassGuid, Device);\n}') },
    {
      name: 'maps the device\'s own registers (no user input)',
      code: WDM('NTSTATUS\nDoIt(PIRP Irp)\n{\n    PDEVICE_EXTENSION ext = (PDEVICE_EXTENSION)IoGetCurrentIrpStackLocation(Irp)->DeviceObject->DeviceExtension;\n    ext->Registers = MmMapIoSpace(ext->RegistersBase, ext->RegistersLength, MmNonCached);\n    return ext->Registers ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;\n}'),
    },
    { name: 'privileged call outside user-reachable code (worker started at DriverEntry)', code: 'VOID Cleanup(HANDLE Process)\n{\n    ZwTerminateProcess(Process, STATUS_SUCCESS);\n}\nNTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)\n{\n    Cleanup(g_Helper);\n    return STATUS_SUCCESS;\n}\n' },
    { name: 'user value written to the device\'s own port', code: KMDF_PORT().replace('__outbyte(request->Port, request->Value)', 'WRITE_PORT_UCHAR(g_Device.ControlPort, request->Value)') },
    {
      name: 'port offset bounded by the device\'s port count (the port-io-exposed fix)',
      code: KMDF_PORT('    if (request->Port >= g_Device.PortCount) {\n        WdfRequestComplete(Request, STATUS_INVALID_PARAMETER);\n        return;\n    }\n').replace('__outbyte(request->Port, request->Value)', '__outbyte((USHORT)(g_Device.PortBase + request->Port), request->Value)'),
    },
    { name: 'KMDF port write after an ExGetPreviousMode check', code: KMDF_PORT('    if (ExGetPreviousMode() != KernelMode) {\n        WdfRequestComplete(Request, STATUS_ACCESS_DENIED);\n        return;\n    }\n') },
    {
      name: 'config value with a fixed name, user data',
      code: WDM('NTSTATUS\nDoIt(PIRP Irp)\n{\n    PULONG level = (PULONG)Irp->AssociatedIrp.SystemBuffer;\n    UNICODE_STRING valueName = RTL_CONSTANT_STRING(L"LogLevel");\n    return ZwSetValueKey(g_ParametersKey, &valueName, 0, REG_DWORD, level, sizeof(ULONG));\n}'),
    },
  ],
  invalid: [
    {
      name: 'physical memory mapped from the request, no check anywhere',
      code: WDM(MAP_HELPER()),
      errors: [{ messageId: 'unchecked', line: 11, message: '`MmMapIoSpace` maps physical memory in `DoIt`' }],
    },
    {
      name: 'process killer',
      code: WDM(KILL_HELPER),
      errors: [{ messageId: 'unchecked', line: 19, message: 'ZwTerminateProcess' }],
    },
    {
      name: 'KMDF port write from the request',
      code: KMDF_PORT(),
      errors: [{ messageId: 'unchecked', line: 13, message: 'writes an I/O port chosen by the request' }],
    },
    {
      name: 'check in the other IOCTL case does not count',
      code: WDM(MAP_HELPER(), '', '').replace('    default:\n', '    case IOCTL_OTHER:\n        if (!SeSinglePrivilegeCheck(RtlConvertLongToLuid(SE_TCB_PRIVILEGE), Irp->RequestorMode)) {\n            status = STATUS_PRIVILEGE_NOT_HELD;\n            break;\n        }\n        status = Other(Irp);\n        break;\n    default:\n'),
      errors: [{ messageId: 'unchecked', line: 11 }],
    },
    {
      name: 'registry key named by the request is deleted',
      code: WDM('NTSTATUS\nDoIt(PIRP Irp)\n{\n    PWCHAR path = (PWCHAR)Irp->AssociatedIrp.SystemBuffer;\n    UNICODE_STRING name;\n    OBJECT_ATTRIBUTES attributes;\n    HANDLE key;\n    NTSTATUS status;\n\n    RtlInitUnicodeString(&name, path);\n    InitializeObjectAttributes(&attributes, &name, OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, NULL);\n    status = ZwOpenKey(&key, DELETE, &attributes);\n    if (NT_SUCCESS(status)) {\n        status = ZwDeleteKey(key);\n        ZwClose(key);\n    }\n    return status;\n}'),
      errors: [{ messageId: 'unchecked', line: 18, message: 'ZwDeleteKey' }],
    },
  ],
});
