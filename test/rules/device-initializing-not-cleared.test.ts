import { runRuleTests } from '../helpers/rule-tester';

const HEAD = 'typedef struct _DEVICE_EXTENSION { PDEVICE_OBJECT LowerDevice; PDEVICE_OBJECT Self; } DEVICE_EXTENSION, *PDEVICE_EXTENSION;\nDRIVER_ADD_DEVICE FilterAddDevice;\n';
const CREATE = '    PDEVICE_OBJECT fdo = NULL;\n    PDEVICE_EXTENSION ext;\n    NTSTATUS status = IoCreateDevice(DriverObject, sizeof(DEVICE_EXTENSION), NULL, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, &fdo);\n    if (!NT_SUCCESS(status)) {\n        return status;\n    }\n    ext = fdo->DeviceExtension;\n    ext->LowerDevice = IoAttachDeviceToDeviceStack(fdo, PhysicalDeviceObject);\n';

runRuleTests('device-initializing-not-cleared', {
  valid: [
    {
      name: 'flag cleared at the end of AddDevice',
      code: `${HEAD}NTSTATUS FilterAddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT PhysicalDeviceObject) {
${CREATE}    fdo->Flags |= DO_BUFFERED_IO;
    fdo->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}`,
    },
    {
      name: 'cleared with the ClearFlag macro in a helper of this file',
      code: `${HEAD}VOID FinishInit(PDEVICE_OBJECT Device) {
    ClearFlag(Device->Flags, DO_DEVICE_INITIALIZING);
}
NTSTATUS FilterAddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT PhysicalDeviceObject) {
${CREATE}    FinishInit(fdo);
    return STATUS_SUCCESS;
}`,
    },
    {
      name: 'device created in DriverEntry (the I/O manager clears the flag)',
      code: `NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
    PDEVICE_OBJECT device;
    UNICODE_STRING name = RTL_CONSTANT_STRING(L"\\\\Device\\\\Sample");
    return IoCreateDevice(DriverObject, 0, &name, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, &device);
}`,
    },
    {
      name: 'the device object goes to a routine of another file that finishes initialization',
      code: `${HEAD}NTSTATUS FilterAddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT PhysicalDeviceObject) {
${CREATE}    return CompleteDeviceSetup(fdo, ext);
}`,
    },
    {
      name: 'not an AddDevice: a control device created on demand by a helper that returns it',
      code: `NTSTATUS CreateControlDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT *Out) {
    return IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, Out);
}`,
    },
    {
      name: 'cleared later by the start-device handler of the same file',
      code: `${HEAD}NTSTATUS FilterAddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT PhysicalDeviceObject) {
${CREATE}    return STATUS_SUCCESS;
}
NTSTATUS StartDevice(PDEVICE_OBJECT DeviceObject) {
    DeviceObject->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}`,
    },
  ],
  invalid: [
    {
      name: 'declared DRIVER_ADD_DEVICE, flag never cleared',
      code: `${HEAD}NTSTATUS FilterAddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT PhysicalDeviceObject) {
${CREATE}    fdo->Flags |= DO_BUFFERED_IO;
    return STATUS_SUCCESS;
}`,
      errors: [{ messageId: 'notCleared', line: 6, message: 'FilterAddDevice creates `fdo` here but never clears DO_DEVICE_INITIALIZING' }],
      output: `${HEAD}NTSTATUS FilterAddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT PhysicalDeviceObject) {
${CREATE}    fdo->Flags |= DO_BUFFERED_IO;
    fdo->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}`,
    },
    {
      name: 'registered through DriverExtension->AddDevice, status returned (no fix: failure paths reach the return)',
      code: `typedef struct _DEVICE_EXTENSION { PDEVICE_OBJECT LowerDevice; } DEVICE_EXTENSION, *PDEVICE_EXTENSION;
NTSTATUS BusAddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT PhysicalDeviceObject) {
    PDEVICE_OBJECT fdo = NULL;
    NTSTATUS status = IoCreateDevice(DriverObject, sizeof(DEVICE_EXTENSION), NULL, FILE_DEVICE_BUS_EXTENDER, FILE_DEVICE_SECURE_OPEN, FALSE, &fdo);
    if (NT_SUCCESS(status)) {
        ((PDEVICE_EXTENSION)fdo->DeviceExtension)->LowerDevice = IoAttachDeviceToDeviceStack(fdo, PhysicalDeviceObject);
    }
    return status;
}
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
    DriverObject->DriverExtension->AddDevice = BusAddDevice;
    return STATUS_SUCCESS;
}`,
      errors: [{ messageId: 'notCleared', line: 4 }],
    },
    {
      name: 'AddDevice signature with an attach, declared in another file',
      code: `NTSTATUS PortAddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT PhysicalDeviceObject) {
    PDEVICE_OBJECT fdo;
    PDEVICE_OBJECT lower;
    NTSTATUS status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, &fdo);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    lower = IoAttachDeviceToDeviceStack(fdo, PhysicalDeviceObject);
    if (lower == NULL) {
        IoDeleteDevice(fdo);
        return STATUS_NO_SUCH_DEVICE;
    }
    return STATUS_SUCCESS;
}`,
      errors: [{ messageId: 'notCleared', line: 4 }],
      output: `NTSTATUS PortAddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT PhysicalDeviceObject) {
    PDEVICE_OBJECT fdo;
    PDEVICE_OBJECT lower;
    NTSTATUS status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, &fdo);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    lower = IoAttachDeviceToDeviceStack(fdo, PhysicalDeviceObject);
    if (lower == NULL) {
        IoDeleteDevice(fdo);
        return STATUS_NO_SUCH_DEVICE;
    }
    fdo->Flags &= ~DO_DEVICE_INITIALIZING;
    return STATUS_SUCCESS;
}`,
    },
  ],
});
