/*
 * Deliberately vulnerable KMDF driver (queue callbacks), written by the Driver Guard team as a test corpus.
 * Handlers marked `// vulnerable: <rule-id>` must be flagged by that rule; `// secure` twins must stay clean.
 * A `// bug class: <name>` line names the class for the per-class report. `// known miss: <rule-id> — <why>` marks
 * a vulnerable handler its rule does not find yet, `// known false positive: <rule-id> — <why>` a correct twin that
 * rule still warns about; the test counts both against recall/precision without failing on them.
 */
#include <ntddk.h>
#include <wdf.h>
#include <ntstrsafe.h>

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
#define IOCTL_KMDF_POOL_COPY          KMDF_IOCTL(0x90A, METHOD_BUFFERED)
#define IOCTL_KMDF_POOL_COPY_SAFE     KMDF_IOCTL(0x90B, METHOD_BUFFERED)
#define IOCTL_KMDF_POKE               KMDF_IOCTL(0x90C, METHOD_BUFFERED)
#define IOCTL_KMDF_POKE_SAFE          KMDF_IOCTL(0x90D, METHOD_BUFFERED)
#define IOCTL_KMDF_BUMP               KMDF_IOCTL(0x90E, METHOD_BUFFERED)
#define IOCTL_KMDF_BUMP_SAFE          KMDF_IOCTL(0x90F, METHOD_BUFFERED)
#define IOCTL_KMDF_SNAPSHOT           KMDF_IOCTL(0x910, METHOD_BUFFERED)
#define IOCTL_KMDF_SNAPSHOT_SAFE      KMDF_IOCTL(0x911, METHOD_BUFFERED)
#define IOCTL_KMDF_RELEASE            KMDF_IOCTL(0x912, METHOD_BUFFERED)
#define IOCTL_KMDF_RELEASE_SAFE       KMDF_IOCTL(0x913, METHOD_BUFFERED)
#define IOCTL_KMDF_QUERY_CONTEXT      KMDF_IOCTL(0x914, METHOD_BUFFERED)
#define IOCTL_KMDF_QUERY_CONTEXT_SAFE KMDF_IOCTL(0x915, METHOD_BUFFERED)
#define IOCTL_KMDF_BATCH              KMDF_IOCTL(0x916, METHOD_BUFFERED)
#define IOCTL_KMDF_BATCH_SAFE         KMDF_IOCTL(0x917, METHOD_BUFFERED)
#define IOCTL_KMDF_COMPLETE_OTHER     KMDF_IOCTL(0x918, METHOD_BUFFERED)
#define IOCTL_KMDF_COMPLETE_OTHER_SAFEKMDF_IOCTL(0x919, METHOD_BUFFERED)
#define IOCTL_KMDF_OPEN_LOG           KMDF_IOCTL(0x91A, METHOD_BUFFERED)
#define IOCTL_KMDF_OPEN_LOG_SAFE      KMDF_IOCTL(0x91B, METHOD_BUFFERED)
#define IOCTL_KMDF_READ_PHYSICAL      KMDF_IOCTL(0x91C, METHOD_BUFFERED)
#define IOCTL_KMDF_READ_PHYSICAL_SAFE KMDF_IOCTL(0x91D, METHOD_BUFFERED)
#define IOCTL_KMDF_PORT_WRITE         KMDF_IOCTL(0x91E, METHOD_BUFFERED)
#define IOCTL_KMDF_PORT_WRITE_SAFE    KMDF_IOCTL(0x91F, METHOD_BUFFERED)
#define IOCTL_KMDF_TRACE              KMDF_IOCTL(0x920, METHOD_BUFFERED)
#define IOCTL_KMDF_TRACE_SAFE         KMDF_IOCTL(0x921, METHOD_BUFFERED)
#define IOCTL_KMDF_QUERY_FILE         KMDF_IOCTL(0x922, METHOD_BUFFERED)
#define IOCTL_KMDF_QUERY_FILE_SAFE    KMDF_IOCTL(0x923, METHOD_BUFFERED)
#define IOCTL_KMDF_WRITE_PROTECT      KMDF_IOCTL(0x924, METHOD_BUFFERED)
#define IOCTL_KMDF_WRITE_PROTECT_SAFE KMDF_IOCTL(0x925, METHOD_BUFFERED)
#define IOCTL_KMDF_TERMINATE          KMDF_IOCTL(0x926, METHOD_BUFFERED)
#define IOCTL_KMDF_TERMINATE_SAFE     KMDF_IOCTL(0x927, METHOD_BUFFERED)
#define IOCTL_KMDF_STAGE              KMDF_IOCTL(0x928, METHOD_BUFFERED)
#define IOCTL_KMDF_STAGE_SAFE         KMDF_IOCTL(0x929, METHOD_BUFFERED)
#define IOCTL_KMDF_NAME_LENGTH        KMDF_IOCTL(0x92A, METHOD_BUFFERED)
#define IOCTL_KMDF_NAME_LENGTH_SAFE   KMDF_IOCTL(0x92B, METHOD_BUFFERED)
#define IOCTL_KMDF_GET_CONTEXT        KMDF_IOCTL(0x92C, METHOD_BUFFERED)
#define IOCTL_KMDF_GET_CONTEXT_SAFE   KMDF_IOCTL(0x92D, METHOD_BUFFERED)
#define IOCTL_KMDF_NEITHER_COPY       KMDF_IOCTL(0x92E, METHOD_NEITHER)
#define IOCTL_KMDF_NEITHER_COPY_SAFE  KMDF_IOCTL(0x92F, METHOD_NEITHER)

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
#define KMDF_POOL_SIZE 128
#define KMDF_COUNTER_COUNT 8
#define KMDF_TRACE_MAX 256
#define KMDF_CR0_WP 0x10000ULL

