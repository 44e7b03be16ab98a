/**
 * Flags reading fields of a request's input buffer (SystemBuffer, a WDF input buffer retrieved with minimum 0)
 * when nothing checked that the buffer is at least as large as the structure read.
 */
import { failureExit, guardBefore } from '../analysis/fix-helpers';
import { accessPath, callArguments, calleeName, CAST_OR_PARENTHESES, climbWrappers, contains, enclosingStatement, unwrap, typeOf, type Node } from '../analysis/query';
import { COPY_CALLS } from '../analysis/user-pointers';
import type { Rule } from '../analysis/rule';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';
import { LENGTH_KEYS } from '../analysis/taint';

/** The names whose comparison validates the request's length inside `fn`: the length fields, its length parameters and their copies. */
function lengthNamesIn(file: SourceFile, fn: FunctionInfo): string[] {
  const names = [...LENGTH_KEYS, ...fn.params.filter((param) => /Length/.test(param.name)).map((param) => param.name)];
  // `IrpSp->Parameters.Read.Length` (and Write): the buffer length of a read or write, named by its access path.
  if (fn.body) {
    for (const access of file.within(fn.body, 'field_expression')) {
      if (access.childForFieldName('field')?.text !== 'Length') continue;
      const path = accessPath(access);
      if (path && /Parameters\.(Read|Write)\.Length$/.test(path.replace(/->/g, '.'))) names.push(path);
    }
  }
  names.push(...file.taint(fn).aliasesOf(names));
  return names;
}

/**
 * A helper that reads SystemBuffer from the IRP itself (not a dispatch routine or KMDF callback) runs on behalf of
 * the routines that call it: the length is theirs to check. It is covered when every call in this file follows a
 * length check, or when the file's user entries never reach it (a worker completing requests their dispatch
 * routine validated before queueing them).
 */
function checkedByCallers(file: SourceFile, fn: FunctionInfo, seen: Set<number> = new Set()): boolean {
  const driver = file.driver;
  seen.add(fn.node.id);
  if (driver.isUserEntry(fn.name)) return false;
  const entries = file.functions().filter((other) => driver.isUserEntry(other.name));
  if (entries.length > 0 && !driver.isUserReachable(fn.name)) return true;
  // A routine handed to another call (IoQueueWorkItem(item, Worker, …), IoStartPacket's StartIo…) runs on behalf of
  // the function that hands it over: that call site is where the length had to be checked.
  const calls = file.nodes('call_expression').filter((call) => calleeName(call) === fn.name
    || callArguments(call).some((argument) => unwrap(argument)?.type === 'identifier' && unwrap(argument)?.text === fn.name));
  // Called only from the driver's other files (classpnp's helpers in utils.c for ClassDeviceControl in class.c):
  // the check belongs to those callers, which this file does not show.
  if (calls.length === 0 && file.workspace?.calledFromOtherFile(fn.name, file.fileName)) return true;
  // A call in a helper that is itself covered by its own callers (dispatch → InitiateIo → PollDevice, or a timer
  // DPC no user entry calls) is covered too: the request was checked before it was handed down the chain.
  return calls.length > 0 && calls.every((call) => {
    const caller = file.enclosingFunction(call);
    if (caller === undefined || caller.node.id === fn.node.id) return false;
    if (file.taint(caller).isGuardedBy(call, lengthNamesIn(file, caller))) return true;
    return seen.size < 4 && !seen.has(caller.node.id) && checkedByCallers(file, caller, new Set(seen));
  });
}

/** Calls that only write their first argument's memory. */
const FILLS = new Set(['RtlZeroMemory', 'RtlSecureZeroMemory', 'RtlFillMemory', 'memset']);

/** `&x->f` (a `&` pointer expression) passed as the destination of a copy or fill call. */
function isWriteDestination(address: Node): boolean {
  if ((address.childForFieldName('operator')?.text ?? address.child(0)?.text) !== '&') return false;
  const { holder, parent } = climbWrappers(address, CAST_OR_PARENTHESES);
  const call = parent?.type === 'argument_list' ? parent.parent : null;
  if (call?.type !== 'call_expression') return false;
  const name = calleeName(call) ?? '';
  const destination = COPY_CALLS[name]?.[0] ?? (FILLS.has(name) ? 0 : undefined);
  return destination !== undefined && callArguments(call)[destination]?.id === holder.id;
}

