import { runRuleTests } from '../helpers/rule-tester';

const HEAD = 'typedef struct _DEVICE_EXTENSION { PDEVICE_OBJECT LowerDevice; } DEVICE_EXTENSION, *PDEVICE_EXTENSION;\n';

runRuleTests('stack-location-copied-whole', {
  valid: [
    {
      name: 'WDM: IoCopyCurrentIrpStackLocationToNext before forwarding',
      code: `${HEAD}NTSTATUS Forward(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PDEVICE_EXTENSION ext = DeviceObject->DeviceExtension;
    IoCopyCurrentIrpStackLocationToNext(Irp);
    IoSetCompletionRoutine(Irp, Done, ext, TRUE, TRUE, TRUE);
    return IoCallDriver(ext->LowerDevice, Irp);
}`,
    },
    {
      name: 'copying only the parameters into the next location',
      code: `${HEAD}NTSTATUS Forward(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PDEVICE_EXTENSION ext = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION current = IoGetCurrentIrpStackLocation(Irp);
    PIO_STACK_LOCATION next = IoGetNextIrpStackLocation(Irp);
    next->Parameters = current->Parameters;
    next->MajorFunction = IRP_MJ_INTERNAL_DEVICE_CONTROL;
    RtlCopyMemory(&next->Parameters, &current->Parameters, sizeof(current->Parameters));
    return IoCallDriver(ext->LowerDevice, Irp);
}`,
    },
    {
      name: 'a saved copy of the current location in a local (not the next location)',
      code: `${HEAD}VOID Save(PIRP Irp, PIO_STACK_LOCATION saved) {
    *saved = *IoGetCurrentIrpStackLocation(Irp);
    RtlZeroMemory(IoGetNextIrpStackLocation(Irp), sizeof(IO_STACK_LOCATION));
}`,
    },
    {
      name: 'locations of two different IRPs (a new IRP built from the current one)',
      code: `${HEAD}VOID Build(PIRP Irp, PIRP NewIrp) {
    *IoGetNextIrpStackLocation(NewIrp) = *IoGetCurrentIrpStackLocation(Irp);
}`,
    },
    {
      name: 'WDM: whole copy then IoSetCompletionRoutine (the copied routine, context and Control are overwritten)',
      code: `${HEAD}NTSTATUS Forward(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PDEVICE_EXTENSION ext = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);
    PIO_STACK_LOCATION nextSp = IoGetNextIrpStackLocation(Irp);
    *nextSp = *irpSp;
    IoSetCompletionRoutine(Irp, Done, ext, TRUE, TRUE, TRUE);
    return IoCallDriver(ext->LowerDevice, Irp);
}`,
    },
    {
      name: 'WDM: whole copy, then the completion routine written into the next location by hand',
      code: `${HEAD}NTSTATUS Forward(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PDEVICE_EXTENSION ext = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION nextSp = IoGetNextIrpStackLocation(Irp);
    RtlCopyMemory(nextSp, IoGetCurrentIrpStackLocation(Irp), sizeof(IO_STACK_LOCATION));
    nextSp->CompletionRoutine = NULL;
    nextSp->Control = 0;
    return IoCallDriver(ext->LowerDevice, Irp);
}`,
    },
    {
      name: 'the documented copy spelled out: everything up to CompletionRoutine, Control cleared',
      code: `${HEAD}VOID CopyToNext(PIRP Irp) {
    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);
    PIO_STACK_LOCATION nextIrpSp = IoGetNextIrpStackLocation(Irp);
    RtlCopyMemory(nextIrpSp, irpSp, FIELD_OFFSET(IO_STACK_LOCATION, CompletionRoutine));
    nextIrpSp->Control = 0;
}`,
    },
  ],
  invalid: [
    {
      name: 'WDM: structure assignment through the two getters (fix)',
      code: `${HEAD}NTSTATUS Forward(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PDEVICE_EXTENSION ext = DeviceObject->DeviceExtension;
    *IoGetNextIrpStackLocation(Irp) = *IoGetCurrentIrpStackLocation(Irp);
    return IoCallDriver(ext->LowerDevice, Irp);
}`,
      errors: [{ messageId: 'copied', line: 4, message: 'Use `IoCopyCurrentIrpStackLocationToNext(Irp)`' }],
      output: `${HEAD}NTSTATUS Forward(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PDEVICE_EXTENSION ext = DeviceObject->DeviceExtension;
    IoCopyCurrentIrpStackLocationToNext(Irp);
    return IoCallDriver(ext->LowerDevice, Irp);
}`,
    },
    {
      name: 'WDM: RtlCopyMemory of sizeof(*nextSp) through locals, no completion routine of its own',
      code: `${HEAD}NTSTATUS Forward(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PDEVICE_EXTENSION ext = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);
    PIO_STACK_LOCATION nextSp;
    nextSp = IoGetNextIrpStackLocation(Irp);
    RtlCopyMemory(nextSp, irpSp, sizeof(*nextSp));
    return IoCallDriver(ext->LowerDevice, Irp);
}`,
      errors: [{ messageId: 'copied', line: 7 }],
      output: `${HEAD}NTSTATUS Forward(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PDEVICE_EXTENSION ext = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);
    PIO_STACK_LOCATION nextSp;
    nextSp = IoGetNextIrpStackLocation(Irp);
    IoCopyCurrentIrpStackLocationToNext(Irp);
    return IoCallDriver(ext->LowerDevice, Irp);
}`,
    },
    {
      name: 'WDM: the completion routine is set first and the whole copy then overwrites it with the one from above',
      code: `${HEAD}NTSTATUS Forward(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PDEVICE_EXTENSION ext = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION irpStack = IoGetCurrentIrpStackLocation(Irp);
    PIO_STACK_LOCATION nextStack = IoGetNextIrpStackLocation(Irp);
    IoSetCompletionRoutine(Irp, Done, ext, TRUE, TRUE, TRUE);
    memcpy(nextStack, irpStack, sizeof(struct _IO_STACK_LOCATION));
    return IoCallDriver(ext->LowerDevice, Irp);
}`,
      errors: [{ messageId: 'copied', line: 7 }],
      output: `${HEAD}NTSTATUS Forward(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PDEVICE_EXTENSION ext = DeviceObject->DeviceExtension;
    PIO_STACK_LOCATION irpStack = IoGetCurrentIrpStackLocation(Irp);
    PIO_STACK_LOCATION nextStack = IoGetNextIrpStackLocation(Irp);
    IoSetCompletionRoutine(Irp, Done, ext, TRUE, TRUE, TRUE);
    IoCopyCurrentIrpStackLocationToNext(Irp);
    return IoCallDriver(ext->LowerDevice, Irp);
}`,
    },
    {
      name: 'KMDF: a WDM IRP forwarded from EvtDeviceWdmIrpPreprocess with a whole-structure copy',
      code: `NTSTATUS EvtPreprocess(WDFDEVICE Device, PIRP Irp) {
    PIO_STACK_LOCATION next = IoGetNextIrpStackLocation(Irp);
    *next = *IoGetCurrentIrpStackLocation(Irp);
    return WdfDeviceWdmDispatchPreprocessedIrp(Device, Irp);
}`,
      errors: [{ messageId: 'copied', line: 3 }],
      output: `NTSTATUS EvtPreprocess(WDFDEVICE Device, PIRP Irp) {
    PIO_STACK_LOCATION next = IoGetNextIrpStackLocation(Irp);
    IoCopyCurrentIrpStackLocationToNext(Irp);
    return WdfDeviceWdmDispatchPreprocessedIrp(Device, Irp);
}`,
    },
  ],
});
