import { runRuleTests } from '../helpers/rule-tester';

const ENTRY = (create: string, extra = '') => `DRIVER_INITIALIZE DriverEntry;
DRIVER_DISPATCH DispatchDeviceControl;
${extra}
NTSTATUS
DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    UNICODE_STRING deviceName = RTL_CONSTANT_STRING(L"\\\\Device\\\\ToolCtl");
    PDEVICE_OBJECT deviceObject = NULL;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(RegistryPath);
    ${create}
    if (!NT_SUCCESS(status)) {
        return status;
    }
    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchDeviceControl;
    return STATUS_SUCCESS;
}
`;

const IO_CREATE = 'status = IoCreateDevice(DriverObject, 0, &deviceName, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, &deviceObject);';
const SECURE = (sddl: string) => `status = IoCreateDeviceSecure(DriverObject, 0, &deviceName, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, ${sddl}, &ToolClassGuid, &deviceObject);`;

const KMDF_CONTROL = (sddl: string) => `NTSTATUS
CreateControlDevice(WDFDRIVER Driver)
{
    DECLARE_CONST_UNICODE_STRING(sddl, L"${sddl}");
    PWDFDEVICE_INIT deviceInit = WdfControlDeviceInitAllocate(Driver, &sddl);
    if (deviceInit == NULL) {
        return STATUS_INSUFFICIENT_RESOURCES;
    }
    return STATUS_SUCCESS;
}
`;

