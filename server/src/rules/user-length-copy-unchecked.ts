/**
 * Flags copies into a fixed-size destination whose length comes from the user (an IOCTL buffer length or a field
 * of the user's buffer) with no dominating comparison: the classic stack or pool buffer overflow.
 */
import { findDeclaration } from '../analysis/declarations';
import { failureExit, guardBefore } from '../analysis/fix-helpers';
import { binaryOperator, callArguments, calleeName, descendantsOfType, enclosingStatement, unwrap, type Node } from '../analysis/query';
import type { Rule } from '../analysis/rule';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';
import { COPY_CALLS } from '../analysis/user-pointers';
import { lookupTable } from '../analysis/lookup';

/** Copy routines as (destination, source, length) argument positions; `__movsb` too, as a copy into a buffer. */
const COPIES: Record<string, [number, number, number]> = lookupTable({ ...COPY_CALLS, __movsb: [0, 1, 2] });

const ALLOCATORS: Record<string, number> = lookupTable({
  ExAllocatePool2: 1,
  ExAllocatePool3: 1,
  ExAllocatePoolWithTag: 1,
  ExAllocatePool: 1,
  ExAllocatePoolZero: 1,
  ExAllocatePoolWithQuotaTag: 1,
});

interface Destination {
  name: string;
  /** Expression to compare the length with (`sizeof(buf)`, the allocation size). */
  limit: string;
  /** For the message: `512 bytes`, `BUFFER_SIZE elements`. */
  description: string;
}

/** The destination's capacity when it is knowable: a fixed-size array, or a local assigned from an allocation. */
function destinationOf(file: SourceFile, fn: FunctionInfo, expression: Node): Destination | undefined {
  let node = unwrap(expression);
  if (node?.type === 'pointer_expression' && node.child(0)?.text === '&') {
    const inner = unwrap(node.childForFieldName('argument'));
    if (inner?.type === 'subscript_expression') node = unwrap(inner.childForFieldName('argument'));
    else node = inner;
  }
  if (node?.type !== 'identifier') return undefined;
  const declaration = findDeclaration(file, fn, node.text);
  if (!declaration || declaration.isParameter) return undefined;
  if (declaration.isArray && declaration.arraySize) {
    const elements = file.macros.evaluate(declaration.arraySize);
    const byteSized = /^(UCHAR|CHAR|BYTE|char|unsigned char|uint8_t|int8_t|BOOLEAN)$/.test(declaration.typeText.trim());
    const count = elements === undefined ? declaration.arraySize : String(elements);
    return { name: node.text, limit: `sizeof(${node.text})`, description: byteSized ? `${count} bytes` : `${count} × ${declaration.typeText.trim()}` };
  }
  const allocation = unwrap(declaration.initializer) ?? lastAllocation(file, fn, node.text);
  if (allocation?.type === 'call_expression') {
    const sizeIndex = ALLOCATORS[calleeName(allocation) ?? ''];
    const size = sizeIndex === undefined ? undefined : callArguments(allocation)[sizeIndex];
    if (size && !file.taint(fn).taintOf(size, allocation.startIndex)) {
      return { name: node.text, limit: size.text, description: `an allocation of ${size.text} bytes` };
    }
  }
  return undefined;
}

/** `p = ExAllocatePool2(...)` assignments of a variable in the function (the last one wins). */
function lastAllocation(file: SourceFile, fn: FunctionInfo, name: string): Node | undefined {
  let found: Node | undefined;
  for (const assignment of fn.body ? file.within(fn.body, 'assignment_expression') : []) {
    if (unwrap(assignment.childForFieldName('left'))?.text !== name) continue;
    const right = unwrap(assignment.childForFieldName('right'));
    if (right?.type === 'call_expression' && ALLOCATORS[calleeName(right) ?? ''] !== undefined) found = right;
  }
  return found;
}

