/*
 * Deliberately vulnerable WDM handlers for pointers read out of user memory (issue 13 section 2: a pointer value
 * the caller put into its request is a user pointer until probed), written from scratch by the Driver Guard team.
 * Markers as in driver.c: `// vulnerable: <rule-id>` must be flagged by that rule, `// secure` twins must get no
 * warning or error. Each pair covers one place the pointer comes from (a field, an array element's field, a cast
 * dereference, a struct copied out of the request, a local it is assigned to, a METHOD_BUFFERED system buffer
 * holding it) and one way it is used (write, read, NULL write, increment, member, subscript, copy, helper).
 * Do not ship this code.
 */
#include <ntifs.h>
#include "user-pointers.h"

#define UPTR_IOCTL(function, method) CTL_CODE(FILE_DEVICE_UNKNOWN, (function), (method), FILE_READ_ACCESS | FILE_WRITE_ACCESS)

#define IOCTL_UPTR_STORE            UPTR_IOCTL(0xB00, METHOD_BUFFERED)
#define IOCTL_UPTR_STORE_SAFE       UPTR_IOCTL(0xB01, METHOD_BUFFERED)
#define IOCTL_UPTR_GATHER           UPTR_IOCTL(0xB02, METHOD_BUFFERED)
#define IOCTL_UPTR_GATHER_SAFE      UPTR_IOCTL(0xB03, METHOD_BUFFERED)
#define IOCTL_UPTR_CLEAR            UPTR_IOCTL(0xB04, METHOD_NEITHER)
#define IOCTL_UPTR_CLEAR_SAFE       UPTR_IOCTL(0xB05, METHOD_NEITHER)
#define IOCTL_UPTR_BUMP             UPTR_IOCTL(0xB06, METHOD_NEITHER)
#define IOCTL_UPTR_BUMP_SAFE        UPTR_IOCTL(0xB07, METHOD_NEITHER)
#define IOCTL_UPTR_CAPTURE          UPTR_IOCTL(0xB08, METHOD_BUFFERED)
#define IOCTL_UPTR_CAPTURE_SAFE     UPTR_IOCTL(0xB09, METHOD_BUFFERED)
#define IOCTL_UPTR_ASSIGN           UPTR_IOCTL(0xB0A, METHOD_BUFFERED)
#define IOCTL_UPTR_ASSIGN_SAFE      UPTR_IOCTL(0xB0B, METHOD_BUFFERED)
#define IOCTL_UPTR_HEADER           UPTR_IOCTL(0xB0C, METHOD_BUFFERED)
#define IOCTL_UPTR_HEADER_SAFE      UPTR_IOCTL(0xB0D, METHOD_BUFFERED)
#define IOCTL_UPTR_SLOTS            UPTR_IOCTL(0xB0E, METHOD_BUFFERED)
#define IOCTL_UPTR_SLOTS_SAFE       UPTR_IOCTL(0xB0F, METHOD_BUFFERED)
#define IOCTL_UPTR_COPY_OUT         UPTR_IOCTL(0xB10, METHOD_BUFFERED)
#define IOCTL_UPTR_COPY_OUT_SAFE    UPTR_IOCTL(0xB11, METHOD_BUFFERED)
#define IOCTL_UPTR_COPY_IN          UPTR_IOCTL(0xB12, METHOD_BUFFERED)
#define IOCTL_UPTR_COPY_IN_SAFE     UPTR_IOCTL(0xB13, METHOD_BUFFERED)
#define IOCTL_UPTR_MOVE             UPTR_IOCTL(0xB14, METHOD_BUFFERED)
#define IOCTL_UPTR_MOVE_SAFE        UPTR_IOCTL(0xB15, METHOD_BUFFERED)
#define IOCTL_UPTR_HELPER           UPTR_IOCTL(0xB16, METHOD_BUFFERED)
#define IOCTL_UPTR_HELPER_SAFE      UPTR_IOCTL(0xB17, METHOD_BUFFERED)
#define IOCTL_UPTR_RANGE            UPTR_IOCTL(0xB18, METHOD_BUFFERED)
#define IOCTL_UPTR_RANGE_SAFE       UPTR_IOCTL(0xB19, METHOD_BUFFERED)
#define IOCTL_UPTR_READ_PROBE       UPTR_IOCTL(0xB1A, METHOD_BUFFERED)
#define IOCTL_UPTR_READ_PROBE_SAFE  UPTR_IOCTL(0xB1B, METHOD_BUFFERED)
#define IOCTL_UPTR_CONFIG           UPTR_IOCTL(0xB1C, METHOD_BUFFERED)
#define IOCTL_UPTR_CONFIG_SAFE      UPTR_IOCTL(0xB1D, METHOD_BUFFERED)
#define IOCTL_UPTR_OFFSET           UPTR_IOCTL(0xB1E, METHOD_BUFFERED)
#define IOCTL_UPTR_OFFSET_SAFE      UPTR_IOCTL(0xB1F, METHOD_BUFFERED)
#define IOCTL_UPTR_NAME             UPTR_IOCTL(0xB20, METHOD_BUFFERED)
#define IOCTL_UPTR_NAME_SAFE        UPTR_IOCTL(0xB21, METHOD_BUFFERED)
#define IOCTL_UPTR_FORWARD          UPTR_IOCTL(0xB22, METHOD_BUFFERED)
#define IOCTL_UPTR_FORWARD_SAFE     UPTR_IOCTL(0xB23, METHOD_BUFFERED)
#define IOCTL_UPTR_LATE             UPTR_IOCTL(0xB24, METHOD_BUFFERED)
#define IOCTL_UPTR_LATE_SAFE        UPTR_IOCTL(0xB25, METHOD_BUFFERED)
#define IOCTL_UPTR_CHAIN            UPTR_IOCTL(0xB26, METHOD_BUFFERED)
#define IOCTL_UPTR_CHAIN_SAFE       UPTR_IOCTL(0xB27, METHOD_BUFFERED)
#define IOCTL_UPTR_INDIRECT         UPTR_IOCTL(0xB28, METHOD_NEITHER)
#define IOCTL_UPTR_INDIRECT_SAFE    UPTR_IOCTL(0xB29, METHOD_NEITHER)
#define IOCTL_UPTR_LIMIT            UPTR_IOCTL(0xB2A, METHOD_BUFFERED)
#define IOCTL_UPTR_LIMIT_SAFE       UPTR_IOCTL(0xB2B, METHOD_BUFFERED)
#define IOCTL_UPTR_RENAME           UPTR_IOCTL(0xB2C, METHOD_BUFFERED)
#define IOCTL_UPTR_RENAME_SAFE      UPTR_IOCTL(0xB2D, METHOD_BUFFERED)
#define IOCTL_UPTR_RELAY            UPTR_IOCTL(0xB2E, METHOD_BUFFERED)
#define IOCTL_UPTR_RELAY_SAFE       UPTR_IOCTL(0xB2F, METHOD_BUFFERED)
#define IOCTL_UPTR_STAMP            UPTR_IOCTL(0xB30, METHOD_NEITHER)
#define IOCTL_UPTR_STAMP_SAFE       UPTR_IOCTL(0xB31, METHOD_NEITHER)

