/*
 * Deliberately vulnerable WDM handlers that use pool memory before writing it (non-zeroing allocators), written
 * from scratch for the Driver Guard corpus (markers: see driver.c and test/corpus/corpus.test.ts).
 */
#include <ntddk.h>

#define UPL_TAG 'lpUD'
#define UPL_IOCTL(function, method) CTL_CODE(FILE_DEVICE_UNKNOWN, (function), (method), FILE_READ_ACCESS | FILE_WRITE_ACCESS)
#define IOCTL_UPL_OPEN_SESSION       UPL_IOCTL(0xC00, METHOD_BUFFERED)
#define IOCTL_UPL_OPEN_SESSION_SAFE  UPL_IOCTL(0xC01, METHOD_BUFFERED)
#define IOCTL_UPL_SET_HOOK           UPL_IOCTL(0xC02, METHOD_NEITHER)
#define IOCTL_UPL_SET_HOOK_SAFE      UPL_IOCTL(0xC03, METHOD_NEITHER)
#define IOCTL_UPL_SAMPLES            UPL_IOCTL(0xC04, METHOD_BUFFERED)
#define IOCTL_UPL_SAMPLES_SAFE       UPL_IOCTL(0xC05, METHOD_BUFFERED)

#define UPL_FLAG_KEYED    0x1
#define UPL_MODE_QUIET    0
#define UPL_MODE_VERBOSE  1
#define UPL_SAMPLE_COUNT  8
#define UPL_SAMPLE_BYTES  32

typedef struct _UPL_SESSION {
    ULONG Id;
    ULONG Flags;
    ULONG64 Key;
} UPL_SESSION, *PUPL_SESSION;

typedef struct _UPL_OPEN_REQUEST {
    ULONG Flags;
    ULONG64 Key;
} UPL_OPEN_REQUEST, *PUPL_OPEN_REQUEST;

typedef struct _UPL_OPEN_REPLY {
    ULONG Id;
    ULONG64 Key;
} UPL_OPEN_REPLY, *PUPL_OPEN_REPLY;

typedef struct _UPL_DEVICE_EXTENSION {
    PUPL_SESSION Session;
    ULONG NextId;
} UPL_DEVICE_EXTENSION, *PUPL_DEVICE_EXTENSION;

typedef VOID (*PUPL_HOOK_ROUTINE)(_In_opt_ PVOID Context);

typedef struct _UPL_HOOK {
    ULONG Mode;
    PVOID Context;
    PUPL_HOOK_ROUTINE Routine;
} UPL_HOOK, *PUPL_HOOK;

typedef struct _UPL_HOOK_REQUEST {
    ULONG Mode;
} UPL_HOOK_REQUEST, *PUPL_HOOK_REQUEST;

typedef struct _UPL_SAMPLES {
    ULONG Count;
    ULONG Values[UPL_SAMPLE_COUNT];
} UPL_SAMPLES, *PUPL_SAMPLES;

static PUPL_HOOK UplHook;
static BOOLEAN UplSamplingEnabled;

_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH UplDeviceControl;

static VOID
UplHookQuiet(_In_opt_ PVOID Context)
{
    UNREFERENCED_PARAMETER(Context);
}

static VOID
UplHookVerbose(_In_opt_ PVOID Context)
{
    UNREFERENCED_PARAMETER(Context);
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, "upl: hook\n");
}

static ULONG
UplReadSample(_In_ ULONG Index)
{
    return Index * 3;
}

/* Allocation helper: hands out pool that is not zeroed. */
static PUPL_SAMPLES
UplAllocateSamples(VOID)
{
    return (PUPL_SAMPLES)ExAllocatePoolUninitialized(PagedPool, sizeof(UPL_SAMPLES), UPL_TAG);
}

