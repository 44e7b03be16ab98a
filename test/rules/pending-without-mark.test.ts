import { runRuleTests } from '../helpers/rule-tester';

const HEAD = 'typedef struct _DEVICE_EXTENSION { KSPIN_LOCK Lock; LIST_ENTRY PendingQueue; IO_CSQ Csq; PDEVICE_OBJECT LowerDevice; } DEVICE_EXTENSION, *PDEVICE_EXTENSION;\n';
const TABLE = '\nNTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {\n    DriverObject->MajorFunction[IRP_MJ_READ] = DispatchRead;\n    return STATUS_SUCCESS;\n}\n';

runRuleTests('pending-without-mark', {
  valid: [
    {
      name: 'DRIVER_DISPATCH-typed helper that is not in the dispatch table (called by a polling thread)',
      code: `${HEAD}DRIVER_DISPATCH PollDevice;
NTSTATUS PollDevice(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PDEVICE_EXTENSION ext = DeviceObject->DeviceExtension;
    if (ext->LowerDevice == NULL) {
        return STATUS_PENDING;
    }
    Irp->IoStatus.Information = 0;
    return STATUS_SUCCESS;
}`,
    },
    {
      name: 'marked before queuing',
      code: `${HEAD}NTSTATUS DispatchRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PDEVICE_EXTENSION ext = DeviceObject->DeviceExtension;
    KIRQL irql;
    IoMarkIrpPending(Irp);
    KeAcquireSpinLock(&ext->Lock, &irql);
    InsertTailList(&ext->PendingQueue, &Irp->Tail.Overlay.ListEntry);
    KeReleaseSpinLock(&ext->Lock, irql);
    return STATUS_PENDING;
}${TABLE}`,
    },
    {
      name: 'status is STATUS_PENDING only on the path that marks',
      code: `${HEAD}NTSTATUS DispatchRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PDEVICE_EXTENSION ext = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status;
    if (stack->Parameters.Read.Length == 0) {
        status = STATUS_SUCCESS;
        Irp->IoStatus.Status = status;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
    } else {
        IoMarkIrpPending(Irp);
        ExInterlockedInsertTailList(&ext->PendingQueue, &Irp->Tail.Overlay.ListEntry, &ext->Lock);
        status = STATUS_PENDING;
    }
    return status;
}${TABLE}`,
    },
    {
      name: 'IoCsqInsertIrp marks the IRP itself',
      code: `${HEAD}NTSTATUS DispatchRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PDEVICE_EXTENSION ext = DeviceObject->DeviceExtension;
    IoCsqInsertIrp(&ext->Csq, Irp, NULL);
    return STATUS_PENDING;
}${TABLE}`,
    },
    {
      name: 'a helper of this file marks and queues',
      code: `${HEAD}VOID QueueRequest(PDEVICE_EXTENSION ext, PIRP Irp) {
    IoMarkIrpPending(Irp);
    ExInterlockedInsertTailList(&ext->PendingQueue, &Irp->Tail.Overlay.ListEntry, &ext->Lock);
}
NTSTATUS DispatchRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    QueueRequest(DeviceObject->DeviceExtension, Irp);
    return STATUS_PENDING;
}${TABLE}`,
    },
    {
      name: 'not a dispatch routine: a helper reporting that work is pending',
      code: `${HEAD}NTSTATUS PollHardware(PDEVICE_EXTENSION ext) {
    if (ext->LowerDevice == NULL) {
        return STATUS_PENDING;
    }
    return STATUS_SUCCESS;
}`,
    },
    {
      name: 'pass-through returns what the lower driver returned',
      code: `${HEAD}NTSTATUS DispatchRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PDEVICE_EXTENSION ext = DeviceObject->DeviceExtension;
    NTSTATUS status;
    IoSkipCurrentIrpStackLocation(Irp);
    status = IoCallDriver(ext->LowerDevice, Irp);
    if (status == STATUS_PENDING) {
        return status;
    }
    return status;
}${TABLE}`,
    },
    {
      name: 'request context handed to a queueing helper of another file',
      code: `${HEAD}typedef struct _REQUEST_CONTEXT { PIRP Irp; ULONG Length; } REQUEST_CONTEXT, *PREQUEST_CONTEXT;
NTSTATUS DispatchRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PREQUEST_CONTEXT context = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(REQUEST_CONTEXT), 'xtcR');
    if (context == NULL) {
        Irp->IoStatus.Status = STATUS_INSUFFICIENT_RESOURCES;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    context->Irp = Irp;
    HwQueueTransfer(DeviceObject->DeviceExtension, context);
    return STATUS_PENDING;
}${TABLE}`,
    },
  ],
  invalid: [
    {
      name: 'queued and STATUS_PENDING returned without the mark',
      code: `${HEAD}NTSTATUS DispatchRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PDEVICE_EXTENSION ext = DeviceObject->DeviceExtension;
    KIRQL irql;
    KeAcquireSpinLock(&ext->Lock, &irql);
    InsertTailList(&ext->PendingQueue, &Irp->Tail.Overlay.ListEntry);
    KeReleaseSpinLock(&ext->Lock, irql);
    return STATUS_PENDING;
}${TABLE}`,
      errors: [{ messageId: 'notMarked', line: 8, message: 'DispatchRead returns STATUS_PENDING here, but no IoMarkIrpPending(Irp) runs on this path.' }],
      output: `${HEAD}NTSTATUS DispatchRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PDEVICE_EXTENSION ext = DeviceObject->DeviceExtension;
    KIRQL irql;
    KeAcquireSpinLock(&ext->Lock, &irql);
    IoMarkIrpPending(Irp);
    InsertTailList(&ext->PendingQueue, &Irp->Tail.Overlay.ListEntry);
    KeReleaseSpinLock(&ext->Lock, irql);
    return STATUS_PENDING;
}${TABLE}`,
    },
    {
      name: 'status variable set to STATUS_PENDING in a switch case that forgot the mark',
      code: `${HEAD}NTSTATUS DispatchRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PDEVICE_EXTENSION ext = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status = STATUS_SUCCESS;
    switch (stack->MinorFunction) {
    case 0:
        ExInterlockedInsertTailList(&ext->PendingQueue, &Irp->Tail.Overlay.ListEntry, &ext->Lock);
        status = STATUS_PENDING;
        break;
    default:
        Irp->IoStatus.Status = STATUS_SUCCESS;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        break;
    }
    return status;
}${TABLE}`,
      errors: [{ messageId: 'notMarked', line: 16, message: 'returns `status` (STATUS_PENDING on this path)' }],
    },
    {
      name: 'DRIVER_DISPATCH-typed routine marks only on one branch',
      code: `${HEAD}DRIVER_DISPATCH DispatchWrite;
NTSTATUS DispatchWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PDEVICE_EXTENSION ext = DeviceObject->DeviceExtension;
    if (ext->LowerDevice != NULL) {
        IoMarkIrpPending(Irp);
        IoStartPacket(DeviceObject, Irp, NULL, NULL);
        return STATUS_PENDING;
    }
    IoStartPacket(DeviceObject, Irp, NULL, NULL);
    return STATUS_PENDING;
}${TABLE.replace('IRP_MJ_READ] = DispatchRead', 'IRP_MJ_WRITE] = DispatchWrite')}`,
      errors: [{ messageId: 'notMarked', line: 11 }],
      output: `${HEAD}DRIVER_DISPATCH DispatchWrite;
NTSTATUS DispatchWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PDEVICE_EXTENSION ext = DeviceObject->DeviceExtension;
    if (ext->LowerDevice != NULL) {
        IoMarkIrpPending(Irp);
        IoStartPacket(DeviceObject, Irp, NULL, NULL);
        return STATUS_PENDING;
    }
    IoMarkIrpPending(Irp);
    IoStartPacket(DeviceObject, Irp, NULL, NULL);
    return STATUS_PENDING;
}${TABLE.replace('IRP_MJ_READ] = DispatchRead', 'IRP_MJ_WRITE] = DispatchWrite')}`,
    },
    {
      name: 'single-statement if returns STATUS_PENDING: reported without a fix (no block to insert into)',
      code: `${HEAD}NTSTATUS DispatchRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PDEVICE_EXTENSION ext = DeviceObject->DeviceExtension;
    ExInterlockedInsertTailList(&ext->PendingQueue, &Irp->Tail.Overlay.ListEntry, &ext->Lock);
    if (ext->LowerDevice == NULL) return STATUS_PENDING;
    Irp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}${TABLE}`,
      errors: [{ messageId: 'notMarked', line: 5 }],
    },
  ],
});
