import { runRuleTests } from '../helpers/rule-tester';

const HEADER = '#define BUFFER_SIZE 512\n';

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
  ],
});
