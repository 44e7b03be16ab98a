/*
 * Deliberately vulnerable WDM handlers for integer overflow in length arithmetic and element-wise copy loops,
 * written from scratch for the Driver Guard corpus (markers: see driver.c and test/corpus/corpus.test.ts).
 */
#include <ntifs.h>
#include <ntintsafe.h>

#define OVF_TAG 'fvOD'
#define OVF_IOCTL(function, method) CTL_CODE(FILE_DEVICE_UNKNOWN, (function), (method), FILE_READ_ACCESS | FILE_WRITE_ACCESS)
#define IOCTL_OVF_NAME           OVF_IOCTL(0xA00, METHOD_BUFFERED)
#define IOCTL_OVF_NAME_SAFE      OVF_IOCTL(0xA01, METHOD_BUFFERED)
#define IOCTL_OVF_PAYLOAD        OVF_IOCTL(0xA02, METHOD_NEITHER)
#define IOCTL_OVF_PAYLOAD_SAFE   OVF_IOCTL(0xA03, METHOD_NEITHER)
#define IOCTL_OVF_ENTRIES        OVF_IOCTL(0xA04, METHOD_BUFFERED)
#define IOCTL_OVF_ENTRIES_SAFE   OVF_IOCTL(0xA05, METHOD_BUFFERED)
#define IOCTL_OVF_WORDS          OVF_IOCTL(0xA06, METHOD_BUFFERED)
#define IOCTL_OVF_WORDS_SAFE     OVF_IOCTL(0xA07, METHOD_BUFFERED)
#define IOCTL_OVF_SUM            OVF_IOCTL(0xA08, METHOD_BUFFERED)
#define IOCTL_OVF_SUM_SAFE       OVF_IOCTL(0xA09, METHOD_BUFFERED)

#define NAME_TERMINATOR 2
#define NAME_CAPACITY 128
#define WORD_CAPACITY 32

typedef struct _OVF_NAME_REQUEST {
    ULONG NameLength;
    WCHAR Name[1];
} OVF_NAME_REQUEST, *POVF_NAME_REQUEST;

typedef struct _OVF_PAYLOAD_HEADER {
    ULONG Kind;
    ULONG Flags;
} OVF_PAYLOAD_HEADER, *POVF_PAYLOAD_HEADER;

typedef struct _OVF_ENTRY {
    ULONG64 Key;
    ULONG64 Value;
} OVF_ENTRY, *POVF_ENTRY;

typedef struct _OVF_ENTRY_REQUEST {
    ULONG Count;
    OVF_ENTRY Entries[1];
} OVF_ENTRY_REQUEST, *POVF_ENTRY_REQUEST;

typedef struct _OVF_WORDS_REQUEST {
    ULONG Count;
    ULONG Values[1];
} OVF_WORDS_REQUEST, *POVF_WORDS_REQUEST;

_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH OverflowDeviceControl;

