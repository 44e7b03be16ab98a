/**
 * Flags a WDM DriverEntry that creates device objects but never sets DriverObject->DriverUnload: the driver can
 * then never be unloaded, so it cannot be updated or serviced without a reboot.
 */
import { calleeName, type Node } from '../analysis/query';
import type { Rule } from '../analysis/rule';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';

const CREATE_DEVICE = /^(IoCreateDevice|IoCreateDeviceSecure|WdmlibIoCreateDeviceSecure)$/;

/** The first device-creating call in DriverEntry or a function it calls directly. */
function deviceCreation(file: SourceFile, entry: FunctionInfo): Node | undefined {
  if (!entry.body) return undefined;
  for (const call of file.within(entry.body, 'call_expression')) {
    const name = calleeName(call) ?? '';
    if (CREATE_DEVICE.test(name)) return call;
    const callee = name !== entry.name ? file.functionByName(name) : undefined;
    const inner = callee?.body ? file.within(callee.body, 'call_expression').find((candidate) => CREATE_DEVICE.test(calleeName(candidate) ?? '')) : undefined;
    if (inner) return inner;
  }
  return undefined;
}

export const rule: Rule = {
  meta: {
    id: 'unload-missing',
    title: 'WDM driver without an Unload routine',
    type: 'suggestion',
    severity: 'information',
    checklistItem: 'checklist.technology-practices',
    description: 'DriverEntry creates device objects but the file never assigns DriverObject->DriverUnload, so the driver cannot be unloaded.',
    rationale: 'Without an Unload routine the I/O manager never unloads the driver: a security fix cannot be applied without a reboot, and test tools (Driver Verifier, HLK) cannot exercise load/unload. The Unload routine is also where the driver deletes its symbolic link and device objects and frees what it allocated.',
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/writing-an-unload-routine',
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nc-wdm-driver_unload',
    ],
    confidence: 'medium',
    messages: {
      missing: '{{entry}} creates a device object (`{{call}}`) but never sets DriverObject->DriverUnload: the driver cannot be unloaded for servicing. Add an Unload routine that deletes the symbolic link and the device.',
    },
    examples: {
      bad: 'NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)\n{\n    PDEVICE_OBJECT device;\n    NTSTATUS status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, &device);\n    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchDeviceControl;\n    return status;\n}',
      good: 'NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)\n{\n    PDEVICE_OBJECT device;\n    NTSTATUS status = IoCreateDevice(DriverObject, 0, NULL, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, &device);\n    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchDeviceControl;\n    DriverObject->DriverUnload = DriverUnload;\n    return status;\n}',
    },
  },
  create(context) {
    const { file } = context;
    return {
      onEnd() {
        const entry = file.functions().find((fn) => file.driver.hasRole(fn.name, 'driver-entry') && fn.body);
        if (!entry || entry.body!.hasError) return;
        // KMDF drivers unload through the framework (EvtDriverUnload is optional); an assignment anywhere counts.
        if (/\bDriverUnload\s*=[^=]|\bWdfDriverCreate\b/.test(file.text)) return;
        const creation = deviceCreation(file, entry);
        if (!creation) return;
        context.report({
          node: entry.node.childForFieldName('declarator') ?? entry.node,
          messageId: 'missing',
          data: { entry: entry.name, call: calleeName(creation) ?? 'IoCreateDevice' },
          related: [{ node: creation, message: 'device object created here' }],
        });
      },
    };
  },
};
