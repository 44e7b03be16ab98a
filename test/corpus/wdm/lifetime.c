/*
 * Deliberately vulnerable WDM handlers that free memory another request still reaches (use after free across
 * requests), written from scratch for the Driver Guard corpus (markers: see driver.c and test/corpus/corpus.test.ts).
 */
#include <ntddk.h>

#define LFT_TAG 'tfLD'
#define LFT_IOCTL(function, method) CTL_CODE(FILE_DEVICE_UNKNOWN, (function), (method), FILE_READ_ACCESS | FILE_WRITE_ACCESS)
#define IOCTL_LFT_READ_HISTORY     LFT_IOCTL(0xD00, METHOD_BUFFERED)
#define IOCTL_LFT_RESET            LFT_IOCTL(0xD01, METHOD_BUFFERED)
#define IOCTL_LFT_RESET_SAFE       LFT_IOCTL(0xD02, METHOD_BUFFERED)
#define IOCTL_LFT_APPLY_FILTER     LFT_IOCTL(0xD03, METHOD_NEITHER)
#define IOCTL_LFT_DROP_FILTER      LFT_IOCTL(0xD04, METHOD_NEITHER)
#define IOCTL_LFT_DROP_FILTER_SAFE LFT_IOCTL(0xD05, METHOD_NEITHER)

#define LFT_HISTORY_BYTES 64

typedef struct _LFT_DEVICE_EXTENSION {
    PUCHAR History;
    ULONG HistoryUsed;
} LFT_DEVICE_EXTENSION, *PLFT_DEVICE_EXTENSION;

typedef BOOLEAN (*PLFT_MATCH_ROUTINE)(_In_ ULONG Value);

typedef struct _LFT_FILTER {
    ULONG Threshold;
    PLFT_MATCH_ROUTINE Match;
} LFT_FILTER, *PLFT_FILTER;

static PLFT_FILTER LftFilter;

_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH LftDeviceControl;

/* Copies the history kept in the device extension into the caller's buffer (another request's view of it). */
static NTSTATUS
LftReadHistory(_In_ PDEVICE_OBJECT DeviceObject, _In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PLFT_DEVICE_EXTENSION devExt = (PLFT_DEVICE_EXTENSION)DeviceObject->DeviceExtension;

    if (IrpSp->Parameters.DeviceIoControl.OutputBufferLength < LFT_HISTORY_BYTES) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    if (devExt->History == NULL) {
        return STATUS_NO_DATA_DETECTED;
    }
    RtlCopyMemory(Irp->AssociatedIrp.SystemBuffer, devExt->History, LFT_HISTORY_BYTES);
    Irp->IoStatus.Information = LFT_HISTORY_BYTES;
    return STATUS_SUCCESS;
}

// bug class: use after free across requests
// vulnerable: freed-pointer-not-cleared
static NTSTATUS
LftReset(_In_ PDEVICE_OBJECT DeviceObject)
{
    PLFT_DEVICE_EXTENSION devExt = (PLFT_DEVICE_EXTENSION)DeviceObject->DeviceExtension;

    if (devExt->History != NULL) {
        ExFreePoolWithTag(devExt->History, LFT_TAG);
    }
    devExt->HistoryUsed = 0;
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
LftResetSafe(_In_ PDEVICE_OBJECT DeviceObject)
{
    PLFT_DEVICE_EXTENSION devExt = (PLFT_DEVICE_EXTENSION)DeviceObject->DeviceExtension;

    if (devExt->History != NULL) {
        ExFreePoolWithTag(devExt->History, LFT_TAG);
        devExt->History = NULL;
    }
    devExt->HistoryUsed = 0;
    return STATUS_SUCCESS;
}

/* Runs the installed filter over a value: a call through the global object. */
static BOOLEAN
LftApplyFilter(_In_ ULONG Value)
{
    if (LftFilter == NULL) {
        return TRUE;
    }
    return Value >= LftFilter->Threshold && LftFilter->Match(Value);
}

// bug class: use after free across requests
// vulnerable: freed-pointer-not-cleared
static NTSTATUS
LftDropFilter(_In_ ULONG Flags)
{
    if (Flags != 0 && LftFilter != NULL) {
        ExFreePoolWithTag(LftFilter, LFT_TAG);
    }
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
LftDropFilterSafe(_In_ ULONG Flags)
{
    PLFT_FILTER filter = LftFilter;

    if (Flags != 0 && filter != NULL) {
        LftFilter = NULL;
        ExFreePoolWithTag(filter, LFT_TAG);
    }
    return STATUS_SUCCESS;
}

NTSTATUS
LftDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);
    ULONG flags = irpSp->Parameters.DeviceIoControl.InputBufferLength;
    NTSTATUS status;

    Irp->IoStatus.Information = 0;
    switch (irpSp->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_LFT_READ_HISTORY:     status = LftReadHistory(DeviceObject, Irp, irpSp); break;
    case IOCTL_LFT_RESET:            status = LftReset(DeviceObject); break;
    case IOCTL_LFT_RESET_SAFE:       status = LftResetSafe(DeviceObject); break;
    case IOCTL_LFT_APPLY_FILTER:     status = LftApplyFilter(flags) ? STATUS_SUCCESS : STATUS_UNSUCCESSFUL; break;
    case IOCTL_LFT_DROP_FILTER:      status = LftDropFilter(flags); break;
    case IOCTL_LFT_DROP_FILTER_SAFE: status = LftDropFilterSafe(flags); break;
    default:                         status = STATUS_INVALID_DEVICE_REQUEST; break;
    }
    Irp->IoStatus.Status = status;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return status;
}

VOID
LftRegisterDispatch(_In_ PDRIVER_OBJECT DriverObject)
{
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = LftDeviceControl;
}