// bug class: integer overflow in length arithmetic
// vulnerable: size-arithmetic-overflow
static NTSTATUS
OvfCopyName(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    POVF_NAME_REQUEST request = (POVF_NAME_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    ULONG inputLength = IrpSp->Parameters.DeviceIoControl.InputBufferLength;
    UCHAR name[NAME_CAPACITY] = { 0 };
    ULONG needed;

    if (inputLength < sizeof(OVF_NAME_REQUEST)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    needed = request->NameLength + NAME_TERMINATOR;
    if (needed > sizeof(name) || request->NameLength > inputLength - FIELD_OFFSET(OVF_NAME_REQUEST, Name)) {
        return STATUS_INVALID_PARAMETER;
    }
    RtlCopyMemory(name, request->Name, request->NameLength);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
OvfCopyNameSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    POVF_NAME_REQUEST request = (POVF_NAME_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    ULONG inputLength = IrpSp->Parameters.DeviceIoControl.InputBufferLength;
    UCHAR name[NAME_CAPACITY] = { 0 };

    if (inputLength < sizeof(OVF_NAME_REQUEST)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    if (request->NameLength > sizeof(name) - NAME_TERMINATOR || request->NameLength > inputLength - FIELD_OFFSET(OVF_NAME_REQUEST, Name)) {
        return STATUS_INVALID_PARAMETER;
    }
    RtlCopyMemory(name, request->Name, request->NameLength);
    return STATUS_SUCCESS;
}

// bug class: integer overflow in length arithmetic
// vulnerable: size-arithmetic-overflow
static NTSTATUS
OvfPayload(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PVOID userBuffer = IrpSp->Parameters.DeviceIoControl.Type3InputBuffer;
    ULONG inputLength = IrpSp->Parameters.DeviceIoControl.InputBufferLength;
    PUCHAR payload;
    NTSTATUS status = STATUS_SUCCESS;

    UNREFERENCED_PARAMETER(Irp);
    payload = ExAllocatePool2(POOL_FLAG_PAGED, PAGE_SIZE, OVF_TAG);
    if (payload == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    __try {
        ProbeForRead(userBuffer, inputLength, sizeof(UCHAR));
        RtlCopyMemory(payload, (PUCHAR)userBuffer + sizeof(OVF_PAYLOAD_HEADER), inputLength - sizeof(OVF_PAYLOAD_HEADER));
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        status = GetExceptionCode();
    }
    ExFreePoolWithTag(payload, OVF_TAG);
    return status;
}

// secure
static NTSTATUS
OvfPayloadSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PVOID userBuffer = IrpSp->Parameters.DeviceIoControl.Type3InputBuffer;
    ULONG inputLength = IrpSp->Parameters.DeviceIoControl.InputBufferLength;
    PUCHAR payload;
    NTSTATUS status = STATUS_SUCCESS;

    UNREFERENCED_PARAMETER(Irp);
    if (inputLength < sizeof(OVF_PAYLOAD_HEADER) || inputLength - sizeof(OVF_PAYLOAD_HEADER) > PAGE_SIZE) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    payload = ExAllocatePool2(POOL_FLAG_PAGED, PAGE_SIZE, OVF_TAG);
    if (payload == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    __try {
        ProbeForRead(userBuffer, inputLength, sizeof(UCHAR));
        RtlCopyMemory(payload, (PUCHAR)userBuffer + sizeof(OVF_PAYLOAD_HEADER), inputLength - sizeof(OVF_PAYLOAD_HEADER));
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        status = GetExceptionCode();
    }
    ExFreePoolWithTag(payload, OVF_TAG);
    return status;
}

// bug class: integer overflow in length arithmetic
// vulnerable: size-arithmetic-overflow
static NTSTATUS
OvfAllocateEntries(_In_ ULONG Count, _In_reads_(Count) POVF_ENTRY Source)
{
    POVF_ENTRY entries;
    ULONG i;

    entries = ExAllocatePool2(POOL_FLAG_PAGED, Count * sizeof(OVF_ENTRY), OVF_TAG);
    if (entries == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    for (i = 0; i < Count; i++) {
        entries[i] = Source[i];
    }
    ExFreePoolWithTag(entries, OVF_TAG);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
OvfAllocateEntriesSafe(_In_ ULONG Count, _In_reads_(Count) POVF_ENTRY Source)
{
    POVF_ENTRY entries;
    SIZE_T bytes;
    ULONG i;

    if (!NT_SUCCESS(RtlSizeTMult(Count, sizeof(OVF_ENTRY), &bytes))) {
        return STATUS_INTEGER_OVERFLOW;
    }
    entries = ExAllocatePool2(POOL_FLAG_PAGED, bytes, OVF_TAG);
    if (entries == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    for (i = 0; i < Count; i++) {
        entries[i] = Source[i];
    }
    ExFreePoolWithTag(entries, OVF_TAG);
    return STATUS_SUCCESS;
}

static NTSTATUS
OvfEntries(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp, _In_ BOOLEAN Safe)
{
    POVF_ENTRY_REQUEST request = (POVF_ENTRY_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    ULONG inputLength = IrpSp->Parameters.DeviceIoControl.InputBufferLength;

    if (inputLength < sizeof(OVF_ENTRY_REQUEST)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    return Safe ? OvfAllocateEntriesSafe(request->Count, request->Entries) : OvfAllocateEntries(request->Count, request->Entries);
}

// bug class: element-wise copy loop overflow
// vulnerable: user-length-copy-unchecked
static NTSTATUS
OvfCopyWords(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PULONG source = (PULONG)Irp->AssociatedIrp.SystemBuffer;
    ULONG size = IrpSp->Parameters.DeviceIoControl.InputBufferLength;
    ULONG words[WORD_CAPACITY];
    ULONG i = 0;

    while (i < size / sizeof(ULONG)) {
        words[i] = source[i];
        i++;
    }
    return words[0] != 0 ? STATUS_SUCCESS : STATUS_UNSUCCESSFUL;
}

// secure
static NTSTATUS
OvfCopyWordsSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PULONG source = (PULONG)Irp->AssociatedIrp.SystemBuffer;
    ULONG size = IrpSp->Parameters.DeviceIoControl.InputBufferLength;
    ULONG words[WORD_CAPACITY];
    ULONG i = 0;

    if (size < sizeof(ULONG) || size > sizeof(words)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    while (i < size / sizeof(ULONG)) {
        words[i] = source[i];
        i++;
    }
    return words[0] != 0 ? STATUS_SUCCESS : STATUS_UNSUCCESSFUL;
}

// bug class: element-wise copy loop overflow
// vulnerable: user-length-copy-unchecked
static ULONG
OvfSumValues(_In_reads_(Count) PULONG Values, _In_ ULONG Count)
{
    ULONG table[WORD_CAPACITY];
    ULONG sum = 0;
    ULONG i;

    for (i = 0; i < Count; i++) {
        table[i] = Values[i];
        sum += table[i];
    }
    return sum;
}

// secure
static ULONG
OvfSumValuesSafe(_In_reads_(Count) PULONG Values, _In_ ULONG Count)
{
    ULONG table[WORD_CAPACITY];
    ULONG sum = 0;
    ULONG i;

    if (Count > RTL_NUMBER_OF(table)) {
        return 0;
    }
    for (i = 0; i < Count; i++) {
        table[i] = Values[i];
        sum += table[i];
    }
    return sum;
}

static NTSTATUS
OvfSum(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp, _In_ BOOLEAN Safe)
{
    POVF_WORDS_REQUEST request = (POVF_WORDS_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    ULONG inputLength = IrpSp->Parameters.DeviceIoControl.InputBufferLength;
    ULONG sum;

    if (inputLength < sizeof(OVF_WORDS_REQUEST)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    sum = Safe ? OvfSumValuesSafe(request->Values, request->Count) : OvfSumValues(request->Values, request->Count);
    return sum != 0 ? STATUS_SUCCESS : STATUS_DATA_ERROR;
}

NTSTATUS
OverflowDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status;

    UNREFERENCED_PARAMETER(DeviceObject);
    switch (irpSp->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_OVF_NAME:         status = OvfCopyName(Irp, irpSp); break;
    case IOCTL_OVF_NAME_SAFE:    status = OvfCopyNameSafe(Irp, irpSp); break;
    case IOCTL_OVF_PAYLOAD:      status = OvfPayload(Irp, irpSp); break;
    case IOCTL_OVF_PAYLOAD_SAFE: status = OvfPayloadSafe(Irp, irpSp); break;
    case IOCTL_OVF_ENTRIES:      status = OvfEntries(Irp, irpSp, FALSE); break;
    case IOCTL_OVF_ENTRIES_SAFE: status = OvfEntries(Irp, irpSp, TRUE); break;
    case IOCTL_OVF_WORDS:        status = OvfCopyWords(Irp, irpSp); break;
    case IOCTL_OVF_WORDS_SAFE:   status = OvfCopyWordsSafe(Irp, irpSp); break;
    case IOCTL_OVF_SUM:          status = OvfSum(Irp, irpSp, FALSE); break;
    case IOCTL_OVF_SUM_SAFE:     status = OvfSum(Irp, irpSp, TRUE); break;
    default:                     status = STATUS_INVALID_DEVICE_REQUEST; break;
    }
    Irp->IoStatus.Status = status;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return status;
}
