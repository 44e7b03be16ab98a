import { runRuleTests } from '../helpers/rule-tester';

const REQ = 'typedef struct _REQ { ULONG Mode; ULONG Size; } REQ, *PREQ;\nULONG g_Mode;\nDRIVER_DISPATCH DispatchIoctl;\n';

runRuleTests('probe-outside-try', {
  valid: [
    {
      name: 'the try/except macros with a #pragma line between the block and except',
      code: `${REQ}NTSTATUS DispatchIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);\n    PREQ request = (PREQ)irpSp->Parameters.DeviceIoControl.Type3InputBuffer;\n    NTSTATUS status = STATUS_SUCCESS;\n    try\n                    {\n        ProbeForRead(request, sizeof(REQ), __alignof(REQ));\n        g_Mode = request->Mode;\n    }\n    #pragma warning(suppress: 6320) // the handler takes every exception on purpose\n    except (EXCEPTION_EXECUTE_HANDLER) {\n        status = GetExceptionCode();\n    }\n    return status;\n}`,
    },
    {
      name: 'probe and accesses inside __try/__except',
      code: `${REQ}NTSTATUS DispatchIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);\n    PREQ request = (PREQ)irpSp->Parameters.DeviceIoControl.Type3InputBuffer;\n    NTSTATUS status = STATUS_SUCCESS;\n    __try {\n        ProbeForRead(request, sizeof(REQ), __alignof(REQ));\n        g_Mode = request->Mode;\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        status = GetExceptionCode();\n    }\n    return status;\n}`,
    },
    {
      name: 'helper called only inside the caller\'s __try',
      code: `${REQ}static VOID ValidateRequest(PREQ request) {\n    ProbeForRead(request, sizeof(REQ), __alignof(REQ));\n}\nNTSTATUS DispatchIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);\n    PREQ request = (PREQ)irpSp->Parameters.DeviceIoControl.Type3InputBuffer;\n    __try {\n        ValidateRequest(request);\n        g_Mode = request->Mode;\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    return STATUS_SUCCESS;\n}`,
    },
    {
      name: '__try/__finally nested in __try/__except',
      code: `${REQ}NTSTATUS DispatchIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);\n    PREQ request = (PREQ)irpSp->Parameters.DeviceIoControl.Type3InputBuffer;\n    __try {\n        __try {\n            ProbeForRead(request, sizeof(REQ), __alignof(REQ));\n            g_Mode = request->Mode;\n        } __finally {\n            g_Mode |= 1;\n        }\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    return STATUS_SUCCESS;\n}`,
    },
    {
      name: 'kernel copies (METHOD_BUFFERED) need no __try',
      code: `${REQ}NTSTATUS DispatchIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);\n    PREQ request = (PREQ)Irp->AssociatedIrp.SystemBuffer;\n    if (irpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(REQ)) return STATUS_BUFFER_TOO_SMALL;\n    g_Mode = request->Mode;\n    return STATUS_SUCCESS;\n}`,
    },
    {
      name: 'WDK try/except macro spelling (the ioctl sample)',
      code: `${REQ}NTSTATUS DispatchIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);\n    PVOID inBuf = irpSp->Parameters.DeviceIoControl.Type3InputBuffer;\n    ULONG inBufLength = irpSp->Parameters.DeviceIoControl.InputBufferLength;\n    NTSTATUS ntStatus = STATUS_SUCCESS;\n    try {\n        ProbeForRead(inBuf, inBufLength, sizeof(UCHAR));\n        g_Mode = *(PULONG)inBuf;\n    } except(EXCEPTION_EXECUTE_HANDLER) {\n        ntStatus = GetExceptionCode();\n    }\n    return ntStatus;\n}`,
    },
    {
      name: 'kernel-mode callers read directly in the else branch',
      code: `${REQ}NTSTATUS DispatchIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);\n    PREQ request = (PREQ)irpSp->Parameters.DeviceIoControl.Type3InputBuffer;\n    REQ local;\n    if (Irp->RequestorMode != KernelMode) {\n        __try {\n            ProbeForRead(request, sizeof(REQ), __alignof(REQ));\n            local = *request;\n        } __except (EXCEPTION_EXECUTE_HANDLER) {\n            return GetExceptionCode();\n        }\n    } else {\n        local = *request;\n    }\n    g_Mode = local.Mode;\n    return STATUS_SUCCESS;\n}`,
    },
    {
      name: 'an unprobed access is user-pointer-unprobed\'s finding, not this rule\'s',
      code: `${REQ}NTSTATUS DispatchIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);\n    PREQ request = (PREQ)irpSp->Parameters.DeviceIoControl.Type3InputBuffer;\n    g_Mode = request->Mode;\n    return STATUS_SUCCESS;\n}`,
    },
    {
      name: 'a pointer read from the buffered request, probed and written inside one __try',
      code: 'typedef struct _STORE { PULONG Target; ULONG Value; } STORE, *PSTORE;\nNTSTATUS H(PIRP Irp) {\n    PSTORE in = (PSTORE)Irp->AssociatedIrp.SystemBuffer;\n    __try {\n        ProbeForWrite(in->Target, sizeof(ULONG), 4);\n        *in->Target = in->Value;\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    return 0;\n}',
    },
  ],
  invalid: [
    {
      name: 'a pointer field of the buffered request probed inside __try, written through after it (no local holds it)',
      code: 'typedef struct _WWW { PULONG_PTR What; PULONG_PTR Where; } WWW, *PWWW;\nNTSTATUS H(PIRP Irp) {\n    PWWW r = (PWWW)Irp->AssociatedIrp.SystemBuffer;\n    __try {\n        ProbeForWrite(r->Where, sizeof(ULONG_PTR), 8);\n    } __except (EXCEPTION_EXECUTE_HANDLER) { return GetExceptionCode(); }\n    *r->Where = 0;\n    return 0;\n}',
      errors: [{ messageId: 'access', line: 7, message: 'probed on line 5' }],
      output: 'typedef struct _WWW { PULONG_PTR What; PULONG_PTR Where; } WWW, *PWWW;\nNTSTATUS H(PIRP Irp) {\n    PWWW r = (PWWW)Irp->AssociatedIrp.SystemBuffer;\n    __try {\n        ProbeForWrite(r->Where, sizeof(ULONG_PTR), 8);\n    } __except (EXCEPTION_EXECUTE_HANDLER) { return GetExceptionCode(); }\n    __try {\n        *r->Where = 0;\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    return 0;\n}',
    },
    {
      name: 'probe and access with no __try at all',
      code: `${REQ}NTSTATUS DispatchIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);\n    PREQ request = (PREQ)irpSp->Parameters.DeviceIoControl.Type3InputBuffer;\n    ProbeForRead(request, sizeof(REQ), __alignof(REQ));\n    g_Mode = request->Mode;\n    Irp->IoStatus.Information = 0;\n    return STATUS_SUCCESS;\n}`,
      errors: [{ messageId: 'probe', line: 7, message: 'ProbeForRead(request, sizeof(REQ), __alignof(REQ))' }],
      output: `${REQ}NTSTATUS DispatchIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);\n    PREQ request = (PREQ)irpSp->Parameters.DeviceIoControl.Type3InputBuffer;\n    __try {\n        ProbeForRead(request, sizeof(REQ), __alignof(REQ));\n        g_Mode = request->Mode;\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    Irp->IoStatus.Information = 0;\n    return STATUS_SUCCESS;\n}`,
    },
    {
      name: 'user pointer used after the __try ends',
      code: `${REQ}NTSTATUS DispatchIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);\n    PREQ request = (PREQ)irpSp->Parameters.DeviceIoControl.Type3InputBuffer;\n    __try {\n        ProbeForWrite(request, sizeof(REQ), __alignof(REQ));\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    request->Mode = g_Mode;\n    return STATUS_SUCCESS;\n}`,
      errors: [{ messageId: 'access', line: 12, message: 'probed on line 8' }],
      output: `${REQ}NTSTATUS DispatchIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);\n    PREQ request = (PREQ)irpSp->Parameters.DeviceIoControl.Type3InputBuffer;\n    __try {\n        ProbeForWrite(request, sizeof(REQ), __alignof(REQ));\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    __try {\n        request->Mode = g_Mode;\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    return STATUS_SUCCESS;\n}`,
    },
    {
      name: '__try/__finally does not handle the exception',
      code: `${REQ}NTSTATUS DispatchIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);\n    PVOID user = Irp->UserBuffer;\n    __try {\n        ProbeForWrite(user, irpSp->Parameters.DeviceIoControl.OutputBufferLength, 1);\n        RtlZeroMemory(user, irpSp->Parameters.DeviceIoControl.OutputBufferLength);\n    } __finally {\n        Irp->IoStatus.Information = 0;\n    }\n    return STATUS_SUCCESS;\n}`,
      errors: [{ messageId: 'probe', line: 8 }],
      output: `${REQ}NTSTATUS DispatchIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);\n    PVOID user = Irp->UserBuffer;\n    __try {\n        __try {\n            ProbeForWrite(user, irpSp->Parameters.DeviceIoControl.OutputBufferLength, 1);\n            RtlZeroMemory(user, irpSp->Parameters.DeviceIoControl.OutputBufferLength);\n        } __except (EXCEPTION_EXECUTE_HANDLER) {\n            return GetExceptionCode();\n        }\n    } __finally {\n        Irp->IoStatus.Information = 0;\n    }\n    return STATUS_SUCCESS;\n}`,
    },
    {
      name: 'MmProbeAndLockPages of a user buffer MDL in a helper called outside __try',
      code: 'static NTSTATUS LockUser(PMDL mdl) {\n    MmProbeAndLockPages(mdl, UserMode, IoWriteAccess);\n    return STATUS_SUCCESS;\n}\nDRIVER_DISPATCH DispatchWrite;\nNTSTATUS DispatchWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    NTSTATUS status;\n    PMDL mdl = IoAllocateMdl(Irp->UserBuffer, 64, FALSE, FALSE, NULL);\n    if (mdl == NULL) return STATUS_INSUFFICIENT_RESOURCES;\n    status = LockUser(mdl);\n    return status;\n}',
      errors: [{ messageId: 'probe', line: 2, message: 'MmProbeAndLockPages' }],
      output: 'static NTSTATUS LockUser(PMDL mdl) {\n    __try {\n        MmProbeAndLockPages(mdl, UserMode, IoWriteAccess);\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    return STATUS_SUCCESS;\n}\nDRIVER_DISPATCH DispatchWrite;\nNTSTATUS DispatchWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    NTSTATUS status;\n    PMDL mdl = IoAllocateMdl(Irp->UserBuffer, 64, FALSE, FALSE, NULL);\n    if (mdl == NULL) return STATUS_INSUFFICIENT_RESOURCES;\n    status = LockUser(mdl);\n    return status;\n}',
    },
    {
      name: 'no automatic wrap when a declaration would move into the __try scope',
      code: `${REQ}NTSTATUS DispatchIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);\n    PREQ request = (PREQ)irpSp->Parameters.DeviceIoControl.Type3InputBuffer;\n    ProbeForRead(request, sizeof(REQ), __alignof(REQ));\n    ULONG mode = request->Mode;\n    g_Mode = mode;\n    return STATUS_SUCCESS;\n}`,
      errors: [{ messageId: 'probe', line: 7 }],
    },
    {
      name: 'a pointer read from the buffered request, probed inside __try and written after it',
      code: 'typedef struct _STORE { PULONG Target; ULONG Value; } STORE, *PSTORE;\nNTSTATUS H(PIRP Irp) {\n    PSTORE in = (PSTORE)Irp->AssociatedIrp.SystemBuffer;\n    PULONG target = in->Target;\n    __try {\n        ProbeForWrite(target, sizeof(ULONG), 4);\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    *target = in->Value;\n    return 0;\n}',
      errors: [{ messageId: 'access', line: 10, message: '`*target`' }],
      output: 'typedef struct _STORE { PULONG Target; ULONG Value; } STORE, *PSTORE;\nNTSTATUS H(PIRP Irp) {\n    PSTORE in = (PSTORE)Irp->AssociatedIrp.SystemBuffer;\n    PULONG target = in->Target;\n    __try {\n        ProbeForWrite(target, sizeof(ULONG), 4);\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    __try {\n        *target = in->Value;\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    return 0;\n}',
    },
  ],
});
