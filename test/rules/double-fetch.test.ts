import { runRuleTests } from '../helpers/rule-tester';

const REQ = 'typedef struct _REQ { ULONG Size; UCHAR Data[1]; } REQ, *PREQ;\n';
const HEAD = `${REQ}NTSTATUS H(PIRP Irp, PIO_STACK_LOCATION IrpSp) {\n    PREQ user = (PREQ)IrpSp->Parameters.DeviceIoControl.Type3InputBuffer;\n    UCHAR local[64];\n`;

runRuleTests('double-fetch', {
  valid: [
    { name: 'captured once in a local', code: `${HEAD}    ULONG size = user->Size;\n    if (size > sizeof(local)) return STATUS_INVALID_PARAMETER;\n    RtlCopyMemory(local, user->Data, size);\n    return 0;\n}` },
    { name: 'METHOD_BUFFERED copy may be read twice', code: `${REQ}NTSTATUS H(PIRP Irp) {\n    PREQ r = (PREQ)Irp->AssociatedIrp.SystemBuffer;\n    UCHAR local[64];\n    if (r->Size > sizeof(local)) return STATUS_INVALID_PARAMETER;\n    RtlCopyMemory(local, r->Data, r->Size);\n    return 0;\n}` },
    { name: 'read twice but never checked', code: `${HEAD}    ULONG a = user->Size;\n    ULONG b = user->Size;\n    return a + b;\n}` },
  ],
  invalid: [
    { name: 'checked then read again for the copy', code: `${HEAD}    if (user->Size > sizeof(local)) return STATUS_INVALID_PARAMETER;\n    RtlCopyMemory(local, user->Data, user->Size);\n    return 0;\n}`, errors: [{ messageId: 'fetchedAgain', line: 6, message: 'user->Size' }] },
    { name: 'Irp->UserBuffer', code: `${REQ}NTSTATUS R(PIRP Irp) {\n    PREQ user = (PREQ)Irp->UserBuffer;\n    PVOID copy;\n    if (user->Size > 4096) return STATUS_INVALID_PARAMETER;\n    copy = ExAllocatePool2(POOL_FLAG_PAGED, user->Size, 'x');\n    return 0;\n}`, errors: [{ messageId: 'fetchedAgain', line: 6 }] },
  ],
});
