/**
 * Flags completing a request with IoStatus.Information (or WdfRequestCompleteWithInformation) set to the caller's
 * output buffer length instead of the number of bytes written: the I/O manager then copies uninitialized kernel
 * memory back to user mode.
 */
import { isDeadAt } from '../analysis/conditional';
import { analyzePaths, normalizedText } from '../analysis/paths';
import { binaryOperator, callArguments, calleeName, fieldName, unwrap, type Node } from '../analysis/query';
import type { Rule } from '../analysis/rule';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';

const FILL_CALLS = new Set(['RtlZeroMemory', 'RtlFillMemory', 'memset', 'RtlSecureZeroMemory', 'RtlCopyMemory', 'RtlCopyBytes', 'memcpy', 'RtlMoveMemory']);

/** `min(a, b)`-style macros of the WDK and the C runtime. */
const MIN_CALLS = new Set(['min', 'MIN', '__min', 'RTL_MIN', 'Min']);

/**
 * The operands of a minimum: `min(a, b)` (and its macro spellings) or a ternary that picks the smaller side of its
 * own comparison (`a < b ? a : b`, `a > b ? b : a`). Undefined for anything else (a maximum, an unrelated ternary).
 */
function minimumOperands(value: Node | null | undefined): Node[] | undefined {
  const node = unwrap(value);
  if (!node) return undefined;
  if (node.type === 'call_expression' && MIN_CALLS.has(calleeName(node) ?? '')) {
    const args = callArguments(node);
    return args.length === 2 ? [...args] : undefined;
  }
  if (node.type !== 'conditional_expression') return undefined;
  const condition = unwrap(node.childForFieldName('condition'));
  const whenTrue = unwrap(node.childForFieldName('consequence'));
  const whenFalse = unwrap(node.childForFieldName('alternative'));
  if (condition?.type !== 'binary_expression' || !whenTrue || !whenFalse) return undefined;
  const operator = binaryOperator(condition);
  const left = unwrap(condition.childForFieldName('left'))?.text.replace(/\s+/g, '');
  const right = unwrap(condition.childForFieldName('right'))?.text.replace(/\s+/g, '');
  const first = whenTrue.text.replace(/\s+/g, '');
  const second = whenFalse.text.replace(/\s+/g, '');
  const smallerFirst = operator === '<' || operator === '<=';
  const largerFirst = operator === '>' || operator === '>=';
  if ((smallerFirst && first === left && second === right) || (largerFirst && first === right && second === left)) return [whenTrue, whenFalse];
  return undefined;
}

/**
 * The function writes the whole output length itself (zeroes, fills or copies it with one of the lengths `names`
 * mention). A write in an arm no build compiles (`#if 0`) writes nothing.
 */
function fillsWholeLength(file: SourceFile, fn: FunctionInfo, names: readonly string[]): boolean {
  if (!fn.body) return false;
  return file.within(fn.body, 'call_expression').some((call) => {
    if (!FILL_CALLS.has(calleeName(call) ?? '')) return false;
    if (isDeadAt(file, call.startIndex)) return false;
    const args = callArguments(call);
    const length = calleeName(call) === 'RtlFillMemory' || calleeName(call) === 'memset' ? args[calleeName(call) === 'memset' ? 2 : 1] : args[calleeName(call) === 'RtlZeroMemory' || calleeName(call) === 'RtlSecureZeroMemory' ? 1 : 2];
    return length !== undefined && names.some((name) => length.text.includes(name));
  });
}

/**
 * Whether the value `assignment` stores into `…->IoStatus.Information` can reach the request's completion: false
 * when every path from it assigns Information again before any call that is handed the IRP (IoCompleteRequest, a
 * helper) and before the function returns. True when the paths cannot be analysed.
 */
