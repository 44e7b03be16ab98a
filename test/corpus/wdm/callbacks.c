/*
 * Deliberately vulnerable WDM handlers that call a function pointer the kernel cannot trust: a callback field copied
 * from the request into the device extension, and a union member of a global object filled from the user's buffer,
 * written from scratch for the Driver Guard corpus (markers: see driver.c and test/corpus/corpus.test.ts).
 */
#include <ntddk.h>

#define UCB_IOCTL(function, method) CTL_CODE(FILE_DEVICE_UNKNOWN, (function), (method), FILE_READ_ACCESS | FILE_WRITE_ACCESS)
#define IOCTL_UCB_REGISTER        UCB_IOCTL(0xE00, METHOD_BUFFERED)
#define IOCTL_UCB_REGISTER_SAFE   UCB_IOCTL(0xE01, METHOD_BUFFERED)
#define IOCTL_UCB_LOAD_SLOT       UCB_IOCTL(0xE02, METHOD_NEITHER)
#define IOCTL_UCB_LOAD_SLOT_SAFE  UCB_IOCTL(0xE03, METHOD_NEITHER)

#define UCB_SLOTS      4
#define UCB_KIND_LOG   1
#define UCB_KIND_HOOK  2

typedef VOID (*PUCB_ROUTINE)(_In_opt_ PVOID Context);

/* Request layouts shared with user mode. */
typedef struct _UCB_REGISTER_REQUEST {
    ULONG Slot;
    ULONG Kind;
    PUCB_ROUTINE Routine;
} UCB_REGISTER_REQUEST, *PUCB_REGISTER_REQUEST;

typedef struct _UCB_SLOT_REQUEST {
    ULONG Kind;
    ULONG64 Words[2];
} UCB_SLOT_REQUEST, *PUCB_SLOT_REQUEST;

/* Kernel objects. */
typedef struct _UCB_ENTRY {
    ULONG Kind;
    PUCB_ROUTINE Routine;
    PVOID Context;
} UCB_ENTRY, *PUCB_ENTRY;

typedef struct _UCB_SLOT {
    ULONG Kind;
    union {
        ULONG64 Raw[2];
        struct {
            PUCB_ROUTINE Routine;
            PVOID Context;
        } Hook;
    } u;
} UCB_SLOT, *PUCB_SLOT;

typedef struct _UCB_DEVICE_EXTENSION {
    UCB_ENTRY Entries[UCB_SLOTS];
} UCB_DEVICE_EXTENSION, *PUCB_DEVICE_EXTENSION;

static UCB_SLOT UcbSlot;

_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH UcbDeviceControl;

static VOID
UcbLogRoutine(_In_opt_ PVOID Context)
{
    UNREFERENCED_PARAMETER(Context);
    DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, "ucb: event\n");
}

// bug class: untrusted callback
// vulnerable: user-function-pointer-call
static NTSTATUS
UcbRegister(_In_ PDEVICE_OBJECT DeviceObject, _In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUCB_DEVICE_EXTENSION devExt = (PUCB_DEVICE_EXTENSION)DeviceObject->DeviceExtension;
    PUCB_REGISTER_REQUEST request = (PUCB_REGISTER_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    PUCB_ENTRY entry;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UCB_REGISTER_REQUEST)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    if (request->Slot >= UCB_SLOTS) {
        return STATUS_INVALID_PARAMETER;
    }
    entry = &devExt->Entries[request->Slot];
    entry->Kind = request->Kind;
    entry->Routine = request->Routine;
    entry->Context = DeviceObject;
    entry->Routine(entry->Context);
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UcbRegisterSafe(_In_ PDEVICE_OBJECT DeviceObject, _In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PUCB_DEVICE_EXTENSION devExt = (PUCB_DEVICE_EXTENSION)DeviceObject->DeviceExtension;
    PUCB_REGISTER_REQUEST request = (PUCB_REGISTER_REQUEST)Irp->AssociatedIrp.SystemBuffer;
    PUCB_ENTRY entry;

    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UCB_REGISTER_REQUEST)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    if (request->Slot >= UCB_SLOTS) {
        return STATUS_INVALID_PARAMETER;
    }
    if (request->Kind != UCB_KIND_LOG) {
        return STATUS_INVALID_PARAMETER;
    }
    entry = &devExt->Entries[request->Slot];
    entry->Kind = UCB_KIND_LOG;
    entry->Routine = UcbLogRoutine;
    entry->Context = DeviceObject;
    entry->Routine(entry->Context);
    return STATUS_SUCCESS;
}

// bug class: untrusted callback
// vulnerable: user-function-pointer-call
static NTSTATUS
UcbLoadSlot(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PVOID userBuffer = IrpSp->Parameters.DeviceIoControl.Type3InputBuffer;
    UCB_SLOT_REQUEST request = { 0 };

    UNREFERENCED_PARAMETER(Irp);
    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UCB_SLOT_REQUEST)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    __try {
        ProbeForRead(userBuffer, sizeof(UCB_SLOT_REQUEST), sizeof(ULONG));
        RtlCopyMemory(&request, userBuffer, sizeof(UCB_SLOT_REQUEST));
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    UcbSlot.Kind = request.Kind;
    RtlCopyMemory(UcbSlot.u.Raw, request.Words, sizeof(UcbSlot.u.Raw));
    if (UcbSlot.Kind == UCB_KIND_HOOK) {
        UcbSlot.u.Hook.Routine(UcbSlot.u.Hook.Context);
    }
    return STATUS_SUCCESS;
}

// secure
static NTSTATUS
UcbLoadSlotSafe(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    PVOID userBuffer = IrpSp->Parameters.DeviceIoControl.Type3InputBuffer;
    UCB_SLOT_REQUEST request = { 0 };

    UNREFERENCED_PARAMETER(Irp);
    if (IrpSp->Parameters.DeviceIoControl.InputBufferLength < sizeof(UCB_SLOT_REQUEST)) {
        return STATUS_BUFFER_TOO_SMALL;
    }
    __try {
        ProbeForRead(userBuffer, sizeof(UCB_SLOT_REQUEST), sizeof(ULONG));
        RtlCopyMemory(&request, userBuffer, sizeof(UCB_SLOT_REQUEST));
    } __except (EXCEPTION_EXECUTE_HANDLER) {
        return GetExceptionCode();
    }
    UcbSlot.Kind = request.Kind;
    RtlCopyMemory(UcbSlot.u.Raw, request.Words, sizeof(UcbSlot.u.Raw));
    if (UcbSlot.Kind == UCB_KIND_HOOK) {
        UcbSlot.u.Hook.Routine = UcbLogRoutine;
        UcbSlot.u.Hook.Context = NULL;
        UcbSlot.u.Hook.Routine(UcbSlot.u.Hook.Context);
    }
    return STATUS_SUCCESS;
}

NTSTATUS
UcbDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);
    NTSTATUS status;

    switch (irpSp->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_UCB_REGISTER:       status = UcbRegister(DeviceObject, Irp, irpSp); break;
    case IOCTL_UCB_REGISTER_SAFE:  status = UcbRegisterSafe(DeviceObject, Irp, irpSp); break;
    case IOCTL_UCB_LOAD_SLOT:      status = UcbLoadSlot(Irp, irpSp); break;
    case IOCTL_UCB_LOAD_SLOT_SAFE: status = UcbLoadSlotSafe(Irp, irpSp); break;
    default:                       status = STATUS_INVALID_DEVICE_REQUEST; break;
    }
    if (!NT_SUCCESS(status)) {
        Irp->IoStatus.Information = 0;
    }
    Irp->IoStatus.Status = status;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return status;
}
