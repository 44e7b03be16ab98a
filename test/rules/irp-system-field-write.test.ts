import { runRuleTests } from '../helpers/rule-tester';

const HEAD = 'typedef struct _DEVICE_EXTENSION { KSPIN_LOCK Lock; LIST_ENTRY Queue; } DEVICE_EXTENSION, *PDEVICE_EXTENSION;\ntypedef struct _REQUEST_CONTEXT { PDRIVER_CANCEL CancelRoutine; BOOLEAN Cancel; } REQUEST_CONTEXT, *PREQUEST_CONTEXT;\n';

runRuleTests('irp-system-field-write', {
  valid: [
    {
      name: 'WDM: IoSetCancelRoutine, and reading the fields',
      code: `${HEAD}NTSTATUS QueueIrp(PDEVICE_EXTENSION ext, PIRP Irp) {
    KIRQL irql;
    KeAcquireSpinLock(&ext->Lock, &irql);
    IoSetCancelRoutine(Irp, CancelIrp);
    if (Irp->Cancel && IoSetCancelRoutine(Irp, NULL) != NULL) {
        KeReleaseSpinLock(&ext->Lock, irql);
        return STATUS_CANCELLED;
    }
    InsertTailList(&ext->Queue, &Irp->Tail.Overlay.ListEntry);
    KeReleaseSpinLock(&ext->Lock, irql);
    return STATUS_PENDING;
}`,
    },
    {
      name: 'KMDF: a request context with fields of the same names',
      code: `${HEAD}VOID SetCancel(WDFREQUEST Request, PDRIVER_CANCEL routine) {
    PREQUEST_CONTEXT reqContext = GetRequestContext(Request);
    reqContext->CancelRoutine = routine;
    reqContext->Cancel = FALSE;
}`,
    },
    {
      name: 'a driver structure named Irp, and the stack fields only read',
      code: `${HEAD}typedef struct _MY_REQUEST { BOOLEAN Cancel; CHAR CurrentLocation; } MY_REQUEST, *PMY_REQUEST;
BOOLEAN Check(PMY_REQUEST Irp, PIRP real) {
    Irp->Cancel = TRUE;
    Irp->CurrentLocation--;
    return real->CurrentLocation <= real->StackCount && real->Tail.Overlay.CurrentStackLocation != NULL;
}`,
    },
    {
      name: 'comparisons and a struct copy of another type',
      code: `${HEAD}BOOLEAN IsCancellable(PIRP Irp, PREQUEST_CONTEXT ctx) {
    ctx->CancelRoutine = NULL;
    return Irp->CancelRoutine == NULL;
}`,
    },
  ],
  invalid: [
    {
      name: 'WDM: CancelRoutine assigned directly (fix: IoSetCancelRoutine)',
      code: `${HEAD}NTSTATUS QueueIrp(PDEVICE_EXTENSION ext, PIRP Irp) {
    Irp->CancelRoutine = CancelIrp;
    InsertTailList(&ext->Queue, &Irp->Tail.Overlay.ListEntry);
    return STATUS_PENDING;
}`,
      errors: [{ messageId: 'cancelRoutine', line: 4, message: '`Irp->CancelRoutine` is assigned directly: IoCancelIrp exchanges this field atomically, so the assignment races with cancellation. Use `IoSetCancelRoutine(Irp, CancelIrp)`.' }],
      output: `${HEAD}NTSTATUS QueueIrp(PDEVICE_EXTENSION ext, PIRP Irp) {
    IoSetCancelRoutine(Irp, CancelIrp);
    InsertTailList(&ext->Queue, &Irp->Tail.Overlay.ListEntry);
    return STATUS_PENDING;
}`,
    },
    {
      name: 'WDM: cancel routine cleared directly on a dequeued IRP (local PIRP)',
      code: `${HEAD}PIRP Dequeue(PDEVICE_EXTENSION ext) {
    PLIST_ENTRY entry = RemoveHeadList(&ext->Queue);
    PIRP irp = CONTAINING_RECORD(entry, IRP, Tail.Overlay.ListEntry);
    irp->CancelRoutine = NULL;
    return irp;
}`,
      errors: [{ messageId: 'cancelRoutine', line: 6 }],
      output: `${HEAD}PIRP Dequeue(PDEVICE_EXTENSION ext) {
    PLIST_ENTRY entry = RemoveHeadList(&ext->Queue);
    PIRP irp = CONTAINING_RECORD(entry, IRP, Tail.Overlay.ListEntry);
    IoSetCancelRoutine(irp, NULL);
    return irp;
}`,
    },
    {
      name: 'WDM: the stack location pointer and the Cancel flag written by hand',
      code: `${HEAD}NTSTATUS Forward(PDEVICE_OBJECT Lower, PIRP Irp) {
    Irp->CurrentLocation++;
    Irp->Tail.Overlay.CurrentStackLocation = IoGetCurrentIrpStackLocation(Irp) + 1;
    Irp->Cancel = FALSE;
    return IoCallDriver(Lower, Irp);
}`,
      errors: [
        { messageId: 'systemField', line: 4, message: '`Irp->CurrentLocation` is owned by the I/O manager' },
        { messageId: 'systemField', line: 5, message: '`Irp->Tail.Overlay.CurrentStackLocation` is owned by the I/O manager' },
        { messageId: 'systemField', line: 6, message: 'IoReuseIrp to reset a reused IRP' },
      ],
    },
    {
      name: 'WDM: IoSkipCurrentIrpStackLocation written out by hand on a driver-allocated IRP (PIRP local)',
      code: `${HEAD}NTSTATUS SendDown(PDEVICE_OBJECT Lower, CCHAR stackSize) {
    PIRP newIrp = IoAllocateIrp(stackSize, FALSE);
    if (newIrp == NULL) return STATUS_INSUFFICIENT_RESOURCES;
    newIrp->CurrentLocation += 1;
    ++newIrp->Tail.Overlay.CurrentStackLocation;
    return IoCallDriver(Lower, newIrp);
}`,
      errors: [{ messageId: 'systemField', line: 6 }, { messageId: 'systemField', line: 7 }],
    },
  ],
});
