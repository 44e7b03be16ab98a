/**
 * Flags direct writes of IRP fields the I/O manager owns: `Irp->CancelRoutine = X` races with IoCancelIrp (use
 * IoSetCancelRoutine, an interlocked exchange), and writes of Irp->Cancel, CurrentLocation, StackCount or
 * Tail.Overlay.CurrentStackLocation corrupt the I/O manager's view of the IRP.
 */
import { findDeclaration } from '../analysis/declarations';
import { fieldName, unwrap, type Node } from '../analysis/query';
import { fixer, type Rule } from '../analysis/rule';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';

/** System-owned IRP fields and what to use instead. */
const SYSTEM_FIELDS: Record<string, string> = {
  CancelRoutine: 'IoSetCancelRoutine',
  Cancel: 'IoCancelIrp to cancel it, IoReuseIrp to reset a reused IRP',
  CurrentLocation: 'IoSkipCurrentIrpStackLocation, IoCopyCurrentIrpStackLocationToNext or IoSetNextIrpStackLocation',
  StackCount: 'IoAllocateIrp/IoMakeAssociatedIrp with the stack size needed',
  CurrentStackLocation: 'IoSkipCurrentIrpStackLocation, IoCopyCurrentIrpStackLocationToNext or IoSetNextIrpStackLocation',
};

/** Whether an expression names an IRP: a variable declared PIRP / IRP *, or named Irp when its declaration is not in sight. */
function isIrp(file: SourceFile, fn: FunctionInfo | undefined, expression: Node | null): boolean {
  const node = unwrap(expression);
  if (node?.type !== 'identifier') return false;
  const declaration = findDeclaration(file, fn, node.text);
  if (!declaration) return /^p?irp$/i.test(node.text);
  const type = declaration.typeText.trim();
  return (type === 'PIRP' && !declaration.isArray) || (type === 'IRP' && declaration.isPointer);
}

export const rule: Rule = {
  meta: {
    id: 'irp-system-field-write',
    title: 'Direct write of a system-owned IRP field',
    type: 'problem',
    severity: 'warning',
    checklistItem: 'checklist.technology-practices',
    scope: 'function',
    callerLevels: 0,
    description: 'The driver assigns Irp->CancelRoutine (use IoSetCancelRoutine) or another IRP field the I/O manager owns (Cancel, CurrentLocation, StackCount, Tail.Overlay.CurrentStackLocation).',
    rationale: 'IoCancelIrp reads and clears Irp->CancelRoutine with an interlocked exchange under the cancel spin lock; a plain assignment races with it, so the cancel routine can run after the driver thought it removed it (the IRP is completed twice, a use after free) or never run. IoSetCancelRoutine does the exchange and returns the previous routine, which tells the driver whether cancellation already started. The stack location pointers, the stack count and the Cancel flag belong to the I/O manager: changing them by hand desynchronizes the IRP from the stack locations and bug-checks later, far from the cause.',
    cwe: ['CWE-362'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iosetcancelroutine',
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/synchronizing-irp-cancellation',
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/ns-wdm-_irp',
      'https://learn.microsoft.com/windows-hardware/drivers/devtest/wdm-irpcancelfield',
    ],
    confidence: 'high',
    messages: {
      cancelRoutine: '`{{target}}` is assigned directly: IoCancelIrp exchanges this field atomically, so the assignment races with cancellation. Use `IoSetCancelRoutine({{irp}}, {{value}})`.',
      systemField: '`{{target}}` is owned by the I/O manager and must not be written by the driver; use {{instead}}.',
    },
    fixable: true,
    examples: {
      bad: 'Irp->CancelRoutine = CancelQueuedIrp;\nInsertTailList(&ext->Queue, &Irp->Tail.Overlay.ListEntry);',
      good: 'IoSetCancelRoutine(Irp, CancelQueuedIrp);\nInsertTailList(&ext->Queue, &Irp->Tail.Overlay.ListEntry);',
    },
  },
  create(context) {
    const { file } = context;
    /** The IRP whose system field `target` names (`Irp->X`, `Irp->Tail.Overlay.CurrentStackLocation`), with the field. */
    const systemTarget = (target: Node | null): { field: string; irp: string; left: Node } | undefined => {
      const left = unwrap(target);
      if (left?.type !== 'field_expression') return undefined;
      const field = fieldName(left);
      if (!field || !(field in SYSTEM_FIELDS)) return undefined;
      let base = unwrap(left.childForFieldName('argument'));
      if (field === 'CurrentStackLocation') {
        if (!/^\s*\w+\s*->\s*Tail\s*\.\s*Overlay\s*\.\s*CurrentStackLocation$/.test(left.text)) return undefined;
        base = unwrap(unwrap(base?.childForFieldName('argument'))?.childForFieldName('argument'));
      } else if (left.childForFieldName('operator')?.text !== '->') {
        return undefined;
      }
      if (!isIrp(file, file.enclosingFunction(left), base)) return undefined;
      return { field, irp: base!.text, left };
    };
    return {
      assignment_expression(assignment) {
        const operator = assignment.childForFieldName('operator')?.text;
        const target = systemTarget(assignment.childForFieldName('left'));
        if (!target) return;
        const { field, irp, left } = target;
        if (field !== 'CancelRoutine') {
          context.report({ node: assignment, messageId: 'systemField', data: { target: left.text, instead: SYSTEM_FIELDS[field] } });
          return;
        }
        if (operator !== '=') return;
        const value = assignment.childForFieldName('right')?.text ?? 'NULL';
        const fix = assignment.parent?.type === 'expression_statement' ? { title: 'Use IoSetCancelRoutine', edits: [fixer.replace(assignment, `IoSetCancelRoutine(${irp}, ${value})`)] } : undefined;
        context.report({ node: assignment, messageId: 'cancelRoutine', data: { target: left.text, irp, value }, fix });
      },
      update_expression(update) {
        const target = systemTarget(update.childForFieldName('argument'));
        if (!target || target.field === 'CancelRoutine' || target.field === 'Cancel') return;
        context.report({ node: update, messageId: 'systemField', data: { target: target.left.text, instead: SYSTEM_FIELDS[target.field] } });
      },
    };
  },
};
