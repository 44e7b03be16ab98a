/**
 * Flags copying a local buffer or a non-zeroed pool allocation to the request's output without initializing all
 * of it: the untouched bytes (and struct padding) are kernel memory disclosed to user mode.
 */
import { findDeclaration } from '../analysis/declarations';
import { addressTarget, COPIES, isFilledBefore, isOutput, nonZeroingAllocation } from '../analysis/pool';
import { callArguments, calleeName, enclosingStatement } from '../analysis/query';
import { fixer, type Rule } from '../analysis/rule';

export const rule: Rule = {
  meta: {
    id: 'uninitialized-output-buffer',
    title: 'Uninitialized memory returned to user mode',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.secure-coding',
    scope: 'function-local',
    description: 'A stack buffer or structure, or a pool allocation that is not zeroed, is copied to the request\'s output buffer without being fully initialized.',
    rationale: 'Stack and pool memory hold whatever was there before: kernel pointers (defeating KASLR), tokens, other processes\' data. Copying an uninitialized buffer or a struct with padding to user mode discloses it. Initialize locals with `= { 0 }`, allocate with ExAllocatePool2 (which zeroes), or RtlZeroMemory the buffer before filling it.',
    cwe: ['CWE-908', 'CWE-200'],
    references: ['https://learn.microsoft.com/windows-hardware/drivers/driversecurity/driver-security-dev-best-practices', 'https://learn.microsoft.com/windows-hardware/drivers/kernel/updating-deprecated-exallocatepool-calls'],
    confidence: 'medium',
    messages: {
      local: '`{{name}}` is copied to the output buffer but was never initialized as a whole: uninitialized stack bytes reach user mode. Initialize it with `= { 0 }`.',
      pool: '`{{name}}` comes from {{allocator}}, which does not zero memory, and is copied to the output buffer without RtlZeroMemory.',
    },
    fixable: true,
    hasSuggestions: true,
    examples: {
      bad: 'REPLY reply;\nreply.Version = 1;\nRtlCopyMemory(Irp->AssociatedIrp.SystemBuffer, &reply, sizeof(reply));',
      good: 'REPLY reply = { 0 };\nreply.Version = 1;\nRtlCopyMemory(Irp->AssociatedIrp.SystemBuffer, &reply, sizeof(reply));',
    },
  },
  create(context) {
    const { file } = context;
    return {
      call_expression(call) {
        if (!COPIES.has(calleeName(call) ?? '')) return;
        const [destination, source] = callArguments(call);
        const fn = file.enclosingFunction(call);
        if (!destination || !source || !fn || !isOutput(file, fn, destination, call.startIndex)) return;
        const name = addressTarget(source);
        if (!name || /[.>[]/.test(name)) return;
        if (isFilledBefore(file, fn, name, call.startIndex)) return;
        const declaration = findDeclaration(file, fn, name);
        if (!declaration || !declaration.isLocal || declaration.isParameter) return;
        if (!declaration.isPointer && !declaration.initializer) {
          const declarator = declaration.declarator;
          context.report({
            node: call,
            messageId: 'local',
            data: { name },
            related: [{ node: declaration.declaration, message: 'declared without an initializer' }],
            fix: { title: `Initialize ${name} with { 0 }`, edits: [fixer.insertAfter(declarator, ' = { 0 }')] },
          });
          return;
        }
        const allocation = nonZeroingAllocation(file, fn, name, call.startIndex);
        if (!allocation) return;
        const statement = enclosingStatement(allocation);
        const size = callArguments(allocation)[1]?.text ?? 'size';
        context.report({
          node: call,
          messageId: 'pool',
          data: { name, allocator: calleeName(allocation) ?? '' },
          related: [{ node: allocation, message: 'allocated without zeroing here' }],
          suggestions: [{
            title: `Zero ${name} after allocating it`,
            edits: [{ start: statement.endIndex, end: statement.endIndex, text: `${file.eol}${file.indentationOf(statement)}if (${name} != NULL) {${file.eol}${file.indentationOf(statement)}    RtlZeroMemory(${name}, ${size});${file.eol}${file.indentationOf(statement)}}` }],
          }],
        });
      },
    };
  },
};