export const rule: Rule = {
  meta: {
    id: 'input-length-not-validated',
    title: 'Input buffer read without a length check',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.secure-coding',
    scope: 'function',
    description: 'A structure is read from the request\'s input buffer without checking InputBufferLength (or passing a minimum length to WdfRequestRetrieveInputBuffer).',
    rationale: 'The I/O manager allocates SystemBuffer with the caller\'s length, which can be 0 or a few bytes. Reading a structure from a shorter buffer reads past the allocation: kernel pool data leaks into the driver\'s logic or back to user mode, and writes corrupt the pool. Compare InputBufferLength with sizeof(the structure) first, or let KMDF do it by passing the size as the minimum length.',
    cwe: ['CWE-125', 'CWE-1284'],
    references: ['https://learn.microsoft.com/windows-hardware/drivers/kernel/failure-to-check-the-size-of-buffers', 'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdfrequest/nf-wdfrequest-wdfrequestretrieveinputbuffer'],
    confidence: 'medium',
    messages: {
      unchecked: '`{{expression}}` reads the input buffer ({{origin}}) but its length is never checked against sizeof the structure.',
    },
    hasSuggestions: true,
    examples: {
      bad: 'PSETTINGS settings = NULL;\nWdfRequestRetrieveInputBuffer(Request, 0, (PVOID *)&settings, NULL);\ng_Mode = settings->Mode;',
      good: 'PSETTINGS settings = NULL;\nWdfRequestRetrieveInputBuffer(Request, sizeof(SETTINGS), (PVOID *)&settings, NULL);\ng_Mode = settings->Mode;',
    },
  },
  create(context) {
    const { file } = context;
    const reportedFunctions = new Set<number>();
    return {
      field_expression(node) {
        const fn = file.enclosingFunction(node);
        if (!fn || reportedFunctions.has(fn.node.id)) return;
        // The base is an identifier: without a variable holding a user buffer in the function, none can be one.
        const taint = file.taint(fn);
        if (!taint.holdsKind('buffer')) return;
        if (node.childForFieldName('operator')?.text !== '->') return;
        const base = unwrap(node.childForFieldName('argument'));
        if (!base || typeOf(base) !== 'identifier') return;
        const buffer = taint.taintOf(base, node.startIndex);
        if (!buffer || buffer.kind !== 'buffer' || buffer.minimumLength) return;
        // Writing into the buffer (output) is another rule's business; here only reads count.
        const parent = node.parent;
        if (parent?.type === 'assignment_expression' && parent.childForFieldName('left')?.id === node.id) return;
        // `out->Flags = 0; … out->Flags |= X`: reading back the driver's own value, not the caller's input.
        if (taint.writtenByDriverBefore(node)) return;
        // `RtlCopyMemory(&out->Token, …)`: the address of a field the call writes, not a read of it.
        if (parent?.type === 'pointer_expression' && isWriteDestination(parent)) return;
        if (taint.isGuardedBy(node, lengthNamesIn(file, fn))) return;
        if (contains(fn.node, buffer.source) && checkedByCallers(file, fn)) return;
        reportedFunctions.add(fn.node.id);
        const statement = enclosingStatement(node);
        const length = buffer.origin === 'SystemBuffer' ? 'IrpSp->Parameters.DeviceIoControl.InputBufferLength' : undefined;
        context.report({
          node,
          messageId: 'unchecked',
          data: { expression: node.text, origin: buffer.origin },
          related: [{ node: buffer.source, message: `input buffer: ${buffer.origin}` }],
          suggestions: length && fn.params.some((param) => param.name === 'IrpSp')
            ? [{
              title: `Fail when the input is smaller than *${base.text}`,
              edits: [{ start: statement.startIndex, end: statement.startIndex, text: guardBefore(file.indentationOf(statement), file.eol, `${length} < sizeof(*${base.text})`, failureExit(fn, 'STATUS_BUFFER_TOO_SMALL')) }],
            }]
            : undefined,
        });
      },
    };
  },
};
