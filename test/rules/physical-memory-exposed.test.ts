import { runRuleTests } from '../helpers/rule-tester';

const REQ = 'typedef struct _PHYS { ULONGLONG Address; ULONG Length; } PHYS, *PPHYS;\n';

runRuleTests('physical-memory-exposed', {
  valid: [
    { name: 'device registers from the extension', code: 'typedef struct _EXT { PHYSICAL_ADDRESS Base; ULONG Length; } EXT;\nNTSTATUS H(PIRP Irp, EXT *ext) {\n    PVOID p = MmMapIoSpaceEx(ext->Base, ext->Length, PAGE_READWRITE | PAGE_NOCACHE);\n    return p ? 0 : 1;\n}' },
    { name: 'user address checked against the device window', code: `${REQ}NTSTATUS H(PIRP Irp) {\n    PPHYS r = (PPHYS)Irp->AssociatedIrp.SystemBuffer;\n    PHYSICAL_ADDRESS a;\n    if (r->Address < 0xFED00000 || r->Address + r->Length > 0xFED01000) return STATUS_ACCESS_DENIED;\n    a.QuadPart = r->Address;\n    PVOID p = MmMapIoSpace(a, r->Length, MmNonCached);\n    return 0;\n}` },
    { name: 'virtual MmCopyMemory', code: `${REQ}NTSTATUS H(PIRP Irp) {\n    PPHYS r = (PPHYS)Irp->AssociatedIrp.SystemBuffer;\n    MM_COPY_ADDRESS a; SIZE_T n;\n    a.VirtualAddress = g_Table;\n    return MmCopyMemory(r, a, 16, MM_COPY_MEMORY_VIRTUAL, &n);\n}` },
  ],
  invalid: [
    { name: 'MmMapIoSpaceEx with a user address', code: `${REQ}NTSTATUS H(PIRP Irp) {\n    PPHYS r = (PPHYS)Irp->AssociatedIrp.SystemBuffer;\n    PHYSICAL_ADDRESS a;\n    a.QuadPart = (LONGLONG)r->Address;\n    PVOID p = MmMapIoSpaceEx(a, 0x1000, PAGE_READWRITE);\n    return 0;\n}`, errors: [{ messageId: 'mapped', line: 6 }] },
    { name: 'MmMapIoSpace with a user length', code: 'typedef struct _EXT { PHYSICAL_ADDRESS Base; } EXT;\nNTSTATUS H(PIRP Irp, PIO_STACK_LOCATION IrpSp, EXT *ext) {\n    ULONG n = IrpSp->Parameters.DeviceIoControl.OutputBufferLength;\n    PVOID p = MmMapIoSpace(ext->Base, n, MmNonCached);\n    return 0;\n}', errors: [{ messageId: 'mapped', line: 4 }] },
    { name: 'physical MmCopyMemory', code: `${REQ}NTSTATUS H(PIRP Irp) {\n    PPHYS r = (PPHYS)Irp->AssociatedIrp.SystemBuffer;\n    MM_COPY_ADDRESS a; SIZE_T n;\n    a.PhysicalAddress.QuadPart = r->Address;\n    return MmCopyMemory(g_Out, a, 8, MM_COPY_MEMORY_PHYSICAL, &n);\n}`, errors: [{ messageId: 'mapped', line: 6 }] },
  ],
});
