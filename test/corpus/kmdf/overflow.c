/*
 * Deliberately vulnerable KMDF handlers for integer overflow in length arithmetic and element-wise copy loops,
 * written from scratch for the Driver Guard corpus (markers: see queue.c and test/corpus/corpus.test.ts).
 */
#include <ntddk.h>
#include <wdf.h>
#include <ntintsafe.h>

#define KOVF_TAG 'fvOK'
#define KOVF_IOCTL(function, method) CTL_CODE(FILE_DEVICE_UNKNOWN, (function), (method), FILE_READ_ACCESS | FILE_WRITE_ACCESS)
#define IOCTL_KOVF_RECORDS       KOVF_IOCTL(0xB00, METHOD_BUFFERED)
#define IOCTL_KOVF_RECORDS_SAFE  KOVF_IOCTL(0xB01, METHOD_BUFFERED)
#define IOCTL_KOVF_TRAILER       KOVF_IOCTL(0xB02, METHOD_BUFFERED)
#define IOCTL_KOVF_TRAILER_SAFE  KOVF_IOCTL(0xB03, METHOD_BUFFERED)
#define IOCTL_KOVF_SAMPLES       KOVF_IOCTL(0xB04, METHOD_BUFFERED)
#define IOCTL_KOVF_SAMPLES_SAFE  KOVF_IOCTL(0xB05, METHOD_BUFFERED)

#define KOVF_MAX_RECORDS 0x10000
#define KOVF_SAMPLE_CAPACITY 16
#define KOVF_RECORD_SIZE 64

typedef struct _KOVF_RECORD {
    ULONG Id;
    ULONG Length;
    UCHAR Data[56];
} KOVF_RECORD, *PKOVF_RECORD;

typedef struct _KOVF_RECORDS_REQUEST {
    ULONG RecordCount;
    KOVF_RECORD Records[1];
} KOVF_RECORDS_REQUEST, *PKOVF_RECORDS_REQUEST;

typedef struct _KOVF_TRAILER {
    ULONG Checksum;
    ULONG Reserved;
} KOVF_TRAILER, *PKOVF_TRAILER;

typedef struct _KOVF_SAMPLES_REQUEST {
    ULONG SampleCount;
    ULONG Samples[1];
} KOVF_SAMPLES_REQUEST, *PKOVF_SAMPLES_REQUEST;

EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL KovfEvtIoDeviceControl;

