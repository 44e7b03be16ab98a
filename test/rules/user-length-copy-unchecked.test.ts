import { runRuleTests } from '../helpers/rule-tester';

const HEADER = '#define BUFFER_SIZE 512\n';
const LOOP = (body: string) => `NTSTATUS H(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    ULONG dst[16];\n    PULONG src = (PULONG)Irp->AssociatedIrp.SystemBuffer;\n    ULONG size = IrpSp->Parameters.DeviceIoControl.InputBufferLength;\n    ULONG i = 0;\n${body}\n    return STATUS_SUCCESS;\n}`;

runRuleTests('user-length-copy-unchecked', {
  valid: [
    {
      name: 'length compared with the destination first',
      code: `NTSTATUS H(PIRP Irp, PIO_STACK_LOCATION IrpSp) {
    UCHAR local[64];
    ULONG length = IrpSp->Parameters.DeviceIoControl.InputBufferLength;
    if (length > sizeof(local)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    RtlCopyMemory(local, Irp->AssociatedIrp.SystemBuffer, length);
    return STATUS_SUCCESS;
}`,
    },
    {
      name: 'copy length is sizeof the destination',
      code: `NTSTATUS H(PIRP Irp) {
    UCHAR local[64];
    RtlCopyMemory(local, Irp->AssociatedIrp.SystemBuffer, sizeof(local));
    return STATUS_SUCCESS;
}`,
    },
    {
      name: 'clamped with min()',
      code: `NTSTATUS H(PIRP Irp, PIO_STACK_LOCATION IrpSp) {
    UCHAR local[64];
    ULONG n = min(IrpSp->Parameters.DeviceIoControl.InputBufferLength, sizeof(local));
    memcpy(local, Irp->AssociatedIrp.SystemBuffer, n);
    return STATUS_SUCCESS;
}`,
    },
    {
      name: 'destination of unknown size (a parameter) is not guessed',
      code: `VOID Copy(PUCHAR dst, PIRP Irp, PIO_STACK_LOCATION IrpSp) {
    memcpy(dst, Irp->AssociatedIrp.SystemBuffer, IrpSp->Parameters.DeviceIoControl.InputBufferLength);
}`,
    },
    {
      name: 'guard in the caller covers the callee',
      code: `${HEADER}static VOID Store(PVOID src, ULONG size) {
    UCHAR local[BUFFER_SIZE];
    RtlCopyMemory(local, src, size);
}
NTSTATUS H(PIRP Irp, PIO_STACK_LOCATION IrpSp) {
    ULONG size = IrpSp->Parameters.DeviceIoControl.InputBufferLength;
    if (size > BUFFER_SIZE) return STATUS_INVALID_PARAMETER;
    Store(Irp->AssociatedIrp.SystemBuffer, size);
    return STATUS_SUCCESS;
}`,
    },
    { name: 'copy loop: bound checked against the destination', code: LOOP('    if (size / sizeof(ULONG) > RTL_NUMBER_OF(dst)) {\n        return STATUS_BUFFER_TOO_SMALL;\n    }\n    while (i < size / sizeof(ULONG)) {\n        dst[i] = src[i];\n        i++;\n    }') },
    { name: 'copy loop: the index is also bounded by the destination', code: LOOP('    for (i = 0; i < size / sizeof(ULONG) && i < RTL_NUMBER_OF(dst); i++) {\n        dst[i] = src[i];\n    }') },
    { name: 'copy loop: break at the end of the destination', code: LOOP('    for (i = 0; i < size / sizeof(ULONG); i++) {\n        if (i >= RTL_NUMBER_OF(dst)) break;\n        dst[i] = src[i];\n    }') },
    { name: 'copy loop into a pointer parameter of unknown size', code: 'VOID C(PULONG out, PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    ULONG i;\n    for (i = 0; i < IrpSp->Parameters.DeviceIoControl.InputBufferLength / 4; i++) out[i] = 0;\n}' },
  ],
  invalid: [
    {
      name: 'stack overflow from InputBufferLength',
      code: `NTSTATUS H(PIRP Irp, PIO_STACK_LOCATION IrpSp) {
    UCHAR local[64];
    ULONG length = IrpSp->Parameters.DeviceIoControl.InputBufferLength;
    RtlCopyMemory(local, Irp->AssociatedIrp.SystemBuffer, length);
    return STATUS_SUCCESS;
}`,
      errors: [{ messageId: 'unchecked', line: 4, message: 'InputBufferLength' }],
      suggestionOutput: `NTSTATUS H(PIRP Irp, PIO_STACK_LOCATION IrpSp) {
    UCHAR local[64];
    ULONG length = IrpSp->Parameters.DeviceIoControl.InputBufferLength;
    if (length > sizeof(local)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    RtlCopyMemory(local, Irp->AssociatedIrp.SystemBuffer, length);
    return STATUS_SUCCESS;
}`,
    },
    {
      name: 'size field of the user buffer, through a helper (one-level summary)',
      code: `${HEADER}typedef struct _REQ { ULONG Size; UCHAR Data[1]; } REQ, *PREQ;
static VOID Store(PREQ req) {
    UCHAR local[BUFFER_SIZE];
    memcpy(local, req->Data, req->Size);
}
NTSTATUS H(PIRP Irp) {
    Store((PREQ)Irp->AssociatedIrp.SystemBuffer);
    return STATUS_SUCCESS;
}`,
      errors: [{ messageId: 'unchecked', line: 5, message: '512 bytes' }],
    },
    {
      name: 'pool allocation of fixed size, KMDF length parameter',
      code: `VOID EvtIoWrite(WDFQUEUE Queue, WDFREQUEST Request, size_t Length) {
    PVOID input;
    PUCHAR copy = ExAllocatePool2(POOL_FLAG_NON_PAGED, 128, 'gDvD');
    WdfRequestRetrieveInputBuffer(Request, 1, &input, NULL);
    RtlCopyMemory(copy, input, Length);
}
VOID Setup(WDF_IO_QUEUE_CONFIG *config) { config->EvtIoWrite = EvtIoWrite; }`,
      errors: [{ messageId: 'unchecked', line: 5, message: 'allocation of 128 bytes' }],
      suggestionOutput: `VOID EvtIoWrite(WDFQUEUE Queue, WDFREQUEST Request, size_t Length) {
    PVOID input;
    PUCHAR copy = ExAllocatePool2(POOL_FLAG_NON_PAGED, 128, 'gDvD');
    WdfRequestRetrieveInputBuffer(Request, 1, &input, NULL);
    if (Length > 128) {
        WdfRequestComplete(Request, STATUS_BUFFER_TOO_SMALL); return;
    }
    RtlCopyMemory(copy, input, Length);
}
VOID Setup(WDF_IO_QUEUE_CONFIG *config) { config->EvtIoWrite = EvtIoWrite; }`,
    },
    {
      name: 'guard only in another branch does not count',
      code: `NTSTATUS H(PIRP Irp, PIO_STACK_LOCATION IrpSp, int mode) {
    UCHAR local[64];
    ULONG length = IrpSp->Parameters.DeviceIoControl.InputBufferLength;
    if (mode) {
        if (length > sizeof(local)) return STATUS_BUFFER_TOO_SMALL;
    } else {
        RtlCopyMemory(local, Irp->AssociatedIrp.SystemBuffer, length);
    }
    return STATUS_SUCCESS;
}`,
      errors: [{ messageId: 'unchecked', line: 7 }],
    },
    {
      name: 'while copy loop into a stack array',
      code: LOOP('    while (i < size / sizeof(ULONG)) {\n        dst[i] = src[i];\n        i++;\n    }'),
      errors: [{ messageId: 'loop', line: 7, message: 'up to `size / sizeof(ULONG)`' }],
      suggestionOutput: LOOP('    if (size / sizeof(ULONG) > RTL_NUMBER_OF(dst)) {\n        return STATUS_BUFFER_TOO_SMALL;\n    }\n    while (i < size / sizeof(ULONG)) {\n        dst[i] = src[i];\n        i++;\n    }'),
    },
    {
      name: 'for copy loop bounded by a count field of the request',
      code: 'typedef struct _REQ { ULONG Count; ULONG Values[1]; } REQ, *PREQ;\nNTSTATUS H(PIRP Irp) {\n    PREQ r = (PREQ)Irp->AssociatedIrp.SystemBuffer;\n    ULONG table[8];\n    ULONG i;\n    for (i = 0; i < r->Count; i++) {\n        table[i] = r->Values[i];\n    }\n    return STATUS_SUCCESS;\n}',
      errors: [{ messageId: 'loop', line: 7 }],
    },
  ],
});
