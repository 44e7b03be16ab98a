import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAnalyzer, WorkspaceIndex } from '../../server/src/core';
import { RecordingWorkspace } from '../../server/src/analysis/workspace-trace';
import { runRuleTests } from '../helpers/rule-tester';

const HEAD = '#define IOCTL_RESET CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_BUFFERED, FILE_WRITE_ACCESS)\n#define IOCTL_QUERY CTL_CODE(FILE_DEVICE_UNKNOWN, 0x801, METHOD_BUFFERED, FILE_READ_ACCESS)\ntypedef struct _DEVICE_EXTENSION { PDEVICE_OBJECT LowerDevice; ULONG State; } DEVICE_EXTENSION, *PDEVICE_EXTENSION;\n';

runRuleTests('irp-completed-twice', {
  valid: [
    {
      name: 'each case breaks, one completion after the switch',
      code: `${HEAD}NTSTATUS DispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status;
    switch (stack->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_RESET:
        status = STATUS_SUCCESS;
        break;
    default:
        status = STATUS_INVALID_DEVICE_REQUEST;
        break;
    }
    Irp->IoStatus.Status = status;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return status;
}`,
    },
    {
      name: 'error path completes and returns',
      code: `${HEAD}NTSTATUS DispatchRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    if (stack->Parameters.Read.Length < sizeof(ULONG)) {
        Irp->IoStatus.Status = STATUS_BUFFER_TOO_SMALL;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return STATUS_BUFFER_TOO_SMALL;
    }
    Irp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}`,
    },
    {
      name: 'a flag records that the case already completed',
      code: `${HEAD}NTSTATUS DispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status = STATUS_SUCCESS;
    BOOLEAN completed = FALSE;
    switch (stack->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_RESET:
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        completed = TRUE;
        break;
    default:
        status = STATUS_INVALID_DEVICE_REQUEST;
        break;
    }
    if (!completed) {
        Irp->IoStatus.Status = status;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
    }
    return status;
}`,
    },
    {
      name: 'forward and wait: the completion routine gives the IRP back',
      code: `${HEAD}NTSTATUS DispatchPnp(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PDEVICE_EXTENSION ext = DeviceObject->DeviceExtension;
    KEVENT event;
    NTSTATUS status;
    KeInitializeEvent(&event, NotificationEvent, FALSE);
    IoCopyCurrentIrpStackLocationToNext(Irp);
    IoSetCompletionRoutine(Irp, CompletionRoutine, &event, TRUE, TRUE, TRUE);
    status = IoCallDriver(ext->LowerDevice, Irp);
    if (status == STATUS_PENDING) {
        KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, NULL);
        status = Irp->IoStatus.Status;
    }
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return status;
}`,
    },
    {
      name: 'pending requests drained from a list, one completion each',
      code: `${HEAD}VOID CancelAll(PLIST_ENTRY head) {
    while (!IsListEmpty(head)) {
        PLIST_ENTRY entry = RemoveHeadList(head);
        PIRP Irp = CONTAINING_RECORD(entry, IRP, Tail.Overlay.ListEntry);
        Irp->IoStatus.Status = STATUS_CANCELLED;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
    }
}`,
    },
    {
      name: 'KMDF: forward failed, so the request is still ours to complete',
      code: `${HEAD}VOID EvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode) {
    NTSTATUS status = WdfRequestForwardToIoQueue(Request, GetContext(Queue)->PendingQueue);
    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(Request, status);
    }
}`,
    },
    {
      name: 'different IRPs completed',
      code: `${HEAD}VOID CompletePair(PIRP Irp, PIRP Other) {
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    IoCompleteRequest(Other, IO_NO_INCREMENT);
}`,
    },
    {
      name: 'exception handler sets the status; one completion after __try',
      code: `${HEAD}NTSTATUS DispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status = STATUS_SUCCESS;
    __try {
        ProbeForRead(stack->Parameters.DeviceIoControl.Type3InputBuffer, sizeof(ULONG), sizeof(ULONG));
        if (*(PULONG)stack->Parameters.DeviceIoControl.Type3InputBuffer == 0) {
            Irp->IoStatus.Status = STATUS_SUCCESS;
            IoCompleteRequest(Irp, IO_NO_INCREMENT);
            return STATUS_SUCCESS;
        }
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        status = GetExceptionCode();
    }
    Irp->IoStatus.Status = status;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return status;
}`,
    },
    {
      name: 'KMDF: each request retrieved from the queue through an out-parameter is completed once',
      code: `${HEAD}VOID CancelPending(WDFQUEUE Queue) {
    WDFREQUEST request;
    while (NT_SUCCESS(WdfIoQueueRetrieveNextRequest(Queue, &request))) {
        WdfRequestComplete(request, STATUS_CANCELLED);
    }
}`,
    },
    {
      name: 'a helper that completes only sometimes is not a completion',
      code: `${HEAD}VOID MaybeComplete(PIRP Irp, NTSTATUS status) {
    if (status != STATUS_PENDING) {
        Irp->IoStatus.Status = status;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
    }
}
NTSTATUS DispatchRead(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    MaybeComplete(Irp, STATUS_PENDING);
    Irp->IoStatus.Status = STATUS_SUCCESS;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}`,
    },
    {
      name: 'completed on the success path after `if (!NT_SUCCESS(status)) goto End;`, and at End only on failure',
      code: `${HEAD}VOID EvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode) {
    NTSTATUS status = WdfRequestRetrieveOutputBuffer(Request, 0, NULL, NULL);
    if (!NT_SUCCESS(status)) goto End;
    status = UpdateWidget(Queue);
    if (NT_SUCCESS(status) != TRUE) goto End;
    WdfRequestComplete(Request, STATUS_SUCCESS);
End:
    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(Request, status);
    }
}`,
    },
    {
      name: 'a WPP trace function whose PRE/POST macros jump to End on failure is the guard it expands to',
      code: `${HEAD}// begin_wpp config
// FUNC CHECK_STATUS{CHECK=ANY,LEVEL=TRACE_LEVEL_ERROR}(STATUS, MSG, ...);
// end_wpp
#define WPP_CHECK_LEVEL_STATUS_PRE(CHECK, LEVEL, STATUS) { if (!NT_SUCCESS(STATUS)) {
#define WPP_CHECK_LEVEL_STATUS_POST(CHECK, LEVEL, STATUS) ; LogFailure(STATUS); goto End; } }
VOID EvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode) {
    NTSTATUS status = UpdateWidget(Queue);
    CHECK_STATUS(status, "update failed");
    WdfRequestComplete(Request, STATUS_SUCCESS);
End:
    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(Request, status);
    }
}`,
    },
  ],
  invalid: [
    {
      name: 'case completes and falls through to the completion after the switch',
      code: `${HEAD}NTSTATUS DispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status = STATUS_SUCCESS;
    switch (stack->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_RESET:
        Irp->IoStatus.Status = STATUS_SUCCESS;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        break;
    default:
        status = STATUS_INVALID_DEVICE_REQUEST;
        break;
    }
    Irp->IoStatus.Status = status;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return status;
}`,
      errors: [{ messageId: 'completedTwice', line: 17, message: '`Irp` is completed again here, but IoCompleteRequest on line 10 already completed it' }],
    },
    {
      name: 'error branch completes without returning',
      code: `${HEAD}NTSTATUS DispatchWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status = STATUS_SUCCESS;
    if (stack->Parameters.Write.Length == 0) {
        Irp->IoStatus.Status = STATUS_INVALID_PARAMETER;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
    }
    Irp->IoStatus.Status = status;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return status;
}`,
      errors: [{ messageId: 'completedTwice', line: 12 }],
    },
    {
      name: 'completed after IoCallDriver passed it down',
      code: `${HEAD}NTSTATUS DispatchPower(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PDEVICE_EXTENSION ext = DeviceObject->DeviceExtension;
    NTSTATUS status;
    IoSkipCurrentIrpStackLocation(Irp);
    status = IoCallDriver(ext->LowerDevice, Irp);
    if (!NT_SUCCESS(status)) {
        Irp->IoStatus.Status = status;
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
    }
    return status;
}`,
      errors: [{ messageId: 'completedAfterPassDown', line: 11, message: 'after IoCallDriver on line 8 passed it to the lower driver' }],
    },
    {
      name: 'KMDF request completed in the case and after the switch',
      code: `${HEAD}VOID EvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode) {
    NTSTATUS status = STATUS_SUCCESS;
    switch (IoControlCode) {
    case IOCTL_QUERY:
        if (OutputBufferLength < sizeof(ULONG)) {
            WdfRequestComplete(Request, STATUS_BUFFER_TOO_SMALL);
        }
        break;
    default:
        status = STATUS_INVALID_DEVICE_REQUEST;
        break;
    }
    WdfRequestComplete(Request, status);
}`,
      errors: [{ messageId: 'completedTwice', line: 16, message: 'WdfRequestComplete on line 9' }],
    },
    {
      name: 'completion helper of this file called on the error path and again at the end',
      code: `${HEAD}VOID CompleteIrp(PIRP Irp, NTSTATUS status, ULONG_PTR info) {
    Irp->IoStatus.Status = status;
    Irp->IoStatus.Information = info;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
}
NTSTATUS DispatchWrite(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    if (stack->Parameters.Write.Length == 0) {
        CompleteIrp(Irp, STATUS_INVALID_PARAMETER, 0);
    }
    CompleteIrp(Irp, STATUS_SUCCESS, stack->Parameters.Write.Length);
    return STATUS_SUCCESS;
}`,
      errors: [{ messageId: 'completedTwice', line: 14, message: 'but CompleteIrp on line 12 already completed it' }],
    },
    {
      name: 'names the completion on the path, not a nearer one that returns',
      code: `${HEAD}NTSTATUS DispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
    PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status = STATUS_SUCCESS;
    switch (stack->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_RESET:
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        break;
    case IOCTL_QUERY:
        IoCompleteRequest(Irp, IO_NO_INCREMENT);
        return STATUS_SUCCESS;
    default:
        status = STATUS_INVALID_DEVICE_REQUEST;
        break;
    }
    Irp->IoStatus.Status = status;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return status;
}`,
      errors: [{ messageId: 'completedTwice', line: 19, message: 'IoCompleteRequest on line 9 already completed it' }],
    },
    {
      name: 'a failure branch that only logs falls through to the completion, and End completes again',
      code: `${HEAD}VOID EvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode) {
    NTSTATUS status = UpdateWidget(Queue);
    if (!NT_SUCCESS(status)) {
        LogFailure(status);
    }
    WdfRequestComplete(Request, STATUS_SUCCESS);
    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(Request, status);
    }
}`,
      errors: [{ messageId: 'completedTwice', line: 11 }],
    },
    {
      name: 'a WPP trace function that only logs (no jump in its POST macro) is a plain call',
      code: `${HEAD}// begin_wpp config
// FUNC LOG_STATUS{LOG=ANY}(STATUS, MSG, ...);
// end_wpp
#define WPP_LOG_STATUS_PRE(LOG, STATUS) { if (!NT_SUCCESS(STATUS)) {
#define WPP_LOG_STATUS_POST(LOG, STATUS) ; LogFailure(STATUS); } }
VOID EvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode) {
    NTSTATUS status = UpdateWidget(Queue);
    LOG_STATUS(status, "update failed");
    WdfRequestComplete(Request, STATUS_SUCCESS);
End:
    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(Request, status);
    }
}`,
      errors: [{ messageId: 'completedTwice', line: 15 }],
    },
  ],
});