// bug class: integer overflow in length arithmetic
// vulnerable: size-arithmetic-overflow
static NTSTATUS
KovfRecords(_In_ WDFREQUEST Request)
{
    PKOVF_RECORDS_REQUEST request = NULL;
    PKOVF_RECORD records;
    size_t length = 0;
    ULONG bytes;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(KOVF_RECORDS_REQUEST), (PVOID *)&request, &length);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    bytes = request->RecordCount * KOVF_RECORD_SIZE;
    records = ExAllocatePool2(POOL_FLAG_PAGED, bytes, KOVF_TAG);
    if (records == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    ExFreePoolWithTag(records, KOVF_TAG);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
KovfRecordsSafe(_In_ WDFREQUEST Request)
{
    PKOVF_RECORDS_REQUEST request = NULL;
    PKOVF_RECORD records;
    size_t length = 0;
    ULONG bytes;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(KOVF_RECORDS_REQUEST), (PVOID *)&request, &length);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    if (request->RecordCount == 0 || request->RecordCount > KOVF_MAX_RECORDS / KOVF_RECORD_SIZE) {
        return STATUS_INVALID_PARAMETER;
    }
    bytes = request->RecordCount * KOVF_RECORD_SIZE;
    records = ExAllocatePool2(POOL_FLAG_PAGED, bytes, KOVF_TAG);
    if (records == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    ExFreePoolWithTag(records, KOVF_TAG);
    return STATUS_SUCCESS;
}

// bug class: integer overflow in length arithmetic
// vulnerable: size-arithmetic-overflow
static NTSTATUS
KovfTrailer(_In_ WDFREQUEST Request, _In_ size_t InputBufferLength)
{
    PUCHAR buffer = NULL;
    PUCHAR body;
    size_t bodyLength;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, 1, (PVOID *)&buffer, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    bodyLength = InputBufferLength - sizeof(KOVF_TRAILER);
    body = ExAllocatePool2(POOL_FLAG_PAGED, bodyLength, KOVF_TAG);
    if (body == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    RtlCopyMemory(body, buffer, bodyLength);
    ExFreePoolWithTag(body, KOVF_TAG);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
KovfTrailerSafe(_In_ WDFREQUEST Request, _In_ size_t InputBufferLength)
{
    PUCHAR buffer = NULL;
    PUCHAR body;
    size_t bodyLength;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(KOVF_TRAILER), (PVOID *)&buffer, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    bodyLength = InputBufferLength - sizeof(KOVF_TRAILER);
    body = ExAllocatePool2(POOL_FLAG_PAGED, bodyLength, KOVF_TAG);
    if (body == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    RtlCopyMemory(body, buffer, bodyLength);
    ExFreePoolWithTag(body, KOVF_TAG);
    return STATUS_SUCCESS;
}

// bug class: element-wise copy loop overflow
// vulnerable: user-length-copy-unchecked
static NTSTATUS
KovfSamples(_In_ WDFREQUEST Request)
{
    PKOVF_SAMPLES_REQUEST request = NULL;
    ULONG samples[KOVF_SAMPLE_CAPACITY];
    ULONG sum = 0;
    ULONG i;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(KOVF_SAMPLES_REQUEST), (PVOID *)&request, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    for (i = 0; i < request->SampleCount; i++) {
        samples[i] = request->Samples[i];
        sum += samples[i];
    }
    return sum != 0 ? STATUS_SUCCESS : STATUS_DATA_ERROR;
}

// secure
static NTSTATUS
KovfSamplesSafe(_In_ WDFREQUEST Request, _In_ size_t InputBufferLength)
{
    PKOVF_SAMPLES_REQUEST request = NULL;
    ULONG samples[KOVF_SAMPLE_CAPACITY];
    ULONG sum = 0;
    ULONG i;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(KOVF_SAMPLES_REQUEST), (PVOID *)&request, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    if (request->SampleCount > RTL_NUMBER_OF(samples) || request->SampleCount > (InputBufferLength - FIELD_OFFSET(KOVF_SAMPLES_REQUEST, Samples)) / sizeof(ULONG)) {
        return STATUS_INVALID_PARAMETER;
    }
    for (i = 0; i < request->SampleCount; i++) {
        samples[i] = request->Samples[i];
        sum += samples[i];
    }
    return sum != 0 ? STATUS_SUCCESS : STATUS_DATA_ERROR;
}

VOID
KovfEvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode)
{
    NTSTATUS status;

    UNREFERENCED_PARAMETER(Queue);
    UNREFERENCED_PARAMETER(OutputBufferLength);
    switch (IoControlCode) {
    case IOCTL_KOVF_RECORDS:      status = KovfRecords(Request); break;
    case IOCTL_KOVF_RECORDS_SAFE: status = KovfRecordsSafe(Request); break;
    case IOCTL_KOVF_TRAILER:      status = KovfTrailer(Request, InputBufferLength); break;
    case IOCTL_KOVF_TRAILER_SAFE: status = KovfTrailerSafe(Request, InputBufferLength); break;
    case IOCTL_KOVF_SAMPLES:      status = KovfSamples(Request); break;
    case IOCTL_KOVF_SAMPLES_SAFE: status = KovfSamplesSafe(Request, InputBufferLength); break;
    default:                      status = STATUS_INVALID_DEVICE_REQUEST; break;
    }
    WdfRequestComplete(Request, status);
}

NTSTATUS
KovfQueueInitialize(_In_ WDFDEVICE Device)
{
    WDF_IO_QUEUE_CONFIG queueConfig;
    WDFQUEUE queue;

    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&queueConfig, WdfIoQueueDispatchParallel);
    queueConfig.EvtIoDeviceControl = KovfEvtIoDeviceControl;
    return WdfIoQueueCreate(Device, &queueConfig, WDF_NO_OBJECT_ATTRIBUTES, &queue);
}
