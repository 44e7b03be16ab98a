import { runRuleTests } from '../helpers/rule-tester';

const HEAD = 'typedef struct _DEVICE_EXTENSION { KEVENT StopEvent; PDEVICE_OBJECT LowerDevice; } DEVICE_EXTENSION, *PDEVICE_EXTENSION;\ntypedef struct _SYNC_CONTEXT { KEVENT Done; NTSTATUS Status; } SYNC_CONTEXT;\n';

runRuleTests('user-wait-on-stack-object', {
  valid: [
    {
      name: 'KernelMode wait on a stack event',
      code: `${HEAD}NTSTATUS SendAndWait(PDEVICE_EXTENSION ext, PIRP irp) {
    KEVENT done;
    KeInitializeEvent(&done, NotificationEvent, FALSE);
    if (IoCallDriver(ext->LowerDevice, irp) == STATUS_PENDING) {
        KeWaitForSingleObject(&done, Executive, KernelMode, FALSE, NULL);
    }
    return irp->IoStatus.Status;
}`,
    },
    {
      name: 'UserMode wait on an event in the device extension (non-paged)',
      code: `${HEAD}NTSTATUS WaitForStop(PDEVICE_EXTENSION ext) {
    return KeWaitForSingleObject(&ext->StopEvent, UserRequest, UserMode, TRUE, NULL);
}`,
    },
    {
      name: 'UserMode wait on a static event',
      code: `NTSTATUS WaitForSignal(VOID) {
    static KEVENT signal;
    return KeWaitForSingleObject(&signal, UserRequest, UserMode, TRUE, NULL);
}`,
    },
    {
      name: 'UserMode wait on an event the pointer refers to (allocated elsewhere)',
      code: `NTSTATUS WaitOn(PKEVENT event) {
    return KeWaitForSingleObject(event, UserRequest, UserMode, TRUE, NULL);
}`,
    },
    {
      name: 'KeWaitForMultipleObjects in KernelMode on local events',
      code: `NTSTATUS WaitBoth(VOID) {
    KEVENT first;
    KEVENT second;
    PVOID objects[2] = { &first, &second };
    KWAIT_BLOCK blocks[2];
    KeInitializeEvent(&first, NotificationEvent, FALSE);
    KeInitializeEvent(&second, NotificationEvent, FALSE);
    return KeWaitForMultipleObjects(2, objects, WaitAll, Executive, KernelMode, FALSE, NULL, blocks);
}`,
    },
  ],
  invalid: [
    {
      name: 'UserMode wait on a local KEVENT',
      code: `${HEAD}NTSTATUS SendAndWait(PDEVICE_EXTENSION ext, PIRP irp) {
    KEVENT done;
    KeInitializeEvent(&done, NotificationEvent, FALSE);
    if (IoCallDriver(ext->LowerDevice, irp) == STATUS_PENDING) {
        KeWaitForSingleObject(&done, Executive, UserMode, FALSE, NULL);
    }
    return irp->IoStatus.Status;
}`,
      errors: [{ messageId: 'stackWait', line: 7, message: 'KeWaitForSingleObject waits in UserMode on `done`, which is on the kernel stack' }],
      output: `${HEAD}NTSTATUS SendAndWait(PDEVICE_EXTENSION ext, PIRP irp) {
    KEVENT done;
    KeInitializeEvent(&done, NotificationEvent, FALSE);
    if (IoCallDriver(ext->LowerDevice, irp) == STATUS_PENDING) {
        KeWaitForSingleObject(&done, Executive, KernelMode, FALSE, NULL);
    }
    return irp->IoStatus.Status;
}`,
    },
    {
      name: 'a wait in the requestor mode on an event inside a local structure',
      code: `${HEAD}NTSTATUS DispatchRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    SYNC_CONTEXT sync;
    KeInitializeEvent(&sync.Done, SynchronizationEvent, FALSE);
    StartHardwareRead(DeviceObject->DeviceExtension, &sync);
    KeWaitForSingleObject(&sync.Done, Executive, Irp->RequestorMode, TRUE, NULL);
    return sync.Status;
}`,
      errors: [{ messageId: 'stackWait', line: 7, message: /waits in Irp->RequestorMode \(UserMode for a user-mode caller\) on `sync.Done`/ }],
      output: `${HEAD}NTSTATUS DispatchRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    SYNC_CONTEXT sync;
    KeInitializeEvent(&sync.Done, SynchronizationEvent, FALSE);
    StartHardwareRead(DeviceObject->DeviceExtension, &sync);
    KeWaitForSingleObject(&sync.Done, Executive, KernelMode, TRUE, NULL);
    return sync.Status;
}`,
    },
    {
      name: 'KeWaitForMultipleObjects in UserMode on an array of local events',
      code: `NTSTATUS WaitEither(PKEVENT shared) {
    KEVENT stop;
    PVOID objects[2];
    KWAIT_BLOCK blocks[2];
    KeInitializeEvent(&stop, NotificationEvent, FALSE);
    objects[0] = shared;
    objects[1] = &stop;
    return KeWaitForMultipleObjects(2, objects, WaitAny, UserRequest, UserMode, TRUE, NULL, blocks);
}`,
      errors: [{ messageId: 'stackWait', line: 8, message: 'KeWaitForMultipleObjects waits in UserMode on `stop`' }],
      output: `NTSTATUS WaitEither(PKEVENT shared) {
    KEVENT stop;
    PVOID objects[2];
    KWAIT_BLOCK blocks[2];
    KeInitializeEvent(&stop, NotificationEvent, FALSE);
    objects[0] = shared;
    objects[1] = &stop;
    return KeWaitForMultipleObjects(2, objects, WaitAny, UserRequest, KernelMode, TRUE, NULL, blocks);
}`,
    },
    {
      name: 'a local mutex waited on in UserMode',
      code: `VOID Serialize(VOID) {
    KMUTEX gate;
    KeInitializeMutex(&gate, 0);
    KeWaitForMutexObject(&gate, Executive, UserMode, FALSE, NULL);
    KeReleaseMutex(&gate, FALSE);
}`,
      errors: [{ messageId: 'stackWait', line: 4 }],
      output: `VOID Serialize(VOID) {
    KMUTEX gate;
    KeInitializeMutex(&gate, 0);
    KeWaitForMutexObject(&gate, Executive, KernelMode, FALSE, NULL);
    KeReleaseMutex(&gate, FALSE);
}`,
    },
  ],
});
