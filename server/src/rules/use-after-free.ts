/**
 * Flags a pointer used after it was freed (ExFreePool*, IoFreeMdl, …) on some path of the function: the memory may
 * already belong to someone else, and an attacker who can reallocate it controls what the driver reads or writes.
 * The paths come from `analysis/lifetime.ts` (a free inside an `if` reaches the uses after the `if`; a free on one
 * branch never meets a use on an exclusive branch); when a function's paths cannot be analysed, only the statements
 * after the free in its own block are searched.
 */
import { accessPath, callArguments, calleeName, contains, enclosingStatement, unwrap, type Node } from '../analysis/query';
import { FREES, freeCallOfArgument } from '../analysis/frees';
import { gather, lineOf, type Rule } from '../analysis/rule';
import { LIFETIME_NODE_TYPES, lifetimeOf, nullAfterEdit } from '../analysis/lifetime';

const LOOPS = ['for_statement', 'while_statement', 'do_statement'];

/** The first place after `statement` (same block) where `path` is used; undefined when it is reassigned first. */
function firstUseAfter(statement: Node, path: string): Node | undefined {
  const block = statement.parent;
  if (!block || block.type !== 'compound_statement') return undefined;
  let after = false;
  for (const sibling of block.namedChildren) {
    if (!sibling) continue;
    if (sibling.id === statement.id) {
      after = true;
      continue;
    }
    if (!after || sibling.type === 'comment') continue;
    for (const candidate of sibling.descendantsOfType(['identifier', 'field_expression'])) {
      if (!candidate || (accessPath(candidate) ?? candidate.text) !== path) continue;
      const parent = candidate.parent;
      // `p = NULL;` / `p = Other();` ends the danger.
      if (parent?.type === 'assignment_expression' && parent.childForFieldName('left')?.id === candidate.id) return undefined;
      if (candidate.parent && isInsideSizeof(candidate, sibling)) continue;
      if (freeCallOfArgument(candidate)) return undefined; // freed again: double-free reports it
      return candidate;
    }
    if (sibling.type !== 'expression_statement' && sibling.type !== 'declaration') return undefined; // branches: stay sure
  }
  return undefined;
}

function isInsideSizeof(node: Node, limit: Node): boolean {
  for (let current = node.parent; current && current.id !== limit.id; current = current.parent) {
    if (current.type === 'sizeof_expression') return true;
  }
  return false;
}

export const rule: Rule = {
  meta: {
    id: 'use-after-free',
    title: 'Pointer used after it was freed',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.secure-coding',
    scope: 'function-local',
    description: 'A pointer is read, written or passed on after ExFreePool*/IoFreeMdl released its memory on some path of the function.',
    rationale: 'Freed pool is handed to the next allocation of the same size, which an attacker can often make from user mode with controlled contents. A write through the stale pointer corrupts that object; a read leaks it; a call through a function pointer in it runs attacker code. Finish every use before the free and set the pointer to NULL right after it.',
    cwe: ['CWE-416'],
    references: ['https://learn.microsoft.com/windows-hardware/drivers/devtest/special-pool'],
    confidence: 'high',
    messages: {
      used: '`{{path}}` is used after {{call}} freed it on line {{line}}.',
    },
    hasSuggestions: true,
    examples: {
      bad: "ExFreePoolWithTag(context, 'xtnC');\ncontext->State = 0;",
      good: "context->State = 0;\nExFreePoolWithTag(context, 'xtnC');\ncontext = NULL;",
    },
  },
  create(context) {
    const { file } = context;
    const reported = new Set<number>();
    return {
      ...gather(...LIFETIME_NODE_TYPES),
      call_expression(call) {
        const name = calleeName(call);
        const index = name ? FREES[name] : undefined;
        if (index === undefined) return;
        const freed = unwrap(callArguments(call)[index]);
        const path = freed ? accessPath(freed) : undefined;
        if (!freed || !path) return;
        const statement = enclosingStatement(call);
        const fn = file.enclosingFunction(call);
        const lifetime = fn ? lifetimeOf(file, fn) : undefined;
        let use: Node | undefined;
        if (lifetime && lifetime.frees.has(call.id)) {
          use = lifetime.uses.find((entry) => entry.kind === 'use' && entry.free.id === call.id && !reported.has(entry.use.id))?.use;
        } else {
          if (statement.type !== 'expression_statement' || statement.namedChild(0)?.id !== call.id) return;
          for (let current = statement.parent; current; current = current.parent) {
            if (LOOPS.includes(current.type)) return; // a loop may reassign before the next turn
            if (current.type === 'function_definition') break;
          }
          use = firstUseAfter(statement, path);
        }
        if (!use || contains(call, use)) return;
        reported.add(use.id);
        const holder = call.parent?.type === 'expression_statement' ? call.parent : undefined;
        const suggestions = holder ? [nullAfter(holder, path)] : [];
        context.report({
          node: use,
          messageId: 'used',
          data: { path, call: name ?? '', line: lineOf(call) },
          related: [{ node: call, message: 'freed here' }],
          suggestions,
        });
      },
    };

    function nullAfter(statement: Node, path: string) {
      return { title: `Set ${path} to NULL after freeing it`, edits: [nullAfterEdit(file, statement, path)] };
    }
  },
};