export const rule: Rule = {
  meta: {
    id: 'user-length-copy-unchecked',
    title: 'Copy with a user-controlled length into a fixed-size buffer',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.secure-coding',
    scope: 'function',
    callerLevels: 0,
    description: 'A memcpy/RtlCopyMemory (or an element-wise copy loop) into a fixed-size array or allocation takes its length from user input without checking it against the destination size.',
    rationale: 'The length of an IOCTL buffer, or a size field inside it, is whatever the caller wants. Copying that many bytes into a stack array or a fixed allocation overwrites adjacent memory (return addresses, pool headers) and is the most common way to turn a driver into a kernel code-execution primitive.',
    cwe: ['CWE-787', 'CWE-121', 'CWE-122'],
    references: ['https://learn.microsoft.com/windows-hardware/drivers/kernel/failure-to-check-the-size-of-buffers'],
    confidence: 'medium',
    messages: {
      unchecked: '{{callee}} copies `{{length}}` bytes ({{origin}}, user-controlled) into `{{dest}}` ({{capacity}}) without checking `{{length}} <= {{limit}}`.',
      loop: 'This loop copies element by element into `{{dest}}` ({{capacity}}) up to `{{bound}}` ({{origin}}, user-controlled), which nothing checks against the size of `{{dest}}`: a copy overflow like RtlCopyMemory with that length.',
    },
    hasSuggestions: true,
    examples: {
      bad: 'UCHAR local[64];\nRtlCopyMemory(local, input, irpSp->Parameters.DeviceIoControl.InputBufferLength);',
      good: 'UCHAR local[64];\nULONG length = irpSp->Parameters.DeviceIoControl.InputBufferLength;\nif (length > sizeof(local)) {\n    return STATUS_BUFFER_TOO_SMALL;\n}\nRtlCopyMemory(local, input, length);',
    },
  },
  create(context) {
    const { file } = context;
    /** `while (i < Size / sizeof(ULONG)) { dst[i] = src[i]; i++; }` into a fixed-size `dst` with an unchecked bound. */
    const loop = (statement: Node) => {
      const condition = unwrap(statement.childForFieldName('condition'));
      const body = statement.childForFieldName('body');
      if (!condition || !body || !/[<>]/.test(condition.text)) return;
      const comparisons = condition.type === 'binary_expression' ? [condition, ...descendantsOfType(condition, 'binary_expression')] : descendantsOfType(condition, 'binary_expression');
      for (const comparison of comparisons) {
        const operator = binaryOperator(comparison) ?? '';
        const left = unwrap(comparison.childForFieldName('left'));
        const right = unwrap(comparison.childForFieldName('right'));
        if (!left || !right) continue;
        const [index, bound] = operator === '<' || operator === '<=' ? [left, right] : operator === '>' || operator === '>=' ? [right, left] : [undefined, undefined];
        if (index?.type !== 'identifier' || !bound) continue;
        const fn = file.enclosingFunction(statement);
        if (!fn) return;
        const taint = file.taint(fn);
        const boundTaint = taint.taintOf(bound, comparison.startIndex);
        if (boundTaint?.kind !== 'value' || taint.isGuarded(statement, boundTaint)) continue;
        // Another test of the index (`&& i < RTL_NUMBER_OF(dst)`, `if (i >= MAX) break;`) bounds the copy.
        const indexName = index.text;
        const indexPattern = new RegExp(`\\b${indexName}\\b`);
        const otherTests = [...comparisons, ...descendantsOfType(body, 'binary_expression')].filter((other) => other.id !== comparison.id && /^[<>]=?$|^[!=]=$/.test(binaryOperator(other) ?? '') && indexPattern.test(other.text));
        if (otherTests.length > 0) continue;
        for (const assignment of descendantsOfType(body, 'assignment_expression')) {
          const target = unwrap(assignment.childForFieldName('left'));
          if (target?.type !== 'subscript_expression' || (assignment.childForFieldName('operator')?.text ?? '=') !== '=') continue;
          const subscript = unwrap(target.childForFieldName('index'));
          if (subscript?.type !== 'identifier' || subscript.text !== indexName) continue;
          const destinationArg = target.childForFieldName('argument');
          const destination = destinationArg ? destinationOf(file, fn, destinationArg) : undefined;
          if (!destination) continue;
          const isArray = destination.limit === `sizeof(${destination.name})`;
          const limit = isArray ? `RTL_NUMBER_OF(${destination.name})` : `(${destination.limit}) / sizeof(${destination.name}[0])`;
          const indent = file.indentationOf(statement);
          context.report({
            node: assignment,
            messageId: 'loop',
            data: { dest: destination.name, capacity: destination.description, bound: bound.text, origin: `from ${boundTaint.origin}` },
            related: [{ node: boundTaint.source, message: `user-controlled value: ${boundTaint.origin}` }, { node: comparison, message: 'the loop bound' }],
            suggestions: [{
              title: `Return STATUS_BUFFER_TOO_SMALL when ${bound.text} > ${limit}`,
              edits: [{ start: statement.startIndex, end: statement.startIndex, text: guardBefore(indent, file.eol, `${bound.text} > ${limit}`, failureExit(fn, 'STATUS_BUFFER_TOO_SMALL')) }],
            }],
          });
          return;
        }
      }
    };
    return {
      while_statement: loop,
      for_statement: loop,
      call_expression(call) {
        const callee = calleeName(call);
        const positions = callee ? COPIES[callee] : undefined;
        if (!positions) return;
        const args = callArguments(call);
        const length = args[positions[2]];
        const destinationArg = args[positions[0]];
        if (!length || !destinationArg || /\bsizeof\b/.test(length.text)) return;
        const fn = file.enclosingFunction(call);
        if (!fn) return;
        const taint = file.taint(fn);
        const lengthTaint = taint.taintOf(length, call.startIndex);
        if (lengthTaint?.kind !== 'value' || taint.isGuarded(call, lengthTaint)) return;
        const destination = destinationOf(file, fn, destinationArg);
        if (!destination) return;
        const statement = enclosingStatement(call);
        const indent = file.indentationOf(statement);
        context.report({
          node: call,
          messageId: 'unchecked',
          data: {
            callee: callee ?? '',
            length: length.text,
            origin: `from ${lengthTaint.origin}`,
            dest: destination.name,
            capacity: destination.description,
            limit: destination.limit,
          },
          related: [{ node: lengthTaint.source, message: `user-controlled value: ${lengthTaint.origin}` }],
          suggestions: [{
            title: `Return STATUS_BUFFER_TOO_SMALL when ${length.text} > ${destination.limit}`,
            edits: [{
              start: statement.startIndex,
              end: statement.startIndex,
              text: guardBefore(indent, file.eol, `${length.text} > ${destination.limit}`, failureExit(fn, 'STATUS_BUFFER_TOO_SMALL')),
            }],
          }],
        });
      },
    };
  },
};
