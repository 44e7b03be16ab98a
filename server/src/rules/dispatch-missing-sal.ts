/**
 * Flags dispatch routines and KMDF EvtIo callbacks defined without their role-type declaration
 * (`DRIVER_DISPATCH Name;`, `EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL Name;`) or `_Use_decl_annotations_`: Code Analysis
 * and Static Driver Verifier then do not know the routine's IRQL, dispatch type and parameter contracts.
 */
import type { RoleAssignment } from '../analysis/driver-model';
import type { Node } from '../analysis/query';
import { fixer, type Rule } from '../analysis/rule';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';
import { ROLE_TYPES } from '../analysis/workspace-index';
import { lookupTable } from '../analysis/lookup';

/** The role type that declares a callback of each KMDF kind. */
const KMDF_ROLE_TYPES: Record<string, string> = lookupTable({
  EvtIoDeviceControl: 'EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL',
  EvtIoInternalDeviceControl: 'EVT_WDF_IO_QUEUE_IO_INTERNAL_DEVICE_CONTROL',
  EvtIoRead: 'EVT_WDF_IO_QUEUE_IO_READ',
  EvtIoWrite: 'EVT_WDF_IO_QUEUE_IO_WRITE',
  EvtIoDefault: 'EVT_WDF_IO_QUEUE_IO_DEFAULT',
  EvtIoInCallerContext: 'EVT_WDF_IO_IN_CALLER_CONTEXT',
});

/** Annotations on the definition itself that tell Code Analysis its role. */
const ANNOTATED = /\b(_Use_decl_annotations_|_Function_class_\s*\(|__drv_dispatchType\s*\(|_Dispatch_type_\s*\()/;

/** Original text between the previous declaration (or the file start) and the body: where annotations sit. */
function headerText(file: SourceFile, fn: FunctionInfo): string {
  let previous = fn.node.previousSibling;
  while (previous && previous.type === 'comment') previous = previous.previousSibling;
  const start = previous ? previous.endIndex : 0;
  return file.text.slice(start, fn.body?.startIndex ?? fn.node.endIndex);
}

function roleTypeOf(roles: RoleAssignment[]): string | undefined {
  for (const role of roles) {
    if (role.role === 'wdm-dispatch') return 'DRIVER_DISPATCH';
    const type = role.detail ? KMDF_ROLE_TYPES[role.detail] : undefined;
    if (type) return type;
  }
  return undefined;
}

function declarationText(file: SourceFile, fn: FunctionInfo, roles: RoleAssignment[], type: string): string {
  const majors = type === 'DRIVER_DISPATCH' ? [...new Set(roles.map((role) => role.detail).filter((detail): detail is string => !!detail?.startsWith('IRP_MJ_')))] : [];
  const isStatic = fn.node.namedChildren.some((child) => child?.type === 'storage_class_specifier' && child.text === 'static');
  const dispatchTypes = majors.map((major) => `_Dispatch_type_(${major}) `).join('');
  return `${dispatchTypes}${isStatic ? 'static ' : ''}${type} ${fn.name};${file.eol}${file.eol}`;
}

/** Names declared with a role type in this file (`DRIVER_DISPATCH A, B;`, `static EVT_WDF_IO_QUEUE_IO_READ C;`). */
function roleDeclaredNames(file: SourceFile): Set<string> {
  const names = new Set<string>();
  for (const declaration of file.nodes('declaration')) {
    const type = declaration.childForFieldName('type')?.text;
    if (!type || !(type in ROLE_TYPES)) continue;
    for (const declarator of declaration.childrenForFieldName('declarator')) {
      if (declarator?.type === 'identifier') names.add(declarator.text);
    }
  }
  return names;
}

function nameNode(fn: FunctionInfo): Node {
  let declarator = fn.node.childForFieldName('declarator');
  while (declarator && declarator.type !== 'function_declarator') declarator = declarator.childForFieldName('declarator');
  return declarator?.childForFieldName('declarator') ?? fn.node;
}

export const rule: Rule = {
  meta: {
    id: 'dispatch-missing-sal',
    title: 'Dispatch routine without its role-type declaration',
    type: 'suggestion',
    severity: 'information',
    checklistItem: 'checklist.sal-annotations',
    description: 'A dispatch routine or KMDF EvtIo callback is defined without a role-type declaration (DRIVER_DISPATCH, EVT_WDF_IO_QUEUE_IO_DEVICE_CONTROL, …) or _Use_decl_annotations_.',
    rationale: 'Declaring a callback with its role type (`DRIVER_DISPATCH MyDeviceControl;`) gives Code Analysis and Static Driver Verifier the routine\'s contract: the IRQL it runs at, the IRP major function it handles and the annotations of its parameters. Without it, the tools cannot check the routine against those rules, and SDV cannot tell which routine is the dispatch entry point.',
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/devtest/declaring-functions-using-function-role-types-for-wdm-drivers',
      'https://learn.microsoft.com/windows-hardware/drivers/devtest/declaring-functions-by-using-function-role-types-for-kmdf-drivers',
      'https://learn.microsoft.com/windows-hardware/drivers/devtest/sal-2-annotations-for-windows-drivers',
    ],
    confidence: 'high',
    messages: {
      missing: '{{kind}} `{{name}}` has no role-type declaration (`{{type}} {{name}};`) and no _Use_decl_annotations_: Code Analysis cannot check its IRQL and dispatch contract.',
    },
    fixable: true,
    examples: {
      bad: 'NTSTATUS\nDispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)\n{\n    return CompleteRequest(Irp, STATUS_INVALID_DEVICE_REQUEST);\n}\n\nNTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)\n{\n    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchDeviceControl;\n    return STATUS_SUCCESS;\n}',
      good: '_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH DispatchDeviceControl;\n\nNTSTATUS\nDispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)\n{\n    return CompleteRequest(Irp, STATUS_INVALID_DEVICE_REQUEST);\n}\n\nNTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)\n{\n    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchDeviceControl;\n    return STATUS_SUCCESS;\n}',
    },
  },
  create(context) {
    const { file } = context;
    return {
      onEnd() {
        let declared: Set<string> | undefined;
        for (const fn of file.functions()) {
          if (!fn.body || !file.driver.isUserEntry(fn.name)) continue;
          const roles = file.driver.rolesOf(fn.name);
          // A role-type declaration in this file or in a workspace header.
          declared ??= roleDeclaredNames(file);
          if (declared.has(fn.name)) continue;
          if (file.workspace?.rolesOf(fn.name).some((role) => role.declared)) continue;
          if (ANNOTATED.test(headerText(file, fn))) continue;
          const type = roleTypeOf(roles);
          if (!type) continue;
          const lineStart = file.text.lastIndexOf('\n', fn.node.startIndex - 1) + 1;
          const onOwnLine = file.text.slice(lineStart, fn.node.startIndex).trim() === '';
          context.report({
            node: nameNode(fn),
            messageId: 'missing',
            data: { kind: type === 'DRIVER_DISPATCH' ? 'Dispatch routine' : 'KMDF callback', name: fn.name, type },
            fix: onOwnLine ? { title: `Declare ${fn.name} as ${type}`, edits: [fixer.replaceRange(lineStart, lineStart, declarationText(file, fn, roles, type))] } : undefined,
          });
        }
      },
    };
  },
};
