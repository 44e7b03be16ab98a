import { runRuleTests } from '../helpers/rule-tester';

const ENTRY = (body: string, extra = '') => `DRIVER_INITIALIZE DriverEntry;
${extra}
NTSTATUS
DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNICODE_STRING name = RTL_CONSTANT_STRING(L"\\\\Device\\\\Sample");
    PDEVICE_OBJECT device = NULL;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(RegistryPath);
${body}    return STATUS_SUCCESS;
}
`;

const CREATE = `    status = IoCreateDeviceSecure(DriverObject, 0, &name, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, &SDDL_DEVOBJ_SYS_ALL_ADM_ALL, &SampleGuid, &device);
    if (!NT_SUCCESS(status)) {
        return status;
    }
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchDeviceControl;
`;

runRuleTests('unload-missing', {
  valid: [
    { name: 'DriverUnload assigned', code: ENTRY(CREATE + '    DriverObject->DriverUnload = SampleUnload;\n') },
    { name: 'DriverUnload assigned in a helper', code: ENTRY(CREATE + '    SetCallbacks(DriverObject);\n', 'VOID SetCallbacks(PDRIVER_OBJECT DriverObject)\n{\n    DriverObject->DriverUnload = SampleUnload;\n}\n') },
    { name: 'no device object (e.g. a callback-only driver)', code: ENTRY('    status = PsSetCreateProcessNotifyRoutineEx(OnProcess, FALSE);\n') },
    { name: 'KMDF driver', code: ENTRY('    WDF_DRIVER_CONFIG config;\n    WDF_DRIVER_CONFIG_INIT(&config, EvtDeviceAdd);\n    status = WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, WDF_NO_HANDLE);\n') },
    { name: 'comparison with DriverUnload is not an assignment, but the assignment elsewhere counts', code: ENTRY(CREATE + '    if (DriverObject->DriverUnload == NULL) {\n        DriverObject->DriverUnload = SampleUnload;\n    }\n') },
  ],
  invalid: [
    { name: 'device created, no unload', code: ENTRY(CREATE), errors: [{ messageId: 'missing', line: 4, message: '`IoCreateDeviceSecure`' }] },
    {
      name: 'device created in a helper DriverEntry calls',
      code: ENTRY('    status = CreateControlDevice(DriverObject);\n', 'NTSTATUS CreateControlDevice(PDRIVER_OBJECT DriverObject)\n{\n    PDEVICE_OBJECT d;\n    return IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, &d);\n}\n'),
      errors: [{ messageId: 'missing', line: 9, message: 'IoCreateDevice' }],
    },
  ],
});