describe('irp-completed-twice with a WPP config in another driver\'s header', () => {
  it('expands a guard declared in the trace.h nearest to the file, and records the question for the scan cache', async () => {
    const analyzer = await createAnalyzer();
    const header = (post: string) => `// begin_wpp config\n// FUNC CHECK_STATUS{CHECK=ANY}(STATUS, MSG, ...);\n// end_wpp\n#define WPP_CHECK_STATUS_PRE(CHECK, STATUS) { if (NT_SUCCESS(STATUS) != TRUE) {\n#define WPP_CHECK_STATUS_POST(CHECK, STATUS) ; ${post} } }\n`;
    const source = `#include "trace.h"
VOID EvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode) {
    NTSTATUS status = UpdateWidget(Queue);
    CHECK_STATUS(status, "update failed");
    WdfRequestComplete(Request, STATUS_SUCCESS);
End:
    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(Request, status);
    }
}`;
    const workspace = new WorkspaceIndex();
    workspace.update('/w/jumps/trace.h', header('goto End;'));
    workspace.update('/w/logs/trace.h', header('LogFailure(STATUS);'));
    workspace.update('/w/jumps/queue.c', source);
    workspace.update('/w/logs/queue.c', source);
    const twice = (fileName: string, facts = workspace as WorkspaceIndex | RecordingWorkspace) => analyzer.analyze({ text: source, fileName }, { workspace: facts }).findings.filter((finding) => finding.ruleId === 'irp-completed-twice').map((finding) => finding.range.start.line);
    assert.deepEqual(twice('/w/jumps/queue.c'), []);
    assert.deepEqual(twice('/w/logs/queue.c'), [7]);
    const recording = new RecordingWorkspace(workspace);
    twice('/w/jumps/queue.c', recording);
    assert.ok(recording.trace().some(([kind, argument, answer]) => kind === 'wpp-function' && argument === JSON.stringify(['CHECK_STATUS', '/w/jumps/queue.c']) && answer.includes('/w/jumps/trace.h')), JSON.stringify(recording.trace()));
  });
});
