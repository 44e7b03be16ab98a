/**
 * Flags `a + b` / `a * b` / `a << b` on user-controlled values, and `Length - HEADER` on a user length nothing
 * compared first, used in a bounds check, an allocation size or a copy length without overflow-checked arithmetic:
 * the sum wraps around (the difference underflows) and the check passes for huge values. Also when the arithmetic
 * is stored in a local first (`bytes = Count * RecordSize; ... ExAllocatePool2(..., bytes, ...)`).
 */
import { failureExit } from '../analysis/fix-helpers';
import { findDeclaration } from '../analysis/declarations';
import { binaryOperator, callArguments, calleeName, contains, declaratorName, descendantsOfType, enclosingStatement, RELATIONAL_OPERATORS, unwrap, type Node } from '../analysis/query';
import { anyCheckReaches, inOneBuild } from '../analysis/conditional';
import { gather, lineOf, type FixDescriptor, type Rule } from '../analysis/rule';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';
import { mentions, type FunctionTaint, type Taint } from '../analysis/taint';
import { lookupTable } from '../analysis/lookup';

const SIZE_ARGUMENTS: Record<string, number> = lookupTable({
  ExAllocatePool2: 1, ExAllocatePool3: 1, ExAllocatePoolWithTag: 1, ExAllocatePool: 1, ExAllocatePoolZero: 1,
  ExAllocatePoolUninitialized: 1, ExAllocatePoolWithQuotaTag: 1,
  RtlCopyMemory: 2, memcpy: 2, memmove: 2, RtlMoveMemory: 2, RtlCopyBytes: 2,
});

/** WDF retrieve calls whose minimum length (argument 1) guarantees `length >= minimum` once they succeed. */
const WDF_MINIMUM = new Set(['WdfRequestRetrieveInputBuffer', 'WdfRequestRetrieveOutputBuffer', 'WdfRequestRetrieveUnsafeUserInputBuffer', 'WdfRequestRetrieveUnsafeUserOutputBuffer']);

/** Constant-size macros a subtrahend may be built from. */
const CONSTANT_CALLS = new Set(['FIELD_OFFSET', 'UFIELD_OFFSET', 'RTL_SIZEOF_THROUGH_FIELD', 'RTL_FIELD_SIZE', 'sizeof']);

const ARITHMETIC = new Set(['+', '*', '<<', '-']);

/** A value that does not depend on the request: a number, `sizeof`, a macro constant, FIELD_OFFSET, sums of those. */
function isConstantLike(node: Node | null | undefined): boolean {
  const inner = unwrap(node);
  if (!inner) return false;
  switch (inner.type) {
    case 'number_literal':
    case 'sizeof_expression':
    case 'offsetof_expression':
    case 'char_literal':
      return true;
    case 'identifier':
      return /^[A-Z][A-Z0-9_]*$/.test(inner.text);
    case 'call_expression':
      return CONSTANT_CALLS.has(calleeName(inner) ?? '');
    case 'binary_expression':
      return isConstantLike(inner.childForFieldName('left')) && isConstantLike(inner.childForFieldName('right'));
    default:
      return false;
  }
}

/** Where a comparison is a bounds check: the condition of these. */
const OWNERS: readonly string[] = ['if_statement', 'while_statement', 'conditional_expression', 'for_statement'];

interface Wrap {
  sum: Node;
  operator: string;
  operand: Node;
  taint: Taint;
}

