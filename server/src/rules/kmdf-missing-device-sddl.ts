/**
 * Points out a KMDF symbolic link to a device the driver neither names nor secures. KMDF gives a named device
 * without an SDDL the restrictive SDDL_DEVOBJ_SYS_ALL_ADM_ALL and control devices always carry one, so only the
 * unnamed case is left: the link then resolves to the PDO, and who may open it is decided by the INF or the
 * device class, not by the driver.
 */
import { calleeName, type Node } from '../analysis/query';
import type { Rule } from '../analysis/rule';

/** Calls that give the device its own name or security (or make it a control device, which always has an SDDL). */
const OWN_SECURITY = new Set([
  'WdfDeviceInitAssignName', 'WdfDeviceInitAssignSDDLString', 'WdfControlDeviceInitAllocate', 'WdfDeviceInitSetDeviceClass',
  'WdfPdoInitAllocate',
]);

export const rule: Rule = {
  meta: {
    id: 'kmdf-missing-device-sddl',
    title: 'KMDF symbolic link to a device without its own security',
    type: 'suggestion',
    severity: 'information',
    checklistItem: 'checklist.access-control',
    description: 'A KMDF driver creates a symbolic link (WdfDeviceCreateSymbolicLink) for a device it gives neither a name nor an SDDL, so access is decided by the INF or device class.',
    rationale: 'KMDF applies SDDL_DEVOBJ_SYS_ALL_ADM_ALL to named devices that have no SDDL of their own and requires an SDDL for control devices. An unnamed PnP device is different: WdfDeviceCreateSymbolicLink points the link at the PDO, whose security comes from the INF (DeviceSecurity / Security directives) or the device class defaults, which often let every user read and write. Make the access policy explicit: prefer a device interface and set security in the INF, or name the device and call WdfDeviceInitAssignSDDLString with a restrictive SDDL.',
    cwe: ['CWE-732'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/wdf/controlling-device-access-in-kmdf-drivers',
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdfdevice/nf-wdfdevice-wdfdeviceinitassignsddlstring',
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/setting-device-object-properties-in-the-registry',
    ],
    confidence: 'medium',
    messages: {
      inherited: 'WdfDeviceCreateSymbolicLink exposes `{{link}}` for a device with no name and no SDDL of its own: who can open it is decided by the INF/device-class security, not by the driver. Set security in the INF, or name the device and assign a restrictive SDDL (WdfDeviceInitAssignSDDLString).',
    },
    examples: {
      bad: 'NTSTATUS EvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)\n{\n    WDFDEVICE device;\n    DECLARE_CONST_UNICODE_STRING(link, L"\\\\DosDevices\\\\Widget");\n    NTSTATUS status = WdfDeviceCreate(&DeviceInit, WDF_NO_OBJECT_ATTRIBUTES, &device);\n    if (!NT_SUCCESS(status)) {\n        return status;\n    }\n    return WdfDeviceCreateSymbolicLink(device, &link);\n}',
      good: 'NTSTATUS EvtDeviceAdd(WDFDRIVER Driver, PWDFDEVICE_INIT DeviceInit)\n{\n    WDFDEVICE device;\n    DECLARE_CONST_UNICODE_STRING(name, L"\\\\Device\\\\Widget");\n    DECLARE_CONST_UNICODE_STRING(link, L"\\\\DosDevices\\\\Widget");\n    NTSTATUS status = WdfDeviceInitAssignName(DeviceInit, &name);\n    if (NT_SUCCESS(status)) {\n        status = WdfDeviceInitAssignSDDLString(DeviceInit, &SDDL_DEVOBJ_SYS_ALL_ADM_ALL);\n    }\n    if (NT_SUCCESS(status)) {\n        status = WdfDeviceCreate(&DeviceInit, WDF_NO_OBJECT_ATTRIBUTES, &device);\n    }\n    if (!NT_SUCCESS(status)) {\n        return status;\n    }\n    return WdfDeviceCreateSymbolicLink(device, &link);\n}',
    },
  },
  create(context) {
    const { file } = context;
    return {
      onEnd() {
        let link: Node | undefined;
        let createsDevice = false;
        for (const call of file.nodes('call_expression')) {
          const name = calleeName(call) ?? '';
          if (OWN_SECURITY.has(name)) return;
          if (name === 'WdfDeviceCreate') createsDevice = true;
          if (name === 'WdfDeviceCreateSymbolicLink') link ??= call;
        }
        // The device must be created in this file: otherwise its init (name, SDDL) is out of sight.
        if (!link || !createsDevice) return;
        const argument = link.childForFieldName('arguments')?.namedChildren[1];
        context.report({ node: link, messageId: 'inherited', data: { link: argument ? file.textOf(argument).replace(/^&\s*/, '') : 'the link' } });
      },
    };
  },
};
