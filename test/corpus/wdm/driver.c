/*
 * Deliberately vulnerable WDM driver, written by the Driver Guard team as a test corpus. Each bug class has a
 * handler marked `// vulnerable: <rule-id>` and a secure twin marked `// secure`. test/corpus/corpus.test.ts checks
 * that every vulnerable handler is flagged by its rule and that no secure twin gets a warning or an error.
 * A `// bug class: <name>` line names the class for the per-class report. `// known miss: <rule-id> — <why>` marks
 * a vulnerable handler its rule does not find yet, `// known false positive: <rule-id> — <why>` a correct twin that
 * rule still warns about; the test counts both against recall/precision without failing on them.
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

// bug class: stack buffer overflow
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

// bug class: pool buffer overflow
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

// bug class: arbitrary write (write-what-where)
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

// bug class: arbitrary increment
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

// bug class: NULL pointer dereference
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

// bug class: use after free
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

// bug class: double fetch
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

// bug class: uninitialized stack memory disclosed
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

// bug class: uninitialized pool memory disclosed
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

// bug class: integer overflow in a size check
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

// bug class: type confusion
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

// bug class: insecure kernel file access
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

// bug class: over-long output length (kernel memory disclosure)
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

// bug class: physical memory exposed
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

// bug class: MSR access exposed
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

// bug class: port I/O exposed
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

static LONG g_Counters[COUNTER_COUNT];

// bug class: arbitrary increment
// vulnerable: user-index-unchecked
static NTSTATUS
CounterIncrement(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PCOUNTER_REQUEST request = (PCOUNTER_REQUEST)Irp->AssociatedIrp.SystemBuffer;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(COUNTER_REQUEST)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    g_Counters[request->Index]++;
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
CounterIncrementSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PCOUNTER_REQUEST request = (PCOUNTER_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    ULONG index;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(COUNTER_REQUEST)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    index = request->Index;
    if (index >= ARRAYSIZE(g_Counters)) {
        return STATUS_INVALID_PARAMETER;
    }
    InterlockedIncrement(&g_Counters[index]);
    return STATUS_SUCCESS;
}

static ULONG g_Mode;

// bug class: NULL pointer dereference
// vulnerable: user-pointer-unprobed
static NTSTATUS
NeitherConfig(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PNEITHER_CONFIG config = (PNEITHER_CONFIG)IrpSp->Parameters.DeviceIoControl.Type3InputBuffer;

    UNREFERENCED_PARAMETER(Irp);
    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(NEITHER_CONFIG)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    if (config->Magic != NEITHER_MAGIC) {
        return STATUS_INVALID_PARAMETER;
    }
    g_Mode = config->Mode;
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
NeitherConfigSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PNEITHER_CONFIG config = (PNEITHER_CONFIG)IrpSp->Parameters.DeviceIoControl.Type3InputBuffer;
    NEITHER_CONFIG captured = { 0 };

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(NEITHER_CONFIG)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    __try {
        if (Irp->RequestorMode != KernelMode) {
            ProbeForRead(config, sizeof(NEITHER_CONFIG), __alignof(NEITHER_CONFIG));
        }
        captured = *config;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    if (captured.Magic != NEITHER_MAGIC) {
        return STATUS_INVALID_PARAMETER;
    }
    g_Mode = captured.Mode;
    return STATUS_SUCCESS;
}

// bug class: arbitrary write (write-what-where)
// vulnerable: user-pointer-unprobed
static NTSTATUS
NeitherStatus(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PULONG status = (PULONG)Irp->UserBuffer;

    if (IrpSp->Parameters.DeviceIoControl.OutputBufferLength < sizeof(ULONG)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    *status = g_Mode;
    Irp->IoStatus.Information = sizeof(ULONG);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
NeitherStatusSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PULONG status = (PULONG)Irp->UserBuffer;

    if (IrpSp->Parameters.DeviceIoControl.OutputBufferLength < sizeof(ULONG)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    __try {
        if (Irp->RequestorMode != KernelMode) {
            ProbeForWrite(status, sizeof(ULONG), __alignof(ULONG));
        }
        *status = g_Mode;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    Irp->IoStatus.Information = sizeof(ULONG);
    return STATUS_SUCCESS;
}

// bug class: unhandled exception on a user address
// vulnerable: probe-outside-try
static NTSTATUS
NeitherProbe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PULONG status = (PULONG)Irp->UserBuffer;

    if (IrpSp->Parameters.DeviceIoControl.OutputBufferLength < sizeof(ULONG)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    if (Irp->RequestorMode != KernelMode) {
        ProbeForWrite(status, sizeof(ULONG), __alignof(ULONG));
    }
    *status = g_Mode;
    Irp->IoStatus.Information = sizeof(ULONG);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
NeitherProbeSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PULONG status = (PULONG)Irp->UserBuffer;
    NTSTATUS result = STATUS_SUCCESS;

    if (IrpSp->Parameters.DeviceIoControl.OutputBufferLength < sizeof(ULONG)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    __try {
        if (Irp->RequestorMode != KernelMode) {
            ProbeForWrite(status, sizeof(ULONG), __alignof(ULONG));
        }
        *status = g_Mode;
        Irp->IoStatus.Information = sizeof(ULONG);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        result = GetExceptionCode();
    }
    return result;
}

// bug class: uninitialized stack variable used
// known miss: uninitialized-local-use — the function-pointer typedef OBJECT_CALLBACK is not recognized as a pointer type (only P…/PFN_… names are)
static NTSTATUS
UninitializedCallback(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PCALLBACK_REQUEST request = (PCALLBACK_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    OBJECT_CALLBACK callback;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(CALLBACK_REQUEST)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    if (request->Magic == NEITHER_MAGIC) {
        callback = CounterCallback;
    }
    callback(NULL);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UninitializedCallbackSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PCALLBACK_REQUEST request = (PCALLBACK_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    OBJECT_CALLBACK callback = NULL;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(CALLBACK_REQUEST)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    if (request->Magic == NEITHER_MAGIC) {
        callback = CounterCallback;
    }
    if (callback == NULL) {
        return STATUS_INVALID_PARAMETER;
    }
    callback(NULL);
    return STATUS_SUCCESS;
}

// bug class: integer overflow in a size check
// vulnerable: size-arithmetic-overflow
static NTSTATUS
EntryArray(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PENTRY_ARRAY_REQUEST request = (PENTRY_ARRAY_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    ULONG inputLength = IrpSp->Parameters.DeviceIoControl.InputBufferLength;
    PENTRY entries;
    ULONG count;
    ULONG i;

    if (inputLength < ENTRY_ARRAY_HEADER) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    count = request->Count;
    if (count * ENTRY_SIZE > inputLength - ENTRY_ARRAY_HEADER) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    entries = ExAllocatePool2(POOL_FLAG_PAGED, count * ENTRY_SIZE, CORPUS_TAG);
    if (entries == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    for (i = 0; i < count; i++) {
        entries[i] = request->Entries[i];
    }
    ExFreePoolWithTag(entries, CORPUS_TAG);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
EntryArraySafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PENTRY_ARRAY_REQUEST request = (PENTRY_ARRAY_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    ULONG inputLength = IrpSp->Parameters.DeviceIoControl.InputBufferLength;
    PENTRY entries;
    ULONG count;
    ULONG bytes;

    if (inputLength < ENTRY_ARRAY_HEADER) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    count = request->Count;
    if (!NT_SUCCESS(RtlULongMult(count, ENTRY_SIZE, &bytes)) || bytes > inputLength - ENTRY_ARRAY_HEADER) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    entries = ExAllocatePool2(POOL_FLAG_PAGED, bytes, CORPUS_TAG);
    if (entries == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    RtlCopyMemory(entries, request->Entries, bytes);
    ExFreePoolWithTag(entries, CORPUS_TAG);
    return STATUS_SUCCESS;
}

// bug class: format string
// vulnerable: format-string-user-controlled
static NTSTATUS
LogMessage(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PCHAR message = (PCHAR)Irp->AssociatedIrp.SystemBuffer;
    ULONG inputLength = IrpSp->Parameters.DeviceIoControl.InputBufferLength;

    if (inputLength == 0 || inputLength > LOG_MESSAGE_MAX) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    message[inputLength - 1] = '\0';
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, message);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
LogMessageSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PCHAR message = (PCHAR)Irp->AssociatedIrp.SystemBuffer;
    ULONG inputLength = IrpSp->Parameters.DeviceIoControl.InputBufferLength;

    if (inputLength == 0 || inputLength > LOG_MESSAGE_MAX) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    message[inputLength - 1] = '\0';
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, "%s\n", message);
    return STATUS_SUCCESS;
}

// bug class: user handle referenced with KernelMode
// vulnerable: user-handle-kernel-mode
static NTSTATUS
SignalHandle(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PSIGNAL_HANDLE_REQUEST request = (PSIGNAL_HANDLE_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    PKEVENT event = NULL;
    NTSTATUS status;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(SIGNAL_HANDLE_REQUEST)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    status = ObReferenceObjectByHandle(request->EventHandle, EVENT_MODIFY_STATE, *ExEventObjectType, KernelMode,
                                       (PVOID *)&event, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    KeSetEvent(event, IO_NO_INCREMENT, FALSE);
    ObDereferenceObject(event);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
SignalHandleSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PSIGNAL_HANDLE_REQUEST request = (PSIGNAL_HANDLE_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    PKEVENT event = NULL;
    NTSTATUS status;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(SIGNAL_HANDLE_REQUEST)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    status = ObReferenceObjectByHandle(request->EventHandle, EVENT_MODIFY_STATE, *ExEventObjectType, Irp->RequestorMode,
                                       (PVOID *)&event, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    KeSetEvent(event, IO_NO_INCREMENT, FALSE);
    ObDereferenceObject(event);
    return STATUS_SUCCESS;
}

// bug class: type confusion
// vulnerable: user-type-confusion
static NTSTATUS
SignalObject(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PSIGNAL_OBJECT_REQUEST request = (PSIGNAL_OBJECT_REQUEST)Irp->AssociatedIrp.SystemBuffer;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(SIGNAL_OBJECT_REQUEST)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    KeSetEvent((PKEVENT)request->Event, IO_NO_INCREMENT, FALSE);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
SignalObjectSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PSIGNAL_OBJECT_REQUEST request = (PSIGNAL_OBJECT_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    PKEVENT event = NULL;
    NTSTATUS status;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(SIGNAL_OBJECT_REQUEST)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    status = ObReferenceObjectByHandle(request->EventHandle, EVENT_MODIFY_STATE, *ExEventObjectType, Irp->RequestorMode,
                                       (PVOID *)&event, NULL);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    KeSetEvent(event, IO_NO_INCREMENT, FALSE);
    ObDereferenceObject(event);
    return STATUS_SUCCESS;
}

// bug class: control registers exposed
// vulnerable: control-register-access
static NTSTATUS
CpuState(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PCPU_STATE state = (PCPU_STATE)Irp->AssociatedIrp.SystemBuffer;

    if (IrpSp->Parameters.DeviceIoControl.OutputBufferLength < sizeof(CPU_STATE)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    state->Cr0 = __readcr0();
    state->Cr3 = __readcr3();
    state->Cr4 = __readcr4();
    Irp->IoStatus.Information = sizeof(CPU_STATE);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
CpuStateSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PCPU_FEATURES features = (PCPU_FEATURES)Irp->AssociatedIrp.SystemBuffer;
    int registers[4] = { 0 };

    if (IrpSp->Parameters.DeviceIoControl.OutputBufferLength < sizeof(CPU_FEATURES)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    __cpuidex(registers, 7, 0);
    features->Leaf7Ebx = (ULONG)registers[1];
    features->Leaf7Ecx = (ULONG)registers[2];
    Irp->IoStatus.Information = sizeof(CPU_FEATURES);
    return STATUS_SUCCESS;
}

// bug class: process killer
// vulnerable: user-process-control
static NTSTATUS
KillProcess(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PKILL_REQUEST request = (PKILL_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    CLIENT_ID client = { 0 };
    OBJECT_ATTRIBUTES attributes;
    HANDLE process = NULL;
    NTSTATUS status;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(KILL_REQUEST)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    client.UniqueProcess = (HANDLE)(ULONG_PTR)request->ProcessId;
    InitializeObjectAttributes(&attributes, NULL, OBJ_KERNEL_HANDLE, NULL, NULL);
    status = ZwOpenProcess(&process, PROCESS_TERMINATE, &attributes, &client);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    status = ZwTerminateProcess(process, STATUS_SUCCESS);
    ZwClose(process);
    return status;
}

// secure
static NTSTATUS
KillProcessSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PKILL_REQUEST request = (PKILL_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    PEPROCESS target = NULL;
    HANDLE process = NULL;
    NTSTATUS status;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(KILL_REQUEST)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    status = PsLookupProcessByProcessId((HANDLE)(ULONG_PTR)request->ProcessId, &target);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    status = ObOpenObjectByPointer(target, OBJ_KERNEL_HANDLE, NULL, PROCESS_TERMINATE, *PsProcessType, Irp->RequestorMode,
                                   &process);
    ObDereferenceObject(target);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    status = ZwTerminateProcess(process, STATUS_SUCCESS);
    ZwClose(process);
    return status;
}

// bug class: double free
// vulnerable: double-free
static NTSTATUS
ParseRecord(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PSIZED_REQUEST request = (PSIZED_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    ULONG inputLength = IrpSp->Parameters.DeviceIoControl.InputBufferLength;
    PUCHAR record;
    NTSTATUS status = STATUS_SUCCESS;

    if (inputLength < SIZED_REQUEST_HEADER + sizeof(ULONG)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    record = ExAllocatePool2(POOL_FLAG_PAGED, POOL_BUFFER_SIZE, CORPUS_TAG);
    if (record == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    if (request->Size != OBJECT_TYPE_COUNTER) {
        ExFreePoolWithTag(record, CORPUS_TAG);
        status = STATUS_INVALID_PARAMETER;
        goto Exit;
    }
    RtlCopyMemory(record, request->Data, sizeof(ULONG));
Exit:
    ExFreePoolWithTag(record, CORPUS_TAG);
    return status;
}

// secure
static NTSTATUS
ParseRecordSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PSIZED_REQUEST request = (PSIZED_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    ULONG inputLength = IrpSp->Parameters.DeviceIoControl.InputBufferLength;
    PUCHAR record;
    NTSTATUS status = STATUS_SUCCESS;

    if (inputLength < SIZED_REQUEST_HEADER + sizeof(ULONG)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    record = ExAllocatePool2(POOL_FLAG_PAGED, POOL_BUFFER_SIZE, CORPUS_TAG);
    if (record == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    if (request->Size != OBJECT_TYPE_COUNTER) {
        status = STATUS_INVALID_PARAMETER;
        goto Exit;
    }
    RtlCopyMemory(record, request->Data, sizeof(ULONG));
Exit:
    ExFreePoolWithTag(record, CORPUS_TAG);
    return status;
}

static UNICODE_STRING g_AllowedName = RTL_CONSTANT_STRING(L"DriverGuardCorpus");

// bug class: unterminated user string
// vulnerable: unterminated-string-from-user
static NTSTATUS
CheckName(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PCWSTR userName = (PCWSTR)Irp->AssociatedIrp.SystemBuffer;
    UNICODE_STRING name;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(WCHAR)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    RtlInitUnicodeString(&name, userName);
    return RtlEqualUnicodeString(&name, &g_AllowedName, TRUE) ? STATUS_SUCCESS : STATUS_ACCESS_DENIED;
}

// secure
static NTSTATUS
CheckNameSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PCWSTR userName = (PCWSTR)Irp->AssociatedIrp.SystemBuffer;
    ULONG inputLength = IrpSp->Parameters.DeviceIoControl.InputBufferLength;
    UNICODE_STRING name;
    size_t bytes = 0;
    NTSTATUS status;

    if (inputLength < sizeof(WCHAR) || inputLength > NAME_MAX_CHARS * sizeof(WCHAR)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    status = RtlStringCbLengthW(userName, inputLength, &bytes);
    if (!NT_SUCCESS(status)) {
        return STATUS_INVALID_PARAMETER;
    }
    name.Buffer = (PWCH)userName;
    name.Length = (USHORT)bytes;
    name.MaximumLength = (USHORT)bytes;
    return RtlEqualUnicodeString(&name, &g_AllowedName, TRUE) ? STATUS_SUCCESS : STATUS_ACCESS_DENIED;
}

static LARGE_INTEGER g_LoadTime;

// bug class: output length not validated
// vulnerable: output-length-not-validated
static NTSTATUS
DriverInfo(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PDRIVER_INFO info = (PDRIVER_INFO)Irp->AssociatedIrp.SystemBuffer;

    UNREFERENCED_PARAMETER(IrpSp);
    info->Version = 0x00010002;
    info->Flags = g_Mode;
    info->LoadTime = (ULONGLONG)g_LoadTime.QuadPart;
    Irp->IoStatus.Information = sizeof(DRIVER_INFO);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
DriverInfoSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PDRIVER_INFO info = (PDRIVER_INFO)Irp->AssociatedIrp.SystemBuffer;

    if (IrpSp->Parameters.DeviceIoControl.OutputBufferLength < sizeof(DRIVER_INFO)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    info->Version = 0x00010002;
    info->Flags = g_Mode;
    info->LoadTime = (ULONGLONG)g_LoadTime.QuadPart;
    Irp->IoStatus.Information = sizeof(DRIVER_INFO);
    return STATUS_SUCCESS;
}

static CONFIG_REQUEST g_Config;

// bug class: input length not validated
// vulnerable: input-length-not-validated
static NTSTATUS
SetConfig(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PCONFIG_REQUEST config = (PCONFIG_REQUEST)Irp->AssociatedIrp.SystemBuffer;

    UNREFERENCED_PARAMETER(IrpSp);
    g_Config.Mode = config->Mode;
    g_Config.Threshold = config->Threshold;
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
SetConfigSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PCONFIG_REQUEST config = (PCONFIG_REQUEST)Irp->AssociatedIrp.SystemBuffer;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(CONFIG_REQUEST)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    g_Config.Mode = config->Mode;
    g_Config.Threshold = config->Threshold;
    return STATUS_SUCCESS;
}

static UNICODE_STRING g_DeviceLabel;

// bug class: user UNICODE_STRING trusted
// vulnerable: unicode-string-length-trust
static NTSTATUS
SetName(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUNICODE_STRING name = (PUNICODE_STRING)Irp->AssociatedIrp.SystemBuffer;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UNICODE_STRING)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    RtlCopyUnicodeString(&g_DeviceLabel, name);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
SetNameSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUNICODE_STRING name = (PUNICODE_STRING)Irp->AssociatedIrp.SystemBuffer;
    UNICODE_STRING captured;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UNICODE_STRING)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    if (Irp->RequestorMode != UserMode) {
        return STATUS_ACCESS_DENIED;
    }
    captured = *name;
    if (!NT_SUCCESS(RtlValidateUnicodeString(0, &captured))) {
        return STATUS_INVALID_PARAMETER;
    }
    __try {
        ProbeForRead(captured.Buffer, captured.Length, sizeof(WCHAR));
        RtlCopyUnicodeString(&g_DeviceLabel, &captured);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    return STATUS_SUCCESS;
}

// bug class: partial probe of a user buffer
// known miss: probe-length-mismatch — an upper bound on the length (length > LOG_MESSAGE_MAX) is taken as validation, but the probe still covers only sizeof(MESSAGE)
static NTSTATUS
NeitherMessage(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PMESSAGE user = (PMESSAGE)IrpSp->Parameters.DeviceIoControl.Type3InputBuffer;
    PUCHAR copy = NULL;
    ULONG length;
    NTSTATUS status = STATUS_SUCCESS;

    if (Irp->RequestorMode != UserMode) {
        return STATUS_ACCESS_DENIED;
    }
    __try {
        ProbeForRead(user, sizeof(MESSAGE), __alignof(MESSAGE));
        length = user->Length;
        if (length == 0 || length > LOG_MESSAGE_MAX) {
            return STATUS_INVALID_PARAMETER;
        }
        copy = ExAllocatePool2(POOL_FLAG_PAGED, length, CORPUS_TAG);
        if (copy == NULL) {
            return STATUS_INSUFFICIENT_RESOURCES;
        }
        RtlCopyMemory(copy, user, length);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        status = GetExceptionCode();
    }
    if (copy != NULL) {
        ExFreePoolWithTag(copy, CORPUS_TAG);
    }
    return status;
}

// secure
static NTSTATUS
NeitherMessageSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PMESSAGE user = (PMESSAGE)IrpSp->Parameters.DeviceIoControl.Type3InputBuffer;
    PUCHAR copy = NULL;
    ULONG length;
    NTSTATUS status = STATUS_SUCCESS;

    if (Irp->RequestorMode != UserMode) {
        return STATUS_ACCESS_DENIED;
    }
    __try {
        ProbeForRead(user, sizeof(MESSAGE), __alignof(MESSAGE));
        length = user->Length;
        if (length == 0 || length > LOG_MESSAGE_MAX) {
            return STATUS_INVALID_PARAMETER;
        }
        copy = ExAllocatePool2(POOL_FLAG_PAGED, length, CORPUS_TAG);
        if (copy == NULL) {
            return STATUS_INSUFFICIENT_RESOURCES;
        }
        ProbeForRead(user, length, __alignof(MESSAGE));
        RtlCopyMemory(copy, user, length);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        status = GetExceptionCode();
    }
    if (copy != NULL) {
        ExFreePoolWithTag(copy, CORPUS_TAG);
    }
    return status;
}

// bug class: arbitrary read
// known miss: embedded-user-pointer — a pointer field of the request used as the source of RtlCopyMemory is not treated as a dereference (arbitrary kernel read)
static NTSTATUS
ReadMemory(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PREAD_MEMORY_REQUEST request = (PREAD_MEMORY_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    ULONG length;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(READ_MEMORY_REQUEST)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    length = request->Length;
    if (IrpSp->Parameters.DeviceIoControl.OutputBufferLength < length) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    RtlCopyMemory(Irp->AssociatedIrp.SystemBuffer, request->Address, length);
    Irp->IoStatus.Information = length;
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
ReadMemorySafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PREAD_MEMORY_REQUEST request = (PREAD_MEMORY_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    PVOID address;
    ULONG length;
    NTSTATUS status = STATUS_SUCCESS;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(READ_MEMORY_REQUEST)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    if (Irp->RequestorMode != UserMode) {
        return STATUS_ACCESS_DENIED;
    }
    address = request->Address;
    length = request->Length;
    if (IrpSp->Parameters.DeviceIoControl.OutputBufferLength < length) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    __try {
        ProbeForRead(address, length, 1);
        RtlCopyMemory(Irp->AssociatedIrp.SystemBuffer, address, length);
        Irp->IoStatus.Information = length;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        status = GetExceptionCode();
    }
    return status;
}

// bug class: kernel handle leaked to user mode
// vulnerable: kernel-handle-not-kernel-only
static NTSTATUS
OpenParametersKey(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    UNICODE_STRING keyName = RTL_CONSTANT_STRING(L"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\DriverGuardCorpus");
    OBJECT_ATTRIBUTES attributes;
    HANDLE key = NULL;
    NTSTATUS status;

    if (IrpSp->Parameters.DeviceIoControl.OutputBufferLength < sizeof(ULONG)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    InitializeObjectAttributes(&attributes, &keyName, OBJ_CASE_INSENSITIVE, NULL, NULL);
    status = ZwOpenKey(&key, KEY_ALL_ACCESS, &attributes);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    *(PULONG)Irp->AssociatedIrp.SystemBuffer = 1;
    Irp->IoStatus.Information = sizeof(ULONG);
    ZwClose(key);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
OpenParametersKeySafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    UNICODE_STRING keyName = RTL_CONSTANT_STRING(L"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\DriverGuardCorpus");
    OBJECT_ATTRIBUTES attributes;
    HANDLE key = NULL;
    NTSTATUS status;

    if (IrpSp->Parameters.DeviceIoControl.OutputBufferLength < sizeof(ULONG)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    InitializeObjectAttributes(&attributes, &keyName, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL);
    status = ZwOpenKey(&key, KEY_READ, &attributes);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    *(PULONG)Irp->AssociatedIrp.SystemBuffer = 1;
    Irp->IoStatus.Information = sizeof(ULONG);
    ZwClose(key);
    return STATUS_SUCCESS;
}

// bug class: stack buffer overflow
// vulnerable: unsafe-string-function, unterminated-string-from-user
static NTSTATUS
CopyLabel(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PCHAR userLabel = (PCHAR)Irp->AssociatedIrp.SystemBuffer;
    CHAR label[LABEL_SIZE] = { 0 };

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(CHAR)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    strcpy(label, userLabel);
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, "label: %s\n", label);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
CopyLabelSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PCHAR userLabel = (PCHAR)Irp->AssociatedIrp.SystemBuffer;
    ULONG inputLength = IrpSp->Parameters.DeviceIoControl.InputBufferLength;
    CHAR label[LABEL_SIZE] = { 0 };
    NTSTATUS status;

    if (inputLength < sizeof(CHAR)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    status = RtlStringCbCopyNA(label, sizeof(label), userLabel, inputLength);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, "label: %s\n", label);
    return STATUS_SUCCESS;
}

// bug class: executable MDL mapping (HVCI)
// vulnerable: mdl-mapping-no-execute
static NTSTATUS
DirectRead(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUCHAR output;

    if (IrpSp->Parameters.DeviceIoControl.OutputBufferLength < DIRECT_READ_SIZE || Irp->MdlAddress == NULL) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    output = MmGetSystemAddressForMdlSafe(Irp->MdlAddress, NormalPagePriority);
    if (output == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    RtlFillMemory(output, DIRECT_READ_SIZE, 0xA5);
    Irp->IoStatus.Information = DIRECT_READ_SIZE;
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
DirectReadSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUCHAR output;

    if (IrpSp->Parameters.DeviceIoControl.OutputBufferLength < DIRECT_READ_SIZE || Irp->MdlAddress == NULL) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    output = MmGetSystemAddressForMdlSafe(Irp->MdlAddress, NormalPagePriority | MdlMappingNoExecute);
    if (output == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    RtlFillMemory(output, DIRECT_READ_SIZE, 0xA5);
    Irp->IoStatus.Information = DIRECT_READ_SIZE;
    return STATUS_SUCCESS;
}

static PENTRY g_Table = NULL;

// bug class: pool leak on an error path
// vulnerable: memory-leak-on-error-path
static NTSTATUS
LoadTable(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PENTRY_ARRAY_REQUEST request = (PENTRY_ARRAY_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    ULONG inputLength = IrpSp->Parameters.DeviceIoControl.InputBufferLength;
    PENTRY table;
    ULONG count;
    ULONG bytes;

    if (inputLength < ENTRY_ARRAY_HEADER) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    table = ExAllocatePool2(POOL_FLAG_PAGED, TABLE_MAX_ENTRIES * sizeof(ENTRY), CORPUS_TAG);
    if (table == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    count = request->Count;
    if (count > TABLE_MAX_ENTRIES || !NT_SUCCESS(RtlULongMult(count, ENTRY_SIZE, &bytes)) || bytes > inputLength - ENTRY_ARRAY_HEADER) {
        return STATUS_INVALID_PARAMETER;
    }
    RtlCopyMemory(table, request->Entries, bytes);
    if (InterlockedCompareExchangePointer((PVOID volatile *)&g_Table, table, NULL) != NULL) {
        ExFreePoolWithTag(table, CORPUS_TAG);
        return STATUS_ALREADY_REGISTERED;
    }
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
LoadTableSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PENTRY_ARRAY_REQUEST request = (PENTRY_ARRAY_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    ULONG inputLength = IrpSp->Parameters.DeviceIoControl.InputBufferLength;
    PENTRY table;
    ULONG count;
    ULONG bytes;

    if (inputLength < ENTRY_ARRAY_HEADER) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    count = request->Count;
    if (count > TABLE_MAX_ENTRIES || !NT_SUCCESS(RtlULongMult(count, ENTRY_SIZE, &bytes)) || bytes > inputLength - ENTRY_ARRAY_HEADER) {
        return STATUS_INVALID_PARAMETER;
    }
    table = ExAllocatePool2(POOL_FLAG_PAGED, TABLE_MAX_ENTRIES * sizeof(ENTRY), CORPUS_TAG);
    if (table == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    RtlCopyMemory(table, request->Entries, bytes);
    if (InterlockedCompareExchangePointer((PVOID volatile *)&g_Table, table, NULL) != NULL) {
        ExFreePoolWithTag(table, CORPUS_TAG);
        return STATUS_ALREADY_REGISTERED;
    }
    return STATUS_SUCCESS;
}

static PCALLBACK_OBJECT g_CallbackObject = NULL;

// bug class: use after free
// vulnerable: use-after-free
static NTSTATUS
CallbackObject(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PCALLBACK_REQUEST request = (PCALLBACK_REQUEST)Irp->AssociatedIrp.SystemBuffer;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(CALLBACK_REQUEST)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    if (g_CallbackObject == NULL) {
        return STATUS_DEVICE_NOT_READY;
    }
    if (request->Magic != NEITHER_MAGIC) {
        ExFreePoolWithTag(g_CallbackObject, CORPUS_TAG);
    }
    g_CallbackObject->Callback((PVOID)g_CallbackObject->Value);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
CallbackObjectSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PCALLBACK_REQUEST request = (PCALLBACK_REQUEST)Irp->AssociatedIrp.SystemBuffer;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(CALLBACK_REQUEST)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    if (g_CallbackObject == NULL) {
        return STATUS_DEVICE_NOT_READY;
    }
    if (request->Magic != NEITHER_MAGIC) {
        ExFreePoolWithTag(g_CallbackObject, CORPUS_TAG);
        g_CallbackObject = NULL;
        return STATUS_SUCCESS;
    }
    g_CallbackObject->Callback((PVOID)g_CallbackObject->Value);
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
    case IOCTL_ARBITRARY_INCREMENT_SAFE:status = ArbitraryIncrementSafe(Irp, irpSp); break;
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
    case IOCTL_COUNTER_INCREMENT:       status = CounterIncrement(Irp, irpSp); break;
    case IOCTL_COUNTER_INCREMENT_SAFE:  status = CounterIncrementSafe(Irp, irpSp); break;
    case IOCTL_NEITHER_CONFIG:          status = NeitherConfig(Irp, irpSp); break;
    case IOCTL_NEITHER_CONFIG_SAFE:     status = NeitherConfigSafe(Irp, irpSp); break;
    case IOCTL_NEITHER_STATUS:          status = NeitherStatus(Irp, irpSp); break;
    case IOCTL_NEITHER_STATUS_SAFE:     status = NeitherStatusSafe(Irp, irpSp); break;
    case IOCTL_NEITHER_PROBE:           status = NeitherProbe(Irp, irpSp); break;
    case IOCTL_NEITHER_PROBE_SAFE:      status = NeitherProbeSafe(Irp, irpSp); break;
    case IOCTL_UNINIT_CALLBACK:         status = UninitializedCallback(Irp, irpSp); break;
    case IOCTL_UNINIT_CALLBACK_SAFE:    status = UninitializedCallbackSafe(Irp, irpSp); break;
    case IOCTL_ENTRY_ARRAY:             status = EntryArray(Irp, irpSp); break;
    case IOCTL_ENTRY_ARRAY_SAFE:        status = EntryArraySafe(Irp, irpSp); break;
    case IOCTL_LOG_MESSAGE:             status = LogMessage(Irp, irpSp); break;
    case IOCTL_LOG_MESSAGE_SAFE:        status = LogMessageSafe(Irp, irpSp); break;
    case IOCTL_SIGNAL_HANDLE:           status = SignalHandle(Irp, irpSp); break;
    case IOCTL_SIGNAL_HANDLE_SAFE:      status = SignalHandleSafe(Irp, irpSp); break;
    case IOCTL_SIGNAL_OBJECT:           status = SignalObject(Irp, irpSp); break;
    case IOCTL_SIGNAL_OBJECT_SAFE:      status = SignalObjectSafe(Irp, irpSp); break;
    case IOCTL_CPU_STATE:               status = CpuState(Irp, irpSp); break;
    case IOCTL_CPU_STATE_SAFE:          status = CpuStateSafe(Irp, irpSp); break;
    case IOCTL_KILL_PROCESS:            status = KillProcess(Irp, irpSp); break;
    case IOCTL_KILL_PROCESS_SAFE:       status = KillProcessSafe(Irp, irpSp); break;
    case IOCTL_PARSE_RECORD:            status = ParseRecord(Irp, irpSp); break;
    case IOCTL_PARSE_RECORD_SAFE:       status = ParseRecordSafe(Irp, irpSp); break;
    case IOCTL_CHECK_NAME:              status = CheckName(Irp, irpSp); break;
    case IOCTL_CHECK_NAME_SAFE:         status = CheckNameSafe(Irp, irpSp); break;
    case IOCTL_DRIVER_INFO:             status = DriverInfo(Irp, irpSp); break;
    case IOCTL_DRIVER_INFO_SAFE:        status = DriverInfoSafe(Irp, irpSp); break;
    case IOCTL_SET_CONFIG:              status = SetConfig(Irp, irpSp); break;
    case IOCTL_SET_CONFIG_SAFE:         status = SetConfigSafe(Irp, irpSp); break;
    case IOCTL_SET_NAME:                status = SetName(Irp, irpSp); break;
    case IOCTL_SET_NAME_SAFE:           status = SetNameSafe(Irp, irpSp); break;
    case IOCTL_NEITHER_MESSAGE:         status = NeitherMessage(Irp, irpSp); break;
    case IOCTL_NEITHER_MESSAGE_SAFE:    status = NeitherMessageSafe(Irp, irpSp); break;
    case IOCTL_READ_MEMORY:             status = ReadMemory(Irp, irpSp); break;
    case IOCTL_READ_MEMORY_SAFE:        status = ReadMemorySafe(Irp, irpSp); break;
    case IOCTL_OPEN_KEY:                status = OpenParametersKey(Irp, irpSp); break;
    case IOCTL_OPEN_KEY_SAFE:           status = OpenParametersKeySafe(Irp, irpSp); break;
    case IOCTL_COPY_LABEL:              status = CopyLabel(Irp, irpSp); break;
    case IOCTL_COPY_LABEL_SAFE:         status = CopyLabelSafe(Irp, irpSp); break;
    case IOCTL_DIRECT_READ:             status = DirectRead(Irp, irpSp); break;
    case IOCTL_DIRECT_READ_SAFE:        status = DirectReadSafe(Irp, irpSp); break;
    case IOCTL_LOAD_TABLE:              status = LoadTable(Irp, irpSp); break;
    case IOCTL_LOAD_TABLE_SAFE:         status = LoadTableSafe(Irp, irpSp); break;
    case IOCTL_CALLBACK_OBJECT:         status = CallbackObject(Irp, irpSp); break;
    case IOCTL_CALLBACK_OBJECT_SAFE:    status = CallbackObjectSafe(Irp, irpSp); break;
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
