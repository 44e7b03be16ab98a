import { runRuleTests } from '../helpers/rule-tester';

const REQ = 'typedef struct _REQ { ULONG Mode; ULONG Size; } REQ, *PREQ;\nULONG g_Mode;\n';

runRuleTests('user-pointer-unprobed', {
  valid: [
    {
      name: 'a request-context field named Type3InputBuffer holds the driver\'s own pool buffer',
      code: 'typedef struct _RING_CTX { PVOID Type3InputBuffer; } RING_CTX, *PRING_CTX;\nVOID MoveInto(PRING_CTX Ctx, PUCHAR From, ULONG Count) {\n    PUCHAR target = Ctx->Type3InputBuffer;\n    RtlMoveMemory(target, From, Count);\n}',
    },
    {
      name: 'HID minidriver request: Irp->UserBuffer is the HID_XFER_PACKET HIDCLASS built in kernel memory',
      code: 'NTSTATUS TakePacket(WDFREQUEST Request, PHID_XFER_PACKET Packet) {\n    PIRP irp = WdfRequestWdmGetIrp(Request);\n    RtlCopyMemory(Packet, irp->UserBuffer, sizeof(HID_XFER_PACKET));\n    return STATUS_SUCCESS;\n}',
    },
    {
      name: 'probed inside __try before the access',
      code: `${REQ}NTSTATUS H(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    PREQ request = (PREQ)IrpSp->Parameters.DeviceIoControl.Type3InputBuffer;\n    __try {\n        ProbeForRead(request, sizeof(REQ), __alignof(REQ));\n        g_Mode = request->Mode;\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    return STATUS_SUCCESS;\n}`,
    },
    {
      name: 'METHOD_BUFFERED SystemBuffer is kernel memory',
      code: `${REQ}NTSTATUS H(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    PREQ request = (PREQ)Irp->AssociatedIrp.SystemBuffer;\n    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(REQ)) return STATUS_BUFFER_TOO_SMALL;\n    g_Mode = request->Mode;\n    return STATUS_SUCCESS;\n}`,
    },
    {
      name: 'only compared and measured, never dereferenced',
      code: `${REQ}NTSTATUS H(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    PREQ request = (PREQ)IrpSp->Parameters.DeviceIoControl.Type3InputBuffer;\n    if (request == NULL || IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(*request)) {\n        return STATUS_INVALID_PARAMETER;\n    }\n    return STATUS_SUCCESS;\n}`,
    },
    {
      name: 'kernel-mode callers only',
      code: `${REQ}NTSTATUS H(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    PREQ request = (PREQ)IrpSp->Parameters.DeviceIoControl.Type3InputBuffer;\n    if (Irp->RequestorMode == KernelMode) {\n        g_Mode = request->Mode;\n    }\n    return STATUS_SUCCESS;\n}`,
    },
    {
      name: 'KMDF unsafe buffer probed and locked',
      code: 'VOID EvtIoInCallerContext(WDFDEVICE Device, WDFREQUEST Request) {\n    PVOID user = NULL;\n    size_t length = 0;\n    WDFMEMORY memory;\n    WdfRequestRetrieveUnsafeUserInputBuffer(Request, 0, &user, &length);\n    WdfRequestProbeAndLockUserBufferForRead(Request, user, length, &memory);\n    RtlCopyMemory(g_Copy, user, 4);\n}',
    },
    {
      name: 'a pointer field read from a user buffer is embedded-user-pointer\'s',
      code: 'typedef struct _W { PULONG Where; } W, *PW;\nNTSTATUS H(PIRP Irp) {\n    PW w = (PW)Irp->AssociatedIrp.SystemBuffer;\n    *(w->Where) = 0;\n    return 0;\n}',
    },
    {
      name: 'internal IOCTL from the keyboard class driver: Type3InputBuffer is a kernel pointer',
      code: 'typedef struct _CONNECT_DATA { PDEVICE_OBJECT ClassDeviceObject; PVOID ClassService; } CONNECT_DATA, *PCONNECT_DATA;\nCONNECT_DATA g_Upper;\nNTSTATUS FilterInternalIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PIO_STACK_LOCATION irpStack = IoGetCurrentIrpStackLocation(Irp);\n    PCONNECT_DATA connectData;\n    switch (irpStack->Parameters.DeviceIoControl.IoControlCode) {\n    case IOCTL_INTERNAL_KEYBOARD_CONNECT:\n        connectData = (PCONNECT_DATA)irpStack->Parameters.DeviceIoControl.Type3InputBuffer;\n        g_Upper = *connectData;\n        break;\n    }\n    return STATUS_SUCCESS;\n}',
    },
    {
      name: 'IRP_MJ_INTERNAL_DEVICE_CONTROL dispatch routine',
      code: `${REQ}NTSTATUS InternalIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);\n    PREQ request = (PREQ)irpSp->Parameters.DeviceIoControl.Type3InputBuffer;\n    g_Mode = request->Mode;\n    return STATUS_SUCCESS;\n}\nNTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {\n    DriverObject->MajorFunction[IRP_MJ_INTERNAL_DEVICE_CONTROL] = InternalIoctl;\n    return STATUS_SUCCESS;\n}`,
    },
  ],
  invalid: [
    {
      name: 'METHOD_NEITHER input read without a probe',
      code: `${REQ}NTSTATUS H(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    PREQ request = (PREQ)IrpSp->Parameters.DeviceIoControl.Type3InputBuffer;\n    g_Mode = request->Mode;\n    return STATUS_SUCCESS;\n}`,
      errors: [{ messageId: 'read', line: 5, message: '`request->Mode` reads through `request` (Type3InputBuffer' }],
      suggestionOutput: `${REQ}NTSTATUS H(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    PREQ request = (PREQ)IrpSp->Parameters.DeviceIoControl.Type3InputBuffer;\n    __try {\n        ProbeForRead(request, sizeof(*request), 1);\n        g_Mode = request->Mode;\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    return STATUS_SUCCESS;\n}`,
    },
    {
      name: 'Irp->UserBuffer written by a copy, reported once per pointer',
      code: 'NTSTATUS H(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    UCHAR reply[16] = { 0 };\n    PVOID out = Irp->UserBuffer;\n    RtlCopyMemory(out, reply, sizeof(reply));\n    ((PUCHAR)out)[0] = 1;\n    Irp->IoStatus.Information = sizeof(reply);\n    return STATUS_SUCCESS;\n}',
      errors: [{ messageId: 'write', line: 4, message: 'RtlCopyMemory(out, reply, sizeof(reply))' }],
      suggestionOutput: 'NTSTATUS H(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    UCHAR reply[16] = { 0 };\n    PVOID out = Irp->UserBuffer;\n    __try {\n        ProbeForWrite(out, sizeof(reply), 1);\n        RtlCopyMemory(out, reply, sizeof(reply));\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    ((PUCHAR)out)[0] = 1;\n    Irp->IoStatus.Information = sizeof(reply);\n    return STATUS_SUCCESS;\n}',
    },
    {
      name: 'KMDF unsafe user buffer in a VOID callback',
      code: 'ULONG g_Value;\nVOID EvtIoInCallerContext(WDFDEVICE Device, WDFREQUEST Request) {\n    PULONG user = NULL;\n    size_t length = 0;\n    WdfRequestRetrieveUnsafeUserInputBuffer(Request, sizeof(ULONG), (PVOID *)&user, &length);\n    g_Value = *user;\n    WdfRequestComplete(Request, STATUS_SUCCESS);\n}',
      errors: [{ messageId: 'read', line: 6, message: 'unsafe user input buffer' }],
      suggestionOutput: 'ULONG g_Value;\nVOID EvtIoInCallerContext(WDFDEVICE Device, WDFREQUEST Request) {\n    PULONG user = NULL;\n    size_t length = 0;\n    WdfRequestRetrieveUnsafeUserInputBuffer(Request, sizeof(ULONG), (PVOID *)&user, &length);\n    __try {\n        ProbeForRead(user, sizeof(*user), 1);\n        g_Value = *user;\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        WdfRequestComplete(Request, GetExceptionCode()); return;\n    }\n    WdfRequestComplete(Request, STATUS_SUCCESS);\n}',
    },
  ],
});
