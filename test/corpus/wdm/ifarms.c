/*
 * Deliberately vulnerable WDM handlers for conditional compilation (`#if` arms are alternatives) and for kernel
 * handles opened on behalf of the caller, written from scratch by the Driver Guard team. Markers as in driver.c:
 * `// vulnerable: <rule-id>` must be flagged by that rule, `// secure` twins must get no warning or error.
 * Several handlers keep a checked variant under `#ifdef IFARMS_CHECKED` and an unchecked one in the `#else` arm.
 */
#include <ntifs.h>

#define IFARMS_IOCTL(function, method) CTL_CODE(FILE_DEVICE_UNKNOWN, (function), (method), FILE_READ_ACCESS | FILE_WRITE_ACCESS)

#define IOCTL_IFARMS_COPY           IFARMS_IOCTL(0xA00, METHOD_BUFFERED)
#define IOCTL_IFARMS_COPY_SAFE      IFARMS_IOCTL(0xA01, METHOD_BUFFERED)
#define IOCTL_IFARMS_PEEK           IFARMS_IOCTL(0xA02, METHOD_NEITHER)
#define IOCTL_IFARMS_PEEK_SAFE      IFARMS_IOCTL(0xA03, METHOD_NEITHER)
#define IOCTL_IFARMS_OPEN_LOG       IFARMS_IOCTL(0xA04, METHOD_BUFFERED)
#define IOCTL_IFARMS_OPEN_LOG_SAFE  IFARMS_IOCTL(0xA05, METHOD_BUFFERED)
#define IOCTL_IFARMS_OPEN_KEY       IFARMS_IOCTL(0xA06, METHOD_BUFFERED)
#define IOCTL_IFARMS_OPEN_KEY_SAFE  IFARMS_IOCTL(0xA07, METHOD_BUFFERED)
#define IOCTL_IFARMS_CREATE         IFARMS_IOCTL(0xA08, METHOD_BUFFERED)
#define IOCTL_IFARMS_CREATE_SAFE    IFARMS_IOCTL(0xA09, METHOD_BUFFERED)
#define IOCTL_IFARMS_SECTION        IFARMS_IOCTL(0xA0A, METHOD_NEITHER)
#define IOCTL_IFARMS_SECTION_SAFE   IFARMS_IOCTL(0xA0B, METHOD_NEITHER)
#define IOCTL_IFARMS_LEGACY         IFARMS_IOCTL(0xA0C, METHOD_BUFFERED)

#define IFARMS_BUFFER_SIZE 64

DRIVER_DISPATCH IfarmsDeviceControl;

/* The key the driver's configuration names (set at load time). */
UNICODE_STRING IfarmsConfiguredKey;

typedef struct _IFARMS_NAME_REQUEST {
    USHORT Length;
    WCHAR Name[1];
} IFARMS_NAME_REQUEST, *PIFARMS_NAME_REQUEST;

