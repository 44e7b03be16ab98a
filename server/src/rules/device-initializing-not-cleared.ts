/**
 * Flags an AddDevice routine that creates its device object with IoCreateDevice and never clears
 * DO_DEVICE_INITIALIZING: the I/O manager clears it only for devices created in DriverEntry, so the device refuses
 * every open and the PnP stack above it cannot attach.
 */
import { SYSTEM_ROUTINE_PREFIX } from '../analysis/dispatch';
import { callArguments, calleeName, unwrap, type Node } from '../analysis/query';
import { fixer, gather, type Rule } from '../analysis/rule';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';

const CREATORS = new Set(['IoCreateDevice', 'IoCreateDeviceSecure', 'WdmlibIoCreateDeviceSecure']);


/**
 * Whether the routine is a PnP AddDevice: assigned to `DriverExtension->AddDevice` or declared `DRIVER_ADD_DEVICE`
 * in this file, or with the AddDevice signature and an IoAttachDeviceToDeviceStack call (a header elsewhere
 * declares it).
 */
function isAddDevice(file: SourceFile, fn: FunctionInfo): boolean {
  const mention = new RegExp(`\\bAddDevice\\s*=\\s*${fn.name}\\b|\\bDRIVER_ADD_DEVICE\\s+${fn.name}\\b`);
  if (mention.test(file.text)) return true;
  const types = fn.params.map((param) => param.type.trim());
  return types.length === 2 && types[0] === 'PDRIVER_OBJECT' && types[1] === 'PDEVICE_OBJECT'
    && file.within(fn.body!, 'call_expression').some((call) => calleeName(call) === 'IoAttachDeviceToDeviceStack' || calleeName(call) === 'IoAttachDeviceToDeviceStackSafe');
}

/**
 * Whether the routine hands the new device object to a driver routine of another file (directly or through a helper
 * of this file), which may finish its initialization: the file itself never mentions the flag (checked before).
 */
function handedToOtherFile(file: SourceFile, body: Node, device: string, seen: Set<string>): boolean {
  const mention = new RegExp(`\\b${device}\\b`);
  for (const call of file.within(body, 'call_expression')) {
    const name = calleeName(call);
    if (!name || seen.has(name) || SYSTEM_ROUTINE_PREFIX.test(name) || CREATORS.has(name)) continue;
    seen.add(name);
    const args = callArguments(call);
    if (!args.some((argument) => mention.test(argument.text))) continue;
    const helper = file.functionByName(name);
    if (!helper?.body) return true;
    const index = args.findIndex((argument) => mention.test(argument.text));
    const parameter = helper.params[index]?.name;
    if (seen.size < 16 && parameter && handedToOtherFile(file, helper.body, parameter, seen)) return true;
  }
  return false;
}

/** The variable IoCreateDevice stores the new device object in (its last argument, `&fdo`). */
function createdDevice(call: Node): string | undefined {
  const args = callArguments(call);
  const last = unwrap(args[args.length - 1]);
  if (last?.type !== 'pointer_expression' || !last.text.startsWith('&')) return undefined;
  const target = unwrap(last.childForFieldName('argument'));
  return target?.type === 'identifier' ? target.text : undefined;
}

/**
 * The routine's last statement when it is `return STATUS_SUCCESS;`: only the success path reaches it, so the fix
 * does not touch a device object a failure path deleted.
 */
function finalSuccessReturn(body: Node): Node | undefined {
  const statements = body.namedChildren.filter((child): child is Node => child !== null && child.type !== 'comment');
  const last = statements[statements.length - 1];
  return last?.type === 'return_statement' && unwrap(last.namedChild(0))?.text === 'STATUS_SUCCESS' ? last : undefined;
}

