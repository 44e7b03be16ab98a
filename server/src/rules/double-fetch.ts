/**
 * Flags reading the same field of raw user memory (METHOD_NEITHER, Irp->UserBuffer) again after it was
 * validated: the user can change it between the check and the use (a TOCTOU double fetch).
 */
import { accessPath, ancestorOfType, contains, unwrap, type Node, typeOf } from '../analysis/query';
import { lineOf, type Rule } from '../analysis/rule';

export const rule: Rule = {
  meta: {
    id: 'double-fetch',
    title: 'User memory read again after it was validated (double fetch)',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.secure-coding',
    scope: 'function',
    callerLevels: 0,
    description: 'A field of a raw user-mode buffer is checked and then read again from user memory for the actual use.',
    rationale: 'User-mode memory can change at any moment: another thread rewrites it between the driver\'s check and its use. The second read returns a value that was never validated, so a bounded size becomes unbounded. Read each value from user memory once into a local (or copy the whole structure into kernel memory) and use only the copy.',
    cwe: ['CWE-367'],
    references: ['https://learn.microsoft.com/windows-hardware/drivers/kernel/errors-in-referencing-user-space-addresses'],
    confidence: 'medium',
    messages: {
      fetchedAgain: '`{{path}}` is read from user memory again after the check on line {{line}}: the user can change it in between. Capture it once in a local.',
    },
    examples: {
      bad: 'PREQUEST user = (PREQUEST)irpSp->Parameters.DeviceIoControl.Type3InputBuffer;\nif (user->Size > sizeof(local)) {\n    return STATUS_INVALID_PARAMETER;\n}\nRtlCopyMemory(local, user->Data, user->Size);',
      good: 'PREQUEST user = (PREQUEST)irpSp->Parameters.DeviceIoControl.Type3InputBuffer;\nULONG size = user->Size;\nif (size > sizeof(local)) {\n    return STATUS_INVALID_PARAMETER;\n}\nRtlCopyMemory(local, user->Data, size);',
    },
  },
  create(context) {
    const { file } = context;
    /** Per function: access path → the first read inside a condition. */
    const checked = new Map<number, Map<string, Node>>();
    const reported = new Set<string>();
    return {
      field_expression(node) {
        const fn = file.enclosingFunction(node);
        if (!fn) return;
        // The base is an identifier: without a variable holding a user pointer in the function, none can be one.
        const functionTaint = file.taint(fn);
        if (!functionTaint.holdsKind('pointer')) return;
        if (node.childForFieldName('operator')?.text !== '->') return;
        const base = unwrap(node.childForFieldName('argument'));
        if (!base || typeOf(base) !== 'identifier') return;
        // Only values read, not the address of a field (`&user->Data`) or a write.
        const parent = node.parent;
        if (parent?.type === 'pointer_expression' && parent.child(0)?.text === '&') return;
        const taint = functionTaint.taintOf(base, node.startIndex);
        if (!taint || taint.kind !== 'pointer') return;
        const path = accessPath(node) ?? node.text;
        let reads = checked.get(fn.node.id);
        if (!reads) {
          reads = new Map();
          checked.set(fn.node.id, reads);
        }
        const owner = ancestorOfType(node, ['if_statement', 'while_statement', 'conditional_expression']);
        const inCondition = owner?.childForFieldName('condition') && contains(owner.childForFieldName('condition')!, node);
        const firstCheck = reads.get(path);
        if (!firstCheck) {
          if (inCondition) reads.set(path, node);
          return;
        }
        if (inCondition || reported.has(`${fn.node.id}:${path}`)) return;
        reported.add(`${fn.node.id}:${path}`);
        context.report({
          node,
          messageId: 'fetchedAgain',
          data: { path, line: lineOf(firstCheck) },
          related: [{ node: firstCheck, message: 'first read, validated here' }],
        });
      },
    };
  },
};
