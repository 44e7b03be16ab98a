/**
 * Flags a free (ExFreePool*, IoFreeMdl, ObDereferenceObject, WdfObjectDelete) of a pointer kept in a global, the
 * device extension or a WDF context, in a function a user request reaches, when the pointer is not set to NULL on
 * every path after the free and some function of the driver (another handler, unload, or the same handler on its
 * next request) still dereferences, calls through or frees that pointer: the next request uses freed memory.
 *
 * File-scoped: the uses live in other functions. Paths come from `analysis/lifetime.ts`.
 */
import { findDeclaration } from '../analysis/declarations';
import { releasedArgument } from '../analysis/frees';
import { freeName, isNullTest, LIFETIME_NODE_TYPES, lifetimeOf, nullAfterEdit, trackablePath } from '../analysis/lifetime';
import { accessPath, baseIdentifier, calleeName, fieldName, unwrap, type Node } from '../analysis/query';
import { gather, type Rule } from '../analysis/rule';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';

type Holder = 'global' | 'device extension' | 'context';

const EXTENSION_TYPE = /EXTENSION|FDO_DATA|PDO_DATA|DEVICE_DATA/i;
const CONTEXT_TYPE = /(DEVICE|FDO|PDO|QUEUE|FILE|DRIVER|CONTROL|ADAPTER)_?(OBJECT_)?CONTEXT/i;
const CONTEXT_ACCESSOR = /(Device|Queue|File|Driver|Fdo|Control|Adapter)\w*Get\w*Context|Get(Device|Queue|File|Driver|Fdo|Control|Adapter)\w*Context|WdfObjectGet_\w*(DEVICE|QUEUE|FILE|DRIVER|FDO|CONTROL)\w*/i;
const COPY_ROUTINES = /^(RtlCopyMemory|RtlMoveMemory|memcpy|memmove|RtlZeroMemory|memset|RtlFillMemory|RtlSecureZeroMemory|RtlCopyBytes)$/;

/** Where the object holding `base` lives, judged from its declaration in `fn`. */
function holderOf(file: SourceFile, fn: FunctionInfo, base: string, hasField: boolean): Holder | undefined {
  const declaration = findDeclaration(file, fn, base);
  if (!declaration) return undefined;
  if (!declaration.isLocal && !declaration.isParameter) return 'global';
  if (!hasField) return undefined;
  const initializer = declaration.initializer ? file.textOf(declaration.initializer) : '';
  if (EXTENSION_TYPE.test(declaration.typeText) || /->\s*DeviceExtension\b/.test(initializer)) return 'device extension';
  if (CONTEXT_TYPE.test(declaration.typeText) || CONTEXT_ACCESSOR.test(initializer)) return 'context';
  return undefined;
}

/** The persistent holder of a freed path: a global, or a field of the device extension / a WDF context. */
function persistentHolder(file: SourceFile, fn: FunctionInfo, freed: Node): { holder: Holder; path: string; field?: string } | undefined {
  const path = trackablePath(freed);
  const base = baseIdentifier(freed);
  if (!path || !base) return undefined;
  const hasField = path !== base;
  const holder = holderOf(file, fn, base, hasField);
  if (!holder) return undefined;
  return { holder, path, field: hasField ? fieldName(freed) : undefined };
}

/** Whether `node` (naming the pointer) is dereferenced, called through, copied through or freed here. */
function isDangerousUse(node: Node): boolean {
  let holder = node;
  while (holder.parent && (holder.parent.type === 'parenthesized_expression' || holder.parent.type === 'cast_expression')) holder = holder.parent;
  const parent = holder.parent;
  if (!parent) return false;
  if (parent.type === 'field_expression' && parent.childForFieldName('argument')?.id === holder.id) return (parent.childForFieldName('operator')?.text ?? '') === '->';
  if (parent.type === 'subscript_expression' && parent.childForFieldName('argument')?.id === holder.id) return true;
  if (parent.type === 'pointer_expression') return (parent.childForFieldName('operator')?.text ?? parent.child(0)?.text) === '*';
  if (parent.type === 'call_expression' && parent.childForFieldName('function')?.id === holder.id) return true;
  if (parent.type === 'argument_list' && parent.parent?.type === 'call_expression') {
    const call = parent.parent;
    if (releasedArgument(call) && unwrap(releasedArgument(call))?.id === unwrap(node)?.id) return true;
    return COPY_ROUTINES.test(calleeName(call) ?? '');
  }
  return false;
}

