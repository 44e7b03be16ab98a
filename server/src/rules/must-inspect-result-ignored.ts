/**
 * Flags a call whose result must be inspected — a DDI the WDK headers annotate `_Must_inspect_result_`, or a
 * function of this file annotated `_Must_inspect_result_` / `_Check_return_` — used as a bare statement. The
 * status is the only sign that the object, handle or buffer the call was to produce does not exist.
 */
import { findDeclaration } from '../analysis/declarations';
import { failureExit } from '../analysis/fix-helpers';
import { annotatedFunctions } from '../analysis/sal';
import { callArguments, calleeName, type Node } from '../analysis/query';
import { fixer, type Rule } from '../analysis/rule';
import type { SourceFile } from '../analysis/source-file';
import type { Severity } from '../analysis/finding';
import { lookupTable } from '../analysis/lookup';

/**
 * WDK routines annotated `_Must_inspect_result_`, with what failing leaves behind. Those whose failure leaves an
 * output the code then uses (an object, a handle, a buffer, a sum) are warnings; the rest (a link or interface
 * not registered) are information.
 */
const KNOWN: Record<string, { leaves: string; severity: Severity }> = lookupTable({
  ObReferenceObjectByHandle: { leaves: 'the object pointer unset (and no reference taken)', severity: 'warning' },
  ObReferenceObjectByHandleWithTag: { leaves: 'the object pointer unset (and no reference taken)', severity: 'warning' },
  ObReferenceObjectByPointer: { leaves: 'no reference taken', severity: 'warning' },
  ObReferenceObjectByName: { leaves: 'the object pointer unset', severity: 'warning' },
  ObOpenObjectByPointer: { leaves: 'the handle unset', severity: 'warning' },
  ObOpenObjectByName: { leaves: 'the handle unset', severity: 'warning' },
  PsLookupProcessByProcessId: { leaves: 'the process pointer unset', severity: 'warning' },
  PsLookupThreadByThreadId: { leaves: 'the thread pointer unset', severity: 'warning' },
  IoAcquireRemoveLock: { leaves: 'the device being removed (the lock was not acquired)', severity: 'warning' },
  IoAcquireRemoveLockEx: { leaves: 'the device being removed (the lock was not acquired)', severity: 'warning' },
  IoGetDeviceObjectPointer: { leaves: 'the device and file object pointers unset', severity: 'warning' },
  ZwOpenKey: { leaves: 'the key handle unset', severity: 'warning' },
  ZwOpenKeyEx: { leaves: 'the key handle unset', severity: 'warning' },
  ZwCreateKey: { leaves: 'the key handle unset', severity: 'warning' },
  ZwOpenFile: { leaves: 'the file handle unset', severity: 'warning' },
  ZwCreateFile: { leaves: 'the file handle unset', severity: 'warning' },
  ZwOpenSection: { leaves: 'the section handle unset', severity: 'warning' },
  ZwQueryValueKey: { leaves: 'the value buffer unfilled', severity: 'warning' },
  KeSaveFloatingPointState: { leaves: 'the floating-point state unsaved (using the FPU corrupts the interrupted thread)', severity: 'warning' },
  KeSaveExtendedProcessorState: { leaves: 'the processor state unsaved', severity: 'warning' },
  WdfRequestRetrieveInputBuffer: { leaves: 'the buffer pointer unset (the buffer is missing or smaller than required)', severity: 'warning' },
  WdfRequestRetrieveOutputBuffer: { leaves: 'the buffer pointer unset (the buffer is missing or smaller than required)', severity: 'warning' },
  WdfRequestRetrieveInputMemory: { leaves: 'the memory handle unset', severity: 'warning' },
  WdfRequestRetrieveOutputMemory: { leaves: 'the memory handle unset', severity: 'warning' },
  WdfRequestRetrieveInputWdmMdl: { leaves: 'the MDL pointer unset', severity: 'warning' },
  WdfRequestRetrieveOutputWdmMdl: { leaves: 'the MDL pointer unset', severity: 'warning' },
  WdfMemoryCopyToBuffer: { leaves: 'the buffer unfilled (the offset and length exceed the memory)', severity: 'warning' },
  WdfMemoryCopyFromBuffer: { leaves: 'the memory unwritten (the offset and length exceed it)', severity: 'warning' },
  RtlULongAdd: { leaves: 'the sum unset (it overflowed)', severity: 'warning' },
  RtlULongMult: { leaves: 'the product unset (it overflowed)', severity: 'warning' },
  RtlULongSub: { leaves: 'the difference unset (it underflowed)', severity: 'warning' },
  RtlSizeTAdd: { leaves: 'the sum unset (it overflowed)', severity: 'warning' },
  RtlSizeTMult: { leaves: 'the product unset (it overflowed)', severity: 'warning' },
  RtlSizeTSub: { leaves: 'the difference unset (it underflowed)', severity: 'warning' },
  RtlUIntAdd: { leaves: 'the sum unset (it overflowed)', severity: 'warning' },
  RtlUIntMult: { leaves: 'the product unset (it overflowed)', severity: 'warning' },
  RtlULongLongAdd: { leaves: 'the sum unset (it overflowed)', severity: 'warning' },
  RtlULongLongMult: { leaves: 'the product unset (it overflowed)', severity: 'warning' },
  IoCreateSymbolicLink: { leaves: 'the symbolic link missing', severity: 'information' },
  IoRegisterDeviceInterface: { leaves: 'the interface unregistered', severity: 'information' },
  IoSetDeviceInterfaceState: { leaves: 'the interface state unchanged', severity: 'information' },
});

const KNOWN_NAMES = new RegExp(`\\b(${Object.keys(KNOWN).join('|')})\\s*\\(`);

