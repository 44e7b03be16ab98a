/* End-to-end fixture: a small WDM driver with known findings. */
#include <ntddk.h>

#define IOCTL_DG_NEITHER CTL_CODE(FILE_DEVICE_UNKNOWN, 0x800, METHOD_NEITHER, FILE_ANY_ACCESS)

DRIVER_INITIALIZE DriverEntry;

NTSTATUS
DriverEntry(_In_ PDRIVER_OBJECT DriverObject, _In_ PUNICODE_STRING RegistryPath)
{
    UNICODE_STRING name = RTL_CONSTANT_STRING(L"\\Device\\DriverGuardE2e");
    PDEVICE_OBJECT device = NULL;
    PVOID buffer;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(RegistryPath);
    buffer = ExAllocatePoolWithTag(NonPagedPool, 64, 'gDvD');
    if (buffer == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    status = IoCreateDevice(DriverObject, 0, &name, FILE_DEVICE_UNKNOWN, 0, FALSE, &device);
    ExFreePoolWithTag(buffer, 'gDvD');
    return status;
}
