import { runRuleTests } from '../helpers/rule-tester';

const TYPES = 'typedef VOID (*PFN_NOTIFY)(PVOID Context);\ntypedef struct _SESSION { ULONG Id; ULONG Flags; ULONG64 Key; PFN_NOTIFY Notify; KSPIN_LOCK Lock; LIST_ENTRY Link; } SESSION, *PSESSION;\ntypedef struct _REPLY { ULONG Id; ULONG64 Key; } REPLY, *PREPLY;\n';

/** A handler body after the allocation `session = …; if (session == NULL) return …;`. */
function handler(body: string, allocation = "ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(SESSION), 'sseS')", params = 'PIRP Irp, ULONG Mode'): string {
  return `${TYPES}NTSTATUS Handle(${params}) {\n    PSESSION session;\n    session = ${allocation};\n    if (session == NULL) {\n        return STATUS_INSUFFICIENT_RESOURCES;\n    }\n${body}    return STATUS_SUCCESS;\n}`;
}

const ZEROED = "    RtlZeroMemory(session, sizeof(SESSION));\n";

runRuleTests('uninitialized-pool-use', {
  valid: [
    { name: 'every field written before it is read', code: handler('    session->Notify = NULL;\n    if (Mode == 1) {\n        session->Notify = (PFN_NOTIFY)Irp;\n    }\n    if (session->Notify) {\n        session->Notify(session);\n    }\n') },
    { name: 'written on both branches', code: handler('    if (Mode == 1) {\n        session->Key = 1;\n    } else {\n        session->Key = 2;\n    }\n    DbgPrint("%I64u", session->Key);\n') },
    { name: 'zeroed after the NULL check', code: handler(`${ZEROED}    if (Mode == 1) {\n        session->Notify = (PFN_NOTIFY)Irp;\n    }\n    if (session->Notify) {\n        session->Notify(session);\n    }\n`) },
    { name: 'ExAllocatePool2 zeroes', code: handler('    if (session->Notify) {\n        session->Notify(session);\n    }\n', "ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(SESSION), 'sseS')") },
    { name: 'ExAllocatePoolZero zeroes', code: handler('    DbgPrint("%u", session->Flags);\n', "ExAllocatePoolZero(NonPagedPoolNx, sizeof(SESSION), 'sseS')") },
    { name: 'a full structure assignment', code: `${TYPES}SESSION Template;\nNTSTATUS Handle(PIRP Irp) {\n    PSESSION session = ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(SESSION), 'sseS');\n    if (!session) {\n        return STATUS_INSUFFICIENT_RESOURCES;\n    }\n    *session = Template;\n    DbgPrint("%u", session->Flags);\n    return STATUS_SUCCESS;\n}` },
    { name: 'a helper receiving the pointer initializes it', code: handler('    InitializeSession(session, Mode);\n    session->Notify(session);\n') },
    { name: 'KeInitializeSpinLock(&p->Lock) writes the lock', code: handler('    KeInitializeSpinLock(&session->Lock);\n    InitializeListHead(&session->Link);\n    KeAcquireSpinLockAtDpcLevel(&session->Lock);\n') },
    { name: 'RtlCopyMemory into it fills it', code: handler('    RtlCopyMemory(session, Irp->AssociatedIrp.SystemBuffer, sizeof(SESSION));\n    DbgPrint("%u", session->Flags);\n') },
    { name: 'the NULL branch holds no memory', code: `${TYPES}VOID Handle(ULONG Mode) {\n    PSESSION session = ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(SESSION), 'sseS');\n    if (session != NULL) {\n        session->Flags = Mode;\n    }\n    if (session != NULL) {\n        DbgPrint("%u", session->Flags);\n    }\n}` },
    { name: 'stored elsewhere: another name may initialize it', code: `${TYPES}PSESSION Saved;\nVOID Handle(ULONG Mode) {\n    PSESSION session = ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(SESSION), 'sseS');\n    if (session == NULL) return;\n    Saved = session;\n    Prepare();\n    DbgPrint("%u", session->Flags);\n}` },
    { name: 'written in a loop that runs', code: `${TYPES}VOID Handle(ULONG Count) {\n    PULONG table = ExAllocatePoolWithTag(NonPagedPoolNx, Count * sizeof(ULONG), 'lbaT');\n    ULONG i;\n    if (table == NULL) return;\n    for (i = 0; i < Count; i++) {\n        table[i] = i;\n    }\n    DbgPrint("%u", table[0]);\n}` },
    { name: 'only sizeof mentions the field', code: handler('    DbgPrint("%u", (ULONG)sizeof(session->Key));\n') },
    { name: 'reassigned to zeroed memory', code: `${TYPES}VOID Handle(VOID) {\n    PSESSION session = ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(SESSION), 'sseS');\n    if (session == NULL) return;\n    ExFreePoolWithTag(session, 'sseS');\n    session = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(SESSION), 'sseS');\n    if (session == NULL) return;\n    DbgPrint("%u", session->Flags);\n}` },
    { name: 'a whole copy to the output is uninitialized-output-buffer\'s finding', code: handler('    session->Id = 1;\n    RtlCopyMemory(Irp->AssociatedIrp.SystemBuffer, session, sizeof(SESSION));\n') },
  ],
  invalid: [
    {
      name: 'function pointer set only under a condition, then called',
      code: handler('    session->Id = 1;\n    if (Mode == 1) {\n        session->Notify = (PFN_NOTIFY)Irp;\n    }\n    session->Notify(session);\n'),
      errors: [{ messageId: 'call', line: 14, message: '`session->Notify` is called' }],
      output: handler(`${ZEROED}    session->Id = 1;\n    if (Mode == 1) {\n        session->Notify = (PFN_NOTIFY)Irp;\n    }\n    session->Notify(session);\n`),
      suggestionOutput: handler('    session->Id = 1;\n    if (Mode == 1) {\n        session->Notify = (PFN_NOTIFY)Irp;\n    }\n    session->Notify(session);\n', "ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(SESSION), 'sseS')"),
    },
    {
      name: 'a field copied into the output buffer',
      code: handler('    PREPLY reply = (PREPLY)Irp->AssociatedIrp.SystemBuffer;\n    if (Mode == 1) {\n        session->Key = 7;\n    }\n    reply->Key = session->Key;\n'),
      errors: [{ messageId: 'output', line: 14, message: 'reaches the caller\'s output' }],
      output: handler(`${ZEROED}    PREPLY reply = (PREPLY)Irp->AssociatedIrp.SystemBuffer;\n    if (Mode == 1) {\n        session->Key = 7;\n    }\n    reply->Key = session->Key;\n`),
      suggestionOutput: handler('    PREPLY reply = (PREPLY)Irp->AssociatedIrp.SystemBuffer;\n    if (Mode == 1) {\n        session->Key = 7;\n    }\n    reply->Key = session->Key;\n', "ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(SESSION), 'sseS')"),
    },
    {
      name: 'zeroed only under a condition, then copied out whole',
      code: handler('    if (Mode == 1) {\n        RtlZeroMemory(session, sizeof(SESSION));\n    }\n    session->Id = 1;\n    RtlCopyMemory(Irp->AssociatedIrp.SystemBuffer, session, sizeof(SESSION));\n'),
      errors: [{ messageId: 'copy', line: 14 }],
      output: handler(`${ZEROED}    if (Mode == 1) {\n        RtlZeroMemory(session, sizeof(SESSION));\n    }\n    session->Id = 1;\n    RtlCopyMemory(Irp->AssociatedIrp.SystemBuffer, session, sizeof(SESSION));\n`),
      suggestionOutput: handler('    if (Mode == 1) {\n        RtlZeroMemory(session, sizeof(SESSION));\n    }\n    session->Id = 1;\n    RtlCopyMemory(Irp->AssociatedIrp.SystemBuffer, session, sizeof(SESSION));\n', "ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(SESSION), 'sseS')"),
    },
    {
      name: 'a plain read is a warning; ExAllocatePool2 with POOL_FLAG_UNINITIALIZED',
      code: handler('    if (session->Flags & 1) {\n        session->Id = 2;\n    }\n', "ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_UNINITIALIZED, sizeof(SESSION), 'sseS')"),
      errors: [{ messageId: 'read', line: 10, severity: 'warning' }],
      output: handler(`${ZEROED}    if (session->Flags & 1) {\n        session->Id = 2;\n    }\n`, "ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_UNINITIALIZED, sizeof(SESSION), 'sseS')"),
      suggestionOutput: handler('    if (session->Flags & 1) {\n        session->Id = 2;\n    }\n', "ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(SESSION), 'sseS')"),
    },
    {
      name: 'kept in the device extension, the field read in the WDF output buffer',
      code: `${TYPES}typedef struct _DEVICE_EXTENSION { PSESSION Session; } DEVICE_EXTENSION, *PDEVICE_EXTENSION;\nVOID Handle(PDEVICE_EXTENSION devExt, WDFREQUEST Request, ULONG Mode) {\n    PREPLY out;\n    if (!NT_SUCCESS(WdfRequestRetrieveOutputBuffer(Request, sizeof(REPLY), (PVOID*)&out, NULL))) return;\n    devExt->Session = (PSESSION)ExAllocatePoolWithQuotaTag(PagedPool, sizeof(SESSION), 'sseS');\n    if (devExt->Session == NULL) return;\n    devExt->Session->Id = 1;\n    switch (Mode) {\n    case 1:\n        devExt->Session->Key = 5;\n        break;\n    default:\n        break;\n    }\n    RtlCopyMemory(&out->Key, &devExt->Session->Key, sizeof(ULONG64));\n}`,
      errors: [{ messageId: 'output', line: 18, message: '`devExt->Session->Key`' }],
      output: `${TYPES}typedef struct _DEVICE_EXTENSION { PSESSION Session; } DEVICE_EXTENSION, *PDEVICE_EXTENSION;\nVOID Handle(PDEVICE_EXTENSION devExt, WDFREQUEST Request, ULONG Mode) {\n    PREPLY out;\n    if (!NT_SUCCESS(WdfRequestRetrieveOutputBuffer(Request, sizeof(REPLY), (PVOID*)&out, NULL))) return;\n    devExt->Session = (PSESSION)ExAllocatePoolWithQuotaTag(PagedPool, sizeof(SESSION), 'sseS');\n    if (devExt->Session == NULL) return;\n    RtlZeroMemory(devExt->Session, sizeof(SESSION));\n    devExt->Session->Id = 1;\n    switch (Mode) {\n    case 1:\n        devExt->Session->Key = 5;\n        break;\n    default:\n        break;\n    }\n    RtlCopyMemory(&out->Key, &devExt->Session->Key, sizeof(ULONG64));\n}`,
    },
    {
      name: 'a helper that returns non-zeroed pool',
      code: `${TYPES}static PSESSION AllocateSession(VOID) {\n    return (PSESSION)ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(SESSION), 'sseS');\n}\nVOID Handle(ULONG Mode) {\n    PSESSION session = AllocateSession();\n    if (session == NULL) return;\n    if (Mode) session->Notify = (PFN_NOTIFY)0;\n    session->Notify(session);\n}`,
      errors: [{ messageId: 'call', line: 11, message: 'comes from AllocateSession (line 8), which returns ExAllocatePoolWithTag memory without zeroing it' }],
    },
    {
      name: 'a cleanup path reads a field the failed path never wrote',
      code: `${TYPES}NTSTATUS Handle(ULONG Mode) {\n    NTSTATUS status;\n    PSESSION session = ExAllocatePool(NonPagedPool, sizeof(SESSION));\n    if (session == NULL) {\n        return STATUS_INSUFFICIENT_RESOURCES;\n    }\n    status = Prepare(Mode);\n    if (!NT_SUCCESS(status)) {\n        goto exit;\n    }\n    session->Flags = 1;\nexit:\n    if (session->Flags != 0) {\n        Release();\n    }\n    ExFreePool(session);\n    return status;\n}`,
      errors: [{ messageId: 'read', line: 16, severity: 'warning' }],
      output: `${TYPES}NTSTATUS Handle(ULONG Mode) {\n    NTSTATUS status;\n    PSESSION session = ExAllocatePool(NonPagedPool, sizeof(SESSION));\n    if (session == NULL) {\n        return STATUS_INSUFFICIENT_RESOURCES;\n    }\n    RtlZeroMemory(session, sizeof(SESSION));\n    status = Prepare(Mode);\n    if (!NT_SUCCESS(status)) {\n        goto exit;\n    }\n    session->Flags = 1;\nexit:\n    if (session->Flags != 0) {\n        Release();\n    }\n    ExFreePool(session);\n    return status;\n}`,
    },
  ],
});
