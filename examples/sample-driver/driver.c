/*
 * A small WDM sample driver with a few planted security issues, for trying Driver Guard:
 *   npm run demo      (or: npx driver-guard scan examples)
 * Each planted issue is marked "Planted"; the rest of the file is written the safe way and stays clean.
 */
#include <ntddk.h>
#include <ntstrsafe.h>
#include "public.h"

#define SAMPLE_TAG 'pmaS'

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD SampleUnload;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) DRIVER_DISPATCH SampleCreateClose;
_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH SampleDeviceControl;

typedef struct _SAMPLE_CONTEXT {
    CHAR Name[SAMPLE_NAME_LENGTH];
    SAMPLE_STATS Stats;
    PUCHAR Store;
} SAMPLE_CONTEXT, *PSAMPLE_CONTEXT;

static SAMPLE_CONTEXT g_Sample;

/* Safe: the name is copied with a bounded, terminating string function. */
static NTSTATUS
SampleSetName(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PSAMPLE_NAME_REQUEST request = (PSAMPLE_NAME_REQUEST)Irp->AssociatedIrp.SystemBuffer;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(SAMPLE_NAME_REQUEST)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    return RtlStringCbCopyNA(g_Sample.Name, sizeof(g_Sample.Name), request->Name, sizeof(request->Name));
}

static NTSTATUS
SampleStore(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    UCHAR staging[SAMPLE_STORE_SIZE];
    ULONG length = IrpSp->Parameters.DeviceIoControl.InputBufferLength;

    /* Planted: the user's length is never compared with sizeof(staging). */
    RtlCopyMemory(staging, Irp->AssociatedIrp.SystemBuffer, length);
    RtlCopyMemory(g_Sample.Store, staging, SAMPLE_STORE_SIZE);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
NTSTATUS
SampleDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status;

    UNREFERENCED_PARAMETER(DeviceObject);
    Irp->IoStatus.Information = 0;
    switch (irpSp->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_SAMPLE_SET_NAME:
        status = SampleSetName(Irp, irpSp);
        break;
    case IOCTL_SAMPLE_STORE:
        status = SampleStore(Irp, irpSp);
        break;
    default:
        status = STATUS_INVALID_DEVICE_REQUEST;
        break;
    }
    g_Sample.Stats.Requests++;
    Irp->IoStatus.Status = status;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return status;
}

_Use_decl_annotations_
NTSTATUS
SampleCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
VOID
SampleUnload(PDRIVER_OBJECT DriverObject)
{
    UNICODE_STRING link = RTL_CONSTANT_STRING(L"\\DosDevices\\DriverGuardSample");

    IoDeleteSymbolicLink(&link);
    if (g_Sample.Store != NULL) {
        ExFreePoolWithTag(g_Sample.Store, SAMPLE_TAG);
        g_Sample.Store = NULL;
    }
    IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_
NTSTATUS
DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNICODE_STRING name = RTL_CONSTANT_STRING(L"\\Device\\DriverGuardSample");
    UNICODE_STRING link = RTL_CONSTANT_STRING(L"\\DosDevices\\DriverGuardSample");
    PDEVICE_OBJECT device = NULL;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(RegistryPath);

    /* Planted: deprecated allocator (uninitialized memory) with an executable pool type. */
    g_Sample.Store = ExAllocatePoolWithTag(NonPagedPool, SAMPLE_STORE_SIZE, SAMPLE_TAG);
    if (g_Sample.Store == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }

    /* Planted: unsafe CRT string function. */
    strcpy(g_Sample.Name, "sample");

    /* Planted: a named device without FILE_DEVICE_SECURE_OPEN. */
    status = IoCreateDevice(DriverObject, 0, &name, FILE_DEVICE_UNKNOWN, 0, FALSE, &device);
    if (!NT_SUCCESS(status)) {
        ExFreePoolWithTag(g_Sample.Store, SAMPLE_TAG);
        return status;
    }
    status = IoCreateSymbolicLink(&link, &name);
    if (!NT_SUCCESS(status)) {
        IoDeleteDevice(device);
        ExFreePoolWithTag(g_Sample.Store, SAMPLE_TAG);
        return status;
    }
    DriverObject->MajorFunction[IRP_MJ_CREATE] = SampleCreateClose;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = SampleCreateClose;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = SampleDeviceControl;
    DriverObject->DriverUnload = SampleUnload;
    device->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}
