import { runRuleTests } from '../helpers/rule-tester';

const HEAD = 'typedef struct _DEVICE_EXTENSION { KSPIN_LOCK Lock; KDPC Dpc; HANDLE LogFile; PIO_WORKITEM WorkItem; KEVENT Event; WDFSPINLOCK WdfLock; } DEVICE_EXTENSION, *PDEVICE_EXTENSION;\n';

runRuleTests('call-at-wrong-irql', {
  valid: [
    {
      name: 'a DPC defers PASSIVE_LEVEL work to a work item',
      code: `${HEAD}VOID LogDpc(PKDPC Dpc, PVOID Context, PVOID A1, PVOID A2) {
    PDEVICE_EXTENSION ext = Context;
    IoQueueWorkItem(ext->WorkItem, LogWorker, DelayedWorkQueue, ext);
}
VOID LogWorker(PDEVICE_OBJECT DeviceObject, PVOID Context) {
    PDEVICE_EXTENSION ext = Context;
    ZwClose(ext->LogFile);
}
VOID Setup(PDEVICE_EXTENSION ext) {
    KeInitializeDpc(&ext->Dpc, LogDpc, ext);
}`,
    },
    {
      name: 'Zw call after the spin lock is released and the IRQL lowered back',
      code: `${HEAD}_IRQL_requires_(PASSIVE_LEVEL)
VOID Flush(PDEVICE_EXTENSION ext) {
    KIRQL old;
    HANDLE file;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    KeLowerIrql(old);
    KeAcquireSpinLock(&ext->Lock, &old);
    file = ext->LogFile;
    KeReleaseSpinLock(&ext->Lock, old);
    ZwClose(file);
}`,
    },
    {
      name: 'a function that checks KeGetCurrentIrql before the Zw call',
      code: `${HEAD}VOID Done(PDEVICE_EXTENSION ext) {
    if (KeGetCurrentIrql() == PASSIVE_LEVEL) {
        ZwClose(ext->LogFile);
    }
}
VOID LogDpc(PKDPC Dpc, PVOID Context, PVOID A1, PVOID A2) {
    Done(Context);
}
VOID Setup(PDEVICE_EXTENSION ext) { KeInitializeDpc(&ext->Dpc, LogDpc, ext); }`,
    },
    {
      name: 'a completion routine waits with a zero timeout (allowed at DISPATCH_LEVEL) and sets an event without waiting',
      code: `${HEAD}NTSTATUS SyncDone(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context) {
    PDEVICE_EXTENSION ext = Context;
    LARGE_INTEGER zero = {0};
    KeWaitForSingleObject(&ext->Event, Executive, KernelMode, FALSE, &zero);
    KeSetEvent(&ext->Event, IO_NO_INCREMENT, FALSE);
    return STATUS_MORE_PROCESSING_REQUIRED;
}
NTSTATUS Forward(PDEVICE_EXTENSION ext, PDEVICE_OBJECT Lower, PIRP Irp) {
    IoCopyCurrentIrpStackLocationToNext(Irp);
    IoSetCompletionRoutine(Irp, SyncDone, ext, TRUE, TRUE, TRUE);
    return IoCallDriver(Lower, Irp);
}`,
    },
    {
      name: 'the ...AtDpcLevel variants inside a DPC routine',
      code: `${HEAD}KDEFERRED_ROUTINE QueueDpc;
VOID QueueDpc(PKDPC Dpc, PVOID Context, PVOID A1, PVOID A2) {
    PDEVICE_EXTENSION ext = Context;
    KeAcquireSpinLockAtDpcLevel(&ext->Lock);
    KeReleaseSpinLockFromDpcLevel(&ext->Lock);
}`,
    },
    {
      name: 'Zw call under a spin lock is left to paged-code-at-dispatch (no duplicate)',
      code: `${HEAD}_IRQL_requires_(PASSIVE_LEVEL)
VOID Flush(PDEVICE_EXTENSION ext) {
    KIRQL old;
    KeAcquireSpinLock(&ext->Lock, &old);
    ZwClose(ext->LogFile);
    KeReleaseSpinLock(&ext->Lock, old);
}`,
    },
    {
      name: 'KMDF: a passive-level interrupt runs its ISR at PASSIVE_LEVEL',
      code: `${HEAD}EVT_WDF_INTERRUPT_ISR EvtIsr;
BOOLEAN EvtIsr(WDFINTERRUPT Interrupt, ULONG MessageID) {
    PDEVICE_EXTENSION ext = GetExt(WdfInterruptGetDevice(Interrupt));
    ZwClose(ext->LogFile);
    return TRUE;
}
NTSTATUS Setup(WDFDEVICE Device) {
    WDF_INTERRUPT_CONFIG config;
    WDF_INTERRUPT_CONFIG_INIT(&config, EvtIsr, NULL);
    config.PassiveHandling = TRUE;
    return WdfInterruptCreate(Device, &config, WDF_NO_OBJECT_ATTRIBUTES, NULL);
}`,
    },
  ],
  invalid: [
    {
      name: 'WDM: a DPC routine (registered with KeInitializeDpc) calls a Zw routine',
      code: `${HEAD}VOID LogDpc(PKDPC Dpc, PVOID Context, PVOID A1, PVOID A2) {
    PDEVICE_EXTENSION ext = Context;
    ZwClose(ext->LogFile);
}
VOID Setup(PDEVICE_EXTENSION ext) {
    KeInitializeDpc(&ext->Dpc, LogDpc, ext);
}`,
      errors: [{ messageId: 'tooHigh', line: 4, message: '`ZwClose` requires PASSIVE_LEVEL, but the IRQL here is DISPATCH_LEVEL: `LogDpc` is a DPC routine, which runs at DISPATCH_LEVEL.' }],
    },
    {
      name: 'WDM: IoCreateDevice after KeRaiseIrql',
      code: `${HEAD}NTSTATUS MakeDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT *Out) {
    KIRQL old;
    NTSTATUS status;
    KeRaiseIrql(DISPATCH_LEVEL, &old);
    status = IoCreateDevice(DriverObject, sizeof(DEVICE_EXTENSION), NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, Out);
    KeLowerIrql(old);
    return status;
}`,
      errors: [{ messageId: 'tooHighRaised', line: 6, message: '`IoCreateDevice` requires PASSIVE_LEVEL, but the IRQL here is DISPATCH_LEVEL: `KeRaiseIrql` on line 5 set it.' }],
    },
    {
      name: 'WDM: a completion routine waits forever on an event',
      code: `${HEAD}NTSTATUS Done(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context) {
    PDEVICE_EXTENSION ext = Context;
    KeWaitForSingleObject(&ext->Event, Executive, KernelMode, FALSE, NULL);
    return STATUS_SUCCESS;
}
NTSTATUS Forward(PDEVICE_EXTENSION ext, PDEVICE_OBJECT Lower, PIRP Irp) {
    IoCopyCurrentIrpStackLocationToNext(Irp);
    IoSetCompletionRoutine(Irp, Done, ext, TRUE, TRUE, TRUE);
    return IoCallDriver(Lower, Irp);
}`,
      errors: [{ messageId: 'mayBeDispatch', line: 4 }],
    },
    {
      name: 'WDM: KeAcquireSpinLockAtDpcLevel in DriverEntry (PASSIVE_LEVEL) does not raise IRQL',
      code: `${HEAD}DEVICE_EXTENSION Global;
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
    KeInitializeSpinLock(&Global.Lock);
    KeAcquireSpinLockAtDpcLevel(&Global.Lock);
    Global.LogFile = NULL;
    KeReleaseSpinLockFromDpcLevel(&Global.Lock);
    return STATUS_SUCCESS;
}`,
      errors: [
        { messageId: 'tooLow', line: 5, message: '`KeAcquireSpinLockAtDpcLevel` requires DISPATCH_LEVEL (the caller must already be there), but the IRQL here is PASSIVE_LEVEL: `DriverEntry` is called at PASSIVE_LEVEL.' },
        { messageId: 'tooLow', line: 7 },
      ],
    },
    {
      name: 'KMDF: an EvtInterruptDpc (typed) calls WdfIoTargetSendIoctlSynchronously',
      code: `${HEAD}EVT_WDF_INTERRUPT_DPC EvtDpc;
VOID EvtDpc(WDFINTERRUPT Interrupt, WDFOBJECT Device) {
    WdfIoTargetSendIoctlSynchronously(WdfDeviceGetIoTarget(Device), NULL, IOCTL_X, NULL, NULL, NULL, NULL);
}`,
      errors: [{ messageId: 'tooHigh', line: 4 }],
    },
    {
      name: 'KMDF: a function annotated _IRQL_requires_max_(PASSIVE_LEVEL) called under a WDF spin lock',
      code: `${HEAD}_IRQL_requires_max_(PASSIVE_LEVEL)
VOID WriteLog(PDEVICE_EXTENSION ext);
VOID WriteLog(PDEVICE_EXTENSION ext) { UNREFERENCED_PARAMETER(ext); }
VOID Update(PDEVICE_EXTENSION ext) {
    WdfSpinLockAcquire(ext->WdfLock);
    WriteLog(ext);
    WdfSpinLockRelease(ext->WdfLock);
}`,
      errors: [{ messageId: 'tooHighRaised', line: 7, message: '`WriteLog` is annotated _IRQL_requires_max_(PASSIVE_LEVEL), but the IRQL here is DISPATCH_LEVEL: `WdfSpinLockAcquire` on line 6 set it.' }],
    },
  ],
});
