import { runRuleTests } from '../helpers/rule-tester';

const HEAD = `typedef struct _ENTRY { LIST_ENTRY Link; ULONG Value; } ENTRY, *PENTRY;
typedef struct _DEVICE_EXTENSION { KSPIN_LOCK Lock; LIST_ENTRY Entries; KEVENT Event; HANDLE LogFile; WDFSPINLOCK WdfLock; } DEVICE_EXTENSION, *PDEVICE_EXTENSION;
`;
const PAGED_HELPER = `#pragma alloc_text(PAGE, WriteLog)
NTSTATUS WriteLog(PDEVICE_EXTENSION ext, ULONG value) {
    PAGED_CODE();
    return ZwWriteFile(ext->LogFile, NULL, NULL, NULL, NULL, &value, sizeof(value), NULL, NULL);
}
`;

runRuleTests('paged-code-at-dispatch', {
  valid: [
    {
      name: 'non-paged allocation before the lock, paged helper after the release',
      code: `${HEAD}${PAGED_HELPER}NTSTATUS AddEntry(PDEVICE_EXTENSION ext, ULONG value) {
    KIRQL oldIrql;
    PENTRY entry = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(ENTRY), 'yrtE');
    if (entry == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    entry->Value = value;
    KeAcquireSpinLock(&ext->Lock, &oldIrql);
    InsertTailList(&ext->Entries, &entry->Link);
    KeReleaseSpinLock(&ext->Lock, oldIrql);
    return WriteLog(ext, value);
}`,
    },
    {
      name: 'lock dropped around the Zw call inside the loop',
      code: `${HEAD}VOID Flush(PDEVICE_EXTENSION ext) {
    KIRQL oldIrql;
    KeAcquireSpinLock(&ext->Lock, &oldIrql);
    while (!IsListEmpty(&ext->Entries)) {
        PLIST_ENTRY link = RemoveHeadList(&ext->Entries);
        KeReleaseSpinLock(&ext->Lock, oldIrql);
        ZwWriteFile(ext->LogFile, NULL, NULL, NULL, NULL, link, sizeof(ENTRY), NULL, NULL);
        KeAcquireSpinLock(&ext->Lock, &oldIrql);
    }
    KeReleaseSpinLock(&ext->Lock, oldIrql);
}`,
    },
    {
      name: 'a fast mutex only raises to APC_LEVEL: paged pool is fine',
      code: `${HEAD}typedef struct _CTX { FAST_MUTEX Mutex; PVOID Buffer; } CTX, *PCTX;
NTSTATUS Grow(PCTX ctx) {
    ExAcquireFastMutex(&ctx->Mutex);
    ctx->Buffer = ExAllocatePool2(POOL_FLAG_PAGED, 64, 'xtcC');
    ExReleaseFastMutex(&ctx->Mutex);
    return ctx->Buffer ? STATUS_SUCCESS : STATUS_INSUFFICIENT_RESOURCES;
}`,
    },
    {
      name: 'zero-timeout poll while locked, waits after the release',
      code: `${HEAD}NTSTATUS Poll(PDEVICE_EXTENSION ext) {
    KIRQL oldIrql;
    LARGE_INTEGER zero;
    NTSTATUS status;
    zero.QuadPart = 0;
    KeAcquireSpinLock(&ext->Lock, &oldIrql);
    status = KeWaitForSingleObject(&ext->Event, Executive, KernelMode, FALSE, &zero);
    KeReleaseSpinLock(&ext->Lock, oldIrql);
    if (status == STATUS_TIMEOUT) {
        KeWaitForSingleObject(&ext->Event, Executive, KernelMode, FALSE, NULL);
    }
    return status;
}`,
    },
    {
      name: 'lock taken only on one branch',
      code: `${HEAD}VOID Log(PDEVICE_EXTENSION ext, BOOLEAN fromDpc) {
    KIRQL oldIrql;
    if (fromDpc) {
        KeAcquireSpinLock(&ext->Lock, &oldIrql);
        ext->Entries.Flink = NULL;
        KeReleaseSpinLock(&ext->Lock, oldIrql);
        return;
    }
    ZwFlushBuffersFile(ext->LogFile, NULL);
}`,
    },
  ],
  invalid: [
    {
      name: 'paged pool allocated under the spin lock',
      code: `${HEAD}NTSTATUS AddEntry(PDEVICE_EXTENSION ext, ULONG value) {
    KIRQL oldIrql;
    PENTRY entry;
    KeAcquireSpinLock(&ext->Lock, &oldIrql);
    entry = ExAllocatePoolWithTag(PagedPool, sizeof(ENTRY), 'yrtE');
    if (entry != NULL) {
        entry->Value = value;
        InsertTailList(&ext->Entries, &entry->Link);
    }
    KeReleaseSpinLock(&ext->Lock, oldIrql);
    return STATUS_SUCCESS;
}`,
      errors: [{ messageId: 'atDispatch', line: 7, message: '`ExAllocatePoolWithTag` allocates paged pool (PagedPool), but `ext->Lock` (KeAcquireSpinLock on line 6) is held here' }],
    },
    {
      name: 'PAGED_CODE helper and a Zw call under an in-stack queued lock',
      code: `${HEAD}${PAGED_HELPER}NTSTATUS Record(PDEVICE_EXTENSION ext, ULONG value) {
    KLOCK_QUEUE_HANDLE handle;
    NTSTATUS status;
    KeAcquireInStackQueuedSpinLock(&ext->Lock, &handle);
    status = WriteLog(ext, value);
    if (NT_SUCCESS(status)) {
        status = ZwFlushBuffersFile(ext->LogFile, NULL);
    }
    KeReleaseInStackQueuedSpinLock(&handle);
    return status;
}`,
      errors: [
        { messageId: 'atDispatch', line: 12, message: '`WriteLog` is placed in the PAGE section' },
        { messageId: 'atDispatch', line: 14, message: '`ZwFlushBuffersFile` must be called at PASSIVE_LEVEL' },
      ],
    },
    {
      name: 'KMDF spin lock held across an unbounded wait',
      code: `${HEAD}VOID EvtIoStop(WDFQUEUE Queue, WDFREQUEST Request, ULONG ActionFlags) {
    PDEVICE_EXTENSION ext = GetContext(Queue);
    WdfSpinLockAcquire(ext->WdfLock);
    KeWaitForSingleObject(&ext->Event, Executive, KernelMode, FALSE, NULL);
    WdfSpinLockRelease(ext->WdfLock);
}`,
      errors: [{ messageId: 'atDispatch', line: 6, message: 'waits without a timeout' }],
    },
  ],
});
