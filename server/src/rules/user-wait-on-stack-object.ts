/**
 * Flags a UserMode wait (KeWaitForSingleObject, KeWaitForMutexObject, KeWaitForMultipleObjects) on a dispatcher
 * object that lives on the kernel stack. A user-mode wait lets the memory manager page the thread's kernel stack
 * out; the thread that signals the event then writes to a stack that is not there, and the machine bug-checks.
 */
import { findDeclaration } from '../analysis/declarations';
import { baseIdentifier, callArguments, calleeName, unwrap, type Node } from '../analysis/query';
import { fixer, type Rule } from '../analysis/rule';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';
import { lookupTable } from '../analysis/lookup';

/** Wait routine → [object argument, wait-mode argument]. */
const WAITS: Record<string, [number, number]> = lookupTable({
  KeWaitForSingleObject: [0, 2],
  KeWaitForMutexObject: [0, 2],
});

/** The mode argument names user mode: the literal, or the requestor mode of a request (UserMode for user callers). */
function userModeWait(mode: Node | null | undefined): string | undefined {
  const node = unwrap(mode);
  if (!node) return undefined;
  if (node.text === 'UserMode') return 'UserMode';
  if (/(->|\.)RequestorMode$/.test(node.text) || /^(ExGetPreviousMode|KeGetPreviousMode|WdfRequestGetRequestorMode)\s*\(/.test(node.text)) return `${node.text} (UserMode for a user-mode caller)`;
  return undefined;
}

/**
 * The local (automatic) variable the waited object is part of: `&event`, `&context.Event`. Pointers, statics and
 * file-scope objects are not on this stack.
 */
function stackObject(file: SourceFile, fn: FunctionInfo | undefined, object: Node | null | undefined): string | undefined {
  const node = unwrap(object);
  if (node?.type !== 'pointer_expression' || !node.text.startsWith('&')) return undefined;
  const target = unwrap(node.childForFieldName('argument'));
  if (!target) return undefined;
  if (target.type === 'field_expression' && /->/.test(target.text)) return undefined; // through a pointer: wherever it points
  const name = target.type === 'identifier' ? target.text : baseIdentifier(target);
  if (!name) return undefined;
  const declaration = findDeclaration(file, fn, name);
  if (!declaration?.isLocal || declaration.isParameter || declaration.isPointer) return undefined;
  if (declaration.declaration.children.some((child) => child?.type === 'storage_class_specifier' && child.text === 'static')) return undefined;
  return target.text;
}

/**
 * For KeWaitForMultipleObjects: a local object whose address the object array holds (`objects[0] = &event;`,
 * `PVOID objects[] = { &a, &b };`).
 */
function stackObjectInArray(file: SourceFile, fn: FunctionInfo | undefined, array: Node | null | undefined): string | undefined {
  const node = unwrap(array);
  if (node?.type !== 'identifier' || !fn?.body) return undefined;
  const name = node.text;
  const declaration = findDeclaration(file, fn, name);
  const candidates: Node[] = [];
  const initializer = declaration?.initializer ? unwrap(declaration.initializer) : undefined;
  if (initializer?.type === 'initializer_list') candidates.push(...initializer.namedChildren.filter((child): child is Node => child !== null));
  for (const assignment of file.within(fn.body, 'assignment_expression')) {
    const left = unwrap(assignment.childForFieldName('left'));
    if (left?.type === 'subscript_expression' && unwrap(left.childForFieldName('argument'))?.text === name) {
      const right = assignment.childForFieldName('right');
      if (right) candidates.push(right);
    }
  }
  for (const candidate of candidates) {
    const object = stackObject(file, fn, candidate);
    if (object) return object;
  }
  return undefined;
}

export const rule: Rule = {
  meta: {
    id: 'user-wait-on-stack-object',
    title: 'UserMode wait on an event on the kernel stack',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.technology-practices',
    scope: 'function',
    callerLevels: 0,
    description: 'KeWaitForSingleObject, KeWaitForMutexObject or KeWaitForMultipleObjects waits in UserMode (or in the requestor\'s mode) on a KEVENT, semaphore, mutex or timer declared as a local variable.',
    rationale: 'A wait in UserMode allows the kernel to page out the waiting thread\'s kernel stack. A dispatcher object on that stack is then not resident: when another thread signals it (KeSetEvent from a completion routine or a DPC, at DISPATCH_LEVEL) the kernel touches paged-out memory and the system bug-checks — a crash any caller who can make the driver wait can trigger. Wait in KernelMode on objects on the stack, or put the object in non-paged memory (the device extension, a pool allocation).',
    cwe: ['CWE-662', 'CWE-400'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kewaitforsingleobject',
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/waiting-for-dispatcher-objects',
    ],
    confidence: 'high',
    messages: {
      stackWait: '{{call}} waits in {{mode}} on `{{object}}`, which is on the kernel stack: a user-mode wait lets that stack be paged out while another thread signals the object. Wait in KernelMode.',
    },
    fixable: true,
    examples: {
      bad: 'KEVENT done;\nKeInitializeEvent(&done, NotificationEvent, FALSE);\nIoSetCompletionRoutine(irp, SignalDone, &done, TRUE, TRUE, TRUE);\nstatus = IoCallDriver(lower, irp);\nif (status == STATUS_PENDING) {\n    KeWaitForSingleObject(&done, Executive, UserMode, FALSE, NULL);\n}',
      good: 'KEVENT done;\nKeInitializeEvent(&done, NotificationEvent, FALSE);\nIoSetCompletionRoutine(irp, SignalDone, &done, TRUE, TRUE, TRUE);\nstatus = IoCallDriver(lower, irp);\nif (status == STATUS_PENDING) {\n    KeWaitForSingleObject(&done, Executive, KernelMode, FALSE, NULL);\n}',
    },
  },
  create(context) {
    const { file } = context;
    return {
      call_expression(call) {
        const name = calleeName(call);
        const multiple = name === 'KeWaitForMultipleObjects';
        const wait = name ? WAITS[name] : undefined;
        if (!wait && !multiple) return;
        const args = callArguments(call);
        const modeIndex = multiple ? 4 : wait![1];
        const mode = userModeWait(args[modeIndex]);
        if (!mode) return;
        const fn = file.enclosingFunction(call);
        const object = multiple ? stackObjectInArray(file, fn, args[1]) : stackObject(file, fn, args[wait![0]]);
        if (!object) return;
        const modeNode = unwrap(args[modeIndex])!;
        context.report({
          node: call,
          messageId: 'stackWait',
          data: { call: name!, mode, object },
          fix: { title: 'Wait in KernelMode', edits: [fixer.replace(modeNode, 'KernelMode')] },
        });
      },
    };
  },
};
