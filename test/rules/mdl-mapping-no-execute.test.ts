import { runRuleTests } from '../helpers/rule-tester';

const READ = (priority: string) => `NTSTATUS DispatchRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    PUCHAR buffer = (PUCHAR)MmGetSystemAddressForMdlSafe(Irp->MdlAddress, ${priority});
    if (buffer == NULL) {
        Irp->IoStatus.Status = STATUS_INSUFFICIENT_RESOURCES;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    RtlZeroMemory(buffer, stack->Parameters.Read.Length);
    Irp->IoStatus.Information = stack->Parameters.Read.Length;
    Irp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}`;

const MAP = (mode: string, priority: string) => `PVOID MapSharedBuffer(PMDL Mdl) {
    return MmMapLockedPagesSpecifyCache(Mdl, ${mode}, MmCached, NULL, FALSE, ${priority});
}`;

runRuleTests('mdl-mapping-no-execute', {
  valid: [
    { name: 'no-execute priority', code: READ('NormalPagePriority | MdlMappingNoExecute') },
    { name: 'priority from a variable', code: READ('extension->MappingPriority') },
    { name: 'user-mode mapping', code: MAP('UserMode', 'NormalPagePriority') },
    { name: 'kernel mapping with no-execute', code: MAP('KernelMode', 'HighPagePriority | MdlMappingNoExecute | MdlMappingNoWrite') },
    { name: 'a look-alike wrapper macro with one argument', code: 'PVOID GetBuffer(PMDL Mdl) {\n    return MmGetSystemAddressForMdlSafe(Mdl);\n}' },
    {
      name: 'down-level branch of a version check',
      code: 'PVOID MapBuffer(PMDL Mdl) {\n#if (NTDDI_VERSION >= NTDDI_WIN8)\n    return MmGetSystemAddressForMdlSafe(Mdl, NormalPagePriority | MdlMappingNoExecute);\n#else\n    return MmGetSystemAddressForMdlSafe(Mdl, NormalPagePriority);\n#endif\n}',
    },
  ],
  invalid: [
    {
      name: 'direct I/O read buffer',
      code: READ('NormalPagePriority'),
      errors: [{ messageId: 'executable', line: 3, message: 'maps `Irp->MdlAddress` with priority NormalPagePriority' }],
      output: READ('NormalPagePriority | MdlMappingNoExecute'),
    },
    {
      name: 'kernel mapping of a locked MDL',
      code: MAP('KernelMode', 'HighPagePriority'),
      errors: [{ messageId: 'executable', line: 2, message: 'MmMapLockedPagesSpecifyCache' }],
      output: MAP('KernelMode', 'HighPagePriority | MdlMappingNoExecute'),
    },
  ],
});