#define UPTR_MAX_ENTRIES 8

DRIVER_DISPATCH UptrDeviceControl;

/* A value and the address the caller wants it stored at. */
typedef struct _UPTR_STORE {
    PULONG_PTR Target;
    ULONG_PTR Value;
} UPTR_STORE, *PUPTR_STORE;

typedef struct _UPTR_ENTRY {
    PULONG Address;
    ULONG Length;
} UPTR_ENTRY, *PUPTR_ENTRY;

/* A table of caller addresses; Entries is embedded in the request (kernel copy), the addresses are not. */
typedef struct _UPTR_GATHER {
    ULONG Count;
    UPTR_ENTRY Entries[UPTR_MAX_ENTRIES];
} UPTR_GATHER, *PUPTR_GATHER;

typedef struct _UPTR_HEADER {
    ULONG Flags;
    ULONG Sequence;
} UPTR_HEADER, *PUPTR_HEADER;

typedef struct _UPTR_HEADER_REQUEST {
    PUPTR_HEADER Header;
    ULONG Flags;
} UPTR_HEADER_REQUEST, *PUPTR_HEADER_REQUEST;

typedef struct _UPTR_SLOTS {
    PULONG Slots;
    ULONG Index;
    ULONG Value;
} UPTR_SLOTS, *PUPTR_SLOTS;

/* A window into a caller buffer: base address, offset and length. */
typedef struct _UPTR_WINDOW {
    PUCHAR Base;
    ULONG Offset;
    ULONG Length;
} UPTR_WINDOW, *PUPTR_WINDOW;

/* A caller string: its address and its length in bytes. */
typedef struct _UPTR_NAME {
    PCWSTR Name;
    USHORT Length;
} UPTR_NAME, *PUPTR_NAME;

/* A caller-side linked layout: the request names a directory, the directory names a record. */
typedef struct _UPTR_RECORD {
    PULONG Counter;
    ULONG Limit;
} UPTR_RECORD, *PUPTR_RECORD;

typedef struct _UPTR_DIRECTORY {
    PUPTR_RECORD Record;
    ULONG Generation;
} UPTR_DIRECTORY, *PUPTR_DIRECTORY;

typedef struct _UPTR_LOOKUP {
    PUPTR_DIRECTORY Directory;
} UPTR_LOOKUP, *PUPTR_LOOKUP;

/* A rename request: the new name as a counted string (its Buffer is the caller's address). */
typedef struct _UPTR_RENAME {
    ULONG Flags;
    UNICODE_STRING NewName;
} UPTR_RENAME, *PUPTR_RENAME;

/* A relayed store: the store request travels inside an envelope. */
typedef struct _UPTR_ENVELOPE {
    ULONG Version;
    UPTR_STORE Store;
} UPTR_ENVELOPE, *PUPTR_ENVELOPE;

/* What the driver reports back into the caller's METHOD_NEITHER output buffer. */
typedef struct _UPTR_STAMP {
    ULONG Flags;
    ULONG Sequence;
    ULONG64 Time;
} UPTR_STAMP, *PUPTR_STAMP;

static ULONG g_UptrTable[64];
static UNICODE_STRING g_UptrName;
static WCHAR g_UptrNameBuffer[64];
static ULONG_PTR g_UptrLast;

