/*
 * Deliberately vulnerable WDM driver, written by the Driver Guard team as a test corpus. Each bug class has a
 * handler marked `// vulnerable: <rule-id>` and a secure twin marked `// secure`. test/corpus/corpus.test.ts checks
 * that every vulnerable handler is flagged by its rule and that no secure twin gets a warning or an error.
 */
#include <ntifs.h>
#include <ntstrsafe.h>
#include <wdmsec.h>
#include "ioctl.h"

DRIVER_INITIALIZE DriverEntry;
DRIVER_UNLOAD CorpusUnload;
_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) DRIVER_DISPATCH CorpusCreateClose;
_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH CorpusDeviceControl;

static const GUID CorpusClassGuid = { 0x5d0b6c2e, 0x3a1f, 0x4c1e, { 0x9b, 0x55, 0x2d, 0x61, 0x7f, 0x03, 0x11, 0x42 } };

// vulnerable: user-length-copy-unchecked
static NTSTATUS
StackOverflow(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    UCHAR kernelBuffer[STACK_BUFFER_SIZE] = { 0 };
    PVOID userBuffer = Irp->AssociatedIrp.SystemBuffer;
    ULONG size = IrpSp->Parameters.DeviceIoControl.InputBufferLength;

    RtlCopyMemory(kernelBuffer, userBuffer, size);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
StackOverflowSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    UCHAR kernelBuffer[STACK_BUFFER_SIZE] = { 0 };
    PVOID userBuffer = Irp->AssociatedIrp.SystemBuffer;
    ULONG size = IrpSp->Parameters.DeviceIoControl.InputBufferLength;

    if (size > sizeof(kernelBuffer)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    RtlCopyMemory(kernelBuffer, userBuffer, size);
    return STATUS_SUCCESS;
}

// vulnerable: user-length-copy-unchecked
static NTSTATUS
PoolOverflow(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PVOID userBuffer = Irp->AssociatedIrp.SystemBuffer;
    ULONG size = IrpSp->Parameters.DeviceIoControl.InputBufferLength;
    PUCHAR kernelBuffer = ExAllocatePool2(POOL_FLAG_NON_PAGED, POOL_BUFFER_SIZE, CORPUS_TAG);

    if (kernelBuffer == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    RtlCopyMemory(kernelBuffer, userBuffer, size);
    ExFreePoolWithTag(kernelBuffer, CORPUS_TAG);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
PoolOverflowSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PVOID userBuffer = Irp->AssociatedIrp.SystemBuffer;
    ULONG size = IrpSp->Parameters.DeviceIoControl.InputBufferLength;
    PUCHAR kernelBuffer;

    if (size > POOL_BUFFER_SIZE) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    kernelBuffer = ExAllocatePool2(POOL_FLAG_NON_PAGED, POOL_BUFFER_SIZE, CORPUS_TAG);
    if (kernelBuffer == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    RtlCopyMemory(kernelBuffer, userBuffer, size);
    ExFreePoolWithTag(kernelBuffer, CORPUS_TAG);
    return STATUS_SUCCESS;
}

// vulnerable: embedded-user-pointer
static NTSTATUS
WriteWhatWhere(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PWRITE_WHAT_WHERE request = (PWRITE_WHAT_WHERE)Irp->AssociatedIrp.SystemBuffer;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(WRITE_WHAT_WHERE)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    *(request->Where) = *(request->What);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
WriteWhatWhereSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PWRITE_WHAT_WHERE request = (PWRITE_WHAT_WHERE)Irp->AssociatedIrp.SystemBuffer;
    PULONG_PTR what;
    PULONG_PTR where;
    NTSTATUS status = STATUS_SUCCESS;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(WRITE_WHAT_WHERE)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    if (Irp->RequestorMode != UserMode) {
        return STATUS_ACCESS_DENIED;
    }
    what = request->What;
    where = request->Where;
    __try {
        ProbeForRead(what, sizeof(ULONG_PTR), __alignof(ULONG_PTR));
        ProbeForWrite(where, sizeof(ULONG_PTR), __alignof(ULONG_PTR));
        *where = *what;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        status = GetExceptionCode();
    }
    return status;
}

// vulnerable: embedded-user-pointer
static NTSTATUS
ArbitraryIncrement(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PINCREMENT_REQUEST request = (PINCREMENT_REQUEST)Irp->AssociatedIrp.SystemBuffer;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(INCREMENT_REQUEST)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    (*(request->Target))++;
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
ArbitraryIncrementSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PINCREMENT_REQUEST request = (PINCREMENT_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    PULONG target;
    NTSTATUS status = STATUS_SUCCESS;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(INCREMENT_REQUEST)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    if (Irp->RequestorMode != UserMode) {
        return STATUS_ACCESS_DENIED;
    }
    target = request->Target;
    __try {
        ProbeForWrite(target, sizeof(ULONG), __alignof(ULONG));
        InterlockedIncrement((volatile LONG *)target);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        status = GetExceptionCode();
    }
    return status;
}

// vulnerable: alloc-result-unchecked
static NTSTATUS
NullDereference(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUSER_OBJECT object;

    UNREFERENCED_PARAMETER(Irp);
    UNREFERENCED_PARAMETER(IrpSp);
    object = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(USER_OBJECT), CORPUS_TAG);
    object->ObjectType = OBJECT_TYPE_COUNTER;
    object->Value = 0;
    ExFreePoolWithTag(object, CORPUS_TAG);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
NullDereferenceSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUSER_OBJECT object;

    UNREFERENCED_PARAMETER(Irp);
    UNREFERENCED_PARAMETER(IrpSp);
    object = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(USER_OBJECT), CORPUS_TAG);
    if (object == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    object->ObjectType = OBJECT_TYPE_COUNTER;
    object->Value = 0;
    ExFreePoolWithTag(object, CORPUS_TAG);
    return STATUS_SUCCESS;
}

static PUSER_OBJECT g_SharedObject = NULL;

// vulnerable: use-after-free
static NTSTATUS
UseAfterFree(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUSER_OBJECT object;

    UNREFERENCED_PARAMETER(Irp);
    UNREFERENCED_PARAMETER(IrpSp);
    object = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(USER_OBJECT), CORPUS_TAG);
    if (object == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    object->ObjectType = OBJECT_TYPE_COUNTER;
    ExFreePoolWithTag(object, CORPUS_TAG);
    object->Value = 1;
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UseAfterFreeSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUSER_OBJECT object;

    UNREFERENCED_PARAMETER(Irp);
    UNREFERENCED_PARAMETER(IrpSp);
    object = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(USER_OBJECT), CORPUS_TAG);
    if (object == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    object->ObjectType = OBJECT_TYPE_COUNTER;
    object->Value = 1;
    ExFreePoolWithTag(object, CORPUS_TAG);
    object = NULL;
    return STATUS_SUCCESS;
}

// vulnerable: double-fetch
static NTSTATUS
DoubleFetch(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PSIZED_REQUEST userRequest = (PSIZED_REQUEST)IrpSp->Parameters.DeviceIoControl.Type3InputBuffer;
    UCHAR kernelBuffer[STACK_BUFFER_SIZE] = { 0 };
    NTSTATUS status = STATUS_SUCCESS;

    UNREFERENCED_PARAMETER(Irp);
    __try {
        ProbeForRead(userRequest, sizeof(SIZED_REQUEST), __alignof(SIZED_REQUEST));
        if (userRequest->Size > sizeof(kernelBuffer)) {
            return STATUS_INVALID_BUFFER_SIZE;
        }
        ProbeForRead(userRequest->Data, userRequest->Size, 1);
        RtlCopyMemory(kernelBuffer, userRequest->Data, userRequest->Size);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        status = GetExceptionCode();
    }
    return status;
}

// secure
static NTSTATUS
DoubleFetchSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PSIZED_REQUEST request = (PSIZED_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    ULONG inputLength = IrpSp->Parameters.DeviceIoControl.InputBufferLength;
    UCHAR kernelBuffer[STACK_BUFFER_SIZE] = { 0 };
    ULONG size;

    if (inputLength < SIZED_REQUEST_HEADER) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    size = request->Size;
    if (size > sizeof(kernelBuffer) || size > inputLength - SIZED_REQUEST_HEADER) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    RtlCopyMemory(kernelBuffer, request->Data, size);
    return STATUS_SUCCESS;
}

// vulnerable: uninitialized-output-buffer
static NTSTATUS
UninitializedStack(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    UCHAR reply[LEAK_BUFFER_SIZE];
    ULONG outputLength = IrpSp->Parameters.DeviceIoControl.OutputBufferLength;

    if (outputLength < sizeof(reply)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    reply[0] = 1;
    RtlCopyMemory(Irp->AssociatedIrp.SystemBuffer, reply, sizeof(reply));
    Irp->IoStatus.Information = sizeof(reply);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UninitializedStackSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    UCHAR reply[LEAK_BUFFER_SIZE] = { 0 };
    ULONG outputLength = IrpSp->Parameters.DeviceIoControl.OutputBufferLength;

    if (outputLength < sizeof(reply)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    reply[0] = 1;
    RtlCopyMemory(Irp->AssociatedIrp.SystemBuffer, reply, sizeof(reply));
    Irp->IoStatus.Information = sizeof(reply);
    return STATUS_SUCCESS;
}

// vulnerable: uninitialized-output-buffer
static NTSTATUS
UninitializedPool(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    ULONG outputLength = IrpSp->Parameters.DeviceIoControl.OutputBufferLength;
    PUCHAR reply;

    if (outputLength < LEAK_BUFFER_SIZE) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    reply = ExAllocatePoolUninitialized(NonPagedPoolNx, LEAK_BUFFER_SIZE, CORPUS_TAG);
    if (reply == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    reply[0] = 1;
    RtlCopyMemory(Irp->AssociatedIrp.SystemBuffer, reply, LEAK_BUFFER_SIZE);
    ExFreePoolWithTag(reply, CORPUS_TAG);
    Irp->IoStatus.Information = LEAK_BUFFER_SIZE;
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UninitializedPoolSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    ULONG outputLength = IrpSp->Parameters.DeviceIoControl.OutputBufferLength;
    PUCHAR reply;

    if (outputLength < LEAK_BUFFER_SIZE) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    reply = ExAllocatePool2(POOL_FLAG_NON_PAGED, LEAK_BUFFER_SIZE, CORPUS_TAG);
    if (reply == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    reply[0] = 1;
    RtlCopyMemory(Irp->AssociatedIrp.SystemBuffer, reply, LEAK_BUFFER_SIZE);
    ExFreePoolWithTag(reply, CORPUS_TAG);
    Irp->IoStatus.Information = LEAK_BUFFER_SIZE;
    return STATUS_SUCCESS;
}

// vulnerable: size-arithmetic-overflow
static NTSTATUS
IntegerOverflow(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PSIZED_REQUEST request = (PSIZED_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    ULONG inputLength = IrpSp->Parameters.DeviceIoControl.InputBufferLength;
    UCHAR kernelBuffer[STACK_BUFFER_SIZE] = { 0 };
    ULONG size;

    if (inputLength < SIZED_REQUEST_HEADER) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    size = request->Size;
    if (size + SIZED_REQUEST_HEADER > sizeof(kernelBuffer)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    RtlCopyMemory(kernelBuffer, request->Data, size);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
IntegerOverflowSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PSIZED_REQUEST request = (PSIZED_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    ULONG inputLength = IrpSp->Parameters.DeviceIoControl.InputBufferLength;
    UCHAR kernelBuffer[STACK_BUFFER_SIZE] = { 0 };
    ULONG size;
    ULONG total;

    if (inputLength < SIZED_REQUEST_HEADER) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    size = request->Size;
    if (!NT_SUCCESS(RtlULongAdd(size, SIZED_REQUEST_HEADER, &total)) || total > sizeof(kernelBuffer) || total > inputLength) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    RtlCopyMemory(kernelBuffer, request->Data, size);
    return STATUS_SUCCESS;
}

// vulnerable: user-function-pointer-call
static NTSTATUS
TypeConfusion(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUSER_OBJECT userObject = (PUSER_OBJECT)Irp->AssociatedIrp.SystemBuffer;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(USER_OBJECT)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    userObject->Callback((PVOID)userObject->Value);
    return STATUS_SUCCESS;
}

static VOID
CounterCallback(_In_ PVOID Context)
{
    UNREFERENCED_PARAMETER(Context);
}

// secure
static NTSTATUS
TypeConfusionSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUSER_OBJECT userObject = (PUSER_OBJECT)Irp->AssociatedIrp.SystemBuffer;
    ULONG_PTR value;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(USER_OBJECT)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    if (userObject->ObjectType != OBJECT_TYPE_COUNTER) {
        return STATUS_INVALID_PARAMETER;
    }
    value = userObject->Value;
    CounterCallback((PVOID)value);
    return STATUS_SUCCESS;
}

// vulnerable: kernel-file-access-no-force-check
static NTSTATUS
OpenUserFile(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PWCHAR userPath = (PWCHAR)Irp->AssociatedIrp.SystemBuffer;
    ULONG inputLength = IrpSp->Parameters.DeviceIoControl.InputBufferLength;
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;
    IO_STATUS_BLOCK ioStatus;
    HANDLE file = NULL;
    NTSTATUS status;

    if (inputLength < sizeof(WCHAR) || inputLength > MAXUSHORT || (inputLength % sizeof(WCHAR)) != 0) {
        return STATUS_INVALID_PARAMETER;
    }
    name.Buffer = userPath;
    name.Length = (USHORT)inputLength;
    name.MaximumLength = (USHORT)inputLength;
    InitializeObjectAttributes(&attributes, &name, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL);
    status = ZwCreateFile(&file, GENERIC_READ, &attributes, &ioStatus, NULL, FILE_ATTRIBUTE_NORMAL, FILE_SHARE_READ,
                          FILE_OPEN, FILE_SYNCHRONOUS_IO_NONALERT, NULL, 0);
    if (NT_SUCCESS(status)) {
        ZwClose(file);
    }
    return status;
}

// secure
static NTSTATUS
OpenUserFileSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PWCHAR userPath = (PWCHAR)Irp->AssociatedIrp.SystemBuffer;
    ULONG inputLength = IrpSp->Parameters.DeviceIoControl.InputBufferLength;
    UNICODE_STRING name;
    OBJECT_ATTRIBUTES attributes;
    IO_STATUS_BLOCK ioStatus;
    HANDLE file = NULL;
    NTSTATUS status;

    if (inputLength < sizeof(WCHAR) || inputLength > MAXUSHORT || (inputLength % sizeof(WCHAR)) != 0) {
        return STATUS_INVALID_PARAMETER;
    }
    name.Buffer = userPath;
    name.Length = (USHORT)inputLength;
    name.MaximumLength = (USHORT)inputLength;
    InitializeObjectAttributes(&attributes, &name, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE | OBJ_FORCE_ACCESS_CHECK, NULL, NULL);
    status = IoCreateFileEx(&file, GENERIC_READ, &attributes, &ioStatus, NULL, FILE_ATTRIBUTE_NORMAL, FILE_SHARE_READ,
                            FILE_OPEN, FILE_SYNCHRONOUS_IO_NONALERT, NULL, 0, CreateFileTypeNone, NULL,
                            IO_FORCE_ACCESS_CHECK, NULL);
    if (NT_SUCCESS(status)) {
        ZwClose(file);
    }
    return status;
}

// vulnerable: information-exceeds-written
static NTSTATUS
LeakLength(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    ULONG outputLength = IrpSp->Parameters.DeviceIoControl.OutputBufferLength;
    ULONG version = 0x00010002;

    if (outputLength < sizeof(version)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    *(PULONG)Irp->AssociatedIrp.SystemBuffer = version;
    Irp->IoStatus.Information = outputLength;
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
LeakLengthSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    ULONG outputLength = IrpSp->Parameters.DeviceIoControl.OutputBufferLength;
    ULONG version = 0x00010002;

    if (outputLength < sizeof(version)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    *(PULONG)Irp->AssociatedIrp.SystemBuffer = version;
    Irp->IoStatus.Information = sizeof(version);
    return STATUS_SUCCESS;
}

// vulnerable: physical-memory-exposed
static NTSTATUS
MapPhysical(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PPHYSICAL_REQUEST request = (PPHYSICAL_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    PHYSICAL_ADDRESS address;
    PVOID mapped;
    ULONG outputLength = IrpSp->Parameters.DeviceIoControl.OutputBufferLength;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(PHYSICAL_REQUEST) || outputLength < request->Length) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    address.QuadPart = (LONGLONG)request->Address;
    mapped = MmMapIoSpaceEx(address, request->Length, PAGE_READWRITE | PAGE_NOCACHE);
    if (mapped == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    RtlCopyMemory(Irp->AssociatedIrp.SystemBuffer, mapped, request->Length);
    MmUnmapIoSpace(mapped, request->Length);
    Irp->IoStatus.Information = request->Length;
    return STATUS_SUCCESS;
}

typedef struct _CORPUS_DEVICE_EXTENSION {
    PHYSICAL_ADDRESS RegistersBase;
    ULONG RegistersLength;
    PUCHAR Registers;
} CORPUS_DEVICE_EXTENSION, *PCORPUS_DEVICE_EXTENSION;

// secure
static NTSTATUS
MapPhysicalSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp, _In_ PCORPUS_DEVICE_EXTENSION Extension)
{
    ULONG outputLength = IrpSp->Parameters.DeviceIoControl.OutputBufferLength;
    PVOID mapped;

    if (outputLength < Extension->RegistersLength) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    mapped = MmMapIoSpaceEx(Extension->RegistersBase, Extension->RegistersLength, PAGE_READWRITE | PAGE_NOCACHE);
    if (mapped == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    RtlCopyMemory(Irp->AssociatedIrp.SystemBuffer, mapped, Extension->RegistersLength);
    MmUnmapIoSpace(mapped, Extension->RegistersLength);
    Irp->IoStatus.Information = Extension->RegistersLength;
    return STATUS_SUCCESS;
}

// vulnerable: msr-access-exposed
static NTSTATUS
ReadMsr(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PMSR_REQUEST request = (PMSR_REQUEST)Irp->AssociatedIrp.SystemBuffer;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(MSR_REQUEST) ||
        IrpSp->Parameters.DeviceIoControl.OutputBufferLength < sizeof(MSR_REQUEST)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    request->Value = __readmsr(request->Register);
    Irp->IoStatus.Information = sizeof(MSR_REQUEST);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
ReadMsrSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PMSR_REQUEST request = (PMSR_REQUEST)Irp->AssociatedIrp.SystemBuffer;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(MSR_REQUEST) ||
        IrpSp->Parameters.DeviceIoControl.OutputBufferLength < sizeof(MSR_REQUEST)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    request->Value = __readmsr(ALLOWED_MSR_TSC);
    Irp->IoStatus.Information = sizeof(MSR_REQUEST);
    return STATUS_SUCCESS;
}

// vulnerable: port-io-exposed
static NTSTATUS
PortIo(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PPORT_REQUEST request = (PPORT_REQUEST)Irp->AssociatedIrp.SystemBuffer;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(PORT_REQUEST)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    __outbyte(request->Port, request->Value);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
PortIoSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PPORT_REQUEST request = (PPORT_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    USHORT port;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(PORT_REQUEST)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    port = request->Port;
    if (port < DEVICE_PORT_BASE || port >= DEVICE_PORT_BASE + DEVICE_PORT_COUNT) {
        return STATUS_ACCESS_DENIED;
    }
    __outbyte(port, request->Value);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
NTSTATUS
CorpusDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);
    PCORPUS_DEVICE_EXTENSION extension = (PCORPUS_DEVICE_EXTENSION)DeviceObject->DeviceExtension;
    NTSTATUS status;

    Irp->IoStatus.Information = 0;
    switch (irpSp->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_STACK_OVERFLOW:          status = StackOverflow(Irp, irpSp); break;
    case IOCTL_STACK_OVERFLOW_SAFE:     status = StackOverflowSafe(Irp, irpSp); break;
    case IOCTL_POOL_OVERFLOW:           status = PoolOverflow(Irp, irpSp); break;
    case IOCTL_POOL_OVERFLOW_SAFE:      status = PoolOverflowSafe(Irp, irpSp); break;
    case IOCTL_WRITE_WHAT_WHERE:        status = WriteWhatWhere(Irp, irpSp); break;
    case IOCTL_WRITE_WHAT_WHERE_SAFE:   status = WriteWhatWhereSafe(Irp, irpSp); break;
    case IOCTL_ARBITRARY_INCREMENT:     status = ArbitraryIncrement(Irp, irpSp); break;
    case IOCTL_ARBITRARY_INCREMENT_SAFE: status = ArbitraryIncrementSafe(Irp, irpSp); break;
    case IOCTL_NULL_DEREFERENCE:        status = NullDereference(Irp, irpSp); break;
    case IOCTL_NULL_DEREFERENCE_SAFE:   status = NullDereferenceSafe(Irp, irpSp); break;
    case IOCTL_USE_AFTER_FREE:          status = UseAfterFree(Irp, irpSp); break;
    case IOCTL_USE_AFTER_FREE_SAFE:     status = UseAfterFreeSafe(Irp, irpSp); break;
    case IOCTL_DOUBLE_FETCH:            status = DoubleFetch(Irp, irpSp); break;
    case IOCTL_DOUBLE_FETCH_SAFE:       status = DoubleFetchSafe(Irp, irpSp); break;
    case IOCTL_UNINIT_STACK:            status = UninitializedStack(Irp, irpSp); break;
    case IOCTL_UNINIT_STACK_SAFE:       status = UninitializedStackSafe(Irp, irpSp); break;
    case IOCTL_UNINIT_POOL:             status = UninitializedPool(Irp, irpSp); break;
    case IOCTL_UNINIT_POOL_SAFE:        status = UninitializedPoolSafe(Irp, irpSp); break;
    case IOCTL_INTEGER_OVERFLOW:        status = IntegerOverflow(Irp, irpSp); break;
    case IOCTL_INTEGER_OVERFLOW_SAFE:   status = IntegerOverflowSafe(Irp, irpSp); break;
    case IOCTL_TYPE_CONFUSION:          status = TypeConfusion(Irp, irpSp); break;
    case IOCTL_TYPE_CONFUSION_SAFE:     status = TypeConfusionSafe(Irp, irpSp); break;
    case IOCTL_OPEN_FILE:               status = OpenUserFile(Irp, irpSp); break;
    case IOCTL_OPEN_FILE_SAFE:          status = OpenUserFileSafe(Irp, irpSp); break;
    case IOCTL_LEAK_LENGTH:             status = LeakLength(Irp, irpSp); break;
    case IOCTL_LEAK_LENGTH_SAFE:        status = LeakLengthSafe(Irp, irpSp); break;
    case IOCTL_MAP_PHYSICAL:            status = MapPhysical(Irp, irpSp); break;
    case IOCTL_MAP_PHYSICAL_SAFE:       status = MapPhysicalSafe(Irp, irpSp, extension); break;
    case IOCTL_READ_MSR:                status = ReadMsr(Irp, irpSp); break;
    case IOCTL_READ_MSR_SAFE:           status = ReadMsrSafe(Irp, irpSp); break;
    case IOCTL_PORT_IO:                 status = PortIo(Irp, irpSp); break;
    case IOCTL_PORT_IO_SAFE:            status = PortIoSafe(Irp, irpSp); break;
    default:                            status = STATUS_INVALID_DEVICE_REQUEST; break;
    }
    Irp->IoStatus.Status = status;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return status;
}

_Use_decl_annotations_
NTSTATUS
CorpusCreateClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    Irp->IoStatus.Status = STATUS_SUCCESS;
    Irp->IoStatus.Information = 0;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return STATUS_SUCCESS;
}

_Use_decl_annotations_
VOID
CorpusUnload(PDRIVER_OBJECT DriverObject)
{
    UNICODE_STRING linkName = RTL_CONSTANT_STRING(L"\\DosDevices\\DriverGuardCorpus");

    IoDeleteSymbolicLink(&linkName);
    IoDeleteDevice(DriverObject->DeviceObject);
}

_Use_decl_annotations_
NTSTATUS
DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNICODE_STRING deviceName = RTL_CONSTANT_STRING(L"\\Device\\DriverGuardCorpus");
    UNICODE_STRING linkName = RTL_CONSTANT_STRING(L"\\DosDevices\\DriverGuardCorpus");
    PDEVICE_OBJECT deviceObject = NULL;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(RegistryPath);
    status = IoCreateDeviceSecure(DriverObject, sizeof(CORPUS_DEVICE_EXTENSION), &deviceName, FILE_DEVICE_UNKNOWN,
                                  FILE_DEVICE_SECURE_OPEN, FALSE, &SDDL_DEVOBJ_SYS_ALL_ADM_ALL, &CorpusClassGuid,
                                  &deviceObject);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    status = IoCreateSymbolicLink(&linkName, &deviceName);
    if (!NT_SUCCESS(status)) {
        IoDeleteDevice(deviceObject);
        return status;
    }
    DriverObject->MajorFunction[IRP_MJ_CREATE] = CorpusCreateClose;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = CorpusCreateClose;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = CorpusDeviceControl;
    DriverObject->DriverUnload = CorpusUnload;
    deviceObject->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}