function reachesCompletion(file: SourceFile, fn: FunctionInfo, assignment: Node): boolean {
  const left = assignment.childForFieldName('left');
  const target = normalizedText(left);
  const irp = /^([A-Za-z_]\w*)/.exec(target ?? '')?.[1];
  if (!fn.body || !target || !irp) return true;
  const mentionsIrp = new RegExp(`\\b${irp}\\b`);
  let live = false;
  const result = analyzePaths(file, fn, {
    step(flowNode, state) {
      if (!flowNode.node || live) return state.facts;
      let set = state.facts.includes('set');
      const events = [...file.within(flowNode.node, 'assignment_expression'), ...file.within(flowNode.node, 'call_expression')].sort((a, b) => a.endIndex - b.endIndex);
      for (const event of events) {
        if (event.type === 'assignment_expression') {
          if (event.startIndex === assignment.startIndex) set = true;
          else if (normalizedText(event.childForFieldName('left')) === target && (binaryOperator(event) ?? '=') === '=') set = false;
        } else if (set && callArguments(event).some((argument) => mentionsIrp.test(argument.text))) {
          live = true;
        }
      }
      return set ? ['set'] : [];
    },
  });
  if (!result || live) return true;
  return result.exits.some((exit) => result.after(exit).some((state) => state.facts.includes('set')));
}

export const rule: Rule = {
  meta: {
    id: 'information-exceeds-written',
    title: 'Information set to the output buffer length',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.secure-coding',
    scope: 'function',
    callerLevels: 0,
    description: 'A request is completed with Information equal to the caller\'s OutputBufferLength rather than the number of bytes the driver wrote.',
    rationale: 'For METHOD_BUFFERED the I/O manager copies Information bytes from the system buffer back to the caller. If the driver wrote fewer, the rest is whatever the pool held before: kernel pointers, other processes\' data. Set Information to exactly the bytes written (sizeof the result), or zero the whole output first.',
    cwe: ['CWE-200', 'CWE-908'],
    references: ['https://learn.microsoft.com/windows-hardware/drivers/kernel/buffer-descriptions-for-i-o-control-codes', 'https://learn.microsoft.com/windows-hardware/drivers/driversecurity/driver-security-dev-best-practices'],
    confidence: 'medium',
    messages: {
      information: 'Information is set to `{{value}}` ({{origin}}, chosen by the caller), not to the bytes written: unwritten kernel memory is returned to user mode.',
    },
    examples: {
      bad: 'ULONG outputLength = irpSp->Parameters.DeviceIoControl.OutputBufferLength;\n*(PULONG)Irp->AssociatedIrp.SystemBuffer = version;\nIrp->IoStatus.Information = outputLength;',
      good: 'ULONG outputLength = irpSp->Parameters.DeviceIoControl.OutputBufferLength;\n*(PULONG)Irp->AssociatedIrp.SystemBuffer = version;\nIrp->IoStatus.Information = sizeof(ULONG);',
    },
  },
  create(context) {
    const { file } = context;

    function check(at: Node, value: Node | undefined): void {
      const expression = unwrap(value);
      if (!expression) return;
      const fn = file.enclosingFunction(at);
      if (!fn) return;
      const taint = file.taint(fn).taintOf(expression, at.startIndex);
      if (!taint || taint.kind !== 'value') return;
      const outputNames = taint.keys.filter((key) => /OutputBufferLength|output.*length/i.test(key) || key === 'OutputBufferLength');
      const fromOutputLength = /OutputBufferLength|output buffer length/.test(taint.origin) || outputNames.length > 0;
      if (!fromOutputLength) return;
      // `min(OutputBufferLength, written)`: no more than either operand, so a write of either length covers it.
      const bounds = (minimumOperands(expression) ?? []).filter((operand) => operand.type !== 'number_literal').map((operand) => operand.text);
      if (fillsWholeLength(file, fn, [...taint.keys, expression.text, ...bounds])) return;
      // `Information = OutputBufferLength;` that every path overwrites before completing never reaches the caller.
      if (at.type === 'assignment_expression' && !reachesCompletion(file, fn, at)) return;
      context.report({ node: at, messageId: 'information', data: { value: expression.text, origin: taint.origin } });
    }

    return {
      assignment_expression(node) {
        const left = unwrap(node.childForFieldName('left'));
        if (fieldName(left) !== 'Information' || !left?.text.includes('IoStatus')) return;
        check(node, node.childForFieldName('right') ?? undefined);
      },
      call_expression(call) {
        const name = calleeName(call);
        if (name === 'WdfRequestCompleteWithInformation') check(call, callArguments(call)[2]);
        else if (name === 'WdfRequestSetInformation') check(call, callArguments(call)[1]);
      },
    };
  },
};