// bug class: pointer from user memory (write through a field)
// vulnerable: embedded-user-pointer
static NTSTATUS
UptrStore(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPTR_STORE in = (PUPTR_STORE)Irp->AssociatedIrp.SystemBuffer;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_STORE)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    *in->Target = in->Value;
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UptrStoreSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPTR_STORE in = (PUPTR_STORE)Irp->AssociatedIrp.SystemBuffer;
    NTSTATUS status = STATUS_SUCCESS;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_STORE)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    __try {
        ProbeForWrite(in->Target, sizeof(ULONG_PTR), __alignof(ULONG_PTR));
        *in->Target = in->Value;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        status = GetExceptionCode();
    }
    return status;
}

// bug class: pointer from user memory (read through an array element's field)
// vulnerable: embedded-user-pointer
static NTSTATUS
UptrGather(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPTR_GATHER in = (PUPTR_GATHER)Irp->AssociatedIrp.SystemBuffer;
    ULONG i;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_GATHER)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    for (i = 0; i < in->Count && i < UPTR_MAX_ENTRIES; i++) {
        g_UptrTable[i] = *in->Entries[i].Address;
    }
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UptrGatherSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPTR_GATHER in = (PUPTR_GATHER)Irp->AssociatedIrp.SystemBuffer;
    NTSTATUS status = STATUS_SUCCESS;
    ULONG i;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_GATHER)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    __try {
        for (i = 0; i < in->Count && i < UPTR_MAX_ENTRIES; i++) {
            ProbeForRead(in->Entries[i].Address, sizeof(ULONG), __alignof(ULONG));
            g_UptrTable[i] = *in->Entries[i].Address;
        }
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        status = GetExceptionCode();
    }
    return status;
}

// bug class: pointer from user memory (NULL written through a cast dereference, METHOD_NEITHER)
// vulnerable: embedded-user-pointer
static NTSTATUS
UptrClear(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PVOID userBuffer = IrpSp->Parameters.DeviceIoControl.Type3InputBuffer;
    PVOID *slot;

    UNREFERENCED_PARAMETER(Irp);
    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(PVOID)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    __try {
        ProbeForRead(userBuffer, sizeof(PVOID), __alignof(PVOID));
        slot = *(PVOID *)userBuffer;
        *slot = NULL;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UptrClearSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PVOID userBuffer = IrpSp->Parameters.DeviceIoControl.Type3InputBuffer;
    PVOID *slot;

    UNREFERENCED_PARAMETER(Irp);
    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(PVOID)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    __try {
        ProbeForRead(userBuffer, sizeof(PVOID), __alignof(PVOID));
        slot = *(PVOID *)userBuffer;
        ProbeForWrite(slot, sizeof(PVOID), __alignof(PVOID));
        *slot = NULL;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    return STATUS_SUCCESS;
}

// bug class: pointer from user memory (arbitrary increment through a subscripted cast, METHOD_NEITHER)
// vulnerable: embedded-user-pointer
static NTSTATUS
UptrBump(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PVOID buf = IrpSp->Parameters.DeviceIoControl.Type3InputBuffer;
    PVOID counter;

    UNREFERENCED_PARAMETER(Irp);
    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < 2 * sizeof(ULONG_PTR)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    __try {
        ProbeForRead(buf, 2 * sizeof(ULONG_PTR), __alignof(ULONG_PTR));
        counter = (PVOID)((PULONG_PTR)buf)[1];
        (*(PCHAR)counter)++;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UptrBumpSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PVOID buf = IrpSp->Parameters.DeviceIoControl.Type3InputBuffer;
    PVOID counter;

    UNREFERENCED_PARAMETER(Irp);
    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < 2 * sizeof(ULONG_PTR)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    __try {
        ProbeForRead(buf, 2 * sizeof(ULONG_PTR), __alignof(ULONG_PTR));
        counter = (PVOID)((PULONG_PTR)buf)[1];
        ProbeForWrite(counter, sizeof(CHAR), 1);
        (*(PCHAR)counter)++;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    return STATUS_SUCCESS;
}

// bug class: pointer from user memory (struct copied out of the request, then its pointer field)
// vulnerable: embedded-user-pointer
static NTSTATUS
UptrCapture(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    UPTR_STORE captured;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_STORE)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    RtlCopyMemory(&captured, Irp->AssociatedIrp.SystemBuffer, sizeof(captured));
    *captured.Target = captured.Value;
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UptrCaptureSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    UPTR_STORE captured;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_STORE)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    RtlCopyMemory(&captured, Irp->AssociatedIrp.SystemBuffer, sizeof(captured));
    __try {
        ProbeForWrite(captured.Target, sizeof(ULONG_PTR), __alignof(ULONG_PTR));
        *captured.Target = captured.Value;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    return STATUS_SUCCESS;
}

// bug class: pointer from user memory (struct assigned from the request, pointer kept in a local)
// vulnerable: embedded-user-pointer
static NTSTATUS
UptrAssign(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    UPTR_STORE captured;
    PULONG_PTR target;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_STORE)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    captured = *(PUPTR_STORE)Irp->AssociatedIrp.SystemBuffer;
    target = captured.Target;
    g_UptrLast = *target;
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UptrAssignSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    UPTR_STORE captured;
    PULONG_PTR target;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_STORE)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    captured = *(PUPTR_STORE)Irp->AssociatedIrp.SystemBuffer;
    target = captured.Target;
    __try {
        ProbeForRead(target, sizeof(ULONG_PTR), __alignof(ULONG_PTR));
        g_UptrLast = *target;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    return STATUS_SUCCESS;
}

// bug class: pointer from user memory (member written through a pointer field)
// vulnerable: embedded-user-pointer
static NTSTATUS
UptrHeader(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPTR_HEADER_REQUEST in = (PUPTR_HEADER_REQUEST)Irp->AssociatedIrp.SystemBuffer;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_HEADER_REQUEST)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    in->Header->Flags = in->Flags;
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UptrHeaderSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPTR_HEADER_REQUEST in = (PUPTR_HEADER_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    PUPTR_HEADER header;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_HEADER_REQUEST)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    header = in->Header;
    __try {
        ProbeForWrite(header, sizeof(UPTR_HEADER), __alignof(UPTR_HEADER));
        header->Flags = in->Flags;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    return STATUS_SUCCESS;
}

// bug class: pointer from user memory (subscript of a pointer field)
// vulnerable: embedded-user-pointer
static NTSTATUS
UptrSlots(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPTR_SLOTS in = (PUPTR_SLOTS)Irp->AssociatedIrp.SystemBuffer;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_SLOTS)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    in->Slots[in->Index] = in->Value;
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UptrSlotsSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPTR_SLOTS in = (PUPTR_SLOTS)Irp->AssociatedIrp.SystemBuffer;
    PULONG slots;
    ULONG index;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_SLOTS)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    slots = in->Slots;
    index = in->Index;
    if (index >= 16) {
        return STATUS_INVALID_PARAMETER;
    }
    __try {
        ProbeForWrite(slots, 16 * sizeof(ULONG), __alignof(ULONG));
        slots[index] = in->Value;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    return STATUS_SUCCESS;
}

// bug class: pointer from user memory (copy destination)
// vulnerable: embedded-user-pointer
static NTSTATUS
UptrCopyOut(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPTR_TRANSFER in = (PUPTR_TRANSFER)Irp->AssociatedIrp.SystemBuffer;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_TRANSFER)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    if (in->Length > sizeof(g_UptrTable)) {
        return STATUS_INVALID_PARAMETER;
    }
    RtlCopyMemory(in->Buffer, g_UptrTable, in->Length);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UptrCopyOutSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPTR_TRANSFER in = (PUPTR_TRANSFER)Irp->AssociatedIrp.SystemBuffer;
    PVOID destination;
    ULONG length;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_TRANSFER)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    destination = in->Buffer;
    length = in->Length;
    if (length > sizeof(g_UptrTable)) {
        return STATUS_INVALID_PARAMETER;
    }
    __try {
        ProbeForWrite(destination, length, 1);
        RtlCopyMemory(destination, g_UptrTable, length);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    return STATUS_SUCCESS;
}

