import { runRuleTests } from '../helpers/rule-tester';

const HEAD = 'typedef struct _DEVICE_EXTENSION { KSPIN_LOCK Lock; LIST_ENTRY Queue; PDEVICE_OBJECT LowerDevice; BOOLEAN Removed; } DEVICE_EXTENSION, *PDEVICE_EXTENSION;\n';
const TABLE = '\nNTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {\n    DriverObject->MajorFunction[IRP_MJ_WRITE] = DispatchWrite;\n    return STATUS_SUCCESS;\n}\n';

runRuleTests('marked-pending-not-returned', {
  valid: [
    {
      name: 'marked, queued, STATUS_PENDING returned',
      code: `${HEAD}NTSTATUS DispatchWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PDEVICE_EXTENSION ext = DeviceObject->DeviceExtension;
    IoMarkIrpPending(Irp);
    ExInterlockedInsertTailList(&ext->Queue, &Irp->Tail.Overlay.ListEntry, &ext->Lock);
    return STATUS_PENDING;
}${TABLE}`,
    },
    {
      name: 'marked, then completed with an error, still answered with STATUS_PENDING',
      code: `${HEAD}NTSTATUS DispatchWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PDEVICE_EXTENSION ext = DeviceObject->DeviceExtension;
    IoMarkIrpPending(Irp);
    if (ext->Removed) {
        Irp->IoStatus.Status = STATUS_DELETE_PENDING;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return STATUS_PENDING;
    }
    ExInterlockedInsertTailList(&ext->Queue, &Irp->Tail.Overlay.ListEntry, &ext->Lock);
    return STATUS_PENDING;
}${TABLE}`,
    },
    {
      name: 'the error return comes before the mark',
      code: `${HEAD}NTSTATUS DispatchWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PDEVICE_EXTENSION ext = DeviceObject->DeviceExtension;
    if (ext->Removed) {
        Irp->IoStatus.Status = STATUS_DELETE_PENDING;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return STATUS_DELETE_PENDING;
    }
    IoMarkIrpPending(Irp);
    ExInterlockedInsertTailList(&ext->Queue, &Irp->Tail.Overlay.ListEntry, &ext->Lock);
    return STATUS_PENDING;
}${TABLE}`,
    },
    {
      name: 'a status variable that is STATUS_PENDING on the marking path',
      code: `${HEAD}NTSTATUS DispatchWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PDEVICE_EXTENSION ext = DeviceObject->DeviceExtension;
    NTSTATUS status;
    if (ext->Removed) {
        status = STATUS_DELETE_PENDING;
        Irp->IoStatus.Status = status;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
    } else {
        IoMarkIrpPending(Irp);
        ExInterlockedInsertTailList(&ext->Queue, &Irp->Tail.Overlay.ListEntry, &ext->Lock);
        status = STATUS_PENDING;
    }
    return status;
}${TABLE}`,
    },
    {
      name: 'a completion routine marks and returns STATUS_CONTINUE_COMPLETION (not a dispatch routine)',
      code: `${HEAD}NTSTATUS WriteCompletion(PDEVICE_OBJECT DeviceObject, PIRP Irp, PVOID Context) {
    if (Irp->PendingReturned) {
        IoMarkIrpPending(Irp);
    }
    return STATUS_CONTINUE_COMPLETION;
}
NTSTATUS DispatchWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PDEVICE_EXTENSION ext = DeviceObject->DeviceExtension;
    IoCopyCurrentIrpStackLocationToNext(Irp);
    IoSetCompletionRoutine(Irp, WriteCompletion, NULL, TRUE, TRUE, TRUE);
    return IoCallDriver(ext->LowerDevice, Irp);
}${TABLE}`,
    },
    {
      name: 'the status comes from a call: the path does not pin it',
      code: `${HEAD}NTSTATUS DispatchWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PDEVICE_EXTENSION ext = DeviceObject->DeviceExtension;
    NTSTATUS status;
    IoMarkIrpPending(Irp);
    status = StartTransfer(ext, Irp);
    return status;
}${TABLE}`,
    },
  ],
  invalid: [
    {
      name: 'marked, queueing failed, the error is returned',
      code: `${HEAD}NTSTATUS DispatchWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PDEVICE_EXTENSION ext = DeviceObject->DeviceExtension;
    IoMarkIrpPending(Irp);
    if (ext->Removed) {
        Irp->IoStatus.Status = STATUS_DELETE_PENDING;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return STATUS_DELETE_PENDING;
    }
    ExInterlockedInsertTailList(&ext->Queue, &Irp->Tail.Overlay.ListEntry, &ext->Lock);
    return STATUS_PENDING;
}${TABLE}`,
      errors: [{ messageId: 'markedNotPending', line: 8, message: 'DispatchWrite marked Irp pending (line 4) but returns STATUS_DELETE_PENDING here: a marked IRP must be answered with STATUS_PENDING.' }],
      output: `${HEAD}NTSTATUS DispatchWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PDEVICE_EXTENSION ext = DeviceObject->DeviceExtension;
    IoMarkIrpPending(Irp);
    if (ext->Removed) {
        Irp->IoStatus.Status = STATUS_DELETE_PENDING;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return STATUS_PENDING;
    }
    ExInterlockedInsertTailList(&ext->Queue, &Irp->Tail.Overlay.ListEntry, &ext->Lock);
    return STATUS_PENDING;
}${TABLE}`,
    },
    {
      name: 'marked and STATUS_SUCCESS returned at the end',
      code: `${HEAD}NTSTATUS DispatchWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PDEVICE_EXTENSION ext = DeviceObject->DeviceExtension;
    IoMarkIrpPending(Irp);
    ExInterlockedInsertTailList(&ext->Queue, &Irp->Tail.Overlay.ListEntry, &ext->Lock);
    return STATUS_SUCCESS;
}${TABLE}`,
      errors: [{ messageId: 'markedNotPending', line: 6 }],
      output: `${HEAD}NTSTATUS DispatchWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PDEVICE_EXTENSION ext = DeviceObject->DeviceExtension;
    IoMarkIrpPending(Irp);
    ExInterlockedInsertTailList(&ext->Queue, &Irp->Tail.Overlay.ListEntry, &ext->Lock);
    return STATUS_PENDING;
}${TABLE}`,
    },
    {
      name: 'a status variable set to an error after the mark (no fix: the variable is returned on other paths too)',
      code: `${HEAD}NTSTATUS DispatchWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PDEVICE_EXTENSION ext = DeviceObject->DeviceExtension;
    NTSTATUS status = STATUS_PENDING;
    IoMarkIrpPending(Irp);
    if (ext->Removed) {
        status = STATUS_DELETE_PENDING;
        Irp->IoStatus.Status = status;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
    } else {
        ExInterlockedInsertTailList(&ext->Queue, &Irp->Tail.Overlay.ListEntry, &ext->Lock);
    }
    return status;
}${TABLE}`,
      errors: [{ messageId: 'markedNotPending', line: 13, message: /returns `status` \(not STATUS_PENDING on this path\)/ }],
    },
  ],
});