export const rule: Rule = {
  meta: {
    id: 'size-arithmetic-overflow',
    title: 'Size arithmetic on user values without an overflow check',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.secure-coding',
    scope: 'function',
    callerLevels: 0,
    description: 'A user-controlled value is added to, multiplied or shifted by another (or a header size is subtracted from a user length nothing compared first) in a bounds check, an allocation size or a copy length — directly or through a local — without ntintsafe or an explicit overflow test.',
    rationale: 'ULONG arithmetic wraps: 0xFFFFFFF0 + 0x20 is 0x10, and 4 - sizeof(HEADER) is close to 4 GB. A check like `size + HEADER > sizeof(buffer)` then passes for a huge size, and the copy that follows overflows; an allocation of `count * sizeof(ENTRY)` is far smaller than what the driver writes; `Length - sizeof(HEADER)` of a short buffer is a huge copy length. Use RtlULongAdd/RtlSizeTMult/RtlULongSub (ntintsafe.h) and fail with STATUS_INTEGER_OVERFLOW, or compare each value separately (`size <= sizeof(buffer) - HEADER`, `count <= MAXULONG / sizeof(ENTRY)`, `Length >= sizeof(HEADER)` first).',
    cwe: ['CWE-190', 'CWE-191', 'CWE-131'],
    references: ['https://learn.microsoft.com/windows-hardware/drivers/ddi/ntintsafe/', 'https://learn.microsoft.com/windows-hardware/drivers/kernel/failure-to-check-the-size-of-buffers'],
    confidence: 'medium',
    messages: {
      check: '`{{expression}}` can overflow (`{{operand}}` is user-controlled), so this bounds check can pass for huge values. Use RtlULongAdd/RtlSizeTAdd and fail on overflow.',
      size: '`{{expression}}` can overflow (`{{operand}}` is user-controlled) before it is used as the size of {{call}}. Use RtlSizeTAdd/RtlSizeTMult and fail on overflow.',
      stored: '`{{expression}}` can overflow (`{{operand}}` is user-controlled); `{{local}}` is then used as {{use}} (line {{line}}). Use {{safe}} and fail on overflow.',
      underflow: '`{{expression}}` underflows when `{{operand}}` (user-controlled) is smaller than `{{subtrahend}}`, and nothing compared it first; the result is used as {{use}}. Check `{{operand}} >= {{subtrahend}}` first or use RtlULongSub.',
      storedUnderflow: '`{{expression}}` underflows when `{{operand}}` (user-controlled) is smaller than `{{subtrahend}}`, and nothing compared it first; `{{local}}` is then used as {{use}} (line {{line}}). Check `{{operand}} >= {{subtrahend}}` first or use RtlULongSub.',
    },
    hasSuggestions: true,
    examples: {
      bad: 'PREQUEST request = (PREQUEST)Irp->AssociatedIrp.SystemBuffer;\nULONG size = request->Size;\nif (size + HEADER_SIZE > sizeof(buffer)) {\n    return STATUS_INVALID_PARAMETER;\n}',
      good: 'PREQUEST request = (PREQUEST)Irp->AssociatedIrp.SystemBuffer;\nULONG size = request->Size;\nULONG total;\nif (!NT_SUCCESS(RtlULongAdd(size, HEADER_SIZE, &total)) || total > sizeof(buffer)) {\n    return STATUS_INVALID_PARAMETER;\n}',
    },
  },
  create(context) {
    const { file } = context;
    const reported = new Set<number>();

    /** The user operand of `sum` when the arithmetic can wrap and nothing before it bounds that operand. */
    const wrapOf = (sum: Node, fn: FunctionInfo, taint: FunctionTaint): Wrap | undefined => {
      const operator = binaryOperator(sum) ?? '';
      const left = sum.childForFieldName('left');
      const right = sum.childForFieldName('right');
      if (!left || !right) return undefined;
      let operand: Node | undefined;
      let value: Taint | undefined;
      if (operator === '-') {
        // `Length - HEADER`: a user length minus a constant.
        value = taint.taintOf(left, sum.startIndex);
        if (value?.kind !== 'value' || !isConstantLike(right) || taint.taintOf(right, sum.startIndex)) return undefined;
        if (wdfMinimumCovers(file, fn, sum, right)) return undefined;
        operand = left;
      } else {
        for (const side of [left, right]) {
          const sideTaint = taint.taintOf(side, sum.startIndex);
          if (sideTaint?.kind === 'value') {
            operand = side;
            value = sideTaint;
            break;
          }
        }
      }
      if (!operand || !value) return undefined;
      // An earlier bound on the value (or overflow-checked arithmetic on it) makes the arithmetic safe.
      if (taint.isGuardedBy(sum, value.keys)) return undefined;
      return { sum, operator, operand, taint: value };
    };

    const arithmetic = (node: Node | null | undefined): Node | undefined => {
      const inner = unwrap(node);
      return inner?.type === 'binary_expression' && ARITHMETIC.has(binaryOperator(inner) ?? '') ? inner : undefined;
    };

    /** `local = <arithmetic>;` (or its initializer), the last assignment of `name` before `at`. */
    const holdersByFunction = new Map<number, Node[]>();
    const storedArithmetic = (fn: FunctionInfo, name: string, at: number): { value: Node; holder: Node } | undefined => {
      if (!fn.body) return undefined;
      let holders = holdersByFunction.get(fn.node.id);
      if (!holders) {
        // Only assignments of arithmetic matter, and a compound assignment or a reset in between.
        holders = file.withinAll(fn.body, ['assignment_expression', 'init_declarator']);
        holdersByFunction.set(fn.node.id, holders);
      }
      let found: { value: Node; holder: Node } | undefined;
      for (const holder of holders) {
        if (holder.startIndex >= at) break;
        if (!inOneBuild(file, holder.startIndex, at)) continue; // stored in another `#if` arm: not this build's value
        let target: string | undefined;
        let value: Node | null;
        if (holder.type === 'init_declarator') {
          target = declaratorName(holder.childForFieldName('declarator'));
          value = holder.childForFieldName('value');
        } else {
          const left = unwrap(holder.childForFieldName('left'));
          target = left?.type === 'identifier' ? left.text : undefined;
          value = holder.childForFieldName('right');
          if (target === name && (holder.childForFieldName('operator')?.text ?? '=') !== '=') {
            found = undefined;
            continue;
          }
        }
        if (target !== name || !value) continue;
        // A use inside its own assignment (`x = x + 1` read before) is not a later use of the stored value.
        if (holder.endIndex > at) continue;
        found = { value, holder };
      }
      return found;
    };

    /**
     * Checks one use of a value (a side of a comparison, a size argument): the arithmetic written there, or the
     * arithmetic last stored in the local used there.
     */
    const checkUse = (use: Node, comparison: Node | undefined, describe: string, direct: 'check' | 'size', call?: string) => {
      const fn = file.enclosingFunction(use);
      if (!fn) return;
      const taint = file.taint(fn);
      const sum = arithmetic(use);
      if (sum) {
        const wrap = wrapOf(sum, fn, taint);
        if (!wrap || reported.has(sum.id)) return;
        reported.add(sum.id);
        report(fn, wrap, direct, describe, call);
        return;
      }
      const local = unwrap(use);
      if (local?.type !== 'identifier') return;
      const stored = storedArithmetic(fn, local.text, use.startIndex);
      const storedSum = stored && arithmetic(stored.value);
      if (!stored || !storedSum || reported.has(storedSum.id)) return;
      const wrap = wrapOf(storedSum, fn, taint);
      if (!wrap) return;
      // `total = size + HEADER; if (total < size)`: the comparison is the overflow check. A bound on the operand
      // between the arithmetic and this use bounds the stored value too.
      if (comparison && mentions(comparison, new Set(wrap.taint.keys))) return;
      if (taint.isGuardedBy(use, wrap.taint.keys)) return;
      reported.add(storedSum.id);
      report(fn, wrap, 'stored', describe, call, local.text, use, stored.holder);
    };

    const report = (fn: FunctionInfo, wrap: Wrap, kind: 'check' | 'size' | 'stored', use: string, call?: string, local?: string, at?: Node, holder?: Node) => {
      const { sum, operand, operator } = wrap;
      const safe = safeCall(file, fn, operator, [sum.childForFieldName('left'), sum.childForFieldName('right')], local ? unwrap(holder?.type === 'init_declarator' ? holder.childForFieldName('declarator') : holder?.childForFieldName('left')) : null, kind === 'size');
      const related = [{ node: wrap.taint.source, message: `user-controlled value: ${wrap.taint.origin}` }];
      const suggestions = fixFor(file, fn, wrap, safe, kind, holder);
      if (operator === '-') {
        const subtrahend = sum.childForFieldName('right')?.text ?? '';
        context.report({
          node: sum,
          messageId: local && at ? 'storedUnderflow' : 'underflow',
          data: local && at ? { expression: sum.text, operand: operand.text, subtrahend, local, use, line: lineOf(at) } : { expression: sum.text, operand: operand.text, subtrahend, use },
          related,
          suggestions,
        });
        return;
      }
      if (kind === 'stored') {
        context.report({
          node: sum,
          messageId: 'stored',
          data: { expression: sum.text, operand: operand.text, local: local ?? '', use, line: lineOf(at!), safe: safe?.name ?? 'RtlULongAdd/RtlULongMult' },
          related,
          suggestions,
        });
        return;
      }
      context.report({
        node: sum,
        messageId: kind,
        data: kind === 'check' ? { expression: sum.text, operand: operand.text } : { expression: sum.text, operand: operand.text, call: call ?? '' },
        related,
        suggestions,
      });
    };

    /**
     * The comparisons of the owner's condition whose nearest `if`/`while`/`for`/`?:` is this owner (a comparison
     * inside an owner nested in the condition is that owner's), checked for user arithmetic. Visited from the
     * condition down, never from a comparison up: `.parent` costs a descent from the root.
     */
    const condition = (owner: Node) => {
      const condition = owner.childForFieldName('condition');
      if (!condition) return;
      const conditionText = condition.text;
      if (!/[+*<>=-]/.test(conditionText)) return;
      const nested = file.withinAll(condition, OWNERS);
      const comparisons = descendantsOfType(condition, 'binary_expression');
      if (unwrap(condition)?.type === 'binary_expression' && !comparisons.some((c) => c.id === unwrap(condition)!.id)) comparisons.unshift(unwrap(condition)!);
      for (const comparison of comparisons) {
        if (nested.length > 0 && nested.some((inner) => contains(inner, comparison))) continue;
        if (!RELATIONAL_OPERATORS.has(binaryOperator(comparison) ?? '')) continue;
        for (const side of [comparison.childForFieldName('left'), comparison.childForFieldName('right')]) {
          if (!side) continue;
          const sum = arithmetic(side);
          // A loop bound that wraps makes fewer turns: only an underflowing bound (a huge count) is flagged there.
          if (owner.type === 'for_statement' && (!sum || binaryOperator(sum) !== '-')) continue;
          if (!sum && unwrap(side)?.type !== 'identifier') continue;
          checkUse(side, comparison, owner.type === 'if_statement' || owner.type === 'conditional_expression' ? 'a bounds check' : 'a loop bound', 'check');
        }
      }
    };
    return {
      ...gather('assignment_expression', 'init_declarator'),
      if_statement: condition,
      while_statement: condition,
      for_statement: condition,
      conditional_expression: condition,
      call_expression(call) {
        const name = calleeName(call) ?? '';
        const index = SIZE_ARGUMENTS[name];
        if (index === undefined) return;
        const argument = callArguments(call)[index];
        if (!argument) return;
        checkUse(argument, undefined, `the size of ${name}`, 'size', name);
      },
    };
  },
};