export const rule: Rule = {
  meta: {
    id: 'freed-pointer-not-cleared',
    title: 'Freed pointer kept for later requests',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.secure-coding',
    description: 'A pointer kept in a global, the device extension or a WDF context is freed while handling a request and not set to NULL on every path, while other code of the driver still dereferences or frees it.',
    rationale: 'The device extension, WDF contexts and globals outlive the request that freed the memory. The next request (an IOCTL sent again, another handler, the unload routine) finds the stale pointer, reads or writes memory that now belongs to another allocation, calls through a function pointer in it, or frees it a second time. Attackers make this reliable by reallocating the freed block with controlled contents between two requests. Set the pointer to NULL right after freeing it (and have every user check it under the lock that protects the free).',
    cwe: ['CWE-416', 'CWE-415'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-exfreepoolwithtag',
      'https://learn.microsoft.com/windows-hardware/drivers/devtest/special-pool',
    ],
    confidence: 'medium',
    messages: {
      notCleared: '`{{path}}` ({{holder}}) is freed by {{call}} but not set to NULL on every path after it; a later request still reaches it in {{uses}}.',
    },
    fixable: true,
    examples: {
      bad: "DRIVER_DISPATCH DispatchIoctl;\nNTSTATUS DispatchIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PDEVICE_EXTENSION ext = (PDEVICE_EXTENSION)DeviceObject->DeviceExtension;\n    switch (IoGetCurrentIrpStackLocation(Irp)->Parameters.DeviceIoControl.IoControlCode) {\n    case IOCTL_RELEASE:\n        ExFreePoolWithTag(ext->Buffer, 'fuBx');\n        break;\n    case IOCTL_READ:\n        RtlCopyMemory(Irp->AssociatedIrp.SystemBuffer, ext->Buffer, ext->Size);\n        break;\n    }\n    return STATUS_SUCCESS;\n}",
      good: "DRIVER_DISPATCH DispatchIoctl;\nNTSTATUS DispatchIoctl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {\n    PDEVICE_EXTENSION ext = (PDEVICE_EXTENSION)DeviceObject->DeviceExtension;\n    switch (IoGetCurrentIrpStackLocation(Irp)->Parameters.DeviceIoControl.IoControlCode) {\n    case IOCTL_RELEASE:\n        ExFreePoolWithTag(ext->Buffer, 'fuBx');\n        ext->Buffer = NULL;\n        break;\n    case IOCTL_READ:\n        if (ext->Buffer == NULL) return STATUS_INVALID_DEVICE_STATE;\n        RtlCopyMemory(Irp->AssociatedIrp.SystemBuffer, ext->Buffer, ext->Size);\n        break;\n    }\n    return STATUS_SUCCESS;\n}",
    },
  },
  create(context) {
    const { file } = context;
    const frees: Node[] = [];
    return {
      ...gather(...LIFETIME_NODE_TYPES),
      call_expression(call) {
        if (releasedArgument(call) && call.parent?.type === 'expression_statement') frees.push(call);
      },
      onEnd() {
        for (const call of frees) {
          const fn = file.enclosingFunction(call);
          if (!fn?.body || !file.driver.isUserReachable(fn.name)) continue;
          const freed = releasedArgument(call);
          const target = freed ? persistentHolder(file, fn, freed) : undefined;
          if (!freed || !target) continue;
          const lifetime = lifetimeOf(file, fn);
          if (!lifetime?.uncleared.has(call.id)) continue;
          // Uses on a path after the free are use-after-free's findings; the others run on a later request.
          const afterFree = new Set(lifetime.uses.filter((use) => use.free.id === call.id).map((use) => use.use.id));
          const uses = usesElsewhere(fn, call, target).filter((use) => !afterFree.has(use.id) && !(target.field === undefined && afterFree.has(use.parent?.id ?? -1)));
          if (uses.length === 0) continue;
          const holder = call.parent!;
          const names = [...new Set(uses.map((use) => file.enclosingFunction(use)?.name ?? ''))].filter(Boolean);
          context.report({
            node: call,
            messageId: 'notCleared',
            data: { path: target.path, holder: target.holder === 'global' ? 'a global' : `in the ${target.holder}`, call: freeName(call), uses: names.map((name) => `\`${name}\``).join(', ') },
            related: uses.slice(0, 8).map((use) => ({ node: use, message: 'still used here' })),
            fix: {
              title: `Set ${target.path} to NULL after freeing it`,
              edits: [nullAfterEdit(file, holder, target.path)],
            },
          });
        }
      },
    };

    /** Dangerous uses of the same pointer in the driver's functions, except on the freeing path itself. */
    function usesElsewhere(freeing: FunctionInfo, call: Node, target: { holder: Holder; path: string; field?: string }): Node[] {
      const found: Node[] = [];
      for (const fn of file.functions()) {
        if (!fn.body) continue;
        const same = fn.node.id === freeing.node.id;
        // The handler itself runs again on the next request.
        if (same && !file.driver.isUserEntry(fn.name)) continue;
        const candidates = target.field
          ? file.within(fn.body, 'field_expression').filter((node) => fieldName(node) === target.field)
          : file.within(fn.body, 'identifier').filter((node) => node.text === target.path);
        const assigned = new Set<number>();
        for (const node of candidates) {
          if (node.startIndex >= call.startIndex && node.endIndex <= call.endIndex) continue;
          const path = accessPath(node);
          if (!path) continue;
          const base = baseIdentifier(node);
          if (!base) continue;
          if (target.field) {
            if (path.split(/->|\./).length !== target.path.split(/->|\./).length) continue;
            if (holderOf(file, fn, base, true) !== target.holder) continue;
          } else if (!same && findDeclaration(file, fn, base)?.isLocal) {
            continue; // a local of the same name
          }
          const parent = node.parent;
          if (parent?.type === 'assignment_expression' && parent.childForFieldName('left')?.id === node.id) {
            assigned.add(fn.node.id); // allocated again in this function before the uses that follow
            continue;
          }
          if (assigned.has(fn.node.id) || isNullTest(node) || !isDangerousUse(node)) continue;
          found.push(node);
        }
      }
      return found;
    }
  },
};
