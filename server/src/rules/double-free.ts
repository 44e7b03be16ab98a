/**
 * Flags a pointer freed twice on one path (ExFreePool*, IoFreeMdl, …) with no reassignment in between: the second
 * free corrupts the pool (a bug check at best; an attacker who reallocates the block in between gets a use-after-free).
 *
 * Paths are followed forward from the first free through the rest of its block and the enclosing blocks (leaving an
 * `if` makes the first free conditional), and through an unconditional `goto` to its label. Loops, switch cases,
 * `__try` and preprocessor branches end the search (report nothing rather than guess).
 */
import { freedArgument } from '../analysis/frees';
import { accessPath, baseIdentifier, callArguments, calleeName, declaratorName, unwrap, type Node } from '../analysis/query';
import { gather, lineOf, type Rule } from '../analysis/rule';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';

const EVENT_TYPES = ['call_expression', 'assignment_expression', 'pointer_expression', 'update_expression', 'init_declarator'];

/** Block-like parents the search may climb through; anything else ends it. */
const TRANSPARENT = new Set(['compound_statement', 'if_statement', 'else_clause', 'labeled_statement']);

type Event = { kind: 'free'; call: Node; unconditional: boolean } | { kind: 'stop' };

/** Whether `path` (or the object it lives in) is written, has its address taken, or is handed to a call. */
function touches(node: Node, path: string, base: string | undefined): boolean {
  const isField = path !== base;
  const overlaps = (other: string | undefined) => other !== undefined && (other === path || path.startsWith(`${other}->`) || path.startsWith(`${other}.`));
  switch (node.type) {
    case 'assignment_expression':
      return overlaps(accessPath(node.childForFieldName('left')));
    case 'update_expression':
      return overlaps(accessPath(node.childForFieldName('argument')));
    case 'pointer_expression': {
      const operator = node.childForFieldName('operator')?.text ?? node.child(0)?.text;
      return operator === '&' && overlaps(accessPath(node.childForFieldName('argument')));
    }
    case 'init_declarator':
      return declaratorName(node.childForFieldName('declarator')) === base;
    case 'call_expression':
      // A routine given the object that holds the field may free or replace the field.
      return isField && callArguments(node).some((arg) => {
        const argument = unwrap(arg);
        return argument !== null && overlaps(accessPath(argument)) && accessPath(argument) !== path;
      });
    default:
      return false;
  }
}

/** Whether `statement` runs whenever `top` does (only plain blocks and labels in between). */
function runsWith(statement: Node, top: Node): boolean {
  for (let current: Node = statement; current.id !== top.id;) {
    const parent = current.parent;
    if (!parent || (parent.type !== 'compound_statement' && parent.type !== 'labeled_statement')) return false;
    current = parent;
  }
  return true;
}

/**
 * A free under conditions that do not test the pointer itself (`if (allocated) ExFreePool(p);`) may be switched off
 * by a flag the first free's path cleared: judged only when no variable of those conditions is ever assigned.
 */
function guardedByFlag(file: SourceFile, fn: FunctionInfo, free: Node, top: Node, path: string, base: string | undefined): boolean {
  for (let current: Node | null = free.parent; current && current.id !== top.parent?.id; current = current.parent) {
    if (current.type !== 'if_statement' && current.type !== 'while_statement' && current.type !== 'for_statement' && current.type !== 'switch_statement') continue;
    const condition = current.childForFieldName('condition');
    if (!condition || (base && condition.text.includes(path))) continue;
    const names = new Set(file.within(condition, 'identifier').map((identifier) => identifier.text));
    const assigned = fn.body ? file.withinAll(fn.body, ['assignment_expression', 'update_expression']).some((node) => {
      const target = baseIdentifier(node.childForFieldName(node.type === 'assignment_expression' ? 'left' : 'argument'));
      return target !== undefined && names.has(target);
    }) : false;
    if (assigned) return true;
  }
  return false;
}

/** The first free of `path`, or anything that ends the search, inside one statement. */
function examine(file: SourceFile, fn: FunctionInfo, statement: Node, path: string, base: string | undefined): Event | undefined {
  if (statement.hasError) return { kind: 'stop' };
  for (const node of file.withinAll(statement, EVENT_TYPES)) {
    if (node.type === 'call_expression') {
      const freed = freedArgument(node);
      if (freed && accessPath(freed) === path) {
        const holder = node.parent;
        const unconditional = holder?.type === 'expression_statement' && runsWith(holder, statement);
        if (!unconditional && guardedByFlag(file, fn, node, statement, path, base)) return { kind: 'stop' };
        return { kind: 'free', call: node, unconditional };
      }
    }
    if (touches(node, path, base)) return { kind: 'stop' };
  }
  return undefined;
}

