/*
 * Deliberately vulnerable KMDF request handlers for pointers read out of the request (issue 13 section 2): the
 * input buffer WdfRequestRetrieveInputBuffer returns is a kernel copy, but a pointer inside it is whatever the
 * caller wrote there. Written from scratch by the Driver Guard team; markers as in queue.c. Do not ship this code.
 */
#include <ntddk.h>
#include <wdf.h>

#define UPK_IOCTL(function) CTL_CODE(FILE_DEVICE_UNKNOWN, (function), METHOD_BUFFERED, FILE_READ_ACCESS | FILE_WRITE_ACCESS)
#define IOCTL_UPK_POKE          UPK_IOCTL(0xB40)
#define IOCTL_UPK_POKE_SAFE     UPK_IOCTL(0xB41)
#define IOCTL_UPK_SNAP          UPK_IOCTL(0xB42)
#define IOCTL_UPK_SNAP_SAFE     UPK_IOCTL(0xB43)
#define IOCTL_UPK_EXPORT        UPK_IOCTL(0xB44)
#define IOCTL_UPK_EXPORT_SAFE   UPK_IOCTL(0xB45)
#define IOCTL_UPK_RESET         UPK_IOCTL(0xB46)
#define IOCTL_UPK_RESET_SAFE    UPK_IOCTL(0xB47)
#define IOCTL_UPK_INDEX         UPK_IOCTL(0xB48)
#define IOCTL_UPK_INDEX_SAFE    UPK_IOCTL(0xB49)
#define IOCTL_UPK_ADDRESS       UPK_IOCTL(0xB4A)
#define IOCTL_UPK_ADDRESS_SAFE  UPK_IOCTL(0xB4B)
#define IOCTL_UPK_BUILD         UPK_IOCTL(0xB4C)
#define IOCTL_UPK_BUILD_SAFE    UPK_IOCTL(0xB4D)
#define IOCTL_UPK_LABEL         UPK_IOCTL(0xB4E)
#define IOCTL_UPK_LABEL_SAFE    UPK_IOCTL(0xB4F)
#define IOCTL_UPK_NEST          UPK_IOCTL(0xB50)
#define IOCTL_UPK_NEST_SAFE     UPK_IOCTL(0xB51)
#define IOCTL_UPK_FENCE         UPK_IOCTL(0xB52)
#define IOCTL_UPK_FENCE_SAFE    UPK_IOCTL(0xB53)
#define IOCTL_UPK_MATCH         UPK_IOCTL(0xB54)
#define IOCTL_UPK_MATCH_SAFE    UPK_IOCTL(0xB55)
#define IOCTL_UPK_TALLY         UPK_IOCTL(0xB56)
#define IOCTL_UPK_TALLY_SAFE    UPK_IOCTL(0xB57)

typedef struct _UPK_POKE {
    PULONG Where;
    ULONG What;
} UPK_POKE, *PUPK_POKE;

typedef struct _UPK_EXPORT {
    PVOID Destination;
    ULONG Length;
} UPK_EXPORT, *PUPK_EXPORT;

typedef struct _UPK_INDEX {
    PULONG Table;
    ULONG Index;
} UPK_INDEX, *PUPK_INDEX;

/* A label the caller names with a UNICODE_STRING: its Buffer is the caller's address. */
typedef struct _UPK_LABEL {
    UNICODE_STRING Label;
} UPK_LABEL, *PUPK_LABEL;

/* The request holds the address of a caller array of counter addresses. */
typedef struct _UPK_NEST {
    PULONG *Counters;
    ULONG Index;
} UPK_NEST, *PUPK_NEST;

/* A 64-bit counter the caller wants the driver's total stored into. */
typedef struct _UPK_TALLY {
    PULONG64 Total;
} UPK_TALLY, *PUPK_TALLY;

static ULONG g_UpkState[16];
static WCHAR g_UpkLabel[32];
static UNICODE_STRING g_UpkExpected;

EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL UpkDeviceControl;