typedef struct _KMDF_POKE {
    PULONG_PTR Where;
    ULONG_PTR What;
} KMDF_POKE, *PKMDF_POKE;

typedef struct _KMDF_INDEX {
    ULONG Index;
} KMDF_INDEX, *PKMDF_INDEX;

typedef struct _KMDF_REPLY {
    ULONG Mode;
    ULONG Threshold;
    ULONGLONG Reserved;
} KMDF_REPLY, *PKMDF_REPLY;

typedef struct _KMDF_BATCH {
    ULONG Count;
    ULONG RecordSize;
    UCHAR Records[1];
} KMDF_BATCH, *PKMDF_BATCH;

#define KMDF_BATCH_HEADER FIELD_OFFSET(KMDF_BATCH, Records)

typedef struct _KMDF_CANCEL {
    PVOID Pending;
} KMDF_CANCEL, *PKMDF_CANCEL;

typedef struct _KMDF_PHYSICAL {
    ULONGLONG Address;
    ULONG Length;
} KMDF_PHYSICAL, *PKMDF_PHYSICAL;

typedef struct _KMDF_PORT {
    ULONG Port;
    UCHAR Value;
} KMDF_PORT, *PKMDF_PORT;

typedef struct _KMDF_HANDLE {
    HANDLE File;
} KMDF_HANDLE, *PKMDF_HANDLE;

typedef struct _KMDF_PID {
    ULONG ProcessId;
} KMDF_PID, *PKMDF_PID;

typedef struct _KMDF_NAME {
    WCHAR Name[32];
} KMDF_NAME, *PKMDF_NAME;

typedef struct _KMDF_MESSAGE {
    ULONG Length;
    UCHAR Data[1];
} KMDF_MESSAGE, *PKMDF_MESSAGE;

#define KMDF_MESSAGE_HEADER FIELD_OFFSET(KMDF_MESSAGE, Data)

typedef struct _KMDF_DEVICE_CONTEXT {
    PHYSICAL_ADDRESS RegistersBase;
    ULONG RegistersLength;
    PUCHAR PortBase;
    ULONG PortCount;
    WDFQUEUE PendingQueue;
    PMDL PatchMdl;
} KMDF_DEVICE_CONTEXT, *PKMDF_DEVICE_CONTEXT;

WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(KMDF_DEVICE_CONTEXT, KmdfGetDeviceContext)

typedef struct _KMDF_CONTEXT {
    ULONG Mode;
    ULONG Threshold;
} KMDF_CONTEXT, *PKMDF_CONTEXT;

static KMDF_CONTEXT g_Context;

EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL KmdfEvtIoDeviceControl;
EVT_WDF_IO_IN_CALLER_CONTEXT KmdfEvtIoInCallerContext;

// bug class: stack buffer overflow
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

// bug class: input length not validated
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

// bug class: uninitialized pool memory disclosed
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

// bug class: over-long output length (kernel memory disclosure)
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

// bug class: MSR access exposed
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

