import { runRuleTests } from '../helpers/rule-tester';

const ADD = (init: string, link = '    status = WdfDeviceCreateSymbolicLink(device, &linkName);\n') => `EVT_WDF_DRIVER_DEVICE_ADD WidgetEvtDeviceAdd;

NTSTATUS
WidgetEvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)
{
    DECLARE_CONST_UNICODE_STRING(deviceName, L"\\\\Device\\\\Widget");
    DECLARE_CONST_UNICODE_STRING(linkName, L"\\\\DosDevices\\\\Widget");
    WDFDEVICE device;
    NTSTATUS status;

    UNREFERENCED_PARAMETER(Driver);
${init}    status = WdfDeviceCreate(&DeviceInit, WDF_NO_OBJECT_ATTRIBUTES, &device);
    if (!NT_SUCCESS(status)) {
        return status;
    }
${link}    return status;
}
`;

runRuleTests('kmdf-missing-device-sddl', {
  valid: [
    { name: 'named device (KMDF applies SDDL_DEVOBJ_SYS_ALL_ADM_ALL)', code: ADD('    status = WdfDeviceInitAssignName(DeviceInit, &deviceName);\n    if (!NT_SUCCESS(status)) {\n        return status;\n    }\n') },
    { name: 'named device with an explicit SDDL', code: ADD('    status = WdfDeviceInitAssignName(DeviceInit, &deviceName);\n    if (NT_SUCCESS(status)) {\n        status = WdfDeviceInitAssignSDDLString(DeviceInit, &SDDL_DEVOBJ_SYS_ALL_ADM_RX);\n    }\n') },
    { name: 'device interface instead of a symbolic link', code: ADD('', '    status = WdfDeviceCreateDeviceInterface(device, &GUID_DEVINTERFACE_WIDGET, NULL);\n') },
    {
      name: 'control device (its SDDL is mandatory)',
      code: 'NTSTATUS CreateControl(WDFDRIVER Driver)\n{\n    DECLARE_CONST_UNICODE_STRING(linkName, L"\\\\DosDevices\\\\WidgetCtl");\n    PWDFDEVICE_INIT init = WdfControlDeviceInitAllocate(Driver, &SDDL_DEVOBJ_SYS_ALL_ADM_ALL);\n    WDFDEVICE device;\n    NTSTATUS status = WdfDeviceCreate(&init, WDF_NO_OBJECT_ATTRIBUTES, &device);\n    if (NT_SUCCESS(status)) {\n        status = WdfDeviceCreateSymbolicLink(device, &linkName);\n    }\n    return status;\n}\n',
    },
    { name: 'symbolic link in a file that does not create the device', code: 'NTSTATUS AddLink(WDFDEVICE Device)\n{\n    DECLARE_CONST_UNICODE_STRING(linkName, L"\\\\DosDevices\\\\Widget");\n    return WdfDeviceCreateSymbolicLink(Device, &linkName);\n}\n' },
  ],
  invalid: [
    { name: 'unnamed PnP device with a symbolic link', code: ADD(''), errors: [{ messageId: 'inherited', line: 16, message: '`linkName`' }] },
    {
      name: 'other init calls do not secure the device; only the first link is reported',
      code: ADD('    WdfDeviceInitSetIoType(DeviceInit, WdfDeviceIoBuffered);\n', '    status = WdfDeviceCreateSymbolicLink(device, &linkName);\n    status = WdfDeviceCreateSymbolicLink(device, &otherLink);\n'),
      errors: [{ messageId: 'inherited', line: 17 }],
    },
  ],
});
