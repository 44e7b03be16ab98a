/**
 * Flags ObReferenceObjectByHandle(WithTag) on a handle taken from user input with AccessMode KernelMode: the
 * object manager then skips the access check and accepts kernel handles, so the caller reaches objects it could
 * never open (the System process, another user's token) through the driver.
 */
import { callArguments, calleeName, unwrap } from '../analysis/query';
import { isKernelOnlyEntry, isModeChecked, requestorModeExpression } from '../analysis/previous-mode';
import { fixer, type Rule } from '../analysis/rule';
import { lookupTable } from '../analysis/lookup';

/** Routines that resolve a handle, with the positions of the handle and AccessMode arguments. */
const REFERENCERS: Record<string, { handle: number; mode: number }> = lookupTable({
  ObReferenceObjectByHandle: { handle: 0, mode: 3 },
  ObReferenceObjectByHandleWithTag: { handle: 0, mode: 3 },
});

const KERNEL_MODE = /^\(?\s*(\(\s*KPROCESSOR_MODE\s*\)\s*)?KernelMode\s*\)?$/;

export const rule: Rule = {
  meta: {
    id: 'user-handle-kernel-mode',
    title: 'User-supplied handle referenced with KernelMode',
    type: 'problem',
    severity: 'error',
    checklistItem: 'checklist.security-model',
    scope: 'function',
    callerLevels: 0,
    description: 'ObReferenceObjectByHandle(WithTag) resolves a handle that came from user input with AccessMode KernelMode, which skips the access check.',
    rationale: 'With AccessMode KernelMode the object manager neither checks the handle\'s granted access against DesiredAccess nor rejects kernel handles. A caller can pass a handle it opened with no rights, or guess a kernel handle value, and the driver then reads, writes or signals an object the caller has no access to. Pass the mode of the request (Irp->RequestorMode, WdfRequestGetRequestorMode) so that requests from user mode get the user-mode checks.',
    cwe: ['CWE-863', 'CWE-269'],
    references: [
      'https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-obreferenceobjectbyhandle',
      'https://learn.microsoft.com/windows-hardware/drivers/kernel/failure-to-validate-object-handles',
    ],
    confidence: 'high',
    messages: {
      kernelMode: '{{call}} references `{{handle}}`, a handle from user input ({{origin}}), with KernelMode: the access check is skipped and kernel handles are accepted. Pass {{mode}}.',
    },
    fixable: true,
    hasSuggestions: true,
    examples: {
      bad: 'PEVENT_REQUEST request = (PEVENT_REQUEST)Irp->AssociatedIrp.SystemBuffer;\nstatus = ObReferenceObjectByHandle(request->Event, EVENT_MODIFY_STATE, *ExEventObjectType, KernelMode, (PVOID *)&event, NULL);',
      good: 'PEVENT_REQUEST request = (PEVENT_REQUEST)Irp->AssociatedIrp.SystemBuffer;\nstatus = ObReferenceObjectByHandle(request->Event, EVENT_MODIFY_STATE, *ExEventObjectType, Irp->RequestorMode, (PVOID *)&event, NULL);',
    },
  },
  create(context) {
    const { file } = context;
    return {
      call_expression(call) {
        const name = calleeName(call);
        const spec = name ? REFERENCERS[name] : undefined;
        if (!spec) return;
        const args = callArguments(call);
        const handle = args[spec.handle];
        const mode = args[spec.mode];
        if (!handle || !mode || !KERNEL_MODE.test(mode.text.trim())) return;
        const fn = file.enclosingFunction(call);
        if (!fn?.body) return;
        const taint = file.taint(fn).taintOf(handle, call.startIndex);
        if (!taint || taint.kind !== 'value') return;
        // `if (Irp->RequestorMode == KernelMode) { … KernelMode … }`: a kernel caller's handle, on purpose.
        if (isModeChecked(file, fn, call) || isKernelOnlyEntry(file, fn)) return;
        const requestorMode = requestorModeExpression(fn);
        const handleText = unwrap(handle)?.text ?? handle.text;
        const edit = fixer.replace(mode, requestorMode ?? 'UserMode');
        context.report({
          node: call,
          messageId: 'kernelMode',
          data: { call: name ?? '', handle: handleText, origin: taint.origin, mode: requestorMode ?? 'UserMode' },
          related: [{ node: taint.source, message: `user-controlled: ${taint.origin}` }],
          ...(requestorMode
            ? { fix: { title: `Pass ${requestorMode} as the access mode`, edits: [edit] } }
            : { suggestions: [{ title: 'Pass UserMode as the access mode (the handle comes from a user-mode caller)', edits: [edit] }] }),
        });
      },
    };
  },
};
