import { runRuleTests } from '../helpers/rule-tester';

const SIG = 'typedef struct _SIGNAL_REQ { HANDLE EventHandle; PVOID Event; PVOID Buffer; ULONG Flags; } SIGNAL_REQ, *PSIGNAL_REQ;\nPKEVENT g_Event;\n';

const TC = 'typedef VOID (*FunctionPointer)(VOID);\ntypedef struct _USER_TC { ULONG_PTR ObjectID; ULONG_PTR ObjectType; } USER_TC, *PUSER_TC;\ntypedef struct _KERNEL_TC {\n    ULONG_PTR ObjectID;\n    union {\n        ULONG_PTR ObjectType;\n        FunctionPointer Callback;\n    };\n} KERNEL_TC, *PKERNEL_TC;\nstatic VOID Initialize(PKERNEL_TC object) {\n    object->Callback();\n}\n';

runRuleTests('user-type-confusion', {
  valid: [
    {
      name: 'handle resolved with ObReferenceObjectByHandle and the expected type',
      code: `${SIG}NTSTATUS Signal(PIRP Irp) {\n    PSIGNAL_REQ request = (PSIGNAL_REQ)Irp->AssociatedIrp.SystemBuffer;\n    PKEVENT event;\n    NTSTATUS status = ObReferenceObjectByHandle(request->EventHandle, EVENT_MODIFY_STATE, *ExEventObjectType, Irp->RequestorMode, (PVOID *)&event, NULL);\n    if (NT_SUCCESS(status)) {\n        KeSetEvent(event, IO_NO_INCREMENT, FALSE);\n        ObDereferenceObject(event);\n    }\n    return status;\n}`,
    },
    {
      name: 'the driver\'s own event, selected by a user flag',
      code: `${SIG}NTSTATUS Signal(PIRP Irp) {\n    PSIGNAL_REQ request = (PSIGNAL_REQ)Irp->AssociatedIrp.SystemBuffer;\n    if (request->Flags & 1) {\n        KeSetEvent(g_Event, IO_NO_INCREMENT, FALSE);\n    }\n    return STATUS_SUCCESS;\n}`,
    },
    {
      name: 'completing the request itself',
      code: 'VOID EvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode) {\n    PVOID input = NULL;\n    NTSTATUS status = WdfRequestRetrieveInputBuffer(Request, sizeof(ULONG), &input, NULL);\n    WdfRequestComplete(Request, status);\n}',
    },
    {
      name: 'freeing the driver\'s own copy of user data',
      code: `${SIG}NTSTATUS Stash(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    PVOID copy = ExAllocatePool2(POOL_FLAG_PAGED, sizeof(SIGNAL_REQ), 'gsT1');\n    if (copy == NULL) return STATUS_INSUFFICIENT_RESOURCES;\n    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(SIGNAL_REQ)) { ExFreePoolWithTag(copy, 'gsT1'); return STATUS_BUFFER_TOO_SMALL; }\n    RtlCopyMemory(copy, Irp->AssociatedIrp.SystemBuffer, sizeof(SIGNAL_REQ));\n    ExFreePoolWithTag(copy, 'gsT1');\n    return STATUS_SUCCESS;\n}`,
    },
    {
      name: 'union member set from a kernel constant',
      code: `${TC}NTSTATUS Create(PIRP Irp) {\n    PUSER_TC user = (PUSER_TC)Irp->AssociatedIrp.SystemBuffer;\n    PKERNEL_TC object = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(KERNEL_TC), 'cTyT');\n    if (object == NULL) return STATUS_INSUFFICIENT_RESOURCES;\n    object->ObjectID = user->ObjectID;\n    object->Callback = (FunctionPointer)Initialize;\n    Initialize(object);\n    ExFreePoolWithTag(object, 'cTyT');\n    return STATUS_SUCCESS;\n}`,
    },
  ],
  invalid: [
    {
      name: 'event pointer from the request signalled',
      code: `${SIG}NTSTATUS Signal(PIRP Irp) {\n    PSIGNAL_REQ request = (PSIGNAL_REQ)Irp->AssociatedIrp.SystemBuffer;\n    if (request->Event == NULL) return STATUS_INVALID_PARAMETER;\n    KeSetEvent((PKEVENT)request->Event, IO_NO_INCREMENT, FALSE);\n    return STATUS_SUCCESS;\n}`,
      errors: [{ messageId: 'object', line: 6, message: 'KeSetEvent receives `(PKEVENT)request->Event`, a pointer taken from the user\'s buffer (request->Event): user mode chooses the memory the kernel treats as a KEVENT' }],
    },
    {
      name: 'user pointer freed (arbitrary free)',
      code: `${SIG}NTSTATUS Release(PIRP Irp) {\n    PSIGNAL_REQ request = (PSIGNAL_REQ)Irp->AssociatedIrp.SystemBuffer;\n    PVOID buffer = request->Buffer;\n    ExFreePoolWithTag(buffer, 'gsT1');\n    return STATUS_SUCCESS;\n}`,
      errors: [{ messageId: 'object', line: 6, message: 'a kernel object' }],
    },
    {
      name: 'file object pointer through a typed local',
      code: `${SIG}NTSTATUS Detach(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    PSIGNAL_REQ request = (PSIGNAL_REQ)IrpSp->Parameters.DeviceIoControl.Type3InputBuffer;\n    PFILE_OBJECT file;\n    __try {\n        ProbeForRead(request, sizeof(SIGNAL_REQ), __alignof(SIGNAL_REQ));\n        file = (PFILE_OBJECT)request->Event;\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    ObDereferenceObject(file);\n    return STATUS_SUCCESS;\n}`,
      errors: [{ messageId: 'object', line: 12, message: 'a FILE_OBJECT' }],
    },
    {
      name: 'user type tag stored over the callback of a kernel object (HEVD type confusion)',
      code: `${TC}NTSTATUS Create(PIRP Irp) {\n    PUSER_TC user = (PUSER_TC)Irp->AssociatedIrp.SystemBuffer;\n    PKERNEL_TC object = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(KERNEL_TC), 'cTyT');\n    if (object == NULL) return STATUS_INSUFFICIENT_RESOURCES;\n    object->ObjectID = user->ObjectID;\n    object->ObjectType = user->ObjectType;\n    Initialize(object);\n    ExFreePoolWithTag(object, 'cTyT');\n    return STATUS_SUCCESS;\n}`,
      errors: [{ messageId: 'overlay', line: 18, message: 'shares a union with the function pointer `Callback` that is called on line 11' }],
    },
  ],
});
