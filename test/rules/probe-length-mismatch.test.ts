import { runRuleTests } from '../helpers/rule-tester';

const MSG = 'typedef struct _MESSAGE { ULONG Length; UCHAR Data[1]; } MESSAGE, *PMESSAGE;\nUCHAR g_Data[256];\n';
const HEAD = `${MSG}NTSTATUS Neither(PIRP Irp, PIO_STACK_LOCATION irpSp) {\n    PMESSAGE user = (PMESSAGE)irpSp->Parameters.DeviceIoControl.Type3InputBuffer;\n    ULONG inLen = irpSp->Parameters.DeviceIoControl.InputBufferLength;\n    UCHAR local[64];\n    PUCHAR copy;\n    ULONG length;\n`;

runRuleTests('probe-length-mismatch', {
  valid: [
    { name: 'same length probed and copied', code: `${HEAD}    if (inLen > sizeof(local)) return STATUS_INVALID_PARAMETER;\n    __try {\n        ProbeForRead(user, inLen, 1);\n        RtlCopyMemory(local, user, inLen);\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    return STATUS_SUCCESS;\n}` },
    { name: 'probed with the IRP field, copied with its local copy', code: `${HEAD}    if (inLen > sizeof(local)) return STATUS_INVALID_PARAMETER;\n    __try {\n        ProbeForRead(user, irpSp->Parameters.DeviceIoControl.InputBufferLength, 1);\n        RtlCopyMemory(local, user, inLen);\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    return STATUS_SUCCESS;\n}` },
    { name: 'copy length compared with the probed length', code: `${HEAD}    __try {\n        ProbeForRead(user, inLen, 1);\n        length = user->Length;\n        if (length > inLen || length > sizeof(local)) return STATUS_INVALID_PARAMETER;\n        RtlCopyMemory(local, user, length);\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    return STATUS_SUCCESS;\n}` },
    { name: 'probed again with the copy length', code: `${HEAD}    __try {\n        ProbeForRead(user, sizeof(MESSAGE), 1);\n        length = user->Length;\n        copy = ExAllocatePool2(POOL_FLAG_PAGED, length, 'gsM1');\n        if (copy == NULL) return STATUS_INSUFFICIENT_RESOURCES;\n        ProbeForRead(user, length, 1);\n        RtlCopyMemory(copy, user, length);\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    return STATUS_SUCCESS;\n}` },
    { name: 'kernel-chosen copy length', code: `${HEAD}    if (inLen < sizeof(local)) return STATUS_BUFFER_TOO_SMALL;\n    __try {\n        ProbeForRead(user, inLen, 1);\n        RtlCopyMemory(local, user, sizeof(local));\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    return STATUS_SUCCESS;\n}` },
    { name: 'constant probe and a bounded length cannot be compared: not reported', code: `${HEAD}    __try {\n        ProbeForRead(user, sizeof(MESSAGE) + 60, 1);\n        length = user->Length;\n        if (length > 60) return STATUS_INVALID_PARAMETER;\n        RtlCopyMemory(local, user->Data, length);\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    return STATUS_SUCCESS;\n}` },
  ],
  invalid: [
    {
      name: 'header probed, copy length read from the header',
      code: `${HEAD}    __try {\n        ProbeForRead(user, sizeof(MESSAGE), 1);\n        length = user->Length;\n        copy = ExAllocatePool2(POOL_FLAG_PAGED, length, 'gsM1');\n        if (copy == NULL) return STATUS_INSUFFICIENT_RESOURCES;\n        RtlCopyMemory(copy, user, length);\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    return STATUS_SUCCESS;\n}`,
      errors: [{ messageId: 'mismatch', line: 14, message: 'RtlCopyMemory copies `length` bytes (from user->Length, user-controlled) from `user`, but the probe on line 10 covered only `sizeof(MESSAGE)` bytes' }],
      suggestionOutput: `${HEAD}    __try {\n        ProbeForRead(user, sizeof(MESSAGE), 1);\n        length = user->Length;\n        copy = ExAllocatePool2(POOL_FLAG_PAGED, length, 'gsM1');\n        if (copy == NULL) return STATUS_INSUFFICIENT_RESOURCES;\n        ProbeForRead(user, length, 1);\n        RtlCopyMemory(copy, user, length);\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    return STATUS_SUCCESS;\n}`,
    },
    {
      name: 'output probed for its length, written with a size from the input',
      code: `${HEAD}    PVOID out = Irp->UserBuffer;\n    ULONG outLen = irpSp->Parameters.DeviceIoControl.OutputBufferLength;\n    __try {\n        ProbeForRead(user, sizeof(MESSAGE), 1);\n        ProbeForWrite(out, outLen, 1);\n        length = user->Length;\n        if (length > sizeof(g_Data)) return STATUS_INVALID_PARAMETER;\n        RtlCopyMemory(out, g_Data, length);\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    return STATUS_SUCCESS;\n}`,
      errors: [{ messageId: 'mismatch', line: 16, message: 'to `out`' }],
      suggestionOutput: `${HEAD}    PVOID out = Irp->UserBuffer;\n    ULONG outLen = irpSp->Parameters.DeviceIoControl.OutputBufferLength;\n    __try {\n        ProbeForRead(user, sizeof(MESSAGE), 1);\n        ProbeForWrite(out, outLen, 1);\n        length = user->Length;\n        if (length > sizeof(g_Data)) return STATUS_INVALID_PARAMETER;\n        ProbeForWrite(out, length, 1);\n        RtlCopyMemory(out, g_Data, length);\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    return STATUS_SUCCESS;\n}`,
    },
  ],
});
