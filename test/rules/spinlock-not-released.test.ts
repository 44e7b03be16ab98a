import { runRuleTests } from '../helpers/rule-tester';

const EXT = 'typedef struct _DEVICE_EXTENSION { KSPIN_LOCK Lock; FAST_MUTEX Mutex; ERESOURCE Resource; LIST_ENTRY Queue; PIRP Current; ULONG Count; WDFSPINLOCK WdfLock; WDFWAITLOCK WaitLock; } DEVICE_EXTENSION, *PDEVICE_EXTENSION;\n';

runRuleTests('spinlock-not-released', {
  valid: [
    {
      name: 'entered holding the lock (_Requires_lock_held_), drops it for a call and takes it again',
      code: `${EXT}VOID NotifyClients(PDEVICE_EXTENSION ext);
_IRQL_requires_(DISPATCH_LEVEL)
_Requires_lock_held_(ext->WdfLock)
VOID
DrainQueue(
    PDEVICE_EXTENSION ext
    )
{
    while (ext->Count > 0) {
        ext->Count--;
        WdfSpinLockRelease(ext->WdfLock);
        NotifyClients(ext);
        WdfSpinLockAcquire(ext->WdfLock);
    }
}`,
    },
    {
      name: 'released before every return',
      code: `${EXT}NTSTATUS DispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PDEVICE_EXTENSION ext = DeviceObject->DeviceExtension;
    KIRQL oldIrql;
    KeAcquireSpinLock(&ext->Lock, &oldIrql);
    if (ext->Current != NULL) {
        KeReleaseSpinLock(&ext->Lock, oldIrql);
        return STATUS_DEVICE_BUSY;
    }
    ext->Current = Irp;
    KeReleaseSpinLock(&ext->Lock, oldIrql);
    return STATUS_SUCCESS;
}`,
    },
    {
      name: 'goto cleanup releases on the error path',
      code: `${EXT}NTSTATUS AddEntry(PDEVICE_EXTENSION ext, ULONG value) {
    NTSTATUS status = STATUS_SUCCESS;
    ExAcquireFastMutex(&ext->Mutex);
    if (ext->Count >= 16) {
        status = STATUS_INSUFFICIENT_RESOURCES;
        goto Exit;
    }
    ext->Count++;
Exit:
    ExReleaseFastMutex(&ext->Mutex);
    return status;
}`,
    },
    {
      name: 'lock wrapper takes the lock for its caller by design',
      code: `${EXT}VOID LockQueue(PDEVICE_EXTENSION ext, PKIRQL oldIrql) {
    KeAcquireSpinLock(&ext->Lock, oldIrql);
}`,
    },
    {
      name: 'annotated _Acquires_lock_ helper',
      code: `${EXT}_Acquires_lock_(ext->Resource)
VOID StartUpdate(PDEVICE_EXTENSION ext) {
    KeEnterCriticalRegion();
    ExAcquireResourceExclusiveLite(&ext->Resource, TRUE);
}`,
    },
    {
      name: 'released only when a flag says it was taken',
      code: `${EXT}NTSTATUS Touch(PDEVICE_EXTENSION ext, BOOLEAN atDpc) {
    BOOLEAN locked = FALSE;
    KIRQL oldIrql;
    if (!atDpc) {
        KeAcquireSpinLock(&ext->Lock, &oldIrql);
        locked = TRUE;
    }
    ext->Count = 0;
    if (locked) {
        KeReleaseSpinLock(&ext->Lock, oldIrql);
    }
    return STATUS_SUCCESS;
}`,
    },
    {
      name: 'in-stack queued lock released through its handle, switch with breaks',
      code: `${EXT}NTSTATUS Dequeue(PDEVICE_EXTENSION ext, ULONG code) {
    KLOCK_QUEUE_HANDLE handle;
    NTSTATUS status;
    KeAcquireInStackQueuedSpinLock(&ext->Lock, &handle);
    switch (code) {
    case 1:
        status = STATUS_SUCCESS;
        break;
    default:
        status = STATUS_INVALID_PARAMETER;
        break;
    }
    KeReleaseInStackQueuedSpinLock(&handle);
    return status;
}`,
    },
    {
      name: 'try-acquire tested in a condition',
      code: `${EXT}BOOLEAN TryUpdate(PDEVICE_EXTENSION ext) {
    if (!ExAcquireResourceExclusiveLite(&ext->Resource, FALSE)) {
        return FALSE;
    }
    ext->Count++;
    ExReleaseResourceLite(&ext->Resource);
    return TRUE;
}`,
    },
    {
      name: 'released by a helper of this file',
      code: `${EXT}VOID FinishAndDrop(PDEVICE_EXTENSION ext, KIRQL irql) {
    ext->Current = NULL;
    KeReleaseSpinLock(&ext->Lock, irql);
}
NTSTATUS Complete(PDEVICE_EXTENSION ext) {
    KIRQL irql;
    KeAcquireSpinLock(&ext->Lock, &irql);
    FinishAndDrop(ext, irql);
    return STATUS_SUCCESS;
}`,
    },
    {
      name: 'KMDF wait lock released in a loop',
      code: `${EXT}VOID EvtIoRead(WDFQUEUE Queue, WDFREQUEST Request, size_t Length) {
    PDEVICE_EXTENSION ext = GetContext(Queue);
    for (ULONG i = 0; i < 4; i++) {
        WdfWaitLockAcquire(ext->WaitLock, NULL);
        if (ext->Count == i) {
            WdfWaitLockRelease(ext->WaitLock);
            continue;
        }
        ext->Count++;
        WdfWaitLockRelease(ext->WaitLock);
    }
    WdfRequestComplete(Request, STATUS_SUCCESS);
}`,
    },
    {
      name: 'wait lock with a timeout: the timed-out path never held it',
      code: `${EXT}NTSTATUS UpdateWithTimeout(PDEVICE_EXTENSION ext) {
    LONGLONG timeout = -10000;
    NTSTATUS status = WdfWaitLockAcquire(ext->WaitLock, &timeout);
    if (status == STATUS_TIMEOUT) {
        return status;
    }
    ext->Count++;
    WdfWaitLockRelease(ext->WaitLock);
    return STATUS_SUCCESS;
}`,
    },
    {
      name: 'a helper from another file gets the saved IRQL and releases the lock',
      code: `${EXT}VOID StartNextPacket(PDEVICE_EXTENSION ext, KIRQL irql);
NTSTATUS Kick(PDEVICE_EXTENSION ext) {
    KIRQL irql;
    KeAcquireSpinLock(&ext->Lock, &irql);
    if (ext->Current == NULL) {
        StartNextPacket(ext, irql);
        return STATUS_SUCCESS;
    }
    KeReleaseSpinLock(&ext->Lock, irql);
    return STATUS_DEVICE_BUSY;
}`,
    },
    {
      name: 'wait lock result checked: the failure return never held it (kmdf_fx2 ResetDevice)',
      code: `${EXT}NTSTATUS ResetDevice(PDEVICE_EXTENSION ext) {
    NTSTATUS status;
    status = WdfWaitLockAcquire(ext->WaitLock, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    ext->Count = 0;
    WdfWaitLockRelease(ext->WaitLock);
    return status;
}`,
    },
    {
      name: 'acquire and release both under #if DBG (one configuration)',
      code: `${EXT}NTSTATUS Trace(PDEVICE_EXTENSION ext) {
#if DBG
    KIRQL irql;
    KeAcquireSpinLock(&ext->Lock, &irql);
#endif
    ext->Count++;
#if DBG
    KeReleaseSpinLock(&ext->Lock, irql);
#endif
    return STATUS_SUCCESS;
}`,
    },
  ],
  invalid: [
    {
      name: '_Requires_lock_held_ names another lock than the one left held',
      code: `${EXT}_Requires_lock_held_(ext->WdfLock)
VOID TakeMutex(PDEVICE_EXTENSION ext)
{
    ExAcquireFastMutex(&ext->Mutex);
    ext->Count++;
}`,
      errors: [{ messageId: 'notReleasedAtEnd', line: 7 }],
    },
    {
      name: 'early error return keeps the spin lock',
      code: `${EXT}NTSTATUS DispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PDEVICE_EXTENSION ext = DeviceObject->DeviceExtension;
    KIRQL oldIrql;
    KeAcquireSpinLock(&ext->Lock, &oldIrql);
    if (ext->Current != NULL) {
        return STATUS_DEVICE_BUSY;
    }
    ext->Current = Irp;
    KeReleaseSpinLock(&ext->Lock, oldIrql);
    return STATUS_SUCCESS;
}`,
      errors: [{ messageId: 'notReleased', line: 7, message: '`ext->Lock` (spin lock taken by KeAcquireSpinLock on line 5) is still held when the function returns here; call KeReleaseSpinLock' }],
    },
    {
      name: 'goto jumps past the release',
      code: `${EXT}NTSTATUS AddEntry(PDEVICE_EXTENSION ext, ULONG value) {
    NTSTATUS status = STATUS_SUCCESS;
    KeEnterCriticalRegion();
    ExAcquireResourceExclusiveLite(&ext->Resource, TRUE);
    if (value == 0) {
        status = STATUS_INVALID_PARAMETER;
        goto Exit;
    }
    ext->Count += value;
    ExReleaseResourceLite(&ext->Resource);
Exit:
    KeLeaveCriticalRegion();
    return status;
}`,
      errors: [{ messageId: 'notReleased', line: 14, message: '`ext->Resource` (resource taken by ExAcquireResourceExclusiveLite on line 5)' }],
    },
    {
      name: 'switch case returns with the WDF lock held',
      code: `${EXT}VOID EvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode) {
    PDEVICE_EXTENSION ext = GetContext(Queue);
    WdfSpinLockAcquire(ext->WdfLock);
    switch (IoControlCode) {
    case IOCTL_RESET:
        if (ext->Count == 0) {
            WdfRequestComplete(Request, STATUS_INVALID_DEVICE_STATE);
            return;
        }
        ext->Count = 0;
        break;
    }
    WdfSpinLockRelease(ext->WdfLock);
    WdfRequestComplete(Request, STATUS_SUCCESS);
}`,
      errors: [{ messageId: 'notReleased', line: 9, message: 'WdfSpinLockRelease' }],
    },
    {
      name: 'one branch never releases before the end',
      code: `${EXT}VOID Reset(PDEVICE_EXTENSION ext) {
    ExAcquireFastMutex(&ext->Mutex);
    if (ext->Count > 0) {
        ext->Count = 0;
        ExReleaseFastMutex(&ext->Mutex);
    }
}`,
      errors: [{ messageId: 'notReleasedAtEnd', line: 8, message: '`ext->Mutex` (fast mutex taken by ExAcquireFastMutex on line 3)' }],
    },
    {
      name: 'resource try-acquire succeeded, then an error path returns with it',
      code: `${EXT}NTSTATUS TryReset(PDEVICE_EXTENSION ext) {
    BOOLEAN acquired = ExAcquireResourceExclusiveLite(&ext->Resource, FALSE);
    if (!acquired) {
        return STATUS_DEVICE_BUSY;
    }
    if (ext->Count == 0) {
        return STATUS_INVALID_DEVICE_STATE;
    }
    ext->Count = 0;
    ExReleaseResourceLite(&ext->Resource);
    return STATUS_SUCCESS;
}`,
      errors: [{ messageId: 'notReleased', line: 8, message: '`ext->Resource` (resource taken by ExAcquireResourceExclusiveLite on line 3)' }],
    },
    {
      name: 'in-stack queued lock and critical region left behind by a break out of the loop',
      code: `${EXT}NTSTATUS Drain(PDEVICE_EXTENSION ext) {
    KLOCK_QUEUE_HANDLE handle;
    KeEnterCriticalRegion();
    for (;;) {
        KeAcquireInStackQueuedSpinLock(&ext->Lock, &handle);
        if (IsListEmpty(&ext->Queue)) {
            break;
        }
        RemoveHeadList(&ext->Queue);
        KeReleaseInStackQueuedSpinLock(&handle);
    }
    KeLeaveCriticalRegion();
    return STATUS_SUCCESS;
}`,
      errors: [{ messageId: 'notReleased', line: 14, message: '`ext->Lock` (queued spin lock taken by KeAcquireInStackQueuedSpinLock on line 6)' }],
    },
    {
      name: 'critical region not left on the error path',
      code: `${EXT}NTSTATUS Update(PDEVICE_EXTENSION ext, ULONG value) {
    KeEnterCriticalRegion();
    if (value == 0) {
        return STATUS_INVALID_PARAMETER;
    }
    ext->Count = value;
    KeLeaveCriticalRegion();
    return STATUS_SUCCESS;
}`,
      errors: [{ messageId: 'notReleased', line: 5, message: '`KeEnterCriticalRegion()` (critical region taken by KeEnterCriticalRegion on line 3) is still held when the function returns here; call KeLeaveCriticalRegion' }],
    },
  ],
});
