import { runRuleTests } from '../helpers/rule-tester';

const ENTRY = (body: string, extra = '') => `${extra}NTSTATUS
DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNREFERENCED_PARAMETER(RegistryPath);
${body}    return STATUS_SUCCESS;
}
`;

const TABLE = `    DriverObject->MajorFunction[IRP_MJ_CREATE] = DispatchCreateClose;
    DriverObject->MajorFunction[IRP_MJ_CLOSE] = DispatchCreateClose;
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchDeviceControl;
    DriverObject->DriverUnload = DriverUnload;
`;

runRuleTests('wdm-dispatch-table', {
  valid: [
    { name: 'KMDF driver', code: ENTRY('    WDF_DRIVER_CONFIG config;\n    WDF_DRIVER_CONFIG_INIT(&config, EvtDeviceAdd);\n    return WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);\n') },
    { name: 'KMDF driver that also hooks IRP_MJ_DEVICE_CONTROL (preprocess)', code: ENTRY('    WDF_DRIVER_CONFIG config;\n    WDF_DRIVER_CONFIG_INIT(&config, EvtDeviceAdd);\n    status = WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);\n    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = HookDeviceControl;\n') },
    {
      name: 'pass-through filter driver',
      code: ENTRY('    for (i = 0; i <= IRP_MJ_MAXIMUM_FUNCTION; i++) {\n        DriverObject->MajorFunction[i] = FilterPass;\n    }\n    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = FilterDeviceControl;\n    DriverObject->DriverExtension->AddDevice = FilterAddDevice;\n',
        'NTSTATUS FilterAddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT Pdo)\n{\n    PDEVICE_OBJECT filter;\n    NTSTATUS status = IoCreateDevice(DriverObject, sizeof(EXT), NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &filter);\n    ((PEXT)filter->DeviceExtension)->Lower = IoAttachDeviceToDeviceStack(filter, Pdo);\n    return status;\n}\n'),
    },
    { name: 'only create/close handlers', code: ENTRY('    DriverObject->MajorFunction[IRP_MJ_CREATE] = DispatchCreateClose;\n    DriverObject->MajorFunction[IRP_MJ_CLOSE] = DispatchCreateClose;\n') },
    { name: 'reading the table is not building it', code: ENTRY('    PDRIVER_DISPATCH original = TargetDriver->MajorFunction[IRP_MJ_DEVICE_CONTROL];\n    UNREFERENCED_PARAMETER(original);\n') },
  ],
  invalid: [
    { name: 'WDM control driver', code: ENTRY(TABLE), errors: [{ messageId: 'wdm', line: 7, message: 'DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL]' }] },
    {
      name: 'reported once per file',
      code: ENTRY(TABLE + '    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchDeviceControlV2;\n'),
      errors: [{ messageId: 'wdm', line: 7 }],
    },
  ],
});