// bug class: #if arms are alternatives (length check)
// vulnerable: user-length-copy-unchecked
static NTSTATUS
IfarmsCopy(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    UCHAR local[IFARMS_BUFFER_SIZE];
    PVOID input = Irp->AssociatedIrp.SystemBuffer;
    ULONG length = IrpSp->Parameters.DeviceIoControl.InputBufferLength;

#ifdef IFARMS_CHECKED
    if (length > sizeof(local)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    RtlCopyMemory(local, input, length);
#else
    RtlCopyMemory(local, input, length);
#endif
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
IfarmsCopySafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    UCHAR local[IFARMS_BUFFER_SIZE];
    PVOID input = Irp->AssociatedIrp.SystemBuffer;
    ULONG length = IrpSp->Parameters.DeviceIoControl.InputBufferLength;

#ifdef IFARMS_CHECKED
    if (length > sizeof(local) / 2) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
#else
    if (length > sizeof(local)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
#endif
    RtlCopyMemory(local, input, length);
#if 0
    RtlCopyMemory(local, input, IrpSp->Parameters.DeviceIoControl.OutputBufferLength);
#endif
    return STATUS_SUCCESS;
}

// bug class: #if arms are alternatives (probe of a METHOD_NEITHER buffer)
// vulnerable: user-pointer-unprobed
static NTSTATUS
IfarmsPeek(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PULONG input = (PULONG)IrpSp->Parameters.DeviceIoControl.Type3InputBuffer;
    ULONG value = 0;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(ULONG)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    __try {
#ifdef IFARMS_CHECKED
        ProbeForRead(input, sizeof(ULONG), sizeof(ULONG));
        value = *input;
#else
        value = *input;
#endif
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    Irp->IoStatus.Information = value;
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
IfarmsPeekSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PULONG input = (PULONG)IrpSp->Parameters.DeviceIoControl.Type3InputBuffer;
    ULONG value = 0;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(ULONG)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    __try {
        ProbeForRead(input, sizeof(ULONG), sizeof(ULONG));
#if defined(_WIN64)
        value = *input;
#else
        value = *input & 0xFFFF;
#endif
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    Irp->IoStatus.Information = value;
    return STATUS_SUCCESS;
}

// bug class: kernel handle opened for the caller (name from the request)
// vulnerable: kernel-file-access-no-force-check
static NTSTATUS
IfarmsOpenLog(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PIFARMS_NAME_REQUEST request = (PIFARMS_NAME_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;
    IO_STATUS_BLOCK io;
    HANDLE file = NULL;
    ULONG flags = OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE;
    NTSTATUS status;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(IFARMS_NAME_REQUEST)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
#ifdef IFARMS_CHECKED
    flags |= OBJ_FORCE_ACCESS_CHECK;
#endif
    name.Buffer = request->Name;
    name.Length = request->Length;
    name.MaximumLength = request->Length;
    if (!NT_SUCCESS(RtlValidateUnicodeString(0, &name))) {
        return STATUS_INVALID_PARAMETER;
    }
    InitializeObjectAttributes(&attributes, &name, flags, NULL, NULL);
    status = ZwCreateFile(&file, GENERIC_WRITE, &attributes, &io, NULL, FILE_ATTRIBUTE_NORMAL, 0, FILE_OPEN_IF, FILE_SYNCHRONOUS_IO_NONALERT, NULL, 0);
    if (NT_SUCCESS(status)) {
        ZwClose(file);
    }
    return status;
}

// secure
static NTSTATUS
IfarmsOpenLogSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PIFARMS_NAME_REQUEST request = (PIFARMS_NAME_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;
    IO_STATUS_BLOCK io;
    HANDLE file = NULL;
    ULONG flags = OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE;
    NTSTATUS status;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(IFARMS_NAME_REQUEST)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
#ifdef IFARMS_CHECKED
    flags |= OBJ_FORCE_ACCESS_CHECK | OBJ_DONT_REPARSE;
#else
    flags |= OBJ_FORCE_ACCESS_CHECK;
#endif
    name.Buffer = request->Name;
    name.Length = request->Length;
    name.MaximumLength = request->Length;
    if (!NT_SUCCESS(RtlValidateUnicodeString(0, &name))) {
        return STATUS_INVALID_PARAMETER;
    }
    InitializeObjectAttributes(&attributes, &name, flags, NULL, NULL);
    status = ZwCreateFile(&file, GENERIC_WRITE, &attributes, &io, NULL, FILE_ATTRIBUTE_NORMAL, 0, FILE_OPEN_IF, FILE_SYNCHRONOUS_IO_NONALERT, NULL, 0);
    if (NT_SUCCESS(status)) {
        ZwClose(file);
    }
    return status;
}

// bug class: kernel handle opened for the caller (name chosen by the driver)
// vulnerable: kernel-file-access-no-force-check
static NTSTATUS
IfarmsOpenKey(_In_ PIRP Irp, _In_ PCUNICODE_STRING keyPath)
{
    OBJECT_ATTRIBUTES attributes;
    HANDLE key = NULL;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(Irp);
#ifndef IFARMS_LEGACY_OPEN
    InitializeObjectAttributes(&attributes, (PUNICODE_STRING)keyPath, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL);
#else
    InitializeObjectAttributes(&attributes, (PUNICODE_STRING)keyPath, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE | OBJ_FORCE_ACCESS_CHECK, NULL, NULL);
#endif
    status = ZwOpenKey(&key, KEY_READ, &attributes);
    if (NT_SUCCESS(status)) {
        ZwClose(key);
    }
    return status;
}

// secure
static NTSTATUS
IfarmsOpenKeySafe(_In_ PIRP Irp, _In_ PCUNICODE_STRING keyPath)
{
    OBJECT_ATTRIBUTES attributes;
    HANDLE key = NULL;
    ULONG flags = OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE;
    NTSTATUS status;

    if (Irp->RequestorMode != KernelMode) {
        flags |= OBJ_FORCE_ACCESS_CHECK;
    }
    InitializeObjectAttributes(&attributes, (PUNICODE_STRING)keyPath, flags, NULL, NULL);
    status = ZwOpenKey(&key, KEY_READ, &attributes);
    if (NT_SUCCESS(status)) {
        ZwClose(key);
    }
    return status;
}

// bug class: kernel handle opened for the caller (IoCreateFile)
// vulnerable: kernel-file-access-no-force-check
static NTSTATUS
IfarmsCreate(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PIFARMS_NAME_REQUEST request = (PIFARMS_NAME_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;
    IO_STATUS_BLOCK io;
    HANDLE file = NULL;
    NTSTATUS status;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(IFARMS_NAME_REQUEST)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    name.Buffer = request->Name;
    name.Length = request->Length;
    name.MaximumLength = request->Length;
    if (!NT_SUCCESS(RtlValidateUnicodeString(0, &name))) {
        return STATUS_INVALID_PARAMETER;
    }
    InitializeObjectAttributes(&attributes, &name, OBJ_KERNEL_HANDLE, NULL, NULL);
    status = IoCreateFile(&file, GENERIC_READ, &attributes, &io, NULL, 0, FILE_SHARE_READ, FILE_OPEN, 0, NULL, 0, CreateFileTypeNone, NULL, 0);
    if (NT_SUCCESS(status)) {
        ZwClose(file);
    }
    return status;
}

// secure
static NTSTATUS
IfarmsCreateSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PIFARMS_NAME_REQUEST request = (PIFARMS_NAME_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;
    IO_STATUS_BLOCK io;
    HANDLE file = NULL;
    NTSTATUS status;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(IFARMS_NAME_REQUEST)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    name.Buffer = request->Name;
    name.Length = request->Length;
    name.MaximumLength = request->Length;
    if (!NT_SUCCESS(RtlValidateUnicodeString(0, &name))) {
        return STATUS_INVALID_PARAMETER;
    }
    InitializeObjectAttributes(&attributes, &name, OBJ_KERNEL_HANDLE, NULL, NULL);
    status = IoCreateFile(&file, GENERIC_READ, &attributes, &io, NULL, 0, FILE_SHARE_READ, FILE_OPEN, 0, NULL, 0, CreateFileTypeNone, NULL, IO_FORCE_ACCESS_CHECK);
    if (NT_SUCCESS(status)) {
        ZwClose(file);
    }
    return status;
}

// bug class: kernel handle opened for the caller (METHOD_NEITHER section name)
// vulnerable: kernel-file-access-no-force-check
static NTSTATUS
IfarmsSection(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUNICODE_STRING userName = (PUNICODE_STRING)IrpSp->Parameters.DeviceIoControl.Type3InputBuffer;
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;
    HANDLE section = NULL;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(Irp);
    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UNICODE_STRING)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    __try {
        ProbeForRead(userName, sizeof(UNICODE_STRING), sizeof(ULONG));
        name = *userName;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    InitializeObjectAttributes(&attributes, &name, OBJ_KERNEL_HANDLE, NULL, NULL);
#if 0
    attributes.Attributes |= OBJ_FORCE_ACCESS_CHECK;
#endif
    status = ZwOpenSection(&section, SECTION_MAP_READ, &attributes);
    if (NT_SUCCESS(status)) {
        ZwClose(section);
    }
    return status;
}

// secure
static NTSTATUS
IfarmsSectionSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    UNICODE_STRING name = RTL_CONSTANT_STRING(L"\\BaseNamedObjects\\IfarmsShared");
    OBJECT_ATTRIBUTES attributes;
    HANDLE section = NULL;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(IrpSp);
    if (ExGetPreviousMode() != KernelMode) {
        return STATUS_ACCESS_DENIED;
    }
    UNREFERENCED_PARAMETER(Irp);
    InitializeObjectAttributes(&attributes, &name, OBJ_KERNEL_HANDLE, NULL, NULL);
#if 1
    attributes.Attributes |= OBJ_FORCE_ACCESS_CHECK;
#endif
    status = ZwOpenSection(&section, SECTION_MAP_READ, &attributes);
    if (NT_SUCCESS(status)) {
        ZwClose(section);
    }
    return status;
}

NTSTATUS
IfarmsDeviceControl(_In_ PDEVICE_OBJECT DeviceObject, _Inout_ PIRP Irp)
{
    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status;

    UNREFERENCED_PARAMETER(DeviceObject);
    Irp->IoStatus.Information = 0;
    switch (irpSp->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_IFARMS_COPY:
        status = IfarmsCopy(Irp, irpSp);
        break;
    case IOCTL_IFARMS_COPY_SAFE:
        status = IfarmsCopySafe(Irp, irpSp);
        break;
    case IOCTL_IFARMS_PEEK:
        status = IfarmsPeek(Irp, irpSp);
        break;
    case IOCTL_IFARMS_PEEK_SAFE:
        status = IfarmsPeekSafe(Irp, irpSp);
        break;
#ifdef IFARMS_FILE_IOCTLS
    case IOCTL_IFARMS_OPEN_LOG:
        status = IfarmsOpenLog(Irp, irpSp);
        break;
    case IOCTL_IFARMS_OPEN_LOG_SAFE:
        status = IfarmsOpenLogSafe(Irp, irpSp);
        break;
#endif
    case IOCTL_IFARMS_OPEN_KEY:
        status = IfarmsOpenKey(Irp, &IfarmsConfiguredKey);
        break;
    case IOCTL_IFARMS_OPEN_KEY_SAFE:
        status = IfarmsOpenKeySafe(Irp, &IfarmsConfiguredKey);
        break;
    case IOCTL_IFARMS_CREATE:
        status = IfarmsCreate(Irp, irpSp);
        break;
    case IOCTL_IFARMS_CREATE_SAFE:
        status = IfarmsCreateSafe(Irp, irpSp);
        break;
    case IOCTL_IFARMS_SECTION:
        status = IfarmsSection(Irp, irpSp);
        break;
    case IOCTL_IFARMS_SECTION_SAFE:
        status = IfarmsSectionSafe(Irp, irpSp);
        break;
    default:
        status = STATUS_INVALID_DEVICE_REQUEST;
        break;
    }
    Irp->IoStatus.Status = status;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return status;
}

VOID
IfarmsRegisterDispatch(_In_ PDRIVER_OBJECT DriverObject)
{
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = IfarmsDeviceControl;
}
