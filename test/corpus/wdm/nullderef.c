/*
 * Deliberately vulnerable WDM handlers that dereference a pointer on a path where it is NULL (a lookup that finds
 * nothing, a pointer freed and cleared, a switch that leaves a pointer NULL and hands it to a helper), written from
 * scratch for the Driver Guard corpus (markers: see driver.c and test/corpus/corpus.test.ts).
 */
#include <ntddk.h>

#define NDR_TAG 'rdNW'
#define NDR_IOCTL(function, method) CTL_CODE(FILE_DEVICE_UNKNOWN, (function), (method), FILE_READ_ACCESS | FILE_WRITE_ACCESS)
#define IOCTL_NDR_TOUCH_CLIENT       NDR_IOCTL(0xD00, METHOD_BUFFERED)
#define IOCTL_NDR_TOUCH_CLIENT_SAFE  NDR_IOCTL(0xD01, METHOD_BUFFERED)
#define IOCTL_NDR_CLOSE_CHANNEL      NDR_IOCTL(0xD02, METHOD_NEITHER)
#define IOCTL_NDR_CLOSE_CHANNEL_SAFE NDR_IOCTL(0xD03, METHOD_NEITHER)
#define IOCTL_NDR_COUNTERS           NDR_IOCTL(0xD04, METHOD_BUFFERED)
#define IOCTL_NDR_COUNTERS_SAFE      NDR_IOCTL(0xD05, METHOD_BUFFERED)

#define NDR_CLOSE_DISCARD  0x1
#define NDR_SCOPE_DEVICE   1
#define NDR_SCOPE_CHANNEL  2

typedef struct _NDR_CLIENT {
    ULONG Id;
    ULONG Requests;
} NDR_CLIENT, *PNDR_CLIENT;

typedef struct _NDR_CLIENT_REQUEST {
    ULONG ClientId;
} NDR_CLIENT_REQUEST, *PNDR_CLIENT_REQUEST;

typedef struct _NDR_CHANNEL {
    ULONG Generation;
    ULONG Pending;
} NDR_CHANNEL, *PNDR_CHANNEL;

typedef struct _NDR_CLOSE_REQUEST {
    ULONG Flags;
} NDR_CLOSE_REQUEST, *PNDR_CLOSE_REQUEST;

typedef struct _NDR_COUNTERS {
    ULONG Reads;
    ULONG Writes;
} NDR_COUNTERS, *PNDR_COUNTERS;

typedef struct _NDR_COUNTERS_REQUEST {
    ULONG Scope;
} NDR_COUNTERS_REQUEST, *PNDR_COUNTERS_REQUEST;

typedef struct _NDR_COUNTERS_REPLY {
    ULONG Reads;
    ULONG Writes;
} NDR_COUNTERS_REPLY, *PNDR_COUNTERS_REPLY;

typedef struct _NDR_DEVICE_EXTENSION {
    RTL_GENERIC_TABLE Clients;
    FAST_MUTEX ClientLock;
    NDR_COUNTERS DeviceCounters;
    NDR_COUNTERS ChannelCounters;
} NDR_DEVICE_EXTENSION, *PNDR_DEVICE_EXTENSION;

static PNDR_CHANNEL NdrChannel;

_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH NdrDeviceControl;

