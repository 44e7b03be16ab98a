/**
 * Flags using the result of a pool allocation, MmMapIoSpace or IoAllocateMdl before checking it for NULL:
 * allocations fail under memory pressure (and under Driver Verifier's fault injection), and a NULL dereference
 * in the kernel is a bug check or, on old systems, an exploitable NULL-page write.
 */
import { failureExit } from '../analysis/fix-helpers';
import { uncheckedFirstUse } from '../analysis/nullable';
import { calleeName } from '../analysis/query';
import type { Rule } from '../analysis/rule';

export const rule: Rule = {
  meta: {
    id: 'alloc-result-unchecked',
    title: 'Allocation result used without a NULL check',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.secure-coding',
    scope: 'function-local',
    description: 'The pointer returned by a pool allocation, MmMapIoSpace or IoAllocateMdl is dereferenced before it is checked for NULL.',
    rationale: 'Kernel allocations fail: under memory pressure, with a huge size chosen by the caller, or when Driver Verifier injects failures. Dereferencing the NULL result crashes the machine (a denial of service any user can trigger when the size comes from a request). Check every result and fail the request with STATUS_INSUFFICIENT_RESOURCES.',
    cwe: ['CWE-476', 'CWE-690'],
    references: ['https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-exallocatepool2'],
    confidence: 'high',
    messages: {
      unchecked: '`{{name}}` from {{call}} is used without a NULL check; the allocation can fail.',
    },
    hasSuggestions: true,
    examples: {
      bad: "PCONTEXT context = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(CONTEXT), 'xtnC');\ncontext->State = 0;",
      good: "PCONTEXT context = ExAllocatePool2(POOL_FLAG_NON_PAGED, sizeof(CONTEXT), 'xtnC');\nif (context == NULL) {\n    return STATUS_INSUFFICIENT_RESOURCES;\n}\ncontext->State = 0;",
    },
  },
  create(context) {
    const { file } = context;
    return {
      call_expression(call) {
        const found = uncheckedFirstUse(file, call);
        if (!found) return;
        const { name, use: first, statement } = found;
        const allocator = calleeName(call) ?? '';
        const fn = file.enclosingFunction(call);
        const indent = file.indentationOf(statement);
        const exit = failureExit(fn, 'STATUS_INSUFFICIENT_RESOURCES');
        context.report({
          node: first.parent ?? first,
          messageId: 'unchecked',
          data: { name, call: allocator },
          related: [{ node: call, message: 'allocated here' }],
          suggestions: [{
            title: `Return when ${name} is NULL`,
            edits: [{ start: statement.endIndex, end: statement.endIndex, text: `${file.eol}${indent}if (${name} == NULL) {${file.eol}${indent}    ${exit}${file.eol}${indent}}` }],
          }],
        });
      },
    };
  },
};
