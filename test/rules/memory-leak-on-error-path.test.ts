import { runRuleTests } from '../helpers/rule-tester';

const QUERY = (onFailure: string) => `NTSTATUS ReadLevel(HANDLE key, PUNICODE_STRING valueName, PULONG level) {
    ULONG length = sizeof(KEY_VALUE_PARTIAL_INFORMATION) + sizeof(ULONG);
    ULONG resultLength;
    NTSTATUS status;
    PKEY_VALUE_PARTIAL_INFORMATION info = ExAllocatePool2(POOL_FLAG_PAGED, length, 'lVeK');
    if (info == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    status = ZwQueryValueKey(key, valueName, KeyValuePartialInformation, info, length, &resultLength);
    if (!NT_SUCCESS(status)) {
${onFailure}
    }
    if (info->Type != REG_DWORD) {
        ExFreePoolWithTag(info, 'lVeK');
        return STATUS_OBJECT_TYPE_MISMATCH;
    }
    *level = *(PULONG)info->Data;
    ExFreePoolWithTag(info, 'lVeK');
    return STATUS_SUCCESS;
}`;

runRuleTests('memory-leak-on-error-path', {
  valid: [
    { name: 'freed on the error path', code: QUERY("        ExFreePoolWithTag(info, 'lVeK');\n        return status;") },
    { name: 'cleanup through a label', code: QUERY('        goto Exit;').replace("    *level = *(PULONG)info->Data;\n    ExFreePoolWithTag(info, 'lVeK');\n    return STATUS_SUCCESS;", "    *level = *(PULONG)info->Data;\nExit:\n    ExFreePoolWithTag(info, 'lVeK');\n    return status;") },
    {
      name: 'ownership moved into the device context',
      code: "NTSTATUS Attach(PDEVICE_CONTEXT context, ULONG length) {\n    PUCHAR buffer = ExAllocatePool2(POOL_FLAG_NON_PAGED, length, 'fuBD');\n    if (buffer == NULL) return STATUS_INSUFFICIENT_RESOURCES;\n    context->Buffer = buffer;\n    if (!StartHardware(context)) {\n        return STATUS_DEVICE_NOT_READY;\n    }\n    return STATUS_SUCCESS;\n}",
    },
    {
      name: 'queued to a list (the list owns it now)',
      code: "NTSTATUS Post(PDEVICE_CONTEXT context) {\n    PWORK_ITEM item = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(WORK_ITEM), 'krWD');\n    if (!item) {\n        return STATUS_INSUFFICIENT_RESOURCES;\n    }\n    ExInterlockedInsertTailList(&context->Pending, &item->Entry, &context->Lock);\n    if (context->Stopping) {\n        return STATUS_DEVICE_NOT_READY;\n    }\n    return STATUS_SUCCESS;\n}",
    },
    {
      name: 'allocation stored in a global',
      code: "PVOID g_Table;\nNTSTATUS Init(ULONG size) {\n    PVOID table = ExAllocatePool2(POOL_FLAG_NON_PAGED, size, 'lbaT');\n    if (table == NULL) return STATUS_INSUFFICIENT_RESOURCES;\n    g_Table = table;\n    if (size < 16) return STATUS_INVALID_PARAMETER;\n    return STATUS_SUCCESS;\n}",
    },
    {
      name: 'handed to a helper that may keep it',
      code: "NTSTATUS Start(PDEVICE_CONTEXT context, ULONG size) {\n    PVOID ring = ExAllocatePool2(POOL_FLAG_NON_PAGED, size, 'gniR');\n    if (ring == NULL) return STATUS_INSUFFICIENT_RESOURCES;\n    if (!SetupRing(context, ring, size)) {\n        return STATUS_UNSUCCESSFUL;\n    }\n    return STATUS_SUCCESS;\n}",
    },
  ],
  invalid: [
    {
      name: 'return status without freeing',
      code: QUERY('        return status;'),
      errors: [{ messageId: 'leaked', line: 11, message: '`info` allocated by ExAllocatePool2 on line 5 is not freed before `return status`' }],
    },
    {
      name: 'validation failure after a copy',
      code: "typedef struct _REQUEST { ULONG Size; UCHAR Data[32]; } REQUEST, *PREQUEST;\nNTSTATUS Capture(PIRP Irp, ULONG length) {\n    PREQUEST copy = (PREQUEST)ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(REQUEST), 'qeRD');\n    if (copy == NULL) {\n        return STATUS_INSUFFICIENT_RESOURCES;\n    }\n    RtlCopyMemory(copy, Irp->AssociatedIrp.SystemBuffer, sizeof(REQUEST));\n    if (copy->Size > sizeof(copy->Data)) {\n        return STATUS_INVALID_PARAMETER;\n    }\n    Process(copy);\n    ExFreePoolWithTag(copy, 'qeRD');\n    return STATUS_SUCCESS;\n}",
      errors: [{ messageId: 'leaked', line: 9, message: 'STATUS_INVALID_PARAMETER' }],
    },
  ],
});
