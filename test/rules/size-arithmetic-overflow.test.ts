import { runRuleTests } from '../helpers/rule-tester';

const REQ = 'typedef struct _REQ { ULONG Size; ULONG Count; UCHAR Data[1]; } REQ, *PREQ;\n#define HEADER 8\n';
const HEAD = `${REQ}NTSTATUS H(PIRP Irp) {\n    PREQ r = (PREQ)Irp->AssociatedIrp.SystemBuffer;\n    UCHAR local[64];\n    ULONG size = r->Size;\n`;
const STACK = `${REQ}NTSTATUS H(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    PREQ r = (PREQ)Irp->AssociatedIrp.SystemBuffer;\n    ULONG length = IrpSp->Parameters.DeviceIoControl.InputBufferLength;\n    PUCHAR copy;\n    ULONG bytes;\n`;
const KMDF = 'typedef struct _BATCH { ULONG Count; ULONG RecordSize; UCHAR Records[1]; } BATCH, *PBATCH;\n#define BATCH_HEADER 8\n'
  + 'VOID EvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode) {\n'
  + '    WDF_IO_QUEUE_CONFIG config;\n    WdfIoQueueCreate(NULL, &config, NULL, NULL);\n}\n';

runRuleTests('size-arithmetic-overflow', {
  valid: [
    { name: 'a length field of the output the handler just wrote itself', code: 'typedef struct _NAME_OUT { USHORT NameLength; WCHAR Name[1]; } NAME_OUT, *PNAME_OUT;\nNTSTATUS Q(PDEVICE_EXTENSION Ext, PIRP Irp, PIO_STACK_LOCATION Sp) {\n    PNAME_OUT out = Irp->AssociatedIrp.SystemBuffer;\n    out->NameLength = Ext->LinkName.Length;\n    if (Sp->Parameters.DeviceIoControl.OutputBufferLength < sizeof(USHORT) + out->NameLength) {\n        return STATUS_BUFFER_OVERFLOW;\n    }\n    RtlCopyMemory(out->Name, Ext->LinkName.Buffer, out->NameLength);\n    return 0;\n}' },
    { name: 'RtlULongAdd', code: `${HEAD}    ULONG total;\n    if (!NT_SUCCESS(RtlULongAdd(size, HEADER, &total)) || total > sizeof(local)) return STATUS_INVALID_PARAMETER;\n    return 0;\n}` },
    { name: 'bounded before the sum', code: `${HEAD}    if (size > sizeof(local)) return STATUS_INVALID_PARAMETER;\n    if (size + HEADER > sizeof(local)) return STATUS_INVALID_PARAMETER;\n    return 0;\n}` },
    { name: 'range check written the safe way round', code: `${HEAD}    if (size > sizeof(local) - HEADER) return STATUS_INVALID_PARAMETER;\n    RtlCopyMemory(local, r->Data, size + HEADER);\n    return 0;\n}` },
    { name: 'constant arithmetic', code: 'PVOID A(VOID) { return ExAllocatePool2(POOL_FLAG_PAGED, 16 * sizeof(ULONG), 1); }' },
    { name: 'stored product after a division bound on the count', code: `${STACK}    if (r->Count > MAXULONG / sizeof(ULONG64)) return STATUS_INVALID_PARAMETER;\n    bytes = r->Count * sizeof(ULONG64);\n    copy = ExAllocatePool2(POOL_FLAG_PAGED, bytes, 'x');\n    return copy ? 0 : 1;\n}` },
    { name: 'stored sum checked against its operand', code: `${STACK}    bytes = r->Size + HEADER;\n    if (bytes < r->Size) return STATUS_INTEGER_OVERFLOW;\n    copy = ExAllocatePool2(POOL_FLAG_PAGED, bytes, 'x');\n    return copy ? 0 : 1;\n}` },
    { name: 'stored product of ntintsafe', code: `${STACK}    if (!NT_SUCCESS(RtlULongMult(r->Count, sizeof(ULONG64), &bytes))) return STATUS_INTEGER_OVERFLOW;\n    copy = ExAllocatePool2(POOL_FLAG_PAGED, bytes, 'x');\n    return copy ? 0 : 1;\n}` },
    { name: 'subtraction after the length was compared', code: `${STACK}    if (length < HEADER) return STATUS_BUFFER_TOO_SMALL;\n    copy = ExAllocatePool2(POOL_FLAG_PAGED, length - HEADER, 'x');\n    return copy ? 0 : 1;\n}` },
    { name: 'subtraction guarded in the same condition', code: `${STACK}    if (length < sizeof(REQ) || length - sizeof(REQ) < r->Size) return STATUS_BUFFER_TOO_SMALL;\n    return 0;\n}` },
    { name: 'subtraction covered by the WDF minimum length', code: `${KMDF}NTSTATUS B(WDFREQUEST Request, size_t InputBufferLength) {\n    PBATCH batch;\n    NTSTATUS status = WdfRequestRetrieveInputBuffer(Request, BATCH_HEADER, (PVOID *)&batch, NULL);\n    if (!NT_SUCCESS(status)) return status;\n    if (!NT_SUCCESS(RtlULongMult(batch->Count, batch->RecordSize, &bytes)) || bytes > InputBufferLength - BATCH_HEADER) return STATUS_INVALID_PARAMETER;\n    return 0;\n}\nVOID EvtIo(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode) { B(Request, InputBufferLength); }` },
    { name: 'a loop bound that wraps only makes fewer turns', code: `${HEAD}    ULONG i;\n    for (i = 0; i < size + 1 && i < sizeof(local); i++) local[i] = 0;\n    return 0;\n}` },
    { name: 'the driver subtracts from its own length', code: `NTSTATUS H(PVOID p) {\n    ULONG total = sizeof(REQ) * 2;\n    PVOID q = ExAllocatePool2(POOL_FLAG_PAGED, total - HEADER, 'x');\n    return q ? 0 : 1;\n}` },
  ],
  invalid: [
    { name: 'a length field written only on one branch is still the caller\'s', code: 'typedef struct _NAME_OUT { USHORT NameLength; WCHAR Name[1]; } NAME_OUT, *PNAME_OUT;\nNTSTATUS Q(PDEVICE_EXTENSION Ext, PIRP Irp, PIO_STACK_LOCATION Sp) {\n    PNAME_OUT out = Irp->AssociatedIrp.SystemBuffer;\n    if (Ext->Reset) {\n        out->NameLength = 0;\n    }\n    if (Sp->Parameters.DeviceIoControl.OutputBufferLength < sizeof(USHORT) + out->NameLength) {\n        return STATUS_BUFFER_OVERFLOW;\n    }\n    return 0;\n}', errors: [{ messageId: 'check', line: 7 }] },
    { name: 'the driver copies the caller\'s length into the field', code: 'typedef struct _NAME_OUT { USHORT NameLength; WCHAR Name[1]; } NAME_OUT, *PNAME_OUT;\nNTSTATUS Q(PDEVICE_EXTENSION Ext, PIRP Irp, PIO_STACK_LOCATION Sp) {\n    PNAME_OUT out = Irp->AssociatedIrp.SystemBuffer;\n    out->NameLength = out->Name[0];\n    if (Sp->Parameters.DeviceIoControl.OutputBufferLength < sizeof(USHORT) + out->NameLength) {\n        return STATUS_BUFFER_OVERFLOW;\n    }\n    return 0;\n}', errors: [{ messageId: 'check', line: 5 }] },
    { name: 'sum in a bounds check', code: `${HEAD}    if (size + HEADER > sizeof(local)) return STATUS_INVALID_PARAMETER;\n    RtlCopyMemory(local, r->Data, size);\n    return 0;\n}`, errors: [{ messageId: 'check', line: 7, message: 'size + HEADER' }],
      suggestionOutput: `${HEAD}    ULONG checkedSize;\n    if (!NT_SUCCESS(RtlULongAdd(size, HEADER, &checkedSize))) {\n        return STATUS_INTEGER_OVERFLOW;\n    }\n    if (checkedSize > sizeof(local)) return STATUS_INVALID_PARAMETER;\n    RtlCopyMemory(local, r->Data, size);\n    return 0;\n}` },
    { name: 'product as allocation size', code: `${REQ}NTSTATUS H(PIRP Irp) {\n    PREQ r = (PREQ)Irp->AssociatedIrp.SystemBuffer;\n    PVOID table = ExAllocatePool2(POOL_FLAG_PAGED, r->Count * sizeof(ULONG64), 'x');\n    return table ? 0 : 1;\n}`, errors: [{ messageId: 'size', line: 5 }] },
    {
      name: 'product stored in a local, then the allocation size',
      code: `${STACK}    bytes = r->Count * sizeof(ULONG64);\n    copy = ExAllocatePool2(POOL_FLAG_PAGED, bytes, 'x');\n    return copy ? 0 : 1;\n}`,
      errors: [{ messageId: 'stored', line: 8, message: '`bytes` is then used as the size of ExAllocatePool2 (line 9)' }],
      suggestionOutput: `${STACK}    if (!NT_SUCCESS(RtlULongMult(r->Count, sizeof(ULONG64), &bytes))) {\n        return STATUS_INTEGER_OVERFLOW;\n    }\n    copy = ExAllocatePool2(POOL_FLAG_PAGED, bytes, 'x');\n    return copy ? 0 : 1;\n}`,
    },
    {
      name: 'sum stored in an initializer, then a bounds check',
      code: `${HEAD}    ULONG total = size + HEADER;\n    if (total > sizeof(local)) return STATUS_INVALID_PARAMETER;\n    return 0;\n}`,
      errors: [{ messageId: 'stored', line: 7, message: 'a bounds check' }],
    },
    {
      name: 'underflow of the input length as a copy length',
      code: `${STACK}    RtlCopyMemory(copy, r->Data, length - sizeof(REQ));\n    return 0;\n}`,
      errors: [{ messageId: 'underflow', line: 8, message: '`length - sizeof(REQ)` underflows' }],
      suggestionOutput: `${STACK}    SIZE_T checkedSize;\n    if (!NT_SUCCESS(RtlSizeTSub(length, sizeof(REQ), &checkedSize))) {\n        return STATUS_INTEGER_OVERFLOW;\n    }\n    RtlCopyMemory(copy, r->Data, checkedSize);\n    return 0;\n}`,
    },
    {
      name: 'underflow stored in a local',
      code: `${STACK}    bytes = length - HEADER;\n    copy = ExAllocatePool2(POOL_FLAG_PAGED, bytes, 'x');\n    return copy ? 0 : 1;\n}`,
      errors: [{ messageId: 'storedUnderflow', line: 8, message: '`bytes` is then used as the size of ExAllocatePool2 (line 9)' }],
    },
    {
      name: 'underflowing loop bound',
      code: `${STACK}    ULONG i;\n    for (i = 0; i < length - HEADER; i++) copy[i] = r->Data[i];\n    return 0;\n}`,
      errors: [{ messageId: 'underflow', line: 9, message: 'a loop bound' }],
    },
    {
      name: 'KMDF: product stored, compared with the WDF length',
      code: `${KMDF}NTSTATUS B(WDFREQUEST Request, size_t InputBufferLength) {\n    PBATCH batch;\n    ULONG bytes;\n    NTSTATUS status = WdfRequestRetrieveInputBuffer(Request, BATCH_HEADER, (PVOID *)&batch, NULL);\n    if (!NT_SUCCESS(status)) return status;\n    bytes = batch->Count * batch->RecordSize;\n    if (bytes > InputBufferLength - BATCH_HEADER) return STATUS_INVALID_PARAMETER;\n    return 0;\n}\nVOID EvtIo(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode) { B(Request, InputBufferLength); }`,
      errors: [{ messageId: 'stored', line: 12 }],
    },
  ],
});