// bug class: pointer from user memory (copy source)
// vulnerable: embedded-user-pointer
static NTSTATUS
UptrCopyIn(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPTR_TRANSFER in = (PUPTR_TRANSFER)Irp->AssociatedIrp.SystemBuffer;
    ULONG length;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_TRANSFER)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    length = in->Length;
    if (length > sizeof(g_UptrTable)) {
        return STATUS_INVALID_PARAMETER;
    }
    memcpy(g_UptrTable, in->Buffer, length);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UptrCopyInSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPTR_TRANSFER in = (PUPTR_TRANSFER)Irp->AssociatedIrp.SystemBuffer;
    ULONG length;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_TRANSFER)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    length = in->Length;
    if (length > sizeof(g_UptrTable)) {
        return STATUS_INVALID_PARAMETER;
    }
    __try {
        ProbeForRead(in->Buffer, length, 1);
        memcpy(g_UptrTable, in->Buffer, length);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    return STATUS_SUCCESS;
}

// bug class: pointer from user memory (RtlMoveMemory through a local)
// vulnerable: embedded-user-pointer
static NTSTATUS
UptrMove(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPTR_TRANSFER in = (PUPTR_TRANSFER)Irp->AssociatedIrp.SystemBuffer;
    PVOID source;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_TRANSFER)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    source = in->Buffer;
    RtlMoveMemory(&g_UptrLast, source, sizeof(g_UptrLast));
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UptrMoveSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPTR_TRANSFER in = (PUPTR_TRANSFER)Irp->AssociatedIrp.SystemBuffer;
    PVOID source;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_TRANSFER)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    source = in->Buffer;
    __try {
        ProbeForRead(source, sizeof(g_UptrLast), 1);
        RtlMoveMemory(&g_UptrLast, source, sizeof(g_UptrLast));
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    return STATUS_SUCCESS;
}

/* Writes through its parameter: the caller decides whether the address was validated. */
static VOID
UptrWriteSlot(_In_ PULONG_PTR Slot, _In_ ULONG_PTR Value)
{
    *Slot = Value;
}

