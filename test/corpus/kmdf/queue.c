/*
 * Deliberately vulnerable KMDF driver (queue callbacks), written by the Driver Guard team as a test corpus.
 * Handlers marked `// vulnerable: <rule-id>` must be flagged by that rule; `// secure` twins must stay clean.
 */
#include <ntddk.h>
#include <wdf.h>

#define KMDF_CORPUS_TAG 'fmdK'
#define KMDF_IOCTL(function, method) CTL_CODE(FILE_DEVICE_UNKNOWN, (function), (method), FILE_READ_ACCESS | FILE_WRITE_ACCESS)

#define IOCTL_KMDF_COPY            KMDF_IOCTL(0x900, METHOD_BUFFERED)
#define IOCTL_KMDF_COPY_SAFE       KMDF_IOCTL(0x901, METHOD_BUFFERED)
#define IOCTL_KMDF_SETTINGS        KMDF_IOCTL(0x902, METHOD_BUFFERED)
#define IOCTL_KMDF_SETTINGS_SAFE   KMDF_IOCTL(0x903, METHOD_BUFFERED)
#define IOCTL_KMDF_STATS           KMDF_IOCTL(0x904, METHOD_BUFFERED)
#define IOCTL_KMDF_STATS_SAFE      KMDF_IOCTL(0x905, METHOD_BUFFERED)
#define IOCTL_KMDF_VERSION         KMDF_IOCTL(0x906, METHOD_BUFFERED)
#define IOCTL_KMDF_VERSION_SAFE    KMDF_IOCTL(0x907, METHOD_BUFFERED)
#define IOCTL_KMDF_WRITE_MSR       KMDF_IOCTL(0x908, METHOD_BUFFERED)
#define IOCTL_KMDF_WRITE_MSR_SAFE  KMDF_IOCTL(0x909, METHOD_BUFFERED)

#define KMDF_LOCAL_SIZE 64
#define KMDF_STATS_SIZE 96

typedef struct _KMDF_SETTINGS {
    ULONG Mode;
    ULONG Threshold;
} KMDF_SETTINGS, *PKMDF_SETTINGS;

typedef struct _KMDF_MSR_WRITE {
    ULONG Register;
    ULONGLONG Value;
} KMDF_MSR_WRITE, *PKMDF_MSR_WRITE;

#define KMDF_ALLOWED_MSR 0x1A0

typedef struct _KMDF_CONTEXT {
    ULONG Mode;
    ULONG Threshold;
} KMDF_CONTEXT, *PKMDF_CONTEXT;

static KMDF_CONTEXT g_Context;

EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL KmdfEvtIoDeviceControl;

