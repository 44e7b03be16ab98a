import { runRuleTests } from '../helpers/rule-tester';

const HEAD = 'typedef struct _DEVICE_EXTENSION { KEVENT StopEvent; PKTHREAD WorkerThread; KSEMAPHORE Work; } DEVICE_EXTENSION, *PDEVICE_EXTENSION;\n';

runRuleTests('set-event-wait-in-pageable', {
  valid: [
    {
      name: 'Wait = FALSE in pageable code',
      code: `${HEAD}#pragma alloc_text(PAGE, StopWorker)
VOID StopWorker(PDEVICE_EXTENSION ext) {
    PAGED_CODE();
    KeSetEvent(&ext->StopEvent, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(ext->WorkerThread, Executive, KernelMode, FALSE, NULL);
}`,
    },
    {
      name: 'Wait = TRUE in non-paged code followed by the wait',
      code: `${HEAD}VOID Handoff(PDEVICE_EXTENSION ext) {
    KeSetEvent(&ext->StopEvent, IO_NO_INCREMENT, TRUE);
    KeWaitForSingleObject(ext->WorkerThread, Executive, KernelMode, FALSE, NULL);
}`,
    },
    {
      name: 'a pageable function elsewhere in the file does not make this one pageable',
      code: `${HEAD}#pragma alloc_text(PAGE, Unload)
VOID Unload(PDRIVER_OBJECT DriverObject) {
    PAGED_CODE();
}
VOID Handoff(PDEVICE_EXTENSION ext) {
    KeReleaseSemaphore(&ext->Work, IO_NO_INCREMENT, 1, TRUE);
    KeWaitForSingleObject(ext->WorkerThread, Executive, KernelMode, FALSE, NULL);
}`,
    },
  ],
  invalid: [
    {
      name: 'KeSetEvent(..., TRUE) in a PAGED_CODE function',
      code: `${HEAD}VOID StopWorker(PDEVICE_EXTENSION ext) {
    PAGED_CODE();
    KeSetEvent(&ext->StopEvent, IO_NO_INCREMENT, TRUE);
    KeWaitForSingleObject(ext->WorkerThread, Executive, KernelMode, FALSE, NULL);
}`,
      errors: [{ messageId: 'waitInPageable', line: 4, message: 'KeSetEvent with Wait = TRUE returns at DISPATCH_LEVEL, but StopWorker starts with PAGED_CODE(): its code after the call' }],
      output: `${HEAD}VOID StopWorker(PDEVICE_EXTENSION ext) {
    PAGED_CODE();
    KeSetEvent(&ext->StopEvent, IO_NO_INCREMENT, FALSE);
    KeWaitForSingleObject(ext->WorkerThread, Executive, KernelMode, FALSE, NULL);
}`,
    },
    {
      name: 'KeReleaseSemaphore(..., TRUE) in an alloc_text PAGE function',
      code: `${HEAD}#pragma alloc_text(PAGE, QueueWork)
VOID QueueWork(PDEVICE_EXTENSION ext) {
    KeReleaseSemaphore(&ext->Work, IO_NO_INCREMENT, 1, TRUE);
    KeWaitForSingleObject(ext->WorkerThread, Executive, KernelMode, FALSE, NULL);
}`,
      errors: [{ messageId: 'waitInPageable', line: 4 }],
      output: `${HEAD}#pragma alloc_text(PAGE, QueueWork)
VOID QueueWork(PDEVICE_EXTENSION ext) {
    KeReleaseSemaphore(&ext->Work, IO_NO_INCREMENT, 1, FALSE);
    KeWaitForSingleObject(ext->WorkerThread, Executive, KernelMode, FALSE, NULL);
}`,
    },
    {
      name: 'KeReleaseMutex(..., TRUE) in pageable code',
      code: `VOID Leave(PKMUTEX mutex) {
    PAGED_CODE();
    KeReleaseMutex(mutex, TRUE);
    KeWaitForSingleObject(mutex, Executive, KernelMode, FALSE, NULL);
}`,
      errors: [{ messageId: 'waitInPageable', line: 3 }],
      output: `VOID Leave(PKMUTEX mutex) {
    PAGED_CODE();
    KeReleaseMutex(mutex, FALSE);
    KeWaitForSingleObject(mutex, Executive, KernelMode, FALSE, NULL);
}`,
    },
  ],
});
