import { runRuleTests } from '../helpers/rule-tester';

const HEAD = `#define IOCTL_SET_MODE CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_WRITE_ACCESS)
typedef struct _STATS { ULONG Requests; ULONG Errors; } STATS;
KSPIN_LOCK g_Lock;
ULONG g_Mode;
STATS g_Stats;
LONG g_OpenCount;
PDEVICE_OBJECT g_ControlDevice;
`;
const TABLE = `
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
    KeInitializeSpinLock(&g_Lock);
    g_Mode = 0;
    g_Stats.Requests = 0;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchDeviceControl;
    return STATUS_SUCCESS;
}
`;

runRuleTests('global-shared-state-unlocked', {
  valid: [
    {
      name: 'written under the spin lock and through Interlocked',
      code: `${HEAD}NTSTATUS DispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    KIRQL oldIrql;
    PULONG mode = Irp->AssociatedIrp.SystemBuffer;
    InterlockedIncrement(&g_OpenCount);
    KeAcquireSpinLock(&g_Lock, &oldIrql);
    g_Mode = *mode;
    g_Stats.Requests++;
    KeReleaseSpinLock(&g_Lock, oldIrql);
    Irp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}${TABLE}`,
    },
    {
      name: 'initialization in DriverEntry and a helper only DriverEntry calls',
      code: `${HEAD}VOID ResetStatistics(VOID) {
    g_Stats.Requests = 0;
    g_Stats.Errors = 0;
}
NTSTATUS DispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    Irp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
    ResetStatistics();
    g_ControlDevice = NULL;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchDeviceControl;
    return STATUS_SUCCESS;
}`,
    },
    {
      name: 'helper called with the caller holding the lock',
      code: `${HEAD}VOID CountError(VOID) {
    g_Stats.Errors++;
}
NTSTATUS DispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    KIRQL oldIrql;
    KeAcquireSpinLock(&g_Lock, &oldIrql);
    CountError();
    KeReleaseSpinLock(&g_Lock, oldIrql);
    Irp->IoStatus.Status = STATUS_INVALID_PARAMETER;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_INVALID_PARAMETER;
}${TABLE}`,
    },
    {
      name: 'a local with the same name shadows the global; writes through a global pointer are not the global',
      code: `${HEAD}NTSTATUS DispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    ULONG g_Mode = 3;
    g_Mode++;
    g_ControlDevice->Flags |= DO_BUFFERED_IO;
    Irp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}${TABLE}`,
    },
    {
      name: 'not reachable from user mode (a DPC)',
      code: `${HEAD}VOID TimerDpc(PKDPC Dpc, PVOID Context, PVOID Arg1, PVOID Arg2) {
    g_Stats.Requests = 0;
}
NTSTATUS DispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    Irp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}${TABLE}`,
    },
    {
      name: 'KMDF sequential queue: the framework serializes the callbacks',
      code: `${HEAD}VOID EvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode) {
    g_Mode = IoControlCode;
    WdfRequestComplete(Request, STATUS_SUCCESS);
}
NTSTATUS QueueInitialize(WDFDEVICE Device) {
    WDF_IO_QUEUE_CONFIG config;
    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&config, WdfIoQueueDispatchSequential);
    config.EvtIoDeviceControl = EvtIoDeviceControl;
    return WdfIoQueueCreate(Device, &config, WDF_NO_OBJECT_ATTRIBUTES, NULL);
}`,
    },
    {
      name: 'PnP dispatch (serialized by the PnP manager) records the device state',
      code: `${HEAD}NTSTATUS DispatchPnp(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    if (stack->MinorFunction == IRP_MN_REMOVE_DEVICE) {
        g_ControlDevice = NULL;
    }
    IoSkipCurrentIrpStackLocation(Irp);
    return IoCallDriver(DeviceObject, Irp);
}
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
    DriverObject->MajorFunction[IRP_MJ_PNP] = DispatchPnp;
    return STATUS_SUCCESS;
}`,
    },
  ],
  invalid: [
    {
      // Every global's name holds a `w`: the file-wide name pattern once dropped those letters and matched nothing.
      name: 'globals whose names all contain w',
      code: `ULONG g_wMode;
LONG g_wCount;
NTSTATUS DispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PULONG mode = Irp->AssociatedIrp.SystemBuffer;
    g_wMode = *mode;
    Irp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
    g_wMode = 0;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchDeviceControl;
    return STATUS_SUCCESS;
}`,
      errors: [{ messageId: 'unlocked', line: 5, message: 'Global `g_wMode`' }],
    },
    {
      name: 'mode and counters updated from the IOCTL handler without a lock',
      code: `${HEAD}NTSTATUS DispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    PULONG mode = Irp->AssociatedIrp.SystemBuffer;
    g_Stats.Requests++;
    if (stack->Parameters.DeviceIoControl.IoControlCode == IOCTL_SET_MODE) {
        g_Mode = *mode;
    }
    Irp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}${TABLE}`,
      errors: [
        { messageId: 'unlocked', line: 11, message: 'Global `g_Stats` is written in DispatchDeviceControl (reachable from user-mode requests)' },
        { messageId: 'unlocked', line: 13, message: 'Global `g_Mode`' },
      ],
    },
    {
      name: 'KMDF callback helper writes after the lock was released',
      code: `${HEAD}VOID RecordError(VOID) {
    g_Stats.Errors += 1;
}
VOID EvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode) {
    KIRQL oldIrql;
    KeAcquireSpinLock(&g_Lock, &oldIrql);
    g_Mode = IoControlCode;
    KeReleaseSpinLock(&g_Lock, oldIrql);
    RecordError();
    WdfRequestComplete(Request, STATUS_INVALID_DEVICE_REQUEST);
}
VOID SetupQueue(WDF_IO_QUEUE_CONFIG *config) {
    config->EvtIoDeviceControl = EvtIoDeviceControl;
}`,
      errors: [{ messageId: 'unlocked', line: 9, message: 'Global `g_Stats` is written in RecordError' }],
    },
  ],
});
