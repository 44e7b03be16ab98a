/**
 * Flags using the result of a pool allocation, MmMapIoSpace or IoAllocateMdl before checking it for NULL:
 * allocations fail under memory pressure (and under Driver Verifier's fault injection), and a NULL dereference
 * in the kernel is a bug check or, on old systems, an exploitable NULL-page write.
 */
import { failureExit } from '../analysis/fix-helpers';
import { callArguments, calleeName, declaratorName, enclosingStatement, unwrap, type Node, typeOf } from '../analysis/query';
import type { Rule } from '../analysis/rule';

const ALLOCATORS = new Set([
  'ExAllocatePool2', 'ExAllocatePool3', 'ExAllocatePoolWithTag', 'ExAllocatePool', 'ExAllocatePoolZero',
  'ExAllocatePoolUninitialized', 'ExAllocatePoolWithTagPriority', 'ExAllocatePoolPriorityZero',
  'MmMapIoSpace', 'MmMapIoSpaceEx', 'IoAllocateMdl', 'MmAllocateContiguousMemory', 'MmAllocateContiguousMemorySpecifyCache',
  'MmAllocateNonCachedMemory', 'ExAllocateFromNPagedLookasideList', 'ExAllocateFromPagedLookasideList', 'MmGetSystemAddressForMdlSafe',
]);

/** Uses of `name` that dereference it. */
function isDereference(use: Node): boolean {
  const parent = use.parent;
  if (!parent) return false;
  if (parent.type === 'field_expression' && parent.childForFieldName('argument')?.id === use.id && parent.childForFieldName('operator')?.text === '->') return true;
  if (parent.type === 'subscript_expression' && parent.childForFieldName('argument')?.id === use.id) return true;
  if (parent.type === 'pointer_expression' && (parent.childForFieldName('operator')?.text ?? parent.child(0)?.text) === '*') return true;
  if (parent.type === 'argument_list') {
    const call = parent.parent;
    const name = call ? calleeName(call) : undefined;
    return name !== undefined && /^(RtlCopyMemory|memcpy|memmove|RtlMoveMemory|RtlZeroMemory|memset|RtlFillMemory|RtlSecureZeroMemory)$/.test(name);
  }
  return false;
}

/**
 * The first identifier `name` in `body` that starts at or after `from` (document order). Found through the text
 * instead of a walk of every identifier of the body: each occurrence of the name in the parsed text is looked up
 * (an identifier with that text starts where the text has the name, so none is missed).
 */
function firstIdentifierAfter(body: Node, name: string, from: number): Node | undefined {
  if (name === '') return undefined;
  const start = body.startIndex;
  const text = body.text;
  for (let index = text.indexOf(name, Math.max(0, from - start)); index !== -1; index = text.indexOf(name, index + 1)) {
    const node = body.descendantForIndex(start + index, start + index + name.length);
    if (node && node.type === 'identifier' && node.startIndex === start + index && node.text === name) return node;
  }
  return undefined;
}

export const rule: Rule = {
  meta: {
    id: 'alloc-result-unchecked',
    title: 'Allocation result used without a NULL check',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.secure-coding',
    scope: 'function',
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
        const allocator = calleeName(call);
        if (!allocator || !ALLOCATORS.has(allocator)) return;
        if (allocator === 'ExAllocatePool2' && /POOL_FLAG_RAISE_ON_FAILURE/.test(callArguments(call)[0]?.text ?? '')) return;
        // `p = Alloc(...)` or `T p = Alloc(...)`, possibly through a cast.
        let holder: Node = call;
        let parent = holder.parent;
        while (parent && (parent.type === 'cast_expression' || parent.type === 'parenthesized_expression')) {
          holder = parent;
          parent = holder.parent;
        }
        let name: string | undefined;
        if (parent?.type === 'assignment_expression' && parent.childForFieldName('right')?.id === holder.id) {
          const left = unwrap(parent.childForFieldName('left'));
          if (left && typeOf(left) === 'identifier') name = left.text;
        } else if (parent?.type === 'init_declarator') {
          name = declaratorName(parent.childForFieldName('declarator'));
        }
        const fn = file.enclosingFunction(call);
        if (!name || !fn?.body) return;
        const statement = enclosingStatement(call);
        // The first mention of the name after the allocation decides: a check, an escape, or a dereference.
        const first = firstIdentifierAfter(fn.body, name, statement.endIndex);
        if (!first || !isDereference(first)) return;
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
