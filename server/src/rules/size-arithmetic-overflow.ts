/**
 * Flags `a + b` / `a * b` on user-controlled values used in a bounds check, an allocation size or a copy length
 * without overflow-checked arithmetic: the sum wraps around and the check passes for huge values.
 */
import { ancestorOfType, binaryOperator, callArguments, calleeName, contains, RELATIONAL_OPERATORS, unwrap, type Node } from '../analysis/query';
import type { Rule } from '../analysis/rule';
import type { FunctionTaint } from '../analysis/taint';

const SIZE_ARGUMENTS: Record<string, number> = {
  ExAllocatePool2: 1, ExAllocatePool3: 1, ExAllocatePoolWithTag: 1, ExAllocatePool: 1, ExAllocatePoolZero: 1,
  ExAllocatePoolUninitialized: 1, ExAllocatePoolWithQuotaTag: 1,
  RtlCopyMemory: 2, memcpy: 2, memmove: 2, RtlMoveMemory: 2, RtlCopyBytes: 2,
};

/** The user-controlled operand of an addition or multiplication, if any. */
function userOperand(taint: FunctionTaint, expression: Node): Node | undefined {
  for (const side of ['left', 'right']) {
    const operand = expression.childForFieldName(side);
    const value = operand ? taint.taintOf(operand, expression.startIndex) : undefined;
    if (operand && value?.kind === 'value') return operand;
  }
  return undefined;
}

export const rule: Rule = {
  meta: {
    id: 'size-arithmetic-overflow',
    title: 'Size arithmetic on user values without an overflow check',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.secure-coding',
    description: 'A user-controlled value is added to or multiplied by another in a bounds check, an allocation size or a copy length, without ntintsafe or an explicit overflow test.',
    rationale: 'ULONG arithmetic wraps: 0xFFFFFFF0 + 0x20 is 0x10. A check like `size + HEADER > sizeof(buffer)` then passes for a huge size, and the copy that follows overflows; an allocation of `count * sizeof(ENTRY)` is far smaller than what the driver writes. Use RtlULongAdd/RtlSizeTMult (ntintsafe.h) and fail on overflow, or compare each value separately.',
    cwe: ['CWE-190', 'CWE-131'],
    references: ['https://learn.microsoft.com/windows-hardware/drivers/ddi/ntintsafe/', 'https://learn.microsoft.com/windows-hardware/drivers/kernel/failure-to-check-the-size-of-buffers'],
    confidence: 'medium',
    messages: {
      check: '`{{expression}}` can overflow (`{{operand}}` is user-controlled), so this bounds check can pass for huge values. Use RtlULongAdd/RtlSizeTAdd and fail on overflow.',
      size: '`{{expression}}` can overflow (`{{operand}}` is user-controlled) before it is used as the size of {{call}}. Use RtlSizeTAdd/RtlSizeTMult and fail on overflow.',
    },
    examples: {
      bad: 'PREQUEST request = (PREQUEST)Irp->AssociatedIrp.SystemBuffer;\nULONG size = request->Size;\nif (size + HEADER_SIZE > sizeof(buffer)) {\n    return STATUS_INVALID_PARAMETER;\n}',
      good: 'PREQUEST request = (PREQUEST)Irp->AssociatedIrp.SystemBuffer;\nULONG size = request->Size;\nULONG total;\nif (!NT_SUCCESS(RtlULongAdd(size, HEADER_SIZE, &total)) || total > sizeof(buffer)) {\n    return STATUS_INVALID_PARAMETER;\n}',
    },
  },
  create(context) {
    const { file } = context;
    return {
      binary_expression(node) {
        const operator = binaryOperator(node);
        if (operator !== '+' && operator !== '*' && operator !== '<<') return;
        const parent = node.parent ? (node.parent.type === 'parenthesized_expression' ? node.parent.parent : node.parent) : null;
        if (!parent) return;
        // Where the sum is used decides whether it matters; checked first because long `a + b + …` chains
        // make every operand a binary expression, and taint on each of them would be quadratic.
        const comparison = isComparisonOperand(parent, node);
        const call = !comparison && parent.type === 'argument_list' && parent.parent?.type === 'call_expression' ? parent.parent : undefined;
        const sizeIndex = call ? SIZE_ARGUMENTS[calleeName(call) ?? ''] : undefined;
        if (!comparison && (!call || sizeIndex === undefined || callArguments(call)[sizeIndex]?.id !== unwrapAncestor(node).id)) return;
        const fn = file.enclosingFunction(node);
        if (!fn) return;
        const taint = file.taint(fn);
        const operand = userOperand(taint, node);
        if (!operand) return;
        const value = taint.taintOf(operand, node.startIndex)!;
        // An earlier bound on the value (or overflow-checked arithmetic on it) makes the sum safe.
        if (taint.isGuardedBy(node, value.keys)) return;
        if (comparison) {
          const owner = ancestorOfType(node, ['if_statement', 'while_statement', 'conditional_expression']);
          const condition = owner?.childForFieldName('condition');
          if (!condition || !contains(condition, node)) return;
          context.report({ node, messageId: 'check', data: { expression: node.text, operand: operand.text } });
          return;
        }
        context.report({ node, messageId: 'size', data: { expression: node.text, operand: operand.text, call: calleeName(call!) ?? '' } });
      },
    };
  },
};

function isComparisonOperand(parent: Node, node: Node): boolean {
  return parent.type === 'binary_expression' && RELATIONAL_OPERATORS.has(binaryOperator(parent) ?? '') && parent.childForFieldName('left')?.id !== undefined
    && (contains(parent.childForFieldName('left')!, node) || contains(parent.childForFieldName('right')!, node));
}

/** The outermost parenthesized wrapper of a node, which is what appears as the call argument. */
function unwrapAncestor(node: Node): Node {
  let current = node;
  while (current.parent?.type === 'parenthesized_expression') current = current.parent;
  return unwrap(current) === node ? current : node;
}