// bug class: pointer from user memory (passed to a helper that dereferences it)
// vulnerable: embedded-user-pointer
static NTSTATUS
UptrHelper(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPTR_STORE in = (PUPTR_STORE)Irp->AssociatedIrp.SystemBuffer;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_STORE)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    if (in->Target == NULL) {
        return STATUS_INVALID_PARAMETER;
    }
    UptrWriteSlot(in->Target, in->Value);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UptrHelperSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPTR_STORE in = (PUPTR_STORE)Irp->AssociatedIrp.SystemBuffer;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_STORE)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    __try {
        ProbeForWrite(in->Target, sizeof(ULONG_PTR), __alignof(ULONG_PTR));
        UptrWriteSlot(in->Target, in->Value);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    return STATUS_SUCCESS;
}

// bug class: pointer from user memory (NULL check is not a range check)
// vulnerable: embedded-user-pointer
static NTSTATUS
UptrRange(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPTR_STORE in = (PUPTR_STORE)Irp->AssociatedIrp.SystemBuffer;
    PULONG_PTR target;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_STORE)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    target = in->Target;
    if (target == NULL || in->Value == 0) {
        return STATUS_INVALID_PARAMETER;
    }
    *target = 0;
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UptrRangeSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPTR_STORE in = (PUPTR_STORE)Irp->AssociatedIrp.SystemBuffer;
    PULONG_PTR target;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_STORE)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    target = in->Target;
    if ((ULONG_PTR)target > (ULONG_PTR)MmUserProbeAddress - sizeof(ULONG_PTR)) {
        return STATUS_ACCESS_VIOLATION;
    }
    __try {
        *target = 0;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    return STATUS_SUCCESS;
}

// bug class: pointer from user memory (probed for reading, then written)
// vulnerable: embedded-user-pointer
static NTSTATUS
UptrReadProbe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPTR_STORE in = (PUPTR_STORE)Irp->AssociatedIrp.SystemBuffer;
    PULONG_PTR target;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_STORE)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    target = in->Target;
    __try {
        ProbeForRead(target, sizeof(ULONG_PTR), __alignof(ULONG_PTR));
        *target = in->Value;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UptrReadProbeSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPTR_STORE in = (PUPTR_STORE)Irp->AssociatedIrp.SystemBuffer;
    PULONG_PTR target;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_STORE)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    target = in->Target;
    if ((ULONG_PTR)target >= MM_USER_PROBE_ADDRESS) {
        return STATUS_ACCESS_VIOLATION;
    }
    __try {
        *target = in->Value;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    return STATUS_SUCCESS;
}

// bug class: pointer from user memory (probe only in the #ifdef arm)
// vulnerable: embedded-user-pointer
static NTSTATUS
UptrConfig(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPTR_STORE in = (PUPTR_STORE)Irp->AssociatedIrp.SystemBuffer;
    PULONG_PTR target;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_STORE)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    target = in->Target;
#ifdef UPTR_CHECKED
    __try {
        ProbeForWrite(target, sizeof(ULONG_PTR), __alignof(ULONG_PTR));
        *target = in->Value;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
#else
    *target = in->Value;
#endif
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UptrConfigSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPTR_STORE in = (PUPTR_STORE)Irp->AssociatedIrp.SystemBuffer;
    PULONG_PTR target;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_STORE)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    target = in->Target;
    __try {
#ifdef UPTR_CHECKED
        ProbeForWrite(target, 2 * sizeof(ULONG_PTR), __alignof(ULONG_PTR));
#else
        ProbeForWrite(target, sizeof(ULONG_PTR), __alignof(ULONG_PTR));
#endif
        *target = in->Value;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    return STATUS_SUCCESS;
}

// bug class: pointer from user memory (offset from a pointer field)
// vulnerable: embedded-user-pointer
static NTSTATUS
UptrOffset(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPTR_WINDOW in = (PUPTR_WINDOW)Irp->AssociatedIrp.SystemBuffer;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_WINDOW)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    if (in->Length > sizeof(g_UptrTable)) {
        return STATUS_INVALID_PARAMETER;
    }
    RtlCopyMemory(in->Base + in->Offset, g_UptrTable, in->Length);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UptrOffsetSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPTR_WINDOW in = (PUPTR_WINDOW)Irp->AssociatedIrp.SystemBuffer;
    PUCHAR destination;
    ULONG length;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_WINDOW)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    length = in->Length;
    if (length > sizeof(g_UptrTable)) {
        return STATUS_INVALID_PARAMETER;
    }
    destination = in->Base + in->Offset;
    __try {
        ProbeForWrite(destination, length, 1);
        RtlCopyMemory(destination, g_UptrTable, length);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    return STATUS_SUCCESS;
}

// bug class: pointer from user memory (string routine reads through a pointer field)
// vulnerable: embedded-user-pointer
static NTSTATUS
UptrName(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPTR_NAME in = (PUPTR_NAME)Irp->AssociatedIrp.SystemBuffer;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_NAME)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    RtlInitUnicodeString(&g_UptrName, in->Name);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UptrNameSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPTR_NAME in = (PUPTR_NAME)Irp->AssociatedIrp.SystemBuffer;
    PCWSTR name;
    USHORT length;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_NAME)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    name = in->Name;
    length = in->Length;
    if (length > sizeof(g_UptrNameBuffer) || (length % sizeof(WCHAR)) != 0) {
        return STATUS_INVALID_PARAMETER;
    }
    __try {
        ProbeForRead((PVOID)name, length, sizeof(WCHAR));
        RtlCopyMemory(g_UptrNameBuffer, name, length);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    g_UptrName.Buffer = g_UptrNameBuffer;
    g_UptrName.Length = length;
    g_UptrName.MaximumLength = sizeof(g_UptrNameBuffer);
    return STATUS_SUCCESS;
}

