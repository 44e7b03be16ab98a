import { runRuleTests } from '../helpers/rule-tester';

const MSG = 'typedef struct _MESSAGE { ULONG Length; UCHAR Data[1]; } MESSAGE, *PMESSAGE;\nUCHAR g_Data[256];\n';
const HEAD = `${MSG}NTSTATUS Neither(PIRP Irp, PIO_STACK_LOCATION irpSp) {\n    PMESSAGE user = (PMESSAGE)irpSp->Parameters.DeviceIoControl.Type3InputBuffer;\n    ULONG inLen = irpSp->Parameters.DeviceIoControl.InputBufferLength;\n    UCHAR local[64];\n    PUCHAR copy;\n    ULONG length;\n`;

const WIDE = 'typedef struct _STAMP { ULONG Flags; ULONG Sequence; ULONG64 Time; } STAMP, *PSTAMP;\ntypedef struct _POKE64 { PULONG64 Target; ULONG64 Value; } POKE64, *PPOKE64;\n';
const TRY = (body: string) => `    __try {\n${body}    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    return STATUS_SUCCESS;\n}`;

runRuleTests('probe-length-mismatch', {
  valid: [
    { name: 'a pointer field of the buffered request probed for its declared pointee', code: `${WIDE}NTSTATUS H(PIRP Irp) {\n    PPOKE64 in = (PPOKE64)Irp->AssociatedIrp.SystemBuffer;\n${TRY('        ProbeForWrite(in->Target, sizeof(ULONG64), __alignof(ULONG64));\n        *in->Target = in->Value;\n')}` },
    { name: 'probe covers the whole structure before a write of its last field', code: `${WIDE}NTSTATUS H(PIRP Irp) {\n    PSTAMP out = (PSTAMP)Irp->UserBuffer;\n${TRY('        ProbeForWrite(out, sizeof(STAMP), __alignof(STAMP));\n        out->Time = 1;\n        out->Flags = 0;\n')}` },
    { name: 'probe of the pointee size before a ULONG64 write', code: `NTSTATUS H(PIRP Irp) {\n    PULONG64 out = (PULONG64)Irp->UserBuffer;\n${TRY('        ProbeForWrite(out, sizeof(ULONG64), __alignof(ULONG64));\n        *out = 0;\n')}` },
    { name: 'a field inside the probed prefix of a structure', code: `${WIDE}NTSTATUS H(PIRP Irp) {\n    PSTAMP out = (PSTAMP)Irp->UserBuffer;\n${TRY('        ProbeForWrite(out, sizeof(ULONG), __alignof(ULONG));\n        out->Flags = 0;\n')}` },
    { name: 'probe length not a constant: not judged', code: `${WIDE}NTSTATUS H(PIRP Irp, PIO_STACK_LOCATION sp) {\n    PSTAMP out = (PSTAMP)Irp->UserBuffer;\n${TRY('        ProbeForWrite(out, sp->Parameters.DeviceIoControl.OutputBufferLength, 1);\n        out->Time = 1;\n')}` },
    { name: 'structure layout unknown under #pragma pack: not judged', code: `#pragma pack(push, 1)\n${WIDE}#pragma pack(pop)\nNTSTATUS H(PIRP Irp) {\n    PSTAMP out = (PSTAMP)Irp->UserBuffer;\n${TRY('        ProbeForWrite(out, 16, 1);\n        out->Time = 1;\n')}` },
    { name: 'same length probed and copied', code: `${HEAD}    if (inLen > sizeof(local)) return STATUS_INVALID_PARAMETER;\n    __try {\n        ProbeForRead(user, inLen, 1);\n        RtlCopyMemory(local, user, inLen);\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    return STATUS_SUCCESS;\n}` },
    { name: 'probed with the IRP field, copied with its local copy', code: `${HEAD}    if (inLen > sizeof(local)) return STATUS_INVALID_PARAMETER;\n    __try {\n        ProbeForRead(user, irpSp->Parameters.DeviceIoControl.InputBufferLength, 1);\n        RtlCopyMemory(local, user, inLen);\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    return STATUS_SUCCESS;\n}` },
    { name: 'copy length compared with the probed length', code: `${HEAD}    __try {\n        ProbeForRead(user, inLen, 1);\n        length = user->Length;\n        if (length > inLen || length > sizeof(local)) return STATUS_INVALID_PARAMETER;\n        RtlCopyMemory(local, user, length);\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    return STATUS_SUCCESS;\n}` },
    { name: 'probed again with the copy length', code: `${HEAD}    __try {\n        ProbeForRead(user, sizeof(MESSAGE), 1);\n        length = user->Length;\n        copy = ExAllocatePool2(POOL_FLAG_PAGED, length, 'gsM1');\n        if (copy == NULL) return STATUS_INSUFFICIENT_RESOURCES;\n        ProbeForRead(user, length, 1);\n        RtlCopyMemory(copy, user, length);\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    return STATUS_SUCCESS;\n}` },
    { name: 'kernel-chosen copy length', code: `${HEAD}    if (inLen < sizeof(local)) return STATUS_BUFFER_TOO_SMALL;\n    __try {\n        ProbeForRead(user, inLen, 1);\n        RtlCopyMemory(local, user, sizeof(local));\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    return STATUS_SUCCESS;\n}` },
    { name: 'constant probe and a bounded length cannot be compared: not reported', code: `${HEAD}    __try {\n        ProbeForRead(user, sizeof(MESSAGE) + 60, 1);\n        length = user->Length;\n        if (length > 60) return STATUS_INVALID_PARAMETER;\n        RtlCopyMemory(local, user->Data, length);\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    return STATUS_SUCCESS;\n}` },
  ],
  invalid: [
    {
      name: 'a pointer field of the buffered request probed for a ULONG, written as the ULONG64 it is declared as',
      code: `${WIDE}NTSTATUS H(PIRP Irp) {\n    PPOKE64 in = (PPOKE64)Irp->AssociatedIrp.SystemBuffer;\n${TRY('        ProbeForWrite(in->Target, sizeof(ULONG), __alignof(ULONG));\n        *in->Target = in->Value;\n')}`,
      errors: [{ messageId: 'narrow', line: 7, message: '`*in->Target` writes 8 bytes through `in->Target`' }],
    },
    {
      name: 'ProbeForWrite of a ULONG, then a ULONG64 written through the pointer',
      code: `NTSTATUS H(PIRP Irp) {\n    PULONG64 out = (PULONG64)Irp->UserBuffer;\n${TRY('        ProbeForWrite(out, sizeof(ULONG), __alignof(ULONG));\n        *out = 0;\n')}`,
      errors: [{ messageId: 'narrow', line: 5, message: '`*out` writes 8 bytes through `out` (bytes up to 8), but the probe on line 4 covered only `sizeof(ULONG)` (4 bytes)' }],
    },
    {
      name: 'ProbeForWrite of a ULONG, then a field past it written (METHOD_NEITHER)',
      code: `${WIDE}NTSTATUS H(PIRP Irp, PIO_STACK_LOCATION sp) {\n    PSTAMP out = (PSTAMP)sp->Parameters.DeviceIoControl.Type3InputBuffer;\n${TRY('        ProbeForWrite(out, sizeof(ULONG), __alignof(ULONG));\n        out->Time = 1;\n')}`,
      errors: [{ messageId: 'narrow', line: 7, message: '`out->Time` writes 8 bytes through `out` (bytes up to 16)' }],
    },
    {
      name: 'a pointer read from the request probed for a ULONG, written as a ULONG64; a constant copy wider than the probe',
      code: `${WIDE}NTSTATUS H(PIRP Irp) {\n    PPOKE64 in = (PPOKE64)Irp->AssociatedIrp.SystemBuffer;\n    PULONG64 target = in->Target;\n    ULONG64 value = in->Value;\n${TRY('        ProbeForWrite(target, sizeof(ULONG), __alignof(ULONG));\n        *target = value;\n        RtlCopyMemory(target, &value, sizeof(value));\n')}`,
      errors: [{ messageId: 'narrow', line: 9, message: '`*target` writes 8 bytes' }, { messageId: 'narrow', line: 10, message: 'RtlCopyMemory' }],
    },
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
