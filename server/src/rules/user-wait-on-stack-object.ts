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

export const rule: Rule = {
  meta: {
    id: 'user-wait-on-stack-object',
    title: 'UserMode wait on an event on the kernel stack',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.technology-practices',
    scope: 'function',
    description: 'KeWaitForSingleObject or KeWaitForMutexObject waits in UserMode (or in the requestor\'s mode) on a KEVENT, semaphore, mutex or timer declared as a local variable.',
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
        const wait = name ? WAITS[name] : undefined;
        if (!wait) return;
        const args = callArguments(call);
        const mode = userModeWait(args[wait[1]]);
        if (!mode) return;
        const object = stackObject(file, file.enclosingFunction(call), args[wait[0]]);
        if (!object) return;
        const modeNode = unwrap(args[wait[1]])!;
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
