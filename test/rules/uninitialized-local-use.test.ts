import { runRuleTests } from '../helpers/rule-tester';

const TYPES = 'typedef struct _OP_REQUEST { ULONG Operation; ULONG Value; } OP_REQUEST, *POP_REQUEST;\ntypedef NTSTATUS (*PFN_HANDLER)(POP_REQUEST Request);\n';

const DISPATCH = (declaration: string, defaultCase = '') => `${TYPES}NTSTATUS DispatchOperation(PIRP Irp) {
    POP_REQUEST request = (POP_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    ${declaration};
    switch (request->Operation) {
    case 1:
        handler = HandleRead;
        break;
    case 2:
        handler = HandleWrite;
        break;${defaultCase}
    }
    return handler(request);
}`;

const CONTEXT = (declaration: string) => `typedef struct _STATS { ULONG Reads; ULONG Writes; } STATS;
NTSTATUS ReportStats(PDEVICE_CONTEXT context, PSTATS out, BOOLEAN live) {
    ${declaration};
    if (live) {
        snapshot = context->Stats;
    }
    *out = snapshot;
    return STATUS_SUCCESS;
}`;

runRuleTests('uninitialized-local-use', {
  valid: [
    { name: 'initialized where declared', code: DISPATCH('PFN_HANDLER handler = NULL', '\n    default:\n        return STATUS_INVALID_PARAMETER;') .replace('return handler(request);', 'return handler != NULL ? handler(request) : STATUS_INVALID_PARAMETER;') },
    { name: 'default case leaves the function', code: DISPATCH('PFN_HANDLER handler', '\n    default:\n        return STATUS_INVALID_PARAMETER;') },
    { name: 'struct assigned on every path', code: CONTEXT('STATS snapshot').replace('    *out = snapshot;', '    else {\n        snapshot = context->Saved;\n    }\n    *out = snapshot;') },
    {
      name: 'out parameter fills the pointer',
      code: 'VOID EvtIoWrite(WDFQUEUE Queue, WDFREQUEST Request, size_t Length) {\n    PVOID buffer;\n    NTSTATUS status = WdfRequestRetrieveInputBuffer(Request, 16, &buffer, NULL);\n    if (NT_SUCCESS(status)) {\n        Consume(buffer, Length);\n    }\n    WdfRequestComplete(Request, status);\n}',
    },
    {
      name: 'same condition guards the assignment and the use',
      code: 'NTSTATUS Send(PDEVICE_CONTEXT context, BOOLEAN needBuffer) {\n    PVOID buffer;\n    if (needBuffer) {\n        buffer = ExAllocatePool2(POOL_FLAG_NON_PAGED, 64, \'fuBD\');\n        if (buffer == NULL) return STATUS_INSUFFICIENT_RESOURCES;\n    }\n    Transmit(context);\n    if (needBuffer) {\n        ExFreePoolWithTag(buffer, \'fuBD\');\n    }\n    return STATUS_SUCCESS;\n}',
    },
    {
      name: 'assigned in the __try body, used only there',
      code: 'NTSTATUS Capture(PVOID UserPointer, PULONG Out) {\n    PULONG value;\n    __try {\n        ProbeForRead(UserPointer, sizeof(ULONG), sizeof(ULONG));\n        value = (PULONG)UserPointer;\n        *Out = *value;\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return GetExceptionCode();\n    }\n    return STATUS_SUCCESS;\n}',
    },
    {
      name: 'loop that assigns before every use',
      code: 'VOID Walk(PLIST_ENTRY head) {\n    PLIST_ENTRY entry;\n    for (entry = head->Flink; entry != head; entry = entry->Flink) {\n        Visit(entry);\n    }\n}',
    },
    {
      name: 'endless loop left only after the assignment',
      code: 'PIRP NextIrp(PDEVICE_CONTEXT context) {\n    PIRP irp;\n    while (TRUE) {\n        irp = Dequeue(context);\n        if (irp != NULL) break;\n        Wait(context);\n    }\n    return irp;\n}',
    },
    {
      name: 'search loop whose exit is checked by index',
      code: 'NTSTATUS Find(PENTRY table, ULONG count, ULONG key) {\n    PENTRY found;\n    ULONG i;\n    for (i = 0; i < count; i++) {\n        if (table[i].Key == key) {\n            found = &table[i];\n            break;\n        }\n    }\n    if (i == count) return STATUS_NOT_FOUND;\n    return Use(found);\n}',
    },
    {
      name: 'default case bug-checks',
      code: DISPATCH('PFN_HANDLER handler', '\n    default:\n        KeBugCheckEx(DRIVER_VIOLATION, request->Operation, 0, 0, 0);'),
    },
    {
      name: 'scalar locals are not judged',
      code: 'NTSTATUS Pick(ULONG code) {\n    NTSTATUS status;\n    if (code == 1) {\n        status = STATUS_SUCCESS;\n    }\n    return status;\n}',
    },
  ],
  invalid: [
    {
      name: 'handler picked by a switch without default, then called',
      code: DISPATCH('PFN_HANDLER handler'),
      errors: [{ messageId: 'maybeUninitialized', line: 14, message: '`handler` may be used uninitialized: it is assigned only on some paths (line 8)' }],
      output: DISPATCH('PFN_HANDLER handler = NULL'),
    },
    {
      name: 'struct copied out after a conditional assignment',
      code: CONTEXT('STATS snapshot'),
      errors: [{ messageId: 'maybeUninitialized', line: 7, message: '`= { 0 }`' }],
      output: CONTEXT('STATS snapshot = { 0 }'),
    },
    {
      name: 'cleanup label reached before the allocation',
      code: "NTSTATUS Start(PDEVICE_CONTEXT context, ULONG length) {\n    NTSTATUS status;\n    PUCHAR buffer;\n    if (length == 0) {\n        status = STATUS_INVALID_PARAMETER;\n        goto Exit;\n    }\n    buffer = ExAllocatePool2(POOL_FLAG_NON_PAGED, length, 'fuBD');\n    if (buffer == NULL) return STATUS_INSUFFICIENT_RESOURCES;\n    status = Fill(context, buffer, length);\nExit:\n    if (buffer != NULL) ExFreePoolWithTag(buffer, 'fuBD');\n    return status;\n}",
      errors: [{ messageId: 'maybeUninitialized', line: 12 }],
      output: "NTSTATUS Start(PDEVICE_CONTEXT context, ULONG length) {\n    NTSTATUS status;\n    PUCHAR buffer = NULL;\n    if (length == 0) {\n        status = STATUS_INVALID_PARAMETER;\n        goto Exit;\n    }\n    buffer = ExAllocatePool2(POOL_FLAG_NON_PAGED, length, 'fuBD');\n    if (buffer == NULL) return STATUS_INSUFFICIENT_RESOURCES;\n    status = Fill(context, buffer, length);\nExit:\n    if (buffer != NULL) ExFreePoolWithTag(buffer, 'fuBD');\n    return status;\n}",
    },
  ],
});
