/**
 * Flags a whole IO_STACK_LOCATION copied to the next location by assignment (`*next = *current`) or by
 * RtlCopyMemory/memcpy of sizeof(IO_STACK_LOCATION) / sizeof(*next): the copy takes the completion routine the
 * driver above set for this location, its context and the control flags along, so that routine runs twice. Use
 * IoCopyCurrentIrpStackLocationToNext, which copies everything up to CompletionRoutine and clears Control.
 * Not reported when the function then sets the next location's completion routine itself (IoSetCompletionRoutine
 * overwrites CompletionRoutine, Context and Control, so the whole copy ends up equal to the documented one), nor for
 * the length FIELD_OFFSET(IO_STACK_LOCATION, CompletionRoutine) that IoCopyCurrentIrpStackLocationToNext itself uses.
 */
import { findDeclaration } from '../analysis/declarations';
import { callArguments, calleeName, fieldName, unwrap, type Node } from '../analysis/query';
import { fixer, type Rule } from '../analysis/rule';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';

const COPIES = new Set(['RtlCopyMemory', 'RtlMoveMemory', 'memcpy', 'memmove', 'RtlCopyBytes']);
const SET_COMPLETION = new Set(['IoSetCompletionRoutine', 'IoSetCompletionRoutineEx']);

/** Whether, after `offset` in fn, the next location's completion routine of `irp` is set: IoSetCompletionRoutine[Ex](irp, …), or `next->CompletionRoutine = …` through `nextText`. */
function completionSetAfter(file: SourceFile, fn: FunctionInfo | undefined, offset: number, irp: string, nextText: string): boolean {
  if (!fn?.body) return false;
  for (const call of file.within(fn.body, 'call_expression')) {
    if (call.startIndex < offset || !SET_COMPLETION.has(calleeName(call) ?? '')) continue;
    if (unwrap(callArguments(call)[0])?.text === irp) return true;
  }
  const target = nextText.replace(/\s+/g, '');
  for (const assignment of file.within(fn.body, 'assignment_expression')) {
    if (assignment.startIndex < offset) continue;
    const left = unwrap(assignment.childForFieldName('left'));
    if (left?.type !== 'field_expression' || fieldName(left) !== 'CompletionRoutine') continue;
    const base = unwrap(left.childForFieldName('argument'))?.text.replace(/\s+/g, '');
    if (base === target || base === `IoGetNextIrpStackLocation(${irp})`) return true;
  }
  return false;
}

/** `IoGetNextIrpStackLocation(Irp)` / `IoGetCurrentIrpStackLocation(Irp)` behind an expression (directly or through a local's initializer or single assignment); the IRP text. */
function stackLocationOf(file: SourceFile, fn: FunctionInfo | undefined, expression: Node | null, which: 'next' | 'current'): string | undefined {
  const wanted = which === 'next' ? 'IoGetNextIrpStackLocation' : 'IoGetCurrentIrpStackLocation';
  let node = unwrap(expression);
  if (node?.type === 'identifier' && fn?.body) {
    const declaration = findDeclaration(file, fn, node.text);
    if (!declaration?.isLocal || declaration.isParameter) return undefined;
    const sources: Node[] = [];
    if (declaration.initializer) sources.push(declaration.initializer);
    for (const assignment of file.within(fn.body, 'assignment_expression')) {
      if (unwrap(assignment.childForFieldName('left'))?.text === node.text) sources.push(assignment.childForFieldName('right')!);
    }
    if (sources.length !== 1) return undefined;
    node = unwrap(sources[0]);
  }
  if (node?.type !== 'call_expression' || calleeName(node) !== wanted) return undefined;
  return unwrap(callArguments(node)[0])?.text;
}

export const rule: Rule = {
  meta: {
    id: 'stack-location-copied-whole',
    title: 'Whole IO_STACK_LOCATION copied to the next location',
    type: 'problem',
    severity: 'warning',
    checklistItem: 'checklist.technology-practices',
    scope: 'function',
    callerLevels: 0,
    description: 'The current I/O stack location is copied whole into the next one (`*next = *current` or a copy of sizeof(IO_STACK_LOCATION)) instead of IoCopyCurrentIrpStackLocationToNext, and no completion routine is set over the copied one.',
    rationale: 'The stack location holds the completion routine, its context and control flags that the driver above set for this driver\'s location. Copying the whole structure gives the lower location the same completion routine, so it is called twice for one completion: the second call works on an IRP the first may have completed or freed (bug check, use after free). IoCopyCurrentIrpStackLocationToNext copies only the parameters and clears the control flags.',
    cwe: ['CWE-672'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iocopycurrentirpstacklocationtonext',
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/passing-irps-down-the-driver-stack',
    ],
    confidence: 'high',
    messages: {
      copied: 'The whole current stack location of `{{irp}}` is copied into the next one, and no completion routine of this driver replaces it: the completion routine, context and control flags the driver above set for this location go along, so that routine runs twice. Use `IoCopyCurrentIrpStackLocationToNext({{irp}})`.',
    },
    fixable: true,
    examples: {
      bad: '*IoGetNextIrpStackLocation(Irp) = *IoGetCurrentIrpStackLocation(Irp);\nreturn IoCallDriver(ext->LowerDevice, Irp);',
      good: 'IoCopyCurrentIrpStackLocationToNext(Irp);\nreturn IoCallDriver(ext->LowerDevice, Irp);',
    },
  },
  create(context) {
    const { file } = context;
    const report = (node: Node, irp: string, nextText: string): void => {
      if (completionSetAfter(file, file.enclosingFunction(node), node.endIndex, irp, nextText)) return;
      const statement = node.parent?.type === 'expression_statement' ? node : undefined;
      context.report({
        node,
        messageId: 'copied',
        data: { irp },
        fix: statement ? { title: 'Use IoCopyCurrentIrpStackLocationToNext', edits: [fixer.replace(statement, `IoCopyCurrentIrpStackLocationToNext(${irp})`)] } : undefined,
      });
    };
    return {
      assignment_expression(assignment) {
        if (assignment.childForFieldName('operator')?.text !== '=') return;
        const left = unwrap(assignment.childForFieldName('left'));
        const right = unwrap(assignment.childForFieldName('right'));
        if (left?.type !== 'pointer_expression' || right?.type !== 'pointer_expression') return;
        if (left.child(0)?.text !== '*' || right.child(0)?.text !== '*') return;
        const fn = file.enclosingFunction(assignment);
        const next = stackLocationOf(file, fn, left.childForFieldName('argument'), 'next');
        const current = stackLocationOf(file, fn, right.childForFieldName('argument'), 'current');
        if (next && current && next === current) report(assignment, next, left.childForFieldName('argument')!.text);
      },
      call_expression(call) {
        if (!COPIES.has(calleeName(call) ?? '')) return;
        const [destination, source, length] = callArguments(call);
        if (!length || !destination || !source) return;
        const size = length.text.replace(/\s+/g, '');
        const whole = /^sizeof\((IO_STACK_LOCATION|struct_IO_STACK_LOCATION)\)$/.test(size)
          || size === `sizeof(*${unwrap(destination)?.text.replace(/\s+/g, '')})` || size === `sizeof(*${unwrap(source)?.text.replace(/\s+/g, '')})`;
        if (!whole) return;
        const fn = file.enclosingFunction(call);
        const next = stackLocationOf(file, fn, destination, 'next');
        const current = stackLocationOf(file, fn, source, 'current');
        if (next && current && next === current) report(call, next, unwrap(destination)!.text);
      },
    };
  },
};