runRuleTests('device-no-sddl', {
  valid: [
    { name: 'IoCreateDeviceSecure with SDDL_DEVOBJ_SYS_ALL_ADM_ALL', code: ENTRY(SECURE('&SDDL_DEVOBJ_SYS_ALL_ADM_ALL')) },
    { name: 'IoCreateDeviceSecure with a local admin-only SDDL', code: ENTRY(SECURE('&sddl'), 'DECLARE_CONST_UNICODE_STRING(sddl, L"D:P(A;;GA;;;SY)(A;;GA;;;BA)(A;;GR;;;WD)");') },
    { name: 'unnamed device', code: ENTRY('status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, 0, FALSE, &deviceObject);') },
    {
      name: 'PnP function driver creates its device in AddDevice',
      code: 'NTSTATUS AddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT Pdo)\n{\n    UNICODE_STRING name = RTL_CONSTANT_STRING(L"\\\\Device\\\\Widget0");\n    PDEVICE_OBJECT fdo;\n    NTSTATUS status = IoCreateDevice(DriverObject, sizeof(EXT), &name, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, &fdo);\n    return status;\n}\nNTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)\n{\n    DriverObject->DriverExtension->AddDevice = AddDevice;\n    return STATUS_SUCCESS;\n}\n',
    },
    { name: 'device secured afterwards with ZwSetSecurityObject', code: ENTRY(IO_CREATE + '\n    status = ZwSetSecurityObject(handle, DACL_SECURITY_INFORMATION, sd);') },
    { name: 'KMDF control device restricted to admins', code: KMDF_CONTROL('D:P(A;;GA;;;SY)(A;;GA;;;BA)') },
    { name: 'Everyone may only read', code: ENTRY(SECURE('&SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_R_RES_R')) },
    { name: 'read-only access for Users in hex', code: ENTRY(SECURE('&sddl'), 'DECLARE_CONST_UNICODE_STRING(sddl, L"D:P(A;;GA;;;SY)(A;;0x120089;;;BU)");') },
    { name: 'SDDL from an unknown variable is not judged', code: ENTRY(SECURE('Extension->Sddl')) },
  ],
  invalid: [
    {
      name: 'named control device created with IoCreateDevice in DriverEntry',
      code: ENTRY(IO_CREATE),
      errors: [{ messageId: 'defaultSecurity', line: 12, message: '`deviceName` in DriverEntry' }],
      suggestionOutput: ENTRY('status = IoCreateDeviceSecure(DriverObject, 0, &deviceName, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, &SDDL_DEVOBJ_SYS_ALL_ADM_ALL, NULL, &deviceObject);'),
    },
    {
      name: 'IoCreateDeviceSecure granting Everyone read/write',
      code: ENTRY(SECURE('&SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_RW_RES_R')),
      errors: [{ messageId: 'broadSddl', line: 12, message: 'Everyone (`WD`) `GRGW`' }],
      suggestionOutput: ENTRY(SECURE('&SDDL_DEVOBJ_SYS_ALL_ADM_ALL')),
    },
    {
      name: 'IoCreateDeviceSecure with a cast SDDL argument granting Everyone write',
      code: ENTRY(SECURE('(PCUNICODE_STRING)&sddl'), 'DECLARE_CONST_UNICODE_STRING(sddl, L"D:P(A;;GA;;;SY)(A;;GRGW;;;WD)");'),
      errors: [{ messageId: 'broadSddl', message: 'Everyone (`WD`) `GRGW`' }],
      suggestionOutput: ENTRY(SECURE('&SDDL_DEVOBJ_SYS_ALL_ADM_ALL'), 'DECLARE_CONST_UNICODE_STRING(sddl, L"D:P(A;;GA;;;SY)(A;;GRGW;;;WD)");'),
    },
    {
      name: 'KMDF control device with GA for Builtin Users',
      code: KMDF_CONTROL('D:P(A;;GA;;;SY)(A;;GA;;;BU)'),
      errors: [{ messageId: 'broadSddl', line: 5, message: 'Builtin Users' }],
      suggestionOutput: KMDF_CONTROL('D:P(A;;GA;;;SY)(A;;GA;;;BU)').replace('WdfControlDeviceInitAllocate(Driver, &sddl)', 'WdfControlDeviceInitAllocate(Driver, &SDDL_DEVOBJ_SYS_ALL_ADM_ALL)'),
    },
    {
      name: 'KMDF device SDDL from a macro, granting Authenticated Users write through RtlInitUnicodeString',
      code: '#define WIDGET_SDDL L"D:P(A;;GA;;;SY)(A;;GA;;;BA)" L"(A;;GRGW;;;AU)"\nNTSTATUS SetSecurity(PWDFDEVICE_INIT DeviceInit)\n{\n    UNICODE_STRING sddl;\n    RtlInitUnicodeString(&sddl, WIDGET_SDDL);\n    return WdfDeviceInitAssignSDDLString(DeviceInit, &sddl);\n}\n',
      errors: [{ messageId: 'broadSddl', line: 6, message: 'Authenticated Users (`AU`) `GRGW`' }],
      suggestionOutput: '#define WIDGET_SDDL L"D:P(A;;GA;;;SY)(A;;GA;;;BA)" L"(A;;GRGW;;;AU)"\nNTSTATUS SetSecurity(PWDFDEVICE_INIT DeviceInit)\n{\n    UNICODE_STRING sddl;\n    RtlInitUnicodeString(&sddl, WIDGET_SDDL);\n    return WdfDeviceInitAssignSDDLString(DeviceInit, &SDDL_DEVOBJ_SYS_ALL_ADM_ALL);\n}\n',
    },
    {
      name: 'control device created in a helper DriverEntry calls',
      code: 'NTSTATUS CreateCtl(PDRIVER_OBJECT DriverObject)\n{\n    UNICODE_STRING n;\n    PDEVICE_OBJECT d;\n    RtlInitUnicodeString(&n, L"\\\\Device\\\\Ctl");\n    return IoCreateDevice(DriverObject, 0, &n, FILE_DEVICE_UNKNOWN, 0, FALSE, &d);\n}\nNTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)\n{\n    return CreateCtl(DriverObject);\n}\n',
      errors: [{ messageId: 'defaultSecurity', line: 6, message: 'in CreateCtl' }],
    },
  ],
});
