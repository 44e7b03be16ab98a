/**
 * Flags reading or writing through a raw user-mode address (METHOD_NEITHER Type3InputBuffer, Irp->UserBuffer,
 * WdfRequestRetrieveUnsafeUserInput/OutputBuffer) when no ProbeForRead/ProbeForWrite of that pointer comes first.
 * Pointers read out of a user buffer are embedded-user-pointer's; an access after a probe but outside `__try`
 * is probe-outside-try's.
 */
import { findDeclaration } from '../analysis/declarations';
import { failureExit } from '../analysis/fix-helpers';
import { type Node } from '../analysis/query';
import type { Rule } from '../analysis/rule';
import type { FunctionInfo, SourceFile } from '../analysis/source-file';
import {
  earlierProbe,
  kernelCallersOnly,
  onlyForKernelCallers,
  pointerNames,
  probedByCaller,
  userPointerAccess,
  wrappableStatement,
  wrapInTry,
  type UserPointerAccess,
} from '../analysis/user-pointers';

const VOID_POINTER = /^(PVOID|LPVOID|PCVOID|LPCVOID|VOID|void|HANDLE)$/;

/** The number of bytes to probe, when it can be written mechanically. */
function probeLength(file: SourceFile, fn: FunctionInfo, access: UserPointerAccess): string | undefined {
  if (access.length) {
    const text = access.length.text;
    return /\+\+|--|\(\s*\)|=/.test(text.replace(/[<>!=]=/g, '')) ? undefined : text;
  }
  if (access.pointer.type !== 'identifier') return undefined;
  const declaration = findDeclaration(file, fn, access.pointer.text);
  if (!declaration || declaration.isArray) return undefined;
  const type = declaration.typeText.trim();
  // `PVOID p` (or `VOID *p`): sizeof(*p) is not valid C.
  if (VOID_POINTER.test(type) || !declaration.isPointer) return undefined;
  return `sizeof(*${access.pointer.text})`;
}

export const rule: Rule = {
  meta: {
    id: 'user-pointer-unprobed',
    title: 'Raw user-mode pointer accessed without a probe',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.secure-coding',
    scope: 'function',
    callerLevels: 1,
    description: 'Memory is read or written through Type3InputBuffer, Irp->UserBuffer or a WDF unsafe user buffer without ProbeForRead/ProbeForWrite of that pointer first.',
    rationale: 'For METHOD_NEITHER requests (and Irp->UserBuffer) the I/O manager passes the caller\'s address untouched. The caller can pass a kernel address, so reading or writing through it without ProbeForRead/ProbeForWrite is an arbitrary kernel read/write; an unmapped user address bugchecks the machine. Probe the exact range (inside __try/__except, since probing and every later access can raise), or use METHOD_BUFFERED/direct I/O instead.',
    cwe: ['CWE-781', 'CWE-822'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/using-neither-buffered-nor-direct-i-o',
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-probeforread',
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/errors-in-referencing-user-space-addresses',
    ],
    confidence: 'high',
    messages: {
      read: '`{{expression}}` reads through `{{pointer}}` ({{origin}}, a raw user-mode address) without ProbeForRead: the caller can pass a kernel address.',
      write: '`{{expression}}` writes through `{{pointer}}` ({{origin}}, a raw user-mode address) without ProbeForWrite: the caller can pass a kernel address.',
    },
    hasSuggestions: true,
    examples: {
      bad: 'PREQUEST request = (PREQUEST)IrpSp->Parameters.DeviceIoControl.Type3InputBuffer;\ng_Mode = request->Mode;',
      good: 'PREQUEST request = (PREQUEST)IrpSp->Parameters.DeviceIoControl.Type3InputBuffer;\n__try {\n    ProbeForRead(request, sizeof(*request), 1);\n    g_Mode = request->Mode;\n} __except (EXCEPTION_EXECUTE_HANDLER) {\n    return GetExceptionCode();\n}',
    },
  },
  create(context) {
    const { file } = context;
    /** One finding per pointer and function: the first unprobed access in the text. */
    const firstAccess = new Map<string, { node: Node; fn: FunctionInfo; access: UserPointerAccess }>();

    function check(node: Node): void {
      const access = userPointerAccess(file, node);
      if (!access) return;
      const fn = file.enclosingFunction(node);
      if (!fn) return;
      const names = pointerNames(access);
      const key = `${fn.node.id}:${access.taint.origin}:${access.pointer.text}`;
      const known = firstAccess.get(key);
      if (known && known.node.startIndex <= node.startIndex) return;
      if (earlierProbe(file, fn, node, names) || probedByCaller(file, fn, access.taint) || onlyForKernelCallers(node) || kernelCallersOnly(file, fn, node)) return;
      firstAccess.set(key, { node, fn, access });
    }

    function report(node: Node, fn: FunctionInfo, access: UserPointerAccess): void {
      const probe = access.write ? 'ProbeForWrite' : 'ProbeForRead';
      const statement = wrappableStatement(node);
      const length = probeLength(file, fn, access);
      const suggestions = statement && length
        ? [{
          title: `Wrap in __try and ${probe}(${access.pointer.text}, ${length}, 1) first`,
          edits: [wrapInTry(file, statement, statement, file.indentationOf(statement), failureExit(fn, 'GetExceptionCode()'), `${probe}(${access.pointer.text}, ${length}, 1);`)],
        }]
        : undefined;
      context.report({
        node,
        messageId: access.write ? 'write' : 'read',
        data: { expression: node.text.length > 80 ? `${node.text.slice(0, 77)}...` : node.text, pointer: access.pointer.text, origin: access.taint.origin },
        related: [{ node: access.taint.source, message: `raw user-mode address: ${access.taint.origin}` }],
        suggestions,
      });
    }

    return {
      pointer_expression: check,
      field_expression: check,
      subscript_expression: check,
      call_expression: check,
      onEnd() {
        for (const { node, fn, access } of [...firstAccess.values()].sort((a, b) => a.node.startIndex - b.node.startIndex)) report(node, fn, access);
      },
    };
  },
};
