import { runRuleTests } from '../helpers/rule-tester';

const PREPARE = (map: string) => `typedef struct _DEVICE_EXTENSION { PVOID Registers; SIZE_T RegistersLength; } DEVICE_EXTENSION, *PDEVICE_EXTENSION;
NTSTATUS EvtDevicePrepareHardware(WDFDEVICE Device, WDFCMRESLIST ResourcesRaw, WDFCMRESLIST ResourcesTranslated) {
    PDEVICE_EXTENSION extension = GetDeviceExtension(Device);
    PCM_PARTIAL_RESOURCE_DESCRIPTOR resource = WdfCmResourceListGetDescriptor(ResourcesTranslated, 0);
    extension->Registers = ${map};
    if (extension->Registers == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    extension->RegistersLength = resource->u.Memory.Length;
    return STATUS_SUCCESS;
}`;

const MDL = (protection: string) => `NTSTATUS LockSharedBuffer(PMDL Mdl) {
    PVOID address = MmGetSystemAddressForMdlSafe(Mdl, NormalPagePriority | MdlMappingNoExecute);
    if (address == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    return MmProtectMdlSystemAddress(Mdl, ${protection});
}`;

runRuleTests('executable-memory-mapping', {
  valid: [
    { name: 'MmMapIoSpaceEx with PAGE_READWRITE', code: PREPARE('MmMapIoSpaceEx(resource->u.Memory.Start, resource->u.Memory.Length, PAGE_READWRITE | PAGE_NOCACHE)') },
    { name: 'read-only MDL protection', code: MDL('PAGE_READONLY') },
    {
      name: 'contiguous node memory without execute',
      code: 'PVOID AllocateDmaBuffer(SIZE_T Length) {\n    PHYSICAL_ADDRESS low = { 0 }, high, boundary = { 0 };\n    high.QuadPart = 0xFFFFFFFF;\n    return MmAllocateContiguousNodeMemory(Length, low, high, boundary, PAGE_READWRITE, MM_ANY_NODE_OK);\n}',
    },
    {
      name: 'MDL mapping with no-execute priority',
      code: 'PVOID MapUserBuffer(PMDL Mdl) {\n    return MmMapLockedPagesSpecifyCache(Mdl, KernelMode, MmCached, NULL, FALSE, NormalPagePriority | MdlMappingNoExecute);\n}',
    },
    {
      name: 'a driver function named like the routine',
      code: 'PVOID MyMmMapIoSpace(PHYSICAL_ADDRESS Address, SIZE_T Length) {\n    return MmMapIoSpaceEx(Address, Length, PAGE_READWRITE);\n}',
    },
    {
      name: 'compatibility branch for systems without MmMapIoSpaceEx',
      code: PREPARE('NULL').replace('    extension->Registers = NULL;', '#if (NTDDI_VERSION >= NTDDI_WIN10)\n    extension->Registers = MmMapIoSpaceEx(resource->u.Memory.Start, resource->u.Memory.Length, PAGE_READWRITE | PAGE_NOCACHE);\n#else\n    extension->Registers = MmMapIoSpace(resource->u.Memory.Start, resource->u.Memory.Length, MmNonCached);\n#endif'),
    },
    {
      name: 'MmMapIoSpaceEx picked at run time, MmMapIoSpace as the fallback',
      code: 'PVOID MapRegisters(PHYSICAL_ADDRESS Address, SIZE_T Length) {\n    if (g_MmMapIoSpaceEx != NULL) {\n        return g_MmMapIoSpaceEx(Address, Length, PAGE_READWRITE | PAGE_NOCACHE);\n    }\n    return MmMapIoSpace(Address, Length, MmNonCached);\n}',
    },
  ],
  invalid: [
    {
      name: 'MmMapIoSpace non-cached',
      code: PREPARE('MmMapIoSpace(resource->u.Memory.Start, resource->u.Memory.Length, MmNonCached)'),
      errors: [{ messageId: 'mapIoSpace', line: 5, message: 'MmMapIoSpaceEx with PAGE_READWRITE | PAGE_NOCACHE' }],
      output: PREPARE('MmMapIoSpaceEx(resource->u.Memory.Start, resource->u.Memory.Length, PAGE_READWRITE | PAGE_NOCACHE)'),
    },
    {
      name: 'MmMapIoSpace cached',
      code: PREPARE('MmMapIoSpace(resource->u.Memory.Start, resource->u.Memory.Length, MmCached)'),
      errors: [{ messageId: 'mapIoSpace', line: 5 }],
      output: PREPARE('MmMapIoSpaceEx(resource->u.Memory.Start, resource->u.Memory.Length, PAGE_READWRITE)'),
    },
    {
      name: 'MmMapIoSpace write-combined',
      code: PREPARE('MmMapIoSpace(resource->u.Memory.Start, resource->u.Memory.Length, MmWriteCombined)'),
      errors: [{ messageId: 'mapIoSpace', line: 5 }],
      output: PREPARE('MmMapIoSpaceEx(resource->u.Memory.Start, resource->u.Memory.Length, PAGE_READWRITE | PAGE_WRITECOMBINE)'),
    },
    {
      name: 'MmMapIoSpace with a cache type in a variable: no fix',
      code: PREPARE('MmMapIoSpace(resource->u.Memory.Start, resource->u.Memory.Length, extension->CacheType)'),
      errors: [{ messageId: 'mapIoSpace', line: 5, message: 'PAGE_READWRITE and the matching cache flag' }],
    },
    {
      name: 'MDL protected as executable',
      code: MDL('PAGE_EXECUTE_READWRITE'),
      errors: [{ messageId: 'executeProtection', line: 6, message: 'MmProtectMdlSystemAddress is called with PAGE_EXECUTE_READWRITE' }],
      suggestionOutput: MDL('PAGE_READWRITE'),
    },
    {
      name: 'contiguous memory',
      code: 'NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {\n    PHYSICAL_ADDRESS highest;\n    highest.QuadPart = 0xFFFFFFFF;\n    g_DmaBuffer = MmAllocateContiguousMemory(PAGE_SIZE, highest);\n    return g_DmaBuffer ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;\n}',
      errors: [{ messageId: 'contiguous', line: 4 }],
    },
    {
      name: 'executable protection through a macro',
      code: '#define DMA_PROTECTION PAGE_EXECUTE_READWRITE\nPVOID AllocateDmaBuffer(SIZE_T Length, PHYSICAL_ADDRESS Low, PHYSICAL_ADDRESS High) {\n    PHYSICAL_ADDRESS boundary = { 0 };\n    return MmAllocateContiguousNodeMemory(Length, Low, High, boundary, DMA_PROTECTION, MM_ANY_NODE_OK);\n}',
      errors: [{ messageId: 'executeProtection', line: 4, message: 'DMA_PROTECTION (PAGE_EXECUTE_READWRITE)' }],
    },
  ],
});