function findSecondFree(file: SourceFile, fn: FunctionInfo, first: Node, path: string, base: string | undefined): { call: Node } | undefined {
  let current: Node = first;
  let conditional = false;
  let jumps = 0;
  for (;;) {
    const parent = current.parent;
    if (!parent || parent.type === 'function_definition') return undefined;
    if (!TRANSPARENT.has(parent.type)) return undefined;
    if (parent.type === 'if_statement' || parent.type === 'else_clause') {
      conditional = true;
      current = parent;
      continue;
    }
    if (parent.type === 'labeled_statement') {
      current = parent;
      continue;
    }
    // compound_statement: the statements after `current`, in order.
    let after = false;
    let jumped: Node | undefined;
    for (const sibling of parent.namedChildren) {
      if (!sibling) continue;
      if (sibling.id === current.id) {
        after = true;
        continue;
      }
      if (!after || sibling.type === 'comment') continue;
      if (sibling.type.startsWith('preproc_')) return undefined;
      const event = examine(file, fn, sibling, path, base);
      if (event?.kind === 'stop') return undefined;
      if (event?.kind === 'free') {
        // A first free that only some paths reach, and a second one that only some paths reach, may never meet.
        if (conditional && !event.unconditional) return undefined;
        return { call: event.call };
      }
      if (sibling.type === 'goto_statement') {
        jumped = sibling;
        break;
      }
      if (sibling.type === 'return_statement' || sibling.type === 'break_statement' || sibling.type === 'continue_statement'
        || sibling.type === 'seh_leave_statement' || sibling.type === 'throw_statement') return undefined;
    }
    if (jumped) {
      const labelName = jumped.childForFieldName('label')?.text ?? jumped.namedChild(0)?.text;
      const label = fn.body ? file.within(fn.body, 'labeled_statement').find((candidate) => candidate.childForFieldName('label')?.text === labelName) : undefined;
      // Backward jumps form loops; one jump is enough for cleanup labels.
      if (!label || label.startIndex < jumped.startIndex || ++jumps > 2) return undefined;
      const inner = label.namedChildren.find((child) => child && child.type !== 'statement_identifier' && child.type !== 'comment');
      if (inner) {
        const event = examine(file, fn, inner, path, base);
        if (event?.kind === 'stop') return undefined;
        if (event?.kind === 'free') return conditional && !event.unconditional ? undefined : { call: event.call };
      }
      current = label;
      continue;
    }
    current = parent;
  }
}

export const rule: Rule = {
  meta: {
    id: 'double-free',
    title: 'Pointer freed twice',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.secure-coding',
    scope: 'function-local',
    description: 'The same pointer is passed to ExFreePool*/IoFreeMdl twice on one path, with no reassignment in between.',
    rationale: 'Freeing a block twice corrupts the pool: the machine bug-checks, or, if the block was handed to another allocation in between (which an attacker can arrange from user mode), the second free releases someone else\'s object and creates a use-after-free. Typical sources are error paths that free and then jump to a cleanup label that frees again. Set the pointer to NULL after freeing it and free only non-NULL pointers in the cleanup code.',
    cwe: ['CWE-415'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-exfreepoolwithtag',
      'https://learn.microsoft.com/windows-hardware/drivers/devtest/special-pool',
    ],
    confidence: 'high',
    messages: {
      twice: '`{{path}}` is freed again by {{call}}: {{first}} already freed it on line {{line}} and nothing reassigned it in between.',
    },
    examples: {
      bad: "status = Validate(context);\nif (!NT_SUCCESS(status)) {\n    ExFreePoolWithTag(context, 'xtnC');\n    goto Exit;\n}\nreturn STATUS_SUCCESS;\nExit:\nExFreePoolWithTag(context, 'xtnC');\nreturn status;",
      good: "status = Validate(context);\nif (!NT_SUCCESS(status)) {\n    goto Exit;\n}\nreturn STATUS_SUCCESS;\nExit:\nExFreePoolWithTag(context, 'xtnC');\nreturn status;",
    },
  },
  create(context) {
    const { file } = context;
    return {
      ...gather('labeled_statement'),
      call_expression(call) {
        const freed = freedArgument(call);
        const path = freed ? accessPath(freed) : undefined;
        if (!path || call.parent?.type !== 'expression_statement') return;
        const fn = file.enclosingFunction(call);
        if (!fn?.body) return;
        const second = findSecondFree(file, fn, call.parent, path, baseIdentifier(freed));
        if (!second) return;
        const name = calleeName(call) ?? '';
        context.report({
          node: second.call,
          messageId: 'twice',
          data: { path, call: calleeName(second.call) ?? '', first: name, line: lineOf(call) },
          related: [{ node: call, message: 'first freed here' }],
        });
      },
    };
  },
};