// bug class: NULL pointer on a path
// vulnerable: null-pointer-dereference
static NTSTATUS
NdrTouchClient(_In_ PDEVICE_OBJECT DeviceObject, _In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PNDR_DEVICE_EXTENSION devExt = (PNDR_DEVICE_EXTENSION)DeviceObject->DeviceExtension;
    PNDR_CLIENT_REQUEST request = (PNDR_CLIENT_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    NDR_CLIENT key = { 0 };
    PNDR_CLIENT client;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(NDR_CLIENT_REQUEST)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    key.Id = request->ClientId;
    ExAcquireFastMutex(&devExt->ClientLock);
    client = (PNDR_CLIENT)RtlLookupElementGenericTable(&devExt->Clients, &key);
    client->Requests++;
    ExReleaseFastMutex(&devExt->ClientLock);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
NdrTouchClientSafe(_In_ PDEVICE_OBJECT DeviceObject, _In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PNDR_DEVICE_EXTENSION devExt = (PNDR_DEVICE_EXTENSION)DeviceObject->DeviceExtension;
    PNDR_CLIENT_REQUEST request = (PNDR_CLIENT_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    NDR_CLIENT key = { 0 };
    PNDR_CLIENT client;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(NDR_CLIENT_REQUEST)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    key.Id = request->ClientId;
    ExAcquireFastMutex(&devExt->ClientLock);
    client = (PNDR_CLIENT)RtlLookupElementGenericTable(&devExt->Clients, &key);
    if (client == NULL) {
        ExReleaseFastMutex(&devExt->ClientLock);
        return STATUS_NOT_FOUND;
    }
    client->Requests++;
    ExReleaseFastMutex(&devExt->ClientLock);
    return STATUS_SUCCESS;
}

// bug class: NULL pointer on a path
// vulnerable: null-pointer-dereference
static NTSTATUS
NdrCloseChannel(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PVOID userBuffer = IrpSp->Parameters.DeviceIoControl.Type3InputBuffer;
    NDR_CLOSE_REQUEST request = { 0 };

    UNREFERENCED_PARAMETER(Irp);
    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(NDR_CLOSE_REQUEST)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    __try {
        ProbeForRead(userBuffer, sizeof(NDR_CLOSE_REQUEST), sizeof(ULONG));
        RtlCopyMemory(&request, userBuffer, sizeof(NDR_CLOSE_REQUEST));
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    if (NdrChannel == NULL) {
        return STATUS_INVALID_DEVICE_STATE;
    }
    if (request.Flags & NDR_CLOSE_DISCARD) {
        ExFreePoolWithTag(NdrChannel, NDR_TAG);
        NdrChannel = NULL;
    }
    NdrChannel->Generation++;
    NdrChannel->Pending = 0;
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
NdrCloseChannelSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PVOID userBuffer = IrpSp->Parameters.DeviceIoControl.Type3InputBuffer;
    NDR_CLOSE_REQUEST request = { 0 };

    UNREFERENCED_PARAMETER(Irp);
    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(NDR_CLOSE_REQUEST)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    __try {
        ProbeForRead(userBuffer, sizeof(NDR_CLOSE_REQUEST), sizeof(ULONG));
        RtlCopyMemory(&request, userBuffer, sizeof(NDR_CLOSE_REQUEST));
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    if (NdrChannel == NULL) {
        return STATUS_INVALID_DEVICE_STATE;
    }
    if (request.Flags & NDR_CLOSE_DISCARD) {
        ExFreePoolWithTag(NdrChannel, NDR_TAG);
        NdrChannel = NULL;
        return STATUS_SUCCESS;
    }
    NdrChannel->Generation++;
    NdrChannel->Pending = 0;
    return STATUS_SUCCESS;
}

/* Helper: reads both counters of the block it is given (callers pass a valid block). */
static VOID
NdrFillCounters(_In_ PNDR_COUNTERS Counters, _Out_ PNDR_COUNTERS_REPLY Reply)
{
    Reply->Reads = Counters->Reads;
    Reply->Writes = Counters->Writes;
}

// bug class: NULL pointer on a path
// vulnerable: null-pointer-dereference
static NTSTATUS
NdrQueryCounters(_In_ PDEVICE_OBJECT DeviceObject, _In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PNDR_DEVICE_EXTENSION devExt = (PNDR_DEVICE_EXTENSION)DeviceObject->DeviceExtension;
    PNDR_COUNTERS_REQUEST request = (PNDR_COUNTERS_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    PNDR_COUNTERS_REPLY reply = (PNDR_COUNTERS_REPLY)Irp->AssociatedIrp.SystemBuffer;
    PNDR_COUNTERS counters = NULL;
    ULONG scope;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(NDR_COUNTERS_REQUEST) ||
        IrpSp->Parameters.DeviceIoControl.OutputBufferLength < sizeof(NDR_COUNTERS_REPLY)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    scope = request->Scope;
    switch (scope) {
    case NDR_SCOPE_DEVICE:
        counters = &devExt->DeviceCounters;
        break;
    case NDR_SCOPE_CHANNEL:
        counters = &devExt->ChannelCounters;
        break;
    default:
        break;
    }
    NdrFillCounters(counters, reply);
    Irp->IoStatus.Information = sizeof(NDR_COUNTERS_REPLY);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
NdrQueryCountersSafe(_In_ PDEVICE_OBJECT DeviceObject, _In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PNDR_DEVICE_EXTENSION devExt = (PNDR_DEVICE_EXTENSION)DeviceObject->DeviceExtension;
    PNDR_COUNTERS_REQUEST request = (PNDR_COUNTERS_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    PNDR_COUNTERS_REPLY reply = (PNDR_COUNTERS_REPLY)Irp->AssociatedIrp.SystemBuffer;
    PNDR_COUNTERS counters = NULL;
    ULONG scope;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(NDR_COUNTERS_REQUEST) ||
        IrpSp->Parameters.DeviceIoControl.OutputBufferLength < sizeof(NDR_COUNTERS_REPLY)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    scope = request->Scope;
    switch (scope) {
    case NDR_SCOPE_DEVICE:
        counters = &devExt->DeviceCounters;
        break;
    case NDR_SCOPE_CHANNEL:
        counters = &devExt->ChannelCounters;
        break;
    default:
        return STATUS_INVALID_PARAMETER;
    }
    NdrFillCounters(counters, reply);
    Irp->IoStatus.Information = sizeof(NDR_COUNTERS_REPLY);
    return STATUS_SUCCESS;
}

NTSTATUS
NdrDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status;

    switch (irpSp->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_NDR_TOUCH_CLIENT:       status = NdrTouchClient(DeviceObject, Irp, irpSp); break;
    case IOCTL_NDR_TOUCH_CLIENT_SAFE:  status = NdrTouchClientSafe(DeviceObject, Irp, irpSp); break;
    case IOCTL_NDR_CLOSE_CHANNEL:      status = NdrCloseChannel(Irp, irpSp); break;
    case IOCTL_NDR_CLOSE_CHANNEL_SAFE: status = NdrCloseChannelSafe(Irp, irpSp); break;
    case IOCTL_NDR_COUNTERS:           status = NdrQueryCounters(DeviceObject, Irp, irpSp); break;
    case IOCTL_NDR_COUNTERS_SAFE:      status = NdrQueryCountersSafe(DeviceObject, Irp, irpSp); break;
    default:                           status = STATUS_INVALID_DEVICE_REQUEST; break;
    }
    if (!NT_SUCCESS(status)) {
        Irp->IoStatus.Information = 0;
    }
    Irp->IoStatus.Status = status;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return status;
}
