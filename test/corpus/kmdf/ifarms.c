/*
 * Deliberately vulnerable KMDF queue callbacks for conditional compilation and for kernel handles opened on behalf
 * of the caller, written from scratch by the Driver Guard team. Markers as in queue.c.
 */
#include <ntddk.h>
#include <wdf.h>

#define IFARMS_KMDF_IOCTL(function) CTL_CODE(FILE_DEVICE_UNKNOWN, (function), METHOD_BUFFERED, FILE_READ_ACCESS | FILE_WRITE_ACCESS)
#define IOCTL_IFARMS_KMDF_OPEN       IFARMS_KMDF_IOCTL(0xA40)
#define IOCTL_IFARMS_KMDF_OPEN_SAFE  IFARMS_KMDF_IOCTL(0xA41)

typedef struct _IFARMS_KMDF_PATH {
    UNICODE_STRING Path;
    WCHAR Buffer[260];
} IFARMS_KMDF_PATH, *PIFARMS_KMDF_PATH;

EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL IfarmsKmdfOpen;
EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL IfarmsKmdfOpenSafe;

// bug class: kernel handle opened for the caller (KMDF, fix only in the #ifdef arm)
// vulnerable: kernel-file-access-no-force-check
VOID
IfarmsKmdfOpen(_In_ WDFQUEUE Queue, _In_ WDFREQUEST Request, _In_ size_t OutputBufferLength, _In_ size_t InputBufferLength, _In_ ULONG IoControlCode)
{
    PWCHAR path = NULL;
    size_t length = 0;
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;
    IO_STATUS_BLOCK io;
    HANDLE file = NULL;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(Queue);
    UNREFERENCED_PARAMETER(OutputBufferLength);
    UNREFERENCED_PARAMETER(InputBufferLength);
    UNREFERENCED_PARAMETER(IoControlCode);
    status = WdfRequestRetrieveInputBuffer(Request, sizeof(WCHAR), (PVOID *)&path, &length);
    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(Request, status);
        return;
    }
    name.Buffer = path;
    name.Length = (USHORT)(length & ~1);
    name.MaximumLength = name.Length;
    status = RtlValidateUnicodeString(0, &name);
    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(Request, status);
        return;
    }
#ifdef IFARMS_CHECKED
    InitializeObjectAttributes(&attributes, &name, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE | OBJ_FORCE_ACCESS_CHECK, NULL, NULL);
#else
    InitializeObjectAttributes(&attributes, &name, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL);
#endif
    status = ZwOpenFile(&file, GENERIC_READ | SYNCHRONIZE, &attributes, &io, FILE_SHARE_READ, FILE_SYNCHRONOUS_IO_NONALERT);
    if (NT_SUCCESS(status)) {
        ZwClose(file);
    }
    WdfRequestComplete(Request, status);
}

// secure
VOID
IfarmsKmdfOpenSafe(_In_ WDFQUEUE Queue, _In_ WDFREQUEST Request, _In_ size_t OutputBufferLength, _In_ size_t InputBufferLength, _In_ ULONG IoControlCode)
{
    PWCHAR path = NULL;
    size_t length = 0;
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;
    IO_STATUS_BLOCK io;
    HANDLE file = NULL;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(Queue);
    UNREFERENCED_PARAMETER(OutputBufferLength);
    UNREFERENCED_PARAMETER(InputBufferLength);
    UNREFERENCED_PARAMETER(IoControlCode);
    status = WdfRequestRetrieveInputBuffer(Request, sizeof(WCHAR), (PVOID *)&path, &length);
    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(Request, status);
        return;
    }
    name.Buffer = path;
    name.Length = (USHORT)(length & ~1);
    name.MaximumLength = name.Length;
    status = RtlValidateUnicodeString(0, &name);
    if (!NT_SUCCESS(status)) {
        WdfRequestComplete(Request, status);
        return;
    }
#ifdef IFARMS_CHECKED
    InitializeObjectAttributes(&attributes, &name, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE | OBJ_FORCE_ACCESS_CHECK | OBJ_DONT_REPARSE, NULL, NULL);
#else
    InitializeObjectAttributes(&attributes, &name, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE | OBJ_FORCE_ACCESS_CHECK, NULL, NULL);
#endif
    status = ZwOpenFile(&file, GENERIC_READ | SYNCHRONIZE, &attributes, &io, FILE_SHARE_READ, FILE_SYNCHRONOUS_IO_NONALERT);
    if (NT_SUCCESS(status)) {
        ZwClose(file);
    }
    WdfRequestComplete(Request, status);
}

NTSTATUS
IfarmsKmdfQueueInitialize(_In_ WDFDEVICE Device)
{
    WDF_IO_QUEUE_CONFIG config;
    WDFQUEUE queue;

    WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&config, WdfIoQueueDispatchSequential);
#ifdef IFARMS_CHECKED
    config.EvtIoDeviceControl = IfarmsKmdfOpenSafe;
#else
    config.EvtIoDeviceControl = IfarmsKmdfOpen;
#endif
    return WdfIoQueueCreate(Device, &config, WDF_NO_OBJECT_ATTRIBUTES, &queue);
}