const ANNOTATED = /\b_(Must_inspect_result|Check_return)_\b/;

/** Functions this file annotates `_Must_inspect_result_` / `_Check_return_`, and whether each returns NTSTATUS (only then does the suggested NT_SUCCESS check fit). */
function mustInspectFunctions(file: SourceFile): Map<string, boolean> {
  if (!ANNOTATED.test(file.text)) return new Map();
  return new Map([...annotatedFunctions(file, '_Must_inspect_result_|_Check_return_')].map(([name, head]) => [name, /\bNTSTATUS\b/.test(head)]));
}

/**
 * The next statement tests an output of the call (`ZwOpenKey(&key, …); if (key != NULL) {…}` with key cleared
 * before): the result is inspected through what the call produced, not through its status.
 */
function testsAnOutputNext(call: Node, statement: Node): boolean {
  let next = statement.nextNamedSibling;
  while (next?.type === 'comment') next = next.nextNamedSibling;
  if (next?.type !== 'if_statement') return false;
  const condition = next.childForFieldName('condition')?.text ?? '';
  return callArguments(call).some((argument) => {
    const output = /^&\s*([A-Za-z_][\w.>-]*)$/.exec(argument.text.replace(/\(\s*PVOID\s*\*\s*\)/, '').trim())?.[1];
    return output !== undefined && condition.includes(output);
  });
}

const annotatedCache = new WeakMap<SourceFile, Map<string, boolean>>();

export const rule: Rule = {
  meta: {
    id: 'must-inspect-result-ignored',
    title: 'Result of a _Must_inspect_result_ routine ignored',
    type: 'problem',
    severity: 'warning',
    checklistItem: 'checklist.secure-coding',
    scope: 'function-local',
    description: 'A routine annotated _Must_inspect_result_ or _Check_return_ (ObReferenceObjectByHandle, ZwOpenKey, WdfRequestRetrieveInputBuffer, the ntintsafe routines, IoAcquireRemoveLock, or a function of this file) is called as a statement and its status is thrown away.',
    rationale: 'These routines report failure only through their status: on failure the object pointer, handle, buffer or sum they were to produce is not set, or the lock was not taken. Code that goes on as if the call succeeded dereferences an uninitialized pointer, closes a random handle, reads a buffer that is too small or uses an overflowed size — crashes and memory corruption a caller can provoke by making the call fail (a bad handle, a short buffer, a device being removed). Check the status; cast to (VOID) only where the failure truly does not matter.',
    cwe: ['CWE-252', 'CWE-754'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/devtest/annotating-function-behavior',
      'https://learn.microsoft.com/cpp/code-quality/c6031',
    ],
    confidence: 'high',
    messages: {
      ignored: 'The status of {{call}} is thrown away: when it fails it leaves {{leaves}}, and the code goes on as if it succeeded.',
    },
    hasSuggestions: true,
    examples: {
      bad: 'PKEVENT event;\nObReferenceObjectByHandle(request->EventHandle, EVENT_MODIFY_STATE, *ExEventObjectType, UserMode, (PVOID *)&event, NULL);\nKeSetEvent(event, IO_NO_INCREMENT, FALSE);\nObDereferenceObject(event);',
      good: 'PKEVENT event;\nNTSTATUS status = ObReferenceObjectByHandle(request->EventHandle, EVENT_MODIFY_STATE, *ExEventObjectType, UserMode, (PVOID *)&event, NULL);\nif (!NT_SUCCESS(status)) {\n    return status;\n}\nKeSetEvent(event, IO_NO_INCREMENT, FALSE);\nObDereferenceObject(event);',
    },
  },
  create(context) {
    const { file } = context;
    let annotated = annotatedCache.get(file);
    if (!annotated) annotatedCache.set(file, (annotated = mustInspectFunctions(file)));
    const local = annotated;
    // Most files call none of these: skip the per-call visits unless the text names one.
    if (local.size === 0 && !KNOWN_NAMES.test(file.text)) return {};
    return {
      call_expression(call: Node) {
        // A bare statement only: `(VOID)Call(...)` is a cast expression, an explicit decision to ignore the status.
        if (call.parent?.type !== 'expression_statement') return;
        const name = calleeName(call);
        if (!name) return;
        const known = KNOWN[name];
        if (!known && !local.has(name)) return;
        const statement = call.parent;
        if (testsAnOutputNext(call, statement)) return;
        const fn = file.enclosingFunction(call);
        const indent = file.indentationOf(statement);
        const statusVariable = ['status', 'Status', 'ntStatus', 'NtStatus', 'ntstatus'].find((candidate) => findDeclaration(file, fn, candidate)?.typeText.trim() === 'NTSTATUS');
        const check = statusVariable
          ? `${statusVariable} = ${call.text};${file.eol}${indent}if (!NT_SUCCESS(${statusVariable})) {${file.eol}${indent}    ${failureExit(fn, statusVariable)}${file.eol}${indent}}`
          : `if (!NT_SUCCESS(${call.text})) {${file.eol}${indent}    ${failureExit(fn, 'STATUS_UNSUCCESSFUL')}${file.eol}${indent}}`;
        context.report({
          node: call,
          messageId: 'ignored',
          severity: known?.severity,
          data: { call: name, leaves: known?.leaves ?? 'its outputs unset (the function is annotated to require a check)' },
          // Only NTSTATUS routines get the check: an annotated BOOLEAN or pointer function of this file needs another test.
          suggestions: known || local.get(name) ? [{ title: `Check the status of ${name}`, edits: [fixer.replace(statement, check)] }] : undefined,
        });
      },
    };
  },
};