// bug class: pointer from user memory (KMDF input buffer field written)
// vulnerable: embedded-user-pointer
static NTSTATUS
UpkPoke(_In_ WDFREQUEST Request)
{
    PUPK_POKE in = NULL;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(UPK_POKE), (PVOID *)&in, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    *in->Where = in->What;
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UpkPokeSafe(_In_ WDFREQUEST Request)
{
    PUPK_POKE in = NULL;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(UPK_POKE), (PVOID *)&in, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    __try {
        ProbeForWrite(in->Where, sizeof(ULONG), __alignof(ULONG));
        *in->Where = in->What;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        status = GetExceptionCode();
    }
    return status;
}

// bug class: pointer from user memory (KMDF struct copied out of the input buffer)
// vulnerable: embedded-user-pointer
static NTSTATUS
UpkSnap(_In_ WDFREQUEST Request)
{
    PVOID buffer = NULL;
    UPK_POKE captured;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(UPK_POKE), &buffer, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    RtlCopyMemory(&captured, buffer, sizeof(UPK_POKE));
    g_UpkState[0] = *captured.Where;
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UpkSnapSafe(_In_ WDFREQUEST Request)
{
    PVOID buffer = NULL;
    UPK_POKE captured;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(UPK_POKE), &buffer, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    RtlCopyMemory(&captured, buffer, sizeof(UPK_POKE));
    __try {
        ProbeForRead(captured.Where, sizeof(ULONG), __alignof(ULONG));
        g_UpkState[0] = *captured.Where;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        status = GetExceptionCode();
    }
    return status;
}

// bug class: pointer from user memory (KMDF copy destination through a local)
// vulnerable: embedded-user-pointer
static NTSTATUS
UpkExport(_In_ WDFREQUEST Request)
{
    PUPK_EXPORT in = NULL;
    PVOID destination;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(UPK_EXPORT), (PVOID *)&in, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    destination = in->Destination;
    RtlCopyMemory(destination, g_UpkState, sizeof(g_UpkState));
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UpkExportSafe(_In_ WDFREQUEST Request)
{
    PUPK_EXPORT in = NULL;
    PVOID destination;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(UPK_EXPORT), (PVOID *)&in, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    destination = in->Destination;
    __try {
        ProbeForWrite(destination, sizeof(g_UpkState), 1);
        RtlCopyMemory(destination, g_UpkState, sizeof(g_UpkState));
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        status = GetExceptionCode();
    }
    return status;
}

/* Clears the caller-named counter. */
static VOID
UpkClear(_Out_ PULONG Counter)
{
    *Counter = 0;
}

// bug class: pointer from user memory (KMDF, passed to a helper that writes through it)
// vulnerable: embedded-user-pointer
static NTSTATUS
UpkReset(_In_ WDFREQUEST Request)
{
    PUPK_POKE in = NULL;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(UPK_POKE), (PVOID *)&in, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    UpkClear(in->Where);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UpkResetSafe(_In_ WDFREQUEST Request)
{
    PUPK_POKE in = NULL;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(UPK_POKE), (PVOID *)&in, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    __try {
        ProbeForWrite(in->Where, sizeof(ULONG), __alignof(ULONG));
        UpkClear(in->Where);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        status = GetExceptionCode();
    }
    return status;
}

// bug class: pointer from user memory (KMDF, subscript of a pointer field)
// vulnerable: embedded-user-pointer
static NTSTATUS
UpkIndex(_In_ WDFREQUEST Request)
{
    PUPK_INDEX in = NULL;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(UPK_INDEX), (PVOID *)&in, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    if (in->Index >= 16) {
        return STATUS_INVALID_PARAMETER;
    }
    g_UpkState[in->Index] = in->Table[in->Index];
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UpkIndexSafe(_In_ WDFREQUEST Request)
{
    PUPK_INDEX in = NULL;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(UPK_INDEX), (PVOID *)&in, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    if (in->Index >= 16) {
        return STATUS_INVALID_PARAMETER;
    }
    __try {
        ProbeForRead(in->Table, 16 * sizeof(ULONG), __alignof(ULONG));
        g_UpkState[in->Index] = in->Table[in->Index];
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        status = GetExceptionCode();
    }
    return status;
}

// bug class: pointer from user memory (KMDF, the input buffer holds a bare address)
// vulnerable: embedded-user-pointer
static NTSTATUS
UpkAddress(_In_ WDFREQUEST Request)
{
    PVOID buffer = NULL;
    PULONG target;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(PVOID), &buffer, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    target = *(PULONG *)buffer;
    *target = g_UpkState[1];
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UpkAddressSafe(_In_ WDFREQUEST Request)
{
    PVOID buffer = NULL;
    PULONG target;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(PVOID), &buffer, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    target = *(PULONG *)buffer;
    if ((ULONG_PTR)target >= (ULONG_PTR)MmUserProbeAddress) {
        return STATUS_ACCESS_VIOLATION;
    }
    __try {
        *target = g_UpkState[1];
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        status = GetExceptionCode();
    }
    return status;
}

// bug class: pointer from user memory (KMDF, probe only in the #ifdef arm)
// vulnerable: embedded-user-pointer
static NTSTATUS
UpkBuild(_In_ WDFREQUEST Request)
{
    PUPK_POKE in = NULL;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(UPK_POKE), (PVOID *)&in, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    __try {
#ifdef UPK_CHECKED
        ProbeForWrite(in->Where, sizeof(ULONG), __alignof(ULONG));
        *in->Where = in->What;
#else
        *in->Where = in->What;
#endif
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        status = GetExceptionCode();
    }
    return status;
}

// secure
static NTSTATUS
UpkBuildSafe(_In_ WDFREQUEST Request)
{
    PUPK_POKE in = NULL;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(UPK_POKE), (PVOID *)&in, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    __try {
        ProbeForWrite(in->Where, sizeof(ULONG), __alignof(ULONG));
#ifdef UPK_CHECKED
        *in->Where = in->What | 1;
#else
        *in->Where = in->What;
#endif
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        status = GetExceptionCode();
    }
    return status;
}

// bug class: pointer from user memory (KMDF, the Buffer of a UNICODE_STRING in the request)
// vulnerable: embedded-user-pointer
static NTSTATUS
UpkLabel(_In_ WDFREQUEST Request)
{
    PUPK_LABEL in = NULL;
    USHORT length;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(UPK_LABEL), (PVOID *)&in, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    length = in->Label.Length;
    if (length > sizeof(g_UpkLabel)) {
        return STATUS_INVALID_PARAMETER;
    }
    RtlCopyMemory(g_UpkLabel, in->Label.Buffer, length);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UpkLabelSafe(_In_ WDFREQUEST Request)
{
    PUPK_LABEL in = NULL;
    USHORT length;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(UPK_LABEL), (PVOID *)&in, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    length = in->Label.Length;
    if (length > sizeof(g_UpkLabel)) {
        return STATUS_INVALID_PARAMETER;
    }
    __try {
        ProbeForRead(in->Label.Buffer, length, sizeof(WCHAR));
        RtlCopyMemory(g_UpkLabel, in->Label.Buffer, length);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        status = GetExceptionCode();
    }
    return status;
}

// bug class: pointer from user memory (KMDF, pointer read through a pointer field of the request)
// vulnerable: embedded-user-pointer
static NTSTATUS
UpkNest(_In_ WDFREQUEST Request)
{
    PUPK_NEST in = NULL;
    PULONG *counters;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(UPK_NEST), (PVOID *)&in, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    counters = in->Counters;
    __try {
        ProbeForRead(counters, sizeof(PULONG), __alignof(PULONG));
        (**counters)++;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        status = GetExceptionCode();
    }
    return status;
}

// secure
static NTSTATUS
UpkNestSafe(_In_ WDFREQUEST Request)
{
    PUPK_NEST in = NULL;
    PULONG *counters;
    PULONG counter;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(UPK_NEST), (PVOID *)&in, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    counters = in->Counters;
    __try {
        ProbeForRead(counters, sizeof(PULONG), __alignof(PULONG));
        counter = *counters;
        ProbeForWrite(counter, sizeof(ULONG), __alignof(ULONG));
        (*counter)++;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        status = GetExceptionCode();
    }
    return status;
}

// bug class: pointer from user memory (KMDF, user range limit checked only in the #if arm)
// vulnerable: embedded-user-pointer
static NTSTATUS
UpkFence(_In_ WDFREQUEST Request)
{
    PUPK_POKE in = NULL;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(UPK_POKE), (PVOID *)&in, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
#if defined(UPK_RANGE_CHECK)
    if ((ULONG_PTR)in->Where >= (ULONG_PTR)MmUserProbeAddress) {
        return STATUS_ACCESS_VIOLATION;
    }
#endif
    __try {
        *in->Where = in->What;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        status = GetExceptionCode();
    }
    return status;
}

// secure
static NTSTATUS
UpkFenceSafe(_In_ WDFREQUEST Request)
{
    PUPK_POKE in = NULL;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(UPK_POKE), (PVOID *)&in, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
#if defined(UPK_RANGE_CHECK)
    if ((ULONG_PTR)in->Where >= (ULONG_PTR)MmUserProbeAddress) {
        return STATUS_ACCESS_VIOLATION;
    }
#else
    if ((ULONG_PTR)in->Where >= MM_USER_PROBE_ADDRESS) {
        return STATUS_ACCESS_VIOLATION;
    }
#endif
    __try {
        *in->Where = in->What;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        status = GetExceptionCode();
    }
    return status;
}

// bug class: pointer from user memory (KMDF, a counted string of the request compared by address)
// vulnerable: embedded-user-pointer
static NTSTATUS
UpkMatch(_In_ WDFREQUEST Request)
{
    PUPK_LABEL in = NULL;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(UPK_LABEL), (PVOID *)&in, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    if (!RtlEqualUnicodeString(&in->Label, &g_UpkExpected, TRUE)) {
        return STATUS_ACCESS_DENIED;
    }
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UpkMatchSafe(_In_ WDFREQUEST Request)
{
    PUPK_LABEL in = NULL;
    UNICODE_STRING label;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(UPK_LABEL), (PVOID *)&in, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    label = in->Label;
    if (!NT_SUCCESS(RtlValidateUnicodeString(0, &label))) {
        return STATUS_INVALID_PARAMETER;
    }
    __try {
        ProbeForRead(label.Buffer, label.Length, sizeof(WCHAR));
        if (!RtlEqualUnicodeString(&label, &g_UpkExpected, TRUE)) {
            status = STATUS_ACCESS_DENIED;
        }
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        status = GetExceptionCode();
    }
    return status;
}

// bug class: pointer from user memory (KMDF, probe narrower than the value written)
// vulnerable: probe-length-mismatch
static NTSTATUS
UpkTally(_In_ WDFREQUEST Request)
{
    PUPK_TALLY in = NULL;
    PULONG64 total;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(UPK_TALLY), (PVOID *)&in, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    total = in->Total;
    __try {
        ProbeForWrite(total, sizeof(ULONG), __alignof(ULONG));
        *total = (ULONG64)g_UpkState[0] + g_UpkState[1];
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        status = GetExceptionCode();
    }
    return status;
}

// secure
static NTSTATUS
UpkTallySafe(_In_ WDFREQUEST Request)
{
    PUPK_TALLY in = NULL;
    PULONG64 total;
    NTSTATUS status;

    status = WdfRequestRetrieveInputBuffer(Request, sizeof(UPK_TALLY), (PVOID *)&in, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    total = in->Total;
    __try {
        ProbeForWrite(total, sizeof(ULONG64), __alignof(ULONG64));
        *total = (ULONG64)g_UpkState[0] + g_UpkState[1];
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        status = GetExceptionCode();
    }
    return status;
}

VOID
UpkDeviceControl(_In_ WDFQUEUE Queue, _In_ WDFREQUEST Request, _In_ size_t OutputBufferLength, _In_ size_t InputBufferLength, _In_ ULONG IoControlCode)
{
    NTSTATUS status;

    UNREFERENCED_PARAMETER(Queue);
    UNREFERENCED_PARAMETER(OutputBufferLength);
    UNREFERENCED_PARAMETER(InputBufferLength);
    switch (IoControlCode) {
    case IOCTL_UPK_POKE:          status = UpkPoke(Request); break;
    case IOCTL_UPK_POKE_SAFE:     status = UpkPokeSafe(Request); break;
    case IOCTL_UPK_SNAP:          status = UpkSnap(Request); break;
    case IOCTL_UPK_SNAP_SAFE:     status = UpkSnapSafe(Request); break;
    case IOCTL_UPK_EXPORT:        status = UpkExport(Request); break;
    case IOCTL_UPK_EXPORT_SAFE:   status = UpkExportSafe(Request); break;
    case IOCTL_UPK_RESET:         status = UpkReset(Request); break;
    case IOCTL_UPK_RESET_SAFE:    status = UpkResetSafe(Request); break;
    case IOCTL_UPK_INDEX:         status = UpkIndex(Request); break;
    case IOCTL_UPK_INDEX_SAFE:    status = UpkIndexSafe(Request); break;
    case IOCTL_UPK_ADDRESS:       status = UpkAddress(Request); break;
    case IOCTL_UPK_ADDRESS_SAFE:  status = UpkAddressSafe(Request); break;
    case IOCTL_UPK_BUILD:         status = UpkBuild(Request); break;
    case IOCTL_UPK_BUILD_SAFE:    status = UpkBuildSafe(Request); break;
    case IOCTL_UPK_LABEL:         status = UpkLabel(Request); break;
    case IOCTL_UPK_LABEL_SAFE:    status = UpkLabelSafe(Request); break;
    case IOCTL_UPK_NEST:          status = UpkNest(Request); break;
    case IOCTL_UPK_NEST_SAFE:     status = UpkNestSafe(Request); break;
    case IOCTL_UPK_FENCE:         status = UpkFence(Request); break;
    case IOCTL_UPK_FENCE_SAFE:    status = UpkFenceSafe(Request); break;
    case IOCTL_UPK_MATCH:         status = UpkMatch(Request); break;
    case IOCTL_UPK_MATCH_SAFE:    status = UpkMatchSafe(Request); break;
    case IOCTL_UPK_TALLY:         status = UpkTally(Request); break;
    case IOCTL_UPK_TALLY_SAFE:    status = UpkTallySafe(Request); break;
    default:                      status = STATUS_INVALID_DEVICE_REQUEST; break;
    }
    WdfRequestComplete(Request, status);
}

NTSTATUS
UpkQueueInitialize(_In_ WDFDEVICE Device)
{
    WDF_IO_QUEUE_CONFIG config;
    WDFQUEUE queue;

    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&config, WdfIoQueueDispatchSequential);
    config.EvtIoDeviceControl = UpkDeviceControl;
    return WdfIoQueueCreate(Device, &config, WDF_NO_OBJECT_ATTRIBUTES, &queue);
}
