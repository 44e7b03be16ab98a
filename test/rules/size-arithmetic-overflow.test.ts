import { runRuleTests } from '../helpers/rule-tester';

const REQ = 'typedef struct _REQ { ULONG Size; ULONG Count; UCHAR Data[1]; } REQ, *PREQ;\n#define HEADER 8\n';
const HEAD = `${REQ}NTSTATUS H(PIRP Irp) {\n    PREQ r = (PREQ)Irp->AssociatedIrp.SystemBuffer;\n    UCHAR local[64];\n    ULONG size = r->Size;\n`;

runRuleTests('size-arithmetic-overflow', {
  valid: [
    { name: 'RtlULongAdd', code: `${HEAD}    ULONG total;\n    if (!NT_SUCCESS(RtlULongAdd(size, HEADER, &total)) || total > sizeof(local)) return STATUS_INVALID_PARAMETER;\n    return 0;\n}` },
    { name: 'bounded before the sum', code: `${HEAD}    if (size > sizeof(local)) return STATUS_INVALID_PARAMETER;\n    if (size + HEADER > sizeof(local)) return STATUS_INVALID_PARAMETER;\n    return 0;\n}` },
    { name: 'constant arithmetic', code: 'PVOID A(VOID) { return ExAllocatePool2(POOL_FLAG_PAGED, 16 * sizeof(ULONG), 1); }' },
  ],
  invalid: [
    { name: 'sum in a bounds check', code: `${HEAD}    if (size + HEADER > sizeof(local)) return STATUS_INVALID_PARAMETER;\n    RtlCopyMemory(local, r->Data, size);\n    return 0;\n}`, errors: [{ messageId: 'check', line: 7, message: 'size + HEADER' }] },
    { name: 'product as allocation size', code: `${REQ}NTSTATUS H(PIRP Irp) {\n    PREQ r = (PREQ)Irp->AssociatedIrp.SystemBuffer;\n    PVOID table = ExAllocatePool2(POOL_FLAG_PAGED, r->Count * sizeof(ULONG64), 'x');\n    return table ? 0 : 1;\n}`, errors: [{ messageId: 'size', line: 5 }] },
  ],
});