// bug class: pool buffer overflow
// vulnerable: user-length-copy-unchecked
static NTSTATUS
KmdfPoolCopy(_In_ WDFREQUEST Request, _In_ size_t InputBufferLength)
{
    PVOID input = NULL;
    PUCHAR pool;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, 1, &input, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    pool = ExAllocatePool2(POOL_FLAG_NON_PAGED, KMDF_POOL_SIZE, KMDF_CORPUS_TAG);
    if (pool == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    RtlCopyMemory(pool, input, InputBufferLength);
    ExFreePoolWithTag(pool, KMDF_CORPUS_TAG);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
KmdfPoolCopySafe(_In_ WDFREQUEST Request, _In_ size_t InputBufferLength)
{
    PVOID input = NULL;
    PUCHAR pool;
    NTSTATUS status;

    if (InputBufferLength > KMDF_POOL_SIZE) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    status = WdfRequestRetrieveInputBuffer(Request, 1, &input, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    pool = ExAllocatePool2(POOL_FLAG_NON_PAGED, KMDF_POOL_SIZE, KMDF_CORPUS_TAG);
    if (pool == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    RtlCopyMemory(pool, input, InputBufferLength);
    ExFreePoolWithTag(pool, KMDF_CORPUS_TAG);
    return STATUS_SUCCESS;
}

// bug class: arbitrary write (write-what-where)
// vulnerable: embedded-user-pointer
static NTSTATUS
KmdfPoke(_In_ WDFREQUEST Request)
{
    PKMDF_POKE request = NULL;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(KMDF_POKE), (PVOID *)&request, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    *(request->Where) = request->What;
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
KmdfPokeSafe(_In_ WDFREQUEST Request)
{
    PKMDF_POKE request = NULL;
    PULONG_PTR where;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(KMDF_POKE), (PVOID *)&request, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    if (WdfRequestGetRequestorMode(Request) != UserMode) {
        return STATUS_ACCESS_DENIED;
    }
    where = request->Where;
    __try {
        ProbeForWrite(where, sizeof(ULONG_PTR), __alignof(ULONG_PTR));
        *where = request->What;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        status = GetExceptionCode();
    }
    return status;
}

static LONG g_KmdfCounters[KMDF_COUNTER_COUNT];

// bug class: arbitrary increment
// vulnerable: user-index-unchecked
static NTSTATUS
KmdfBump(_In_ WDFREQUEST Request)
{
    PKMDF_INDEX request = NULL;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(KMDF_INDEX), (PVOID *)&request, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    g_KmdfCounters[request->Index]++;
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
KmdfBumpSafe(_In_ WDFREQUEST Request)
{
    PKMDF_INDEX request = NULL;
    ULONG index;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(KMDF_INDEX), (PVOID *)&request, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    index = request->Index;
    if (index >= ARRAYSIZE(g_KmdfCounters)) {
        return STATUS_INVALID_PARAMETER;
    }
    InterlockedIncrement(&g_KmdfCounters[index]);
    return STATUS_SUCCESS;
}

// bug class: NULL pointer dereference
// vulnerable: alloc-result-unchecked
static NTSTATUS
KmdfSnapshot(_In_ WDFREQUEST Request)
{
    PKMDF_CONTEXT snapshot;

    UNREFERENCED_PARAMETER(Request);
    snapshot = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(KMDF_CONTEXT), KMDF_CORPUS_TAG);
    snapshot->Mode = g_Context.Mode;
    snapshot->Threshold = g_Context.Threshold;
    ExFreePoolWithTag(snapshot, KMDF_CORPUS_TAG);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
KmdfSnapshotSafe(_In_ WDFREQUEST Request)
{
    PKMDF_CONTEXT snapshot;

    UNREFERENCED_PARAMETER(Request);
    snapshot = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(KMDF_CONTEXT), KMDF_CORPUS_TAG);
    if (snapshot == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    snapshot->Mode = g_Context.Mode;
    snapshot->Threshold = g_Context.Threshold;
    ExFreePoolWithTag(snapshot, KMDF_CORPUS_TAG);
    return STATUS_SUCCESS;
}

// bug class: use after free
// vulnerable: use-after-free
static NTSTATUS
KmdfRelease(_In_ WDFREQUEST Request)
{
    PKMDF_CONTEXT entry;

    UNREFERENCED_PARAMETER(Request);
    entry = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(KMDF_CONTEXT), KMDF_CORPUS_TAG);
    if (entry == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    entry->Mode = g_Context.Mode;
    ExFreePoolWithTag(entry, KMDF_CORPUS_TAG);
    g_Context.Threshold = entry->Threshold;
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
KmdfReleaseSafe(_In_ WDFREQUEST Request)
{
    PKMDF_CONTEXT entry;

    UNREFERENCED_PARAMETER(Request);
    entry = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(KMDF_CONTEXT), KMDF_CORPUS_TAG);
    if (entry == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    entry->Mode = g_Context.Mode;
    g_Context.Threshold = entry->Threshold;
    ExFreePoolWithTag(entry, KMDF_CORPUS_TAG);
    entry = NULL;
    return STATUS_SUCCESS;
}

// bug class: uninitialized stack memory disclosed
// vulnerable: uninitialized-output-buffer
static NTSTATUS
KmdfQueryContext(_In_ WDFREQUEST Request, _Out_ size_t *BytesWritten)
{
    KMDF_REPLY reply;
    PVOID output = NULL;
    NTSTATUS status;

    *BytesWritten = 0;
    status = WdfRequestRetrieveOutputBuffer(Request, sizeof(KMDF_REPLY), &output, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    reply.Mode = g_Context.Mode;
    reply.Threshold = g_Context.Threshold;
    RtlCopyMemory(output, &reply, sizeof(reply));
    *BytesWritten = sizeof(reply);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
KmdfQueryContextSafe(_In_ WDFREQUEST Request, _Out_ size_t *BytesWritten)
{
    KMDF_REPLY reply = { 0 };
    PVOID output = NULL;
    NTSTATUS status;

    *BytesWritten = 0;
    status = WdfRequestRetrieveOutputBuffer(Request, sizeof(KMDF_REPLY), &output, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    reply.Mode = g_Context.Mode;
    reply.Threshold = g_Context.Threshold;
    RtlCopyMemory(output, &reply, sizeof(reply));
    *BytesWritten = sizeof(reply);
    return STATUS_SUCCESS;
}

// bug class: integer overflow in a size check
// vulnerable: size-arithmetic-overflow
static NTSTATUS
KmdfBatch(_In_ WDFREQUEST Request, _In_ size_t InputBufferLength)
{
    PKMDF_BATCH batch = NULL;
    PUCHAR copy;
    ULONG bytes;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, KMDF_BATCH_HEADER, (PVOID *)&batch, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    bytes = batch->Count * batch->RecordSize;
    if (bytes > InputBufferLength - KMDF_BATCH_HEADER) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    copy = ExAllocatePool2(POOL_FLAG_PAGED, bytes, KMDF_CORPUS_TAG);
    if (copy == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    RtlCopyMemory(copy, batch->Records, bytes);
    ExFreePoolWithTag(copy, KMDF_CORPUS_TAG);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
KmdfBatchSafe(_In_ WDFREQUEST Request, _In_ size_t InputBufferLength)
{
    PKMDF_BATCH batch = NULL;
    PUCHAR copy;
    ULONG bytes;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, KMDF_BATCH_HEADER, (PVOID *)&batch, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    if (!NT_SUCCESS(RtlULongMult(batch->Count, batch->RecordSize, &bytes)) || bytes > InputBufferLength - KMDF_BATCH_HEADER) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    copy = ExAllocatePool2(POOL_FLAG_PAGED, bytes, KMDF_CORPUS_TAG);
    if (copy == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    RtlCopyMemory(copy, batch->Records, bytes);
    ExFreePoolWithTag(copy, KMDF_CORPUS_TAG);
    return STATUS_SUCCESS;
}

// bug class: type confusion
// vulnerable: user-type-confusion
static NTSTATUS
KmdfCompleteOther(_In_ WDFREQUEST Request)
{
    PKMDF_CANCEL request = NULL;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(KMDF_CANCEL), (PVOID *)&request, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    WdfRequestComplete((WDFREQUEST)request->Pending, STATUS_CANCELLED);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
KmdfCompleteOtherSafe(_In_ WDFREQUEST Request, _In_ WDFQUEUE PendingQueue)
{
    PKMDF_CANCEL request = NULL;
    WDFREQUEST pending = NULL;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(KMDF_CANCEL), (PVOID *)&request, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    status = WdfIoQueueRetrieveNextRequest(PendingQueue, &pending);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    WdfRequestComplete(pending, STATUS_CANCELLED);
    return STATUS_SUCCESS;
}

// bug class: insecure kernel file access
// vulnerable: kernel-file-access-no-force-check
static NTSTATUS
KmdfOpenLog(_In_ WDFREQUEST Request, _In_ size_t InputBufferLength)
{
    PWCHAR path = NULL;
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;
    IO_STATUS_BLOCK ioStatus;
    HANDLE file = NULL;
    NTSTATUS status;

    if (InputBufferLength < sizeof(WCHAR) || InputBufferLength > MAXUSHORT || (InputBufferLength % sizeof(WCHAR)) != 0) {
        return STATUS_INVALID_PARAMETER;
    }
    status = WdfRequestRetrieveInputBuffer(Request, InputBufferLength, (PVOID *)&path, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    name.Buffer = path;
    name.Length = (USHORT)InputBufferLength;
    name.MaximumLength = (USHORT)InputBufferLength;
    InitializeObjectAttributes(&attributes, &name, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL);
    status = ZwCreateFile(&file, FILE_APPEND_DATA | SYNCHRONIZE, &attributes, &ioStatus, NULL, FILE_ATTRIBUTE_NORMAL, 0,
                          FILE_OPEN_IF, FILE_SYNCHRONOUS_IO_NONALERT, NULL, 0);
    if (NT_SUCCESS(status)) {
        ZwClose(file);
    }
    return status;
}

// secure
static NTSTATUS
KmdfOpenLogSafe(_In_ WDFREQUEST Request, _In_ size_t InputBufferLength)
{
    PWCHAR path = NULL;
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;
    IO_STATUS_BLOCK ioStatus;
    HANDLE file = NULL;
    NTSTATUS status;

    if (InputBufferLength < sizeof(WCHAR) || InputBufferLength > MAXUSHORT || (InputBufferLength % sizeof(WCHAR)) != 0) {
        return STATUS_INVALID_PARAMETER;
    }
    status = WdfRequestRetrieveInputBuffer(Request, InputBufferLength, (PVOID *)&path, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    name.Buffer = path;
    name.Length = (USHORT)InputBufferLength;
    name.MaximumLength = (USHORT)InputBufferLength;
    InitializeObjectAttributes(&attributes, &name, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE | OBJ_FORCE_ACCESS_CHECK, NULL, NULL);
    status = IoCreateFileEx(&file, FILE_APPEND_DATA | SYNCHRONIZE, &attributes, &ioStatus, NULL, FILE_ATTRIBUTE_NORMAL, 0,
                            FILE_OPEN_IF, FILE_SYNCHRONOUS_IO_NONALERT, NULL, 0, CreateFileTypeNone, NULL,
                            IO_FORCE_ACCESS_CHECK, NULL);
    if (NT_SUCCESS(status)) {
        ZwClose(file);
    }
    return status;
}

// bug class: physical memory exposed
// vulnerable: physical-memory-exposed
static NTSTATUS
KmdfReadPhysical(_In_ WDFREQUEST Request, _Out_ size_t *BytesWritten)
{
    PKMDF_PHYSICAL request = NULL;
    PVOID output = NULL;
    PVOID mapped;
    PHYSICAL_ADDRESS address;
    NTSTATUS status;

    *BytesWritten = 0;
    status = WdfRequestRetrieveInputBuffer(Request, sizeof(KMDF_PHYSICAL), (PVOID *)&request, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    status = WdfRequestRetrieveOutputBuffer(Request, request->Length, &output, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    address.QuadPart = (LONGLONG)request->Address;
    mapped = MmMapIoSpaceEx(address, request->Length, PAGE_READONLY | PAGE_NOCACHE);
    if (mapped == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    RtlCopyMemory(output, mapped, request->Length);
    MmUnmapIoSpace(mapped, request->Length);
    *BytesWritten = request->Length;
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
KmdfReadPhysicalSafe(_In_ WDFREQUEST Request, _In_ PKMDF_DEVICE_CONTEXT Device, _Out_ size_t *BytesWritten)
{
    PVOID output = NULL;
    PVOID mapped;
    NTSTATUS status;

    *BytesWritten = 0;
    status = WdfRequestRetrieveOutputBuffer(Request, Device->RegistersLength, &output, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    mapped = MmMapIoSpaceEx(Device->RegistersBase, Device->RegistersLength, PAGE_READONLY | PAGE_NOCACHE);
    if (mapped == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    RtlCopyMemory(output, mapped, Device->RegistersLength);
    MmUnmapIoSpace(mapped, Device->RegistersLength);
    *BytesWritten = Device->RegistersLength;
    return STATUS_SUCCESS;
}

// bug class: port I/O exposed
// vulnerable: port-io-exposed
static NTSTATUS
KmdfPortWrite(_In_ WDFREQUEST Request)
{
    PKMDF_PORT request = NULL;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(KMDF_PORT), (PVOID *)&request, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    WRITE_PORT_UCHAR((PUCHAR)(ULONG_PTR)request->Port, request->Value);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
KmdfPortWriteSafe(_In_ WDFREQUEST Request, _In_ PKMDF_DEVICE_CONTEXT Device)
{
    PKMDF_PORT request = NULL;
    ULONG offset;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(KMDF_PORT), (PVOID *)&request, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    offset = request->Port;
    if (offset >= Device->PortCount) {
        return STATUS_INVALID_PARAMETER;
    }
    WRITE_PORT_UCHAR(Device->PortBase + offset, request->Value);
    return STATUS_SUCCESS;
}

// bug class: format string
// vulnerable: format-string-user-controlled
static NTSTATUS
KmdfTrace(_In_ WDFREQUEST Request, _In_ size_t InputBufferLength)
{
    PCHAR text = NULL;
    NTSTATUS status;

    if (InputBufferLength == 0 || InputBufferLength > KMDF_TRACE_MAX) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    status = WdfRequestRetrieveInputBuffer(Request, InputBufferLength, (PVOID *)&text, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    text[InputBufferLength - 1] = '\0';
    DbgPrint(text);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
KmdfTraceSafe(_In_ WDFREQUEST Request, _In_ size_t InputBufferLength)
{
    PCHAR text = NULL;
    NTSTATUS status;

    if (InputBufferLength == 0 || InputBufferLength > KMDF_TRACE_MAX) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    status = WdfRequestRetrieveInputBuffer(Request, InputBufferLength, (PVOID *)&text, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    text[InputBufferLength - 1] = '\0';
    DbgPrint("%s\n", text);
    return STATUS_SUCCESS;
}

// bug class: user handle referenced with KernelMode
// vulnerable: user-handle-kernel-mode
static NTSTATUS
KmdfQueryFile(_In_ WDFREQUEST Request)
{
    PKMDF_HANDLE request = NULL;
    PFILE_OBJECT fileObject = NULL;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(KMDF_HANDLE), (PVOID *)&request, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    status = ObReferenceObjectByHandle(request->File, FILE_READ_DATA, *IoFileObjectType, KernelMode, (PVOID *)&fileObject, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    g_Context.Mode = (ULONG)fileObject->Flags;
    ObDereferenceObject(fileObject);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
KmdfQueryFileSafe(_In_ WDFREQUEST Request)
{
    PKMDF_HANDLE request = NULL;
    PFILE_OBJECT fileObject = NULL;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(KMDF_HANDLE), (PVOID *)&request, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    status = ObReferenceObjectByHandle(request->File, FILE_READ_DATA, *IoFileObjectType, WdfRequestGetRequestorMode(Request),
                                       (PVOID *)&fileObject, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    g_Context.Mode = (ULONG)fileObject->Flags;
    ObDereferenceObject(fileObject);
    return STATUS_SUCCESS;
}

// bug class: control registers exposed
// vulnerable: control-register-access
static NTSTATUS
KmdfSetWriteProtect(_In_ WDFREQUEST Request)
{
    PKMDF_INDEX request = NULL;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(KMDF_INDEX), (PVOID *)&request, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    if (request->Index == 0) {
        __writecr0(__readcr0() & ~KMDF_CR0_WP);
    } else {
        __writecr0(__readcr0() | KMDF_CR0_WP);
    }
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
KmdfSetWriteProtectSafe(_In_ WDFREQUEST Request, _In_ PMDL PatchMdl)
{
    PKMDF_INDEX request = NULL;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(KMDF_INDEX), (PVOID *)&request, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    return MmProtectMdlSystemAddress(PatchMdl, request->Index == 0 ? PAGE_READWRITE : PAGE_READONLY);
}

// bug class: process killer
// vulnerable: user-process-control
static NTSTATUS
KmdfTerminate(_In_ WDFREQUEST Request)
{
    PKMDF_PID request = NULL;
    PEPROCESS process = NULL;
    HANDLE handle = NULL;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(KMDF_PID), (PVOID *)&request, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    status = PsLookupProcessByProcessId((HANDLE)(ULONG_PTR)request->ProcessId, &process);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    status = ObOpenObjectByPointer(process, OBJ_KERNEL_HANDLE, NULL, PROCESS_TERMINATE, *PsProcessType, KernelMode, &handle);
    ObDereferenceObject(process);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    status = ZwTerminateProcess(handle, STATUS_SUCCESS);
    ZwClose(handle);
    return status;
}

// secure
static NTSTATUS
KmdfTerminateSafe(_In_ WDFREQUEST Request)
{
    PKMDF_PID request = NULL;
    PEPROCESS process = NULL;
    HANDLE handle = NULL;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(KMDF_PID), (PVOID *)&request, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    status = PsLookupProcessByProcessId((HANDLE)(ULONG_PTR)request->ProcessId, &process);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    status = ObOpenObjectByPointer(process, OBJ_KERNEL_HANDLE, NULL, PROCESS_TERMINATE, *PsProcessType,
                                   WdfRequestGetRequestorMode(Request), &handle);
    ObDereferenceObject(process);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    status = ZwTerminateProcess(handle, STATUS_SUCCESS);
    ZwClose(handle);
    return status;
}

// bug class: double free
// vulnerable: double-free
static NTSTATUS
KmdfStage(_In_ WDFREQUEST Request)
{
    PKMDF_SETTINGS settings = NULL;
    PKMDF_CONTEXT staged;
    NTSTATUS status;

    staged = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(KMDF_CONTEXT), KMDF_CORPUS_TAG);
    if (staged == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    status = WdfRequestRetrieveInputBuffer(Request, sizeof(KMDF_SETTINGS), (PVOID *)&settings, NULL);
    if (!NT_SUCCESS(status)) {
        ExFreePoolWithTag(staged, KMDF_CORPUS_TAG);
        goto Cleanup;
    }
    staged->Mode = settings->Mode;
    staged->Threshold = settings->Threshold;
    g_Context = *staged;
Cleanup:
    ExFreePoolWithTag(staged, KMDF_CORPUS_TAG);
    return status;
}

// secure
static NTSTATUS
KmdfStageSafe(_In_ WDFREQUEST Request)
{
    PKMDF_SETTINGS settings = NULL;
    PKMDF_CONTEXT staged;
    NTSTATUS status;

    staged = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(KMDF_CONTEXT), KMDF_CORPUS_TAG);
    if (staged == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    status = WdfRequestRetrieveInputBuffer(Request, sizeof(KMDF_SETTINGS), (PVOID *)&settings, NULL);
    if (!NT_SUCCESS(status)) {
        goto Cleanup;
    }
    staged->Mode = settings->Mode;
    staged->Threshold = settings->Threshold;
    g_Context = *staged;
Cleanup:
    ExFreePoolWithTag(staged, KMDF_CORPUS_TAG);
    return status;
}

// bug class: unterminated user string
// vulnerable: unterminated-string-from-user
static NTSTATUS
KmdfNameLength(_In_ WDFREQUEST Request)
{
    PKMDF_NAME request = NULL;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(KMDF_NAME), (PVOID *)&request, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    g_Context.Threshold = (ULONG)wcslen(request->Name);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
KmdfNameLengthSafe(_In_ WDFREQUEST Request)
{
    PKMDF_NAME request = NULL;
    size_t length = 0;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(KMDF_NAME), (PVOID *)&request, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    status = RtlStringCchLengthW(request->Name, RTL_NUMBER_OF(request->Name), &length);
    if (!NT_SUCCESS(status)) {
        return STATUS_INVALID_PARAMETER;
    }
    g_Context.Threshold = (ULONG)length;
    return STATUS_SUCCESS;
}

// bug class: output length not validated
// vulnerable: output-length-not-validated
static NTSTATUS
KmdfGetContext(_In_ WDFREQUEST Request, _Out_ size_t *BytesWritten)
{
    PKMDF_REPLY reply = NULL;
    NTSTATUS status;

    *BytesWritten = 0;
    status = WdfRequestRetrieveOutputBuffer(Request, 0, (PVOID *)&reply, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    reply->Mode = g_Context.Mode;
    reply->Threshold = g_Context.Threshold;
    *BytesWritten = sizeof(KMDF_REPLY);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
KmdfGetContextSafe(_In_ WDFREQUEST Request, _Out_ size_t *BytesWritten)
{
    PKMDF_REPLY reply = NULL;
    NTSTATUS status;

    *BytesWritten = 0;
    status = WdfRequestRetrieveOutputBuffer(Request, sizeof(KMDF_REPLY), (PVOID *)&reply, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    reply->Mode = g_Context.Mode;
    reply->Threshold = g_Context.Threshold;
    *BytesWritten = sizeof(KMDF_REPLY);
    return STATUS_SUCCESS;
}

// bug class: double fetch
// vulnerable: double-fetch
static NTSTATUS
KmdfNeitherCopy(_In_ WDFREQUEST Request)
{
    PKMDF_MESSAGE user = NULL;
    UCHAR local[KMDF_LOCAL_SIZE] = { 0 };
    size_t length = 0;
    NTSTATUS status;

    status = WdfRequestRetrieveUnsafeUserInputBuffer(Request, sizeof(KMDF_MESSAGE), (PVOID *)&user, &length);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    __try {
        ProbeForRead(user, length, __alignof(KMDF_MESSAGE));
        if (user->Length > sizeof(local) || user->Length > length - KMDF_MESSAGE_HEADER) {
            return STATUS_INVALID_BUFFER_SIZE;
        }
        RtlCopyMemory(local, user->Data, user->Length);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
KmdfNeitherCopySafe(_In_ WDFREQUEST Request)
{
    PKMDF_MESSAGE user = NULL;
    UCHAR local[KMDF_LOCAL_SIZE] = { 0 };
    size_t length = 0;
    ULONG messageLength;
    NTSTATUS status;

    status = WdfRequestRetrieveUnsafeUserInputBuffer(Request, sizeof(KMDF_MESSAGE), (PVOID *)&user, &length);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    __try {
        ProbeForRead(user, length, __alignof(KMDF_MESSAGE));
        messageLength = user->Length;
        if (messageLength > sizeof(local) || messageLength > length - KMDF_MESSAGE_HEADER) {
            return STATUS_INVALID_BUFFER_SIZE;
        }
        RtlCopyMemory(local, user->Data, messageLength);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
VOID
KmdfEvtIoInCallerContext(WDFDEVICE Device, WDFREQUEST Request)
{
    WDF_REQUEST_PARAMETERS parameters;
    NTSTATUS status;

    WDF_REQUEST_PARAMETERS_INIT(&parameters);
    WdfRequestGetParameters(Request, &parameters);
    if (parameters.Type != WdfRequestTypeDeviceControl) {
        status = WdfDeviceEnqueueRequest(Device, Request);
        if (!NT_SUCCESS(status)) {
            WdfRequestComplete(Request, status);
        }
        return;
    }
    switch (parameters.Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_KMDF_NEITHER_COPY:
        WdfRequestComplete(Request, KmdfNeitherCopy(Request));
        return;
    case IOCTL_KMDF_NEITHER_COPY_SAFE:
        WdfRequestComplete(Request, KmdfNeitherCopySafe(Request));
        return;
    default:
        status = WdfDeviceEnqueueRequest(Device, Request);
        if (!NT_SUCCESS(status)) {
            WdfRequestComplete(Request, status);
        }
        return;
    }
}

_Use_decl_annotations_
VOID
KmdfEvtIoDeviceControl(WDFQUEUE Queue, WDFREQUEST Request, size_t OutputBufferLength, size_t InputBufferLength, ULONG IoControlCode)
{
    NTSTATUS status = STATUS_INVALID_DEVICE_REQUEST;
    size_t bytesWritten = 0;
    PKMDF_DEVICE_CONTEXT device = KmdfGetDeviceContext(WdfIoQueueGetDevice(Queue));

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
    case IOCTL_KMDF_POOL_COPY:          status = KmdfPoolCopy(Request, InputBufferLength); break;
    case IOCTL_KMDF_POOL_COPY_SAFE:     status = KmdfPoolCopySafe(Request, InputBufferLength); break;
    case IOCTL_KMDF_POKE:               status = KmdfPoke(Request); break;
    case IOCTL_KMDF_POKE_SAFE:          status = KmdfPokeSafe(Request); break;
    case IOCTL_KMDF_BUMP:               status = KmdfBump(Request); break;
    case IOCTL_KMDF_BUMP_SAFE:          status = KmdfBumpSafe(Request); break;
    case IOCTL_KMDF_SNAPSHOT:           status = KmdfSnapshot(Request); break;
    case IOCTL_KMDF_SNAPSHOT_SAFE:      status = KmdfSnapshotSafe(Request); break;
    case IOCTL_KMDF_RELEASE:            status = KmdfRelease(Request); break;
    case IOCTL_KMDF_RELEASE_SAFE:       status = KmdfReleaseSafe(Request); break;
    case IOCTL_KMDF_QUERY_CONTEXT:      status = KmdfQueryContext(Request, &bytesWritten); break;
    case IOCTL_KMDF_QUERY_CONTEXT_SAFE: status = KmdfQueryContextSafe(Request, &bytesWritten); break;
    case IOCTL_KMDF_BATCH:              status = KmdfBatch(Request, InputBufferLength); break;
    case IOCTL_KMDF_BATCH_SAFE:         status = KmdfBatchSafe(Request, InputBufferLength); break;
    case IOCTL_KMDF_COMPLETE_OTHER:     status = KmdfCompleteOther(Request); break;
    case IOCTL_KMDF_COMPLETE_OTHER_SAFE:status = KmdfCompleteOtherSafe(Request, device->PendingQueue); break;
    case IOCTL_KMDF_OPEN_LOG:           status = KmdfOpenLog(Request, InputBufferLength); break;
    case IOCTL_KMDF_OPEN_LOG_SAFE:      status = KmdfOpenLogSafe(Request, InputBufferLength); break;
    case IOCTL_KMDF_READ_PHYSICAL:      status = KmdfReadPhysical(Request, &bytesWritten); break;
    case IOCTL_KMDF_READ_PHYSICAL_SAFE: status = KmdfReadPhysicalSafe(Request, device, &bytesWritten); break;
    case IOCTL_KMDF_PORT_WRITE:         status = KmdfPortWrite(Request); break;
    case IOCTL_KMDF_PORT_WRITE_SAFE:    status = KmdfPortWriteSafe(Request, device); break;
    case IOCTL_KMDF_TRACE:              status = KmdfTrace(Request, InputBufferLength); break;
    case IOCTL_KMDF_TRACE_SAFE:         status = KmdfTraceSafe(Request, InputBufferLength); break;
    case IOCTL_KMDF_QUERY_FILE:         status = KmdfQueryFile(Request); break;
    case IOCTL_KMDF_QUERY_FILE_SAFE:    status = KmdfQueryFileSafe(Request); break;
    case IOCTL_KMDF_WRITE_PROTECT:      status = KmdfSetWriteProtect(Request); break;
    case IOCTL_KMDF_WRITE_PROTECT_SAFE: status = KmdfSetWriteProtectSafe(Request, device->PatchMdl); break;
    case IOCTL_KMDF_TERMINATE:          status = KmdfTerminate(Request); break;
    case IOCTL_KMDF_TERMINATE_SAFE:     status = KmdfTerminateSafe(Request); break;
    case IOCTL_KMDF_STAGE:              status = KmdfStage(Request); break;
    case IOCTL_KMDF_STAGE_SAFE:         status = KmdfStageSafe(Request); break;
    case IOCTL_KMDF_NAME_LENGTH:        status = KmdfNameLength(Request); break;
    case IOCTL_KMDF_NAME_LENGTH_SAFE:   status = KmdfNameLengthSafe(Request); break;
    case IOCTL_KMDF_GET_CONTEXT:        status = KmdfGetContext(Request, &bytesWritten); break;
    case IOCTL_KMDF_GET_CONTEXT_SAFE:   status = KmdfGetContextSafe(Request, &bytesWritten); break;
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

VOID
KmdfDeviceInitialize(_In_ PWDFDEVICE_INIT DeviceInit)
{
    WdfDeviceInitSetIoInCallerContextCallback(DeviceInit, KmdfEvtIoInCallerContext);
}