/* Keeps the caller's slot in a local, then writes through it. */
static VOID
UptrStoreThrough(_In_ PULONG_PTR Where, _In_ ULONG_PTR Value)
{
    PULONG_PTR slot = Where;

    *slot = Value;
}

/* Hands the address on. */
static VOID
UptrForwardSlot(_In_ PULONG_PTR Target, _In_ ULONG_PTR Value)
{
    UptrStoreThrough(Target, Value);
}

// bug class: pointer from user memory (two helpers deep, through a local in the inner one)
// vulnerable: embedded-user-pointer
static NTSTATUS
UptrForward(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPTR_STORE in = (PUPTR_STORE)Irp->AssociatedIrp.SystemBuffer;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_STORE)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    UptrForwardSlot(in->Target, in->Value);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UptrForwardSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPTR_STORE in = (PUPTR_STORE)Irp->AssociatedIrp.SystemBuffer;
    PULONG_PTR target;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_STORE)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    target = in->Target;
    __try {
        ProbeForWrite(target, sizeof(ULONG_PTR), __alignof(ULONG_PTR));
        UptrForwardSlot(target, in->Value);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    return STATUS_SUCCESS;
}

// bug class: pointer from user memory (probed inside __try, written after it)
// vulnerable: probe-outside-try
static NTSTATUS
UptrLate(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPTR_STORE in = (PUPTR_STORE)Irp->AssociatedIrp.SystemBuffer;
    PULONG_PTR target;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_STORE)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    target = in->Target;
    __try {
        ProbeForWrite(target, sizeof(ULONG_PTR), __alignof(ULONG_PTR));
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    *target = in->Value;
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UptrLateSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPTR_STORE in = (PUPTR_STORE)Irp->AssociatedIrp.SystemBuffer;
    PULONG_PTR target;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_STORE)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    target = in->Target;
    __try {
        ProbeForWrite(target, sizeof(ULONG_PTR), __alignof(ULONG_PTR));
        *target = in->Value;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    return STATUS_SUCCESS;
}

// bug class: pointer from user memory (pointer read through a probed pointer from the request)
// vulnerable: embedded-user-pointer
static NTSTATUS
UptrChain(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPTR_LOOKUP in = (PUPTR_LOOKUP)Irp->AssociatedIrp.SystemBuffer;
    PUPTR_DIRECTORY directory;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_LOOKUP)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    directory = in->Directory;
    __try {
        ProbeForRead(directory, sizeof(UPTR_DIRECTORY), __alignof(UPTR_DIRECTORY));
        g_UptrLast = directory->Record->Limit;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UptrChainSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPTR_LOOKUP in = (PUPTR_LOOKUP)Irp->AssociatedIrp.SystemBuffer;
    PUPTR_DIRECTORY directory;
    PUPTR_RECORD record;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_LOOKUP)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    directory = in->Directory;
    __try {
        ProbeForRead(directory, sizeof(UPTR_DIRECTORY), __alignof(UPTR_DIRECTORY));
        record = directory->Record;
        ProbeForRead(record, sizeof(UPTR_RECORD), __alignof(UPTR_RECORD));
        g_UptrLast = record->Limit;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    return STATUS_SUCCESS;
}