export const rule: Rule = {
  meta: {
    id: 'device-initializing-not-cleared',
    title: 'AddDevice never clears DO_DEVICE_INITIALIZING',
    type: 'problem',
    severity: 'warning',
    checklistItem: 'checklist.technology-practices',
    description: 'An AddDevice routine creates a device object with IoCreateDevice and never clears DO_DEVICE_INITIALIZING in its Flags.',
    rationale: 'The I/O manager clears DO_DEVICE_INITIALIZING only for device objects created in DriverEntry. A device created in AddDevice keeps the flag until the driver clears it: the I/O manager fails every create request for it and other drivers cannot attach above it, so the device never works — and drivers that "fix" that by skipping checks elsewhere open worse holes. Clear the flag as the last step of AddDevice, after the device extension and the flags (DO_BUFFERED_IO, DO_POWER_PAGABLE) are set up.',
    cwe: ['CWE-665'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/writing-an-adddevice-routine',
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/ns-wdm-_device_object',
      'https://learn.microsoft.com/windows-hardware/drivers/devtest/wdm-adddevice',
    ],
    confidence: 'high',
    messages: {
      notCleared: '{{fn}} creates `{{device}}` here but never clears DO_DEVICE_INITIALIZING: the device refuses every open until `{{device}}->Flags &= ~DO_DEVICE_INITIALIZING;` runs.',
    },
    fixable: true,
    examples: {
      bad: 'NTSTATUS AddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT PhysicalDeviceObject) {\n    PDEVICE_OBJECT fdo;\n    NTSTATUS status = IoCreateDevice(DriverObject, sizeof(DEVICE_EXTENSION), NULL, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, &fdo);\n    if (!NT_SUCCESS(status)) {\n        return status;\n    }\n    ((PDEVICE_EXTENSION)fdo->DeviceExtension)->LowerDevice = IoAttachDeviceToDeviceStack(fdo, PhysicalDeviceObject);\n    fdo->Flags |= DO_BUFFERED_IO;\n    return STATUS_SUCCESS;\n}',
      good: 'NTSTATUS AddDevice(PDRIVER_OBJECT DriverObject, PDEVICE_OBJECT PhysicalDeviceObject) {\n    PDEVICE_OBJECT fdo;\n    NTSTATUS status = IoCreateDevice(DriverObject, sizeof(DEVICE_EXTENSION), NULL, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, &fdo);\n    if (!NT_SUCCESS(status)) {\n        return status;\n    }\n    ((PDEVICE_EXTENSION)fdo->DeviceExtension)->LowerDevice = IoAttachDeviceToDeviceStack(fdo, PhysicalDeviceObject);\n    fdo->Flags |= DO_BUFFERED_IO;\n    fdo->Flags &= ~DO_DEVICE_INITIALIZING;\n    return STATUS_SUCCESS;\n}',
    },
  },
  create(context) {
    const { file } = context;
    return {
      ...gather('call_expression'),
      onEnd() {
        if (!/\bIoCreateDevice/.test(file.text) && !/\bWdmlibIoCreateDeviceSecure\b/.test(file.text)) return;
        // Cleared anywhere in the file (late, in a start-device handler, is still cleared): the rule is about the
        // flag being forgotten, not about where the driver clears it.
        if (/\bDO_DEVICE_INITIALIZING\b/.test(file.text)) return;
        for (const fn of file.functions()) {
          if (!fn.body || fn.name === 'DriverEntry') continue;
          const creation = file.within(fn.body, 'call_expression').find((call) => CREATORS.has(calleeName(call) ?? ''));
          if (!creation || !isAddDevice(file, fn)) continue;
          const device = createdDevice(creation);
          if (!device || handedToOtherFile(file, fn.body, device, new Set([fn.name]))) continue;
          const ret = finalSuccessReturn(fn.body);
          context.report({
            node: creation,
            messageId: 'notCleared',
            data: { fn: fn.name, device },
            fix: ret
              ? { title: 'Clear DO_DEVICE_INITIALIZING before returning', edits: [fixer.insertBefore(ret, `${device}->Flags &= ~DO_DEVICE_INITIALIZING;${file.eol}${file.indentationOf(ret)}`)] }
              : undefined,
          });
        }
      },
    };
  },
};
