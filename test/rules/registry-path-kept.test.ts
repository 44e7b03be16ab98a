import { runRuleTests } from '../helpers/rule-tester';

const HEAD = 'typedef struct _GLOBALS { UNICODE_STRING RegistryPath; ULONG Flags; } GLOBALS;\nGLOBALS Globals;\nUNICODE_STRING g_RegistryPath;\nPUNICODE_STRING g_SavedPath;\n';

runRuleTests('registry-path-kept', {
  valid: [
    {
      name: 'the string is copied into an allocated buffer',
      code: `${HEAD}NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
    g_RegistryPath.Buffer = ExAllocatePool2(POOL_FLAG_PAGED, RegistryPath->MaximumLength, 'gerD');
    if (g_RegistryPath.Buffer == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    g_RegistryPath.Length = 0;
    g_RegistryPath.MaximumLength = RegistryPath->MaximumLength;
    RtlCopyUnicodeString(&g_RegistryPath, RegistryPath);
    return STATUS_SUCCESS;
}`,
    },
    {
      name: 'a local alias used only inside DriverEntry',
      code: `${HEAD}NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
    UNICODE_STRING path;
    path = *RegistryPath;
    return ReadParameters(&path);
}`,
    },
    {
      name: 'handed to the framework, which copies it',
      code: `${HEAD}NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
    WDF_DRIVER_CONFIG config;
    WDF_DRIVER_CONFIG_INIT(&config, EvtDeviceAdd);
    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);
}`,
    },
    {
      name: 'RtlDuplicateUnicodeString makes a copy',
      code: `${HEAD}NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
    return RtlDuplicateUnicodeString(RTL_DUPLICATE_UNICODE_STRING_NULL_TERMINATE, RegistryPath, &g_RegistryPath);
}`,
    },
    {
      name: 'the structure copied for its lengths, then given its own buffer',
      code: `${HEAD}NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
    g_RegistryPath = *RegistryPath;
    g_RegistryPath.Buffer = ExAllocatePool2(POOL_FLAG_PAGED, RegistryPath->MaximumLength, 'gerD');
    if (g_RegistryPath.Buffer == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    RtlCopyMemory(g_RegistryPath.Buffer, RegistryPath->Buffer, RegistryPath->Length);
    return STATUS_SUCCESS;
}`,
    },
  ],
  invalid: [
    {
      name: 'the UNICODE_STRING copied into a global (Buffer shared)',
      code: `${HEAD}NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
    g_RegistryPath = *RegistryPath;
    return STATUS_SUCCESS;
}`,
      errors: [{ messageId: 'kept', line: 6, message: 'DriverEntry keeps `*RegistryPath` in `g_RegistryPath`, but the I/O manager frees the registry path buffer when DriverEntry returns' }],
    },
    {
      name: 'the pointer saved in a global',
      code: `${HEAD}NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
    g_SavedPath = RegistryPath;
    return STATUS_SUCCESS;
}`,
      errors: [{ messageId: 'kept', line: 6 }],
    },
    {
      name: 'RtlInitUnicodeString over the Buffer into a field of a global',
      code: `${HEAD}NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
    RtlInitUnicodeString(&Globals.RegistryPath, RegistryPath->Buffer);
    return STATUS_SUCCESS;
}`,
      errors: [{ messageId: 'kept', line: 6 }],
    },
    {
      name: 'the Buffer stored in the driver object extension of a renamed parameter',
      code: `typedef struct _DRIVER_DATA { PWSTR ServiceKey; } DRIVER_DATA, *PDRIVER_DATA;
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegPath) {
    PDRIVER_DATA data;
    NTSTATUS status = IoAllocateDriverObjectExtension(DriverObject, DriverEntry, sizeof(DRIVER_DATA), (PVOID *)&data);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    data->ServiceKey = RegPath->Buffer;
    return STATUS_SUCCESS;
}`,
      errors: [{ messageId: 'kept', line: 8 }],
    },
  ],
});