/** A successful WdfRequestRetrieve*Buffer(Request, MINIMUM, …) before `at` whose minimum is at least `subtrahend`. */
function wdfMinimumCovers(file: SourceFile, fn: FunctionInfo, at: Node, subtrahend: Node): boolean {
  if (!fn.body) return false;
  const wanted = subtrahend.text.replace(/\s+/g, '');
  const wantedValue = file.macros.evaluate(subtrahend.text);
  const covering: Node[] = [];
  for (const call of file.within(fn.body, 'call_expression')) {
    if (call.startIndex >= at.startIndex) break;
    if (!WDF_MINIMUM.has(calleeName(call) ?? '')) continue;
    const minimum = callArguments(call)[1];
    if (!minimum) continue;
    const value = file.macros.evaluate(minimum.text);
    // `sizeof(MESSAGE)` against `MESSAGE_HEADER`: sizes the macros cannot evaluate may well cover it (precision
    // first); a minimum of 0 or 1 covers no header.
    if (minimum.text.replace(/\s+/g, '') === wanted || (value !== undefined && wantedValue !== undefined && value >= wantedValue)
      || value === undefined || (value > 1 && wantedValue === undefined)) covering.push(call);
  }
  return anyCheckReaches(file, covering, at.startIndex);
}

const SAFE_CALLS: Record<string, { ulong: string; sizeT: string }> = {
  '+': { ulong: 'RtlULongAdd', sizeT: 'RtlSizeTAdd' },
  '*': { ulong: 'RtlULongMult', sizeT: 'RtlSizeTMult' },
  '-': { ulong: 'RtlULongSub', sizeT: 'RtlSizeTSub' },
};