// bug class: pointer from user memory (double dereference of a probed METHOD_NEITHER buffer)
// vulnerable: embedded-user-pointer
static NTSTATUS
UptrIndirect(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PULONG *slot = (PULONG *)IrpSp->Parameters.DeviceIoControl.Type3InputBuffer;

    UNREFERENCED_PARAMETER(Irp);
    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(PULONG)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    __try {
        ProbeForRead(slot, sizeof(PULONG), __alignof(PULONG));
        **slot = 0;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UptrIndirectSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PULONG *slot = (PULONG *)IrpSp->Parameters.DeviceIoControl.Type3InputBuffer;
    PULONG target;

    UNREFERENCED_PARAMETER(Irp);
    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(PULONG)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    __try {
        ProbeForRead(slot, sizeof(PULONG), __alignof(PULONG));
        target = *slot;
        ProbeForWrite(target, sizeof(ULONG), __alignof(ULONG));
        *target = 0;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    return STATUS_SUCCESS;
}

// bug class: pointer from user memory (user range limit checked only in the #ifdef arm)
// vulnerable: embedded-user-pointer
static NTSTATUS
UptrLimit(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPTR_STORE in = (PUPTR_STORE)Irp->AssociatedIrp.SystemBuffer;
    PULONG_PTR target;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_STORE)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    target = in->Target;
#ifdef UPTR_STRICT_RANGE
    if ((ULONG_PTR)target >= (ULONG_PTR)MM_USER_PROBE_ADDRESS) {
        return STATUS_ACCESS_VIOLATION;
    }
#endif
    __try {
        *target = in->Value;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UptrLimitSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPTR_STORE in = (PUPTR_STORE)Irp->AssociatedIrp.SystemBuffer;
    PULONG_PTR target;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_STORE)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    target = in->Target;
#ifdef UPTR_STRICT_RANGE
    if ((ULONG_PTR)target >= (ULONG_PTR)MM_USER_PROBE_ADDRESS) {
        return STATUS_ACCESS_VIOLATION;
    }
#else
    if ((ULONG_PTR)target >= (ULONG_PTR)MmUserProbeAddress) {
        return STATUS_ACCESS_VIOLATION;
    }
#endif
    __try {
        *target = in->Value;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    return STATUS_SUCCESS;
}

// bug class: pointer from user memory (a counted string of the request passed by address)
// vulnerable: embedded-user-pointer
static NTSTATUS
UptrRename(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPTR_RENAME in = (PUPTR_RENAME)Irp->AssociatedIrp.SystemBuffer;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_RENAME)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    RtlInitEmptyUnicodeString(&g_UptrName, g_UptrNameBuffer, sizeof(g_UptrNameBuffer));
    RtlCopyUnicodeString(&g_UptrName, &in->NewName);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UptrRenameSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPTR_RENAME in = (PUPTR_RENAME)Irp->AssociatedIrp.SystemBuffer;
    UNICODE_STRING name;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_RENAME)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    name = in->NewName;
    if (!NT_SUCCESS(RtlValidateUnicodeString(0, &name))) {
        return STATUS_INVALID_PARAMETER;
    }
    RtlInitEmptyUnicodeString(&g_UptrName, g_UptrNameBuffer, sizeof(g_UptrNameBuffer));
    __try {
        ProbeForRead(name.Buffer, name.Length, sizeof(WCHAR));
        RtlCopyUnicodeString(&g_UptrName, &name);
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    return STATUS_SUCCESS;
}

// bug class: pointer from user memory (a structure copied by address out of a captured request)
// vulnerable: embedded-user-pointer
static NTSTATUS
UptrRelay(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    UPTR_ENVELOPE envelope;
    UPTR_STORE store;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_ENVELOPE)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    RtlCopyMemory(&envelope, Irp->AssociatedIrp.SystemBuffer, sizeof(envelope));
    RtlCopyMemory(&store, &envelope.Store, sizeof(store));
    *store.Target = store.Value;
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UptrRelaySafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    UPTR_ENVELOPE envelope;
    UPTR_STORE store;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UPTR_ENVELOPE)) {
        return STATUS_INVALID_BUFFER_SIZE;
    }
    RtlCopyMemory(&envelope, Irp->AssociatedIrp.SystemBuffer, sizeof(envelope));
    RtlCopyMemory(&store, &envelope.Store, sizeof(store));
    __try {
        ProbeForWrite(store.Target, sizeof(ULONG_PTR), __alignof(ULONG_PTR));
        *store.Target = store.Value;
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    return STATUS_SUCCESS;
}

