import { runRuleTests } from '../helpers/rule-tester';

const REQ = 'typedef struct _KILL_REQUEST { ULONG ProcessId; } KILL_REQUEST, *PKILL_REQUEST;\n';

const KILL = (check: string, access = 'PROCESS_TERMINATE') => `${REQ}NTSTATUS KillProcess(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PKILL_REQUEST request = (PKILL_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    CLIENT_ID client = { 0 };
    OBJECT_ATTRIBUTES attributes;
    HANDLE process;
    NTSTATUS status;
${check}    client.UniqueProcess = (HANDLE)(ULONG_PTR)request->ProcessId;
    InitializeObjectAttributes(&attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    status = ZwOpenProcess(&process, ${access}, &attributes, &client);
    if (NT_SUCCESS(status)) {
        status = ZwTerminateProcess(process, STATUS_SUCCESS);
        ZwClose(process);
    }
    return status;
}`;

const BY_POINTER = (mode: string) => `${REQ}NTSTATUS OpenForCaller(PIRP Irp) {
    PKILL_REQUEST request = (PKILL_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    PEPROCESS process;
    HANDLE handle;
    NTSTATUS status = PsLookupProcessByProcessId((HANDLE)(ULONG_PTR)request->ProcessId, &process);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    status = ObOpenObjectByPointer(process, OBJ_KERNEL_HANDLE, NULL, PROCESS_ALL_ACCESS, *PsProcessType, ${mode}, &handle);
    ObDereferenceObject(process);
    if (NT_SUCCESS(status)) {
        status = ZwSuspendProcess(handle);
        ZwClose(handle);
    }
    return status;
}`;

runRuleTests('user-process-control', {
  valid: [
    {
      name: 'SeDebugPrivilege checked first',
      code: KILL('    if (!SeSinglePrivilegeCheck(RtlConvertLongToLuid(SE_DEBUG_PRIVILEGE), Irp->RequestorMode)) {\n        return STATUS_PRIVILEGE_NOT_HELD;\n    }\n'),
    },
    {
      name: 'only kernel-mode requestors',
      code: KILL('    if (Irp->RequestorMode != KernelMode) {\n        return STATUS_ACCESS_DENIED;\n    }\n'),
    },
    { name: 'open with the requestor mode', code: BY_POINTER('Irp->RequestorMode') },
    {
      name: 'query-only open',
      code: `${REQ}NTSTATUS QueryImage(PIRP Irp) {\n    PKILL_REQUEST request = (PKILL_REQUEST)Irp->AssociatedIrp.SystemBuffer;\n    CLIENT_ID client = { 0 };\n    OBJECT_ATTRIBUTES attributes;\n    HANDLE process;\n    client.UniqueProcess = (HANDLE)(ULONG_PTR)request->ProcessId;\n    InitializeObjectAttributes(&attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);\n    NTSTATUS status = ZwOpenProcess(&process, PROCESS_QUERY_LIMITED_INFORMATION, &attributes, &client);\n    if (NT_SUCCESS(status)) {\n        status = QueryImageName(process, Irp);\n        ZwClose(process);\n    }\n    return status;\n}`,
    },
    {
      name: 'policy decision in a process-notify callback (no user input)',
      code: 'VOID OnProcessCreate(HANDLE ParentId, HANDLE ProcessId, BOOLEAN Create) {\n    CLIENT_ID client = { 0 };\n    OBJECT_ATTRIBUTES attributes;\n    HANDLE process;\n    if (!Create || !IsBlocked(ProcessId)) return;\n    client.UniqueProcess = ProcessId;\n    InitializeObjectAttributes(&attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);\n    if (NT_SUCCESS(ZwOpenProcess(&process, PROCESS_TERMINATE, &attributes, &client))) {\n        ZwTerminateProcess(process, STATUS_ACCESS_DENIED);\n        ZwClose(process);\n    }\n}',
    },
    {
      name: 'helper whose only caller checks the privilege',
      code: `${REQ}static NTSTATUS Terminate(HANDLE Pid) {\n    CLIENT_ID client = { 0 };\n    OBJECT_ATTRIBUTES attributes;\n    HANDLE process;\n    client.UniqueProcess = Pid;\n    InitializeObjectAttributes(&attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);\n    NTSTATUS status = ZwOpenProcess(&process, PROCESS_TERMINATE, &attributes, &client);\n    if (NT_SUCCESS(status)) { ZwTerminateProcess(process, 0); ZwClose(process); }\n    return status;\n}\nNTSTATUS Dispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PKILL_REQUEST request = (PKILL_REQUEST)Irp->AssociatedIrp.SystemBuffer;\n    if (!SeSinglePrivilegeCheck(RtlConvertLongToLuid(SE_DEBUG_PRIVILEGE), Irp->RequestorMode)) return STATUS_PRIVILEGE_NOT_HELD;\n    return Terminate((HANDLE)(ULONG_PTR)request->ProcessId);\n}`,
    },
  ],
  invalid: [
    {
      name: 'process killer by PID',
      code: KILL(''),
      errors: [{ messageId: 'open', line: 10, message: 'ZwOpenProcess opens the process `client`' }],
    },
    {
      name: 'query access, then terminated anyway',
      code: KILL('', 'PROCESS_QUERY_LIMITED_INFORMATION'),
      errors: [{ messageId: 'open', line: 10, message: 'that it then terminates' }],
    },
    {
      name: 'PsLookupProcessByProcessId then ObOpenObjectByPointer with KernelMode',
      code: BY_POINTER('KernelMode'),
      errors: [{ messageId: 'open', line: 10, message: 'PROCESS_ALL_ACCESS' }],
    },
    {
      name: 'KMDF: terminate a handle passed in the request',
      code: 'VOID EvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode) {\n    PHANDLE handle;\n    NTSTATUS status = WdfRequestRetrieveInputBuffer(Request, sizeof(HANDLE), (PVOID *)&handle, NULL);\n    if (NT_SUCCESS(status)) {\n        status = ZwTerminateProcess(*handle, STATUS_SUCCESS);\n    }\n    WdfRequestComplete(Request, status);\n}',
      errors: [{ messageId: 'terminate', line: 5, message: '`*handle`' }],
    },
  ],
});
