/*
 * Deliberately vulnerable KMDF handlers that hand an object to a helper which calls its callback, when the kernel
 * cannot trust that callback: copied from the request into the device context, or left in pool nobody initialized,
 * written from scratch for the Driver Guard corpus (markers: see queue.c and test/corpus/corpus.test.ts).
 */
#include <ntddk.h>
#include <wdf.h>

#define KUCB_TAG 'bcUK'
#define KUCB_IOCTL(function, method) CTL_CODE(FILE_DEVICE_UNKNOWN, (function), (method), FILE_READ_ACCESS | FILE_WRITE_ACCESS)
#define IOCTL_KUCB_SUBSCRIBE       KUCB_IOCTL(0xE80, METHOD_BUFFERED)
#define IOCTL_KUCB_SUBSCRIBE_SAFE  KUCB_IOCTL(0xE81, METHOD_BUFFERED)
#define IOCTL_KUCB_WORK            KUCB_IOCTL(0xE82, METHOD_BUFFERED)
#define IOCTL_KUCB_WORK_SAFE       KUCB_IOCTL(0xE83, METHOD_BUFFERED)

typedef VOID (*PKUCB_ROUTINE)(_In_opt_ PVOID Context);

typedef struct _KUCB_SUBSCRIBE_REQUEST {
    ULONG Events;
    PKUCB_ROUTINE Routine;
} KUCB_SUBSCRIBE_REQUEST, *PKUCB_SUBSCRIBE_REQUEST;

typedef struct _KUCB_SUBSCRIPTION {
    ULONG Events;
    PKUCB_ROUTINE Routine;
    PVOID Context;
} KUCB_SUBSCRIPTION, *PKUCB_SUBSCRIPTION;

typedef struct _KUCB_WORK {
    ULONG Sequence;
    PKUCB_ROUTINE Routine;
    PVOID Context;
} KUCB_WORK, *PKUCB_WORK;

typedef struct _KUCB_DEVICE_CONTEXT {
    KUCB_SUBSCRIPTION Subscription;
    LONG Sequence;
} KUCB_DEVICE_CONTEXT, *PKUCB_DEVICE_CONTEXT;

WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(KUCB_DEVICE_CONTEXT, KucbGetDeviceContext)

EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL KucbEvtIoDeviceControl;

static VOID
KucbDefaultRoutine(_In_opt_ PVOID Context)
{
    UNREFERENCED_PARAMETER(Context);
}

/* Helper: tells the subscriber (calls through the object it is given). */
static VOID
KucbNotify(_In_ PKUCB_SUBSCRIPTION Subscription)
{
    Subscription->Routine(Subscription->Context);
}

/* Helper: runs a work item (calls through the object it is given). */
static VOID
KucbRunWork(_In_ PKUCB_WORK Work)
{
    Work->Routine(Work->Context);
}

// bug class: untrusted callback
// vulnerable: user-function-pointer-call
static NTSTATUS
KucbSubscribe(_In_ WDFDEVICE Device, _In_ WDFREQUEST Request)
{
    PKUCB_DEVICE_CONTEXT context = KucbGetDeviceContext(Device);
    PKUCB_SUBSCRIBE_REQUEST request;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(KUCB_SUBSCRIBE_REQUEST), (PVOID*)&request, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    context->Subscription.Events = request->Events;
    context->Subscription.Routine = request->Routine;
    context->Subscription.Context = context;
    KucbNotify(&context->Subscription);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
KucbSubscribeSafe(_In_ WDFDEVICE Device, _In_ WDFREQUEST Request)
{
    PKUCB_DEVICE_CONTEXT context = KucbGetDeviceContext(Device);
    PKUCB_SUBSCRIBE_REQUEST request;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(KUCB_SUBSCRIBE_REQUEST), (PVOID*)&request, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    context->Subscription.Events = request->Events;
    context->Subscription.Routine = KucbDefaultRoutine;
    context->Subscription.Context = context;
    KucbNotify(&context->Subscription);
    return STATUS_SUCCESS;
}

// bug class: untrusted callback
// vulnerable: user-function-pointer-call
static NTSTATUS
KucbQueueWork(_In_ WDFDEVICE Device)
{
    PKUCB_DEVICE_CONTEXT context = KucbGetDeviceContext(Device);
    PKUCB_WORK work;

    work = (PKUCB_WORK)ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_UNINITIALIZED, sizeof(KUCB_WORK), KUCB_TAG);
    if (work == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    work->Sequence = (ULONG)InterlockedIncrement(&context->Sequence);
    work->Context = context;
    KucbRunWork(work);
    ExFreePoolWithTag(work, KUCB_TAG);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
KucbQueueWorkSafe(_In_ WDFDEVICE Device)
{
    PKUCB_DEVICE_CONTEXT context = KucbGetDeviceContext(Device);
    PKUCB_WORK work;

    work = (PKUCB_WORK)ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_UNINITIALIZED, sizeof(KUCB_WORK), KUCB_TAG);
    if (work == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    work->Sequence = (ULONG)InterlockedIncrement(&context->Sequence);
    work->Routine = KucbDefaultRoutine;
    work->Context = context;
    KucbRunWork(work);
    ExFreePoolWithTag(work, KUCB_TAG);
    return STATUS_SUCCESS;
}

VOID
KucbEvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode)
{
    WDFDEVICE device = WdfIoQueueGetDevice(Queue);
    NTSTATUS status;

    UNREFERENCED_PARAMETER(OutputBufferLength);
    UNREFERENCED_PARAMETER(InputBufferLength);
    switch (IoControlCode) {
    case IOCTL_KUCB_SUBSCRIBE:      status = KucbSubscribe(device, Request); break;
    case IOCTL_KUCB_SUBSCRIBE_SAFE: status = KucbSubscribeSafe(device, Request); break;
    case IOCTL_KUCB_WORK:           status = KucbQueueWork(device); break;
    case IOCTL_KUCB_WORK_SAFE:      status = KucbQueueWorkSafe(device); break;
    default:                        status = STATUS_INVALID_DEVICE_REQUEST; break;
    }
    WdfRequestComplete(Request, status);
}

NTSTATUS
KucbQueueInitialize(_In_ WDFDEVICE Device)
{
    WDF_IO_QUEUE_CONFIG queueConfig;
    WDFQUEUE queue;

    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&queueConfig, WdfIoQueueDispatchParallel);
    queueConfig.EvtIoDeviceControl = KucbEvtIoDeviceControl;
    return WdfIoQueueCreate(Device, &queueConfig, WDF_NO_OBJECT_ATTRIBUTES, &queue);
}
