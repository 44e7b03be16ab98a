/**
 * Flags a shared reference count decremented with an interlocked call whose result is thrown away, then read again
 * to decide whether to free: between the two, another thread can decrement it too (both see zero: a double free)
 * or free the object (the read is a use after free). The value the interlocked call returns is the only one that
 * belongs to this thread.
 */
import { findDeclaration } from '../analysis/declarations';
import { accessPath, baseIdentifier, callArguments, calleeName, unwrap, type Node } from '../analysis/query';
import { lineOf, type Rule } from '../analysis/rule';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';

const DECREMENTS = new Set(['InterlockedDecrement', 'InterlockedDecrement64', 'InterlockedDecrementAcquire', 'InterlockedDecrementRelease', '_InterlockedDecrement', '_InterlockedDecrement64', 'InterlockedDecrementSizeT']);

/**
 * Counter names that count references or outstanding work (what decides an object's end), not elements of a list a
 * lock protects (`NumberDevices`, `LockCount` are changed under the driver's lock and re-read by design).
 */
const REFERENCE_COUNTER = /(ref(erence)?s?(count|cnt)?|use(s|count)|usage(count)?|outstanding(io|irps?|requests?)?|open(count|handles)?|handles?count|pending(io|irps?|requests?)?|active(count|requests?)?|inuse|iocount)$/i;

/** Calls that end an object or let its owner end it, under a reference-count decision. */
const RELEASE_ACTION = /Free|Delete|Dereference|Release|Destroy|Cleanup|KeSetEvent|Signal|IoCompleteRequest|WdfRequestComplete/;

/** A counter other threads can reach: a field through a pointer, or a file-scope variable (or a field of one). */
function isShared(file: SourceFile, fn: FunctionInfo, counter: Node): boolean {
  if (/->/.test(counter.text)) return true;
  const base = counter.type === 'identifier' ? counter.text : baseIdentifier(counter);
  if (!base) return false;
  const declaration = findDeclaration(file, fn, base);
  return declaration ? !declaration.isLocal || declaration.isPointer : true;
}

/** Whether an occurrence of the counter is a plain read (not an assignment target, not the operand of `&`). */
function isRead(occurrence: Node): boolean {
  let node = occurrence;
  while (node.parent && node.parent.type === 'parenthesized_expression') node = node.parent;
  const parent = node.parent;
  if (!parent) return false;
  if (parent.type === 'pointer_expression' && parent.text.startsWith('&')) return false;
  if (parent.type === 'assignment_expression' && parent.childForFieldName('left')?.id === node.id) return false;
  if (parent.type === 'update_expression') return false;
  return true;
}

/**
 * Whether the read decides something: it sits in the condition of an if, loop or `?:`, or is returned. A read in a
 * trace message races too, but decides nothing.
 */
function decides(file: SourceFile, read: Node, body: Node): boolean {
  for (let node: Node | null = read; node && node.id !== body.id; node = node.parent) {
    const parent = node.parent;
    if (!parent) break;
    if (parent.type === 'return_statement') return true;
    if (['if_statement', 'while_statement', 'do_statement', 'for_statement', 'conditional_expression'].includes(parent.type) && parent.childForFieldName('condition')?.id === node.id) {
      const controlled = parent.childForFieldName('consequence') ?? parent.childForFieldName('body');
      return controlled !== null && file.within(controlled, 'call_expression').some((call) => RELEASE_ACTION.test(calleeName(call) ?? ''));
    }
    if (parent.type.endsWith('_statement') && parent.type !== 'parenthesized_expression') return false;
  }
  return false;
}

/** Whether `later` can run after `statement`: not in a branch that excludes it (the other arm of an if, another case). */
function runsAfter(statement: Node, later: Node): boolean {
  let ancestor: Node | null = statement.parent;
  while (ancestor && !(ancestor.startIndex <= later.startIndex && later.endIndex <= ancestor.endIndex)) ancestor = ancestor.parent;
  if (!ancestor) return false;
  if (ancestor.type === 'if_statement') {
    const consequence = ancestor.childForFieldName('consequence');
    return !(consequence && consequence.startIndex <= statement.startIndex && statement.endIndex <= consequence.endIndex);
  }
  // Two cases of one switch: the read is in another case unless the statement's case falls through to it (rare: not modelled).
  const caseOf = (node: Node) => { let current: Node | null = node; while (current && current.id !== ancestor!.id && current.type !== 'case_statement') current = current.parent; return current?.type === 'case_statement' ? current.id : undefined; };
  const first = caseOf(statement);
  return first === undefined || first === caseOf(later);
}

export const rule: Rule = {
  meta: {
    id: 'refcount-reread-after-decrement',
    title: 'Reference count read again after InterlockedDecrement',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.secure-coding',
    scope: 'function-local',
    description: 'A shared reference or outstanding-work counter is decremented with InterlockedDecrement (the result discarded) and then read again, typically to decide whether the object can be freed.',
    rationale: 'The interlocked call returns the value this thread produced; reading the counter again returns whatever other threads made of it since. Two threads that release the last two references can both read zero and both free the object (a double free), or one frees it while the other still reads the count (a use after free). Both corrupt pool and are reachable by any caller that can issue requests concurrently. Use the returned value: `if (InterlockedDecrement(&obj->RefCount) == 0) { free }`.',
    cwe: ['CWE-367', 'CWE-416'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-interlockeddecrement',
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/life-cycle-of-an-object',
    ],
    confidence: 'high',
    messages: {
      reread: '`{{counter}}` is read again after {{call}} on line {{line}} discarded the value it returned: another thread may have decremented or freed it in between. Test the value {{call}} returns instead.',
    },
    examples: {
      bad: 'VOID Release(PSESSION session) {\n    InterlockedDecrement(&session->RefCount);\n    if (session->RefCount == 0) {\n        ExFreePoolWithTag(session, \'sseS\');\n    }\n}',
      good: 'VOID Release(PSESSION session) {\n    if (InterlockedDecrement(&session->RefCount) == 0) {\n        ExFreePoolWithTag(session, \'sseS\');\n    }\n}',
    },
  },
  create(context) {
    const { file } = context;
    return {
      call_expression(call) {
        const name = calleeName(call);
        if (!name || !DECREMENTS.has(name) || call.parent?.type !== 'expression_statement') return;
        const argument = unwrap(callArguments(call)[0]);
        if (argument?.type !== 'pointer_expression' || !argument.text.startsWith('&')) return;
        const counter = unwrap(argument.childForFieldName('argument'));
        const fn = file.enclosingFunction(call);
        const path = counter ? accessPath(counter) : undefined;
        if (!counter || !fn?.body || !path || !isShared(file, fn, counter)) return;
        const counterName = counter.type === 'field_expression' ? counter.childForFieldName('field')?.text : counter.text;
        if (!counterName || !REFERENCE_COUNTER.test(counterName)) return;
        const field = counter.type === 'field_expression' ? 'field_expression' : 'identifier';
        const reread = file.within(fn.body, field).find((candidate) => candidate.startIndex >= call.endIndex && accessPath(candidate) === path && isRead(candidate) && decides(file, candidate, fn.body!) && runsAfter(call.parent!, candidate));
        if (!reread) return;
        context.report({ node: reread, messageId: 'reread', data: { counter: path, call: name, line: lineOf(call) } });
      },
    };
  },
};