// bug class: pointer from user memory (probe narrower than the structure written)
// vulnerable: probe-length-mismatch
static NTSTATUS
UptrStamp(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPTR_STAMP out = (PUPTR_STAMP)Irp->UserBuffer;

    if (IrpSp->Parameters.DeviceIoControl.OutputBufferLength < sizeof(UPTR_STAMP)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    if (Irp->RequestorMode != KernelMode) {
        __try {
            ProbeForWrite(out, sizeof(ULONG), __alignof(ULONG));
            out->Flags = 1;
            out->Time = (ULONG64)g_UptrLast;
        } __except (EXCEPTION_EXECUTE_HANDLER) {
            return GetExceptionCode();
        }
    }
    Irp->IoStatus.Information = sizeof(UPTR_STAMP);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UptrStampSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUPTR_STAMP out = (PUPTR_STAMP)Irp->UserBuffer;

    if (IrpSp->Parameters.DeviceIoControl.OutputBufferLength < sizeof(UPTR_STAMP)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    if (Irp->RequestorMode != KernelMode) {
        __try {
            ProbeForWrite(out, sizeof(UPTR_STAMP), __alignof(UPTR_STAMP));
            out->Flags = 1;
            out->Time = (ULONG64)g_UptrLast;
        } __except (EXCEPTION_EXECUTE_HANDLER) {
            return GetExceptionCode();
        }
    }
    Irp->IoStatus.Information = sizeof(UPTR_STAMP);
    return STATUS_SUCCESS;
}

NTSTATUS
UptrDeviceControl(_In_ PDEVICE_OBJECT DeviceObject, _Inout_ PIRP Irp)
{
    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status;

    UNREFERENCED_PARAMETER(DeviceObject);
    Irp->IoStatus.Information = 0;
    switch (irpSp->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_UPTR_STORE:           status = UptrStore(Irp, irpSp); break;
    case IOCTL_UPTR_STORE_SAFE:      status = UptrStoreSafe(Irp, irpSp); break;
    case IOCTL_UPTR_GATHER:          status = UptrGather(Irp, irpSp); break;
    case IOCTL_UPTR_GATHER_SAFE:     status = UptrGatherSafe(Irp, irpSp); break;
    case IOCTL_UPTR_CLEAR:           status = UptrClear(Irp, irpSp); break;
    case IOCTL_UPTR_CLEAR_SAFE:      status = UptrClearSafe(Irp, irpSp); break;
    case IOCTL_UPTR_BUMP:            status = UptrBump(Irp, irpSp); break;
    case IOCTL_UPTR_BUMP_SAFE:       status = UptrBumpSafe(Irp, irpSp); break;
    case IOCTL_UPTR_CAPTURE:         status = UptrCapture(Irp, irpSp); break;
    case IOCTL_UPTR_CAPTURE_SAFE:    status = UptrCaptureSafe(Irp, irpSp); break;
    case IOCTL_UPTR_ASSIGN:          status = UptrAssign(Irp, irpSp); break;
    case IOCTL_UPTR_ASSIGN_SAFE:     status = UptrAssignSafe(Irp, irpSp); break;
    case IOCTL_UPTR_HEADER:          status = UptrHeader(Irp, irpSp); break;
    case IOCTL_UPTR_HEADER_SAFE:     status = UptrHeaderSafe(Irp, irpSp); break;
    case IOCTL_UPTR_SLOTS:           status = UptrSlots(Irp, irpSp); break;
    case IOCTL_UPTR_SLOTS_SAFE:      status = UptrSlotsSafe(Irp, irpSp); break;
    case IOCTL_UPTR_COPY_OUT:        status = UptrCopyOut(Irp, irpSp); break;
    case IOCTL_UPTR_COPY_OUT_SAFE:   status = UptrCopyOutSafe(Irp, irpSp); break;
    case IOCTL_UPTR_COPY_IN:         status = UptrCopyIn(Irp, irpSp); break;
    case IOCTL_UPTR_COPY_IN_SAFE:    status = UptrCopyInSafe(Irp, irpSp); break;
    case IOCTL_UPTR_MOVE:            status = UptrMove(Irp, irpSp); break;
    case IOCTL_UPTR_MOVE_SAFE:       status = UptrMoveSafe(Irp, irpSp); break;
    case IOCTL_UPTR_HELPER:          status = UptrHelper(Irp, irpSp); break;
    case IOCTL_UPTR_HELPER_SAFE:     status = UptrHelperSafe(Irp, irpSp); break;
    case IOCTL_UPTR_RANGE:           status = UptrRange(Irp, irpSp); break;
    case IOCTL_UPTR_RANGE_SAFE:      status = UptrRangeSafe(Irp, irpSp); break;
    case IOCTL_UPTR_READ_PROBE:      status = UptrReadProbe(Irp, irpSp); break;
    case IOCTL_UPTR_READ_PROBE_SAFE: status = UptrReadProbeSafe(Irp, irpSp); break;
    case IOCTL_UPTR_CONFIG:          status = UptrConfig(Irp, irpSp); break;
    case IOCTL_UPTR_CONFIG_SAFE:     status = UptrConfigSafe(Irp, irpSp); break;
    case IOCTL_UPTR_OFFSET:          status = UptrOffset(Irp, irpSp); break;
    case IOCTL_UPTR_OFFSET_SAFE:     status = UptrOffsetSafe(Irp, irpSp); break;
    case IOCTL_UPTR_NAME:            status = UptrName(Irp, irpSp); break;
    case IOCTL_UPTR_NAME_SAFE:       status = UptrNameSafe(Irp, irpSp); break;
    case IOCTL_UPTR_FORWARD:         status = UptrForward(Irp, irpSp); break;
    case IOCTL_UPTR_FORWARD_SAFE:    status = UptrForwardSafe(Irp, irpSp); break;
    case IOCTL_UPTR_LATE:            status = UptrLate(Irp, irpSp); break;
    case IOCTL_UPTR_LATE_SAFE:       status = UptrLateSafe(Irp, irpSp); break;
    case IOCTL_UPTR_CHAIN:           status = UptrChain(Irp, irpSp); break;
    case IOCTL_UPTR_CHAIN_SAFE:      status = UptrChainSafe(Irp, irpSp); break;
    case IOCTL_UPTR_INDIRECT:        status = UptrIndirect(Irp, irpSp); break;
    case IOCTL_UPTR_INDIRECT_SAFE:   status = UptrIndirectSafe(Irp, irpSp); break;
    case IOCTL_UPTR_LIMIT:           status = UptrLimit(Irp, irpSp); break;
    case IOCTL_UPTR_LIMIT_SAFE:      status = UptrLimitSafe(Irp, irpSp); break;
    case IOCTL_UPTR_RENAME:          status = UptrRename(Irp, irpSp); break;
    case IOCTL_UPTR_RENAME_SAFE:     status = UptrRenameSafe(Irp, irpSp); break;
    case IOCTL_UPTR_RELAY:           status = UptrRelay(Irp, irpSp); break;
    case IOCTL_UPTR_RELAY_SAFE:      status = UptrRelaySafe(Irp, irpSp); break;
    case IOCTL_UPTR_STAMP:           status = UptrStamp(Irp, irpSp); break;
    case IOCTL_UPTR_STAMP_SAFE:      status = UptrStampSafe(Irp, irpSp); break;
    default:                         status = STATUS_INVALID_DEVICE_REQUEST; break;
    }
    Irp->IoStatus.Status = status;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return status;
}

VOID
UptrRegisterDispatch(_In_ PDRIVER_OBJECT DriverObject)
{
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = UptrDeviceControl;
}