/**
 * The ntintsafe call for the operator, in the width of its result: the stored local's type, else SIZE_T for sizes or
 * when an operand is SIZE_T-wide, else ULONG.
 */
function safeCall(file: SourceFile, fn: FunctionInfo, operator: string, operands: (Node | null | undefined)[], target: Node | null | undefined, size: boolean): { name: string; type: string } | undefined {
  const calls = SAFE_CALLS[operator];
  if (!calls) return undefined;
  const typeOfName = (node: Node | null | undefined) => {
    const inner = unwrap(node);
    return inner?.type === 'identifier' ? findDeclaration(file, fn, inner.text)?.typeText.trim() ?? '' : '';
  };
  const WIDE = /^(SIZE_T|size_t|ULONG_PTR)$/;
  if (target) {
    const type = typeOfName(target);
    if (WIDE.test(type)) return { name: calls.sizeT, type: 'SIZE_T' };
    if (/^(ULONG|DWORD|UINT32)$/.test(type)) return { name: calls.ulong, type: 'ULONG' };
    return undefined;
  }
  const wide = size || operands.some((node) => WIDE.test(typeOfName(node)));
  return wide ? { name: calls.sizeT, type: 'SIZE_T' } : { name: calls.ulong, type: 'ULONG' };
}

/** Operands simple enough to pass as they are (no arithmetic of their own, no side effects). */
function isSimpleOperand(node: Node | null | undefined): boolean {
  const inner = unwrap(node);
  if (!inner) return false;
  return !/[+*\-<>=?]|\+\+|--/.test(inner.text.replace(/->/g, '.')) || inner.type === 'sizeof_expression';
}

