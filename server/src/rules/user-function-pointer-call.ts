/** Flags calling a function pointer that was read out of user-controlled memory: user mode picks the kernel's next instruction. */
import { unwrap, typeOf } from '../analysis/query';
import type { Rule } from '../analysis/rule';

export const rule: Rule = {
  meta: {
    id: 'user-function-pointer-call',
    title: 'Call through a function pointer from a user buffer',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.secure-coding',
    scope: 'function',
    description: 'A function pointer read from a user buffer (or from an object the user controls) is called.',
    rationale: 'Calling a pointer the caller supplied executes code at an address of the caller\'s choosing in kernel mode: direct code execution, or a jump into a ROP chain when SMEP blocks user pages. Type-confusion bugs usually end here: the driver trusts an object type field from the request and calls the object\'s callback. Never take code pointers from user input; dispatch on a validated type tag to functions of the driver itself.',
    cwe: ['CWE-822', 'CWE-843'],
    references: ['https://learn.microsoft.com/windows-hardware/drivers/driversecurity/driver-security-dev-best-practices'],
    confidence: 'high',
    messages: {
      call: '`{{callee}}` calls a function pointer taken from user-controlled memory ({{origin}}): user mode chooses the code the kernel runs.',
    },
    examples: {
      bad: 'PUSER_OBJECT object = (PUSER_OBJECT)Irp->AssociatedIrp.SystemBuffer;\nobject->Callback(object->Context);',
      good: 'PUSER_OBJECT object = (PUSER_OBJECT)Irp->AssociatedIrp.SystemBuffer;\nif (object->ObjectType != OBJECT_TYPE_COUNTER) {\n    return STATUS_INVALID_PARAMETER;\n}\nCounterCallback(object->Context);',
    },
  },
  create(context) {
    const { file } = context;
    return {
      call_expression(call) {
        const callee = unwrap(call.childForFieldName('function'));
        const calleeType = callee && typeOf(callee);
        if (!callee || (calleeType !== 'field_expression' && calleeType !== 'identifier')) return;
        const fn = file.enclosingFunction(call);
        if (!fn) return;
        const taint = file.taint(fn);
        // An identifier's taint is a variable's: without a variable ever holding a value from user memory, none is.
        if (calleeType === 'identifier' && (!taint.holdsUserMemoryValue() || file.functionByName(callee.text))) return;
        const value = taint.taintOf(callee, call.startIndex);
        if (!value || value.kind !== 'value' || !value.fromUserMemory) return;
        context.report({ node: call, messageId: 'call', data: { callee: callee.text, origin: value.origin }, related: [{ node: value.source, message: `read from user memory: ${value.origin}` }] });
      },
    };
  },
};
