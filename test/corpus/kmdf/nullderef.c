/*
 * Deliberately vulnerable KMDF handlers that dereference a pointer on a path where it is NULL (an entry popped from
 * an empty free list, an allocation kept in the device context and used unchecked), written from scratch for the
 * Driver Guard corpus (markers: see queue.c and test/corpus/corpus.test.ts).
 */
#include <ntddk.h>
#include <wdf.h>

#define KNDR_TAG 'rdNK'
#define KNDR_IOCTL(function, method) CTL_CODE(FILE_DEVICE_UNKNOWN, (function), (method), FILE_READ_ACCESS | FILE_WRITE_ACCESS)
#define IOCTL_KNDR_SUBMIT         KNDR_IOCTL(0xD80, METHOD_BUFFERED)
#define IOCTL_KNDR_SUBMIT_SAFE    KNDR_IOCTL(0xD81, METHOD_BUFFERED)
#define IOCTL_KNDR_SCRATCH        KNDR_IOCTL(0xD82, METHOD_BUFFERED)
#define IOCTL_KNDR_SCRATCH_SAFE   KNDR_IOCTL(0xD83, METHOD_BUFFERED)

#define KNDR_DATA         64
#define KNDR_MAX_SCRATCH  0x10000
#define KNDR_FILL         0xA5

typedef struct _KNDR_BUFFER {
    SLIST_ENTRY Link;
    ULONG Length;
    UCHAR Data[KNDR_DATA];
} KNDR_BUFFER, *PKNDR_BUFFER;

typedef struct _KNDR_SCRATCH_REQUEST {
    ULONG Size;
} KNDR_SCRATCH_REQUEST, *PKNDR_SCRATCH_REQUEST;

typedef struct _KNDR_DEVICE_CONTEXT {
    SLIST_HEADER FreeBuffers;
    SLIST_HEADER ReadyBuffers;
    KSPIN_LOCK BufferLock;
    PUCHAR Scratch;
    ULONG ScratchSize;
} KNDR_DEVICE_CONTEXT, *PKNDR_DEVICE_CONTEXT;

WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(KNDR_DEVICE_CONTEXT, KndrGetDeviceContext)

EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL KndrEvtIoDeviceControl;

// bug class: NULL pointer on a path
// vulnerable: null-pointer-dereference
static NTSTATUS
KndrSubmit(_In_ WDFDEVICE Device, _In_ WDFREQUEST Request)
{
    PKNDR_DEVICE_CONTEXT context = KndrGetDeviceContext(Device);
    PVOID input;
    size_t length;
    PKNDR_BUFFER buffer;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(ULONG), &input, &length);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    if (length > KNDR_DATA) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    buffer = (PKNDR_BUFFER)ExInterlockedPopEntrySList(&context->FreeBuffers, &context->BufferLock);
    buffer->Length = (ULONG)length;
    RtlCopyMemory(buffer->Data, input, length);
    ExInterlockedPushEntrySList(&context->ReadyBuffers, &buffer->Link, &context->BufferLock);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
KndrSubmitSafe(_In_ WDFDEVICE Device, _In_ WDFREQUEST Request)
{
    PKNDR_DEVICE_CONTEXT context = KndrGetDeviceContext(Device);
    PVOID input;
    size_t length;
    PKNDR_BUFFER buffer;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(ULONG), &input, &length);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    if (length > KNDR_DATA) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    buffer = (PKNDR_BUFFER)ExInterlockedPopEntrySList(&context->FreeBuffers, &context->BufferLock);
    if (buffer == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    buffer->Length = (ULONG)length;
    RtlCopyMemory(buffer->Data, input, length);
    ExInterlockedPushEntrySList(&context->ReadyBuffers, &buffer->Link, &context->BufferLock);
    return STATUS_SUCCESS;
}

// bug class: NULL pointer on a path
// vulnerable: null-pointer-dereference
static NTSTATUS
KndrResizeScratch(_In_ WDFDEVICE Device, _In_ WDFREQUEST Request)
{
    PKNDR_DEVICE_CONTEXT context = KndrGetDeviceContext(Device);
    PKNDR_SCRATCH_REQUEST request;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(KNDR_SCRATCH_REQUEST), (PVOID*)&request, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    if (request->Size == 0 || request->Size > KNDR_MAX_SCRATCH) {
        return STATUS_INVALID_PARAMETER;
    }
    if (context->Scratch != NULL) {
        ExFreePoolWithTag(context->Scratch, KNDR_TAG);
        context->Scratch = NULL;
    }
    context->Scratch = (PUCHAR)ExAllocatePool2(POOL_FLAG_NON_PAGED, request->Size, KNDR_TAG);
    context->ScratchSize = request->Size;
    RtlFillMemory(context->Scratch, context->ScratchSize, KNDR_FILL);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
KndrResizeScratchSafe(_In_ WDFDEVICE Device, _In_ WDFREQUEST Request)
{
    PKNDR_DEVICE_CONTEXT context = KndrGetDeviceContext(Device);
    PKNDR_SCRATCH_REQUEST request;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(KNDR_SCRATCH_REQUEST), (PVOID*)&request, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    if (request->Size == 0 || request->Size > KNDR_MAX_SCRATCH) {
        return STATUS_INVALID_PARAMETER;
    }
    if (context->Scratch != NULL) {
        ExFreePoolWithTag(context->Scratch, KNDR_TAG);
        context->Scratch = NULL;
    }
    context->Scratch = (PUCHAR)ExAllocatePool2(POOL_FLAG_NON_PAGED, request->Size, KNDR_TAG);
    if (context->Scratch == NULL) {
        context->ScratchSize = 0;
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    context->ScratchSize = request->Size;
    RtlFillMemory(context->Scratch, context->ScratchSize, KNDR_FILL);
    return STATUS_SUCCESS;
}

VOID
KndrEvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode)
{
    WDFDEVICE device = WdfIoQueueGetDevice(Queue);
    NTSTATUS status;

    UNREFERENCED_PARAMETER(OutputBufferLength);
    UNREFERENCED_PARAMETER(InputBufferLength);
    switch (IoControlCode) {
    case IOCTL_KNDR_SUBMIT:       status = KndrSubmit(device, Request); break;
    case IOCTL_KNDR_SUBMIT_SAFE:  status = KndrSubmitSafe(device, Request); break;
    case IOCTL_KNDR_SCRATCH:      status = KndrResizeScratch(device, Request); break;
    case IOCTL_KNDR_SCRATCH_SAFE: status = KndrResizeScratchSafe(device, Request); break;
    default:                      status = STATUS_INVALID_DEVICE_REQUEST; break;
    }
    WdfRequestComplete(Request, status);
}

NTSTATUS
KndrQueueInitialize(_In_ WDFDEVICE Device)
{
    WDF_IO_QUEUE_CONFIG queueConfig;
    WDFQUEUE queue;

    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&queueConfig, WdfIoQueueDispatchParallel);
    queueConfig.EvtIoDeviceControl = KndrEvtIoDeviceControl;
    return WdfIoQueueCreate(Device, &queueConfig, WDF_NO_OBJECT_ATTRIBUTES, &queue);
}
