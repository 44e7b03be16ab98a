/*
 * Deliberately vulnerable KMDF handlers that use pool memory before writing it (non-zeroing allocators, lookaside
 * entries), written from scratch for the Driver Guard corpus (markers: see queue.c and test/corpus/corpus.test.ts).
 */
#include <ntddk.h>
#include <wdf.h>

#define KUPL_TAG 'lpUK'
#define KUPL_IOCTL(function, method) CTL_CODE(FILE_DEVICE_UNKNOWN, (function), (method), FILE_READ_ACCESS | FILE_WRITE_ACCESS)
#define IOCTL_KUPL_CACHE          KUPL_IOCTL(0xC80, METHOD_BUFFERED)
#define IOCTL_KUPL_CACHE_SAFE     KUPL_IOCTL(0xC81, METHOD_BUFFERED)
#define IOCTL_KUPL_PENDING        KUPL_IOCTL(0xC82, METHOD_BUFFERED)
#define IOCTL_KUPL_PENDING_SAFE   KUPL_IOCTL(0xC83, METHOD_BUFFERED)

#define KUPL_CACHE_DATA 48

typedef struct _KUPL_CACHE {
    ULONG Generation;
    ULONG Valid;
    UCHAR Data[KUPL_CACHE_DATA];
} KUPL_CACHE, *PKUPL_CACHE;

typedef struct _KUPL_PENDING {
    LIST_ENTRY Link;
    ULONG Sequence;
    ULONG Attempts;
} KUPL_PENDING, *PKUPL_PENDING;

typedef struct _KUPL_DEVICE_CONTEXT {
    PKUPL_CACHE Cache;
    NPAGED_LOOKASIDE_LIST PendingLookaside;
    LIST_ENTRY PendingList;
    WDFSPINLOCK PendingLock;
    LONG Sequence;
} KUPL_DEVICE_CONTEXT, *PKUPL_DEVICE_CONTEXT;

WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(KUPL_DEVICE_CONTEXT, KuplGetDeviceContext)

EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL KuplEvtIoDeviceControl;

// bug class: uninitialized pool
// vulnerable: uninitialized-pool-use
static NTSTATUS
KuplQueryCache(_In_ WDFDEVICE Device, _In_ WDFREQUEST Request, _In_ BOOLEAN Refresh)
{
    PKUPL_DEVICE_CONTEXT context = KuplGetDeviceContext(Device);
    PVOID output;
    NTSTATUS status;

    status = WdfRequestRetrieveOutputBuffer(Request, sizeof(KUPL_CACHE), &output, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    if (context->Cache == NULL) {
        context->Cache = (PKUPL_CACHE)ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_UNINITIALIZED, sizeof(KUPL_CACHE), KUPL_TAG);
        if (context->Cache == NULL) {
            return STATUS_INSUFFICIENT_RESOURCES;
        }
        context->Cache->Generation = 0;
        context->Cache->Valid = FALSE;
    }
    if (Refresh) {
        RtlZeroMemory(context->Cache->Data, KUPL_CACHE_DATA);
        context->Cache->Generation++;
        context->Cache->Valid = TRUE;
    }
    RtlCopyMemory(output, context->Cache, sizeof(KUPL_CACHE));
    WdfRequestSetInformation(Request, sizeof(KUPL_CACHE));
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
KuplQueryCacheSafe(_In_ WDFDEVICE Device, _In_ WDFREQUEST Request, _In_ BOOLEAN Refresh)
{
    PKUPL_DEVICE_CONTEXT context = KuplGetDeviceContext(Device);
    PVOID output;
    NTSTATUS status;

    status = WdfRequestRetrieveOutputBuffer(Request, sizeof(KUPL_CACHE), &output, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    if (context->Cache == NULL) {
        context->Cache = (PKUPL_CACHE)ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(KUPL_CACHE), KUPL_TAG);
        if (context->Cache == NULL) {
            return STATUS_INSUFFICIENT_RESOURCES;
        }
        context->Cache->Generation = 0;
        context->Cache->Valid = FALSE;
    }
    if (Refresh) {
        RtlZeroMemory(context->Cache->Data, KUPL_CACHE_DATA);
        context->Cache->Generation++;
        context->Cache->Valid = TRUE;
    }
    RtlCopyMemory(output, context->Cache, sizeof(KUPL_CACHE));
    WdfRequestSetInformation(Request, sizeof(KUPL_CACHE));
    return STATUS_SUCCESS;
}

// bug class: uninitialized pool
// vulnerable: uninitialized-pool-use
static NTSTATUS
KuplQueuePending(_In_ WDFDEVICE Device)
{
    PKUPL_DEVICE_CONTEXT context = KuplGetDeviceContext(Device);
    PKUPL_PENDING pending;

    pending = (PKUPL_PENDING)ExAllocateFromNPagedLookasideList(&context->PendingLookaside);
    if (pending == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    pending->Sequence = (ULONG)InterlockedIncrement(&context->Sequence);
    pending->Attempts++;
    WdfSpinLockAcquire(context->PendingLock);
    InsertTailList(&context->PendingList, &pending->Link);
    WdfSpinLockRelease(context->PendingLock);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
KuplQueuePendingSafe(_In_ WDFDEVICE Device)
{
    PKUPL_DEVICE_CONTEXT context = KuplGetDeviceContext(Device);
    PKUPL_PENDING pending;

    pending = (PKUPL_PENDING)ExAllocateFromNPagedLookasideList(&context->PendingLookaside);
    if (pending == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    pending->Sequence = (ULONG)InterlockedIncrement(&context->Sequence);
    pending->Attempts = 1;
    WdfSpinLockAcquire(context->PendingLock);
    InsertTailList(&context->PendingList, &pending->Link);
    WdfSpinLockRelease(context->PendingLock);
    return STATUS_SUCCESS;
}

VOID
KuplEvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode)
{
    WDFDEVICE device = WdfIoQueueGetDevice(Queue);
    NTSTATUS status;

    UNREFERENCED_PARAMETER(OutputBufferLength);
    UNREFERENCED_PARAMETER(InputBufferLength);
    switch (IoControlCode) {
    case IOCTL_KUPL_CACHE:        status = KuplQueryCache(device, Request, FALSE); break;
    case IOCTL_KUPL_CACHE_SAFE:   status = KuplQueryCacheSafe(device, Request, FALSE); break;
    case IOCTL_KUPL_PENDING:      status = KuplQueuePending(device); break;
    case IOCTL_KUPL_PENDING_SAFE: status = KuplQueuePendingSafe(device); break;
    default:                      status = STATUS_INVALID_DEVICE_REQUEST; break;
    }
    WdfRequestComplete(Request, status);
}

NTSTATUS
KuplQueueInitialize(_In_ WDFDEVICE Device)
{
    WDF_IO_QUEUE_CONFIG queueConfig;
    WDFQUEUE queue;

    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&queueConfig, WdfIoQueueDispatchParallel);
    queueConfig.EvtIoDeviceControl = KuplEvtIoDeviceControl;
    return WdfIoQueueCreate(Device, &queueConfig, WDF_NO_OBJECT_ATTRIBUTES, &queue);
}