/**
 * The suggestion: compute the arithmetic with the ntintsafe call before the statement and fail with
 * STATUS_INTEGER_OVERFLOW; `local = a * b;` becomes the call itself.
 */
function fixFor(file: SourceFile, fn: FunctionInfo, wrap: Wrap, safe: { name: string; type: string } | undefined, kind: 'check' | 'size' | 'stored', holder?: Node): FixDescriptor[] | undefined {
  if (!safe) return undefined;
  const left = wrap.sum.childForFieldName('left');
  const right = wrap.sum.childForFieldName('right');
  if (!isSimpleOperand(left) || !isSimpleOperand(right)) return undefined;
  const exit = failureExit(fn, 'STATUS_INTEGER_OVERFLOW');
  const eol = file.eol;
  if (kind === 'stored') {
    if (holder?.type !== 'assignment_expression' || holder.parent?.type !== 'expression_statement' || unwrap(holder.childForFieldName('right'))?.id !== wrap.sum.id) return undefined;
    const statement = holder.parent;
    const target = holder.childForFieldName('left')!.text;
    const indent = file.indentationOf(statement);
    return [{
      title: `Compute ${target} with ${safe.name} and fail with STATUS_INTEGER_OVERFLOW`,
      edits: [{ start: statement.startIndex, end: statement.endIndex, text: `if (!NT_SUCCESS(${safe.name}(${left!.text}, ${right!.text}, &${target}))) {${eol}${indent}    ${exit}${eol}${indent}}` }],
    }];
  }
  const statement = enclosingStatement(wrap.sum);
  if (statement.parent?.type !== 'compound_statement') return undefined;
  const body = fn.body?.text ?? '';
  let name = 'checkedSize';
  for (let suffix = 2; new RegExp(`\\b${name}\\b`).test(body); suffix++) name = `checkedSize${suffix}`;
  const indent = file.indentationOf(statement);
  const before = `${safe.type} ${name};${eol}${indent}if (!NT_SUCCESS(${safe.name}(${left!.text}, ${right!.text}, &${name}))) {${eol}${indent}    ${exit}${eol}${indent}}${eol}${indent}`;
  return [{
    title: `Compute ${wrap.sum.text} with ${safe.name} and fail with STATUS_INTEGER_OVERFLOW`,
    edits: [
      { start: statement.startIndex, end: statement.startIndex, text: before },
      { start: wrap.sum.startIndex, end: wrap.sum.endIndex, text: name },
    ],
  }];
}