// vulnerable: user-length-copy-unchecked
static NTSTATUS
KmdfCopy(_In_ WDFREQUEST Request, _In_ size_t InputBufferLength)
{
    UCHAR local[KMDF_LOCAL_SIZE] = { 0 };
    PVOID input = NULL;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, 1, &input, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    RtlCopyMemory(local, input, InputBufferLength);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
KmdfCopySafe(_In_ WDFREQUEST Request, _In_ size_t InputBufferLength)
{
    UCHAR local[KMDF_LOCAL_SIZE] = { 0 };
    PVOID input = NULL;
    NTSTATUS status;

    if (InputBufferLength > sizeof(local)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    status = WdfRequestRetrieveInputBuffer(Request, 1, &input, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    RtlCopyMemory(local, input, InputBufferLength);
    return STATUS_SUCCESS;
}

// vulnerable: input-length-not-validated
static NTSTATUS
KmdfSettings(_In_ WDFREQUEST Request)
{
    PKMDF_SETTINGS settings = NULL;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, 0, (PVOID *)&settings, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    g_Context.Mode = settings->Mode;
    g_Context.Threshold = settings->Threshold;
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
KmdfSettingsSafe(_In_ WDFREQUEST Request)
{
    PKMDF_SETTINGS settings = NULL;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(KMDF_SETTINGS), (PVOID *)&settings, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    g_Context.Mode = settings->Mode;
    g_Context.Threshold = settings->Threshold;
    return STATUS_SUCCESS;
}

// vulnerable: uninitialized-output-buffer
static NTSTATUS
KmdfStats(_In_ WDFREQUEST Request, _Out_ size_t *BytesWritten)
{
    PVOID output = NULL;
    PUCHAR stats;
    NTSTATUS status;

    *BytesWritten = 0;
    status = WdfRequestRetrieveOutputBuffer(Request, KMDF_STATS_SIZE, &output, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    stats = ExAllocatePoolUninitialized(NonPagedPoolNx, KMDF_STATS_SIZE, KMDF_CORPUS_TAG);
    if (stats == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    stats[0] = (UCHAR)g_Context.Mode;
    RtlCopyMemory(output, stats, KMDF_STATS_SIZE);
    ExFreePoolWithTag(stats, KMDF_CORPUS_TAG);
    *BytesWritten = KMDF_STATS_SIZE;
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
KmdfStatsSafe(_In_ WDFREQUEST Request, _Out_ size_t *BytesWritten)
{
    PVOID output = NULL;
    PUCHAR stats;
    NTSTATUS status;

    *BytesWritten = 0;
    status = WdfRequestRetrieveOutputBuffer(Request, KMDF_STATS_SIZE, &output, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    stats = ExAllocatePool2(POOL_FLAG_NON_PAGED, KMDF_STATS_SIZE, KMDF_CORPUS_TAG);
    if (stats == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    stats[0] = (UCHAR)g_Context.Mode;
    RtlCopyMemory(output, stats, KMDF_STATS_SIZE);
    ExFreePoolWithTag(stats, KMDF_CORPUS_TAG);
    *BytesWritten = KMDF_STATS_SIZE;
    return STATUS_SUCCESS;
}

// vulnerable: information-exceeds-written
static VOID
KmdfVersion(_In_ WDFREQUEST Request, _In_ size_t OutputBufferLength)
{
    PULONG output = NULL;
    NTSTATUS status;

    status = WdfRequestRetrieveOutputBuffer(Request, sizeof(ULONG), (PVOID *)&output, NULL);
    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(Request, status);
        return;
    }
    *output = 0x00020001;
    WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, OutputBufferLength);
}

// secure
static VOID
KmdfVersionSafe(_In_ WDFREQUEST Request, _In_ size_t OutputBufferLength)
{
    PULONG output = NULL;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(OutputBufferLength);
    status = WdfRequestRetrieveOutputBuffer(Request, sizeof(ULONG), (PVOID *)&output, NULL);
    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(Request, status);
        return;
    }
    *output = 0x00020001;
    WdfRequestCompleteWithInformation(Request, STATUS_SUCCESS, sizeof(ULONG));
}

// vulnerable: msr-access-exposed
static NTSTATUS
KmdfWriteMsr(_In_ WDFREQUEST Request)
{
    PKMDF_MSR_WRITE request = NULL;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(KMDF_MSR_WRITE), (PVOID *)&request, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    __writemsr(request->Register, request->Value);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
KmdfWriteMsrSafe(_In_ WDFREQUEST Request)
{
    PKMDF_MSR_WRITE request = NULL;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(KMDF_MSR_WRITE), (PVOID *)&request, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    if (request->Register != KMDF_ALLOWED_MSR) {
        return STATUS_ACCESS_DENIED;
    }
    __writemsr(KMDF_ALLOWED_MSR, request->Value & 0x1);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
VOID
KmdfEvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode)
{
    NTSTATUS status = STATUS_INVALID_DEVICE_REQUEST;
    size_t bytesWritten = 0;

    UNREFERENCED_PARAMETER(Queue);
    switch (IoControlCode) {
    case IOCTL_KMDF_COPY:           status = KmdfCopy(Request, InputBufferLength); break;
    case IOCTL_KMDF_COPY_SAFE:      status = KmdfCopySafe(Request, InputBufferLength); break;
    case IOCTL_KMDF_SETTINGS:       status = KmdfSettings(Request); break;
    case IOCTL_KMDF_SETTINGS_SAFE:  status = KmdfSettingsSafe(Request); break;
    case IOCTL_KMDF_STATS:          status = KmdfStats(Request, &bytesWritten); break;
    case IOCTL_KMDF_STATS_SAFE:     status = KmdfStatsSafe(Request, &bytesWritten); break;
    case IOCTL_KMDF_VERSION:        KmdfVersion(Request, OutputBufferLength); return;
    case IOCTL_KMDF_VERSION_SAFE:   KmdfVersionSafe(Request, OutputBufferLength); return;
    case IOCTL_KMDF_WRITE_MSR:      status = KmdfWriteMsr(Request); break;
    case IOCTL_KMDF_WRITE_MSR_SAFE: status = KmdfWriteMsrSafe(Request); break;
    default:                        status = STATUS_INVALID_DEVICE_REQUEST; break;
    }
    WdfRequestCompleteWithInformation(Request, status, bytesWritten);
}

NTSTATUS
KmdfQueueInitialize(_In_ WDFDEVICE Device)
{
    WDF_IO_QUEUE_CONFIG queueConfig;
    WDFQUEUE queue;

    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&queueConfig, WdfIoQueueDispatchSequential);
    queueConfig.EvtIoDeviceControl = KmdfEvtIoDeviceControl;
    return WdfIoQueueCreate(Device, &queueConfig, WDF_NO_OBJECT_ATTRIBUTES, &queue);
}
