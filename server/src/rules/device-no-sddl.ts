/**
 * Flags device objects that any user can open: a named control device of a software-only driver created with
 * IoCreateDevice (default security descriptor), or an SDDL (IoCreateDeviceSecure, WdfDeviceInitAssignSDDLString,
 * WdfControlDeviceInitAllocate) that grants write access to Everyone / Users.
 */
import { callArguments, calleeName, unwrap, type Node } from '../analysis/query';
import { fixer, type FixDescriptor, type Rule } from '../analysis/rule';
import { broadWriteGrant, resolveSddl, SDDL_ARGUMENT } from '../analysis/sddl';
import type { SourceFile } from '../analysis/source-file';

const RESTRICTIVE = 'SDDL_DEVOBJ_SYS_ALL_ADM_ALL';

/** The file belongs to a PnP, KMDF or filter driver, or secures its device another way: IoCreateDevice is not judged. */
function notSoftwareOnly(file: SourceFile): boolean {
  const text = file.text;
  if (/\bAddDevice\s*=|\bEvtDriverDeviceAdd\b|\bWdfDriverCreate\b|\bWdfDeviceCreate\b/.test(text)) return true;
  if (/\bIoAttachDevice(ToDeviceStack(Safe)?)?\s*\(/.test(text)) return true;
  return /\b(ZwSetSecurityObject|NtSetSecurityObject|ObSetSecurityObjectByPointer|SeSetSecurityDescriptorInfo(Ex)?)\s*\(/.test(text);
}

/** DriverEntry, or a function DriverEntry calls directly. */
function createdAtDriverEntry(file: SourceFile, call: Node): boolean {
  const fn = file.enclosingFunction(call);
  if (!fn) return false;
  if (file.driver.hasRole(fn.name, 'driver-entry')) return true;
  const entry = file.functions().find((candidate) => file.driver.hasRole(candidate.name, 'driver-entry'));
  return !!entry?.body && file.within(entry.body, 'call_expression').some((inner) => calleeName(inner) === fn.name);
}

function secureCreateSuggestion(call: Node, args: readonly Node[]): FixDescriptor[] {
  const callee = unwrap(call.childForFieldName('function'));
  if (!callee || callee.type !== 'identifier' || args.length !== 7) return [];
  return [{
    title: `Use IoCreateDeviceSecure with ${RESTRICTIVE} (include wdmsec.h, link wdmsec.lib; pass your device class GUID instead of NULL)`,
    edits: [fixer.replace(callee, 'IoCreateDeviceSecure'), fixer.insertBefore(args[6], `&${RESTRICTIVE}, NULL, `)],
  }];
}

export const rule: Rule = {
  meta: {
    id: 'device-no-sddl',
    title: 'Device object any user can open',
    type: 'problem',
    severity: 'warning',
    checklistItem: 'checklist.control-software-only-access',
    description: 'A software-only driver creates a named device with IoCreateDevice (default security), or a device SDDL grants write access to Everyone or Users.',
    rationale: 'A control device with no hardware behind it exists only to take requests from user mode. Created with IoCreateDevice it gets the default device security descriptor, which lets ordinary users open it for read and write, and no INF can tighten it. An SDDL that grants GA/GW/FA to WD (Everyone) or BU (Users) does the same on purpose. Create the device with IoCreateDeviceSecure (or WdfDeviceInitAssignSDDLString / WdfControlDeviceInitAllocate) and an SDDL such as SDDL_DEVOBJ_SYS_ALL_ADM_ALL, and give it a class GUID so administrators can override it.',
    cwe: ['CWE-732', 'CWE-276'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/securing-device-objects',
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdmsec/nf-wdmsec-wdmlibiocreatedevicesecure',
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/sddl-for-device-objects',
      'https://learn.microsoft.com/windows-hardware/drivers/driversecurity/driver-security-checklist#control-access-to-software-only-drivers',
    ],
    confidence: 'medium',
    messages: {
      defaultSecurity: 'IoCreateDevice creates named control device `{{name}}` in {{function}} with the default security descriptor: ordinary users can open it and send IOCTLs. Use IoCreateDeviceSecure with a restrictive SDDL such as SDDL_DEVOBJ_SYS_ALL_ADM_ALL.',
      broadSddl: '{{call}} gives {{who}} (`{{trustee}}`) `{{rights}}` access to the device through the SDDL ACE `{{ace}}`: any such user can open it and send IOCTLs.',
    },
    hasSuggestions: true,
    examples: {
      bad: 'NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)\n{\n    UNICODE_STRING deviceName = RTL_CONSTANT_STRING(L"\\\\Device\\\\MyTool");\n    PDEVICE_OBJECT deviceObject;\n    return IoCreateDevice(DriverObject, 0, &deviceName, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, &deviceObject);\n}',
      good: 'NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)\n{\n    UNICODE_STRING deviceName = RTL_CONSTANT_STRING(L"\\\\Device\\\\MyTool");\n    PDEVICE_OBJECT deviceObject;\n    return IoCreateDeviceSecure(DriverObject, 0, &deviceName, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE,\n                                &SDDL_DEVOBJ_SYS_ALL_ADM_ALL, &MY_DEVICE_CLASS_GUID, &deviceObject);\n}',
    },
  },
  create(context) {
    const { file } = context;
    let judgeIoCreateDevice: boolean | undefined;
    return {
      call_expression(call) {
        const name = calleeName(call);
        if (!name) return;
        if (name === 'IoCreateDevice') {
          const args = callArguments(call);
          const deviceName = unwrap(args[2]);
          if (!deviceName || /^(NULL|0|nullptr)$/.test(deviceName.text)) return;
          judgeIoCreateDevice ??= !notSoftwareOnly(file);
          if (!judgeIoCreateDevice || !createdAtDriverEntry(file, call)) return;
          context.report({
            node: call,
            messageId: 'defaultSecurity',
            data: { name: deviceName.text.replace(/^&\s*/, ''), function: file.enclosingFunction(call)?.name ?? 'DriverEntry' },
            suggestions: secureCreateSuggestion(call, args),
          });
          return;
        }
        const index = SDDL_ARGUMENT[name];
        if (index === undefined) return;
        const argument = callArguments(call)[index];
        const sddl = resolveSddl(file, argument);
        const grant = sddl === undefined ? undefined : broadWriteGrant(sddl);
        if (!argument || !grant) return;
        context.report({
          node: call,
          messageId: 'broadSddl',
          data: { call: name, who: grant.who, trustee: grant.trustee, rights: grant.rights, ace: grant.ace },
          suggestions: [{ title: `Use ${RESTRICTIVE} (System and Administrators only)`, edits: [fixer.replace(argument, `&${RESTRICTIVE}`)] }],
        });
      },
    };
  },
};
