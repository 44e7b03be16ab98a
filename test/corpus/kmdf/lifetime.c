/*
 * Deliberately vulnerable KMDF handlers that free memory another request still reaches (use after free across
 * requests), written from scratch for the Driver Guard corpus (markers: see queue.c and test/corpus/corpus.test.ts).
 */
#include <ntddk.h>
#include <wdf.h>

#define KLFT_TAG 'tfLK'
#define KLFT_IOCTL(function, method) CTL_CODE(FILE_DEVICE_UNKNOWN, (function), (method), FILE_READ_ACCESS | FILE_WRITE_ACCESS)
#define IOCTL_KLFT_GET_LABEL     KLFT_IOCTL(0xD80, METHOD_BUFFERED)
#define IOCTL_KLFT_FORGET        KLFT_IOCTL(0xD81, METHOD_BUFFERED)
#define IOCTL_KLFT_FORGET_SAFE   KLFT_IOCTL(0xD82, METHOD_BUFFERED)

#define KLFT_LABEL_BYTES 32

typedef struct _KLFT_DEVICE_CONTEXT {
    PUCHAR Label;
    ULONG Generation;
} KLFT_DEVICE_CONTEXT, *PKLFT_DEVICE_CONTEXT;

WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(KLFT_DEVICE_CONTEXT, KlftGetDeviceContext)

EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL KlftEvtIoDeviceControl;

/* Returns the label kept in the device context (another request's view of it). */
static NTSTATUS
KlftGetLabel(_In_ WDFDEVICE Device, _In_ WDFREQUEST Request)
{
    PKLFT_DEVICE_CONTEXT context = KlftGetDeviceContext(Device);
    PVOID output;
    NTSTATUS status;

    status = WdfRequestRetrieveOutputBuffer(Request, KLFT_LABEL_BYTES, &output, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    if (context->Label == NULL) {
        return STATUS_NO_DATA_DETECTED;
    }
    RtlCopyMemory(output, context->Label, KLFT_LABEL_BYTES);
    WdfRequestSetInformation(Request, KLFT_LABEL_BYTES);
    return STATUS_SUCCESS;
}

// bug class: use after free across requests
// vulnerable: freed-pointer-not-cleared
static NTSTATUS
KlftForget(_In_ WDFDEVICE Device)
{
    PKLFT_DEVICE_CONTEXT context = KlftGetDeviceContext(Device);

    if (context->Label != NULL) {
        ExFreePoolWithTag(context->Label, KLFT_TAG);
        context->Generation++;
    }
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
KlftForgetSafe(_In_ WDFDEVICE Device)
{
    PKLFT_DEVICE_CONTEXT context = KlftGetDeviceContext(Device);

    if (context->Label != NULL) {
        ExFreePoolWithTag(context->Label, KLFT_TAG);
        context->Label = NULL;
        context->Generation++;
    }
    return STATUS_SUCCESS;
}

VOID
KlftEvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode)
{
    WDFDEVICE device = WdfIoQueueGetDevice(Queue);
    NTSTATUS status;

    UNREFERENCED_PARAMETER(OutputBufferLength);
    UNREFERENCED_PARAMETER(InputBufferLength);
    switch (IoControlCode) {
    case IOCTL_KLFT_GET_LABEL:   status = KlftGetLabel(device, Request); break;
    case IOCTL_KLFT_FORGET:      status = KlftForget(device); break;
    case IOCTL_KLFT_FORGET_SAFE: status = KlftForgetSafe(device); break;
    default:                     status = STATUS_INVALID_DEVICE_REQUEST; break;
    }
    WdfRequestComplete(Request, status);
}

NTSTATUS
KlftQueueInitialize(_In_ WDFDEVICE Device)
{
    WDF_IO_QUEUE_CONFIG queueConfig;
    WDFQUEUE queue;

    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&queueConfig, WdfIoQueueDispatchParallel);
    queueConfig.EvtIoDeviceControl = KlftEvtIoDeviceControl;
    return WdfIoQueueCreate(Device, &queueConfig, WDF_NO_OBJECT_ATTRIBUTES, &queue);
}
