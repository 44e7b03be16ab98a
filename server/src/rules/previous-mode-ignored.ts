/**
 * Flags a request handler that reads or writes raw user-mode addresses (METHOD_NEITHER Type3InputBuffer,
 * Irp->UserBuffer, unsafe WDF user buffers) but never looks at the requestor mode: it cannot tell a user-mode
 * caller (whose addresses must be probed) from a kernel-mode one, so one of the two is handled wrongly.
 */
import { callArguments, calleeName, unwrap, type Node } from '../analysis/query';
import { consultsCallerHereOrInCallers, isKernelOnlyEntry } from '../analysis/previous-mode';
import type { Rule } from '../analysis/rule';
import { lookupTable } from '../analysis/lookup';

/** Routines that read or write through a pointer argument, with that argument's index. */
const ACCESSORS: Record<string, number[]> = lookupTable({
  RtlCopyMemory: [0, 1],
  RtlMoveMemory: [0, 1],
  RtlCopyBytes: [0, 1],
  memcpy: [0, 1],
  memmove: [0, 1],
  RtlZeroMemory: [0],
  memset: [0],
  RtlFillMemory: [0],
  ProbeForRead: [0],
  ProbeForWrite: [0],
});

export const rule: Rule = {
  meta: {
    id: 'previous-mode-ignored',
    title: 'User pointers accessed without consulting the requestor mode',
    type: 'suggestion',
    severity: 'information',
    checklistItem: 'checklist.security-model',
    scope: 'function',
    callerLevels: 1,
    description: 'A request handler accesses raw user-mode addresses but never consults Irp->RequestorMode, ExGetPreviousMode() or WdfRequestGetRequestorMode.',
    rationale: 'A raw buffer address means different things depending on who sent the request: from user mode it must be probed and accessed under __try, from kernel mode it may legitimately be a kernel address that ProbeForRead rejects. A handler that ignores the requestor mode either trusts user addresses (a kernel read/write primitive) or breaks kernel callers. Decide on Irp->RequestorMode (or WdfRequestGetRequestorMode) how to validate the buffer.',
    cwe: ['CWE-20', 'CWE-822'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/previousmode',
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/using-neither-buffered-nor-direct-i-o',
    ],
    confidence: 'low',
    messages: {
      ignored: '`{{function}}` accesses `{{pointer}}`, a raw user-mode address ({{origin}}), but never consults the requestor mode (Irp->RequestorMode, ExGetPreviousMode, WdfRequestGetRequestorMode).',
    },
    examples: {
      bad: 'NTSTATUS DispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);\n    PVOID input = irpSp->Parameters.DeviceIoControl.Type3InputBuffer;\n    ULONG value = 0;\n    __try {\n        ProbeForRead(input, sizeof(ULONG), sizeof(ULONG));\n        value = *(PULONG)input;\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return CompleteRequest(Irp, GetExceptionCode());\n    }\n    return CompleteRequest(Irp, Use(value));\n}\n\nNTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {\n    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchDeviceControl;\n    return STATUS_SUCCESS;\n}',
      good: 'NTSTATUS DispatchDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);\n    PVOID input = irpSp->Parameters.DeviceIoControl.Type3InputBuffer;\n    ULONG value = 0;\n    __try {\n        if (Irp->RequestorMode != KernelMode) {\n            ProbeForRead(input, sizeof(ULONG), sizeof(ULONG));\n        }\n        value = *(PULONG)input;\n    } __except (EXCEPTION_EXECUTE_HANDLER) {\n        return CompleteRequest(Irp, GetExceptionCode());\n    }\n    return CompleteRequest(Irp, Use(value));\n}\n\nNTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {\n    DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = DispatchDeviceControl;\n    return STATUS_SUCCESS;\n}',
    },
  },
  create(context) {
    const { file } = context;
    return {
      function_definition(node) {
        const fn = file.enclosingFunction(node);
        if (!fn?.body || fn.node.id !== node.id || fn.body.hasError || !file.driver.isUserReachable(fn.name)) return;
        const taint = file.taint(fn);
        // Cheap test first: a raw user address enters by name, or through a parameter.
        const hasSource = /Type3InputBuffer|UserBuffer|RetrieveUnsafeUser/.test(fn.body.text)
          || fn.params.some((param) => taint.taintAt(param.name, fn.node.startIndex)?.kind === 'pointer');
        if (!hasSource) return;
        let access: { node: Node; pointer: Node; origin: string } | undefined;
        for (const candidate of file.withinAll(fn.body, ['field_expression', 'pointer_expression', 'subscript_expression', 'call_expression'])) {
          let pointer: Node | null | undefined;
          if (candidate.type === 'call_expression') {
            const positions = ACCESSORS[calleeName(candidate) ?? ''];
            if (!positions) continue;
            const args = callArguments(candidate);
            pointer = positions.map((index) => args[index]).find((arg) => arg !== undefined && taint.taintOf(arg, candidate.startIndex)?.kind === 'pointer');
          } else if (candidate.type === 'field_expression') {
            if (candidate.childForFieldName('operator')?.text !== '->') continue;
            pointer = candidate.childForFieldName('argument');
          } else if (candidate.type === 'pointer_expression') {
            if ((candidate.childForFieldName('operator')?.text ?? candidate.child(0)?.text) !== '*') continue;
            pointer = candidate.childForFieldName('argument');
          } else {
            pointer = candidate.childForFieldName('argument');
          }
          if (!pointer) continue;
          const value = taint.taintOf(unwrap(pointer), candidate.startIndex);
          if (value?.kind !== 'pointer') continue;
          access = { node: candidate, pointer, origin: value.origin };
          break;
        }
        if (!access || isKernelOnlyEntry(file, fn) || consultsCallerHereOrInCallers(file, fn)) return;
        context.report({
          node: access.node,
          messageId: 'ignored',
          data: { function: fn.name, pointer: unwrap(access.pointer)?.text ?? access.pointer.text, origin: access.origin },
        });
      },
    };
  },
};
