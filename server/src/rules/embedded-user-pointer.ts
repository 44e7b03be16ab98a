/**
 * Flags dereferencing a pointer that was read out of a user buffer (`*(request->Where) = *(request->What)`)
 * without probing it: the classic write-what-where / arbitrary-increment primitive.
 */
import { accessPath, unwrap, type Node, typeOf } from '../analysis/query';
import type { Rule } from '../analysis/rule';

export const rule: Rule = {
  meta: {
    id: 'embedded-user-pointer',
    title: 'Pointer from a user buffer dereferenced without a probe',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.secure-coding',
    scope: 'function',
    description: 'A pointer stored inside a user buffer is dereferenced without ProbeForRead/ProbeForWrite.',
    rationale: 'METHOD_BUFFERED copies the request into kernel memory, but a pointer inside it still points wherever the caller wants, including kernel addresses. Reading or writing through it gives user mode an arbitrary kernel read/write (write-what-where, arbitrary increment). Check Irp->RequestorMode, probe the pointer for the exact size inside __try/__except, and access it only there.',
    cwe: ['CWE-822', 'CWE-123'],
    references: ['https://learn.microsoft.com/windows-hardware/drivers/kernel/errors-in-referencing-user-space-addresses'],
    confidence: 'high',
    messages: {
      dereference: '`{{expression}}` dereferences `{{pointer}}`, a pointer taken from the user\'s buffer, without ProbeForRead/ProbeForWrite: an arbitrary kernel read/write.',
    },
    examples: {
      bad: 'PWRITE_WHAT_WHERE request = (PWRITE_WHAT_WHERE)Irp->AssociatedIrp.SystemBuffer;\n*(request->Where) = *(request->What);',
      good: 'PWRITE_WHAT_WHERE request = (PWRITE_WHAT_WHERE)Irp->AssociatedIrp.SystemBuffer;\nPULONG_PTR where = request->Where;\n__try {\n    ProbeForWrite(where, sizeof(ULONG_PTR), __alignof(ULONG_PTR));\n    *where = 0;\n} __except (EXCEPTION_EXECUTE_HANDLER) {\n    return GetExceptionCode();\n}',
    },
  },
  create(context) {
    const { file } = context;
    const reported = new Set<number>();

    /** Reports when `pointer` (the dereferenced expression) holds a pointer read from user memory and not probed. */
    function check(use: Node, pointerExpression: Node | null): void {
      const pointer = unwrap(pointerExpression);
      const pointerType = pointer && typeOf(pointer);
      if (!pointer || pointerType === 'pointer_expression') return;
      const fn = file.enclosingFunction(use);
      if (!fn) return;
      const taint = file.taint(fn);
      // An identifier's taint is a variable's: without a variable ever holding a value from user memory, none is.
      if (pointerType === 'identifier' && !taint.holdsUserMemoryValue()) return;
      const value = taint.taintOf(pointer, use.startIndex);
      if (!value || value.kind !== 'value' || !value.fromUserMemory) return;
      // A subscript or member of a user struct is only an embedded pointer when it is read as one: `s->Field`.
      if (pointerType !== 'field_expression' && pointerType !== 'identifier') return;
      if (taint.isProbed(use, [...value.keys, accessPath(pointer) ?? pointer.text])) return;
      const statement = use.startIndex;
      if (reported.has(statement)) return;
      reported.add(statement);
      context.report({
        node: use,
        messageId: 'dereference',
        data: { expression: use.text, pointer: pointer.text },
        related: [{ node: value.source, message: `read from user memory: ${value.origin}` }],
      });
    }

    return {
      pointer_expression(node) {
        const operator = node.childForFieldName('operator')?.text ?? node.child(0)?.text;
        if (operator === '*') check(node, node.childForFieldName('argument'));
      },
      field_expression(node) {
        if (node.childForFieldName('operator')?.text !== '->') return;
        const argument = unwrap(node.childForFieldName('argument'));
        // `request->Field` itself reads the (kernel) copy; `request->Ptr->Field` goes through the user's pointer.
        const argumentType = argument && typeOf(argument);
        if (argument && (argumentType === 'field_expression' || argumentType === 'identifier')) check(node, argument);
      },
    };
  },
};