// bug class: uninitialized pool
// vulnerable: uninitialized-pool-use
static NTSTATUS
UplOpenSession(_In_ PDEVICE_OBJECT DeviceObject, _In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPL_DEVICE_EXTENSION devExt = (PUPL_DEVICE_EXTENSION)DeviceObject->DeviceExtension;
    PUPL_OPEN_REQUEST request = (PUPL_OPEN_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    PUPL_OPEN_REPLY reply = (PUPL_OPEN_REPLY)Irp->AssociatedIrp.SystemBuffer;
    ULONG flags;
    ULONG64 key;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPL_OPEN_REQUEST) ||
        IrpSp->Parameters.DeviceIoControl.OutputBufferLength < sizeof(UPL_OPEN_REPLY)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    if (devExt->Session != NULL) {
        return STATUS_DEVICE_BUSY;
    }
    flags = request->Flags;
    key = request->Key;
    devExt->Session = (PUPL_SESSION)ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(UPL_SESSION), UPL_TAG);
    if (devExt->Session == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    devExt->Session->Id = ++devExt->NextId;
    devExt->Session->Flags = flags;
    if (flags & UPL_FLAG_KEYED) {
        devExt->Session->Key = key;
    }
    reply->Id = devExt->Session->Id;
    reply->Key = devExt->Session->Key;
    Irp->IoStatus.Information = sizeof(UPL_OPEN_REPLY);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UplOpenSessionSafe(_In_ PDEVICE_OBJECT DeviceObject, _In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPL_DEVICE_EXTENSION devExt = (PUPL_DEVICE_EXTENSION)DeviceObject->DeviceExtension;
    PUPL_OPEN_REQUEST request = (PUPL_OPEN_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    PUPL_OPEN_REPLY reply = (PUPL_OPEN_REPLY)Irp->AssociatedIrp.SystemBuffer;
    ULONG flags;
    ULONG64 key;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPL_OPEN_REQUEST) ||
        IrpSp->Parameters.DeviceIoControl.OutputBufferLength < sizeof(UPL_OPEN_REPLY)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    if (devExt->Session != NULL) {
        return STATUS_DEVICE_BUSY;
    }
    flags = request->Flags;
    key = request->Key;
    devExt->Session = (PUPL_SESSION)ExAllocatePoolUninitialized(NonPagedPoolNx, sizeof(UPL_SESSION), UPL_TAG);
    if (devExt->Session == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    RtlZeroMemory(devExt->Session, sizeof(UPL_SESSION));
    devExt->Session->Id = ++devExt->NextId;
    devExt->Session->Flags = flags;
    if (flags & UPL_FLAG_KEYED) {
        devExt->Session->Key = key;
    }
    reply->Id = devExt->Session->Id;
    reply->Key = devExt->Session->Key;
    Irp->IoStatus.Information = sizeof(UPL_OPEN_REPLY);
    return STATUS_SUCCESS;
}

// bug class: uninitialized pool
// vulnerable: uninitialized-pool-use
static NTSTATUS
UplSetHook(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PVOID userBuffer = IrpSp->Parameters.DeviceIoControl.Type3InputBuffer;
    UPL_HOOK_REQUEST request = { 0 };

    UNREFERENCED_PARAMETER(Irp);
    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPL_HOOK_REQUEST)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    __try {
        ProbeForRead(userBuffer, sizeof(UPL_HOOK_REQUEST), sizeof(ULONG));
        RtlCopyMemory(&request, userBuffer, sizeof(UPL_HOOK_REQUEST));
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    if (UplHook != NULL) {
        return STATUS_DEVICE_BUSY;
    }
    UplHook = (PUPL_HOOK)ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_UNINITIALIZED, sizeof(UPL_HOOK), UPL_TAG);
    if (UplHook == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    UplHook->Mode = request.Mode;
    UplHook->Context = NULL;
    if (request.Mode == UPL_MODE_VERBOSE) {
        UplHook->Routine = UplHookVerbose;
    } else if (request.Mode == UPL_MODE_QUIET) {
        UplHook->Routine = UplHookQuiet;
    }
    UplHook->Routine(UplHook->Context);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UplSetHookSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PVOID userBuffer = IrpSp->Parameters.DeviceIoControl.Type3InputBuffer;
    UPL_HOOK_REQUEST request = { 0 };

    UNREFERENCED_PARAMETER(Irp);
    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPL_HOOK_REQUEST)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    __try {
        ProbeForRead(userBuffer, sizeof(UPL_HOOK_REQUEST), sizeof(ULONG));
        RtlCopyMemory(&request, userBuffer, sizeof(UPL_HOOK_REQUEST));
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    if (UplHook != NULL) {
        return STATUS_DEVICE_BUSY;
    }
    UplHook = (PUPL_HOOK)ExAllocatePool2(POOL_FLAG_NON_PAGED | POOL_FLAG_UNINITIALIZED, sizeof(UPL_HOOK), UPL_TAG);
    if (UplHook == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    UplHook->Mode = request.Mode;
    UplHook->Context = NULL;
    if (request.Mode == UPL_MODE_VERBOSE) {
        UplHook->Routine = UplHookVerbose;
    } else {
        UplHook->Routine = UplHookQuiet;
    }
    UplHook->Routine(UplHook->Context);
    return STATUS_SUCCESS;
}

// bug class: uninitialized pool
// vulnerable: uninitialized-pool-use
static NTSTATUS
UplQuerySamples(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPL_SAMPLES samples;
    ULONG i;

    if (IrpSp->Parameters.DeviceIoControl.OutputBufferLength < UPL_SAMPLE_BYTES) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    samples = UplAllocateSamples();
    if (samples == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    samples->Count = 0;
    if (UplSamplingEnabled) {
        for (i = 0; i < UPL_SAMPLE_COUNT; i++) {
            samples->Values[i] = UplReadSample(i);
        }
        samples->Count = UPL_SAMPLE_COUNT;
    }
    RtlCopyMemory(Irp->AssociatedIrp.SystemBuffer, samples->Values, UPL_SAMPLE_BYTES);
    ExFreePoolWithTag(samples, UPL_TAG);
    Irp->IoStatus.Information = UPL_SAMPLE_BYTES;
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UplQuerySamplesSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPL_SAMPLES samples;
    ULONG i;

    if (IrpSp->Parameters.DeviceIoControl.OutputBufferLength < UPL_SAMPLE_BYTES) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    samples = UplAllocateSamples();
    if (samples == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    samples->Count = 0;
    if (UplSamplingEnabled) {
        for (i = 0; i < UPL_SAMPLE_COUNT; i++) {
            samples->Values[i] = UplReadSample(i);
        }
        samples->Count = UPL_SAMPLE_COUNT;
    } else {
        RtlZeroMemory(samples->Values, UPL_SAMPLE_BYTES);
    }
    RtlCopyMemory(Irp->AssociatedIrp.SystemBuffer, samples->Values, UPL_SAMPLE_BYTES);
    ExFreePoolWithTag(samples, UPL_TAG);
    Irp->IoStatus.Information = UPL_SAMPLE_BYTES;
    return STATUS_SUCCESS;
}

NTSTATUS
UplDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status;

    switch (irpSp->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_UPL_OPEN_SESSION:      status = UplOpenSession(DeviceObject, Irp, irpSp); break;
    case IOCTL_UPL_OPEN_SESSION_SAFE: status = UplOpenSessionSafe(DeviceObject, Irp, irpSp); break;
    case IOCTL_UPL_SET_HOOK:          status = UplSetHook(Irp, irpSp); break;
    case IOCTL_UPL_SET_HOOK_SAFE:     status = UplSetHookSafe(Irp, irpSp); break;
    case IOCTL_UPL_SAMPLES:           status = UplQuerySamples(Irp, irpSp); break;
    case IOCTL_UPL_SAMPLES_SAFE:      status = UplQuerySamplesSafe(Irp, irpSp); break;
    default:                          status = STATUS_INVALID_DEVICE_REQUEST; break;
    }
    if (!NT_SUCCESS(status)) {
        Irp->IoStatus.Information = 0;
    }
    Irp->IoStatus.Status = status;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return status;
}
