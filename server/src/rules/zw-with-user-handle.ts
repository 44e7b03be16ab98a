/**
 * Flags Zw* routines given a handle or a raw user-mode address straight from a request. Called from a driver,
 * Zw routines run with PreviousMode = KernelMode: handles are not checked against the caller's access (and kernel
 * handles are accepted), and buffers are not probed (a kernel address passes).
 */
import { callArguments, calleeName, unwrap, type Node } from '../analysis/query';
import { anyCheckReaches } from '../analysis/conditional';
import { isKernelOnlyEntry, isModeChecked } from '../analysis/previous-mode';
import type { Rule } from '../analysis/rule';
import type { SourceFile } from '../analysis/source-file';
import { lookupTable } from '../analysis/lookup';

/** Zw routines that act on existing handles, with the positions of those handles. */
const HANDLE_ARGUMENTS: Record<string, number[]> = lookupTable({
  ZwClose: [0],
  ZwReadFile: [0],
  ZwWriteFile: [0],
  ZwQueryInformationFile: [0],
  ZwSetInformationFile: [0],
  ZwQueryDirectoryFile: [0],
  ZwQueryVolumeInformationFile: [0],
  ZwFsControlFile: [0],
  ZwDeviceIoControlFile: [0],
  ZwFlushBuffersFile: [0],
  ZwLockFile: [0],
  ZwUnlockFile: [0],
  ZwQueryKey: [0],
  ZwQueryValueKey: [0],
  ZwSetValueKey: [0],
  ZwDeleteKey: [0],
  ZwDeleteValueKey: [0],
  ZwEnumerateKey: [0],
  ZwEnumerateValueKey: [0],
  ZwFlushKey: [0],
  ZwMapViewOfSection: [0, 1],
  ZwUnmapViewOfSection: [0],
  ZwAllocateVirtualMemory: [0],
  ZwFreeVirtualMemory: [0],
  ZwProtectVirtualMemory: [0],
  ZwQueryVirtualMemory: [0],
  ZwQueryInformationProcess: [0],
  ZwSetInformationProcess: [0],
  ZwQueryInformationThread: [0],
  ZwSetInformationThread: [0],
  ZwDuplicateObject: [0, 1, 2],
  ZwSetEvent: [0],
  ZwResetEvent: [0],
  ZwClearEvent: [0],
  ZwWaitForSingleObject: [0],
  ZwQueryObject: [0],
  ZwQuerySecurityObject: [0],
  ZwSetSecurityObject: [0],
  ZwMakeTemporaryObject: [0],
  ZwQueryInformationToken: [0],
  ZwSetInformationToken: [0],
  ZwAdjustPrivilegesToken: [0],
  ZwOpenProcessTokenEx: [0],
  ZwOpenThreadTokenEx: [0],
  ZwSuspendProcess: [0],
  ZwResumeProcess: [0],
});

/** Covered by their own rules: process termination (user-process-control), named opens (kernel-file-access-no-force-check). */
const OTHER_RULES = /^Zw(TerminateProcess|Open|Create)/;

/** An earlier ObReferenceObjectByHandle of the same handle with the caller's mode validated it. */
function referencedWithCallerMode(file: SourceFile, body: Node, handle: Node, call: Node): boolean {
  const text = unwrap(handle)?.text.replace(/\s+/g, '');
  const references = file.within(body, 'call_expression').filter((candidate) => {
    if (candidate.startIndex >= call.startIndex || !/^ObReferenceObjectByHandle(WithTag)?$/.test(calleeName(candidate) ?? '')) return false;
    const args = callArguments(candidate);
    return unwrap(args[0])?.text.replace(/\s+/g, '') === text && !/^\s*KernelMode\s*$/.test(args[3]?.text ?? 'KernelMode');
  });
  return anyCheckReaches(file, references, call.startIndex);
}

export const rule: Rule = {
  meta: {
    id: 'zw-with-user-handle',
    title: 'Zw routine called with a user handle or user address',
    type: 'problem',
    severity: 'warning',
    checklistItem: 'checklist.security-model',
    scope: 'function',
    callerLevels: 0,
    description: 'A Zw* routine is called with a handle or a raw user-mode buffer address taken straight from a request.',
    rationale: 'A driver calling a Zw routine runs it with PreviousMode = KernelMode. The object manager then neither checks that the handle grants the requested access nor rejects kernel handles, and the routine does not probe buffer addresses. A caller can therefore pass a handle it opened with no rights (or a guessed kernel handle) and have the driver read, write or close the object, or pass a kernel address and have the routine write to it. Reference the handle with ObReferenceObjectByHandle(…, Irp->RequestorMode, …) and work on the object, or copy user data into kernel memory first.',
    cwe: ['CWE-863', 'CWE-822'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/using-nt-and-zw-versions-of-the-native-system-services-routines',
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/previousmode',
    ],
    confidence: 'medium',
    messages: {
      handle: '{{call}} is called with `{{value}}`, a handle from user input ({{origin}}): with PreviousMode = KernelMode the caller\'s access to it is not checked and kernel handles are accepted.',
      buffer: '{{call}} is given `{{value}}`, a user-mode address ({{origin}}): with PreviousMode = KernelMode it is not probed, so the caller can make the routine access kernel memory.',
    },
    examples: {
      bad: 'PFILE_REQUEST request = (PFILE_REQUEST)Irp->AssociatedIrp.SystemBuffer;\nstatus = ZwWriteFile(request->File, NULL, NULL, NULL, &io, request->Data, sizeof(request->Data), NULL, NULL);',
      good: 'PFILE_REQUEST request = (PFILE_REQUEST)Irp->AssociatedIrp.SystemBuffer;\nstatus = ObReferenceObjectByHandle(request->File, FILE_WRITE_DATA, *IoFileObjectType, Irp->RequestorMode, (PVOID *)&file, NULL);',
    },
  },
  create(context) {
    const { file } = context;
    return {
      call_expression(call) {
        const name = calleeName(call);
        if (!name || !name.startsWith('Zw') || OTHER_RULES.test(name)) return;
        if (unwrap(call.childForFieldName('function'))?.type !== 'identifier') return;
        const fn = file.enclosingFunction(call);
        if (!fn?.body) return;
        const taint = file.taint(fn);
        const args = callArguments(call);
        const handles = HANDLE_ARGUMENTS[name] ?? [];
        for (let index = 0; index < args.length; index++) {
          const argument = args[index];
          const value = taint.taintOf(argument, call.startIndex);
          if (!value) continue;
          let messageId: 'handle' | 'buffer' | undefined;
          if (value.kind === 'pointer' && !taint.isProbed(call, value.keys)) messageId = 'buffer';
          else if (value.kind === 'value' && value.fromUserMemory && handles.includes(index)) messageId = 'handle';
          if (!messageId) continue;
          if (isModeChecked(file, fn, call) || isKernelOnlyEntry(file, fn)) return;
          if (messageId === 'handle' && referencedWithCallerMode(file, fn.body, argument, call)) continue;
          context.report({
            node: call,
            messageId,
            data: { call: name, value: argument.text, origin: value.origin },
            related: [{ node: value.source, message: `user-controlled: ${value.origin}` }],
          });
          return;
        }
      },
    };
  },
};
