/**
 * Flags `a + b` / `a * b` on user-controlled values used in a bounds check, an allocation size or a copy length
 * without overflow-checked arithmetic: the sum wraps around and the check passes for huge values.
 */
import { binaryOperator, callArguments, calleeName, contains, descendantsOfType, RELATIONAL_OPERATORS, unwrap, type Node } from '../analysis/query';
import type { Rule } from '../analysis/rule';
import type { FunctionTaint } from '../analysis/taint';
import { lookupTable } from '../analysis/lookup';

const SIZE_ARGUMENTS: Record<string, number> = lookupTable({
  ExAllocatePool2: 1, ExAllocatePool3: 1, ExAllocatePoolWithTag: 1, ExAllocatePool: 1, ExAllocatePoolZero: 1,
  ExAllocatePoolUninitialized: 1, ExAllocatePoolWithQuotaTag: 1,
  RtlCopyMemory: 2, memcpy: 2, memmove: 2, RtlMoveMemory: 2, RtlCopyBytes: 2,
});

/** The user-controlled operand of an addition or multiplication, if any. */
function userOperand(taint: FunctionTaint, expression: Node): Node | undefined {
  for (const side of ['left', 'right']) {
    const operand = expression.childForFieldName(side);
    const value = operand ? taint.taintOf(operand, expression.startIndex) : undefined;
    if (operand && value?.kind === 'value') return operand;
  }
  return undefined;
}

/** Where a comparison is a bounds check: the condition of these. */
const OWNERS: readonly string[] = ['if_statement', 'while_statement', 'conditional_expression'];

export const rule: Rule = {
  meta: {
    id: 'size-arithmetic-overflow',
    title: 'Size arithmetic on user values without an overflow check',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.secure-coding',
    scope: 'function',
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
    const ARITHMETIC = new Set(['+', '*', '<<']);
    /** The unguarded user operand of `sum`, if it is user arithmetic that can wrap. */
    const unguardedUserOperand = (sum: Node): Node | undefined => {
      const fn = file.enclosingFunction(sum);
      if (!fn) return undefined;
      const taint = file.taint(fn);
      const operand = userOperand(taint, sum);
      if (!operand) return undefined;
      const value = taint.taintOf(operand, sum.startIndex)!;
      // An earlier bound on the value (or overflow-checked arithmetic on it) makes the sum safe.
      return taint.isGuardedBy(sum, value.keys) ? undefined : operand;
    };
    const arithmetic = (node: Node | null | undefined): Node | undefined => {
      const inner = unwrap(node);
      return inner?.type === 'binary_expression' && ARITHMETIC.has(binaryOperator(inner) ?? '') ? inner : undefined;
    };
    /**
     * The comparisons of the owner's condition whose nearest `if`/`while`/`?:` is this owner (a comparison inside an
     * owner nested in the condition is that owner's), checked for user sums. Visited from the condition down, never
     * from a comparison up: `.parent` costs a descent from the root. Binary expressions are not gathered in the
     * engine's walk for this: they are most of the file's expressions, and few lie in conditions.
     */
    const condition = (owner: Node) => {
      const condition = owner.childForFieldName('condition');
      if (!condition) return;
      // A sum below a comparison has its `+`, `*` or `<<` in the comparison's text, hence in the condition's.
      const conditionText = condition.text;
      if (!conditionText.includes('+') && !conditionText.includes('*') && !conditionText.includes('<<')) return;
      // Owners nested in the condition (a `?:`, a statement expression): spans nest, so the ones whose span holds a
      // comparison are its ancestors below this owner.
      const nested = file.withinAll(condition, OWNERS);
      for (const comparison of descendantsOfType(condition, 'binary_expression')) {
        const text = comparison.text;
        if (!text.includes('+') && !text.includes('*') && !text.includes('<<')) continue;
        if (nested.length > 0 && nested.some((inner) => contains(inner, comparison))) continue;
        if (!RELATIONAL_OPERATORS.has(binaryOperator(comparison) ?? '')) continue;
        const sums = [comparison.childForFieldName('left'), comparison.childForFieldName('right')].map(arithmetic).filter((sum): sum is Node => sum !== undefined);
        for (const sum of sums) {
          const operand = unguardedUserOperand(sum);
          if (operand) context.report({ node: sum, messageId: 'check', data: { expression: sum.text, operand: operand.text } });
        }
      }
    };
    return {
      if_statement: condition,
      while_statement: condition,
      conditional_expression: condition,
      call_expression(call) {
        const name = calleeName(call) ?? '';
        const index = SIZE_ARGUMENTS[name];
        if (index === undefined) return;
        const sum = arithmetic(callArguments(call)[index]);
        const operand = sum && unguardedUserOperand(sum);
        if (sum && operand) context.report({ node: sum, messageId: 'size', data: { expression: sum.text, operand: operand.text, call: name } });
      },
    };
  },
};

