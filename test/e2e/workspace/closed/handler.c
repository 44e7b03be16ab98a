/* End-to-end fixture never opened by the tests: "Scan Workspace" must find its issue. */
#include <ntddk.h>

NTSTATUS
Handler(_In_ PIRP Irp, _In_ PIO_STACK_LOCATION IrpSp)
{
    UCHAR local[32];
    RtlCopyMemory(local, Irp->AssociatedIrp.SystemBuffer, IrpSp->Parameters.DeviceIoControl.InputBufferLength);
    return STATUS_SUCCESS;
}
